/**
 * One xc at a time per database (SPEC §4) — per target schema on PostgreSQL
 * with --schema (the dialect's lock key, postgres/state.ts): an advisory
 * lock held on a session of its own for the whole command. Released by the
 * server if the process dies, so a crash never leaves a stale lock (knex
 * #5086).
 *
 * On a single-session backend (PGlite) the advisory lock is re-entrant: a
 * second xc on the same instance would get it too, and roll back what the
 * first is backfilling. There the lock is also claimed in-process under the
 * instance (Driver.lockKey), before the advisory lock is asked for, and given
 * up with it — after the command, on its error or abort alike. (Another
 * process cannot reach that instance; a pglite:// folder xc opens is kept
 * from other processes by its lock file, dialects/postgres/folderLock.ts.)
 */
import os from 'node:os';
import { LockHeldError } from '../errors.js';
import { releaseRestored, type Session } from '../db/driver.js';
import type { SessionRestore } from '../dialects/dialect.js';
import { sleep, stopIfAsked, type EngineContext } from './context.js';

const LOCK_KEY = 'expand-contract';

/** Per single-session connection (a PGlite instance), per state (one lock each, like the advisory lock): who holds xc's lock. */
const heldInProcess = new WeakMap<object, Map<string, { holder: string }>>();

interface Claim {
  /** Who holds it, when it was not claimed. */
  heldBy?: string;
  release(): void;
}

/**
 * Claim xc's lock in-process under `key` (none: nothing to claim) for
 * `holder`, synchronously, so two xc starting together cannot both pass
 * before either claimed.
 */
function claimInProcess(key: object | undefined, state: string, holder: string): Claim {
  if (!key) return { release: () => undefined };
  let claims = heldInProcess.get(key);
  if (!claims) heldInProcess.set(key, (claims = new Map()));
  const current = claims.get(state);
  if (current) return { heldBy: current.holder, release: () => undefined };
  const mine = { holder };
  claims.set(state, mine);
  return { release: () => void (claims.get(state) === mine && claims.delete(state)) };
}

export async function withAdvisoryLock<T>(ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
  const s = await ctx.driver.acquire();
  let held = false;
  let lost = false;
  let restore: SessionRestore = [];
  let claim: Claim = { release: () => undefined };
  const me = `xc ${ctx.command} in this process (pid ${process.pid} on ${os.hostname()}), since ${new Date().toISOString()}`;
  const state = ctx.dialect.stateTable('migrations');
  const tryTake = async () => {
    claim = claimInProcess(ctx.driver.lockKey, state, me);
    if (claim.heldBy !== undefined) return false;
    let took = false;
    try {
      took = await ctx.dialect.tryAdvisoryLock(s, LOCK_KEY);
    } finally {
      if (!took) claim.release();
    }
    return took;
  };
  try {
    restore = await ctx.dialect.setSession(s, ctx.dialect.lockSession(`xc ${ctx.command} pid ${process.pid} on ${os.hostname()}`));
    const deadline = Date.now() + ctx.options.waitLockMs;
    let announced = false;
    while (!(held = await tryTake())) {
      const holder = claim.heldBy ?? (await ctx.dialect.advisoryLockHolder(s, LOCK_KEY));
      if (Date.now() >= deadline) {
        throw new LockHeldError(`another xc is working on this database: ${holder ?? 'holder not visible'}${ctx.options.waitLockMs ? '' : ' (use --wait-lock SECONDS to wait for it)'}`, { holder });
      }
      stopIfAsked(ctx); // a stop asked for ends the wait: nothing is held yet
      if (!announced) ctx.emit({ event: 'waiting_lock', holder });
      announced = true;
      await sleep(Math.min(500, Math.max(10, deadline - Date.now())));
    }
    const keeper = keepHeld(ctx, s);
    try {
      return await fn();
    } finally {
      lost = keeper.stop();
    }
  } finally {
    if (held && !lost) await ctx.dialect.releaseAdvisoryLock(s, LOCK_KEY).catch(() => undefined);
    if (held) claim.release();
    // A session that lost the lock is not given back to the pool; any other goes back with the label and timeouts it came with.
    if (lost) s.release(true);
    else await releaseRestored(s, restore);
  }
}

/** Below the usual idle timeouts of servers, proxies and NAT tables (often 60 s or more). */
const PING_MS = 20_000;

/**
 * While `fn` runs: ping the lock session so nothing between here and the
 * server ends it for idling, and give `ctx.lockHeld` a check that the lock is
 * still this session's. Once lost it stays lost: the command stops at its next
 * step, batch or phase change, exit 4, and a re-run continues where it stopped.
 */
function keepHeld(ctx: EngineContext, s: Session): { stop(): boolean } {
  let lost: string | undefined;
  let lostBy: unknown; // the error that ended the session, if that is how it was lost
  let checking: Promise<void> | undefined;
  const check = () =>
    (checking ??= (async () => {
      try {
        if (!(await ctx.dialect.holdsAdvisoryLock(s, LOCK_KEY))) lost = 'the server no longer shows it held by this xc';
      } catch (err) {
        lost = `its session ended (${(err as Error).message})`;
        lostBy = err;
      } finally {
        checking = undefined;
      }
    })());
  const timer = setInterval(() => void check(), PING_MS);
  timer.unref();
  ctx.lockHeld = async () => {
    if (!lost) await check();
    if (lost) {
      throw new LockHeldError(
        `xc's advisory lock on this database was lost: ${lost} (an idle timeout, a proxy or a terminated session); another xc may be working now, so this one stopped before its next change — run the command again to continue`,
        { holder: null },
        { code: 'lock_lost', cause: lostBy },
      );
    }
  };
  return {
    /** Whether the lock was found lost. */
    stop() {
      clearInterval(timer);
      ctx.lockHeld = undefined;
      return lost !== undefined;
    },
  };
}
