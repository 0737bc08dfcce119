/** Running the real `xc` binary in tests: always from the source (never a stale dist), no colour, no inherited connection settings. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/xc');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runXc(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(XC_|DATABASE_URL$|PG|FORCE_COLOR$)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...base, XC_FORCE_SOURCE: '1', NO_COLOR: '1', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
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
