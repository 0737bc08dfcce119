/**
 * The `replica` section (issue 15): the peak replica lag during a backfill of
 * `rows` rows, with no lag limit and with `--max-replica-lag 1s`, on a private
 * primary and streaming replica per dialect (test/helpers/replicas.ts: the
 * shared servers have no replica). A separate connection samples the lag
 * every 100 ms the way the signal measures it (the time since the first
 * primary position the replica has not applied: backfill/throttle/replicaLag.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createXc, type XcEvent } from '../src/index.js';
import { openDriver } from '../src/db/connect.js';
import { withSession } from '../src/db/driver.js';
import { detectDialect } from '../src/dialects/index.js';
import { engineOptions } from '../src/options.js';
import type { EngineContext } from '../src/engine/context.js';
import { replicaLag } from '../src/backfill/throttle/replicaLag.js';
import { startMariadbPair, startPostgresPair, type ReplicatedPair } from '../test/helpers/replicas.js';
import { secs, type Section } from './report.js';

const SAMPLE_MS = 100;
const NO_LIMIT_MS = 24 * 3600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  limit: string;
  peakMs: number;
  /** Median of the samples taken while xc apply ran. */
  medianMs: number;
  /** xc apply: expand (on MySQL/MariaDB its fill pass walks the table), backfill, verify. */
  applyMs: number;
  throttled: number;
  caughtUpMs: number;
}

/** Samples replica lag every SAMPLE_MS until stopped: the signal, on connections of its own, with no limit. */
async function sampler(url: string, replicaUrl: string) {
  const driver = await openDriver({ url });
  const dialect = await detectDialect(driver, {});
  const ctx = { driver, dialect, options: engineOptions({ replicas: [replicaUrl], maxReplicaLagMs: NO_LIMIT_MS }), emit: () => undefined, primaryUrl: url } as unknown as EngineContext;
  const signal = (await replicaLag({ ctx, table: 'bench', migration: 'bench' }))!;
  const samples: { at: number; ms: number }[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const t = Date.now();
      const r = await signal.read();
      samples.push({ at: t, ms: r[0]?.value ?? 0 });
      await sleep(Math.max(0, SAMPLE_MS - (Date.now() - t)));
    }
  })();
  return {
    samples,
    /** Waits until a sample reads 0, i.e. the replica has applied everything. */
    async caughtUp(): Promise<void> {
      for (;;) {
        const last = samples[samples.length - 1];
        if (last && last.ms === 0) return;
        await sleep(SAMPLE_MS);
      }
    },
    async stop(): Promise<void> {
      stop = true;
      await loop;
      await signal.close();
      await driver.close();
    },
  };
}

async function exec(url: string, sqls: string[]): Promise<void> {
  const d = await openDriver({ url });
  try {
    await withSession(d, async (s) => {
      for (const sql of sqls) await s.query(sql);
    });
  } finally {
    await d.close();
  }
}

async function oneRun(pair: ReplicatedPair, rows: number, limitMs: number | null, n: number, log: (l: string) => void): Promise<Run> {
  const db = `xc_bench_replica_${n}`;
  const pg = pair.dialect === 'postgres';
  await exec(pair.primary.url, [`CREATE DATABASE ${db}`]);
  const url = pair.primary.urlOf(db);
  log(`replica (${pair.dialect}): loading ${rows} rows`);
  await exec(url, [
    'CREATE TABLE bench (id bigint PRIMARY KEY, v int NOT NULL, note varchar(40))',
    pg ? `INSERT INTO bench SELECT g, g % 1000, 'row ' || g FROM generate_series(1, ${rows}) g` : `INSERT INTO bench SELECT seq, seq % 1000, CONCAT('row ', seq) FROM seq_1_to_${rows}`,
  ]);
  const s = await sampler(url, pair.replicaUrlOf(db));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-replica-'));
  try {
    await s.caughtUp(); // the load itself made the replica lag: start from a replica that has it all
    await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'bench', column: 'v', to: 'v2', type: 'bigint', up: 'v', down: 'v2' } }] }));
    const events: XcEvent[] = [];
    const xc = createXc({
      url, dir, replicas: [pair.replicaUrlOf(db)], maxReplicaLagMs: limitMs ?? NO_LIMIT_MS,
      onEvent: (e) => events.push(e),
    });
    log(`replica (${pair.dialect}): xc apply, ${limitMs === null ? 'no limit' : `--max-replica-lag ${limitMs} ms`}`);
    const from = Date.now();
    await xc.apply();
    const end = Date.now();
    await xc.close();
    await s.caughtUp();
    const caughtUpMs = Date.now() - end;
    const during = s.samples.filter((x) => x.at >= from && x.at <= end).map((x) => x.ms).sort((a, b) => a - b);
    return {
      limit: limitMs === null ? 'none' : `${limitMs / 1000} s`,
      // After the apply too: the replica may still be applying what it wrote.
      peakMs: Math.max(0, ...s.samples.filter((x) => x.at >= from).map((x) => x.ms)),
      medianMs: during[Math.floor(during.length / 2)] ?? 0,
      applyMs: end - from,
      throttled: events.filter((e) => e.event === 'throttled').length,
      caughtUpMs,
    };
  } finally {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
    await exec(pair.primary.url, [`DROP DATABASE ${db}`]);
  }
}

export async function replicaSection(o: { rows: number }, log: (line: string) => void): Promise<Section & { server: string }> {
  const tables: Section['tables'] = [];
  const servers: string[] = [];
  const conclusions: string[] = [];
  for (const [name, start] of [['PostgreSQL', startPostgresPair], ['MariaDB', startMariadbPair]] as const) {
    log(`replica: starting a ${name} primary and replica`);
    const pair = await start();
    try {
      const runs = [await oneRun(pair, o.rows, null, 1, log), await oneRun(pair, o.rows, 1000, 2, log)];
      const version = pair.replicaValue(pair.dialect === 'postgres' ? 'postgres' : 'mysql', 'SELECT version()').split(' ');
      servers.push(`${name} ${pair.dialect === 'postgres' ? version[1] : version[0]} (primary + replica)`);
      tables.push({
        title: `${name}: replica lag during the backfill of ${o.rows.toLocaleString('en-US')} rows (alterColumn int → bigint)`,
        head: ['--max-replica-lag', 'peak lag (s)', 'median lag (s)', '`xc apply` (s)', 'throttled events', 'replica caught up after (s)'],
        rows: runs.map((r) => [r.limit, secs(r.peakMs), secs(r.medianMs), secs(r.applyMs), r.throttled, secs(r.caughtUpMs)]),
        notes: [
          'Lag sampled every 100 ms on connections of its own, from the start of `xc apply` until the replica had applied everything: the time since the first primary position the replica has not applied (the signal\'s measure). `xc apply` is expand (on MySQL/MariaDB its fill pass walks the table), backfill and verify; "caught up after": from the end of the apply.',
        ],
      });
      conclusions.push(`${name}: peak lag ${secs(runs[0]!.peakMs)} s with no limit, ${secs(runs[1]!.peakMs)} s with \`--max-replica-lag 1s\` (apply ${secs(runs[0]!.applyMs)} s → ${secs(runs[1]!.applyMs)} s).`);
    } finally {
      await pair.stop();
    }
  }
  return {
    title: 'Replica lag',
    server: servers.join('; '),
    intro: [
      'A private primary and one streaming replica per dialect on this machine (PostgreSQL: `pg_basebackup -R`; MariaDB: GTID replication, one SQL thread), the same machine as the primary: replay competes with the backfill for the 2 cores.',
    ],
    tables,
    conclusions,
    failed: false,
  };
}
