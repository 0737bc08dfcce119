/**
 * `down` of dropConstraint and dropMultiColumnConstraint (pgroll's): a
 * conversion of what a writer sends into what the constraint being dropped
 * still accepts.
 *
 * pgroll gives the new version a copy of the column without the constraint
 * and converts its writes back into the old column with `down`. xc has no
 * copy: both versions write the one column until contract, and the
 * constraint stays on it until then (old code may rely on it). So `down`
 * means: until contract, a write, from either version, that would break the
 * constraint has its column set to `down` of the row instead of being
 * refused (a BEFORE INSERT/UPDATE trigger, Ddl.convertTrigger); every other
 * write is stored as sent. The contract drops the constraint, then the
 * trigger (PostgreSQL: in one transaction; MySQL: in that order, so no write
 * meets the constraint without it); a rollback drops the trigger.
 *
 * "Would break" is tested on the row as the trigger sees it: a check's
 * expression FALSE; a foreign key's parent missing; for a unique or primary
 * key, another row holding the key — a lookup, so two concurrent writes of
 * one new key both pass it and the constraint refuses the second as before.
 * A volatile `down` (random()) is fine: nothing computes it again.
 */
import type { Expr } from '../migration/schema.js';
import type { ConstraintTest, TriggerSteps } from '../dialects/dialect.js';
import type { IndexModel, TableModel } from '../schema/model.js';
import type { ExpressionCheck } from '../plan/index.js';
import { columnsOf } from './common.js';
import { isObjectName } from '../dialects/names.js';
import type { PlanContext, SyncedColumns, ValidateContext, ValidationIssue } from './types.js';

/** Every key of the index is a column (no expression such as lower(name)), as projected or as the catalog prints it. */
function overColumns(i: IndexModel): boolean {
  if (i.keys) return i.keys.every((k) => k.column !== undefined && k.expression === undefined);
  return i.definition !== undefined && /\bUSING \w+ \([^()]*\)/.test(i.definition);
}

/**
 * A DEFERRABLE key is checked at the end of the statement (or the transaction): `UPDATE t SET pos = pos + 1` and a
 * child inserted before its parent are legal there, yet a row trigger would find each row breaking it and convert it.
 */
const DEFERRED = 'it is DEFERRABLE, checked at the end of the statement or transaction, where a row trigger cannot tell which writes break it';

/** The constraint's columns and how a trigger tests it, or why it cannot (an exclusion constraint, a deferrable key). */
export function constraintTest(t: TableModel, name: string): { columns: string[]; test?: ConstraintTest; why?: string } {
  const check = t.checks.find((c) => c.name === name);
  if (check) return { columns: check.columns, test: { kind: 'check', expression: check.expression } };
  const fk = t.foreignKeys.find((f) => f.name === name);
  if (fk) {
    const test: ConstraintTest = { kind: 'foreignKey', columns: fk.columns, refTable: fk.refTable, ...(fk.refSchema ? { refSchema: fk.refSchema } : {}), refColumns: fk.refColumns };
    if (fk.matchType === 'full') return { columns: fk.columns, why: 'a MATCH FULL foreign key is not tested by xc’s trigger' };
    return fk.deferrable ? { columns: fk.columns, why: DEFERRED } : { columns: fk.columns, test };
  }
  const idx = t.indexes.find((i) => i.constraint === name);
  if (idx?.deferrable) return { columns: idx.columns, why: DEFERRED };
  if (idx && !idx.exclusion && (idx.unique || idx.primary)) {
    // Every other key over plain columns and every row (a partial one conflicts only inside its predicate): a
    // constraint's, or a unique index's (ON CONFLICT (username) takes one) whose keys are all columns.
    // Not a key over an in-flight change's shadow column: its contract renames the column, and the trigger naming it
    // would fail every write from then on (fuzz seed 502: "column _xc_other.xc_shadow0_… does not exist").
    const others = t.indexes
      .filter((i) => i !== idx && (i.primary || (i.unique && (i.constraint !== null || overColumns(i)))) && i.where === undefined && i.columns.length > 0 && !i.columns.some((c) => isObjectName(c, 'shadow\\d+')))
      .map((i) => i.columns);
    const rowKeys = [...(!idx.primary && t.primaryKey.length > 0 && !others.some((k) => k.join() === t.primaryKey.join()) ? [t.primaryKey] : []), ...others];
    return { columns: idx.columns, test: { kind: 'unique', columns: idx.columns, ...(idx.nullsNotDistinct ? { nullsNotDistinct: true } : {}), ...(rowKeys.length ? { rowKeys } : {}) } };
  }
  return { columns: idx?.columns ?? [], why: 'only a check, a foreign key, a unique or a primary key is tested by xc’s trigger' };
}

/** Each converting `down`: its column and its expression as given. */
export type Down = { column: string; down: Expr; path: (string | number)[] };

/**
 * Issues with the `down`s that convert: an expression without this
 * database's variant, a constraint the trigger cannot test, a column the
 * server computes, a `down` reading another converted column (each is
 * computed over the row as written, in turn).
 */
export function downIssues(table: string, name: string, downs: Down[], ctx: ValidateContext): ValidationIssue[] {
  const t = ctx.model.table(table);
  if (!t || downs.length === 0) return [];
  const issues: ValidationIssue[] = [];
  const { why } = constraintTest(t, name);
  if (why) return downs.map((d) => ({ path: d.path, code: 'unsupported', feature: 'down conversion', message: `\`down\` cannot convert for "${name}": ${why}; leave \`down\` out (a write breaking it is refused until contract)` }));
  const converted = downs.map((d) => d.column);
  for (const d of downs) {
    const sql = ctx.expr(d.down);
    if (sql === undefined) {
      issues.push({ path: d.path, code: 'no_variant', message: 'no expression for this database' });
      continue;
    }
    if (t.columns.find((c) => c.name === d.column)?.generated) issues.push({ path: d.path, code: 'generated_column', table, column: d.column, message: `"${table}"."${d.column}" is an identity or generated column: the server sets it, \`down\` cannot` });
    const others = ctx.dialect.columnsNamed(sql, table, t.columns.map((c) => c.name)).filter((c) => c !== d.column && converted.includes(c));
    if (others.length > 0) issues.push({ path: d.path, code: 'unsupported', feature: 'down reading a converted column', message: `\`down\` of "${d.column}" reads ${others.map((c) => `"${c}"`).join(', ')}, which \`down\` converts too: each reads the row as written, so read only columns \`down\` leaves as they are` });
  }
  return issues;
}

/** Each `down` compiled against the database (stored into its column, as the trigger stores it). */
export function downExpressions(table: string, downs: Down[], ctx: ValidateContext): ExpressionCheck[] {
  const t = ctx.model.table(table);
  return downs.flatMap((d) => {
    const sql = ctx.expr(d.down);
    const col = t?.columns.find((c) => c.name === d.column);
    return sql === undefined || !col ? [] : [{ path: d.path, table, sql, columns: columnsOf(t), castTo: col.type }];
  });
}

/** The columns the trigger writes (each `down`'s own) and reads (Operation.synced). */
export function downColumns(table: string, downs: Down[], ctx: ValidateContext): SyncedColumns {
  const names = ctx.model.table(table)?.columns.map((c) => c.name) ?? [];
  const columns = [...new Set(downs.flatMap((d) => [d.column, ...ctx.dialect.columnsNamed(ctx.expr(d.down) ?? '', table, names)]))];
  return { table, columns, writes: downs.map((d) => d.column) };
}

/** The trigger converting writes that would break `name` (see the header). */
export function downTrigger(table: string, name: string, downs: Down[], ctx: PlanContext): TriggerSteps {
  const t = ctx.model.table(table)!;
  const { test } = constraintTest(t, name);
  // The model shows the keys as their migrations' contracts leave them: one a migration in flight makes only then, or
  // over a column it replaces by a shadow then, is no key of the rows written meanwhile. Counted, a row sharing its
  // value (a default every row has) was taken for the one an upsert updates, and a duplicate went unconverted (fuzz
  // seed 502, both servers: the insert refused).
  const pending = (key: string[]) => ctx.model.holds.keyMadeAtContract(table, key) !== undefined || key.some((c) => ctx.model.holds.shadowedBy(table, c) !== undefined);
  const live = test!.kind === 'unique' && test!.rowKeys ? { ...test!, rowKeys: test!.rowKeys.filter((k) => !pending(k)) } : test!;
  return ctx.ddl.convertTrigger({
    name: ctx.name('down'),
    table,
    constraint: name,
    test: live,
    set: downs.map((d) => ({ column: d.column, expr: ctx.expr(d.down) })),
    columns: t.columns.map((c) => c.name),
  });
}
