/**
 * Campaign T: objects of the application's that depend on what a migration changes, which plan let through and
 * the contract then met — each now refused at plan (exit 2, nothing changed), naming the object and the way:
 *
 * - PostgreSQL: a column of another table storing the table's rows (its row type): a rename or an in-place change
 *   left that field NULL in every stored row, all three commands exiting 0; a dropTable failed at contract on it,
 *   or on a function taking or returning the rows, left `contracting`.
 * - PostgreSQL: an exclusion constraint over a copied column failed the contract ("is not a unique index").
 * - Both: dropIndex of a unique index another table's foreign key references failed the contract.
 * - MariaDB: renameTable of a table with an INVISIBLE column: the old name's view hid it, and the old version's
 *   statements naming it failed.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, setup, toContracted } from '../helpers/scenario.js';

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`dependent objects (${target.name})`, () => {
    /** The audit trigger's function, reading the ticket's status as `read` does. */
    const audit = (read: string) => `CREATE OR REPLACE FUNCTION audit_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${read}; RETURN NEW; END $$`;
    /** Tickets whose every write is audited by a trigger reading the status as `read` does (`first`: made before it). */
    const auditedTickets = (read: string, first: string[] = []) =>
      setup(target, [
        `CREATE TYPE ticket_status AS ENUM ('open', 'closed')`,
        `CREATE TABLE tickets (id int PRIMARY KEY, status text NOT NULL)`,
        `CREATE TABLE audit_log (id serial PRIMARY KEY, ticket int, state text)`,
        `INSERT INTO tickets SELECT g, CASE WHEN g % 2 = 0 THEN 'open' ELSE 'closed' END FROM generate_series(1, 20) g`,
        ...first,
        audit(read),
        `CREATE TRIGGER tickets_audit AFTER INSERT OR UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION audit_t()`,
      ], 'xc_dependents');

    it.runIf(pg)('a column storing the table\'s rows (its row type, an array of it, a domain over it): a rename, an in-place change, a drop of a column or of the table refused, naming it', async () => {
      const s = await setup(target, [
        `CREATE TABLE a (id int PRIMARY KEY, b int, x int)`,
        `INSERT INTO a SELECT g, g, g FROM generate_series(1, 10) g`,
        `CREATE TABLE h (id int PRIMARY KEY, snap a)`,
        `INSERT INTO h SELECT id, a FROM a`,
      ], 'xc_dependents');
      const stored = () => s.db.query<{ b: number }>(`SELECT (snap).b AS b FROM h ORDER BY id`).then((r) => r.map((x) => x.b));
      const named = /row-typed column "snap" of "h" depends on "a"\."b", which this migration (removes|replaces) at contract[^:]*: the contract would fail there, or leave it broken \(a row-typed column keeps the rows it stores by their fields: the field of a column dropped, copied or changed through a shadow is gone or NULL in every one of them, silently\)/;
      await s.write('0001_m', { renameColumn: { table: 'a', from: 'b', to: 'c' } });
      await refused(s, ['a', 'h'], named);
      await s.write('0001_m', { alterColumn: { table: 'a', column: 'b', type: 'bigint' } });
      await refused(s, ['a', 'h'], named);
      await s.write('0001_m', { dropColumn: { table: 'a', column: 'b' } });
      await refused(s, ['a', 'h'], named);
      await s.write('0001_m', { dropTable: { table: 'a' } });
      await refused(s, ['a', 'h'], /row-typed column "snap" of "h" depends on "a", which this migration removes at contract/);
      expect(await stored()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Gone, the way is open: the rows' field is the renamed column's.
      await s.db.query(`DROP TABLE h`);
      await s.db.query(`CREATE FUNCTION latest_a() RETURNS SETOF a LANGUAGE sql AS 'SELECT * FROM a'`);
      await refused(s, ['a'], /function "latest_a\(\)" depends on "a"/);
      await s.db.query(`DROP FUNCTION latest_a()`);
      await s.write('0001_m', { renameColumn: { table: 'a', from: 'b', to: 'c' } });
      await toContracted(s, '0001_m');
      expect((await s.db.query<{ c: number }>(`SELECT c FROM a ORDER BY id LIMIT 2`)).map((r) => r.c)).toEqual([1, 2]);
    });

    it.runIf(pg)('an array of the row type, or a domain over it: refused alike', async () => {
      const s = await setup(target, [`CREATE TABLE a (id int PRIMARY KEY, b int)`, `CREATE DOMAIN a_row AS a`, `CREATE TABLE h (id int PRIMARY KEY, many a[], one a_row)`], 'xc_dependents');
      await s.write('0001_m', { renameColumn: { table: 'a', from: 'b', to: 'c' } });
      await refused(s, ['a', 'h'], /row-typed column "many" of "h", row-typed column "one" of "h" depend on "a"\."b"/);
    });

    it.runIf(pg)('an exclusion constraint over a copied column: refused, as in place (the contract failed, "is not a unique index")', async () => {
      const s = await setup(target, [
        `CREATE EXTENSION IF NOT EXISTS btree_gist`,
        `CREATE TABLE a (id int PRIMARY KEY, b int, r int4range, CONSTRAINT a_no_overlap EXCLUDE USING gist (b WITH =, r WITH &&))`,
      ], 'xc_dependents');
      const message = /exclusion constraint "a_no_overlap" covers "b": a copy of the column cannot carry it[^]*drop it first \(dropConstraint\)/;
      await s.write('0001_m', { renameColumn: { table: 'a', from: 'b', to: 'c' } });
      await refused(s, ['a'], message);
      await s.write('0001_m', { alterColumn: { table: 'a', column: 'b', to: 'c', type: 'bigint', up: 'b', down: 'CAST(c AS integer)' } });
      await refused(s, ['a'], message);
    });

    it.runIf(pg)('a column in the INCLUDE list of a unique key another table\'s foreign key references: refused (its drop takes the key\'s index; the contract failed there)', async () => {
      const s = await setup(target, [`CREATE TABLE a (id int PRIMARY KEY, b int, x int, CONSTRAINT a_x_key UNIQUE (x) INCLUDE (b))`, `CREATE TABLE ch (id int PRIMARY KEY, ax int REFERENCES a (x))`], 'xc_dependents');
      for (const op of [{ renameColumn: { table: 'a', from: 'b', to: 'c' } }, { alterColumn: { table: 'a', column: 'b', type: 'bigint' } }, { dropColumn: { table: 'a', column: 'b' } }]) {
        await s.write('0001_m', op);
        await refused(s, ['a', 'ch'], /foreign key "ch_ax_fkey" of "ch" depends on "a"\."b", which this migration (removes|replaces) at contract/);
      }
    });

    it.runIf(pg)('a column\'s own settings (statistics target, n_distinct, storage, compression) come to the copy or the shadow that replaces it (campaign T: lost without a word)', async () => {
      const s = await setup(target, [
        `CREATE TABLE a (id int PRIMARY KEY, b text, n int)`,
        `INSERT INTO a SELECT g, 'x' || g, g FROM generate_series(1, 20) g`,
        `ALTER TABLE a ALTER COLUMN b SET STATISTICS 1000, ALTER COLUMN b SET (n_distinct = -1), ALTER COLUMN b SET STORAGE EXTERNAL, ALTER COLUMN b SET COMPRESSION lz4, ALTER COLUMN n SET STATISTICS 50`,
      ], 'xc_dependents');
      const settings = (column: string) => s.db.query<{ stat: number; opts: string[] | null; storage: string; compression: string }>(`SELECT attstattarget AS stat, attoptions AS opts, attstorage::text AS storage, attcompression::text AS compression FROM pg_attribute WHERE attrelid = 'a'::regclass AND attname = '${column}'`).then((r) => r[0]);
      await s.write('0001_m', { renameColumn: { table: 'a', from: 'b', to: 'body' } }, { alterColumn: { table: 'a', column: 'n', type: 'bigint' } });
      await toContracted(s, '0001_m');
      expect(await settings('body')).toEqual({ stat: 1000, opts: expect.arrayContaining(['n_distinct=-1']), storage: 'e', compression: 'l' });
      expect(await settings('n')).toMatchObject({ stat: 50 });
    });

    it('dropIndex of a unique index another table\'s foreign key references: refused, as dropConstraint of the key is (the contract failed at the drop)', async () => {
      const s = await setup(target, [
        `CREATE TABLE a (id int PRIMARY KEY, b int)`,
        `CREATE UNIQUE INDEX a_b_uix ON a (b)`,
        `CREATE TABLE ch (id int PRIMARY KEY, ab int, CONSTRAINT ch_ab_fkey FOREIGN KEY (ab) REFERENCES a (b))`,
        `CREATE INDEX a_x ON a (id, b)`,
      ], 'xc_dependents');
      await s.write('0001_m', { dropIndex: { table: 'a', name: 'a_b_uix' } });
      await refused(s, ['a', 'ch'], /operations\[0\]\.dropIndex\.name: foreign key "ch_ab_fkey" of "ch" references the key this unique index makes over "b"; drop that foreign key first/);
      // An index no key references drops as before.
      await s.write('0001_m', { dropIndex: { table: 'a', name: 'a_x' } });
      await toContracted(s, '0001_m');
      expect((await s.db.indexes('a')).map((i) => i.name).sort()).toEqual(expect.not.arrayContaining(['a_x']));
    });

    it.runIf(!pg)('renameTable of a table with an INVISIBLE column: refused, as the old name\'s view cannot keep it invisible', async () => {
      const s = await setup(target, [`CREATE TABLE a (id int AUTO_INCREMENT PRIMARY KEY, b int, iv int INVISIBLE DEFAULT 3)`], 'xc_dependents');
      await s.write('0001_m', { renameTable: { from: 'a', to: 'a2' } });
      await refused(s, ['a'], /operations\[0\]\.renameTable\.from: "a" has INVISIBLE column "iv", which the view that keeps its old name working cannot keep invisible/);
      // Made visible first, the rename runs, and the old name reaches the column.
      await s.db.query(`ALTER TABLE a MODIFY iv int DEFAULT 3`);
      await s.xc.apply();
      await s.db.query(`INSERT INTO a (b) VALUES (1)`);
      expect(await s.db.query(`SELECT b, iv FROM a`)).toEqual([{ b: 1, iv: 3 }]);
    });
    it.runIf(pg)('a SQL or PL/pgSQL function whose body reads the column by name: a rename or a drop refused at plan, naming it; an in-place change, which keeps the name, is not (campaign Y: exit 0, the function failed from the contract on)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY, name text, age int)`,
        `CREATE FUNCTION f_name(i int) RETURNS text LANGUAGE sql AS 'SELECT name FROM users WHERE id = i'`,
        `CREATE FUNCTION g_name(i int) RETURNS text LANGUAGE plpgsql AS $$ DECLARE r text; BEGIN SELECT u.name INTO r FROM users u WHERE u.id = i; RETURN r; END $$`,
      ], 'xc_dependents');
      await s.write('0001_m', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
      await refused(s, ['users'], /function "f_name", function "g_name" depend on "users"\."name", which this migration removes at contract/);
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'name' } });
      await refused(s, ['users'], /function "f_name", function "g_name" depend on "users"\."name"/);
      // Another column of the table, and a change that keeps the name, go through.
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'age' } }, { alterColumn: { table: 'users', column: 'name', type: 'varchar(100)' } });
      await toContracted(s, '0001_m');
      await s.db.query(`INSERT INTO users (id, name) VALUES (1, 'ann')`);
      expect(await s.db.query(`SELECT f_name(1) AS f, g_name(1) AS g`)).toEqual([{ f: 'ann', g: 'ann' }]);
    });

    it.runIf(pg)('the table\'s trigger naming the column only in a literal (`to_jsonb(NEW) ->> \'status\'`): an in-place change goes through, its writes audited throughout; by name (`NEW.status`) or in dynamic SQL it is refused; a rename is refused either way (campaign CL)', async () => {
      const s = await auditedTickets(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, to_jsonb(NEW) ->> 'status') /* not NEW.status */`);
      const inPlace = { alterColumn: { table: 'tickets', column: 'status', type: 'ticket_status', up: 'status::ticket_status', down: 'status::text' } };
      const named = /trigger "tickets_audit" depends on "tickets"\."status", which this migration (replaces|removes) at contract/;
      await s.write('0001_m', { renameColumn: { table: 'tickets', from: 'status', to: 'state' } });
      await refused(s, ['tickets'], named);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, NEW.status)`));
      await s.write('0001_m', inPlace);
      await refused(s, ['tickets'], named);
      await s.db.query(audit(`EXECUTE format('INSERT INTO audit_log (ticket, state) SELECT $1, %I::text', 'status') USING NEW.id`));
      await refused(s, ['tickets'], named);
      // A helper taking the row that names the column: its compiled plan holds the type (campaign CQ: the sessions that
      // ran it failed every write after the contract, or wrote NULL).
      await s.db.query(`CREATE FUNCTION status_of(r tickets) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN r.status::text; END $$`);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, status_of(NEW)) /* the status */`));
      await refused(s, ['tickets'], /function "status_of\(tickets\)" depends on "tickets"\."status"/);
      // Taking `record` or `anyelement` (campaign CS: the same failures); a helper no trigger of the table calls is not read.
      await s.db.query(`CREATE FUNCTION state_rec(r record) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN r.status::text; END $$`);
      await s.db.query(`CREATE FUNCTION state_any(r anyelement) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN r.status::text; END $$`);
      await s.db.query(`CREATE FUNCTION unrelated(r record) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN r.status::text; END $$`);
      // A name met inside another word of the trigger's body (`h` in `then`) is no call (campaign CY).
      await s.db.query(`CREATE FUNCTION h(r anycompatiblenonarray) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN r.status::text; END $$`);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, state_rec(NEW))`));
      await refused(s, ['tickets'], /: function "state_rec\(record\)", function "status_of\(tickets\)" depend on "tickets"\."status"/);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, state_any(NEW))`));
      await refused(s, ['tickets'], /: function "state_any\(anyelement\)", function "status_of\(tickets\)" depend on "tickets"\."status"/);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, h (NEW))`));
      await refused(s, ['tickets'], /: function "h\(anycompatiblenonarray\)", function "status_of\(tickets\)" depend on "tickets"\."status"/);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, to_jsonb(NEW) ->> 'status') /* then */`));
      await s.db.query(`DROP FUNCTION status_of(tickets)`);
      await s.db.query(`DELETE FROM audit_log`);
      await s.xc.apply();
      await s.db.query(`UPDATE tickets SET status = 'open' WHERE id = 1`); // the old version, during dual-write
      await record(s.xc, '0001_m');
      await s.xc.contract();
      await s.db.query(`UPDATE tickets SET status = 'open' WHERE id = 3`); // the new version, after
      const logged = await s.db.query<{ ticket: number; state: string }>(`SELECT ticket, state FROM audit_log WHERE ticket IN (1, 3) ORDER BY id`);
      expect(logged.filter((r) => r.ticket === 3).at(-1)).toEqual({ ticket: 3, state: 'open' });
      expect(logged.some((r) => r.ticket === 1 && r.state === 'open')).toBe(true);
      expect((await s.db.columns('tickets')).find((c) => c.name === 'status')?.type).toBe('USER-DEFINED');
      expect(await s.db.count(`SELECT count(*) FROM tickets WHERE status = 'open'`)).toBe(12);
    });

    it.runIf(pg)('a helper the trigger reaches through another (`trg` → `mid(NEW)` → `h(r record)`) is read; one naming the column only in a literal (`to_jsonb(r) ->> \'status\'`) is not in an in-place change\'s way (campaign CY)', async () => {
      const s = await auditedTickets(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, mid(NEW))`, [
        `CREATE FUNCTION h(r record) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN r.status::text; END $$`,
        `CREATE FUNCTION mid(r record) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN upper(h(r)); END $$`,
      ]);
      await s.write('0001_m', { alterColumn: { table: 'tickets', column: 'status', type: 'ticket_status', up: 'status::ticket_status', down: 'status::text' } });
      await refused(s, ['tickets'], /: function "h\(record\)" depends on "tickets"\."status"/);
      // Named only in a literal: read by name whatever its type, as the trigger's own literal (campaign CL).
      await s.db.query(`CREATE OR REPLACE FUNCTION h(r record) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN to_jsonb(r) ->> 'status'; END $$`);
      await s.db.query(audit(`INSERT INTO audit_log (ticket, state) VALUES (NEW.id, upper(h(NEW)))`)); // called directly: still not in the way
      await s.xc.apply();
      await s.db.query(`UPDATE tickets SET status = 'open' WHERE id = 1`); // the old version, during dual-write
      await record(s.xc, '0001_m');
      await s.xc.contract();
      await s.db.query(`UPDATE tickets SET status = 'closed' WHERE id = 2`); // the new version, after
      // The backfill's updates are audited too: each ticket's last entry, and none failed.
      const logged = await s.db.query<{ ticket: number; state: string }>(`SELECT ticket, state FROM audit_log WHERE ticket IN (1, 2) ORDER BY id`);
      expect([logged.filter((r) => r.ticket === 1).at(-1), logged.filter((r) => r.ticket === 2).at(-1)]).toEqual([
        { ticket: 1, state: 'OPEN' },
        { ticket: 2, state: 'CLOSED' },
      ]);
    });
  });
}
