/**
 * `up`/`down` of createConstraint and dropMultiColumnConstraint (pgroll's
 * per-column conversions). pgroll converts what old writers send through
 * copies of the columns, so their writes never break the new constraint.
 *
 * xc builds a constraint on the columns themselves, which both versions
 * write: `up`/`down` that are the column itself (pgroll's default, and what
 * its examples write) ask for exactly that and are taken. A check's `up`,
 * or a one-column unique constraint's, that converts goes through shadow
 * columns (shadow.ts): each converted column gets a shadow kept equal to
 * `up` of the row, the constraint is built over the shadows at expand (so it
 * judges converted values: a write is refused only where `up` cannot mend
 * it), both versions read and write the columns as they are, and the
 * contract's cut-over puts the shadows in the columns' place, the constraint
 * with them. Any other conversion is refused, never silently ignored: there
 * a write breaking the constraint is refused from expand on, whichever
 * version sends it. `down` has nothing to convert back: no version writes a
 * shadow.
 */
import type { Expr, OperationSpec } from '../migration/schema.js';
import type { Dialect } from '../dialects/dialect.js';
import type { OperationPlan } from '../plan/index.js';
import { refuseUncopyable } from './common.js';
import { planShadowColumns, shadowIssues } from './shadow.js';
import type { PlanContext, ValidateContext, ValidationIssue } from './types.js';

type Spec = OperationSpec<'createConstraint'>;

/** `up` or `down` of `column` asks for a conversion: it is not the column itself. */
export const converts = (column: string, sql: string, dialect: Pick<Dialect, 'quote'>) => sql !== column && sql !== dialect.quote(column);

/** The columns `up` converts, each with its expression as `resolve` gives it, in `columns` order. */
export function conversions(spec: Pick<Spec, 'columns' | 'up'>, resolve: (e: Expr) => string | undefined, dialect: Pick<Dialect, 'quote' | 'resolveExpr'>): { column: string; up: string }[] {
  return spec.columns.flatMap((column) => {
    const e = spec.up?.[column];
    const sql = e === undefined ? undefined : dialect.resolveExpr(e)?.trim();
    return sql !== undefined && converts(column, sql, dialect) ? [{ column, up: resolve(e!)! }] : [];
  });
}

/**
 * Issues with `up`/`down`: a key that is none of `columns` (as pgroll
 * refuses it), an expression without this database's variant, a `down` that
 * converts, an `up` that converts where `convertible` is false.
 */
export function upDownIssues(
  spec: { table: string; up?: Record<string, Expr>; down?: Record<string, Expr> },
  columns: string[],
  ctx: Pick<ValidateContext, 'dialect'>,
  opts: { convertible?: boolean; why?: string } = {},
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const key of ['up', 'down'] as const) {
    for (const [column, e] of Object.entries(spec[key] ?? {})) {
      const path = [key, column];
      if (!columns.includes(column)) {
        issues.push({ path, code: 'column_missing', table: spec.table, column, message: `"${column}" is none of the constraint's columns (${columns.map((c) => `"${c}"`).join(', ')}); \`${key}\` names only those` });
        continue;
      }
      const sql = ctx.dialect.resolveExpr(e)?.trim();
      if (sql === undefined) {
        issues.push({ path, code: 'no_variant', message: 'no expression for this database' });
      } else if (converts(column, sql, ctx.dialect) && (key === 'down' || !opts.convertible)) {
        const why =
          key === 'down'
            ? `no version writes a copy of "${column}" to convert back from (both write the column itself); give \`${column}\` itself or leave \`down\` out`
            : `${opts.why ?? 'xc builds this constraint on the columns as they are, so from expand on a write that breaks it is refused, from either version'}. ` +
              `Give \`${column}\` itself (no conversion) or leave \`up\` out, and fix the data or the old writers first (a \`sql\` operation, or a migration of its own)`;
        issues.push({ path, code: 'unsupported', feature: `${key} conversion`, message: `\`${key}\` converting "${column}" is not supported here: ${why}` });
      }
    }
  }
  return issues;
}

/**
 * Whether `up` may convert for this constraint, and why not: a check, or a
 * unique constraint over one column (its index is copied over the shadow,
 * as shadow.ts copies an index, and takes its name at the cut-over).
 */
export function convertibility(spec: Spec): { convertible: boolean; why?: string } {
  if (spec.type === 'check') return { convertible: true };
  if (spec.type === 'unique' && spec.columns.length === 1) {
    return spec.include || spec.nullsNotDistinct || spec.deferrable || spec.initiallyDeferred
      ? { convertible: false, why: 'a unique constraint with `include`, `nullsNotDistinct` or deferrable converts nothing here (the copy of its index over the shadow column would not keep them), so from expand on a write that breaks it is refused, from either version' }
      : { convertible: true };
  }
  return {
    convertible: false,
    why: `a ${spec.type === 'unique' ? 'unique constraint over several columns' : spec.type.replace('_', ' ')} converts nothing here (only a check, or a unique constraint over one column, does, through a copy of the column), so from expand on a write that breaks it is refused, from either version`,
  };
}

/** What the shadows of the converted columns cannot take (a key column, one another table references, an index over two of them). */
export function conversionIssues(spec: Spec, ctx: ValidateContext): ValidationIssue[] {
  const t = ctx.model.table(spec.table);
  const converted = conversions(spec, ctx.expr, ctx.dialect).map((c) => c.column);
  const issues: ValidationIssue[] = [];
  for (const c of converted) refuseUncopyable(ctx.model, t, c, ['up', c], issues);
  return [...issues, ...(converted.length > 0 ? shadowIssues(ctx, spec.table, converted, ['up']) : [])];
}

/** `sql` with each converted column replaced by `to(conversion)`: the check over the row as `up` converts it, or over the shadows. */
export function overConverted(sql: string, table: string, convs: { column: string; up: string }[], dialect: Pick<Dialect, 'substituteColumn' | 'quote'>, to: (c: { column: string; up: string }, i: number) => string): string {
  return convs.reduce((text, c, i) => {
    // The tokenizer names a column only as an identifier, which it quotes: stand-in name first (for `t.col` too), then the text.
    const stand = dialect.quote(`_xc_converted_${i}_`);
    return dialect.substituteColumn(text, table, c.column, stand).split(stand).join(to(c, i));
  }, sql);
}

/**
 * A check whose `up` converts: shadows of the converted columns (shadow.ts)
 * and the check over them at expand; the cut-over at contract drops it with
 * the trigger and adds it again over the columns, then validates it.
 */
export function convertingCheckPlan(spec: Spec, ctx: PlanContext): OperationPlan {
  const t = ctx.model.table(spec.table)!;
  const check = spec.check!;
  const convs = conversions(spec, ctx.expr, ctx.dialect);
  // The cut-over drops and adds again the checks over the columns it replaces: this one is given to it as one of them.
  const withCheck = ctx.model.clone();
  withCheck.table(spec.table)!.checks.push({ name: spec.name, expression: check, columns: ctx.dialect.columnsNamed(check, spec.table, t.columns.map((c) => c.name)) });
  const shadows = convs.map((c) => {
    const col = t.columns.find((x) => x.name === c.column)!;
    return { column: c.column, type: col.type, nullable: col.nullable, default: col.default, up: c.up };
  });
  const plan = planShadowColumns({ ...ctx, model: withCheck }, spec.table, shadows, [spec.name]);
  const added = plan.expand.flatMap((st) => st.creates ?? []).filter((o) => o.kind === 'column' && o.table === spec.table).map((o) => o.name);
  if (added.length !== convs.length) throw new Error(`createConstraint ${spec.name}: expected ${convs.length} shadow column(s), the plan adds ${added.length}`);
  // After the shadows and their trigger: the check judges each write as `up` converts it.
  plan.expand.push(...ctx.ddl.addCheck(spec.table, spec.name, overConverted(check, spec.table, convs, ctx.dialect, (_c, i) => ctx.dialect.quote(added[i]!))));
  // The check goes first: it names the shadows the rest of the rollback drops.
  plan.rollback.unshift(...ctx.ddl.dropConstraint(spec.table, spec.name));
  return plan;
}

/**
 * A unique constraint over one column whose `up` converts: the column's
 * shadow (shadow.ts) with a copy of the constraint's index over it, built at
 * expand, so the index judges converted values; the cut-over at contract
 * gives the copy the constraint's name (PostgreSQL: ADD CONSTRAINT … UNIQUE
 * USING INDEX). Everything is the shadow machinery's: the constraint is
 * handed to it as if the column had it already.
 */
export function convertingUniquePlan(spec: Spec, ctx: PlanContext): OperationPlan {
  const t = ctx.model.table(spec.table)!;
  const [conv] = conversions(spec, ctx.expr, ctx.dialect);
  const col = t.columns.find((x) => x.name === conv!.column)!;
  const withKey = ctx.model.clone();
  withKey.table(spec.table)!.indexes.push({ name: spec.name, columns: spec.columns, unique: true, primary: false, constraint: spec.name });
  return planShadowColumns({ ...ctx, model: withKey }, spec.table, [{ column: col.name, type: col.type, nullable: col.nullable, default: col.default, up: conv!.up }]);
}
