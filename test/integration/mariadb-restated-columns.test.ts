/**
 * MariaDB: a statement restating a column (MODIFY / CHANGE COLUMN) keeps the column's own, column-level CHECK; and
 * a NULL ↔ NOT NULL change the server takes only with a table copy or a write lock is refused at plan, not met at
 * contract or rollback (a rollback failing for ever would leave no way out).
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, rejection, setup } from '../helpers/scenario.js';

const target = targets.find((t) => t.name === 'mysql');
const mariadb = async (s: { db: { query(sql: string): Promise<Record<string, unknown>[]> } }) => /mariadb/i.test(String(Object.values((await s.db.query('SELECT VERSION() AS v'))[0]!)[0]));

if (target) {
  target.describe('MariaDB: restated columns keep their column-level CHECK', () => {
    const table = `CREATE TABLE t (id int PRIMARY KEY, name varchar(50) NOT NULL CHECK (name <> 'bad'), c varchar(20) CHECK (c <> 'bad'), n varchar(20) CHECK (n <> 'bad'))`;
    const enforced = async (s: Awaited<ReturnType<typeof setup>>, id: number) => {
      await expect(s.db.query(`INSERT INTO t (id, name, c, n) VALUES (${id}, 'bad', 'x', 'y')`)).rejects.toThrow(/CONSTRAINT/);
      await expect(s.db.query(`INSERT INTO t (id, name, c, n) VALUES (${id}, 'ok', 'bad', 'y')`)).rejects.toThrow(/CONSTRAINT/);
      await expect(s.db.query(`INSERT INTO t (id, name, c, n) VALUES (${id}, 'ok', 'x', 'bad')`)).rejects.toThrow(/CONSTRAINT/);
      expect((await s.db.checks('t')).filter((k) => k.includes("'bad'")).length).toBe(3);
    };
    const ops = [
      { dropNotNull: { table: 't', column: 'name' } },
      { alterColumn: { table: 't', column: 'c', comment: 'hello' } },
      { setNotNull: { table: 't', column: 'n', up: "coalesce(n, 'none')" } },
    ];
    const typeChange = { alterColumn: { table: 't', column: 'name', type: 'varchar(80)', up: 'name', down: 'name' } };

    for (const [what, migration] of [['dropNotNull, alterColumn comment-only, setNotNull', ops], ['an in-place type change', [typeChange]]] as const) {
      it(`${what}: the checks hold after expand, after contract, and after rollback; both versions' rows kept`, async () => {
        const s = await setup(target, [table, `INSERT INTO t VALUES (1, 'a', 'x', NULL), (2, 'b', NULL, 'z')`], 'xc_ccheck');
        if (!(await mariadb(s))) return;
        await s.write('0001_x', ...migration);
        await s.xc.apply();
        await enforced(s, 10);
        // An old-version and a new-version writer between apply and contract.
        await s.db.query(`INSERT INTO t (id, name, c, n) VALUES (3, 'old', 'o', 'o')`);
        await s.db.query(`INSERT INTO t (id, name, c, n) VALUES (4, 'new', 'w', 'w')`);
        await record(s.xc, '0001_x');
        await s.xc.contract();
        await enforced(s, 11);
        expect(await s.db.query(`SELECT id, name, c FROM t ORDER BY id`)).toEqual([
          { id: 1, name: 'a', c: 'x' }, { id: 2, name: 'b', c: null }, { id: 3, name: 'old', c: 'o' }, { id: 4, name: 'new', c: 'w' },
        ]);

        const r = await setup(target, [table, `INSERT INTO t VALUES (1, 'a', 'x', NULL)`], 'xc_ccheck');
        await r.write('0001_x', ...migration);
        await r.xc.apply();
        await r.db.query(`INSERT INTO t (id, name, c, n) VALUES (3, 'old', 'o', 'o')`);
        await r.xc.rollback();
        await enforced(r, 12);
        expect((await r.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
        expect(await r.db.query(`SELECT id, name FROM t ORDER BY id`)).toEqual([{ id: 1, name: 'a' }, { id: 3, name: 'old' }]);
      });
    }
  });

  target.describe('MariaDB: a column-level CHECK leaves with its column, or with a restatement without it', () => {
    // Campaign P: DROP CONSTRAINT cannot find a column-level check (1091): every contract that dropped one (the old
    // column's, a dropConstraint of it) failed for ever, the migration stuck in `contracting`.
    const table = `CREATE TABLE t (id int PRIMARY KEY, c int CHECK (c > 0))`;
    const cases = [
      { what: 'renameColumn', op: { renameColumn: { table: 't', from: 'c', to: 'c2' } }, after: 'c2', checked: true },
      { what: 'alterColumn with to', op: { alterColumn: { table: 't', column: 'c', to: 'c2', type: 'bigint' } }, after: 'c2', checked: true },
      { what: 'dropColumn', op: { dropColumn: { table: 't', column: 'c' } }, after: null, checked: false },
      { what: 'dropConstraint of it', op: { dropConstraint: { table: 't', name: 'c', up: 'c', down: 'CASE WHEN c > 0 THEN c ELSE 1 END' } }, after: 'c', checked: false },
    ] as const;
    for (const { what, op, after, checked } of cases) {
      it(`${what}: contracts (the check ${checked ? 'carried' : 'gone'}), and rolls back with it`, async () => {
        const s = await setup(target, [table, `INSERT INTO t VALUES (1, 1), (2, 2)`], 'xc_ccheck');
        if (!(await mariadb(s))) return;
        await s.write('0001_x', op);
        await s.xc.apply();
        await record(s.xc, '0001_x');
        await s.xc.contract();
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
        if (after) {
          const insert = s.db.query(`INSERT INTO t (id, ${after}) VALUES (3, 0)`);
          if (checked) await expect(insert).rejects.toThrow(/CONSTRAINT/);
          else await insert;
          expect((await s.db.query(`SELECT id, ${after} AS v FROM t WHERE id < 3 ORDER BY id`)).map((x) => [x.id, Number(x.v)])).toEqual([[1, 1], [2, 2]]);
        }

        const r = await setup(target, [table, `INSERT INTO t VALUES (1, 1)`], 'xc_ccheck');
        await r.write('0001_x', op);
        await r.xc.apply();
        await r.xc.rollback();
        await expect(r.db.query(`INSERT INTO t (id, c) VALUES (3, 0)`)).rejects.toThrow(/CONSTRAINT/);
        expect((await r.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      });
    }
  });

  target.describe('MariaDB: an in-place change of a column with its own CHECK and an index of its name', () => {
    // Campaign R: the cut-over's DROP CONSTRAINT IF EXISTS `c` (for the column's check) dropped the unique key `c`
    // instead, and its DROP INDEX `c` then failed: every contract failed, the migration stuck in `contracting`.
    it('contracts: the check comes back with the column, the key of its name over the new column; the rows kept', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, c int NOT NULL CHECK (c > 0), UNIQUE KEY (c, id))`, `INSERT INTO t VALUES (1, 1), (2, 2)`], 'xc_ccheck');
      if (!(await mariadb(s))) return;
      await s.write('0001_x', { alterColumn: { table: 't', column: 'c', type: 'bigint' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO t (id, c) VALUES (3, 3000000)`);
      await record(s.xc, '0001_x');
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      await s.db.query(`INSERT INTO t (id, c) VALUES (4, 5000000000)`);
      expect((await s.db.query(`SELECT CAST(c AS CHAR) AS c FROM t ORDER BY id`)).map((r) => r.c)).toEqual(['1', '2', '3000000', '5000000000']);
      await expect(s.db.query(`INSERT INTO t (id, c) VALUES (5, 0)`)).rejects.toThrow(/CONSTRAINT/);
      await expect(s.db.query(`INSERT INTO t (id, c) VALUES (1, 1)`)).rejects.toThrow(/Duplicate/);
      const keys = await s.db.query(`SELECT INDEX_NAME AS name, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' GROUP BY INDEX_NAME ORDER BY INDEX_NAME`);
      expect(keys).toEqual([{ name: 'c', cols: 'c,id' }, { name: 'PRIMARY', cols: 'id' }]);
      expect((await s.db.query(`SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'c'`))[0]).toEqual({ t: 'bigint' });
    });
  });

  target.describe('MariaDB: NULL <-> NOT NULL the server cannot change online, refused at plan', () => {
    const stored = `CREATE TABLE acct (id int PRIMARY KEY, name varchar(50) NOT NULL, opt varchar(50), qty int NOT NULL DEFAULT 1, total int AS (qty * 2) STORED)`;
    const stamped = `CREATE TABLE acct (id int PRIMARY KEY, name timestamp NOT NULL DEFAULT current_timestamp(), opt timestamp NULL DEFAULT current_timestamp())`;
    const plain = `CREATE TABLE acct (id int PRIMARY KEY, name varchar(50) NOT NULL, opt varchar(50), qty int NOT NULL DEFAULT 1, total int AS (qty * 2) VIRTUAL)`;
    const cases = (variant: 'stored' | 'timestamp') => [
      { op: { dropNotNull: { table: 'acct', column: 'name' } }, path: /operations\[0\]\.dropNotNull\.column: its rollback \(NOT NULL put back\)/ },
      { op: { setNotNull: { table: 'acct', column: 'opt', up: variant === 'stored' ? "coalesce(opt, 'x')" : 'coalesce(opt, now())' } }, path: /operations\[0\]\.setNotNull\.column: its contract/ },
      { op: { alterColumn: { table: 'acct', column: 'opt', nullable: false, up: variant === 'stored' ? "coalesce(opt, 'x')" : 'coalesce(opt, now())' } }, path: /operations\[0\]\.alterColumn\.nullable: its contract \(NOT NULL\)/ },
      ...(variant === 'stored' ? [{ op: { addColumn: { table: 'acct', column: { name: 'k', type: 'int', nullable: false }, up: '1' } }, path: /operations\[0\]\.addColumn\.column\.nullable: its contract \(NOT NULL\)/ }] : []),
    ];
    for (const [variant, ddl, reason] of [['stored', stored, /"acct" has the STORED generated column "total"/], ['timestamp', stamped, /is a TIMESTAMP column, which MariaDB refuses to make NOT NULL online/]] as const) {
      it(`${variant}: each operation is refused, exit 2, naming why; nothing executed`, async () => {
        for (const { op, path } of cases(variant)) {
          const s = await setup(target, [ddl], 'xc_nnon');
          if (!(await mariadb(s))) return;
          await s.write('0001_x', op);
          await refused(s, ['acct'], new RegExp(`0001_x\\.json: ${path.source}[\\s\\S]*${reason.source}`));
          expect(await rejection(s.xc.status().then(() => s.xc.plan()))).toBeTruthy();
        }
      });
    }

    // createConstraint's primary key makes its nullable columns NOT NULL at contract (found while triaging campaign O's
    // report: plan passed, the contract failed with 1846 and the migration stayed in `contracting`).
    const keyless = {
      stored: `CREATE TABLE keyless (code int, qty int NOT NULL DEFAULT 1, total int AS (qty * 2) STORED)`,
      timestamp: `CREATE TABLE keyless (code timestamp NULL DEFAULT NULL, qty int)`,
    };
    const primaryKey = { createConstraint: { table: 'keyless', name: 'keyless_pk', type: 'primary_key', columns: ['code'] } };
    for (const [variant, reason] of [['stored', /"keyless" has the STORED generated column "total"/], ['timestamp', /is a TIMESTAMP column, which MariaDB refuses to make NOT NULL online/]] as const) {
      it(`${variant}: a primary key over a nullable column is refused, exit 2, naming why; nothing executed`, async () => {
        const s = await setup(target, [keyless[variant]], 'xc_nnon');
        if (!(await mariadb(s))) return;
        await s.write('0001_x', primaryKey);
        await refused(s, ['keyless'], new RegExp(`0001_x\\.json: operations\\[0\\]\\.createConstraint\\.columns\\[0\\]: its contract \\(a primary key column made NOT NULL\\)[\\s\\S]*${reason.source}`));
      });
    }
    it('a primary key over a nullable column of a table without them contracts, the rows kept', async () => {
      const s = await setup(target, [keyless.stored.replace('STORED', 'VIRTUAL'), `INSERT INTO keyless (code, qty) VALUES (1, 2), (2, 3)`], 'xc_nnon');
      if (!(await mariadb(s))) return;
      await s.write('0001_x', primaryKey);
      await s.xc.apply();
      await s.db.query(`INSERT INTO keyless (code, qty) VALUES (3, 4)`);
      await record(s.xc, '0001_x');
      await s.xc.contract();
      expect(await s.db.query(`SELECT code, qty, total FROM keyless ORDER BY code`)).toEqual([{ code: 1, qty: 2, total: 4 }, { code: 2, qty: 3, total: 6 }, { code: 3, qty: 4, total: 8 }]);
      await expect(s.db.query(`INSERT INTO keyless (code, qty) VALUES (NULL, 1)`)).rejects.toThrow();
    });

    it('the same operations on a table without them apply, contract and roll back', async () => {
      for (const op of cases('stored').map((c) => c.op)) {
        for (const end of ['contract', 'rollback'] as const) {
          const s = await setup(target, [plain, `INSERT INTO acct (id, name, opt) VALUES (1, 'a', NULL)`], 'xc_nnon');
          if (!(await mariadb(s))) return;
          await s.write('0001_x', op);
          await s.xc.apply();
          if (end === 'contract') {
            await record(s.xc, '0001_x');
            await s.xc.contract();
          } else await s.xc.rollback();
          expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual([end === 'contract' ? 'contracted' : 'rolled_back']);
        }
      }
    });
  });
}
