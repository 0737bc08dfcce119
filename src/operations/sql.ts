/**
 * sql: the author's own statements for each phase, plus an optional batched
 * backfill. Only `contract` may be given (pgroll's onComplete): nothing runs
 * at expand, and the statements run once the old version is gone. xc cannot
 * see inside the SQL, so it neither validates nor projects what the
 * statements do; the server parses them at plan (each dialect's
 * sqlSyntaxIssue), so a typo is refused before anything runs.
 */
import { columnsOf } from './common.js';
import { keyedBackfill } from './batches.js';
import { emptyPlan, type ExpressionCheck } from '../plan/index.js';
import { readFillInPlan, readsFilledTable } from './plannedReads.js';
import type { Operation, ValidateContext, ValidationIssue } from './types.js';
import type { OperationSpec } from '../migration/schema.js';

/** The backfill's table and every column it sets exist already: its expressions can be compiled against them. */
function targetsKnown(spec: OperationSpec<'sql'>, ctx: ValidateContext): boolean {
  const t = spec.backfill && ctx.model.table(spec.backfill.table);
  // When the expand SQL creates the table or the target columns the model cannot know them.
  return !!t && Object.keys(spec.backfill!.set).every((name) => t.columns.some((c) => c.name === name));
}

export const sql: Operation<'sql'> = {
  kind: 'sql',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    for (const field of ['expand', 'contract', 'rollback'] as const) {
      const issue = spec[field] === undefined ? undefined : ctx.dialect.rawSqlIssue?.(spec[field]);
      if (issue) issues.push({ path: [field], code: 'outside_transaction', message: issue });
    }
    for (const [column, e] of Object.entries(spec.backfill?.set ?? {})) {
      if (ctx.expr(e) === undefined) {
        issues.push({ path: ['backfill', 'set', column], code: 'no_variant', message: `no "${ctx.dialect.exprVariant}" variant of the expression for "${column}"` });
      }
    }
    return issues;
  },

  expressions(spec, ctx) {
    const b = spec.backfill;
    const t = b && ctx.model.table(b.table);
    if (!b || !t || !targetsKnown(spec, ctx)) return [];
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

  statements(spec, ctx) {
    const own = (['expand', 'contract', 'rollback'] as const).flatMap((phase) => (spec[phase] === undefined ? [] : [{ path: [phase], sql: spec[phase]! }]));
    const b = spec.backfill;
    if (!b || targetsKnown(spec, ctx)) return own;
    // Columns the expand SQL creates cannot be compiled against yet (see expressions): their syntax, at least, is checked
    // in a statement of the shape the backfill will run, parsed and never run.
    const q = (name: string) => ctx.dialect.quote(name);
    const set = Object.entries(b.set).flatMap(([column, e]) => {
      const resolved = ctx.expr(e);
      return resolved === undefined ? [] : [{ path: ['backfill', 'set', column], sql: `UPDATE ${q(b.table)} SET ${q(column)} = (${resolved})` }];
    });
    const where = b.where === undefined ? [] : [{ path: ['backfill', 'where'], sql: `SELECT 1 FROM ${q(b.table)} WHERE (${b.where})` }];
    return [...own, ...set, ...where];
  },

  backfillTables(spec) {
    return spec.backfill ? [spec.backfill.table] : [];
  },

  project(spec, model, dialect) {
    // Opaque SQL: the catalog read after expand is the only truth about it. But its batched backfill is xc's, over
    // columns the model has: later operations of the plan read the rows as it leaves them (a data migration, then
    // NOT NULL or a unique key over what it filled: campaign O refused the catch-up that one by one applies).
    const b = spec.backfill;
    const t = b && model.table(b.table);
    if (!b || !t) return;
    const where = b.where === undefined ? undefined : dialect.resolveExpr(b.where);
    if (b.where !== undefined && where === undefined) return;
    // Read before its own fill is: a subquery over a table the plan's earlier fills change sees it as it is now.
    const reads = [where, ...Object.values(b.set).map((e) => dialect.resolveExpr(e))].map((e) => (e === undefined ? undefined : readsFilledTable(e, model, dialect))).find((x) => x !== undefined);
    if (reads !== undefined) model.unsureHere.set(b.table, `the \`sql\` backfill of "${b.table}" before it, whose subquery reads "${reads}" as it is now (not as the fills planned before it leave it)`);
    for (const [column, e] of Object.entries(b.set)) {
      const type = t.columns.find((c) => c.name === column)?.type;
      const up = dialect.resolveExpr(e);
      if (type === undefined || up === undefined) continue;
      readFillInPlan({ table: b.table, column, type, up: dialect.embedExpression(up), nullsOnly: false, ...(where !== undefined ? { where: dialect.embedExpression(where) } : {}) }, model, dialect);
    }
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    const plan = emptyPlan();
    // Tagged with the operation and field: a rollback runs this operation's `rollback` only where its expand did something (engine/ownership.ts).
    const author = (field: 'expand' | 'contract' | 'rollback') => ({ ...ddl.raw(spec[field]!, `author SQL (${field})`), author: { op: ctx.opIndex, field } });
    if (spec.expand) plan.expand = [author('expand')];
    if (spec.contract) plan.contract = [author('contract')];
    if (spec.rollback) plan.rollback = [author('rollback')];
    if (spec.backfill) {
      const { table, set, where } = spec.backfill;
      const resolved = Object.fromEntries(Object.entries(set).map(([column, e]) => [column, ctx.expr(e)]));
      plan.backfill = [keyedBackfill(ctx, { table, set: resolved, ...(where ? { where: ctx.expr(where) } : {}) })];
    }
    return plan;
  },
};
