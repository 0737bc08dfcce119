/**
 * knex support: wrap a live knex instance (borrowing its raw connections), or
 * read a knexfile and open our own pool from its connection — through the
 * driver family of its client (DriverFamily.knex: pg, mysql2).
 */
import path from 'node:path';
import { connectError, type ConnectionObject, type Driver, type KnexFamily } from './driver.js';
import { InvalidInputError } from '../errors.js';
import { importDefault, loadError } from '../migration/load.js';
import { DRIVER_FAMILIES } from '../dialects/drivers.js';
import { addSecret, malformedUrlProblem, passwordOf, redactUrl } from './redact.js';

interface KnexClient {
  driverName?: string;
  dialect?: string;
  config?: { client?: unknown; pool?: { max?: number } };
  /** tarn's pool, once knex made it. */
  pool?: { max?: number };
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown> | unknown;
}

/** Duck-typed: a knex instance is a function with a `.client`. */
export function isKnex(x: unknown): x is { client: KnexClient } {
  const c = (x as { client?: Partial<KnexClient> } | null)?.client;
  return typeof x === 'function' && !!c && typeof c.acquireConnection === 'function';
}

/** The family a knex client name belongs to, if xc speaks to it. */
function familyOf(client: unknown): KnexFamily | null {
  const c = String(client ?? '').toLowerCase();
  return DRIVER_FAMILIES.flatMap((f) => (f.knex?.clients.includes(c) ? [f.knex] : []))[0] ?? null;
}

/** A Driver over a knex instance's pool. `close()` leaves the instance alone: it is the caller's. */
export function wrapKnex(knex: { client: KnexClient }): Driver {
  const client = knex.client;
  const name = client.driverName ?? String(client.config?.client ?? 'unknown');
  const family = familyOf(client.driverName) ?? familyOf(client.dialect);
  if (family === null || !family.wraps(name)) {
    throw new InvalidInputError(
      `knex client "${name}" is not supported; xc works with knex over "pg" (PostgreSQL) or "mysql2" (MySQL/MariaDB)`,
    );
  }
  const label = `knex(${name})`;
  const max = client.pool?.max ?? client.config?.pool?.max;
  return {
    singleConnection: false,
    label,
    ...(typeof max === 'number' ? { maxConnections: max } : {}),
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
          try {
            family.destroy(raw);
          } catch {
            // already gone
          }
        }
        void Promise.resolve(client.releaseConnection(raw)).catch(() => undefined);
      };
      return family.session(raw, done);
    },
    async close() {
      // Not ours to destroy.
    },
  };
}

/** Read a knexfile (`module.exports`/default export, keyed by environment or a single config) and open a driver. */
export async function driverFromKnexfile(file: string, envName?: string, cwd = process.cwd(), connectTimeoutMs?: number): Promise<Driver> {
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
        `knexfile ${file}: no environment "${envKey}"; it has: ${Object.keys(config).join(', ') || 'none'} (choose with --knex-env NAME)`,
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
    return family.fromUrl(connection, redactUrl(connection), connectTimeoutMs);
  }
  if (!connection || typeof connection !== 'object') {
    throw new InvalidInputError(`${where}: expected "connection" as a URL string or an object with host, user, password, database`);
  }
  const c = connection as ConnectionObject;
  addSecret(c.password);
  return family.fromObject(c, config, connectTimeoutMs);
}
