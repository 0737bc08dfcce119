/** What every section of issue 16 is given (bench/run.ts builds it once). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Section } from './report.js';

export interface BenchContext {
  /** PostgreSQL server; each section creates its own database(s) and drops them. */
  pgUrl: string;
  /** MySQL/MariaDB server; same rule. */
  myUrl: string;
  /** Whether the MySQL/MariaDB server answers (a MariaDB half is skipped, with a note, when not). */
  myUp: boolean;
  /** Why xc cannot be compared with pt-online-schema-change (server down or pt-osc missing), or null. */
  ptOscMissing: string | null;
  /** XC_BENCH_ROWS: sections with a size of their own (named in their header) ignore it. */
  rows: number;
  /** XC_BENCH_REPEAT. */
  repeat: number;
  /** The repository root. */
  root: string;
}

export type BenchLog = (line: string) => void;
export type BenchSection = (ctx: BenchContext, log: BenchLog) => Promise<Section & { server: string }>;

let built = false;
/**
 * `npm run build` once per bench process, for sections that time the CLI as installed (`node bin/xc` runs
 * dist/ when there is one). Returns the bin path. While developing beside others who also build, prefer
 * the library or XC_FORCE_SOURCE=1: the build empties dist/ first.
 */
export function ensureBuild(root: string, log: BenchLog): string {
  if (!built) {
    log('npm run build (the CLI is timed from dist/, as installed)');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (!existsSync(path.join(root, 'dist/cli/main.js'))) throw new Error('npm run build left no dist/cli/main.js');
    built = true;
  }
  return path.join(root, 'bin/xc');
}
