/**
 * An author's raw SQL split into statements by the tokens of the dialect it is
 * written for (for `xc lint`): which dialect a URL names, and each statement
 * as its significant tokens (no whitespace, no comments, no `;`).
 */
import { splitStatements, type Token } from './sqltext.js';
import { mysqlTokens } from './mysql/expr.js';
import { pgStatements } from './postgres/statements.js';
import { pgTokens } from './postgres/text.js';

/** The SQL dialects an author's text is read in. */
export type TextDialect = 'postgres' | 'mysql';

/** PostgreSQL: the dialect text is read in when no URL says otherwise. */
export const DEFAULT_TEXT_DIALECT: TextDialect = 'postgres';

/** The dialect of the database a URL names, by its scheme alone (nothing is opened); undefined when no known scheme. */
export function textDialectOfUrl(url: string | undefined): TextDialect | undefined {
  const scheme = url === undefined ? undefined : /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql' || scheme === 'pglite') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  return undefined;
}

/** What lint says when no URL named the dialect: the default's rules are read, and how to get the other's. */
export const NO_URL_NOTE = "lint: no --url (XC_DATABASE_URL): statements read as PostgreSQL's (a file quoting names in backticks as MySQL/MariaDB's, or as both where the two read its backticks apart); give a mysql:// URL for MySQL/MariaDB's rules (nothing is opened)";

/**
 * With no URL to say which server, the readings a file's texts are linted under: MySQL/MariaDB's where they quote
 * names in backticks (a syntax error to PostgreSQL), PostgreSQL's otherwise — and both where the two tokenizers
 * disagree on whether a backtick quotes a name or sits in a literal or comment (a `\'` in a MySQL string or a `#`
 * comment hid one from PostgreSQL's reading, campaigns BB, BG; a nested comment, a `--x` comment, a `#>>` operator or
 * a string ending in `\` of PostgreSQL's showed one to MySQL's, campaign BL, and its DROP TABLE passed). Both: every
 * statement either server could take it for is checked, so a guess never lets one pass.
 */
export function textReadingsOf(texts: string[]): TextDialect[] {
  // Each text with a backtick: MySQL's where both read a quoted name, undecided where only one does (a text without is neither's).
  const readings = texts
    .filter((text) => text.includes('`'))
    .map((text) => {
      const toMysql = mysqlTokens(text).some((t) => t.kind === 'quoted' && t.text.startsWith('`'));
      const toPostgres = pgStatements(text).some((st) => st.some((t) => t.kind === 'other' && t.text === '`'));
      return toMysql && toPostgres ? 'mysql' : toMysql || toPostgres ? 'both' : 'none';
    })
    .filter((r) => r !== 'none');
  if (readings.length === 0) return [DEFAULT_TEXT_DIALECT];
  return readings.every((r) => r === 'mysql') ? ['mysql'] : [DEFAULT_TEXT_DIALECT, 'mysql'];
}

/** MySQL / MariaDB's reading of the text: it has no PostgreSQL-only statements (CONCURRENTLY, NOT VALID, SET NOT NULL). */
export const isMysqlText = (d: TextDialect): boolean => d === 'mysql';

/** The statements of `sql`, split at each `;` outside literals, quoted names and comments, each as its significant tokens. */
export function statementsOf(sql: string, dialect: TextDialect): Token[][] {
  return dialect === 'postgres' ? pgStatements(sql) : splitStatements(mysqlTokens(sql));
}

/** The comments of `sql` as `dialect` reads them (not what sits in a literal), each as written. */
export function commentsOf(sql: string, dialect: TextDialect): string[] {
  return (dialect === 'postgres' ? pgTokens(sql) : mysqlTokens(sql)).filter((t) => t.kind === 'comment').map((t) => t.text);
}
