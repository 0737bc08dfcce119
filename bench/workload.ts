/**
 * Issue 16 item 3, "the application under a real workload": 16 connections of mixed reads and writes
 * (point SELECT 60 %, UPDATE +1 30 %, INSERT 10 %) across the whole lifecycle of an
 * alterColumn amount int → amount_big bigint (up/down), against the same workload with no migration
 * and during a naive ALTER, on a freshly loaded table per condition, both databases.
 * PostgreSQL: pgbench with the scripts in bench/workload/ (bench/workload/pgbench.ts); MariaDB: a
 * mysql2 driver in this process (bench/workload/driver.ts, which says why not sysbench).
 *
 * Env: XC_BENCH_WORKLOAD_ROWS rows of the table (default 5000000); XC_BENCH_WORKLOAD_RATE queries/s over the 16
 * connections, each on a Poisson schedule as pgbench -R (default 0: a closed loop, each connection back to back).
 * XC_BENCH_WORKLOAD_DATABASES which (default "postgres,mysql"); XC_BENCH_WORKLOAD_XC_OPTIONS xc's options as JSON (e.g. {"parallel":1}; default xc's defaults).
 * A closed loop is the default because no fixed rate suits both a quiet and a busy 2-core machine in every
 * condition (at 1,000/s MariaDB fell behind during the online rebuild on a loaded box, and latency then
 * measures the backlog); its blind spot: a stall shows in the queries that waited, not in those never sent.
 * Reproduce: XC_BENCH_SECTIONS=workload npm run bench
 */
import type { BenchContext, BenchLog, BenchSection } from './context.js';
import * as my from './my.js';
import * as pgb from './pg.js';
import { Checks, millis, ratio, secs, type Check, type Section, type Table } from './report.js';
import { runDriver } from './workload/driver.js';
import { pgbenchShown, preparePg, runPgbench, TABLE } from './workload/pgbench.js';
import { stepAt, withWorkloadXc, type XcEvents } from './workload/xc.js';
import type { Xc } from '../src/index.js';
import { CONNECTIONS, summarize, type Span, type Summary, type WorkloadControl, type WorkloadRun } from './workload/stats.js';

const ROWS = Number(process.env.XC_BENCH_WORKLOAD_ROWS || 5_000_000);
const RATE = Number(process.env.XC_BENCH_WORKLOAD_RATE || 0);
/** Old version alone before the change starts; both versions after apply; the new one alone after contract. */
const LEAD_MS = 3000;
const MIXED_MS = 5000;
const TAIL_MS = 2000;
/** The quiet and naive runs last as long as xc's, up to this (the naive one longer if its ALTER is not done by then). */
const COMPARE_MAX_MS = 120_000;
const LOCK_TIMEOUT_MS = 1000;

type Condition = 'quiet' | 'xc' | 'naive';
const CONDITION_LABEL: Record<Condition, string> = {
  quiet: 'quiet (no migration)',
  xc: 'xc apply → deploy → contract',
  naive: 'naive ALTER',
};

interface ConditionRun {
  condition: Condition;
  run: WorkloadRun;
  spans: Span[];
  /** How long the change itself took (xc: apply start to contract end; naive: the ALTER). */
  changeMs?: number;
  /** xc's events (xc condition only). */
  events?: XcEvents;
  /** Why xc's apply failed, if it did: the run goes on to its end and the table is checked as the old version left it. */
  xcFailed?: string;
}

/** What a database brings: a fresh table, the workload, the naive ALTER, an xc, the checks. */
interface Side {
  name: string;
  server: string;
  load(): Promise<void>;
  workload(during: (ctl: WorkloadControl) => Promise<void>): Promise<WorkloadRun>;
  naiveSql: string;
  naive(): Promise<void>;
  withXc<T>(fn: (xc: Xc, events: XcEvents) => Promise<T>): Promise<T>;
  /** Load a 1,000-row table of the same shape as `table`, for the warm-up. */
  loadSmall(table: string): Promise<void>;
  dropState(): Promise<void>;
  exec(sql: string): Promise<void>;
  url: string;
  one(sql: string): Promise<number | string>;
  columnType(column: string): Promise<string | null>;
  drop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Sum of `id % 1000` over 1..N, the loaded sum of `amount`. */
function loadedSum(N: number): number {
  const full = Math.floor(N / 1000);
  const rest = N % 1000;
  return full * 499_500 + (rest * (rest + 1)) / 2;
}

async function pgSide(url: string): Promise<Side> {
  const db = await pgb.createBenchDb(url);
  const version = (await db.client.query('SHOW server_version')).rows[0].server_version as string;
  const shared = (await db.client.query('SHOW shared_buffers')).rows[0].shared_buffers as string;
  return {
    name: 'PostgreSQL',
    server: `PostgreSQL ${version} (shared_buffers ${shared})`,
    load: async () => {
      await db.client.query('DROP SCHEMA IF EXISTS xc CASCADE');
      await pgb.loadTable(db, TABLE, ROWS);
      await preparePg(db, ROWS);
      await pgb.checkpoint(db);
    },
    workload: (during) => runPgbench(db, ROWS, RATE, during),
    naiveSql: `ALTER TABLE ${TABLE} ALTER COLUMN amount TYPE bigint`,
    naive: async () => void (await db.client.query(`ALTER TABLE ${TABLE} ALTER COLUMN amount TYPE bigint`)),
    withXc: (fn) => withWorkloadXc(db.url, TABLE, async () => void (await db.client.query('DROP SCHEMA IF EXISTS xc CASCADE')), fn),
    loadSmall: (table) => pgb.loadTable(db, table, 1000),
    dropState: async () => void (await db.client.query('DROP SCHEMA IF EXISTS xc CASCADE')),
    exec: async (sql) => void (await db.client.query(sql)),
    url: db.url,
    one: (sql) => pgb.one(db, sql).then((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v)),
    columnType: async (column) =>
      ((await db.client.query(`SELECT data_type AS t FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`, [TABLE, column])).rows[0]?.t as string | undefined) ?? null,
    drop: () => db.drop(),
  };
}

async function mySide(url: string): Promise<Side> {
  const db = await my.createMyBenchDb(url);
  const version = await my.one<string>(db, 'SELECT VERSION()');
  const pool = await my.one<number>(db, 'SELECT @@innodb_buffer_pool_size DIV 1048576');
  const alter = `ALTER TABLE \`${TABLE}\` MODIFY amount BIGINT NOT NULL DEFAULT 0`;
  return {
    name: 'MariaDB',
    server: `${/mariadb/i.test(version) ? 'MariaDB' : 'MySQL'} ${version} (innodb_buffer_pool_size ${pool} MiB)`,
    load: async () => {
      await my.loadTable(db, TABLE, ROWS);
      await my.settle(db);
    },
    workload: (during) => runDriver(db, TABLE, ROWS, RATE, during),
    naiveSql: alter,
    naive: async () => void (await db.conn.query(alter)),
    withXc: (fn) => withWorkloadXc(db.url, TABLE, () => my.dropXcState(db), fn),
    loadSmall: (table) => my.loadTable(db, table, 1000),
    dropState: () => my.dropXcState(db),
    exec: async (sql) => void (await db.conn.query(sql)),
    url: db.url,
    one: (sql) => my.one(db, sql),
    columnType: async (column) => ((await my.columnType(db, TABLE, column)) ?? null)?.replace(/\(\d+\)/, '') ?? null,
    drop: () => db.drop(),
  };
}

/** One condition on a fresh table; data checks after it. `length` (ms): quiet and naive run as long as xc did, up to COMPARE_MAX_MS. */
async function condition(side: Side, c: Condition, length: number, checks: Checks, log: BenchLog): Promise<ConditionRun> {
  log(`workload ${side.name}: load ${ROWS.toLocaleString('en-US')} rows, then ${CONDITION_LABEL[c]}`);
  await side.load();
  const spans: Span[] = [];
  let changeMs: number | undefined;
  let column = 'amount';
  let events: XcEvents | undefined;
  let xcFailed: string | undefined;
  const during = async (ctl: WorkloadControl, xc?: Xc) => {
    const start = Date.now();
    await sleep(LEAD_MS);
    if (c === 'quiet') return sleep(Math.max(0, length - LEAD_MS));
    const changeAt = Date.now();
    if (c === 'naive') {
      await side.naive();
      changeMs = Date.now() - changeAt;
      spans.push({ label: 'before (no ALTER yet)', from: start, to: changeAt }, { label: `\`${side.naiveSql}\``, from: changeAt, to: Date.now() });
      const tail = Date.now();
      await sleep(Math.max(TAIL_MS, length - (Date.now() - start)));
      spans.push({ label: 'after the ALTER', from: tail, to: Date.now() });
      return;
    }
    try {
      await xc!.apply();
    } catch (err) {
      // A result, not a crash of the bench: the workload goes on, the table is checked as the old version left it.
      xcFailed = (err as Error).message;
      changeMs = Date.now() - changeAt;
      spans.push({ label: 'before: old version, no migration', from: start, to: changeAt }, { label: 'apply, until it failed (old version)', from: changeAt, to: Date.now() });
      const tail = Date.now();
      await sleep(TAIL_MS);
      spans.push({ label: 'after the failure (old version)', from: tail, to: Date.now() });
      return;
    }
    const applied = Date.now();
    await ctl.setNewPct(50);
    await xc!.deploy.record({ app: 'bench-workload', version: '2' });
    await sleep(MIXED_MS);
    const switchAt = Date.now();
    await ctl.setNewPct(100);
    await ctl.drainOld();
    const contractAt = Date.now();
    await xc!.contract();
    const contracted = Date.now();
    column = 'amount_big';
    changeMs = contracted - changeAt;
    await sleep(TAIL_MS);
    const at = (p: string, fallback: number) => events!.phases.get(p) ?? fallback;
    spans.push(
      { label: 'before: old version, no migration', from: start, to: changeAt },
      { label: 'apply: expand (old version)', from: changeAt, to: at('backfilling', applied) },
      { label: 'apply: backfill (old version)', from: at('backfilling', applied), to: applied },
      { label: 'deployed: old and new versions 50/50, deploy recorded', from: applied, to: switchAt },
      { label: 'switch: new version only, old queries drained', from: switchAt, to: contractAt },
      { label: 'contract: verify (new version only)', from: contractAt, to: at('contracting', contracted) },
      { label: 'contract: DDL (new version only)', from: at('contracting', contracted), to: contracted },
      { label: 'after: new version only', from: contracted, to: Date.now() },
    );
  };
  const run = c === 'xc' ? await side.withXc((xc, e) => ((events = e), side.workload((ctl) => during(ctl, xc)))) : await side.workload((ctl) => during(ctl));
  const t = `${side.name} ${c}`;
  const nulls = await side.one(`SELECT COUNT(*) FROM ${side.name === 'MariaDB' ? `\`${TABLE}\`` : TABLE} WHERE ${column} IS NULL`);
  const found: Check[] = [
    { table: t, what: 'row count = loaded + inserted', expected: ROWS + run.inserts, found: await side.one(`SELECT COUNT(*) FROM ${TABLE}`) },
    { table: t, what: `sum(${column}) = loaded + inserts (1 each) + updates (+1 each)`, expected: loadedSum(ROWS) + run.inserts + run.updates, found: await side.one(`SELECT SUM(${column}) FROM ${TABLE}`) },
    { table: t, what: `rows where ${column} IS NULL`, expected: 0, found: nulls },
  ];
  if (c !== 'quiet' && !xcFailed) found.push({ table: t, what: `type of ${column}`, expected: 'bigint', found: (await side.columnType(column)) ?? 'missing' });
  if (c === 'xc' && !xcFailed) found.push({ table: t, what: 'column amount dropped', expected: 'yes', found: (await side.columnType('amount')) === null ? 'yes' : 'no' });
  checks.add(...found);
  const line = (label: string, x: Summary) =>
    `${label}: ${secs(x.seconds * 1000)} s, ${x.queries} queries, ${Math.round(x.perSec)}/s, ${x.failed} failed, p50 ${millis(x.p50)} p99 ${millis(x.p99)} max ${millis(x.max)} ms`;
  log(`workload ${side.name} ${c}: ${line('whole run', summarize(run))}${changeMs !== undefined ? `; change ${secs(changeMs)} s` : ''}`);
  for (const sp of spans) log(`  ${line(sp.label, summarize(run, sp.from, sp.to))}`);
  if (xcFailed) log(`workload ${side.name} xc: apply FAILED: ${xcFailed}`);
  return { condition: c, run, spans, changeMs, events, xcFailed };
}

interface DbResult {
  side: string;
  runs: ConditionRun[];
}

/**
 * One whole lifecycle on a small table before anything is measured: xc's modules are loaded (and, run from
 * source, compiled) and its connections made, so that start-up does not land in the measured run — xc
 * normally runs as a process of its own, beside the application, not inside its timing.
 */
async function warmUp(side: Side, log: BenchLog): Promise<void> {
  log(`workload ${side.name}: warm-up lifecycle on a 1,000-row table`);
  await side.loadSmall('wl_warmup');
  await withWorkloadXc(side.url, 'wl_warmup', () => side.dropState(), async (xc) => {
    await xc.apply();
    await xc.deploy.record({ app: 'bench-warmup', version: '2' });
    await xc.contract();
  });
  await side.exec('DROP TABLE wl_warmup');
}

async function measure(side: Side, checks: Checks, log: BenchLog): Promise<DbResult> {
  await warmUp(side, log);
  // xc first: its lifecycle sets the length the other two run for.
  const xc = await condition(side, 'xc', 0, checks, log);
  // A steady workload's quiet latency settles within a minute or two: a 15-minute MariaDB lifecycle need not be run three times over.
  const length = Math.min(xc.run.to - xc.run.from, COMPARE_MAX_MS);
  const quiet = await condition(side, 'quiet', length, checks, log);
  const naive = await condition(side, 'naive', length, checks, log);
  return { side: side.name, runs: [quiet, xc, naive] };
}

/** The slowest queries of xc's run, each beside the phase and the xc step (DDL, fill) last started before it. */
function slowest(side: string, xc: ConditionRun): Table {
  const top = xc.run.queries.filter((q) => q.ok).sort((a, b) => b.ms - a.ms).slice(0, 5);
  return {
    title: `${side}: the ${top.length} slowest queries during xc's run`,
    head: ['started (s into the run)', 'latency (ms)', 'query', 'phase', "xc's last step or phase change before it"],
    rows: top.map((q) => {
      const span = xc.spans.find((s) => q.at >= s.from && q.at < s.to);
      const step = xc.events ? stepAt(xc.events, q.at) : null;
      const stepText = step ? `${step.description} (${secs(q.at - step.at)} s before)${step.sql ? `: \`${step.sql.split('\n')[0]!.slice(0, 120)}\`` : ''}` : '—';
      return [secs(q.at - xc.run.from), millis(q.ms), q.op, span?.label ?? '—', stepText];
    }),
    notes: ["Steps: the DDL and fill statements xc reported (`step` events), and its phase changes (the backfill's batches and the verify run within a phase)."],
  };
}

const row = (label: string, s: Summary, quiet?: Summary) => [
  label, secs(s.seconds * 1000), s.queries.toLocaleString('en-US'), Math.round(s.perSec).toLocaleString('en-US'), s.failed,
  millis(s.p50), millis(s.p99), millis(s.max), quiet ? ratio(s.p99, quiet.p99) : '—',
];
const HEAD = ['', 'seconds', 'queries', 'queries/s', 'failed', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'p99 vs quiet'];

export const workloadSection: BenchSection = async (ctx: BenchContext, log: BenchLog) => {
  const checks = new Checks();
  const notMeasured: string[] = [];
  const results: DbResult[] = [];
  const servers: string[] = [];
  const wanted = (process.env.XC_BENCH_WORKLOAD_DATABASES || 'postgres,mysql').split(',');
  const sides: (() => Promise<Side>)[] = [
    ...(wanted.includes('postgres') ? [() => pgSide(ctx.pgUrl)] : []),
    ...(ctx.myUp && wanted.includes('mysql') ? [() => mySide(ctx.myUrl)] : []),
  ];
  if (!wanted.includes('mysql')) notMeasured.push('MariaDB: not measured in this run (XC_BENCH_WORKLOAD_DATABASES).');
  for (const make of sides) {
    const side = await make();
    servers.push(side.server);
    try {
      results.push(await measure(side, checks, log));
    } finally {
      await side.drop();
    }
  }

  const tables: Table[] = [];
  const conclusions: string[] = [];
  const met = (ok: boolean) => (ok ? 'target met' : '**target MISSED**');
  for (const r of results) {
    const [quiet, xc, naive] = r.runs as [ConditionRun, ConditionRun, ConditionRun];
    const q = summarize(quiet.run);
    const x = summarize(xc.run);
    const n = summarize(naive.run);
    const phases = xc.spans.map((s) => ({ s, sum: summarize(xc.run, s.from, s.to) }));
    const worst = phases.reduce((a, b) => (b.sum.max > a.sum.max ? b : a));
    tables.push(
      {
        title: `${r.side}: ${CONNECTIONS} connections, ${ROWS.toLocaleString('en-US')} rows, by condition`,
        head: HEAD,
        rows: [row(CONDITION_LABEL.quiet, q), row(`${CONDITION_LABEL.xc} (change ${secs(xc.changeMs!)} s)`, x, q), row(`${CONDITION_LABEL.naive} (ALTER ${secs(naive.changeMs!)} s)`, n, q)],
        notes: [
          'Each condition on its own freshly loaded table, the same workload for the same length (xc runs first; the other two run as long as its whole run took, ' +
            `at most ${secs(COMPARE_MAX_MS)} s, or until the ALTER and a short tail are done). ` +
            'Latency: of each query (PostgreSQL: each pgbench transaction, which is the control read and the query), ' +
            'from the successful ones; failed: queries that returned an error, plus clients that aborted. ' +
            `The change starts ${secs(LEAD_MS)} s into the run.`,
          ...r.runs.filter((c) => c.run.errors.length).map((c) => `First errors (${c.condition}): ${c.run.errors.slice(0, 2).map((e) => `\`${e.slice(0, 200)}\``).join('; ')}`),
        ],
      },
      {
        title: `${r.side}: xc's lifecycle under the workload, by phase`,
        head: HEAD,
        rows: phases.map(({ s, sum }) => row(s.label, sum, q)),
        notes: [
          "Phases from xc's own phase events: apply() runs expand and the backfill with the old version alone; then half the queries switch to the new version " +
            `(reads and writes amount_big) and the deploy is recorded (xc.deploy.record) for ${secs(MIXED_MS)} s; then every query runs the new version, ` +
            'the old ones in flight are waited for, and contract() runs (the verify of every row, then the DDL that drops amount). ' +
            'A query belongs to the phase it started in.',
        ],
      },
    );
    tables.push(slowest(r.side, xc));
    const worstQuery = xc.run.queries.filter((qq) => qq.ok).reduce((m, qq) => (qq.ms > m.ms ? qq : m), { at: 0, ms: 0 } as { at: number; ms: number });
    const worstStep = xc.events ? stepAt(xc.events, worstQuery.at) : null;
    const p99Ok = x.p99 <= 2 * q.p99;
    const maxOk = x.max < LOCK_TIMEOUT_MS;
    if (xc.xcFailed)
      conclusions.push(
        `${r.side}: **xc's apply FAILED** after ${secs(xc.changeMs!)} s under this workload, so its lifecycle was not measured to the end (targets **MISSED**): ` +
          `${xc.xcFailed.split('\n').join(' ')} The table was left as it was (checked below).`,
      );
    conclusions.push(
      `${r.side}: during xc's ${xc.xcFailed ? 'run, until and after its failure,' : 'whole lifecycle'} ${x.failed} queries failed (target 0: ${met(x.failed === 0)}); p99 ${millis(x.p99)} ms against ${millis(q.p99)} ms quiet, ` +
        `${ratio(x.p99, q.p99)} (target ≤ 2×: ${met(p99Ok)}); worst query ${millis(x.max)} ms, in "${worst.s.label}" (target under xc's lock timeout of ${LOCK_TIMEOUT_MS} ms: ${met(maxOk)}); ` +
        `throughput ${Math.round(x.perSec).toLocaleString('en-US')} queries/s, ${ratio(x.perSec, q.perSec)} quiet.` +
        (worstStep ? ` The worst query started ${secs(worstQuery.at - worstStep.at)} s after xc's "${worstStep.description}".` : '') +
        (!maxOk && worstStep && /rebuilt online/.test(worstStep.description)
          ? " That step is InnoDB's online rebuild (`ADD COLUMN ... FORCE, ALGORITHM=INPLACE, LOCK=NONE`, which xc uses so the fill updates rows in place): " +
            "at its end InnoDB applies the last block of the row log that concurrent writes filled (up to `innodb_sort_buffer_size`) while holding the old table's " +
            'clustered-index latch, so every query on the table — reads included — waits for it; no lock timeout bounds it (it is a latch, not a lock). ' +
            'It grows with the write rate and with how much of the table is outside the buffer pool.'
          : ''),
      ...(xc.events?.steps ?? [])
        .filter((st) => st.writesPerSecond !== undefined)
        .map(
          (st) =>
            `${r.side}: xc counted ${st.writesPerSecond!.toLocaleString('en-US')} row writes/s on the table just before "${st.description}"` +
            (st.busy ? ` (${st.busy})` : ' (at most --max-rebuild-write-rate: the planned statement ran)') +
            '.',
        ),
      `${r.side}: the naive \`${(r.runs[2]!.spans[1]?.label ?? '').replace(/`/g, '')}\` took ${secs(naive.changeMs!)} s; the worst query waited ${millis(n.max)} ms ` +
        `(p99 ${millis(n.p99)} ms, ${ratio(n.p99, q.p99)} quiet; ${n.failed} failed).`,
    );
  }
  if (!ctx.myUp) conclusions.push('MariaDB: not measured (no server answered at the MySQL URL).');
  conclusions.push(...notMeasured);
  tables.push(checks.table(['Inserted and updated: the successful INSERT and UPDATE queries the workload counted (PostgreSQL: from pgbench\'s per-transaction log).'], 'Data checks after each run', 'run'));
  const failed = checks.failed;
  conclusions.push(
    failed.length === 0
      ? `Data checks: all ${checks.all.length} passed.`
      : checks.failedLine(),
  );
  return {
    title: 'The application under a real workload',
    server: servers.join(', '),
    intro: [
      `Servers: ${servers.join('; ')}. ${CONNECTIONS} connections, ${RATE > 0 ? `${RATE.toLocaleString('en-US')} queries/s in all, each connection on a Poisson schedule (pgbench \`-R\`; a query's latency counts from its scheduled start, so a stall counts in every query that waited behind it)` : 'in a closed loop, back to back'}: point \`SELECT\` by id 60 %, \`UPDATE ... SET amount = amount + 1 WHERE id = ?\` 30 %, ` +
        `\`INSERT\` of a new row 10 %; the old version uses \`amount\`, the new one \`amount_big\`. Table \`(id int primary key, amount int not null default 0, pad)\`, ` +
        `${ROWS.toLocaleString('en-US')} rows (\`XC_BENCH_WORKLOAD_ROWS\`), loaded fresh for each condition. ` +
        'xc: `{"alterColumn":{"column":"amount","to":"amount_big","type":"bigint","up":"amount","down":…}}` with default options (lock timeout 1 s), through the library.',
      `PostgreSQL: \`${pgbenchShown(RATE)}\` (scripts in bench/workload/; each transaction first reads a one-row control table that says which version to run and when to stop). ` +
        'MariaDB: 16 mysql2 connections in a worker thread of the bench process, its own event loop (bench/workload/driver.ts). Reproduce: `XC_BENCH_SECTIONS=workload npm run bench`.',
    ],
    tables,
    conclusions,
    failed: failed.length > 0,
  };
};
