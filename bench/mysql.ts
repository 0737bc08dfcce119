/**
 * The MySQL / MariaDB section: an online column type change (int → bigint)
 * by xc (apply + contract) against pt-online-schema-change, on identical
 * freshly loaded tables with the same concurrent writer, plus a plain
 * `ALTER TABLE ... MODIFY` for reference and a breakdown of where a
 * backfill's time goes on this engine. Rounds alternate xc and pt-osc so a
 * noisy neighbour hurts both alike.
 */
import { between, createMyBenchDb, lineAt, loadTable, one, phaseAtTime, ptOscFlags, ptOscVersion, runPtOsc, settle, stepDurations, timed, underWriter, withXc, type LoadRun, type MyBenchDb, type MyXcTimeline, type PtOscRun } from './my.js';
import { Checks, DEFAULTS_LABEL, median, millis, perSec, ratio, secs, variantLabel, variantSuffix, type Check, type Section, type Table, type XcVariant } from './report.js';
import { MysqlDialect } from '../src/dialects/mysql/index.js';

export interface MyBenchOptions {
  url: string;
  rows: number;
  /** Rounds of the xc / pt-osc pair; medians are reported. */
  repeat: number;
  /** Extra xc lifecycle runs with these options (the headline uses the defaults). */
  variants: XcVariant[];
}

const ALTER = 'MODIFY amount BIGINT NOT NULL DEFAULT 0';
const WORST_LATENCY_TARGET_MS = 1000;

interface XcRun extends LoadRun {
  variant?: XcVariant;
  /** fill: the part of expand that fills the new column before its triggers exist. */
  phases: { expand: number; fill: number; backfill: number; deploy: number; verify: number; contract: number };
  batches: number;
  largestBatch: number;
  /** The slowest contract step and its time. */
  slowestContractStep: { description: string; sql: string; ms: number };
  worstPhase: string | null;
}

export interface PtRun extends LoadRun {
  run: PtOscRun;
  copyMs: number | null;
  worstDuring: string | null;
}

export async function mysqlSection(o: MyBenchOptions, log: (line: string) => void): Promise<Section & { server: string }> {
  const db = await createMyBenchDb(o.url);
  const stop = () => void db.drop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const version = await one<string>(db, 'SELECT VERSION()');
    const server = /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`;
    const settings = await one<string>(
      db,
      `SELECT CONCAT('innodb_buffer_pool_size ', @@innodb_buffer_pool_size DIV 1048576, ' MiB, innodb_log_file_size ', @@innodb_log_file_size DIV 1048576,
                     ' MiB, innodb_flush_log_at_trx_commit ', @@innodb_flush_log_at_trx_commit, ', innodb_io_capacity ', @@innodb_io_capacity)`,
    );
    const checks = new Checks();
    const N = o.rows;

    const xcRuns: XcRun[] = [];
    const ptRuns: PtRun[] = [];
    for (let round = 1; round <= o.repeat; round++) {
      // Alternate who goes first, so neither always runs on the warmer server.
      const order = round % 2 === 1 ? ['xc', 'pt'] : ['pt', 'xc'];
      for (const who of order) {
        if (who === 'xc') {
          log(`mysql round ${round}/${o.repeat}: xc apply + contract under a writer`);
          xcRuns.push(await xcLifecycle(db, N, undefined, checks));
        } else {
          log(`mysql round ${round}/${o.repeat}: pt-online-schema-change under a writer`);
          ptRuns.push(await ptOsc(db, N, checks));
        }
      }
    }
    const extra: XcRun[] = [];
    for (const variant of o.variants) {
      log(`mysql: xc apply + contract under a writer (${variantLabel(variant)})`);
      extra.push(await xcLifecycle(db, N, variant, checks));
    }
    log('mysql: plain ALTER TABLE MODIFY under a writer');
    const plain = await plainAlter(db, N, checks);
    log('mysql: where the backfill time goes');
    const { parts, readMs, updateMs } = await breakdown(db, N, checks);

    const med = (xs: number[]) => median(xs);
    const spread = (xs: number[]) => (xs.length > 1 ? `${secs(med(xs))} (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})` : secs(xs[0]!));
    const worst = (rs: LoadRun[]) => Math.max(...rs.map((r) => r.writer.worstMs));
    const sumErrors = (rs: LoadRun[]) => rs.reduce((n, r) => n + r.writer.errors.length, 0);
    const summary = (label: string, rs: LoadRun[]) => [
      label,
      spread(rs.map((r) => r.ms)),
      millis(worst(rs)),
      millis(med(rs.map((r) => r.writer.p99Ms))),
      med(rs.map((r) => r.writer.writes)),
      perSec(med(rs.map((r) => r.writer.writes)), med(rs.map((r) => r.ms))),
      sumErrors(rs),
    ];
    const xcMs = med(xcRuns.map((r) => r.ms));
    const ptMs = med(ptRuns.map((r) => r.ms));
    const xcWorst = worst(xcRuns);
    const ptWorst = worst(ptRuns);
    const ph = (k: keyof XcRun['phases'], rs = xcRuns) => med(rs.map((r) => r.phases[k]));
    const slowest = xcRuns[0]!.slowestContractStep;
    const rounds = o.repeat > 1 ? `median of ${o.repeat} alternating rounds; min–max in brackets` : 'one round';
    const failed = checks.failed;
    const met = (ok: boolean) => (ok ? 'target met' : '**target MISSED**');
    const firstErrors = [...xcRuns, ...ptRuns, ...extra, plain].filter((r) => r.writer.errors.length).map((r) => `First writer error (${r.label}): \`${r.writer.errors[0]!.slice(0, 200)}\``);

    const tables: Table[] = [
      {
        title: `Online column type change under a concurrent writer (${rounds})`,
        head: ['change', 'duration (s)', 'worst write (ms)', 'p99 write (ms)', 'writes done', 'writes/s', 'writer errors'],
        rows: [
          summary(`xc \`apply()\` + \`contract()\` (${DEFAULTS_LABEL})`, xcRuns),
          summary('`pt-online-schema-change`', ptRuns),
          ...extra.map((r) => summary(`xc \`apply()\` + \`contract()\` (${variantLabel(r.variant)})`, [r])),
          summary(`plain \`ALTER TABLE t ${ALTER}\` (reference)`, [plain]),
        ],
        notes: [
          'Each change gets its own freshly loaded table and the writer on its own mysql2 connection: it alternates `INSERT` of a new row with ' +
            '`UPDATE t SET amount = amount + 1 WHERE id = <random>`, pausing 2 ms between writes, from just before the change until just after. ' +
            'The old version knows only `amount`; for xc it switches to the new version (only `amount_big`) between `apply()` and `contract()` and the deployment is ' +
            'recorded (`xc.deploy.record`) — the deploy the contract gate waits for. pt-osc keeps the column name, so its writer stays the old version. ' +
            `Duration: xc from \`apply()\` to the end of \`contract()\` (including the deploy record); pt-osc the whole process, start to exit. ` +
            `Worst write: the worst of all rounds; p99 and writes: medians.`,
          `pt-osc: \`${['pt-online-schema-change', ...ptOscFlags(ALTER).map((a) => (/\s/.test(a) ? `"${a}"` : a)), 'D=<db>,t=<table>,h=…,P=…,u=…', '--execute'].join(' ')}\` (${ptOscVersion()}; its own session settings, e.g. \`innodb_lock_wait_timeout=1\`, \`lock_wait_timeout=60\`, are its defaults).`,
          ...firstErrors,
        ],
      },
      {
        title: 'Each round',
        head: ['round', 'xc whole run (s)', 'xc worst write (ms)', 'xc worst during', 'pt-osc whole run (s)', 'pt-osc copy (s)', 'pt-osc worst write (ms)', 'pt-osc worst during'],
        rows: xcRuns.map((x, i) => {
          const p = ptRuns[i]!;
          return [i + 1, secs(x.ms), millis(x.writer.worstMs), `\`${x.worstPhase ?? 'start-up'}\``, secs(p.ms), p.copyMs === null ? '—' : secs(p.copyMs), millis(p.writer.worstMs), p.worstDuring ?? '—'];
        }),
        notes: ['pt-osc copy: from its "Copying approximately" line to "Copied rows OK"; "worst during" is the pt-osc output line last printed before the worst write started.'],
      },
      {
        title: `xc lifecycle under the writer, by phase (${o.repeat > 1 ? 'medians' : 'one round'})`,
        head: ['', 'expand (s)', 'of which fill (s)', 'backfill (s)', 'deploy (s)', 'verify (s)', 'contract DDL (s)', 'apply() + contract() (s)', 'batches', 'largest batch'],
        rows: [
          [DEFAULTS_LABEL, secs(ph('expand')), secs(ph('fill')), secs(ph('backfill')), secs(ph('deploy')), secs(ph('verify')), secs(ph('contract')), secs(xcMs), med(xcRuns.map((r) => r.batches)), med(xcRuns.map((r) => r.largestBatch))],
          ...extra.map((r) => [variantLabel(r.variant), secs(r.phases.expand), secs(r.phases.fill), secs(r.phases.backfill), secs(r.phases.deploy), secs(r.phases.verify), secs(r.phases.contract), secs(r.ms), r.batches, r.largestBatch]),
        ],
        notes: [
          'expand: `expanding` → `dual_write` (the online rebuild that adds the column, the fill before the triggers exist, the triggers); ' +
            'backfill: `backfilling` → `backfilled` (a pass over every row that converts those written during the fill); ' +
            'deploy: `backfilled` → the `contract()` call (writer switch, `deploy.record`); ' +
            'verify: the `contract()` call → `contracting` (gate evidence and the agreement check of every row, in chunks of 50,000 key values, two parts at a time); contract DDL: `contracting` → `contracted`. ' +
            'Batches: of the fill and the backfill together, all parts.',
          `Slowest contract step (round 1): ${slowest.description} — ${secs(slowest.ms)} s (\`${slowest.sql.split('\n')[0]!.slice(0, 160)}\`).`,
        ],
      },
      {
        title: "Where a backfill's time goes on this engine (one run each, no writer)",
        head: [`statement on a fresh ${N.toLocaleString('en-US')}-row table`, 'time (s)', 'rows/s', 'vs pt-osc-style copy', 'redo written (MiB)', 'table data before → after (MiB)'],
        rows: parts.map((p) => [p.label, secs(p.ms), perSec(N, p.ms), ratio(p.ms, parts[0]!.ms), Math.round(p.redoMiB), `${Math.round(p.sizeMiB[0])} → ${Math.round(p.sizeMiB[1])}`]),
        notes: [
          "Single statements, each on its own freshly loaded and flushed table. \"With xc's trigger pair\": after `xc apply --to expand` (column added and filled, the BEFORE UPDATE/INSERT trigger pair installed), " +
            "with the triggers' bypass variables set as xc's backfill sets them: the triggers still fire for every row and only skip their body. " +
            'Redo: the server-wide `Innodb_os_log_written` delta over the statement; table data: `DATA_LENGTH` after `ANALYZE TABLE` (for the copy: of the new table).',
        ],
      },
      checks.table(['Counts and sums of a table used in several rounds are summed over the rounds; column checks hold in every round.']),
    ];

    const xcVsPt = xcMs / ptMs;
    const copy = parts[0]!;
    const grow = parts.find((p) => p.key === 'update_null')!;
    const inplace = parts.find((p) => p.key === 'update_inplace')!;
    const trig = parts.find((p) => p.key === 'update_triggers')!;
    const rebuilt = parts.find((p) => p.key === 'rebuild_update')!;
    const passes = ph('backfill') + ph('verify');
    const single = extra.find((r) => r.variant?.parallel === 1);
    return {
      title: 'MySQL / MariaDB',
      server,
      intro: [
        `Server: ${server} (${settings}). Same run as the PostgreSQL section.`,
        `Each scenario loads its own table \`(id int primary key, amount int not null default 0, pad varchar(64))\` with ${N.toLocaleString('en-US')} rows ` +
          '(`INSERT ... SELECT` doubling, `amount = id % 1000`, `pad = md5(id)`), runs `ANALYZE TABLE`, then flushes its pages (`FLUSH TABLES t FOR EXPORT`) and waits for ' +
          'dirty pages and purge to settle just before the timed part, in a database `xc_bench_<random>` created and dropped by the run. ' +
          'xc runs the migration `{"alterColumn":{"column":"amount","to":"amount_big","type":"bigint","up":"amount","down":{"postgres":"CAST(amount_big AS int)","mysql":"CAST(amount_big AS SIGNED)"}}}` with default options unless stated.',
        'The section is skipped, with a note in its place, when the server at `XC_BENCH_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`) cannot be reached or `pt-online-schema-change` (with perl DBD::mysql) is not installed.',
      ],
      tables,
      conclusions: [
        `xc's whole online change (apply + contract) took ${secs(xcMs)} s against pt-online-schema-change's ${secs(ptMs)} s: ${ratio(xcMs, ptMs)} ` +
          `(target: xc no slower): ${met(xcVsPt <= 1)}.`,
        `Worst writer latency: xc ${millis(xcWorst)} ms (during \`${xcRuns.find((r) => r.writer.worstMs === xcWorst)?.worstPhase ?? 'start-up'}\`), ` +
          `pt-osc ${millis(ptWorst)} ms (after "${ptRuns.find((r) => r.writer.worstMs === ptWorst)?.worstDuring ?? '—'}"); ` +
          `both under ${WORST_LATENCY_TARGET_MS} ms: ${met(xcWorst < WORST_LATENCY_TARGET_MS && ptWorst < WORST_LATENCY_TARGET_MS)}; ` +
          `writer errors: xc ${sumErrors(xcRuns)}, pt-osc ${sumErrors(ptRuns)}.`,
        `xc's time by phase: backfill ${secs(ph('backfill'))} s (${Math.round((100 * ph('backfill')) / xcMs)}%), verify ${secs(ph('verify'))} s, ` +
          `contract DDL ${secs(ph('contract'))} s (of which ${secs(slowest.ms)} s "${slowest.description}" in round 1), expand ${secs(ph('expand'))} s.`,
        `On this engine an UPDATE that fills a new column costs far more than copying rows: filling the added NULL \`bigint\` with one plain UPDATE took ${secs(grow.ms)} s ` +
          `(${ratio(grow.ms, copy.ms)} the ${secs(copy.ms)} s of pt-osc's way, \`INSERT ... SELECT\` into a bigint copy) and wrote ${Math.round(grow.redoMiB)} MiB of redo, ` +
          `the table growing from ${Math.round(grow.sizeMiB[0])} to ${Math.round(grow.sizeMiB[1])} MiB: every row grows by 8 bytes, so InnoDB splits the full pages. ` +
          `That is why xc's expand stores the new column in every row first (an online rebuild with a placeholder): the fill then updates rows in place.`,
        `Triggers: an in-place UPDATE took ${secs(trig.ms)} s with xc's trigger pair installed (bypassed) against ${secs(inplace.ms)} s without triggers ` +
          `(${ratio(trig.ms, inplace.ms)}): MySQL cannot skip a trigger for one session, so every row still runs the trigger's guard. ` +
          `That is why xc fills the column before its triggers exist (${secs(ph('fill'))} s of the ${secs(ph('expand'))} s expand here) and the backfill phase then converts only the rows ` +
          `old writers changed meanwhile (${secs(ph('backfill'))} s, a read of every row).`,
        `The floor of this design on one core: the online rebuild plus one UPDATE of every row — no batches, no writer, no triggers — took ${secs(rebuilt.ms)} s ` +
          `(${ratio(rebuilt.ms, ptMs)} pt-osc's whole run, whose copy writes each row once into a table built with the new column). ` +
          `xc must also read every row twice — the backfill after the fill, and the agreement check before contract (SPEC §5), which pt-osc does not do — and one such read took ${secs(readMs)} s ` +
          `as a single statement: one core's floor is ${secs(rebuilt.ms + 2 * readMs)} s, ${ratio(rebuilt.ms + 2 * readMs, ptMs)} pt-osc. ` +
          `xc ${xcMs < rebuilt.ms + 2 * readMs ? 'gets under it' : 'stays above it even'} by walking the fill, the backfill and the verify in parts at once (\`--parallel\`, default 2): the fill took ${secs(ph('fill'))} s under the writer against ${secs(updateMs)} s ` +
          `for the single UPDATE, the two reads ${secs(passes)} s against ${secs(2 * readMs)} s` +
          (single ? `; with \`--parallel 1\` the whole change took ${secs(single.ms)} s (${ratio(single.ms, ptMs)} pt-osc).` : '.') +
          ' The online rebuild is one statement on one core, and stays the largest part of the expand.',
        `The plain \`ALTER TABLE ... ${ALTER}\` (a table copy under a write lock) took ${secs(plain.ms)} s and stalled a write for ${millis(plain.writer.worstMs)} ms ` +
          `(${ratio(plain.writer.worstMs, Math.max(xcWorst, 0.001))} xc's worst).`,
        failed.length === 0
          ? `Data checks: all ${checks.all.length} passed (row counts = loaded + inserted, no NULL in amount_big after xc, bigint after pt-osc and ALTER, sums as the writes predict).`
          : checks.failedLine(),
      ],
      failed: failed.length > 0,
    };
  } finally {
    process.off('SIGINT', stop);
    await db.drop();
  }
}

async function xcLifecycle(db: MyBenchDb, N: number, variant: XcVariant | undefined, checks: Checks): Promise<XcRun> {
  const t = `bench_xc_live${variantSuffix(variant)}`;
  let tl!: MyXcTimeline;
  const run = await withXc(db, t, variant ?? {}, (xc, timeline) => {
    tl = timeline;
    return underWriter(db, t, N, 'xc', checks, async (w) => {
      await xc.apply();
      // The deploy: the new version replaces the old one, and the pipeline tells the gate.
      w.column = 'amount_big';
      await xc.deploy.record({ app: 'bench', version: '2' });
      timeline.contractCalledAt = performance.now();
      await xc.contract();
      return 'amount_big';
    });
  });
  const contracted = tl.phaseAt.get('contracted')!;
  const steps = stepDurations(tl, 'contracting', contracted);
  const fill = stepDurations(tl, 'expanding', tl.phaseAt.get('dual_write')!).filter((st) => st.description.startsWith('fill ')).reduce((ms, st) => ms + st.ms, 0);
  const slowestContractStep = steps.reduce((a, b) => (b.ms > a.ms ? b : a), { description: '—', sql: '', ms: 0 });
  return {
    ...run,
    variant,
    phases: {
      expand: between(tl, 'expanding', 'dual_write'),
      fill,
      backfill: between(tl, 'backfilling', 'backfilled'),
      deploy: tl.contractCalledAt! - tl.phaseAt.get('backfilled')!,
      verify: tl.phaseAt.get('contracting')! - tl.contractCalledAt!,
      contract: between(tl, 'contracting', 'contracted'),
    },
    batches: tl.batches.length,
    largestBatch: tl.batches.reduce((m, b) => Math.max(m, b.size), 0),
    slowestContractStep,
    worstPhase: phaseAtTime(tl, run.writer.worstAt),
  };
}

export async function ptOsc(db: MyBenchDb, N: number, checks: Checks, after?: (t: string) => Promise<Check[]>): Promise<PtRun> {
  const t = 'bench_ptosc';
  let run!: PtOscRun;
  let t0 = 0;
  const r = await underWriter(db, t, N, 'pt-osc', checks, async () => {
    t0 = performance.now();
    run = await runPtOsc(db, t, ALTER);
    return 'amount';
  }, after);
  const start = lineAt(run, /Copying approximately/);
  const end = lineAt(run, /Copied rows OK/);
  // The last output line before the worst write started.
  const at = r.writer.worstAt - t0;
  const before = [...run.lines].reverse().find((l) => l.ms <= at);
  return {
    ...r,
    run,
    copyMs: start !== undefined && end !== undefined ? end - start : null,
    worstDuring: before ? before.text.replace(/^\d{4}-\d\d-\d\dT[\d:]+\s+/, '').slice(0, 80) : 'start-up',
  };
}

async function plainAlter(db: MyBenchDb, N: number, checks: Checks): Promise<LoadRun> {
  return underWriter(db, 'bench_alter', N, 'plain ALTER', checks, async () => {
    await db.conn.query(`ALTER TABLE bench_alter ${ALTER}`);
    return 'amount';
  });
}

interface Part {
  key: string;
  label: string;
  ms: number;
  /** Redo log written meanwhile (server-wide Innodb_os_log_written), MiB. */
  redoMiB: number;
  /** Data size of the table before and after (ANALYZE'd), MiB. */
  sizeMiB: [number, number];
}

async function redoBytes(db: MyBenchDb): Promise<number> {
  return one(db, `SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_OS_LOG_WRITTEN'`);
}

async function sizeMiB(db: MyBenchDb, t: string): Promise<number> {
  await db.conn.query(`ANALYZE TABLE \`${t}\``);
  return (await one(db, `SELECT DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [t])) / 2 ** 20;
}

/** One timed statement on a fresh, flushed table; `prepare` runs before the flush. */
async function part(db: MyBenchDb, N: number, key: string, label: string, prepare: (t: string) => Promise<void>, statement: (t: string) => Promise<unknown>, check: (t: string) => Promise<Check[]>, checks: Checks): Promise<Part> {
  const t = `bench_${key}`;
  await loadTable(db, t, N);
  await prepare(t);
  const before = await sizeMiB(db, t);
  await settle(db, t);
  const redo0 = await redoBytes(db);
  const { ms } = await timed(() => statement(t));
  const redoMiB = ((await redoBytes(db)) - redo0) / 2 ** 20;
  const grown = key === 'copy' ? `${t}_copy` : t;
  const after = await sizeMiB(db, grown);
  checks.add(...(await check(t)));
  await db.conn.query(`DROP TABLE IF EXISTS \`${t}\``);
  await db.conn.query(`DROP TABLE IF EXISTS \`${t}_copy\``);
  return { key, label, ms, redoMiB, sizeMiB: [before, after] };
}

/** The timed statements; the rebuild-then-UPDATE one's UPDATE alone, and one read of every row after it (the agreement test as one statement). */
async function breakdown(db: MyBenchDb, N: number, checks: Checks): Promise<{ parts: Part[]; readMs: number; updateMs: number }> {
  const q = (sql: string) => db.conn.query(sql);
  const mysqlDialect = new MysqlDialect(await one<string>(db, 'SELECT VERSION()'));
  const agree = (t: string) => async (): Promise<Check[]> => [
    { table: t, what: 'rows where amount_big ≠ amount', expected: 0, found: await one(db, `SELECT COUNT(*) FROM \`${t}\` WHERE NOT (amount_big <=> amount)`) },
  ];
  const parts: Part[] = [];
  parts.push(
    await part(
      db, N, 'copy', "`INSERT INTO copy SELECT * FROM t` into an empty table with `amount bigint` (pt-osc's copy, in one statement)",
      async (t) => {
        await q(`CREATE TABLE \`${t}_copy\` LIKE \`${t}\``);
        await q(`ALTER TABLE \`${t}_copy\` ${ALTER}`);
      },
      (t) => q(`INSERT INTO \`${t}_copy\` SELECT * FROM \`${t}\``),
      async (t) => [{ table: `${t}_copy`, what: 'rows copied', expected: N, found: await one(db, `SELECT COUNT(*) FROM \`${t}_copy\``) }],
      checks,
    ),
  );
  parts.push(
    await part(
      db, N, 'update_inplace', '`UPDATE t SET amount = amount + 1` (in place: the row keeps its size)',
      async () => undefined,
      (t) => q(`UPDATE \`${t}\` SET amount = amount + 1`),
      async (t) => [{ table: t, what: 'sum(amount) after +1 each', expected: N + loadedSum(N), found: await one(db, `SELECT SUM(amount) FROM \`${t}\``) }],
      checks,
    ),
  );
  parts.push(
    await part(
      db, N, 'update_null', '`UPDATE t SET amount_big = amount` after `ADD COLUMN amount_big bigint` (instant), no triggers',
      (t) => q(`ALTER TABLE \`${t}\` ADD COLUMN amount_big bigint, ALGORITHM=INSTANT`).then(() => undefined),
      (t) => q(`UPDATE \`${t}\` SET amount_big = amount`),
      (t) => agree(t)(),
      checks,
    ),
  );
  let bypass: string[] = [];
  parts.push(
    await withXc(db, 'bench_update_triggers', {}, async (xc) =>
      part(
        db, N, 'update_triggers', "the same in-place UPDATE (`SET amount_big = amount_big + 1`) with xc's trigger pair installed and bypassed, as during a backfill",
        async () => {
          await xc.apply({ to: 'expand' });
          const [rows] = await db.conn.query(`SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'bench_update_triggers'`);
          bypass = [...new Set((rows as { n: string }[]).map((r) => r.n.replace(/_[iu]$/, '')))];
        },
        async (t) => {
          for (const sql of mysqlDialect.backfillSession(60_000, bypass)) await q(sql);
          try {
            return await q(`UPDATE \`${t}\` SET amount_big = amount_big + 1`);
          } finally {
            for (const sql of mysqlDialect.backfillSessionEnd(bypass)) await q(sql);
          }
        },
        async (t) => [{ table: t, what: 'rows where amount_big ≠ amount + 1', expected: 0, found: await one(db, `SELECT COUNT(*) FROM \`${t}\` WHERE NOT (amount_big <=> amount + 1)`) }],
        checks,
      ),
    ),
  );
  // What an in-place backfill could cost: materialise the column in every row first (an online rebuild), then UPDATE without growing rows.
  const split = { rebuild: 0, update: 0, read: 0 };
  const rebuilt = await part(
    db, N, 'rebuild_update', '`ADD COLUMN amount_big bigint NOT NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE` (online rebuild), then the same UPDATE',
    async () => undefined,
    async (t) => {
      split.rebuild = (await timed(() => q(`ALTER TABLE \`${t}\` ADD COLUMN amount_big bigint NOT NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE`))).ms;
      split.update = (await timed(() => q(`UPDATE \`${t}\` SET amount_big = amount`))).ms;
    },
    // The agreement test over every row, timed: the least a read pass (the backfill after a fill, the verify) can cost.
    async (t) => {
      const { ms, value } = await timed(() => agree(t)());
      split.read = ms;
      return value;
    },
    checks,
  );
  parts.push({ ...rebuilt, label: `${rebuilt.label}: ${secs(split.rebuild)} s + ${secs(split.update)} s` });
  return { parts, readMs: split.read, updateMs: split.update };
}

/** Sum of `id % 1000` over 1..N, the loaded sum of `amount`. */
function loadedSum(N: number): number {
  let s = 0;
  for (let i = 1; i <= N; i++) s += i % 1000;
  return s;
}
