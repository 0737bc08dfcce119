/**
 * One xc at a time on a PGlite database (SPEC §4). PGlite's advisory locks
 * are private to its one session in one process: two xc processes on one
 * pglite:// folder are kept apart by the folder's lock file, two xc on one
 * PGlite instance in one process by the in-process claim (engine/lock.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import type { XcEvent } from '../../src/index.js';
import { BIN, collect, onJsonLines, rejection, runXc, xcEnv } from '../helpers/cli.js';

const USERS = { description: 'users', operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } }] };
const RENAME = { description: 'rename', operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] };

let tmp: string;
let dir: string;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'xc-pglite-lock-'));
  dir = path.join(tmp, 'm');
  await mkdir(dir);
  await writeFile(path.join(dir, '0001_create_users.json'), JSON.stringify(USERS));
  await writeFile(path.join(dir, '0002_rename_name.json'), JSON.stringify(RENAME));
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Resolves with the first event `xc` reports that `match` accepts. */
function eventOf(events: XcEvent[], match: (e: XcEvent) => boolean): Promise<XcEvent> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const e = events.find(match);
      if (e) {
        clearInterval(timer);
        resolve(e);
      }
    }, 10);
  });
}

describe('two xc on one PGlite instance (one process)', () => {
  it("the second is refused (exit 4) while the first applies, waits with waitLockMs, and works once it is done", async () => {
    const db = new PGlite();
    const events: XcEvent[] = [];
    const a = createXc({ connection: db, dir, batchSize: 100, batchDelayMs: 30, onEvent: (e) => events.push(e) });
    const b = createXc({ connection: db, dir });
    const waitEvents: XcEvent[] = [];
    const waiter = createXc({ connection: db, dir, waitLockMs: 120_000, onEvent: (e) => waitEvents.push(e) });
    try {
      await a.apply({ id: '0001_create_users' });
      await db.query(`INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, 3000) g`);
      const applying = a.apply();
      await eventOf(events, (e) => e.event === 'backfill' && e.pass === 'backfill' && e.done > 0);

      const refused = await rejection(b.rollback({ id: '0002_rename_name', force: true, reason: 'test' }));
      expect(refused).toMatchObject({ exitCode: 4, code: 'lock_held' });
      expect(refused.message).toMatch(/another xc is working on this database: xc apply in this process \(pid \d+/);
      expect(refused.message).toContain('--wait-lock');

      // waitLockMs: waits for the first, then runs (nothing left to apply).
      const waited = waiter.apply();
      await eventOf(waitEvents, (e) => e.event === 'waiting_lock');
      expect(waitEvents[0]).toMatchObject({ event: 'waiting_lock', holder: expect.stringContaining('xc apply in this process') });

      expect(await applying).toMatchObject({ ok: true, migrations: [{ id: '0002_rename_name', phase: 'backfilled', rows: 3000 }] });
      expect(await waited).toMatchObject({ ok: true, migrations: [] });
      // The first is done: the second works, and its lock is given back for the next.
      expect(await b.rollback({ id: '0002_rename_name', force: true, reason: 'test' })).toMatchObject({ ok: true, migrations: [{ id: '0002_rename_name', phase: 'rolled_back' }] });
      expect(await a.status()).toMatchObject({ migrations: [{ phase: 'backfilled' }, { phase: 'rolled_back' }] });
      expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE name IS NOT NULL')).rows[0]!.n).toBe(3000);
    } finally {
      await a.close();
      await b.close();
      await waiter.close();
      await db.close();
    }
  }, 180_000);

  it('a stop asked for ends a wait for the lock at once (InterruptedError, exit 130): nothing was held, nothing done', async () => {
    const db = new PGlite();
    const events: XcEvent[] = [];
    const a = createXc({ connection: db, dir, batchSize: 50, batchDelayMs: 100, onEvent: (e) => events.push(e) });
    const stop = new AbortController();
    const waitEvents: XcEvent[] = [];
    const waiter = createXc({ connection: db, dir, waitLockMs: 600_000, signal: stop.signal, onEvent: (e) => waitEvents.push(e) });
    try {
      await a.apply({ id: '0001_create_users' });
      await db.query(`INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, 1000) g`);
      const applying = a.apply();
      await eventOf(events, (e) => e.event === 'backfill' && e.pass === 'backfill' && e.done > 0);
      const waited = rejection(waiter.rollback({ id: '0002_rename_name', force: true, reason: 'test' }));
      await eventOf(waitEvents, (e) => e.event === 'waiting_lock');
      stop.abort('SIGINT');
      expect(await waited).toMatchObject({ exitCode: 130, code: 'interrupted' });
      // The first goes on undisturbed; the waiter never touched the migration.
      expect(await applying).toMatchObject({ ok: true, migrations: [{ id: '0002_rename_name', phase: 'backfilled', rows: 1000 }] });
    } finally {
      await a.close();
      await waiter.close();
      await db.close();
    }
  }, 180_000);

  it('a refused or failed command gives the lock back', async () => {
    const db = new PGlite();
    const a = createXc({ connection: db, dir });
    const b = createXc({ connection: db, dir });
    try {
      await rejection(a.contract({ id: 'nope' }));
      expect(await b.apply()).toMatchObject({ ok: true });
      expect(await a.init()).toMatchObject({ ok: true });
    } finally {
      await a.close();
      await b.close();
      await db.close();
    }
  });
});

describe('two xc processes on one pglite:// folder', () => {
  const lockFile = () => `${path.join(tmp, 'db')}.xc-lock`;
  const url = () => `pglite://${path.join(tmp, 'db')}`;

  /** 0001 applied and `rows` users, written with the folder closed again. */
  async function seed(rows: number) {
    const xc = createXc({ url: url(), dir });
    await xc.apply({ id: '0001_create_users' });
    await xc.close();
    const db = new PGlite(path.join(tmp, 'db'));
    await db.query(`INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, ${rows}) g`);
    await db.close();
  }

  async function read<T>(sql: string): Promise<T[]> {
    const db = new PGlite(path.join(tmp, 'db'));
    try {
      return (await db.query<T>(sql)).rows;
    } finally {
      await db.close();
    }
  }

  it('a second xc exits 4 at once naming the holder, read-only commands too; with --wait-lock it waits, and runs once the first is done', async () => {
    await seed(10);
    // The test process holds the folder, through the library (opened by a first command, until close()).
    const holder = createXc({ url: url(), dir });
    await holder.status();
    let closed = false;
    try {
      const apply = await runXc(['apply', '--url', url(), '--dir', dir]);
      expect(apply.code).toBe(4);
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'xc status' });
      expect(apply.stderr).toContain(`another xc has this PGlite folder open: xc status, pid ${process.pid}, since `);
      expect(apply.stderr).toContain(lockFile());
      expect(apply.stderr).toContain('--wait-lock');
      // PGlite writes to its folder even to read: a status beside a writer is refused as well.
      const status = await runXc(['status', '--url', url(), '--dir', dir, '--json']);
      expect(status.code).toBe(4);
      expect(status.stdout + status.stderr).toContain(`pid ${process.pid}`);

      // --wait-lock: waits (says so), then runs once the holder closes.
      const child = spawn(process.execPath, [BIN, 'apply', '--url', url(), '--dir', dir, '--wait-lock', '120', '--json'], { env: xcEnv() });
      const done = collect(child);
      const waiting = new Promise<Record<string, unknown>>((resolve) => onJsonLines(child.stdout, (e) => e.event === 'waiting_lock' && resolve(e)));
      expect(await waiting).toMatchObject({ holder: expect.stringContaining(`pid ${process.pid}`) });
      await holder.close();
      closed = true;
      const waited = await done;
      expect(waited.stderr).toBe('');
      expect(waited.code).toBe(0);
    } finally {
      if (!closed) await holder.close();
    }
    expect(existsSync(lockFile())).toBe(false);
    const after = await runXc(['status', '--url', url(), '--dir', dir, '--json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout.trim().split('\n').pop()!)).toMatchObject({ migrations: [{ phase: 'backfilled' }, { phase: 'backfilled' }] });
    expect(existsSync(lockFile())).toBe(false);
  }, 240_000);

  it('Ctrl-C while waiting for the folder ends the wait at once (exit 130); the holder keeps its lock', async () => {
    await seed(10);
    const holder = createXc({ url: url(), dir });
    await holder.status();
    try {
      const child = spawn(process.execPath, [BIN, 'apply', '--url', url(), '--dir', dir, '--wait-lock', '600', '--json'], { env: xcEnv() });
      const done = collect(child);
      await new Promise<void>((resolve) => onJsonLines(child.stdout, (e) => e.event === 'waiting_lock' && resolve()));
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(r.stdout + r.stderr, r.stdout + r.stderr).toMatch(/stopped \(SIGINT\) while waiting for .*\.xc-lock; nothing was done/);
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'xc status' });
      expect((await holder.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'pending']);
    } finally {
      await holder.close();
    }
  }, 240_000);

  it('a running xc apply keeps a second xc process out (exit 4 naming its pid); killed -9 mid-backfill, a re-run takes its stale lock over and converges', async () => {
    await seed(3000);
    const first = spawn(process.execPath, [BIN, 'apply', '--url', url(), '--dir', dir, '--batch-size', '50', '--batch-delay', '100ms', '--json'], { env: xcEnv() });
    const firstDone = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => first.on('exit', (code, signal) => resolve({ code, signal })));
    const backfilling = new Promise<void>((resolve) => onJsonLines(first.stdout, (e) => e.event === 'backfill' && e.pass === 'backfill' && (e.done as number) >= 100 && resolve()));
    try {
      await Promise.race([backfilling, firstDone.then((r) => Promise.reject(new Error(`the first xc ended before its backfill: ${JSON.stringify(r)}`)))]);
      const second = await runXc(['rollback', '0002_rename_name', '--force', '--reason', 'test', '--url', url(), '--dir', dir]);
      expect(second.code).toBe(4);
      expect(second.stderr).toContain(`another xc has this PGlite folder open: xc apply, pid ${first.pid}, since `);
    } finally {
      first.kill('SIGKILL');
    }
    expect(await firstDone).toMatchObject({ signal: 'SIGKILL' });
    // kill -9 leaves the lock file, naming a process that is gone.
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: first.pid });

    const rerun = await runXc(['apply', '--url', url(), '--dir', dir, '--json']);
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(existsSync(lockFile())).toBe(false);
    const rows = await read<{ n: number; named: number }>(`SELECT count(*)::int AS n, count(full_name)::int AS named FROM users`);
    expect(rows).toEqual([{ n: 3000, named: 3000 }]);
    expect(await read<{ id: string; phase: string }>('SELECT id, phase FROM xc.migrations ORDER BY id')).toEqual([
      { id: '0001_create_users', phase: 'backfilled' },
      { id: '0002_rename_name', phase: 'backfilled' },
    ]);
  }, 240_000);

  it("a stale lock file (its process gone, or its pid now another process's) is taken over", async () => {
    await seed(10);
    // A pid that was a process and is no more.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('exit', resolve));
    const stale = { pid: gone.pid, host: hostname(), since: '2020-01-01T00:00:00.000Z', purpose: 'xc apply', token: 'stale' };
    await writeFile(lockFile(), JSON.stringify(stale));
    const status = await runXc(['status', '--url', url(), '--dir', dir]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(existsSync(lockFile())).toBe(false);

    // This process's pid, but another start time: the pid was reused since the holder died.
    await writeFile(lockFile(), JSON.stringify({ ...stale, pid: process.pid, started: '1' }));
    const xc = createXc({ url: url(), dir });
    try {
      expect(await xc.status()).toMatchObject({ migrations: [{ phase: 'backfilled' }, { phase: 'pending' }] });
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'xc status' });
      // The same process opening the folder a second time is refused like any other: two PGlite on one folder corrupt it.
      const again = createXc({ url: url(), dir });
      const refused = await rejection(again.status());
      expect(refused).toMatchObject({ exitCode: 4, code: 'lock_held' });
      expect(refused.message).toContain(`xc status, this process (pid ${process.pid})`);
      await again.close();
    } finally {
      await xc.close();
    }
    expect(existsSync(lockFile())).toBe(false);
  }, 180_000);

  it('pglite://memory and an instance handed in take no lock file', async () => {
    const db = new PGlite(path.join(tmp, 'db'));
    const xc = createXc({ connection: db, dir });
    try {
      await xc.apply();
      expect(existsSync(lockFile())).toBe(false);
    } finally {
      await xc.close();
      await db.close();
    }
  });
});
