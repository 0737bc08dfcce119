/** `xc contract [ID] [--force --reason TEXT]`: remove the old shape, refused (exit 3) while old code may run. */
import type { Command } from 'commander';
import { reportRun } from '../output.js';
import type { Action } from '../context.js';

export function registerContract(program: Command, action: Action): void {
  program
    .command('contract')
    .description('remove the old shape of backfilled migrations, in id order, once no deployed version needs it')
    .argument('[id]', 'contract up to this migration (default: every backfilled one)')
    .option('--force', 'contract despite the deploy gate (needs --reason; logged)')
    .option('--reason <text>', 'why the gate is overridden, for the event log')
    .option('--take-edited-sql', `first take the edited \`contract\` text of started migrations' \`sql\` operations whose statement has not run (the rest of the file must be as applied; logged)`)
    .action(action(async ({ xc, out }, id: string | undefined, opts: { force?: boolean; reason?: string; takeEditedSql?: boolean }) => {
      const result = await xc.contract({ id, force: opts.force === true, reason: opts.reason, takeEditedSql: opts.takeEditedSql === true });
      reportRun(out, result, 'contract');
    }));
}
