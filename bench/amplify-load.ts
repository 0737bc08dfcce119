/**
 * The amplification section's plumbing: one interface over a PostgreSQL and a
 * MariaDB bench database (bench/pg.ts, bench/my.ts), and closed-loop writers —
 * each client on its own connection sends its next single-row write as soon
 * as the previous one returned, for a fixed time, timing every statement.
 * Statements are prepared (a named pg statement; mysql2 `execute`), as an
 * application's driver or ORM would, so what is timed is the server's work
 * and the round trip, not parsing.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type mysql from 'mysql2/promise';
import type { Xc } from '../src/index.js';
import { createBenchDb, one as pgOne, withXc as withPgXc, type BenchDb } from './pg.js';
import { createMyBenchDb, one as myOne, settle, withXc as withMyXc, type MyBenchDb } from './my.js';
import { percentile } from './report.js';

/** A connection that runs one prepared write and returns the rows it changed. */
export interface WriteConn {
  write(sql: string, params: unknown[]): Promise<number>;
}

export interface Side {
  db: 'PostgreSQL' | 'MariaDB';
  server: string;
  /** The server settings that decide what a commit costs. */
  settings: string;
  q(id: string): string;
  /** The n-th bind placeholder (1-based). */
  p(n: number): string;
  scalar(sql: string): Promise<number>;
  exec(sql: string): Promise<void>;
  /** Writer connections, each its own session. */
  conns: WriteConn[];
  /** The server's WAL insert position (PostgreSQL) or InnoDB redo LSN (MariaDB), in bytes; server-wide. */
  logPosition(): Promise<number>;
  /** `to` as a copy of `from` (same definition, same rows), compacted and analyzed. */
  copyTable(from: string, to: string): Promise<void>;
  /** Compact and flush the tables, so a timed part pays neither for the previous part's writes nor for a bloated table. */
  settle(tables: string[]): Promise<void>;
  withXc<T>(table: string, migration: object, fn: (xc: Xc) => Promise<T>): Promise<T>;
  /** Columns of `table` beside id, amount and pad (the one xc added). */
  addedColumns(table: string): Promise<string[]>;
  drop(): Promise<void>;
}

/** `id int primary key, amount int not null default 0, pad`, `rows` rows, amount = id % 1000. */
const TEMPLATE = 'amp_template';

export async function postgresSide(url: string, rows: number, clients: number): Promise<Side> {
  const db: BenchDb = await createBenchDb(url);
  try {
    const pgConns: pg.Client[] = [];
    for (let i = 0; i < clients; i++) pgConns.push(await db.connect());
    const exec = async (sql: string) => void (await db.client.query(sql));
    await exec(`CREATE TABLE ${TEMPLATE} (id int PRIMARY KEY, amount int NOT NULL DEFAULT 0, pad text)`);
    await db.client.query(`INSERT INTO ${TEMPLATE} SELECT i, i % 1000, md5(i::text) FROM generate_series(1, $1::int) i`, [rows]);
    const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
    return {
      db: 'PostgreSQL',
      server: (await pgOne<string>(db, 'SELECT version()')).replace(/ on .*/, ''),
      settings: await pgOne<string>(db, `SELECT 'synchronous_commit ' || current_setting('synchronous_commit') || ', fsync ' || current_setting('fsync') || ', shared_buffers ' || current_setting('shared_buffers')`),
      q,
      p: (n) => `$${n}`,
      scalar: async (sql) => Number(await pgOne(db, sql)),
      exec,
      conns: pgConns.map((c) => ({
        write: async (text, values) => (await c.query({ name: `amp_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text, values })).rowCount ?? 0,
      })),
      logPosition: async () => Number(await pgOne(db, `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')`)),
      copyTable: async (from, to) => {
        await exec(`CREATE TABLE ${q(to)} (LIKE ${q(from)} INCLUDING ALL)`);
        await exec(`INSERT INTO ${q(to)} SELECT * FROM ${q(from)}`);
        await exec(`VACUUM ANALYZE ${q(to)}`);
      },
      settle: async (tables) => {
        // xc's backfill left a dead version of every row: rewrite both tables alike, then flush.
        for (const t of tables) await exec(`VACUUM FULL ANALYZE ${q(t)}`);
        await exec('CHECKPOINT');
      },
      withXc: (table, migration, fn) => withPgXc(db, table, {}, (xc) => fn(xc), migration),
      addedColumns: async (table) =>
        (await db.client.query(`SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('id', 'amount', 'pad') ORDER BY attnum`, [table])).rows.map(
          (r: { attname: string }) => r.attname,
        ),
      drop: () => db.drop(),
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

export async function mariadbSide(url: string, rows: number, clients: number): Promise<Side> {
  const db: MyBenchDb = await createMyBenchDb(url);
  try {
    const myConns: mysql.Connection[] = [];
    for (let i = 0; i < clients; i++) myConns.push(await db.connect());
    const exec = async (sql: string) => void (await db.conn.query(sql));
    await exec(`CREATE TABLE ${TEMPLATE} (id int PRIMARY KEY, amount int NOT NULL DEFAULT 0, pad varchar(64)) ENGINE=InnoDB`);
    await exec(`INSERT INTO ${TEMPLATE} (id, amount, pad) VALUES (1, 1, md5(1))`);
    for (let n = 1; n < rows; n *= 2)
      await db.conn.query(`INSERT INTO ${TEMPLATE} (id, amount, pad) SELECT id + ?, (id + ?) % 1000, md5(id + ?) FROM ${TEMPLATE} WHERE id <= ?`, [n, n, n, Math.min(n, rows - n)]);
    const q = (id: string) => `\`${id.replace(/`/g, '``')}\``;
    const version = await myOne<string>(db, 'SELECT VERSION()');
    return {
      db: 'MariaDB',
      server: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`,
      settings: await myOne<string>(db, `SELECT CONCAT('innodb_flush_log_at_trx_commit ', @@innodb_flush_log_at_trx_commit, ', innodb_buffer_pool_size ', @@innodb_buffer_pool_size DIV 1048576, ' MiB')`),
      q,
      p: () => '?',
      scalar: async (sql) => Number(await myOne(db, sql)),
      exec,
      conns: myConns.map((c) => ({
        write: async (sql, params) => ((await c.execute(sql, params as mysql.ExecuteValues[])) as unknown as [{ affectedRows: number }])[0].affectedRows,
      })),
      logPosition: async () => Number(await myOne(db, `SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_LSN_CURRENT'`)),
      copyTable: async (from, to) => {
        await exec(`CREATE TABLE ${q(to)} LIKE ${q(from)}`);
        await exec(`INSERT INTO ${q(to)} SELECT * FROM ${q(from)}`);
        await exec(`ANALYZE TABLE ${q(to)}`);
      },
      settle: async (tables) => {
        // Rebuilt alike (xc's backfill rewrote every row of one of them), flushed, purge caught up.
        for (const t of tables) await db.conn.query(`ALTER TABLE ${q(t)} FORCE`);
        for (const t of tables) await settle(db, t);
      },
      withXc: (table, migration, fn) => withMyXc(db, table, {}, (xc) => fn(xc), migration),
      addedColumns: async (table) => {
        const [r] = await db.conn.query(
          `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME NOT IN ('id', 'amount', 'pad') ORDER BY ORDINAL_POSITION`,
          [table],
        );
        return (r as { c: string }[]).map((x) => x.c);
      },
      drop: () => db.drop(),
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

export interface LoopStats {
  /** Statements that returned, and the rows they changed (a bulk statement changes many). */
  writes: number;
  rows: number;
  ms: number;
  latencies: number[];
  errors: string[];
  /** Server-wide WAL / redo bytes written during the loop. */
  logBytes: number;
}

export const throughput = (s: LoopStats) => (s.writes * 1000) / s.ms;
export const p50 = (s: LoopStats) => percentile(s.latencies, 50);
export const p99 = (s: LoopStats) => percentile(s.latencies, 99);

/** `conns` clients each write back to back for `ms`; `next(client)` gives the next statement. */
export async function closedLoop(side: Side, conns: WriteConn[], ms: number, next: (client: number) => { sql: string; params: unknown[] }): Promise<LoopStats> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let rows = 0;
  const log0 = await side.logPosition();
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    conns.map(async (c, i) => {
      while (performance.now() < end) {
        const { sql, params } = next(i);
        const s = performance.now();
        try {
          const n = await c.write(sql, params);
          rows += n;
          latencies.push(performance.now() - s);
        } catch (err) {
          errors.push(`${sql}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const elapsed = performance.now() - t0;
  return { writes: latencies.length, rows, ms: elapsed, latencies, errors, logBytes: (await side.logPosition()) - log0 };
}
