/**
 * Replica lag (SPEC §5) against real replicas the test starts (test/helpers/replicas.ts):
 * the signal's readings while replication is paused and after it resumes, for a replica
 * given by URL and one the primary lists; and a backfill that waits on a paused replica,
 * then completes, its rows converted on the replica too.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeMysql, describePg } from '../helpers/servers.js';
import { startMariadbPair, startPostgresPair, type ReplicatedPair } from '../helpers/replicas.js';
import { createXc, type XcEvent, type XcOptions } from '../../src/index.js';
import { rejection } from '../helpers/cli.js';
import { openDriver } from '../../src/db/connect.js';
import { detectDialect } from '../../src/dialects/index.js';
import { engineOptions } from '../../src/options.js';
import type { EngineContext } from '../../src/engine/context.js';
import type { HealthReading, HealthSignal } from '../../src/backfill/throttle/signal.js';
import { replicaLag } from '../../src/backfill/throttle/replicaLag.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
    await sleep(200);
  }
}

const cases: [string, typeof describePg, () => Promise<ReplicatedPair>][] = [
  ['PostgreSQL', describePg, startPostgresPair],
  ['MariaDB', describeMysql, startMariadbPair],
];

for (const [name, describeDb, start] of cases) {
  describeDb(`replica lag (${name}, a private primary and replica)`, () => {
    let pair: ReplicatedPair;
    let seq = 0;
    beforeAll(async () => {
      pair = await start();
    }, 180_000);
    afterAll(async () => {
      await pair?.stop();
    }, 120_000);

    /** A database on the primary with `rows` users, there on the replica too. */
    async function database(rows: number): Promise<string> {
      const db = `xc_rl_${++seq}`;
      const pg = pair.dialect === 'postgres';
      const admin = await openDriver({ url: pair.primary.url });
      const s = await admin.acquire();
      await s.query(`CREATE DATABASE ${db}`);
      s.release();
      await admin.close();
      const d = await openDriver({ url: pair.primary.urlOf(db) });
      const t = await d.acquire();
      await t.query('CREATE TABLE users (id int PRIMARY KEY, v int NOT NULL)');
      await t.query(pg ? `INSERT INTO users SELECT g, g FROM generate_series(1, ${rows}) g` : `INSERT INTO users SELECT seq, seq FROM seq_1_to_${rows}`);
      t.release();
      await d.close();
      await until('the rows on the replica', () => replicaCount(db, 'SELECT count(*) FROM users'), (n) => n === rows);
      return db;
    }

    function replicaCount(db: string, sql: string): number {
      try {
        return Number(pair.replicaValue(db, sql));
      } catch {
        return -1; // not there yet
      }
    }

    /** The signal over database `db` of the primary; `primaryUrl`: the URL discovered replicas are reached with (credentials, database). */
    async function signal(db: string, replicas: string[], primaryUrl = pair.primary.urlOf(db)): Promise<{ sig: HealthSignal; close(): Promise<void>; events: XcEvent[] }> {
      const url = pair.primary.urlOf(db);
      const driver = await openDriver({ url });
      const dialect = await detectDialect(driver, {});
      const events: XcEvent[] = [];
      const ctx = { driver, dialect, options: engineOptions({ replicas, maxReplicaLagMs: 1000 }), emit: (e: XcEvent) => events.push(e), primaryUrl } as unknown as EngineContext;
      const sig = await replicaLag({ ctx, table: 'users', migration: 'm' });
      expect(sig).toBeDefined();
      return { sig: sig!, events, close: async () => (await sig!.close(), await driver.close()) };
    }

    /** Readings until one satisfies `ok`, writing on the primary meanwhile (a paused replica falls behind only while the primary changes). */
    async function readUntil(db: string, sig: HealthSignal, ok: (r: HealthReading[]) => boolean): Promise<HealthReading[]> {
      const d = await openDriver({ url: pair.primary.urlOf(db) });
      try {
        return await until('a reading', async () => {
          const s = await d.acquire();
          await s.query('UPDATE users SET v = v + 1 WHERE id = 1');
          s.release();
          return sig.read();
        }, ok, 30_000);
      } finally {
        await d.close();
      }
    }

    for (const how of ['given', 'discovered'] as const) {
      it(`a ${how} replica: 0 while it keeps up, over with its name while paused, back to 0 once resumed`, async () => {
        const db = await database(100);
        const { sig, close, events } = await signal(db, how === 'given' ? [pair.replicaUrlOf(db)] : []);
        try {
          const caughtUp = await readUntil(db, sig, (r) => r.length === 1 && r[0]!.value < 1000);
          expect(caughtUp[0]).toMatchObject({ signal: 'replica_lag', unit: 'ms', limit: 1000, over: false });
          pair.pause();
          const held = await readUntil(db, sig, (r) => r[0]?.over === true && r[0].value > 1000);
          expect(held).toHaveLength(1);
          // Given: the replica says why (replay paused, SQL thread stopped); discovered on PostgreSQL: the primary's name for it.
          const source = held[0]!.source!;
          if (how === 'given') expect(source).toMatch(new RegExp(`^127\\.0\\.0\\.1:${new URL(pair.replicaUrlOf(db)).port} \\((WAL replay paused|replication SQL thread stopped)\\)$`));
          else expect(source).toMatch(pair.dialect === 'postgres' ? /^\w+@127\.0\.0\.1$/ : /^127\.0\.0\.1:\d+ \(replication SQL thread stopped\)$/);
          // The lag grows while it stays paused.
          await sleep(1500);
          const later = await sig.read();
          expect(later[0]!.value).toBeGreaterThan(held[0]!.value + 1000);
          pair.resume();
          const back = await readUntil(db, sig, (r) => r[0]?.over === false);
          expect(back[0]!.value).toBeLessThan(1000);
          expect(events).toEqual([]);
        } finally {
          pair.resume();
          await close();
        }
      }, 120_000);
    }

    it('a command that writes, given the replica\'s URL, is refused (exit 2) naming why, and writes nothing there; reads go on (campaign AG-2)', async () => {
      const db = await database(10);
      const replicaOnly = (sql: string) => pair.replicaValue(db, sql);
      // The standby refuses writes by itself; MariaDB's replica is made read_only, which root (SUPER) would write past.
      if (pair.dialect === 'mysql') replicaOnly('SET GLOBAL read_only = 1');
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-rl-'));
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'note', type: 'text' } } }] }));
      const xc = createXc({ url: pair.replicaUrlOf(db), dir });
      try {
        for (const attempt of [() => xc.apply(), () => xc.deploy.record({ app: 'shop', version: 'v1' }), () => xc.init()]) {
          const err = await rejection(attempt());
          expect(err.exitCode, err.message).toBe(2);
          expect(err.message).toMatch(pair.dialect === 'postgres' ? /writes to the database, and the server is a hot standby \(pg_is_in_recovery\(\) is true\)[^\n]*give the primary's URL/ : /writes to the database, and the server is read_only \(@@read_only = 1\)/);
        }
        expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['pending']);
        await xc.plan();
        const tables = pair.dialect === 'postgres' ? `SELECT count(*) FROM pg_tables WHERE tablename LIKE 'xc%'` : `SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' AND TABLE_NAME LIKE 'xc%'`;
        expect(replicaOnly(tables)).toBe('0');
        expect(replicaOnly(pair.dialect === 'postgres' ? `SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'note'` : `SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${db}' AND COLUMN_NAME = 'note'`)).toBe('0');
      } finally {
        await xc.close();
        if (pair.dialect === 'mysql') replicaOnly('SET GLOBAL read_only = 0');
      }
    }, 60_000);

    it('a given replica that cannot be reached reads as over, the reason in its source', async () => {
      const db = await database(10);
      const gone = pair.replicaUrlOf(db).replace(/:\d+\//, ':1/');
      const { sig, close } = await signal(db, [gone]);
      try {
        const r = await sig.read();
        expect(r).toEqual([expect.objectContaining({ signal: 'replica_lag', over: true, source: expect.stringMatching(/^127\.0\.0\.1:1 \(.+\)$/) })]);
      } finally {
        await close();
      }
    }, 60_000);

    it.skipIf(name !== 'MariaDB')('a discovered replica xc cannot log in to is reported once (replica_skipped) and left out', async () => {
      const db = await database(10);
      const port = new URL(pair.replicaUrlOf(db)).port;
      const { sig, close, events } = await signal(db, [], pair.primary.urlOf(db).replace('root@', 'nobody:wrong@'));
      try {
        expect(await sig.read()).toEqual([]);
        expect(await sig.read()).toEqual([]);
        expect(events).toEqual([{ event: 'replica_skipped', migration: 'm', table: 'users', replica: `127.0.0.1:${port}`, reason: expect.stringMatching(/denied/i) }]);
        expect(JSON.stringify(events)).not.toContain('wrong');
      } finally {
        await close();
      }
    }, 60_000);

    /**
     * A migration converting `users.v` to bigint, and a createXc over the primary. Its 40 batches take
     * 8 s at least: a replica paused without a reason the primary can see (discovered on PostgreSQL) is
     * over 1 s behind only after a second of unapplied marks, read at the throttle's next reading (at 50 ms
     * between batches, 2 s, an unloaded box once finished the backfill first: the CI rehearsal of stop 46).
     */
    async function backfill(db: string, opts: Partial<XcOptions>) {
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-rl-'));
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'users', column: 'v', to: 'v2', type: 'bigint', up: 'v', down: 'v2' } }] }));
      const events: XcEvent[] = [];
      return { events, xc: createXc({ url: pair.primary.urlOf(db), dir, batchSize: 500, batchDelayMs: 200, maxReplicaLagMs: 1000, onEvent: (e) => events.push(e), ...opts }) };
    }

    for (const how of ['given', 'discovered'] as const) {
      it(`a backfill waits while a ${how} replica is paused, naming replica_lag and the replica, and completes once it resumes`, async () => {
        const db = await database(20_000);
        const { xc, events } = await backfill(db, how === 'given' ? { replicas: [pair.replicaUrlOf(db)] } : {});
        pair.pause();
        const run = xc.apply();
        try {
          await until('a throttled event', () => events.find((e) => e.event === 'throttled'), (e) => e !== undefined, 60_000);
          const throttled = events.find((e) => e.event === 'throttled')!;
          expect(throttled).toMatchObject({ signal: 'replica_lag', unit: 'ms', limit: 1000 });
          const port = new URL(pair.replicaUrlOf(db)).port;
          expect((throttled as { source: string }).source).toMatch(how === 'discovered' && pair.dialect === 'postgres' ? /@127\.0\.0\.1$/ : new RegExp(`^127\\.0\\.0\\.1:${port}\\b`));
          const batchesBefore = events.filter((e) => e.event === 'backfill').length;
          await sleep(2000);
          expect(events.filter((e) => e.event === 'backfill').length).toBe(batchesBefore); // no batch while paused
        } finally {
          pair.resume();
        }
        await run;
        await xc.close();
        expect(await until('the replica to convert every row', () => replicaCount(db, 'SELECT count(*) FROM users WHERE v2 = v'), (n) => n === 20_000)).toBe(20_000);
      }, 180_000);
    }

    it('--throttle-timeout: a replica paused for longer ends the backfill with exit 3 naming replica_lag; a re-run completes', async () => {
      const db = await database(20_000);
      const { xc } = await backfill(db, { replicas: [pair.replicaUrlOf(db)], throttleTimeoutMs: 2000 });
      pair.pause();
      try {
        const err = await rejection(xc.apply());
        expect(err.exitCode).toBe(3);
        expect(err.message).toMatch(/replica_lag|replica lag/);
      } finally {
        pair.resume();
      }
      await xc.apply();
      await xc.close();
      expect(await until('the replica to convert every row', () => replicaCount(db, 'SELECT count(*) FROM users WHERE v2 = v'), (n) => n === 20_000)).toBe(20_000);
    }, 180_000);
  });
}
