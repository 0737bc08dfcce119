/**
 * The MariaDB workload: 16 mysql2 connections, each picking a point SELECT by id, an UPDATE by id (+1)
 * or an INSERT (60/30/10) and the old or the new version (amount / amount_big) by the share the section
 * sets. Chosen over sysbench with a Lua script because the version switch happens at the exact phase
 * boundary (drainOld waits for the old version's queries in flight, with no race against the contract's
 * DROP), every query is timed on the same clock as xc's phase events, and the counts behind the data
 * checks are exact. It runs in a worker thread: an event loop of its own, so the migration's work in the
 * main thread (xc's library, its modules loading) never delays a query's timing — as a separate
 * application's would not be.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import mysql from 'mysql2/promise';
import type { MyBenchDb } from '../my.js';
import { CONNECTIONS, opOf, type Query, type WorkloadControl, type WorkloadRun } from './stats.js';

interface Job {
  options: mysql.ConnectionOptions;
  table: string;
  rows: number;
  rate: number;
}

type ToWorker = { type: 'pct'; pct: number } | { type: 'drain' } | { type: 'stop' };
type FromWorker = { type: 'started' } | { type: 'drained' } | { type: 'done'; run: WorkloadRun } | { type: 'failed'; message: string };

/**
 * `rate`: queries per second over all connections, each connection on its own Poisson schedule as
 * pgbench -R does (a query's latency counts from its scheduled start, so a stall shows in every query
 * that waited for it); 0: a closed loop, back to back.
 */
export async function runDriver(db: MyBenchDb, table: string, rows: number, rate: number, during: (ctl: WorkloadControl) => Promise<void>): Promise<WorkloadRun> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { options: db.options, table, rows, rate } satisfies Job });
  const waiters: { type: FromWorker['type']; resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  const next = (type: FromWorker['type']) => new Promise<FromWorker>((resolve, reject) => waiters.push({ type, resolve, reject }));
  const fail = (err: Error) => waiters.splice(0).forEach((w) => w.reject(err));
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'failed') return fail(new Error(`workload driver: ${m.message}`));
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  worker.on('error', fail);
  const send = (m: ToWorker) => worker.postMessage(m);
  try {
    await next('started');
    const ctl: WorkloadControl = {
      setNewPct: async (pct) => send({ type: 'pct', pct }),
      drainOld: async () => {
        const drained = next('drained');
        send({ type: 'drain' });
        await drained;
      },
    };
    let to = Date.now();
    let run!: WorkloadRun;
    try {
      await during(ctl);
    } finally {
      to = Date.now();
      const done = next('done');
      send({ type: 'stop' });
      run = ((await done) as Extract<FromWorker, { type: 'done' }>).run;
    }
    return { ...run, to };
  } finally {
    await worker.terminate();
  }
}

async function work(job: Job): Promise<void> {
  const port = parentPort!;
  const conns: mysql.Connection[] = [];
  for (let i = 0; i < CONNECTIONS; i++) conns.push(await mysql.createConnection({ ...job.options, supportBigNumbers: true, bigNumberStrings: true }));
  const queries: Query[] = [];
  const errors: string[] = [];
  let newPct = 0;
  let stopped = false;
  let oldInFlight = 0;
  let nextId = job.rows + 1;
  let inserts = 0;
  let updates = 0;
  const t = `\`${job.table}\``;
  const meanGapMs = job.rate > 0 ? (1000 * CONNECTIONS) / job.rate : 0;
  const loop = async (c: mysql.Connection) => {
    let scheduled = performance.now();
    while (!stopped) {
      if (meanGapMs > 0) {
        scheduled += -Math.log(1 - Math.random()) * meanGapMs;
        const wait = scheduled - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        if (stopped) break;
      } else scheduled = performance.now();
      const op = opOf(Math.random() * 100);
      const isNew = Math.random() * 100 < newPct;
      const col = isNew ? '`amount_big`' : '`amount`';
      const id = 1 + Math.floor(Math.random() * job.rows);
      const [sql, params] =
        op === 'select' ? [`SELECT ${col} FROM ${t} WHERE id = ?`, [id]]
        : op === 'update' ? [`UPDATE ${t} SET ${col} = ${col} + 1 WHERE id = ?`, [id]]
        : [`INSERT INTO ${t} (id, ${col}, pad) VALUES (?, 1, 'workload')`, [nextId++]];
      if (!isNew) oldInFlight++;
      let ok = true;
      try {
        await c.query(sql, params);
        if (op === 'insert') inserts++;
        if (op === 'update') updates++;
      } catch (err) {
        ok = false;
        if (errors.length < 5) errors.push(`${sql}: ${(err as Error).message}`);
      } finally {
        if (!isNew) oldInFlight--;
      }
      const ms = performance.now() - scheduled;
      queries.push({ at: Date.now() - ms, ms, op, ok });
    }
  };
  const from = Date.now();
  const loops = conns.map(loop);
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'pct') newPct = m.pct;
    if (m.type === 'drain') {
      while (oldInFlight > 0) await new Promise((res) => setTimeout(res, 1));
      port.postMessage({ type: 'drained' } satisfies FromWorker);
    }
    if (m.type === 'stop') {
      stopped = true;
      await Promise.all(loops);
      await Promise.all(conns.map((c) => c.end().catch(() => c.destroy())));
      port.postMessage({ type: 'done', run: { queries, aborts: [], errors, from, to: Date.now(), inserts, updates } } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'started' } satisfies FromWorker);
}

if (!isMainThread && (workerData as Job | undefined)?.table) {
  work(workerData as Job).catch((err: Error) => parentPort!.postMessage({ type: 'failed', message: err.message } satisfies FromWorker));
}
