/**
 * `npm run bench`: measures xc against the plain way on a real server and
 * writes BENCHMARKS.md at the repository root (the same tables go to stdout).
 *
 * Env:
 *   XC_BENCH_PG_URL       server to use (default postgres://postgres@127.0.0.1:5432/postgres);
 *                         the bench creates its own database xc_bench_<random> and drops it.
 *   XC_BENCH_ROWS         rows per table (default 2000000)
 *   XC_BENCH_REPEAT       rounds of the throughput pair, medians reported (default 3)
 *   XC_BENCH_BATCH_TIMES  extra xc backfill runs with these batchTimeMs values, e.g. "500,1000"
 *   XC_BENCH_PARALLEL     extra xc runs with these --parallel values, e.g. "1,4"
 *                         (PostgreSQL: backfill alone; MySQL: the whole apply + contract under the writer)
 *   XC_BENCH_MYSQL_URL    MySQL/MariaDB server (default mysql://root@127.0.0.1:3306/test); the bench
 *                         creates its own database xc_bench_<random> and drops it. The section is skipped,
 *                         with a note in BENCHMARKS.md, when the server or pt-online-schema-change is missing.
 *   XC_BENCH_SECTIONS     which sections to run (default "postgres,mysql,inplace,startup,replica,fleet"); e.g. XC_BENCH_SECTIONS=inplace
 *                         runs only that one. BENCHMARKS.md keeps the sections this run did not measure, as they were.
 *   XC_BENCH_STARTUP_RUNS runs of each command in the startup section (default 40)
 *   Issue 16's sections (busy, amplification, workload, scale, adaptive) read their own sizes, named in
 *   each file's header (e.g. XC_BENCH_SCALE_ROWS); each takes the same BenchContext.
 *
 * Sections: one per database, then `inplace` (alterColumn without `to` on both: vs pt-osc on
 * MySQL/MariaDB, vs a plain ALTER COLUMN TYPE on PostgreSQL; its MySQL half is "not measured" when
 * the server or pt-osc is missing), then `startup` (the CLI's start-up time from the build — it runs
 * `npm run build` first — against `node -e 0`, on the PostgreSQL server; bench/startup.ts), then `replica`
 * (peak replica lag during a backfill with and without --max-replica-lag, on a private primary and replica
 * per dialect the section starts itself; bench/replica.ts), then `fleet` (one alterColumn across 20 and 100
 * PostgreSQL databases: xc fleet apply at concurrency 1, 4, 8 vs sequential xc apply processes; bench/fleet.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../src/db/redact.js';
import { connectAdmin, ptOscMissing } from './my.js';
import { inplaceSection } from './inplace.js';
import { mysqlSection } from './mysql.js';
import { postgresSection } from './postgres.js';
import { startupSection } from './startup.js';
import { fleetSection } from './fleet.js';
import { replicaSection } from './replica.js';
import { mergeDocument, renderDocument, renderSection, servers, type Section } from './report.js';
import type { BenchContext, BenchSection } from './context.js';
import { busySection } from './busy.js';
import { amplificationSection } from './amplification.js';
import { workloadSection } from './workload.js';
import { scaleSection } from './scale.js';
import { adaptiveSection } from './adaptive.js';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
/** Issue 16's sections, each a function of the same BenchContext (bench/context.ts). */
const CONTEXT_SECTIONS: Record<string, BenchSection> = {
  busy: busySection,
  amplification: amplificationSection,
  workload: workloadSection,
  scale: scaleSection,
  adaptive: adaptiveSection,
};
const DEFAULT_SECTIONS = ['postgres', 'mysql', 'inplace', 'startup', 'replica', 'fleet', ...Object.keys(CONTEXT_SECTIONS)];
const DEFAULT_ROWS = 2_000_000;
const DEFAULT_REPEAT = 3;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** A comma-separated list of positive integers, e.g. "50,1000"; empty when unset. */
function envList(name: string, unit: string): number[] {
  const list = (process.env[name] ?? '').split(',').filter((s) => s.trim() !== '').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name} must be a comma-separated list of positive integers (${unit})`);
  return list;
}

/** The command that reproduces this run: only the env that differs from the defaults. */
function command(pgUrl: string, myUrl: string, sections: string[], rows: number, repeat: number, batchTimes: number[], parallels: number[]): string {
  const env = [
    pgUrl !== DEFAULT_PG_URL ? `XC_BENCH_PG_URL=${redactUrl(pgUrl)}` : '',
    myUrl !== DEFAULT_MYSQL_URL ? `XC_BENCH_MYSQL_URL=${redactUrl(myUrl)}` : '',
    sections.join(',') !== DEFAULT_SECTIONS.join(',') ? `XC_BENCH_SECTIONS=${sections.join(',')}` : '',
    `XC_BENCH_ROWS=${rows}`,
    repeat !== DEFAULT_REPEAT ? `XC_BENCH_REPEAT=${repeat}` : '',
    batchTimes.length ? `XC_BENCH_BATCH_TIMES=${batchTimes.join(',')}` : '',
    parallels.length ? `XC_BENCH_PARALLEL=${parallels.join(',')}` : '',
    ...otherSettings(),
  ].filter(Boolean);
  return `${env.join(' ')} npm run bench`;
}

/** The variables above, written from their parsed values; URLs are given redacted or not at all. */
const WRITTEN = new Set(['XC_BENCH_SECTIONS', 'XC_BENCH_ROWS', 'XC_BENCH_REPEAT', 'XC_BENCH_BATCH_TIMES', 'XC_BENCH_PARALLEL']);

/**
 * Every other XC_ variable set: a section's own (XC_BENCH_SCALE_BUDGET_S, …)
 * and xc's settings (XC_BUSY_PAUSE, …) change what a table measures, so a
 * reproduce line without them would not reproduce it. Shell-quoted.
 */
function otherSettings(): string[] {
  const quote = (v: string) => (/^[\w.,:/=@%+-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  return Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('XC_') && !k.endsWith('_URL') && !WRITTEN.has(k) && v)
    .map(([k, v]) => `${k}=${quote(v!)}`)
    .sort();
}

async function main(): Promise<void> {
  const pgUrl = process.env.XC_BENCH_PG_URL || DEFAULT_PG_URL;
  const myUrl = process.env.XC_BENCH_MYSQL_URL || DEFAULT_MYSQL_URL;
  const wanted = (process.env.XC_BENCH_SECTIONS || DEFAULT_SECTIONS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !DEFAULT_SECTIONS.includes(w));
  if (unknown.length) throw new Error(`XC_BENCH_SECTIONS: unknown section ${unknown.join(', ')} (known: ${DEFAULT_SECTIONS.join(', ')})`);
  const rows = envInt('XC_BENCH_ROWS', DEFAULT_ROWS);
  const repeat = envInt('XC_BENCH_REPEAT', DEFAULT_REPEAT);
  const batchTimes = envList('XC_BENCH_BATCH_TIMES', 'ms');
  const parallels = envList('XC_BENCH_PARALLEL', 'parts');
  const variants = [...batchTimes.map((batchTimeMs) => ({ batchTimeMs })), ...parallels.map((parallel) => ({ parallel }))];

  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

  const sections: (Section & { server: string })[] = [];
  if (wanted.includes('postgres')) sections.push(await postgresSection({ url: pgUrl, rows, repeat, variants }, log));
  if (wanted.includes('mysql')) {
    const missing = await mysqlMissing(myUrl);
    if (missing) {
      log(`MySQL/MariaDB section skipped: ${missing}`);
      sections.push(skippedMysql(missing));
    } else {
      sections.push(await mysqlSection({ url: myUrl, rows, repeat, variants }, log));
    }
  }
  if (wanted.includes('inplace')) {
    const myMissing = await mysqlMissing(myUrl);
    if (myMissing) log(`in-place section: its MySQL/MariaDB half skipped: ${myMissing}`);
    sections.push(await inplaceSection({ pgUrl, myUrl, myMissing, rows, repeat }, log));
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (wanted.includes('startup')) sections.push(await startupSection({ pgUrl, runs: envInt('XC_BENCH_STARTUP_RUNS', 40), root }, log));
  if (wanted.includes('replica')) sections.push(await replicaSection({ rows }, log));
  if (wanted.includes('fleet')) {
    // The MariaDB half needs only the server (not pt-osc).
    const myUp = await connectAdmin(myUrl).then((c) => c.end()).then(() => true, () => false);
    if (!myUp) log(`fleet section: its MariaDB half skipped: no server at ${redactUrl(myUrl)}`);
    sections.push(await fleetSection({ pgUrl, myUrl: myUp ? myUrl : null, root }, log));
  }
  const contextual = wanted.filter((w) => w in CONTEXT_SECTIONS);
  if (contextual.length) {
    const myMissing = await mysqlMissing(myUrl);
    const myUp = await connectAdmin(myUrl).then((c) => c.end()).then(() => true, () => false);
    const ctx: BenchContext = { pgUrl, myUrl, myUp, ptOscMissing: myMissing, rows, repeat, root };
    for (const name of contextual) sections.push(await CONTEXT_SECTIONS[name]!(ctx, log));
  }

  const cpus = os.cpus();
  const host = `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}, Node ${process.version}`;
  const header = {
    date: new Date().toISOString(),
    host,
    machine: `${host}; ${servers(sections.map((s) => s.server))}`,
    rows,
    command: command(pgUrl, myUrl, wanted, rows, repeat, batchTimes, parallels),
  };
  const file = path.join(root, 'BENCHMARKS.md');
  // A run of some sections only keeps the others' numbers from the file as they were.
  const previous = wanted.length < DEFAULT_SECTIONS.length ? await readFile(file, 'utf8').catch(() => null) : null;
  await writeFile(file, previous ? mergeDocument(previous, header, sections) : renderDocument(header, sections));
  process.stdout.write(sections.map(renderSection).join('\n\n') + '\n');
  log(`wrote ${path.join(root, 'BENCHMARKS.md')}`);
  if (sections.some((s) => s.failed)) process.exitCode = 1;
}

/** Why the MySQL section cannot run (server unreachable, pt-online-schema-change missing), or null. */
async function mysqlMissing(url: string): Promise<string | null> {
  try {
    const c = await connectAdmin(url);
    await c.end();
  } catch (err) {
    return `no MySQL/MariaDB server at ${redactUrl(url)} (${(err as Error).message || (err as { code?: string }).code}); set XC_BENCH_MYSQL_URL`;
  }
  return ptOscMissing();
}

function skippedMysql(reason: string): Section & { server: string } {
  return {
    title: 'MySQL / MariaDB',
    server: 'MySQL/MariaDB: section skipped',
    intro: [`**Skipped in this run**: ${reason}.`],
    tables: [],
    conclusions: ['Not measured: xc against pt-online-schema-change needs a reachable server (`XC_BENCH_MYSQL_URL`) and `pt-online-schema-change` with perl DBD::mysql.'],
    failed: false,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
