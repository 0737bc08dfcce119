/**
 * MySQL / MariaDB over mysql2. `?` placeholders are native (client-side
 * escaping through `query`, which, unlike `execute`, accepts any statement).
 */
import mysql from 'mysql2/promise';
import type { Driver, QueryResult, Session } from './driver.js';
import { connectError } from './pg.js';
import { redactUrl } from './redact.js';

/** Options xc always uses: one statement per call, exact big numbers and dates as text. */
export const MYSQL_FORCED_OPTIONS = {
  multipleStatements: false,
  supportBigNumbers: true,
  bigNumberStrings: true,
  dateStrings: true,
} as const;

/** What a mysql session needs: a promise-API connection (pool connection or `conn.promise()`). */
export interface MysqlQueryable {
  query(options: { sql: string; values?: unknown[] }): Promise<[unknown, unknown]>;
}

/** A Session over one mysql2 promise connection. Shared with the knex driver. */
export function mysqlSession(conn: MysqlQueryable, release: (destroy?: boolean) => void): Session {
  let released = false;
  return {
    async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      // Result options per query too, so a wrapped knex connection answers like our own pool.
      const [res] = await conn.query({
        sql,
        ...(params !== undefined && params.length > 0 ? { values: [...params] } : {}),
        supportBigNumbers: true,
        bigNumberStrings: true,
        dateStrings: true,
      } as { sql: string });
      if (Array.isArray(res)) {
        // CALL returns [rows..., header]: report the first row set.
        const rows = (Array.isArray(res[0]) ? res[0] : res) as T[];
        return { rows, rowCount: rows.length };
      }
      const header = res as { affectedRows?: number } | null;
      return { rows: [], rowCount: header?.affectedRows ?? 0 };
    },
    release(destroy?: boolean) {
      if (released) return;
      released = true;
      release(destroy);
    },
  };
}

/** mysql:// or mariadb:// URL to mysql2 options (query parameters as options, JSON values parsed). */
export function mysqlOptionsFromUrl(url: string): mysql.PoolOptions {
  const u = new URL(url.replace(/^mariadb:/i, 'mysql:'));
  const opts: Record<string, unknown> = {};
  for (const [key, value] of u.searchParams) {
    try {
      opts[key] = JSON.parse(value);
    } catch {
      opts[key] = value;
    }
  }
  const host = decodeURIComponent(u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname);
  if (host) opts.host = host;
  if (u.port) opts.port = Number(u.port);
  if (u.username) opts.user = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database) opts.database = database;
  return opts as mysql.PoolOptions;
}

type PromisePool = mysql.Pool;

/** A Driver over a mysql2 pool: created from a URL or options, or wrapping a given pool (promise or callback API). */
export function createMysqlDriver(
  source: string | mysql.PoolOptions | PromisePool | { promise(): PromisePool },
  opts: { label?: string; owned?: boolean } = {},
): Driver {
  let pool: PromisePool;
  let owned: boolean;
  let label: string;
  if (isMysqlPool(source)) {
    // A callback pool has promise() and no .pool; a promise pool has .pool.
    const s = source as unknown as { pool?: unknown; promise(): PromisePool };
    pool = s.pool ? (source as PromisePool) : s.promise();
    owned = opts.owned ?? false;
    label = opts.label ?? 'mysql2 pool';
  } else {
    const base = typeof source === 'string' ? mysqlOptionsFromUrl(source) : (source as mysql.PoolOptions);
    pool = mysql.createPool({ connectionLimit: 10, ...base, ...MYSQL_FORCED_OPTIONS });
    owned = opts.owned ?? true;
    label = opts.label ?? (typeof source === 'string' ? redactUrl(source) : 'mysql');
  }
  // Errors of idle connections must not crash the process.
  (pool.pool as unknown as NodeJS.EventEmitter).on?.('error', () => undefined);
  return {
    singleConnection: false,
    label,
    async acquire() {
      let conn: mysql.PoolConnection;
      try {
        conn = await pool.getConnection();
      } catch (err) {
        throw connectError(label, err);
      }
      const core = conn.connection as unknown as NodeJS.EventEmitter;
      if (core.listenerCount?.('error') === 0) core.on('error', () => undefined);
      return mysqlSession(conn as unknown as MysqlQueryable, (destroy) => (destroy ? conn.destroy() : conn.release()));
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

/** Duck-typed: a mysql2 pool (promise API has getConnection and .pool; callback API has getConnection and promise()). */
export function isMysqlPool(x: unknown): boolean {
  const o = x as Record<string, unknown> | null;
  return (
    !!o &&
    typeof o === 'object' &&
    typeof o.getConnection === 'function' &&
    (typeof o.pool === 'object' || typeof o.promise === 'function')
  );
}
