/**
 * The in-place section: `alterColumn` without `to` (the column keeps its
 * name, int → bigint) under the same concurrent writer as the other sections,
 * against the tool each database's users reach for — pt-online-schema-change
 * on MySQL/MariaDB, a plain `ALTER COLUMN ... TYPE` on PostgreSQL. The
 * writer never switches column: both versions write `amount`. Rounds
 * alternate the two contenders so a noisy neighbour hurts both alike.
 */
import { between, createMyBenchDb, one as myOne, phaseAtTime as myPhaseAt, withXc as withMyXc, underWriter as myUnderWriter, type LoadRun, type MyBenchDb, type MyXcTimeline } from './my.js';
import { ptOsc, type PtRun } from './mysql.js';
import { createBenchDb, one as pgOne, phaseAtTime, withXc as withPgXc, type BenchDb, type XcTimeline } from './pg.js';
import { underWriter as pgUnderWriter } from './postgres.js';
import { Checks, median, millis, ratio, secs, type Check, type Section, type Table } from './report.js';

export interface InplaceOptions {
  pgUrl: string;
  myUrl: string;
  /** Why the MySQL/MariaDB half cannot run (no server, no pt-osc), or null. */
  myMissing: string | null;
  rows: number;
  repeat: number;
}

export const INPLACE_TITLE = 'In-place column type change (`alterColumn` without `to`)';

/** The migration: the column keeps its name; up/down default to the column itself (int ↔ bigint convert implicitly). */
export const INPLACE_SPEC = { column: 'amount', type: 'bigint' };
const migration = (table: string) => ({ operations: [{ alterColumn: { table, ...INPLACE_SPEC } }] });

const PT_ALTER = 'MODIFY amount BIGINT NOT NULL DEFAULT 0';
const PG_ALTER = 'ALTER COLUMN amount TYPE bigint';

interface XcRun extends LoadRun {
  phases: { expand: number; backfill: number; verify: number; contract: number };
  worstPhase: string | null;
  /** MySQL/MariaDB: the step of that phase under way. */
  worstStep?: string;
}

type Log = (line: string) => void;

/** Column order after each change, by table (the last round's): a shadow renamed into place comes last. */
const orders = new Map<string, string>();

export async function inplaceSection(o: InplaceOptions, log: Log): Promise<Section & { server: string }> {
  const checks = new Checks();
  const my = o.myMissing ? null : await mariadbRuns(o, log, checks);
  const pg = await postgresRuns(o, log, checks);
  const failed = checks.failed;
  const rounds = o.repeat > 1 ? `median of ${o.repeat} alternating rounds; min–max in brackets` : 'one round';
  const tables: Table[] = [];
  const conclusions: string[] = [];

  if (my) {
    tables.push(
      {
        title: `MariaDB: xc in place against pt-online-schema-change under a concurrent writer (${rounds})`,
        head: HEAD,
        rows: [summary('xc `apply()` + `contract()`, in place', my.xc), summary(`\`pt-online-schema-change --alter "${PT_ALTER}"\``, my.pt)],
        notes: [
          'xc: from the `apply()` call (connecting and planning included) to the end of `contract()`, the deploy record between them; pt-osc: its whole process, start-up to exit, with the flags of the MySQL section. ' +
            'The writer writes `amount` throughout: the column keeps its name for both versions.',
          ...firstErrors([...my.xc, ...my.pt]),
        ],
      },
      {
        title: 'MariaDB: each round',
        head: ['round', 'xc whole (s)', 'pt-osc whole (s)', 'xc / pt-osc', 'xc worst (ms)', 'xc worst during', 'pt-osc worst (ms)', 'pt-osc worst during'],
        rows: my.xc.map((x, i) => {
          const p = my.pt[i]!;
          return [i + 1, secs(x.ms), secs(p.ms), ratio(x.ms, p.ms), millis(x.writer.worstMs), `\`${x.worstPhase ?? 'start-up'}\`${x.worstStep ? `: ${x.worstStep}` : ''}`, millis(p.writer.worstMs), p.worstDuring ?? '—'];
        }),
        notes: ['xc / pt-osc: the two runs of the same round, back to back on the same server. "worst during": xc\'s phase, or the pt-osc output line last printed, when the worst write started.'],
      },
      phaseTable('MariaDB', my.xc),
    );
    const r = med(my.xc.map((x, i) => x.ms / my.pt[i]!.ms));
    conclusions.push(
      `MariaDB: xc in place took ${secs(med(my.xc.map((x) => x.ms)))} s against pt-online-schema-change's ${secs(med(my.pt.map((x) => x.ms)))} s ` +
        `(median of the per-round ratios ${r.toFixed(2)}×, ${range(my.xc.map((x, i) => x.ms / my.pt[i]!.ms), (v) => `${v.toFixed(2)}×`)}). ` +
        `Worst write: xc ${stall(my.xc)} ms, pt-osc ${stall(my.pt)} ms (median, min–max); writer errors: xc ${errors(my.xc)}, pt-osc ${errors(my.pt)}.`,
      `MariaDB: xc's expand (the shadow column added by an online rebuild, then filled by UPDATE before its trigger exists) is ${secs(med(my.xc.map((x) => x.phases.expand)))} s of its ` +
        `${secs(med(my.xc.map((x) => x.ms)))} s: two passes that write every row, where pt-osc's copy writes each once; the cut-over under \`LOCK TABLES … WRITE\` took ${spread(my.xc.map((x) => x.phases.contract), secs)} s.`,
    );
  } else {
    conclusions.push(`MariaDB: not measured — ${o.myMissing}.`);
  }

  tables.push(
    {
      title: `PostgreSQL: xc in place against a plain \`ALTER TABLE t ${PG_ALTER}\` under a concurrent writer (${rounds})`,
      head: HEAD,
      rows: [summary('xc `apply()` + `contract()`, in place', pg.xc), summary(`plain \`ALTER TABLE t ${PG_ALTER}\``, pg.naive)],
      notes: ['xc: from the `apply()` call to the end of `contract()`, the deploy record between them; the plain ALTER: the statement (a table rewrite under an ACCESS EXCLUSIVE lock).', ...firstErrors([...pg.xc, ...pg.naive])],
    },
    {
      title: 'PostgreSQL: each round',
      head: ['round', 'xc whole (s)', 'xc worst (ms)', 'xc worst during', 'ALTER whole (s)', 'ALTER worst (ms)', 'ALTER worst / xc worst'],
      rows: pg.xc.map((x, i) => {
        const n = pg.naive[i]!;
        return [i + 1, secs(x.ms), millis(x.writer.worstMs), `\`${x.worstPhase ?? 'start-up'}\``, secs(n.ms), millis(n.writer.worstMs), ratio(n.writer.worstMs, Math.max(x.writer.worstMs, 0.001))];
      }),
    },
    phaseTable('PostgreSQL', pg.xc),
    checks.table([
        'Counts and sums are summed over the rounds; the catalog checks hold in every round. `bench_ptosc` is the MariaDB table pt-osc changed.',
        `Column order afterwards (not checked; loaded as id, amount, pad): ${[...orders].map(([t, o]) => `${t} ${o.replace(/,/g, ', ')}`).join('; ')}.`,
      ]),
  );
  conclusions.push(
    `PostgreSQL: the plain ALTER's worst write is ${med(pg.xc.map((x, i) => pg.naive[i]!.writer.worstMs / Math.max(x.writer.worstMs, 0.001))).toFixed(1)}× xc's (median of the per-round ratios). ` +
      `xc's worst write ${stall(pg.xc)} ms (p99 ${spread(pg.xc.map((r) => r.writer.p99Ms), millis)} ms) against the plain ALTER's ${stall(pg.naive)} ms ` +
      `(p99 ${spread(pg.naive.map((r) => r.writer.p99Ms), millis)} ms); whole time xc ${spread(pg.xc.map((r) => r.ms), secs)} s, ALTER ${spread(pg.naive.map((r) => r.ms), secs)} s; ` +
      `writer errors: xc ${errors(pg.xc)}, ALTER ${errors(pg.naive)}.`,
    failed.length === 0
      ? `Data checks: all ${checks.all.length} passed (every write landed in \`amount\`, which is bigint afterwards; no column or trigger of xc's left).`
      : checks.failedLine(),
  );

  return {
    title: INPLACE_TITLE,
    server: [my ? my.server : 'MySQL/MariaDB: not measured', pg.server].join('; '),
    intro: [
      `Servers: ${[my ? `${my.server} (${my.settings})` : `MySQL/MariaDB not measured (${o.myMissing})`, pg.server].join('; ')}.`,
      `xc runs \`${JSON.stringify({ alterColumn: { table: 't', ...INPLACE_SPEC } })}\` with default options: until contract \`amount\` stays the old int column for both versions; ` +
        'a shadow column xc names holds the new definition, kept equal to `amount` by a one-way trigger, backfilled and verified; contract is the cut-over ' +
        '(PostgreSQL: one transaction; MySQL/MariaDB: one step holding `LOCK TABLES … WRITE` around `DROP TRIGGER` and one `ALTER TABLE` that drops the old column and renames the shadow). ' +
        `Tables, loading and the writer are those of the sections above: \`(id int primary key, amount int not null default 0, pad …)\`, ${o.rows.toLocaleString('en-US')} rows, ` +
        'a fresh table per run; the writer alternates `INSERT` of a new row with `UPDATE t SET amount = amount + 1 WHERE id = <random>`, 2 ms apart, on its own connection, ' +
        'from just before the change to just after.',
    ],
    tables,
    conclusions,
    failed: failed.length > 0,
  };
}

const HEAD = ['change', 'whole time (s)', 'worst write (ms)', 'p99 write (ms)', 'writes done', 'writer errors'];

function summary(label: string, rs: LoadRun[]): (string | number)[] {
  return [label, spread(rs.map((r) => r.ms), secs), spread(rs.map((r) => r.writer.worstMs), millis), spread(rs.map((r) => r.writer.p99Ms), millis), med(rs.map((r) => r.writer.writes)), errors(rs)];
}

function phaseTable(db: string, rs: XcRun[]): Table {
  const ph = (k: keyof XcRun['phases']) => spread(rs.map((r) => r.phases[k]), secs);
  return {
    title: `${db}: xc in place by phase (${rs.length > 1 ? 'median, min–max' : 'one round'})`,
    head: ['expand (s)', 'backfill (s)', 'deploy + verify (s)', 'contract (s)', 'apply() + contract() (s)'],
    rows: [[ph('expand'), ph('backfill'), ph('verify'), ph('contract'), spread(rs.map((r) => r.ms), secs)]],
    notes: ['expand: `expanding` → `dual_write`; backfill: `backfilling` → `backfilled`; deploy + verify: `backfilled` → `contracting` (the deploy record, contract() loading its state, gate and agreement check); contract: `contracting` → `contracted` (the cut-over).'],
  };
}

const med = (xs: number[]) => median(xs);
const range = (xs: number[], f: (n: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const spread = (xs: number[], f: (n: number) => string) => (xs.length > 1 ? `${f(med(xs))} (${range(xs, f)})` : f(xs[0]!));
const stall = (rs: LoadRun[]) => spread(rs.map((r) => r.writer.worstMs), millis);
const errors = (rs: LoadRun[]) => rs.reduce((n, r) => n + r.writer.errors.length, 0);
const firstErrors = (rs: LoadRun[]) => rs.filter((r) => r.writer.errors.length).map((r) => `First writer error (${r.label}): \`${r.writer.errors[0]!.slice(0, 200)}\``);

function phasesOf(tl: XcTimeline & { contractCalledAt?: number }): XcRun['phases'] {
  return {
    expand: between(tl, 'expanding', 'dual_write'),
    backfill: between(tl, 'backfilling', 'backfilled'),
    verify: between(tl, 'backfilled', 'contracting'),
    contract: between(tl, 'contracting', 'contracted'),
  };
}

async function mariadbRuns(o: InplaceOptions, log: Log, checks: Checks): Promise<{ server: string; settings: string; xc: XcRun[]; pt: PtRun[] }> {
  const db = await createMyBenchDb(o.myUrl);
  const stop = () => void db.drop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const version = await myOne<string>(db, 'SELECT VERSION()');
    const settings = await myOne<string>(db, `SELECT CONCAT('innodb_buffer_pool_size ', @@innodb_buffer_pool_size DIV 1048576, ' MiB, innodb_flush_log_at_trx_commit ', @@innodb_flush_log_at_trx_commit)`);
    const xc: XcRun[] = [];
    const pt: PtRun[] = [];
    for (let round = 1; round <= o.repeat; round++) {
      for (const who of round % 2 === 1 ? ['xc', 'pt'] : ['pt', 'xc']) {
        log(`inplace mariadb round ${round}/${o.repeat}: ${who === 'xc' ? 'xc in place' : 'pt-online-schema-change'} under a writer`);
        if (who === 'xc') xc.push(await myXc(db, o.rows, checks));
        else pt.push(await ptOsc(db, o.rows, checks, (t) => myLeftovers(db, t)));
      }
    }
    return { server: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`, settings, xc, pt };
  } finally {
    process.off('SIGINT', stop);
    await db.drop();
  }
}

/** After an in-place change on MySQL/MariaDB: the table has its three columns again, and no trigger. */
async function myLeftovers(db: MyBenchDb, t: string): Promise<Check[]> {
  const cols = await myOne<string>(db, 'SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [t]);
  orders.set(t, await myOne<string>(db, 'SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [t]));
  const trig = await myOne<string | null>(db, 'SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?', [t]);
  return [
    { table: t, what: 'columns afterwards', expected: 'amount,id,pad', found: cols },
    { table: t, what: 'triggers left', expected: 'none', found: trig ?? 'none' },
    { table: t, what: 'amount NOT NULL DEFAULT 0 kept', expected: 'NO 0', found: String((await myOne(db, `SELECT CONCAT(IS_NULLABLE, ' ', COLUMN_DEFAULT) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'amount'`, [t])) ?? 'missing') },
  ];
}

async function myXc(db: MyBenchDb, N: number, checks: Checks): Promise<XcRun> {
  const t = 'bench_inplace_my_xc';
  let tl!: MyXcTimeline;
  const run = await withMyXc(
    db,
    t,
    {},
    (xc, timeline) => {
      tl = timeline;
      return myUnderWriter(db, t, N, 'xc in place', checks, async () => {
        await xc.apply();
        // The pipeline's deploy record, which the contract gate waits for; the writer keeps writing `amount`.
        await xc.deploy.record({ app: 'bench', version: '2' });
        timeline.contractCalledAt = performance.now();
        await xc.contract();
        return 'amount';
      }, (table) => myLeftovers(db, table));
    },
    migration(t),
  );
  // The step last begun when the worst write started (phase events alone say little on MySQL, where expand is several steps).
  const step = [...tl.steps].reverse().find((st) => st.at <= run.writer.worstAt);
  const phase = myPhaseAt(tl, run.writer.worstAt);
  return { ...run, phases: phasesOf(tl), worstPhase: phase, worstStep: phase && step?.phase === phase ? step.description.replace(/[`|]/g, '').slice(0, 90) : undefined };
}

async function postgresRuns(o: InplaceOptions, log: Log, checks: Checks): Promise<{ server: string; xc: XcRun[]; naive: LoadRun[] }> {
  const db = await createBenchDb(o.pgUrl);
  const stop = () => void db.drop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const server = (await pgOne<string>(db, 'SELECT version()')).replace(/ on .*/, '');
    const xc: XcRun[] = [];
    const naive: LoadRun[] = [];
    for (let round = 1; round <= o.repeat; round++) {
      for (const who of round % 2 === 1 ? ['xc', 'alter'] : ['alter', 'xc']) {
        log(`inplace postgres round ${round}/${o.repeat}: ${who === 'xc' ? 'xc in place' : 'plain ALTER COLUMN TYPE'} under a writer`);
        if (who === 'xc') xc.push(await pgXc(db, o.rows, checks));
        else naive.push(await pgUnderWriter(db, 'bench_inplace_pg_alter', o.rows, 'plain ALTER', checks, async () => {
          await db.client.query(`ALTER TABLE bench_inplace_pg_alter ${PG_ALTER}`);
          return 'amount';
        }, (t) => pgLeftovers(db, t)));
      }
    }
    return { server, xc, naive };
  } finally {
    process.off('SIGINT', stop);
    await db.drop();
  }
}

/** After the change on PostgreSQL: amount is bigint NOT NULL DEFAULT 0, the table has its three columns, and no trigger. */
async function pgLeftovers(db: BenchDb, t: string): Promise<Check[]> {
  orders.set(t, await pgOne<string>(db, `SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '${t}'::regclass AND attnum > 0 AND NOT attisdropped`));
  const col = await pgOne<string>(db, `SELECT coalesce((SELECT format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END
    FROM pg_attribute WHERE attrelid = '${t}'::regclass AND attname = 'amount' AND NOT attisdropped), 'missing')`);
  // The default as written may differ (`0`, `(0)::bigint`); what it gives must not.
  const def = await pgOne<string | null>(db, `SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = '${t}'::regclass AND a.attname = 'amount'`).catch(() => null);
  return [
    { table: t, what: 'amount after the change', expected: 'bigint not null', found: col },
    { table: t, what: 'default of amount gives 0', expected: '0', found: def ? await pgOne<string>(db, `SELECT (${def})::text`) : 'none' },
    { table: t, what: 'columns afterwards', expected: 'amount,id,pad', found: await pgOne(db, `SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid = '${t}'::regclass AND attnum > 0 AND NOT attisdropped`) },
    { table: t, what: 'triggers left', expected: 'none', found: await pgOne(db, `SELECT coalesce(string_agg(tgname, ','), 'none') FROM pg_trigger WHERE tgrelid = '${t}'::regclass AND NOT tgisinternal`) },
  ];
}

async function pgXc(db: BenchDb, N: number, checks: Checks): Promise<XcRun> {
  const t = 'bench_inplace_pg_xc';
  let tl!: XcTimeline;
  const run = await withPgXc(
    db,
    t,
    {},
    (xc, timeline) => {
      tl = timeline;
      return pgUnderWriter(db, t, N, 'xc in place', checks, async () => {
        await xc.apply();
        await xc.deploy.record({ app: 'bench', version: '2' });
        await xc.contract();
        return 'amount';
      }, (table) => pgLeftovers(db, table));
    },
    migration(t),
  );
  return { ...run, phases: phasesOf(tl), worstPhase: phaseAtTime(tl, run.writer.worstAt) };
}
