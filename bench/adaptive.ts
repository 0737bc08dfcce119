/**
 * The adaptive-batching section (issue 16, item 5): a backfill under a writer
 * load that doubles halfway through. `alterColumn` int → bigint with `to` on a
 * table of XC_BENCH_ADAPTIVE_ROWS rows (default 2,000,000), default options
 * (batchTimeMs 200, parallel 2), on PostgreSQL and MariaDB. XC_BENCH_ADAPTIVE_WRITERS
 * (default 2) paced writer connections write from the start; as many again join
 * when xc's progress events say half the rows are done. Each writer alternates
 * `UPDATE t SET amount = amount + 1 WHERE id = <random>` with an INSERT of a new
 * row, XC_BENCH_ADAPTIVE_PAUSE_MS (default 2) apart. The same loads run for
 * XC_BENCH_ADAPTIVE_QUIET_MS (default 5000) each with no migration before the
 * backfill (quiet), and with xc's triggers installed but no backfill after it.
 * Batch times come from the `batchMs` of xc's backfill events. XC_BENCH_ADAPTIVE_ONLY=PostgreSQL or
 * MariaDB runs one database only; XC_BENCH_ADAPTIVE_DUMP=<file> writes every batch and write timing as JSON;
 * XC_BENCH_ADAPTIVE_XC_OPTIONS xc's options as JSON (e.g. {"parallel":1}) to try other settings (default xc's defaults).
 */
import { createXc, type XcOptions } from '../src/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchLog, BenchSection } from './context.js';
import { ALTER_COLUMN_MIGRATION, createMyBenchDb, dropXcState, loadTable as myLoad, settle } from './my.js';
import { createBenchDb, loadTable as pgLoad } from './pg.js';
import { Checks, median, millis, percentile, type Section, type Table } from './report.js';
import { Load, myDb, pgDb, WAIT_TICK_MS, type Sample, type WaitTick } from './adaptive-load.js';

const TITLE = 'Adaptive batching under a changing load';
const BAND = 0.25; // "near the target": a batch within ±25 % of batchTimeMs
const SETTLED_RUN = 3; // settled: this many batches in a row inside the band
const TARGET_MS = 200; // xc's default batchTimeMs, which this section runs with
const MAX_ROWS = 50_000; // xc's largest batch (src/backfill/run.ts)

const envInt = (name: string, fallback: number) => {
  const n = Number((process.env[name] ?? '').replace(/_/g, '') || fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};

/** One database's connections as the section needs them: the writers' and the setup's. */
export interface AdaptiveDb {
  dialect: 'postgres' | 'mysql';
  url: string;
  server: string;
  /** A new connection that runs one statement and returns the rows it changed. */
  writerConnection(): Promise<(sql: string, params: unknown[]) => Promise<number>>;
  one(sql: string): Promise<number>;
  load(table: string, rows: number): Promise<void>;
  /** Let the server catch up on the load's writes before a timed part. */
  settle(table: string): Promise<void>;
  /** Starts reading the writers' wait events every WAIT_TICK_MS; the function it gives stops it and returns the readings. Null where the server cannot tell. */
  waitSampler(): Promise<(() => Promise<WaitTick[]>) | null>;
  /** Row-lock waits so far (MariaDB's Innodb_row_lock_waits); null where the server has no such counter. */
  lockWaits(): Promise<number | null>;
  exec(sql: string): Promise<void>;
  dropXc(): Promise<void>;
  drop(): Promise<void>;
}

interface Batch {
  at: number;
  ms: number;
  size: number;
  pass: string;
  /** Row-lock waiters xc counted at the batch's end (its `blocked`). */
  blocked: number;
}

interface Run {
  db: string;
  server: string;
  quiet: Sample[][]; // by load level: [N writers, 2N writers]
  triggers: Sample[][];
  backfill: Sample[];
  batches: Batch[];
  /** Batches of the other pass, if any (MariaDB's backfill after the fill). */
  others: Batch[];
  pass: string;
  doubledAt: number;
  passStart: number;
  passEnd: number;
  lockWaits: number | null;
  /** The writers' wait events from before the quiet loads to the end of apply() (PostgreSQL; empty elsewhere). */
  waits: WaitTick[];
  errors: string[];
}

export const adaptiveSection: BenchSection = async (ctx: BenchContext, log: BenchLog) => {
  const rows = envInt('XC_BENCH_ADAPTIVE_ROWS', 2_000_000);
  const writers = envInt('XC_BENCH_ADAPTIVE_WRITERS', 2);
  const pauseMs = envInt('XC_BENCH_ADAPTIVE_PAUSE_MS', 2);
  const quietMs = envInt('XC_BENCH_ADAPTIVE_QUIET_MS', 5000);
  const checks = new Checks();
  const runs: Run[] = [];
  const dbs: [string, () => Promise<AdaptiveDb>][] = [['PostgreSQL', () => pgDb(ctx.pgUrl, createBenchDb, pgLoad)]];
  if (ctx.myUp) dbs.push(['MariaDB', () => myDb(ctx.myUrl, createMyBenchDb, myLoad, settle, dropXcState)]);
  // XC_BENCH_ADAPTIVE_ONLY=PostgreSQL|MariaDB: one database, while working on it.
  const only = process.env.XC_BENCH_ADAPTIVE_ONLY?.toLowerCase();
  for (const [name, open] of dbs.filter(([n]) => !only || n.toLowerCase() === only)) {
    const db = await open();
    try {
      runs.push(await runOne(name, db, { rows, writers, pauseMs, quietMs }, checks, log));
    } finally {
      await db.drop();
    }
  }
  if (process.env.XC_BENCH_ADAPTIVE_DUMP) await writeFile(process.env.XC_BENCH_ADAPTIVE_DUMP, JSON.stringify(runs));
  return report(runs, checks, { rows, writers, pauseMs, quietMs }, ctx);
};

interface Sizes {
  rows: number;
  writers: number;
  pauseMs: number;
  quietMs: number;
}

async function runOne(name: string, db: AdaptiveDb, o: Sizes, checks: Checks, log: BenchLog): Promise<Run> {
  const t = 'bench_adaptive';
  const q = (id: string) => (db.dialect === 'mysql' ? `\`${id}\`` : `"${id}"`);
  log(`adaptive ${name}: loading ${o.rows.toLocaleString('en-US')} rows`);
  await db.load(t, o.rows);
  const sum0 = await db.one(`SELECT SUM(amount) FROM ${q(t)}`);
  const load = await Load.open(db, t, o.rows, 2 * o.writers, o.pauseMs);
  const levels = async (label: string) => {
    const out: Sample[][] = [];
    for (const n of [o.writers, 2 * o.writers]) {
      await db.settle(t);
      log(`adaptive ${name}: ${label}, ${n} writers for ${o.quietMs} ms`);
      const from = performance.now();
      load.run(n);
      await new Promise((r) => setTimeout(r, o.quietMs));
      await load.run(0);
      out.push(load.samplesBetween(from, performance.now()));
    }
    return out;
  };
  // Warm-up, not recorded: the first seconds of a fresh table and writer process (cold caches, unoptimised code)
  // ran with a p99 twice that of the same writers later (3.3 against 1.1–1.6 ms), which made every ratio to quiet look better.
  log(`adaptive ${name}: warm-up, ${2 * o.writers} writers for ${o.quietMs} ms`);
  load.run(2 * o.writers);
  await new Promise((r) => setTimeout(r, o.quietMs));
  await load.run(0);
  const stopSampler = await db.waitSampler();
  const quiet = await levels('quiet (no migration)');

  await db.settle(t);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-adaptive-'));
  await writeFile(path.join(dir, `0001_${t}_amount_bigint.json`), JSON.stringify(ALTER_COLUMN_MIGRATION(t)));
  const batches: Batch[] = [];
  let doubledAt = NaN;
  let doubledIn = '';
  const xc = createXc({
    url: db.url,
    dir,
    ...(JSON.parse(process.env.XC_BENCH_ADAPTIVE_XC_OPTIONS || '{}') as Partial<XcOptions>),
    onEvent: (e) => {
      if (e.event !== 'backfill' || e.batchMs === 0) return;
      batches.push({ at: performance.now(), ms: e.batchMs, size: e.batchSize, pass: e.pass, blocked: e.blocked });
      // Half the table done in the first pass over it (MariaDB: expand's fill; PostgreSQL: the backfill): the load doubles.
      if (Number.isNaN(doubledAt) && e.done >= o.rows / 2) {
        doubledAt = performance.now();
        doubledIn = e.pass;
        log(`adaptive ${name}: ${e.done} rows done, writers ${o.writers} → ${2 * o.writers}`);
        load.run(2 * o.writers);
      }
    },
  });
  let triggers: Sample[][] = [];
  let backfill: Sample[] = [];
  let lockWaits: number | null = null;
  let waits: WaitTick[] = [];
  try {
    log(`adaptive ${name}: xc apply under ${o.writers} writers`);
    const waits0 = await db.lockWaits();
    const applyStart = performance.now();
    load.run(o.writers);
    await xc.apply();
    await load.run(0);
    const waits1 = await db.lockWaits();
    lockWaits = waits0 === null || waits1 === null ? null : waits1 - waits0;
    backfill = load.samplesBetween(applyStart, performance.now());
    waits = (await stopSampler?.()) ?? [];
    triggers = await levels("xc's triggers installed, no backfill");
  } finally {
    await stopSampler?.();
    await xc.close();
    await rm(dir, { recursive: true, force: true });
  }
  const stats = load.totals();
  await load.close();

  // The pass the load doubled in, which wrote every row (PostgreSQL: backfill; MariaDB: expand's fill, before the triggers, then a backfill pass that converts only the rows written meanwhile).
  const pass = doubledIn;
  const main = batches.filter((b) => b.pass === pass);
  const others = batches.filter((b) => b.pass !== pass);
  const passStart = main.length ? main[0]!.at - main[0]!.ms : NaN;
  const passEnd = main.length ? main[main.length - 1]!.at : NaN;

  const n = async (sql: string) => db.one(sql);
  checks.add(
    { table: `${name} ${t}`, what: 'row count = loaded + inserted', expected: o.rows + stats.inserts, found: await n(`SELECT COUNT(*) FROM ${q(t)}`) },
    { table: `${name} ${t}`, what: 'sum(amount) = loaded + inserts + updates', expected: sum0 + stats.inserts + stats.updated, found: await n(`SELECT SUM(amount) FROM ${q(t)}`) },
    { table: `${name} ${t}`, what: 'rows where amount_big IS NULL', expected: 0, found: await n(`SELECT COUNT(*) FROM ${q(t)} WHERE amount_big IS NULL`) },
    { table: `${name} ${t}`, what: 'rows where amount_big differs from amount', expected: 0, found: await n(`SELECT COUNT(*) FROM ${q(t)} WHERE amount_big <> amount`) },
    { table: `${name} ${t}`, what: 'writer errors', expected: 0, found: stats.errors.length },
  );
  await db.dropXc();
  await db.exec(`DROP TABLE ${q(t)}`);
  return { db: name, server: db.server, quiet, triggers, backfill, batches: main, others, pass, doubledAt, passStart, passEnd, lockWaits, waits, errors: stats.errors };
}

/**
 * Index of the first batch from which the median of SETTLED_RUN batches lies inside the band, or from which
 * they all sit at the size cap (the sizer can do no more: the rows are cheaper than the target allows); the
 * list's length if neither. Without the cap case, a pass whose batches all run under the target at the cap
 * (MariaDB's fill) counted every batch as ramp-up and showed none.
 */
function settledAfter(bs: Batch[]): number {
  for (let i = 0; i + SETTLED_RUN <= bs.length; i++) {
    const run = bs.slice(i, i + SETTLED_RUN);
    if (Math.abs(median(run.map((b) => b.ms)) - TARGET_MS) <= BAND * TARGET_MS || run.every((b) => b.size >= MAX_ROWS)) return i;
  }
  return bs.length;
}

const lat = (ss: Sample[]) => ss.map((s) => s.ms);
/** Batches that ended with a writer waiting for their rows. */
const heldUp = (bs: Batch[]) => bs.filter((b) => b.blocked > 0).length;
const p = (xs: number[], q: number) => (xs.length ? percentile(xs, q) : NaN);
const fmt = (v: number) => (Number.isNaN(v) ? '—' : millis(v));
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);

interface Verdict {
  batchOk: boolean;
  writerOk: boolean;
  lines: string[];
}

function analyse(r: Run): { tables: Table[]; verdict: Verdict } {
  const before = r.batches.filter((b) => b.at < r.doubledAt);
  const after = r.batches.filter((b) => !(b.at < r.doubledAt));
  const ramp = settledAfter(before);
  const steady = before.slice(ramp);
  const resettle = settledAfter(after);
  const afterSettled = after.slice(resettle);
  const row = (label: string, bs: Batch[]) => {
    const ms = bs.map((b) => b.ms);
    const inBand = ms.filter((m) => Math.abs(m - TARGET_MS) <= BAND * TARGET_MS).length;
    const pct = (n: number) => (bs.length ? `${Math.round((100 * n) / bs.length)} %` : '—');
    return [label, bs.length, fmt(p(ms, 50)), fmt(p(ms, 90)), fmt(max(ms)), pct(inBand), bs.length ? Math.round(median(bs.map((b) => b.size))) : '—', pct(heldUp(bs))];
  };
  const batchTable: Table = {
    title: `${r.db}: batch time against the ${TARGET_MS} ms target (pass \`${r.pass}\`, ${r.batches.length} batches)`,
    head: ['batches', 'count', 'median (ms)', 'p90 (ms)', 'max (ms)', `within ±${BAND * 100} %`, 'median size (rows)', 'held up a writer'],
    rows: [
      row(`before the doubling, first ${ramp} (ramp-up from the first size) left out`, steady),
      row('after the doubling, all', after),
      row(`after the doubling, once re-settled (first ${resettle} left out)`, afterSettled),
    ],
    notes: [
      `Batch time: xc's own measure of each committed batch (the \`batchMs\` of its backfill events: chunk, UPDATE, cursor advance, COMMIT), ${r.batches.length} batches of both parts (parallel 2) in the order they committed. ` +
        `Ramp-up / re-settle: batches until the median of ${SETTLED_RUN} in a row falls within ±${BAND * 100} % of the target, or ${SETTLED_RUN} in a row sit at the ${MAX_ROWS.toLocaleString('en-US')}-row cap. Size: rows per batch as the sizer chose it. Held up a writer: batches that ended with a row-lock waiter (xc's \`blocked\`: on PostgreSQL waiters on the batch's transaction, on MariaDB every row-lock wait of the server), after which the sizer halves a cap on the size (src/backfill/sizer.ts). ` +
        `Cost per 1,000 rows over all batches, p10 / median / p90: ${[10, 50, 90].map((q) => fmt(p(r.batches.map((b) => (1000 * b.ms) / b.size), q))).join(' / ')} ms — how much of the batch times' spread is the server's, not the sizer's.` +
        (r.lockWaits === null ? '' : ` Row-lock waits on the server during apply(): ${r.lockWaits}.`) +
        (r.others.length
          ? ` Not in the table: the ${r.others.length} batches of the \`${r.others[0]!.pass}\` pass after it (median ${fmt(median(r.others.map((b) => b.ms)))} ms, size median ${Math.round(median(r.others.map((b) => b.size)))} rows; it reads each chunk for the few rows written meanwhile, so most of its batches reach the ${MAX_ROWS.toLocaleString('en-US')}-row cap before the time target).`
          : ''),
    ],
  };
  const level = (i: number) => {
    const live = r.backfill.filter((s) => (i === 0 ? s.at >= r.passStart && s.at < r.doubledAt : s.at >= r.doubledAt && s.at <= r.passEnd));
    const cells = (ss: Sample[]) => [ss.length, fmt(p(lat(ss), 50)), fmt(p(lat(ss), 99)), fmt(max(lat(ss))), `${fmt(p(lat(ss.filter((x) => x.insert)), 99))} / ${fmt(p(lat(ss.filter((x) => !x.insert)), 99))}`];
    return { live, quiet: r.quiet[i]!, trig: r.triggers[i]!, cells };
  };
  const writerRows: (string | number)[][] = [];
  const ratios: number[] = [];
  for (const i of [0, 1]) {
    const l = level(i);
    const n = i === 0 ? 'N' : '2N';
    writerRows.push([`${n}: quiet (no migration)`, ...l.cells(l.quiet), '1.00×']);
    writerRows.push([`${n}: xc's triggers, no backfill`, ...l.cells(l.trig), `${(p(lat(l.trig), 99) / p(lat(l.quiet), 99)).toFixed(2)}×`]);
    const rr = p(lat(l.live), 99) / p(lat(l.quiet), 99);
    ratios.push(rr);
    writerRows.push([`${n}: during the backfill ${i === 0 ? 'before' : 'after'} the doubling`, ...l.cells(l.live), `${rr.toFixed(2)}×`]);
  }
  const writerTable: Table = {
    title: `${r.db}: the writers' latency, per load level, against the same load with no migration`,
    head: ['load', 'writes', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'p99 INSERT / UPDATE (ms)', 'p99 / quiet p99'],
    rows: writerRows,
    notes: [
      'Every write timed on the client, start to reply. "During the backfill": writes that started between the pass\'s first batch and the doubling, then between the doubling and its last batch. ' +
        'Quiet: the same writers and pause, before the migration; "triggers, no backfill": after apply(), while xc\'s dual-write triggers are installed (the cost of item 2, apart from the backfill\'s). ' +
        'p99 INSERT / UPDATE: an INSERT of a new key never waits on a batch\'s row locks, an UPDATE of a loaded row may: an INSERT as slow as the UPDATEs is slowed by the machine (CPU, the log), not by the batch\'s locks.',
      ...(r.errors.length ? [`First writer error: \`${r.errors[0]!.slice(0, 200)}\``] : []),
    ],
  };
  const medBefore = p(steady.map((b) => b.ms), 50);
  const medAfter = p(after.map((b) => b.ms), 50);
  const p90 = Math.max(p(steady.map((b) => b.ms), 90), p(after.map((b) => b.ms), 90));
  // Under the band only because the size is at xc's cap: the time target is a ceiling there, not missed by the sizer.
  const capped = (bs: Batch[]) => bs.length > 0 && median(bs.map((b) => b.size)) >= MAX_ROWS;
  // Under the band because batches held writers up: the sizer's cap for the application (sizer.ts), the target a ceiling there too.
  const yielded = (bs: Batch[]) => heldUp(bs) >= 0.05 * bs.length;
  const near = (m: number, bs: Batch[]) => Math.abs(m - TARGET_MS) <= BAND * TARGET_MS || (m < TARGET_MS && (capped(bs) || yielded(bs)));
  const batchOk = near(medBefore, steady) && near(medAfter, after) && p90 <= 2 * TARGET_MS;
  const capNote =
    (capped(steady) || capped(after) ? ` The batches ran at the ${MAX_ROWS.toLocaleString('en-US')}-row cap (src/backfill/sizer.ts), under the time target: the sizer had nothing to shrink or grow toward there.` : '') +
    (yielded(steady) || yielded(after)
      ? ` ${Math.round((100 * heldUp(r.batches)) / r.batches.length)} % of the batches ended with a writer waiting for their rows, and the sizer kept them smaller than the time target asks (the target is a ceiling: src/backfill/sizer.ts).`
      : '');
  const writerOk = ratios.every((x) => x <= 2);
  // Is the tail the batches' row locks (only an UPDATE of a loaded row can wait on them) or the machine (both kinds)?
  const live = r.backfill.filter((x) => x.at >= r.passStart && x.at <= r.passEnd);
  const slowWrites = live.filter((x) => x.ms > 2 * p(lat(x.at < r.doubledAt ? r.quiet[0]! : r.quiet[1]!), 99));
  const [insP99, updP99] = [p(lat(live.filter((x) => x.insert)), 99), p(lat(live.filter((x) => !x.insert)), 99)];
  const coupling = slowWrites.length
    ? `${slowWrites.length} writes took over 2× the quiet p99, ${slowWrites.filter((x) => x.insert).length} of them INSERTs; p99 during the backfill INSERT ${fmt(insP99)} ms, UPDATE ${fmt(updP99)} ms ` +
      `(${insP99 >= 0.75 * updP99 ? 'the INSERTs, which no batch lock can hold, are about as slow: the machine — CPU, the log flushed at every COMMIT — sets the tail more than the batches\' row locks' : 'the UPDATEs are slower: the batches\' row locks add to the tail'}).`
    : 'No write took over 2× the quiet p99.';
  const sizeB = median(steady.map((b) => b.size));
  const sizeA = afterSettled.length ? median(afterSettled.map((b) => b.size)) : NaN;
  const waits = waitTable(r);
  return {
    tables: [batchTable, writerTable, ...(waits ? [waits.table] : [])],
    verdict: {
      batchOk,
      writerOk,
      lines: [
        `${r.db}: batch time median ${fmt(medBefore)} ms before the doubling and ${fmt(medAfter)} ms after, p90 at most ${fmt(p90)} ms against ${TARGET_MS} ms ` +
          `(target: median within ±${BAND * 100} %, p90 ≤ ${2 * TARGET_MS} ms): target ${batchOk ? 'met' : '**not met**'}. ` +
          `Batch size ${Math.round(sizeB)} → ${Number.isNaN(sizeA) ? '—' : Math.round(sizeA)} rows (${Number.isNaN(sizeA) ? '—' : `${Math.round((100 * sizeA) / sizeB)} %`}); ramp-up ${ramp} batches, re-settled after ${resettle} batches.${capNote}`,
        `${r.db}: writers' p99 during the backfill ${ratios.map((x) => `${x.toFixed(2)}×`).join(' (N) and ')} (2N) the quiet p99 at the same load (target ≤ 2×): target ${writerOk ? 'met' : '**not met**'}. ` +
          `A write that lands on a row of a batch not yet committed waits for that COMMIT (up to a batch time); every write's COMMIT flushes the log, the batch's records written before it included. ` +
          `${r.lockWaits === null ? '' : `Row-lock waits counted by the server during apply(): ${r.lockWaits}, for ${r.backfill.length} writes. `}${coupling}`,
        ...(waits ? [waits.line] : []),
      ],
    },
  };
}

/** What a writer's wait event means here; the sampler's raw `type:event` where none of these. */
const WAIT_GROUPS: [string, (w: string) => boolean][] = [
  ['running (no wait event: CPU, or waiting for one)', (w) => w === 'CPU'],
  ["the log, at the writer's COMMIT (IO:WALSync, IO:WALWrite, LWLock:WALWrite, LWLock:WALInsert)", (w) => /^(IO:WAL(Sync|Write)|LWLock:WAL(Write|Insert))$/.test(w)],
  ["a row a batch holds (Lock:transactionid, Lock:tuple)", (w) => w === 'Lock:transactionid' || w === 'Lock:tuple'],
  ['data files (IO:DataFile*)', (w) => w.startsWith('IO:DataFile')],
];

/**
 * Where the writers' time went (PostgreSQL): each WAIT_TICK_MS the sampler reads what every writer running a
 * statement waits on; a group's share is its readings per tick, i.e. how many writers were in that state on
 * average. Quiet against during the backfill, per load level: what the backfill added, and in which state.
 */
function waitTable(r: Run): { table: Table; line: string } | null {
  if (!r.waits.length) return null;
  const span = (ss: Sample[]): [number, number] => [Math.min(...ss.map((x) => x.at)), Math.max(...ss.map((x) => x.at + x.ms))];
  const windows: [string, [number, number]][] = [
    ['N quiet', span(r.quiet[0]!)],
    ['N backfill', [r.passStart, r.doubledAt]],
    ['2N quiet', span(r.quiet[1]!)],
    ['2N backfill', [r.doubledAt, r.passEnd]],
  ];
  const groupOf = (w: string) => WAIT_GROUPS.find(([, m]) => m(w))?.[0] ?? w;
  const perTick = windows.map(([, [from, to]]) => {
    const ticks = r.waits.filter((t) => t.at >= from && t.at <= to);
    const by = new Map<string, number>();
    for (const g of ticks.flatMap((t) => t.waits.map(groupOf))) by.set(g, (by.get(g) ?? 0) + 1);
    return { ticks: ticks.length, avg: (g: string) => (ticks.length ? (by.get(g) ?? 0) / ticks.length : NaN), groups: [...by.keys()] };
  });
  const groups = [...new Set([...WAIT_GROUPS.map(([g]) => g), ...perTick.flatMap((x) => x.groups)])];
  const cell = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(3));
  const rows = groups.filter((g) => perTick.some((x) => x.avg(g) > 0)).map((g) => [g, ...perTick.map((x) => cell(x.avg(g)))]);
  rows.push(['all states (writers running a statement)', ...perTick.map((x) => cell(groups.reduce((n, g) => n + (x.avg(g) || 0), 0)))]);
  // What grew most from quiet to the backfill, over both load levels.
  const growth = groups.map((g) => [g, perTick[1]!.avg(g) - perTick[0]!.avg(g) + (perTick[3]!.avg(g) - perTick[2]!.avg(g))] as const).sort((a, b) => b[1] - a[1]);
  const total = growth.reduce((n, [, d]) => n + Math.max(0, d), 0);
  return {
    table: {
      title: `${r.db}: where the writers' time went — writers in each state, on average (sampled every ${WAIT_TICK_MS} ms)`,
      head: ['state (pg_stat_activity wait event)', ...windows.map(([w]) => w)],
      rows,
      notes: [
        `Each ${WAIT_TICK_MS} ms a separate session read \`wait_event_type:wait_event\` of every writer running a statement; a cell is how many writers were in that state per reading, on average (${perTick.map((x, i) => `${windows[i]![0]}: ${x.ticks} readings`).join(', ')}). ` +
          'The rise from quiet to the backfill, at the same load, is what the backfill added to the writers\' statements, and where.',
      ],
    },
    line:
      `${r.db}: of what the backfill added to the writers' time (sampled, both load levels), ${growth
        .filter(([, d]) => d > 0)
        .slice(0, 3)
        .map(([g, d]) => `${Math.round((100 * d) / total)} % was ${g}`)
        .join(', ')}.`,
  };
}

function report(runs: Run[], checks: Checks, o: Sizes, ctx: BenchContext): Section & { server: string } {
  const tables: Table[] = [];
  const conclusions: string[] = [];
  for (const r of runs) {
    const { tables: ts, verdict } = analyse(r);
    tables.push(...ts);
    conclusions.push(...verdict.lines);
  }
  if (!ctx.myUp) conclusions.push('MariaDB: not measured — no server answered.');
  const failed = checks.failed;
  tables.push(checks.table(['After apply() and the trigger-only runs, before the table is dropped: every write landed once in `amount` and was carried to `amount_big`.']));
  conclusions.push(failed.length === 0 ? `Data checks: all ${checks.all.length} passed.` : checks.failedLine());
  const sizes = [o.rows !== 2_000_000 ? `XC_BENCH_ADAPTIVE_ROWS=${o.rows}` : '', o.writers !== 2 ? `XC_BENCH_ADAPTIVE_WRITERS=${o.writers}` : '', o.pauseMs !== 2 ? `XC_BENCH_ADAPTIVE_PAUSE_MS=${o.pauseMs}` : '', o.quietMs !== 5000 ? `XC_BENCH_ADAPTIVE_QUIET_MS=${o.quietMs}` : ''].filter(Boolean);
  return {
    title: TITLE,
    server: runs.map((r) => r.server).join('; '),
    intro: [
      `Servers: ${runs.map((r) => r.server).join('; ')}. Reproduce: \`${[...sizes, 'XC_BENCH_SECTIONS=adaptive npm run bench'].join(' ')}\`.`,
      `xc runs \`alterColumn\` amount int → amount_big bigint (with \`to\`) on ${o.rows.toLocaleString('en-US')} rows with default options (batchTimeMs ${TARGET_MS}, parallel 2), through \`apply()\`. ` +
        `N = ${o.writers} writer connections write from the start, each alternating \`UPDATE t SET amount = amount + 1 WHERE id = <random>\` with an INSERT of a new row, ${o.pauseMs} ms apart; ` +
        `when xc's progress events report half the rows done, ${o.writers} more join (2N). The same two loads run ${(o.quietMs / 1000).toFixed(0)} s each before the migration (quiet, after as long a warm-up at 2N that is not recorded) and after apply() (triggers installed, no backfill).`,
      `"Near the target": median batch time within ±${BAND * 100} % of ${TARGET_MS} ms and p90 ≤ 2× — the sizer steers by the time of the batch just done, so single batches scatter with the machine's noise (other sessions' CPU and I/O); ` +
        'what the target guards is the typical lock hold (the median) and a bounded tail (p90), well under the 1 s lock timeout the writers could wait on.',
    ],
    tables,
    conclusions,
    failed: failed.length > 0,
  };
}
