/**
 * kill -9 during the cut-over of a column changed in place (alterColumn
 * without `to`, operations/shadow.ts), with writers of both versions running:
 * the re-run converges and no write is lost.
 *
 * The worst moment is on MySQL/MariaDB, where DDL commits statement by
 * statement: after the cut-over's DROP TRIGGER and before its ALTER TABLE.
 * The killed session's LOCK TABLES goes with it, so writers then reach the
 * column with no trigger keeping its shadow equal. The test gets xc to that
 * point for certain: a transaction of its own holds the table, so xc's cut-over
 * (journaled as running) waits for its lock; xc is killed there; the trigger
 * is removed as the killed statement would have; the writers then write for a
 * while with no trigger (the test checks that shadows now disagree), and only
 * then is `xc contract` run again. On PostgreSQL the cut-over is one
 * transaction: the kill leaves nothing half-done.
 *
 * Every write adds exactly 1 to the column's sum (an UPDATE +1, an INSERT of 1):
 * a write lost at the cut-over would leave the sum short.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer, type Queryable } from '../helpers/writers.js';
import { runXcKillingAt } from '../helpers/cli.js';

const ROWS = 3000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const xc = runXcKillingAt;

const state = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);
const shadowOf = async (db: Db) => (await db.columns('accounts')).find((c) => c.name.startsWith('xc_shadow'))?.name;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `accounts` made by `create` with ROWS rows (balance 1, note 'n'), a migrations dir, and the library over them. */
async function accountsFor(target: (typeof targets)[number], prefix: string, create: string) {
  const db = await target.create(prefix);
  cleanups.push(() => db.drop());
  await db.query(create);
  await db.seed('accounts', ['id', 'balance', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, 1, 'n']));
  const dir = await mkdtemp(path.join(tmpdir(), `${prefix}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const lib = createXc({ url: db.url, dir, batchSize: 500 });
  cleanups.push(() => lib.close());
  const write = (id: string, operation: unknown) => writeFile(path.join(dir, `${id}.json`), JSON.stringify({ operations: [operation] }));
  return { db, lib, write, args: ['--url', db.url, '--dir', dir] };
}

/** The SQL of the cut-over, `id`'s first contract step as `plan` shows it. */
async function cutOverOf(lib: ReturnType<typeof createXc>, id: string) {
  const [cutOver] = (await lib.plan()).migrations.find((m) => m.id === id)!.pending.find((p) => p.phase === 'contract')!.steps;
  expect(cutOver!.description).toMatch(/^cut over/);
  return cutOver!.sql;
}

/**
 * MySQL/MariaDB: `xc contract` killed (-9) inside the cut-over `sql` (its step's statements), then taken further by
 * hand to where the killed session would have been: xc is killed while its cut-over, journaled as running, waits for
 * a transaction of the test's own; the statements before the ALTER (and the ALTER itself with `throughAlter`) then
 * run on one session, which ends as a killed one does, its LOCK TABLES with it.
 */
async function killedInCutOver(db: Db, args: string[], sql: string, throughAlter: boolean): Promise<void> {
  const holder: Queryable = await db.connection();
  await holder.query('BEGIN');
  await holder.query('SELECT id FROM accounts WHERE id = 1');
  const killed = await xc(['contract', ...args, '--force', '--reason', 'test', '--lock-timeout', '60000'], (e) => e.event === 'step' && /cut over/.test(String(e.description)));
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  await holder.query('ROLLBACK');
  const statements = sql.split(/;\n/).filter((st) => !st.startsWith('-- only after'));
  const alter = statements.findIndex((st) => st.startsWith('ALTER TABLE'));
  const session = await mysql.createConnection({ uri: db.url });
  for (const st of statements.slice(0, throughAlter ? alter + 1 : alter)) await session.query(st);
  session.destroy();
}

for (const target of targets) {
  target.describe(`alterColumn in place: kill -9 during the cut-over (${target.name})`, () => {
    it('killed inside the cut-over while both versions write; re-run converges and no write is lost', async () => {
      const db = await target.create('xc_ipkill');
      cleanups.push(() => db.drop());
      const qi = (id: string) => (db.dialect === 'postgres' ? `"${id}"` : `\`${id}\``);
      await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int, note varchar(20))`);
      await db.query(`CREATE INDEX accounts_balance_idx ON accounts (balance)`);
      await db.seed('accounts', ['id', 'balance', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, 1, 'n']));
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-ipkill-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      // Nullable, no default: the cut-over is the contract's first step.
      await writeFile(path.join(dir, '0001_balance_bigint.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'accounts', column: 'balance', type: 'bigint' } }] }));
      const args = ['--url', db.url, '--dir', dir];

      const lib = createXc({ url: db.url, dir, batchSize: 500 });
      cleanups.push(() => lib.close());
      await lib.apply();
      await lib.deploy.record({ app: 'bank', version: 'v2' });
      const shadow = (await shadowOf(db))!;
      expect(shadow).toBeDefined();

      // Both versions write the column by its name, old-type values; each write adds 1 to the sum.
      const writes = (base: number) => (i: number) =>
        i % 3 === 0 ? { sql: `INSERT INTO accounts (id, balance) VALUES (?, 1)`, params: [base + i] } : { sql: `UPDATE accounts SET balance = balance + 1 WHERE id = ?`, params: [1 + ((i * 7919 + base) % ROWS)] };
      const writers = [new Writer(await db.connection(), writes(100_000)).start(), new Writer(await db.connection(), writes(200_000)).start()];
      cleanups.push(() => Promise.all(writers.map((w) => w.stop())));

      // A transaction of the test's own holds the table: the cut-over, journaled as running, waits for its lock.
      const holder: Queryable = await db.connection();
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM accounts WHERE id = 1');
      const cutOver = (e: Record<string, unknown>) => e.event === 'step' && /cut over|remove trigger xc_shadowsync/.test(String(e.description));
      const killed = await xc(['contract', ...args, '--lock-timeout', '60000'], cutOver);
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'contracting' }]);
      expect(await shadowOf(db)).toBe(shadow);

      // The holder lets go (the killed session's waiting LOCK TABLES dies with its connection).
      await holder.query('ROLLBACK');
      if (db.dialect === 'mysql') {
        // Where the killed session would have been one statement later: its trigger gone, the column not yet swapped.
        expect(await db.query(`SELECT status FROM ${state(db, 'steps')} WHERE phase = 'contract' AND seq = 0`)).toEqual([{ status: 'running' }]);
        for (const { n } of await db.query<{ n: string }>(`SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'xc\\_shadowsync%'`)) await db.query(`DROP TRIGGER ${qi(n)}`);
      } else {
        // One transaction: the kill undid all of it.
        expect((await db.triggers()).filter((t) => t.startsWith('xc_shadowsync'))).toHaveLength(1);
      }
      // The writers go on: on MySQL now with no trigger, so the shadows of the rows they touch fall behind.
      const before = writers.reduce((n, w) => n + w.writes, 0);
      while (writers.reduce((n, w) => n + w.writes, 0) < before + 200) await sleep(20);
      if (db.dialect === 'mysql') expect(await db.count(`SELECT count(*) FROM accounts WHERE NOT (${qi(shadow)} <=> balance)`)).toBeGreaterThan(0);

      const done = await xc(['contract', ...args]);
      expect(done.code, done.stderr).toBe(0);
      await sleep(200); // writes after the cut-over, to the new column
      for (const w of writers) await w.stop();

      for (const w of writers) {
        expect(w.errors).toEqual([]);
        expect(w.writes).toBeGreaterThan(100);
      }
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'contracted' }]);
      expect((await db.columns('accounts')).find((c) => c.name === 'balance')?.type).toBe('bigint');
      expect(await shadowOf(db)).toBeUndefined();
      expect(await db.triggers()).toEqual([]);
      expect((await db.indexes('accounts')).find((i) => i.name === 'accounts_balance_idx')?.columns).toEqual(['balance']);
      // No write lost: the sum is the seed's plus one for each write that succeeded.
      const total = writers.reduce((n, w) => n + w.writes, 0);
      expect(await db.count(`SELECT SUM(balance) FROM accounts`)).toBe(ROWS + total);
      expect(await db.count(`SELECT count(*) FROM accounts WHERE balance IS NULL`)).toBe(0);
    }, 300_000);

    it('contract killed at each of its steps in turn (NOT NULL, default, cut-over) while a writer writes; the last run converges', async () => {
      const db = await target.create('xc_ipkill2');
      cleanups.push(() => db.drop());
      await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, note varchar(20))`);
      await db.seed('accounts', ['id', 'balance', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, 1, 'n']));
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-ipkill2-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, '0001_balance_bigint.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'accounts', column: 'balance', type: 'bigint' } }] }));
      const args = ['--url', db.url, '--dir', dir];
      const lib = createXc({ url: db.url, dir, batchSize: 500 });
      cleanups.push(() => lib.close());
      await lib.apply();
      await lib.deploy.record({ app: 'bank', version: 'v2' });
      const writer = new Writer(await db.connection(), (i) =>
        i % 3 === 0 ? { sql: `INSERT INTO accounts (id, balance) VALUES (?, 1)`, params: [100_000 + i] } : { sql: `UPDATE accounts SET balance = balance + 1 WHERE id = ?`, params: [1 + ((i * 7919) % ROWS)] },
      ).start();
      cleanups.push(() => writer.stop());
      // Each run is killed when it announces its k-th statement: one more done each time where DDL commits alone.
      for (let k = 1; k <= 4; k++) {
        let steps = 0;
        const run = await xc(['contract', ...args], (e) => e.event === 'step' && ++steps >= k);
        if (run.signal !== 'SIGKILL') {
          expect(run.code, run.stderr).toBe(0);
          break;
        }
      }
      const done = await xc(['contract', ...args]);
      expect(done.code, done.stderr).toBe(0);
      await sleep(100);
      await writer.stop();
      expect(writer.errors).toEqual([]);
      expect((await db.columns('accounts')).find((c) => c.name === 'balance')).toMatchObject({ type: 'bigint', nullable: false });
      expect(await shadowOf(db)).toBeUndefined();
      expect(await db.triggers()).toEqual([]);
      expect(await db.count(`SELECT SUM(balance) FROM accounts`)).toBe(ROWS + writer.writes);
    }, 300_000);

    // Campaigns AR, AS: the cut-over dropped xc's check pairs over the column and made them again after its ALTER,
    // statements that commit one by one; killed in between, the check went unenforced, and a row breaking it, written
    // then, stopped every later contract at the check's validation (stuck contracting).
    // The check's migration contracted before the change is applied, or still in flight then (campaign AT: projected as a
    // server CHECK, its pair was dropped and made again).
    it.skipIf(target.name !== 'mysql').each(['contracted first', 'in flight'])("killed just before the cut-over's ALTER: xc's check pair over the column still holds, and the re-run converges (the check's migration %s)", async (when) => {
      // Nullable, no default: the cut-over is the contract's first step.
      const { db, lib, write, args } = await accountsFor(target, 'xc_ipkill3', `CREATE TABLE accounts (id int PRIMARY KEY, balance int, note varchar(20))`);
      await write('0001_positive', { createConstraint: { table: 'accounts', name: 'balance_pos', type: 'check', columns: ['balance'], check: 'balance > 0' } });
      if (when === 'contracted first') {
        await lib.apply();
        await lib.contract({ force: true, reason: 'test' });
      }
      await write('0002_balance_bigint', { alterColumn: { table: 'accounts', column: 'balance', type: 'bigint' } });
      await lib.apply();
      const pair = (await db.triggers()).filter((n) => n.startsWith('xc_ck_'));
      expect(pair).toHaveLength(2);
      const cutOver = await cutOverOf(lib, '0002_balance_bigint');
      expect(cutOver).not.toMatch(/xc_ck_/);

      // Killed just before the cut-over's ALTER.
      await killedInCutOver(db, args, cutOver, false);
      expect((await db.triggers()).filter((n) => n.startsWith('xc_shadowsync'))).toEqual([]);

      // Before anyone runs the contract again: a write breaking the check is refused, the others go in.
      await expect(db.query(`INSERT INTO accounts (id, balance) VALUES (?, 0)`, [ROWS + 1])).rejects.toThrow(/balance_pos/);
      await expect(db.query(`UPDATE accounts SET balance = -1 WHERE id = 2`)).rejects.toThrow(/balance_pos/);
      await db.query(`INSERT INTO accounts (id, balance) VALUES (?, 5)`, [ROWS + 2]);
      await db.query(`UPDATE accounts SET balance = 7 WHERE id = 3`);

      const done = await xc(['contract', ...args, '--force', '--reason', 'test']);
      expect(done.code, done.stderr).toBe(0);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')} ORDER BY id`)).toEqual([{ phase: 'contracted' }, { phase: 'contracted' }]);
      expect((await db.columns('accounts')).find((c) => c.name === 'balance')?.type).toBe('bigint');
      expect(await shadowOf(db)).toBeUndefined();
      expect(await db.triggers()).toEqual(pair);
      expect(await db.count(`SELECT SUM(balance) FROM accounts`)).toBe(ROWS - 1 + 7 + 5);
      expect(await db.count(`SELECT count(*) FROM accounts WHERE balance <= 0`)).toBe(0);
      await expect(db.query(`UPDATE accounts SET balance = 0 WHERE id = 4`)).rejects.toThrow(/balance_pos/);
    }, 300_000);

    // Campaign AT: the table's own CHECK over the column is dropped by the cut-over's ALTER and comes back as xc's pair;
    // made after the ALTER, a kill -9 between left the column unchecked until the next contract.
    it.skipIf(target.name !== 'mysql')("killed right after the cut-over's ALTER: the table's own CHECK over the column holds as xc's pair, and the re-run converges", async () => {
      const { db, lib, write, args } = await accountsFor(target, 'xc_ipkill4', `CREATE TABLE accounts (id int PRIMARY KEY, balance int, note varchar(20), CONSTRAINT balance_pos CHECK (balance > 0 AND note <> ''))`);
      await write('0001_balance_bigint', { alterColumn: { table: 'accounts', column: 'balance', type: 'bigint' } });
      await lib.apply();
      // Killed right after the cut-over's ALTER.
      await killedInCutOver(db, args, await cutOverOf(lib, '0001_balance_bigint'), true);
      expect(await shadowOf(db)).toBeUndefined();
      // The server's CHECK went with the ALTER.
      expect(await db.count(`SELECT count(*) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts'`)).toBe(0);

      // Before anyone runs the contract again: writes breaking the check are refused, the others go in.
      await expect(db.query(`INSERT INTO accounts (id, balance, note) VALUES (?, 0, 'n')`, [ROWS + 1])).rejects.toThrow(/balance_pos/);
      await expect(db.query(`UPDATE accounts SET note = '' WHERE id = 2`)).rejects.toThrow(/balance_pos/);
      await db.query(`INSERT INTO accounts (id, balance, note) VALUES (?, 5, 'n')`, [ROWS + 2]);

      const done = await xc(['contract', ...args, '--force', '--reason', 'test']);
      expect(done.code, done.stderr).toBe(0);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'contracted' }]);
      expect((await db.columns('accounts')).find((c) => c.name === 'balance')?.type).toBe('bigint');
      expect((await db.triggers()).filter((n) => n.startsWith('xc_ck_'))).toHaveLength(2);
      expect(await db.count(`SELECT SUM(balance) FROM accounts`)).toBe(ROWS + 5);
      await expect(db.query(`UPDATE accounts SET balance = -1 WHERE id = 4`)).rejects.toThrow(/balance_pos/);
    }, 300_000);
  });
}
