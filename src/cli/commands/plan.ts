/** `xc plan [ID]`: the exact SQL of every pending phase and the lock each takes. Changes nothing. */
import type { Command } from 'commander';
import { printPlan } from '../output.js';
import type { Action } from '../context.js';

export function registerPlan(program: Command, action: Action): void {
  program
    .command('plan')
    .description('show the SQL each pending phase would run and the locks it takes; changes nothing')
    .argument('[id]', 'plan up to this migration (default: all)')
    .action(action(async ({ xc, out }, id: string | undefined) => {
      const result = await xc.plan({ id });
      out.result(result, (p) => printPlan(p, result));
    }));
}
