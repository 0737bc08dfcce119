/**
 * dropMultiColumnConstraint (pgroll's drop_multicolumn_constraint): a
 * constraint over one or more columns, dropped at contract as dropConstraint
 * drops it (old code may rely on it until then). pgroll's `up`/`down` let the
 * new version write what the constraint refuses, through copies of its
 * columns; here the constraint stays on the columns until contract, so both
 * versions' writes meet it: `up` can only be the column itself
 * (constraintConversion.ts), and each column's converting `down` is what
 * dropConstraint's `down` is (constraintDown.ts): a write that would break
 * the constraint has those columns set to their `down` instead of being
 * refused, until contract.
 */
import type { TableModel } from '../schema/model.js';
import { atomic, emptyPlan } from '../plan/index.js';
import { dropConstraint } from './dropConstraint.js';
import { converts, upDownIssues } from './constraintConversion.js';
import { constraintTest, downColumns, downExpressions, downIssues, downTrigger, type Down } from './constraintDown.js';
import type { Operation, ValidateContext } from './types.js';
import type { OperationSpec } from '../migration/schema.js';

/** The columns the named constraint covers. */
function constraintColumns(t: TableModel | undefined, name: string): string[] {
  return t ? constraintTest(t, name).columns : [];
}

/** The `down`s that convert, each on one of the constraint's columns (others are refused by validate). */
function downs(spec: OperationSpec<'dropMultiColumnConstraint'>, ctx: Pick<ValidateContext, 'model' | 'dialect'>): Down[] {
  const columns = constraintColumns(ctx.model.table(spec.table), spec.name);
  return Object.entries(spec.down ?? {}).flatMap(([column, down]) => {
    const sql = ctx.dialect.resolveExpr(down)?.trim();
    return columns.includes(column) && (sql === undefined || converts(column, sql, ctx.dialect)) ? [{ column, down, path: ['down', column] }] : [];
  });
}

export const dropMultiColumnConstraint: Operation<'dropMultiColumnConstraint'> = {
  kind: 'dropMultiColumnConstraint',

  validate(spec, ctx) {
    const issues = dropConstraint.validate({ table: spec.table, name: spec.name }, ctx);
    if (issues.length > 0) return issues;
    const why = 'xc keeps no copies of the columns for the new version (both versions write the columns themselves until contract), and the new shape has no constraint to convert for';
    const columns = constraintColumns(ctx.model.table(spec.table), spec.name);
    // `down` keys naming none of the columns are refused there; its conversions are checked here.
    const unknownDowns = Object.fromEntries(Object.entries(spec.down ?? {}).filter(([c]) => !columns.includes(c)));
    return [...upDownIssues({ table: spec.table, up: spec.up, down: unknownDowns }, columns, ctx, { why }), ...downIssues(spec.table, spec.name, downs(spec, ctx), ctx)];
  },

  expressions: (spec, ctx) => downExpressions(spec.table, downs(spec, ctx), ctx),

  synced: (spec, ctx) => downColumns(spec.table, downs(spec, ctx), ctx),

  contractTables: (spec) => [spec.table],

  project(spec, model, dialect) {
    dropConstraint.project({ table: spec.table, name: spec.name }, model, dialect);
  },

  plan(spec, ctx) {
    const drop = dropConstraint.plan({ table: spec.table, name: spec.name }, ctx);
    const d = downs(spec, ctx);
    if (d.length === 0) return drop;
    const trigger = downTrigger(spec.table, spec.name, d, ctx);
    // The constraint first: until it is gone the trigger still converts, so no write is refused in between.
    return { ...emptyPlan(), expand: trigger.create, contract: atomic(drop.contract, trigger.drop), rollback: trigger.drop };
  },
};
