/**
 * Issue 16, items 3 and 5 (the application's view): on a server other
 * sessions keep busy, each backfill part pauses after a batch for as long as
 * the batch took (backfill/share.ts), so the pass takes part of the machine,
 * not all it can get; --busy-pause sets how long (0: back to back). On both databases,
 * with application writers running throughout, and the data checked after.
 * Timing is asserted only as the pause xc reports deciding (`pauseMs` of its
 * backfill events), never as wall time.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type XcOptions } from '../../src/index.js';
import type { XcEvent } from '../../src/plan/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';

const ROWS = 60_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

type Batch = Extract<XcEvent, { event: 'backfill' }>;

for (const target of targets) {
  target.describe(`a backfill shares a busy server with the application (${target.name})`, () => {
    async function run(options: Partial<XcOptions>): Promise<{ db: Db; batches: Batch[]; writers: Writer[] }> {
      const db = await target.create('xc_share');
      cleanups.push(() => db.drop());
      await db.query(`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, pad varchar(100) NOT NULL)`);
      const rows = Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1, 'x'.repeat(100)]);
      await db.seed('t', ['id', 'v', 'pad'], rows);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-share-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, '0001_widen.json'), JSON.stringify({ operations: [{ alterColumn: { table: 't', column: 'v', to: 'v2', type: 'bigint', up: 'v', down: 'v2' } }] }));
      // Four application connections that never pause: most batches end while one of them runs a statement.
      const writers: Writer[] = [];
      for (let i = 0; i < 4; i++) {
        const w = new Writer(await db.connection(), () => ({ sql: 'UPDATE t SET v = v + 1 WHERE id = ?', params: [1 + Math.floor(Math.random() * ROWS)] }), 0).start();
        writers.push(w);
        cleanups.push(() => w.stop());
      }
      const batches: Batch[] = [];
      // Pinned small batches: many of them, whatever the machine's speed.
      const xc = createXc({ url: db.url, dir, batchSize: 2000, onEvent: (e) => e.event === 'backfill' && batches.push(e), ...options });
      try {
        await xc.apply();
      } finally {
        for (const w of writers) await w.stop();
        await xc.close();
      }
      return { db, batches, writers };
    }

    async function expectConverted(db: Db, writers: Writer[]): Promise<void> {
      expect(writers.flatMap((w) => w.errors)).toEqual([]);
      expect(await db.count(`SELECT COUNT(*) FROM t WHERE v2 IS NULL OR v2 <> v`)).toBe(0);
      const writes = writers.reduce((n, w) => n + w.writes, 0);
      expect(await db.count(`SELECT SUM(v) - ${(ROWS * (ROWS + 1)) / 2} FROM t`)).toBe(writes);
    }

    it('by default: a batch that ends while other sessions run statements is followed by a pause of half its time for each, at most 3 times it; every row converted, every write kept', async () => {
      const { db, batches, writers } = await run({});
      const walking = batches.filter((b) => b.batchMs > 0);
      expect(walking.length).toBeGreaterThan(10);
      const paused = walking.filter((b) => b.pauseMs > 0);
      expect(paused.length).toBeGreaterThan(0);
      // In proportion to the batch's time, a whole number of halves of it (one per session seen), up to 3 times it.
      for (const b of paused) expect(Array.from({ length: 6 }, (_, i) => Math.round((b.batchMs * (i + 1)) / 2))).toContain(b.pauseMs);
      await expectConverted(db, writers);
    }, 180_000);

    it('--busy-pause 0.25: at most a quarter of the batch\'s time; 0: back to back under the same writers; the same data', async () => {
      const half = await run({ busyPause: 0.25 });
      const paused = half.batches.filter((b) => b.batchMs > 0 && b.pauseMs > 0);
      expect(paused.length).toBeGreaterThan(0);
      for (const b of paused) expect(b.pauseMs).toBe(Math.round(b.batchMs * 0.25));
      await expectConverted(half.db, half.writers);
      const { db, batches, writers } = await run({ busyPause: 0 });
      expect(batches.filter((b) => b.batchMs > 0).length).toBeGreaterThan(10);
      expect(batches.filter((b) => b.pauseMs !== 0)).toEqual([]);
      await expectConverted(db, writers);
    }, 180_000);
  });
}
