/** `xc status`: every migration of --dir and of the state, with phase, backfill progress and last error. */
import type { Command } from 'commander';
import { printStatus } from '../tables.js';
import type { Action } from '../context.js';

export function registerStatus(program: Command, action: Action): void {
  program
    .command('status')
    .description('show each migration: phase, backfill progress, last error')
    .action(action(async ({ xc, out }) => {
      const result = await xc.status();
      out.result(result, (p) => printStatus(p, result));
    }));
}
