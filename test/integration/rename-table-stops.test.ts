/**
 * renameTable stopped before each step of its expand (failed on purpose as it
 * announces step k: the state a kill leaves on MySQL, where every step commits
 * alone), while old code writes under the old name: no write fails in any of
 * those states; a re-run of apply finishes the rename, and a rollback from
 * there puts the table back under its old name, with nothing of xc's
 * placeholder or parked view left behind.
 */
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';
import { onCleanup, setup, type Setup } from '../helpers/scenario.js';
import { STATE_TABLES } from '../../src/dialects/mysql/catalog.js';
import { HEARTBEAT_TABLE } from '../../src/dialects/mysql/replicas.js';

/** MySQL keeps xc's state beside the user's tables (PostgreSQL in its own schema). */
const XC_TABLES = new Set([...STATE_TABLES, HEARTBEAT_TABLE]);

/** The relations of the scenario's schema, by kind, xc's own state tables left out. */
async function relations(s: Setup, postgres: boolean): Promise<Record<string, string>> {
  const rows = (await s.db.query(
    `SELECT table_name AS name, table_type AS type FROM information_schema.tables WHERE table_schema = ${postgres ? 'current_schema()' : 'DATABASE()'}`,
  )) as { name: string; type: string }[];
  return Object.fromEntries(rows.filter((r) => !XC_TABLES.has(r.name)).map((r) => [r.name, r.type === 'VIEW' ? 'view' : 'table']));
}

for (const target of targets) {
  const postgres = target.name === 'postgres';
  target.describe(`renameTable stopped part-way (${target.name})`, () => {
    for (const then of ['apply', 'rollback'] as const) {
      it(`before each step of expand, old code's writes go through; ${then} from there converges`, async () => {
        for (let k = 1; ; k++) {
          const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, v varchar(20))`, `INSERT INTO items VALUES (1, 'one')`], 'xc_rts');
          await s.write('0001_rename', { renameTable: { from: 'items', to: 'goods' } });
          const writer = new Writer(await s.db.connection(), (i) => (i % 2 ? { sql: `UPDATE items SET v = ? WHERE id = 1`, params: [`v${i}`] } : { sql: `INSERT INTO items (id, v) VALUES (?, 'x')`, params: [1000 + i] }), 0).start();
          let finished: boolean;
          try {
            let announced = 0;
            const stopped = createXc({ url: s.db.url, dir: s.dir, onEvent: (e) => void (e.event === 'step' && ++announced === k && (() => { throw new Error('stopped on purpose'); })()) });
            onCleanup(() => stopped.close());
            finished = await stopped.apply().then(
              () => true,
              (err: Error) => (expect(err.message).toMatch(/stopped on purpose/), false),
            );
            const writes = writer.writes;
            await new Promise((r) => setTimeout(r, 100));
            expect(writer.writes, `writes go on, stopped before step ${k}`).toBeGreaterThan(writes);
            if (!finished) await (then === 'apply' ? s.xc.apply() : s.xc.rollback());
            await new Promise((r) => setTimeout(r, 50));
          } finally {
            await writer.stop();
          }
          expect(writer.errors, `stopped before step ${k}, then ${then}`).toEqual([]);
          const inserted = Math.ceil(writer.writes / 2);
          const renamed = then === 'apply' || finished;
          expect(await relations(s, postgres)).toEqual(renamed ? { items: 'view', goods: 'table' } : { items: 'table' });
          expect(await s.db.count(`SELECT count(*) FROM ${renamed ? 'goods' : 'items'} WHERE id >= 1000`)).toBe(inserted);
          const lastUpdate = writer.writes % 2 === 0 ? writer.writes - 1 : writer.writes - 2;
          expect(await s.db.query(`SELECT v FROM items WHERE id = 1`)).toEqual([{ v: `v${lastUpdate}` }]);
          if (finished) {
            // Past the last step: every state before it was tried.
            expect(k).toBeGreaterThan(postgres ? 1 : 4);
            break;
          }
        }
      }, 180_000);
    }
  });
}
