/**
 * Inputs the gate and the commands must not take at face value (issue 10,
 * defects 6, 7, 11), on every dialect: a level that is no migration is
 * refused (and never opens the gate, even when already stored); `deploy
 * record` defaults to the newest backfilled migration; retiring what is not
 * live is an error; a --dir lacking migrations the database has run is
 * refused unless --allow-missing; a request that can never succeed exits 2
 * (exit 3 is only "retry later"); rollback undoes an edited migration from
 * what the state recorded. Every refusal leaves the database as it was.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { rejection, runXc, type Run } from '../helpers/cli.js';
import { CannotSucceedError, createXc, DriftError, InvalidInputError, RefusedError, type Xc, type XcOptions } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
const state = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);
const lastJson = (r: Run) => JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;

const V1 = '0001_create_users';
const V2 = '0002_rename_name';
const V3 = '0003_add_nick';
const rename = { operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] };
const addNick = { operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'varchar(20)' } } }] };

interface Setup {
  db: Db;
  dir: string;
  xc: Xc;
  open(opts?: Partial<XcOptions>): Xc;
  write(id: string, body: unknown): Promise<void>;
  /** Everything a refusal must leave as it was: the state rows and the users table's columns. */
  snapshot(): Promise<unknown>;
  cli(...args: string[]): Promise<Run>;
}

/** V1 (a no-op standing for old history) applied and contracted; V2 (a rename) in the folder, not started. */
async function setup(target: (typeof targets)[number]): Promise<Setup> {
  const db = await target.create('xc_gin');
  await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
  await db.query(`INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-gin-'));
  const write = (id: string, body: unknown) => writeFile(path.join(dir, `${id}.json`), JSON.stringify(body));
  await write(V1, { operations: [{ sql: { expand: 'SELECT 1' } }] });
  await write(V2, rename);
  const open = (opts: Partial<XcOptions> = {}) => {
    const xc = createXc({ url: db.url, dir, ...opts });
    cleanup.push(() => xc.close());
    return xc;
  };
  cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
  const xc = open();
  await xc.apply({ id: V1 });
  await xc.deploy.record({ app: 'shop', version: 'v1', level: V1 });
  await xc.contract({ id: V1 });
  const snapshot = async () => ({
    migrations: await db.query(`SELECT id, phase, checksum FROM ${state(db, 'migrations')} ORDER BY id`),
    deployments: await db.query(`SELECT app, env, version, level, retired_at FROM ${state(db, 'deployments')} ORDER BY app, version`),
    instances: await db.count(`SELECT count(*) FROM ${state(db, 'instances')}`),
    events: await db.count(`SELECT count(*) FROM ${state(db, 'events')}`),
    columns: (await db.columns('users')).map((c) => c.name).sort(),
  });
  const cli = (...args: string[]) => runXc([...args, '--url', db.url, '--dir', dir]);
  return { db, dir, xc, open, write, snapshot, cli };
}

for (const target of targets) {
target.describe(`gate inputs and exit codes (${target.name})`, () => {
  it('deploy record / check --level: a level that is no migration exits 2 and writes nothing (library and CLI)', async () => {
    const { xc, snapshot, cli, dir } = await setup(target);
    const before = await snapshot();
    const err = await rejection(xc.deploy.record({ app: 'shop', version: 'v9', level: '0099_nonexistent' }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('level "0099_nonexistent" is not a migration');
    expect(err.message).toContain(dir);
    expect(await snapshot()).toEqual(before);
    // Empty (an unset variable): said so, not "no file .* in DIR" (campaign U).
    const empty = await rejection(xc.deploy.record({ app: 'shop', version: 'v9', level: ' ' }));
    expect([empty.exitCode, empty.message]).toEqual([2, expect.stringMatching(/^--level is empty: give the id of the newest migration the build ships with/)]);
    expect(await snapshot()).toEqual(before);

    const run = await cli('deploy', 'record', '--app', 'shop', '--version', 'v9', '--level', '0099_nonexistent', '--json');
    expect(run.code, run.stderr).toBe(2);
    expect(lastJson(run)).toMatchObject({ ok: false, error: { exitCode: 2, details: { level: '0099_nonexistent' } } });
    expect(await snapshot()).toEqual(before);

    const check = await rejection(xc.check({ app: 'shop', version: 'v9', level: '0099_nonexistent' }));
    expect(check.exitCode).toBe(2);
    expect(check.message).toContain('0099_nonexistent');
    // A level known to --dir only (not started yet) is a real level.
    expect((await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 })).deployment.level).toBe(V2);
  });

  it('a bogus level already stored (by an older xc) or sent by a heartbeat counts as unknown: it never opens the gate', async () => {
    const { db, xc } = await setup(target);
    await xc.apply();
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    await db.query(`INSERT INTO ${state(db, 'deployments')} (app, env, version, level, actor) VALUES ('shop', '', 'v9', '0099_nonexistent', 'old xc')`);
    let err = await rejection(xc.contract());
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers.map((b: { kind: string }) => b.kind)).toEqual(['deployment', 'no_deployment']);
    expect(err.message).toContain('level 0099_nonexistent, which is no migration of --dir or the state (counted as unknown)');
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id', 'name']);

    await db.query(`UPDATE ${state(db, 'deployments')} SET retired_at = CURRENT_TIMESTAMP WHERE version = 'v9'`);
    await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
    // An instance's level is what the running application says; a bogus one blocks rather than stopping the app.
    const hb = await xc.startHeartbeat({ app: 'shop', version: 'v9', level: '0099_nonexistent' });
    err = await rejection(xc.contract());
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v9', level: '0099_nonexistent' })]);
    await hb.stop();
    await xc.contract();
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id']);
  });

  it('deploy record without --level: the newest migration at least backfilled, with a warning when --dir has newer files', async () => {
    const { db, xc, cli } = await setup(target);
    await xc.apply({ to: 'expand' }); // V2 is dual_write: no build needing it can be live yet
    const r = await xc.deploy.record({ app: 'shop', version: 'v2' });
    expect(r.deployment.level).toBe(V1);
    expect(r.warning).toContain(`recorded at level ${V1}, the newest migration of this folder at least backfilled`);
    expect(r.warning).toContain(`${V2} (dual_write)`);
    const run = await cli('deploy', 'record', '--app', 'shop', '--version', 'v2b');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`warning: no --level given: recorded at level ${V1}`);
    expect(await db.query(`SELECT version, level FROM ${state(db, 'deployments')} WHERE version LIKE 'v2%' ORDER BY version`)).toEqual([
      { version: 'v2', level: V1 },
      { version: 'v2b', level: V1 },
    ]);

    await xc.apply();
    const again = await xc.deploy.record({ app: 'shop', version: 'v2' });
    expect(again).toEqual({ ok: true, deployment: expect.objectContaining({ level: V2 }) }); // no warning: V2 is the newest file
  });

  it('deploy record --level of a migration not yet backfilled: recorded as asked, with a warning that it will not count (campaign CC)', async () => {
    const { db, xc, cli } = await setup(target);
    const r = await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 }); // V2 pending: recorded before apply
    expect(r.deployment.level).toBe(V2);
    expect(r.warning).toBe(`level ${V2}: ${V2} (pending) is not backfilled yet, so this build could not have gone live (\`xc check\` refuses it); a deployment recorded before a migration begins expanding does not count for that migration's contract — run \`xc apply\`, then record it again`);
    const run = await cli('deploy', 'record', '--app', 'shop', '--version', 'v2b', '--level', V2);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`warning: level ${V2}: ${V2} (pending) is not backfilled yet`);
    // Begun (dual_write), not backfilled: still could not have gone live, but a record from now on counts (campaign CI).
    await xc.apply({ to: 'expand' });
    const begun = await xc.deploy.record({ app: 'shop', version: 'v2c', level: V2 });
    expect(begun.warning).toBe(`level ${V2}: ${V2} (dual_write) is not backfilled yet, so this build could not have gone live (\`xc check\` refuses it) — run \`xc apply\``);
    await xc.deploy.retire({ app: 'shop', version: 'v2c' });
    // As the warning says: once applied, the contract does not count the record made before; recorded again, it does.
    await xc.apply();
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    expect((await rejection(xc.contract())).message).toContain(`set before ${V2} began expanding`);
    const again = await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
    expect(again.warning).toBeUndefined();
    await xc.deploy.retire({ app: 'shop', version: 'v2b' });
    await xc.contract();
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id']);
  });

  it('deploy record without --level from an older checkout: the level of its own migrations, not a newer one the state has', async () => {
    const { db, xc, open } = await setup(target);
    await xc.apply(); // v2's pre-deploy: V2 backfilled
    const v1Checkout = await mkdtemp(path.join(tmpdir(), 'xc-gin-v1-'));
    cleanup.push(() => rm(v1Checkout, { recursive: true, force: true }));
    await writeFile(path.join(v1Checkout, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
    // A rollback deploy to v1, recorded from v1's checkout: v1 still needs `name`, so it must hold V2's contract back.
    const r = await open({ dir: v1Checkout }).deploy.record({ app: 'shop', version: 'v1' });
    expect(r).toEqual({ ok: true, deployment: expect.objectContaining({ level: V1 }) });
    await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', version: 'v1', level: V1 })]);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id', 'name']);
  });

  it('deploy record reads ids, not files: a broken file in --dir does not keep a rollout that happened from being recorded', async () => {
    const { db, dir, xc, cli } = await setup(target);
    await xc.apply(); // V2 backfilled
    // A later migration still being written (or from a bad merge): apply refuses it; the rollout of v2 already happened.
    await writeFile(path.join(dir, `${V3}.json`), '{"operations": [{"addColumn": ');
    expect((await rejection(xc.apply())).exitCode).toBe(2);
    const r = await xc.deploy.record({ app: 'shop', version: 'v2' });
    expect(r.deployment.level).toBe(V2);
    expect(r.warning).toContain(`${V3} (pending)`);
    const run = await cli('deploy', 'record', '--app', 'shop', '--version', 'v2b', '--level', V2);
    expect(run.code, run.stderr).toBe(0);
    // A typo still opens nothing: the level is checked against the ids.
    expect((await cli('deploy', 'record', '--app', 'shop', '--version', 'v9', '--level', '0099_nope')).code).toBe(2);
    expect(await db.query(`SELECT version, level FROM ${state(db, 'deployments')} WHERE version LIKE 'v2%' OR version = 'v9' ORDER BY version`)).toEqual([
      { version: 'v2', level: V2 },
      { version: 'v2b', level: V2 },
    ]);
  });

  it('deploy record without --level and nothing backfilled: an unknown level, which blocks, and a warning', async () => {
    const db = await target.create('xc_gin0');
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-gin0-'));
    await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
    const xc = createXc({ url: db.url, dir });
    cleanup.push(() => db.drop(), () => xc.close(), () => rm(dir, { recursive: true, force: true }));
    const r = await xc.deploy.record({ app: 'shop', version: 'v1' });
    expect(r.deployment.level).toBeNull();
    expect(r.warning).toContain('unknown level');
    // Nothing applied yet: the version before the first migration, said as right, not as a record to redo (campaign CV).
    expect(r.warning).toContain(`no migration of ${dir} applied yet: recorded at an unknown level — right for the version that runs before them`);
    expect(r.warning).not.toContain('record again');
    expect(await db.query(`SELECT version, level FROM ${state(db, 'deployments')}`)).toEqual([{ version: 'v1', level: null }]);
    // No file at all yet (the README's first record): the same, said so.
    const empty = await mkdtemp(path.join(tmpdir(), 'xc-gin0-empty-'));
    const first = createXc({ url: db.url, dir: empty });
    cleanup.push(() => first.close(), () => rm(empty, { recursive: true, force: true }));
    expect((await first.deploy.record({ app: 'web', version: 'v1' })).warning).toContain(`no migration files in ${empty}: recorded at an unknown level — right for the version that runs before your first migration`);
  });

  it('deploy retire of a version that is not live exits 2 (never recorded, or already retired) and changes nothing', async () => {
    const { xc, snapshot, cli } = await setup(target);
    const before = await snapshot();
    let err = await rejection(xc.deploy.retire({ app: 'shop', version: 'v1.0' }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('shop@v1.0 was never recorded');
    expect(err.message).toContain('live versions of shop without an environment: v1');
    err = await rejection(xc.deploy.retire({ app: 'shop', version: 'v1', env: 'staging' })); // recorded, but in another env
    expect(err.message).toContain('never recorded');
    expect(await snapshot()).toEqual(before);

    expect(await xc.deploy.retire({ app: 'shop', version: 'v1' })).toEqual({ ok: true, retired: 1 });
    const retired = await snapshot();
    const run = await cli('deploy', 'retire', '--app', 'shop', '--version', 'v1', '--json');
    expect(run.code).toBe(2);
    expect(lastJson(run)).toMatchObject({ ok: false, error: { exitCode: 2, details: { recorded: true, retiredAt: expect.any(String) } } });
    expect(lastJson(run).error.message).toContain('already retired');
    expect(await snapshot()).toEqual(retired);
  });

  it('deploy record of an app or environment with no live record, where others have one: a warning naming them and the retire that takes it back, again after that retire (campaigns CT, CU)', async () => {
    const { db, xc, cli } = await setup(target);
    await xc.apply();
    const typo = await cli('deploy', 'record', '--app', 'sohp', '--version', 'v2');
    expect(typo.code, typo.stderr).toBe(0);
    expect(typo.stderr).toContain('warning: app sohp has no other live version recorded (apps live here: shop)');
    expect(typo.stderr).toContain('`xc deploy retire --app sohp --version v2` takes this record back');
    // What the warning offers undoes it: the gate is as it was (shop@v1, below V2, still blocks V2's contract).
    expect((await cli('deploy', 'retire', '--app', 'sohp', '--version', 'v2')).code).toBe(0);
    expect((await rejection(xc.contract())).exitCode).toBe(3);
    // Taken back, the name is not known: the same typo again warns again (campaign CU).
    expect((await xc.deploy.record({ app: 'sohp', version: 'v2' })).warning).toContain('app sohp has no other live version recorded (apps live here: shop)');
    await xc.deploy.retire({ app: 'sohp', version: 'v2' });

    const env = await xc.deploy.record({ app: 'shop', version: 'v2', env: 'prdo' });
    expect(env.warning).toContain('shop has no other live version recorded in environment prdo (its environments here: (default))');
    expect(env.warning).toContain('`xc deploy retire --app shop --version v2 --env prdo`');
    // Known app and environment: nothing said, as before.
    expect(await xc.deploy.record({ app: 'shop', version: 'v2' })).toEqual({ ok: true, deployment: expect.objectContaining({ app: 'shop', version: 'v2' }) });
    expect((await xc.deploy.record({ app: 'shop', version: 'v3', env: 'prdo' })).warning).toBeUndefined();
    // A version differing only in case from a live one (campaign ES: --version V4 beside v4).
    const cased = await cli('deploy', 'record', '--app', 'shop', '--version', 'V2');
    expect(cased.code, cased.stderr).toBe(0);
    expect(cased.stderr).toContain("warning: version V2 differs only in case from shop's live version v2");
    expect(cased.stderr).toContain('`xc deploy retire --app shop --version V2` takes this record back');
    expect(await db.count(`SELECT count(*) FROM ${state(db, 'deployments')} WHERE app = 'sohp' AND retired_at IS NOT NULL`)).toBe(1);
  });

  it('a --dir lacking migrations the database has run: apply, contract, rollback and plan exit 2 naming them; --allow-missing goes on', async () => {
    const { db, xc, open, snapshot } = await setup(target);
    await xc.apply({ to: 'expand' });
    const wrong = await mkdtemp(path.join(tmpdir(), 'xc-gin-wrong-'));
    cleanup.push(() => rm(wrong, { recursive: true, force: true }));
    await writeFile(path.join(wrong, '0005_other_project.json'), JSON.stringify(addNick));
    const lost = open({ dir: wrong });
    const before = await snapshot();
    for (const run of [() => lost.apply(), () => lost.contract(), () => lost.rollback(), () => lost.plan(), () => lost.apply({ dryRun: true })]) {
      const err = await rejection(run());
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(`${V1} (contracted), ${V2} (dual_write)`);
      expect(err.message).toContain('--allow-missing');
      expect(err.details.missing).toEqual([V1, V2]);
    }
    expect(await snapshot()).toEqual(before); // the other project's 0005 was not applied
    expect((await lost.status()).migrations.map((m) => [m.id, m.missingFile ?? false])).toEqual([[V1, true], [V2, true], ['0005_other_project', false]]);

    // Partial on purpose: the state's migrations are handled from the state alone.
    const partial = open({ dir: wrong, allowMissing: true });
    expect((await partial.apply()).migrations).toEqual([expect.objectContaining({ id: '0005_other_project', phase: 'backfilled' })]);
    expect((await partial.rollback({ id: V2 })).migrations.map((m) => [m.id, m.phase])).toEqual([['0005_other_project', 'rolled_back'], [V2, 'rolled_back']]);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['id', 'name']);
    // A rolled-back migration's file may go: that is not a missing file.
    await rm(path.join(wrong, '0005_other_project.json'));
    const emptyish = open({ dir: wrong, allowMissing: false });
    expect((await rejection(emptyish.apply())).details.missing).toEqual([V1]);
  });

  it('the CLI takes --allow-missing and XC_ALLOW_MISSING', async () => {
    const { db, cli } = await setup(target);
    const empty = await mkdtemp(path.join(tmpdir(), 'xc-gin-empty-'));
    cleanup.push(() => rm(empty, { recursive: true, force: true }));
    const inEmpty = (args: string[], env: Record<string, string> = {}) => runXc([...args, '--url', db.url, '--dir', empty], { env });
    const refused = await inEmpty(['apply']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`lacks the files of 1 migration this database has run: ${V1} (contracted)`);
    expect((await inEmpty(['apply', '--allow-missing'])).code).toBe(0);
    expect((await inEmpty(['apply'], { XC_ALLOW_MISSING: '1' })).code).toBe(0);
    expect((await cli('apply')).code).toBe(0); // the right folder needs no flag
  }, 240_000); // four spawns of the CLI on a busy machine

  it('requests that can never succeed exit 2, not 3: rollback of a contracted or a never-started migration', async () => {
    const { xc, write, snapshot, cli } = await setup(target);
    await write(V3, addNick);
    await xc.apply({ id: V2 });
    const before = await snapshot();
    let err = await rejection(xc.rollback({ id: V1 }));
    expect(err).toBeInstanceOf(CannotSucceedError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`${V1} is contracted`);
    expect(err.message).toContain('new migration that reverses it');
    err = await rejection(xc.rollback({ id: V3 }));
    expect(err).toBeInstanceOf(CannotSucceedError);
    expect(err.message).toContain(`${V3} has not started`);
    const run = await cli('rollback', V1);
    expect(run.code).toBe(2);
    // Said so, unlike a file refused as the database stands, which a way on may pass (campaign DH).
    expect(run.stderr).toContain('(exit 2: a request that can never succeed as asked; nothing was executed)');
    expect(await snapshot()).toEqual(before);

    // Phase order that `xc apply` resolves stays exit 3, naming the command.
    err = await rejection(xc.contract({ id: V3 }));
    expect(err).toBeInstanceOf(RefusedError);
    expect(err.message).toContain(`xc apply ${V3}`);
    expect(await snapshot()).toEqual(before);
    // So does `xc backfill ID` of one not started: once "nothing to backfill", exit 0, and nothing ran (campaign N2).
    err = await rejection(xc.backfill({ id: V3 }));
    expect([err.constructor, err.exitCode, err.message]).toEqual([RefusedError, 3, expect.stringContaining(`${V3} has not started: run \`xc apply ${V3}\` first`)]);
    expect((await cli('backfill', V3)).code).toBe(3);
    expect(await snapshot()).toEqual(before);

    // Rolling back again what is rolled back is a no-op (a re-run is safe), not a refusal.
    expect((await xc.rollback({ id: V2 })).migrations.map((m) => m.id)).toEqual([V2]);
    expect(await xc.rollback({ id: V2 })).toEqual({ ok: true, migrations: [] });
  });

  it('an edited file of a migration in flight: apply exits 2 naming `xc rollback ID`, which undoes it from the state; then the edit applies', async () => {
    const { db, xc, write, cli } = await setup(target);
    await xc.apply({ to: 'expand' });
    const edited = { operations: [{ renameColumn: { table: 'users', from: 'name', to: 'display_name' } }] };
    await write(V2, edited);
    const err = await rejection(xc.apply());
    expect(err).toBeInstanceOf(DriftError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`\`xc rollback ${V2}\` undoes it from what the state recorded; then \`xc apply\``);
    expect(err.message).toContain('`xc apply --allow-drift`');
    const contract = await rejection(xc.contract());
    expect(contract.message).toContain('`xc contract --allow-drift`');
    // The gate too (campaign D): the build expects display_name, the database has what the state recorded.
    for (const apply of [false, true]) {
      const gate = await rejection(xc.check({ app: 'web', version: 'v2', apply }));
      expect(gate).toBeInstanceOf(DriftError);
      expect(gate.message).toContain('`xc check --allow-drift`');
    }

    const run = await cli('rollback', V2); // never refused for drift: it runs the plan the state recorded
    expect(run.code, run.stderr).toBe(0);
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['id', 'name']);
    await xc.apply();
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['display_name', 'id', 'name']);
    expect(await db.query(`SELECT id, display_name FROM users ORDER BY id`)).toEqual([{ id: 1, display_name: 'ann' }, { id: 2, display_name: 'bob' }]);
  });

  it('a contract whose own `sql` failed, its file then fixed: refused for drift naming `xc rollback ID` (it removed nothing), which undoes it; the fixed file then applies and contracts (campaign CC)', async () => {
    const { db, xc, write, snapshot } = await setup(target);
    const typo = (column: string) => ({ operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'varchar(20)' } } }, { sql: { contract: `UPDATE users SET nick = name WHERE ${column} IS NULL` } }] });
    await write(V2, typo('nik'));
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    const failed = await rejection(xc.contract());
    expect(failed.exitCode).toBe(1);
    expect(failed.message).toContain(`${V2} stays contracting, nothing of its old shape removed yet`);
    await write(V2, typo('nick'));
    const before = await snapshot();
    const drift = await rejection(xc.contract());
    expect(drift).toBeInstanceOf(DriftError);
    expect(drift.message).toContain(`was changed after it was applied (contracting)`);
    expect(drift.message).toContain(`\`xc rollback ${V2}\` undoes it from what the state recorded — with --force --reason TEXT while a version that has it is live, and that version recorded again once applied; then \`xc apply\``);
    expect(drift.message).not.toContain('can no longer be undone');
    expect(await snapshot()).toEqual(before);
    // The way it names works: v2 is live at that level, so the rollback is forced (logged).
    await xc.rollback({ id: V2, force: true, reason: 'fix the contract typo' });
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['id', 'name']);
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 }); // applied again: its deploy recorded again (the gate asks)
    await xc.contract();
    expect(await db.query('SELECT id, name, nick FROM users ORDER BY id')).toEqual([{ id: 1, name: 'ann', nick: 'ann' }, { id: 2, name: 'bob', nick: 'bob' }]);
  });

  it('an edited file of a contracted migration: the message says it can no longer be undone, not to roll it back', async () => {
    const { xc, write } = await setup(target);
    await write(V1, { operations: [{ sql: { expand: 'SELECT 2' } }] });
    const err = await rejection(xc.apply());
    expect(err).toBeInstanceOf(DriftError);
    expect(err.message).toContain('can no longer be undone (contracted): restore the file');
    expect(err.message).not.toContain('xc rollback');
  });
});
}
