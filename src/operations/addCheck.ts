/** addCheck: added unvalidated in expand, validated at contract, dropped on rollback. */
import { columnsOf, requireTable } from './common.js';
import { constraintNames } from './addForeignKey.js';
import { emptyPlan, type Operation, type ValidationIssue } from './types.js';

/** Columns of `columns` the expression names (bare or double-quoted, outside string literals). */
export function mentionedColumns(expression: string, columns: string[]): string[] {
  const tokens = expression.match(/'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*/g) ?? [];
  const named = new Set(tokens.filter((t) => !t.startsWith("'")).map((t) => (t.startsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t.toLowerCase())));
  return columns.filter((c) => named.has(c));
}

export const addCheck: Operation<'addCheck'> = {
  kind: 'addCheck',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    if (t && constraintNames(t).includes(spec.name)) {
      issues.push({ path: ['name'], message: `table "${spec.table}" already has a constraint "${spec.name}"` });
    }
    return issues;
  },

  expressions(spec, ctx) {
    return [{ path: ['expression'], table: spec.table, sql: spec.expression, columns: columnsOf(ctx.model.table(spec.table)), boolean: true }];
  },

  project(spec, model) {
    const t = model.table(spec.table);
    if (!t || t.checks.some((c) => c.name === spec.name)) return;
    const columns = mentionedColumns(spec.expression, t.columns.map((c) => c.name));
    t.checks.push({ name: spec.name, expression: spec.expression, columns });
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    return {
      ...emptyPlan(),
      expand: ddl.addCheck(spec.table, spec.name, spec.expression),
      contract: ddl.validateConstraint(spec.table, spec.name),
      rollback: ddl.dropConstraint(spec.table, spec.name),
    };
  },
};
