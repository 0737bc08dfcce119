/**
 * A statement time limit set for the application — PostgreSQL: the
 * database's `statement_timeout`; MariaDB: the account's
 * `MAX_STATEMENT_TIME` — reaches none of xc's own work: an index build, the
 * backfill's batches, the verify reads, a foreign key's and a NOT NULL's
 * validation all run past it. xc runs on the application's own pool, whose
 * sessions have the limit again once xc has given them back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { MYSQL_URL } from '../helpers/servers.js';
import { record } from '../helpers/scenario.js';

const LIMIT_MS = 50;
/** Sessions in the application's pool: more than xc takes at once (the lock session, two parts with a look-ahead each). */
const POOL = 8;
const ROWS = { postgres: 300_000, mysql: 200_000 };

/** The application's pool, on which every statement is limited to LIMIT_MS. */
interface AppPool {
  connection: unknown;
  /** A statement longer than the limit, which the server must cancel. */
  slow(): Promise<unknown>;
  /** The limit, in ms, on each of POOL sessions taken from the pool at once. */
  limits(): Promise<number[]>;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function pgPool(db: Db): Promise<AppPool> {
  const name = decodeURIComponent(new URL(db.url).pathname.slice(1));
  // Database-scoped: only sessions opened on this database from now on (not the test's own, already open) get it.
  await db.query(`ALTER DATABASE "${name.replace(/"/g, '""')}" SET statement_timeout = '${LIMIT_MS}ms'`);
  const pool = new pg.Pool({ connectionString: db.url, max: POOL });
  pool.on('error', () => undefined);
  cleanup.push(() => pool.end());
  return {
    connection: pool,
    slow: () => pool.query('SELECT pg_sleep(0.3)'),
    async limits() {
      // Every session back in the pool first (none still being given back).
      for (let i = 0; i < 100 && pool.idleCount < pool.totalCount; i++) await new Promise((r) => setTimeout(r, 20));
      const clients = await Promise.all(Array.from({ length: POOL }, () => pool.connect()));
      try {
        return await Promise.all(
          clients.map(async (c) => {
            const v = (await c.query<{ ms: string }>(`SELECT EXTRACT(EPOCH FROM current_setting('statement_timeout')::interval) * 1000 AS ms`)).rows[0]!.ms;
            return Number(v);
          }),
        );
      } finally {
        for (const c of clients) c.release();
      }
    },
  };
}

/** MariaDB has no per-database limit: an account of the test's own, limited by GRANT, is the application's. */
async function mariadbPool(db: Db): Promise<AppPool | null> {
  const version = String((await db.query<{ v: string }>('SELECT VERSION() AS v'))[0]!.v);
  if (!/mariadb/i.test(version)) return null;
  const database = decodeURIComponent(new URL(db.url).pathname.slice(1));
  const user = `xc_lim_${randomBytes(4).toString('hex')}`;
  const root = await mysql.createConnection({ uri: MYSQL_URL! });
  try {
    await root.query(`CREATE USER ?@'%'`, [user]);
    await root.query(`GRANT ALL ON \`${database}\`.* TO ?@'%' WITH MAX_STATEMENT_TIME ${LIMIT_MS / 1000}`, [user]);
    // xc's look for blocking transactions reads information_schema.INNODB_TRX, which wants PROCESS.
    await root.query(`GRANT PROCESS ON *.* TO ?@'%'`, [user]);
  } finally {
    await root.end();
  }
  cleanup.push(async () => {
    const r = await mysql.createConnection({ uri: MYSQL_URL! });
    await r.query(`DROP USER IF EXISTS ?@'%'`, [user]);
    await r.end();
  });
  const u = new URL(db.url);
  u.username = user;
  u.password = '';
  const pool = mysql.createPool({ uri: u.toString(), connectionLimit: POOL });
  cleanup.push(() => pool.end());
  return {
    connection: pool,
    slow: () => pool.query('SELECT SLEEP(0.3) AS s'),
    async limits() {
      const conns = await Promise.all(Array.from({ length: POOL }, () => pool.getConnection()));
      try {
        return await Promise.all(
          conns.map(async (c) => {
            const [rows] = await c.query('SELECT @@SESSION.max_statement_time AS v');
            return Math.round(Number((rows as { v: string }[])[0]!.v) * 1000);
          }),
        );
      } finally {
        for (const c of conns) c.release();
      }
    },
  };
}

for (const target of targets) {
  target.describe(`statement time limits (${target.name})`, () => {
    it('an index build, backfill batches, verify reads and validations run past the application\'s 50 ms limit; its pooled sessions keep it', async (t) => {
      const db = await target.create('xc_stmt');
      cleanup.push(() => db.drop());
      const n = ROWS[target.name];
      await db.query(`CREATE TABLE owners (id int PRIMARY KEY)`);
      await db.query(`CREATE TABLE items (id int PRIMARY KEY, owner_id int NOT NULL, price int NOT NULL)`);
      if (db.dialect === 'postgres') {
        await db.query(`INSERT INTO owners SELECT g FROM generate_series(1, 1000) g`);
        await db.query(`INSERT INTO items SELECT g, 1 + g % 1000, g % 997 FROM generate_series(1, ${n}) g`);
      } else {
        await db.query(`INSERT INTO owners SELECT seq FROM seq_1_to_1000`);
        await db.query(`INSERT INTO items SELECT seq, 1 + seq % 1000, seq % 997 FROM seq_1_to_${n}`);
      }
      const app = db.dialect === 'postgres' ? await pgPool(db) : await mariadbPool(db);
      if (!app) return t.skip('MySQL has no per-account statement limit to stand for the application\'s; this runs on MariaDB');

      // The limit is real: the application's own long statement is cancelled.
      await expect(app.slow()).rejects.toThrow(/statement timeout|max_statement_time/);
      expect(await app.limits()).toEqual(Array(POOL).fill(LIMIT_MS));

      const dir = await mkdtemp(path.join(tmpdir(), 'xc-stmt-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(
        path.join(dir, '0001_limits.json'),
        JSON.stringify({
          operations: [
            { addIndex: { table: 'items', columns: ['price'], name: 'items_price_idx' } },
            { addForeignKey: { table: 'items', columns: ['owner_id'], references: { table: 'owners', columns: ['id'] }, name: 'items_owner_fk' } },
            { addColumn: { table: 'items', column: { name: 'cents', type: 'bigint', nullable: false }, up: 'price * 100' } },
          ],
        }),
      );
      const xc = createXc({ connection: app.connection, dir });
      cleanup.push(() => xc.close());

      await xc.apply();
      expect(await db.count(`SELECT COUNT(*) FROM items WHERE cents IS NULL OR cents <> price * 100`)).toBe(0);
      await record(xc, '0001_limits');
      await xc.contract();

      expect(await db.count(`SELECT COUNT(*) FROM items`)).toBe(n);
      expect(await db.count(`SELECT COUNT(*) FROM items WHERE cents IS NULL OR cents <> price * 100`)).toBe(0);
      expect((await db.columns('items')).find((c) => c.name === 'cents')?.nullable).toBe(false);
      expect(await db.indexes('items')).toContainEqual(expect.objectContaining({ name: 'items_price_idx', columns: ['price'] }));
      if (db.dialect === 'postgres') {
        expect(await db.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'items_owner_fk'`)).toEqual([{ convalidated: true }]);
      } else {
        expect(await db.count(`SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'items_owner_fk'`)).toBe(1);
      }
      await expect(db.query(`INSERT INTO items (id, owner_id, price, cents) VALUES (?, 5000, 1, 100)`, [n + 1])).rejects.toThrow();

      // What xc lifted on the application's sessions it put back before giving them back.
      expect(await app.limits()).toEqual(Array(POOL).fill(LIMIT_MS));
      await expect(app.slow()).rejects.toThrow(/statement timeout|max_statement_time/);
    }, 300_000);
  });
}
