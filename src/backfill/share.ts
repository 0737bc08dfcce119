/**
 * Sharing the server with the application: after each backfill batch (or
 * verify chunk) a part pauses in proportion to how long the batch took and to
 * how many other sessions were running statements when it ended — half the
 * batch's time for each, up to --busy-pause times it (default 3). On a quiet
 * server nothing changes; under one busy application connection a pass takes
 * up to half as long again; on a server many sessions keep busy it walks a
 * quarter of the time, leaving the rest of the machine to them.
 *
 * Why: on a machine the application already keeps busy, every core the pass
 * takes is one its queries wait for. Measured on the 2 cores of
 * BENCHMARKS.md under 16 pgbench connections ("The application under a real
 * workload"): walking back to back, the application's p99 went to 2.9× quiet;
 * with a quarter of a batch per session, 2.2×; with 3 batch times, about 2×,
 * for a backfill 3.3× longer. The number of sessions is the only reading of
 * the machine's load a client has (neither server tells its cores), so the
 * rate is a setting. The reading is one query on the batch's own session
 * (PostgreSQL pg_stat_activity, every database's client backends; MySQL
 * Threads_running), the `load` --max-load reads.
 */
import type { Session } from '../db/driver.js';
import type { EngineContext } from '../engine/context.js';

/**
 * The share of a batch's time a part pauses after it, read on the batch's
 * `session` once its work is committed: PER_SESSION for each other session
 * running a statement, up to --busy-pause; 0 on a quiet server. `workers`:
 * the parts walking at once, whose own statements are not the application's.
 */
export async function shareOfBatch(ctx: Pick<EngineContext, 'dialect' | 'options'>, session: Session, workers: number): Promise<number> {
  const most = ctx.options.busyPause;
  if (!(most > 0)) return 0;
  const others = Math.max(0, (await ctx.dialect.load(session)) - (workers - 1));
  return Math.min(most, others * PER_SESSION);
}

/** The pause, in batch times, each other session running a statement adds. */
export const PER_SESSION = 0.5;
