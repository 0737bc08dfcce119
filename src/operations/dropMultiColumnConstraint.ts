/**
 * dropMultiColumnConstraint (pgroll's drop_multicolumn_constraint): a
 * constraint over one or more columns, dropped at contract as dropConstraint
 * drops it (old code may rely on it until then). pgroll's `up`/`down` let the
 * new version write what the constraint refuses, through copies of its
 * columns; here the constraint stays on the columns until contract, so both
 * versions' writes meet it: `up`/`down` that are the column itself are
 * taken, a conversion is refused (constraintConversion.ts).
 */
import type { TableModel } from '../schema/model.js';
import { dropConstraint } from './dropConstraint.js';
import { upDownIssues } from './constraintConversion.js';
import type { Operation } from './types.js';

/** The columns the named constraint covers. */
function constraintColumns(t: TableModel | undefined, name: string): string[] {
  if (!t) return [];
  return (t.checks.find((c) => c.name === name) ?? t.foreignKeys.find((f) => f.name === name) ?? t.indexes.find((i) => i.constraint === name))?.columns ?? [];
}

export const dropMultiColumnConstraint: Operation<'dropMultiColumnConstraint'> = {
  kind: 'dropMultiColumnConstraint',

  validate(spec, ctx) {
    const issues = dropConstraint.validate({ table: spec.table, name: spec.name }, ctx);
    if (issues.length > 0) return issues;
    const why = 'the constraint stays on the columns until contract (no copies of them for the new version to write freely), so until then writes from both versions must meet it';
    return upDownIssues(spec, constraintColumns(ctx.model.table(spec.table), spec.name), ctx, { why });
  },

  contractTables: (spec) => [spec.table],

  project(spec, model, dialect) {
    dropConstraint.project({ table: spec.table, name: spec.name }, model, dialect);
  },

  plan(spec, ctx) {
    return dropConstraint.plan({ table: spec.table, name: spec.name }, ctx);
  },
};
