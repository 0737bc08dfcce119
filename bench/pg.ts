/**
 * PostgreSQL plumbing for the benchmark: a throw-away database, identical
 * tables, and an xc instance per scenario whose phase and backfill events are
 * timed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createXc, type Phase, type Xc } from '../src/index.js';
import type { XcVariant } from './report.js';

export interface BenchDb {
  url: string;
  name: string;
  /** The setup connection: loads tables, runs the timed plain statements, checks data. */
  client: pg.Client;
  /** Another connection of its own (for a writer). */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

export async function createBenchDb(adminUrl: string): Promise<BenchDb> {
  const name = `xc_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'xc-bench' });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  };
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  try {
    return { url, name, client: await connect(), connect, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

/** `id int primary key, amount int not null default 0, pad text`, filled, vacuumed and analyzed. */
export async function loadTable(db: BenchDb, table: string, rows: number): Promise<void> {
  await db.client.query(`DROP TABLE IF EXISTS ${table}`);
  await db.client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, amount int NOT NULL DEFAULT 0, pad text)`);
  await db.client.query(`INSERT INTO ${table} SELECT i, i % 1000, md5(i::text) FROM generate_series(1, $1::int) i`, [rows]);
  await db.client.query(`VACUUM ANALYZE ${table}`);
}

/** Flush dirty pages so the next timed part does not pay for the previous one's writes. */
export async function checkpoint(db: BenchDb): Promise<void> {
  await db.client.query('CHECKPOINT');
}

export async function one<T = number>(db: BenchDb, sql: string): Promise<T> {
  const r = await db.client.query(sql);
  return Object.values(r.rows[0] as Record<string, unknown>)[0] as T;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** What xc reported while it ran: when each phase began, and each backfill batch. */
export interface XcTimeline {
  phaseAt: Map<Phase, number>;
  batches: { at: number; size: number }[];
}

/** Time between two phase events, in ms. */
export function between(t: XcTimeline, from: Phase, to: Phase): number {
  const a = t.phaseAt.get(from);
  const b = t.phaseAt.get(to);
  if (a === undefined || b === undefined) throw new Error(`xc never reported phase ${a === undefined ? from : to}`);
  return b - a;
}

/** The phase xc was in at time `at` (the last phase event before it), or null before the first. */
export function phaseAtTime(t: XcTimeline, at: number): Phase | null {
  let found: Phase | null = null;
  for (const [phase, start] of [...t.phaseAt].sort((a, b) => a[1] - b[1])) if (start <= at) found = phase;
  return found;
}

/**
 * An xc on `db` whose only migration is the alterColumn amount int → amount_big
 * bigint of `table`. Afterwards xc's state schema is dropped, so the next
 * scenario starts from nothing.
 */
export async function withXc<T>(
  db: BenchDb,
  table: string,
  opts: XcVariant,
  fn: (xc: Xc, t: XcTimeline) => Promise<T>,
  migration: object = { operations: [{ alterColumn: { table, column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: 'CAST(amount_big AS int)' } }] },
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-'));
  await writeFile(path.join(dir, `0001_${table}_amount_bigint.json`), JSON.stringify(migration, null, 2));
  const timeline: XcTimeline = { phaseAt: new Map(), batches: [] };
  const xc = createXc({
    url: db.url,
    dir,
    batchTimeMs: opts.batchTimeMs,
    parallel: opts.parallel,
    onEvent: (e) => {
      if (e.event === 'phase') timeline.phaseAt.set(e.to, performance.now());
      if (e.event === 'backfill') timeline.batches.push({ at: performance.now(), size: e.batchSize });
    },
  });
  try {
    return await fn(xc, timeline);
  } finally {
    await xc.close();
    await rm(dir, { recursive: true, force: true });
    await db.client.query('DROP SCHEMA IF EXISTS xc CASCADE');
  }
}
