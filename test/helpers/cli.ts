/** Running the real `xc` binary in tests: always from the source (never a stale dist), no colour, no inherited connection settings. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';

export const BIN = path.resolve(import.meta.dirname, '../../bin/xc');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a spawned xc: the source, no colour, no connection settings inherited from the test run. */
export function xcEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(XC_|DATABASE_URL$|PG|FORCE_COLOR$)/.test(k)));
  return { ...base, XC_FORCE_SOURCE: '1', NO_COLOR: '1', ...extra };
}

/** Calls `fn` with each line `stream` prints under --json, parsed (a line that is not JSON as `{ event: 'not_json', line }`). */
export function onJsonLines(stream: Readable, fn: (e: Record<string, unknown>) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        e = { event: 'not_json', line };
      }
      fn(e);
    }
  });
}

/** A spawned process's exit code and everything it printed, once it has closed. */
export function collect(child: ChildProcess & { stdout: Readable; stderr: Readable }): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runXc(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return collect(spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: xcEnv(opts.env) }));
}

/** A run bounded in time: its exit code (null: still running when killed), how long it took, and the error its JSON lines carry. */
export interface BoundedRun<D = Record<string, unknown>> {
  code: number | null;
  ms: number;
  error?: { message: string; details: D };
}

/** `xc <args> --json`, killed with SIGKILL past `boundMs`: for a command that must give up by itself (a lock wait's exit 5). */
export function runXcWithin<D = Record<string, unknown>>(args: string[], boundMs: number): Promise<BoundedRun<D>> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: xcEnv() });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.trim().split('\n').map((l) => { try { return JSON.parse(l) as { error?: BoundedRun<D>['error'] }; } catch { return {}; } });
      resolve({ code, ms: Date.now() - started, error: lines.find((l) => l.error)?.error });
    });
  });
}

/** The error a promise rejects with (the test fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ exitCode: number; message: string; details: Record<string, any> }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected a rejection');
}

const EXIT_MARK = path.resolve(import.meta.dirname, 'exit-mark.mjs');

/** Node options that have a spawned xc print the exit code it chose (read back by `exitChosen`). */
export const MARK_EXIT = ['--import', EXIT_MARK];

/** The exit code xc had chosen when it ended (undefined if it ended before choosing one), and its stderr without the mark. */
export function exitChosen(stderr: string): { chosen: number | undefined; stderr: string } {
  const m = /\nxc-test-exit (\d+)\n/.exec(stderr);
  return { chosen: m ? Number(m[1]) : undefined, stderr: m ? stderr.replace(m[0], '') : stderr };
}

/**
 * Run the CLI with --json; send it `signal` (SIGKILL unless told) at the first event `killWhen` accepts.
 * With another signal than SIGKILL, `chosen` is the exit code xc had chosen, if it had, when it ended.
 */
export function runXcKillingAt(
  args: string[],
  killWhen?: (e: Record<string, unknown>) => boolean,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; chosen?: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(signal === 'SIGKILL' ? [] : MARK_EXIT), BIN, ...args, '--json'], { env: xcEnv() });
    let stderr = '';
    let sent = false;
    onJsonLines(child.stdout, (e) => {
      if (!sent && killWhen?.(e)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, ended) => resolve({ code, signal: ended, ...exitChosen(stderr) }));
  });
}
