/**
 * An author's raw SQL split into statements by the tokens of the dialect it is
 * written for (for `xc lint`): which dialect a URL names, and each statement
 * as its significant tokens (no whitespace, no comments, no `;`).
 */
import { splitStatements, type Token } from './sqltext.js';
import { mysqlTokens } from './mysql/expr.js';
import { pgStatements } from './postgres/statements.js';

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
export const NO_URL_NOTE = "lint: no --url (XC_DATABASE_URL): statements read as PostgreSQL's (a file quoting names in backticks as MySQL/MariaDB's); give a mysql:// URL for MySQL/MariaDB's rules (nothing is opened)";

/**
 * With no URL to say which server: MySQL/MariaDB's where a text quotes names in backticks (a syntax error to
 * PostgreSQL) — read by MySQL's tokens, unless the text has dollar quotes (PostgreSQL's, whose bodies MySQL's tokens
 * do not know), then by PostgreSQL's: a backtick in a literal or comment of either is none (campaigns BB, BG: a
 * `\'` in a MySQL string, a `#` comment, hid the backticks from PostgreSQL's reading).
 */
export function textDialectOf(texts: string[]): TextDialect {
  const backticked = (text: string) =>
    /\$[A-Za-z_]*\$/.test(text)
      ? pgStatements(text).some((st) => st.some((t) => t.kind === 'other' && t.text === '`'))
      : mysqlTokens(text).some((t) => t.kind === 'quoted' && t.text.startsWith('`'));
  return texts.some((text) => text.includes('`') && backticked(text)) ? 'mysql' : DEFAULT_TEXT_DIALECT;
}

/** MySQL / MariaDB's reading of the text: it has no PostgreSQL-only statements (CONCURRENTLY, NOT VALID, SET NOT NULL). */
export const isMysqlText = (d: TextDialect): boolean => d === 'mysql';

/** The statements of `sql`, split at each `;` outside literals, quoted names and comments, each as its significant tokens. */
export function statementsOf(sql: string, dialect: TextDialect): Token[][] {
  return dialect === 'postgres' ? pgStatements(sql) : splitStatements(mysqlTokens(sql));
}
