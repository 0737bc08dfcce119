/**
 * What plan asks MySQL/MariaDB about an author's type, default or
 * expression before any of it reaches DDL: the server has no function that
 * reads a type, so a session-private temporary table with one column of it
 * does (no implicit commit, invisible to other sessions, dropped at once).
 * Each text is sent as one prepared statement, so a `;` in it cannot run
 * another, even on a pool that allows several statements per call.
 */
import type { Session } from '../../db/driver.js';
import type { ExpressionCheck } from '../../plan/index.js';
import { freeColumn } from '../names.js';
import { sessionCalls } from '../sessionCalls.js';
import { defaultClause, mysqlTokens, quoteMy } from './expr.js';

/**
 * Words that start a column clause and belong to no data type: a type
 * carrying one would add the clause to the column (`int DEFAULT 7`, `int
 * UNIQUE`, `int CHECK (…)`, `int GENERATED ALWAYS AS (…)`). What belongs to
 * the type is allowed: lengths, UNSIGNED, ZEROFILL, CHARACTER SET, COLLATE,
 * ENUM/SET lists.
 */
const CLAUSE_WORDS = new Set([
  'not', 'null', 'default', 'primary', 'key', 'unique', 'check', 'constraint', 'references', 'generated', 'always', 'as',
  'virtual', 'stored', 'persistent', 'auto_increment', 'comment', 'invisible', 'visible', 'on', 'column_format', 'storage',
  'with', 'without', 'engine_attribute', 'secondary_engine_attribute',
]);

/** The column's attributes beyond its type, as SHOW FULL COLUMNS gives them: a bare type gives none of them. */
interface ColumnRow { Type: string; Collation: string | null; Null: string; Key: string; Default: string | null; Extra: string; Comment: string }

const CHECK_TABLE = quoteMy('xc_type_check');
const BARE_TABLE = quoteMy('xc_type_check_bare');

/** The column `type` makes in a temporary table, and the one its bare data type (as the server spells it) makes. */
async function columnOf(s: Session, table: string, type: string): Promise<ColumnRow> {
  await s.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`);
  await s.query(`CREATE TEMPORARY TABLE ${table} (c ${type})`, undefined, { single: true });
  const rows = (await s.query<ColumnRow>(`SHOW FULL COLUMNS FROM ${table}`)).rows;
  if (rows.length !== 1) throw new NotOneType(`it declares ${rows.length} columns`);
  return rows[0]!;
}

class NotOneType extends Error {}

/**
 * Why `type` is not exactly one data type, or null. SERIAL is named apart:
 * it is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE here, which only
 * createTable takes (as the type it stores, bigint unsigned), as on
 * PostgreSQL.
 */
export async function mysqlTypeIssue(s: Session, type: string): Promise<string | null> {
  if (/^\s*serial\s*$/i.test(type)) {
    return `"${type}" is not a data type on MySQL/MariaDB but BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE, clauses a type cannot carry (only createTable takes serial): give bigint unsigned`;
  }
  const clause = mysqlTokens(type).findIndex((t) => t.kind === 'word' && CLAUSE_WORDS.has(t.text.toLowerCase()));
  if (clause >= 0) {
    const text = mysqlTokens(type).slice(clause).map((t) => t.text).join('').trim();
    // ON UPDATE has no field (Ecto's and Alembic's `updated_at`, campaign EF): "fields of their own" sent them looking for one.
    if (/^on\s+update\b/i.test(text)) {
      return `"${type}" is not one data type: "${text}" is a column clause, which xc has no field for — add such a column with a \`sql\` operation (expand: \`ALTER TABLE … ADD COLUMN … ${text}\`, rollback: its DROP COLUMN); renameColumn carries an existing column's ON UPDATE`;
    }
    return `"${type}" is not one data type: "${text}" is a column clause, which the column would carry — a column's default, nullability, keys and checks have fields and operations of their own`;
  }
  try {
    const column = await columnOf(s, CHECK_TABLE, type);
    // What a bare type gives (a server may add attributes to a type by itself, e.g. TIMESTAMP without explicit_defaults_for_timestamp).
    const bare = await columnOf(s, BARE_TABLE, `${column.Type}${column.Collation ? ` COLLATE ${column.Collation}` : ''}`);
    const words = { Null: (v: string) => (v === 'NO' ? 'NOT NULL' : 'NULL'), Key: (v: string) => `key ${v}`, Default: (v: string) => `default ${v}`, Extra: (v: string) => v, Comment: (v: string) => `comment ${v}` };
    const extra = (Object.keys(words) as (keyof typeof words)[]).filter((k) => column[k] !== bare[k]).map((k) => words[k](String(column[k])));
    return extra.length === 0 ? null : `"${type}" is not one data type: the column it makes is ${extra.join(', ')}, where a bare ${column.Type} is not`;
  } catch (err) {
    if (err instanceof NotOneType) return `"${type}" is not one type (${err.message})`;
    return (await cannotCheck(s)) ? null : `"${type}" is not a type: ${(err as Error).message}`;
  } finally {
    for (const table of [CHECK_TABLE, BARE_TABLE]) await s.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`).catch(() => undefined);
  }
}

/**
 * Why `expr` cannot be the default of a column of `type`, as the DDL will
 * write it (a literal bare, an expression in parentheses): the server reads
 * it as a default — no subquery, a literal the type takes ('abc' is no
 * integer default). Created, never evaluated.
 */
export function mysqlDefaultIssue(s: Session, type: string, expr: string): Promise<string | null> {
  return temporaryTableIssue(s, 'xc_default_check', [`c ${type} NULL DEFAULT ${defaultClause(expr)}`]);
}

/** The server's refusal of an empty temporary table of `definitions` (no commit, nothing locked), or null; dropped again. */
async function temporaryTableIssue(s: Session, name: string, definitions: string[]): Promise<string | null> {
  const table = quoteMy(name);
  try {
    await s.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`);
    await s.query(`CREATE TEMPORARY TABLE ${table} (${definitions.join(', ')})`, undefined, { single: true });
    return null;
  } catch (err) {
    return (await cannotCheck(s)) ? null : (err as Error).message;
  } finally {
    await s.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`).catch(() => undefined);
  }
}

/**
 * After a refusal: whether the session can make a temporary table at all. A user without CREATE TEMPORARY TABLES
 * (or a server that refuses them) makes every check above fail, the author's text blamed for it (campaign AF-1);
 * then nothing is known and nothing is refused — what the server refuses is met at apply, as without these checks.
 */
async function cannotCheck(s: Session): Promise<boolean> {
  const table = quoteMy('xc_check_harness');
  try {
    await s.query(`CREATE TEMPORARY TABLE ${table} (c int)`);
    return false;
  } catch {
    return true;
  } finally {
    await s.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`).catch(() => undefined);
  }
}

/**
 * Why the expression cannot stand where `c.declared` puts it (Dialect.declaredIssue): a server CHECK of a new table
 * or a generated column refuses a subquery, a stored function, a variable. A check added to an existing table is
 * xc's trigger pair, which takes any condition; MariaDB has no index over an expression or with a predicate (refused
 * before). A generated column is STORED, as xc creates it (VIRTUAL takes `database()`, STORED not: campaign AE).
 * Tried on an empty temporary table of the columns.
 */
export async function mysqlDeclaredIssue(s: Session, c: ExpressionCheck): Promise<string | null> {
  const generated = quoteMy(freeColumn('_xc_generated', c.columns));
  const declared = c.declared === 'check' ? `CHECK (${c.sql})` : c.declared === 'generated' && c.castTo ? `${generated} ${c.castTo} AS (${c.sql}) STORED` : undefined;
  if (declared === undefined) return null;
  return temporaryTableIssue(s, 'xc_declared_check', [...c.columns.map((col) => `${quoteMy(col.name)} ${col.type} NULL`), declared]);
}

/** Built-ins that change the session they run on, and how. */
const SESSION_FUNCTIONS: Record<string, string> = {
  get_lock: 'takes a user-level lock the session holds until it releases it',
  release_lock: "releases a user-level lock the session holds, xc's own among them",
  release_all_locks: "releases every user-level lock the session holds, xc's own among them",
};

/** Calls of SESSION_FUNCTIONS, and user variables assigned (`@v := …`), which stay set on the session. */
export function mysqlSessionChanges(sql: string): string[] {
  const tokens = mysqlTokens(sql);
  const calls = sessionCalls(tokens, (t) => (t.kind === 'word' ? t.text.toLowerCase() : undefined), (name) => SESSION_FUNCTIONS[name]);
  const code = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const assigns = code.some((t, i) => t.text === ':' && code[i + 1]?.text === '=');
  return assigns ? [...calls, '`@variable := …`, which assigns a user variable that stays set on the session'] : calls;
}
