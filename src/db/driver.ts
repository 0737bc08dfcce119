/**
 * The smallest connection surface xc needs. Every driver (pg, PGlite, knex,
 * mysql2) is wrapped into it. xc's own SQL always uses `?` placeholders; a
 * PostgreSQL session rewrites them to `$n`.
 */
import { SqlFailedError } from '../errors.js';
import { scrub } from './redact.js';
import { formatDuration } from '../options.js';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Exactly one statement: sent so that the server refuses several, whatever
   * the pool allows (the extended protocol on PostgreSQL; a server-side
   * prepared statement on MySQL, since a pool handed to xc may have
   * multipleStatements on).
   * For SQL with an author's text in it, which must not end the transaction
   * it is checked in and run something else.
   */
  single?: boolean;
}

export interface Session {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
  /** Return the session to its pool (or close it when `destroy`). */
  release(destroy?: boolean): void;
  /**
   * The pooled connection behind the session, the same object each time the
   * pool hands that connection out. Set only by a driver over a pool xc
   * opened itself (no application shares its sessions), so what xc set up on
   * such a connection may stay for its life (db/statementLimit.ts).
   */
  readonly pooled?: object;
}

export interface Driver {
  acquire(): Promise<Session>;
  close(): Promise<void>;
  /** True when the backend has exactly one connection (PGlite): no concurrency, no CONCURRENTLY. */
  readonly singleConnection: boolean;
  /** Shown in messages instead of the URL: never contains a password. */
  readonly label: string;
  /** An empty in-memory stand-in for an embedded database's folder not created yet (FromUrlOptions.readOnly): reopened for a command that writes. */
  readonly notCreated?: boolean;
  /** Its sessions start without a statement time limit (a pool xc opened with one turned off): nothing to lift per session. */
  readonly unlimited?: boolean;
  /** The most connections a pool the caller handed in lends at once, where it says (pg `max`, mysql2 `connectionLimit`, knex `pool.max`). */
  readonly maxConnections?: number;
  /** The server's ids of the sessions of a pool xc opened (all xc's own: never anyone's blocker), where the driver knows them. */
  ownSessions?(): readonly number[];
  /**
   * The one session behind a `singleConnection` driver (the PGlite instance).
   * Advisory locks are re-entrant within a session, so two xc on it would both
   * get theirs: xc's lock is also claimed in-process under this object
   * (engine/lock.ts).
   */
  readonly lockKey?: object;
}

/** What opening a driver may need besides the URL: where to start, and how to wait for another xc on a folder (PGlite). */
export interface FromUrlOptions {
  /** Base of relative paths (pglite://PATH). */
  cwd: string;
  /** The --schema given (only where the family `takesSchema`). */
  schema?: string;
  connectTimeoutMs?: number;
  /** An embedded database's folder another xc process has open: wait this long for it (--wait-lock), else exit 4 at once. */
  waitLockMs?: number;
  /** Called once when it starts waiting for that folder, with the holder in words. */
  onWaitLock?: (holder: string) => void;
  /** Who is opening, in words, for the one who finds the folder taken (`xc apply`). */
  purpose?: string;
  /** A stop asked for (Ctrl-C) ends that wait at once: nothing is held yet. */
  signal?: AbortSignal;
  /** The command changes nothing: an embedded database's folder that does not exist is read as an empty database, not created. */
  readOnly?: boolean;
}

/**
 * One way of reaching a server (node-postgres, PGlite, mysql2), as openDriver
 * (connect.ts) and the knex support (knex.ts) use it. Each dialect brings its
 * own (src/dialects/<db>/driver.ts); src/dialects/drivers.ts lists them.
 */
export interface DriverFamily {
  /** URL schemes it opens, lower case, without `:`; the first names it in labels. */
  readonly schemes: readonly string[];
  /** Open a URL of one of its schemes: `cwd` is the base of relative paths, `schema` the --schema given (only where `takesSchema`). */
  fromUrl(url: string, o: FromUrlOptions): Promise<Driver>;
  /** Its URLs name a folder, not a server (`pglite://PATH`): no URL rules to hold them to. */
  readonly namesPath?: boolean;
  /** --schema applies to its URLs (PostgreSQL's search_path). */
  readonly takesSchema?: boolean;
  /** Why --schema cannot apply, where the server has a reason of its own to give (MySQL has no schemas inside a database). */
  schemaRefusal?(schema: string): Error;
  /** A Driver over a connection object the caller holds, when it is this family's (its pool, its instance); undefined otherwise. */
  wrap?(connection: unknown): Driver | undefined;
  /** How knex reaches it, where it can. */
  readonly knex?: KnexFamily;
}

/** What a knex client of one family needs from xc. */
export interface KnexFamily {
  /** The client names a knexfile or a knex instance gives it (`client: 'pg'`). */
  readonly clients: readonly string[];
  /** The connections of a knex instance with this driver can carry xc's sessions. */
  wraps(driverName: string): boolean;
  /** A session over a connection knex lent. */
  session(connection: unknown, release: (destroy?: boolean) => void): Session;
  /** Close a lent connection for good (knex replaces it). */
  destroy(connection: unknown): void;
  /** A pool of xc's own for a knexfile's `connection` URL, shown as `label`. */
  fromUrl(url: string, label: string, connectTimeoutMs?: number): Driver;
  /** A pool of xc's own for a knexfile's `connection` object; `config` is the whole environment (searchPath). */
  fromObject(connection: ConnectionObject, config: Record<string, unknown>, connectTimeoutMs?: number): Driver;
}

/** A knexfile's `connection` given as an object. */
export interface ConnectionObject {
  host?: string;
  port?: number | string;
  user?: string;
  password?: string;
  database?: string;
  connectionString?: string;
  ssl?: unknown;
  [k: string]: unknown;
}

/** A connection failure, naming the redacted target and never the password. */
export function connectError(label: string, err: unknown): SqlFailedError {
  const e = err as { message?: string; code?: string };
  const msg = scrub(String(e?.message ?? err));
  return new SqlFailedError(`cannot connect to ${label}: ${msg}`, { code: e?.code ?? null }, { code: 'connect_failed', cause: err });
}

/**
 * A connection that got no answer within --connect-timeout: names the server as host:port (the label may hold
 * neither, e.g. for a URL without a port) and the label, never the password.
 */
export function connectTimeoutError(label: string, server: { host?: string; port?: number | string }, timeoutMs: number, err: unknown): SqlFailedError {
  const where = scrub(`${server.host ?? 'localhost'}:${server.port ?? ''}`);
  return new SqlFailedError(
    `cannot connect to ${where} (${label}): no answer within ${formatDuration(timeoutMs)} (--connect-timeout)`,
    { code: (err as { code?: string })?.code ?? null, host: server.host ?? null, port: server.port === undefined ? null : Number(server.port), timeoutMs },
    { code: 'connect_failed', cause: err },
  );
}

/** Run `fn` on a session of its own, always released. */
export async function withSession<T>(driver: Driver, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await driver.acquire();
  try {
    return await fn(s);
  } finally {
    s.release();
  }
}

/** Run `fn` in a transaction on its own session. */
export async function inTransaction<T>(driver: Driver, fn: (s: Session) => Promise<T>): Promise<T> {
  return withSession(driver, async (s) => {
    await s.query('BEGIN');
    try {
      const out = await fn(s);
      await s.query('COMMIT');
      return out;
    } catch (err) {
      await s.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Put back what xc set on a session (statements from the dialect), then
 * return it to its pool. A session whose settings could not be put back is
 * closed, never handed on changed: the pool may be the application's.
 */
export async function releaseRestored(s: Session, restore: readonly { sql: string; params: readonly unknown[] }[]): Promise<void> {
  try {
    for (const q of restore) await s.query(q.sql, q.params);
  } catch {
    s.release(true);
    return;
  }
  s.release();
}

/**
 * Close a pool whose idle connections do not hold the process (pg's allowExitOnIdle, the unref'd sockets of
 * xc's mysql2 pool): a timer holds it until the pool has ended, so what follows close() (a command's exit code)
 * still runs.
 */
export async function endHeld(end: () => Promise<void>): Promise<void> {
  const hold = setInterval(() => undefined, 60_000);
  try {
    await end();
  } finally {
    clearInterval(hold);
  }
}
