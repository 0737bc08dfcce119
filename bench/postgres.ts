/**
 * The PostgreSQL section: backfill throughput (plain UPDATE vs xc's batched
 * backfill) and the worst latency a concurrent writer sees during xc's whole
 * lifecycle vs a naive `ALTER COLUMN ... TYPE bigint`. Every scenario gets its
 * own freshly loaded, vacuumed table and starts after a CHECKPOINT.
 */
import { between, checkpoint, createBenchDb, loadTable, one, phaseAtTime, timed, withXc, type BenchDb, type XcTimeline } from './pg.js';
import { Checks, median, millis, perSec, ratio, secs, variantLabel, variantSuffix, type Check, type Section, type XcVariant } from './report.js';
import { Writer, type WriterStats } from './writer.js';

export interface PgBenchOptions {
  url: string;
  rows: number;
  /** Rounds of the throughput pair (plain UPDATE, then xc); medians are reported. */
  repeat: number;
  /** Extra xc backfill runs with these options (the headline uses the defaults). */
  variants: XcVariant[];
}

const THROUGHPUT_TARGET = 1.5;
const WORST_LATENCY_TARGET_MS = 1000;


interface BackfillRun {
  backfillMs: number;
  expandMs: number;
  applyMs: number;
  batches: number;
  largestBatch: number;
}

export interface LoadRun {
  label: string;
  ms: number;
  writer: WriterStats;
}

export async function postgresSection(o: PgBenchOptions, log: (line: string) => void): Promise<Section & { server: string }> {
  const db = await createBenchDb(o.url);
  const stop = () => void db.drop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const server = await one<string>(db, 'SELECT version()');
    const checks = new Checks();
    const N = o.rows;

    // Rounds alternate the plain UPDATE and xc, so a noisy neighbour hurts both alike.
    const plain: number[] = [];
    const variants = [undefined, ...o.variants];
    const runs = variants.map(() => [] as BackfillRun[]);
    for (let round = 1; round <= o.repeat; round++) {
      log(`round ${round}/${o.repeat}: plain UPDATE of ${N} rows`);
      plain.push(await plainUpdate(db, N, checks));
      for (const [i, variant] of variants.entries()) {
        log(`round ${round}/${o.repeat}: xc backfill${variant ? ` (${variantLabel(variant)})` : ''}`);
        runs[i]!.push(await xcBackfill(db, N, variant, checks));
      }
    }
    log('xc apply + contract under a writer');
    const { run: xcRun, phases, worstPhase } = await xcLifecycle(db, N, checks);
    log('naive ALTER COLUMN TYPE under a writer');
    const naive = await naiveAlter(db, N, checks);

    const plainMs = median(plain);
    const spread = (xs: number[]) => (xs.length > 1 ? `${secs(median(xs))} (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})` : secs(xs[0]!));
    const of = (rs: BackfillRun[], k: keyof BackfillRun) => median(rs.map((r) => r[k]));
    const label = (v: XcVariant | undefined) => `xc backfill (${variantLabel(v)})`;
    const backfillRatio = of(runs[0]!, 'backfillMs') / plainMs;
    const failed = checks.all.filter((c) => c.expected !== c.found);
    const met = (ok: boolean) => (ok ? 'target met' : '**target MISSED**');
    return {
      title: 'PostgreSQL',
      server,
      intro: [
        `Server: ${server}.`,
        `Each scenario loads its own table \`(id int primary key, amount int not null default 0, pad text)\` with ${N.toLocaleString('en-US')} rows ` +
          '(`generate_series`, `pad = md5(id)`), runs `VACUUM ANALYZE`, then `CHECKPOINT` just before the timed part. ' +
          'xc runs the migration `{"alterColumn":{"column":"amount","to":"amount_big","type":"bigint","up":"amount","down":"CAST(amount_big AS int)"}}` with default options unless stated.',
      ],
      tables: [
        {
          title: `Backfill throughput (median of ${o.repeat} alternating round${o.repeat > 1 ? 's' : ''}; min–max in brackets)`,
          head: ['', 'backfill (s)', 'rows/s', 'batches', 'largest batch', 'vs plain UPDATE', 'expand (s)', 'whole apply() (s)'],
          rows: [
            ['plain `UPDATE t SET amount_big = amount`', spread(plain), perSec(N, plainMs), 1, N, '1.00×', '—', '—'],
            ...runs.map((rs, i) => [
              label(variants[i]),
              spread(rs.map((r) => r.backfillMs)),
              perSec(N, of(rs, 'backfillMs')),
              of(rs, 'batches'),
              of(rs, 'largestBatch'),
              ratio(of(rs, 'backfillMs'), plainMs),
              secs(of(rs, 'expandMs')),
              secs(of(rs, 'applyMs')),
            ]),
          ],
          notes: [
            'Plain: time of the `UPDATE` alone (after `ALTER TABLE ADD COLUMN amount_big bigint`). ' +
              "xc backfill: from the `backfilling` phase event to `backfilled`; expand: `expanding` → `dual_write`; whole apply(): the call, including connecting and planning.",
          ],
        },
        {
          title: 'A concurrent writer during the change',
          head: ['change', 'duration (s)', 'worst write (ms)', 'p99 write (ms)', 'writes done', 'writes/s', 'writer errors'],
          rows: [xcRun, naive].map((r) => [r.label, secs(r.ms), millis(r.writer.worstMs), millis(r.writer.p99Ms), r.writer.writes, perSec(r.writer.writes, r.ms), r.writer.errors.length]),
          notes: [
            'The writer has its own connection and alternates `INSERT` of a new row with `UPDATE t SET amount = amount + 1 WHERE id = <random>`, pausing 2 ms between writes; ' +
              'it starts just before the change and stops just after. The old version knows only `amount`; for xc it switches to the new version (only `amount_big`) ' +
              'between `apply()` and `contract()` and the deployment is recorded (`xc.deploy.record`) — the deploy the contract gate waits for, since contract drops `amount`.',
            ...[xcRun, naive].flatMap((r) => (r.writer.errors.length ? [`First writer error (${r.label}): \`${r.writer.errors[0]!.slice(0, 200)}\``] : [])),
          ],
        },
        {
          title: 'xc lifecycle under the writer, by phase',
          head: ['expand (s)', 'backfill (s)', 'verify (s)', 'contract DDL (s)', 'apply() + contract() (s)'],
          rows: [[secs(phases.expand), secs(phases.backfill), secs(phases.verify), secs(phases.contract), secs(xcRun.ms)]],
          notes: ['verify: from `backfilled` to `contracting` (includes contract() loading its state); contract DDL: `contracting` → `contracted`.'],
        },
        checks.table(),
      ],
      conclusions: [
        `xc backfill is ${ratio(of(runs[0]!, 'backfillMs'), plainMs)} the plain UPDATE (target ≤ ${THROUGHPUT_TARGET}×): ${met(backfillRatio <= THROUGHPUT_TARGET)}.`,
        ...runs.slice(1).map((rs, i) => `${label(variants[i + 1])}: ${ratio(of(rs, 'backfillMs'), plainMs)} the plain UPDATE in ${of(rs, 'batches')} batches.`),
        `xc's worst writer latency over its whole lifecycle (${secs(xcRun.ms)} s) is ${millis(xcRun.writer.worstMs)} ms, during \`${worstPhase ?? 'start-up'}\` ` +
          `(target < ${WORST_LATENCY_TARGET_MS} ms): ${met(xcRun.writer.worstMs < WORST_LATENCY_TARGET_MS)}; ${xcRun.writer.errors.length} writer errors.`,
        `The naive \`ALTER COLUMN TYPE bigint\` took ${secs(naive.ms)} s and stalled a write for ${millis(naive.writer.worstMs)} ms ` +
          `(${ratio(naive.writer.worstMs, Math.max(xcRun.writer.worstMs, 0.001))} xc's worst); the writer managed ${perSec(naive.writer.writes, naive.ms)} writes/s against ${perSec(xcRun.writer.writes, xcRun.ms)} under xc.`,
        failed.length === 0
          ? `Data checks: all ${checks.all.length} passed (no NULL in the new column, row counts and sums as the writes predict).`
          : checks.failedLine(),
      ],
      failed: failed.length > 0,
    };
  } finally {
    process.off('SIGINT', stop);
    await db.drop();
  }
}

async function plainUpdate(db: BenchDb, N: number, checks: Checks): Promise<number> {
  const t = 'bench_update';
  await loadTable(db, t, N);
  await db.client.query(`ALTER TABLE ${t} ADD COLUMN amount_big bigint`);
  await checkpoint(db);
  const { ms } = await timed(() => db.client.query(`UPDATE ${t} SET amount_big = amount`));
  checks.add({ table: t, what: 'rows where amount_big ≠ amount', expected: 0, found: await one(db, `SELECT count(*)::int FROM ${t} WHERE amount_big IS DISTINCT FROM amount`) });
  await db.client.query(`DROP TABLE ${t}`);
  return ms;
}

async function xcBackfill(db: BenchDb, N: number, variant: XcVariant | undefined, checks: Checks): Promise<BackfillRun> {
  const t = `bench_xc${variantSuffix(variant)}`;
  await loadTable(db, t, N);
  await checkpoint(db);
  const run = await withXc(db, t, variant ?? {}, async (xc, tl) => {
    const { ms } = await timed(() => xc.apply());
    return {
      backfillMs: between(tl, 'backfilling', 'backfilled'),
      expandMs: between(tl, 'expanding', 'dual_write'),
      applyMs: ms,
      batches: tl.batches.length,
      largestBatch: tl.batches.reduce((m, b) => Math.max(m, b.size), 0),
    };
  });
  checks.add({ table: t, what: 'rows where amount_big ≠ amount', expected: 0, found: await one(db, `SELECT count(*)::int FROM ${t} WHERE amount_big IS DISTINCT FROM amount`) });
  await db.client.query(`DROP TABLE ${t}`);
  return run;
}

/** Run `change` while a writer writes to `table`; check afterwards that every write landed in `column`. */
export async function underWriter(
  db: BenchDb, t: string, N: number, label: string, checks: Checks, change: (w: Writer) => Promise<string>,
  /** More checks of the table after the change, before it is dropped. */
  after?: (t: string) => Promise<Check[]>,
): Promise<LoadRun> {
  await loadTable(db, t, N);
  const sum0 = Number(await one<string>(db, `SELECT sum(amount) FROM ${t}`));
  await checkpoint(db);
  const writer = new Writer(await db.connect(), t, N).start();
  let column = 'amount';
  const { ms } = await timed(async () => {
    column = await change(writer);
  });
  const stats = await writer.stop();
  const count = await one(db, `SELECT count(*)::int FROM ${t}`);
  checks.add(
    { table: t, what: 'row count = loaded + inserted', expected: N + stats.inserts, found: count },
    { table: t, what: `rows where ${column} IS NULL`, expected: 0, found: await one(db, `SELECT count(*)::int FROM ${t} WHERE ${column} IS NULL`) },
    // Inserts write 1, updates add 1: any lost or doubled write shows here.
    { table: t, what: `sum(${column}) = loaded + writes`, expected: sum0 + stats.writes, found: Number(await one<string>(db, `SELECT sum(${column}) FROM ${t}`)) },
  );
  if (after) checks.add(...(await after(t)));
  await db.client.query(`DROP TABLE ${t}`);
  return { label, ms, writer: stats };
}

async function xcLifecycle(db: BenchDb, N: number, checks: Checks) {
  let tl!: XcTimeline;
  const run = await withXc(db, 'bench_xc_live', {}, (xc, timeline) => {
    tl = timeline;
    return underWriter(db, 'bench_xc_live', N, 'xc `apply()` + `contract()`', checks, async (w) => {
      await xc.apply();
      // The deploy: the new version replaces the old one, and the pipeline tells the gate.
      w.column = 'amount_big';
      await xc.deploy.record({ app: 'bench-app', version: '2' });
      await xc.contract();
      return 'amount_big';
    });
  });
  const phases = {
    expand: between(tl, 'expanding', 'dual_write'),
    backfill: between(tl, 'backfilling', 'backfilled'),
    verify: between(tl, 'backfilled', 'contracting'),
    contract: between(tl, 'contracting', 'contracted'),
  };
  return { run, phases, worstPhase: phaseAtTime(tl, run.writer.worstAt) };
}

async function naiveAlter(db: BenchDb, N: number, checks: Checks): Promise<LoadRun> {
  return underWriter(db, 'bench_alter', N, 'naive `ALTER TABLE t ALTER COLUMN amount TYPE bigint`', checks, async () => {
    await db.client.query('ALTER TABLE bench_alter ALTER COLUMN amount TYPE bigint');
    return 'amount';
  });
}
