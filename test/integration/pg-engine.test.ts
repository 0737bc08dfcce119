/**
 * Engine guarantees on real PostgreSQL: validation before anything runs,
 * several migrations in flight, drift, the agreement check, the advisory
 * lock (exit 4) and lock timeouts (exit 5).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { rejection } from '../helpers/cli.js';
import { createXc, type XcOptions } from '../../src/index.js';
import { createPgDatabase, describePg, type TestDb } from '../helpers/servers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(sql: string[], files: Record<string, unknown>, opts: Partial<XcOptions> = {}) {
  const db = await createPgDatabase('xc_eng');
  for (const s of sql) await db.query(s);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-eng-'));
  for (const [id, def] of Object.entries(files)) await writeFile(path.join(dir, `${id}.json`), JSON.stringify(def));
  const xc = createXc({ url: db.url, dir, ...opts });
  cleanup.push(() => db.drop(), () => xc.close());
  return { db, dir, xc, write: (id: string, def: unknown) => writeFile(path.join(dir, `${id}.json`), JSON.stringify(def)) };
}

const USERS = [`CREATE TABLE users (id int PRIMARY KEY, name text, age int)`, `INSERT INTO users SELECT g, 'u' || g, g FROM generate_series(1, 500) g`];
const rename = { operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] };
const stateExists = async (db: TestDb) => (await db.query(`SELECT to_regnamespace('xc') IS NOT NULL AS e`))[0]!.e;
const catalog = async (db: TestDb) => db.query(`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`);


describePg('engine guarantees (PostgreSQL)', () => {
  it('refuses a migration naming a missing column, naming file and path, and changes nothing', async () => {
    const { db, xc } = await setup(USERS, { '0001_bad': { operations: [{ renameColumn: { table: 'users', from: 'nme', to: 'full_name' } }] } });
    const before = await catalog(db);
    const err = await rejection(xc.apply());
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('0001_bad.json: operations[0].renameColumn.from: table "users" has no column "nme"; did you mean "name"?');
    expect(await catalog(db)).toEqual(before);
    expect(await stateExists(db)).toBe(false); // not even xc's own state tables
  });

  it('refuses an expression that does not compile before any DDL runs', async () => {
    const { db, xc } = await setup(USERS, {
      '0001_ok': { operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'text' } } }] },
      '0002_bad': { operations: [{ alterColumn: { table: 'users', column: 'age', to: 'age_big', type: 'bigint', up: 'no_such_fn(age)', down: 'age_big' } }] },
    });
    const before = await catalog(db);
    const err = await rejection(xc.apply());
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/0002_bad\.json: operations\[0\]\.alterColumn\.up: .*no_such_fn/);
    expect(await catalog(db)).toEqual(before); // 0001 did not run either
    expect(await stateExists(db)).toBe(false);
  });

  it('validates against the schema as it will be: earlier pending migrations and in-flight ones count', async () => {
    const { xc, write } = await setup(USERS, {
      '0001_nick': { operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'text' } } }] },
      '0002_nick_nn': { operations: [{ setNotNull: { table: 'users', column: 'nick', up: `'none'` } }] },
    });
    const plan = await xc.plan();
    expect(plan.migrations.map((m) => m.id)).toEqual(['0001_nick', '0002_nick_nn']);
    await xc.apply({ id: '0001_nick' });
    await write('0003_rename', rename);
    await xc.apply({ to: 'expand' });
    await write('0004_uses_old_name', { operations: [{ addIndex: { table: 'users', columns: ['name'] } }] });
    const err = await rejection(xc.plan());
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('0004_uses_old_name.json: operations[0].addIndex');
  });

  it('keeps several migrations in flight and contracts them in id order', async () => {
    const { db, xc } = await setup(USERS, {
      '0001_rename': rename,
      '0002_age_big': { operations: [{ alterColumn: { table: 'users', column: 'age', to: 'age_big', type: 'bigint', up: 'age', down: 'CAST(age_big AS int)' } }] },
    });
    await xc.apply({ to: 'expand' });
    expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['dual_write', 'dual_write']);
    await xc.apply({ id: '0002_age_big' }); // both to backfilled
    const refused = await rejection(createXc({ url: db.url, dir: (xc as unknown as { dir: string }).dir }).contract({ id: 'missing' }));
    expect(refused.exitCode).toBe(2);
    await xc.deploy.record({ app: 'shop', version: 'v2' }); // the new code is out: the gate lets contract through
    const r = await xc.contract({ id: '0002_age_big' });
    expect(r.migrations.map((m) => [m.id, m.phase])).toEqual([['0001_rename', 'contracted'], ['0002_age_big', 'contracted']]);
    expect((await catalog(db)).map((c) => c.column_name)).toEqual(['age_big', 'full_name', 'id']);
  });

  it('refuses to contract past a migration that is not backfilled (exit 3)', async () => {
    const { xc } = await setup(USERS, { '0001_rename': rename });
    await xc.apply({ to: 'expand' });
    const err = await rejection(xc.contract({ id: '0001_rename' }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('0001_rename is dual_write');
  });

  it('refuses an applied file that was edited (exit 2) unless --allow-drift', async () => {
    const { db, dir, xc, write } = await setup(USERS, { '0001_rename': rename });
    await xc.apply({ to: 'expand' });
    await write('0001_rename', { ...rename, description: 'edited' });
    const err = await rejection(xc.apply());
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('0001_rename.json was changed after it was applied');
    const lenient = createXc({ url: db.url, dir, allowDrift: true });
    cleanup.push(() => lenient.close());
    await lenient.apply();
    expect((await lenient.status()).migrations[0]!.phase).toBe('backfilled');
  });

  it('refuses contract when old and new shape disagree, showing examples (exit 1)', async () => {
    const { db, xc } = await setup(USERS, { '0001_rename': rename });
    await xc.apply();
    await db.query(`ALTER TABLE users DISABLE TRIGGER USER`);
    await db.query(`UPDATE users SET name = 'drifted' WHERE id = 7`);
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('name="drifted"');
    expect((await xc.status()).migrations[0]!.phase).toBe('backfilled');
    expect((await catalog(db)).some((c) => c.column_name === 'name')).toBe(true);
  });

  it('refuses a backfill on a table without a primary or unique not-null key (exit 2)', async () => {
    const { xc } = await setup([`CREATE TABLE logs (msg text)`], { '0001': { operations: [{ addColumn: { table: 'logs', column: { name: 'len', type: 'int' }, up: 'length(msg)' } }] } });
    const err = await rejection(xc.apply());
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('no primary key');
  });

  it('applies a migration merged later with an older id instead of skipping it', async () => {
    const { xc, write } = await setup(USERS, { '0001_rename': rename, '0003_index': { operations: [{ addIndex: { table: 'users', columns: ['age'] } }] } });
    await xc.apply();
    await write('0002_nick', { operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'text' } } }] });
    expect((await xc.plan()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_rename', 'backfilled'], ['0002_nick', 'pending'], ['0003_index', 'backfilled']]);
    const r = await xc.apply();
    expect(r.migrations).toEqual([expect.objectContaining({ id: '0002_nick', from: 'pending', phase: 'backfilled' })]);
  });

  it('works on the tables of another schema with --schema', async () => {
    const { db, dir } = await setup([`CREATE SCHEMA app`, `CREATE TABLE app.users (id int PRIMARY KEY, name text)`, `INSERT INTO app.users VALUES (1, 'a')`], { '0001_rename': rename });
    const xc = createXc({ url: db.url, dir, schema: 'app' });
    cleanup.push(() => xc.close());
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    await xc.contract();
    expect(await db.query(`SELECT * FROM app.users`)).toEqual([{ id: 1, full_name: 'a' }]);
  });

  it('plan changes nothing, not even the state schema', async () => {
    const { db, xc } = await setup(USERS, { '0001_rename': rename });
    const plan = await xc.plan();
    expect(plan.migrations[0]!.pending.map((p) => p.phase)).toEqual(['expand', 'backfill', 'contract']);
    expect(plan.migrations[0]!.pending[0]!.steps.some((s) => s.sql.includes('ADD COLUMN'))).toBe(true);
    await xc.apply({ dryRun: true });
    expect(await stateExists(db)).toBe(false);
    expect((await catalog(db)).some((c) => c.column_name === 'full_name')).toBe(false);
  });
  it('the progress total counts rows loaded since the last ANALYZE: the planner\'s estimate scaled to the table\'s size now (campaign W: 1,000 shown for 20,000)', async () => {
    const events: { event: string; pass?: string; total?: number }[] = [];
    const { xc } = await setup(
      [`CREATE TABLE big (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off)`, `INSERT INTO big SELECT g, g FROM generate_series(1, 1000) g`, `ANALYZE big`, `INSERT INTO big SELECT g, g FROM generate_series(1001, 20000) g`],
      { '0001_m': { operations: [{ addColumn: { table: 'big', column: { name: 'w', type: 'bigint' }, up: 'v * 2' } }] } },
      { onEvent: (e) => void events.push(e as never) },
    );
    await xc.apply();
    const totals = events.filter((e) => e.event === 'backfill').map((e) => e.total!);
    expect(totals.length).toBeGreaterThan(0);
    // Pages hold whole rows: the scaled estimate is close, never the 1,000 of the stale count.
    expect(totals[0]).toBeGreaterThan(15_000);
    expect(totals[0]).toBeLessThan(25_000);
  });
});
