/**
 * Other sessions on PostgreSQL, as xc needs to see them: its own advisory
 * lock (one per state schema) and who holds it, the sessions blocking a
 * statement, and the applications running, for the gate.
 */
import type { Session } from '../../db/driver.js';
import type { AdvisoryLock } from '../base.js';
import type { Blocker } from '../../plan/index.js';
import { quotePg } from './text.js';
import { DEFAULT_STATE_SCHEMA } from './state.js';

/** Advisory lock keys are 64-bit integers; derive a stable 31-bit one from a name. */
function lockKey(key: string): number {
  let h = 0x811c9dc5;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}

export class PgAdvisoryLock implements AdvisoryLock {
  constructor(private readonly stateSchema: string) {}

  /** One lock per state schema; `xc`'s key is the one it always was, so an older xc and this one still exclude each other. */
  id(key: string): number {
    return lockKey(this.stateSchema === DEFAULT_STATE_SCHEMA ? key : `${key}:${this.stateSchema}`);
  }

  async tryTake(s: Session, key: string): Promise<boolean> {
    return (await s.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(?::bigint) AS ok', [this.id(key)])).rows[0]!.ok;
  }

  async holds(s: Session, key: string): Promise<boolean> {
    const r = await s.query<{ ok: boolean }>(
      `SELECT EXISTS(SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND classid = 0 AND objid = ?::bigint AND objsubid = 1) AS ok`,
      [this.id(key)],
    );
    return r.rows[0]?.ok === true;
  }

  async release(s: Session, key: string): Promise<void> {
    await s.query('SELECT pg_advisory_unlock(?::bigint)', [this.id(key)]);
  }

  async holder(s: Session, key: string): Promise<string | null> {
    const r = await s.query<{ pid: number; application_name: string; usename: string; client_addr: string | null; backend_start: string }>(
      `SELECT a.pid, a.application_name, a.usename::text, a.client_addr::text, a.backend_start::text
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = ?::bigint AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [this.id(key)],
    );
    const h = r.rows[0];
    if (!h) return null;
    return `${h.application_name || 'a session'} (pid ${h.pid}, user ${h.usename}${h.client_addr ? `, from ${h.client_addr}` : ''}, connected since ${h.backend_start})`;
  }
}

/**
 * Sessions blocking `sessionId`, and those holding a lock on one of `tables`; with neither known (a statement of xc's
 * own outside a step gave up: a state read, plan's reads), those holding a lock on a table of this database that
 * stops reads or writes. Each with the sessions it waits behind, to the root: an idle transaction's LOCK TABLE queues
 * the application's writers, which hold their own locks on the table too — named alone, an operator would have
 * ended the writers (campaign EA).
 */
export async function pgBlockers(s: Session, sessionId: number | null, tables: string[]): Promise<Blocker[]> {
  const r = await s.query<{ pid: number; usename: string | null; application_name: string | null; state: string | null; xact_start: string | null; query: string | null }>(
    `WITH RECURSIVE found(pid) AS (
       SELECT a.pid FROM pg_stat_activity a
       WHERE a.pid <> pg_backend_pid() AND a.pid IS DISTINCT FROM ?::int
         AND (a.pid = ANY(pg_blocking_pids(coalesce(?::int, 0)))
              OR a.pid IN (SELECT l.pid FROM pg_locks l
                           WHERE l.granted AND l.relation IN (SELECT to_regclass(x) FROM json_array_elements_text(?::json) x))
              OR (?::boolean AND a.pid IN (SELECT l.pid FROM pg_locks l
                           WHERE l.granted AND l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                             AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'))))
       UNION
       SELECT b FROM found f, unnest(pg_blocking_pids(f.pid)) AS b
     )
     SELECT a.pid, a.usename::text, a.application_name, a.state, to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS xact_start, left(a.query, 300) AS query
     FROM pg_stat_activity a
     WHERE a.pid IN (SELECT pid FROM found) AND a.pid <> pg_backend_pid() AND a.pid IS DISTINCT FROM ?::int
     ORDER BY a.xact_start NULLS LAST`,
    [sessionId, sessionId, JSON.stringify(tables.map(quotePg)), sessionId === null && tables.length === 0, sessionId],
  );
  return r.rows.map((b) => ({ session: b.pid, user: b.usename, application: b.application_name, state: b.state, since: b.xact_start, query: b.query }));
}

/**
 * `name` as pg_stat_activity shows an application_name set to it: every byte outside printable ASCII made `?`
 * (check_application_name), then NAMEDATALEN - 1 = 63 bytes kept.
 */
export function pgApplicationNameShown(name: string): string {
  return [...Buffer.from(name, 'utf8')].map((b) => (b >= 32 && b <= 126 ? String.fromCharCode(b) : '?')).join('').slice(0, 63);
}

/** The gate's session evidence: `application_name = 'app@version'` of the other sessions on this database. */
export async function pgApplicationSessions(s: Session): Promise<string[]> {
  const r = await s.query<{ name: string }>(
    `SELECT DISTINCT application_name AS name FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE '%_@_%'`,
  );
  return r.rows.map((row) => row.name);
}
