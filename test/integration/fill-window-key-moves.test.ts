/**
 * MySQL/MariaDB fill a new column before its triggers exist (Ddl.fillBeforeTriggers), then a catch-up pass converts
 * the rows the old version wrote in between. A row written there whose key then moved behind that pass's cursor was
 * never seen again — an UPDATE of the key changes neither value, so the trigger keeps the stale one — and the
 * migration was said `backfilled` with the new version about to read it (campaign CM: 1–7 rows per run, where a kill
 * stretched the window between the fill and the triggers). Where that window was stretched (the expand resumed after
 * the fill began), the verify runs before `backfilled`, and the catch-up again while it finds rows.
 */
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { setup } from '../helpers/scenario.js';
import { rejection } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

const ROWS = 100;

for (const target of targets) {
  target.describe(`a row written between the fill and the triggers, its key then moved behind the catch-up (${target.name})`, () => {
    it('is converted before the migration is backfilled: every row agrees', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL)`], 'xc_fwk');
      await s.db.seed('t', ['id', 'a'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1]));
      await s.write('0001_m', { renameColumn: { table: 't', from: 'a', to: 'a2' } });
      // Stopped at the first trigger step, after any fill: the window a kill leaves open.
      const stopping = createXc({ url: s.db.url, dir: s.dir, onEvent: (e) => {
        if (e.event === 'step' && /^\s*CREATE (OR REPLACE )?(TRIGGER|FUNCTION)/i.test(e.sql)) throw new Error('stop before the triggers');
      } });
      try {
        expect((await rejection(stopping.apply())).message).toMatch(/stop before the triggers/);
      } finally {
        await stopping.close();
      }
      // The old version writes while no trigger exists (on MariaDB the fill has passed these rows: stale).
      await s.db.query(`UPDATE t SET a = a + 1000 WHERE id IN (50, 60, 70)`);
      // The catch-up walks in batches of 10; once it has passed the first rows, the stale ones move behind it.
      const mover = await s.db.connection();
      let moved: Promise<unknown> | undefined;
      const resumed = createXc({ url: s.db.url, dir: s.dir, batchSize: 10, batchDelayMs: 100, parallel: 1, onEvent: (e) => {
        if (e.event === 'backfill' && e.pass === 'backfill' && e.done >= 10 && !moved) {
          moved = (async () => {
            for (const [from, to] of [[50, -1], [60, -2], [70, -3]]) await mover.query(`UPDATE t SET id = ? WHERE id = ?`, [to, from]);
          })();
        }
      } });
      try {
        await resumed.apply();
      } finally {
        await resumed.close();
      }
      await moved;
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      const rows = await s.db.query<{ id: number; a: number; a2: number }>(`SELECT id, a, a2 FROM t WHERE id < 0 ORDER BY id`);
      expect(rows.map((r) => [Number(r.id), Number(r.a), Number(r.a2)])).toEqual([[-3, 1070, 1070], [-2, 1060, 1060], [-1, 1050, 1050]]);
      expect(await s.db.count(`SELECT count(*) FROM t WHERE a <> a2`)).toBe(0);
    });
  });
}
