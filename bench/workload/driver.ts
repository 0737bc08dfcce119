/**
 * The MariaDB workload: 16 mysql2 connections in a closed loop, each picking a point SELECT by id,
 * an UPDATE by id (+1) or an INSERT (60/30/10) and the old or the new version (amount / amount_big)
 * by the share the section sets. Chosen over sysbench with a Lua script because the version switch
 * happens in this process at the exact phase boundary (drainOld waits for the old version's queries in
 * flight, with no race against the contract's DROP), every query is timed on the same clock as xc's
 * phase events, and the counts behind the data checks are exact.
 */
import type mysql from 'mysql2/promise';
import type { MyBenchDb } from '../my.js';
import { CONNECTIONS, opOf, type Query, type WorkloadControl, type WorkloadRun } from './stats.js';

/**
 * `rate`: queries per second over all connections, each connection on its own Poisson schedule as
 * pgbench -R does (a query's latency counts from its scheduled start, so a stall shows in every query
 * that waited for it); 0: a closed loop, back to back.
 */
export async function runDriver(db: MyBenchDb, table: string, rows: number, rate: number, during: (ctl: WorkloadControl) => Promise<void>): Promise<WorkloadRun> {
  const conns: mysql.Connection[] = [];
  for (let i = 0; i < CONNECTIONS; i++) conns.push(await db.connect());
  const queries: Query[] = [];
  const errors: string[] = [];
  let newPct = 0;
  let stopped = false;
  let oldInFlight = 0;
  let nextId = rows + 1;
  let inserts = 0;
  let updates = 0;
  const t = `\`${table}\``;
  const meanGapMs = rate > 0 ? (1000 * CONNECTIONS) / rate : 0;
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
      const id = 1 + Math.floor(Math.random() * rows);
      const [sql, params] =
        op === 'select' ? [`SELECT ${col} FROM ${t} WHERE id = ?`, [id]]
        : op === 'update' ? [`UPDATE ${t} SET ${col} = ${col} + 1 WHERE id = ?`, [id]]
        : [`INSERT INTO ${t} (id, ${col}, pad) VALUES (?, 1, 'workload')`, [nextId++]];
      if (!isNew) oldInFlight++;
      const at = Date.now() - (performance.now() - scheduled);
      const t0 = scheduled;
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
      queries.push({ at, ms: performance.now() - t0, op, ok });
    }
  };
  const from = Date.now();
  const loops = conns.map(loop);
  const ctl: WorkloadControl = {
    setNewPct: async (pct) => void (newPct = pct),
    drainOld: async () => {
      while (oldInFlight > 0) await new Promise((res) => setTimeout(res, 2));
    },
  };
  let to = from;
  try {
    await during(ctl);
  } finally {
    to = Date.now();
    stopped = true;
    await Promise.all(loops);
  }
  return { queries, aborts: [], errors, from, to, inserts, updates };
}
