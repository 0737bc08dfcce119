/**
 * A copy (renameColumn) and an in-place change of another column of the same table, in one migration (campaign EZ).
 * The copy's projection put the new column in the old one's place, where it is added last: the in-place cut-over
 * then placed its column `AFTER a2`, past a VIRTUAL column, which MariaDB refuses with a column dropped in the same
 * ALTER ("INPLACE ADD or DROP of virtual columns cannot be combined with other ALTER TABLE actions") — the contract
 * failed every time, with the old column already gone and no way back. Now the model has the new column where it is.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, setup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`a copy and an in-place change of one table in one migration (${target.name})`, () => {
    const pg = target.name === 'postgres';

    it('beside a generated column: contracted, each column where it is, every value kept', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE t (id bigint PRIMARY KEY, a int, b int, qty int NOT NULL DEFAULT 0, g int ${pg ? 'GENERATED ALWAYS AS (qty * 2) STORED' : 'AS (qty * 2) VIRTUAL'})`,
          `INSERT INTO t (id, a, b, qty) VALUES (1, 10, 100, 1), (2, 20, 200, 2), (3, NULL, 2147483647, 3)`,
        ],
        'xc_copyinplace',
      );
      await s.write('0001_ab', { renameColumn: { table: 't', from: 'a', to: 'a2' } }, { alterColumn: { table: 't', column: 'b', type: 'bigint' } });
      await s.xc.apply();
      await record(s.xc, '0001_ab');
      await s.xc.contract();

      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      // Where they are: a2 last (added there at expand); b in its place on MariaDB, last on PostgreSQL (README: it cannot move a column).
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(pg ? ['id', 'qty', 'g', 'a2', 'b'] : ['id', 'b', 'qty', 'g', 'a2']);
      expect((await s.db.columns('t')).find((c) => c.name === 'b')!.type).toMatch(/^bigint/);
      await s.db.query(`INSERT INTO t (id, a2, b, qty) VALUES (4, 40, 9000000000, 4)`);
      expect((await s.db.query<Record<string, unknown>>(`SELECT id, a2, b, qty, g FROM t ORDER BY id`)).map((r) => Object.values(r).map((v) => (v === null ? null : String(v))))).toEqual([
        ['1', '10', '100', '1', '2'],
        ['2', '20', '200', '2', '4'],
        ['3', null, '2147483647', '3', '6'],
        ['4', '40', '9000000000', '4', '8'],
      ]);
    });
  });
}
