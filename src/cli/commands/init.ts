/** `xc init`: create the state tables (schema `xc` on PostgreSQL, `xc_` tables on MySQL). */
import type { Command } from 'commander';
import type { Action } from '../context.js';

export function registerInit(program: Command, action: Action): void {
  program
    .command('init')
    .description('create the state tables xc keeps in the target database')
    .action(action(async ({ xc, out }) => {
      const result = await xc.init();
      out.result(result, (p) => p.line(result.created ? 'created the xc state tables' : 'the xc state tables already exist'));
    }));
}
