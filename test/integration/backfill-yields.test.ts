/**
 * The backfill yields to the application's writes (backfill/sizer.ts), on
 * every dialect: before each batch's COMMIT xc counts the sessions waiting
 * for row locks (Dialect.lockWaiters: on PostgreSQL those waiting for the
 * batch's transaction, on MySQL every row-lock wait of the server), reports
 * them in the `backfill` event, and a batch that held a writer up halves the
 * next batches' size. Checked here: the count itself against a writer blocked on
 * purpose; and a whole apply under writers hitting random rows back to back,
 * where blocked batches are seen, each one shrinks the next, and every row
 * and every write is kept.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type XcEvent } from '../../src/index.js';
import { driverFromUrl } from '../../src/db/connect.js';
import { detectDialect } from '../../src/dialects/index.js';
import { CONTENDED_FLOOR } from '../../src/backfill/sizer.js';
import { targets } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';

const ROWS = 20_000;

for (const target of targets) {
  target.describe(`the backfill yields to blocked writers (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    it('counts the sessions waiting for row locks while a batch holds its own: on PostgreSQL only those waiting for it, on MySQL every one', async () => {
      const db = await target.create('xc_yield');
      cleanup.push(() => db.drop());
      await db.query('CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)');
      await db.seed('t', ['id', 'v'], Array.from({ length: 1000 }, (_, i) => [i + 1, i + 1]));
      const driver = await driverFromUrl(db.url);
      cleanup.push(() => driver.close());
      const d = await detectDialect(driver);
      const batch = await driver.acquire();
      const other = await driver.acquire();
      cleanup.push(async () => (batch.release(), other.release()));
      await other.query('BEGIN');
      await other.query('UPDATE t SET v = v + 1 WHERE id = 900'); // another transaction's row lock
      await batch.query('BEGIN');
      await batch.query('UPDATE t SET v = v + 1 WHERE id <= 100');
      if (db.dialect === 'postgres') expect(await d.lockWaiters(batch)).toBe(0); // MySQL's count is the server's: another test's waits show in it
      const onBatch = (await db.connection()).query('UPDATE t SET v = v + 10 WHERE id = 5');
      const onOther = (await db.connection()).query('UPDATE t SET v = v + 10 WHERE id = 900');
      // Awaited below; handled here too, so a failed assertion does not leave them rejecting unseen once the database is dropped.
      for (const write of [onBatch, onOther]) write.catch(() => undefined);
      // The two writers reach their lock waits in their own time (a loaded machine may take seconds): each count is polled for.
      const countFor = async (s: typeof batch, expected: (n: number) => boolean) => {
        let seen = await d.lockWaiters(s);
        for (const until = Date.now() + 20_000; !expected(seen) && Date.now() < until; seen = await d.lockWaiters(s)) await new Promise((r) => setTimeout(r, 50));
        return seen;
      };
      const batchCountOk = (n: number) => (db.dialect === 'postgres' ? n === 1 : n >= 2);
      const seen = await countFor(batch, batchCountOk);
      expect(batchCountOk(seen), `seen ${seen}`).toBe(true);
      // PostgreSQL: the other transaction has its own waiter, which the batch's count left out.
      if (db.dialect === 'postgres') expect(await countFor(other, (n) => n === 1)).toBe(1);
      await batch.query('COMMIT');
      await onBatch;
      await other.query('COMMIT');
      await onOther;
      expect(await db.query<{ id: number; v: number }>('SELECT id, v FROM t WHERE id IN (5, 900) ORDER BY id')).toEqual([
        { id: 5, v: 16 },
        { id: 900, v: 911 },
      ]);
    });

    it('under writers updating random rows back to back, a batch that blocked one halves the next, and every row and write is kept', async () => {
      const db = await target.create('xc_yield');
      cleanup.push(() => db.drop());
      await db.query('CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL)');
      await db.seed('items', ['id', 'v'], Array.from({ length: ROWS }, (_, i) => [i + 1, i]));
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-yield-'));
      const down = { postgres: 'CAST(v_big AS int)', mysql: 'CAST(v_big AS SIGNED)' };
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'items', column: 'v', to: 'v_big', type: 'bigint', up: 'v', down } }] }));
      const events: Extract<XcEvent, { event: 'backfill' }>[] = [];
      // One part at a time, so consecutive events are consecutive batches of one sizer.
      const xc = createXc({ url: db.url, dir, parallel: 1, onEvent: (e) => e.event === 'backfill' && events.push(e) });
      cleanup.push(() => xc.close());
      let n = 0;
      const writers = await Promise.all([1, 2, 3].map(async () => new Writer(await db.connection(), () => ({ sql: 'UPDATE items SET v = v + 1 WHERE id = ?', params: [1 + ((n++ * 7919) % ROWS)] }), 0).start()));
      try {
        await xc.apply();
      } finally {
        await Promise.all(writers.map((w) => w.stop()));
      }
      expect(writers.flatMap((w) => w.errors)).toEqual([]);
      const batches = events.filter((e) => e.batchMs > 0);
      const blocked = batches.filter((e) => e.blocked > 0);
      expect(blocked.length).toBeGreaterThan(0);
      for (const [i, e] of batches.entries()) {
        const next = batches[i + 1];
        if (e.blocked > 0 && next && next.pass === e.pass) expect(next.batchSize).toBeLessThanOrEqual(Math.max(CONTENDED_FLOOR, Math.round(e.batchSize / 2)));
      }
      const writes = writers.reduce((s, w) => s + w.writes, 0);
      const [sum] = await db.query<{ s: string | number }>('SELECT SUM(v) AS s FROM items');
      expect(Number(sum!.s)).toBe((ROWS * (ROWS - 1)) / 2 + writes);
      expect(await db.count('SELECT COUNT(*) AS n FROM items WHERE v_big IS NULL OR v_big <> v')).toBe(0);
    });
  });
}
