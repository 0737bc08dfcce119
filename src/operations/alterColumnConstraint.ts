/**
 * alterColumn's `unique`, `check` and `references` (pgroll's alter_column
 * with a constraint), in place: the column gets the constraint as
 * createConstraint over that one column gives it — built at expand without
 * blocking writes, enforced for both versions' new writes, validated or
 * attached at contract — and `up` converts through a shadow where
 * createConstraint converts (a check's, a unique key's), refused where it
 * does not (a foreign key's). One such option at a time, and with no other
 * change of the column in the same operation (give that in an alterColumn
 * of its own): a constraint and a shadow of the same column would each want
 * the column for themselves.
 */
import type { OperationSpec } from '../migration/schema.js';
import type { Dialect } from '../dialects/dialect.js';
import type { ValidationIssue } from './types.js';
import { createConstraint } from './createConstraint.js';

type Spec = OperationSpec<'alterColumn'>;
type ConstraintSpec = OperationSpec<'createConstraint'>;

/** Which constraint option the operation gives, if any (`unique: false` asks for nothing). */
export function constraintOption(spec: Spec): 'unique' | 'check' | 'references' | undefined {
  const given = (['unique', 'check', 'references'] as const).filter((k) => spec[k] !== undefined && spec[k] !== false);
  return given[0];
}

/** The createConstraint the option stands for. */
export function asConstraint(spec: Spec, dialect?: Pick<Dialect, 'constraintName'>): ConstraintSpec {
  // Without the dialect (methods given the spec alone), a name stands in: those methods do not read it.
  const named = (label: string) => dialect?.constraintName(spec.table, spec.column, label) ?? `${spec.table}_${spec.column}_${label}`;
  const base = {
    table: spec.table,
    columns: [spec.column],
    ...(spec.up !== undefined ? { up: { [spec.column]: spec.up } } : {}),
    ...(spec.down !== undefined ? { down: { [spec.column]: spec.down } } : {}),
  };
  if (spec.check) return { ...base, type: 'check', name: spec.check.name, check: spec.check.expression };
  if (spec.references) {
    const { name, ...references } = spec.references;
    return { ...base, type: 'foreign_key', name: name ?? named('fkey'), references };
  }
  const name = typeof spec.unique === 'object' ? spec.unique.name : named('key');
  return { ...base, type: 'unique', name };
}

/** Where createConstraint's issue is in the alterColumn operation. */
function mapPath(path: (string | number)[], option: string): (string | number)[] {
  const [head, ...rest] = path;
  if (head === 'up' || head === 'down') return [head];
  if (head === 'columns' || head === 'table') return [head === 'table' ? 'table' : 'column'];
  if (head === 'references') return [option, ...rest];
  if (head === 'name') return [option, 'name'];
  if (head === 'check') return [option, 'expression'];
  return [option];
}

/** Issues of the option itself, then createConstraint's, placed in the operation. */
export function constraintIssues(spec: Spec, ctx: Parameters<typeof createConstraint.validate>[1]): ValidationIssue[] {
  const option = constraintOption(spec)!;
  const others = (['unique', 'check', 'references'] as const).filter((k) => k !== option && spec[k] !== undefined && spec[k] !== false);
  const changes = (['to', 'type', 'nullable', 'default', 'comment'] as const).filter((k) => spec[k] !== undefined);
  const issues: ValidationIssue[] = [];
  for (const k of [...others, ...changes]) {
    issues.push({ path: [k], code: 'unsupported', feature: k, message: `\`${option}\` changes the column in place by itself: give \`${k}\` in an alterColumn operation of its own (before or after this one)` });
  }
  if (issues.length > 0) return issues;
  return createConstraint.validate(asConstraint(spec, ctx.dialect), ctx).map((i) => ({ ...i, path: mapPath(i.path, option) }));
}

/** createConstraint's answers, with paths placed in the operation (expressions, row checks). */
export function placed<T extends { path: (string | number)[] }>(spec: Spec, items: T[]): T[] {
  const option = constraintOption(spec)!;
  return items.map((i) => ({ ...i, path: mapPath(i.path, option) }));
}
