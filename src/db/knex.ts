/**
 * knex support: wrap a live knex instance (borrowing its raw connections), or
 * read a knexfile and open our own pg / mysql2 pool from its connection.
 */
import path from 'node:path';
import type { PoolOptions } from 'mysql2/promise';
import type { PoolConfig } from 'pg';
import type { Driver } from './driver.js';
import { InvalidInputError } from '../errors.js';
import { importDefault, loadError } from '../migration/load.js';
import { createPgDriver, guardErrors, pgSession, connectError, type PgQueryable } from './pg.js';
import { createMysqlDriver, mysqlSession, mysqlOptionsFromUrl, type MysqlQueryable } from './mysql.js';
import { addSecret, malformedUrlProblem, passwordOf, redactUrl } from './redact.js';

interface KnexClient {
  driverName?: string;
  dialect?: string;
  config?: { client?: unknown };
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown> | unknown;
}

/** Duck-typed: a knex instance is a function with a `.client`. */
export function isKnex(x: unknown): x is { client: KnexClient } {
  const c = (x as { client?: Partial<KnexClient> } | null)?.client;
  return typeof x === 'function' && !!c && typeof c.acquireConnection === 'function';
}

type Family = 'pg' | 'mysql';

function familyOf(client: unknown): Family | null {
  const c = String(client ?? '').toLowerCase();
  if (['pg', 'postgres', 'postgresql', 'pgnative'].includes(c)) return 'pg';
  if (['mysql', 'mysql2', 'mariadb'].includes(c)) return 'mysql';
  return null;
}

/** A Driver over a knex instance's pool. `close()` leaves the instance alone: it is the caller's. */
export function wrapKnex(knex: { client: KnexClient }): Driver {
  const client = knex.client;
  const name = client.driverName ?? String(client.config?.client ?? 'unknown');
  const family = familyOf(client.driverName) ?? familyOf(client.dialect);
  if (family === null || name === 'mysql') {
    throw new InvalidInputError(
      `knex client "${name}" is not supported; xc works with knex over "pg" (PostgreSQL) or "mysql2" (MySQL/MariaDB)`,
    );
  }
  const label = `knex(${name})`;
  return {
    singleConnection: false,
    label,
    async acquire() {
      let raw: unknown;
      try {
        raw = await client.acquireConnection();
      } catch (err) {
        throw connectError(label, err);
      }
      const done = (destroy?: boolean) => {
        // A destroyed connection fails knex's validation and is replaced on next acquire.
        if (destroy) {
          const r = raw as { end?: () => unknown; destroy?: () => unknown; __knex__disposed?: unknown };
          try {
            if (family === 'pg') {
              r.__knex__disposed = 'closed by xc';
              void Promise.resolve(r.end?.()).catch(() => undefined);
            } else r.destroy?.();
          } catch {
            // already gone
          }
        }
        void Promise.resolve(client.releaseConnection(raw)).catch(() => undefined);
      };
      if (family === 'pg') {
        guardErrors(raw as { on(ev: 'error', fn: (e: Error) => void): unknown });
        return pgSession(raw as PgQueryable, done);
      }
      // knex holds mysql2's callback connection; promise() gives the promise API over it.
      const conn = raw as { promise(): MysqlQueryable };
      return mysqlSession(conn.promise(), done);
    },
    async close() {
      // Not ours to destroy.
    },
  };
}

interface ConnectionObject {
  host?: string;
  port?: number | string;
  user?: string;
  password?: string;
  database?: string;
  connectionString?: string;
  ssl?: unknown;
  [k: string]: unknown;
}

function labelOf(scheme: string, c: ConnectionObject): string {
  const auth = c.user ? `${c.user}${c.password ? ':***' : ''}@` : '';
  return `${scheme}://${auth}${c.host ?? 'localhost'}${c.port ? `:${c.port}` : ''}/${c.database ?? ''}`;
}

/** Read a knexfile (`module.exports`/default export, keyed by environment or a single config) and open a driver. */
export async function driverFromKnexfile(file: string, envName?: string, cwd = process.cwd()): Promise<Driver> {
  const abs = path.resolve(cwd, file);
  let cfg: unknown;
  try {
    cfg = await importDefault(abs);
    if (typeof cfg === 'function') cfg = await (cfg as () => unknown)();
  } catch (err) {
    throw loadError(`knexfile ${file}`, err, 'invalid_config');
  }
  if (!cfg || typeof cfg !== 'object') throw new InvalidInputError(`knexfile ${file}: expected an object export`);
  const envKey = envName ?? (process.env.NODE_ENV || 'development');
  let config = cfg as Record<string, unknown>;
  if (!('client' in config) && !('connection' in config)) {
    const picked = config[envKey];
    if (!picked || typeof picked !== 'object') {
      throw new InvalidInputError(
        `knexfile ${file}: no environment "${envKey}"; it has: ${Object.keys(config).join(', ') || 'none'} (choose with --env NAME)`,
      );
    }
    config = picked as Record<string, unknown>;
  }
  const where = `knexfile ${file}${'client' in (cfg as object) ? '' : ` (${envKey})`}`;
  const family = familyOf(typeof config.client === 'string' ? config.client : (config.client as { name?: string })?.name);
  if (!family) {
    throw new InvalidInputError(`${where}: client ${JSON.stringify(config.client)} is not supported; expected pg or mysql2`);
  }
  let connection = config.connection;
  if (typeof connection === 'function') connection = await (connection as () => unknown)();
  if (typeof connection === 'string') {
    addSecret(passwordOf(connection));
    addSecret(passwordOf(connection, true));
    // As for --url: a URL the driver would misread (or throw on, with the URL in the error) is refused first.
    const malformed = malformedUrlProblem(connection);
    if (malformed) throw new InvalidInputError(`${where}: ${malformed}`);
    const label = redactUrl(connection);
    return family === 'pg'
      ? createPgDriver(connection, { label })
      : createMysqlDriver(mysqlOptionsFromUrl(connection), { label });
  }
  if (!connection || typeof connection !== 'object') {
    throw new InvalidInputError(`${where}: expected "connection" as a URL string or an object with host, user, password, database`);
  }
  const c = connection as ConnectionObject;
  addSecret(c.password);
  if (family === 'pg') {
    if (c.connectionString) addSecret(passwordOf(c.connectionString));
    const label = c.connectionString ? redactUrl(c.connectionString) : labelOf('postgres', c);
    const searchPath = config.searchPath;
    const extra =
      searchPath && !c.options
        ? { options: `-c search_path=${([] as unknown[]).concat(searchPath).join(',')}` }
        : {};
    const pgConfig = { ...c, ...extra, port: c.port === undefined ? undefined : Number(c.port) } as PoolConfig;
    return createPgDriver(pgConfig, { label });
  }
  const { connectionString, ...rest } = c;
  const base = (typeof connectionString === 'string' ? { ...mysqlOptionsFromUrl(connectionString), ...rest } : rest) as PoolOptions;
  if (base.port !== undefined) base.port = Number(base.port);
  return createMysqlDriver(base, { label: labelOf('mysql', c) });
}
