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
import type { ValidateContext, ValidationIssue } from './types.js';
import { createConstraint } from './createConstraint.js';
import { caseNote, sameName } from '../dialects/names.js';

type Spec = OperationSpec<'alterColumn'>;
type ConstraintSpec = OperationSpec<'createConstraint'>;

/** The constraint options the operation gives (`unique: false` asks for nothing). */
export const constraintOptions = (spec: Spec) => (['unique', 'check', 'references'] as const).filter((k) => spec[k] !== undefined && spec[k] !== false);

/** Which constraint option the operation gives, if any. */
export function constraintOption(spec: Spec): 'unique' | 'check' | 'references' | undefined {
  return constraintOptions(spec)[0];
}

/** The column's other changes given with them. */
const otherChanges = (spec: Spec) => (['to', 'type', 'nullable', 'default', 'comment'] as const).filter((k) => spec[k] !== undefined);

/**
 * One constraint option alone: createConstraint over the column does it all.
 * Otherwise (pgroll's 35: a type, a default, NOT NULL, a comment, unique and
 * check at once) the column goes through a shadow with the constraints on it
 * (alterColumn.ts, planWithConstraints).
 */
export const delegated = (spec: Spec) => constraintOptions(spec).length === 1 && otherChanges(spec).length === 0;

/** The constraints a shadow of the column carries (unique, check): their createConstraint specs. */
export function shadowConstraints(spec: Spec, dialect?: Pick<Dialect, 'constraintName'>): ConstraintSpec[] {
  return constraintOptions(spec)
    .filter((k) => k !== 'references')
    .map((k) => asConstraint({ table: spec.table, column: spec.column, [k]: spec[k], ...(spec.up !== undefined ? { up: spec.up } : {}) } as Spec, dialect));
}

/** What the shadow path cannot take with constraint options: `to`, a foreign key. */
export function combinationIssues(spec: Spec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (spec.to !== undefined) issues.push({ path: ['to'], code: 'unsupported', feature: 'to', message: 'a constraint option changes the column in place: without `to` (rename the column in an operation of its own)' });
  if (spec.references !== undefined) {
    issues.push({ path: ['references'], code: 'unsupported', feature: 'references', message: '`references` changes the column by itself: give the other changes in an alterColumn operation of their own — a type change in a migration before this one, contracted first (a key over a column in the middle of a type change cannot be built: campaign DV), the rest before or after it in the same migration' });
  }
  return issues;
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

/** createConstraint's issues, placed in the operation. */
export function constraintIssues(spec: Spec, ctx: Parameters<typeof createConstraint.validate>[1]): ValidationIssue[] {
  return createConstraint.validate(asConstraint(spec, ctx.dialect), ctx).map((i) => ({ ...i, path: mapPath(i.path, constraintOption(spec)!) }));
}

/** The name of each constraint a shadow carries, not taken on the table (nor, for a unique key's index, where indexes share names). */
export function nameIssues(spec: Spec, ctx: Pick<ValidateContext, 'model' | 'dialect'>): ValidationIssue[] {
  const t = ctx.model.table(spec.table);
  if (!t) return [];
  const names = [...t.checks.map((k) => k.name), ...t.foreignKeys.map((k) => k.name), ...t.indexes.flatMap((i) => [i.name, i.constraint ?? ''])];
  return shadowConstraints(spec, ctx.dialect).flatMap((c): ValidationIssue[] => {
    const path = [c.type === 'check' ? 'check' : 'unique', 'name'];
    const existing = names.find((n) => sameName(n, c.name, ctx.dialect.names));
    if (existing) return [{ path, code: 'name_taken', name: c.name, table: spec.table, message: `table "${spec.table}" already has a constraint or index "${existing}"${caseNote(existing, c.name, 'constraint and index')}` }];
    const held = c.type === 'unique' ? ctx.dialect.nameTaken(ctx.model, 'index', c.name, spec.table) : undefined;
    return held ? [{ path, code: 'name_taken', name: c.name, table: spec.table, message: `${held} already exists; give the constraint another name` }] : [];
  });
}

/** createConstraint's answers, with paths placed in the operation (expressions, row checks); `option`: whose they are. */
export function placed<T extends { path: (string | number)[] }>(spec: Spec, items: T[], option = constraintOption(spec)!): T[] {
  return items.map((i) => ({ ...i, path: mapPath(i.path, option) }));
}
