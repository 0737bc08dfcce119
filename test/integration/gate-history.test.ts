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

for (const target of targets) {
  target.describe(`the gate and what a build has (${target.name})`, () => {
    it('a migration merged with an id below a live build level is not in that build: contract waits for it, and its checkout is refused once it is contracted', async () => {
      const db = await database(target);
      const v1 = xcOn(db, await checkout([BASE, EMAIL]));
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
      let recorded = false;
      const xc = xcOn(db, dir, {
        onEvent: (e) => {
          if (e.event !== 'verify' || recorded) return;
          recorded = true;
          // Synchronous: the verify goes on only once the older version is recorded live, as a pipeline could do meanwhile.
          execFileSync(process.execPath, [BIN, 'deploy', 'record', '--app', 'web', '--version', 'v0', '--level', BASE, '--url', db.url, '--dir', dir], { env: xcEnv(), stdio: 'ignore' });
        },
      });
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: 'v2' });
      const err = await rejection(xc.contract());
      expect(recorded).toBe(true);
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain(`deployment web@v0 is live at level ${BASE}`);
      expect((await xc.status()).migrations.find((m) => m.id === MERGED)!.phase).toBe('backfilled');
      expect(await columns(db)).toEqual(['full_name', 'id', 'name']);
      await xc.deploy.retire({ app: 'web', version: 'v0' });
      await xc.contract();
      expect(await columns(db)).toEqual(['full_name', 'id']);
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
