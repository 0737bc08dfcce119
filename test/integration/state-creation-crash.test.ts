/**
 * xc's own state tables converge from any part-made state (SPEC §4), on
 * every dialect. The first `xc apply` is SIGKILLed while it creates them:
 * on PostgreSQL while the fifth CREATE TABLE waits for a lock a test session
 * holds; on MySQL/MariaDB as soon as the first table shows, until a kill
 * lands between two CREATE TABLEs. Then: read-only commands
 * create nothing and report it sensibly, the re-run completes the state and
 * the migration. States made part-way by hand (tables dropped), and first
 * runs at once, converge too.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { targets, type Db, type Target } from '../helpers/targets.js';
import { BIN, runXc, xcEnv, type Run } from '../helpers/cli.js';
import type { Queryable } from '../helpers/writers.js';

/** What one spawned xc may take on a loaded 2-core box (see kill.test.ts); a test's budget is its spawns at that, plus set-up. */
const SPAWN_MS = 30_000;
const budget = (spawns: number) => spawns * SPAWN_MS + 30_000;

const ALL = ['backfill', 'deployments', 'events', 'instances', 'migrations', 'steps'];
/** The order stateSchema() creates them in. */
const CREATION_ORDER = ['migrations', 'steps', 'backfill', 'events', 'deployments', 'instances'];

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(target: Target): Promise<{ db: Db; args: string[] }> {
  const db = await target.create('xc_statecrash');
  cleanups.push(() => db.drop());
  await db.query('CREATE TABLE t (id int PRIMARY KEY, a int)');
  await db.query('INSERT INTO t (id, a) VALUES (1, 1), (2, 2)');
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-statecrash-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, '0001_add.json'), JSON.stringify({ operations: [{ addColumn: { table: 't', column: { name: 'x', type: 'int' } } }] }));
  return { db, args: ['--url', db.url, '--dir', dir] };
}

/** The state tables there, by short name. */
async function stateTables(db: Db): Promise<string[]> {
  const rows =
    db.dialect === 'postgres'
      ? await db.query<{ n: string }>(`SELECT c.relname AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'xc' AND c.relkind = 'r'`)
      : await db.query<{ n: string }>(`SELECT substring(table_name, 4) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'xc\\_%'`);
  return rows.map((r) => r.n).sort();
}

const state = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);
const json = (r: Run) => JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;
const xc = (args: string[]) => runXc([...args, '--json']);
const phases = (r: Run) => (json(r).migrations as { id: string; phase: string }[]).map((m) => `${m.id}:${m.phase}`);

async function until(what: string, cond: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * PostgreSQL: the first apply, SIGKILLed while its CREATE TABLE of
 * `deployments` waits for a test session's uncommitted CREATE TABLE of that
 * name, in schema `xc` (made empty here first, as a kill right after its
 * CREATE SCHEMA would leave it). The four tables before it are created by
 * then; nothing of them may be left.
 */
async function killWhileBlockedPg(db: Db, args: string[]): Promise<void> {
  const blocker: Queryable = await db.connection();
  await db.query('CREATE SCHEMA xc');
  await blocker.query('BEGIN');
  await blocker.query('CREATE TABLE xc.deployments (held int)');
  let released = false;
  const release = async () => {
    if (!released) await blocker.query('ROLLBACK');
    released = true;
  };
  cleanups.push(release);
  const child = spawn(process.execPath, [BIN, 'apply', ...args, '--lock-timeout', '120s', '--json'], { env: xcEnv() });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const waiting = `SELECT pid AS id FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'CREATE TABLE IF NOT EXISTS "xc"."deployments"%'`;
  await until('xc waits to create the deployments table', async () => (await db.query(waiting)).length > 0 || child.exitCode !== null);
  expect(child.exitCode, stderr).toBe(null);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  // The server does not notice the dead client while its statement waits: end that session (asynchronous: until it is gone), then let go.
  const zombies = (await db.query<{ id: number }>(waiting)).map((r) => Number(r.id));
  for (const id of zombies) await db.query('SELECT pg_terminate_backend(?)', [id]);
  await until('the dead xc session is gone', async () => (await db.count(`SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(?::int[])`, [`{${zombies.join(',')}}`])) === 0);
  await release();
}

/**
 * MySQL/MariaDB: the first apply, SIGKILLed as soon as its first state table
 * shows, in a fresh database each try until the kill lands between two
 * CREATE TABLEs (each commits; the statement running when the client dies
 * still completes). A test session cannot hold a table name here instead:
 * that lock also stops xc's reading of the catalog, before the creation.
 */
async function killMidCreationMysql(target: Target): Promise<{ db: Db; args: string[]; left: string[] }> {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const { db, args } = await setup(target);
    const child = spawn(process.execPath, [BIN, 'apply', ...args, '--json'], { env: xcEnv() });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const end = Date.now() + 90_000;
    while (child.exitCode === null && Date.now() < end && (await db.count(`SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'xc\\_%'`)) === 0);
    child.kill('SIGKILL');
    await exited;
    // Let the statement a dead client left running finish, so what is left is what stays.
    await until('the dead xc sessions are gone', async () => (await db.count(`SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()`)) === 0);
    const left = await stateTables(db);
    if (left.length > 0 && left.length < ALL.length) return { db, args, left };
  }
  throw new Error('in 8 tries, no kill landed between two CREATE TABLEs of the state');
}

for (const target of targets) {
  target.describe(`state creation converges from any part-made state (${target.name})`, () => {
    it('a first apply killed while it creates the state tables: read-only commands create nothing, the re-run completes state and migration', async () => {
      let db: Db, args: string[], left: string[];
      if (target.name === 'postgres') {
        ({ db, args } = await setup(target));
        await killWhileBlockedPg(db, args);
        // Created in one transaction: nothing of the four tables made before the kill is left.
        left = await stateTables(db);
        expect(left).toEqual([]);
      } else {
        // Each CREATE commits: the tables made before the kill stay, in the order stateSchema() makes them.
        ({ db, args, left } = await killMidCreationMysql(target));
        expect(left).toEqual(CREATION_ORDER.slice(0, left.length).sort());
      }

      // Read-only: no migration recorded, so "not initialised" — everything pending, nothing created.
      const [status, plan, dry] = await Promise.all([xc(['status', ...args]), xc(['plan', ...args]), xc(['apply', ...args, '--dry-run'])]);
      expect(status.code, status.stderr).toBe(0);
      expect(phases(status)).toEqual(['0001_add:pending']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(dry.code, dry.stderr).toBe(0);
      expect(await stateTables(db)).toEqual(left);

      const again = await xc(['apply', ...args, '--wait-lock', '60s']);
      expect(again.code, again.stderr + again.stdout).toBe(0);
      expect(await stateTables(db)).toEqual(ALL);
      expect(await db.query(`SELECT id, phase FROM ${state(db, 'migrations')}`)).toEqual([{ id: '0001_add', phase: 'backfilled' }]);
      expect((await db.columns('t')).map((c) => c.name)).toContain('x');
      expect(await db.count(`SELECT count(*) FROM ${state(db, 'events')} WHERE migration_id = '0001_add'`)).toBeGreaterThan(0);

      const after = await xc(['status', ...args]);
      expect(after.code, after.stderr).toBe(0);
      expect(phases(after)).toEqual(['0001_add:backfilled']);
      const init = await runXc(['init', ...args]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('already exist');
    }, budget(14));

    it('tables dropped by hand before any migration: read-only commands show it pending and create nothing, init completes it', async () => {
      const { db, args } = await setup(target);
      expect((await runXc(['init', ...args])).code).toBe(0);
      for (const t of ['events', 'deployments']) await db.query(`DROP TABLE ${state(db, t)}`);
      const [status, plan] = await Promise.all([xc(['status', ...args]), xc(['plan', ...args])]);
      expect(status.code, status.stderr).toBe(0);
      expect(phases(status)).toEqual(['0001_add:pending']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(await stateTables(db)).toEqual(['backfill', 'instances', 'migrations', 'steps']);

      const init = await runXc(['init', ...args]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('created the xc state tables');
      expect(await stateTables(db)).toEqual(ALL);
    }, budget(4));

    it('contract on a database xc never changed: nothing to contract (exit 0), no gate evidence read from tables that do not exist, nothing created', async () => {
      const { db, args } = await setup(target);
      const contract = await xc(['contract', ...args]);
      expect(contract.code, contract.stderr).toBe(0);
      // Its files not applied yet: said (campaign CK: a pipeline's contract stage run before its apply read as done).
      expect(json(contract)).toMatchObject({ ok: true, migrations: [], note: expect.stringMatching(/^1 migration is not applied yet \(0001_add\): `xc apply` first$/) });
      const named = await xc(['contract', '0001_add', ...args]);
      expect(named.code, named.stderr).toBe(3);
      expect(named.stdout + named.stderr).toContain('0001_add has not started');
      expect(await stateTables(db)).toEqual([]);
    }, budget(2));

    it('a table dropped by hand after a migration: read-only commands refuse naming it and create nothing, a writing command completes it', async () => {
      const { db, args } = await setup(target);
      expect((await xc(['apply', ...args])).code).toBe(0);
      await db.query(`DROP TABLE ${state(db, 'deployments')}`);
      await db.query(`DROP TABLE ${state(db, 'backfill')}`);

      const runs = await Promise.all([
        xc(['status', ...args]),
        xc(['plan', ...args]),
        xc(['apply', ...args, '--dry-run']),
        xc(['check', ...args, '--app', 'web', '--version', '1']),
      ]);
      for (const r of runs) {
        expect(r.code, r.stderr + r.stdout).toBe(3);
        expect(json(r).error.code).toBe('state_incomplete');
        expect(json(r).error.message).toMatch(/deployments.*missing/);
      }
      expect(await stateTables(db)).toEqual(['events', 'instances', 'migrations', 'steps']);

      // Nothing to apply, but the state is completed; what it recorded is kept.
      const apply = await xc(['apply', ...args]);
      expect(apply.code, apply.stderr + apply.stdout).toBe(0);
      expect(await stateTables(db)).toEqual(ALL);
      const status = await xc(['status', ...args]);
      expect(status.code, status.stderr).toBe(0);
      expect(phases(status)).toEqual(['0001_add:backfilled']);
      const contract = await xc(['contract', ...args, '--force', '--reason', 'no deployment in this test']);
      expect(contract.code, contract.stderr + contract.stdout).toBe(0);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'contracted' }]);
    }, budget(8));

    it('first runs at once (an apply and two deploy records, which take no xc lock) all create the state without a duplicate-object error', async () => {
      const { db, args } = await setup(target);
      const runs = await Promise.all([
        xc(['apply', ...args, '--wait-lock', '60s']),
        xc(['deploy', 'record', ...args, '--app', 'a', '--version', '1']),
        xc(['deploy', 'record', ...args, '--app', 'b', '--version', '1']),
        xc(['init', ...args, '--wait-lock', '60s']),
      ]);
      for (const r of runs) expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(await stateTables(db)).toEqual(ALL);
      expect(await db.query(`SELECT app FROM ${state(db, 'deployments')} ORDER BY app`)).toEqual([{ app: 'a' }, { app: 'b' }]);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'backfilled' }]);
    }, budget(4));
  });
}
