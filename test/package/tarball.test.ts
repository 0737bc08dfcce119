/**
 * The package as users get it: `npm pack` (which runs `prepare`, the build), the tarball installed into a
 * scratch app, then used from ESM (`import`), from CommonJS (`require`, Node ≥ 20.19 loads the ES module),
 * from TypeScript in a CommonJS file, and through its `xc` bin with `npx`. Also: the README's links work on
 * the npm page (no repository URL to resolve relative links against: only in-page anchors), and every
 * shipped path it names is in the tarball.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, type Run } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SPAWN_TIMEOUT = 240_000;


function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  // Not the test run's XC_* settings (XC_FORCE_SOURCE would be ignored anyway: the package has no src/).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(XC_|DATABASE_URL$)/.test(k)));
  return collect(spawn(cmd, args, { cwd, env: { ...env, NO_COLOR: '1' } }));
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The scratch app's lock file: the tarball plus exactly the production packages of this repository's lock
 * (same versions, same layout, dev-only ones left out). With it `npm ci --offline` installs from the npm
 * cache that this repository's own `npm ci` filled, so the test needs no network, and a dependency the
 * package imports but lists only in devDependencies is missing, as it would be for users.
 */
function writeScratchApp(app: string, tarball: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'scratch-app', dependencies: { 'expand-contract': spec } },
    'node_modules/expand-contract': { version: pkg.version, resolved: spec, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [where, entry] of Object.entries(lock.packages)) if (where && !entry.dev) packages[where] = entry;
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, dependencies: { 'expand-contract': spec } }));
  fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'scratch-app', lockfileVersion: 3, requires: true, packages }));
}

const MIGRATIONS: Record<string, string> = {
  '0001_users.ts': `import { defineMigration } from 'expand-contract';
export default defineMigration({ operations: [{ createTable: { table: 'users', columns: [
  { name: 'id', type: 'bigserial', primaryKey: true }, { name: 'name', type: 'text' }] } }] });
`,
  '0002_rename.json': JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }),
};

/** The same program as ESM and as CommonJS: apply both migrations on PGlite, then contract, refused by the gate. */
function program(load: string): string {
  return `${load}
const m = { operations: [{ dropColumn: { table: 'users', column: 'x' } }] };
const xc = createXc({ url: 'pglite://memory', dir: 'migrations' });
const out = { defined: defineMigration(m) === m };
try {
  out.applied = (await xc.apply()).migrations.map((r) => [r.id, r.phase]);
  out.status = (await xc.status()).migrations.map((s) => [s.id, s.phase]);
  await xc.contract().catch((err) => { out.contract = [err instanceof RefusedError, err.code, err.exitCode]; });
} finally {
  await xc.close();
}
console.log(JSON.stringify(out));
`;
}

const EXPECTED = {
  defined: true,
  applied: [['0001_users', 'backfilled'], ['0002_rename', 'backfilled']],
  status: [['0001_users', 'backfilled'], ['0002_rename', 'backfilled']],
  contract: [true, 'gate_refused', 3],
};

let tmp: string;
let app: string;
let packed: { filename: string; version: string; files: { path: string }[] };
let shipped: string[];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xc-package-'));
  // A file no source makes: the build must start from an empty dist/, or a removed module would ship.
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'dist', 'stale-probe.js'), 'export {};\n');
  [packed] = JSON.parse(await ok('npm', ['pack', '--json', '--pack-destination', tmp], ROOT));
  shipped = packed.files.map((f) => f.path);
  app = path.join(tmp, 'app');
  fs.mkdirSync(path.join(app, 'migrations'), { recursive: true });
  writeScratchApp(app, path.join(tmp, packed.filename));
  for (const [name, text] of Object.entries(MIGRATIONS)) fs.writeFileSync(path.join(app, 'migrations', name), text);
  fs.writeFileSync(path.join(app, 'esm.mjs'), program("import { createXc, defineMigration, RefusedError } from 'expand-contract';"));
  // CommonJS has no top-level await: the same body inside an async function.
  fs.writeFileSync(path.join(app, 'cjs.cjs'), `const { createXc, defineMigration, RefusedError } = require('expand-contract');\n(async () => {\n${program('')}})();\n`);
  await ok('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
}, 2 * SPAWN_TIMEOUT);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm package', () => {
  it('ships the build, the bin, the README and what it names; no sources or tests', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'BENCHMARKS.md', 'RELIABILITY.md', 'bin/xc', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'migrations-examples/0001_create_users.json', 'migrations-examples/pipelines/github-actions.yml']) {
      expect(shipped).toContain(f);
    }
    expect(shipped.filter((f) => /^(src|test|bench|node_modules|\.ci)\//.test(f) || f === 'dist/stale-probe.js')).toEqual([]);
  });

  it('is imported from ESM and required from CommonJS, the one module either way', { timeout: SPAWN_TIMEOUT }, async () => {
    const [esm, cjs] = await Promise.all([run('node', ['esm.mjs'], app), run('node', ['cjs.cjs'], app)]);
    expect(JSON.parse(esm.stdout), esm.stderr).toEqual(EXPECTED);
    expect(JSON.parse(cjs.stdout), cjs.stderr).toEqual(EXPECTED);
    // require() of the ES module prints no ExperimentalWarning (or anything else) on the Node the tests run on.
    expect(cjs.stderr).toBe('');
    const resolved = await ok('node', ['-p', "require.resolve('expand-contract')"], app);
    expect(resolved.trim()).toBe(path.join(fs.realpathSync(app), 'node_modules/expand-contract/dist/index.js'));
  });

  it("types TypeScript's CommonJS files, whose build then runs", { timeout: SPAWN_TIMEOUT }, async () => {
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'out', types: [] },
      files: ['typed.cts'],
    }));
    const tsc = [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'];
    const typed = (result: string) => `import { createXc, type StatusResult } from 'expand-contract';
const xc = createXc({ url: 'pglite://memory', dir: 'migrations' });
const s: Promise<${result}> = xc.status();
s.then((r) => console.log(JSON.stringify(r.migrations.map((m) => [m.id, m.phase])))).finally(() => xc.close());
`;
    fs.writeFileSync(path.join(app, 'typed.cts'), typed('StatusResult'));
    expect(await run('node', tsc, app)).toMatchObject({ code: 0, stdout: '' });
    // tsc made it a require() of the package
    expect(fs.readFileSync(path.join(app, 'out/typed.cjs'), 'utf8')).toContain('require("expand-contract")');
    expect(JSON.parse(await ok('node', ['out/typed.cjs'], app))).toEqual([['0001_users', 'pending'], ['0002_rename', 'pending']]);
    // The types are real, not `any`: a wrong one is an error.
    fs.writeFileSync(path.join(app, 'typed.cts'), typed('number'));
    const wrong = await run('node', tsc, app);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toMatch(/typed\.cts.*TS2322.*'Promise<StatusResult>' is not assignable to type 'Promise<number>'/);
  });

  it('runs its bin from the installed build with npx', { timeout: SPAWN_TIMEOUT }, async () => {
    // --yes=false: the app's own bin or an error, never a download (`--no xc` would swallow `xc`).
    const npx = (...args: string[]) => ok('npx', ['--yes=false', 'xc', ...args], app);
    expect((await npx('--version')).trim()).toBe(packed.version);
    expect((await npx('level', '--dir', 'migrations')).trim()).toBe('0002_rename');
    const apply = await npx('apply', '--url', 'pglite://memory', '--dir', 'migrations', '--json');
    const result = JSON.parse(apply.trim().split('\n').at(-1)!);
    expect(result.migrations.map((m: { id: string; phase: string }) => [m.id, m.phase])).toEqual(EXPECTED.applied);
  });
});

/** GitHub's (and npm's) heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const line of outsideCodeBlocks(markdown)) {
    const heading = /^#{1,6} (.*)$/.exec(line)?.[1];
    if (!heading) continue;
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    let slug = base;
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}

function outsideCodeBlocks(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && !line.startsWith('```');
  });
}

describe('README on the npm page', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const prose = outsideCodeBlocks(readme).join('\n');

  it('links only to its own headings or absolute URLs (npm has no repository to resolve a relative link against)', () => {
    const slugs = headingSlugs(readme);
    const targets = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !(t.startsWith('#') ? slugs.has(t.slice(1)) : /^https?:\/\//.test(t)))).toEqual([]);
  });

  it('names only shipped example and document paths', () => {
    // `dir/`, `dir/file`, or a file name cut short with an ellipsis (`.../0052…`)
    const named = [...prose.matchAll(/`((?:migrations-examples|[A-Z]+\.md)[^`\s]*)`/g)].map((m) => m[1]!.replace(/\/$/, ''));
    expect(named.length).toBeGreaterThan(0);
    const isShipped = (p: string) => p.endsWith('…') ? shipped.some((f) => f.startsWith(p.slice(0, -1))) : shipped.some((f) => f === p || f.startsWith(`${p}/`));
    expect(named.filter((p) => !isShipped(p))).toEqual([]);
  });
});
