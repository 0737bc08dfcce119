/**
 * alterColumn: a new column `to` with the new definition; `up` computes it
 * from the old shape and `down` the old column from the new one, both ways,
 * until contract drops `column`.
 */
import type { Operation } from './types.js';
import { columnsOf, exprCheck, refuseUncopyable, requireColumn, requireNoColumn, requireTable } from './common.js';
import { planColumnCopy, projectColumnCopy } from './columnCopy.js';

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
      if (problem) issues.push({ path: ['type'], message: `foreign key "${fk.name}" of "${spec.column}" references "${fk.refTable}"."${parent.name}": ${problem}` });
    }
    if (expr(spec.up) === undefined) issues.push({ path: ['up'], message: 'no expression for this database' });
    if (expr(spec.down) === undefined) issues.push({ path: ['down'], message: 'no expression for this database' });
    return issues;
  },
  expressions(spec, { model, expr }) {
    const t = model.table(spec.table);
    const old = t?.columns.find((c) => c.name === spec.column);
    if (!t || !old) return [];
    const type = spec.type ?? old.type;
    return [
      ...exprCheck(['up'], spec.table, expr(spec.up), columnsOf(t), type),
      ...exprCheck(['down'], spec.table, expr(spec.down), columnsOf(t, [{ name: spec.to, type }]), old.type),
    ];
  },
  backfillTables: (spec) => [spec.table],
  project(spec, model) {
    projectColumnCopy({ table: spec.table, from: spec.column, to: spec.to, type: spec.type, nullable: spec.nullable, default: spec.default, up: '', down: '' }, model);
  },
  plan(spec, ctx) {
    return planColumnCopy(
      { table: spec.table, from: spec.column, to: spec.to, type: spec.type, nullable: spec.nullable, default: spec.default, up: ctx.expr(spec.up), down: ctx.expr(spec.down) },
      ctx,
    );
  },
};
