/**
 * addForeignKey: added unvalidated in expand (enforced for new writes, no
 * scan under a blocking lock), validated at contract, dropped on rollback.
 * Existing rows without a parent are refused at plan time (the validation
 * would fail on them at contract); new ones are rejected from expand on.
 */
import { caseNote, sameName, type NameRules } from '../dialects/names.js';
import type { SchemaModel, TableModel } from '../schema/model.js';
import type { Dialect } from '../dialects/dialect.js';
import { referencedTable } from '../dialects/references.js';
import { requireColumn, requireTable } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidateContext, ValidationIssue } from './types.js';

/** Names of the table's constraints: checks, foreign keys, primary key and unique constraints. */
export function constraintNames(t: TableModel): string[] {
  return [...t.checks.map((c) => c.name), ...t.foreignKeys.map((f) => f.name), ...t.indexes.flatMap((i) => (i.constraint ? [i.constraint] : []))];
}

/** Why `name` is taken on `t` by one of its constraints, as the server compares names (`rules`: Dialect.names); undefined when free. */
export function constraintTaken(t: TableModel, name: string, rules: NameRules): string | undefined {
  const existing = constraintNames(t).find((n) => sameName(n, name, rules));
  return existing === undefined ? undefined : `table "${t.name}" already has a constraint "${existing}"${caseNote(existing, name, 'constraint')}`;
}

/**
 * Why a new foreign key `name` on `table` is taken on another table, where the server keeps foreign-key names
 * schema-wide (NameRules.foreignKeyNamespace: InnoDB); undefined when free. (Its own table: constraintTaken.)
 */
export function foreignKeyTakenElsewhere(model: SchemaModel, table: string, name: string, rules: NameRules): string | undefined {
  if (rules.foreignKeyNamespace !== 'schema') return undefined;
  for (const t of model.tables.values()) {
    if (t.name === table) continue;
    const existing = t.foreignKeys.find((k) => sameName(k.name, name, rules));
    if (existing) return `table "${t.name}" already has a foreign key "${existing.name}"${caseNote(existing.name, name, 'constraint')}, and this server keeps foreign-key names unique in the whole database: give this one another name`;
  }
  return undefined;
}

/** A foreign key needs its target columns to be exactly the primary key or a full (non-partial) unique index, in any order. */
export function isUniqueKey(t: TableModel, columns: string[]): boolean {
  const same = (key: string[]) => key.length === columns.length && key.every((c) => columns.includes(c));
  return same(t.primaryKey) || t.indexes.some((i) => i.unique && i.where === undefined && same(i.columns));
}

/**
 * Issues with a foreign key's target: its columns exist, match the referencing columns in number, and form a unique
 * key — and, where the server does not fill them at expand, none is a column this migration adds and fills by its
 * backfill: the key, added at expand, would meet NULL for every existing row until then — writes referencing those
 * rows refused, their deletes not checked (pgroll's test cases, campaign pgrollA: the contract then failed to
 * validate the key, left `contracting`).
 */
export function referenceIssues(ctx: Pick<ValidateContext, 'model' | 'dialect'>, target: TableModel, refColumns: string[], columnCount: number, path: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  refColumns.forEach((c, i) => requireColumn(target, c, [...path, i], issues));
  refColumns.forEach((c, i) => {
    if (ctx.dialect.filledAtExpand || !ctx.model.planned.filledByBackfill(target.name, c)) return;
    issues.push({
      path: [...path, i], code: 'filled_by_backfill', table: target.name, column: c,
      message: `"${target.name}"."${c}" gets the values of existing rows from this migration's backfill, after the key is added at expand: until then the key would refuse writes referencing those rows and let them be deleted — add the key in a later migration (it runs after this one's backfill), or reference the column by its current name`,
    });
  });
  if (refColumns.length !== columnCount) {
    issues.push({ path, code: 'column_count_mismatch', table: target.name, message: `${refColumns.length} referenced column(s) for ${columnCount} referencing column(s)` });
  } else if (issues.length === 0 && !isUniqueKey(target, refColumns)) {
    const list = refColumns.map((c) => `"${c}"`).join(', ');
    issues.push({ path, code: 'not_unique_key', table: target.name, columns: refColumns, message: `columns ${list} of "${target.name}" are not its primary key or a unique index; a foreign key needs one` });
  }
  return issues;
}

/**
 * The referencing columns whose types the server cannot key on the referenced ones' (Dialect.foreignKeyTypeIssue):
 * said at plan, not by the server at expand (MySQL errno 150 names neither). `pathOf` places each column's issue.
 */
export function referenceTypeIssues(
  dialect: Dialect,
  child: { table: string; columns: ({ name: string; type: string } | undefined)[] },
  target: TableModel,
  refColumns: string[],
  pathOf: (i: number) => (string | number)[],
): ValidationIssue[] {
  return child.columns.flatMap((c, i) => {
    const parent = target.columns.find((col) => col.name === refColumns[i]);
    const problem = c && parent && dialect.foreignKeyTypeIssue(c.type, parent.type);
    if (!problem) return [];
    return [{ path: pathOf(i), code: 'type_mismatch', table: child.table, column: c.name, refTable: target.name, refColumn: parent.name, message: `"${child.table}"."${c.name}" cannot reference "${target.name}"."${parent.name}": ${problem}` }];
  });
}

/**
 * A reference's options this server does not have: DEFERRABLE and MATCH FULL
 * are PostgreSQL's (MySQL/MariaDB check every key at once and ignore MATCH).
 */
export function referenceOptionIssues(ref: { matchType?: string; deferrable?: boolean; initiallyDeferred?: boolean }, path: (string | number)[], dialect: Dialect): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const refuse = (key: string, why: string | undefined) => why && issues.push({ path: [...path, key], code: 'unsupported', feature: key, message: `${key}: ${why}` });
  if (ref.matchType === 'full') refuse('matchType', dialect.lacks('matchFull'));
  if (ref.deferrable) refuse('deferrable', dialect.lacks('deferrable'));
  if (ref.initiallyDeferred) refuse('initiallyDeferred', dialect.lacks('deferrable'));
  return issues;
}

/** The name given, else `<table>_<columns>_fkey` by the dialect's rules. */
const fkName = (spec: { table: string; columns: string[]; name?: string }, dialect: Dialect) => spec.name ?? dialect.derivedName(spec.table, spec.columns, 'fkey');

/** SQL true for a row of `table` whose key (all of it set) matches no row of `refTable`. */
/** `parent`: its schema where not the table's own (a key the catalog shows; campaign EA: a same-named table read instead). */
export function orphaned(d: Pick<Dialect, 'quote'>, table: string, columns: string[], parent: { refTable: string; refSchema?: string }, refColumns: string[]): string {
  const q = (c: string) => d.quote(c);
  const child = (c: string) => `${q(table)}.${q(c)}`;
  const parentRow = refColumns.map((rc, i) => `_xc_parent.${q(rc)} = ${child(columns[i]!)}`).join(' AND ');
  return `${columns.map((c) => `${child(c)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${referencedTable(q, parent)} _xc_parent WHERE ${parentRow})`;
}

export const addForeignKey: Operation<'addForeignKey'> = {
  kind: 'addForeignKey',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    spec.columns.forEach((c, i) => requireColumn(t, c, ['columns', i], issues));
    const target = requireTable(ctx.model, spec.references.table, ['references', 'table'], issues, { noAlter: true });
    if (target) issues.push(...referenceIssues(ctx, target, spec.references.columns, spec.columns.length, ['references', 'columns']));
    // MySQL wants integer types to match exactly (bigint cannot reference int): said here, not by the server at expand.
    if (t && target) issues.push(...referenceTypeIssues(ctx.dialect, { table: spec.table, columns: spec.columns.map((c) => t.columns.find((col) => col.name === c)) }, target, spec.references.columns, (i) => ['columns', i]));
    const name = fkName(spec, ctx.dialect);
    const taken = (t && constraintTaken(t, name, ctx.dialect.names)) || foreignKeyTakenElsewhere(ctx.model, spec.table, name, ctx.dialect.names);
    if (taken) issues.push({ path: ['name'], code: 'name_taken', name, table: spec.table, message: taken });
    return issues;
  },

  rowChecks(spec, { dialect: d }) {
    const violation = orphaned(d, spec.table, spec.columns, { refTable: spec.references.table }, spec.references.columns);
    const message = `existing rows of "${spec.table}" reference no row of "${spec.references.table}", so the foreign key would fail to validate at contract; fix or delete those rows first`;
    return [{ path: ['columns'], table: spec.table, violation, message, show: spec.columns }];
  },

  contractTables: (spec) => [spec.table],

  project(spec, model, dialect) {
    const t = model.table(spec.table);
    const name = fkName(spec, dialect);
    if (!t) return;
    // In flight, the catalog shows it NOT VALID: projected as its contract leaves it (a copy made meanwhile is validated too).
    const shown = t.foreignKeys.find((f) => f.name === name);
    if (shown) return void delete shown.validated;
    t.foreignKeys.push({ name, columns: spec.columns, refTable: spec.references.table, refColumns: spec.references.columns, onDelete: spec.onDelete ?? null, ...(spec.onUpdate ? { onUpdate: spec.onUpdate } : {}) });
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    const name = fkName(spec, ctx.dialect);
    return {
      ...emptyPlan(),
      expand: ddl.addForeignKey({
        table: spec.table,
        name,
        columns: spec.columns,
        refTable: spec.references.table,
        refColumns: spec.references.columns,
        onDelete: spec.onDelete ?? null,
        ...(spec.onUpdate ? { onUpdate: spec.onUpdate } : {}),
      }),
      contract: ddl.validateConstraint(spec.table, name),
      rollback: ddl.dropConstraint(spec.table, name),
    };
  },
};
