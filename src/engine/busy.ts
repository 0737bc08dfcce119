/**
 * Whether a step's table is too busy for its planned statement (Step.ifBusy).
 *
 * MySQL/MariaDB store a column the backfill will fill in every row by an
 * online rebuild (`ALGORITHM=INPLACE, LOCK=NONE`): the fill is then 2–5×
 * faster than into an instantly added column, whose every row grows. But the
 * rebuild logs the writes the table takes meanwhile and replays the last of
 * them at its end holding the table's index latch, which no lock timeout
 * bounds: measured here, about 0.4 s under one connection writing back to
 * back on 2M rows (~2,900 row writes/s before, 1,200 during), 4.7 s under
 * 16 busy connections on 5M rows (~5,200 row writes/s), and there a
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

/** What was measured of a step's table before it ran: its write rate (where the server counts), and why it is too busy for the step's statement. */
export interface BusyReading {
  writesPerSecond?: number;
  busy?: string;
}

/** The table's write rate before a step with an `ifBusy` alternative, and whether it is over --max-rebuild-write-rate; nothing for other steps. */
export async function measureBusy(ctx: Pick<EngineContext, 'dialect' | 'options'>, s: Session, step: Step): Promise<BusyReading> {
  const table = step.tables[0];
  if (!step.ifBusy || table === undefined) return {};
  const rate = await writeRate(ctx.dialect, s, table, BUSY_WINDOW_MS);
  if (rate === undefined) return {};
  const writesPerSecond = Math.round(rate);
  const limit = ctx.options.maxRebuildWriteRate;
  if (rate <= limit) return { writesPerSecond };
  return { writesPerSecond, busy: `${table} took ${writesPerSecond.toLocaleString('en-US')} row writes/s, over --max-rebuild-write-rate ${limit.toLocaleString('en-US')}` };
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

/** While a planned statement runs: how often its table's writes are counted, and how many readings in a row over the limit cancel it. */
export const WATCH_EVERY_MS = 1000;
export const WATCH_READINGS = 3;

/**
 * Watches the table of a step with an `ifBusy` alternative while its planned
 * statement runs on the session `sessionId`: when it takes more writes than
 * --max-rebuild-write-rate for WATCH_READINGS readings in a row, the
 * statement is cancelled (the server rolls the rebuild back; nothing changes)
 * and `reason` says why, so the caller runs the alternative. The rate a step
 * was admitted on is half a second's; a rebuild runs for minutes, and the
 * writes it must log and replay are those of its whole run.
 */
export function watchWhileRunning(ctx: Pick<EngineContext, 'dialect' | 'options' | 'driver'>, step: Step, sessionId: number): { stop(): Promise<string | undefined> } {
  const table = step.tables[0];
  const { dialect } = ctx;
  if (!step.ifBusy || table === undefined || !dialect.cancel || !dialect.rowsWritten || ctx.driver.singleConnection) return { stop: async () => undefined };
  let stopped = false;
  let cancelling: Promise<void> | undefined;
  let reason: string | undefined;
  const limit = ctx.options.maxRebuildWriteRate;
  void (async () => {
    const s = await ctx.driver.acquire();
    try {
      for (let over = 0; !stopped; ) {
        const rate = await writeRate(dialect, s, table, WATCH_EVERY_MS);
        over = rate !== undefined && rate > limit ? over + 1 : 0;
        // Checked and decided in one turn of the event loop: once stop() is called, no cancel starts.
        if (over < WATCH_READINGS || stopped) continue;
        reason = `${table} took over ${limit.toLocaleString('en-US')} row writes/s (--max-rebuild-write-rate) for ${WATCH_READINGS} s while "${step.description}" ran (${Math.round(rate!).toLocaleString('en-US')} in the last second): cancelled`;
        cancelling = dialect.cancel!(s, sessionId).catch(() => undefined);
        await cancelling;
        return;
      }
    } finally {
      s.release();
    }
  })().catch(() => undefined); // a watcher that fails leaves the statement to run as planned
  return {
    // Waits only for a cancel under way, so the statement's session runs nothing else until it has landed; a reading
    // in progress (up to a second), or a session still awaited from a pool of one, finishes on its own and is let go.
    stop: async () => {
      stopped = true;
      await cancelling;
      return reason;
    },
  };
}
