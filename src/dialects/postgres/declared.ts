/**
 * An author expression declared as DDL would declare it (Dialect.declaredIssue):
 * PostgreSQL reads a CHECK, a generated column, an index key or predicate
 * under rules a query does not have — no subquery, no aggregate, and for an
 * index only IMMUTABLE functions (`now()`, `timestamptz::date`). Tried on an
 * empty temporary table of the columns, in plan's read-only transaction,
 * rolled back: no row is read, nothing of the application's is locked.
 */
import type { Session } from '../../db/driver.js';
import { EscapedTransactionError, readOnly, type Dialect } from '../dialect.js';
import type { ExpressionCheck } from '../../plan/index.js';
import { quotePg } from './text.js';
import { freeColumn } from '../names.js';

const TABLE = 'pg_temp.xc_declared_check';

function declaration(c: ExpressionCheck, key: string): string {
  switch (c.declared) {
    case 'check':
    case 'addedCheck':
      return `ALTER TABLE ${TABLE} ADD CHECK (${c.sql})`;
    case 'generated':
      return `ALTER TABLE ${TABLE} ADD COLUMN ${quotePg(freeColumn('_xc_generated', c.columns))} ${c.castTo ?? 'text'} GENERATED ALWAYS AS (${c.sql}) STORED`;
    case 'indexKey':
      return `CREATE INDEX ON ${TABLE} ((${c.sql}))`;
    default:
      return `CREATE INDEX ON ${TABLE} (${quotePg(key)}) WHERE (${c.sql})`;
  }
}

export async function pgDeclaredIssue(s: Session, dialect: Dialect, c: ExpressionCheck): Promise<string | null> {
  const key = freeColumn('_xc_key', c.columns);
  const columns = [...c.columns.map((col) => `${quotePg(col.name)} ${col.type}`), `${quotePg(key)} integer`];
  try {
    await readOnly(s, dialect, async () => undefined, [`CREATE TEMP TABLE ${TABLE} (${columns.join(', ')}) ON COMMIT DROP`, declaration(c, key)]);
    return null;
  } catch (err) {
    if (err instanceof EscapedTransactionError) throw err;
    return (err as Error).message ?? String(err);
  }
}
