/** `xc check --app A --version V [--level ID] [--apply]`: the pre-deploy gate for CI (exit 0: may go live; 3: not now). */
import type { Command } from 'commander';
import { flagOf } from '../../options.js';
import type { Action } from '../context.js';
import { noteOutcomes, printOutcome } from '../output.js';

export function registerCheck(program: Command, action: Action): void {
  program
    .command('check')
    .description('pre-deploy gate: may this build go live now? (exit 0 yes, 3 no, with reasons)')
    .option(flagOf('app').flags, flagOf('app').description)
    .requiredOption('--version <version>', 'the version about to be deployed')
    .option('--level <id>', 'schema level of that build (default: `xc level` of --dir)')
    .option('--apply', 'first expand and backfill every migration up to that level')
    .action(action(async ({ xc, out, options }, o: { version: string; level?: string; apply?: boolean }) => {
      const r = await xc.check({ app: options.app!, version: o.version, level: o.level, apply: o.apply === true });
      if (r.warning) out.note(`warning: ${r.warning}`); // in --json, the result's "warning"
      out.result(r, (p) => {
        for (const m of r.applied) printOutcome(p, m);
        p.line(p.c.green(`${r.app}@${r.version} may go live (level ${r.level ?? 'none'})`));
      });
      noteOutcomes(out, r.applied);
    }));
}
