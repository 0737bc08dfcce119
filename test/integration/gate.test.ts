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
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { rejection } from '../helpers/cli.js';
import { createXc, type Xc, type XcOptions } from '../../src/index.js';
import { cliInProcess } from '../helpers/cli-in-process.js';
import { MYSQL_STATE_NOW } from '../../src/dialects/mysql/state.js';
import { everything, stateTable as state, targets, type Db } from '../helpers/targets.js';
import { startMariadb } from '../chaos/servers.js';

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

async function setup(target: (typeof targets)[number], opts: Partial<XcOptions> = {}): Promise<{ db: Db; xc: Xc; dir: string }> {
  const db = await target.create('xc_gate');
  cleanup.push(() => db.drop());
  return { db, ...(await setupOn(db.url, (sql) => db.query(sql), opts)) };
}

/** V1 contracted with shop@v1 live at it, V2 applied: on the database at `url`. */
async function setupOn(url: string, query: (sql: string) => Promise<unknown>, opts: Partial<XcOptions> = {}): Promise<{ xc: Xc; dir: string }> {
  await query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
  await query(`INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-gate-'));
  // 0001 stands for the history v1 was built with (already contracted long ago).
  await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
  await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
  const xc = createXc({ url, dir, ...opts });
  cleanup.push(() => xc.close());
  await xc.apply({ id: V1 });
  await xc.deploy.record({ app: 'shop', version: 'v1', level: V1 });
  await xc.deploy.record({ app: 'shop', version: 'v0', level: V1 });
  await xc.deploy.retire({ app: 'shop', version: 'v0' });
  await xc.contract({ id: V1 });
  await xc.apply();
  return { xc, dir };
}

/** A database xc has never seen, with V2 (a rename) in its folder and nothing applied or recorded. */
async function firstDay(target: (typeof targets)[number]): Promise<{ db: Db; xc: Xc; dir: string }> {
  const db = await target.create('xc_gate');
  cleanup.push(() => db.drop());
  await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-gate-'));
  await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
  const xc = createXc({ url: db.url, dir });
  cleanup.push(() => xc.close());
  return { db, xc, dir };
}

/** Its last beat `seconds` ago, by the server's clock as the state keeps it (MariaDB: DATETIME in the global zone, MYSQL_STATE_NOW). */
const beatAgo = (db: Db, id: string, seconds: number) =>
  db.query(
    db.dialect === 'postgres'
      ? `UPDATE xc.instances SET last_beat_at = clock_timestamp() - interval '${seconds} seconds' WHERE id = ?`
      : `UPDATE xc_instances SET last_beat_at = ${MYSQL_STATE_NOW} - INTERVAL ${Math.round(seconds * 1e6)} MICROSECOND WHERE id = ?`,
    [id],
  );

/** The columns of xc's state table `name`. */
const stateColumns = async (db: Db, name: string) =>
  (db.dialect === 'postgres'
    ? await db.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'xc' AND table_name = ?`, [name])
    : await db.query<{ c: string }>(`SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [`xc_${name}`])
  ).map((r) => r.c);

const cli = cliInProcess;


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

  it('a migration whose contract removes nothing (an index by sql) waits for the gate too, and says why (campaign BT)', async () => {
    const { xc, dir, db } = await setup(target);
    await writeFile(path.join(dir, '0003_index.json'), JSON.stringify({ operations: [{ sql: { expand: 'CREATE INDEX users_id_name ON users (id, full_name)', rollback: db.dialect === 'postgres' ? 'DROP INDEX users_id_name' : 'DROP INDEX users_id_name ON users' } }] }));
    await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.contract({ id: V2 });
    await xc.apply();
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^contract of 0003_index refused: its contract removes nothing, but it ends the way back \(`xc rollback`\), so it waits until no live version is below it\n {2}- /);
    expect((await db.indexes('users')).map((i) => i.name)).toContain('users_id_name');
    await xc.deploy.record({ app: 'shop', version: 'v3', level: '0003_index' });
    await xc.deploy.retire({ app: 'shop', version: 'v2' });
    expect((await xc.contract()).migrations.map((m) => [m.id, m.phase])).toEqual([['0003_index', 'contracted']]);
  });

  it("a team's first day: with no version recorded before apply, contract goes on (SPEC §6) and says what the gate could not see (campaigns AX, AY)", async () => {
    const { db, dir, xc } = await firstDay(target);
    await xc.apply();
    await xc.deploy.record({ app: 'web', version: 'v2' });
    // An old version's connection under another app name than the one recorded (PostgreSQL shows idle sessions).
    const other = target.name === 'postgres' ? new pg.Client({ connectionString: db.url, application_name: 'app@v1' }) : undefined;
    await other?.connect();
    cleanup.push(async () => void (await other?.end()));
    const { code, last } = await cli('contract', '--url', db.url, '--dir', dir);
    expect(code).toBe(0);
    expect(last.warnings).toEqual([
      expect.stringMatching(new RegExp(`^web has no version recorded before ${V2} was applied \\(only v2, since\\): a version that ran before it and was never recorded is not counted`)),
      ...(other ? [expect.stringMatching(/^database sessions named "app@v1" are connected, of an app with no deployment recorded: the gate does not count them/)] : []),
    ]);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id']);
  });

  it('a version recorded before apply and recorded again since, as the gate asks, is not taken for a first day', async () => {
    const { xc } = await firstDay(target);
    // Its build already had V2 (merged before it was applied): the gate cannot tell, and says to record it again.
    await xc.deploy.record({ app: 'web', version: 'v1', level: V2 });
    await xc.apply();
    expect((await rejection(xc.contract())).message).toContain('record the version again if its build has it');
    await xc.deploy.record({ app: 'web', version: 'v1', level: V2 });
    const result = await xc.contract();
    expect([result.migrations.map((m) => m.id), result.warnings]).toEqual([[V2], undefined]);
    const [listed] = (await xc.deploy.list()).deployments;
    expect(listed!.firstRecordedAt! < listed!.recordedAt).toBe(true);
  });

  it('the version running before apply recorded, then retired: contract says nothing more', async () => {
    const { xc } = await setup(target);
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    const result = await xc.contract();
    expect([result.migrations.map((m) => m.id), result.warnings]).toEqual([[V2], undefined]);
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
    const { db, xc, dir } = await setup(target, { instanceTtlMs: 1500 });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const hb = await xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    let err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', app: 'shop', version: 'v1' })]);
    await hb.stop();
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers).toEqual([]);

    // A crashed instance: its process gone without stop(), it beats no more.
    const crashed = createXc({ url: db.url, dir, instanceTtlMs: 1500 });
    await crashed.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    await crashed.close();
    err = await rejection(xc.contract());
    expect(err.details.blockers!.map((b: { kind: string }) => b.kind)).toEqual(['instance']);
    await new Promise((r) => setTimeout(r, 1800)); // no beat within the TTL: no longer live
    const r = await xc.contract();
    expect(r.migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
  });

  /** The pipeline's xc (v1 retired, v2 recorded), and the application's, each with its own --instance-ttl. */
  async function pipelineAndApp(pipelineTtlMs: number, appTtlMs: number) {
    const { db, xc, dir } = await setup(target, { instanceTtlMs: pipelineTtlMs });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const app = createXc({ url: db.url, dir, instanceTtlMs: appTtlMs });
    cleanup.push(() => app.close());
    return { db, xc, dir, app };
  }

  it("an instance is live for the TTL it beats for, stored with it: a gate with a shorter --instance-ttl still counts it between its beats (contract, rollback, status, deploy list, the CLI); past its own TTL it is gone", async () => {
    // The pipeline's xc: a TTL of 2 s. The application's: 20 s, so it beats every ~6.7 s.
    const { db, xc, dir, app } = await pipelineAndApp(2000, 20_000);
    const v1 = await app.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    await app.startHeartbeat({ app: 'shop', version: 'v2', level: V2 });
    await new Promise((r) => setTimeout(r, 3000)); // no beat for 3 s: longer than the pipeline's TTL, within the instances' own

    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', app: 'shop', version: 'v1' })]);
    expect(err.message).toContain('it beats for a TTL of 20s');
    const listed = (await xc.deploy.list()).instances;
    expect(listed.map((i) => [i.version, i.ttlMs])).toEqual([['v1', 20_000], ['v2', 20_000]]);
    expect(listed[0]!.lastBeatSecondsAgo).toBeGreaterThanOrEqual(2);
    const run = await cli('contract', '--url', db.url, '--dir', dir, '--instance-ttl', '2s');
    expect(run.code).toBe(3);
    expect(run.last.error.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v1' })]);
    // The rollback gate, the other way: v2's instance has the migration.
    const back = await rejection(xc.rollback());
    expect(back.exitCode).toBe(3);
    expect(back.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', version: 'v2' }), expect.objectContaining({ kind: 'instance', version: 'v2' })]);
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers.map((b) => [b.kind, b.version])).toEqual([['instance', 'v1']]);

    // The application crashes: it beats no more. Its last beat 15 s old still counts (its own TTL); past 20 s, gone.
    await app.close();
    await beatAgo(db, v1.id, 15);
    expect((await rejection(xc.contract())).details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v1' })]);
    await beatAgo(db, v1.id, 21);
    expect((await xc.deploy.list()).instances.map((i) => i.version)).toEqual(['v2']);
    expect((await xc.contract()).migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
  });

  it("the gate's TTL when longer than the instance's own: an instance beating for 1 s still counts for the reader's 5 s (never shorter than either); stop() ends it at once", async () => {
    const { db, xc, dir, app } = await pipelineAndApp(5000, 1000);
    const hb = await app.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    expect((await xc.deploy.list()).instances.map((i) => [i.version, i.ttlMs])).toEqual([['v1', 1000]]);
    await app.close(); // crashed
    await beatAgo(db, hb.id, 3);
    expect((await rejection(xc.contract())).details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v1' })]);

    // stop() ends an instance at once, whatever its TTL.
    const long = createXc({ url: db.url, dir, instanceTtlMs: 600_000 });
    cleanup.push(() => long.close());
    await beatAgo(db, hb.id, 6); // the crashed one is gone
    const other = await long.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    expect((await rejection(xc.contract())).details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v1' })]);
    await other.stop();
    expect((await xc.deploy.list()).instances).toEqual([]);
    expect((await xc.contract()).migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
  });

  it('a heartbeat whose intervalMs is not below its TTL is refused (exit 2, invalid_usage) and records nothing', async () => {
    const { xc } = await setup(target, { instanceTtlMs: 5000 });
    for (const intervalMs of [5000, 60_000, 0, -1, Number.NaN]) {
      const err = await rejection(xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1, intervalMs }));
      expect(err.exitCode, String(intervalMs)).toBe(2);
      expect((err as unknown as { code: string }).code).toBe('invalid_usage');
      expect(err.details).toEqual({ intervalMs, ttlMs: 5000 });
    }
    expect((await rejection(xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1, intervalMs: 60_000 }))).message).toContain('below the instance TTL (instanceTtlMs 5000)');
    expect((await xc.deploy.list()).instances).toEqual([]);
    const ok = await xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1, intervalMs: 4999 });
    expect((await xc.deploy.list()).instances.map((i) => i.ttlMs)).toEqual([5000]);
    await ok.stop();
  });

  it('a state made before ttl_ms: reads take it for null (the reader\'s TTL) and change nothing; a heartbeat adds the column', async () => {
    const { db, xc, dir } = await setup(target, { instanceTtlMs: 5000 });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    // An instance an older xc wrote: no ttl_ms, its table without the column. Its application's TTL was 20 s.
    const old = createXc({ url: db.url, dir, instanceTtlMs: 20_000 });
    const oldBeat = await old.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    await old.close(); // it beats no more
    await db.query(`ALTER TABLE ${state(db, 'instances')} DROP COLUMN ttl_ms`);
    const before = (await stateColumns(db, 'instances')).sort();
    expect(before).not.toContain('ttl_ms');
    // Young enough for the reader's TTL: live, listed with no TTL.
    await beatAgo(db, oldBeat.id, 0);
    expect((await rejection(xc.contract())).details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v1' })]);
    expect((await xc.deploy.list()).instances).toEqual([expect.objectContaining({ version: 'v1', ttlMs: null })]);
    // Older than the reader's 5 s: gone (its own 20 s was never stored).
    await beatAgo(db, oldBeat.id, 6);
    expect((await xc.deploy.list()).instances).toEqual([]);
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers).toEqual([]);
    expect((await stateColumns(db, 'instances')).sort()).toEqual(before); // reads changed nothing

    // A heartbeat of this xc adds the column; the older row stays NULL, judged by the reader's TTL.
    const app = createXc({ url: db.url, dir, instanceTtlMs: 20_000 });
    cleanup.push(() => app.close());
    const hb = await app.startHeartbeat({ app: 'shop', version: 'v1.1', level: V1 });
    expect(await stateColumns(db, 'instances')).toContain('ttl_ms');
    const rows = await db.query<{ id: string; ttl_ms: unknown }>(`SELECT id, ttl_ms FROM ${state(db, 'instances')}`);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.ttl_ms == null ? null : Number(r.ttl_ms)]))).toEqual({ [oldBeat.id]: null, [hb.id]: 20_000 });
    await app.close(); // crashed too
    await beatAgo(db, hb.id, 6);
    await beatAgo(db, oldBeat.id, 0);
    expect((await xc.deploy.list()).instances.map((i) => [i.version, i.ttlMs])).toEqual([['v1', null], ['v1.1', 20_000]]);
    await beatAgo(db, oldBeat.id, 6);
    expect((await xc.deploy.list()).instances.map((i) => [i.version, i.ttlMs])).toEqual([['v1.1', 20_000]]);
    expect((await rejection(xc.contract())).details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v1.1' })]);
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

  it('rollback of a migration whose later one a live version has: the refusal says the later one is rolled back first (campaign CH)', async () => {
    const { db, xc, dir } = await setup(target);
    await writeFile(path.join(dir, '0003_add_nick.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'varchar(20)' } } }] }));
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v3' });
    const err = await rejection(xc.rollback({ id: V2 }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(new RegExp(`^rolling back ${V2} rolls back the later 0003_add_nick first; rollback of 0003_add_nick refused: a live version has it`));
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id', 'name', 'nick']);
    // The one asked for, when it is the one refused: as before, no preface.
    expect((await rejection(xc.rollback({ id: '0003_add_nick' }))).message).toMatch(/^rollback of 0003_add_nick refused/);
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
    // Spaces around the name (an env var written ` shop@v1`) are no other app: trimmed, as deploy record trims (campaign D).
    const spaced = await connect(' shop@ v1 ');
    err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', app: 'shop', version: 'v1' })]);
    await spaced.end();
    const unknown = await connect('shop@v1.5'); // a version never recorded: unknown level
    err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', version: 'v1.5' })]);
    expect(err.message).toContain('never recorded');
    await unknown.end();
    const v2 = await connect('shop@v2'); // at the new level: no blocker
    expect((await xc.deploy.list()).warning).toBeUndefined(); // PostgreSQL sees every session
    await xc.contract();
    await Promise.all([v2.end(), stranger.end()]);
  });

  it.runIf(target.name === 'postgres')('a password in a session\'s name is scrubbed before the name is split; an app named `sessions` keeps its own warning (campaign BD)', async () => {
    const db = await target.create('xc_gate');
    cleanup.push(() => db.drop());
    // Trust auth takes any password: xc's URL carries one with an `@`, as the campaign's did.
    const url = new URL(db.url);
    url.password = encodeURIComponent('S3cr@tPw');
    const { xc } = await setupOn(url.href, (sql) => db.query(sql));
    const c = new pg.Client({ connectionString: db.url, application_name: 'cron@S3cr@tPw' });
    await c.connect();
    cleanup.push(() => c.end());
    // As PostgreSQL shows a name (campaign BG): its non-ASCII bytes as `?`, cut at 63 bytes through the password.
    const mangled = new pg.Client({ connectionString: db.url, application_name: 'cron2@S3cr@tPwä' });
    const cut = new pg.Client({ connectionString: db.url, application_name: `${'nightly-export-of-orders-'.repeat(2)}xxxxxx@S3cr@tPw` });
    // Cut after two characters of it, and after one (campaign BL: `…@S3` shown).
    const two = new pg.Client({ connectionString: db.url, application_name: `${'nightly-export-'.repeat(4)}@S3cr@tPw` });
    const one = new pg.Client({ connectionString: db.url, application_name: `${'nightly-export-'.repeat(4)}y@S3cr@tPw` });
    for (const other of [mangled, cut, two, one]) {
      await other.connect();
      cleanup.push(() => other.end());
    }
    const list = await xc.deploy.list();
    expect(JSON.stringify(list)).not.toMatch(/S3c|tPw|@S/);
    expect(list.sessions).toEqual(
      expect.arrayContaining([
        { app: 'cron', version: '***' },
        { app: 'cron2', version: '***??' },
        { app: `${'nightly-export-of-orders-'.repeat(2)}xxxxxx`, version: '***' },
        { app: 'nightly-export-'.repeat(4), version: '***' },
        { app: `${'nightly-export-'.repeat(4)}y`, version: '***' },
      ]),
    );
    // The app opening the gate was first recorded after V2 was applied, and is named `sessions`: both warnings are said.
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'sessions', version: 'v2' });
    const r = await xc.contract();
    expect(r.migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
    expect(r.warnings).toEqual([expect.stringMatching(/^sessions has no version recorded before 0002_rename_name was applied/), expect.stringMatching(/^database sessions named "cron2@\*\*\*\?\?", "cron@\*\*\*", "nightly-export-[^"]*-@\*\*\*", "nightly-export-[^"]*y@\*\*\*", "nightly-export-of[^"]*x@\*\*\*" are connected/)]);
    expect(JSON.stringify(r)).not.toMatch(/S3c|tPw/);
  });

  it.runIf(target.name === 'postgres')('a session name the server cut (63 bytes) or mangled (non-ASCII as ?) is matched to its recorded version (campaign S: it blocked its own contract as never recorded)', async () => {
    const { db, xc } = await setup(target);
    const long = '2026.11.27-build.1234-gabcdef0123456789abcdef0123456789abcdef';
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: long });
    await xc.deploy.record({ app: 'shop', version: 'v2-café' });
    const connect = async (name: string) => {
      const c = new pg.Client({ connectionString: db.url, application_name: name });
      await c.connect();
      return c;
    };
    const sessions = [await connect(`shop@${long}`), await connect('shop@v2-café')];
    expect((await xc.deploy.list()).sessions).toEqual(expect.arrayContaining([{ app: 'shop', version: long.slice(0, 58) }, { app: 'shop', version: 'v2-caf??' }]));
    // Both at the new level: nothing blocks the contract; the old version is gone.
    await xc.deploy.record({ app: 'shop', version: 'v1', level: V1 });
    const old = await connect('shop@v1');
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    const err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', version: 'v1' })]);
    await old.end();
    // The rollback gate sees them too: the versions that have the migration are live.
    const back = await rejection(xc.rollback());
    expect(back.details.blockers).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'session', version: long }), expect.objectContaining({ kind: 'session', version: 'v2-café' })]));
    expect(back.message).toContain(`"shop@v2-caf??" (shop@v2-café as the server shows it)`);
    expect((await xc.contract()).migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
    await Promise.all(sessions.map((c) => c.end()));
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

  it.runIf(target.name === 'mysql')('performance_schema on: an idle connection named by program_name blocks; off: deploy list warns that such a connection is not seen (campaign P)', async () => {
    // The shared server: a warning exactly when its performance_schema is off (the MariaDB default).
    const shared = await setup(target);
    const ps = Number((await shared.db.query<{ ps: number }>('SELECT @@performance_schema AS ps'))[0]!.ps);
    const list = await shared.xc.deploy.list();
    if (ps === 1) expect(list.warning).toBeUndefined();
    else expect(list.warning).toMatch(/^sessions: performance_schema is off on this server \(the MariaDB default\): an application connection named by its program_name attribute is not seen while idle/);
    expect((await cliInProcess('deploy', 'list', '--url', shared.db.url, '--dir', shared.dir)).last.warning).toEqual(list.warning);
    // A private server with it on: the idle pool of a retired version still connected blocks, by its program_name.
    const server = await startMariadb(() => ['--performance-schema=ON']);
    cleanup.push(() => server.stop());
    const adminConn = await mysql.createConnection(server.url);
    cleanup.push(() => adminConn.end());
    await adminConn.query('CREATE DATABASE gate_ps');
    const on = await mysql.createConnection(server.urlOf('gate_ps'));
    cleanup.push(() => on.end());
    const { xc } = await setupOn(server.urlOf('gate_ps'), (sql) => on.query(sql));
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    const pool = mysql.createPool({ uri: server.urlOf('gate_ps'), connectAttributes: { program_name: 'shop@v1' }, connectionLimit: 2 });
    await pool.query('SELECT 1'); // connected, then idle in the pool
    const other = await mysql.createConnection({ uri: server.url, connectAttributes: { program_name: 'shop@v1' } }); // another database: not this one's application
    expect((await xc.deploy.list())).toMatchObject({ sessions: [{ app: 'shop', version: 'v1' }] });
    expect((await xc.deploy.list()).warning).toBeUndefined();
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'session', app: 'shop', version: 'v1' })]);
    await pool.end();
    expect((await xc.contract()).migrations).toEqual([expect.objectContaining({ id: V2, phase: 'contracted' })]);
    await other.end();
  });

  it('a contract stopped before its first removal (killed between the gate and it) asks the gate again when resumed: a version recorded since refuses it, nothing removed (campaign S: the re-run dropped the column, exit 0)', async () => {
    const { db, xc, dir } = await setup(target);
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
    // Stopped before its first step, as a kill -9 there leaves it: contracting, journaled, nothing run.
    const stopping = createXc({ url: db.url, dir, onEvent: (e) => { if (e.event === 'step') throw new Error('stop here'); } });
    cleanup.push(() => stopping.close());
    await expect(stopping.contract()).rejects.toThrow(/^stopped/);
    expect((await xc.status()).migrations.find((m) => m.id === V2)?.phase).toBe('contracting');
    // The old version comes back (a rollback deploy): the resumed contract is refused, naming it and the way on.
    await xc.deploy.record({ app: 'shop', version: 'v1', level: V1 });
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', app: 'shop', version: 'v1' })]);
    expect(err.message).toContain(`${V2} stays contracting, nothing of its old shape removed yet: \`xc contract\` again once no live version needs it, or \`xc rollback ${V2}\``);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id', 'name']);
    // status shows the blocker, as for a migration not yet contracting.
    expect((await xc.status()).migrations.find((m) => m.id === V2)?.blockers).toEqual([expect.objectContaining({ kind: 'deployment', version: 'v1' })]);
    // Overridden, the override is logged as the first one is; the contract finishes.
    await xc.contract({ force: true, reason: 'v1 drained by hand' });
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id']);
    const logged = (await xc.log({ migration: V2 })).events.filter((e) => e.reason === 'v1 drained by hand');
    expect(logged).toEqual([expect.objectContaining({ event: 'contracting', detail: expect.objectContaining({ forced: true, resumed: true }) })]);
  });

  it("an environment is trimmed as app and version are (MariaDB compares 'prod ' equal to 'prod'); a name longer than the state keeps is refused, exit 2, nothing recorded (campaign S)", async () => {
    const { xc } = await setup(target);
    await xc.deploy.record({ app: 'shop', version: 'v1', env: 'prod', level: V1 });
    // Before: PostgreSQL a second row; MariaDB the 'prod' row rewritten, then a TypeError (exit 1).
    const again = await xc.deploy.record({ app: 'shop', version: 'v1', env: 'prod ', level: V1 });
    expect(again.deployment).toMatchObject({ app: 'shop', version: 'v1', env: 'prod', level: V1 });
    const prod = () => xc.deploy.list({ env: ' prod' }).then((l) => l.deployments.filter((d) => d.retiredAt === null).map((d) => [d.version, d.env]));
    expect(await prod()).toEqual([['v1', 'prod']]);
    // Without --env, or with another: refused (exit 2, nothing retired), and told where the version is live (campaign N2: "no version of shop is live").
    await xc.deploy.record({ app: 'shop', version: 'v5', env: 'prod', level: V1 });
    for (const env of [undefined, 'staging']) {
      const err = await rejection(xc.deploy.retire({ app: 'shop', version: 'v5', env }));
      expect([err.exitCode, err.message]).toEqual([2, expect.stringMatching(/shop@v5 is live with --env prod: retire it with that/)]);
      // Campaign AF: "no version of shop is live — shop@v5 is live with --env prod" said no version was live at all.
      expect(err.message).toMatch(env === undefined ? /(live versions of|no version of) shop without an environment/ : /(live versions of|no version of) shop in staging/);
    }
    expect(await prod()).toEqual([['v1', 'prod'], ['v5', 'prod']]);
    await xc.deploy.retire({ app: 'shop', version: 'v5', env: 'prod' });
    await xc.deploy.retire({ app: 'shop', version: 'v1', env: 'prod  ' });
    expect(await prod()).toEqual([]);

    const before = (await xc.deploy.list()).deployments;
    for (const o of [{ version: 'v'.repeat(192) }, { version: 'v9', env: 'e'.repeat(192) }, { version: 'v9', app: 'a'.repeat(192) }]) {
      const err = await rejection(xc.deploy.record({ app: 'shop', level: V2, ...o }));
      expect([err.exitCode, err.message]).toEqual([2, expect.stringMatching(/is 192 characters long; at most 191 are kept/)]);
    }
    expect((await xc.deploy.list()).deployments).toEqual(before);
    expect((await xc.deploy.record({ app: 'shop', version: 'é'.repeat(191), level: V2 })).deployment).toMatchObject({ version: 'é'.repeat(191) });
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
