/** What the three input classes share: their database on the private server, xc in-process and as the CLI, and the record of each attempt. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Xc, XcOptions } from '../../../src/api.js';
import { XcError } from '../../../src/errors.js';
import { createXc } from '../../../src/index.js';
import { runXc, type Run } from '../../helpers/cli.js';
import { connect, once, type Conn, type Dialect } from '../db.js';
import type { Server } from '../servers.js';
import { canaryDdl, catalog, type Catalog } from './catalog.js';

export type InputClass = 'file' | 'hostile' | 'url';

export interface Attempt {
  cls: InputClass;
  index: number;
  what: string;
  /** How it ended, e.g. `plan 2, apply 2` or `cli 2`: the outcomes the summary counts. */
  outcome: string;
  /** Violations; empty when the input was handled as it must be. */
  problems: string[];
  /** Also run through the real CLI. */
  cli: boolean;
  /** The violation is a known open finding (inputs.ts KNOWN): reported, not failed. */
  known?: string;
}

export interface ClassContext {
  server: Server;
  dialect: Dialect;
  rnd: () => number;
  /** Only this input index (a replay), else all. */
  only?: number;
  /** Database names of this round are unique per dialect server. */
  round: number;
  record(a: Attempt): void;
  /** Called before each input runs: with XC_CHAOS_TRACE set it prints the input, so a crash that kills the process (no record) still names it. */
  starting(index: number, what: string): void;
}

/** A database of its own on the private server with the canary in it (and `extra` DDL after). */
export interface InputDb {
  url: string;
  conn: Conn;
  catalog(): Promise<Catalog>;
  /** Drop and create it again: after a violation, so one broken input does not spoil the rest. */
  reset(): Promise<void>;
  drop(): Promise<void>;
}

export async function inputDb(server: Server, name: string, extra: string[] = [], owner?: string): Promise<InputDb> {
  const d = server.dialect;
  const dropSql = d === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`;
  const url = server.urlOf(name);
  let conn!: Conn;
  const create = async () => {
    await once(d, server.url, dropSql);
    await once(d, server.url, `CREATE DATABASE ${name}${owner && d === 'postgres' ? ` OWNER ${owner}` : ''}`);
    conn = await connect(d, url);
    for (const sql of [...canaryDdl(d), ...extra]) await conn.query(sql);
  };
  await create();
  return {
    url,
    get conn() {
      return conn;
    },
    catalog: () => catalog(d, conn),
    reset: async () => {
      await conn.end();
      await create();
    },
    drop: async () => {
      await conn.end();
      await once(d, server.url, dropSql).catch(() => undefined);
    },
  };
}

export interface Ran {
  /** Exit code the CLI would give; `internal` for an error that is no XcError (a bug, whatever the CLI would print). */
  code: number | 'internal';
  message: string;
  error?: unknown;
}

/** One library call, its result as an exit code. */
export async function call(fn: () => Promise<unknown>): Promise<Ran> {
  try {
    await fn();
    return { code: 0, message: '' };
  } catch (err) {
    if (err instanceof XcError) return { code: err.exitCode, message: err.message, error: err };
    return { code: 'internal', message: String((err as Error)?.stack ?? err), error: err };
  }
}

/** createXc on `options`, closed after `fn`. */
export async function withXc<T>(options: XcOptions, fn: (xc: Xc) => Promise<T>): Promise<T> {
  const xc = createXc(options);
  try {
    return await fn(xc);
  } finally {
    await xc.close().catch(() => undefined);
  }
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Pick `k` of `n` indexes with `rnd`: the inputs that also go through the CLI. */
export function sample(rnd: () => number, n: number, k: number): Set<number> {
  const out = new Set<number>();
  while (out.size < Math.min(k, n)) out.add(Math.floor(rnd() * n));
  return out;
}

/** Under --json: problems if stdout holds anything but JSON lines, or its last line is not the result `ok` says it should be. */
export function jsonProblems(r: Run, ok: boolean): string[] {
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  const problems: string[] = [];
  const parsed: Record<string, unknown>[] = [];
  for (const l of lines) {
    try {
      parsed.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      problems.push(`--json: stdout has a line that is not JSON: ${l.slice(0, 160)}`);
    }
  }
  const last = parsed.at(-1);
  if (!last) problems.push('--json: stdout is empty');
  else if (last.ok !== ok) problems.push(`--json: the last line has ok ${String(last.ok)}, expected ${ok}: ${JSON.stringify(last).slice(0, 300)}`);
  return problems;
}

/** The message of a --json error line (or stderr in human mode). */
export function cliMessage(r: Run): string {
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return String((JSON.parse(last) as { error?: { message?: string } }).error?.message ?? r.stderr);
  } catch {
    return r.stderr;
  }
}

export { runXc, type Run };
