/**
 * Other sessions on MySQL/MariaDB, as xc needs to see them: its own
 * advisory lock (GET_LOCK, server-wide names, so the database is part of
 * the name) and who holds it; and the applications running, for the gate.
 */
import { createHash } from 'node:crypto';
import type { Session } from '../../db/driver.js';
import type { AdvisoryLock } from '../base.js';

/** A block comment `xc:app@version` in a statement's text: the application running it. */
const STATEMENT_TAG = /\/\*\s*xc:([^\s*@]+@[^\s*]+)\s*\*\//g;

export class MysqlAdvisoryLock implements AdvisoryLock {
  /** The database of each lock session, read once: the lock is checked before every backfill batch commits (engine/lock.ts). */
  private readonly sessionDatabases = new WeakMap<Session, string>();

  /** `held(id)`: the session that took the lock, so lock reports (locks.ts) do not name xc's own session. */
  constructor(private readonly held: (sessionId: number) => void) {}

  /** GET_LOCK names are server-wide, so the database is part of it; MySQL allows 64 characters. */
  private async lockName(s: Session, key: string): Promise<string> {
    let db = this.sessionDatabases.get(s);
    if (db === undefined) {
      db = String((await s.query<{ db: string | null }>('SELECT DATABASE() AS db')).rows[0]?.db ?? '');
      this.sessionDatabases.set(s, db);
    }
    const name = `xc:${db}:${key}`;
    return name.length <= 64 ? name : `xc:${createHash('sha1').update(name).digest('hex')}`;
  }

  async tryTake(s: Session, key: string): Promise<boolean> {
    const r = await s.query<{ ok: number | string | null; id: number | string }>('SELECT GET_LOCK(?, 0) AS ok, CONNECTION_ID() AS id', [await this.lockName(s, key)]);
    const ok = Number(r.rows[0]?.ok) === 1;
    if (ok) this.held(Number(r.rows[0]!.id));
    return ok;
  }

  async holds(s: Session, key: string): Promise<boolean> {
    const r = await s.query<{ ok: number | string | null }>('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS ok', [await this.lockName(s, key)]);
    return Number(r.rows[0]?.ok) === 1;
  }

  async release(s: Session, key: string): Promise<void> {
    await s.query('SELECT RELEASE_LOCK(?) AS released', [await this.lockName(s, key)]);
  }

  async holder(s: Session, key: string): Promise<string | null> {
    const id = (await s.query<{ id: number | string | null }>('SELECT IS_USED_LOCK(?) AS id', [await this.lockName(s, key)])).rows[0]?.id;
    if (id === null || id === undefined) return null;
    const p = (await s.query<{ user: string; host: string; db: string | null; time: number | string; command: string; info: string | null }>(
      'SELECT USER AS user, HOST AS host, DB AS db, TIME AS time, COMMAND AS command, INFO AS info FROM information_schema.PROCESSLIST WHERE ID = ?',
      [Number(id)],
    )).rows[0];
    // The lock's name is xc's own: whoever holds it is an xc process, even though MySQL has no application_name to show.
    if (!p) return `an xc process (session ${id})`;
    const doing = p.command === 'Sleep' ? `idle for ${p.time}s` : `running for ${p.time}s${p.info ? `: ${p.info.slice(0, 120)}` : ''}`;
    return `an xc process (session ${id}, user ${p.user} from ${p.host}${p.db ? `, database ${p.db}` : ''}, ${doing})`;
  }
}

/**
 * The gate's session evidence, on this database: the `program_name`
 * connection attribute (mysql2: `connectAttributes: { program_name:
 * 'app@version' }`), from performance_schema where it is on (MySQL's
 * default); and, from the processlist, which every server has, each
 * statement running right now whose text carries a block comment
 * `xc:app@version` — MariaDB's performance_schema is off by default,
 * and a long query of an old version is what a contract must not break.
 */
export async function mysqlApplicationSessions(s: Session): Promise<string[]> {
  const names = new Set<string>();
  try {
    const r = await s.query<{ name: string }>(
      `SELECT DISTINCT a.ATTR_VALUE AS name FROM performance_schema.session_connect_attrs a
       JOIN performance_schema.threads t ON t.PROCESSLIST_ID = a.PROCESSLIST_ID
       WHERE a.ATTR_NAME = 'program_name' AND a.PROCESSLIST_ID <> CONNECTION_ID() AND t.PROCESSLIST_DB = DATABASE() AND a.ATTR_VALUE LIKE '%_@_%'`,
    );
    for (const row of r.rows) names.add(row.name);
  } catch {
    // performance_schema not readable: the processlist still speaks
  }
  const running = await s.query<{ info: string }>(
    `SELECT INFO AS info FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND DB = DATABASE() AND INFO LIKE '%/*%xc:%@%*/%'`,
  );
  for (const row of running.rows) for (const m of String(row.info).matchAll(STATEMENT_TAG)) names.add(m[1]!);
  return [...names];
}

/**
 * What the gate's session evidence cannot see here, in words for `deploy list`: with performance_schema off (MariaDB's
 * default) or not readable, a connection named by its `program_name` attribute is not seen while idle — only its
 * tagged statements while they run — so an old version's pool still connected is no blocker (campaign P).
 */
export async function mysqlSessionEvidenceGap(s: Session): Promise<string | null> {
  const on = await s.query<{ ps: number | string }>('SELECT @@performance_schema AS ps');
  let readable = true;
  try {
    await s.query('SELECT 1 FROM performance_schema.session_connect_attrs LIMIT 1');
  } catch {
    readable = false;
  }
  if (Number(on.rows[0]?.ps) === 1 && readable) return null;
  const why = readable ? 'performance_schema is off on this server (the MariaDB default)' : "performance_schema.session_connect_attrs is not readable by xc's user";
  return `${why}: an application connection named by its program_name attribute is not seen while idle, only its statements tagged /* xc:app@version */ while they run — record and retire every version (deploy record/retire), run heartbeats, or set performance_schema=ON`;
}
