/**
 * MySQL / MariaDB plumbing for the benchmark: a throw-away database, identical
 * tables, an xc instance per scenario whose phase, step, verify and backfill
 * events are timed, and pt-online-schema-change run as a child process whose
 * output lines are timestamped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { mysqlOptionsFromUrl } from '../src/dialects/mysql/driver.js';
import { createXc, type Phase, type Xc } from '../src/index.js';
import type { XcTimeline } from './pg.js';
import type { Check, Checks, XcVariant } from './report.js';
import { Writer, type WriterStats } from './writer.js';

export interface MyBenchDb {
  url: string;
  name: string;
  /** Connection options of the bench database (host, port, user, password, database). */
  options: mysql.ConnectionOptions;
  /** The setup connection: loads tables, runs the timed plain statements, checks data. */
  conn: mysql.Connection;
  /** Another connection of its own (for a writer). */
  connect(): Promise<mysql.Connection>;
  drop(): Promise<void>;
}

/** Connect to the server of `adminUrl` (no database selected), or throw the driver's error. */
export async function connectAdmin(adminUrl: string): Promise<mysql.Connection> {
  const opts = mysqlOptionsFromUrl(adminUrl) as mysql.ConnectionOptions;
  delete opts.database;
  const c = await mysql.createConnection({ ...opts, connectTimeout: 5000 });
  c.on('error', () => undefined);
  return c;
}

export async function createMyBenchDb(adminUrl: string): Promise<MyBenchDb> {
  const name = `xc_bench_${randomBytes(4).toString('hex')}`;
  const admin = await connectAdmin(adminUrl);
  await admin.query(`CREATE DATABASE \`${name}\``);
  const u = new URL(adminUrl.replace(/^mariadb:/i, 'mysql:'));
  u.pathname = `/${name}`;
  const url = u.toString();
  const options = { ...(mysqlOptionsFromUrl(url) as mysql.ConnectionOptions) };
  const conns: mysql.Connection[] = [];
  const connect = async () => {
    const c = await mysql.createConnection({ ...options, supportBigNumbers: true, bigNumberStrings: true });
    c.on('error', () => undefined);
    conns.push(c);
    return c;
  };
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await Promise.all(conns.map((c) => c.end().catch(() => c.destroy())));
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  };
  try {
    return { url, name, options, conn: await connect(), connect, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

export async function one<T = number>(db: MyBenchDb, sql: string, params: unknown[] = []): Promise<T> {
  const [rows] = await db.conn.query(sql, params);
  const row = (rows as Record<string, unknown>[])[0];
  const value = row ? Object.values(row)[0] : undefined;
  return (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value) as T;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * `id int primary key, amount int not null default 0, pad varchar(64)`, filled
 * with 1..rows by INSERT ... SELECT doubling (`amount = id % 1000`, `pad =
 * md5(id)`), analyzed, and its pages flushed (`FLUSH TABLES ... FOR EXPORT`,
 * the per-table counterpart of PostgreSQL's CHECKPOINT) so the timed part
 * does not pay for the load's writes.
 */
export async function loadTable(db: MyBenchDb, table: string, rows: number): Promise<void> {
  const c = db.conn;
  await c.query(`DROP TABLE IF EXISTS \`${table}\``);
  await c.query(`CREATE TABLE \`${table}\` (id int PRIMARY KEY, amount int NOT NULL DEFAULT 0, pad varchar(64)) ENGINE=InnoDB`);
  await c.query(`INSERT INTO \`${table}\` (id, amount, pad) VALUES (1, 1, md5(1))`);
  for (let n = 1; n < rows; n *= 2) {
    await c.query(`INSERT INTO \`${table}\` (id, amount, pad) SELECT id + ?, (id + ?) % 1000, md5(id + ?) FROM \`${table}\` WHERE id <= ?`, [n, n, n, Math.min(n, rows - n)]);
  }
  await c.query(`ANALYZE TABLE \`${table}\``);
  await flush(db, table);
}

/** Write the table's dirty pages to disk (and let purge catch up) before a timed part. */
export async function flush(db: MyBenchDb, table: string): Promise<void> {
  await db.conn.query(`FLUSH TABLES \`${table}\` FOR EXPORT`);
  await db.conn.query('UNLOCK TABLES');
}

/** Column type as the catalog shows it, e.g. `bigint(20)` / `bigint`. */
export async function columnType(db: MyBenchDb, table: string, column: string): Promise<string | null> {
  return (
    (await one<string | undefined>(
      db,
      'SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, column],
    )) ?? null
  );
}

/** What xc reported while it ran, all as performance.now() times. */
export interface MyXcTimeline extends XcTimeline {
  steps: { at: number; phase: string; description: string; sql: string }[];
  verifies: { at: number; checked: number }[];
  /** When contract() was called (after the deploy was recorded). */
  contractCalledAt?: number;
}

// One reading of phase events for both sections.
export { between, phaseAtTime } from './pg.js';

/** Each step of a phase with how long it ran (until the next step, or the phase's end event). */
export function stepDurations(t: MyXcTimeline, phase: string, end: number): { description: string; sql: string; ms: number }[] {
  const steps = t.steps.filter((s) => s.phase === phase);
  return steps.map((s, i) => ({ description: s.description, sql: s.sql, ms: (steps[i + 1]?.at ?? end) - s.at }));
}

export const ALTER_COLUMN_MIGRATION = (table: string) => ({
  operations: [
    {
      alterColumn: {
        table,
        column: 'amount',
        to: 'amount_big',
        type: 'bigint',
        up: 'amount',
        down: { postgres: 'CAST(amount_big AS int)', mysql: 'CAST(amount_big AS SIGNED)' },
      },
    },
  ],
});

/**
 * An xc on `db` whose only migration is the alterColumn amount int →
 * amount_big bigint of `table`. Afterwards xc's state tables (`xc_*`) are
 * dropped, so the next scenario starts from nothing.
 */
export async function withXc<T>(
  db: MyBenchDb,
  table: string,
  opts: XcVariant,
  fn: (xc: Xc, t: MyXcTimeline) => Promise<T>,
  migration: object = ALTER_COLUMN_MIGRATION(table),
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-'));
  await writeFile(path.join(dir, `0001_${table}_amount_bigint.json`), JSON.stringify(migration, null, 2));
  const timeline: MyXcTimeline = { phaseAt: new Map(), batches: [], steps: [], verifies: [] };
  const xc = createXc({
    url: db.url,
    dir,
    batchTimeMs: opts.batchTimeMs,
    parallel: opts.parallel,
    onEvent: (e) => {
      const at = performance.now();
      if (e.event === 'phase') timeline.phaseAt.set(e.to, at);
      if (e.event === 'backfill') timeline.batches.push({ at, size: e.batchSize });
      if (e.event === 'step') timeline.steps.push({ at, phase: e.phase, description: e.description, sql: e.sql });
      if (e.event === 'verify') timeline.verifies.push({ at, checked: e.checked });
    },
  });
  try {
    return await fn(xc, timeline);
  } finally {
    await xc.close();
    await rm(dir, { recursive: true, force: true });
    await dropXcState(db);
  }
}

export async function dropXcState(db: MyBenchDb): Promise<void> {
  const [rows] = await db.conn.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'xc\\_%'`);
  for (const { t } of rows as { t: string }[]) await db.conn.query(`DROP TABLE IF EXISTS \`${t}\``);
}

export const PT_OSC = 'pt-online-schema-change';

/** Why pt-online-schema-change cannot run here, or null when it can (the tool and its perl driver are there). */
export function ptOscMissing(): string | null {
  const v = spawnSync(PT_OSC, ['--version'], { encoding: 'utf8' });
  if (v.error) return `\`${PT_OSC}\` is not installed (${(v.error as NodeJS.ErrnoException).code ?? v.error.message}; Debian: \`apt-get install percona-toolkit\`)`;
  const dbd = spawnSync('perl', ['-MDBD::mysql', '-e', '1'], { encoding: 'utf8' });
  if (dbd.status !== 0) return `\`${PT_OSC}\` cannot load perl DBD::mysql (Debian: \`apt-get install libdbd-mysql-perl\`)`;
  return null;
}

export function ptOscVersion(): string {
  return spawnSync(PT_OSC, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

export interface PtOscRun {
  ms: number;
  args: string[];
  /** Output lines with the time (ms since the start) each arrived. */
  lines: { ms: number; text: string }[];
}

/** The pt-osc flags of this benchmark (everything but the DSN and `--execute`). */
export function ptOscFlags(alter: string): string[] {
  return [
    '--alter', alter,
    '--no-check-alter',
    '--recursion-method=none',
    '--chunk-time', '0.5',
    '--max-load', 'Threads_running=50',
    '--critical-load', 'Threads_running=100',
  ];
}

/** Run pt-online-schema-change on `table` of the bench database; throws with its output when it fails. */
export async function runPtOsc(db: MyBenchDb, table: string, alter: string): Promise<PtOscRun> {
  const o = db.options;
  const dsn = [`D=${db.name}`, `t=${table}`, `h=${o.host ?? '127.0.0.1'}`, `P=${o.port ?? 3306}`, `u=${o.user ?? 'root'}`, ...(o.password ? [`p=${o.password}`] : [])].join(',');
  const args = [...ptOscFlags(alter), dsn, '--execute'];
  const lines: PtOscRun['lines'] = [];
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(PT_OSC, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const take = (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split(/\r?\n|\r/);
      partial = parts.pop()!;
      for (const text of parts) if (text.trim()) lines.push({ ms: performance.now() - t0, text });
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (c) => {
      if (partial.trim()) lines.push({ ms: performance.now() - t0, text: partial });
      resolve(c);
    });
  });
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${PT_OSC} exited ${code}:\n${lines.map((l) => l.text).join('\n').slice(-3000)}`);
  // The password never goes into the report.
  return { ms, args: args.map((a) => (a.includes(',p=') ? a.replace(/,p=[^,]*/, ',p=***') : a)), lines };
}

/** When the first output line matching `re` arrived (ms since the start), or undefined. */
export function lineAt(run: PtOscRun, re: RegExp): number | undefined {
  return run.lines.find((l) => re.test(l.text))?.ms;
}

/**
 * Before a timed part: optionally flush `table`, then wait (at most 30 s)
 * until purge has caught up and the buffer pool's dirty pages stop going down
 * (MariaDB leaves some dirty pages while idle; the table's own are flushed),
 * so the part does not pay for the previous one's writes.
 */
export async function settle(db: MyBenchDb, table?: string): Promise<void> {
  if (table) await flush(db, table);
  const deadline = Date.now() + 30_000;
  let lowest = Infinity;
  let stableSince = Date.now();
  for (;;) {
    const [rows] = await db.conn.query(
      `SELECT (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY') AS dirty,
              (SELECT COUNT FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len') AS history`,
    );
    const r = (rows as Record<string, string | number | null>[])[0]!;
    const dirty = Number(r.dirty ?? 0);
    const history = Number(r.history ?? 0);
    if (dirty < lowest) (lowest = dirty), (stableSince = Date.now());
    if ((history < 1000 && Date.now() - stableSince >= 1000) || Date.now() > deadline) return;
    await new Promise((res) => setTimeout(res, 250));
  }
}

export interface LoadRun {
  label: string;
  ms: number;
  writer: WriterStats;
}

/**
 * Run `change` while a writer writes to `t`; afterwards check that every
 * write landed (row count, sum) in the column the change leaves, that it has
 * no NULL, and its type.
 */
export async function underWriter(
  db: MyBenchDb, t: string, N: number, label: string, checks: Checks, change: (w: Writer) => Promise<string>,
  /** More checks of the table after the change, before it is dropped. */
  after?: (t: string) => Promise<Check[]>,
): Promise<LoadRun> {
  await loadTable(db, t, N);
  const sum0 = await one(db, `SELECT SUM(amount) FROM \`${t}\``);
  await settle(db);
  const writer = new Writer(await db.connect(), `\`${t}\``, N, 2, 'mysql').start();
  let column = 'amount';
  const { ms } = await timed(async () => {
    column = await change(writer);
  });
  const stats = await writer.stop();
  checks.add(
    { table: t, what: 'row count = loaded + inserted', expected: N + stats.inserts, found: await one(db, `SELECT COUNT(*) FROM \`${t}\``) },
    { table: t, what: `rows where ${column} IS NULL`, expected: 0, found: await one(db, `SELECT COUNT(*) FROM \`${t}\` WHERE \`${column}\` IS NULL`) },
    // Inserts write 1, updates add 1: any lost or doubled write shows here.
    { table: t, what: `sum(${column}) = loaded + writes`, expected: sum0 + stats.writes, found: await one(db, `SELECT SUM(\`${column}\`) FROM \`${t}\``) },
    { table: t, what: `type of ${column}`, expected: 'bigint', found: ((await columnType(db, t, column)) ?? 'missing').replace(/\(\d+\)/, '') },
  );
  if (column !== 'amount') checks.add({ table: t, what: 'column amount dropped', expected: 'yes', found: (await columnType(db, t, 'amount')) === null ? 'yes' : 'no' });
  if (after) checks.add(...(await after(t)));
  await db.conn.query(`DROP TABLE \`${t}\``);
  return { label, ms, writer: stats };
}
