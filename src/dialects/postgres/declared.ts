/**
 * An author expression declared as DDL would declare it (Dialect.declaredIssue):
 * PostgreSQL reads a CHECK, a generated column, an index key or predicate
 * under rules a query does not have — no subquery, no aggregate, and for an
 * index only IMMUTABLE functions (`now()`, `timestamptz::date`). Tried on an
 * empty temporary table of the columns, in plan's read-only transaction,
 * rolled back: no row is read, nothing of the application's is locked. An
 * index the migration builds is tried there the same way, whole.
 */
import type { Session } from '../../db/driver.js';
import { EscapedTransactionError, readOnly, type Dialect } from '../dialect.js';
import type { ExpressionCheck } from '../../plan/index.js';
import type { IndexBuildCheck } from '../specs.js';
import { PG_IDENTIFIERS, pgTokens, quotePg } from './text.js';
import { freeColumn } from '../names.js';

/**
 * The temporary table, named as the table is: a check may name its row by the table (`accounts.email`), as
 * PostgreSQL's own CHECK allows (campaign AE: refused at plan, "missing FROM-clause entry"). In pg_temp, only for
 * the one statement, in a transaction always rolled back.
 */
const temporary = (table: string) => `pg_temp.${quotePg(table)}`;

/**
 * A declared expression with each column of the row, bare or qualified (`public.accounts.email`, which the table's own
 * CHECK and index accept), named `accounts`.`email`: what a stand-in named as the table answers — pg_temp's table
 * here, the one-row derived table plan compiles it over (core.ts). Never for an expression a trigger runs, where
 * the schema-qualified name would fail. Left as written where a schema other than the table's (`schema`) qualifies
 * it: the server refuses that (`other.accounts.email`), and so does the stand-in.
 */
export function namedByTable(dialect: Dialect, table: string, columns: { name: string }[], sql: string, schema: string): string {
  const sig = pgTokens(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const name = (i: number) => sig[i]?.kind === 'word' || sig[i]?.kind === 'quoted';
  const elsewhere = sig.some((t, i) => name(i) && sig[i + 1]?.text === '.' && name(i + 2) && PG_IDENTIFIERS.names(sig[i + 2]!, table) && sig[i + 3]?.text === '.' && !PG_IDENTIFIERS.names(t, schema));
  if (elsewhere) return sql;
  return columns.reduce((text, col) => dialect.substituteColumn(text, table, col.name, `${quotePg(table)}.${quotePg(col.name)}`), sql);
}

function declaration(c: ExpressionCheck, key: string, sql: string): string {
  const table = temporary(c.table);
  switch (c.declared) {
    case 'check':
    case 'addedCheck':
      return `ALTER TABLE ${table} ADD CHECK (${sql})`;
    case 'generated':
      return `ALTER TABLE ${table} ADD COLUMN ${quotePg(freeColumn('_xc_generated', c.columns))} ${c.castTo ?? 'text'} GENERATED ALWAYS AS (${sql}) STORED`;
    case 'indexKey':
      return `CREATE INDEX ON ${table} ((${sql}))`;
    default:
      return `CREATE INDEX ON ${table} (${quotePg(key)}) WHERE (${sql})`;
  }
}

export function pgDeclaredIssue(s: Session, dialect: Dialect, c: ExpressionCheck, schema: string): Promise<string | null> {
  const key = freeColumn('_xc_key', c.columns);
  return onTemporaryTable(s, dialect, c.table, [...c.columns, { name: key, type: 'integer' }], declaration(c, key, namedByTable(dialect, c.table, c.columns, c.sql, schema)));
}

/**
 * The index built as apply builds it (its catalog definition for a copy, the operation's keys for a new one), on the
 * temporary table instead, not concurrently: the method, operator classes, collations, storage parameters, keys and
 * predicate over the columns' types as they will be.
 */
export async function pgIndexBuildIssue(s: Session, dialect: Dialect, c: IndexBuildCheck, schema: string): Promise<string | null> {
  // The DDL builders load when a command plans (PostgresDialect.loadDdl): status and check never come here.
  const { indexDefinition, rewriteIndexDefinition } = await import('./ddl.js');
  const column = c.columns[0]?.name ?? '';
  const over = (sql: string | undefined) => (sql === undefined ? undefined : namedByTable(dialect, c.table, c.columns, sql, schema));
  const made = { ...c.index, ...(c.index.where !== undefined ? { where: over(c.index.where) } : {}), ...(c.index.keys ? { keys: c.index.keys.map((k) => ({ ...k, ...(k.expression !== undefined ? { expression: over(k.expression) } : {}) })) } : {}) };
  const sql = rewriteIndexDefinition(c.index.definition ?? indexDefinition(made, c.table), { name: 'xc_declared_index', table: temporary(c.table), concurrently: false, fromColumn: column, toColumn: quotePg(column), row: c.table });
  return onTemporaryTable(s, dialect, c.table, c.columns, sql);
}

/**
 * `statement` run on an empty temporary table of `columns`: its error, or null. When the table itself cannot be
 * made — the role may not create temporary tables (42501), a hot standby makes none (25006), or a column's type is
 * one an earlier refused operation named — nothing is known of the statement and null is returned: a check that
 * cannot run does not refuse (campaign AF-1; the type's own refusal is named where it is written).
 */
async function onTemporaryTable(s: Session, dialect: Dialect, table: string, columns: { name: string; type: string }[], statement: string): Promise<string | null> {
  const create = `CREATE TEMP TABLE ${temporary(table)} (${columns.map((col) => `${quotePg(col.name)} ${col.type}`).join(', ')}) ON COMMIT DROP`;
  const failure = (setup: string[]) => readOnly(s, dialect, async () => null, setup).catch((err: unknown) => {
    if (err instanceof EscapedTransactionError) throw err;
    return (err as Error).message ?? String(err);
  });
  const error = await failure([create, statement]);
  // Only on a failure: is it the statement's, or the harness's?
  return error !== null && (await failure([create])) === null ? error : null;
}
