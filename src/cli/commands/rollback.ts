/** `xc rollback [ID] [--force --reason TEXT]`: undo migrations that are not contracted, newest first, down to ID; refused (exit 3) while a live version has them. */
import type { Command } from 'commander';
import { reportRun } from '../output.js';
import type { Action } from '../context.js';

export function registerRollback(program: Command, action: Action): void {
  program
    .command('rollback')
    .description('undo started, not yet contracted migrations (default: the newest one) from the plan the state recorded; exit 2 for one that cannot be undone')
    .argument('[id]', 'roll back this migration and every later one')
    .option('--force', 'roll back despite a live version that has the migration (needs --reason; logged)')
    .option('--reason <text>', 'why the gate is overridden, for the event log')
    .option('--take-edited-sql', `first take the edited \`rollback\` text of started migrations' \`sql\` operations whose statement has not run (the rest of the file must be as applied; logged)`)
    .action(action(async ({ xc, out }, id: string | undefined, opts: { force?: boolean; reason?: string; takeEditedSql?: boolean }) => {
      const result = await xc.rollback({ id, force: opts.force === true, reason: opts.reason, takeEditedSql: opts.takeEditedSql === true });
      reportRun(out, result, 'roll back');
    }));
}
