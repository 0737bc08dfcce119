/**
 * The deploy gate, on every dialect: each kind of evidence — a recorded
 * deployment, a heartbeating instance, a session named app@version — blocks
 * contract while it is live at a level below the migration, and releases it
 * once gone; with nothing recorded the gate fails closed; a forced contract
 * is logged with its reason; `check` refuses before backfill and refuses a
 * rollback deploy after contract; `status` lists the blockers.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { rejection } from '../helpers/cli.js';
import { createXc, type Xc, type XcOptions } from '../../src/index.js';
import { everything, stateTable as state, targets, type Db } from '../helpers/targets.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
/** xc's state table of migrations, wherever the dialect keeps it (PostgreSQL: schema xc), exists. */
const hasState = async (db: Db) =>
  db.dialect === 'postgres'
    ? (await db.query<{ e: boolean }>(`SELECT to_regclass('xc.migrations') IS NOT NULL AS e`))[0]!.e
    : (await db.query(`SHOW TABLES LIKE 'xc\\_migrations'`)).length > 0;

const V1 = '0001_create_users';
const V2 = '0002_rename_name';

async function setup(target: (typeof targets)[number], opts: Partial<XcOptions> = {}): Promise<{ db: Db; xc: Xc }> {
  const db = await target.create('xc_gate');
  await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
  await db.query(`INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-gate-'));
  // 0001 stands for the history v1 was built with (already contracted long ago).
  await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
  await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
  const xc = createXc({ url: db.url, dir, ...opts });
  cleanup.push(() => db.drop(), () => xc.close());
  await xc.apply({ id: V1 });
  await xc.deploy.record({ app: 'shop', version: 'v1', level: V1 });
  await xc.deploy.record({ app: 'shop', version: 'v0', level: V1 });
  await xc.deploy.retire({ app: 'shop', version: 'v0' });
  await xc.contract({ id: V1 });
  await xc.apply();
  return { db, xc };
}


for (const target of targets) {
target.describe(`the deploy gate (${target.name})`, () => {
  it('fails closed: with no deployment at the new level recorded, contract is refused', async () => {
    const { xc } = await setup(target);
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers!.map((b: { kind: string }) => b.kind)).toEqual(['no_deployment']);
    expect(err.message).toContain(`no live deployment at or above ${V2}`);
  });

  it('a live deployment below the level blocks until it is retired', async () => {
    const { db, xc } = await setup(target);
    await xc.deploy.record({ app: 'shop', version: 'v2' }); // level defaults to the newest file: V2
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', app: 'shop', version: 'v1' })]);
    expect(err.message).toContain('deployment shop@v1 is live at level 0001_create_users');
    const status = await xc.status();
    expect(status.migrations.find((m) => m.id === V2)!.blockers.map((b) => b.kind)).toEqual(['deployment']);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id', 'name']);

    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers).toEqual([]);
    await xc.contract();
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id']);
  });

  it('a heartbeating instance below the level blocks until it stops or its beat is older than the TTL', async () => {
    const { xc } = await setup(target, { instanceTtlMs: 1500 });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const hb = await xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    let err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', app: 'shop', version: 'v1' })]);
    await hb.stop();
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers).toEqual([]);

    const silent = await xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1, intervalMs: 60_000 });
    err = await rejection(xc.contract());
    expect(err.details.blockers!.map((b: { kind: string }) => b.kind)).toEqual(['instance']);
    await new Promise((r) => setTimeout(r, 1800)); // no beat within the TTL: no longer live
    const r = await xc.contract();
    expect(r.migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
    await silent.stop();
  });

  it('rollback is refused (exit 3) while a live version has the migration, naming it; retired, or forced with a reason (logged), it runs', async () => {
    const { db, xc } = await setup(target);
    await xc.deploy.record({ app: 'shop', version: 'v2' }); // at V2: its build writes full_name
    const err = await rejection(xc.rollback());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', app: 'shop', version: 'v2', level: V2 })]);
    expect(err.message).toContain(`rollback of ${V2} refused`);
    expect(err.message).toContain(`deployment shop@v2 is live at level ${V2}`);
    // Nothing was touched: the new column and the writes the new version made there are all still there.
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id', 'name']);
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.phase).toBe('backfilled');
    // --reason without --force, or --force without a reason: usage errors.
    expect((await rejection(xc.rollback({ reason: 'x' }))).exitCode).toBe(2);
    expect((await rejection(xc.rollback({ force: true }))).exitCode).toBe(2);

    // A heartbeating instance of it blocks too; one at the level before does not.
    await xc.deploy.retire({ app: 'shop', version: 'v2' });
    const hb = await xc.startHeartbeat({ app: 'shop', version: 'v2', level: V2 });
    cleanup.push(() => hb.stop());
    expect((await rejection(xc.rollback())).details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v2' })]);
    const forced = await xc.rollback({ force: true, reason: 'v2 crashes on start' });
    expect(forced.migrations).toEqual([expect.objectContaining({ id: V2, phase: 'rolled_back' })]);
    const logged = (await xc.log({ migration: V2 })).events.find((e) => e.event === 'rolling_back')!;
    expect(logged).toMatchObject({ reason: 'v2 crashes on start', detail: { forced: true, blockers: [expect.objectContaining({ kind: 'instance', version: 'v2' })] } });
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['id', 'name']);
  });

  it('rollback: a version recorded at a level above the migration before it began expanding (a branch merged with a lower id) never had it, and does not block', async () => {
    const db = await target.create('xc_gate');
    await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-gate-'));
    await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
    await writeFile(path.join(dir, '0003_later.json'), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
    const xc = createXc({ url: db.url, dir });
    cleanup.push(() => db.drop(), () => xc.close());
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v3', level: '0003_later' });
    await xc.contract();
    // Merged later, with an id below v3's level: v3 was built without it.
    await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
    await xc.apply({ id: V2 });
    expect((await xc.rollback({ id: V2 })).migrations).toEqual([expect.objectContaining({ id: V2, phase: 'rolled_back' })]);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['id', 'name']);
  });

  it("instances and records made through the application's own pool, in its own time zone, are read at their true time", async () => {
    const { db, xc } = await setup(target);
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    // The application's pool, its sessions five hours behind the server's zone (MariaDB stores DATETIME as the session's local time).
    const appPool = async (zone: string): Promise<unknown> => {
      if (target.name === 'postgres') {
        const pool = new pg.Pool({ connectionString: db.url, max: 2, options: `-c TimeZone=${zone}` });
        cleanup.push(() => pool.end());
        return pool;
      }
      const mysql = await import('mysql2/promise');
      const pool = mysql.createPool({ uri: db.url, connectionLimit: 2 });
      pool.pool.on('connection', (c) => void c.query(`SET time_zone = '${zone}'`));
      cleanup.push(() => pool.end());
      return pool;
    };
    const app = createXc({ connection: (await appPool('-05:00')) as XcOptions['connection'], dir: '/nonexistent' });
    cleanup.push(() => app.close());
    const hb = await app.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    cleanup.push(() => hb.stop());
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', app: 'shop', version: 'v1' })]);
    expect((await xc.deploy.list()).instances).toEqual([expect.objectContaining({ version: 'v1', lastBeatSecondsAgo: expect.any(Number) })]);
    expect((await xc.deploy.list()).instances[0]!.lastBeatSecondsAgo).toBeLessThan(30);
    // A record made by an xc whose sessions run ahead of the server's zone reads as made now, not in the future.
    const ahead = createXc({ connection: (await appPool('+09:00')) as XcOptions['connection'], dir: '/nonexistent' });
    cleanup.push(() => ahead.close());
    await ahead.deploy.record({ app: 'shop', version: 'v3', level: V2 });
    const v3 = (await xc.deploy.list()).deployments.find((d) => d.version === 'v3')!;
    expect(Math.abs(Date.parse(v3.recordedAt) - Date.now())).toBeLessThan(60_000);
    await hb.stop();
    expect((await xc.contract()).migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
  });

  it.runIf(target.name === 'postgres')('a database session named app@version blocks: at its recorded level, or unknown when never recorded', async () => {
    const { db, xc } = await setup(target);
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const connect = async (name: string) => {
      const c = new pg.Client({ connectionString: db.url, application_name: name });
      await c.connect();
      return c;
    };
    const v1 = await connect('shop@v1'); // retired, but still connected: it is still running
    const stranger = await connect('billing@7'); // not an app xc knows of: ignored
    let err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', app: 'shop', version: 'v1' })]);
    await v1.end();
    const unknown = await connect('shop@v1.5'); // a version never recorded: unknown level
    err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', version: 'v1.5' })]);
    expect(err.message).toContain('never recorded');
    await unknown.end();
    const v2 = await connect('shop@v2'); // at the new level: no blocker
    await xc.contract();
    await Promise.all([v2.end(), stranger.end()]);
  });

  it.runIf(target.name === 'mysql')('a statement tagged xc:app@version in the processlist blocks (MariaDB has no connection attributes by default)', async () => {
    const { db, xc } = await setup(target);
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const v1 = await db.connection();
    // A long query of the retired version, still running: contract would break it.
    const running = v1.query(`/* xc:shop@v1 */ SELECT SLEEP(1.5)`);
    await new Promise((r) => setTimeout(r, 300));
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', app: 'shop', version: 'v1' })]);
    await running;
    // Done with it: nothing running says v1 any more.
    const r = await xc.contract();
    expect(r.migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
  });

  it('--force --reason overrides the gate and is logged with who, why and what blocked', async () => {
    const { db, xc } = await setup(target);
    expect((await rejection(xc.contract({ force: true }))).exitCode).toBe(2); // --force without --reason
    const alone = await rejection(xc.contract({ reason: 'forgot --force' })); // nothing overridden, nothing logged: refused
    expect([alone.exitCode, alone.message]).toEqual([2, expect.stringContaining('--reason goes with --force')]);
    await xc.contract({ force: true, reason: 'v1 pods are drained, registry lags' });
    const [ev] = await db.query<{ actor: string; reason: string; detail: string; command: string }>(`SELECT actor, reason, detail, command FROM ${state(db, 'events')} WHERE event = 'contracting' AND migration_id = ?`, [V2]);
    expect(ev!.reason).toBe('v1 pods are drained, registry lags');
    expect(ev!.command).toBe('contract');
    expect(ev!.actor).toMatch(/.+@.+/);
    expect(JSON.parse(ev!.detail)).toMatchObject({ forced: true, blockers: [{ kind: 'deployment', version: 'v1' }, { kind: 'no_deployment' }] });
  });

  it('check: refuses before backfill, --apply gets there, and refuses a rollback deploy after contract', async () => {
    const db = await target.create('xc_check');
    await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-check-'));
    await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
    await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
    const xc = createXc({ url: db.url, dir });
    cleanup.push(() => db.drop(), () => xc.close());

    const before = await everything(db);
    let err = await rejection(xc.check({ app: 'shop', version: 'v2' }));
    expect(err.exitCode).toBe(3);
    expect(err.details.reasons).toEqual([expect.stringContaining(`${V1} is pending`), expect.stringContaining(`${V2} is pending`)]);
    // Read-only: no state created, nor any other schema or table.
    expect(await hasState(db)).toBe(false);
    expect(await everything(db)).toEqual(before);

    await xc.apply({ id: V1 });
    expect(await hasState(db)).toBe(true); // what the check above looked for is what apply creates
    await xc.apply({ to: 'expand' });
    err = await rejection(xc.check({ app: 'shop', version: 'v2' }));
    expect(err.details.reasons).toEqual([expect.stringContaining(`${V2} is dual_write`)]);

    const ok = await xc.check({ app: 'shop', version: 'v2', apply: true });
    expect(ok).toMatchObject({ ok: true, level: V2, applied: [{ id: V2, phase: 'backfilled' }] });
    expect(await xc.check({ app: 'shop', version: 'v1', level: V1 })).toMatchObject({ ok: true }); // v1 still fits before contract

    await xc.deploy.record({ app: 'shop', version: 'v2' });
    await xc.contract();
    err = await rejection(xc.check({ app: 'shop', version: 'v1', level: V1 }));
    expect(err.exitCode).toBe(3);
    expect(err.details.reasons).toEqual([expect.stringContaining(`${V2} is contracted`)]);
  });
});
}
