/**
 * setNotNull: existing NULLs are backfilled from `up` and a trigger fills
 * NULLs old writers still send; an unvalidated CHECK guards new writes. At
 * contract the check is validated (no write lock) and NOT NULL is set
 * without a scan.
 */
import { atomic, emptyPlan, type Operation } from './types.js';
import { columnsOf, exprCheck, requireColumn, requireTable } from './common.js';

export const setNotNull: Operation<'setNotNull'> = {
  kind: 'setNotNull',
  validate(spec, { model, expr }) {
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.column, ['column'], issues);
    const col = t?.columns.find((c) => c.name === spec.column);
    if (col && !col.nullable) issues.push({ path: ['column'], message: `"${spec.table}"."${spec.column}" is already NOT NULL` });
    if (spec.up !== undefined && expr(spec.up) === undefined) issues.push({ path: ['up'], message: 'no expression for this database' });
    return issues;
  },
  expressions(spec, { model, expr }) {
    const t = model.table(spec.table);
    const col = t?.columns.find((c) => c.name === spec.column);
    return spec.up === undefined || !col ? [] : exprCheck(['up'], spec.table, expr(spec.up), columnsOf(t), col.type);
  },
  backfillTables: (spec) => (spec.up !== undefined ? [spec.table] : []),
  project(spec, model) {
    const col = model.column(spec.table, spec.column);
    if (col) col.nullable = false;
  },
  plan(spec, ctx) {
    const { ddl } = ctx;
    const q = (id: string) => ctx.dialect.quote(id);
    const t = ctx.model.table(spec.table)!;
    const col = { ...t.columns.find((c) => c.name === spec.column)!, nullable: false };
    const plan = emptyPlan();
    const check = ctx.name('nn');
    const up = spec.up === undefined ? undefined : ctx.expr(spec.up);
    if (up !== undefined) {
      const fillName = ctx.name('fill');
      const trigger = ddl.fillTrigger({ name: fillName, table: spec.table, column: spec.column, expr: up, columns: t.columns.map((c) => c.name) });
      // Trigger first: the check must never see a NULL an old writer sent.
      plan.expand.push(...atomic(trigger.create, ddl.addNotNullCheck(spec.table, col, check)));
      plan.backfill.push({ table: spec.table, set: { [spec.column]: up }, where: `${q(spec.column)} IS NULL`, bypass: [fillName] });
      plan.contract.push(...ddl.enforceNotNull(spec.table, col, check), ...atomic(trigger.drop));
      plan.rollback.push(...atomic(trigger.drop, ddl.dropConstraint(spec.table, check)));
    } else {
      // Without `up` old writers may still send NULL: the check waits for contract, when they are gone.
      plan.contract.push(...ddl.addNotNullCheck(spec.table, col, check), ...ddl.enforceNotNull(spec.table, col, check));
    }
    return plan;
  },
};
