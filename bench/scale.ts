/**
 * The scale section (issue 16 item 4): xc's backfill (alterColumn int → bigint with `to` and `up`, as in
 * bench/postgres.ts) at growing table sizes, to show its time grows linearly with the rows, and on
 * PostgreSQL against the physical limit for its parallelism: a hand-written UPDATE split over as many
 * sessions as xc's --parallel (each session updating its share of the key range, all at once). Every
 * run gets its own freshly loaded table (VACUUM ANALYZE, CHECKPOINT before the timed part), is checked
 * (no NULL, new = old on every row) and dropped at once.
 *
 * Env:
 *   XC_BENCH_SCALE_ROWS        PostgreSQL sizes (default "100000,1000000,5000000,20000000")
 *   XC_BENCH_SCALE_MY_ROWS     MariaDB sizes (default "100000,1000000,5000000"; empty string: none)
 *   XC_BENCH_SCALE_PLAIN_MAX   largest PostgreSQL size that also runs the single plain UPDATE (default 1000000)
 *   XC_BENCH_SCALE_ROUNDS      alternating rounds of xc and the split UPDATE at sizes up to 1M, medians reported (default 3; one above 1M)
 *   XC_BENCH_SCALE_BUDGET_S    the section's budget in seconds (default 600): a MariaDB size projected past it is left out
 */
import { statfs } from 'node:fs/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createXc } from '../src/index.js';
import type { BenchLog, BenchSection } from './context.js';
import { createMyBenchDb, loadTable as myLoadTable, one as myOne, settle, stepDurations, withXc as withMyXc, type MyBenchDb } from './my.js';
import { checkpoint, createBenchDb, loadTable, one, timed, type BenchDb } from './pg.js';
import { Checks, ratio, secs, type Section, type Table } from './report.js';

const PARALLEL = 2; // xc's default --parallel (src/options.ts)
const SPLIT_TARGET = 1.15;
/** Linear: time per row at every size from 1M up within this of the 1M run's. */
const LINEAR_TARGET = 1.25;
/** Rounds of the xc / split pair at sizes up to 1M (XC_BENCH_SCALE_ROUNDS); one above. */
const ROUNDS_SMALL = Number(process.env.XC_BENCH_SCALE_ROUNDS ?? 3);
/** The section's time budget (issue 16's brief: 10 minutes at the default sizes; XC_BENCH_SCALE_BUDGET_S); MariaDB sizes past it are left out. */
const BUDGET_MS = Number(process.env.XC_BENCH_SCALE_BUDGET_S ?? 600) * 1000;

function sizes(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => Number(s.replace(/_/g, '')));
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
  return list;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const mb = (bytes: number) => `${fmt(Math.round(bytes / 2 ** 20))} MB`;
const rate = (rows: number, ms: number) => fmt(Math.round((rows * 1000) / ms));

interface PgRun {
  ms: number;
  walBytes: number;
  batches?: number;
  throttled?: number;
}
interface PgSize {
  rows: number;
  bytes: number;
  bytesAfter: number;
  xc: PgRun;
  split: PgRun;
  /** The split UPDATE with a BEFORE UPDATE row trigger installed, which its sessions skip as xc's batches do. */
  trig: PgRun;
  plain?: PgRun;
  firstRan: 'xc' | 'split';
  rounds: number;
}
interface MySize {
  rows: number;
  bytes: number;
  ms: number;
  /** The expand's ADD COLUMN (MariaDB rebuilds the table online for a column stored in every row). */
  addColumnMs: number;
  batches: number;
}

export const scaleSection: BenchSection = async (ctx, log) => {
  const started = Date.now();
  const checks = new Checks();
  const notes: string[] = [];
  const pgSizes = sizes('XC_BENCH_SCALE_ROWS', '100000,1000000,5000000,20000000');
  const mySizes = ctx.myUp ? sizes('XC_BENCH_SCALE_MY_ROWS', '100000,1000000,5000000') : [];
  const plainMax = Number(process.env.XC_BENCH_SCALE_PLAIN_MAX ?? 1_000_000);
  // Small sizes are cheap and the noisiest: several alternating rounds; a large size, one pair.
  const roundsMax = 1_000_000;
  if (!ctx.myUp) notes.push('MariaDB half not measured: no server answered.');

  const pgRuns: PgSize[] = [];
  const db = await createBenchDb(ctx.pgUrl);
  let server = '';
  try {
    server = await one<string>(db, 'SELECT version()');
    const settings = await db.client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'synchronous_commit', 'autovacuum') ORDER BY name`,
    );
    notes.push(
      `PostgreSQL settings: ${settings.rows.map((r) => `${r.name} ${r.setting}`).join(', ')}.` +
        (settings.rows.find((r) => r.name === 'autovacuum')?.setting === 'on'
          ? ' With autovacuum on, xc holds its backfill while a VACUUM runs on the table (unless --ignore-vacuum; "throttled" in the batches column); the split UPDATE leaves its dead rows only at its commit.'
          : ' autovacuum is off here: xc never meets the hold it makes while a VACUUM runs on the table (--ignore-vacuum), which the split UPDATE would not meet either way (its dead rows appear only at its commit).'),
    );
    for (const [i, N] of pgSizes.entries()) {
      const room = await freeBytes(db);
      const perRow = pgRuns.length ? pgRuns[pgRuns.length - 1]!.bytesAfter / pgRuns[pgRuns.length - 1]!.rows : 250;
      if (room !== null && perRow * N * 1.5 > room) {
        notes.push(`PostgreSQL ${fmt(N)} rows skipped: it needs about ${mb(perRow * N)} and the disk has ${mb(room)} free.`);
        continue;
      }
      pgRuns.push(await pgSize(db, N, i % 2 === 0 ? 'xc' : 'split', N <= roundsMax ? ROUNDS_SMALL : 1, N <= plainMax, checks, log));
    }
  } finally {
    await db.drop();
  }

  const myRuns: MySize[] = [];
  let myServer = '';
  if (mySizes.length) {
    const mdb = await createMyBenchDb(ctx.myUrl);
    try {
      myServer = await myOne<string>(mdb, 'SELECT VERSION()');
      // MariaDB runs as far as the section's budget allows: a size whose projected time (the size before's, per row,
      // load included) would take the section past it is left out, with a note.
      let perRowMs = 0;
      for (const N of mySizes) {
        const left = BUDGET_MS - (Date.now() - started);
        if (perRowMs * N > left) {
          notes.push(`MariaDB ${fmt(N)} rows not run: about ${secs(perRowMs * N)} s projected, ${secs(Math.max(0, left))} s left of the section's ${BUDGET_MS / 60_000}-minute budget.`);
          continue;
        }
        const t0 = Date.now();
        myRuns.push(await mySize(mdb, N, checks, log));
        perRowMs = (Date.now() - t0) / N;
      }
    } finally {
      await mdb.drop();
    }
  }
  return report(pgRuns, myRuns, server, myServer, notes, checks, pgSizes, mySizes, plainMax);
};

/** Free bytes on the disk holding the server's data directory (same machine), or null when unreadable. */
async function freeBytes(db: BenchDb): Promise<number | null> {
  try {
    const dir = await one<string>(db, 'SHOW data_directory');
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

const walLsn = (c: pg.Client) => c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn').then((r) => r.rows[0]!.lsn);
async function walSince(db: BenchDb, lsn: string): Promise<number> {
  return Number(await one<string>(db, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsn}')::bigint::text`));
}

async function prepare(db: BenchDb, t: string, N: number): Promise<number> {
  await loadTable(db, t, N);
  return Number(await one<string>(db, `SELECT pg_total_relation_size('${t}')::text`));
}

async function checkPg(db: BenchDb, t: string, what: string, checks: Checks): Promise<number> {
  checks.add(
    { table: `${what}`, what: 'rows where amount_big IS NULL', expected: 0, found: await one(db, `SELECT count(*)::int FROM ${t} WHERE amount_big IS NULL`) },
    { table: `${what}`, what: 'rows where amount_big ≠ amount', expected: 0, found: await one(db, `SELECT count(*)::int FROM ${t} WHERE amount_big IS DISTINCT FROM amount`) },
  );
  const after = Number(await one<string>(db, `SELECT pg_total_relation_size('${t}')::text`));
  await db.client.query(`DROP TABLE ${t}`);
  return after;
}

/**
 * `rounds` rounds of xc and the split UPDATE (the one that goes first alternating, starting with `first`),
 * then the plain UPDATE once; each run's median over the rounds (the run of median time, WAL and batches).
 */
async function pgSize(db: BenchDb, N: number, first: 'xc' | 'split', rounds: number, plain: boolean, checks: Checks, log: BenchLog): Promise<PgSize> {
  let bytes = 0;
  let bytesAfter = 0;
  const runs: Record<Kind, PgRun[]> = { xc: [], split: [], trig: [], plain: [] };
  for (let round = 0; round < rounds; round++) {
    const order: Kind[] = (first === 'xc') === (round % 2 === 0) ? ['xc', 'split', 'trig'] : ['trig', 'split', 'xc'];
    if (plain && round === rounds - 1) order.push('plain');
    for (const kind of order) {
      log(`scale: PostgreSQL ${fmt(N)} rows, round ${round + 1}/${rounds}, ${KIND_NAMES[kind]}`);
      const t = `scale_${kind}`;
      bytes = await prepare(db, t, N);
      if (kind === 'xc') {
        await checkpoint(db);
        const lsn = await walLsn(db.client);
        const run = await pgXcBackfill(db, t);
        runs.xc.push({ ...run, walBytes: await walSince(db, lsn) });
      } else {
        await db.client.query(`ALTER TABLE ${t} ADD COLUMN amount_big bigint`);
        if (kind === 'trig') await addSkippedTrigger(db, t);
        await checkpoint(db);
        const lsn = await walLsn(db.client);
        const ms = kind === 'plain' ? (await timed(() => db.client.query(`UPDATE ${t} SET amount_big = amount`))).ms : await splitUpdate(db, t, N, kind === 'trig');
        runs[kind].push({ ms, walBytes: await walSince(db, lsn) });
      }
      bytesAfter = await checkPg(db, t, `${fmt(N)} rows, ${kind}`, checks);
    }
  }
  const mid = (rs: PgRun[]) => [...rs].sort((a, b) => a.ms - b.ms)[Math.floor((rs.length - 1) / 2)];
  return { rows: N, bytes, bytesAfter, xc: mid(runs.xc)!, split: mid(runs.split)!, trig: mid(runs.trig)!, plain: mid(runs.plain), firstRan: first, rounds };
}

type Kind = 'xc' | 'split' | 'trig' | 'plain';
const KIND_NAMES: Record<Kind, string> = {
  xc: 'xc backfill',
  split: `UPDATE split over ${PARALLEL} sessions`,
  trig: `UPDATE split over ${PARALLEL} sessions, a skipped BEFORE UPDATE trigger installed`,
  plain: 'single plain UPDATE',
};

/**
 * A BEFORE UPDATE row trigger like the dual-write trigger xc keeps on the table while it backfills. The split
 * sessions skip it by session_replication_role = replica, as xc's batches did until xc's triggers were enabled
 * ALWAYS (a writer in replica mode must be kept in step too); they now stand aside by their WHEN, evaluated per row
 * (backfillSession.ts has the figures). PostgreSQL still fetches and locks each row for a skipped trigger before it
 * finds it skipped (ExecBRUpdateTriggers), which is the cost this run shows.
 */
async function addSkippedTrigger(db: BenchDb, t: string): Promise<void> {
  await db.client.query(`CREATE OR REPLACE FUNCTION bench_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.amount_big := NEW.amount; RETURN NEW; END $$`);
  await db.client.query(`CREATE TRIGGER bench_sync BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION bench_sync()`);
}

/** The physical limit for xc's parallelism: PARALLEL sessions, each one UPDATE over its share of the key range, at once. */
async function splitUpdate(db: BenchDb, t: string, N: number, skipTriggers = false): Promise<number> {
  const sessions = await Promise.all(Array.from({ length: PARALLEL }, () => db.connect()));
  try {
    if (skipTriggers) for (const s of sessions) await s.query('SET session_replication_role = replica');
    const bounds = Array.from({ length: PARALLEL + 1 }, (_, i) => Math.floor((N * i) / PARALLEL));
    const { ms } = await timed(() =>
      Promise.all(sessions.map((s, i) => s.query(`UPDATE ${t} SET amount_big = amount WHERE id BETWEEN $1 AND $2`, [bounds[i]! + 1, bounds[i + 1]!]))),
    );
    return ms;
  } finally {
    await Promise.all(sessions.map((s) => s.end().catch(() => undefined)));
  }
}

/** xc apply() of the alterColumn with default options; the backfill is timed from its phase events. */
async function pgXcBackfill(db: BenchDb, t: string): Promise<Omit<PgRun, 'walBytes'>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-scale-'));
  await writeFile(
    path.join(dir, `0001_${t}_amount_bigint.json`),
    JSON.stringify({ operations: [{ alterColumn: { table: t, column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: 'CAST(amount_big AS int)' } }] }),
  );
  const at = new Map<string, number>();
  let batches = 0;
  let throttled = 0;
  const xc = createXc({
    url: db.url,
    dir,
    onEvent: (e) => {
      if (e.event === 'phase') at.set(e.to, performance.now());
      if (e.event === 'backfill') batches++;
      if (e.event === 'throttled') throttled++;
    },
  });
  try {
    await xc.apply();
  } finally {
    await xc.close();
    await rm(dir, { recursive: true, force: true });
    await db.client.query('DROP SCHEMA IF EXISTS xc CASCADE');
  }
  const from = at.get('backfilling');
  const to = at.get('backfilled');
  if (from === undefined || to === undefined) throw new Error('xc reported no backfilling/backfilled phase');
  // The last backfill event closes the pass (it is not a batch).
  return { ms: to - from, batches: Math.max(0, batches - 1), throttled };
}

async function mySize(db: MyBenchDb, N: number, checks: Checks, log: BenchLog): Promise<MySize> {
  const t = 'scale_xc';
  log(`scale: MariaDB ${fmt(N)} rows, xc backfill`);
  await myLoadTable(db, t, N);
  const bytes = await myOne<number>(db, 'SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [t]);
  await settle(db);
  const run = await withMyXc(db, t, {}, async (xc, tl) => {
    await xc.apply();
    // On MariaDB xc fills the new column in the expand, before installing its triggers (a trigger costs there even
    // when bypassed), then the backfill phase converts the rows changed meanwhile: both passes are the backfill's work.
    const from = tl.phaseAt.get('backfilling');
    const to = tl.phaseAt.get('backfilled');
    const expandEnd = tl.phaseAt.get('dual_write');
    if (from === undefined || to === undefined || expandEnd === undefined) throw new Error('xc reported no backfilling/backfilled phase');
    const steps = stepDurations(tl, 'expanding', expandEnd);
    const sum = (re: RegExp) => steps.filter((st) => re.test(st.sql)).reduce((n, st) => n + st.ms, 0);
    return { ms: to - from + sum(/^\s*UPDATE\b/i), addColumnMs: sum(/^\s*ALTER TABLE\b[\s\S]*\bADD COLUMN\b/i), batches: tl.batches.length };
  });
  const what = `MariaDB ${fmt(N)} rows, xc`;
  checks.add(
    { table: what, what: 'rows where amount_big IS NULL', expected: 0, found: await myOne(db, `SELECT COUNT(*) FROM \`${t}\` WHERE amount_big IS NULL`) },
    { table: what, what: 'rows where amount_big ≠ amount', expected: 0, found: await myOne(db, `SELECT COUNT(*) FROM \`${t}\` WHERE NOT (amount_big <=> amount)`) },
    { table: what, what: 'row count', expected: N, found: await myOne(db, `SELECT COUNT(*) FROM \`${t}\``) },
  );
  await db.conn.query(`DROP TABLE \`${t}\``);
  return { rows: N, bytes: Number(bytes), ...run };
}

function report(pgRuns: PgSize[], myRuns: MySize[], server: string, myServer: string, notes: string[], checks: Checks, pgSizes: number[], mySizes: number[], plainMax: number): Section & { server: string } {
  const met = (ok: boolean) => (ok ? 'target met' : '**target MISSED**');
  const perRowVs = (ms: number, rows: number, ref: { ms: number; rows: number } | undefined) => (ref ? ratio(ms / rows, ref.ms / ref.rows) : '—');
  const pgRef = pgRuns.find((r) => r.rows === 1_000_000) ?? pgRuns[0];
  const myRef = myRuns.find((r) => r.rows === 1_000_000) ?? myRuns[0];
  const refName = (r: { rows: number } | undefined) => (r ? fmt(r.rows) : '—');
  const tables: Table[] = [];
  const conclusions: string[] = [];
  const cmd = `XC_BENCH_SECTIONS=scale${process.env.XC_BENCH_SCALE_ROWS ? ` XC_BENCH_SCALE_ROWS=${pgSizes.join(',')}` : ''}${process.env.XC_BENCH_SCALE_MY_ROWS !== undefined ? ` XC_BENCH_SCALE_MY_ROWS=${mySizes.join(',')}` : ''}${process.env.XC_BENCH_SCALE_ROUNDS ? ` XC_BENCH_SCALE_ROUNDS=${ROUNDS_SMALL}` : ''}${process.env.XC_BENCH_SCALE_BUDGET_S ? ` XC_BENCH_SCALE_BUDGET_S=${BUDGET_MS / 1000}` : ''} npm run bench`;

  if (pgRuns.length) {
    tables.push({
      title: `PostgreSQL: backfill by table size, xc against the UPDATE split over ${PARALLEL} sessions (median of alternating rounds up to 1M rows, one pair above)`,
      head: ['rows', 'table on disk', 'after', 'xc backfill (s)', 'xc rows/s', 'xc time/row vs ' + refName(pgRef), `split UPDATE ×${PARALLEL} (s)`, 'split rows/s', 'xc vs split', 'split, trigger installed (s)', 'xc vs it', 'plain UPDATE (s)', 'xc vs plain', 'xc batches', 'WAL xc / split / trigger', 'rounds, first'],
      rows: pgRuns.map((r) => [
        fmt(r.rows), mb(r.bytes), mb(r.bytesAfter), secs(r.xc.ms), rate(r.rows, r.xc.ms), perRowVs(r.xc.ms, r.rows, pgRef && { ms: pgRef.xc.ms, rows: pgRef.rows }),
        secs(r.split.ms), rate(r.rows, r.split.ms), ratio(r.xc.ms, r.split.ms), secs(r.trig.ms), ratio(r.xc.ms, r.trig.ms), r.plain ? secs(r.plain.ms) : '—', r.plain ? ratio(r.xc.ms, r.plain.ms) : '—',
        `${r.xc.batches}${r.xc.throttled ? ` (${r.xc.throttled} throttled)` : ''}`, `${mb(r.xc.walBytes)} / ${mb(r.split.walBytes)} / ${mb(r.trig.walBytes)}`, `${r.rounds}, ${r.firstRan}`,
      ]),
      notes: [
        'Table `(id int primary key, amount int not null default 0, pad text)` loaded by `generate_series` (`pad = md5(id)`), `VACUUM ANALYZE`, `CHECKPOINT` before the timed part; a fresh table for every run, dropped once checked. ' +
          '"table on disk": `pg_total_relation_size` after the load; "after": after the run (each updated row leaves its old version until vacuumed).',
        `xc: \`apply()\` of \`{"alterColumn":{"column":"amount","to":"amount_big","type":"bigint","up":"amount"}}\` with default options (--parallel ${PARALLEL}, batchTime 200 ms), timed from the \`backfilling\` phase event to \`backfilled\`. ` +
          `Split: \`ALTER TABLE t ADD COLUMN amount_big bigint\`, then ${PARALLEL} sessions each running \`UPDATE t SET amount_big = amount WHERE id BETWEEN a AND b\` over its half of the keys, at the same time, timed until both return. ` +
          `Plain: one \`UPDATE t SET amount_big = amount\` (sizes up to ${fmt(plainMax)}). Which of xc and split runs first alternates by round and by size ("rounds, first": the first round's); times, batches and WAL are the median run's; the plain UPDATE runs once, after the last round.`,
        "What an xc batch is beyond the split's UPDATE: its own transaction — one statement of settings (lock timeout, the bypass of xc's trigger, `synchronous_commit` off, and `session_replication_role = replica` where only triggers that would do nothing are installed), a `COUNT` of the chunk's rows " +
          "(run before its UPDATE: an index-only scan while the pages are all-visible), the UPDATE with the backfill's `WHERE` (rows not yet converted; its NOT NULL test first), the cursor's UPDATE, " +
          "a check that xc still holds its advisory lock, `COMMIT` — and the sync trigger stays installed (the application's writes need it). Skipped, it still costs: PostgreSQL fetches and locks each row for a BEFORE UPDATE row trigger before it finds the trigger disabled, " +
          'one more row lock in the WAL per row (pg_waldump: 2 Heap/LOCK records per updated row against 1). "split, trigger installed" is the split UPDATE with such a trigger, skipped the same way: the floor for any backfill that keeps both versions live. ' +
          'The batch size starts at 1,000 rows and grows toward the 200 ms batch time, which weighs at the smallest sizes.',
        'WAL: `pg_current_wal_lsn()` difference over the timed part, server-wide (xc includes its state writes; anything else the server ran meanwhile counts too).',
      ],
    });
    const over = pgRuns.filter((r) => r.xc.ms / r.split.ms > SPLIT_TARGET);
    const big = pgRuns.filter((r) => r.rows >= (pgRef?.rows ?? 0) && r !== pgRef);
    const worstGrowth = big.length && pgRef ? Math.max(...big.map((r) => r.xc.ms / r.rows / (pgRef.xc.ms / pgRef.rows))) : null;
    conclusions.push(
      `PostgreSQL, xc against the UPDATE split over ${PARALLEL} sessions: ${pgRuns.map((r) => `${ratio(r.xc.ms, r.split.ms)} at ${fmt(r.rows)}`).join(', ')} (target ≤ ${SPLIT_TARGET}×): ` +
        `${met(over.length === 0)}${over.length ? ` (missed at ${over.map((r) => fmt(r.rows)).join(', ')})` : ''}.`,
      `PostgreSQL, xc against the same split UPDATE with a skipped BEFORE UPDATE trigger installed, as dual-write keeps one: ${pgRuns.map((r) => `${ratio(r.xc.ms, r.trig.ms)} at ${fmt(r.rows)}`).join(', ')}; ` +
        `the trigger alone makes the split ${pgRuns.map((r) => ratio(r.trig.ms, r.split.ms)).join(', ')} slower.`,
      worstGrowth === null
        ? 'PostgreSQL growth: fewer than two sizes from 1M up; not judged.'
        : `PostgreSQL, xc's time per row from ${refName(pgRef)} rows up is at most ${worstGrowth.toFixed(2)}× the ${refName(pgRef)}-row run's ` +
            `(rows/s ${pgRuns.map((r) => rate(r.rows, r.xc.ms)).join(' → ')} at ${pgRuns.map((r) => fmt(r.rows)).join(' → ')}): linear within ${LINEAR_TARGET}×, ${met(worstGrowth <= LINEAR_TARGET)}. ` +
            "pgroll's published throughput falls from ~55k rows/s at 10k rows to ~10k at 300k.",
    );
  }
  if (myRuns.length) {
    tables.push({
      title: 'MariaDB: xc backfill by table size (one run per size)',
      head: ['rows', 'table on disk', 'xc fill + backfill (s)', 'rows/s', `time/row vs ${refName(myRef)}`, 'progress events', 'ADD COLUMN in the expand (s)'],
      rows: myRuns.map((r) => [fmt(r.rows), mb(r.bytes), secs(r.ms), rate(r.rows, r.ms), perRowVs(r.ms, r.rows, myRef), r.batches, secs(r.addColumnMs)]),
      notes: [
        'Table `(id int primary key, amount int not null default 0, pad varchar(64))` loaded by doubling INSERT … SELECT, `ANALYZE TABLE`, pages flushed and purge settled before the run; ' +
          '"table on disk": `DATA_LENGTH + INDEX_LENGTH` after the load. xc: `apply()` of the same alterColumn with default options; timed: the fill step of the expand (on MariaDB the new column is filled before the triggers are installed) plus the backfill phase (`backfilling` → `backfilled`, converting what changed meanwhile). ' +
          `Sizes run: ${myRuns.map((r) => fmt(r.rows)).join(', ')} of ${mySizes.map(fmt).join(', ')} (XC_BENCH_SCALE_MY_ROWS; a size projected past the section's time budget is left out).`,
      ],
    });
    const big = myRuns.filter((r) => r.rows >= (myRef?.rows ?? 0) && r !== myRef);
    const worst = big.length && myRef ? Math.max(...big.map((r) => r.ms / r.rows / (myRef.ms / myRef.rows))) : null;
    conclusions.push(
      worst === null
        ? `MariaDB rows/s: ${myRuns.map((r) => `${rate(r.rows, r.ms)} at ${fmt(r.rows)}`).join(', ')}.`
        : `MariaDB, xc's time per row from ${refName(myRef)} rows up is at most ${worst.toFixed(2)}× the ${refName(myRef)}-row run's (rows/s ${myRuns.map((r) => rate(r.rows, r.ms)).join(' → ')}): linear within ${LINEAR_TARGET}×, ${met(worst <= LINEAR_TARGET)}.`,
    );
  }
  const failed = checks.failed;
  conclusions.push(
    failed.length === 0
      ? `Data checks: all ${checks.all.length} passed (no NULL in amount_big, amount_big = amount on every row).`
      : checks.failedLine(),
  );
  tables.push(checks.table([], 'Data checks', 'run'));
  return {
    title: 'Scale: backfill throughput by table size',
    server: [server, myServer].filter(Boolean).join('; '),
    intro: [`Reproduce: \`${cmd}\`.`, ...notes],
    tables,
    conclusions,
    failed: failed.length > 0,
  };
}
