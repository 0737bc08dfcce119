/**
 * Who holds the locks a MySQL/MariaDB statement of xc waits for. Metadata
 * locks are visible through MariaDB's METADATA_LOCK_INFO plugin or MySQL's
 * performance_schema.metadata_locks; there, a session holding a lock on the
 * table, or the server-wide backup lock (FLUSH TABLES WITH READ LOCK, BACKUP
 * STAGE, LOCK INSTANCE FOR BACKUP), is a holder even while it idles — as an
 * idle `LOCK TABLES` or FTWRL session does. Without that information only
 * old transactions and long statements are evidence; an idle session cannot
 * be told from an idle pool connection, so it is named as a possible holder
 * in reports only, never a reason to refuse DDL.
 */
import type { Session } from '../../db/driver.js';
import type { Blocker } from '../../plan/index.js';

type LockSource = 'mariadb' | 'mysql' | null;

interface HolderRow { id: number | string; user: string | null; host: string | null; db: string | null; command: string | null; state: string | null; time: number | string | null; query: string | null; since: string | null }

/** MariaDB's backup lock modes held by FTWRL and BACKUP STAGE (not MDL_BACKUP_DML and the like, which every writer holds). */
const MARIADB_BACKUP_MODES = `m.LOCK_MODE LIKE 'MDL\\_BACKUP\\_FTWRL%' OR m.LOCK_MODE IN ('MDL_BACKUP_START', 'MDL_BACKUP_FLUSH', 'MDL_BACKUP_WAIT_FLUSH', 'MDL_BACKUP_WAIT_DDL', 'MDL_BACKUP_WAIT_COMMIT', 'MDL_BACKUP_BLOCK_DDL')`;
/** MySQL: FTWRL holds GLOBAL and COMMIT shared, LOCK INSTANCE FOR BACKUP the BACKUP LOCK shared (writers hold intention locks only). */
const MYSQL_BACKUP_LOCKS = `(ml.OBJECT_TYPE IN ('GLOBAL', 'COMMIT', 'BACKUP LOCK') AND ml.LOCK_TYPE = 'SHARED')`;

export class MysqlLockHolders {
  private source?: Promise<LockSource>;
  /** False once the server refused INNODB_TRX: the user has no PROCESS privilege. */
  canSeeTransactions = true;
  /** The session holding xc's advisory lock: it idles, and is never anyone's blocker. */
  advisorySession: number | null = null;

  constructor(private readonly mariadb: boolean) {}

  /** Where metadata locks can be seen: MariaDB's METADATA_LOCK_INFO plugin, MySQL's performance_schema.metadata_locks, else nowhere. */
  private lockSource(s: Session): Promise<LockSource> {
    this.source ??= (async () => {
      try {
        if (this.mariadb) {
          const r = await s.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'`);
          return Number(r.rows[0]!.n) > 0 ? 'mariadb' : null;
        }
        await s.query('SELECT 1 FROM performance_schema.metadata_locks LIMIT 1');
        const on = await s.query<{ ps: number | string }>('SELECT @@performance_schema AS ps');
        return Number(on.rows[0]!.ps) === 1 ? 'mysql' : null;
      } catch {
        return null;
      }
    })();
    return this.source;
  }

  /**
   * Sessions that hold, or (with `possible`) may hold, locks on `tables` or
   * the server-wide backup lock, idle or busy for at least `minAgeSecs`.
   * Definite evidence only unless `possible`: see the file's comment.
   */
  async holders(s: Session, tables: string[], minAgeSecs: number, exclude: readonly number[], possible: boolean): Promise<Blocker[]> {
    const source = await this.lockSource(s);
    const list = tables.length > 0 ? tables.map(() => '?').join(', ') : null;
    const inTables = (column: string) => (list ? `BINARY ${column} IN (${list})` : 'FALSE');
    let untouched = false;
    if (!source) {
      // Without lock information, a table nobody can have touched yet (CREATE TABLE) has no transaction holding it.
      const r = list ? await s.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME IN (${list})`, tables) : null;
      untouched = !r || Number(r.rows[0]!.n) === 0;
    }
    const scope =
      source === 'mariadb'
        ? `p.ID IN (SELECT m.THREAD_ID FROM information_schema.METADATA_LOCK_INFO m WHERE (m.TABLE_SCHEMA = DATABASE() AND ${inTables('m.TABLE_NAME')}) OR ${MARIADB_BACKUP_MODES})`
        : source === 'mysql'
          ? `p.ID IN (SELECT th.PROCESSLIST_ID FROM performance_schema.metadata_locks ml JOIN performance_schema.threads th ON th.THREAD_ID = ml.OWNER_THREAD_ID
                      WHERE ml.LOCK_STATUS = 'GRANTED' AND ((ml.OBJECT_TYPE = 'TABLE' AND ml.OBJECT_SCHEMA = DATABASE() AND ${inTables('ml.OBJECT_NAME')}) OR ${MYSQL_BACKUP_LOCKS}))`
          : '(p.DB = DATABASE() OR p.DB IS NULL)';
    // Holding a metadata lock is evidence enough: an idle session that does (LOCK TABLES, FTWRL) is a holder.
    const idleHolder = source ? `(p.COMMAND = 'Sleep' AND p.TIME >= ?) OR` : '? < 0 OR';
    const named = source || untouched || !list ? [] : await readersOf(s, tables);
    const found = untouched ? [] : await this.query(s, scope, idleHolder, source && list ? tables : [], minAgeSecs, exclude, named);
    if (source || found.length > 0 || !possible) return found;
    return this.idleSessions(s, exclude);
  }

  /** `named`: patterns of a statement's text naming the tables (readersOf). */
  private async query(s: Session, scope: string, idleHolder: string, tables: string[], minAgeSecs: number, exclude: readonly number[], named: string[] = []): Promise<Blocker[]> {
    // Without the PROCESS privilege, INNODB_TRX is refused (1227) and PROCESSLIST shows this user's own sessions only:
    // then only those, and only by their long statements (an idle transaction cannot be told from an idle session).
    const trx = this.canSeeTransactions
      ? { query: 'COALESCE(p.INFO, t.trx_query)', since: `DATE_FORMAT(CONVERT_TZ(t.trx_started, @@session.time_zone, '+00:00'), '%Y-%m-%dT%H:%i:%sZ')`, join: 'LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID', old: 't.trx_started <= NOW() - INTERVAL ? SECOND OR', order: 't.trx_started IS NULL, t.trx_started, ' }
      : { query: 'p.INFO', since: 'NULL', join: '', old: '? < 0 OR', order: '' };
    // Without lock information, a statement that is its whole transaction (no InnoDB transaction, or an autocommit
    // non-locking read) and names none of the tables holds no lock on them: a report on another table, a `SELECT
    // sleep(…)` on no database, a dump of other tables (campaign P: each held every DDL of xc until exit 5). Named as a
    // word: a table `t` is in every statement's text as a letter (campaign BD: `SELECT sleep(40)` held a contract 40 s).
    const alone = this.canSeeTransactions && named.length > 0
      ? ` AND NOT ((t.trx_mysql_thread_id IS NULL OR t.trx_autocommit_non_locking = 1) AND p.COMMAND = 'Query' AND COALESCE(p.INFO, '') NOT REGEXP '^[[:space:]]*(FLUSH|LOCK|BACKUP)[[:space:]]' AND NOT (${named.map(() => 'LOWER(COALESCE(p.INFO, \'\')) REGEXP ?').join(' OR ')}))`
      : '';
    let r;
    try {
      r = await s.query<HolderRow>(
        `SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.DB AS db, p.COMMAND AS command, p.STATE AS state, p.TIME AS time,
                LEFT(${trx.query}, 300) AS query, ${trx.since} AS since
         FROM information_schema.PROCESSLIST p
         ${trx.join}
         WHERE p.ID <> CONNECTION_ID() AND p.ID NOT IN (${notIn(exclude, this.advisorySession)})
           AND p.COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Killed') AND p.USER NOT IN ('system user', 'event_scheduler')
           AND (${trx.old} ${idleHolder} (p.COMMAND = 'Query' AND p.TIME >= ? AND COALESCE(p.STATE, '') NOT LIKE 'Waiting for%lock%'))
           AND ${scope}${alone}
         ORDER BY ${trx.order}p.ID`,
        [...excluded(exclude, this.advisorySession), minAgeSecs, minAgeSecs, Math.max(1, minAgeSecs), ...tables, ...(alone ? named : [])],
      );
    } catch (err) {
      if ((err as { errno?: number }).errno !== 1227 || !this.canSeeTransactions) throw err;
      this.canSeeTransactions = false;
      return this.query(s, scope, idleHolder, tables, minAgeSecs, exclude, named);
    }
    return r.rows.map((b) => blocker(b, b.command === 'Sleep' ? (b.since ? 'idle in transaction' : `idle for ${b.time}s, holding a lock`) : null));
  }

  /**
   * No evidence anywhere: the sessions idling on this database (or on none),
   * longest first, as possible holders — a `LOCK TABLES` or FTWRL session
   * looks exactly like an idle pool connection when no lock can be seen —
   * and, first, any session still running a FLUSH, LOCK or BACKUP statement:
   * an FTWRL still waiting for a running write to end already stops every
   * other write, xc's included (the chaos suite's blocker kind found exit 5
   * naming only idle sessions then).
   */
  private async idleSessions(s: Session, exclude: readonly number[]): Promise<Blocker[]> {
    const r = await s.query<HolderRow>(
      `SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.DB AS db, p.COMMAND AS command, p.STATE AS state, p.TIME AS time, LEFT(p.INFO, 300) AS query, NULL AS since
       FROM information_schema.PROCESSLIST p
       WHERE p.ID <> CONNECTION_ID() AND p.ID NOT IN (${notIn(exclude, this.advisorySession)}) AND p.USER NOT IN ('system user', 'event_scheduler')
         AND (p.COMMAND = 'Sleep' AND (p.DB = DATABASE() OR p.DB IS NULL) OR p.COMMAND = 'Query' AND p.INFO REGEXP '^[[:space:]]*(FLUSH|LOCK|BACKUP)[[:space:]]')
       ORDER BY p.COMMAND = 'Query' DESC, p.TIME DESC, p.ID LIMIT 10`,
      excluded(exclude, this.advisorySession),
    );
    return r.rows.map((b) =>
      blocker(
        b,
        b.command === 'Query'
          ? `possible holder: running for ${b.time}s${b.state ? ` (${b.state})` : ''}`
          : `possible holder: idle for ${b.time}s (LOCK TABLES or FLUSH TABLES WITH READ LOCK cannot be seen without the metadata_lock_info plugin)`,
      ),
    );
  }
}

/** Sessions never named: the one blocked, xc's own, the advisory lock's (0 stands for none: no session has it). */
const excluded = (exclude: readonly number[], advisory: number | null) => [0, ...exclude, ...(advisory !== null ? [advisory] : [])];
const notIn = (exclude: readonly number[], advisory: number | null) => excluded(exclude, advisory).map(() => '?').join(', ');

function blocker(b: HolderRow, idle: string | null): Blocker {
  return {
    session: Number(b.id),
    user: b.user,
    application: b.host ? `${b.host}${b.db ? `/${b.db}` : ''}` : b.db,
    state: idle ?? ([b.command, b.state].filter(Boolean).join(': ') || null),
    since: b.since,
    query: b.query,
  };
}

/**
 * What a statement reading `tables` may name them by, as patterns of its text: the tables' names, the views over
 * them in any database (a view over a view too, a few levels down; found by the qualified name the server stores in
 * a view's text, so a column alias of that name is none), and the stored routines of this database whose bodies
 * name them, called. A `SELECT … FROM v_items` or `SELECT item_count()` locks items without naming it (campaign BL:
 * such a holder was missed, the DDL sent again and again, an idle writer named instead); campaign BR: a view in
 * another database, an alias `items` in a view's text and a column `AS total` beside a function `total()`.
 */
async function readersOf(s: Session, tables: string[]): Promise<string[]> {
  const db = String((await s.query<{ db: string }>('SELECT DATABASE() AS db')).rows[0]!.db);
  const quoted = (schema: string, name: string) => `\`${schema.replace(/`/g, '``')}\`.\`${name.replace(/`/g, '``')}\``;
  const patterns = new Set(tables.map(wordIn));
  let over = tables.map((t) => quoted(db, t));
  const seen = new Set(over);
  for (let level = 0; over.length > 0 && level < 4; level++) {
    const r = await s.query<{ schema: string; name: string }>(
      `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name FROM information_schema.VIEWS WHERE ${over.map(() => 'LOCATE(?, VIEW_DEFINITION) > 0').join(' OR ')}`,
      over,
    );
    over = r.rows.map((v) => quoted(String(v.schema), String(v.name))).filter((q) => !seen.has(q));
    for (const v of r.rows) patterns.add(wordIn(String(v.name)));
    for (const q of over) seen.add(q);
  }
  const words = tables.map(wordIn);
  const routines = await s.query<{ name: string }>(
    `SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND (${words.map(() => 'LOWER(ROUTINE_DEFINITION) REGEXP ?').join(' OR ')})`,
    words,
  );
  for (const f of routines.rows) patterns.add(`${wordIn(String(f.name))}[[:space:]]*\\(`);
  return [...patterns];
}

/** A pattern matching `name` as a whole word of a statement's text, lower-cased (MySQL's ICU and MariaDB's PCRE read it alike). */
const wordIn = (name: string) => `(^|[^[:alnum:]_$])${name.toLowerCase().replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}([^[:alnum:]_$]|$)`;
