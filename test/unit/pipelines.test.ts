/**
 * The ready-to-copy pipelines in migrations-examples/pipelines are valid: the
 * YAML parses, the GitHub workflow and the Kubernetes manifests have the
 * expected shape, and every `xc ...` command line they run is accepted by the
 * real CLI parser with each flag reaching the command — so renaming a flag or
 * a command breaks this test, not a user's deploy. Each script is then run
 * with a stand-in `npx xc` (and `kubectl`) that records what it was asked and
 * answers with a chosen exit code: the right commands run, in order, and an
 * exit 3 of the gate stops a deploy but not a scheduled contract.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram, type Action } from '../../src/cli/main.js';

const DIR = fileURLToPath(new URL('../../migrations-examples/pipelines/', import.meta.url));
const FILES = ['github-actions.yml', 'kubernetes.yaml', 'deploy.sh', 'fleet-kubernetes.yaml', 'fleet-github-actions.yml'];
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
/** The command a line runs: `check`, `deploy record`, `fleet apply`, `fleet deploy record`. */
const commandOf = (words: string[]): string => {
  const depth = words[0] === 'deploy' ? 2 : words[0] === 'fleet' ? (words[1] === 'deploy' ? 3 : 2) : 1;
  return words.slice(0, depth).join(' ');
};

const workflow = () => YAML.parse(read('github-actions.yml')) as any;
const kubernetes = (file = 'kubernetes.yaml') => YAML.parseAllDocuments(read(file)).map((d) => d.toJS() as any);
const hook = (docs: any[], name: string) => docs.find((d) => d.kind === 'Job' && d.metadata.annotations?.['argocd.argoproj.io/hook'] === name);

/**
 * `it` for a test that runs these programs: where one is missing it is
 * skipped with the reason printed — or, under CI=true, fails (as
 * test/helpers/servers.ts does for the databases). Never passes unrun.
 */
function itWith(programs: string[]): typeof it {
  const missing = programs.filter((p) => (spawnSync(p, ['--version']).error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT');
  if (missing.length === 0) return it;
  const why = `${missing.join(', ')} not found on PATH`;
  if (process.env.CI === 'true') return ((name: string) => it(name, () => expect.fail(`${why}: this test cannot run under CI=true`))) as unknown as typeof it;
  console.warn(`skipping pipeline runs: ${why}`);
  return it.skip as unknown as typeof it;
}

const stubs = mkdtempSync(path.join(tmpdir(), 'xc-pipeline-'));
afterAll(() => rmSync(stubs, { recursive: true, force: true }));
/**
 * A stand-in `npx` that runs only `xc`: it appends each command line it gets
 * to $STUB_LOG, prints $STUB_DEPLOY_LIST for `deploy list`, and exits with
 * $STUB_EXIT_<command> (0 when unset); `kubectl` is recorded and succeeds.
 */
writeFileSync(
  path.join(stubs, 'npx'),
  `#!/bin/sh
[ "$1" = "--no-install" ] && shift
[ "$1" = "xc" ] || { echo "stand-in npx runs only xc, not: $*" >&2; exit 127; }
shift
echo "xc $*" >> "$STUB_LOG"
[ "$1 $2" = "deploy list" ] && printf '%s\\n' "$STUB_DEPLOY_LIST"
[ "$1" = "status" ] && printf '%s\\n' "$STUB_STATUS"
eval "exit \\\${STUB_EXIT_$1:-0}"
`,
);
writeFileSync(path.join(stubs, 'kubectl'), `#!/bin/sh\necho "kubectl $*" >> "$STUB_LOG"\n`);
for (const f of ['npx', 'kubectl']) chmodSync(path.join(stubs, f), 0o755);

interface Ran {
  code: number | null;
  /** What the script asked of xc and kubectl, one command line each, in order. */
  calls: string[];
  stderr: string;
}

/** The deployments `xc deploy list --json` reports: v1 live, v0 retired, and the version being deployed. */
const deployList = (current: string) =>
  JSON.stringify({
    ok: true,
    deployments: [
      { app: 'shop', env: 'production', version: 'v1', retiredAt: null },
      { app: 'shop', env: 'production', version: 'v0', retiredAt: '2026-01-01T00:00:00Z' },
      { app: 'shop', env: 'production', version: current, retiredAt: null },
      { app: 'billing', env: 'production', version: 'b7', retiredAt: null },
    ],
  });

/** Run `argv` with the stand-ins first on PATH; `exits` are the codes xc answers per command. */
function runWithStubs(argv: string[], env: Record<string, string>, exits: Record<string, number> = {}, cwd?: string): Ran {
  const log = path.join(stubs, `log-${Math.random().toString(36).slice(2)}`);
  writeFileSync(log, '');
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: `${stubs}${path.delimiter}${process.env.PATH}`,
      HOME: process.env.HOME ?? tmpdir(),
      STUB_LOG: log,
      STUB_DEPLOY_LIST: deployList(env.VERSION_UNDER_TEST ?? ''),
      STUB_STATUS: JSON.stringify({ ok: true, migrations: [{ id: '0001_a', phase: 'contracted' }, { id: '0002_b', phase: 'backfilled' }] }),
      ...Object.fromEntries(Object.entries(exits).map(([k, v]) => [`STUB_EXIT_${k}`, String(v)])),
      ...env,
    },
  });
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  rmSync(log);
  return { code: r.status, calls, stderr: r.stderr };
}

/** A workflow step's script, run as GitHub runs it: `shell: bash` is bash -eo pipefail; the default, bash -e. */
function runStep(step: { run: string; shell?: string }, exits: Record<string, number> = {}): Ran {
  const script = step.run.replace(/\$\{\{\s*github\.repository\s*\}\}/g, 'acme/shop');
  expect(script, 'an expression the runner would fill in').not.toMatch(/\$\{\{/);
  const shell = step.shell === 'bash' ? ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'] : ['bash', '-e', '-c'];
  return runWithStubs([...shell, script], { APP: 'shop', GITHUB_SHA: 'abc123', VERSION_UNDER_TEST: 'abc123', XC_DATABASE_URL: 'postgres://db/shop' }, exits);
}
const stepNamed = (job: string, name: string) => (workflow().jobs[job].steps as { name?: string; run: string; shell?: string }[]).find((s) => s.name === name)!;

/** A pod's container command, run as Kubernetes runs it (here: /bin/sh -c script), with the container's plain env values. */
function runPod(podSpec: any, exits: Record<string, number> = {}, extraEnv: Record<string, string> = {}): Ran {
  const [container] = podSpec.containers as any[];
  const env = Object.fromEntries(((container.env ?? []) as { name: string; value?: string }[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  return runWithStubs([...container.command, ...(container.args ?? [])], { ...env, XC_DATABASE_URL: 'postgres://db/shop', VERSION_UNDER_TEST: env.APP_VERSION ?? '', ...extraEnv }, exits);
}

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

  it('the GitHub workflow: a pre-deploy job on push, deploy after it, a scheduled contract (what each runs: below)', () => {
    const wf = workflow();
    expect(Object.keys(wf.jobs)).toEqual(['pre-deploy', 'deploy', 'contract']);
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['push', 'schedule', 'workflow_dispatch']));
    expect(wf.env.XC_DATABASE_URL).toBe('${{ secrets.XC_DATABASE_URL }}');
    expect(wf.jobs['pre-deploy'].if).toMatch(/push/);
    expect(wf.jobs.deploy.needs).toBe('pre-deploy');
    expect(wf.jobs.contract.if).toMatch(/schedule/);
    for (const job of Object.values(wf.jobs) as any[]) expect(job['runs-on']).toBeTruthy();
  });

  it('Kubernetes: PreSync and PostSync hook jobs, a CronJob, the app named app@version (what each runs: below)', () => {
    const docs = kubernetes();
    expect(hook(docs, 'PreSync')).toBeDefined();
    expect(hook(docs, 'PostSync')).toBeDefined();
    const cron = docs.find((d) => d.kind === 'CronJob');
    expect(cron.spec.schedule).toBeTruthy();
    const app = docs.find((d) => d.kind === 'Deployment');
    const env = app.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'PGAPPNAME')?.value).toBe('shop@$(APP_VERSION)');
    // $(APP_VERSION) expands only if APP_VERSION is defined before it.
    expect(env.findIndex((e) => e.name === 'APP_VERSION')).toBeLessThan(env.findIndex((e) => e.name === 'PGAPPNAME'));
  });

  itWith(['bash'])('deploy.sh: strict bash that parses (how it handles exit 3: below)', () => {
    const sh = read('deploy.sh');
    expect(sh.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(sh).toMatch(/^set -euo pipefail$/m);
    const syntax = spawnSync('bash', ['-n', path.join(DIR, 'deploy.sh')], { encoding: 'utf8' });
    expect(syntax.error).toBeUndefined();
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
  });

  it('finds the xc command lines of each file', () => {
    const commands = (f: string) => [...new Set(xcCommandLines(read(f)).map(commandOf))].sort();
    for (const f of ['github-actions.yml', 'kubernetes.yaml']) {
      expect(commands(f), f).toEqual(['check', 'contract', 'deploy list', 'deploy record', 'deploy retire']);
    }
    expect(commands('deploy.sh')).toEqual(['check', 'contract', 'deploy list', 'deploy record', 'deploy retire', 'rollback', 'status']);
    expect(commands('fleet-kubernetes.yaml')).toEqual(['fleet apply', 'fleet check', 'fleet contract', 'fleet deploy record', 'fleet deploy retire']);
    expect(commands('fleet-github-actions.yml')).toEqual(['apply', 'fleet check']);
  });

  describe.each(FILES)('%s: every xc command line is accepted by the CLI', (file) => {
    it.each(xcCommandLines(read(file)).map((w) => [w.join(' '), w] as const))('xc %s', async (_line, words) => {
      const { program, leaf, error } = await parse(words);
      expect(error?.message, `usage error for: xc ${words.join(' ')}`).toBeUndefined();
      expect(leaf, 'no command ran').toBeDefined();
      expect(commandPath(leaf!)).toBe(commandOf(words));
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

describe('pipeline examples, run with a stand-in xc', () => {
  const run = itWith(['bash', 'sh', 'node', 'jq']);

  run('GitHub pre-deploy: check --apply for this commit; exit 3 fails the job, so nothing deploys', () => {
    const step = stepNamed('pre-deploy', 'Pre-deploy gate (may this build go live?)');
    const ok = runStep(step);
    expect(ok).toMatchObject({ code: 0, calls: ['xc check --app shop --version abc123 --apply --wait-lock 600'] });
    expect(runStep(step, { check: 3 }).code).toBe(3);
  });

  run('GitHub deploy: records this commit, then retires each other version live in production, and only those', () => {
    expect(runStep(stepNamed('deploy', 'Record the deployment'))).toMatchObject({ code: 0, calls: ['xc deploy record --app shop --version abc123 --env production'] });
    const retire = runStep(stepNamed('deploy', 'Retire the versions it replaced'));
    expect(retire).toMatchObject({ code: 0, calls: ['xc deploy list --json', 'xc deploy retire --app shop --version v1 --env production'] });
    expect(runStep(stepNamed('deploy', 'Record the deployment'), { deploy: 1 }).code).toBe(1);
  });

  run('GitHub contract: exit 3 of the gate is not a failure (the next run retries); any other failure is', () => {
    const step = stepNamed('contract', 'Contract (retried by the next run on exit 3)');
    expect(runStep(step)).toMatchObject({ code: 0, calls: ['xc contract'] });
    expect(runStep(step, { contract: 3 }).code).toBe(0);
    for (const code of [1, 4, 5]) expect(runStep(step, { contract: code }).code).toBe(code);
  });

  run('Kubernetes: PreSync checks --apply (exit 3 fails the sync), PostSync records and retires the others, the CronJob contracts treating exit 3 as done', () => {
    const docs = kubernetes();
    const pre = hook(docs, 'PreSync').spec.template.spec;
    expect(runPod(pre)).toMatchObject({ code: 0, calls: ['xc check --app shop --version v42 --apply --wait-lock 600'] });
    expect(runPod(pre, { check: 3 }).code).toBe(3);
    const post = hook(docs, 'PostSync').spec.template.spec;
    expect(runPod(post)).toMatchObject({ code: 0, calls: ['xc deploy record --app shop --version v42 --env production', 'xc deploy list --json', 'xc deploy retire --app shop --version v1 --env production'] });
    expect(runPod(post, { deploy: 1 })).toMatchObject({ code: 1, calls: ['xc deploy record --app shop --version v42 --env production'] });
    const cron = docs.find((d) => d.kind === 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(runPod(cron)).toMatchObject({ code: 0, calls: ['xc contract'] });
    expect(runPod(cron, { contract: 3 }).code).toBe(0);
    for (const code of [1, 4]) expect(runPod(cron, { contract: code }).code).toBe(code);
  });

  run('deploy.sh: check --apply, roll out, record, retire the old version once its pods are gone, contract; exit 3 of the check stops it before the rollout, of the contract does not fail it', () => {
    const deploy = (exits: Record<string, number> = {}) => runWithStubs(['bash', path.join(DIR, 'deploy.sh'), 'v2'], { XC_DATABASE_URL: 'postgres://db/shop', VERSION_UNDER_TEST: 'v2' }, exits);
    const ok = deploy();
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.calls).toEqual([
      'xc check --app shop --version v2 --apply --wait-lock 600',
      'xc deploy list --json',
      'kubectl set image deployment/shop app=registry.example.com/shop:v2',
      'kubectl rollout status deployment/shop --timeout=15m',
      'xc deploy record --app shop --version v2 --env production',
      'kubectl wait --for=delete pod -l app=shop,version=v1 --timeout=15m',
      'xc deploy retire --app shop --version v1 --env production',
      'xc status --json',
      'xc contract',
    ]);
    const refused = deploy({ check: 3 });
    expect(refused).toMatchObject({ code: 3, calls: ['xc check --app shop --version v2 --apply --wait-lock 600'] });
    expect(refused.stderr).toContain('deploy aborted');
    expect(deploy({ contract: 3 })).toMatchObject({ code: 0, calls: ok.calls });
    expect(deploy({ contract: 1 }).code).toBe(1);
    // A rollback deploy: this build lacks migrations the database has begun (campaign EQ: contract exit 2 failed it).
    const back = runWithStubs(['bash', path.join(DIR, 'deploy.sh'), 'v2'], {
      XC_DATABASE_URL: 'postgres://db/shop', VERSION_UNDER_TEST: 'v2',
      STUB_STATUS: JSON.stringify({ ok: true, migrations: [{ id: '0002_b', phase: 'contracted' }, { id: '0003_c', phase: 'backfilled', missingFile: true }, { id: '0004_d', phase: 'rolled_back', missingFile: true }] }),
    });
    expect(back).toMatchObject({ code: 0, calls: ok.calls.slice(0, -1) });
    expect(back.stderr).toContain('shop@v2 lacks migrations the database has begun (0003_c): a rollback deploy');
  });

  const tenantUrls = { TENANT_ACME_URL: 'postgres://u:pw@acme/db', TENANT_GLOBEX_URL: 'postgres://u:pw@globex/db', TENANT_INITECH_URL: 'postgres://u:pw@initech/db' };

  run('fleet on Kubernetes: PreSync applies on every tenant then gates (a non-zero exit fails the sync), PostSync records and retires on each, the CronJob contracts treating exit 3 as done; the targets file names each tenant', async () => {
    const docs = kubernetes('fleet-kubernetes.yaml');
    const { readTargets } = await import('../../src/fleet/targets.js');
    const targetsFile = path.join(stubs, 'targets.yaml');
    writeFileSync(targetsFile, docs.find((d) => d.kind === 'ConfigMap').data['targets.yaml']);
    expect(await readTargets(targetsFile, stubs, tenantUrls)).toEqual([
      { name: 'tenant-acme', url: tenantUrls.TENANT_ACME_URL },
      { name: 'tenant-globex', url: tenantUrls.TENANT_GLOBEX_URL },
      { name: 'tenant-initech', url: tenantUrls.TENANT_INITECH_URL },
    ]);
    const pre = hook(docs, 'PreSync').spec.template.spec;
    expect(pre.containers[0].env.find((e: any) => e.name === 'XC_TARGETS').value).toBe('/etc/xc/targets.yaml');
    expect(runPod(pre)).toMatchObject({ code: 0, calls: ['xc fleet apply --concurrency 8 --wait-lock 600', 'xc fleet check --app shop --version v42 --concurrency 8'] });
    for (const code of [1, 3, 5]) expect(runPod(pre, { fleet: code })).toMatchObject({ code, calls: ['xc fleet apply --concurrency 8 --wait-lock 600'] });
    const post = hook(docs, 'PostSync').spec.template.spec;
    expect(runPod(post)).toMatchObject({ code: 0, calls: ['xc fleet deploy record --app shop --version v42 --env production', 'xc fleet deploy retire --app shop --version v41 --env production'] });
    expect(runPod(post, { fleet: 1 })).toMatchObject({ code: 1, calls: ['xc fleet deploy record --app shop --version v42 --env production'] });
    const cron = docs.find((d) => d.kind === 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(runPod(cron, {}, tenantUrls)).toMatchObject({ code: 0, calls: ['xc fleet contract --targets /etc/xc/targets.yaml --concurrency 4'] });
    expect(runPod(cron, { fleet: 3 }).code).toBe(0);
    for (const code of [1, 4]) expect(runPod(cron, { fleet: code }).code).toBe(code);
  });

  run('fleet as a GitHub matrix: one apply per tenant with its URL, fail-fast off; the gate job checks every tenant from a targets file holding no password', async () => {
    const wf = YAML.parse(read('fleet-github-actions.yml')) as any;
    expect(Object.keys(wf.jobs)).toEqual(['migrate', 'gate']);
    expect(wf.jobs.migrate.strategy['fail-fast']).toBe(false);
    expect(wf.jobs.gate.needs).toBe('migrate');
    const tenants = wf.jobs.migrate.strategy.matrix.target as string[];
    const apply = wf.jobs.migrate.steps.find((st: any) => st.name === 'Apply on one tenant');
    expect(apply.env.TARGET_URL).toBe("${{ secrets[format('DB_URL_{0}', matrix.target)] }}");
    expect(runWithStubs(['bash', '-e', '-c', apply.run], { TARGET_URL: 'postgres://u:pw@acme/db' })).toMatchObject({ code: 0, calls: ['xc apply --url postgres://u:pw@acme/db --wait-lock 600'] });
    const gate = wf.jobs.gate.steps.find((st: any) => st.name === 'Gate on every tenant');
    // The gate job's environment has each tenant's secret the matrix uses.
    expect(Object.keys(gate.env).sort()).toEqual(tenants.map((t) => `DB_URL_${t}`).sort());
    const cwd = mkdtempSync(path.join(stubs, 'gate-'));
    const env = { APP: 'shop', GITHUB_SHA: 'abc123', DB_URL_ACME: 'postgres://u:pw@acme/db', DB_URL_GLOBEX: 'postgres://u:pw@globex/db', DB_URL_INITECH: 'postgres://u:pw@initech/db' };
    expect(runWithStubs(['bash', '-e', '-c', gate.run], env, {}, cwd)).toMatchObject({ code: 0, calls: ['xc fleet check --app shop --version abc123 --targets targets.txt'] });
    expect(readFileSync(path.join(cwd, 'targets.txt'), 'utf8')).not.toContain('pw@');
    const { readTargets } = await import('../../src/fleet/targets.js');
    expect(await readTargets('targets.txt', cwd, env)).toEqual([
      { name: 'acme', url: env.DB_URL_ACME },
      { name: 'globex', url: env.DB_URL_GLOBEX },
      { name: 'initech', url: env.DB_URL_INITECH },
    ]);
    expect(runWithStubs(['bash', '-e', '-c', gate.run], env, { fleet: 3 }, cwd).code).toBe(3);
  });
});
