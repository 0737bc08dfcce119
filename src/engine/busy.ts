/**
 * Whether a step's table is too busy for its planned statement (Step.ifBusy).
 *
 * MySQL/MariaDB store a column the backfill will fill in every row by an
 * online rebuild (`ALGORITHM=INPLACE, LOCK=NONE`): the fill is then 2–5×
 * faster than into an instantly added column, whose every row grows. But the
 * rebuild logs the writes the table takes meanwhile and replays the last of
 * them at its end holding the table's index latch, which no lock timeout
 * bounds: measured here, about 0.4 s at ~1,200 single-row writes per second
 * on 2M rows, 4.7 s under 16 busy connections on 5M rows, and there a
 * rebuild that ran ten minutes until its log overflowed (1799). So the
 * rebuild runs only while the table takes at most `--max-rebuild-write-rate`
 * writes per second, measured over a short window just before the step; a
 * busier table gets the alternative (BENCHMARKS.md, README "Heavy writes").
 */
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { Step } from '../plan/index.js';
import { sleep, type EngineContext } from './context.js';

/** How long the table's writes are counted before the decision: long enough to see a steady writer, short beside a rebuild. */
export const BUSY_WINDOW_MS = 500;

/** Why `step` should run its `ifBusy` alternative, or undefined: not busy, nothing to measure with, or no alternative. */
export async function busyReason(ctx: Pick<EngineContext, 'dialect' | 'options'>, s: Session, step: Step): Promise<string | undefined> {
  const table = step.tables[0];
  if (!step.ifBusy || table === undefined) return undefined;
  const rate = await writeRate(ctx.dialect, s, table, BUSY_WINDOW_MS);
  const limit = ctx.options.maxRebuildWriteRate;
  if (rate === undefined || rate <= limit) return undefined;
  return `${table} took ${Math.round(rate).toLocaleString('en-US')} row writes/s, over --max-rebuild-write-rate ${limit.toLocaleString('en-US')}`;
}

/** Rows written to `table` per second over about `windowMs`; undefined where the server keeps no count. */
export async function writeRate(dialect: Pick<Dialect, 'rowsWritten'>, s: Session, table: string, windowMs: number): Promise<number | undefined> {
  if (!dialect.rowsWritten) return undefined;
  let before = await dialect.rowsWritten(s, table);
  let since = performance.now();
  // The server resets its count when it recalculates the table's statistics: a reading that went down is measured again, once.
  for (let tries = 0; tries < 2 && before !== undefined; tries++) {
    await sleep(windowMs);
    const after = await dialect.rowsWritten(s, table);
    const now = performance.now();
    if (after === undefined) return undefined;
    if (after >= before) return ((after - before) * 1000) / Math.max(1, now - since);
    [before, since] = [after, now];
  }
  return undefined;
}
