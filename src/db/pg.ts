/**
 * PostgreSQL over node-postgres. xc writes `?` placeholders everywhere; they
 * are rewritten to `$n` here, and only when params are given, so raw SQL
 * without params (e.g. a migration's `sql` operation using the jsonb `?`
 * operator) passes through untouched.
 */
import pg from 'pg';
import type { Driver, QueryOptions, QueryResult, Session } from './driver.js';
import { SqlFailedError } from '../errors.js';
import { redactUrl, scrub } from './redact.js';
import { toDollarParams } from '../dialects/postgres/text.js';

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
export function pgSession(client: PgQueryable, release: (destroy?: boolean) => void): Session {
  let released = false;
  return {
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
}

/** A Driver over a pg.Pool: created from a URL or config, or wrapping a given pool. */
export function createPgDriver(source: string | pg.PoolConfig | pg.Pool, opts: PgDriverOptions = {}): Driver {
  let pool: pg.Pool;
  let owned: boolean;
  let label: string;
  if (source instanceof pg.Pool) {
    pool = source;
    owned = opts.owned ?? false;
    label = opts.label ?? 'pg.Pool';
  } else {
    const config: pg.PoolConfig = typeof source === 'string' ? { connectionString: source } : source;
    // A name in the URL (application_name=...) wins over this default.
    pool = new pg.Pool({ max: 10, application_name: 'xc', ...config });
    owned = opts.owned ?? true;
    label = opts.label ?? (typeof source === 'string' ? redactUrl(source) : 'postgres');
  }
  // An idle client dying (server restart, pg_terminate_backend) must not crash the process.
  guardErrors(pool);
  return {
    singleConnection: false,
    label,
    async acquire() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw connectError(label, err);
      }
      guardErrors(client);
      return pgSession(client, (destroy) => client.release(destroy ? true : undefined));
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

/** A connection failure, naming the redacted target and never the password. */
export function connectError(label: string, err: unknown): SqlFailedError {
  const e = err as { message?: string; code?: string };
  const msg = scrub(String(e?.message ?? err));
  const out = new SqlFailedError(`cannot connect to ${label}: ${msg}`, { code: e?.code ?? null }, { code: 'connect_failed', cause: err });
  return out;
}
