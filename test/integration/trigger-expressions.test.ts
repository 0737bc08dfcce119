/**
 * Author expressions the dual-write triggers evaluate: every value an old-version writer's row gets from a trigger
 * equals what the backfill's UPDATE gives, and no old-version write fails. Campaign AE found MariaDB's rewrite to
 * NEW.`col` misreading EXTRACT's FROM, a double-quoted string, a subquery's aliases and comma joins, and a check
 * naming its table: wrong values with exit 0, or every old-version write failing. Both servers.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, rejection, setup, toContracted, type Setup } from '../helpers/scenario.js';
import { Writer, type Query } from '../helpers/writers.js';

/** Apply while an old-version writer writes, from before it to after; the writer, stopped, none of its writes failed. */
async function applyWhileOldWrites(s: Setup, next: (i: number) => Query): Promise<Writer> {
  const old = new Writer(await s.db.connection(), next, 1).start();
  await new Promise((r) => setTimeout(r, 100));
  await s.xc.apply();
  await new Promise((r) => setTimeout(r, 200));
  await old.stop();
  expect(old.errors).toEqual([]);
  return old;
}

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`expressions in triggers (${target.name})`, () => {
    it('campaign AE: EXTRACT(YEAR FROM …) beside a `year` column, TRIM(BOTH FROM …), a double-quoted string, a subquery\'s ORDER BY alias, aliases and a comma-joined table named like the row\'s columns: old writers\' rows equal backfilled ones, no write fails', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY, name varchar(40), created_at ${pg ? 'timestamp' : 'datetime'}, year int, p int, status varchar(10), email varchar(40))`,
        `CREATE TABLE posts (id int PRIMARY KEY, user_id int NOT NULL, score int NOT NULL)`,
        `CREATE TABLE status (id int PRIMARY KEY, label varchar(10))`,
        `INSERT INTO status VALUES (1, 'a'), (2, 'b')`,
        ...Array.from({ length: 40 }, (_, i) => `INSERT INTO users VALUES (${i + 1}, ' u${i} ', '20${10 + (i % 9)}-03-04 05:06:07', ${i}, ${i}, 's', 'e${i}')`),
        ...Array.from({ length: 120 }, (_, i) => `INSERT INTO posts VALUES (${i + 1}, ${(i % 45) + 1}, ${(i * 37) % 23})`),
      ], 'xc_trig_expr');
      const expressions: Record<string, string> = {
        yr: 'EXTRACT(YEAR FROM created_at)',
        trimmed: 'TRIM(BOTH FROM name)',
        tag: pg ? `'name' || ':' || name` : `CONCAT("name", ':', name)`,
        best: '(SELECT q.score AS name FROM posts q WHERE q.user_id = users.id ORDER BY name DESC, q.id LIMIT 1)',
        by_alias: '(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id)',
        by_email: '(SELECT COUNT(*) FROM posts email WHERE email.user_id = users.id)',
        joined: `(SELECT COUNT(*) FROM posts q, status WHERE q.user_id = users.id AND status.label = 'a')`,
      };
      // What each expression gives over the table, written without the names the rewrite misread.
      const expected: Record<string, string> = {
        ...expressions,
        tag: pg ? `'name:' || name` : `CONCAT('name:', name)`,
        best: '(SELECT q.score FROM posts q WHERE q.user_id = users.id ORDER BY q.score DESC, q.id LIMIT 1)',
        by_alias: '(SELECT COUNT(*) FROM posts x WHERE x.user_id = users.id)',
        by_email: '(SELECT COUNT(*) FROM posts x WHERE x.user_id = users.id)',
      };
      const types: Record<string, string> = { yr: 'int', trimmed: 'varchar(40)', tag: 'varchar(60)' };
      await s.write('0001_m', ...Object.entries(expressions).map(([name, up]) => ({ addColumn: { table: 'users', column: { name, type: types[name] ?? 'int', nullable: true }, up } })));
      await s.xc.plan();
      // Old version: inserts (users 46..) and updates of the columns the expressions read; posts of users 41–45 are there already.
      const old = new Writer(await s.db.connection(), (i) =>
        i % 2 === 0
          ? { sql: `INSERT INTO users (id, name, created_at, year, p, status, email) VALUES (?, ?, ?, 1, 2, 's', 'e')`, params: [41 + i / 2, ` o${i} `, `20${20 + (i % 7)}-01-02 03:04:05`] }
          : { sql: `UPDATE users SET name = ?, created_at = ? WHERE id = ?`, params: [`  w${i}`, `199${i % 10}-12-31 23:00:00`, (i % 40) + 1] },
      1).start();
      await new Promise((r) => setTimeout(r, 150));
      await s.xc.apply();
      // New version: omits every new column, which the triggers fill.
      const fresh = new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)`, params: [5000 + i, `n${i}`, '2024-02-03 04:05:06'] }), 1).start();
      await new Promise((r) => setTimeout(r, 300));
      await old.stop();
      await fresh.stop();
      expect([...old.errors, ...fresh.errors]).toEqual([]);
      expect(old.writes).toBeGreaterThan(4);
      const disagreeing = async () => {
        const wrong: unknown[] = [];
        for (const [name, e] of Object.entries(expected)) {
          const same = pg ? `${name} IS NOT DISTINCT FROM (${e})` : `${name} <=> (${e})`;
          const rows = await s.db.query<{ id: number; got: unknown; want: unknown }>(`SELECT id, ${name} AS got, ${e} AS want FROM users WHERE NOT (${same})`);
          wrong.push(...rows.map((r) => ({ column: name, ...r })));
        }
        return wrong;
      };
      expect(await disagreeing()).toEqual([]);
      expect(Number((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM users`))[0]!.n)).toBe(40 + Math.ceil(old.writes / 2) + fresh.writes);
      await toContracted(s, '0001_m');
      expect(await disagreeing()).toEqual([]);
      // After contract the columns are plain: an old-shape insert leaves them NULL, as the README says.
    });

    it('campaign AE: checks naming their table (`accounts.email`) or reading EXTRACT(YEAR FROM …): old writers keep writing, a breaking write is refused before and after contract', async () => {
      const s = await setup(target, [
        `CREATE TABLE accounts (id int PRIMARY KEY, email varchar(40), created_at ${pg ? 'timestamp' : 'datetime'})`,
        ...Array.from({ length: 20 }, (_, i) => `INSERT INTO accounts VALUES (${i + 1}, 'a${i}@x', '2015-01-01 00:00:00')`),
      ], 'xc_trig_expr');
      await s.write('0001_checks',
        { addCheck: { table: 'accounts', name: 'email_at', expression: `accounts.email LIKE '%@%'` } },
        { addCheck: { table: 'accounts', name: 'recent', expression: 'EXTRACT(YEAR FROM created_at) >= 2000' } });
      const old = await applyWhileOldWrites(s, (i) =>
        i % 2 === 0
          ? { sql: `INSERT INTO accounts VALUES (?, ?, '2021-01-01 00:00:00')`, params: [100 + i, `o${i}@x`] }
          : { sql: `UPDATE accounts SET email = ? WHERE id = ?`, params: [`u${i}@x`, (i % 20) + 1] });
      expect(old.writes).toBeGreaterThan(2);
      const refusedWrites = async () => {
        for (const [email, at] of [['nope', '2021-01-01 00:00:00'], ['ok@x', '1990-01-01 00:00:00']]) {
          const err = await rejection(s.db.query(`INSERT INTO accounts VALUES (9999, ?, ?)`, [email, at]));
          expect(err.message).toMatch(pg ? /violates check constraint "(email_at|recent)"/ : /CONSTRAINT `(email_at|recent)` failed/);
        }
      };
      await refusedWrites();
      await toContracted(s, '0001_checks');
      await refusedWrites();
      expect(Number((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM accounts`))[0]!.n)).toBe(20 + Math.ceil(old.writes / 2));
    });

    it.runIf(!pg)('campaign AH (MariaDB): what the server reads otherwise over NEW than over a column (FIND_IN_SET over a SET, YEAR = 99, a BIGINT BETWEEN strings, DEFAULT(col)), `a--b`, an executable comment, 0x1F, a backticked column in a check: old writers\' rows equal backfilled ones, no write fails', async () => {
      const s = await setup(target, [
        `CREATE TABLE t (id int PRIMARY KEY, roles set('user','editor','admin'), yr year, big bigint, a int DEFAULT 7, b int, x1F int, d date)`,
        ...Array.from({ length: 12 }, (_, i) => `INSERT INTO t VALUES (${i + 1}, '${['user,admin', 'admin', 'editor'][i % 3]}', ${1995 + i}, ${9007199254740990 + i}, ${i % 4 ? i : 'NULL'}, ${i}, ${i}, '2015-0${1 + (i % 9)}-01')`),
      ], 'xc_trig_expr');
      const expressions: Record<string, string> = {
        c_role: `FIND_IN_SET('admin', roles)`,
        c_yr: 'yr = 99',
        c_big: `big BETWEEN '9007199254740993' AND '9007199254740999'`,
        c_def: 'COALESCE(a, DEFAULT(a))',
        c_neg: 'a--b',
        c_exec: 'a + /*! b + */ 0',
        c_hex: '0x1F + x1F',
      };
      await s.write('0001_m',
        ...Object.entries(expressions).map(([name, up]) => ({ addColumn: { table: 't', column: { name, type: 'bigint', nullable: true }, up } })),
        { addCheck: { table: 't', name: 'd_recent', expression: 'EXTRACT(YEAR FROM `d`) >= 2000' } });
      await applyWhileOldWrites(s, (i) =>
        i % 2 === 0
          ? { sql: `INSERT INTO t (id, roles, yr, big, a, b, x1F, d) VALUES (?, ?, ?, ?, ?, ?, ?, '2020-01-01')`, params: [100 + i, ['user,admin', 'editor,admin', 'admin'][i % 3], 1999, 9007199254740992, i % 4 ? null : i, i, i] }
          : { sql: `UPDATE t SET roles = 'editor,admin', yr = 1999, big = 9007199254740992, a = NULL, b = b + 1 WHERE id = ?`, params: [(i % 12) + 1] });
      const disagreeing = async () => {
        const wrong: unknown[] = [];
        for (const [name, e] of Object.entries(expressions)) wrong.push(...(await s.db.query(`SELECT id, ${name} AS got, ${e} AS want FROM t WHERE NOT (${name} <=> (${e}))`)).map((r) => ({ column: name, ...(r as object) })));
        return wrong;
      };
      expect(await disagreeing()).toEqual([]);
      const err = await rejection(s.db.query(`INSERT INTO t (id, d) VALUES (9999, '1990-01-01')`));
      expect(err.message).toMatch(/CONSTRAINT `d_recent` failed/);
      await toContracted(s, '0001_m');
      expect(await disagreeing()).toEqual([]);
      await s.db.query(`INSERT INTO t (id, d) VALUES (9998, '2021-01-01')`);
    });

    it('campaign AH: a check of an earlier migration over a column renamed now: the new version\'s writes through the new name are checked too, and the contract goes through (MariaDB: they passed unchecked, the contract failed on them and stayed contracting)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int)`, `INSERT INTO t VALUES (1, 1), (2, 2)`], 'xc_trig_expr');
      // Two checks from two migrations: the sync trigger goes before the first pair to fire, whichever sorts first by name.
      for (const [id, name, expression] of [['0001_check', 'a_pos', 'a > 0'], ['0002_check', 'a_small', 'a < 100']] as const) {
        await s.write(id, { addCheck: { table: 't', name, expression } });
        await toContracted(s, id);
      }
      await s.write('0003_rename', { renameColumn: { table: 't', from: 'a', to: 'a2' } });
      await s.xc.apply();
      const refusedWrite = async (sql: string) => expect((await rejection(s.db.query(sql))).message).toMatch(pg ? /violates check constraint "a_(pos|small)"/ : /CONSTRAINT `a_(pos|small)` failed/);
      // The new version names a2 (PostgreSQL: through its versioned view; here the table itself, as a MariaDB writer does).
      if (!pg) {
        await refusedWrite(`INSERT INTO t (id, a2) VALUES (3, -1)`);
        await refusedWrite(`UPDATE t SET a2 = -2 WHERE id = 1`);
        await refusedWrite(`INSERT INTO t (id, a2) VALUES (6, 1000)`);
        await refusedWrite(`UPDATE t SET a2 = 2000 WHERE id = 1`);
        await s.db.query(`INSERT INTO t (id, a2) VALUES (4, 4)`);
      }
      await refusedWrite(`INSERT INTO t (id, a) VALUES (5, -5)`);
      await refusedWrite(`UPDATE t SET a = -1 WHERE id = 2`);
      await toContracted(s, '0003_rename');
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted', 'contracted']);
      await refusedWrite(`UPDATE t SET a2 = -3 WHERE id = 1`);
      expect((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM t WHERE a2 <= 0 OR a2 >= 100`)).map((r) => Number(r.n))).toEqual([0]);
    });

    it('a column named through its table (`t.a`): an `up` reading `t.a` is recomputed when an old writer changes a, a check `t.x > 0` follows the rename of x and goes with its drop, and writes go on after each contract (both servers: t.a was not counted as reading a)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int, x int)`, ...Array.from({ length: 10 }, (_, i) => `INSERT INTO t VALUES (${i + 1}, ${i}, ${i + 1})`)], 'xc_trig_expr');
      await s.write('0001_up', { addColumn: { table: 't', column: { name: 'b', type: 'int', nullable: true }, up: 't.a + 1' } }, { addCheck: { table: 't', name: 'x_pos', expression: 't.x > 0' } });
      const old = await applyWhileOldWrites(s, (i) =>
        i % 2 === 0 ? { sql: `INSERT INTO t (id, a, x) VALUES (?, ?, 1)`, params: [100 + i, i] } : { sql: `UPDATE t SET a = a + 10 WHERE id = ?`, params: [(i % 10) + 1] });
      expect(old.writes).toBeGreaterThan(2);
      const stale = async () => s.db.query(`SELECT id, a, b FROM t WHERE ${pg ? 'b IS DISTINCT FROM a + 1' : 'NOT (b <=> a + 1)'}`);
      expect(await stale()).toEqual([]);
      await toContracted(s, '0001_up');
      expect(await stale()).toEqual([]);
      const refused = async (sql: string) => expect((await rejection(s.db.query(sql))).message).toMatch(pg ? /violates check constraint "x_pos"/ : /CONSTRAINT `x_pos` failed/);
      await s.write('0002_rename', { renameColumn: { table: 't', from: 'x', to: 'y' } });
      await applyWhileOldWrites(s, (i) => ({ sql: `UPDATE t SET x = ? WHERE id = ?`, params: [i + 1, (i % 10) + 1] }));
      await refused(`UPDATE t SET x = -1 WHERE id = 1`);
      await toContracted(s, '0002_rename');
      await refused(`UPDATE t SET y = -1 WHERE id = 1`);
      await s.db.query(`INSERT INTO t (id, a, y) VALUES (900000, 1, 5)`);
      await s.write('0003_drop', { dropColumn: { table: 't', column: 'y' } });
      await toContracted(s, '0003_drop');
      await s.db.query(`INSERT INTO t (id, a) VALUES (900001, 2)`);
      await s.db.query(`UPDATE t SET a = 3 WHERE id = 1`);
      // After contract b is a plain column: an old-shape insert leaves it NULL.
      expect(await s.db.query(`SELECT id, a, b FROM t WHERE id IN (1, 900001) ORDER BY id`)).toEqual([{ id: 1, a: 3, b: expect.anything() }, { id: 900001, a: 2, b: null }]);
    });

    it('a check the same migration adds before it renames the check\'s column: the new version\'s writes through the new name are checked from expand on, and the contract goes through (MariaDB: the check fired before the sync trigger, a new writer\'s -1 passed and the contract stayed contracting)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int, b int)`, `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`], 'xc_trig_expr');
      await s.write('0001_check_then_rename',
        { addCheck: { table: 't', name: 'a_pos', expression: 'a > 0' } },
        { addCheck: { table: 't', name: 'b_pos', expression: 'b > 0' } },
        { renameColumn: { table: 't', from: 'a', to: 'a2' } });
      await applyWhileOldWrites(s, (i) => ({ sql: `UPDATE t SET a = ? WHERE id = ?`, params: [i + 1, (i % 2) + 1] }));
      const refusedWrite = async (sql: string) => expect((await rejection(s.db.query(sql))).message).toMatch(pg ? /violates check constraint "a_pos"/ : /CONSTRAINT `a_pos` failed/);
      if (!pg) {
        await refusedWrite(`INSERT INTO t (id, a2, b) VALUES (3, -1, 1)`);
        await refusedWrite(`UPDATE t SET a2 = -2 WHERE id = 1`);
        await s.db.query(`INSERT INTO t (id, a2, b) VALUES (4, 4, 4)`);
      }
      await refusedWrite(`INSERT INTO t (id, a, b) VALUES (5, -5, 1)`);
      await refusedWrite(`UPDATE t SET a = -1 WHERE id = 2`);
      await toContracted(s, '0001_check_then_rename');
      await refusedWrite(`UPDATE t SET a2 = -3 WHERE id = 1`);
      expect((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM t WHERE a2 <= 0`)).map((r) => Number(r.n))).toEqual([0]);
    });

    it('campaigns AJ, AK: checks naming their row by the table (`t.x`, quoted too) through a renameTable, then a renameColumn or dropColumn of their column, in later migrations or the same one: writes go on and stay checked (MariaDB: the check trigger kept reading the old column, every write failed, or the contract failed and stayed contracting)', async () => {
      const quoted = pg ? '"t".x < 1000' : '`t`.`x` < 1000';
      const s = await setup(target, [
        `CREATE TABLE t (id int PRIMARY KEY, x int, y int)`, `CREATE TABLE s (id int PRIMARY KEY, x int)`,
        `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`, `INSERT INTO s VALUES (1, 1)`,
      ], 'xc_trig_expr');
      await s.write('0001_checks',
        { addCheck: { table: 't', name: 'x_pos', expression: 't.x > 0' } },
        { addCheck: { table: 't', name: 'x_small', expression: quoted } },
        { addCheck: { table: 's', name: 's_pos', expression: 's.x > 0' } });
      await toContracted(s, '0001_checks');
      await s.write('0002_rename_tables', { renameTable: { from: 't', to: 'u' } }, { renameTable: { from: 's', to: 's2' } }, { renameColumn: { table: 's2', from: 'x', to: 'x2' } });
      await toContracted(s, '0002_rename_tables');
      const refused = async (sql: string, check: string) => expect((await rejection(s.db.query(sql))).message).toMatch(pg ? new RegExp(`violates check constraint "${check}"`) : new RegExp(`CONSTRAINT \`${check}\` failed`));
      await refused(`INSERT INTO s2 (id, x2) VALUES (9, -1)`, 's_pos');
      await s.db.query(`INSERT INTO s2 (id, x2) VALUES (10, 10)`);
      await s.write('0003_rename_column', { renameColumn: { table: 'u', from: 'x', to: 'x2' } });
      await applyWhileOldWrites(s, (i) => ({ sql: `UPDATE u SET x = ? WHERE id = ?`, params: [i + 1, (i % 2) + 1] }));
      await toContracted(s, '0003_rename_column');
      await refused(`INSERT INTO u (id, x2, y) VALUES (9, -1, 1)`, 'x_pos');
      await refused(`UPDATE u SET x2 = 5000 WHERE id = 1`, 'x_small');
      await s.db.query(`INSERT INTO u (id, x2, y) VALUES (10, 10, 10)`);
      await s.write('0004_drop', { dropColumn: { table: 'u', column: 'x2' } });
      await toContracted(s, '0004_drop');
      await s.db.query(`INSERT INTO u (id, y) VALUES (11, 11)`);
      await s.db.query(`UPDATE u SET y = 12 WHERE id = 1`);
      expect((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM u`)).map((r) => Number(r.n))).toEqual([4]);
    });

    it.runIf(pg)('campaign AJ: an index over `lower(t.name)` or `where t.name <> …` that the same migration adds and renames the column of survives the contract, over the new name (its copy was built over the old column and went with it)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, name text)`, `INSERT INTO t VALUES (1, 'A'), (2, 'b')`], 'xc_trig_expr');
      await s.write('0001_m',
        { addIndex: { table: 't', name: 'ix_lname', columns: [{ expression: 'lower(t.name)' }] } },
        { addIndex: { table: 't', name: 'ix_part', columns: ['id'], where: "t.name <> 'zz'" } },
        { renameColumn: { table: 't', from: 'name', to: 'nm' } });
      await toContracted(s, '0001_m');
      expect(await s.db.query(`SELECT indexname, regexp_replace(indexdef, '^.* USING ', '') AS def FROM pg_indexes WHERE tablename = 't' ORDER BY indexname`)).toEqual([
        { indexname: 'ix_lname', def: 'btree (lower(nm))' },
        { indexname: 'ix_part', def: "btree (id) WHERE (nm <> 'zz'::text)" },
        { indexname: 't_pkey', def: 'btree (id)' },
      ]);
    });

    it('campaign AL: a table renamed like one of its columns, then that column renamed: a check naming the row by the table keeps working (MariaDB: its trigger listed NEW.`a` for the qualifier, every write failed, the contract stayed contracting); a subquery aliasing another table as the row\'s is refused at plan (a rename rewrote `t.a` there)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int, k int)`, `CREATE TABLE posts (id int PRIMARY KEY, a int)`, `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`, `INSERT INTO posts VALUES (1, 1)`], 'xc_trig_expr');
      await s.write('0001_c', { addCheck: { table: 't', name: 'c_sub', expression: '(SELECT COUNT(*) FROM posts t WHERE t.a = 1) = 1 AND k > 0' } });
      await refused(s, ['t', 'posts'], /operations\[0\]\.addCheck\.expression: a subquery names a table "t" — this row's table read again without an alias, or another table aliased so — and .t.\.<column> inside it names the subquery's row/);
      await s.write('0001_c', { addCheck: { table: 't', name: 'c_a', expression: 't.a > 0 AND t.k > 0' } });
      await toContracted(s, '0001_c');
      await s.write('0002_ta', { renameTable: { from: 't', to: 'a' } });
      await toContracted(s, '0002_ta');
      await s.write('0003_ac', { renameColumn: { table: 'a', from: 'a', to: 'c' } });
      await applyWhileOldWrites(s, (i) => ({ sql: `UPDATE a SET a = ? WHERE id = ?`, params: [i + 1, (i % 2) + 1] }));
      await toContracted(s, '0003_ac');
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted', 'contracted']);
      await s.db.query(`INSERT INTO a (id, c, k) VALUES (9, 9, 9)`);
      const err = await rejection(s.db.query(`UPDATE a SET c = -1 WHERE id = 9`));
      expect(err.message).toMatch(pg ? /violates check constraint "c_a"/ : /CONSTRAINT `c_a` failed/);
    });

    it('campaign AN: a check whose subquery names another source\'s `a` (`x.a`, `AS a`) beside the row\'s `a`, then `a` renamed (MariaDB): the contract goes through and writes go on (its trigger listed NEW.`a`, stuck contracting, every write failed); a derived table aliased as the row\'s table is refused at plan', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL)`, ...Array.from({ length: 5 }, (_, i) => `INSERT INTO t VALUES (${i + 1}, ${i})`)], 'xc_trig_expr');
      await s.write('0001_m', { addCheck: { table: 't', name: 'c1', expression: 't.a > (SELECT min(t.a) - 100 FROM (SELECT 5 AS a) t)' } });
      await refused(s, ['t'], /operations\[0\]\.addCheck\.expression: a subquery names a table "t"/);
      if (pg) return; // PostgreSQL's CHECK takes no subquery (plan refuses it, as the server does)
      await s.write('0001_m', { addCheck: { table: 't', name: 'c1', expression: 'a > (SELECT min(x.a) - 100 FROM (SELECT 5 AS a) x)' } }, { renameColumn: { table: 't', from: 'a', to: 'b' } });
      await applyWhileOldWrites(s, (i) => ({ sql: `UPDATE t SET a = ? WHERE id = ?`, params: [i, (i % 5) + 1] }));
      await toContracted(s, '0001_m');
      await s.db.query(`INSERT INTO t (id, b) VALUES (9, 9)`);
      await s.db.query(`UPDATE t SET b = b + 1 WHERE id = 1`);
      expect((await rejection(s.db.query(`UPDATE t SET b = -500 WHERE id = 1`))).message).toMatch(pg ? /violates check constraint "c1"/ : /CONSTRAINT `c1` failed/);
    });
    // Each: a check made on `t`, `t` renamed `u` (both contracted), then one migration over the check's columns; the
    // columns the check reads afterwards, and whether it is still there.
    const sinceRenamed: Array<[string, object[], string[], boolean]> = [
      ['a renameColumn, then a change in place', [{ renameColumn: { table: 'u', from: 'a', to: 'a2' } }, { alterColumn: { table: 'u', column: 'b', type: 'bigint' } }], ['a2', 'b'], true],
      ['a change in place, then a renameColumn', [{ alterColumn: { table: 'u', column: 'b', type: 'bigint' } }, { renameColumn: { table: 'u', from: 'a', to: 'a2' } }], ['a2', 'b'], true],
      ['two changes in place', [{ alterColumn: { table: 'u', column: 'b', type: 'bigint' } }, { alterColumn: { table: 'u', column: 'a', type: 'bigint' } }], ['a', 'b'], true],
      ['a change in place, then a dropColumn', [{ alterColumn: { table: 'u', column: 'b', type: 'bigint' } }, { dropColumn: { table: 'u', column: 'a' } }], ['b'], false],
    ];
    for (const [what, ops, columns, checked] of sinceRenamed) {
      it(`campaign AN: a check's table renamed since it was made, then ${what} in one migration: the contract finishes, the check holds over the new shape or is gone with its column (MariaDB: its pair was made twice, "Trigger … already exists", stuck contracting; or the old pair stayed, reading a column gone: every write failed)`, async () => {
        const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL)`, ...Array.from({ length: 5 }, (_, i) => `INSERT INTO t VALUES (${i + 1}, ${i + 1}, ${i + 1})`)], 'xc_trig_expr');
        await s.write('0001_check', { addCheck: { table: 't', name: 'c_ab', expression: 't.a > 0 AND b > 0' } });
        await toContracted(s, '0001_check');
        await s.write('0002_rename_table', { renameTable: { from: 't', to: 'u' } });
        await toContracted(s, '0002_rename_table');
        await s.write('0003_m', ...(ops as never[]));
        await applyWhileOldWrites(s, (i) => ({ sql: `UPDATE u SET a = ?, b = ? WHERE id = ?`, params: [i + 1, i + 2, (i % 5) + 1] }));
        await toContracted(s, '0003_m');
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted', 'contracted']);
        await s.db.query(`INSERT INTO u (id, ${columns.join(', ')}) VALUES (9, ${columns.map(() => 9).join(', ')})`);
        for (const c of columns) {
          const write = s.db.query(`UPDATE u SET ${c} = -1 WHERE id = 9`);
          if (checked) expect((await rejection(write)).message).toMatch(pg ? /violates check constraint "c_ab"/ : /CONSTRAINT `c_ab` failed/);
          else await write;
        }
        expect((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM u WHERE ${columns.map((c) => `${c} > 0`).join(' AND ')}`)).map((r) => Number(r.n))).toEqual([checked ? 6 : 5]);
      });
    }
    it("campaign AR: a table renamed, and another table renamed to its old name, each with a check of the same name: each keeps its own check through a renameColumn, and a check added to a new table under that name is enforced (MariaDB: trigger names are the schema's — the new one's pair was skipped as made, or the rename removed the other table's)", async () => {
      const s = await setup(target, [], 'xc_trig_expr');
      const table = (name: string) => ({ createTable: { table: name, columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'a', type: 'int' }] } });
      const steps: [string, object][] = [
        ['0001_t', table('t')], ['0002_check', { addCheck: { table: 't', name: 'c_a', expression: 'a > 0' } }], ['0003_tu', { renameTable: { from: 't', to: 'u' } }],
        ['0004_x', table('x')], ['0005_check', { addCheck: { table: 'x', name: 'c_a', expression: 'a < 100' } }], ['0006_xt', { renameTable: { from: 'x', to: 't' } }],
        ['0007_rename', { renameColumn: { table: 't', from: 'a', to: 'a2' } }],
        ['0008_w', table('w')], ['0009_wu', { renameTable: { from: 'u', to: 'v' } }], ['0010_w_t', { renameTable: { from: 'w', to: 'u' } }],
        ['0011_check', { addCheck: { table: 'u', name: 'c_a', expression: 'a <> 7' } }],
        ['0012_tz', { renameTable: { from: 't', to: 'z' } }], ['0013_t', table('t')], ['0014_check', { addCheck: { table: 't', name: 'c_a', expression: 'a <> 8' } }],
      ];
      for (const [id, op] of steps) {
        await s.write(id, op as never);
        await toContracted(s, id);
      }
      const violation = (name: string) => (pg ? new RegExp(`violates check constraint "${name}"`) : new RegExp(`CONSTRAINT \`${name}\` failed`));
      // v (first t, then u): a > 0; z (first x, then t): a2 < 100; u (first w): a <> 7; t (new): a <> 8.
      expect((await rejection(s.db.query(`INSERT INTO v (id, a) VALUES (1, -1)`))).message).toMatch(violation('c_a'));
      expect((await rejection(s.db.query(`INSERT INTO z (id, a2) VALUES (1, 500)`))).message).toMatch(violation('c_a'));
      expect((await rejection(s.db.query(`INSERT INTO u (id, a) VALUES (1, 7)`))).message).toMatch(violation('c_a'));
      expect((await rejection(s.db.query(`INSERT INTO t (id, a) VALUES (1, 8)`))).message).toMatch(violation('c_a'));
      for (const [table, column] of [['v', 'a'], ['z', 'a2'], ['u', 'a'], ['t', 'a']]) await s.db.query(`INSERT INTO ${table} (id, ${column}) VALUES (2, ${table === 'v' ? 500 : -1})`);
      expect((await s.db.query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM v) + (SELECT COUNT(*) FROM z) + (SELECT COUNT(*) FROM u) + (SELECT COUNT(*) FROM t) AS n`)).map((r) => Number(r.n))).toEqual([4]);
    });
  });
}
