/** `xc backfill [ID]`: convert existing rows of migrations in dual_write or backfilling. */
import type { Command } from 'commander';
import { reportRun } from '../output.js';
import type { Action } from '../context.js';

export function registerBackfill(program: Command, action: Action): void {
  program
    .command('backfill')
    .description('backfill existing rows of expanded migrations, in keyset batches')
    .argument('[id]', 'backfill up to this migration (default: all)')
    .action(action(async ({ xc, out }, id: string | undefined) => {
      const result = await xc.backfill({ id });
      reportRun(out, result, 'backfill');
    }));
}
