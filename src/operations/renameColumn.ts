/** renameColumn: a new column `to`, synced both ways with `from` until contract drops `from`. */
import type { Operation } from './types.js';
import { clusterKeyIssues, copiedExclusionIssues, copiedUniqueIndexIssues, domainDefaultIssue, refuseUncopyable, requireColumn, requireNoColumn, requireTable } from './common.js';
import { carriedKeyRowChecks, copyContractTables, planColumnCopy, projectColumnCopy, readCopyInPlan } from './columnCopy.js';

export const renameColumn: Operation<'renameColumn'> = {
  kind: 'renameColumn',
  validate(spec, { model, dialect }) {
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.from, ['from'], issues);
    requireNoColumn(t, spec.to, ['to'], issues, dialect.names, spec.from);
    refuseUncopyable(model, t, spec.from, ['from'], issues);
    issues.push(...copiedExclusionIssues(t, spec.from, ['from']));
    issues.push(...domainDefaultIssue(t, spec.from, ['from']));
    // Contract drops `from`, and its indexes with it (their copies over `to` take their names).
    issues.push(...clusterKeyIssues(dialect, t, (i) => i.columns.includes(spec.from), `renameColumn copies "${spec.from}" and drops it at contract, with`, ['from']));
    const from = t?.columns.find((c) => c.name === spec.from);
    if (from) issues.push(...copiedUniqueIndexIssues(dialect, t, spec.from, from.type, ['from']));
    return issues;
  },
  rowChecks: (spec, ctx) => carriedKeyRowChecks(ctx, spec.table, spec.from, ['from']),
  synced: (spec) => ({ table: spec.table, columns: [spec.from, spec.to] }),
  backfillTables: (spec) => [spec.table],
  removesAtContract: (spec) => [{ path: ['from'], table: spec.table, column: spec.from }],
  addsColumns: (spec) => [{ path: ['to'], table: spec.table, column: spec.to, grantsFrom: spec.from }],
  // The new column carries the old one's NOT NULL, from contract on.
  notNullAtContract: (spec, model) => ({ table: spec.table, columns: model.table(spec.table)?.columns.find((c) => c.name === spec.from)?.nullable === false ? [spec.to] : [] }),
  contractTables: (spec, model) => copyContractTables(model, spec.table, spec.from),
  project(spec, model, dialect) {
    readCopyInPlan(spec, model, dialect);
    projectColumnCopy({ ...spec, up: spec.from, down: spec.to }, model, dialect);
  },
  plan(spec, ctx) {
    return planColumnCopy({ ...spec, up: ctx.dialect.quote(spec.from), down: ctx.dialect.quote(spec.to) }, ctx);
  },
};

