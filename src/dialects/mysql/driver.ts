/**
 * MySQL / MariaDB over mysql2. xc's `?` placeholders are filled in here, not
 * by mysql2, and every value is written so that it reads the same whether
 * the session's sql_mode has NO_BACKSLASH_ESCAPES or not (a server-wide
 * setting, or an application pool's sessions, may turn it on; mysql2's own
 * escaping writes `\'`, which that mode reads as a backslash and the string's
 * end). The session's sql_mode itself is never touched: triggers keep the
 * mode of the session that creates them, and an author's literal must mean
 * what the author's server makes of it.
 */
import { createRequire } from 'node:module';
import { escape, format } from 'sql-escaper';
import type mysql from 'mysql2/promise';
import { connectError, connectTimeoutError, endHeld, type ConnectionObject, type Driver, type DriverFamily, type QueryOptions, type QueryResult, type Session } from '../../db/driver.js';
import { InvalidInputError } from '../../errors.js';
import { connectionLabel, redactUrl } from '../../db/redact.js';

let mysqlLoaded: typeof mysql | undefined;
/** mysql2, loaded on first use: a command that opens no MySQL connection never pays for it (start-up time). */
function mysqlLib(): typeof mysql {
  return (mysqlLoaded ??= createRequire(import.meta.url)('mysql2/promise') as typeof mysql);
}

/** Options xc always uses: one statement per call, exact big numbers and dates as text. */
export const MYSQL_FORCED_OPTIONS = {
  multipleStatements: false,
  supportBigNumbers: true,
  bigNumberStrings: true,
  dateStrings: true,
} as const;

/** What a mysql session needs: a promise-API connection (pool connection or `conn.promise()`); `connection.config` where mysql2 has it. */
export interface MysqlQueryable {
  query(options: { sql: string; values?: unknown[] }): Promise<[unknown, unknown]>;
  connection?: { config?: { timezone?: string } };
}

/** sql-escaper's mode for values both sql_modes read alike: a quote doubled, a string holding a backslash rebuilt with REPLACE. */
const EITHER_MODE = { noBackslashEscapes: true } as const;

/**
 * `sql` with its placeholders filled in; null when the text around them holds
 * a quote after an odd run of backslashes (an author's literal such as
 * `'it\'s'`), which the two modes end in different places.
 */
export function inlineValues(sql: string, params: readonly unknown[], timezone = 'local'): string | null {
  try {
    return format(sql, [...params] as never[], false, timezone as never, EITHER_MODE);
  } catch (err) {
    if (err instanceof TypeError && /backslash/.test(err.message)) return null;
    throw err;
  }
}

type Run = (sql: string) => Promise<unknown>;

/** Statement and variable names of xc's server-side prepared statements (one at a time per session). */
const STATEMENT = 'xc_statement';

/**
 * Run `sql` as one server-side prepared statement (PREPARE ... FROM a
 * variable, EXECUTE): the server parses exactly one statement, whatever the
 * connection's multipleStatements flag, and finds the placeholders itself
 * with the session's own sql_mode. The text travels as hex and the values as
 * variables written for either mode. Results come back as for a plain query
 * (text protocol). Everything set is put back: the pool may be the application's.
 */
async function runPrepared(run: Run, sql: string, params: readonly unknown[], timezone: string): Promise<unknown> {
  const variables = params.map((_, i) => `@${STATEMENT}_${i}`);
  const values = params.map((v, i) => `, ${variables[i]} = ${escape(v as never, false, timezone as never, EITHER_MODE)}`);
  await run(`SET @${STATEMENT} = CONVERT(X'${Buffer.from(sql, 'utf8').toString('hex')}' USING utf8mb4)${values.join('')}`);
  try {
    await run(`PREPARE ${STATEMENT} FROM @${STATEMENT}`);
    return await run(`EXECUTE ${STATEMENT}${variables.length > 0 ? ` USING ${variables.join(', ')}` : ''}`);
  } finally {
    // After a failed PREPARE there is no statement to deallocate: that error says nothing.
    await run(`DEALLOCATE PREPARE ${STATEMENT}`).catch(() => undefined);
    await run(`SET @${STATEMENT} = NULL${variables.map((v) => `, ${v} = NULL`).join('')}`).catch(() => undefined);
  }
}

/**
 * mysql2 names an error by MySQL's table of numbers, where MariaDB's own (4000 and up) mean other things: MariaDB's
 * 4025, a CHECK that failed, came out in `--json` as ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE (campaign BU). Told by
 * its message, the only part both servers do not share.
 */
function mariadbNamed(err: unknown): unknown {
  const e = err as { errno?: number; code?: string; message?: string };
  if (e?.errno === 4025 && /^CONSTRAINT\b/.test(e.message ?? '')) e.code = 'ER_CONSTRAINT_FAILED';
  return err;
}

/** A Session over one mysql2 promise connection. Shared with the knex driver. */
export function mysqlSession(conn: MysqlQueryable, release: (destroy?: boolean) => void, pooled?: object): Session {
  let released = false;
  // Dates are written in the connection's timezone, as mysql2 itself would.
  const timezone = conn.connection?.config?.timezone ?? 'local';
  const run: Run = async (sql) => {
    // No values for mysql2 to fill in (an empty list, so a pool with namedPlaceholders does not rewrite `:name` either);
    // result options per query, so a wrapped knex connection answers like our own pool.
    try {
      const [res] = await conn.query({ sql, values: [], supportBigNumbers: true, bigNumberStrings: true, dateStrings: true } as { sql: string });
      return res;
    } catch (err) {
      throw mariadbNamed(err);
    }
  };
  return {
    ...(pooled ? { pooled } : {}),
    async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      const values = params ?? [];
      const text = values.length > 0 ? inlineValues(sql, values, timezone) : sql;
      const res = opts?.single || text === null ? await runPrepared(run, sql, values, timezone) : await run(text);
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
  opts: { label?: string; owned?: boolean; connectTimeoutMs?: number } = {},
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
    // mysql2's connectTimeout runs until the handshake is done (an accepting but silent server included).
    const timeout = opts.connectTimeoutMs ? { connectTimeout: opts.connectTimeoutMs } : {};
    pool = mysqlLib().createPool({ connectionLimit: 10, ...timeout, ...base, ...MYSQL_FORCED_OPTIONS });
    owned = opts.owned ?? true;
    label = opts.label ?? (typeof source === 'string' ? redactUrl(source) : 'mysql');
  }
  // Errors of idle connections must not crash the process.
  (pool.pool as unknown as NodeJS.EventEmitter).on?.('error', () => undefined);
  const max = (pool.pool as unknown as { config?: { connectionLimit?: number } }).config?.connectionLimit;
  // The connections of a pool xc opened: a report of who blocks xc must not name them (idle, they look like anyone's).
  const ours = new Set<number>();
  return {
    singleConnection: false,
    label,
    ...(!owned && typeof max === 'number' ? { maxConnections: max } : {}),
    ...(owned ? { ownSessions: () => [...ours] } : {}),
    async acquire() {
      let conn: mysql.PoolConnection;
      try {
        conn = await pool.getConnection();
      } catch (err) {
        const config = (pool.pool as unknown as { config?: { connectionConfig?: { host?: string; port?: number; connectTimeout?: number } } }).config?.connectionConfig;
        // ETIMEDOUT: mysql2's connectTimeout (or the system's own TCP timeout), both a server that did not answer in time.
        if (opts.connectTimeoutMs && (err as { code?: string })?.code === 'ETIMEDOUT') {
          throw connectTimeoutError(label, { host: config?.host, port: config?.port }, config?.connectTimeout ?? opts.connectTimeoutMs, err);
        }
        throw connectError(label, err);
      }
      const core = conn.connection as unknown as NodeJS.EventEmitter & { threadId?: number | null; stream?: { ref?(): void; unref?(): void } };
      if (core.listenerCount?.('error') === 0) core.on('error', () => undefined);
      if (owned && typeof core.threadId === 'number') ours.add(core.threadId);
      // A pool xc opened keeps no process alive while idle (as pg's allowExitOnIdle): its connections have no idle
      // limit (db/statementLimit.ts), so a library user who never calls close() would otherwise never exit.
      if (owned) core.stream?.ref?.();
      const release = (destroy?: boolean) => {
        if (destroy) return conn.destroy();
        if (owned) core.stream?.unref?.();
        conn.release();
      };
      // A pool xc opened: its connections are xc's alone, so a session says which one it is (Session.pooled): the
      // core connection, as mysql2 wraps it in a new promise object on every getConnection.
      return mysqlSession(conn as unknown as MysqlQueryable, release, owned ? core : undefined);
    },
    async close() {
      if (owned) await endHeld(() => pool.end());
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

/** MySQL/MariaDB have no schema inside a database to give: `--schema` is refused there (exit 2). */
export function schemaOnMysql(schema: string): InvalidInputError {
  return new InvalidInputError(`--schema "${schema}": MySQL/MariaDB have no schemas inside a database — the database in the URL (mysql://host/DB) is the one xc migrates`);
}

export const mysqlDriver: DriverFamily = {
  schemes: ['mysql', 'mariadb'],
  fromUrl: async (url, { connectTimeoutMs }) => {
    // Without one, every statement fails "No database selected" — which plan reported as each column type's fault.
    if (!mysqlOptionsFromUrl(url).database) throw new InvalidInputError(`${redactUrl(url)} names no database: give the one to migrate in its path (mysql://host:3306/DB)`);
    return createMysqlDriver(url, { connectTimeoutMs });
  },
  schemaRefusal: schemaOnMysql,
  wrap: (c) => (isMysqlPool(c) ? createMysqlDriver(c as Parameters<typeof createMysqlDriver>[0], { owned: false }) : undefined),
  knex: {
    clients: ['mysql', 'mysql2', 'mariadb'],
    // knex's old `mysql` driver lends connections of that package, not mysql2's.
    wraps: (driverName) => driverName !== 'mysql',
    // knex holds mysql2's callback connection; promise() gives the promise API over it.
    session: (connection, release) => mysqlSession((connection as { promise(): MysqlQueryable }).promise(), release),
    destroy: (connection) => (connection as { destroy?: () => unknown }).destroy?.(),
    fromUrl: (url, label, connectTimeoutMs) => createMysqlDriver(mysqlOptionsFromUrl(url), { label, connectTimeoutMs }),
    fromObject(c: ConnectionObject, _config, connectTimeoutMs) {
      const { connectionString, ...rest } = c;
      const base = (typeof connectionString === 'string' ? { ...mysqlOptionsFromUrl(connectionString), ...rest } : rest) as mysql.PoolOptions;
      if (base.port !== undefined) base.port = Number(base.port);
      return createMysqlDriver(base, { label: connectionLabel('mysql', c), connectTimeoutMs });
    },
  },
};
