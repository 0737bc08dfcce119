/**
 * `xc new` (issue 14, point 5): every format is written with an empty
 * `operations` list, so a forgotten file cannot change a table: `xc plan`
 * refuses it (exit 2, naming the file, saying to add an operation) and the
 * database is left as it was. An unknown --format exits 2, writing nothing.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runXc } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-new-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

for (const target of targets) {
  target.describe(`xc new (${target.name})`, () => {
    it('writes each format empty; xc plan refuses it with exit 2 naming the file; the database is unchanged', { timeout: 60_000 }, async () => {
      const db = await target.create('xc_new');
      cleanup.push(() => db.drop());
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
      for (const format of ['ts', 'json', 'yaml'] as const) {
        const dir = await tempDir();
        const made = await runXc(['new', 'add_nickname', '--format', format, '--dir', dir]);
        expect(made.code, made.stderr).toBe(0);
        const [name] = await readdir(dir);
        expect(name).toMatch(new RegExp(`^\\d{14}_add_nickname\\.${format}$`));
        const file = path.join(dir, name!);
        expect(made.stdout).toContain(file);
        expect(await readFile(file, 'utf8')).toMatch(/"?operations"?: \[\]/);

        const plan = await runXc(['plan', '--url', db.url, '--dir', dir]);
        expect(plan.code, plan.stderr).toBe(2);
        expect(plan.stderr).toContain(file);
        expect(plan.stderr).toMatch(/operations: empty: .*add one/);
      }
      expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['id', 'name']);
      // Nothing of xc's state either: the file was refused before anything ran.
      const stateTables =
        target.name === 'postgres'
          ? `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'xc'`
          : `SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'xc\\_%'`;
      expect(await db.count(stateTables)).toBe(0);
    });
  });
}

it('xc new --format xml exits 2 and writes nothing', async () => {
  const dir = await tempDir();
  const run = await runXc(['new', 'x', '--format', 'xml', '--dir', dir]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/xml.*ts, json, yaml/);
  expect(await readdir(dir)).toEqual([]);
});
