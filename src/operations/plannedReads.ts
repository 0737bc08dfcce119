/**
 * What the plan reads of a column an earlier operation of it fills before the database has the values: the rows as
 * the backfill will leave them (SchemaModel.inPlan), for the row checks of the operations after it.
 */
import type { SchemaModel } from '../schema/model.js';
import type { Dialect } from '../dialects/dialect.js';
import { escapeRegExp } from '../dialects/names.js';

/**
 * A column the plan's backfill fills from `up` (addColumn: every row; setNotNull: the NULLs; a `sql` backfill: the rows
 * its `where` takes, campaign O), its expand planned, not
 * run: plan reads it as the backfill will leave it, so a unique key or check later in the plan meets those values
 * (fuzz seed 481: NULLs all filled with one constant, then a unique key over them, refused only by apply's build).
 */
export function readFillInPlan(c: { table: string; column: string; type: string; up: string; nullsOnly: boolean; where?: string }, model: SchemaModel, dialect: Dialect): void {
  if (!model.table(c.table)) return;
  const over = (expr: string) => ofTheRow(c.table, overPlannedReads(c.table, expr, model, dialect), model, dialect);
  const filled = dialect.storedAs(`(${over(c.up)})`, c.type);
  const now = model.inPlan.get(c.table)?.columns.get(c.column) ?? `${dialect.quote(model.readName(c.table))}.${dialect.quote(c.column)}`;
  const read = c.nullsOnly ? `COALESCE(${now}, ${filled})` : c.where !== undefined ? `CASE WHEN (${over(c.where)}) THEN ${filled} ELSE ${now} END` : filled;
  model.readInPlan(c.table).columns.set(c.column, read);
}

/**
 * `expr` with each column of the row it names bare qualified by the table's name now: a planned read is put into
 * later expressions, where a bare name inside one of their subqueries would be the subquery's column (campaign ER:
 * a dedupe's `a2.email = <the cleaned email>` compared a2's email with itself, and plan found no duplicate).
 */
function ofTheRow(table: string, expr: string, model: SchemaModel, dialect: Dialect): string {
  const now = model.readName(table);
  const columns = model.present.get(now) ?? model.table(table)!.columns.map((col) => col.name);
  return columns.reduce((text, column) => dialect.substituteColumn(text, table, column, `${dialect.quote(now)}.${dialect.quote(column)}`), expr);
}

/**
 * `expr` over the row as the plan leaves it so far, in SQL over the table as it is now: each column the plan reads
 * otherwise (one added, filled, renamed) replaced by that read. Read as it is now, a `sql` backfill's `where` over a
 * column the plan adds failed, its fill was left out, and the NOT NULL after it refused for the NULLs it fills
 * (campaign DX: addColumn, a backfill `WHERE slug IS NULL`, setNotNull — Django's three steps).
 */
function overPlannedReads(table: string, expr: string, model: SchemaModel, dialect: Dialect): string {
  const read = [...(model.inPlan.get(table)?.columns ?? [])];
  // Each reference to a stand-in name first, then the reads: a read's own SQL names the table's columns as they are now.
  const stand = (i: number) => dialect.quote(`_xc_planned_${i}_`);
  const marked = read.reduce((text, [column], i) => dialect.substituteColumn(text, table, column, stand(i)), expr);
  return read.reduce((text, [, sql], i) => text.split(stand(i)).join(`(${sql})`), marked);
}

/** Whether `up` reads a column the plan names otherwise than the database does yet: read as it is now, it would read the wrong one. */
export function upReadsOtherwise(table: string, up: string, model: SchemaModel, dialect: Dialect): boolean {
  const read = model.inPlan.get(table)?.columns;
  return !!read && dialect.columnsNamed(up, table, model.table(table)!.columns.map((col) => col.name)).some((name) => read.has(name));
}

/**
 * A table `expr` reads after FROM or JOIN (a subquery) whose rows an earlier fill of the plan changes: read there as
 * it is now, not as the plan leaves it (SchemaModel.unsureRows). Read as text, as xc reads raw SQL: the table bare or
 * schema-qualified, quoted or not.
 */
export function readsFilledTable(expr: string, model: SchemaModel, dialect: Dialect): string | undefined {
  // Literals and comments blanked: a table's name in them is read by no one.
  const code = dialect.tokens(expr).map((t) => (t.kind === 'string' || t.kind === 'comment' ? ' ' : t.text)).join('');
  return [...model.inPlan].find(([name, read]) => read.columns.size > 0 && [name, read.table].some((n) => new RegExp(`\\b(FROM|JOIN)\\s+(ONLY\\s+)?([\`"]?[A-Za-z_][A-Za-z0-9_$]*[\`"]?\\s*\\.\\s*)?[\`"]?${escapeRegExp(n)}[\`"]?(?![A-Za-z0-9_$])`, 'i').test(code)))?.[0];
}
