/**
 * A copied column that a foreign key's actions change (ON UPDATE CASCADE, ON DELETE SET NULL): renameColumn of the
 * child's key column, cascades from the parent throughout (campaign FC).
 *
 * MySQL/MariaDB run no trigger for a change a key's action makes. The new column held the old key's value: while
 * the parent's keys kept changing, the verify refused every contract; and a cascade between the verify and the
 * contract's key over the new column left the stale value for good — the old column dropped with the right one, the
 * contract's last check failed, the migration left `contracting`. The key now holds over the new column from expand
 * on, and a cascade changes both. PostgreSQL's keys act through statements that fire the sync trigger: the same
 * checks hold there.
 */
import { expect, it } from 'vitest';
import type { XcEvent } from '../../src/index.js';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { record, setup } from '../helpers/scenario.js';
import { foreignKeys, rows } from '../helpers/operations.js';

const schema = [
  `CREATE TABLE p (id int PRIMARY KEY, code varchar(20) NOT NULL UNIQUE)`,
  `CREATE TABLE c2 (id int PRIMARY KEY, p_code varchar(20), v int, CONSTRAINT c2_p_code_fk FOREIGN KEY (p_code) REFERENCES p (code) ON DELETE SET NULL ON UPDATE CASCADE)`,
  `CREATE INDEX c2_p_code_idx ON c2 (p_code)`,
  `INSERT INTO p VALUES (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4'), (5, 'c5')`,
  `INSERT INTO c2 VALUES (10, 'c1', 0), (20, 'c2', 0), (30, 'c3', 0), (40, 'c4', 0), (50, 'c5', 0), (60, NULL, 0)`,
];

/** What each child row holds, by id: the parent's code it references now. */
const childCodes = async (s: Awaited<ReturnType<typeof setup>>, column: string) =>
  Object.fromEntries((await rows(s.db, `SELECT id, ${column} AS v FROM c2 ORDER BY id`)).map((r) => [r.id, r.v]));

for (const target of targets) {
  target.describe(`a copy of a column a foreign key's actions change (${target.name})`, () => {
    const concat = (a: string, b: string) => (target.name === 'postgres' ? `${a} || ${b}` : `CONCAT(${a}, ${b})`);

    it('cascades during dual-write and between the verify and the contract reach the new column: contract goes through, every child row right', async () => {
      const s = await setup(target, schema, 'xc_cascade');
      await s.write('0001_rename', { renameColumn: { table: 'c2', from: 'p_code', to: 'parent_code' } });
      await s.xc.apply();
      // Both versions write meanwhile, the parent's keys change under them.
      await s.db.query(`INSERT INTO c2 (id, p_code, v) VALUES (70, 'c4', 1)`);
      await s.db.query(`INSERT INTO c2 (id, parent_code, v) VALUES (80, 'c5', 2)`);
      await s.db.query(`UPDATE p SET code = ${concat(`'Z'`, 'code')} WHERE id IN (1, 4)`);
      await s.db.query(`DELETE FROM p WHERE id = 2`);
      // The new version reads what the old one does (before: 'c1', 'c2', 'c4' — keys no parent has).
      expect(await childCodes(s, 'parent_code')).toEqual(await childCodes(s, 'p_code'));
      expect(await childCodes(s, 'parent_code')).toEqual({ 10: 'Zc1', 20: null, 30: 'c3', 40: 'Zc4', 50: 'c5', 60: null, 70: 'Zc4', 80: 'c5' });

      await record(s.xc, '0001_rename');
      // Stopped where a kill stops it, after the verify, before the contract's first statement; the parent changes then.
      const stopping = createXc({
        url: s.db.url,
        dir: s.dir,
        onEvent: (e: XcEvent) => {
          if (e.event === 'step' && e.phase === 'contracting') throw new Error('stopped here by the test');
        },
      });
      await expect(stopping.contract()).rejects.toThrow();
      await stopping.close();
      await s.db.query(`UPDATE p SET code = ${concat(`'Y'`, 'code')} WHERE id IN (3, 5)`);
      await s.db.query(`DELETE FROM p WHERE id = 1`);
      await s.xc.contract();

      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      expect(await childCodes(s, 'parent_code')).toEqual({ 10: null, 20: null, 30: 'Yc3', 40: 'Zc4', 50: 'Yc5', 60: null, 70: 'Zc4', 80: 'Yc5' });
      // The key is the child's, under its name, acting as before.
      await s.db.query(`UPDATE p SET code = 'W' WHERE id = 4`);
      expect((await childCodes(s, 'parent_code'))[40]).toBe('W');
      await expect(s.db.query(`INSERT INTO c2 (id, parent_code, v) VALUES (90, 'nope', 3)`)).rejects.toThrow();
      expect(await foreignKeys(s.db, 'c2')).toEqual([expect.stringMatching(/^c2_p_code_fk\b/)]);
    });

    it('a composite key over the copied column: not made over the copy early (its cascades would fail the parent\'s writes); the backfill converts what cascades changed (campaign FG)', async () => {
      const s = await setup(target, [
        `CREATE TABLE p (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, CONSTRAINT p_ab UNIQUE (a, b))`,
        `CREATE TABLE c (id int PRIMARY KEY, pa int, pb int, CONSTRAINT fk_comp FOREIGN KEY (pa, pb) REFERENCES p (a, b) ON UPDATE CASCADE ON DELETE SET NULL)`,
        `INSERT INTO p VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30)`,
        `INSERT INTO c VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30)`,
      ], 'xc_cascade');
      await s.write('0001_r', { renameColumn: { table: 'c', from: 'pa', to: 'npa' } });
      await s.xc.apply();
      // The parent's writes as before (refused with error 1452 when the copy had the key too).
      await s.db.query(`UPDATE p SET b = 11 WHERE id = 1`);
      await s.db.query(`DELETE FROM p WHERE id = 3`);
      await record(s.xc, '0001_r');
      if (target.name === 'mysql') {
        // The cascade ran no trigger: named at the verify, converted again by `xc backfill`.
        await expect(s.xc.contract()).rejects.toThrow(/pa and npa agree on every row/);
        await s.xc.backfill({ id: '0001_r' });
      }
      await s.xc.contract();
      expect(await rows(s.db, `SELECT id, npa AS v FROM c ORDER BY id`)).toEqual([{ id: '1', v: '1' }, { id: '2', v: '2' }, { id: '3', v: null }]);
      expect(await rows(s.db, `SELECT id, pb AS v FROM c ORDER BY id`)).toEqual([{ id: '1', v: '11' }, { id: '2', v: '20' }, { id: '3', v: null }]);
    });

    it('rolled back: the new column goes with the key over it; the old key acts as before', async () => {
      const s = await setup(target, schema, 'xc_cascade');
      await s.write('0001_rename', { renameColumn: { table: 'c2', from: 'p_code', to: 'parent_code' } });
      await s.xc.apply();
      await s.db.query(`UPDATE p SET code = ${concat(`'Z'`, 'code')} WHERE id = 1`);
      await s.xc.rollback();
      expect((await s.db.columns('c2')).map((c) => c.name)).toEqual(['id', 'p_code', 'v']);
      await s.db.query(`UPDATE p SET code = 'X' WHERE id = 3`);
      await s.db.query(`DELETE FROM p WHERE id = 2`);
      expect(await childCodes(s, 'p_code')).toEqual({ 10: 'Zc1', 20: null, 30: 'X', 40: 'c4', 50: 'c5', 60: null });
      // Applied again, the same key over the new column is made again.
      await s.xc.apply();
      await s.db.query(`UPDATE p SET code = 'V' WHERE id = 5`);
      expect(await childCodes(s, 'parent_code')).toEqual(await childCodes(s, 'p_code'));
    });
  });
}
