/**
 * Issue 11, the chaos suite's bad-input findings: migration files that
 * passed `plan` and failed at `apply`, part-way. Each is refused at plan now
 * (exit 2, the message naming the file and the path, nothing created) — but
 * for a value only particular rows break, which stops the backfill naming
 * the row (exit 1) and is resumable once the data is fixed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, rejection, setup, type Setup } from '../helpers/scenario.js';
import { createXc } from '../../src/index.js';

const USERS = [`CREATE TABLE users (id int PRIMARY KEY, name varchar(40), n int)`, `INSERT INTO users (id, name, n) VALUES (1, 'ada', 1), (2, '42', 2)`];
const pk = { name: 'id', type: 'int', primaryKey: true, nullable: false };

for (const target of targets) {
  const pg = target.name === 'postgres';
  /** The table does not exist (nothing was created under its name). */
  const absent = async (s: Setup, table: string) =>
    expect(await s.db.count(pg ? `SELECT count(*) FROM pg_class WHERE relname = ? AND relkind = 'r'` : `SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'`, [table])).toBe(0);

  target.describe(`plan checks what apply would meet (${target.name})`, () => {
    it('item 1: a default holding a subquery or an aggregate is refused at plan, createTable and addColumn alike', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      await s.write('0001_sub', { createTable: { table: 'notes', columns: [pk, { name: 'n', type: 'int', default: '(SELECT max(id) FROM users)' }] } });
      await refused(s, ['users'], /0001_sub\.json: operations\[0\]\.createTable\.columns\[1\]\.default: .*(cannot use subquery in DEFAULT expression|cannot be used in the DEFAULT clause)/);
      await absent(s, 'notes');
      await s.write('0001_sub', { addColumn: { table: 'users', column: { name: 'm', type: 'int', default: '(SELECT 1)' } } });
      await refused(s, ['users'], /0001_sub\.json: operations\[0\]\.addColumn\.column\.default: .*(cannot use subquery in DEFAULT expression|cannot be used in the DEFAULT clause)/);
      if (pg) {
        await s.write('0001_sub', { createTable: { table: 'notes', columns: [pk, { name: 'n', type: 'bigint', default: 'count(*)' }] } });
        await refused(s, ['users'], /columns\[1\]\.default: .*aggregate functions are not allowed in DEFAULT expressions/);
      } else {
        // A stored function, here one that writes: computing it is refused by the read-only check, the default clause by the server.
        await s.db.query(`CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO users (id) VALUES (99); RETURN 1; END`);
        await s.write('0001_sub', { addColumn: { table: 'users', column: { name: 'm', type: 'int', default: 'bump()' } } });
        await refused(s, ['users'], /operations\[0\]\.addColumn\.column\.default: .*cannot be used in the DEFAULT clause/);
        expect(await s.db.count(`SELECT count(*) FROM users`)).toBe(2);
      }
    });

    it("an `up` reading a lookup table: in the plan that creates the table, compiled over an empty stand-in of it; then not refused for the connection's collation (campaign C, MariaDB)", async () => {
      const s = await setup(target, [`CREATE TABLE person (id int PRIMARY KEY, country varchar(50))`, `INSERT INTO person VALUES (1, 'FR'), (2, 'DE'), (3, 'XX')`], 'xc_pc');
      await s.write('0001_country', { createTable: { table: 'country', columns: [pk, { name: 'name', type: 'varchar(50)' }] } });
      // In one plan with the table it reads: compiled over an empty temporary table of the planned columns.
      const lookup = { addColumn: { table: 'person', column: { name: 'country_id', type: 'int', references: { table: 'country', columns: ['id'] } }, up: '(SELECT c.id FROM country c WHERE c.name = country)' } };
      await s.write('0002_country_id', lookup);
      expect((await s.xc.plan()).migrations.map((m) => m.id)).toEqual(['0001_country', '0002_country_id']);
      // A column the stand-in does not have is the expression's fault, named as the server names it.
      await s.write('0002_country_id', { ...lookup, addColumn: { ...lookup.addColumn, up: '(SELECT c.id FROM country c WHERE c.label = country)' } });
      expect((await rejection(s.xc.plan())).message).toMatch(/0002_country_id\.json: operations\[0\]\.addColumn\.up: .*label/);
      await s.write('0002_country_id', lookup);
      await s.xc.apply({ id: '0001_country' });
      await s.db.query(`INSERT INTO country (id, name) VALUES (1, 'FR'), (2, 'DE')`);
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, country_id FROM person ORDER BY id`)).toEqual([
        { id: 1, country_id: 1 },
        { id: 2, country_id: 2 },
        { id: 3, country_id: null },
      ]);
    });

    it('item 2: a type carrying a column clause is refused naming the clause, serial outside createTable naming what it is', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      const clauses = ['int UNIQUE', 'int PRIMARY KEY', 'int DEFAULT 7', 'int NOT NULL', 'int CHECK (c > 0)', 'int GENERATED ALWAYS AS (1) STORED', "int COMMENT 'x'"];
      for (const type of clauses) {
        await s.write('0001_type', { addColumn: { table: 'users', column: { name: 'c', type } } });
        await refused(s, ['users'], pg ? /operations\[0\]\.addColumn\.column\.type: / : /operations\[0\]\.addColumn\.column\.type: ".*" is not one data type: ".*" is a column clause/);
        await s.write('0001_type', { createTable: { table: 'notes', columns: [pk, { name: 'c', type }] } });
        await refused(s, ['users'], /operations\[0\]\.createTable\.columns\[1\]\.type: /);
        await absent(s, 'notes');
      }
      if (!pg) {
        // Ecto's and Alembic's `updated_at` (campaign EF): no field carries ON UPDATE; the way is named, not a field.
        await s.write('0001_type', { addColumn: { table: 'users', column: { name: 'c', type: 'datetime ON UPDATE CURRENT_TIMESTAMP' } } });
        await refused(s, ['users'], /addColumn\.column\.type: "datetime ON UPDATE CURRENT_TIMESTAMP" is not one data type: "ON UPDATE CURRENT_TIMESTAMP" is a column clause, which xc has no field for — add such a column with a `sql` operation/);
      }
      await s.write('0001_type', { addColumn: { table: 'users', column: { name: 'c', type: 'serial' } } });
      await refused(s, ['users'], pg ? /column\.type: "serial" is not a type but a shorthand only createTable takes \(integer with a sequence it owns as its default\)/ : /column\.type: "serial" is not a data type on MySQL\/MariaDB but BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE/);
    });

    it('item 2: what belongs to a type passes (lengths, UNSIGNED, ZEROFILL, CHARACTER SET, COLLATE, ENUM lists, json) and is made as written', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      const types = pg
        ? ['varchar(10)', 'numeric(10,2)', 'int[]', 'jsonb', 'timestamp(3) with time zone']
        : ['varchar(10) CHARACTER SET latin1 COLLATE latin1_bin', 'int unsigned zerofill', "enum('a','b')", 'json', 'decimal(10,2)', 'timestamp'];
      await s.write('0001_types', { createTable: { table: 'notes', columns: [pk, ...types.map((type, i) => ({ name: `c${i}`, type }))] } });
      await s.xc.apply();
      const columns = await s.db.columns('notes');
      expect(columns.map((c) => [c.name, c.nullable, c.default])).toEqual([['id', false, null], ...types.map((_, i) => [`c${i}`, true, pg ? null : expect.toBeOneOf([null, 'NULL'])])]);
    });

    it('item 2: a default the type does not take is refused at plan', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      await s.write('0001_def', { createTable: { table: 'notes', columns: [pk, { name: 'c', type: 'varchar(3)', default: "'abcdef'" }] } });
      await refused(s, ['users'], /0001_def\.json: operations\[0\]\.createTable\.columns\[1\]\.default: .*(value too long for type character varying\(3\)|Invalid default value for|Data too long)/);
      await s.write('0001_def', { addColumn: { table: 'users', column: { name: 'c', type: 'int', default: "'abc'" } } });
      await refused(s, ['users'], /operations\[0\]\.addColumn\.column\.default: .*(invalid input syntax for type integer|Invalid default value for|Incorrect integer value)/);
      await absent(s, 'notes');
    });

    it('item 3: a value the column takes only by an explicit cast is refused as apply assigns it (PostgreSQL); a constant the type does not take, on both', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      if (pg) {
        await s.write('0001_val', { addColumn: { table: 'users', column: { name: 'c', type: 'int' }, up: "CONCAT(name, ';')" } });
        await refused(s, ['users'], /0001_val\.json: operations\[0\]\.addColumn\.up: CONCAT\(name, ';'\) is of type text, which integer takes only by an explicit cast: write it, e\.g\. CAST\(CONCAT\(name, ';'\) AS int\)/);
        await s.write('0001_val', { addColumn: { table: 'users', column: { name: 'c', type: 'int', default: 'true' } } });
        await refused(s, ['users'], /operations\[0\]\.addColumn\.column\.default: column "value" is of type integer but default expression is of type boolean/);
        await s.write('0001_val', { alterColumn: { table: 'users', column: 'n', to: 'n2', type: 'bigint', up: 'n', down: "n2::text || ''" } });
        await refused(s, ['users'], /operations\[0\]\.alterColumn\.down: n2::text \|\| '' is of type text, which integer takes only by an explicit cast: write it, e\.g\. CAST\(n2::text \|\| '' AS (int|integer)\)/);
        // Campaign BY: an in-place change given no `up` (it is the column itself): the column named, not plan's probe.
        await s.write('0001_val', { alterColumn: { table: 'users', column: 'name', type: 'jsonb' } });
        await refused(s, ['users'], /operations\[0\]\.alterColumn\.up: "?name"? is of type (text|character varying.*), which jsonb takes only by an explicit cast: write it, e\.g\. CAST\("?name"? AS jsonb\)/);
      }
      await s.write('0001_val', { addColumn: { table: 'users', column: { name: 'c', type: 'varchar(3)' }, up: "'abcdef'" } });
      await refused(s, ['users'], /operations\[0\]\.addColumn\.up: .*(value too long for type character varying\(3\)|Data too long)/);
      await s.write('0001_val', { setNotNull: { table: 'users', column: 'n', up: "'abc'" } });
      await refused(s, ['users'], /operations\[0\]\.setNotNull\.up: .*(invalid input syntax for type integer|Incorrect integer value)/);
      if (!pg) {
        await s.write('0001_val', { addColumn: { table: 'users', column: { name: 'c', type: 'varchar(10) CHARACTER SET latin1' }, up: "'é🙂'" } });
        await refused(s, ['users'], /operations\[0\]\.addColumn\.up: .*Incorrect string value/);
        await s.write('0001_val', { addColumn: { table: 'users', column: { name: 'c', type: 'json' }, up: "'not json'" } });
        await refused(s, ['users'], /operations\[0\]\.addColumn\.up: .*not valid JSON/);
      }
    });

    it('item 3: a value only some rows cannot convert stops the backfill naming the row (exit 1), and apply goes on once the row is fixed', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      // `name` is text: 'ada' is no integer, '42' is. Only the rows can tell.
      await s.write('0001_rows', { addColumn: { table: 'users', column: { name: 'c', type: 'int' }, up: pg ? 'name::int' : 'CONCAT(name, \'\')' } });
      await s.xc.plan();
      const err = await rejection(s.xc.apply());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/id=1/);
      expect(err.message).toMatch(/invalid input syntax for type integer: "ada"|Incorrect integer value: 'ada'|Truncated incorrect INTEGER value: 'ada'/);
      await s.db.query(`UPDATE users SET name = '7' WHERE id = 1`);
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, c FROM users ORDER BY id`)).toEqual([{ id: 1, c: 7 }, { id: 2, c: 42 }]);
    });

    it('item 3: a constant a CHECK rejects on some rows stops the backfill naming the row, and the migration rolls back to the table it found', async () => {
      const s = await setup(target, [...USERS, `CREATE TABLE tags (id int PRIMARY KEY, label varchar(10) CHECK (label <> 'x'))`, `INSERT INTO tags VALUES (1, 'a'), (2, NULL)`], 'xc_pc');
      const before = await s.db.columns('tags');
      // The CHECK rejects the constant only where it fills: rows whose label is NULL.
      await s.write('0001_check', { setNotNull: { table: 'tags', column: 'label', up: "'x'" } });
      await s.xc.plan();
      const err = await rejection(s.xc.apply());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/backfill of "tags" stopped at the row id=2: .*(violates check constraint|CONSTRAINT .* failed)/);
      await s.xc.rollback();
      expect(await s.db.columns('tags')).toEqual(before);
      expect(await s.db.triggers()).toEqual([]);
      expect(await s.db.query(`SELECT id, label FROM tags ORDER BY id`)).toEqual([{ id: 1, label: 'a' }, { id: 2, label: null }]);
    });

    it('item 4: an expression calling what changes its session is refused before anything runs, and the session is left as it was', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      // Lock keys of this test's own: other runs may share the server.
      const [k1, k2] = [1 + Math.floor(Math.random() * 2 ** 30), 1 + Math.floor(Math.random() * 2 ** 30)];
      const name = `xc_test_lock_${k1}`;
      const calls = pg
        ? ["set_config('search_path', 'pg_catalog', false)", "pg_catalog.SET_CONFIG('search_path', 'pg_catalog', false)", `"set_config"('search_path', 'pg_catalog', false)`, 'setseed(0.5)::text', `pg_advisory_lock(${k2})::text`, "dblink_connect('x', 'dbname=postgres')"]
        : [`GET_LOCK('${name}', 0)`, "RELEASE_ALL_LOCKS()", "@x := 'y'"];
      for (const up of calls) {
        await s.write('0001_session', { addColumn: { table: 'users', column: { name: 'c', type: 'text' }, up } });
        await refused(s, ['users'], /0001_session\.json: operations\[0\]\.addColumn\.up: calls .*(set_config|setseed|pg_advisory_lock|dblink_connect|get_lock|release_all_locks|@variable).*\(\), which|calls `@variable := …`/);
      }
      // MySQL/MariaDB have no partial index (refused as such): a check's condition is the expression there.
      await s.write('0001_session', pg ? { addIndex: { table: 'users', columns: ['name'], where: `pg_try_advisory_lock(${k1})` } } : { addCheck: { table: 'users', name: 'users_lock_chk', expression: `GET_LOCK('${name}', 0) = 1` } });
      await refused(s, ['users'], pg ? /operations\[0\]\.addIndex\.where: calls / : /operations\[0\]\.addCheck\.expression: calls /);
      // Nothing ran: no session of the server holds the lock, xc's search_path is the default one.
      const held = pg ? `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid IN (${k1}, ${k2})` : `SELECT IS_USED_LOCK('${name}') IS NOT NULL`;
      expect(await s.db.count(held)).toBe(0);
      await s.write('0001_session', { addColumn: { table: 'users', column: { name: 'c', type: 'text' }, up: "'ok'" } });
      await s.xc.apply();
      expect(await s.db.query(`SELECT c FROM users ORDER BY id`)).toEqual([{ c: 'ok' }, { c: 'ok' }]);
    });

    if (pg) {
      it("item 5: a default holding jsonb's ? operator is filled by the backfill as written", async () => {
        const s = await setup(target, USERS, 'xc_pc');
        await s.write('0001_q', { addColumn: { table: 'users', column: { name: 'has_a', type: 'boolean', default: `'{"a":1}'::jsonb ? 'a'` } } });
        await s.xc.apply();
        expect(await s.db.query(`SELECT id, has_a FROM users ORDER BY id`)).toEqual([{ id: 1, has_a: true }, { id: 2, has_a: true }]);
      });

    }

    it('item 5: an expression ending inside a literal or a comment is refused at plan, saying so (MariaDB: a trailing `-- ` comment got the server\'s "error in your SQL syntax near \'\'")', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      const texts: [string, RegExp][] = [
        ["'unterminated", /a string that is never closed \("'unterminated"…\)/],
        ['1 /* open', /a \/\* comment that is never closed/],
        ["'x' -- why", /a -- comment that is never closed \("-- why"…\)/],
        ...(pg ? ([['$$ unterminated', /a dollar-quoted string that is never closed/], ["'a' $xc$", /a dollar-quoted string that is never closed/]] as [string, RegExp][]) : ([["'x' # why", /a # comment that is never closed/], ['`open', /a quoted name or string that is never closed/]] as [string, RegExp][])),
      ];
      for (const [text, message] of texts) {
        await s.write('0001_open', { addColumn: { table: 'users', column: { name: 'c', type: 'text', default: text } } });
        await refused(s, ['users'], new RegExp(`0001_open\\.json: operations\\[0\\]\\.addColumn\\.column\\.default: ends inside ${message.source}`));
        await s.write('0001_open', { setNotNull: { table: 'users', column: 'name', up: text } });
        await refused(s, ['users'], new RegExp(`operations\\[0\\]\\.setNotNull\\.up: ends inside ${message.source}`));
      }
      // Closed by a line end, the comment is the author's own: taken.
      await s.write('0001_open', { addColumn: { table: 'users', column: { name: 'c', type: 'text', nullable: true }, up: "'ok' -- why\n" } });
      await s.xc.apply();
      expect(await s.db.query(`SELECT DISTINCT c FROM users`)).toEqual([{ c: 'ok' }]);
    });

    it('a refused operation is the only one named: later operations on what it makes are checked as it means them', async () => {
      // Campaign T: one bad type in a createTable also reported every later operation on the table as naming one that "does not exist".
      const s = await setup(target, USERS, 'xc_pc');
      await s.write('0001_notes',
        { createTable: { table: 'notes', columns: [pk, { name: 'body', type: 'texxt' }] } },
        { addIndex: { table: 'notes', name: 'notes_body', columns: ['body'] } },
        { addColumn: { table: 'notes', column: { name: 'n', type: 'int' } } },
        { addColumn: { table: 'users', column: { name: 'age', type: 'int' } } },
        { addIndex: { table: 'users', name: 'users_age', columns: ['age'] } },
      );
      await refused(s, ['users'], /operations\[0\]\.createTable\.columns\[1\]\.type: /);
      const err = await rejection(s.xc.plan());
      expect(err.message.split('\n').filter((l) => /0001_notes\.json: operations/.test(l))).toHaveLength(1);
      await absent(s, 'notes');
      // A problem found against the server (a default the type does not take) stops later ones' cascade too, and a later real one is still named.
      await s.write('0001_notes',
        { addColumn: { table: 'users', column: { name: 'age', type: 'int', default: "'abc'" } } },
        { addIndex: { table: 'users', name: 'users_age', columns: ['age'] } },
        { addIndex: { table: 'users', name: 'users_nope', columns: ['nope'] } },
      );
      const both = await rejection(s.xc.plan());
      expect(both.exitCode).toBe(2);
      expect(both.message).toMatch(/operations\[0\]\.addColumn\.column\.default: /);
      expect(both.message).not.toMatch(/operations\[1\]/);
      expect(both.message).toMatch(/operations\[2\]\.addIndex\.columns\[0\]: .*"nope"/);
    });

    it('item 6: a table name held by something plan did not look at is refused naming the holder', async () => {
      const holders = pg
        ? [`CREATE SEQUENCE notes`, `CREATE MATERIALIZED VIEW notes AS SELECT 1 AS x`, `CREATE TYPE notes AS ENUM ('a')`, `CREATE VIEW notes AS SELECT 1 AS x`, `CREATE INDEX notes ON users (name)`]
        : [`CREATE SEQUENCE notes`, `CREATE VIEW notes AS SELECT 1 AS x`];
      const words = pg ? ['sequence', 'materialized view', 'type', 'view', 'index'] : ['sequence', 'view'];
      for (const [i, holder] of holders.entries()) {
        const s = await setup(target, [...USERS, holder], 'xc_pc');
        await s.write('0001_name', { createTable: { table: 'notes', columns: [pk] } });
        await refused(s, ['users'], new RegExp(`0001_name\\.json: operations\\[0\\]\\.createTable\\.table: ${words[i]} "notes"(?: on "users")? already exists`));
        await absent(s, 'notes');
        await s.write('0001_name', { renameTable: { from: 'users', to: 'notes' } });
        await refused(s, ['users'], new RegExp(`operations\\[0\\]\\.renameTable\\.to: ${words[i]} "notes"`));
      }
      if (pg) {
        // Indexes share the relations' namespace there: a sequence holds an index's name too.
        const s = await setup(target, [...USERS, `CREATE SEQUENCE users_by_name`], 'xc_pc');
        await s.write('0001_name', { addIndex: { table: 'users', name: 'users_by_name', columns: ['name'] } });
        await refused(s, ['users'], /operations\[0\]\.addIndex\.name: sequence "users_by_name" already exists/);
      } else {
        // xc's own state tables, which the model leaves out: before xc made them (apply makes them first), and after.
        const s = await setup(target, USERS, 'xc_pc');
        await s.write('0001_name', { renameTable: { from: 'users', to: 'xc_migrations' } });
        await refused(s, ['users'], /0001_name\.json: operations\[0\]\.renameTable\.to: xc's own state table "xc_migrations" already exists/);
        await s.write('0001_name', { addColumn: { table: 'users', column: { name: 'c', type: 'int' } } });
        await s.xc.apply();
        for (const table of ['xc_events', 'xc_migrations']) {
          await s.write('0002_name', { createTable: { table, columns: [pk] } });
          await refused(s, ['users'], new RegExp(`0002_name\\.json: operations\\[0\\]\\.createTable\\.table: xc's own state table "${table}" already exists`));
        }
        // The replica-lag heartbeat (made on first use by --replica/--max-replica-lag) is xc's too: not a table a migration may take or drop.
        await s.write('0002_name', { createTable: { table: 'xc_heartbeat', columns: [pk] } });
        await refused(s, ['users'], /0002_name\.json: operations\[0\]\.createTable\.table: xc's replica-lag heartbeat table "xc_heartbeat" already exists/);
      }
    });

    it('campaign AC: a table that does not exist is named with where it was looked for; PostgreSQL says when no schema of the search_path exists', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      await s.write('0001_missing', { addColumn: { table: 'orders', column: { name: 'c', type: 'int' } } });
      const where = pg ? 'schema "public"' : `database "${new URL(s.db.url).pathname.slice(1)}"`;
      await refused(s, ['users'], new RegExp(`operations\\[0\\]\\.addColumn\\.table: table "orders" does not exist in ${where}$`, 'm'));
      if (pg) {
        const database = new URL(s.db.url).pathname.slice(1);
        await s.db.query(`ALTER DATABASE "${database}" SET search_path = app_nope`);
        const xc = createXc({ url: s.db.url, dir: s.dir });
        try {
          const err = await rejection(xc.plan());
          expect(err.exitCode).toBe(2);
          expect(err.message).toMatch(/addColumn\.table: table "orders" does not exist: no schema of the search_path \(app_nope\) exists — create it, or give --schema/);
        } finally {
          await xc.close();
        }
      }
    });

    // MariaDB opens the sequences a table's defaults draw from with it, so a cut-over would lock them too; but it refuses a
    // table two of whose defaults draw from one sequence under LOCK TABLES at all, and any statement there naming a
    // sequence (such a cut-over failed every run, the migration stayed `contracting`), and it crashed after an ALTER of a
    // table with one such default so locked (campaign FB): no cut-over runs on such a table.
    it.runIf(!pg)('MariaDB: an in-place change whose cut-over no LOCK TABLES can hold (defaults drawing from sequences) is refused at plan, naming why; a copy goes through', async () => {
      const s = await setup(target, [`CREATE SEQUENCE ids`, `CREATE TABLE t (id int PRIMARY KEY DEFAULT nextval(ids), n int DEFAULT nextval(ids), v int)`, `INSERT INTO t (id, v) VALUES (1, 1), (2, 2)`], 'xc_pc');
      await s.write('0001_v', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
      await refused(s, ['t'], /0001_v\.json: operations\[0\]\.alterColumn\.column: changing "v" in place ends in a cut-over under LOCK TABLES, which cannot run here: the defaults of `id` and `n` of `t` draw from one sequence, `\w+`\.`ids`, .*Copy the column instead \(alterColumn with `to`/);
      await s.db.query(`ALTER TABLE t ALTER COLUMN n DROP DEFAULT`);
      // One default drawing from it: the cut-over would lock the sequence too, and an ALTER so locked crashed MariaDB
      // 10.11.19 for the inserts after it, where the table has a trigger (campaign FB).
      await refused(s, ['t'], /changing "v" in place ends in a cut-over under LOCK TABLES, which cannot run here: the default of `id` of `t` draws from sequence `\w+`\.`ids`, and an ALTER of such a table under LOCK TABLES crashed MariaDB 10\.11/);
      // The column's own default restated in the cut-over's ALTER: refused whatever is locked.
      await s.write('0001_v', { alterColumn: { table: 't', column: 'id', type: 'bigint' } });
      await refused(s, ['t'], /alterColumn\.column: changing "id" in place .*a default drawing from sequence `\w+`\.`ids` would be set under the lock/);
      await s.write('0001_v', { alterColumn: { table: 't', column: 'v', type: 'bigint', default: 'nextval(ids)' } });
      await refused(s, ['t'], /alterColumn\.column: changing "v" in place .*a default drawing from sequence ids would be set under the lock/);
      // The copy the message points to: through contract, the sequence still numbering new rows.
      await s.write('0001_v', { alterColumn: { table: 't', column: 'v', to: 'v_big', type: 'bigint', up: 'v', down: 'v_big', default: 'nextval(ids)' } });
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      await s.xc.contract();
      await s.db.query(`INSERT INTO t (id) VALUES (100)`);
      expect(await s.db.query(`SELECT id, v_big FROM t ORDER BY id`)).toEqual([
        { id: 1, v_big: '1' },
        { id: 2, v_big: '2' },
        { id: 100, v_big: '3' },
      ]);
    });

    // Campaign J: MariaDB keeps an application-time period on its columns, and shows it only as a check of its name.
    // A renameColumn of one passed plan; its contract's "drop check" was refused every run ("Use DROP PERIOD"), and the
    // migration stayed `contracting`, with rollback refused too.
    it.runIf(!pg)('MariaDB: a column of an application-time period is refused at plan for a copy, a shadow or a drop; the other columns change as before', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int, s date NOT NULL, e date NOT NULL, PERIOD FOR p (s, e), CONSTRAINT lt CHECK (a < id))`, `INSERT INTO t VALUES (1, 0, '2020-01-01', '2021-01-01')`], 'xc_pc');
      const tied = /"t"\."s" belongs to application-time period "p", which the server keeps on the column itself: .*DROP PERIOD/;
      for (const op of [{ renameColumn: { table: 't', from: 's', to: 's2' } }, { alterColumn: { table: 't', column: 's', type: 'datetime' } }, { alterColumn: { table: 't', column: 's', to: 's2', type: 'datetime', up: 's', down: 's2' } }, { dropColumn: { table: 't', column: 's' } }]) {
        await s.write('0001_m', op);
        await refused(s, ['t'], tied);
      }
      // Another column through a shadow, its check (of the same shape as the period's) carried: through contract.
      await s.write('0001_m', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      await s.xc.contract();
      expect((await s.xc.status()).migrations[0]!.phase).toBe('contracted');
      const ddl = (await s.db.query<Record<string, string>>(`SHOW CREATE TABLE t`))[0]!['Create Table']!;
      expect(ddl).toMatch(/PERIOD FOR `p` \(`s`, `e`\)/);
      expect(ddl).toMatch(/`a` bigint/);
      // The check over `a` still holds (carried as xc's trigger pair on MariaDB), the period's too.
      await expect(s.db.query(`INSERT INTO t VALUES (2, 5, '2020-01-01', '2021-01-01')`)).rejects.toThrow(/lt/);
      await expect(s.db.query(`INSERT INTO t VALUES (3, 0, '2021-01-01', '2020-01-01')`)).rejects.toThrow();
      await s.db.query(`INSERT INTO t VALUES (4, 1, '2020-01-01', '2021-01-01')`);
      // A key over the period (WITHOUT OVERLAPS): MariaDB takes no online ALTER of the table at all (an addColumn passed
      // plan, and its ADD COLUMN failed at apply: "Try ALGORITHM=COPY").
      await s.db.query(`CREATE TABLE w (id int, a int, s date NOT NULL, e date NOT NULL, PERIOD FOR p (s, e), PRIMARY KEY (id, p WITHOUT OVERLAPS))`);
      await s.write('0002_w', { addColumn: { table: 'w', column: { name: 'c', type: 'int', default: '1' }, up: 'a' } });
      await refused(s, ['w'], /0002_w\.json: operations\[0\]\.addColumn\.table: "w" has the key "PRIMARY" over an application-time period \(WITHOUT OVERLAPS\)/);
    });

    // Campaign J: MySQL keeps a view's and a trigger's column as text, by name — a column changed in place keeps it,
    // so they are not in the way (the in-place change was refused for them); PostgreSQL binds them to the column itself.
    it('a view and a trigger naming a column: an in-place change goes through on MariaDB (refused on PostgreSQL, which binds them to the column); a copy stays refused', async () => {
      const trigger = pg
        ? [`CREATE FUNCTION audit_n() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, NEW.n); RETURN NEW; END $$`, `CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_n()`]
        : [`CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW INSERT INTO audit VALUES (NEW.id, NEW.n)`, `CREATE PROCEDURE bump_n() UPDATE users SET n = n + 1 WHERE id = 2`];
      const s = await setup(target, [...USERS, `CREATE TABLE audit (id int, n bigint)`, `CREATE VIEW numbered AS SELECT id, n FROM users`, ...trigger], 'xc_pc');
      await s.write('0001_n', { alterColumn: { table: 'users', column: 'n', to: 'n_big', type: 'bigint', up: 'n', down: 'n_big' } });
      // The trigger refuses the copy; the view, which can read the new column once applied, is a note (removed-in-use.test.ts).
      await refused(s, ['users'], /trigger "users_audit" depends? on "users"\."n", which this migration removes at contract/);
      // MariaDB: a procedure running a statement on the table and naming the column breaks with the copy's contract too (it passed plan).
      if (!pg) await refused(s, ['users'], /procedure "bump_n"/);
      await s.write('0001_n', { alterColumn: { table: 'users', column: 'n', type: 'bigint' } });
      if (pg) return refused(s, ['users'], /view "numbered".* depend on "users"\."n"/);
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      await s.xc.contract();
      expect((await s.db.columns('users')).find((c) => c.name === 'n')?.type).toBe('bigint');
      await s.db.query(`UPDATE users SET n = 5000000000 WHERE id = 1`);
      await s.db.query(`CALL bump_n()`);
      expect(await s.db.query(`SELECT id, n FROM numbered ORDER BY id`)).toEqual([{ id: 1, n: '5000000000' }, { id: 2, n: '3' }]);
      // The trigger ran for the update (and for the backfill's rows too, as the README says of a table's own triggers).
      expect(await s.db.query(`SELECT id, n FROM audit WHERE n > 3`)).toEqual([{ id: 1, n: '5000000000' }]);
    });

    // Campaign DP: an event-log trigger wrote a row for each backfilled row, and plan had said nothing of it.
    it("the table's own UPDATE row triggers, which the backfill fires for every row it writes, are noted at plan; a table without any is not", async () => {
      const trigger = pg
        ? [`CREATE FUNCTION log_n() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, NEW.n); RETURN NEW; END $$`,
            `CREATE TRIGGER users_log AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION log_n()`,
            // Not fired by an UPDATE (an INSERT trigger, a disabled one): not named.
            `CREATE TRIGGER users_ins AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION log_n()`,
            `CREATE TRIGGER users_off AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION log_n()`, `ALTER TABLE users DISABLE TRIGGER users_off`,
            // UPDATE OF a column the backfill does not set: not fired (campaign DU); a WHEN: fired where it holds, said so.
            `CREATE TRIGGER users_of_n AFTER UPDATE OF n ON users FOR EACH ROW EXECUTE FUNCTION log_n()`,
            `CREATE TRIGGER users_when AFTER UPDATE ON users FOR EACH ROW WHEN (OLD.n IS DISTINCT FROM NEW.n) EXECUTE FUNCTION log_n()`]
        : [`CREATE TRIGGER users_log AFTER UPDATE ON users FOR EACH ROW INSERT INTO audit VALUES (NEW.id, NEW.n)`,
            `CREATE TRIGGER users_ins AFTER INSERT ON users FOR EACH ROW INSERT INTO audit VALUES (NEW.id, NEW.n)`];
      const s = await setup(target, [...USERS, `CREATE TABLE audit (id int, n bigint)`, `CREATE TABLE quiet (id int PRIMARY KEY, n int)`, `INSERT INTO quiet VALUES (1, 1)`, ...trigger], 'xc_pc');
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'int' }, up: 'n * 2' } });
      await s.write('0002_q', { addColumn: { table: 'quiet', column: { name: 'm', type: 'int' }, up: 'n * 2' } });
      const planned = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      const notes = (id: string) => planned.migrations.find((m) => m.id === id)?.notes ?? [];
      expect(notes('0001_m')).toContainEqual(expect.stringContaining(pg ? `triggers "users_log" (AFTER UPDATE), "users_when" (AFTER UPDATE, where its WHEN holds) on "users" fire for every row the backfill writes` : `trigger "users_log" (AFTER UPDATE) on "users" fires for every row the backfill writes`));
      expect(notes('0001_m').join('\n')).not.toMatch(/users_ins|users_off|users_of_n/);
      expect(notes('0002_q').join('\n')).not.toMatch(/for every row the backfill writes/);
      // A table this migration renames first: its triggers are read under the name it has now (campaign DU: no note, 100 rows logged).
      await s.write('0002_q', { renameTable: { from: 'quiet', to: 'calm' } }, { addColumn: { table: 'calm', column: { name: 'm', type: 'int' }, up: 'n * 2' } });
      await s.db.query(pg ? `CREATE TRIGGER quiet_log AFTER UPDATE ON quiet FOR EACH ROW EXECUTE FUNCTION log_n()` : `CREATE TRIGGER quiet_log AFTER UPDATE ON quiet FOR EACH ROW INSERT INTO audit VALUES (NEW.id + 100, NEW.n)`);
      const renamed = ((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations.find((m) => m.id === '0002_q')?.notes ?? [];
      expect(renamed).toContainEqual(expect.stringContaining(`trigger "quiet_log" (AFTER UPDATE) on "calm" fires for every row the backfill writes`));
      await rm(path.join(s.dir, '0002_q.json'));
      await s.db.query(pg ? `DROP TRIGGER quiet_log ON quiet` : `DROP TRIGGER quiet_log`);
      // What the note says: each of the two rows the backfill wrote is logged.
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, n FROM audit ORDER BY id`)).toEqual([{ id: 1, n: '1' }, { id: 2, n: '2' }]);
      expect(await s.db.query(`SELECT id, m FROM users ORDER BY id`)).toEqual([{ id: 1, m: 2 }, { id: 2, m: 4 }]);
    });

    // Chaos seed 425247793: MariaDB refuses even to compile, in a read-only transaction, an expression calling a stored
    // function that writes (its tables are opened for writing first). Such an `up` was never checked — an unknown
    // column, or an int for a uuid column, passed plan and failed the backfill after the expand — or, reading a
    // column, was refused with "Cannot execute statement in a READ ONLY transaction". An int for a uuid failed the same
    // way from a plain column: CAST takes it, the assignment does not.
    it('an `up` calling a function that writes is compiled and its assignment checked at plan, never run; an int for a uuid column is refused from a plain column too; a function argument of a type its parameter refuses is refused', async () => {
      const s = await setup(target, USERS, 'xc_pc');
      await s.db.query(pg
        ? `CREATE FUNCTION bump() RETURNS int LANGUAGE sql VOLATILE AS $$ INSERT INTO users (id) VALUES (99) RETURNING 1 $$`
        : `CREATE FUNCTION bump() RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO users (id) VALUES (99); RETURN 1; END`);
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'int' }, up: 'bump() + nosuch' } });
      await refused(s, ['users'], /0001_m\.json: operations\[0\]\.addColumn\.up: .*nosuch/);
      for (const up of ['bump()', '(SELECT bump())', 'n']) {
        await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'uuid' }, up } });
        await refused(s, ['users'], pg ? /0001_m\.json: operations\[0\]\.addColumn\.up: .*uuid.*integer|integer.*uuid/ : /0001_m\.json: operations\[0\]\.addColumn\.up: Cannot cast 'int' as 'uuid' in assignment to uuid \(the column's type\)/);
      }
      // A stored function given an argument its parameter's type does not take: MariaDB says so only when it is
      // called — computed once over NULLs, only that refusal counted; one refusing a NULL no row holds passes (campaign EC).
      await s.db.query(`ALTER TABLE users ADD COLUMN ip ${pg ? 'inet' : 'inet6'}`);
      await s.db.query(pg ? `CREATE FUNCTION rd(x int) RETURNS int LANGUAGE sql STABLE AS $$ SELECT x $$` : `CREATE FUNCTION rd(x int) RETURNS int READS SQL DATA RETURN x`);
      await s.db.query(pg
        ? `CREATE FUNCTION no_null(x int) RETURNS int LANGUAGE plpgsql STABLE AS $$ BEGIN IF x IS NULL THEN RAISE EXCEPTION 'null'; END IF; RETURN x; END $$`
        : `CREATE FUNCTION no_null(x int) RETURNS int READS SQL DATA BEGIN IF x IS NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'null'; END IF; RETURN x; END`);
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'int' }, up: 'rd(ip)' } });
      await refused(s, ['users'], pg ? /addColumn\.up: function rd\(inet\) does not exist/ : /addColumn\.up: Cannot cast 'inet6' as 'int' in assignment of `x`/);
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'int' }, up: 'no_null(n)' } });
      expect((await s.xc.plan()).migrations).toHaveLength(1);
      // Reading a column of the row and calling what writes: trusted SQL, accepted; plan ran none of it.
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'int' }, up: 'bump() + n' } });
      expect((await s.xc.plan()).migrations).toHaveLength(1);
      expect(await s.db.query(`SELECT id FROM users ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
    });

    // The forty-third session: an `up` reading no column of the row is computed once at plan (the conversion to the
    // column's type checked on its value). Over a triple join it ran on, unbounded, on both servers — and went on
    // running on the server after xc was stopped. It is bounded like plan's row reads; not computed in time, it is
    // left to the backfill.
    it('an `up` plan computes once is computed within XC_PLAN_ROW_READ_MS: plan ends, nothing of it left running on the server', async () => {
      const s = await setup(target, [...USERS, `CREATE TABLE big (id int PRIMARY KEY)`], 'xc_pc');
      await s.db.query(pg ? `INSERT INTO big SELECT g FROM generate_series(1, 3000) g` : `INSERT INTO big SELECT seq FROM seq_1_to_3000`);
      const up = '(SELECT COUNT(*) FROM big a, big b, big c)';
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'bigint' }, up } });
      process.env.XC_PLAN_ROW_READ_MS = '300';
      try {
        expect((await s.xc.plan()).migrations).toHaveLength(1);
      } finally {
        delete process.env.XC_PLAN_ROW_READ_MS;
      }
      const running = pg
        ? `SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%big a, big b, big c%' AND pid <> pg_backend_pid()`
        : `SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%big a, big b, big c%' AND ID <> CONNECTION_ID()`;
      expect(await s.db.count(pg ? `${running} AND state = 'active'` : running)).toBe(0);
      // Its compilation still counts: an unknown column in the same place is refused.
      await s.write('0001_m', { addColumn: { table: 'users', column: { name: 'm', type: 'bigint' }, up: '(SELECT COUNT(*) FROM big a, big b WHERE a.nosuch = b.id)' } });
      await refused(s, ['users'], /0001_m\.json: operations\[0\]\.addColumn\.up: .*nosuch/);
    }, 120_000);
  });
}
