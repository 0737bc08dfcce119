/** Running the real `xc` on a pseudo-terminal of a given width (util-linux `script`), as a user at a terminal would. */
import { spawn } from 'node:child_process';
import { BIN, collect, xcEnv, type Run } from './cli.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `xc args` with stdout and stderr on a terminal `columns` wide; what the
 * terminal received comes back as `stdout` (both streams, with `\r` and escape
 * codes). `env` replaces the usual test environment's colour settings: none
 * of NO_COLOR / FORCE_COLOR unless given, and none of the variables that tell
 * chalk (supports-color) it runs under CI, which turn colour off on a terminal:
 * the pty stands for a user's terminal even when the suite runs in CI.
 */
export function runXcInPty(args: string[], opts: { cwd: string; columns?: number; env?: Record<string, string> }): Promise<Run> {
  const command = `stty cols ${opts.columns ?? 80} rows 50; exec ${quote(process.execPath)} ${[BIN, ...args].map(quote).join(' ')}`;
  const env = xcEnv({ TERM: 'xterm-256color', ...opts.env });
  if (opts.env?.NO_COLOR === undefined) delete env.NO_COLOR;
  for (const ci of CI_VARIABLES) if (opts.env?.[ci] === undefined) delete env[ci];
  return collect(spawn('script', ['-qfec', command, '/dev/null'], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** What supports-color reads to decide it runs under CI (or a CI's terminal). */
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION', 'TEAMCITY_VERSION', 'TF_BUILD', 'GITHUB_ACTIONS', 'BUILDKITE'];

/** SGR (colour, bold, dim) escape codes: `\x1b[2K` (erase line) is not one. */
export const COLOUR_CODE = /\x1b\[[0-9;]*m/;

/** Text as it shows: escape codes removed. */
export const visible = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
