/**
 * Locks, on every dialect: one xc at a time (a second exits 4 naming the
 * holder), and a session holding the table makes xc give up with exit 5
 * naming it — while the application's queries on that table are never
 * stalled beyond the lock timeout.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { rejection } from '../helpers/cli.js';
import { createXc, type XcEvent, type XcOptions } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';


const sessionId = async (db: Db, c: { query(sql: string): Promise<unknown> }) => {
  const r = (await c.query(db.dialect === 'postgres' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id')) as { rows?: { id: number }[] } | [{ id: number }[]];
  return Number(Array.isArray(r) ? r[0][0]!.id : r.rows![0]!.id);
};

for (const target of targets) {
  target.describe(`locks (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    async function setup(rows: number, operations: unknown[], opts: Partial<XcOptions> = {}) {
      const db = await target.create('xc_lock');
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50), v int)`);
      await db.seed('users', ['id', 'name', 'v'], Array.from({ length: rows }, (_, i) => [i + 1, `u${i}`, i]));
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-lock-'));
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations }));
      const xc = createXc({ url: db.url, dir, ...opts });
      cleanup.push(() => db.drop(), () => xc.close());
      return { db, dir, xc };
    }

    it('--max-load: no backfill batch runs while more sessions than that are running a statement', async () => {
      const events: { at: number; e: XcEvent }[] = [];
      // The sleepers run until the first throttled event (plus a moment), not for a fixed time: on a loaded box xc's
      // expand alone can outlast any fixed sleep, and its first batch would then find the server quiet.
      let woken: Promise<number> | undefined;
      const { db, xc } = await setup(2000, [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }], {
        batchSize: 200,
        // Headroom above what other test files run on the shared server at once (MariaDB's Threads_running is server-wide).
        maxLoad: 8,
        onEvent: (e) => {
          events.push({ at: Date.now(), e });
          if (e.event === 'throttled') woken ??= wake();
        },
      });
      const sleepers = await Promise.all(Array.from({ length: 16 }, () => db.connection()));
      const ids = await Promise.all(sleepers.map((c) => sessionId(db, c)));
      const sleeping = sleepers.map((c) => c.query(db.dialect === 'postgres' ? 'SELECT pg_sleep(300)' : 'SELECT SLEEP(300)').catch(() => undefined));
      /** Ends the sleepers; resolves to the time just before the first was told to stop. */
      async function wake(): Promise<number> {
        await new Promise((r) => setTimeout(r, 300));
        const from = Date.now();
        for (const id of ids) await db.query(db.dialect === 'postgres' ? `SELECT pg_cancel_backend(${id})` : `KILL QUERY ${id}`);
        await Promise.all(sleeping);
        return from;
      }
      await new Promise((r) => setTimeout(r, 300));
      await xc.apply();
      const quietFrom = await woken!;
      const throttled = events.filter(({ e }) => e.event === 'throttled');
      expect(throttled[0]?.e).toMatchObject({ event: 'throttled', table: 'users', signal: 'load', limit: 8, unit: 'sessions', value: expect.any(Number) });
      expect((throttled[0]!.e as { value: number }).value).toBeGreaterThanOrEqual(16);
      // Every batch waited for the sleepers (other test files' sessions may have held it back longer).
      const batches = events.filter(({ e }) => e.event === 'backfill');
      expect(batches.length).toBeGreaterThan(0);
      expect(batches[0]!.at).toBeGreaterThanOrEqual(quietFrom);
      expect(await db.count(`SELECT count(*) FROM users WHERE full_name IS NULL OR full_name <> name`)).toBe(0);
    }, 120_000);

    it('a second xc exits 4 naming the holder while the first works', async () => {
      const { db, dir, xc } = await setup(20_000, [{ alterColumn: { table: 'users', column: 'v', to: 'v2', type: 'bigint', up: 'v', down: 'v2' } }], { batchSize: 100, batchDelayMs: 20 });
      const first = xc.apply();
      await new Promise((r) => setTimeout(r, 700));
      const second = createXc({ url: db.url, dir });
      cleanup.push(() => second.close());
      const err = await rejection(second.apply());
      expect(err.exitCode).toBe(4);
      expect(err.message).toMatch(/another xc is working on this database: .*xc apply pid \d+|another xc is working on this database: .*session \d+/);
      await first;
    });

    it('gives up on a held table with exit 5 naming the blocker; other queries never wait past the lock timeout', async () => {
      const { db, xc } = await setup(500, [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }], { lockTimeoutMs: 1000, lockRetryForMs: 3000 });
      const blocker = await db.connection();
      await blocker.query(db.dialect === 'postgres' ? 'BEGIN' : 'START TRANSACTION');
      await blocker.query('SELECT * FROM users LIMIT 1'); // holds a shared lock on the table until commit
      const blockerId = await sessionId(db, blocker);
      const writer = new Writer(await db.connection(), (i) => ({ sql: `INSERT INTO users (id, name) VALUES (?, 'w')`, params: [10000 + i] })).start();
      const err = await rejection(xc.apply());
      await writer.stop();
      expect(err.exitCode).toBe(5);
      expect(err.message).toContain(`session ${blockerId}`);
      // Its transaction's start as every time --json shows: ISO 8601 UTC with Z (campaign AC: PostgreSQL's text form, MariaDB's without a zone).
      const named = (err.details.blockers as { session: number; since: string | null }[]).find((b) => Number(b.session) === Number(blockerId));
      expect(named?.since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
      expect(Math.abs(Date.parse(named!.since!) - Date.now())).toBeLessThan(10 * 60_000);
      expect(writer.errors).toEqual([]);
      // Each attempt queues the writer behind xc's lock request for at most the lock timeout.
      expect(writer.maxLatencyMs).toBeLessThan(1000 + 800);
      expect((await db.columns('users')).some((c) => c.name === 'full_name')).toBe(false);
      await blocker.query('COMMIT');
      await xc.apply();
      expect((await xc.status()).migrations[0]!.phase).toBe('backfilled');
    });

    // Campaign N: connected as a user without PROCESS, another user's open transaction blocks the contract. That user
    // sees only its own sessions: the report named one of xc's (the attempt's, idle once it gave up) as the holder.
    it.runIf(target.name === 'mysql')('a user without PROCESS: exit 5 names none of xc\'s own sessions, and says others cannot be seen', async () => {
      const { db, dir } = await setup(100, [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }]);
      const user = `xc_np_${process.pid}_${Date.now() % 100000}`;
      const database = new URL(db.url).pathname.slice(1);
      await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'Np-pass-1'`);
      cleanup.push(async () => void (await db.query(`DROP USER IF EXISTS '${user}'@'%'`)));
      await db.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'%'`);
      const url = new URL(db.url);
      url.username = user;
      url.password = 'Np-pass-1';
      const xc = createXc({ url: url.toString(), dir, lockTimeoutMs: 200, lockRetryForMs: 1500 });
      cleanup.push(() => xc.close());
      await xc.apply();
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      const blocker = await db.connection();
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM users LIMIT 1');
      const e = await rejection(xc.contract());
      await blocker.query('ROLLBACK');
      expect(e.exitCode).toBe(5);
      expect(e.message).toMatch(/lacks the PROCESS privilege/);
      expect((e.details.blockers as { user: string | null }[]).filter((b) => b.user === user)).toEqual([]);
      expect(e.message).not.toContain('Np-pass-1');
      // Once the transaction is gone the contract goes through.
      await xc.contract();
    }, 120_000);
  });
}
