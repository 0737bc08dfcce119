import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDriver } from '../../src/db/connect.js';
import { createXc } from '../../src/index.js';
import { inTransaction, withSession, type Driver } from '../../src/db/driver.js';
import { driverFromKnexfile } from '../../src/db/knex.js';
import { describeMysql, describePg, MYSQL_URL, PG_URL } from '../helpers/servers.js';

const table = `xc_drv_${process.pid}_${Date.now() % 100000}`;

/** The same round trip on every PostgreSQL-flavoured driver. */
async function pgRoundTrip(d: Driver): Promise<void> {
  await withSession(d, async (s) => {
    await s.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id bigint PRIMARY KEY, name text)`);
    const ins = await s.query(`INSERT INTO ${table} (id, name) VALUES (?, ?), (?, '?')`, [9007199254740993n.toString(), 'a?', 2]);
    expect(ins.rowCount).toBe(2);
    const sel = await s.query<{ id: string; name: string }>(`SELECT id, name FROM ${table} WHERE name <> ? ORDER BY id`, ['zzz']);
    expect(sel.rows).toEqual([
      { id: '2', name: '?' },
      { id: '9007199254740993', name: 'a?' },
    ]);
    expect(sel.rowCount).toBe(2);
    const upd = await s.query(`UPDATE ${table} SET name = ? WHERE id = ?`, ['b', 2]);
    expect(upd.rowCount).toBe(1);
    const n = await s.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
    expect(Number(n.rows[0]!.n)).toBe(2);
  });
  await expect(inTransaction(d, async (s) => {
    await s.query(`DELETE FROM ${table}`);
    throw new Error('undo');
  })).rejects.toThrow('undo');
  const left = await withSession(d, (s) => s.query(`SELECT id FROM ${table}`));
  expect(left.rows).toHaveLength(2);
  await withSession(d, (s) => s.query(`DROP TABLE ${table}`));
}

describe('PGlite driver', () => {
  it('round trips with ? params in memory', async () => {
    const d = await openDriver({ url: 'pglite://memory' });
    expect(d.singleConnection).toBe(true);
    expect(d.label).toBe('pglite://memory');
    // Two sessions at once on the one connection must not deadlock.
    const [a, b] = [await d.acquire(), await d.acquire()];
    expect((await a.query('SELECT ?::int AS x', [1])).rows).toEqual([{ x: 1 }]);
    expect((await b.query('SELECT ?::int8 AS x', [2])).rows).toEqual([{ x: '2' }]);
    a.release();
    b.release(true);
    await pgRoundTrip(d);
    await d.close();
  });

  it('stores in a folder relative to cwd, and wraps a given instance without closing it', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-pglite-'));
    try {
      const d = await openDriver({ url: 'pglite://data', cwd });
      expect(d.label).toBe(`pglite://${path.join(cwd, 'data')}`);
      await withSession(d, (s) => s.query('CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)'));
      await d.close();
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(path.join(cwd, 'data'));
      const w = await openDriver({ connection: db });
      expect((await withSession(w, (s) => s.query('SELECT x FROM kept WHERE x = ?', [7]))).rows).toEqual([{ x: 7 }]);
      await w.close();
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await db.close();
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe('the library without url, connection or knexfile', () => {
  it('reads XC_DATABASE_URL, then DATABASE_URL, as the CLI does; with neither, the message says how, in library terms too', async () => {
    const saved = { x: process.env.XC_DATABASE_URL, d: process.env.DATABASE_URL };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-lib-env-'));
    try {
      await writeFile(path.join(dir, '0001_t.json'), JSON.stringify({ operations: [{ createTable: { table: 't', columns: [{ name: 'id', type: 'int', primaryKey: true }] } }] }));
      delete process.env.XC_DATABASE_URL;
      process.env.DATABASE_URL = 'pglite://memory';
      const xc = createXc({ dir });
      expect((await xc.apply()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      await xc.close();
      process.env.XC_DATABASE_URL = 'nosuch://x';
      await expect(createXc({ dir }).status()).rejects.toThrow(/unsupported database URL nosuch:/);
      delete process.env.XC_DATABASE_URL;
      delete process.env.DATABASE_URL;
      await expect(createXc({ dir }).status()).rejects.toThrow(/no database configured; .*library: the `url` option.*a `connection`/);
    } finally {
      for (const [k, v] of [['XC_DATABASE_URL', saved.x], ['DATABASE_URL', saved.d]] as const) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an onEvent callback that throws', () => {
  it('stops the command between two steps as a stop asked for does, not as a step whose SQL failed; a re-run continues', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-lib-event-'));
    try {
      await writeFile(path.join(dir, '0001_t.json'), JSON.stringify({ operations: [{ createTable: { table: 't', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'name', type: 'text' }] } }] }));
      await writeFile(path.join(dir, '0002_r.json'), JSON.stringify({ operations: [{ renameColumn: { table: 't', from: 'name', to: 'full_name' } }] }));
      const db = new (await import('@electric-sql/pglite')).PGlite();
      let steps = 0;
      const stopping = createXc({ connection: db, dir, onEvent: (e) => { if (e.event === 'step' && ++steps === 3) throw new Error('bug in the progress callback'); } });
      const err = await stopping.apply().then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'interrupted', exitCode: 130 });
      expect((err as Error).message).toMatch(/^stopped: the onEvent callback threw on a "step" event \(bug in the progress callback\); nothing half done/);
      expect((err as Error).message).not.toMatch(/ failed: /);
      // The callback's own error, for its stack.
      expect((err as Error).cause).toMatchObject({ message: 'bug in the progress callback', stack: expect.stringContaining('drivers.test.ts') });
      await stopping.close();
      const xc = createXc({ connection: db, dir });
      expect((await xc.apply()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled']);
      await xc.close();
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describePg('PostgreSQL driver', () => {
  it('round trips from a URL', async () => {
    const d = await openDriver({ url: PG_URL! });
    expect(d.singleConnection).toBe(false);
    await pgRoundTrip(d);
    const name = await withSession(d, (s) => s.query<{ a: string }>('SELECT current_setting(?) AS a', ['application_name']));
    expect(name.rows[0]!.a).toBe('xc');
    await d.close();
  });

  it('survives a server-side kill of idle and checked-out connections', async () => {
    const d = await openDriver({ url: PG_URL! });
    const pidOf = async (s: Awaited<ReturnType<Driver['acquire']>>) =>
      (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const idle = await d.acquire();
    const idlePid = await pidOf(idle);
    idle.release();
    const held = await d.acquire();
    const heldPid = await pidOf(held);
    const killer = await d.acquire();
    await killer.query('SELECT pg_terminate_backend(?), pg_terminate_backend(?)', [idlePid, heldPid]);
    killer.release();
    await new Promise((r) => setTimeout(r, 200));
    await expect(held.query('SELECT 1')).rejects.toThrow();
    held.release(true);
    expect((await withSession(d, (s) => s.query('SELECT 1 AS one'))).rows).toEqual([{ one: 1 }]);
    await d.close();
  });

  it('wraps a pg Pool and a knex instance, leaving them open', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL });
    const d = await openDriver({ connection: pool });
    await pgRoundTrip(d);
    await d.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();

    const knex = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 2 } });
    const k = await openDriver({ connection: knex });
    expect(k.label).toBe('knex(pg)');
    await pgRoundTrip(k);
    const s = await k.acquire();
    s.release(true); // a destroyed connection is replaced by knex
    expect((await knex.raw('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await k.close();
    await knex.destroy();
  });

  it('opens a knexfile environment', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-knexfile-'));
    try {
      const u = new URL(PG_URL!);
      const file = path.join(dir, 'knexfile.ts');
      const conn = { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
      await writeFile(file, `const config: Record<string, unknown> = {\n  development: { client: 'sqlite3', connection: {} },\n  staging: { client: 'postgresql', connection: ${JSON.stringify(conn)} },\n};\nexport default config;\n`);
      const d = await driverFromKnexfile(file, 'staging');
      expect(d.label).toMatch(/^postgres:\/\//);
      await pgRoundTrip(d);
      await d.close();
      await expect(driverFromKnexfile(file, 'production')).rejects.toThrow(/no environment "production"; it has: development, staging/);
      await expect(driverFromKnexfile(file, 'development')).rejects.toThrow(/not supported/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeMysql('MySQL driver', () => {
  async function mysqlRoundTrip(d: Driver): Promise<void> {
    await withSession(d, async (s) => {
      await s.query(`DROP TABLE IF EXISTS ${table}`);
      await s.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text, at datetime)`);
      const ins = await s.query(`INSERT INTO ${table} (id, name, at) VALUES (?, ?, ?), (?, '?', NULL)`, ['9007199254740993', 'a?', '2026-01-02 03:04:05', 2]);
      expect(ins.rowCount).toBe(2);
      const sel = await s.query(`SELECT id, name, at FROM ${table} WHERE name <> ? ORDER BY id`, ['zzz']);
      expect(sel.rows.map((r) => ({ ...r }))).toEqual([
        { id: '2', name: '?', at: null },
        { id: '9007199254740993', name: 'a?', at: '2026-01-02 03:04:05' },
      ]);
      expect(sel.rowCount).toBe(2);
      expect((await s.query(`UPDATE ${table} SET name = ? WHERE id = ?`, ['b', 2])).rowCount).toBe(1);
      await expect(s.query('SELECT 1; SELECT 2')).rejects.toThrow(); // one statement per call
    });
    await expect(inTransaction(d, async (s) => {
      await s.query(`DELETE FROM ${table}`);
      throw new Error('undo');
    })).rejects.toThrow('undo');
    expect((await withSession(d, (s) => s.query(`SELECT id FROM ${table}`))).rows).toHaveLength(2);
    await withSession(d, (s) => s.query(`DROP TABLE ${table}`));
  }

  it('round trips from a URL, a mysql2 pool and a knex instance', async () => {
    const d = await openDriver({ url: MYSQL_URL! });
    await mysqlRoundTrip(d);
    await d.close();

    const pool = mysql.createPool(MYSQL_URL!);
    const p = await openDriver({ connection: pool });
    await mysqlRoundTrip(p);
    await p.close();
    await pool.end();

    const knex = knexFactory({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 2 } });
    const k = await openDriver({ connection: knex });
    expect(k.label).toBe('knex(mysql2)');
    await mysqlRoundTrip(k);
    await knex.destroy();
  });

  it("names the pooled connection behind a session of its own pool only (a mysql2 pool handed in is the application's)", async () => {
    const connectionIds = async (d: Driver) => {
      const seen: { pooled: object | undefined; id: unknown }[] = [];
      for (let i = 0; i < 2; i++) {
        await withSession(d, async (s) => void seen.push({ pooled: s.pooled, id: (await s.query<{ id: unknown }>('SELECT CONNECTION_ID() AS id')).rows[0]!.id }));
      }
      return seen;
    };
    const own = await openDriver({ url: MYSQL_URL! });
    const [a, b] = await connectionIds(own);
    await own.close();
    // The same connection handed out twice is the same object (mysql2 wraps it anew each time: statementLimit.ts keys on it).
    expect(a!.pooled).toBeDefined();
    expect(a!.id).toBe(b!.id);
    expect(b!.pooled).toBe(a!.pooled);

    const pool = mysql.createPool(MYSQL_URL!);
    const theirs = await openDriver({ connection: pool });
    expect((await connectionIds(theirs)).map((x) => x.pooled)).toEqual([undefined, undefined]);
    await theirs.close();
    await pool.end();
  });

  it('opens a knexfile with a URL connection', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-knexfile-'));
    try {
      const file = path.join(dir, 'knexfile.cjs.js');
      await writeFile(file, `module.exports = { client: 'mysql2', connection: ${JSON.stringify(MYSQL_URL)} };\n`);
      const d = await driverFromKnexfile(file);
      await mysqlRoundTrip(d);
      await d.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
