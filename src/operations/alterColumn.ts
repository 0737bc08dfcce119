/**
 * alterColumn: a new column `to` with the new definition; `up` computes it
 * from the old shape and `down` the old column from the new one, both ways,
 * until contract drops `column`.
 */
import type { ColumnModel } from '../schema/model.js';
import type { ExpressionCheck } from '../plan/index.js';
import type { Operation } from './types.js';
import { columnsOf, exprCheck, refuseUncopyable, requireColumn, requireNoColumn, requireTable, triggerColumns } from './common.js';
import { changesType, copiedDefault, copyContractTables, planColumnCopy, projectColumnCopy } from './columnCopy.js';

export const alterColumn: Operation<'alterColumn'> = {
  kind: 'alterColumn',
  validate(spec, { model, expr, dialect }) {
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.column, ['column'], issues);
    requireNoColumn(t, spec.to, ['to'], issues);
    refuseUncopyable(model, t, spec.column, ['column'], issues);
    // The foreign keys of the column come over to the new one at contract: its new type must suit them now, not then.
    for (const fk of spec.type ? (t?.foreignKeys ?? []).filter((k) => k.columns.includes(spec.column)) : []) {
      const parent = model.table(fk.refTable)?.columns.find((c) => c.name === fk.refColumns[fk.columns.indexOf(spec.column)]);
      const problem = parent && dialect.foreignKeyTypeIssue(spec.type!, parent.type);
      if (problem) issues.push({ path: ['type'], code: 'type_mismatch', table: spec.table, column: spec.column, refTable: fk.refTable, refColumn: parent.name, message: `foreign key "${fk.name}" of "${spec.column}" references "${fk.refTable}"."${parent.name}": ${problem}` });
    }
    if (expr(spec.up) === undefined) issues.push({ path: ['up'], code: 'no_variant', message: 'no expression for this database' });
    if (expr(spec.down) === undefined) issues.push({ path: ['down'], code: 'no_variant', message: 'no expression for this database' });
    return issues;
  },
  expressions(spec, { model, expr, dialect }) {
    const t = model.table(spec.table);
    const old = t?.columns.find((c) => c.name === spec.column);
    if (!t || !old) return [];
    const type = spec.type ?? old.type;
    // up and down are computed again by the verify before contract: they must be deterministic.
    const conversions = [
      ...exprCheck(['up'], spec.table, expr(spec.up), columnsOf(t), type),
      ...exprCheck(['down'], spec.table, expr(spec.down), columnsOf(t, [{ name: spec.to, type }]), old.type),
    ].map((c) => ({ ...c, deterministic: true }));
    // The column's checks come over to the new one at contract, after the old column is gone: they must hold for its type now.
    const checks = t.checks
      .filter((k) => k.columns.includes(spec.column))
      .map((k): ExpressionCheck => ({
        path: ['type'],
        table: spec.table,
        sql: dialect.replaceIdentifier(k.expression, spec.column, spec.to),
        columns: columnsOf(t, [{ name: spec.to, type }]),
        boolean: true,
        explain: (error) => `check "${k.name}" of "${spec.column}" cannot apply to the new type ${type}: ${error}`,
      }));
    return [...conversions, ...defaultCheck(spec, old, type, columnsOf(t), dialect.ddl(model)), ...checks];
  },
  rowChecks(spec, { model, expr }) {
    const t = model.table(spec.table);
    const old = t?.columns.find((c) => c.name === spec.column);
    const up = expr(spec.up);
    if (!t || !old || up === undefined || (spec.nullable ?? old.nullable)) return [];
    const message = `\`up\` gives NULL for existing rows, which the NOT NULL column "${spec.to}" would reject at contract; make \`up\` give a value for them`;
    return [{ path: ['up'], table: spec.table, violation: `(${up}) IS NULL`, message, show: [spec.column] }];
  },
  types: (spec) => (spec.type === undefined ? [] : [{ path: ['type'], type: spec.type }]),
  synced: (spec, ctx) => triggerColumns(ctx, spec.table, [spec.column, spec.to], [ctx.expr(spec.up), ctx.expr(spec.down)]),
  backfillTables: (spec) => [spec.table],
  removesAtContract: (spec) => [{ path: ['column'], table: spec.table, column: spec.column }],
  // The new column is NOT NULL from contract on when asked, or when it carries the old column's NOT NULL.
  notNullAtContract: (spec, model) => {
    const old = model.table(spec.table)?.columns.find((c) => c.name === spec.column);
    return { table: spec.table, columns: (spec.nullable ?? old?.nullable ?? true) ? [] : [spec.to] };
  },
  contractTables: (spec, model) => copyContractTables(model, spec.table, spec.column),
  project(spec, model, dialect) {
    projectColumnCopy({ table: spec.table, from: spec.column, to: spec.to, type: spec.type, nullable: spec.nullable, default: spec.default, up: '', down: '' }, model, dialect);
  },
  plan(spec, ctx) {
    return planColumnCopy(
      { table: spec.table, from: spec.column, to: spec.to, type: spec.type, nullable: spec.nullable, default: spec.default, up: ctx.expr(spec.up), down: ctx.expr(spec.down) },
      ctx,
    );
  },
};

/**
 * Contract sets the new column's default; one that fails there would leave
 * the migration stuck half-contracted. So it is computed now, converted to
 * the new type: a default carried over through a type change must convert
 * (an expression that writes, like nextval, cannot be proven and is refused);
 * a default given must be a value of the new type.
 */
function defaultCheck(
  spec: { table: string; column: string; to: string; type?: string; default?: string | null },
  old: ColumnModel,
  type: string,
  columns: { name: string; type: string }[],
  ddl: Parameters<typeof copiedDefault>[2],
): ExpressionCheck[] {
  const sql = copiedDefault(spec, old, ddl);
  if (sql === null) return [];
  if (spec.default === undefined) {
    if (!changesType(spec.type, old)) return [];
    const explain = (error: string) =>
      `the default of "${spec.table}"."${spec.column}", ${old.default}, is carried over to "${spec.to}" converted to ${type}, and it cannot be: ${error}. ` +
      'Give `default` for the new column (or `default: null` for none)';
    return [{ path: ['default'], table: spec.table, sql, columns, castTo: type, columnDefault: true, evaluate: 'required', explain }];
  }
  const explain = (error: string) => `${spec.default} is not a default for a column of type ${type}: ${error}`;
  return [{ path: ['default'], table: spec.table, sql, columns, castTo: type, columnDefault: true, evaluate: 'unlessWrites', explain }];
}
