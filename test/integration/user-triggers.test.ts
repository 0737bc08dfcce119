/**
 * Campaign W (1): the application's own BEFORE row trigger that changes the row (a normalising one, brought over
 * from another tool) and xc's dual-write triggers on one table. xc's must fire after it, or what it derives is
 * computed from the row before the user's trigger changed it: PostgreSQL fires such triggers in name order, so one
 * named after "xc_" is refused at plan (renamed to sort before, it works); MySQL/MariaDB fire them in creation order,
 * and xc's, created last, fire last.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, setup, type Setup } from '../helpers/scenario.js';

for (const target of targets) {
  const pg = target.name === 'postgres';
  /** A trigger `name` that capitalises first_name and stores an empty email as NULL, on INSERT and UPDATE. */
  const normalizer = (name: string): string[] =>
    pg
      ? [
          `CREATE OR REPLACE FUNCTION norm() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.first_name := initcap(NEW.first_name); NEW.email := NULLIF(NEW.email, ''); RETURN NEW; END$$`,
          `CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION norm()`,
        ]
      : ['INSERT', 'UPDATE'].map(
          (event) =>
            `CREATE TRIGGER ${name}_${event[0]!.toLowerCase()} BEFORE ${event} ON people FOR EACH ROW SET NEW.first_name = CONCAT(UPPER(LEFT(NEW.first_name, 1)), SUBSTRING(NEW.first_name, 2)), NEW.email = NULLIF(NEW.email, '')`,
        );
  const PEOPLE = [
    `CREATE TABLE people (id int PRIMARY KEY, first_name varchar(40) NOT NULL, last_name varchar(40) NOT NULL, email varchar(40))`,
    `INSERT INTO people (id, first_name, last_name, email) VALUES (1, 'Ann', 'Lee', 'a@x')`,
  ];
  const concat = pg ? `first_name || ' ' || last_name` : `CONCAT(first_name, ' ', last_name)`;
  const migrations = async (s: Setup) => {
    await s.write('0001_full_name', { addColumn: { table: 'people', column: { name: 'full_name', type: 'varchar(90)', nullable: false }, up: concat } });
    await s.write('0002_email', { setNotNull: { table: 'people', column: 'email', up: `'unknown@x'` } });
  };

  target.describe(`the application's own triggers (${target.name})`, () => {
    if (pg) {
      it("a BEFORE trigger that changes the row and fires after xc's is refused at plan, naming it; one that only reads, or fires before, is not", async () => {
        const s = await setup(target, [...PEOPLE, ...normalizer('zz_normalize')], 'xc_usertrg');
        await migrations(s);
        await refused(s, ['people'], /operations\[0\]\.addColumn\.table: trigger "zz_normalize" on "people" fires after xc's "xc_fill_[0-9a-f]+" \(BEFORE row triggers fire in name order\) and may change the row/);
        // An audit trigger named after xc's that only reads NEW, and an AFTER trigger, change nothing xc reads.
        await s.db.query(`DROP TRIGGER zz_normalize ON people`);
        await s.db.query(`CREATE TABLE audit (id int, name text)`);
        await s.db.query(`CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO audit VALUES (NEW.id, NEW.first_name); RETURN NEW; END$$`);
        await s.db.query(`CREATE TRIGGER zz_audit BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION audit_row()`);
        await s.db.query(`CREATE TRIGGER zz_after AFTER INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION norm()`);
        await s.xc.plan();
        // Campaign Z: bodies that change the row without `NEW.x :=`, and a trigger of the user's named xc_….
        const bodies = [
          `DECLARE r people; BEGIN r := NEW; r.first_name := initcap(r.first_name); RETURN r; END`,
          `BEGIN SELECT initcap(NEW.first_name) INTO NEW.first_name; RETURN NEW; END`,
          `BEGIN RETURN jsonb_populate_record(NEW, jsonb_build_object('first_name', initcap(NEW.first_name))); END`,
          `BEGIN EXECUTE 'SELECT initcap($1)' INTO NEW.first_name USING NEW.first_name; RETURN NEW; END`,
          // Campaign AA: through a subscript, and through the record quoted.
          `BEGIN NEW.meta['source'] := to_jsonb('app'::text); RETURN NEW; END`,
          `BEGIN NEW.tags[1] = 'x'; RETURN NEW; END`,
          `BEGIN "new".first_name := initcap("new".first_name); RETURN NEW; END`,
          // Campaign AE: a comment before `:=`, a field of a field, the record under an alias.
          `BEGIN NEW.first_name /* normalise */ := initcap(NEW.first_name); RETURN NEW; END`,
          `BEGIN NEW.addr.city := 'x'; RETURN NEW; END`,
          `DECLARE r ALIAS FOR new; BEGIN r.first_name := initcap(r.first_name); RETURN r; END`,
          // Campaign AF-5: after a string the old reading ended too early (E'…\\'…'), or a quote inside a dollar-quoted one.
          `BEGIN RAISE NOTICE E'it\\'s %', NEW.id; NEW.first_name := initcap(NEW.first_name); RAISE NOTICE 'done'; RETURN NEW; END`,
          `BEGIN PERFORM $q$it's$q$; NEW.first_name := initcap(NEW.first_name); PERFORM 'x'; RETURN NEW; END`,
          // `=` starting a statement after ELSE or THEN (an IF's, a CASE statement's) assigns.
          `BEGIN IF NEW.id > 0 THEN NULL; ELSE NEW.first_name = initcap(NEW.first_name); END IF; RETURN NEW; END`,
          `BEGIN CASE WHEN NEW.id > 0 THEN NEW.first_name = CASE WHEN NEW.id > 1 THEN 'x' ELSE 'y' END; END CASE; RETURN NEW; END`,
        ];
        for (const [i, body] of bodies.entries()) {
          await s.db.query(`CREATE OR REPLACE FUNCTION sneaky() RETURNS trigger LANGUAGE plpgsql AS $fn$${body}$fn$`);
          const name = i === 3 ? 'xc_normalize' : `zz_sneaky`;
          await s.db.query(`CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION sneaky()`);
          await refused(s, ['people'], new RegExp(`trigger "${name}" on "people" fires after xc's`));
          await s.db.query(`DROP TRIGGER ${name} ON people`);
        }
        // Campaign AA: `=` in a condition compares; only where a statement starts does PL/pgSQL take it as `:=`.
        // Campaign AE: nor at a line's start inside a condition, nor in a string or a comment.
        await s.db.query(
          `CREATE OR REPLACE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN IF NEW.first_name = 'locked' AND OLD.email = NEW.email THEN RAISE EXCEPTION 'locked'; END IF;
           IF TG_OP = 'UPDATE' AND
             NEW.first_name = 'frozen' THEN RAISE NOTICE 'NEW.first_name := %', NEW.first_name; END IF;
           -- NEW.first_name := 'x';
           -- A branch of a CASE expression compares (it used to be refused as an assignment).
           IF (CASE WHEN NEW.id > 0 THEN NEW.first_name = 'a' ELSE NEW.first_name = (CASE WHEN OLD IS NULL THEN 'b' END) END) THEN RAISE NOTICE 'x'; END IF;
           PERFORM coalesce(CASE WHEN NEW.id > 0 THEN NEW.email = 'c' END, true);
           RETURN NEW; END$$`,
        );
        await s.db.query(`CREATE TRIGGER zz_guard BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION guard()`);
        await s.xc.plan();
      });

      it("xc's triggers fire for a writer in session_replication_role = replica too (campaign AA: its writes reached one shape only)", async () => {
        const s = await setup(target, PEOPLE, 'xc_usertrg');
        await s.write('0001_rename', { renameColumn: { table: 'people', from: 'first_name', to: 'given_name' } });
        await s.xc.apply();
        const loader = await s.db.connection();
        await loader.query(`SET session_replication_role = replica`);
        await loader.query(`UPDATE people SET first_name = 'Anna' WHERE id = 1`);
        await loader.query(`INSERT INTO people (id, given_name, last_name) VALUES (2, 'Bo', 'Ray')`);
        expect(await s.db.query(`SELECT id, first_name, given_name FROM people ORDER BY id`)).toEqual([
          { id: 1, first_name: 'Anna', given_name: 'Anna' },
          { id: 2, first_name: 'Bo', given_name: 'Bo' },
        ]);
        await record(s.xc, '0001_rename');
        await s.xc.contract();
        expect(await s.db.query(`SELECT id, given_name FROM people ORDER BY id`)).toEqual([{ id: 1, given_name: 'Anna' }, { id: 2, given_name: 'Bo' }]);
      });
    }

    it("the user's trigger's changes reach what xc derives: old-version writes during dual-write, then contract", async () => {
      // On PostgreSQL the one refused above, renamed to sort before "xc_" as the message advises.
      const s = await setup(target, [...PEOPLE, ...normalizer(pg ? 'app_normalize' : 'zz_normalize')], 'xc_usertrg');
      await migrations(s);
      await s.xc.apply();
      // The old version writes: lower-case names (capitalised by its trigger), an empty email (stored as NULL by it).
      await s.db.query(`INSERT INTO people (id, first_name, last_name, email) VALUES (2, 'bob', 'Ray', 'b@x'), (3, 'dan', 'Fox', '')`);
      await s.db.query(`UPDATE people SET first_name = 'carl' WHERE id = 1`);
      await record(s.xc, '0002_email');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, first_name, full_name, email FROM people ORDER BY id`)).toEqual([
        { id: 1, first_name: 'Carl', full_name: 'Carl Lee', email: 'a@x' },
        { id: 2, first_name: 'Bob', full_name: 'Bob Ray', email: 'b@x' },
        { id: 3, first_name: 'Dan', full_name: 'Dan Fox', email: 'unknown@x' },
      ]);
    });
  });
}
