/**
 * Start-up cost (issue 14.1): each command loads only what it uses. The CLI
 * runs with a preload that records every module the process resolves
 * (test/helpers/record-modules.mjs); the packages among them are checked:
 * --help, --version and level load no driver and no validator, a postgres://
 * URL loads pg alone, a mysql:// URL mysql2 alone. (Run from the source, so
 * jiti itself is always there: it runs the TypeScript.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, collect, xcEnv, type Run } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

const RECORDER = path.resolve(import.meta.dirname, '../helpers/record-modules.mjs');
const DRIVERS = ['pg', 'mysql2', '@electric-sql/pglite', 'knex'];
/** A dialect's DDL builders and catalog reader (dialects/<db>/ddlKit.ts and what it loads): only commands that plan load them. */
const DIALECT_DDL = /\/src\/dialects\/(postgres|mysql)\/(ddlKit|ddl|catalog|keyswap|tables)\.ts$/;
/** Spawning from the source costs seconds on a loaded box. */
const TIMEOUT = 120_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xc-startup-'));
  await writeFile(path.join(dir, '0001_users.json'), JSON.stringify({ operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }] } }] }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Run xc with `args` (in `cwd`, default the folder above); the npm packages it loaded, by name. */
async function packagesLoaded(args: string[], env: Record<string, string> = {}, cwd = dir): Promise<{ run: Run; packages: Set<string>; files: string[] }> {
  const log = path.join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(log, '');
  const run = await collect(spawn(process.execPath, ['--import', RECORDER, BIN, ...args], { cwd, env: xcEnv({ ...env, XC_RECORD_MODULES: log }) }));
  const packages = new Set<string>();
  const files = (await readFile(log, 'utf8')).split('\n');
  for (const line of files) {
    // The last node_modules/ in the path names the package the file belongs to.
    const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(line);
    if (m) packages.add(m[1]!);
  }
  return { run, packages, files };
}

describe('xc start-up: what each command loads', () => {
  it('the recorder sees what is loaded (commander, always)', { timeout: TIMEOUT }, async () => {
    const { run, packages } = await packagesLoaded(['--version']);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(packages).toContain('commander');
  });

  for (const args of [['--help'], ['--version'], ['-V'], ['level', '--dir', '.'], ['level', '--help'], ['new', '--help']]) {
    it(`xc ${args.join(' ')}: no driver, no zod, no yaml`, { timeout: TIMEOUT }, async () => {
      const { run, packages } = await packagesLoaded(args);
      expect(run.code, run.stderr).toBe(0);
      if (args[0] === 'level' && args[1] === '--dir') expect(run.stdout).toBe('0001_users\n');
      for (const name of [...DRIVERS, 'zod', 'yaml']) expect([...packages], name).not.toContain(name);
    });
  }
});

for (const target of targets) {
  target.describe(`xc start-up against ${target.name}: its driver only`, () => {
    const [own, other] = target.name === 'postgres' ? ['pg', 'mysql2'] : ['mysql2', 'pg'];
    for (const args of [['status'], ['check', '--app', 'a', '--version', 'v']]) {
      it(`xc ${args.join(' ')} loads ${own}, not ${other}, PGlite or knex`, { timeout: TIMEOUT }, async () => {
        const db = await target.create('xc_startup');
        try {
          const { run, packages, files } = await packagesLoaded([...args, '--dir', '.', '--json'], { XC_DATABASE_URL: db.url });
          // It did reach the database: status lists the migration pending; check refuses it (not applied: exit 3).
          const result = JSON.parse(run.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;
          if (args[0] === 'status') expect(result.migrations.map((m: { id: string; phase: string }) => `${m.id} ${m.phase}`)).toEqual(['0001_users pending']);
          else expect([run.code, result.error?.code]).toEqual([3, 'gate_refused']);
          expect([...packages]).toContain(own);
          for (const name of DRIVERS.filter((d) => d !== own)) expect([...packages], name).not.toContain(name);
          // Nor the planner and the phase runner (every operation, the backfill): they plan and change, these only read.
          expect(files.filter((f) => /\/src\/engine\/(planner|lifecycle)\.ts$/.test(f))).toEqual([]);
          // Nor the dialect's DDL builders and catalog reader: its core is loaded, they load when a command plans.
          expect(files.filter((f) => f.endsWith(`/src/dialects/${target.name}/core.ts`))).toHaveLength(1);
          expect(files.filter((f) => DIALECT_DDL.test(f))).toEqual([]);
        } finally {
          await db.drop();
        }
      });
    }
  });
}

/**
 * The gate and status read no file they do not need: check compares ids and phases (file names); both read the
 * files of started migrations (for drift) and, when one is what was applied, without the validator (zod).
 */
for (const target of targets) {
  target.describe(`xc check and status against ${target.name}: no parser, no validator for files they need not read`, () => {
    let folder: string;
    let mark: string;
    beforeAll(async () => {
      folder = await mkdtemp(path.join(os.tmpdir(), 'xc-startup-files-'));
      mark = path.join(folder, 'imported.log');
      // Columns without `nullable`: the validator fills in its default, so must the check of an unchanged file.
      await writeFile(path.join(folder, '0001_a.json'), JSON.stringify({ description: 'table a', operations: [{ createTable: { table: 'xs_a', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'v', type: 'text' }] } }] }));
      await writeFile(path.join(folder, '0002_b.yaml'), 'description: column w\noperations:\n  - addColumn: { table: xs_a, column: { name: w, type: text } }\n');
      await writeFile(
        path.join(folder, '0003_c.ts'),
        `import { appendFileSync } from 'node:fs';\nimport { defineMigration } from 'expand-contract';\nappendFileSync(${JSON.stringify(mark)}, 'imported\\n');\n` +
          `export default defineMigration({ description: 'table c', operations: [{ createTable: { table: 'xs_c', columns: [{ name: 'id', type: 'bigint', primaryKey: true }] } }] });\n`,
      );
    });
    afterAll(() => rm(folder, { recursive: true, force: true }));
    const imports = () => readFile(mark, 'utf8').then((t) => t.split('\n').length - 1, () => 0);
    const lastJson = (run: Run) => JSON.parse(run.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;
    const validator = (files: string[]) => files.filter((f) => /\/src\/migration\/(validate|schema)\.ts$/.test(f));

    it('pending files: check and status load no zod, no yaml, and import no TS migration; after apply, status reads them without zod', { timeout: 4 * TIMEOUT }, async () => {
      const db = await target.create('xc_startup_files');
      try {
        const env = { XC_DATABASE_URL: db.url };
        const check = await packagesLoaded(['check', '--app', 'a', '--version', 'v', '--dir', folder, '--json'], env, folder);
        expect([check.run.code, lastJson(check.run).error?.code], check.run.stderr).toEqual([3, 'gate_refused']);
        expect(lastJson(check.run).error.message).toMatch(/0001_a is pending[\s\S]*0002_b is pending[\s\S]*0003_c is pending/);
        const status = await packagesLoaded(['status', '--dir', folder, '--json'], env, folder);
        expect(lastJson(status.run).migrations.map((m: { id: string; phase: string }) => `${m.id} ${m.phase}`), status.run.stderr).toEqual(['0001_a pending', '0002_b pending', '0003_c pending']);
        for (const { packages, files } of [check, status]) {
          for (const name of ['zod', 'yaml']) expect([...packages], name).not.toContain(name);
          expect(validator(files)).toEqual([]);
        }
        expect(await imports()).toBe(0);

        const apply = await packagesLoaded(['apply', '--dir', folder], env, folder);
        expect(apply.run.code, apply.run.stderr).toBe(0);
        expect(apply.files.filter((f) => DIALECT_DDL.test(f)).length, 'apply plans: it loads the DDL builders').toBeGreaterThanOrEqual(4);
        expect(await imports()).toBe(1);
        const after = await packagesLoaded(['status', '--dir', folder, '--json'], env, folder);
        const rows = lastJson(after.run).migrations.map((m: Record<string, unknown>) => [m.id, m.phase, m.description, m.drift ?? false]);
        expect(rows, after.run.stderr).toEqual([['0001_a', 'backfilled', 'table a', false], ['0002_b', 'backfilled', 'column w', false], ['0003_c', 'backfilled', 'table c', false]]);
        expect(await imports()).toBe(2); // read again for drift
        expect([...after.packages]).toContain('yaml');
        expect([...after.packages]).not.toContain('zod');
        expect(validator(after.files)).toEqual([]);
      } finally {
        await db.drop();
      }
    });
  });
}
