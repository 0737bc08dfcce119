/**
 * kill -9 at any point converges (SPEC §4), on every dialect: `xc apply` is
 * SIGKILLed between the DDL statements of its expand — one more statement
 * done each time — and at several points of the backfill, while an
 * old-version writer keeps writing; re-runs then finish the job. No row is
 * lost or wrong, progress never goes back, no trigger is duplicated, no
 * half-built index is left. The same for `xc contract`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { targets, type Db } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';
import { BIN, onJsonLines } from '../helpers/cli.js';

const SEED = 40_000;

/** Nine or four xc processes in a row, each loading the CLI: on a loaded 2-core box one may take tens of seconds. */
const SPAWNS_BUDGET_MS = 300_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Run xc with --json; SIGKILL it as soon as `killWhen` says so for an event. */
function xc(args: string[], killWhen?: (e: Record<string, unknown>, steps: number, events: number) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: { ...process.env, XC_FORCE_SOURCE: '1', NO_COLOR: '1' } });
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

const state = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);

for (const target of targets) {
  target.describe(`kill -9 at any point converges (${target.name})`, () => {
    let db: Db;
    let args: string[];
    beforeAll(async () => {
      db = await target.create('xc_kill');
      await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, owner varchar(100), tag varchar(10))`);
      const rows = Array.from({ length: SEED }, (_, i) => [i + 1, (i + 1) % 1000, `o${i + 1}`, `t${(i + 1) % 10}`]);
      await db.seed('accounts', ['id', 'balance', 'owner', 'tag'], rows);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-kill-'));
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
      args = ['--url', db.url, '--dir', dir, '--batch-size', '400', '--batch-delay', '5'];
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('apply killed between the statements of its expand and during backfill, then completed', async () => {
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
    }, SPAWNS_BUDGET_MS);

    it('contract killed between its statements, then completed', async () => {
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
    }, SPAWNS_BUDGET_MS);
  });
}
