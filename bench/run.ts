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
 *
 * Sections: one per database. A MySQL section is one more entry in `sections`.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../src/db/redact.js';
import { postgresSection } from './postgres.js';
import { renderDocument, renderSection, type Section } from './report.js';

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_ROWS = 2_000_000;
const DEFAULT_REPEAT = 3;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** The command that reproduces this run: only the env that differs from the defaults. */
function command(pgUrl: string, rows: number, repeat: number, batchTimes: number[]): string {
  const env = [
    pgUrl !== DEFAULT_PG_URL ? `XC_BENCH_PG_URL=${redactUrl(pgUrl)}` : '',
    `XC_BENCH_ROWS=${rows}`,
    repeat !== DEFAULT_REPEAT ? `XC_BENCH_REPEAT=${repeat}` : '',
    batchTimes.length ? `XC_BENCH_BATCH_TIMES=${batchTimes.join(',')}` : '',
  ].filter(Boolean);
  return `${env.join(' ')} npm run bench`;
}

async function main(): Promise<void> {
  const pgUrl = process.env.XC_BENCH_PG_URL || DEFAULT_PG_URL;
  const rows = envInt('XC_BENCH_ROWS', DEFAULT_ROWS);
  const repeat = envInt('XC_BENCH_REPEAT', DEFAULT_REPEAT);
  const batchTimes = (process.env.XC_BENCH_BATCH_TIMES ?? '').split(',').filter((s) => s.trim() !== '').map(Number);
  if (batchTimes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('XC_BENCH_BATCH_TIMES must be a comma-separated list of positive integers (ms)');

  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

  const sections: (Section & { server: string })[] = [];
  sections.push(await postgresSection({ url: pgUrl, rows, repeat, batchTimes }, log));

  const cpus = os.cpus();
  const header = {
    date: new Date().toISOString(),
    machine:
      `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
      `${os.type()} ${os.release()}, Node ${process.version}; ${sections.map((s) => s.server).join('; ')}`,
    rows,
    command: command(pgUrl, rows, repeat, batchTimes),
  };
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  await writeFile(path.join(root, 'BENCHMARKS.md'), renderDocument(header, sections));
  process.stdout.write(sections.map(renderSection).join('\n\n') + '\n');
  log(`wrote ${path.join(root, 'BENCHMARKS.md')}`);
  if (sections.some((s) => s.failed)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
