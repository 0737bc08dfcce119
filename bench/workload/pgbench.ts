/**
 * The PostgreSQL workload: pgbench with the custom scripts beside this file (pg_select.sql 60,
 * pg_update.sql 30, pg_insert.sql 10), 16 clients on 2 threads, closed loop, a per-transaction log.
 * The scripts read wl_control at the start of each transaction: `new_pct` is the share that runs the
 * new version, `stop` ends the run (each client then calls wl_end(), which raises 'workload over' —
 * pgbench has no other clean way to end a run whose length is not known in advance; those 16 aborts
 * are not failures, every other abort is).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchDb } from '../pg.js';
import { CONNECTIONS, OPS, WEIGHTS, type Query, type WorkloadControl, type WorkloadRun } from './stats.js';

const SCRIPTS_DIR = path.dirname(new URL(import.meta.url).pathname);
export const TABLE = 'wl_accounts';
const END_MESSAGE = 'workload over';
/** A safety net only: the run ends when the section sets stop. */
const MAX_SECONDS = 1800;

export function pgbenchArgs(url: string, rows: number, rate: number, logPrefix: string): string[] {
  return [
    '-n', '-c', String(CONNECTIONS), '-j', '2', '-T', String(MAX_SECONDS), '-M', 'extended', ...(rate > 0 ? ['-R', String(rate)] : []),
    ...OPS.flatMap((op) => ['-f', `${path.join(SCRIPTS_DIR, `pg_${op}.sql`)}@${WEIGHTS[op]}`]),
    '-D', `rows=${rows}`, '-l', `--log-prefix=${logPrefix}`, '--failures-detailed', url,
  ];
}

/** The command as the report shows it. */
export const pgbenchShown = (rate: number) => `pgbench -n -c ${CONNECTIONS} -j 2 -M extended${rate > 0 ? ` -R ${rate}` : ''} ${OPS.map((op) => `-f bench/workload/pg_${op}.sql@${WEIGHTS[op]}`).join(' ')} -D rows=<rows> -l --failures-detailed <db>`;

/** The control table and the function that ends a client; the insert sequence starts after the loaded ids. */
export async function preparePg(db: BenchDb, rows: number): Promise<void> {
  const q = (sql: string) => db.client.query(sql);
  await q('DROP TABLE IF EXISTS wl_control');
  await q('CREATE TABLE wl_control (new_pct int NOT NULL, stop int NOT NULL)');
  await q('INSERT INTO wl_control VALUES (0, 0)');
  await q(`CREATE OR REPLACE FUNCTION wl_end() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${END_MESSAGE}'; END $$`);
  await q(`DROP SEQUENCE IF EXISTS ${TABLE}_ins`);
  await q(`CREATE SEQUENCE ${TABLE}_ins START ${rows + 1}`);
}

/** Run pgbench until `during` resolves (or throws), then end it and read its logs. */
export async function runPgbench(db: BenchDb, rows: number, rate: number, during: (ctl: WorkloadControl) => Promise<void>): Promise<WorkloadRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-workload-'));
  const aborts: WorkloadRun['aborts'] = [];
  const errors: string[] = [];
  let output = '';
  try {
    const child = spawn('pgbench', pgbenchArgs(db.url, rows, rate, path.join(dir, 'wl')), { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    let partial = '';
    const take = (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        output += `${line}\n`;
        if (/client \d+ .*aborted/.test(line) && !line.includes(END_MESSAGE)) {
          aborts.push({ at: Date.now(), message: line });
          if (errors.length < 5) errors.push(line.trim());
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const from = Date.now();
    try {
      await during(control(db));
    } finally {
      await db.client.query('UPDATE wl_control SET stop = 1');
    }
    const to = Date.now();
    const code = await exited;
    // 2: some clients aborted, as every one does at the end.
    if (code !== 0 && code !== 2) throw new Error(`pgbench exited ${code}:\n${output.slice(-2000)}`);
    const queries = await readLogs(dir, errors);
    return {
      queries,
      aborts,
      errors,
      from,
      to,
      inserts: queries.filter((q) => q.ok && q.op === 'insert').length,
      updates: queries.filter((q) => q.ok && q.op === 'update').length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function control(db: BenchDb): WorkloadControl {
  return {
    setNewPct: async (pct) => void (await db.client.query('UPDATE wl_control SET new_pct = $1', [pct])),
    // Every pgbench backend has started a statement since new_pct became 100 that is not one of the old
    // version (it reads only amount): a control read then saw 100, and no old statement can follow it.
    drainOld: async () => {
      const since = (await db.client.query('SELECT clock_timestamp() AS t')).rows[0].t as Date;
      for (;;) {
        const r = await db.client.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'pgbench' AND (query_start <= $1 OR query ~ '\\mamount\\M')`,
          [since],
        );
        if (r.rows[0].n === 0) return;
        await new Promise((res) => setTimeout(res, 10));
      }
    },
  };
}

/**
 * Per-transaction log lines: client_id transaction_no time script_no time_epoch time_us [schedule_lag] (time: µs, from the
 * scheduled start under -R, or "failed"/"serialization"/"deadlock"; time_epoch/us: when it ended).
 */
async function readLogs(dir: string, errors: string[]): Promise<Query[]> {
  const queries: Query[] = [];
  for (const file of await readdir(dir)) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      const f = line.split(' ');
      if (f.length < 6) continue;
      const op = OPS[Number(f[3])]!;
      const end = Number(f[4]) * 1000 + Number(f[5]) / 1000;
      if (/^\d+$/.test(f[2]!)) {
        const ms = Number(f[2]) / 1000;
        queries.push({ at: end - ms, ms, op, ok: true });
      } else {
        queries.push({ at: end, ms: 0, op, ok: false });
        if (errors.length < 5) errors.push(`pgbench transaction ${f[2]} (${op})`);
      }
    }
  }
  return queries;
}
