/**
 * Opening the database (SPEC §2): from a URL, a knexfile, or an object the
 * library user already has (Driver, knex, pg Pool, mysql2 pool, PGlite).
 */
import type { Driver, DriverFamily, FromUrlOptions } from './driver.js';
import { InvalidInputError } from '../errors.js';
import { DRIVER_FAMILIES } from '../dialects/drivers.js';
import { driverFromKnexfile, isKnex, wrapKnex } from './knex.js';
import { addSecret, malformedUrlProblem, passwordOf, redactUrl } from './redact.js';

export const HOW_TO_CONNECT =
  'give a database URL with --url (library: the `url` option), XC_DATABASE_URL, DATABASE_URL or the config key "url" ' +
  '(postgres://, postgresql://, mysql://, mariadb://, pglite://PATH, pglite://memory), a knexfile with --knexfile PATH [--knex-env NAME] ' +
  '(library: `knexfile`), or, to the library, a `connection` (a knex instance, pg Pool, mysql2 pool or PGlite)';

export interface OpenDriverOptions {
  url?: string;
  connection?: unknown;
  knexfile?: string;
  knexEnv?: string;
  /**
   * PostgreSQL: the schema holding the application's tables — the sessions'
   * search_path with a URL; a connection object or knexfile keeps its own,
   * which must be that schema (checked by the dialect).
   */
  schema?: string;
  /** Base for relative pglite:// folders and knexfile paths (default process.cwd()). */
  cwd?: string;
  /** Give up opening a connection after this long, on pools opened here (not on a connection object: the caller's). */
  connectTimeoutMs?: number;
  /** A pglite:// folder another xc process has open: wait this long (--wait-lock), calling `onWaitLock` once; else exit 4 at once. */
  waitLockMs?: number;
  onWaitLock?: (holder: string) => void;
  signal?: AbortSignal;
  /** Who opens it, in words (`xc apply`), for the one who finds a pglite:// folder taken. */
  purpose?: string;
  /** The command changes nothing: a pglite:// folder not created yet is read as an empty database (FromUrlOptions.readOnly). */
  readOnly?: boolean;
}

export function isDriver(x: unknown): x is Driver {
  const o = x as Partial<Driver> | null;
  return !!o && typeof o === 'object' && typeof o.acquire === 'function' && typeof o.close === 'function' && typeof o.label === 'string';
}

/** Wrap an object the caller already holds. Its lifetime stays theirs: `close()` does not end it. */
export function driverFromConnection(c: unknown): Driver {
  // Like every object handed in, a Driver stays the caller's to close.
  // A single-connection Driver without a lockKey stands for its one session itself (two xc on it share that session).
  if (isDriver(c)) {
    const lockKey = c.lockKey ?? (c.singleConnection ? c : undefined);
    return roomy({ acquire: () => c.acquire(), close: async () => undefined, singleConnection: c.singleConnection, label: c.label, ...(lockKey ? { lockKey } : {}), ...(c.maxConnections !== undefined ? { maxConnections: c.maxConnections } : {}) });
  }
  if (isKnex(c)) return roomy(wrapKnex(c));
  for (const family of DRIVER_FAMILIES) {
    const driver = family.wrap?.(c);
    if (driver) return roomy(driver);
  }
  throw new InvalidInputError(
    'unsupported connection object; expected a knex instance, a pg Pool, a mysql2 pool, a PGlite instance or an xc Driver',
  );
}

/**
 * xc holds its lock on a session of its own for the whole command (SPEC §4) and works on others: from a pool that
 * lends one connection the second acquire would wait forever. Refused at once instead (a backend of one connection,
 * PGlite, runs everything on it).
 */
function roomy(driver: Driver): Driver {
  const max = driver.maxConnections;
  if (driver.singleConnection || max === undefined || max >= MIN_POOL_CONNECTIONS) return driver;
  throw new InvalidInputError(
    `the ${driver.label} handed to xc lends at most ${max} connection${max === 1 ? '' : 's'} at once; xc needs ${MIN_POOL_CONNECTIONS}: one holds its lock (one xc at a time) while others do the work — give it a pool with a maximum of at least ${MIN_POOL_CONNECTIONS} (more lets --parallel backfill workers run side by side), or a URL`,
  );
}

/** Sessions a command needs at once: the lock's and the work's (backfill workers, a report of who blocks a DDL, wait their turn). */
export const MIN_POOL_CONNECTIONS = 2;

/** Open a driver from a URL (postgres, mysql, mariadb, pglite). The password is registered for redaction. */
export async function driverFromUrl(
  url: string,
  cwd = process.cwd(),
  schema?: string,
  connectTimeoutMs?: number,
  wait: Pick<FromUrlOptions, 'waitLockMs' | 'onWaitLock' | 'purpose' | 'signal' | 'readOnly'> = {},
): Promise<Driver> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  addSecret(passwordOf(url));
  addSecret(passwordOf(url, true));
  const family = familyOf(scheme);
  const malformed = family?.namesPath ? null : malformedUrlProblem(url);
  if (malformed) throw new InvalidInputError(malformed);
  for (const m of url.matchAll(/[?&;][^=&;#]*pass[^=&;#]*=([^&;#]*)/gi)) addSecret(m[1]);
  if (!family) throw new InvalidInputError(`unsupported database URL ${redactUrl(url)}${scheme ? ` (scheme "${scheme}:")` : ''}; ${HOW_TO_CONNECT}`);
  return family.fromUrl(url, { cwd, schema, connectTimeoutMs, ...wait });
}

/** The family that opens URLs of `scheme`. */
function familyOf(scheme: string | undefined): DriverFamily | undefined {
  return DRIVER_FAMILIES.find((f) => scheme !== undefined && f.schemes.includes(scheme));
}

/** Pick the driver: an existing connection, else a URL, else a knexfile. */
export async function openDriver(o: OpenDriverOptions): Promise<Driver> {
  // Ambient passwords the drivers may fall back to.
  addSecret(process.env.PGPASSWORD);
  addSecret(process.env.MYSQL_PWD);
  const url = typeof o.connection === 'string' ? o.connection : o.url;
  const object = o.connection !== undefined && o.connection !== null && typeof o.connection !== 'string';
  if (o.schema !== undefined) {
    // Checked before any connection: a --schema that cannot apply must not leave xc on the connection's default schema.
    // A connection object or a knexfile keeps its own search_path: the dialect checks it is that schema (postgres/state.ts).
    if (o.schema.trim() === '') throw new InvalidInputError('--schema is empty: give the schema of the tables to migrate, or leave the option out');
    const family = object || !url ? undefined : familyOf(/^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase());
    if (family?.schemaRefusal) throw family.schemaRefusal(o.schema);
    if (!object && url && !family?.takesSchema) {
      throw new InvalidInputError(`--schema "${o.schema}" applies to postgres:// URLs, connection objects and knexfiles, not to ${/^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'this'} URLs`);
    }
  }
  if (object) return driverFromConnection(o.connection);
  if (url) return driverFromUrl(url, o.cwd, o.schema, o.connectTimeoutMs, { waitLockMs: o.waitLockMs, onWaitLock: o.onWaitLock, purpose: o.purpose, signal: o.signal, readOnly: o.readOnly });
  if (o.knexfile) return driverFromKnexfile(o.knexfile, o.knexEnv, o.cwd, o.connectTimeoutMs);
  throw new InvalidInputError(`no database configured; ${HOW_TO_CONNECT}`);
}
