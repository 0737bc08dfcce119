/**
 * Issue 11: xc on the application's own pool gives every session back with
 * the settings the application gave it. Before, a step's lock timeout was put
 * back with `RESET`/`= DEFAULT` (the application's own value lost) and the
 * advisory-lock session kept xc's label — on PostgreSQL the application_name
 * `app@version` the deploy gate reads to see a running version.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';

/** More sessions than xc takes at once, all of them read back at the end. */
const POOL = 6;

interface AppPool {
  connection: unknown;
  /** The application's settings as each of POOL sessions shows them. */
  settings(): Promise<string[]>;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function allAtOnce<C extends { release(): void }>(acquire: () => Promise<C>, read: (c: C) => Promise<string>): Promise<string[]> {
  const conns = await Promise.all(Array.from({ length: POOL }, acquire));
  try {
    return await Promise.all(conns.map(read));
  } finally {
    for (const c of conns) c.release();
  }
}

function pgPool(db: Db): AppPool {
  // Never closed for idling: a session xc changed must still be the one read back.
  const pool = new pg.Pool({ connectionString: db.url, max: POOL, idleTimeoutMillis: 0 });
  pool.on('error', () => undefined);
  pool.on('connect', (c) => void c.query(`SET lock_timeout = '7s'; SET idle_session_timeout = '9min'; SET application_name = 'shop@1'`).catch(() => undefined));
  cleanup.push(() => pool.end());
  return {
    connection: pool,
    async settings() {
      // Every session back in the pool first (none still being given back).
      for (let i = 0; i < 100 && pool.idleCount < pool.totalCount; i++) await new Promise((r) => setTimeout(r, 20));
      return allAtOnce(
        () => pool.connect(),
        async (c) => {
          const r = await c.query<{ v: string }>(`SELECT concat_ws(' ', current_setting('lock_timeout'), current_setting('idle_session_timeout'), current_setting('application_name')) AS v`);
          return r.rows[0]!.v;
        },
      );
    },
  };
}

function mysqlPool(db: Db): AppPool {
  const pool = mysql.createPool({ uri: db.url, connectionLimit: POOL, maxIdle: POOL, idleTimeout: 3_600_000 });
  pool.on('connection', (c) => void c.query('SET SESSION lock_wait_timeout = 77, innodb_lock_wait_timeout = 33, wait_timeout = 555'));
  cleanup.push(() => pool.end());
  return {
    connection: pool,
    async settings() {
      await new Promise((r) => setTimeout(r, 200)); // sessions being given back
      return allAtOnce(
        () => pool.getConnection(),
        async (c) => {
          const [rows] = await c.query(`SELECT CONCAT_WS(' ', @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout, @@SESSION.wait_timeout) AS v`);
          return String((rows as { v: string }[])[0]!.v);
        },
      );
    },
  };
}

for (const target of targets) {
  target.describe(`the application's pool (${target.name})`, () => {
    it("every session goes back with the application's lock timeout, idle timeout and application_name, after steps, a backfill and the lock session", async () => {
      const db = await target.create('xc_pooled');
      cleanup.push(() => db.drop());
      const rows = Array.from({ length: 500 }, (_, i) => `(${i + 1}, ${i})`).join(', ');
      await db.query(`CREATE TABLE items (id int PRIMARY KEY, n int)`);
      await db.query(`INSERT INTO items (id, n) VALUES ${rows}`);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-pooled-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const operations = [{ addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: 'n + 1' } }, { addIndex: { table: 'items', columns: ['n'] } }];
      await writeFile(path.join(dir, '0001_m.json'), JSON.stringify({ operations }));

      const app = target.name === 'postgres' ? pgPool(db) : mysqlPool(db);
      const expected = target.name === 'postgres' ? '7s 9min shop@1' : '77 33 555';
      expect(await app.settings()).toEqual(Array(POOL).fill(expected));

      const xc = createXc({ connection: app.connection, dir, batchSize: 50 });
      cleanup.push(() => xc.close());
      await xc.apply();
      expect(await db.query(`SELECT count(*) AS n FROM items WHERE m = n + 1`)).toEqual([{ n: '500' }]);
      expect(await app.settings()).toEqual(Array(POOL).fill(expected));
    });
  });
}
