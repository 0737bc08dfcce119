/**
 * MariaDB: kill -9 inside the cut-over of a column other tables reference
 * (mysql/keyswap.ts), whose statements commit one by one under LOCK TABLES:
 * the children's keys dropped, the parent swapped, the keys added again.
 * xc is killed while its cut-over waits for the lock (a transaction of the
 * test's own holds the table); the test then leaves the database as the
 * killed session would have one or two statements later, and runs `xc
 * contract` again: it must converge with every child's key back, enforced,
 * and no row lost.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { foreignKeys, rejects } from '../helpers/operations.js';
import { targets, type Db } from '../helpers/targets.js';
import type { Queryable } from '../helpers/writers.js';
import { runXcKillingAt } from '../helpers/cli.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const xc = runXcKillingAt;

const shadowOf = async (db: Db) => (await db.columns('parents')).find((c) => c.name.startsWith('xc_shadow'))?.name;

/** Expand done, xc killed while its cut-over waits for the lock; returns what the killed session would have run next. */
async function killedInCutOver(db: Db) {
  // Nullable: the cut-over is the contract's first step, the one that waits for the lock.
  await db.query(`CREATE TABLE parents (id int PRIMARY KEY, code varchar(10), CONSTRAINT parents_code_key UNIQUE (code))`);
  await db.query(`CREATE TABLE kids (id int PRIMARY KEY, code varchar(10), CONSTRAINT kids_code_fkey FOREIGN KEY (code) REFERENCES parents (code))`);
  await db.query(`INSERT INTO parents VALUES (1, 'a'), (2, 'b')`);
  await db.query(`INSERT INTO kids VALUES (1, 'a'), (2, 'b')`);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-keykill-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, '0001_code_wide.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'parents', column: 'code', type: 'varchar(300)' } }] }));
  const args = ['--url', db.url, '--dir', dir];
  const lib = createXc({ url: db.url, dir });
  cleanups.push(() => lib.close());
  await lib.apply();
  await lib.deploy.record({ app: 'shop', version: 'v2' });
  const shadow = (await shadowOf(db))!;
  const holder: Queryable = await db.connection();
  await holder.query('BEGIN');
  await holder.query('SELECT id FROM parents WHERE id = 1');
  const killed = await xc(['contract', ...args, '--lock-timeout', '60000'], (e) => e.event === 'step' && /cut over/.test(String(e.description)));
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  await holder.query('ROLLBACK');
  const triggers = await db.query<{ n: string }>(`SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'xc\\_shadowsync%'`);
  const copy = (await db.query<{ n: string }>(`SELECT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'parents' AND COLUMN_NAME = ?`, [shadow]))[0]!.n;
  return {
    args,
    dropTriggerAndKey: async () => {
      for (const { n } of triggers) await db.query(`DROP TRIGGER \`${n}\``);
      await db.query(`ALTER TABLE kids DROP FOREIGN KEY kids_code_fkey`);
    },
    swap: () => db.query(`ALTER TABLE parents DROP COLUMN code, RENAME COLUMN \`${shadow}\` TO code, RENAME INDEX \`${copy}\` TO parents_code_key`),
  };
}

async function converged(db: Db, args: string[]) {
  const done = await xc(['contract', ...args]);
  expect(done.code, done.stderr).toBe(0);
  expect(await shadowOf(db)).toBeUndefined();
  expect(await db.count(`SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'parents' AND column_name = 'code'`)).toBe(300);
  expect(await foreignKeys(db, 'kids')).toEqual(['kids_code_fkey FOREIGN KEY (code) REFERENCES parents(code) ON DELETE RESTRICT']);
  await rejects(db, `INSERT INTO kids VALUES (9, 'zz')`);
  await rejects(db, `DELETE FROM parents WHERE id = 1`);
  expect(await db.count(`SELECT count(*) FROM kids k JOIN parents p ON p.code = k.code`)).toBe(2);
}

for (const target of targets.filter((t) => t.name === 'mysql')) {
  target.describe('alterColumn in place over a referenced column: kill -9 inside the cut-over (mysql)', () => {
    it("killed after a child's key was dropped, before the parent's swap: the re-run drops nothing twice, swaps, adds the key again", async () => {
      const db = await target.create('xc_keykill1');
      cleanups.push(() => db.drop());
      const { args, dropTriggerAndKey } = await killedInCutOver(db);
      await dropTriggerAndKey();
      await converged(db, args);
    }, 180_000);

    it("killed after the parent's swap, before the child's key came back: the step after the cut-over adds it", async () => {
      const db = await target.create('xc_keykill2');
      cleanups.push(() => db.drop());
      const { args, dropTriggerAndKey, swap } = await killedInCutOver(db);
      await dropTriggerAndKey();
      await swap();
      expect(await foreignKeys(db, 'kids')).toEqual([]);
      await converged(db, args);
    }, 180_000);
  });
}
