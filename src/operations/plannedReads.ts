/**
 * What the plan reads of a column an earlier operation of it fills before the database has the values: the rows as
 * the backfill will leave them (SchemaModel.inPlan), for the row checks of the operations after it.
 */
import type { SchemaModel } from '../schema/model.js';
import type { Dialect } from '../dialects/dialect.js';

/**
 * A column the plan's backfill fills from `up` (addColumn: every row; setNotNull: the NULLs; a `sql` backfill: the rows
 * its `where` takes, campaign O), its expand planned, not
 * run: plan reads it as the backfill will leave it, so a unique key or check later in the plan meets those values
 * (fuzz seed 481: NULLs all filled with one constant, then a unique key over them, refused only by apply's build).
 */
export function readFillInPlan(c: { table: string; column: string; type: string; up: string; nullsOnly: boolean; where?: string }, model: SchemaModel, dialect: Dialect): void {
  if (!model.table(c.table) || [c.up, c.where ?? ''].some((e) => upReadsOtherwise(c.table, e, model, dialect))) return;
  const filled = dialect.storedAs(`(${c.up})`, c.type);
  const now = model.inPlan.get(c.table)?.columns.get(c.column) ?? dialect.quote(c.column);
  const read = c.nullsOnly ? `COALESCE(${now}, ${filled})` : c.where !== undefined ? `CASE WHEN (${c.where}) THEN ${filled} ELSE ${now} END` : filled;
  model.readInPlan(c.table).columns.set(c.column, read);
}

/** Whether `up` reads a column the plan names otherwise than the database does yet: read as it is now, it would read the wrong one. */
export function upReadsOtherwise(table: string, up: string, model: SchemaModel, dialect: Dialect): boolean {
  const read = model.inPlan.get(table)?.columns;
  return !!read && dialect.columnsNamed(up, table, model.table(table)!.columns.map((col) => col.name)).some((name) => read.has(name));
}

