/**
 * The smallest connection surface xc needs. Every driver (pg, PGlite, knex,
 * mysql2) is wrapped into it. xc's own SQL always uses `?` placeholders; a
 * PostgreSQL session rewrites them to `$n`.
 */
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
}

export interface Driver {
  acquire(): Promise<Session>;
  close(): Promise<void>;
  /** True when the backend has exactly one connection (PGlite): no concurrency, no CONCURRENTLY. */
  readonly singleConnection: boolean;
  /** Shown in messages instead of the URL: never contains a password. */
  readonly label: string;
  /** Its sessions start without a statement time limit (a pool xc opened with one turned off): nothing to lift per session. */
  readonly unlimited?: boolean;
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
