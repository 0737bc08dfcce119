/**
 * Lock-timeout retries (SPEC §5). Each attempt waits at most the lock
 * timeout, so application queries queued behind xc's DDL are never stalled
 * longer than that; between attempts xc backs off with jitter, and gives up
 * (exit 5) after --lock-retry-for, naming the sessions that blocked it.
 */
import { LockTimeoutError, SqlFailedError, XcError } from '../errors.js';
import type { Blocker } from '../plan/index.js';
import { releaseRestored, type Session } from '../db/driver.js';
import type { SessionRestore } from '../dialects/dialect.js';
import { sleep, type EngineContext } from './context.js';

/** A dialect's preflight found sessions the DDL would wait for: treated like a lock timeout. */
export class PreflightBlocked extends Error {
  constructor(readonly blockers: Blocker[]) {
    super('blocked before the statement ran');
  }
}

export interface Attempt {
  /** Call once the attempt's session is known, so blockers of that session can be sampled while it waits. */
  watch(session: Session): Promise<void>;
}

export async function withLockRetry<T>(
  ctx: EngineContext,
  what: { migration: string; description: string; tables: string[] },
  run: (attempt: Attempt) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + ctx.options.lockRetryForMs;
  for (let attempt = 1; ; attempt++) {
    let sampled: Blocker[] = [];
    let timer: NodeJS.Timeout | undefined;
    // The attempt's own session: idle once its statement gave up, it is nobody's blocker (it was named so, campaign N).
    let watched: number | null = null;
    const watcher: Attempt = {
      watch: async (session) => {
        if (ctx.driver.singleConnection) return;
        const id = await ctx.dialect.sessionId(session);
        watched = id;
        timer = setTimeout(() => {
          void sampleBlockers(ctx, id, what.tables).then((b) => {
            if (b.length > 0) sampled = b;
          });
        }, Math.max(10, ctx.options.lockTimeoutMs * 0.6));
      },
    };
    try {
      return await run(watcher);
    } catch (err) {
      if (!ctx.dialect.isLockTimeout(err) && !(err instanceof PreflightBlocked)) throw err;
      const blockers = err instanceof PreflightBlocked ? err.blockers : sampled.length > 0 ? sampled : await sampleBlockers(ctx, watched, what.tables);
      const backoff = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
      const waitMs = Math.round(backoff / 2 + Math.random() * (backoff / 2));
      if (Date.now() + waitMs >= deadline) {
        throw new LockTimeoutError(
          `gave up after ${attempt} attempt(s) over ${Math.round(ctx.options.lockRetryForMs / 1000)}s waiting for locks to ${what.description}; blocked by:\n${describeBlockers(blockers, ctx.dialect.blockersHidden?.())}`,
          { migration: what.migration, blockers },
          { cause: err },
        );
      }
      ctx.emit({ event: 'lock_retry', migration: what.migration, attempt, waitMs, description: what.description, blockers });
      await sleep(waitMs);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/**
 * Create xc's state tables (none yet: a first run) as a DDL step is run:
 * under the lock timeout, retried up to --lock-retry-for, then exit 5 naming
 * the holder — a backup lock (FLUSH TABLES WITH READ LOCK) blocks even a
 * table nobody uses.
 */
export function ensureState(ctx: EngineContext): Promise<boolean> {
  // "Exists" means every table: a state a kill -9 left part-made (MySQL commits each CREATE) is completed here.
  return withLockRetry(ctx, { migration: '', description: "create xc's state tables", tables: [] }, async (attempt) => {
    const s = await ctx.driver.acquire();
    let restore: SessionRestore = [];
    try {
      if (await ctx.store.exists(s)) return false;
      restore = await ctx.dialect.setSession(s, ctx.dialect.sessionLockTimeout(ctx.options.lockTimeoutMs));
      await attempt.watch(s);
      await ctx.store.create(s);
      return true;
    } finally {
      await releaseRestored(s, restore);
    }
  });
}

/**
 * A statement outside the step runner (a state write) gave up waiting for a
 * lock — its session's wait is bounded by --lock-retry-for
 * (db/statementLimit.ts): exit 5 naming who holds it, as the step runner's.
 */
export async function asLockTimeout(ctx: EngineContext, err: unknown): Promise<unknown> {
  if (err instanceof LockTimeoutError || !ctx.dialect.isLockTimeout(err)) return err;
  const blockers = await sampleBlockers(ctx, null, []);
  return new LockTimeoutError(
    `gave up waiting for a lock (at most --lock-retry-for, ${Math.round(ctx.options.lockRetryForMs / 1000)}s) on a statement of xc's own: ${(err as Error).message}; blocked by:\n${describeBlockers(blockers, ctx.dialect.blockersHidden?.())}`,
    { blockers },
    { cause: err },
  );
}

/**
 * A server's error that reached the end of a command unnamed (a read of xc's outside any step): exit 1 with the
 * server's code, as a step's failure is, and what the dialect says a user can do about it.
 */
export function asSqlFailed(ctx: EngineContext, err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  // A server's: pg's and PGlite's carry a severity, mysql2's the server's message (a Node system error has neither).
  const fromServer = err instanceof Error && typeof code === 'string' && ('severity' in err || 'sqlMessage' in err);
  if (err instanceof XcError || !fromServer) return err;
  const hint = ctx.dialect.failureHint?.(err);
  return new SqlFailedError(`${err.message}${hint ? `\n${hint}` : ''}`, { code }, { cause: err });
}

export async function sampleBlockers(ctx: EngineContext, sessionId: number | null, tables: string[]): Promise<Blocker[]> {
  if (ctx.driver.singleConnection) return [];
  const s = await ctx.driver.acquire();
  try {
    return await ctx.dialect.blockers(s, sessionId, tables, ctx.driver.ownSessions?.() ?? []);
  } catch {
    return [];
  } finally {
    s.release();
  }
}

/** The blockers, one a line; `hidden`: why some may not be seen (Dialect.blockersHidden), said after them. */
export function describeBlockers(blockers: Blocker[], hidden?: string | null): string {
  const note = hidden ? `\n  (${hidden})` : '';
  if (blockers.length === 0) return `  (no blocking session was seen; it may have finished)${note}`;
  return (
    blockers
      .map((b) => `  session ${b.session}${b.user ? ` user ${b.user}` : ''}${b.application ? ` app "${b.application}"` : ''}${b.state ? ` ${b.state}` : ''}${b.since ? ` in a transaction since ${b.since}` : ''}${b.query ? `: ${b.query.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`)
      .join('\n') + note
  );
}
