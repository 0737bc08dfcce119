/**
 * sql: the author's own statements for each phase, plus an optional batched
 * backfill. xc cannot see inside the SQL, so it neither validates nor
 * projects what the statements do.
 */
import { columnsOf } from './common.js';
import { emptyPlan, type ExpressionCheck, type Operation, type ValidationIssue } from './types.js';

export const sql: Operation<'sql'> = {
  kind: 'sql',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    for (const [column, e] of Object.entries(spec.backfill?.set ?? {})) {
      if (ctx.expr(e) === undefined) {
        issues.push({ path: ['backfill', 'set', column], message: `no "${ctx.dialect.name}" variant of the expression for "${column}"` });
      }
    }
    return issues;
  },

  expressions(spec, ctx) {
    const b = spec.backfill;
    const t = b && ctx.model.table(b.table);
    if (!b || !t) return [];
    // When the expand SQL creates the target columns the model cannot know them: leave those expressions to the backfill itself.
    const targets = Object.keys(b.set).map((name) => t.columns.find((c) => c.name === name));
    if (targets.some((c) => c === undefined)) return [];
    const columns = columnsOf(t);
    const checks: ExpressionCheck[] = [];
    for (const [name, e] of Object.entries(b.set)) {
      const resolved = ctx.expr(e);
      const castTo = t.columns.find((c) => c.name === name)?.type;
      if (resolved !== undefined) checks.push({ path: ['backfill', 'set', name], table: b.table, sql: resolved, columns, castTo });
    }
    if (b.where) checks.push({ path: ['backfill', 'where'], table: b.table, sql: b.where, columns, boolean: true });
    return checks;
  },

  statements: (spec) => (['expand', 'contract', 'rollback'] as const).flatMap((phase) => (spec[phase] === undefined ? [] : [{ path: [phase], sql: spec[phase]! }])),

  backfillTables(spec) {
    return spec.backfill ? [spec.backfill.table] : [];
  },

  project() {
    // Opaque SQL: the catalog read after expand is the only truth about it.
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    const plan = emptyPlan();
    plan.expand = [ddl.raw(spec.expand, 'author SQL (expand)')];
    if (spec.contract) plan.contract = [ddl.raw(spec.contract, 'author SQL (contract)')];
    if (spec.rollback) plan.rollback = [ddl.raw(spec.rollback, 'author SQL (rollback)')];
    if (spec.backfill) {
      const { table, set, where } = spec.backfill;
      const resolved = Object.fromEntries(Object.entries(set).map(([column, e]) => [column, ctx.expr(e)]));
      plan.backfill = [{ table, set: resolved, ...(where ? { where: ctx.expr(where) } : {}) }];
    }
    return plan;
  },
};
