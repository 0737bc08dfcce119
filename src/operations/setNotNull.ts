/**
 * setNotNull: existing NULLs are backfilled from `up` and a trigger fills
 * NULLs old writers still send; an unvalidated CHECK guards new writes. At
 * contract the check is validated (no write lock) and NOT NULL is set
 * without a scan.
 *
 * VALIDATE fails on a single NULL, so contract must never meet one: rows
 * that `up` cannot fill (or, without `up`, any NULL) refuse the migration at
 * plan time, and the verify before contract checks again for NULLs written
 * meanwhile — a refusal there leaves the migration backfilled, from where it
 * can still be rolled back.
 */
import { atomic, emptyPlan, removing } from '../plan/index.js';
import type { Operation } from './types.js';
import { keyedBackfill, keyedCheck } from './batches.js';
import { readFillInPlan } from './plannedReads.js';
import { columnsOf, exprCheck, nullabilityIssues, requireColumn, requireTable, setNullKeyIssues, triggerColumns } from './common.js';

export const setNotNull: Operation<'setNotNull'> = {
  rollbackSparesNewVersion: () => true,
  kind: 'setNotNull',
  validate(spec, { model, expr, dialect }) {
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.column, ['column'], issues);
    const col = t?.columns.find((c) => c.name === spec.column);
    if (col && !col.nullable) issues.push({ path: ['column'], code: 'already_not_null', table: spec.table, column: spec.column, message: `"${spec.table}"."${spec.column}" is already NOT NULL` });
    else if (col) issues.push(...nullabilityIssues(dialect, t, spec.column, col.type, true, 'its contract', ['column']), ...setNullKeyIssues(dialect, t, spec.column, ['column']));
    if (spec.up !== undefined && expr(spec.up) === undefined) issues.push({ path: ['up'], code: 'no_variant', message: 'no expression for this database' });
    return issues;
  },
  expressions(spec, { model, expr }) {
    const t = model.table(spec.table);
    const col = t?.columns.find((c) => c.name === spec.column);
    return spec.up === undefined || !col ? [] : exprCheck(['up'], spec.table, expr(spec.up), columnsOf(t), col.type);
  },
  rowChecks(spec, { model, expr, dialect }) {
    const up = spec.up === undefined ? undefined : expr(spec.up);
    if (!model.column(spec.table, spec.column) || (spec.up !== undefined && up === undefined)) return [];
    const isNull = `${dialect.quote(spec.column)} IS NULL`;
    return [
      up === undefined
        ? { path: ['column'], table: spec.table, violation: isNull, show: [spec.column], message: `"${spec.table}"."${spec.column}" holds NULL in existing rows, which NOT NULL would reject at contract; give \`up\` to fill them, or fix those rows first` }
        : { path: ['up'], table: spec.table, violation: `${isNull} AND (${up}) IS NULL`, show: [spec.column], message: `\`up\` gives NULL for existing rows whose "${spec.column}" is NULL, which NOT NULL would reject at contract; make \`up\` give a value for them` },
    ];
  },
  synced: (spec, ctx) => triggerColumns(ctx, spec.table, spec.up === undefined ? [] : [spec.column], [spec.up === undefined ? undefined : ctx.expr(spec.up)]),
  backfillTables: (spec) => (spec.up !== undefined ? [spec.table] : []),
  contractTables: (spec) => [spec.table],
  notNullAtContract: (spec) => ({ table: spec.table, columns: [spec.column] }),
  project(spec, model, dialect) {
    const col = model.column(spec.table, spec.column);
    if (!col) return;
    const up = spec.up === undefined ? undefined : dialect.resolveExpr(spec.up);
    if (up !== undefined) readFillInPlan({ table: spec.table, column: spec.column, type: col.type, up: dialect.embedExpression(up), nullsOnly: true }, model, dialect);
    col.nullable = false;
  },
  plan(spec, ctx) {
    const { ddl } = ctx;
    const q = (id: string) => ctx.dialect.quote(id);
    const t = ctx.model.table(spec.table)!;
    const col = { ...t.columns.find((c) => c.name === spec.column)!, nullable: false };
    const plan = emptyPlan();
    const check = ctx.name('nn');
    plan.verify.push(
      keyedCheck(ctx, {
        table: spec.table,
        description: `"${spec.column}" holds no NULL`,
        agrees: `${q(spec.column)} IS NOT NULL`,
        show: [spec.column],
        remedy: `Give those rows a value (an UPDATE), then run \`xc contract\` again; or \`xc rollback ${ctx.migrationId}\`.`,
      }),
    );
    const up = spec.up === undefined ? undefined : ctx.expr(spec.up);
    if (up !== undefined) {
      const fillName = ctx.name('fill');
      const trigger = ddl.fillTrigger({ name: fillName, table: spec.table, column: spec.column, expr: up, columns: t.columns.map((c) => c.name) });
      // Trigger first: the check must never see a NULL an old writer sent.
      plan.expand.push(...atomic(trigger.create, ddl.addNotNullCheck(spec.table, col, check)));
      plan.backfill.push(keyedBackfill(ctx, { table: spec.table, set: { [spec.column]: up }, where: `${q(spec.column)} IS NULL`, bypass: [fillName] }));
      plan.contract.push(...removing(ddl.enforceNotNull(spec.table, col, check)), ...atomic(trigger.drop));
      // The check goes first: where DDL is not transactional, an old writer's NULL must never meet it without the trigger that fills it.
      plan.rollback.push(...atomic(ddl.dropConstraint(spec.table, check), trigger.drop));
    } else {
      // Without `up` old writers may still send NULL: the check waits for contract, when they are gone.
      plan.contract.push(...ddl.addNotNullCheck(spec.table, col, check), ...removing(ddl.enforceNotNull(spec.table, col, check)));
      // Undoes a contract that failed before NOT NULL was set (a NULL written after the verify).
      plan.rollback.push(...ddl.dropConstraint(spec.table, check));
    }
    return plan;
  },
};
