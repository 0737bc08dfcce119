/**
 * xc's own sessions work without the time limit a server, a database or a
 * role may put on every statement for the application (PostgreSQL
 * `statement_timeout`, MariaDB `max_statement_time`, MySQL
 * `max_execution_time`): an index build, a constraint's validation, a table
 * rebuild or a verify read is long by design and would be cancelled on every
 * run, and a backfill batch is sized by time already (--batch-time). Lock
 * waits stay bounded by the lock timeout, which xc sets itself.
 *
 * The limit is lifted on the session only (never server-wide), when xc takes
 * it from the pool, and put back as it was before it returns: the pool may
 * be the application's. Where there is no limit nothing is changed.
 *
 * Lock waits, the other way round, get a bound where the dialect's default
 * has none worth the name (PostgreSQL's lock_timeout: off; MySQL's
 * lock_wait_timeout: a day): no statement of xc waits longer than
 * `lockWaitMs` (--lock-retry-for) for a lock, so a backup lock (FLUSH TABLES
 * WITH READ LOCK) or a LOCK TABLE held before xc started makes it give up
 * (exit 5, xc.ts) instead of waiting without limit.
 *
 * The settings that would make xc's own statements mean something else
 * (Dialect.ownConnection: PostgreSQL's row_security, extra_float_digits …,
 * MySQL's autocommit) are set the same way on a pool handed in, session by
 * session, and put back; on a pool xc opened, once per connection. A handed
 * pool's row_security = on under FORCE ROW LEVEL SECURITY hid rows from the
 * backfill and the verify: the contract dropped their values.
 *
 * On a pool xc opened itself (Session.pooled) both are set once per
 * connection and kept for its life: no application takes its sessions, and
 * xc's own changes to them are put back by whoever makes them. Such a
 * connection also loses the server's idle limit (Dialect.keepAlive): a
 * connection the server closes while it waits in the pool fails the command
 * that takes it next (seen with a 2 s idle_session_timeout / wait_timeout on
 * a loaded machine, test/chaos "timeouts"). Reading and
 * setting them on every acquire cost four round trips per backfill batch or
 * verify chunk (~1 s of a 2M-row in-place change under a busy writer on
 * MariaDB, bench/busy.ts).
 */
import { releaseRestored, type Driver, type Session } from './driver.js';
import type { Dialect } from '../dialects/dialect.js';

export function withoutStatementLimit(driver: Driver, dialect: Dialect, lockWaitMs?: number): Driver {
  // PGlite: one session shared by every acquire, so no one holder may put the limit back under another; and no pool of the application's to protect.
  if (driver.singleConnection) return driver;
  const boundLockWaits = lockWaitMs === undefined ? undefined : dialect.boundLockWaits?.bind(dialect);
  /** Connections of xc's own pool already set up. */
  const ready = new WeakSet<object>();
  return {
    singleConnection: false,
    label: driver.label,
    ...(driver.ownSessions ? { ownSessions: () => driver.ownSessions!() } : {}),
    close: () => driver.close(),
    async acquire(): Promise<Session> {
      const s = await driver.acquire();
      if (s.pooled && ready.has(s.pooled)) return s;
      let restore: Awaited<ReturnType<Dialect['liftStatementLimit']>> = [];
      try {
        restore = driver.unlimited ? [] : await dialect.liftStatementLimit(s);
        if (boundLockWaits) restore = [...restore, ...(await boundLockWaits(s, lockWaitMs!))];
        if (s.pooled) await dialect.setSession(s, { ...dialect.keepAlive(), ...dialect.ownConnection() }); // kept for the connection's life, like the rest
        // A pool handed in: its sessions get xc's meaning for the statements xc runs on them, and their own values back.
        else restore = [...restore, ...(await dialect.setSession(s, dialect.ownConnection()))];
      } catch (err) {
        s.release(restore.length > 0); // the limit already lifted cannot be left on a pooled session
        throw err;
      }
      if (s.pooled) ready.add(s.pooled);
      if (restore.length === 0 || s.pooled) return s;
      return {
        query: (sql, params, opts) => s.query(sql, params, opts),
        release(destroy?: boolean) {
          if (destroy) return s.release(true);
          // A session whose limit could not be put back is closed, never handed on unlimited.
          releaseRestored(s, restore).catch(() => undefined); // the pool was closed meanwhile
        },
      };
    },
  };
}
