/**
 * Campaign AD ("plan is a promise"): an expression the server reads in DDL —
 * a check, a generated value, an index key or predicate — is compiled there
 * at plan, not only as a query. A query takes a subquery, `now()` or a
 * STABLE cast; a CHECK, a generated column or an index refuses them, so
 * plan passed and apply failed after the DDL before it — or, for a column's
 * check added at contract, every contract failed and the migration stayed
 * `contracting`. And a column's own check over the value its `up` or
 * default gives existing rows: refused at plan, not at contract.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, rejection, setup, toContracted } from '../helpers/scenario.js';

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`plan compiles declared expressions where the server declares them (${target.name})`, () => {
    const ddl = [`CREATE TABLE t (id int PRIMARY KEY, a int, ts ${pg ? 'timestamptz' : 'datetime'})`, `INSERT INTO t (id, a) VALUES (1, 1), (2, 2)`];

    it.runIf(pg)('a subquery in a column check added at contract, now() in an index predicate, a STABLE cast as an index key: refused at plan, nothing done', async () => {
      const s = await setup(target, ddl, 'xc_decl');
      await s.write('0001_x', { addIndex: { table: 't', columns: ['a'], name: 't_a_idx' } }, { addColumn: { table: 't', column: { name: 'n', type: 'int', check: { expression: 'n < (SELECT 1000)' } }, up: 'a' } });
      await refused(s, ['t'], /operations\[1\]\.addColumn\.column\.check\.expression: .*cannot use subquery in check constraint/);
      await s.write('0001_x', { addIndex: { table: 't', columns: ['a'], name: 't_a_idx' } }, { addIndex: { table: 't', columns: ['a'], name: 't_recent', where: 'ts > now()' } });
      await refused(s, ['t'], /operations\[1\]\.addIndex\.where: .*IMMUTABLE/);
      await s.write('0001_x', { addIndex: { table: 't', columns: [{ expression: '(ts::date)' }], name: 't_day' } });
      await refused(s, ['t'], /operations\[0\]\.addIndex\.columns\[0\]\.expression: .*IMMUTABLE/);
      await s.write('0001_x', { createTable: { table: 'g', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'h', type: 'int', generated: { expression: '(SELECT 1)' } }] } });
      await refused(s, ['t'], /operations\[0\]\.createTable\.columns\[1\]\.generated\.expression: .*subquer/);
    });

    it.runIf(pg)('a check and an index key naming the row schema-qualified (`public.t.a`), as PostgreSQL\'s DDL takes them: planned, applied, enforced, carried by a rename, contracted; another schema\'s `other.t.a` refused at plan, nothing done', async () => {
      const s = await setup(target, ddl, 'xc_decl');
      await s.write('0001_x', { addIndex: { table: 't', columns: ['a'], name: 't_a_idx' } }, { addCheck: { table: 't', name: 'a_pos', expression: 'other.t.a > 0' } });
      await refused(s, ['t'], /operations\[1\]\.addCheck\.expression: invalid reference to FROM-clause entry for table "t"/);
      await s.write('0001_x', { addCheck: { table: 't', name: 'a_pos', expression: 'public.t.a > 0' } }, { addIndex: { table: 't', columns: [{ expression: '(public.t.a + 1)' }], name: 't_a1', where: 'public.t.a < 100' } });
      await s.xc.plan();
      await toContracted(s, '0001_x');
      expect((await rejection(s.db.query(`INSERT INTO t (id, a) VALUES (3, -1)`))).message).toMatch(/violates check constraint "a_pos"/);
      await s.write('0002_rename', { renameColumn: { table: 't', from: 'a', to: 'b' } });
      await toContracted(s, '0002_rename');
      expect((await rejection(s.db.query(`INSERT INTO t (id, b) VALUES (3, -1)`))).message).toMatch(/violates check constraint "a_pos"/);
      await s.db.query(`INSERT INTO t (id, b) VALUES (4, 4)`);
      expect(await s.db.query(`SELECT id FROM t WHERE b + 1 = 5 AND b < 100`)).toEqual([{ id: 4 }]);
    });

    it.runIf(!pg)('a subquery in a new table’s CHECK or generated column: refused at plan (a check added to a table is xc’s trigger pair, which takes it)', async () => {
      const s = await setup(target, ddl, 'xc_decl');
      const g = (column: Record<string, unknown>) => ({ createTable: { table: 'g', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'z', type: 'int', ...column }] } });
      await s.write('0001_x', { addIndex: { table: 't', columns: ['a'], name: 't_a_idx' } }, g({ check: { expression: 'z < (SELECT 2)' } }));
      await refused(s, ['t'], /operations\[1\]\.createTable\.columns\[1\]\.check\.expression: .*subquer/i);
      await s.write('0001_x', g({ generated: { expression: '(SELECT 1)' } }));
      await refused(s, ['t'], /operations\[0\]\.createTable\.columns\[1\]\.generated\.expression: .*GENERATED ALWAYS AS/);
    });

    it('a default or `up` giving existing rows a value the column’s own check refuses: refused at plan (the contract’s validation would fail, no backfill mends it)', async () => {
      const s = await setup(target, ddl, 'xc_decl');
      await s.write('0001_x', { addColumn: { table: 't', column: { name: 'c', type: 'int', default: '0', check: { expression: 'c > 0' } } } });
      await refused(s, ['t'], /operations\[0\]\.addColumn\.column\.check\.expression: the `default` gives existing rows a value the column's check refuses \(c > 0\)/);
      await s.write('0001_x', { addColumn: { table: 't', column: { name: 'c', type: 'int', check: { expression: 'c > 1' } }, up: 'a' } });
      await refused(s, ['t'], /operations\[0\]\.addColumn\.column\.check\.expression: `up` gives existing rows a value the column's check refuses \(c > 1\).*\n *id="1" a="1"$/);
    });

    it('a later migration refused by the rows an earlier one of the same apply filled: exit 2 saying the earlier one stands', async () => {
      const s = await setup(target, ddl, 'xc_decl');
      // A `sql` operation's raw statement, which plan cannot see into (the fills it reads: filled-in-plan.test.ts).
      await s.write('0001_fill', { sql: { expand: 'UPDATE t SET a = 7' } });
      await s.write('0002_uniq', { addIndex: { table: 't', columns: ['a'], unique: true } });
      await s.xc.plan();
      const err = (await rejection(s.xc.apply())) as Error & { exitCode: number; details: Record<string, unknown> };
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/0002_uniq\.json: operations\[0\]\.addIndex\.columns: existing rows of "t" share their values of "a"[^]*\nApplied by this run before it, and left so: 0001_fill \(now backfilled\); nothing of the refused migration ran\.$/);
      expect(err.details.applied).toEqual(['0001_fill']);
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_fill', 'backfilled'], ['0002_uniq', 'pending']]);
    });

    it('campaign AE: a column named _xc_key, a GiST key over point(x, y), a check over the value as the column stores it', async () => {
      const s = await setup(target, [`CREATE TABLE k (id int PRIMARY KEY, _xc_key int, qty int, x float, y float, at ${pg ? 'timestamp' : 'datetime'})`, `INSERT INTO k VALUES (1, 1, 1, 0, 0, '2026-12-05 09:00:00')`], 'xc_decl');
      const gist = pg ? [{ addIndex: { table: 'k', name: 'k_xy', method: 'gist', columns: [{ expression: 'point(x, y)' }] } }] : [];
      const partial = pg ? [{ addIndex: { table: 'k', name: 'k_pos', columns: ['qty'], where: 'qty > 0' } }] : [];
      await s.write('0001_x', { addCheck: { table: 'k', name: 'k_qty', expression: 'qty >= 0' } }, ...partial, ...gist, { addColumn: { table: 'k', column: { name: 'day', type: 'date', check: { expression: `day <= '2026-12-05'` } }, up: 'at' } });
      await s.xc.plan();
      // Stored as a date, 2026-12-05 09:00 is 2026-12-05, which `day > '2026-12-05'` refuses (the timestamp is later).
      await s.write('0001_x', { addColumn: { table: 'k', column: { name: 'day', type: 'date', check: { expression: `day > '2026-12-05'` } }, up: 'at' } });
      await refused(s, ['k'], /addColumn\.column\.check\.expression: `up` gives existing rows a value the column's check refuses/);
      if (!pg) {
        // STORED, as xc creates it: database() is taken by a VIRTUAL column, not by a STORED one.
        await s.write('0001_x', { createTable: { table: 'g', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'a', type: 'varchar(20)' }, { name: 'h', type: 'varchar(90)', generated: { expression: `concat(a, '@', database())` } }] } });
        await refused(s, ['k'], /createTable\.columns\[2\]\.generated\.expression: .*database\(\)/);
      }
    });

    it.runIf(pg)('an index a type change builds again over its copy or shadow, an addIndex the server would not build: refused at plan, nothing done (AE-03)', async () => {
      // Over a timestamptz, (ts AT TIME ZONE 'UTC')::date is immutable; over a timestamp, AT TIME ZONE gives a
      // timestamptz whose ::date depends on the session's time zone, which no index takes.
      const s = await setup(target, [...ddl, `CREATE INDEX t_day ON t (((ts AT TIME ZONE 'UTC')::date)) WHERE a > 0`, `CREATE INDEX t_a_pattern ON t ((a::text) text_pattern_ops)`], 'xc_decl');
      await s.write('0001_x', { alterColumn: { table: 't', column: 'ts', type: 'timestamp', up: `ts AT TIME ZONE 'UTC'`, down: `ts AT TIME ZONE 'UTC'` } });
      await refused(s, ['t'], /operations\[0\]\.alterColumn\.type: index "t_day" of "t" is built again at expand over "ts" as timestamp, and the server would refuse it: functions in index expression must be marked IMMUTABLE — drop it before this expand, with a `sql` operation of an earlier migration applied on its own first \(`xc apply <its id>`; `dropIndex` drops only at its own contract\)/);
      await s.write('0001_x', { alterColumn: { table: 't', column: 'ts', to: 'at', type: 'timestamp', up: `ts AT TIME ZONE 'UTC'`, down: `at AT TIME ZONE 'UTC'` } });
      await refused(s, ['t'], /operations\[0\]\.alterColumn\.type: index "t_day" of "t" is built again at expand/);
      // An array's text form is only STABLE.
      await s.write('0001_x', { alterColumn: { table: 't', column: 'a', type: 'int[]', up: 'ARRAY[a]', down: 'a[1]' } });
      await refused(s, ['t'], /operations\[0\]\.alterColumn\.type: index "t_a_pattern" of "t" is built again at expand over "a" as int\[\], and the server would refuse it: functions in index expression must be marked IMMUTABLE/);
      await s.write(
        '0001_x',
        { addIndex: { table: 't', name: 't_i1', columns: [{ name: 'a', opclass: 'text_pattern_ops' }] } },
        { addIndex: { table: 't', name: 't_i2', columns: ['a'], storageParameters: 'fillfactr=70' } },
        { addIndex: { table: 't', name: 't_i3', columns: ['ts'], method: 'gin' } },
      );
      const messages = await rejection(s.xc.plan());
      expect(messages.message).toMatch(/operations\[0\]\.addIndex: index "t_i1" of "t" cannot be built as given: operator class "text_pattern_ops" does not accept data type integer/);
      expect(messages.message).toMatch(/operations\[1\]\.addIndex: index "t_i2" of "t" cannot be built as given: unrecognized parameter "fillfactr"/);
      expect(messages.message).toMatch(/operations\[2\]\.addIndex: index "t_i3" of "t" cannot be built as given: .*no default operator class for access method "gin"/);
      await refused(s, ['t'], /t_i1/);
      // The way, as said (campaign DS: "drop it first (dropIndex)" still had the index there at this expand).
      await s.write('0001_x', { alterColumn: { table: 't', column: 'ts', type: 'timestamp', up: `ts AT TIME ZONE 'UTC'`, down: `ts AT TIME ZONE 'UTC'` } });
      await s.write('0000_drop', { sql: { expand: 'DROP INDEX CONCURRENTLY t_day', rollback: `CREATE INDEX CONCURRENTLY t_day ON t (((ts AT TIME ZONE 'UTC')::date)) WHERE a > 0` } });
      await s.xc.apply({ id: '0000_drop' });
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled']);
    });

    it.runIf(pg)('indexes a type change builds again that the new type takes, and addIndex options the server takes, go through to contract', async () => {
      const s = await setup(target, [...ddl, `CREATE INDEX t_day ON t (((ts AT TIME ZONE 'UTC')::date)) WHERE a > 0`, `CREATE INDEX t_inc ON t (id) INCLUDE (a)`], 'xc_decl');
      await s.write(
        '0001_x',
        { alterColumn: { table: 't', column: 'a', type: 'bigint' } },
        { addIndex: { table: 't', name: 't_ts', columns: [{ name: 'ts', collate: undefined, opclass: 'timestamptz_ops' }], method: 'btree', storageParameters: 'fillfactor=70' } },
        { addIndex: { table: 't', name: 't_ts_brin', columns: ['ts'], method: 'brin' } },
      );
      await toContracted(s, '0001_x');
      const indexes = await s.db.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 't' ORDER BY indexname`);
      expect(indexes.map((i) => i.indexname)).toEqual(['t_day', 't_inc', 't_pkey', 't_ts', 't_ts_brin']);
      expect(indexes.find((i) => i.indexname === 't_inc')!.indexdef).toMatch(/INCLUDE \(a\)/);
      expect((await s.db.query<{ data_type: string }>(`SELECT data_type FROM information_schema.columns WHERE table_name = 't' AND column_name = 'a'`))[0]!.data_type).toBe('bigint');
    });

    it('the same declarations written as the server takes them go through to contract', async () => {
      const s = await setup(target, ddl, 'xc_decl');
      const index = pg ? [{ addIndex: { table: 't', columns: [{ expression: 'abs(a)' }], name: 't_abs', where: 'a > 0' } }] : [];
      await s.write(
        '0001_x',
        { addColumn: { table: 't', column: { name: 'n', type: 'int', check: { expression: 'n < 1000' } }, up: 'a' } },
        ...index,
        { createTable: { table: 'g', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'z', type: 'int', check: { expression: 'z < 2' } }, { name: 'h', type: 'int', generated: { expression: 'z + 1' } }] } },
      );
      await toContracted(s, '0001_x');
      expect((await s.db.query<{ id: unknown; n: unknown }>(`SELECT id, n FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.n)])).toEqual([[1, 1], [2, 2]]);
      await s.db.query(`INSERT INTO g (id, z) VALUES (1, 1)`);
      expect((await s.db.query<{ h: unknown }>(`SELECT h FROM g`)).map((r) => Number(r.h))).toEqual([2]);
    });
  });
}
