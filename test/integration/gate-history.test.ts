/**
 * The gate and what a build really has (an adversarial campaign of
 * 2026-12-01): an id is no date — a branch merged with an id below a live
 * build's level was never in that build; a deployment recorded while the
 * contract verifies counts; an older checkout's `check --apply` answers as
 * the gate does (exit 3), not as a broken folder (exit 2); ids are ordered
 * as the files are, whatever the database's collation.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc, type XcOptions } from '../../src/index.js';
import { BIN, rejection, xcEnv } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const BASE = '0001_base';
const MERGED = '0002_rename_name';
const EMAIL = '0003_add_email';
const INDEX = '0004_index';
const files: Record<string, unknown> = {
  [BASE]: { operations: [{ sql: { expand: 'SELECT 1' } }] },
  [MERGED]: { operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] },
  [EMAIL]: { operations: [{ addColumn: { table: 'users', column: { name: 'email', type: 'varchar(100)' } } }] },
  [INDEX]: { operations: [{ addIndex: { table: 'users', columns: ['id', 'name'] } }] },
};

/** A folder with the given migrations: one build's checkout. */
async function checkout(ids: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-gateh-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  for (const id of ids) await writeFile(path.join(dir, `${id}.json`), JSON.stringify(files[id]));
  return dir;
}

async function database(target: (typeof targets)[number]): Promise<Db> {
  const db = await target.create('xc_gateh');
  cleanup.push(() => db.drop());
  await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
  await db.query(`INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`);
  return db;
}

function xcOn(db: Db, dir: string, opts: Partial<XcOptions> = {}): Xc {
  const xc = createXc({ url: db.url, dir, ...opts });
  cleanup.push(() => xc.close());
  return xc;
}

const columns = async (db: Db) => (await db.columns('users')).map((c) => c.name).sort();

/** A state table's qualified name, and its columns (xc keeps its state in schema `xc` on PostgreSQL, in `xc_` tables on MySQL). */
const stateTable = (db: Db, name: string) => (db.dialect === 'postgres' ? `xc.${name}` : `xc_${name}`);
async function stateColumns(db: Db, name: string): Promise<string[]> {
  const rows =
    db.dialect === 'postgres'
      ? await db.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'xc' AND table_name = ?`, [name])
      : await db.query<{ c: string }>(`SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [`xc_${name}`]);
  return rows.map((r) => r.c).sort();
}
/** The state as the xc before `build_level` (and `first_recorded_at`) made it. */
async function dropBuildLevel(db: Db): Promise<void> {
  for (const t of ['deployments', 'instances']) await db.query(`ALTER TABLE ${stateTable(db, t)} DROP COLUMN build_level`);
  await db.query(`ALTER TABLE ${stateTable(db, 'deployments')} DROP COLUMN first_recorded_at`);
}

/**
 * v2 = branch A (BASE, EMAIL) recorded; branch B's MERGED goes out with v3 (BASE, MERGED, EMAIL); then the rollback
 * deploy back to v2, whose folder lacks MERGED: `live()` makes v2 live again (a record, or an instance) before v3 is
 * retired. The checkouts, for what comes after.
 */
async function mergedLaterThenBackToV2(db: Db, live: (v2: Xc) => Promise<unknown>): Promise<{ v2: Xc; v3: Xc }> {
  const v2 = xcOn(db, await checkout([BASE, EMAIL]));
  const v3 = xcOn(db, await checkout([BASE, MERGED, EMAIL]));
  await v2.check({ app: 'web', version: 'v2', apply: true });
  expect((await v2.deploy.record({ app: 'web', version: 'v2' })).deployment.level).toBe(EMAIL);
  expect((await v3.check({ app: 'web', version: 'v3', apply: true })).applied.map((m) => m.id)).toEqual([MERGED]);
  await v3.deploy.record({ app: 'web', version: 'v3' });
  await v3.deploy.retire({ app: 'web', version: 'v2' });
  await live(v2);
  await v3.deploy.retire({ app: 'web', version: 'v3' });
  await db.query(`UPDATE users SET email = 'ann@example.com' WHERE id = 1`); // v2 writes its column
  return { v2, v3 };
}

/** An onEvent that, at the first verify, records web@v0 live at BASE from another process, as a pipeline could meanwhile. */
/** Records v0 at the first verify once `arm`ed: a contract's (MySQL's apply verifies too, after its fill). */
function v0OnFirstVerify(db: Db, dir: string): { onEvent: XcOptions['onEvent']; recorded: () => boolean; arm: () => void } {
  let recorded = false;
  let armed = false;
  return {
    arm: () => void (armed = true),
    onEvent: (e) => {
      if (e.event !== 'verify' || !armed || recorded) return;
      recorded = true;
      // Synchronous: the verify goes on only once the older version is recorded live.
      execFileSync(process.execPath, [BIN, 'deploy', 'record', '--app', 'web', '--version', 'v0', '--level', BASE, '--url', db.url, '--dir', dir], { env: xcEnv(), stdio: 'ignore' });
    },
    recorded: () => recorded,
  };
}

for (const target of targets) {
  target.describe(`the gate and what a build has (${target.name})`, () => {
    // --allow-missing (a folder kept partial on purpose: squashed) excuses no migration merged after the build.
    for (const v1Options of [{}, { allowMissing: true }] as Partial<XcOptions>[]) it(`a migration merged with an id below a live build level is not in that build: contract waits for it, and its checkout is refused once it is contracted${v1Options.allowMissing ? ' (the old build run with --allow-missing)' : ''}`, async () => {
      const db = await database(target);
      const v1 = xcOn(db, await checkout([BASE, EMAIL]), v1Options);
      const v2 = xcOn(db, await checkout([BASE, MERGED, EMAIL]));
      await v1.apply();
      expect((await v1.deploy.record({ app: 'web', version: 'v1' })).deployment.level).toBe(EMAIL);
      await v1.contract();

      // The other branch merges; v2's pipeline expands it before deploying.
      expect((await v2.check({ app: 'web', version: 'v2', apply: true })).applied.map((m) => m.id)).toEqual([MERGED]);
      const before = await rejection(v2.contract());
      expect(before.exitCode).toBe(3);
      expect(before.message).toMatch(new RegExp(`deployment web@v1 is live at level ${EMAIL}[^\n]*, set before ${MERGED} began expanding`));
      expect(await columns(db)).toEqual(['email', 'full_name', 'id', 'name']);
      await db.query(`INSERT INTO users (id, name) VALUES (3, 'cy')`); // v1 still writes its shape

      await v2.deploy.record({ app: 'web', version: 'v2' });
      expect((await rejection(v2.contract())).exitCode).toBe(3); // v1 is still live
      // v1 recorded again from its own checkout (a rollback deploy, a second environment): at the level it has all of.
      const again = await v1.deploy.record({ app: 'web', version: 'v1' });
      expect(again.deployment.level).toBe(BASE);
      expect(again.warning).toMatch(new RegExp(`lack ${MERGED}`));
      expect((await rejection(v2.contract())).exitCode).toBe(3);

      await v2.deploy.retire({ app: 'web', version: 'v1' });
      await v2.contract();
      expect(await columns(db)).toEqual(['email', 'full_name', 'id']);
      // Recorded live anyway (the gate must know what runs), it is told it needs a shape a contract removed.
      expect((await v1.deploy.record({ app: 'web', version: 'v1', env: 'staging' })).warning).toContain(`${MERGED} is contracted above this level: this version needs a shape it removed`);
      // A rollback deploy to v1 would break: refused from its checkout, with --apply too (exit 3, not a folder error).
      for (const apply of [false, true]) {
        const refused = await rejection(v1.check({ app: 'web', version: 'v1', apply }));
        expect(refused.exitCode, refused.message).toBe(3);
        expect(refused.message).toContain(`${MERGED} is contracted: this build lacks it (merged after the build was cut)`);
      }
    });

    it('--allow-missing excuses no migration still in flight: a build lacking one between its files, recorded with the flag, blocks its contract; a contracted one taken as squashed is said (campaign DE: the contract dropped the column the build wrote)', async () => {
      const db = await database(target);
      const main = xcOn(db, await checkout([BASE, MERGED, EMAIL]));
      await main.apply(); // MERGED began expanding before EMAIL: nothing tells the branch's build from a squashed folder but the phase
      const branch = xcOn(db, await checkout([BASE, EMAIL]), { allowMissing: true });
      const recorded = await branch.deploy.record({ app: 'web', version: 'branch' });
      expect(recorded.deployment.level).toBe(BASE);
      expect(recorded.warning).toMatch(new RegExp(`lack ${MERGED}`));
      const err = await rejection(main.contract({ id: MERGED }));
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain('deployment web@branch is live');
      expect(await columns(db)).toEqual(['email', 'full_name', 'id', 'name']);
      // Retired, MERGED is contracted; the same folder with the flag now reads it as squashed away, and says so.
      await main.deploy.retire({ app: 'web', version: 'branch' });
      await main.deploy.record({ app: 'web', version: 'main' });
      await main.contract();
      const checked = await branch.check({ app: 'web', version: 'branch2' });
      expect(checked.warning).toContain(`--allow-missing: ${MERGED}, contracted, is missing between this folder's files and taken as squashed away`);
    });

    it('an instance heartbeating from a checkout that lacks the merged migration blocks its contract', async () => {
      const db = await database(target);
      const v1 = xcOn(db, await checkout([BASE, EMAIL]));
      const v2 = xcOn(db, await checkout([BASE, MERGED, EMAIL]));
      await v1.apply();
      await v1.deploy.record({ app: 'web', version: 'v1' });
      await v1.contract();
      await v2.check({ app: 'web', version: 'v2', apply: true });
      await v2.deploy.record({ app: 'web', version: 'v2' });
      await v2.deploy.retire({ app: 'web', version: 'v1' });
      // A v1 instance (re)started after the merge, from v1's build, at the level `xc level` gives it.
      const beat = await v1.startHeartbeat({ app: 'web', version: 'v1', level: await v1.level() });
      try {
        const err = await rejection(v2.contract());
        expect(err.exitCode).toBe(3);
        expect(err.message).toContain(`instance web@v1`);
        expect(err.message).toContain(`level ${BASE}`);
      } finally {
        await beat.stop();
      }
      await v2.contract();
      expect(await columns(db)).toEqual(['email', 'full_name', 'id']);
    });

    it("rollback: a live version recorded at a level lowered for a migration merged later still has its own later migrations, and blocks their rollback; a genuine older build does not", async () => {
      const db = await database(target);
      let again: Awaited<ReturnType<Xc['deploy']['record']>> | undefined;
      const { v3 } = await mergedLaterThenBackToV2(db, async (v2) => (again = await v2.deploy.record({ app: 'web', version: 'v2' })));
      // Rolling back EMAIL, or MERGED (which takes EMAIL with it, newest first), would drop users.email, which v2 writes.
      for (const id of [EMAIL, MERGED]) {
        const err = await rejection(v3.rollback({ id }));
        expect(err.exitCode, err.message).toBe(3);
        expect(err.message).toContain(`rollback of ${EMAIL} refused`);
        expect(err.message).toContain(`deployment web@v2 is live at level ${BASE} (lowered for a migration its build lacks; its build has migrations up to ${EMAIL})`);
        expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', app: 'web', version: 'v2', level: BASE, buildLevel: EMAIL })]);
      }
      expect(await columns(db)).toEqual(['email', 'full_name', 'id', 'name']);
      expect((await db.query<{ email: string | null }>(`SELECT email FROM users WHERE id = 1`))[0]!.email).toBe('ann@example.com');
      // Recorded lowered for the contract gate (v2 lacks MERGED's new shape), its build's own level kept beside it.
      expect(again!.deployment).toMatchObject({ level: BASE, buildLevel: EMAIL });
      expect(again!.warning).toContain(`a rollback is judged by the level of its build, ${EMAIL}`);
      expect((await v3.deploy.list()).deployments.find((d) => d.version === 'v2' && d.retiredAt === null)).toMatchObject({ level: BASE, buildLevel: EMAIL });
      // The contract gate still reads the lowered level: v2 lacks MERGED's new shape.
      expect((await rejection(v3.contract({ id: MERGED }))).message).toContain(`deployment web@v2 is live at level ${BASE}`);

      // A genuine older build (only BASE), recorded after EMAIL expanded (a rollback deploy to it), has neither: it does not block.
      const v1 = xcOn(db, await checkout([BASE]));
      const rec = await v1.deploy.record({ app: 'web', version: 'v1' });
      expect(rec.deployment.level).toBe(BASE);
      expect(rec.deployment.buildLevel).toBeUndefined();
      expect((await rejection(v3.rollback({ id: MERGED }))).details.blockers).toEqual([expect.objectContaining({ version: 'v2' })]);
      await v3.deploy.retire({ app: 'web', version: 'v2' });
      expect((await v3.rollback({ id: MERGED })).migrations.map((m) => [m.id, m.phase])).toEqual([
        [EMAIL, 'rolled_back'],
        [MERGED, 'rolled_back'],
      ]);
      expect(await columns(db)).toEqual(['id', 'name']);
    }, 120_000);

    it('rollback: an instance heartbeating from a checkout that lacks the merged migration blocks the rollback of its own later one', async () => {
      const db = await database(target);
      let beat: Awaited<ReturnType<Xc['startHeartbeat']>> | undefined;
      // Only the instance says v2 runs again (its record was retired when v3 went out).
      const { v3 } = await mergedLaterThenBackToV2(db, async (v2) => (beat = await v2.startHeartbeat({ app: 'web', version: 'v2' })));
      cleanup.push(() => beat!.stop());
      const err = await rejection(v3.rollback({ id: EMAIL }));
      expect(err.exitCode, err.message).toBe(3);
      expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'instance', version: 'v2', level: BASE, buildLevel: EMAIL })]);
      expect(err.message).toContain(`instance web@v2`);
      expect((await v3.deploy.list()).instances).toEqual([expect.objectContaining({ version: 'v2', level: BASE, buildLevel: EMAIL })]);
      await beat!.stop();
      expect((await v3.rollback({ id: EMAIL })).migrations.map((m) => [m.id, m.phase])).toEqual([[EMAIL, 'rolled_back']]);
      expect(await columns(db)).toEqual(['full_name', 'id', 'name']);
    }, 120_000);

    it('a state made before build_level and first_recorded_at: reads take them for null and change nothing; deploy record and heartbeat add them', async () => {
      const db = await database(target);
      const xc = xcOn(db, await checkout([BASE, EMAIL]));
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: 'v2' });
      const old = await xc.startHeartbeat({ app: 'web', version: 'v2' });
      cleanup.push(() => old.stop());
      await dropBuildLevel(db);
      const before = { deployments: await stateColumns(db, 'deployments'), instances: await stateColumns(db, 'instances') };
      expect(before.deployments).not.toContain('build_level');

      // Reads: status, plan, deploy list, the gates.
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled']);
      await xc.plan();
      const listed = await xc.deploy.list();
      expect(listed.deployments).toEqual([expect.objectContaining({ version: 'v2', level: EMAIL })]);
      expect(listed.deployments[0]!.buildLevel).toBeUndefined();
      expect(listed.deployments[0]!.firstRecordedAt).toBeUndefined();
      expect(listed.instances).toEqual([expect.objectContaining({ version: 'v2', level: EMAIL })]);
      const err = await rejection(xc.rollback({ id: EMAIL }));
      expect(err.exitCode, err.message).toBe(3);
      expect(err.details.blockers.map((b: { kind: string }) => b.kind)).toEqual(['deployment', 'instance']);
      expect({ deployments: await stateColumns(db, 'deployments'), instances: await stateColumns(db, 'instances') }).toEqual(before);

      // Writes: a deploy record adds it (to both tables), and so does a heartbeat's start.
      const { deployment } = await xc.deploy.record({ app: 'web', version: 'v2' });
      expect(deployment.level).toBe(EMAIL);
      // Its first record's time is the one the row kept, from before the column came.
      expect(deployment.firstRecordedAt).toBe(listed.deployments[0]!.recordedAt);
      expect(deployment.recordedAt > deployment.firstRecordedAt!).toBe(true);
      expect(await stateColumns(db, 'deployments')).toEqual(expect.arrayContaining(['build_level', 'first_recorded_at']));
      expect(await stateColumns(db, 'instances')).toContain('build_level');
      await dropBuildLevel(db);
      const hb = await xc.startHeartbeat({ app: 'web', version: 'v3' });
      cleanup.push(() => hb.stop());
      expect(await stateColumns(db, 'instances')).toContain('build_level');
      expect((await xc.deploy.list()).instances.map((i) => i.version).sort()).toEqual(['v2', 'v3']);
    }, 120_000);

    it('a checkout without files the state has for other reasons is no build lacking them: rolled back and removed, or squashed (--allow-missing)', async () => {
      const db = await database(target);
      const all = await checkout([BASE, MERGED]);
      const xc = xcOn(db, all);
      await xc.apply();
      await xc.rollback({ id: MERGED }); // the pull request is reverted: its file goes
      const next = xcOn(db, await checkout([BASE, EMAIL]));
      expect((await next.check({ app: 'web', version: 'v3', apply: true })).applied.map((m) => m.id)).toEqual([EMAIL]);
      expect((await next.deploy.record({ app: 'web', version: 'v3' })).deployment.level).toBe(EMAIL);
      await next.contract();
      expect((await next.check({ app: 'web', version: 'v3' })).ok).toBe(true);
      // Squashed: 0003 applied and contracted, its file gone from a folder kept partial on purpose.
      const squashed = xcOn(db, await checkout([BASE, INDEX]), { allowMissing: true });
      expect((await squashed.check({ app: 'web', version: 'v4', apply: true })).applied.map((m) => m.id)).toEqual([INDEX]);
      expect((await squashed.deploy.record({ app: 'web', version: 'v4' })).deployment.level).toBe(INDEX);
      await squashed.deploy.retire({ app: 'web', version: 'v3' });
      await squashed.contract();
      expect((await squashed.check({ app: 'web', version: 'v4' })).ok).toBe(true);
    });

    it('a deployment recorded while the contract verifies stops it before the old shape goes', async () => {
      const db = await database(target);
      const dir = await checkout([BASE, MERGED]);
      const during = v0OnFirstVerify(db, dir);
      const xc = xcOn(db, dir, { onEvent: during.onEvent });
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: 'v2' });
      during.arm();
      const err = await rejection(xc.contract());
      expect(during.recorded()).toBe(true);
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain(`deployment web@v0 is live at level ${BASE}`);
      expect((await xc.status()).migrations.find((m) => m.id === MERGED)!.phase).toBe('backfilled');
      expect(await columns(db)).toEqual(['full_name', 'id', 'name']);
      await xc.deploy.retire({ app: 'web', version: 'v0' });
      await xc.contract();
      expect(await columns(db)).toEqual(['full_name', 'id']);
    }, 120_000);

    it('a check from an empty folder while migrations are in flight passes as a build older than all of them, with a warning (campaign D)', async () => {
      const db = await database(target);
      await xcOn(db, await checkout([BASE, MERGED])).apply();
      const empty = xcOn(db, await checkout([]));
      const r = await empty.check({ app: 'web', version: 'v0' });
      expect(r).toMatchObject({ ok: true, level: null });
      expect(r.warning).toMatch(/holds no migration file while the database has run 2: judged as a build older than every migration \(level none\); if that is the wrong folder, pass the right --dir/);
      // A folder with files gets no such warning.
      expect((await xcOn(db, await checkout([BASE, MERGED])).check({ app: 'web', version: 'v2' })).warning).toBeUndefined();
    });

    it('deploy record with a --level below a migration of its own folder already contracted says so (campaign D)', async () => {
      const db = await database(target);
      const xc = xcOn(db, await checkout([BASE, MERGED]));
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: 'v1' });
      await xc.contract();
      const r = await xc.deploy.record({ app: 'web', version: 'v0', level: BASE });
      expect(r.deployment.level).toBe(BASE);
      expect(r.warning).toContain(`${MERGED} is contracted above this level: this version needs a shape it removed`);
      // At the folder's own level: nothing to say.
      expect((await xc.deploy.record({ app: 'web', version: 'v2' })).warning).toBeUndefined();
    });

    it('a forced contract overrides the blockers it was shown, and logs them; not one recorded while it verifies (campaign D)', async () => {
      const db = await database(target);
      const dir = await checkout([BASE, MERGED]);
      const during = v0OnFirstVerify(db, dir);
      const xc = xcOn(db, dir, { onEvent: during.onEvent });
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: 'v1', level: BASE }); // the blocker --force is shown
      during.arm();
      const err = await rejection(xc.contract({ force: true, reason: 'v1 is being drained' }));
      expect(err.exitCode, err.message).toBe(3);
      expect(err.message).toContain('appeared while it verified');
      expect(err.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', version: 'v0' })]);
      expect((await xc.status()).migrations.find((m) => m.id === MERGED)!.phase).toBe('backfilled');
      expect(await columns(db)).toEqual(['full_name', 'id', 'name']);
      // Forced again, both shown: overridden, and logged with the reason.
      await xc.contract({ force: true, reason: 'v0 and v1 are being drained' });
      expect(await columns(db)).toEqual(['full_name', 'id']);
      // The refused attempt entered contracting, asked the gate, and took the phase back (logged so); the forced one is the last.
      const events = (await xc.log()).events.filter((e) => e.migration === MERGED);
      expect(events.map((e) => e.event).filter((e) => e === 'contracting' || e === 'backfilled').slice(-3)).toEqual(['contracting', 'backfilled', 'contracting']);
      const contracting = events.filter((e) => e.event === 'contracting').at(-1);
      expect(contracting).toMatchObject({ reason: 'v0 and v1 are being drained', detail: { forced: true } });
      const overridden = (contracting!.detail as { blockers: { kind: string; version?: string }[] }).blockers;
      expect(overridden.map((b) => `${b.kind} ${b.version ?? ''}`.trim()).sort()).toEqual(['deployment v0', 'deployment v1', 'no_deployment']);
    }, 120_000);

    it.skipIf(target.name !== 'postgres')('on a database whose collation sorts ids otherwise (ICU: 0003_b before 0003-a), migrations are contracted in id order as the files sort', async () => {
      const name = `xc_icu_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: process.env.XC_TEST_PG_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
      cleanup.push(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      });
      const u = new URL(process.env.XC_TEST_PG_URL!);
      u.pathname = `/${name}`;
      const client = new pg.Client({ connectionString: u.toString() });
      await client.connect();
      cleanup.push(() => client.end());
      await client.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`);
      await client.query(`INSERT INTO users VALUES (1, '1'), (2, 'x')`);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-gateh-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, '0003-a.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'num', type: 'int' }, up: 'CAST(name AS int)' } }] }));
      await writeFile(path.join(dir, '0003_b.json'), JSON.stringify({ operations: [{ addIndex: { table: 'users', columns: ['id', 'name'] } }] }));
      const xc = createXc({ url: u.toString(), dir });
      cleanup.push(() => xc.close());
      expect((await client.query(`SELECT '0003_b' < '0003-a' AS icu`)).rows).toEqual([{ icu: true }]);
      await xc.apply({ to: 'expand' });
      expect((await rejection(xc.backfill())).exitCode).toBe(1); // 0003-a stops at the row whose name is no number
      await xc.deploy.record({ app: 'web', version: 'v2', level: '0003_b' });
      const err = await rejection(xc.contract());
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain('the oldest migration in flight, 0003-a');
      expect((await xc.status()).migrations.map((m) => [m.id, m.phase === 'contracted'])).toEqual([
        ['0003-a', false],
        ['0003_b', false],
      ]);
    });
  });
}
