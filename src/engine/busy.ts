/**
 * Whether a step's table is too busy for its planned statement (Step.ifBusy).
 *
 * MySQL/MariaDB store a column the backfill will fill in every row by an
 * online rebuild (`ALGORITHM=INPLACE, LOCK=NONE`): the fill is then 2–5×
 * faster than into an instantly added column, whose every row grows. But the
 * rebuild logs the writes the table takes meanwhile and applies that log at
 * the end of its copy while the table's writes wait, a wait no lock timeout
 * bounds: measured on 2M rows here, 270 ms for the ~2,800 rows one connection
 * updating back to back logged, 840 ms for four connections' 8,400 (about
 * 0.1 ms a row); and where the writes outpace the rebuild (16 connections on
 * 5M rows larger than the buffer pool) it runs for minutes, holds every query
 * up to 4.7 s, or overflows its log (1799).
 *
 * The wait is the rows logged, the write rate times the copy's length, which
 * the rate alone does not tell (4,400 and 11,300 row writes/s gave those
 * two). So where the server shows its rebuild's row log (MariaDB) the rebuild
 * runs whatever the rate, and is cancelled for the instant add once the log
 * holds more rows than half the lock timeout applies (REBUILD_LOG_ROWS_PER_MS)
 * or is half full. Where it does not (MySQL), or when
 * `--max-rebuild-write-rate` is set, the table's write rate decides, measured
 * just before the step and while the rebuild runs (README "Heavy writes",
 * BENCHMARKS.md).
 */
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { Step } from '../plan/index.js';
import { sleep, type EngineContext } from './context.js';

/** How long the table's writes are counted before the decision: long enough to see a steady writer, short beside a rebuild. */
export const BUSY_WINDOW_MS = 500;

/** The write-rate limit where the server does not show its rebuild's log and none is set: between the two workloads measured (README "Heavy writes"). */
export const DEFAULT_REBUILD_WRITE_RATE = 4000;

/**
 * Rows of the rebuild's log per millisecond of the lock timeout: its apply took about 0.1 ms a row here (above),
 * so the log may hold what half the lock timeout applies — 5,000 rows for the default second.
 */
export const REBUILD_LOG_ROWS_PER_MS = 5;
/** The share of its log a rebuild may fill before it is cancelled, well before the server gives it up (1799) at all of it. */
export const REBUILD_LOG_SHARE = 0.5;

/** What was measured of a step's table before it ran: its write rate (where the server counts), why it is too busy for the step's statement, and the rebuild-log reading to watch from. */
export interface BusyReading {
  writesPerSecond?: number;
  busy?: string;
  /** Where the rebuild is watched by its row log: the reading before it began (Dialect.rebuildLog), older than any of its own. */
  logMark?: string;
}

/** The write-rate limit that applies: the one set, or none where the rebuild's own log is watched. */
function rateLimit(ctx: Pick<EngineContext, 'options'>, logWatched: boolean): number | undefined {
  return ctx.options.maxRebuildWriteRate ?? (logWatched ? undefined : DEFAULT_REBUILD_WRITE_RATE);
}

/**
 * Before a step with an `ifBusy` alternative: where its rebuild will be watched by its log, the reading to watch
 * from; else the table's write rate, and whether it is over the limit. Nothing for other steps.
 */
export async function measureBusy(ctx: Pick<EngineContext, 'dialect' | 'options'>, s: Session, step: Step): Promise<BusyReading> {
  const table = step.tables[0];
  if (!step.ifBusy || table === undefined) return {};
  const log = ctx.options.maxRebuildWriteRate === undefined ? await ctx.dialect.rebuildLog?.(s) : undefined;
  // Watched by its log, the rebuild does not wait half a second for a rate nothing is decided on.
  if (log !== undefined) return { logMark: log.mark };
  const rate = await writeRate(ctx.dialect, s, table, BUSY_WINDOW_MS);
  if (rate === undefined) return {};
  const writesPerSecond = Math.round(rate);
  const limit = rateLimit(ctx, false)!;
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
/** How often the rebuild's log is read (one status query): a level, not a rate, so one reading over is enough. */
export const LOG_WATCH_EVERY_MS = 100;

/**
 * Watches a step with an `ifBusy` alternative while its planned statement
 * runs on the session `sessionId`: by the rebuild's row log (the rows it
 * holds, how full it is) where `reading` has a mark to watch from, and by
 * its table's write rate where a limit applies (WATCH_READINGS readings in
 * a row over it; the rate a step was admitted on is half a second's, a
 * rebuild runs for minutes). Past either, the statement is cancelled (the
 * server rolls the rebuild back; nothing changes) and `stop` says why, so
 * the caller runs the alternative.
 */
export function watchWhileRunning(ctx: Pick<EngineContext, 'dialect' | 'options' | 'driver'>, step: Step, sessionId: number, reading: BusyReading = {}): { stop(): Promise<string | undefined> } {
  const table = step.tables[0];
  const { dialect } = ctx;
  const logMark = dialect.rebuildLog ? reading.logMark : undefined;
  const maxRows = Math.round(ctx.options.lockTimeoutMs * REBUILD_LOG_ROWS_PER_MS);
  const limit = dialect.rowsWritten ? rateLimit(ctx, logMark !== undefined) : undefined;
  if (!step.ifBusy || table === undefined || !dialect.cancel || (limit === undefined && logMark === undefined) || ctx.driver.singleConnection) return { stop: async () => undefined };
  let stopped = false;
  let cancelling: Promise<void> | undefined;
  let reason: string | undefined;
  /** Cancels the statement for `why`, once; false when stopped or already cancelled. Checked and decided in one turn of the event loop: once stop() is called, no cancel starts. */
  const cancel = (s: Session, why: string): boolean => {
    if (stopped || reason !== undefined) return false;
    reason = why;
    cancelling = dialect.cancel!(s, sessionId).catch(() => undefined);
    return true;
  };
  const watch = async (loop: (s: Session) => Promise<void>) => {
    const s = await ctx.driver.acquire();
    try {
      await loop(s);
    } finally {
      s.release();
    }
  };
  const byRate = async (s: Session) => {
    for (let over = 0; !stopped && reason === undefined; ) {
      const rate = await writeRate(dialect, s, table, WATCH_EVERY_MS);
      over = rate !== undefined && rate > limit! ? over + 1 : 0;
      if (over >= WATCH_READINGS && cancel(s, `${table} took over ${limit!.toLocaleString('en-US')} row writes/s (--max-rebuild-write-rate) for ${WATCH_READINGS} s while "${step.description}" ran (${Math.round(rate!).toLocaleString('en-US')} in the last second): cancelled`)) await cancelling;
    }
  };
  const byLog = async (s: Session) => {
    for (let previous = 0; !stopped && reason === undefined; ) {
      await sleep(LOG_WATCH_EVERY_MS);
      const log = await dialect.rebuildLog!(s);
      // A reading still equal to the one before the statement began is the previous rebuild's: this one has not allocated its log yet.
      if (log === undefined || log.mark === logMark) continue;
      // Judged by what it will hold at the next reading, at the pace since the last: the copy may end in between, and its apply begin.
      const next = log.rows + Math.max(0, log.rows - previous);
      previous = log.rows;
      if (next <= maxRows && log.used < REBUILD_LOG_SHARE) continue;
      const held = next > maxRows
        ? `held ${log.rows.toLocaleString('en-US')} rows, on course to pass the ${maxRows.toLocaleString('en-US')} it can apply in half the lock timeout`
        : `was ${Math.round(log.used * 1000) / 10}% full (innodb_online_alter_log_max_size)`;
      if (cancel(s, `the online rebuild's log of ${table}'s writes ${held} while "${step.description}" ran: cancelled`)) await cancelling;
    }
  };
  // A watcher that fails leaves the statement to run as planned.
  if (limit !== undefined) void watch(byRate).catch(() => undefined);
  if (logMark !== undefined) void watch(byLog).catch(() => undefined);
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
