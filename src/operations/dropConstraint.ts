/**
 * dropConstraint: nothing at expand (old code may rely on it), dropped at
 * contract.
 *
 * pgroll's `up`/`down` (one-column constraints): pgroll copies the column,
 * lets the new version write the copy freely (`up` the column itself) and
 * converts its writes back with `down`. xc keeps one column written by both
 * versions and the constraint on it until contract: `down` converts, until
 * then, any write that would break the constraint instead of refusing it
 * (constraintDown.ts); `up` can only be the column itself (there is no copy
 * to convert into, and the new shape has no constraint to meet).
 */
import { atomic, emptyPlan } from '../plan/index.js';
import { clusterKeyIssues, keyReferences, requireTable } from './common.js';
import { constraintNames } from './addForeignKey.js';
import { converts } from './constraintConversion.js';
import { constraintTest, downColumns, downExpressions, downIssues, downTrigger, type Down } from './constraintDown.js';
import type { Operation, ValidateContext, ValidationIssue } from './types.js';
import type { OperationSpec } from '../migration/schema.js';

type Spec = OperationSpec<'dropConstraint'>;

/** The `down` that converts, on the constraint's one column; none when absent or the column itself. */
function downs(spec: Spec, ctx: Pick<ValidateContext, 'model' | 'dialect'>): Down[] {
  const t = ctx.model.table(spec.table);
  if (spec.down === undefined || !t) return [];
  const [column, ...more] = constraintTest(t, spec.name).columns;
  const sql = ctx.dialect.resolveExpr(spec.down)?.trim();
  if (column === undefined || more.length > 0 || (sql !== undefined && !converts(column, sql, ctx.dialect))) return [];
  return [{ column, down: spec.down, path: ['down'] }];
}

/** `up`/`down` need a constraint over one column; `up` is that column itself. */
function upDownIssues(spec: Spec, t: NonNullable<ReturnType<ValidateContext['model']['table']>>, ctx: ValidateContext): ValidationIssue[] {
  if (spec.up === undefined && spec.down === undefined) return [];
  const { columns } = constraintTest(t, spec.name);
  if (columns.length !== 1) {
    const key = spec.up !== undefined ? 'up' : 'down';
    const over = columns.length === 0 ? 'no column' : `${columns.length} columns (${columns.map((c) => `"${c}"`).join(', ')})`;
    return [{ path: [key], code: 'unsupported', feature: `${key} of a constraint over ${columns.length === 0 ? 'no column' : 'several columns'}`, message: `"${spec.name}" covers ${over}: \`up\`/\`down\` name one column's conversion; use dropMultiColumnConstraint, whose \`up\`/\`down\` give one per column` }];
  }
  const column = columns[0]!;
  const issues: ValidationIssue[] = [];
  if (spec.up !== undefined) {
    const up = ctx.dialect.resolveExpr(spec.up)?.trim();
    if (up === undefined) issues.push({ path: ['up'], code: 'no_variant', message: 'no expression for this database' });
    else if (converts(column, up, ctx.dialect)) {
      issues.push({ path: ['up'], code: 'unsupported', feature: 'up conversion', message: `\`up\` converting "${column}" is not supported here: xc keeps no copy of "${column}" for the new version (both versions write the column itself until contract), and the new shape has no constraint to convert for; give \`${column}\` itself or leave \`up\` out` });
    }
  }
  return [...issues, ...downIssues(spec.table, spec.name, downs(spec, ctx), ctx)];
}

/**
 * What the constraint goes on refusing until contract, for both versions: the new version's writes it is dropped for
 * (campaign FD: a foreign key dropped for the new version's writes refused 31 of them until contract, plan silent).
 */
function refusedUntilContract(spec: Spec, ctx: Pick<ValidateContext, 'model'>): string | undefined {
  const t = ctx.model.table(spec.table);
  if (!t) return undefined;
  const check = t.checks.find((c) => c.name === spec.name);
  const fk = t.foreignKeys.find((f) => f.name === spec.name);
  const key = t.indexes.find((i) => i.constraint === spec.name);
  const columns = check?.columns ?? fk?.columns ?? key?.columns ?? [];
  const cols = columns.map((c) => `"${c}"`).join(', ');
  const what = check ? `writes that break "${spec.name}" (${check.expression})` : fk ? `writes of ${cols} that match no row of "${fk.refTable}"` : key?.exclusion ? `writes that conflict with a row under "${spec.name}"` : key ? `writes that repeat a value of ${cols}` : undefined;
  if (!what) return undefined;
  // A one-column check or foreign key can convert them meanwhile; a repeated value has nothing to convert to.
  const down = columns.length === 1 && !key ? ', or give `down` to convert them until then' : '';
  return `"${spec.table}" keeps "${spec.name}" until contract: ${what} are refused, for both versions, until \`xc contract\` drops it — deploy the version that writes them after contract${down}`;
}

export const dropConstraint: Operation<'dropConstraint'> = {
  kind: 'dropConstraint',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    if (!t) return issues;
    if (!constraintNames(t).includes(spec.name)) {
      issues.push({ path: ['name'], code: 'constraint_missing', table: spec.table, name: spec.name, message: `table "${spec.table}" has no constraint "${spec.name}"` });
      return issues;
    }
    issues.push(...upDownIssues(spec, t, ctx));
    issues.push(...clusterKeyIssues(ctx.dialect, t, (i) => i.constraint === spec.name, 'dropConstraint drops', ['name']));
    // A primary key or unique constraint may be what another table's foreign key points at.
    const key = t.indexes.find((i) => i.constraint === spec.name)?.columns;
    for (const fk of key ? keyReferences(ctx.model, spec.table, key) : []) {
      issues.push({ path: ['name'], code: 'referenced', table: spec.table, constraint: spec.name, foreignKey: fk.name, referencing: fk.referencing, message: `foreign key "${fk.name}" of "${fk.referencing}" depends on "${spec.name}"; drop that key first` });
    }
    return issues;
  },

  expressions: (spec, ctx) => downExpressions(spec.table, downs(spec, ctx), ctx),

  synced(spec, ctx) {
    return downColumns(spec.table, downs(spec, ctx), ctx);
  },

  contractTables: (spec) => [spec.table],

  project(spec, model) {
    const t = model.table(spec.table);
    if (!t) return;
    t.checks = t.checks.filter((c) => c.name !== spec.name);
    t.foreignKeys = t.foreignKeys.filter((f) => f.name !== spec.name);
    // Dropping a primary key or unique constraint drops the index behind it.
    if (t.indexes.some((i) => i.constraint === spec.name && i.primary)) t.primaryKey = [];
    t.indexes = t.indexes.filter((i) => i.constraint !== spec.name);
  },

  plan(spec, ctx) {
    const drop = ctx.ddl.dropConstraint(spec.table, spec.name);
    const d = downs(spec, ctx);
    if (d.length === 0) {
      const note = refusedUntilContract(spec, ctx);
      return { ...emptyPlan(), contract: drop, ...(note ? { notes: [note] } : {}) };
    }
    const trigger = downTrigger(spec.table, spec.name, d, ctx);
    // The constraint first: until it is gone the trigger still converts, so no write is refused in between.
    return { ...emptyPlan(), expand: trigger.create, contract: atomic(drop, trigger.drop), rollback: trigger.drop };
  },
};
