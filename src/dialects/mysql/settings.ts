/**
 * The session variables xc sets on MySQL/MariaDB and gives back: every
 * change is read first and put back by value (an account's own limits,
 * `GRANT ... WITH MAX_STATEMENT_TIME`, are not what `= DEFAULT` restores),
 * so a pooled connection goes back to the application as it came.
 */
import type { Session } from '../../db/driver.js';
import type { SessionRestore, SessionValues } from '../dialect.js';
import { bypassVariable } from './triggers.js';

/** Whole seconds: MySQL's lock waits have no finer unit. */
export const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
/** A session variable's value as read back (text for big numbers), as SET needs it: a number where it is one. */
const numeric = (v: unknown) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
const errno = (err: unknown) => (err as { errno?: number })?.errno;

export async function setSession(s: Session, values: SessionValues): Promise<SessionRestore> {
  const names = Object.keys(values);
  if (names.length === 0) return [];
  // One round trip to read them all; only when the server knows one of them not (1193) are they read one by one.
  const read = async (of: string[]) => {
    const row = (await s.query<Record<string, unknown>>(`SELECT ${of.map((n, i) => `@@SESSION.${n} AS v${i}`).join(', ')}`)).rows[0] ?? {};
    return of.map((n, i): [string, unknown] => [n, row[`v${i}`]]);
  };
  let known: [string, unknown][];
  try {
    known = await read(names);
  } catch (err) {
    if (errno(err) !== 1193) throw err; // 1193: unknown system variable
    known = [];
    for (const name of names) known.push(...(await read([name]).catch((e) => (errno(e) === 1193 ? [] : Promise.reject(e)))));
  }
  // Only what differs is set and put back: a pool handed in pays no round trip for a value its session already has.
  const differ = known.filter(([n, v]) => String(numeric(v)) !== String(numeric(values[n])));
  if (differ.length === 0) return [];
  const set = (pairs: [string, unknown][]) => ({ sql: `SET ${pairs.map(([n]) => `SESSION ${n} = ?`).join(', ')}`, params: pairs.map(([, v]) => numeric(v)) });
  const change = set(differ.map(([n]) => [n, values[n]]));
  await s.query(change.sql, change.params);
  return [set(differ)];
}

/**
 * MariaDB's max_statement_time (seconds), MySQL's max_execution_time
 * (milliseconds, SELECTs only: xc's chunk look-ups and verify reads); null
 * where the server has neither.
 */
export async function liftStatementLimit(s: Session, variable: 'max_statement_time' | 'max_execution_time' | null): Promise<SessionRestore> {
  if (!variable) return [];
  const was = Number((await s.query<{ v: unknown }>(`SELECT @@SESSION.${variable} AS v`)).rows[0]?.v ?? 0);
  if (!(was > 0)) return [];
  await s.query(`SET SESSION ${variable} = 0`);
  return [{ sql: `SET SESSION ${variable} = ?`, params: [was] }];
}

/** Metadata (and backup) lock waits, and row lock waits, each lowered to `ms` where longer; put back by value. */
export async function boundLockWaits(s: Session, ms: number): Promise<SessionRestore> {
  const r = await s.query<{ lwt: unknown; ilwt: unknown }>('SELECT @@SESSION.lock_wait_timeout AS lwt, @@SESSION.innodb_lock_wait_timeout AS ilwt');
  const was = { lock_wait_timeout: Number(r.rows[0]?.lwt), innodb_lock_wait_timeout: Number(r.rows[0]?.ilwt) };
  const longer = Object.entries(was).filter(([, v]) => v > seconds(ms));
  if (longer.length === 0) return [];
  await s.query(`SET ${longer.map(([n]) => `SESSION ${n} = ?`).join(', ')}`, longer.map(() => seconds(ms)));
  return [{ sql: `SET ${longer.map(([n]) => `SESSION ${n} = ?`).join(', ')}`, params: longer.map(([, v]) => v) }];
}

/**
 * One statement each way, per batch, on a pooled connection: the values the
 * session had are kept in user variables by the same SET (assignments run
 * left to right) and put back from them, so the application's own survive.
 */
export function backfillSession(lockTimeoutMs: number, bypass: string[]): string[] {
  const t = seconds(lockTimeoutMs);
  return [
    ['SET @xc_lwt = @@SESSION.lock_wait_timeout', '@xc_ilwt = @@SESSION.innodb_lock_wait_timeout', `SESSION lock_wait_timeout = ${t}`, `SESSION innodb_lock_wait_timeout = ${t}`, ...bypass.map((n) => `${bypassVariable(n)} = 1`)].join(', '),
  ];
}

export function backfillSessionEnd(bypass: string[]): string[] {
  return [
    [
      'SET SESSION lock_wait_timeout = COALESCE(@xc_lwt, @@SESSION.lock_wait_timeout)',
      'SESSION innodb_lock_wait_timeout = COALESCE(@xc_ilwt, @@SESSION.innodb_lock_wait_timeout)',
      '@xc_lwt = NULL',
      '@xc_ilwt = NULL',
      ...bypass.map((n) => `${bypassVariable(n)} = NULL`),
    ].join(', '),
  ];
}
