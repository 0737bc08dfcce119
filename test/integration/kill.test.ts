/**
 * kill -9 at any point converges (SPEC §4), on every dialect: `xc apply` is
 * SIGKILLed between the DDL statements of its expand — one more statement
 * done each time — and at several points of the backfill, while an
 * old-version writer keeps writing; re-runs then finish the job. No row is
 * lost or wrong, progress never goes back, no trigger is duplicated, no
 * half-built index is left. The same for `xc contract`. Each test has a
 * database of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db, type Target } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';
import { BIN, onJsonLines, xcEnv } from '../helpers/cli.js';

const SEED = 40_000;

/**
 * What one spawned xc may take on a loaded 2-core box before it does
 * anything: node starts and compiles the CLI from source, seconds each time,
 * tens when the box is busy. A test's budget is its spawns at that, plus its
 * own work.
 */
const SPAWN_MS = 30_000;
/** Creating the table and seeding it, and (contract test) an in-process apply through the backfill. */
const SETUP_MS = 120_000;
const budget = (spawns: number) => spawns * SPAWN_MS + SETUP_MS;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Run xc with --json; SIGKILL it as soon as `killWhen` says so for an event. */
function xc(args: string[], killWhen?: (e: Record<string, unknown>, steps: number, events: number) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: xcEnv() });
    let stderr = '';
    let steps = 0;
    let events = 0;
    onJsonLines(child.stdout, (e) => {
      events++;
      if (e.event === 'step') steps++;
      if (killWhen?.(e, steps, events)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database of the test's own (tests share nothing) with the seeded table and the migration; the xc arguments pointing at both. */
async function seeded(target: Target): Promise<{ db: Db; dir: string; args: string[] }> {
  const db = await target.create('xc_kill');
  cleanups.push(() => db.drop());
  await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, owner varchar(100), tag varchar(10))`);
  const rows = Array.from({ length: SEED }, (_, i) => [i + 1, (i + 1) % 1000, `o${i + 1}`, `t${(i + 1) % 10}`]);
  await db.seed('accounts', ['id', 'balance', 'owner', 'tag'], rows);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-kill-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const down = { postgres: 'CAST(balance_big AS int)', mysql: 'CAST(balance_big AS SIGNED)' };
  await writeFile(
    path.join(dir, '0001_balance_bigint.json'),
    JSON.stringify({
      operations: [
        { alterColumn: { table: 'accounts', column: 'balance', to: 'balance_big', type: 'bigint', up: 'balance', down } },
        { addIndex: { table: 'accounts', columns: ['tag'] } },
        { renameColumn: { table: 'accounts', from: 'owner', to: 'owner_name' } },
      ],
    }),
  );
  return { db, dir, args: ['--url', db.url, '--dir', dir, '--batch-size', '400', '--batch-delay', '5'] };
}

const state = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);

for (const target of targets) {
  target.describe(`kill -9 at any point converges (${target.name})`, () => {
    it('apply killed between the statements of its expand and during backfill, then completed', async () => {
      const { db, args } = await seeded(target);
      const writer = new Writer(await db.connection(), (i) =>
        i % 2 ? { sql: `INSERT INTO accounts (id, balance, owner) VALUES (?, ?, 'w')`, params: [100_000 + i, i % 500] } : { sql: `UPDATE accounts SET balance = balance + 1, owner = CONCAT(owner, '+') WHERE id = ?`, params: [1 + ((i * 7919) % SEED)] },
      ).start();
      const backfillDone = async () => db.count(`SELECT coalesce(sum(done), 0) FROM ${state(db, 'backfill')}`);

      // Expand: each run is killed when it announces its second statement (so, on MySQL, one more is done each time).
      for (let k = 1; k <= 4; k++) {
        const run = await xc(['apply', ...args], (e, steps) => e.event === 'step' && steps >= 2);
        expect(run.signal, run.stderr).toBe('SIGKILL');
      }
      // Then killed after 2000 rows of progress within a run: on MySQL twice while expand fills the new columns
      // before their triggers exist ('fill'), then in the backfill phase; on PostgreSQL, which has no fill, always in the backfill.
      // These runs walk each pass in 3 parts at once; the last run resumes them one at a time (--parallel 1).
      const progress: number[] = [];
      const passes = db.dialect === 'mysql' ? ['fill', 'fill', 'backfill', 'backfill'] : ['backfill', 'backfill', 'backfill', 'backfill'];
      for (const pass of passes) {
        let first: number | undefined;
        const run = await xc(['apply', ...args, '--parallel', '3'], (e) => {
          if (e.event !== 'backfill' || e.pass !== pass) return false;
          first ??= Number(e.done);
          return Number(e.done) > first + 2000;
        });
        expect(run.signal, run.stderr).toBe('SIGKILL');
        progress.push(await backfillDone());
      }
      const split = await db.count(`SELECT count(*) FROM ${state(db, 'backfill')} WHERE part > 0`);
      const last = await xc(['apply', ...args, '--parallel', '1']);
      await writer.stop();
      expect(last.code, last.stderr).toBe(0);
      progress.push(await backfillDone());

      expect(writer.errors).toEqual([]);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]!);
      expect(progress[0]).toBeGreaterThan(0);
      expect(split).toBeGreaterThan(0);
      expect(await db.count(`SELECT count(*) FROM ${state(db, 'backfill')} WHERE finished_at IS NULL`)).toBe(0);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'backfilled' }]);

      const inserted = Math.ceil((writer.writes + writer.errors.length) / 2);
      expect(await db.count(`SELECT count(*) FROM accounts`)).toBeGreaterThanOrEqual(SEED + inserted - 1);
      expect(await db.count(`SELECT count(*) FROM accounts WHERE balance_big IS NULL OR balance_big <> balance`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM accounts WHERE owner_name IS NULL OR owner_name <> owner`)).toBe(0);
      const triggers = await db.triggers();
      expect(new Set(triggers).size).toBe(triggers.length);
      expect(triggers).toHaveLength(db.dialect === 'postgres' ? 2 : 4); // one sync trigger per column operation (MySQL: insert + update)
      expect((await db.indexes('accounts')).filter((i) => i.columns.join() === 'tag')).toHaveLength(1);
      if (db.dialect === 'postgres') expect(await db.query(`SELECT 1 FROM pg_index WHERE NOT indisvalid`)).toEqual([]);
      expect(await db.query(`SELECT DISTINCT status FROM ${state(db, 'steps')} WHERE phase = 'expand'`)).toEqual([{ status: 'done' }]);
    }, budget(9));

    it('contract killed between its statements, then completed', async () => {
      const { db, dir, args } = await seeded(target);
      // Backfilled in process (the apply test kills and resumes that part); then a writer's rows of either version.
      const lib = createXc({ url: db.url, dir, batchSize: 2000 });
      cleanups.push(() => lib.close());
      await lib.apply();
      await db.query(`INSERT INTO accounts (id, balance, owner) VALUES (100001, 7, 'w')`);
      await db.query(`INSERT INTO accounts (id, balance_big, owner_name) VALUES (100002, 8, 'w2')`);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'backfilled' }]);
      expect((await xc(['deploy', 'record', '--app', 'bank', '--version', 'v2', ...args])).code).toBe(0);
      for (let k = 1; k <= 2; k++) {
        const killed = await xc(['contract', ...args], (e, steps) => e.event === 'step' && steps >= k);
        expect(killed.signal).toBe('SIGKILL');
      }
      const done = await xc(['contract', ...args]);
      expect(done.code, done.stderr).toBe(0);
      const cols = (await db.columns('accounts')).map((c) => [c.name, c.nullable]).sort();
      expect(cols).toEqual([
        ['balance_big', false],
        ['id', false],
        ['owner_name', true],
        ['tag', true],
      ]);
      expect(await db.triggers()).toEqual([]);
      expect(await db.query(`SELECT phase FROM ${state(db, 'migrations')}`)).toEqual([{ phase: 'contracted' }]);
      // No row lost or changed on the way.
      expect(await db.count(`SELECT count(*) FROM accounts`)).toBe(SEED + 2);
      expect(await db.count(`SELECT count(*) FROM accounts WHERE id <= ${SEED} AND (balance_big <> id % 1000 OR owner_name <> CONCAT('o', id))`)).toBe(0);
      expect(await db.query(`SELECT id, balance_big, owner_name FROM accounts WHERE id > ${SEED} ORDER BY id`)).toEqual([
        { id: 100001, balance_big: '7', owner_name: 'w' },
        { id: 100002, balance_big: '8', owner_name: 'w2' },
      ]);
    }, budget(4));
  });
}
