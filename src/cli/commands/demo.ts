/** `xc demo`: a rolling deploy played step by step on an embedded PGlite; needs no database and ignores --url/--dir. */
import type { Command } from 'commander';
import type { Action } from '../context.js';

export function registerDemo(program: Command, action: Action): void {
  program
    .command('demo')
    .description('play a rolling deploy step by step on an embedded PostgreSQL (PGlite, in memory); needs no database')
    .action(action(async ({ out }) => {
      // Loaded only when the demo runs: it brings the library and PGlite (start-up time of the other commands).
      const [{ runDemo }, { printDemoEnd, printDemoIntro, printDemoStep }] = await Promise.all([import('../../demo/demo.js'), import('../../demo/print.js')]);
      // The demo makes its own database and migrations folder: the connection and --dir settings are not used.
      // Each step is reported as it completes (JSON: an event line each), the library's events too; then the result.
      out.result({ event: 'demo_start', database: 'pglite://memory' }, printDemoIntro);
      const result = await runDemo({
        onEvent: (e) => {
          if (out.json) out.event(e);
        },
        onStep: (step) => out.result({ event: 'demo_step', ...step }, (p) => printDemoStep(p, step)),
      });
      out.result(result, (p) => printDemoEnd(p, result));
    }, { library: false }));
}
