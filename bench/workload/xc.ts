/**
 * An xc for the workload section, on either database: the alterColumn amount int → amount_big bigint,
 * with every event timed on the epoch clock the workload's queries use (pgbench logs epoch times), so a
 * slow query can be put beside the xc step that ran when it started. xc's state is dropped afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createXc, type Xc, type XcOptions } from '../../src/index.js';
import { ALTER_COLUMN_MIGRATION } from '../my.js';

export interface XcEvents {
  phases: Map<string, number>;
  /** Each DDL / fill step with when it started (epoch ms) and its SQL. */
  steps: { at: number; phase: string; description: string; sql: string; writesPerSecond?: number; busy?: string }[];
  batches: { at: number; size: number }[];
}

/** XC_BENCH_WORKLOAD_XC_OPTIONS: xc's options as JSON, e.g. {"parallel":1}, to try the workload under other settings (default: xc's defaults). */
const XC_OPTIONS = JSON.parse(process.env.XC_BENCH_WORKLOAD_XC_OPTIONS || '{}') as Partial<XcOptions>;

export async function withWorkloadXc<T>(url: string, table: string, dropState: () => Promise<void>, fn: (xc: Xc, events: XcEvents) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-workload-'));
  await writeFile(path.join(dir, `0001_${table}_amount_bigint.json`), JSON.stringify(ALTER_COLUMN_MIGRATION(table), null, 2));
  const events: XcEvents = { phases: new Map(), steps: [], batches: [] };
  const xc = createXc({
    url,
    dir,
    ...XC_OPTIONS,
    onEvent: (e) => {
      const at = Date.now();
      if (e.event === 'phase') events.phases.set(e.to, at);
      if (e.event === 'step') events.steps.push({ at, phase: e.phase, description: e.description, sql: e.sql, writesPerSecond: e.writesPerSecond, busy: e.busy });
      if (e.event === 'backfill') events.batches.push({ at, size: e.batchSize });
    },
  });
  try {
    return await fn(xc, events);
  } finally {
    await xc.close();
    await rm(dir, { recursive: true, force: true });
    await dropState();
  }
}

/** What xc was doing at `at`: the last step or phase change before it (a phase's own work, e.g. the backfill's batches, has no step), or null. */
export function stepAt(events: XcEvents, at: number): XcEvents['steps'][number] | null {
  const phases = [...events.phases].map(([phase, t]) => ({ at: t, phase, description: `phase ${phase} began`, sql: '' }));
  let found: XcEvents['steps'][number] | null = null;
  for (const s of [...events.steps, ...phases].sort((a, b) => a.at - b.at)) if (s.at <= at) found = s;
  return found;
}
