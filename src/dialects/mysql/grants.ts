/**
 * Whether this session may run an operation's statements on its table:
 * MySQL/MariaDB ask for ALTER for each ALTER TABLE, TRIGGER for the
 * dual-write triggers, LOCK TABLES for an in-place change's cut-over, and so
 * on, each on the table, its database or globally. Without this check plan
 * passed, and apply failed at its first statement ("ALTER command denied",
 * the migration left `expanding`) or contract at its cut-over (left
 * `contracting`).
 *
 * Read from information_schema's privilege views, whose rows are the grants
 * made to the connecting account; a grant on a database pattern (`app\_%`.*)
 * is matched as the LIKE pattern it is. MariaDB's grants `TO PUBLIC` (10.11)
 * count for every account, as the server counts them; the views show them
 * only to an account that may read the grant tables, so they are read from
 * `SHOW GRANTS FOR PUBLIC`, which every account may run (a plan that refused
 * a user whose ALTER came from PUBLIC was wrong). What they cannot show is
 * not guessed at: with a role active, or a server without CURRENT_ROLE(),
 * nothing is refused and the first statement says what is missing, as before.
 */
import type { Session } from '../../db/driver.js';

/** What each kind of statement xc runs asks for on its table (a view's or a renamed table's other name: their database). */
const ASKS: Array<[RegExp, string[]]> = [
  [/^ALTER\s+TABLE\b/i, ['ALTER']],
  [/^(CREATE|DROP)\s+TRIGGER\b/i, ['TRIGGER']],
  [/^LOCK\s+TABLES\b/i, ['LOCK TABLES']],
  [/^RENAME\s+TABLE\b/i, ['ALTER', 'DROP']],
  [/^DROP\s+TABLE\b/i, ['DROP']],
  [/^CREATE\s+(OR\s+REPLACE\s+)?(ALGORITHM\s*=\s*\w+\s+)?VIEW\b/i, ['CREATE VIEW']],
  [/^CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\b/i, ['INDEX']],
];
/** Granted on a database or globally only, never on one table. */
const DATABASE_ONLY = new Set(['LOCK TABLES']);

export async function mysqlCannotAlter(s: Session, table: string, statements: string[]): Promise<string | null> {
  const asked = [...new Set(statements.flatMap((sql) => ASKS.find(([verb]) => verb.test(sql.trimStart()))?.[1] ?? []))];
  if (asked.length === 0) return null;
  let me: { account: string; role: string | null; database: string; present: number };
  try {
    me = (await s.query<typeof me>(
      `SELECT CURRENT_USER() AS account, CURRENT_ROLE() AS role, DATABASE() AS \`database\`,
         EXISTS(SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?) AS present`,
      [table],
    )).rows[0]!;
  } catch {
    return null; // no CURRENT_ROLE() (MySQL 5.7): a role's grants cannot be told apart from none
  }
  // A table the catalog does not have yet is one this migration creates (CREATE is asked for then).
  if (!Number(me.present)) return null;
  if (me.role !== null && me.role !== 'NONE') return null;
  const at = me.account.lastIndexOf('@');
  const grantee = `'${me.account.slice(0, at)}'@'${me.account.slice(at + 1)}'`;
  const have = new Set((await s.query<{ p: string }>(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?
     UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? AND DATABASE() LIKE TABLE_SCHEMA
     UNION SELECT PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ? AND TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [grantee, grantee, grantee, table],
  )).rows.map((r) => r.p.toUpperCase()));
  if (asked.some((p) => !have.has(p))) for (const p of await publicPrivileges(s, me.database, table)) have.add(p);
  const missing = asked.filter((p) => !have.has(p));
  if (missing.length === 0) return null;
  const onTable = missing.filter((p) => !DATABASE_ONLY.has(p));
  const onDatabase = missing.filter((p) => DATABASE_ONLY.has(p));
  const grants = [
    ...(onTable.length > 0 ? [`GRANT ${onTable.join(', ')} ON \`${table}\` TO ${grantee}`] : []),
    ...(onDatabase.length > 0 ? [`GRANT ${onDatabase.join(', ')} ON \`${me.database.replace(/`/g, '``')}\`.* TO ${grantee}`] : []),
  ];
  return `xc connects as ${grantee}, which lacks ${missing.join(' and ')} on table \`${table}\` (granted on neither the table, its database nor globally), which this operation's statements ask for — ${grants.join('; ')}`;
}

/**
 * What MariaDB's `GRANT … TO PUBLIC` gives every account on `table` of `database`: the privileges of each grant
 * line on `*.*`, on a database pattern matching it (LIKE, as the server matches it) or on the table itself. None
 * where the server has no PUBLIC (MySQL, MariaDB before 10.11: the statement is refused).
 */
async function publicPrivileges(s: Session, database: string, table: string): Promise<string[]> {
  let lines: string[];
  try {
    lines = (await s.query<Record<string, string>>('SHOW GRANTS FOR PUBLIC')).rows.map((r) => String(Object.values(r)[0] ?? ''));
  } catch {
    return [];
  }
  const name = '`((?:[^`]|``)*)`';
  const grant = new RegExp(`^GRANT (.+?) ON (?:\\*|${name})\\.(?:\\*|${name}) TO PUBLIC`, 'i');
  const privileges: string[] = [];
  for (const line of lines) {
    const m = grant.exec(line);
    if (!m) continue;
    const [, list, db, tbl] = m;
    const unquote = (x: string) => x.replace(/``/g, '`');
    const onTable = db !== undefined && tbl !== undefined;
    if (onTable ? unquote(db) !== database || unquote(tbl) !== table : db !== undefined && !(await likeMatches(s, database, unquote(db)))) continue;
    // A column list (`SELECT (a, b)`) gives nothing on the table; ALL PRIVILEGES what it gives at its level.
    for (const p of list!.replace(/\([^)]*\)/g, '').split(',').map((x) => x.trim().toUpperCase())) {
      const given = p === 'ALL PRIVILEGES' || p === 'ALL' ? ASKS.flatMap(([, asked]) => asked) : [p];
      privileges.push(...given.filter((x) => !onTable || !DATABASE_ONLY.has(x)));
    }
  }
  return privileges;
}

const likeMatches = async (s: Session, value: string, pattern: string) => Number((await s.query<{ m: number | string }>('SELECT ? LIKE ? AS m', [value, pattern])).rows[0]!.m) === 1;
