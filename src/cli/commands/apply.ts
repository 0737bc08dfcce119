/** `xc apply [ID] [--to expand|backfill] [--dry-run]`: expand, then backfill, each migration up to ID. */
import { Option, type Command } from 'commander';
import type { PlanResult, RunResult } from '../../api.js';
import { printPlan, reportRun } from '../output.js';
import type { Action } from '../context.js';

export function registerApply(program: Command, action: Action): void {
  program
    .command('apply')
    .description('expand (dual-write) and backfill pending migrations; contract is a separate, gated step')
    .argument('[id]', 'apply up to this migration (default: all)')
    .addOption(new Option('--to <phase>', 'stop after this phase').choices(['expand', 'backfill']))
    .option('--dry-run', 'print the plan instead; changes nothing')
    .action(action(async ({ xc, out }, id: string | undefined, opts: { to?: 'expand' | 'backfill'; dryRun?: boolean }) => {
      const result = await xc.apply({ id, to: opts.to, dryRun: opts.dryRun === true });
      // A dry run returns the plan; a real run, what moved where.
      if (opts.dryRun) out.result(result, (p) => printPlan(p, result as PlanResult));
      else reportRun(out, result as RunResult, 'apply');
    }));
}

