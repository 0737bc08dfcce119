/** `xc level`: the schema level of this build, i.e. the id of the newest migration in --dir. */
import type { Command } from 'commander';
import { newestMigrationId } from '../../migration/files.js';
import type { Action } from '../context.js';

export function registerLevel(program: Command, action: Action): void {
  program
    .command('level')
    .description('print the id of the newest migration in --dir (the schema level of this build)')
    .action(action(async ({ out, options }) => {
      // From the file names alone, as Xc.level(): no library, no database (start-up time).
      const level = await newestMigrationId(options.dir);
      // No migrations is not an error: there is simply no level (nothing on stdout, a note on stderr).
      if (level === null) out.note(`no migrations in ${options.dir}: no schema level`);
      out.result({ ok: true, level }, (p) => {
        if (level !== null) p.line(level);
      });
    }, { library: false }));
}
