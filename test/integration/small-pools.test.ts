/**
 * A pool the application hands in, of one connection (pg `max: 1`, mysql2
 * `connectionLimit: 1`, knex `pool.max: 1`): xc holds its lock on a session
 * of its own for the whole command and works on another, so `apply` waited
 * forever for a second connection, saying nothing (campaign N). It is now
 * refused at once (exit 2, naming the pool and what it needs); a pool of two
 * runs the whole lifecycle, backfill workers and the report of who blocks a
 * DDL waiting their turn.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { rejection } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function migrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-small-pools-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const users = { createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } };
  await writeFile(path.join(dir, '0001_users.json'), JSON.stringify({ operations: [users] }));
  await writeFile(path.join(dir, '0002_rename.json'), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
  return dir;
}

/** The application's own pool of `max` connections, of the kind `kind`. */
function appPool(db: Db, kind: 'pool' | 'knex', max: number): unknown {
  if (kind === 'knex') {
    const knex = knexFactory({ client: db.dialect === 'postgres' ? 'pg' : 'mysql2', connection: db.url, pool: { min: 0, max } });
    cleanup.push(() => knex.destroy());
    return knex;
  }
  if (db.dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: db.url, max });
    cleanup.push(() => pool.end());
    return pool;
  }
  const pool = mysql.createPool({ uri: db.url, connectionLimit: max });
  cleanup.push(() => pool.end());
  return pool;
}

for (const target of targets) {
  target.describe(`a pool the application hands in (${target.name})`, () => {
    for (const kind of ['pool', 'knex'] as const) {
      it(`${kind} of one connection: refused at once, exit 2, naming what it needs; nothing created`, async () => {
        const db = await target.create('xc_small_pool');
        cleanup.push(() => db.drop());
        const xc = createXc({ connection: appPool(db, kind, 1), dir: await migrations() });
        cleanup.push(() => xc.close());
        const e = await rejection(xc.apply());
        expect(e).toMatchObject({ exitCode: 2 });
        expect(e.message).toMatch(/lends at most 1 connection at once; xc needs 2: one holds its lock/);
        expect(await db.count(`SELECT count(*) FROM information_schema.tables WHERE table_schema = ${db.dialect === 'postgres' ? 'current_schema()' : 'DATABASE()'} AND table_name = 'users'`)).toBe(0);
      }, 60_000);
    }

    it('pool of two: the lifecycle runs, with two backfill workers and a blocked DDL reported (exit 5), then applied', async () => {
      const db = await target.create('xc_small_pool');
      cleanup.push(() => db.drop());
      const xc = createXc({ connection: appPool(db, 'pool', 2), dir: await migrations(), lockTimeoutMs: 200, lockRetryForMs: 1500, parallel: 2, batchSize: 500 });
      cleanup.push(() => xc.close());
      await xc.apply({ id: '0001_users' });
      await db.query(`INSERT INTO users (id, name) SELECT n, CONCAT('n', n) FROM (${db.dialect === 'postgres' ? 'SELECT generate_series(1, 3000) AS n' : 'SELECT seq AS n FROM seq_1_to_3000'}) s`);
      // An application transaction that read the table holds a lock the expand's DDL needs.
      const blocker = await db.connection();
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM users LIMIT 1');
      const blocked = await rejection(xc.apply());
      expect(blocked).toMatchObject({ exitCode: 5 });
      // The blocker is named (its session, idle in its transaction).
      expect(blocked.message).toMatch(/session \d+ .*idle in transaction/i);
      await blocker.query('ROLLBACK');
      await xc.apply();
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      await xc.contract();
      expect(await db.count(`SELECT count(*) FROM users WHERE full_name = CONCAT('n', id)`)).toBe(3000);
    }, 180_000);
  });
}
