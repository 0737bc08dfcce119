/**
 * kill -9 at any point converges (SPEC §4): `xc apply` is SIGKILLed again and
 * again — during expand and at several points of the backfill — while an
 * old-version writer keeps writing; re-runs then finish the job. No row is
 * lost or wrong, progress never goes back, no trigger or index is left
 * duplicated or invalid. The same for `xc contract`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPgDatabase, describePg, type TestDb } from '../helpers/servers.js';
import { Writer } from '../helpers/writers.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/xc');
const SEED = 40_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
}

/** Run xc; kill it with SIGKILL once `killWhen` says so for an event line. */
function xc(args: string[], killWhen?: (e: Record<string, unknown>, seen: number) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: { ...process.env, XC_FORCE_SOURCE: '1', NO_COLOR: '1' } });
    const events: Record<string, unknown>[] = [];
    let stderr = '';
    let buf = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        events.push(e);
        if (killWhen?.(e, events.length)) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, events, stderr }));
  });
}

describePg('kill -9 at any point converges (PostgreSQL)', () => {
  let db: TestDb;
  let dir: string;
  let args: string[];
  beforeAll(async () => {
    db = await createPgDatabase('xc_kill');
    await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, owner text, tag text)`);
    await db.query(`INSERT INTO accounts SELECT g, g % 1000, 'o' || g, 't' || (g % 10) FROM generate_series(1, ${SEED}) g`);
    dir = await mkdtemp(path.join(tmpdir(), 'xc-kill-'));
    await writeFile(
      path.join(dir, '0001_balance_bigint.json'),
      JSON.stringify({
        operations: [
          { alterColumn: { table: 'accounts', column: 'balance', to: 'balance_big', type: 'bigint', up: 'balance', down: 'CAST(balance_big AS int)' } },
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

  it('apply killed during expand and five times during backfill, then completed', async () => {
    const writer = new Writer(await db.client(), (i) =>
      i % 2 ? { sql: `INSERT INTO accounts (id, balance, owner) VALUES ($1, $2, 'w')`, params: [100_000 + i, i % 500] } : { sql: `UPDATE accounts SET balance = balance + 1, owner = owner || '+' WHERE id = $1`, params: [1 + ((i * 7919) % SEED)] },
    ).start();
    const progress: number[] = [];
    const backfillDone = async () => Number((await db.query<{ d: string }>(`SELECT coalesce(sum(done), 0) AS d FROM xc.backfill`))[0]!.d);

    const first = await xc(['apply', ...args], (e) => e.event === 'step');
    expect(first.signal).toBe('SIGKILL');
    for (let k = 1; k <= 5; k++) {
      const run = await xc(['apply', ...args], (e, n) => e.event === 'backfill' && n > 3 + k * 4);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      progress.push(await backfillDone());
    }
    const last = await xc(['apply', ...args]);
    await writer.stop();
    expect(last.code, last.stderr).toBe(0);
    progress.push(await backfillDone());

    expect(writer.errors).toEqual([]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(progress[0]).toBeGreaterThan(0);
    const [phase] = await db.query<{ phase: string }>(`SELECT phase FROM xc.migrations`);
    expect(phase!.phase).toBe('backfilled');

    const inserted = (writer.writes + writer.errors.length + 1) >> 1;
    const counts = (await db.query<Record<string, string>>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE balance_big IS DISTINCT FROM balance) AS bad_balance,
              count(*) FILTER (WHERE owner_name IS DISTINCT FROM owner) AS bad_owner FROM accounts`,
    ))[0]!;
    expect(Number(counts.n)).toBeGreaterThanOrEqual(SEED + inserted - 1);
    expect(Number(counts.bad_balance)).toBe(0);
    expect(Number(counts.bad_owner)).toBe(0);
    const triggers = await db.query<{ tgname: string }>(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'accounts'::regclass AND NOT tgisinternal ORDER BY 1`);
    expect(triggers).toHaveLength(2);
    expect(await db.query(`SELECT 1 FROM pg_index WHERE NOT indisvalid`)).toEqual([]);
    const steps = await db.query<{ status: string }>(`SELECT DISTINCT status FROM xc.steps WHERE phase = 'expand'`);
    expect(steps).toEqual([{ status: 'done' }]);
  });

  it('contract killed after its first step, then completed', async () => {
    expect((await xc(['deploy', 'record', '--app', 'bank', '--version', 'v2', ...args])).code).toBe(0);
    const killed = await xc(['contract', ...args], (e) => e.event === 'step');
    expect(killed.signal).toBe('SIGKILL');
    const done = await xc(['contract', ...args]);
    expect(done.code, done.stderr).toBe(0);
    const cols = await db.query<{ column_name: string; is_nullable: string }>(`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY 1`);
    expect(cols).toEqual([
      { column_name: 'balance_big', is_nullable: 'NO' },
      { column_name: 'id', is_nullable: 'NO' },
      { column_name: 'owner_name', is_nullable: 'YES' },
      { column_name: 'tag', is_nullable: 'YES' },
    ]);
    expect(await db.query(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal`)).toEqual([]);
    const [phase] = await db.query<{ phase: string }>(`SELECT phase FROM xc.migrations`);
    expect(phase!.phase).toBe('contracted');
  });
});
