/**
 * The ready-to-copy pipelines in migrations-examples/pipelines are valid: the
 * YAML parses, the GitHub workflow and the Kubernetes manifests have the
 * expected shape, and every `xc ...` command line they run is accepted by the
 * real CLI parser with each flag reaching the command — so renaming a flag or
 * a command breaks this test, not a user's deploy.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildProgram, type Action } from '../../src/cli/main.js';

const DIR = fileURLToPath(new URL('../../migrations-examples/pipelines/', import.meta.url));
const FILES = ['github-actions.yml', 'kubernetes.yaml', 'deploy.sh'];
const read = (name: string) => readFileSync(path.join(DIR, name), 'utf8');

/** Shell/YAML placeholders (`$APP`, `${VAR}`, `$(VAR)`, `${{ expr }}`) become a plain value. */
const substitute = (s: string) => s.replace(/\$\{\{[^}]*\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$[A-Za-z_][A-Za-z0-9_]*/g, 'placeholder');

/**
 * The words of a command line, shell-style, up to where the command ends:
 * `;`, `|`, `&`, a redirection, `)`, `}`, a comment, or the end of the quoted
 * string the command was written in (a quote that does not close).
 */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"' || ch === "'") {
      const end = line.indexOf(ch, i + 1);
      if (end < 0) break;
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (';|&<>)}#'.includes(ch)) {
      break;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Every `xc <command> ...` (or `npx xc ...`) outside comments, as argv after `xc`. */
export function xcCommandLines(text: string): string[][] {
  const found: string[][] = [];
  for (const raw of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    if (raw.trimStart().startsWith('#')) continue;
    const line = substitute(raw);
    for (const m of line.matchAll(/(?:^|[\s"'`(;|&{])(?:npx\s+(?:--no-install\s+)?)?xc\s+(?=[a-z])/g)) {
      found.push(shellWords(line.slice(m.index + m[0].length)));
    }
  }
  return found;
}

interface Parsed {
  program: Command;
  /** The command whose action ran. */
  leaf?: Command;
  error?: CommanderError;
}

/** Parse `xc ...args` with the real program and a no-op action, usage errors caught instead of printed. */
async function parse(args: string[]): Promise<Parsed> {
  const parsed: Partial<Parsed> = {};
  const noop = ((_handler: unknown) => async (...a: unknown[]) => {
    parsed.leaf = a[a.length - 1] as Command;
  }) as Action;
  const program = buildProgram(noop);
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['node', 'xc', ...args]);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    parsed.error = err;
  }
  return { ...parsed, program };
}

const commandPath = (cmd: Command): string => (cmd.parent ? `${commandPath(cmd.parent)} ${cmd.name()}`.trim() : '');

describe('pipeline examples', () => {
  it('are all there', () => {
    expect(readdirSync(DIR).sort()).toEqual([...FILES].sort());
  });

  it('every YAML file parses', () => {
    const yamls = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
    expect(yamls.length).toBeGreaterThanOrEqual(2);
    for (const f of yamls) {
      const docs = YAML.parseAllDocuments(read(f));
      for (const d of docs) expect(d.errors.map((e) => `${f}: ${e.message}`)).toEqual([]);
      expect(docs.length).toBeGreaterThan(0);
    }
  });

  it('the GitHub workflow: pre-deploy check --apply, deploy with record, a scheduled contract that retries on exit 3', () => {
    const wf = YAML.parse(read('github-actions.yml')) as any;
    expect(Object.keys(wf.jobs)).toEqual(['pre-deploy', 'deploy', 'contract']);
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['push', 'schedule', 'workflow_dispatch']));
    expect(wf.env.XC_DATABASE_URL).toBe('${{ secrets.XC_DATABASE_URL }}');
    const runs = (job: string) => (wf.jobs[job].steps as { run?: string }[]).map((s) => s.run ?? '').join('\n');
    expect(runs('pre-deploy')).toContain('npx xc check --app "$APP" --version "$GITHUB_SHA" --apply');
    expect(wf.jobs.deploy.needs).toBe('pre-deploy');
    expect(runs('deploy')).toContain('npx xc deploy record --app "$APP" --version "$GITHUB_SHA" --env production');
    expect(wf.jobs.contract.if).toMatch(/schedule/);
    expect(runs('contract')).toContain('npx xc contract');
    expect(runs('contract')).toMatch(/"\$code" -eq 3[\s\S]*exit 0/);
    for (const job of Object.values(wf.jobs) as any[]) expect(job['runs-on']).toBeTruthy();
  });

  it('Kubernetes: PreSync check --apply, PostSync deploy record, a CronJob contract, the app named app@version', () => {
    const docs = YAML.parseAllDocuments(read('kubernetes.yaml')).map((d) => d.toJS() as any);
    const script = (podSpec: any) => (podSpec.containers as any[]).map((c) => [...(c.command ?? []), ...(c.args ?? [])].join(' ')).join('\n');
    const hook = (name: string) => docs.find((d) => d.kind === 'Job' && d.metadata.annotations?.['argocd.argoproj.io/hook'] === name);
    expect(script(hook('PreSync').spec.template.spec)).toMatch(/xc check --app shop --version "\$APP_VERSION" --apply/);
    expect(script(hook('PostSync').spec.template.spec)).toMatch(/xc deploy record --app shop --version "\$APP_VERSION" --env production/);
    const cron = docs.find((d) => d.kind === 'CronJob');
    expect(cron.spec.schedule).toBeTruthy();
    expect(script(cron.spec.jobTemplate.spec.template.spec)).toMatch(/xc contract \|\| \{ code=\$\?; \[ "\$code" -eq 3 \]/);
    const app = docs.find((d) => d.kind === 'Deployment');
    const env = app.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'PGAPPNAME')?.value).toBe('shop@$(APP_VERSION)');
    // $(APP_VERSION) expands only if APP_VERSION is defined before it.
    expect(env.findIndex((e) => e.name === 'APP_VERSION')).toBeLessThan(env.findIndex((e) => e.name === 'PGAPPNAME'));
  });

  it('deploy.sh: strict bash that parses, handling exit 3', () => {
    const sh = read('deploy.sh');
    expect(sh.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(sh).toMatch(/^set -euo pipefail$/m);
    expect(sh).toMatch(/"\$code" -eq 3/);
    const syntax = spawnSync('bash', ['-n', path.join(DIR, 'deploy.sh')], { encoding: 'utf8' });
    if (syntax.error) return; // no bash here: the rest still holds
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
  });

  it('finds the xc command lines of each file', () => {
    const commands = (f: string) => new Set(xcCommandLines(read(f)).map((w) => (w[0] === 'deploy' ? `deploy ${w[1]}` : w[0])));
    for (const f of FILES) {
      expect([...commands(f)].sort(), f).toEqual(['check', 'contract', 'deploy list', 'deploy record', 'deploy retire']);
    }
  });

  describe.each(FILES)('%s: every xc command line is accepted by the CLI', (file) => {
    it.each(xcCommandLines(read(file)).map((w) => [w.join(' '), w] as const))('xc %s', async (_line, words) => {
      const { program, leaf, error } = await parse(words);
      expect(error?.message, `usage error for: xc ${words.join(' ')}`).toBeUndefined();
      expect(leaf, 'no command ran').toBeDefined();
      expect(commandPath(leaf!)).toBe(words[0] === 'deploy' ? `deploy ${words[1]}` : words[0]);
      // Every flag on the line reaches the command that declares it: its own option if it has one, else the global one.
      for (const word of words.filter((w) => w.startsWith('--'))) {
        const flag = word.split('=')[0]!;
        const own = leaf!.options.find((o) => o.long === flag);
        const global = program.options.find((o) => o.long === flag);
        expect(own ?? global, `xc ${words.join(' ')}: no option ${flag}`).toBeDefined();
        if (own) {
          expect(leaf!.getOptionValue(own.attributeName()), `xc ${words.join(' ')}: ${flag} does not reach \`xc ${commandPath(leaf!)}\``).toBeDefined();
        } else {
          expect(program.getOptionValue(global!.attributeName())).toBeDefined();
        }
      }
    });
  });
});
