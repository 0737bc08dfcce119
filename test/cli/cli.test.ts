/**
 * The `xc` command line end to end: `node bin/xc ...` (always from the source
 * through jiti, XC_FORCE_SOURCE=1) against a real PostgreSQL database made
 * per test, with a temporary migrations folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runXc, type Run } from '../helpers/cli.js';
import { createPgDatabase, describePg } from '../helpers/servers.js';

const xc = (cwd: string, args: string[], env: Record<string, string> = {}) => runXc(args, { cwd, env });

const lastJson = (r: Run) => JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;

interface Fixture {
  dir: string; // working directory; migrations live in dir/migrations
  url: string;
  db: pg.Client;
  run(...args: string[]): Promise<Run>;
  migration(id: string, body: unknown): Promise<void>;
  schemaExists(name: string): Promise<boolean>;
  tables(): Promise<string[]>;
}

/** A fresh database and working directory for one test, dropped afterwards. */
async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const t = await createPgDatabase('xc_cli');
  const url = t.url;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-cli-'));
  try {
    await mkdir(path.join(dir, 'migrations'));
    const db = await t.client();
    await fn({
      dir,
      url,
      db,
      run: (...args) => xc(dir, args, { XC_DATABASE_URL: url }),
      migration: (id, body) => writeFile(path.join(dir, 'migrations', `${id}.json`), JSON.stringify(body)),
      schemaExists: async (schema) => (await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1,
      tables: async () => (await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.tablename as string),
    });
  } finally {
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

const createUsers = { description: 'users', operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } }] };
const addEmail = { operations: [{ addColumn: { table: 'users', column: { name: 'email', type: 'text' } } }] };
const addShout = { operations: [{ addColumn: { table: 'users', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } }] };

describe('xc without a database', () => {
  it('exits 2 with the message on a usage error; --help and --version exit 0', async () => {
    const cwd = os.tmpdir();
    const unknown = await xc(cwd, ['status', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const badChoice = await xc(cwd, ['apply', '--to', 'nowhere', '--json']);
    expect(badChoice.code).toBe(2);
    expect(lastJson(badChoice)).toMatchObject({ ok: false, error: { exitCode: 2, code: 'invalid_usage' } });
    expect(lastJson(badChoice).error.message).toContain('nowhere');
    // A flag left without a value (an empty shell variable) does not take the next flag for one (campaign D).
    const swallowed = await xc(cwd, ['deploy', 'record', '--app', 'shop', '--version', 'v9', '--env', '--json', '--url', 'postgres://u@127.0.0.1:1/none']);
    expect(swallowed.code).toBe(2);
    expect(lastJson(swallowed).error).toMatchObject({ code: 'invalid_usage', message: expect.stringContaining('--env was given no value: it took the next word, --json') });
    // One whose next flag leaves a word over: commander said "too many arguments for 'record'" (campaign AU).
    const excess = await xc(cwd, ['deploy', 'record', '--url', '--dir', 'migrations', '--app', 'shop', '--version', 'v9']);
    expect(excess.code).toBe(2);
    expect(excess.stderr).toContain('--url was given no value: it took the next word, --dir, which is a flag of its own');
    const missing = await xc(cwd, ['new']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'name'");
    expect((await xc(cwd, ['--help'])).code).toBe(0);
    const version = await xc(cwd, ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('xc fleet refuses --url and --knex-env on the command line (its targets have their own), and ignores them from the environment', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-fleet-url-'));
    try {
      await writeFile(path.join(cwd, 'targets.txt'), 'a pglite://memory\n');
      await mkdir(path.join(cwd, 'migrations'));
      for (const args of [['fleet', 'apply', '--url', 'postgres://u:hunter2@127.0.0.1:1/x'], ['fleet', 'deploy', 'record', '--app', 'a', '--version', 'v', '--knex-env', 'production']]) {
        const r = await xc(cwd, [...args, '--targets', 'targets.txt', '--json']);
        expect(r.code).toBe(2);
        const error = lastJson(r).error;
        expect(error).toMatchObject({ exitCode: 2, code: 'invalid_usage' });
        expect(error.message).toContain(args.includes('--url') ? '--url' : '--knex-env');
        expect(error.message).toContain('--targets');
        expect(r.stdout + r.stderr).not.toContain('hunter2');
      }
      // From the environment (a pipeline's DATABASE_URL): the fleet runs on its targets, here an empty in-memory database.
      const fromEnv = await xc(cwd, ['fleet', 'status', '--targets', 'targets.txt', '--json'], { DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/x' });
      expect(fromEnv.code).toBe(0);
      expect(lastJson(fromEnv)).toMatchObject({ ok: true, command: 'status', summary: { total: 1, ok: 1 } });
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('durations take units in flags and env; a bad one is exit 2 naming the flag', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-cli-'));
    try {
      await mkdir(path.join(cwd, 'migrations'));
      const units = await xc(cwd, ['--lock-timeout', '500ms', '--wait-lock', '1.5s', 'level', '--json'], { XC_BATCH_TIME: '2m' });
      expect(units.code, units.stderr).toBe(0);
      const bad = await xc(cwd, ['--wait-lock', '5x', 'level', '--json']);
      expect(bad.code).toBe(2);
      expect(lastJson(bad).error.message).toBe('--wait-lock: expected a number of seconds >= 0 or a duration with a unit (500ms, 1.5s, 2m, 1h), got "5x"');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('level prints nothing on stdout when there are no migrations; null with --json', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-cli-'));
    try {
      await mkdir(path.join(cwd, 'migrations'));
      const human = await xc(cwd, ['level']);
      expect(human).toMatchObject({ code: 0, stdout: '' });
      expect(human.stderr).toContain('no migrations');
      const json = await xc(cwd, ['level', '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ ok: true, level: null });
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describePg('xc against PostgreSQL', { concurrent: true }, () => {
  it('new writes a TypeScript migration that plan refuses while empty and accepts once it has an operation', () =>
    withFixture(async (f) => {
      await f.db.query('CREATE TABLE users (id bigint PRIMARY KEY, name text)');
      const created = await f.run('new', 'add_nickname');
      expect(created.code, created.stderr).toBe(0);
      const [file] = await readdir(path.join(f.dir, 'migrations'));
      expect(file).toMatch(/^\d{14}_add_nickname\.ts$/);
      const written = path.join(f.dir, 'migrations', file!);
      const template = await readFile(written, 'utf8');
      expect(template).toContain('defineMigration');
      // A forgotten template changes nothing: plan refuses it until an operation is added.
      const empty = await f.run('plan');
      expect(empty.code, empty.stderr).toBe(2);
      expect(empty.stderr).toContain('add one');
      await writeFile(written, template.replace('operations: [],', `operations: [{ addColumn: { table: 'users', column: { name: 'nickname', type: 'text' } } }],`));
      const plan = await f.run('plan');
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('ADD COLUMN "nickname" text');
      expect(plan.stdout).toMatch(/lock: /);
      const json = await f.run('new', 'in_json', '--format', 'json', '--json');
      expect(json.code).toBe(0);
      expect(existsSync(path.join(f.dir, lastJson(json).file))).toBe(true);
    }));

  it('refuses a bad migration file with exit 2, naming the file and the path, and touches nothing', () =>
    withFixture(async (f) => {
      await f.migration('0001_bad', { operations: [{ addColumn: { table: 'users', column: { name: 5 } } }] });
      for (const command of ['plan', 'apply']) {
        const r = await f.run(command);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(path.join('migrations', '0001_bad.json'));
        expect(r.stderr).toContain('operations[0].addColumn.column.name');
      }
      const json = await f.run('plan', '--json');
      expect(lastJson(json).error).toMatchObject({ exitCode: 2, code: 'invalid_migration' });
      expect(lastJson(json).error.issues).toContainEqual({ code: 'invalid_format', file: expect.stringContaining('0001_bad.json'), path: ['operations', 0, 'addColumn', 'column', 'name'], message: expect.any(String) });
      expect(await f.schemaExists('xc')).toBe(false);
    }));

  it('plan and apply --dry-run print the SQL and create nothing', () =>
    withFixture(async (f) => {
      await f.migration('0001_create_users', createUsers);
      const plan = await f.run('plan');
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('CREATE TABLE');
      const dry = await f.run('apply', '--dry-run', '--json');
      expect(dry.code, dry.stderr).toBe(0);
      expect(lastJson(dry)).toMatchObject({ ok: true, dryRun: true, migrations: [{ id: '0001_create_users', phase: 'pending' }] });
      expect(await f.schemaExists('xc')).toBe(false);
      expect(await f.tables()).toEqual([]);
    }));

  it('apply then status --json: phases of applied files, pending for the rest', () =>
    withFixture(async (f) => {
      await f.migration('0001_create_users', createUsers);
      await f.migration('0002_add_email', addEmail);
      await f.migration('0003_add_shout', addShout);
      const apply = await f.run('apply', '0002_add_email');
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toContain('0002_add_email');
      expect(await f.tables()).toEqual(['users']);
      const status = await f.run('status', '--json');
      expect(status.code, status.stderr).toBe(0);
      const result = lastJson(status);
      expect(result.ok).toBe(true);
      expect(result.migrations.map((m: { id: string; phase: string }) => [m.id, m.phase])).toEqual([
        ['0001_create_users', 'backfilled'],
        ['0002_add_email', 'backfilled'],
        ['0003_add_shout', 'pending'],
      ]);
      for (const m of result.migrations) expect(m).toMatchObject({ backfill: { done: expect.any(Number), total: expect.any(Number) }, blockers: expect.any(Array) });
      // Nothing deployed is recorded yet: the gate fails closed for the backfilled ones, and says so.
      expect(result.migrations.map((m: { blockers: { kind: string }[] }) => m.blockers.map((b) => b.kind))).toEqual([['no_deployment'], ['no_deployment'], []]);
      const human = await f.run('status');
      expect(human.stdout).toMatch(/^0003_add_shout\s+pending/m);
    }));

  it('--json puts JSON only on stdout: event lines, then the result last', () =>
    withFixture(async (f) => {
      await f.db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text); INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g`);
      await f.migration('0001_add_shout', addShout);
      const r = await f.run('apply', '--json', '--batch-size', '100');
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.slice(0, -1).every((l) => typeof l.event === 'string')).toBe(true);
      expect(lines.some((l) => l.event === 'phase')).toBe(true);
      expect(lines.some((l) => l.event === 'backfill')).toBe(true);
      expect(lines.at(-1)).toMatchObject({ ok: true, migrations: [{ id: '0001_add_shout', phase: 'backfilled', rows: 500 }] });
    }));

  it('contract of a migration that is not backfilled exits 3', () =>
    withFixture(async (f) => {
      await f.db.query('CREATE TABLE users (id bigint PRIMARY KEY, name text)');
      await f.migration('0001_add_shout', addShout);
      expect((await f.run('apply', '--to', 'expand')).code).toBe(0);
      const human = await f.run('contract', '0001_add_shout');
      expect(human.code).toBe(3);
      expect(human.stderr).toMatch(/^xc: .*0001_add_shout/m);
      const json = await f.run('contract', '0001_add_shout', '--json');
      expect(json.code).toBe(3);
      expect(lastJson(json)).toMatchObject({ ok: false, error: { exitCode: 3, code: 'phase_order' } });
    }));

  it('level prints the newest migration id', () =>
    withFixture(async (f) => {
      await f.migration('0001_create_users', createUsers);
      await f.migration('0002_add_email', addEmail);
      const r = await f.run('level');
      expect(r).toMatchObject({ code: 0, stdout: '0002_add_email\n' });
    }));
});

describe('a MySQL/MariaDB URL naming no database', () => {
  // Campaign T: every statement failed "No database selected": plan blamed each column type, status listed every
  // migration pending, init exited 1.
  it('is refused before connecting, exit 2, naming the URL (password hidden) and what to add', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-cli-'));
    try {
      await mkdir(path.join(cwd, 'migrations'));
      for (const url of ['mysql://u:s3cret@127.0.0.1:3306', 'mariadb://u:s3cret@127.0.0.1:3306/']) {
        for (const args of [['status'], ['plan'], ['init'], ['deploy', 'record', '--app', 'a', '--version', '1']]) {
          const r = await xc(cwd, [...args, '--url', url], {});
          expect(r.code, `${url} ${args.join(' ')}`).toBe(2);
          expect(r.stderr).toContain('names no database: give the one to migrate in its path (mysql://host:3306/DB)');
          expect(r.stdout + r.stderr).not.toContain('s3cret');
        }
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe('secrets', () => {
  it('a URL with a password that fails to connect exits non-zero and never shows the password', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-cli-'));
    try {
      await mkdir(path.join(cwd, 'migrations'));
      const url = 'postgres://u:s3cret@127.0.0.1:1/x';
      for (const args of [['status', '--url', url], ['apply', '--json', '--url', url], ['plan'], ['init']]) {
        const r = await xc(cwd, args, { XC_DATABASE_URL: url });
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stdout + r.stderr).not.toContain('s3cret');
        expect(r.stdout + r.stderr).toContain('***');
        // The driver's error, kept as the cause, is in the JSON too: scrubbed like the rest.
        if (args.includes('--json')) expect(lastJson(r).error).toMatchObject({ code: 'connect_failed', cause: { message: expect.stringContaining('ECONNREFUSED') } });
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
