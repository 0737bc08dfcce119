/**
 * Campaign AA: renameTable's contract takes the old name away, and what names
 * the table in text followed no rename — a PostgreSQL trigger function's
 * `INSERT INTO orders`, a MariaDB view or trigger (MySQL keeps every
 * reference as text). Through dual-write they reach the table by the old
 * name's view; after the contract every insert firing such a trigger failed,
 * and the view was broken. The contract is refused while any names it
 * (exit 1, nothing changed, still backfilled); changed to the new name, the
 * contract goes through and the application's objects work on.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { onCleanup, record, rejection, setup } from '../helpers/scenario.js';

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`renameTable: the old name is not taken away from under the application (${target.name})`, () => {
    it('a trigger of another table writing it by name, and (MySQL) a view naming it: contract refused until they name the new one', async () => {
      const body = (table: string) =>
        pg
          ? `CREATE OR REPLACE FUNCTION log_customer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${table} (id, note) VALUES (NEW.id, 'welcome'); RETURN NEW; END $$`
          : `CREATE TRIGGER log_customer AFTER INSERT ON customers FOR EACH ROW INSERT INTO ${table} (id, note) VALUES (NEW.id, 'welcome')`;
      const view = (table: string) => `CREATE OR REPLACE VIEW welcome_notes AS SELECT id, note FROM ${table} WHERE note = 'welcome'`;
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, note varchar(40))`,
          `CREATE TABLE customers (id int PRIMARY KEY)`,
          body('orders'),
          ...(pg ? [`CREATE TRIGGER log_customer AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION log_customer()`] : [view('orders')]),
        ],
        'xc_rto',
      );
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      // Plan says it up front (campaign J: silent until the contract refused).
      const notes = ((await s.xc.plan()) as { migrations: { notes?: string[] }[] }).migrations[0]!.notes?.join('\n') ?? '';
      expect(notes).toMatch(/renameTable: .*trigger "log_customer" of "customers".* "orders" in .* text, .*after apply, make (it|them) name "purchases" \(CREATE OR REPLACE\) — contract refuses while/);
      if (!pg) expect(notes).toMatch(/view "welcome_notes"/);
      await s.xc.apply();
      await s.db.query(`INSERT INTO customers (id) VALUES (1)`);
      await record(s.xc, '0001_rename');

      const err = await rejection(s.xc.contract());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/contract refused: .*trigger "log_customer" of "customers".* still names? table "orders", which 0001_rename renamed to "purchases"/);
      if (!pg) expect(err.message).toMatch(/view "welcome_notes"/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      await s.db.query(`INSERT INTO customers (id) VALUES (2)`);

      // Changed to the new name while the old one still works: the contract goes through, and so do the writes after it.
      if (pg) await s.db.query(body('purchases'));
      else {
        await s.db.query(`DROP TRIGGER log_customer`);
        await s.db.query(body('purchases'));
        await s.db.query(view('purchases'));
      }
      await s.xc.contract();
      await s.db.query(`INSERT INTO customers (id) VALUES (3)`);
      expect((await s.db.query<{ id: unknown }>(`SELECT id FROM purchases ORDER BY id`)).map((r) => Number(r.id))).toEqual([1, 2, 3]);
      if (!pg) expect((await s.db.query<{ id: unknown }>(`SELECT id FROM welcome_notes ORDER BY id`)).map((r) => Number(r.id))).toEqual([1, 2, 3]);
    });

    it('dynamic SQL built around the name as a string (format, CONCAT): contract refused until it names the new one; after, it runs', async () => {
      // PostgreSQL: a function formatting the statement; MariaDB: a procedure preparing it.
      const fn = (table: string) =>
        pg
          ? `CREATE OR REPLACE FUNCTION purge_orders() RETURNS int LANGUAGE plpgsql AS $$ DECLARE n int; BEGIN EXECUTE format('DELETE FROM %I WHERE note IS NULL', '${table}'); GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END $$`
          : `CREATE PROCEDURE purge_orders() BEGIN SET @q = CONCAT('DELETE FROM ', '${table}', ' WHERE note IS NULL'); PREPARE st FROM @q; EXECUTE st; DEALLOCATE PREPARE st; END`;
      const purge = () => s.db.query(pg ? `SELECT purge_orders()` : `CALL purge_orders()`);
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, note varchar(40))`,
          `INSERT INTO orders VALUES (1, 'a'), (2, NULL)`,
          fn('orders'),
          // Names that only contain it, or another schema's (database's) table of that name, are not it.
          pg
            ? `CREATE FUNCTION other_names() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'orders_archive' || ' ' || 'elsewhere.orders' || ' ' || 'Orders'; END $$`
            : `CREATE PROCEDURE other_names() SELECT 'orders_archive', 'elsewhere.orders'`,
        ],
        'xc_rto',
      );
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await purge(); // through the old name's view
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/contract refused: (function|procedure) "purge_orders" still names table "orders"/);
      expect(err.message).not.toMatch(/other_names/);
      await s.db.query(`INSERT INTO purchases VALUES (3, NULL)`);
      if (!pg) await s.db.query(`DROP PROCEDURE purge_orders`);
      await s.db.query(fn('purchases'));
      await s.xc.contract();
      await purge();
      expect((await s.db.query<{ id: unknown }>(`SELECT id FROM purchases ORDER BY id`)).map((r) => Number(r.id))).toEqual([1]);
    });

    it.runIf(pg)("PostgreSQL: another schema's function naming it is found (unqualified: the caller's search_path finds it); one pinned to its own schema's table of that name is not", async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY)`,
          `CREATE SCHEMA reporting`,
          `CREATE TABLE reporting.orders (id int PRIMARY KEY)`,
          `CREATE FUNCTION reporting.all_orders() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.orders $$`,
          `CREATE FUNCTION reporting.by_name() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT reltuples::bigint FROM pg_class WHERE oid = 'public.orders'::regclass); END $$`,
          `CREATE FUNCTION reporting.unpinned() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders $$`,
          `CREATE FUNCTION reporting.own_orders() RETURNS bigint LANGUAGE sql SET search_path = reporting AS $$ SELECT count(*) FROM orders $$`,
        ],
        'xc_rto',
      );
      expect(await s.db.count(`SELECT count(*) FROM pg_namespace WHERE nspname = current_schema() AND nspname = 'public'`)).toBe(1);
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.message).toMatch(/contract refused: function "reporting\.all_orders", function "reporting\.by_name", function "reporting\.unpinned" still name table "orders"/);
      // The unpinned one may mean reporting's own: "name purchases" would be wrong advice there (campaign ED).
      expect(err.message).toContain('One of another schema that names "orders" unqualified and means that schema\'s own table is not this one\'s user: make it name that one (qualified, or on PostgreSQL with its own `SET search_path`).');
      await s.db.query(`CREATE OR REPLACE FUNCTION reporting.all_orders() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.purchases $$`);
      await s.db.query(`DROP FUNCTION reporting.by_name()`);
      await s.db.query(`DROP FUNCTION reporting.unpinned()`);
      await s.xc.contract();
      expect(await s.db.query(`SELECT reporting.all_orders()::int AS n, reporting.own_orders()::int AS m`)).toEqual([{ n: 0, m: 0 }]);
    });

    it.runIf(pg)('PostgreSQL: a comma join names it, a comment does not (a string does: it may be dynamic SQL; campaign AE)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, cid int)`,
          `CREATE TABLE customers (id int PRIMARY KEY)`,
          `CREATE FUNCTION notes() RETURNS text LANGUAGE plpgsql AS $$ BEGIN -- we used to read from orders
             RETURN 'archived'; END $$`,
          `CREATE FUNCTION count_orders(c int) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM customers x, orders o WHERE o.cid = x.id AND x.id = c); END $$`,
        ],
        'xc_rto',
      );
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.message).toMatch(/contract refused: function "count_orders" still names table "orders"/);
      await s.db.query(`DROP FUNCTION count_orders(int)`);
      await s.xc.contract();
      expect(await s.db.query(`SELECT notes() AS n`)).toEqual([{ n: 'archived' }]);
    });

    it.runIf(pg)('PostgreSQL: every way a body names it is found — after a string holding -- or /*, after E\'…\\\'…\', as a variable\'s type, LOCK TABLE, TABLE; a table "Orders" is not named by orders (campaign AF-3)', async () => {
      const fn = (name: string, body: string) => `CREATE FUNCTION ${name}() RETURNS bigint LANGUAGE plpgsql AS $fn$ ${body} $fn$`;
      const uses: [string, string][] = [
        ['after_dashes', `BEGIN RAISE NOTICE '-- counting'; RETURN (SELECT count(*) FROM orders); END`],
        ['after_block', `BEGIN RAISE NOTICE '/* counting'; RETURN (SELECT count(*) FROM orders); END`],
        ['after_escape', `BEGIN RAISE NOTICE E'it\\'s -- late'; RETURN (SELECT count(*) FROM orders); END`],
        ['row_typed', `DECLARE r orders; BEGIN SELECT * INTO r FROM customers LIMIT 1; RETURN r.id; END`],
        ['locks_it', `BEGIN LOCK TABLE orders IN SHARE MODE; RETURN 1; END`],
        ['tables_it', `BEGIN RETURN (SELECT count(*) FROM (TABLE orders) x); END`],
      ];
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY)`,
          `CREATE TABLE customers (id int PRIMARY KEY)`,
          `CREATE TABLE "Orders" (id int PRIMARY KEY)`,
          ...uses.map(([name, body]) => fn(name, body)),
          fn('mixed_case', `BEGIN RETURN (SELECT count(*) FROM orders); END`),
        ],
        'xc_rto',
      );
      // "Orders" is renamed: only a quoted "Orders" names it — not one function does.
      await s.write('0001_rename', { renameTable: { from: 'Orders', to: 'legacy_orders' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      await s.write('0002_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0002_rename');
      const err = await rejection(s.xc.contract());
      for (const [name] of [...uses, ['mixed_case']]) expect(err.message).toMatch(new RegExp(`function "${name}"`));
    });

    it.runIf(!pg)('MySQL/MariaDB: a trigger joining it by a comma, an event writing it; a column or an alias of its name is no use of it (campaign AE)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, cid int)`,
          `CREATE TABLE customers (id int PRIMARY KEY, orders int)`,
          `CREATE TABLE tally (n int)`,
          `CREATE TRIGGER count_orders AFTER INSERT ON customers FOR EACH ROW INSERT INTO tally SELECT count(*) FROM customers c, orders o WHERE o.cid = c.id`,
          `CREATE EVENT tidy ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM orders WHERE cid IS NULL`,
          `CREATE VIEW busy AS SELECT c.id, c.orders AS orders FROM customers c WHERE c.orders > 10`,
        ],
        'xc_rto',
      );
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.message).toMatch(/contract refused: event "tidy", trigger "count_orders" of "customers" still name table "orders"/);
      await s.db.query(`DROP TRIGGER count_orders`);
      await s.db.query(`DROP EVENT tidy`);
      await s.xc.contract();
      expect(await s.db.query(`SELECT id FROM busy`)).toEqual([]);
    });

    it.runIf(!pg)("MySQL/MariaDB: another database's procedure and view naming it qualified are found; one naming its own database's table of that name is not", async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY)`, `INSERT INTO orders VALUES (1)`], 'xc_rto');
      const here = new URL(s.db.url).pathname.slice(1);
      const other = `${here}_rep`;
      onCleanup(async () => void (await s.db.query(`DROP DATABASE IF EXISTS \`${other}\``)));
      for (const sql of [
        `CREATE DATABASE \`${other}\``,
        `CREATE TABLE \`${other}\`.orders (id int PRIMARY KEY)`,
        `CREATE PROCEDURE \`${other}\`.count_all() SELECT count(*) FROM \`${here}\`.orders`,
        `CREATE PROCEDURE \`${other}\`.count_own() SELECT count(*) FROM orders`,
        `CREATE VIEW \`${other}\`.mirror AS SELECT id FROM \`${here}\`.orders`,
      ]) {
        await s.db.query(sql);
      }
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      for (const name of [`view "${other}.mirror"`, `procedure "${other}.count_all"`]) expect(err.message).toContain(name);
      expect(err.message).not.toContain('count_own');
      for (const sql of [`DROP PROCEDURE \`${other}\`.count_all`, `DROP VIEW \`${other}\`.mirror`]) await s.db.query(sql);
      await s.xc.contract();
    });

    it.runIf(!pg)('MySQL/MariaDB: INSERT or REPLACE without INTO, a verb\'s modifiers, STRAIGHT_JOIN, a multi-table DELETE name it too (campaign AF-4)', async () => {
      const uses = [
        `INSERT orders (id) VALUES (NEW.id)`,
        `REPLACE orders (id) VALUES (NEW.id)`,
        `INSERT LOW_PRIORITY IGNORE INTO orders (id) VALUES (NEW.id)`,
        `UPDATE LOW_PRIORITY IGNORE orders SET cid = NEW.id WHERE id = NEW.id`,
        `DELETE QUICK IGNORE FROM orders WHERE id = NEW.id`,
        `DELETE o FROM customers c STRAIGHT_JOIN orders o ON o.cid = c.id WHERE c.id = NEW.id`,
        `INSERT INTO tally SELECT count(*) FROM customers c STRAIGHT_JOIN orders o ON o.cid = c.id`,
      ];
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, cid int)`,
          `CREATE TABLE customers (id int PRIMARY KEY)`,
          `CREATE TABLE tally (n int)`,
          ...uses.map((body, i) => `CREATE TRIGGER use_${i} AFTER INSERT ON customers FOR EACH ROW ${body}`),
        ],
        'xc_rto',
      );
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      for (const i of uses.keys()) expect(err.message).toMatch(new RegExp(`trigger "use_${i}" of "customers"`));
    });

    it('what reaches the table itself (a view on PostgreSQL, a trigger of its own) follows the rename: the contract goes through', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, note varchar(40))`,
          `CREATE TABLE audit (id int)`,
          pg
            ? `CREATE FUNCTION audit_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END $$`
            : `CREATE TRIGGER audit_order AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit VALUES (NEW.id)`,
          ...(pg ? [`CREATE TRIGGER audit_order AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_order()`, `CREATE VIEW noted AS SELECT id FROM orders WHERE note IS NOT NULL`] : []),
        ],
        'xc_rto',
      );
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      await s.db.query(`INSERT INTO purchases (id, note) VALUES (1, 'x')`);
      expect((await s.db.query<{ id: unknown }>(`SELECT id FROM audit`)).map((r) => Number(r.id))).toEqual([1]);
      if (pg) expect((await s.db.query<{ id: unknown }>(`SELECT id FROM noted`)).map((r) => Number(r.id))).toEqual([1]);
    });
    it('a view (PostgreSQL: and a materialized view) made over the old name after apply: contract refused, still backfilled; made over the new name, it runs (campaign Y: the view\'s drop failed, left `contracting`)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO users VALUES (1, 'ann')`], 'xc_rto');
      await s.write('0001_rename', { renameTable: { from: 'users', to: 'people' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.db.query(`CREATE VIEW v_old AS SELECT id, name FROM users`);
      if (pg) await s.db.query(`CREATE MATERIALIZED VIEW mv_old AS SELECT id, name FROM users`);
      const err = await rejection(s.xc.contract());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(pg ? /^contract refused: materialized view "mv_old", view "v_old" still name table "users", which 0001_rename renamed to "people"/ : /^contract refused: view "v_old" still names table "users", which 0001_rename renamed to "people"/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      if (pg) await s.db.query(`DROP MATERIALIZED VIEW mv_old`);
      await s.db.query(`CREATE OR REPLACE VIEW v_old AS SELECT id, name FROM people`);
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      expect(await s.db.query(`SELECT id, name FROM v_old`)).toEqual([{ id: 1, name: 'ann' }]);
    });

    it('a view made over the old name after apply, then `xc rollback`: PostgreSQL refuses before any step, naming it (campaign DZ: the drop of xc\'s view failed, left `rolling_back`), and goes back once it reads the table; MySQL/MariaDB keep a view by name, which finds the table again', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO users VALUES (1, 'ann')`], 'xc_rto');
      await s.write('0001_rename', { renameTable: { from: 'users', to: 'people' } });
      await s.xc.apply();
      await s.db.query(`CREATE VIEW v_old AS SELECT id, name FROM users`);
      if (pg) {
        const err = await rejection(s.xc.rollback());
        expect(err.exitCode, err.message).toBe(1);
        expect(err.message).toMatch(/^rollback of 0001_rename refused: view "v_old" depends on the view "users" \(xc's, keeping the old name of "people"\), which the rollback drops; [^]*Nothing was changed\. Make it read the table "people" itself/);
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
        await s.db.query(`CREATE OR REPLACE VIEW v_old AS SELECT id, name FROM people`);
        // Another table's policy reading the old name (campaign EA: left `rolling_back` the same way).
        await s.db.query(`CREATE TABLE notes (id int PRIMARY KEY)`);
        await s.db.query(`ALTER TABLE notes ENABLE ROW LEVEL SECURITY`);
        await s.db.query(`CREATE POLICY seen ON notes USING (EXISTS (SELECT 1 FROM users u WHERE u.id = notes.id))`);
        const again = await rejection(s.xc.rollback());
        expect(again.message).toMatch(/^rollback of 0001_rename refused: policy "seen" of "notes" depends on the view "users"/);
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
        await s.db.query(`ALTER POLICY seen ON notes USING (EXISTS (SELECT 1 FROM people u WHERE u.id = notes.id))`);
      }
      await s.xc.rollback();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      await s.db.query(`INSERT INTO users VALUES (2, 'bob')`);
      expect(await s.db.query(`SELECT id, name FROM v_old ORDER BY id`)).toEqual([{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }]);
    });
  });
}
