/** `xc new NAME [--format ts|json|yaml]`: write a migration file with an empty operations list; no database needed. */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { NEW_FORMATS, type NewFormat } from '../../migration/files.js';
import type { Action } from '../context.js';

export function registerNew(program: Command, action: Action): void {
  program
    .command('new')
    .description('create a migration file in --dir, named <timestamp>_NAME')
    .argument('<name>', 'what the migration does, e.g. add_users_email')
    .addOption(new Option('--format <format>', 'file format (default: that of the newest migration in --dir, else ts)').choices(NEW_FORMATS))
    .action(action(async ({ options, out }, name: string, opts: { format?: NewFormat }) => {
      const { newMigrationFile } = await import('../../migration/load.js');
      const file = await newMigrationFile(options.dir, name, opts.format);
      const id = path.basename(file).replace(/\.[^.]+$/, '');
      out.result({ ok: true, id, file }, (p) => p.line(`created ${file} (empty: add your operations to it)`));
    }, { library: false }));
}
