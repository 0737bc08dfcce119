/** The real `xc` binary from source with --json, and a hook that sees each event line and may act on the process (kill it, fault the server). */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/xc');

export interface XcRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
  /** The hook fired (the fault was injected during this run). */
  fired: boolean;
}

/** Returns true when it injected its fault (it is then not called again); async work it starts is its own to await. */
export type Hook = (e: Record<string, unknown>, index: number, child: ChildProcess) => boolean;

export function xc(args: string[], hook?: Hook): Promise<XcRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(XC_|DATABASE_URL$|PG|FORCE_COLOR$)/.test(k)));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: { ...env, XC_FORCE_SOURCE: '1', NO_COLOR: '1' } });
    const events: Record<string, unknown>[] = [];
    let stderr = '';
    let buf = '';
    let fired = false;
    child.stdout.on('data', (chunk: Buffer) => {
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
        events.push(e);
        if (hook && !fired) fired = hook(e, events.length, child);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, events, stderr, fired }));
  });
}
