/**
 * PostgreSQL over node-postgres: from a postgres:// URL, a pg Pool the caller
 * holds, or knex's pg client. xc writes `?` placeholders everywhere; they
 * are rewritten to `$n` here, and only when params are given, so raw SQL
 * without params (e.g. a migration's `sql` operation using the jsonb `?`
 * operator) passes through untouched.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { connectError, connectTimeoutError, endHeld, type ConnectionObject, type Driver, type DriverFamily, type QueryOptions, type QueryResult, type Session } from '../../db/driver.js';
import { addSecret, connectionLabel, passwordOf, redactUrl } from '../../db/redact.js';
import { toDollarParams } from './text.js';

let pgLoaded: typeof pg | undefined;
/** node-postgres, loaded on first use: a command that opens no PostgreSQL connection never pays for it (start-up time). */
function pgLib(): typeof pg {
  if (pgLoaded) return pgLoaded;
  // pg asks whether it runs on Cloudflare Workers by constructing a fetch Response when there is no `navigator`
  // (Node 20 has none; 21+ does): that loads undici, half of pg's load time. For the length of the (synchronous)
  // require, a navigator that says Node, as Node 21+ has.
  const shim = !('navigator' in globalThis);
  if (shim) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true });
  try {
    return (pgLoaded = createRequire(import.meta.url)('pg') as typeof pg);
  } finally {
    if (shim) delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/** What a pg session needs from a client (pg.Client, pg.PoolClient, or a knex-held pg client). */
export interface PgQueryable {
  query(config: { text: string; values?: unknown[]; queryMode?: 'extended' }): Promise<pg.QueryResult | pg.QueryResult[]>;
}

const guarded = new WeakSet<object>();

/** Swallow 'error' events of a checked-out client: the next query fails instead of the process crashing. */
export function guardErrors(emitter: { on(ev: 'error', fn: (e: Error) => void): unknown }): void {
  if (guarded.has(emitter)) return;
  guarded.add(emitter);
  emitter.on('error', () => undefined);
}

/** A Session over one pg client. Shared with the knex driver. */
export function pgSession(client: PgQueryable, release: (destroy?: boolean) => void, pooled?: object): Session {
  let released = false;
  return {
    ...(pooled ? { pooled } : {}),
    async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      const withParams = params !== undefined && params.length > 0;
      const res = await client.query(
        withParams ? { text: toDollarParams(sql), values: [...params] } : opts?.single ? { text: sql, values: [], queryMode: 'extended' } : { text: sql },
      );
      // A multi-statement simple query yields one result per statement: report the last.
      const last = Array.isArray(res) ? res[res.length - 1] : res;
      const rows = (last?.rows ?? []) as T[];
      return { rows, rowCount: last?.rowCount ?? rows.length };
    },
    release(destroy?: boolean) {
      if (released) return;
      released = true;
      release(destroy);
    },
  };
}

export interface PgDriverOptions {
  /** Shown instead of the URL. */
  label?: string;
  /** Close the pool on `close()` (true when we created it). */
  owned?: boolean;
  /** A new pool's connections give up connecting after this long (a given pool keeps its own settings). */
  connectTimeoutMs?: number;
}

/**
 * pg.Client with a connect timeout, remembering the server it resolved (URL, config, PGHOST/PGPORT) for the error.
 * Set on the client, not the pool: pg.Pool's connectionTimeoutMillis also times out waiting for a free client.
 */
function timedClient(timeoutMs: number, server: { host?: string; port?: number }): typeof pg.Client {
  return class extends pgLib().Client {
    constructor(config?: pg.ClientConfig) {
      // Own properties copied whole: pg.Pool keeps `password` non-enumerable, which a spread would drop.
      const own = Object.defineProperties({}, Object.getOwnPropertyDescriptors(config ?? {})) as pg.ClientConfig;
      own.connectionTimeoutMillis = timeoutMs;
      super(own);
      const resolved = this as unknown as { host?: string; port?: number };
      server.host = resolved.host;
      server.port = resolved.port;
    }
  };
}

/** pg's own words when its connectionTimeoutMillis fires (client.js). */
const PG_TIMED_OUT = /connection timeout|timeout expired/i;

/** A Driver over a pg.Pool: created from a URL or config, or wrapping a given pool. */
export function createPgDriver(source: string | pg.PoolConfig | pg.Pool, opts: PgDriverOptions = {}): Driver {
  let pool: pg.Pool;
  let owned: boolean;
  let label: string;
  const server: { host?: string; port?: number } = {};
  const timeoutMs = source instanceof pgLib().Pool ? undefined : opts.connectTimeoutMs;
  if (source instanceof pgLib().Pool) {
    pool = source;
    owned = opts.owned ?? false;
    label = opts.label ?? 'pg.Pool';
  } else {
    const config: pg.PoolConfig = typeof source === 'string' ? { connectionString: source } : source;
    // A name in the URL (application_name=...) wins over this default.
    const timed = timeoutMs ? { Client: timedClient(timeoutMs, server) } : {};
    // allowExitOnIdle: an idle connection does not keep the process alive, so a library user who never calls
    // close() is not held for pg's idle timeout (10 s); a command keeps its own session checked out throughout.
    pool = new (pgLib().Pool)({ max: 10, application_name: 'xc', allowExitOnIdle: true, ...config, ...timed });
    owned = opts.owned ?? true;
    label = opts.label ?? (typeof source === 'string' ? redactUrl(source) : 'postgres');
  }
  // An idle client dying (server restart, pg_terminate_backend) must not crash the process.
  guardErrors(pool);
  const max = (pool as unknown as { options?: { max?: number } }).options?.max;
  return {
    singleConnection: false,
    label,
    ...(!owned && typeof max === 'number' ? { maxConnections: max } : {}),
    async acquire() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        if (timeoutMs && PG_TIMED_OUT.test(String((err as Error)?.message))) throw connectTimeoutError(label, server, timeoutMs, err);
        throw connectError(label, err);
      }
      guardErrors(client);
      // A pool xc opened: its connections are xc's alone, and pg-pool hands out the same client object each time (Session.pooled).
      return pgSession(client, (destroy) => client.release(destroy ? true : undefined), owned ? client : undefined);
    },
    async close() {
      if (owned) await endHeld(() => pool.end());
    },
  };
}

/** A pg Pool, also one from another copy of pg in the caller's project (instanceof fails there: its shape is recognised). */
function isPgPool(x: unknown): x is pg.Pool {
  const o = x as Record<string, unknown> | null;
  if (!!o && typeof o === 'object' && typeof o.connect === 'function' && typeof o.query === 'function' && 'totalCount' in o && 'idleCount' in o) return true;
  // Last: it loads pg, which a caller handing in another family's pool has no use for.
  return x instanceof pgLib().Pool;
}

/** `url` without its `options` query parameter, and that parameter's value (decoded); the URL unchanged where it has none. */
function withoutStartupOptions(url: string): { rest: string; given: string[] } {
  const query = url.indexOf('?');
  if (query < 0) return { rest: url, given: [] };
  const params = new URLSearchParams(url.slice(query + 1));
  const given = params.getAll('options');
  if (given.length === 0) return { rest: url, given: [] };
  params.delete('options');
  const left = params.toString();
  return { rest: `${url.slice(0, query)}${left ? `?${left}` : ''}`, given };
}

/** A value in PostgreSQL's startup `options`, which are split on whitespace; a backslash escapes. */
const optionValue = (v: string) => v.replace(/[\s\\]/g, '\\$&');

export const postgresDriver: DriverFamily = {
  schemes: ['postgres', 'postgresql'],
  takesSchema: true,
  async fromUrl(url, { schema, connectTimeoutMs }) {
    // Startup options, so they hold from the first statement on: search_path (no SET on shared sessions, survives
    // poolers), and no statement time limit — xc's own pool, so none to keep for an application; even the first
    // query (which server is this?) must not be cancelled on a loaded server (db/statementLimit.ts lifts it elsewhere).
    // The schema is one name, quoted: exactly as written (case included, a comma is part of it), never a list.
    const searchPath = schema === undefined ? [] : [`-c search_path=${optionValue(`"${schema.replace(/"/g, '""')}"`)}`];
    // The URL's own `options` (pg lets them replace the ones given beside it) come first: xc's, later, win for the
    // same setting, and the rest (work_mem, a role's…) hold too.
    const { rest, given } = withoutStartupOptions(url);
    const startup = [...given, '-c statement_timeout=0', ...searchPath].join(' ');
    return { ...createPgDriver({ connectionString: rest, options: startup }, { label: redactUrl(url), connectTimeoutMs }), unlimited: true };
  },
  wrap: (c) => (isPgPool(c) ? createPgDriver(c, { owned: false, label: 'pg.Pool' }) : undefined),
  knex: {
    clients: ['pg', 'postgres', 'postgresql', 'pgnative'],
    wraps: () => true,
    session(connection, release) {
      guardErrors(connection as { on(ev: 'error', fn: (e: Error) => void): unknown });
      return pgSession(connection as PgQueryable, release);
    },
    destroy(connection) {
      // Marked disposed, knex's validation fails it, and it is replaced on the next acquire.
      const c = connection as { end?: () => unknown; __knex__disposed?: unknown };
      c.__knex__disposed = 'closed by xc';
      void Promise.resolve(c.end?.()).catch(() => undefined);
    },
    fromUrl: (url, label, connectTimeoutMs) => createPgDriver(url, { label, connectTimeoutMs }),
    fromObject(c: ConnectionObject, config, connectTimeoutMs) {
      if (c.connectionString) addSecret(passwordOf(c.connectionString));
      const label = c.connectionString ? redactUrl(c.connectionString) : connectionLabel('postgres', c);
      const searchPath = config.searchPath;
      const extra = searchPath && !c.options ? { options: `-c search_path=${([] as unknown[]).concat(searchPath).join(',')}` } : {};
      return createPgDriver({ ...c, ...extra, port: c.port === undefined ? undefined : Number(c.port) } as pg.PoolConfig, { label, connectTimeoutMs });
    },
  },
};
