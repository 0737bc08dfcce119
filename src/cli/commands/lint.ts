/** `xc lint [FILES]`: the `sql` operations of migration files against xc's rules, offline: no database is opened, nothing is created. */
import type { Command } from 'commander';
import { ExitCode, InvalidInputError } from '../../errors.js';
import type { Action } from '../context.js';

export function registerLint(program: Command, action: Action): void {
  program
    .command('lint')
    .description('check the raw SQL of migration files (default: every one in --dir) for statements that break zero downtime; reads the files only, never the database')
    .argument('[files...]', 'migration files to lint (default: every migration in --dir)')
    .action(action(async ({ out, options }, files: string[]) => {
      // Loaded here: `xc --help` and the other commands need neither the tokenizers nor the loader (start-up time).
      const { NO_URL_NOTE, textDialectOfUrl } = await import('../../dialects/statementText.js');
      const { lintFiles } = await import('../../lint/lint.js');
      // The dialect by the URL's scheme alone (nothing is opened); none configured: PostgreSQL's, or MySQL's for a
      // file quoting names in backticks (lintFiles).
      const byUrl = textDialectOfUrl(options.url);
      // Said, so a MySQL team's CI step without a URL does not pass MODIFY and CHANGE unread (campaign P).
      if (byUrl === undefined) out.note(NO_URL_NOTE);
      const result = await lintFiles(files ?? [], options.dir, byUrl);
      for (const { file, readings } of result.readAs) {
        out.note(`lint: ${file}: ${readings.length > 1 ? "read as PostgreSQL's and as MySQL/MariaDB's (their tokens read a backtick in it apart: a quoted name to one, in a literal or comment to the other)" : "read as MySQL/MariaDB's (it quotes names in backticks)"}`);
      }
      const lines = result.findings.map((f) => `${f.file}: ${f.path}: [${f.rule}] ${f.message}`);
      if (result.invalid.length > 0) {
        for (const line of lines) out.note(line);
        throw new InvalidInputError(result.invalid.map((i) => i.message).join('\n'), { files: result.invalid.map((i) => i.file), findings: result.findings }, { code: 'invalid_migration' });
      }
      const { ok, findings } = result;
      out.result({ ok, findings }, (p) => {
        for (const line of lines) p.line(line);
        p.line(ok ? 'lint: no findings' : `lint: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${new Set(findings.map((f) => f.file)).size} file(s)`);
      });
      return ok ? ExitCode.ok : ExitCode.failed;
    }, { library: false }));
}
