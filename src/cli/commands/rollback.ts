/** `xc rollback [ID]`: undo migrations that are not contracted, newest first, down to ID. */
import type { Command } from 'commander';
import { printRun } from '../output.js';
import type { Action } from '../context.js';

export function registerRollback(program: Command, action: Action): void {
  program
    .command('rollback')
    .description('undo started, not yet contracted migrations (default: the newest one) from the plan the state recorded; exit 2 for one that cannot be undone')
    .argument('[id]', 'roll back this migration and every later one')
    .action(action(async ({ xc, out }, id: string | undefined) => {
      const result = await xc.rollback({ id });
      out.result(result, (p) => printRun(p, result, 'roll back'));
    }));
}
