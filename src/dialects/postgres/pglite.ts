/**
 * Embedded PostgreSQL (PGlite). One connection only: every session is the
 * same instance, and no mutex is added here (PGlite queues queries itself,
 * and a caller holding two sessions must not deadlock).
 *
 * A folder xc opens is locked against other xc processes while it is open
 * (folderLock.ts); within one process, xc's lock is claimed under the
 * instance (Driver.lockKey, engine/lock.ts), its advisory lock being
 * re-entrant in the one session.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite, PGliteInterface, Results } from '@electric-sql/pglite';
import { connectError, type Driver, type DriverFamily, type FromUrlOptions, type QueryOptions, type QueryResult, type Session } from '../../db/driver.js';
import { InvalidInputError } from '../../errors.js';
import { toDollarParams } from './text.js';
import { lockFolder, type FolderLock } from './folderLock.js';

/** int8 as strings, like node-postgres, so big keys keep their precision (arrays use it per element). */
const PARSERS = { 20: (x: string) => x };

type PGliteLike = Pick<PGliteInterface, 'query' | 'exec' | 'close' | 'waitReady'>;

/** Where a `pglite://` URL points: 'memory' or an absolute folder. */
export function pgliteTarget(url: string, cwd = process.cwd()): 'memory' | string {
  // `pglite:/x` or `pglite:x` named a folder "pglite:" under the current one (campaign DW): malformed, said so.
  if (!/^pglite:\/\//i.test(url)) throw new InvalidInputError(`${url}: a PGlite URL is pglite://PATH (pglite:///abs/path for an absolute folder) or pglite://memory`, {}, { code: 'invalid_config' });
  const rest = url.replace(/^pglite:\/\//i, '');
  if (rest === '') throw new InvalidInputError(`${url}: give a folder (pglite://PATH) or pglite://memory`);
  if (rest === 'memory' || rest === 'memory/') return 'memory';
  let folder: string;
  try {
    folder = decodeURIComponent(rest);
  } catch {
    throw new InvalidInputError(`${url}: the path holds a % that starts no %XX escape (write a % itself as %25)`);
  }
  return path.resolve(cwd, folder);
}

function toResult<T>(res: Results | undefined): QueryResult<T> {
  const rows = (res?.rows ?? []) as T[];
  return { rows, rowCount: res?.rowCount ?? res?.affectedRows ?? rows.length };
}

function pgliteSession(db: PGliteLike): Session {
  return {
    async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      if (params !== undefined && params.length > 0) {
        return toResult<T>(await db.query(toDollarParams(sql), [...params], { parsers: PARSERS }));
      }
      // query is the extended protocol: one statement.
      if (opts?.single) return toResult<T>(await db.query(sql, [], { parsers: PARSERS }));
      // exec (simple protocol) accepts several statements, like pg without params.
      const all = await db.exec(sql, { parsers: PARSERS });
      return toResult<T>(all[all.length - 1]);
    },
    release() {
      // One shared connection: nothing to give back.
    },
  };
}

/**
 * Open `pglite://memory` or `pglite://PATH` (relative to cwd). A folder is
 * locked first, for as long as it is open, by every command (the read-only
 * ones too: PGlite writes to its folder even to read) — exit 4 naming the
 * holder, or a wait of `waitLockMs`, when another xc has it (folderLock.ts).
 */
export async function createPgliteDriver(url: string, cwd = process.cwd(), o: Pick<FromUrlOptions, 'waitLockMs' | 'onWaitLock' | 'purpose' | 'signal' | 'readOnly'> = {}): Promise<Driver> {
  const target = pgliteTarget(url, cwd);
  const { PGlite } = await import('@electric-sql/pglite');
  if (target !== 'memory' && !fs.existsSync(path.dirname(target))) {
    // PGlite makes the database's folder, not its parents (campaign AC: the lock file's ENOENT said "another xc holds the lock", exit 4).
    throw new InvalidInputError(`pglite://${target}: the folder ${path.dirname(target)} does not exist — PGlite makes the database's own folder, not the folders above it: create it, or fix the path`, {}, { code: 'invalid_config' });
  }
  if (target !== 'memory' && o.readOnly && !fs.existsSync(target)) {
    // A command that changes nothing creates nothing (SPEC §4), a database folder neither: read as the empty database it would be.
    const db = new PGlite({ parsers: PARSERS });
    await db.waitReady;
    return { ...wrapPglite(db, { owned: true, label: `pglite://${target} (not created yet: read as empty)` }), notCreated: true };
  }
  const lock = target === 'memory' ? undefined : await lockFolder(target, { purpose: o.purpose ?? 'xc', waitMs: o.waitLockMs, onWait: o.onWaitLock, signal: o.signal });
  let db: PGlite;
  try {
    db = target === 'memory' ? new PGlite({ parsers: PARSERS }) : new PGlite(target, { parsers: PARSERS });
    await db.waitReady;
  } catch (err) {
    lock?.release();
    throw connectError(url, err);
  }
  return wrapPglite(db, { owned: true, label: target === 'memory' ? 'pglite://memory' : `pglite://${target}`, lock });
}

/** Wrap an existing PGlite instance; it is closed on `close()` only when `owned`, and then `lock` released. */
export function wrapPglite(db: PGliteLike, opts: { owned?: boolean; label?: string; lock?: FolderLock } = {}): Driver {
  const session = pgliteSession(db);
  let closed = false;
  return {
    singleConnection: true,
    label: opts.label ?? 'pglite',
    lockKey: db,
    async acquire() {
      await db.waitReady;
      return session;
    },
    async close() {
      if (closed || !opts.owned) return;
      closed = true;
      try {
        await db.close();
      } finally {
        // Only once the folder is closed: PGlite writes to it until then.
        opts.lock?.release();
      }
    },
  };
}

/** Duck-typed: PGlite (or a PGliteWorker) has query, exec and waitReady. */
export function isPglite(x: unknown): x is PGliteLike {
  const o = x as Record<string, unknown> | null;
  return !!o && typeof o === 'object' && typeof o.query === 'function' && typeof o.exec === 'function' && 'waitReady' in o;
}

export const pgliteDriver: DriverFamily = {
  schemes: ['pglite'],
  namesPath: true,
  fromUrl: (url, { cwd, waitLockMs, onWaitLock, purpose, signal, readOnly }) => createPgliteDriver(url, cwd, { waitLockMs, onWaitLock, purpose, signal, readOnly }),
  wrap: (c) => (isPglite(c) ? wrapPglite(c, { owned: false, label: 'pglite' }) : undefined),
};
