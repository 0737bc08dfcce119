/**
 * Issue 16, item 1: a writer that does not pause. On MariaDB, a fresh table
 * `(id bigint auto_increment primary key, v int not null, pad varchar(64))`
 * per run, `v` changed int → bigint by xc's in-place `alterColumn` (no `to`:
 * the column keeps its name, as with pt-osc) run as the CLI a pipeline runs —
 * `xc apply`, `xc deploy record`, `xc contract`, each a process from the
 * build, start-up included — against `pt-online-schema-change --alter
 * "MODIFY v BIGINT NOT NULL"` with the flags of bench/my.ts. Two writers, each
 * with its own runs: the busy one (one connection, `UPDATE t SET v = v + 1
 * WHERE id = <random>` back to back, no pause) and the paced one of
 * bench/writer.ts (INSERT / UPDATE, 2 ms apart) for reference. Rounds
 * alternate xc and pt-osc.
 *
 * Sizes: XC_BENCH_BUSY_ROWS (default 2,000,000 rows), XC_BENCH_REPEAT rounds
 * per writer (the bench's default). Reproduce: `XC_BENCH_SECTIONS=busy npm run bench`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { columnType, createMyBenchDb, one, runPtOsc, settle, dropXcState, ptOscFlags, type MyBenchDb } from './my.js';
import { ensureBuild, type BenchContext, type BenchLog, type BenchSection } from './context.js';
import { Checks, median, millis, percentile, ratio, secs, type Table } from './report.js';
import { Writer } from './writer.js';
import { CpuMeter, cpuConclusion, cpuTable, type CpuGroup, type CpuMark, type CpuUse } from './cpu.js';

const TABLE = 't';
const PT_ALTER = 'MODIFY v BIGINT NOT NULL';
const MIGRATION = { operations: [{ alterColumn: { table: TABLE, column: 'v', type: 'bigint' } }] };
const WRITERS = ['busy', 'paced'] as const;
type WriterKind = (typeof WRITERS)[number];

interface Stats { writes: number; inserts: number; worstMs: number; worstAt: number; p99Ms: number; errors: string[]; ends: number[] }

/** One connection, single-row UPDATEs of random existing rows back to back (no pause); every statement timed. */
class BusyWriter {
  private readonly lat: number[] = [];
  readonly ends: number[] = [];
  private worst = { ms: 0, at: 0 };
  private readonly errors: string[] = [];
  private stopped = false;
  private loop?: Promise<void>;
  constructor(private readonly conn: mysql.Connection, private readonly rows: number) {}
  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        const t0 = performance.now();
        try {
          await this.conn.query(`UPDATE \`${TABLE}\` SET v = v + 1 WHERE id = ?`, [1 + Math.floor(Math.random() * this.rows)]);
          this.ends.push(performance.now());
        } catch (err) {
          this.errors.push((err as Error).message);
        }
        const ms = performance.now() - t0;
        this.lat.push(ms);
        if (ms > this.worst.ms) this.worst = { ms, at: t0 };
      }
    })();
    return this;
  }
  async stop(): Promise<Stats> {
    this.stopped = true;
    await this.loop;
    return { writes: this.ends.length, inserts: 0, worstMs: this.worst.ms, worstAt: this.worst.at, p99Ms: percentile(this.lat, 99), errors: this.errors, ends: this.ends };
  }
}

/** One xc event (`--json` line) with when it arrived. */
interface Event { at: number; e: Record<string, unknown> }
interface Run {
  ms: number;
  writer: Stats;
  lockWaits: number;
  lockTimeMs: number;
  /** xc: its events and each process's span; pt-osc: its output lines. */
  events: Event[];
  procs: { cmd: string; start: number; end: number }[];
  lines: { at: number; text: string }[];
  /** xc: rows updated server-wide during the backfill pass (Handler_update), less the writer's updates and xc's cursor writes then (≈ rows the pass reconverted). */
  reconverted?: number;
  /** Who used the CPU over the run (bench/cpu.ts); absent when the server's process is not readable here. */
  cpu?: CpuUse;
}

async function counters(c: mysql.Connection): Promise<{ waits: number; time: number; updated: number }> {
  const [rows] = await c.query(`SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Handler_update')`);
  const v = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, Number(r.Value)]));
  return { waits: v.Innodb_row_lock_waits ?? 0, time: v.Innodb_row_lock_time ?? 0, updated: v.Handler_update ?? 0 };
}

/** The table of the issue, ids 1..rows (v = id % 1000), by INSERT … SELECT doubling; analyzed and flushed. */
async function load(db: MyBenchDb, rows: number): Promise<void> {
  const c = db.conn;
  await c.query(`DROP TABLE IF EXISTS \`${TABLE}\``);
  await c.query(`CREATE TABLE \`${TABLE}\` (id bigint AUTO_INCREMENT PRIMARY KEY, v int NOT NULL, pad varchar(64)) ENGINE=InnoDB`);
  await c.query(`INSERT INTO \`${TABLE}\` (id, v, pad) VALUES (1, 1, md5(1))`);
  // Explicit ids: INSERT … SELECT into an auto_increment key leaves gaps, and the writers pick ids in 1..rows.
  for (let n = 1; n < rows; n *= 2) await c.query(`INSERT INTO \`${TABLE}\` (id, v, pad) SELECT id + ?, (id + ?) % 1000, md5(id + ?) FROM \`${TABLE}\` WHERE id <= ?`, [n, n, n, Math.min(n, rows - n)]);
  await c.query(`ANALYZE TABLE \`${TABLE}\``);
}

/** `node bin/xc <args> --json` with its JSON lines timestamped into `events`. */
function xcProcess(bin: string, args: string[], events: Event[], onEvent: (ev: Event) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', XC_FORCE_SOURCE: '' } });
    let partial = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        if (!line.trim().startsWith('{')) continue;
        const ev = { at: performance.now(), e: JSON.parse(line) as Record<string, unknown> };
        events.push(ev);
        onEvent(ev);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => void (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`xc ${args[0]} exited ${code}: ${(err + partial).slice(-2000)}`))));
  });
}

async function xcChange(db: MyBenchDb, bin: string, dir: string, mon: mysql.Connection, writerEnds: () => number[]): Promise<Pick<Run, 'events' | 'procs' | 'reconverted'>> {
  const events: Event[] = [];
  const procs: Run['procs'] = [];
  const at: Record<string, { t: number; updated: number }> = {};
  const pending: Promise<void>[] = [];
  // The backfill pass's row updates, read from the server as its phase events arrive (a few ms late at most).
  const onEvent = ({ at: t, e }: Event) => {
    if (e.event === 'phase' && (e.to === 'backfilling' || e.to === 'backfilled')) pending.push(counters(mon).then((c) => void (at[e.to as string] = { t, updated: c.updated })));
  };
  const common = ['--url', db.url, '--dir', dir];
  for (const args of [['apply', ...common], ['deploy', 'record', '--app', 'bench', '--version', '2', ...common], ['contract', ...common]]) {
    const start = performance.now();
    await xcProcess(bin, args, events, onEvent);
    procs.push({ cmd: args[0] === 'deploy' ? 'deploy record' : args[0]!, start, end: performance.now() });
  }
  await Promise.all(pending);
  const [b0, b1] = [at.backfilling, at.backfilled];
  // Less the writer's updates and xc's cursor row, written once per batch.
  const writes = b0 && b1 ? writerEnds().filter((t) => t >= b0.t && t <= b1.t).length : 0;
  const cursorWrites = events.filter((x) => x.e.event === 'backfill' && x.e.pass === 'backfill').length;
  return { events, procs, reconverted: b0 && b1 ? b1.updated - b0.updated - writes - cursorWrites : undefined };
}

async function oneRun(db: MyBenchDb, who: 'xc' | 'pt', kind: WriterKind, rows: number, checks: Checks, bin: string, dir: string, meter?: CpuMeter): Promise<Run> {
  await load(db, rows);
  const sum0 = await one(db, `SELECT SUM(v) FROM \`${TABLE}\``);
  await settle(db, TABLE);
  const mon = await db.connect();
  const wconn = await db.connect();
  const tid = meter ? await CpuMeter.threadOf(wconn) : 0;
  let busy: BusyWriter | undefined;
  let paced: Writer | undefined;
  if (kind === 'busy') busy = new BusyWriter(wconn, rows).start();
  else {
    paced = new Writer(wconn, `\`${TABLE}\``, rows, 2, 'mysql');
    paced.column = 'v';
    paced.start();
  }
  const c0 = await counters(mon);
  const m0 = meter?.mark(tid);
  const t0 = performance.now();
  let r: Pick<Run, 'events' | 'procs' | 'reconverted' | 'lines'> = { events: [], procs: [], lines: [] };
  let ms = 0;
  let writer: Stats;
  let m1: CpuMark | undefined;
  try {
    if (who === 'xc') r = { ...(await xcChange(db, bin, dir, mon, () => busy?.ends ?? [])), lines: [] };
    else r = { events: [], procs: [], lines: (await runPtOsc(db, TABLE, PT_ALTER)).lines.map((l) => ({ at: t0 + l.ms, text: l.text })) };
  } finally {
    ms = performance.now() - t0;
    // Read before the writer stops: the after-reading belongs to the same span as the wall time.
    m1 = m0 ? meter!.mark(tid) : undefined;
    writer = busy ? await busy.stop() : { ...(await paced!.stop()), ends: [] };
  }
  const c1 = await counters(mon);
  const cpu = m0 && m1 ? { ...CpuMeter.use(m0, m1), threadChanged: (await CpuMeter.threadOf(wconn)) !== tid } : undefined;
  const t = `${TABLE} (${who === 'xc' ? 'xc' : 'pt-osc'}, ${kind})`;
  // Inserts write 1, updates add 1: any write lost or doubled shows in the sum.
  checks.add(
    { table: t, what: 'row count = loaded + inserted', expected: rows + writer.inserts, found: await one(db, `SELECT COUNT(*) FROM \`${TABLE}\``) },
    { table: t, what: 'sum(v) = loaded + writes', expected: sum0 + writer.writes, found: await one(db, `SELECT SUM(v) FROM \`${TABLE}\``) },
    { table: t, what: 'type of v', expected: 'bigint', found: ((await columnType(db, TABLE, 'v')) ?? 'missing').replace(/\(\d+\)/, '') },
    { table: t, what: 'columns afterwards', expected: 'id,v,pad', found: await one<string>(db, `SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [TABLE]) },
    { table: t, what: 'triggers left', expected: 'none', found: (await one<string | null>(db, `SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`)) ?? 'none' },
    { table: t, what: 'tables afterwards', expected: TABLE, found: await one<string>(db, `SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'xc\\_%'`) },
  );
  await db.conn.query(`DROP TABLE \`${TABLE}\``);
  await dropXcState(db);
  for (const c of [mon, wconn]) await c.end().catch(() => c.destroy());
  return { ms, writer, lockWaits: c1.waits - c0.waits, lockTimeMs: c1.time - c0.time, ...r, cpu };
}

/** xc's time by part, from its events (ms): start-up to the first phase, each expand step, backfill, the later processes. */
function xcParts(r: Run): Record<string, number> {
  const ev = r.events;
  const phase = (to: string) => ev.find((x) => x.e.event === 'phase' && x.e.to === to)?.at ?? NaN;
  const step = (re: RegExp) => ev.find((x) => x.e.event === 'step' && re.test(String(x.e.description)))?.at ?? NaN;
  const [apply, deploy, contract] = r.procs;
  // The first add-column step: the rebuild, or (a rebuild cancelled, or the table busy) the instant add that replaced it.
  const rebuild = step(/^add column /);
  const fill = step(/^fill /);
  const triggers = step(/^install trigger/);
  // Apply verifies too, after its fill (lifecycle.ts convertEscaped): its own part, before `backfilled`.
  const applyVerify = ev.find((x) => x.e.event === 'verify' && x.at < contract!.start)?.at ?? phase('backfilled');
  const firstVerify = ev.find((x) => x.e.event === 'verify' && x.at >= contract!.start)?.at ?? phase('contracting');
  return {
    'apply start-up': phase('expanding') - apply!.start,
    'add shadow (rebuild)': fill - rebuild,
    fill: triggers - fill,
    'triggers': phase('dual_write') - triggers,
    backfill: applyVerify - phase('backfilling'),
    'apply verify': phase('backfilled') - applyVerify,
    'deploy record': deploy!.end - deploy!.start,
    'contract start-up': firstVerify - contract!.start,
    verify: phase('contracting') - firstVerify,
    'cut-over': phase('contracted') - phase('contracting'),
  };
}

function passStats(r: Run, pass: string): { batches: number; medSize: number; minSize: number; medMs: number } {
  const b = r.events.filter((x) => x.e.event === 'backfill' && x.e.pass === pass && x.e.etaSeconds !== 0);
  const sizes = b.map((x) => Number(x.e.batchSize));
  const gaps = b.slice(1).map((x, i) => x.at - b[i]!.at);
  return { batches: b.length, medSize: sizes.length ? median(sizes) : 0, minSize: sizes.length ? Math.min(...sizes) : 0, medMs: gaps.length ? median(gaps) : 0 };
}

/** How xc stored the shadow column: rebuilt online, or added instantly (and why, where a rebuild was cancelled or not tried). */
function shadowAdded(r: Run): string {
  const adds = r.events.filter((x) => x.e.event === 'step' && /^add column /.test(String(x.e.description)));
  const last = adds.at(-1)?.e;
  if (!last) return '—';
  if (!/instantly/.test(String(last.description))) return 'rebuilt online';
  return `instantly: ${String(last.busy ?? '').replace(/ while ".*" ran/, '').slice(0, 90)}`;
}

/** Where xc's time goes under the busy writer, against the paced one: its largest parts, and the fill's batches. */
function whereTimeGoes(runs: Record<WriterKind, { xc: Run[]; pt: Run[] }>): string {
  const med = (kind: WriterKind) => {
    const parts = runs[kind].xc.map(xcParts);
    return Object.fromEntries(Object.keys(parts[0]!).map((n) => [n, median(parts.map((p) => p[n]!))]));
  };
  const busy = med('busy');
  const paced = med('paced');
  const whole = median(runs.busy.xc.map((r) => r.ms));
  const top = Object.entries(busy).sort((a, b) => b[1] - a[1]).slice(0, 4);
  const startUps = busy['apply start-up']! + busy['deploy record']! + busy['contract start-up']!;
  const fill = (kind: WriterKind) => median(runs[kind].xc.map((r) => passStats(r, 'fill').medSize));
  return (
    `Where xc's time goes under the busy writer (medians): ${top.map(([n, ms]) => `${n} ${secs(ms)} s (${Math.round((ms * 100) / whole)}%; paced ${secs(paced[n]!)} s)`).join(', ')}; ` +
    `the three processes' start-up and state work (apply to \`expanding\`, deploy record, contract to its first verify read) ${secs(startUps)} s. ` +
    `The fill's median batch: ${fill('busy')} rows under the busy writer, ${fill('paced')} under the paced one (the adaptive size follows each batch's time); lock retries: ${median(runs.busy.xc.map((r) => r.events.filter((x) => x.e.event === 'lock_retry').length))}.`
  );
}

/** What xc was doing (its last event) when the worst write began. */
function during(r: Run): string {
  const last = [...r.events].reverse().find((x) => x.at <= r.writer.worstAt && (x.e.event === 'step' || x.e.event === 'phase' || x.e.event === 'verify'));
  if (!last) return 'start-up';
  if (last.e.event === 'step') return String(last.e.description).replace(/[`|]/g, '').slice(0, 60);
  return last.e.event === 'verify' ? 'verify' : String(last.e.to);
}

const perSecond = (rs: Run[]) => Math.round(median(rs.map((r) => (r.writer.writes * 1000) / r.ms)));
const spread = (xs: number[], f: (n: number) => string) => (xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0] ?? NaN));

export const busySection: BenchSection = async (ctx: BenchContext, log: BenchLog) => {
  const title = 'A writer that does not pause: in-place int → bigint under a busy writer (MariaDB)';
  const base = { title, tables: [] as Table[], conclusions: [] as string[], failed: false };
  if (!ctx.myUp || ctx.ptOscMissing) return { ...base, server: 'MySQL/MariaDB: not measured', intro: [`Not measured: ${ctx.ptOscMissing ?? 'no MySQL/MariaDB server answers'}.`] };
  const rows = Number(process.env.XC_BENCH_BUSY_ROWS ?? 2_000_000);
  const bin = ensureBuild(ctx.root, log);
  const db = await createMyBenchDb(ctx.myUrl);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-busy-'));
  const checks = new Checks();
  const runs: Record<WriterKind, { xc: Run[]; pt: Run[] }> = { busy: { xc: [], pt: [] }, paced: { xc: [], pt: [] } };
  let server = '';
  const meter = await CpuMeter.open(db.conn);
  try {
    await writeFile(path.join(dir, '0001_t_v_bigint.json'), JSON.stringify(MIGRATION, null, 2));
    server = `MariaDB ${await one<string>(db, 'SELECT VERSION()')}`;
    for (const kind of WRITERS) {
      for (let round = 1; round <= ctx.repeat; round++) {
        for (const who of round % 2 === 1 ? (['xc', 'pt'] as const) : (['pt', 'xc'] as const)) {
          log(`busy: ${kind} writer, round ${round}/${ctx.repeat}: ${who === 'xc' ? 'xc apply + deploy record + contract' : 'pt-online-schema-change'}`);
          const r = await oneRun(db, who, kind, rows, checks, bin, dir, typeof meter === 'string' ? undefined : meter);
          runs[kind][who].push(r);
          log(`  ${secs(r.ms)} s, worst write ${millis(r.writer.worstMs)} ms, ${r.writer.writes} writes, ${r.writer.errors.length} errors` + (r.cpu ? `; core-s: change ${(r.cpu.changeClient + r.cpu.changeServer).toFixed(2)}, writer ${(r.cpu.writerServer + r.cpu.writerClient).toFixed(2)}, other ${r.cpu.other.toFixed(2)}, idle ${r.cpu.machineIdle.toFixed(2)}` : ''));
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
  return { ...report(rows, ctx.repeat, checks, runs, typeof meter === 'string' ? meter : undefined), server };
};

function report(rows: number, repeat: number, checks: Checks, runs: Record<WriterKind, { xc: Run[]; pt: Run[] }>, cpuUnavailable?: string) {
  const tables: Table[] = [];
  const conclusions: string[] = [];
  const errors = (rs: Run[]) => rs.reduce((n, r) => n + r.writer.errors.length, 0);
  const label = (kind: WriterKind) => (kind === 'busy' ? 'busy writer (UPDATE back to back)' : 'paced writer (INSERT/UPDATE, 2 ms apart)');
  tables.push({
    title: `Whole change under each writer (${repeat > 1 ? `median of ${repeat} alternating rounds, min–max in brackets` : 'one round'})`,
    head: ['writer', 'change', 'whole time (s)', 'worst write (ms)', 'p99 write (ms)', 'writes done', 'writer errors', 'row-lock waits', 'row-lock time (ms)'],
    rows: WRITERS.flatMap((kind) => (['xc', 'pt'] as const).map((who) => {
      const rs = runs[kind][who];
      return [label(kind), who === 'xc' ? 'xc `apply` + `deploy record` + `contract` (3 processes)' : `\`pt-online-schema-change --alter "${PT_ALTER}"\``, spread(rs.map((r) => r.ms), secs), spread(rs.map((r) => r.writer.worstMs), millis), spread(rs.map((r) => r.writer.p99Ms), millis), median(rs.map((r) => r.writer.writes)), errors(rs), median(rs.map((r) => r.lockWaits)), median(rs.map((r) => r.lockTimeMs))];
    })),
    notes: [
      'xc: the three CLI processes one after the other (`node bin/xc … --json`, from the build), from the first spawn to the last exit; pt-osc: its process, start-up to exit, flags ' + `\`${ptOscFlags(PT_ALTER).filter((f) => f !== '--alter' && f !== PT_ALTER).join(' ')}\`.`,
      'Row-lock waits / time: the server\'s `Innodb_row_lock_waits` / `Innodb_row_lock_time` over the change (server-wide: the writer\'s and the tool\'s waits, and those of anything else the server runs meanwhile).',
      ...WRITERS.flatMap((k) => [...runs[k].xc, ...runs[k].pt].filter((r) => r.writer.errors.length).slice(0, 1).map((r) => `First ${k} writer error: \`${r.writer.errors[0]!.slice(0, 160)}\``)),
    ],
  });
  tables.push({
    title: 'Each round',
    head: ['writer', 'round', 'xc (s)', 'pt-osc (s)', 'xc / pt-osc', 'xc worst (ms)', 'xc worst during', 'pt-osc worst (ms)', 'xc stored the shadow'],
    rows: WRITERS.flatMap((kind) => runs[kind].xc.map((x, i) => {
      const p = runs[kind].pt[i]!;
      return [kind, i + 1, secs(x.ms), secs(p.ms), ratio(x.ms, p.ms), millis(x.writer.worstMs), during(x), millis(p.writer.worstMs), shadowAdded(x)];
    })),
    notes: ['The two runs of a round ran back to back (order alternating by round), each on a freshly loaded table. "worst during": xc\'s last step or phase event before the worst write began. "xc stored the shadow": by the online rebuild, or instantly (a rebuild cancelled, or the table over a write-rate limit; README "Heavy writes").'],
  });
  const partNames = Object.keys(xcParts(runs.busy.xc[0]!));
  tables.push({
    title: "xc's time by part (median over rounds, s)",
    head: ['writer', ...partNames, 'whole'],
    rows: WRITERS.map((kind) => [kind, ...partNames.map((n) => secs(median(runs[kind].xc.map((r) => xcParts(r)[n]!)))), secs(median(runs[kind].xc.map((r) => r.ms)))]),
    notes: [
      'From the `--json` events as they arrived: apply start-up = process spawn → `expanding`; add shadow = the online `ADD COLUMN …, FORCE` of the shadow (its final apply of the writes made meanwhile included; where it was cancelled, also the instant add that replaced it); fill = the batched UPDATE before the trigger; backfill = `backfilling` → the first verify event of apply (the pass that reconverts rows the writer changed after the fill passed them); apply verify = that event → `backfilled` (the verify after the fill, and any catch-up again it called for); contract start-up = the contract process spawned → its first verify event; cut-over = `contracting` → `contracted` (LOCK TABLES wait included). The rest is process exits.',
    ],
  });
  tables.push({
    title: "xc's batches (median over rounds)",
    head: ['writer', 'fill batches', 'fill size (median / min)', 'fill batch interval (ms)', 'backfill batches', 'backfill size (median / min)', 'lock retries', '≈ rows reconverted by the backfill'],
    rows: WRITERS.map((kind) => {
      const xs = runs[kind].xc;
      const f = xs.map((r) => passStats(r, 'fill'));
      const b = xs.map((r) => passStats(r, 'backfill'));
      return [kind, median(f.map((x) => x.batches)), `${median(f.map((x) => x.medSize))} / ${Math.min(...f.map((x) => x.minSize))}`, millis(median(f.map((x) => x.medMs))), median(b.map((x) => x.batches)), `${median(b.map((x) => x.medSize))} / ${Math.min(...b.map((x) => x.minSize))}`, median(xs.map((r) => r.events.filter((x) => x.e.event === 'lock_retry').length)), kind === 'busy' ? median(xs.map((r) => r.reconverted ?? 0)) : '—'];
    }),
    notes: ['Batch interval: between consecutive `backfill` events of the pass (two parts walk at once, so about half a batch\'s time). Rows reconverted: the server\'s `Handler_update` between the `backfilling` and `backfilled` events, less the writer\'s updates that finished in between and one cursor write per batch (approximate: the readings are taken as the events arrive).'],
  });
  const cpuGroup = (kind: WriterKind, who: 'xc' | 'pt'): CpuGroup => ({ writer: kind, change: who === 'xc' ? 'xc' : 'pt-osc', runs: runs[kind][who].map((x) => ({ ms: x.ms, writes: x.writer.writes, cpu: x.cpu?.threadChanged ? undefined : x.cpu })) });
  tables.push(cpuTable(WRITERS.flatMap((kind) => [cpuGroup(kind, 'xc'), cpuGroup(kind, 'pt')]), cpuUnavailable));
  const failed = checks.failed;
  tables.push(checks.table(['Counts and sums are summed over the rounds of each row\'s runs.']));
  const r = (kind: WriterKind) => runs[kind].xc.map((x, i) => x.ms / runs[kind].pt[i]!.ms);
  const busyRatio = median(r('busy'));
  const busyStall = median(runs.busy.xc.map((x) => x.writer.worstMs));
  const maxStall = Math.max(...runs.busy.xc.map((x) => x.writer.worstMs));
  conclusions.push(
    `Busy writer: xc took ${secs(median(runs.busy.xc.map((x) => x.ms)))} s against pt-osc's ${secs(median(runs.busy.pt.map((x) => x.ms)))} s, median of the per-round ratios ${busyRatio.toFixed(2)}× (${Math.min(...r('busy')).toFixed(2)}–${Math.max(...r('busy')).toFixed(2)}×): ` +
      `target ≤ 1.0× ${busyRatio <= 1 ? '**met**' : '**not met**'}. xc's worst write ${millis(busyStall)} ms (max ${millis(maxStall)} ms) against its 1 s lock timeout: ${maxStall < 1000 ? '**met**' : '**not met**'}; pt-osc's ${millis(median(runs.busy.pt.map((x) => x.writer.worstMs)))} ms. ` +
      `Writes done: xc ${median(runs.busy.xc.map((x) => x.writer.writes))}, pt-osc ${median(runs.busy.pt.map((x) => x.writer.writes))}; errors: xc ${errors(runs.busy.xc)}, pt-osc ${errors(runs.busy.pt)}. ` +
      `Writes per second while each ran: xc ${perSecond(runs.busy.xc)}, pt-osc ${perSecond(runs.busy.pt)} (p99 ${millis(median(runs.busy.xc.map((x) => x.writer.p99Ms)))} against ${millis(median(runs.busy.pt.map((x) => x.writer.p99Ms)))} ms): ` +
      'the two do not finish the same amount of application work, so the whole-time ratio alone flatters the tool that holds the writer back.',
    `Paced writer (reference): xc / pt-osc ${median(r('paced')).toFixed(2)}× (${Math.min(...r('paced')).toFixed(2)}–${Math.max(...r('paced')).toFixed(2)}×); worst write xc ${millis(median(runs.paced.xc.map((x) => x.writer.worstMs)))} ms, pt-osc ${millis(median(runs.paced.pt.map((x) => x.writer.worstMs)))} ms.`,
    ...WRITERS.map((kind) => cpuConclusion(`CPU, ${kind} writer`, cpuGroup(kind, 'xc'), cpuGroup(kind, 'pt'))),
    whereTimeGoes(runs),
    failed.length === 0 ? `Data checks: all ${checks.all.length} passed.` : checks.failedLine(),
  );
  return {
    title: 'A writer that does not pause: in-place int → bigint under a busy writer (MariaDB)',
    intro: [
      `${rows.toLocaleString('en-US')} rows \`(id bigint auto_increment primary key, v int not null, pad varchar(64))\`, loaded afresh for every run; xc runs \`${JSON.stringify(MIGRATION.operations[0])}\` (the column keeps its name) with default options. ` +
        `Reproduce: \`XC_BENCH_SECTIONS=busy npm run bench\` (XC_BENCH_BUSY_ROWS, XC_BENCH_REPEAT).`,
    ],
    tables,
    conclusions,
    failed: failed.length > 0,
  };
}
