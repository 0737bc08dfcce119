/**
 * Write amplification of dual-write (issue 16, item 2): what an application's
 * single-row writes cost while xc's sync triggers are installed (after
 * `apply`, phase `backfilled`), against the same writes to an identical table
 * with no migration, on PostgreSQL and MariaDB.
 *
 * Per case (renameColumn, alterColumn with `to`, alterColumn in place,
 * addColumn with `up`) the template table is copied twice; xc applies the
 * migration to one copy; both copies are then rewritten alike (VACUUM FULL /
 * ALTER TABLE FORCE) and flushed. Each round runs every workload on both
 * tables, back to back, the order alternating from one workload and round to
 * the next so a noisy neighbour hurts both alike. After every run on the
 * migrated table, the column xc added must agree with the old one on every
 * row; at the end of a case, row counts and sums account for every write.
 *
 * Env (defaults in brackets):
 *   XC_BENCH_AMPLIFICATION_ROWS     rows per table [200000]
 *   XC_BENCH_AMPLIFICATION_ROUNDS   alternating rounds; medians of the per-round ratios reported [3]
 *   XC_BENCH_AMPLIFICATION_MS       time each workload runs per table and round, in 3 alternating slices [500]
 *   XC_BENCH_AMPLIFICATION_CLIENTS  connections of the contended runs [4]
 *   XC_BENCH_AMPLIFICATION_CASES    which cases, e.g. "rename,add" [rename,alter,inplace,add]
 *   XC_BENCH_AMPLIFICATION_DATABASES which servers [postgresql,mariadb]
 */
import type { BenchSection } from './context.js';
import { closedLoop, mariadbSide, p50, p99, postgresSide, throughput, type LoopStats, type Side } from './amplify-load.js';
import { Checks, median, type Table } from './report.js';

const TARGET = 1.5;
/** Each table's run of a workload in a round is this many slices, alternating with the other table's. */
const SLICES = 3;
const PAD = 'a'.repeat(32);
const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);

interface Case {
  key: string;
  label: string;
  migration(t: string): object;
  /** The column xc adds (null: a shadow column xc names, found in the catalog). */
  column: string | null;
  /** The value the added column must hold, from the old column. */
  expected(side: Side): string;
  /** The new version's statements, where they differ from the old version's. */
  newWrites?: (side: Side, t: string, col: string) => { insert: string; update: string };
}

const CASES: Case[] = [
  {
    key: 'rename',
    label: '`renameColumn` amount → amount_new',
    migration: (table) => ({ operations: [{ renameColumn: { table, from: 'amount', to: 'amount_new' } }] }),
    column: 'amount_new',
    expected: (s) => s.q('amount'),
    newWrites: (s, t, c) => ({
      insert: `INSERT INTO ${s.q(t)} (id, ${s.q(c)}, pad) VALUES (${s.p(1)}, 1, ${s.p(2)})`,
      update: `UPDATE ${s.q(t)} SET ${s.q(c)} = ${s.q(c)} + 1 WHERE id = ${s.p(1)}`,
    }),
  },
  {
    key: 'alter',
    label: '`alterColumn` amount int → amount_big bigint (`to`, up/down)',
    migration: (table) => ({
      operations: [{ alterColumn: { table, column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: { postgres: 'CAST(amount_big AS int)', mysql: 'CAST(amount_big AS SIGNED)' } } }],
    }),
    column: 'amount_big',
    expected: (s) => s.q('amount'),
    newWrites: (s, t, c) => ({
      insert: `INSERT INTO ${s.q(t)} (id, ${s.q(c)}, pad) VALUES (${s.p(1)}, 1, ${s.p(2)})`,
      update: `UPDATE ${s.q(t)} SET ${s.q(c)} = ${s.q(c)} + 1 WHERE id = ${s.p(1)}`,
    }),
  },
  {
    key: 'inplace',
    label: '`alterColumn` amount int → bigint in place (no `to`)',
    migration: (table) => ({ operations: [{ alterColumn: { table, column: 'amount', type: 'bigint' } }] }),
    column: null,
    expected: (s) => s.q('amount'),
  },
  {
    key: 'add',
    label: '`addColumn` amount_x2 bigint, up `amount * 2`',
    migration: (table) => ({ operations: [{ addColumn: { table, column: { name: 'amount_x2', type: 'bigint' }, up: 'amount * 2' } }] }),
    column: 'amount_x2',
    expected: (s) => `${s.q('amount')} * 2`,
    newWrites: (s, t, c) => ({
      insert: `INSERT INTO ${s.q(t)} (id, amount, pad, ${s.q(c)}) VALUES (${s.p(1)}, 1, ${s.p(2)}, 2)`,
      // MariaDB assigns left to right (amount is already the new value); PostgreSQL reads the old row.
      update: `UPDATE ${s.q(t)} SET amount = amount + 1, ${s.q(c)} = ${s.db === 'MariaDB' ? 'amount * 2' : '(amount + 1) * 2'} WHERE id = ${s.p(1)}`,
    }),
  },
];

interface Workload {
  label: string;
  version: 'old' | 'new';
  kind: 'INSERT' | 'UPDATE';
  clients: number;
}

interface Pair {
  without: LoopStats;
  with: LoopStats;
}

/** One case's results: per workload, one pair per round; per round, the bulk statement's time per row (µs) on each table. */
interface CaseRun {
  c: Case;
  column: string;
  workloads: Workload[];
  pairs: Pair[][];
  /** µs per row, and WAL / redo bytes per row. */
  bulk: { without: number; with: number; withoutBytes: number; withBytes: number }[];
}

export const amplificationSection: BenchSection = async (ctx, log) => {
  const rows = num('XC_BENCH_AMPLIFICATION_ROWS', 200_000);
  const rounds = num('XC_BENCH_AMPLIFICATION_ROUNDS', 3);
  const ms = num('XC_BENCH_AMPLIFICATION_MS', 500);
  const clients = num('XC_BENCH_AMPLIFICATION_CLIENTS', 4);
  const wanted = (process.env.XC_BENCH_AMPLIFICATION_CASES ?? CASES.map((c) => c.key).join(',')).split(',');
  const cases = CASES.filter((c) => wanted.includes(c.key));
  const checks = new Checks();
  const tables: Table[] = [];
  const conclusions: string[] = [];
  const servers: string[] = [];
  const settings: string[] = [];
  const sides: [string, (url: string) => Promise<Side>, boolean][] = [
    ['PostgreSQL', (u) => postgresSide(u, rows, clients), true],
    ['MariaDB', (u) => mariadbSide(u, rows, clients), ctx.myUp],
  ];
  const databases = (process.env.XC_BENCH_AMPLIFICATION_DATABASES ?? 'postgresql,mariadb').toLowerCase();
  for (const [name, open, up] of sides) {
    if (!databases.includes(name.toLowerCase())) continue;
    if (!up) {
      conclusions.push(`${name}: not measured (no server answers).`);
      continue;
    }
    const side = await open(name === 'PostgreSQL' ? ctx.pgUrl : ctx.myUrl);
    try {
      servers.push(side.server);
      settings.push(`${side.db}: ${side.settings}`);
      const runs: CaseRun[] = [];
      for (const c of cases) runs.push(await runCase(side, c, rows, rounds, ms, clients, checks, log));
      report(side, runs, tables, conclusions);
    } finally {
      await side.drop();
    }
  }
  tables.push(checks.table(['Disagreeing rows are counted after every run on the migrated table and summed over the runs; counts and sums at the end of each case.'], 'Write amplification: data checks'));
  const failed = checks.failed;
  conclusions.push(
    failed.length === 0
      ? `Data checks: all ${checks.all.length} passed — after every run, the column xc added agreed with the old one on every row (the triggers did their work for old and new writers), and no write was lost.`
      : checks.failedLine(),
  );
  return {
    title: 'Write amplification of dual-write (sync triggers)',
    server: servers.join('; '),
    intro: [
      `Servers: ${servers.join('; ')} (${settings.join('; ')}).`,
      `Tables \`(id int primary key, amount int not null default 0, pad)\` of ${rows.toLocaleString('en-US')} rows, two identical copies per case: xc \`apply()\` on one (its triggers in place, phase \`backfilled\`), nothing on the other; both then rewritten alike and flushed. ` +
        `Closed-loop clients on their own connections, prepared statements, autocommit: \`INSERT\` of a new id, or \`UPDATE … SET amount = amount + 1 WHERE id = <random>\`; ` +
        `each workload ${ms} ms per table and round, in ${SLICES} slices alternating between the two tables (ABBAAB, the order turning each workload and round), ${rounds} rounds. The new version's writes run on the migrated table against the old version's on the plain one.`,
      `Cost per write = (writes/s without) / (writes/s with); target ≤ ${TARGET}× (pgroll publishes 4.2× slower updates with its trigger), met when the cost per write and the p50 ratio are both within it. ` +
        `Reproduce: \`XC_BENCH_SECTIONS=amplification npm run bench\` (sizes: XC_BENCH_AMPLIFICATION_ROWS/ROUNDS/MS/CLIENTS).`,
    ],
    tables,
    conclusions,
    failed: failed.length > 0,
  };
};

async function runCase(side: Side, c: Case, rows: number, rounds: number, ms: number, clients: number, checks: Checks, log: (l: string) => void): Promise<CaseRun> {
  const tag = side.db === 'PostgreSQL' ? 'pg' : 'my';
  const plain = `amp_${tag}_${c.key}_plain`;
  const migrated = `amp_${tag}_${c.key}_xc`;
  await side.copyTable('amp_template', plain);
  await side.copyTable('amp_template', migrated);
  const sum0 = await side.scalar(`SELECT SUM(amount) FROM amp_template`);
  return side.withXc(migrated, c.migration(migrated), async (xc) => {
    log(`amplification ${side.db} ${c.key}: apply`);
    await xc.apply();
    const column = c.column ?? (await side.addedColumns(migrated))[0];
    if (!column) throw new Error(`${c.key}: xc added no column to ${migrated}`);
    await side.settle([plain, migrated]);
    const nextId = new Map([[plain, rows + 1], [migrated, rows + 1]]);
    const changed = new Map([[plain, 0], [migrated, 0]]);
    const inserted = new Map([[plain, 0], [migrated, 0]]);
    const errors = new Map<string, string[]>([[plain, []], [migrated, []]]);
    const oldWrites = (t: string) => ({
      insert: `INSERT INTO ${side.q(t)} (id, amount, pad) VALUES (${side.p(1)}, 1, ${side.p(2)})`,
      update: `UPDATE ${side.q(t)} SET amount = amount + 1 WHERE id = ${side.p(1)}`,
    });
    const workloads: Workload[] = [
      { label: 'old INSERT', version: 'old', kind: 'INSERT', clients: 1 },
      { label: 'old UPDATE', version: 'old', kind: 'UPDATE', clients: 1 },
      { label: 'old INSERT', version: 'old', kind: 'INSERT', clients },
      { label: 'old UPDATE', version: 'old', kind: 'UPDATE', clients },
      ...(c.newWrites
        ? ([
            { label: 'new INSERT', version: 'new', kind: 'INSERT', clients: 1 },
            { label: 'new UPDATE', version: 'new', kind: 'UPDATE', clients: 1 },
          ] as Workload[])
        : []),
    ];
    const run = async (t: string, w: Workload, dur: number): Promise<LoopStats> => {
      const sql = w.version === 'new' && t === migrated ? c.newWrites!(side, t, column) : oldWrites(t);
      const s = await closedLoop(side, side.conns.slice(0, w.clients), dur, () => {
        if (w.kind === 'UPDATE') return { sql: sql.update, params: [1 + Math.floor(Math.random() * rows)] };
        const id = nextId.get(t)!;
        nextId.set(t, id + 1);
        return { sql: sql.insert, params: [id, PAD] };
      });
      changed.set(t, changed.get(t)! + s.rows);
      if (w.kind === 'INSERT') inserted.set(t, inserted.get(t)! + s.rows);
      errors.get(t)!.push(...s.errors);
      return s;
    };
    const checkAgreement = async (t: string) => {
      const bad = await side.scalar(`SELECT COUNT(*) FROM ${side.q(t)} WHERE NOT (${agree(side, column, c.expected(side))})`);
      checks.add({ table: t, what: `rows where ${column} disagrees with ${c.expected(side).replace(/[`"]/g, '')}`, expected: 0, found: bad });
    };
    // Warm both tables' caches and prepared statements.
    for (const t of [plain, migrated]) for (const w of workloads.slice(0, 2)) await run(t, w, 200);
    const pairs: Pair[][] = workloads.map(() => []);
    const bulk: CaseRun['bulk'] = [];
    const bulkRows = Math.min(20_000, rows);
    for (let r = 0; r < rounds; r++) {
      log(`amplification ${side.db} ${c.key}: round ${r + 1}/${rounds}`);
      for (const [i, w] of workloads.entries()) {
        // SLICES short runs per table, alternating (ABBA…), so a burst of load elsewhere falls on both alike.
        const got = new Map<string, LoopStats[]>([[plain, []], [migrated, []]]);
        for (let j = 0; j < SLICES; j++) {
          for (const t of (r + i + j) % 2 === 0 ? [plain, migrated] : [migrated, plain]) got.get(t)!.push(await run(t, w, ms / SLICES));
        }
        await checkAgreement(migrated);
        pairs[i]!.push({ without: merge(got.get(plain)!), with: merge(got.get(migrated)!) });
      }
      // One statement writing many rows: the trigger's cost per row, without round trips and commits.
      const perRow = new Map<string, { us: number; bytes: number }>();
      for (const t of r % 2 === 0 ? [plain, migrated] : [migrated, plain]) {
        const log0 = await side.logPosition();
        const t0 = performance.now();
        const n = await side.conns[0]!.write(`UPDATE ${side.q(t)} SET amount = amount + 1 WHERE id <= ${bulkRows}`, []);
        perRow.set(t, { us: ((performance.now() - t0) * 1000) / n, bytes: ((await side.logPosition()) - log0) / n });
        changed.set(t, changed.get(t)! + n);
      }
      bulk.push({ without: perRow.get(plain)!.us, with: perRow.get(migrated)!.us, withoutBytes: perRow.get(plain)!.bytes, withBytes: perRow.get(migrated)!.bytes });
    }
    for (const t of [plain, migrated]) {
      checks.add(
        { table: t, what: 'rows = loaded + inserted', expected: rows + inserted.get(t)!, found: await side.scalar(`SELECT COUNT(*) FROM ${side.q(t)}`) },
        { table: t, what: 'sum(amount) = loaded + rows written', expected: sum0 + changed.get(t)!, found: await side.scalar(`SELECT SUM(amount) FROM ${side.q(t)}`) },
        { table: t, what: 'writer errors', expected: 0, found: errors.get(t)!.length },
      );
      if (errors.get(t)!.length) log(`amplification ${side.db} ${c.key}: first error on ${t}: ${errors.get(t)![0]}`);
    }
    await side.exec(`DROP TABLE ${side.q(plain)}`);
    await side.exec(`DROP TABLE ${side.q(migrated)}`);
    return { c, column, workloads, pairs, bulk };
  });
}

/** Runs of one table in one round, as one. */
const merge = (xs: LoopStats[]): LoopStats => ({
  writes: xs.reduce((n, x) => n + x.writes, 0),
  rows: xs.reduce((n, x) => n + x.rows, 0),
  ms: xs.reduce((n, x) => n + x.ms, 0),
  latencies: xs.flatMap((x) => x.latencies),
  errors: xs.flatMap((x) => x.errors),
  logBytes: xs.reduce((n, x) => n + x.logBytes, 0),
});

const agree = (s: Side, column: string, expected: string) => (s.db === 'PostgreSQL' ? `${s.q(column)} IS NOT DISTINCT FROM ${expected}` : `${s.q(column)} <=> ${expected}`);

const x = (v: number) => `${v.toFixed(2)}×`;
const f1 = (v: number) => v.toFixed(v < 10 ? 2 : 1);

function report(side: Side, runs: CaseRun[], tables: Table[], conclusions: string[]): void {
  const logName = side.db === 'PostgreSQL' ? 'WAL' : 'redo';
  const rowsOut: (string | number)[][] = [];
  const verdicts: { label: string; cost: number; p50: number; met: boolean }[] = [];
  for (const run of runs) {
    for (const [i, w] of run.workloads.entries()) {
      const ps = run.pairs[i]!;
      const cost = median(ps.map((p) => throughput(p.without) / throughput(p.with)));
      const r50 = median(ps.map((p) => p50(p.with) / p50(p.without)));
      const r99 = median(ps.map((p) => p99(p.with) / p99(p.without)));
      const met = cost <= TARGET && r50 <= TARGET;
      verdicts.push({ label: `${run.c.key} ${w.label} ×${w.clients}`, cost, p50: r50, met });
      const m = (f: (s: LoopStats) => number, k: 'with' | 'without') => median(ps.map((p) => f(p[k])));
      const bytes = (k: 'with' | 'without') => Math.round(median(ps.map((p) => p[k].logBytes / Math.max(1, p[k].writes))));
      rowsOut.push([
        i === 0 ? run.c.label : '',
        `${w.label}, ${w.clients} conn`,
        Math.round(m(throughput, 'without')).toLocaleString('en-US'),
        Math.round(m(throughput, 'with')).toLocaleString('en-US'),
        x(cost),
        `${f1(m(p50, 'without'))} → ${f1(m(p50, 'with'))}`,
        x(r50),
        `${f1(m(p99, 'without'))} → ${f1(m(p99, 'with'))}`,
        x(r99),
        `${bytes('without')} → ${bytes('with')}`,
        met ? 'met' : '**not met**',
      ]);
    }
  }
  tables.push({
    title: `${side.db}: single-row writes with xc's triggers against none (median of ${runs[0]?.pairs[0]?.length ?? 0} rounds)`,
    head: ['case', 'writes', 'writes/s without', 'writes/s with', 'cost per write', 'p50 ms without → with', 'p50 ×', 'p99 ms without → with', 'p99 ×', `${logName} bytes/write without → with`, `≤ ${TARGET}×`],
    rows: rowsOut,
    notes: [
      '"old": the statements of the version before the migration (column `amount`); "new": the migrated version\'s (the new column; addColumn: both columns), on the migrated table, against the old statements on the plain one. ' +
        `conn: closed-loop clients, each on its own connection. Ratios are medians of the per-round ratios. ${logName} bytes: the server's ${side.db === 'PostgreSQL' ? 'pg_current_wal_insert_lsn()' : 'Innodb_lsn_current'} delta over the run divided by its writes (server-wide: anything else writing shows too).`,
    ],
  });
  tables.push({
    title: `${side.db}: the trigger's cost per row, one statement writing 20,000 rows`,
    head: ['case', 'µs/row without', 'µs/row with', 'trigger µs/row', 'with / without', `${logName} bytes/row without → with`],
    rows: runs.map((r) => {
      const w = median(r.bulk.map((b) => b.with));
      const wo = median(r.bulk.map((b) => b.without));
      const bytes = (k: 'withBytes' | 'withoutBytes') => Math.round(median(r.bulk.map((b) => b[k])));
      return [r.c.label, wo.toFixed(2), w.toFixed(2), (w - wo).toFixed(2), x(median(r.bulk.map((b) => b.with / b.without))), `${bytes('withoutBytes')} → ${bytes('withBytes')}`];
    }),
    notes: [
      '`UPDATE t SET amount = amount + 1 WHERE id <= 20000`, once per round on each table: the server\'s work per row with no round trip and one commit, so the trigger\'s own cost stands out. ' +
        `${logName} bytes: median over the rounds; the first round's include the full-page images of the first change to each page after the checkpoint, the later rounds' (same rows) show the row versions alone.`,
    ],
  });
  const notMet = verdicts.filter((v) => !v.met);
  const worst = verdicts.reduce((a, b) => (b.cost > a.cost ? b : a), verdicts[0]!);
  const perStmt = median(runs.flatMap((r) => r.pairs[1]!.map((p) => p50(p.without)))) * 1000;
  const trig = runs.map((r) => `${r.c.key} ${(median(r.bulk.map((b) => b.with)) - median(r.bulk.map((b) => b.without))).toFixed(1)} µs`);
  const bytes = runs.map((r) => `${r.c.key} ${Math.round(median(r.bulk.map((b) => b.withoutBytes)))} → ${Math.round(median(r.bulk.map((b) => b.withBytes)))}`);
  conclusions.push(
    `${side.db}: target ≤ ${TARGET}× ${notMet.length === 0 ? `met in all ${verdicts.length} cases` : `not met in ${notMet.length} of ${verdicts.length} (${notMet.map((v) => `${v.label} ${x(v.cost)}`).join(', ')})`}; ` +
      `worst cost per write ${x(worst.cost)} (${worst.label}). The trigger adds per row ${trig.join(', ')} of server work (bulk statement), against a single-row UPDATE's ${Math.round(perStmt)} µs p50 round trip and commit without it: ` +
      (side.db === 'PostgreSQL'
        ? 'the row trigger\'s WHEN test (one current_setting lookup for the backfill\'s bypass), the call of its plpgsql function and the expressions that compute the other side (a column, or a CAST of one, read straight off NEW; any other expression a query over the row)'
        : 'the bypass guard (one user-variable read) and the trigger body\'s IF/SET statements, interpreted per row') +
      `; and the extra column in every row it writes: ${logName} bytes per row of the bulk UPDATE without → with ${bytes.join(', ')}. ` +
      `The largest of these per-row costs is ${((100 * Math.max(...runs.map((r) => median(r.bulk.map((b) => b.with)) - median(r.bulk.map((b) => b.without))))) / perStmt).toFixed(1)}% of that single-row UPDATE's p50, which is mostly its round trip and the flush of its commit.`,
  );
}
