/**
 * --help and -V (issue 14): a command's own flags come first, the global ones
 * after under their own heading; `xc --help` lists the commands before the
 * flags; `-V` / `--version` print the version, while `deploy record --version V`
 * stays the deployed version.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { runXc } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = buildProgram(() => async () => undefined);
const commandAt = (...names: string[]) => names.reduce((c: Command, n) => c.commands.find((sub) => sub.name() === n)!, program);
/** The flags of each section of a help text, by heading: `{ 'Options:': ['--app', ...] }`. */
function sections(help: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let heading = '';
  for (const line of help.split('\n')) {
    if (/^\S.*:$/.test(line)) out[(heading = line)] = [];
    else if (heading && /^ {2}\S/.test(line)) out[heading]!.push(line.trim().split(/[ ,]/)[0]!);
  }
  return out;
}

describe('--help', () => {
  it('deploy record: its own flags (--app, --version, --env, --level) first, then the global ones', () => {
    const help = commandAt('deploy', 'record').helpInformation();
    const s = sections(help);
    expect(Object.keys(s)).toEqual(['Options:', 'Global Options:']);
    expect(s['Options:']).toEqual(['--app', '--version', '--env', '--level', '-h']);
    expect(s['Global Options:']).toEqual(expect.arrayContaining(['--url', '--knexfile', '--knex-env', '--dir', '--json']));
    expect(s['Global Options:']).not.toContain('--env');
    expect(help).toMatch(/--env <name> +the deployment environment/);
    expect(help.indexOf('--level')).toBeLessThan(help.indexOf('Global Options:'));
  });

  it('apply: --to and --dry-run first; the globals after, without the deprecated --env', () => {
    const s = sections(commandAt('apply').helpInformation());
    expect(Object.keys(s)).toEqual(['Arguments:', 'Options:', 'Global Options:']);
    expect(s['Options:']).toEqual(['--to', '--dry-run', '-h']);
    expect(s['Global Options:']).toContain('--knex-env');
    expect(s['Global Options:']).not.toContain('--env');
    expect(s['Global Options:']).not.toContain('--app');
  });

  it('xc --help: the commands, then the flags, with -V, --version and no --xc-version', () => {
    const help = program.helpInformation();
    expect(Object.keys(sections(help))).toEqual(['Commands:', 'Options:']);
    expect(sections(help)['Options:'].slice(0, 3)).toEqual(['-V', '--url', '--knexfile']);
    expect(help).toMatch(/^ {2}-V, --version +print the version number$/m);
    expect(help).not.toContain('--xc-version');
    // xc deploy: its commands first too.
    expect(Object.keys(sections(commandAt('deploy').helpInformation()))).toEqual(['Commands:', 'Options:', 'Global Options:']);
  });
});

describe('-V', () => {
  it('xc -V and xc --version print the version', { timeout: 60_000 }, async () => {
    for (const flag of ['-V', '--version']) {
      const r = await runXc([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${VERSION}\n`, '']);
    }
  });

  it('beside other flags, before any command, too (campaign AC: "unknown option \'--version\' (Did you mean --version?)"); after one it is that command\'s', { timeout: 60_000 }, async () => {
    for (const args of [['--version', '--json'], ['--json', '-V'], ['--url', 'pglite://memory', '-V']]) {
      const r = await runXc(args);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${VERSION}\n`, '']);
    }
    expect((await runXc(['deploy', 'record', '--version'])).code).toBe(2);
  });

  it('a command\'s own flag before its name is named with the command that takes it and where it goes (campaign AF: "unknown option \'--version\' (Did you mean --version?)")', { timeout: 90_000 }, async () => {
    for (const [args, flag] of [
      [['--version', 'v4', 'deploy', 'record', '--app', 'shop'], '--version'],
      [['deploy', '--app', 'shop', '--version', 'v4', 'record'], '--app'],
    ] as const) {
      const r = await runXc([...args, '--url', 'pglite://memory']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unknown option '${flag}' here: it is an option of xc deploy record — give it after the command's name (xc deploy record ${flag} …)`);
      expect(r.stderr).not.toContain('Did you mean');
    }
    expect((await runXc(['plan', '--bogus'])).stderr).toContain("unknown option '--bogus'\n");
  });

  it('a flag of one value given twice is refused, naming it and not its values (commander kept the last: `deploy record --version v3 … --version v4` recorded v4); a list\'s flag takes several', { timeout: 90_000 }, async () => {
    const db = 'pglite://memory';
    for (const [args, flag] of [
      [['deploy', 'record', '--app', 'shop', '--version', 'v3', '--version=v4', '--url', db], '--version'],
      [['status', '--url', 'postgres://u:s3cret@127.0.0.1:1/x', '--url', db], '--url'],
      [['--url', db, 'status', '--url', db], '--url'],
    ] as const) {
      const r = await runXc([...args]);
      expect([r.code, r.stderr]).toEqual([2, `xc: ${flag} was given 2 times: give it once\n(exit 2: invalid input, as the files and the database stand; nothing was executed)\n`]);
      expect(r.stdout).toBe('');
    }
    const listed = await runXc(['status', '--url', db, '--dir', '/nonexistent-xc-dir', '--replica', 'postgres://127.0.0.1:1/a', '--replica', 'postgres://127.0.0.1:1/b', '--json']);
    expect(listed.stdout + listed.stderr).not.toContain('given 2 times');
  });
});
