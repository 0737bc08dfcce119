/** The real `xc` binary from source with --json, and a hook that sees each event line and may act on the process (kill it, fault the server). */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, exitChosen, MARK_EXIT, onJsonLines, xcEnv } from '../helpers/cli.js';

export interface XcRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
  /** The exit code xc had chosen when it ended, if it had (a signal may still end it in Node's teardown). */
  chosen?: number;
  /** The hook fired (the fault was injected during this run). */
  fired: boolean;
  /** Still running after RUN_LIMIT_MS: killed by the harness, so a hang fails its scenario instead of the whole CI run. */
  hung: boolean;
  endedAt: number;
}

/** Returns true when it injected its fault (it is then not called again); async work it starts is its own to await. */
export type Hook = (e: Record<string, unknown>, index: number, child: ChildProcess) => boolean;

/** Far beyond any run of the catalogue (seconds on 20,000 rows), even on a loaded box. */
export const RUN_LIMIT_MS = 5 * 60_000;

export function xc(args: string[], hook?: Hook): Promise<XcRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...MARK_EXIT, BIN, ...args, '--json'], { env: xcEnv() });
    let hung = false;
    const limit = setTimeout(() => ((hung = true), child.kill('SIGKILL')), RUN_LIMIT_MS);
    const events: Record<string, unknown>[] = [];
    let stderr = '';
    let fired = false;
    onJsonLines(child.stdout, (e) => {
      events.push(e);
      if (hook && !fired) fired = hook(e, events.length, child);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, events, ...exitChosen(stderr), fired, hung, endedAt: Date.now() });
    });
  });
}
