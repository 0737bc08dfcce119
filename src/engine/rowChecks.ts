/** Plan's reads of the rows a step would meet: a check's violating rows, read as the plan leaves them, time-bounded. */
import type { Session } from '../db/driver.js';
import { EscapedTransactionError, planReadMs, readOnly, type Dialect } from '../dialects/dialect.js';
import type { ValidationIssue } from '../operations/types.js';
import type { BackfillSpec, RowCheck } from '../plan/index.js';
import { exampleColumns, formatRows } from '../backfill/verify.js';
import type { CheckModel, InPlan, SchemaModel } from '../schema/model.js';

/**
 * An UPDATE checks every CHECK constraint of the row it writes, one added NOT VALID too (PostgreSQL): a row
 * that already breaks one stops the backfill at that row. Such rows are named at plan instead, among those
 * the backfill rewrites: its `where` where it can be read now; one naming what expand creates (a copy's new
 * column) holds for every row yet.
 */
export async function unvalidatedCheckIssues(session: Session, dialect: Dialect, model: SchemaModel, backfills: BackfillSpec[]): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  for (const b of backfills) {
    // A check over a column the backfill writes is judged on the value written, not read here: left to the backfill.
    // One of xc's own (setNotNull's `xc_nn_…`) guards a migration in flight whose backfill, earlier in id order, fills those rows first.
    const judged = (k: CheckModel) => k.validated === false && !k.trigger && !k.name.startsWith('xc_') && dialect.columnsNamed(k.expression, b.table, Object.keys(b.set)).length === 0;
    for (const k of model.table(b.table)?.checks.filter(judged) ?? []) {
      const check: RowCheck = {
        path: [], table: b.table, violation: `NOT (${k.expression})`, show: k.columns,
        message: `existing rows of "${b.table}" break its check "${k.name}", which was added NOT VALID; the backfill rewrites them and the server checks every constraint of a row it writes, so it would stop there — fix those rows (or drop the check) first`,
      };
      let examples = b.where === undefined ? undefined : await violatingRows(session, dialect, model, { ...check, violation: `(${b.where}) AND ${check.violation}` });
      if (examples === undefined) examples = await violatingRows(session, dialect, model, check);
      // Not read in time: the backfill stops at such a row and names it.
      if (typeof examples === 'string') issues.push(rowsViolate(check, examples));
    }
  }
  return issues;
}

export const rowsViolate = (check: RowCheck, examples: string): ValidationIssue => ({ path: check.path, code: 'rows_violate', table: check.table, message: check.wholeTable ? check.message : `${check.message}; for example:\n${examples}` });

export const NOT_READ_IN_TIME = Symbol('not read in time');

export const notReadInTime = (check: RowCheck) =>
  `${check.path.join('.')}: the rows of "${check.table}" were not read within ${planReadMs() / 1000} s (XC_PLAN_ROW_READ_MS), so this was not checked: ${check.message} — if a row does, the step that meets it stops there (an index's build at apply, a validation at contract), the migration staying in its phase: fix the rows and run that command again`;

/** A few rows that violate `check`, shown as `key=value ...` lines; null when none does; undefined when it cannot be read now. Read-only. */
export async function violatingRows(s: Session, dialect: Dialect, model: SchemaModel, check: RowCheck): Promise<string | null | undefined | typeof NOT_READ_IN_TIME> {
  const shown = exampleColumns(dialect, model.rowKey(check.table) ?? [], check.show);
  // A table or column a rename of the plan (not applied yet) names otherwise is read as it is now, under the name the
  // check gives it, in its subqueries too (a foreign key's parent, a unique key's duplicates) — only the tables the
  // check names: a table the plan creates has no rows to read, and would fail the query.
  const q = (name: string) => dialect.quote(name);
  const named = [...model.inPlan].filter(([name]) => name === check.table || check.violation.includes(q(name)));
  const reads = named.map(([name, r]) => `${q(name)} AS (${readAsPlanned(q, model, r)})`);
  // A fact of the table is read once, from no row of it: an empty table has it too (an identity narrowed before any row).
  const from = check.wholeTable ? `(SELECT 1 AS xc_one) xc_one` : q(check.table);
  // The row key through its table: bare, it named the shown column, cast to text ("1007" before "2").
  const order = check.order === undefined || check.wholeTable ? '' : ` ORDER BY ${[...check.order, ...(model.rowKey(check.table) ?? []).map((k) => `${q(check.table)}.${q(k)}`)].join(', ')}`;
  const sql = `${reads.length > 0 ? `WITH ${reads.join(', ')} ` : ''}SELECT ${check.wholeTable ? '1 AS xc_fact' : shown} FROM ${from} WHERE ${check.violation}${order} LIMIT 5`;
  let rows: Record<string, unknown>[];
  const bound = dialect.timeBoundedRead(sql, planReadMs());
  try {
    rows = await readOnly(s, dialect, async () => {
      for (const st of bound.before) await s.query(st);
      try {
        return (await s.query<Record<string, unknown>>(bound.sql, undefined, { single: true })).rows;
      } finally {
        for (const st of bound.after) await s.query(st).catch(() => undefined);
      }
    });
  } catch (err) {
    if (err instanceof EscapedTransactionError) throw err;
    if (dialect.isStatementTimeout(err)) return NOT_READ_IN_TIME;
    // The table or column is made by an earlier migration of this run, or by this one's expand: `apply` checks again once it exists.
    return undefined;
  }
  if (rows.length === 0) return null;
  // Values the plan gives before the database has them (a NULL `up` fills, a copy's conversion) are said to be so.
  const planned = model.inPlan.get(check.table)?.columns;
  const given = check.show.filter((c) => planned?.has(c) && planned.get(c) !== q(c));
  return formatRows(rows) + (given.length > 0 ? `\n  (${given.map((c) => `"${c}"`).join(', ')} as this plan's earlier operations leave ${given.length === 1 ? 'it' : 'them'}: not in the database yet)` : '');
}

/**
 * The rows of a table as the plan names them, read as they are now: the columns the plan reads otherwise are added,
 * or, where one keeps a name the table has now (a NULL `up` fills, setNotNull), put in its place, the others listed.
 */
function readAsPlanned(q: (name: string) => string, model: SchemaModel, r: InPlan): string {
  const present = model.present.get(r.table) ?? [];
  const replaces = present.some((c) => r.columns.has(c));
  const kept = replaces ? present.filter((c) => !r.columns.has(c)).map(q) : ['*'];
  return `SELECT ${[...kept, ...[...r.columns].map(([c, sql]) => `${sql} AS ${q(c)}`)].join(', ')} FROM ${q(r.table)}`;
}
