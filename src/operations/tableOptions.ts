/**
 * What createTable and addColumn share beyond plain columns (issue 13, pgroll
 * parity): a column's check, comment and generated value (expression or
 * identity), and createTable's primary key, table-level constraints and
 * comment — their validation, the names they get, and their place in the
 * model. Options only PostgreSQL has are refused on MySQL/MariaDB with the
 * reason (Dialect.lacks), before anything runs.
 */
import type { Column, OperationSpec, TableConstraint } from '../migration/schema.js';
import type { Dialect } from '../dialects/dialect.js';
import { nameKey } from '../dialects/names.js';
import { foreignKeyTakenElsewhere } from './addForeignKey.js';
import type { SchemaModel, TableModel } from '../schema/model.js';
import { indexModel } from './addIndex.js';
import { referenceIssues, referenceOptionIssues, referenceTypeIssues } from './addForeignKey.js';
import { requireColumn, requireTable } from './common.js';
import type { ExpressionCheck } from '../plan/index.js';
import type { ValidateContext, ValidationIssue } from './types.js';
import { referenceOptions } from '../dialects/references.js';

type CreateTableSpec = OperationSpec<'createTable'>;
type Path = (string | number)[];

/** The primary key: `primaryKey` (a list, or { name, columns }), else a primary_key constraint, else the columns flagged. */
export function primaryKeyOf(spec: CreateTableSpec): { name?: string; columns: string[] } {
  if (Array.isArray(spec.primaryKey)) return { columns: spec.primaryKey };
  if (spec.primaryKey) return spec.primaryKey;
  const k = spec.constraints?.find((c) => c.type === 'primary_key');
  if (k) return { name: k.name, columns: k.columns! };
  return { columns: spec.columns.filter((c) => c.primaryKey).map((c) => c.name) };
}

/**
 * The names of createTable's unnamed keys, its primary key's and each unique column's, as PostgreSQL chooses
 * them: the first of `…_key`, `…_key1`, … free in the schema and beside the table's other names (two long
 * column names may cut to one). Given to the keys on every server.
 */
export function keyNames(spec: CreateTableSpec, model: SchemaModel, dialect: Dialect): { primaryKey?: string; unique: Map<string, string> } {
  const pk = primaryKeyOf(spec);
  const given = [
    ...(pk.name ? [pk.name] : []),
    ...(spec.constraints ?? []).map((k) => k.name),
    ...spec.columns.flatMap((c) => [...(c.check ? [checkName(spec.table, c.name, c.check, dialect)] : []), ...(c.references ? [c.references.name ?? dialect.constraintName(spec.table, c.name, 'fkey')] : [])]),
  ];
  const pick = (column: string | null, label: 'key' | 'pkey') => {
    const name = dialect.keyName(model, spec.table, column, label, given);
    given.push(name);
    return name;
  };
  const primaryKey = pk.columns.length > 0 && pk.name === undefined ? pick(null, 'pkey') : undefined;
  const unique = new Map(spec.columns.filter((c) => c.unique && !(pk.columns.length === 1 && pk.columns[0] === c.name)).map((c) => [c.name, pick(c.name, 'key')]));
  return { ...(primaryKey !== undefined ? { primaryKey } : {}), unique };
}

/** A column check's name: as given, else `<table>_<column>_check` (PostgreSQL's own naming, by the dialect's length rule). */
export const checkName = (table: string, column: string, check: NonNullable<Column['check']>, dialect: Dialect) => check.name ?? dialect.constraintName(table, column, 'check');

export const isIdentity = (c: Column) => c.generated !== undefined && 'identity' in c.generated;

/** A column's generated value, as far as this server has it. */
export function columnIssues(c: Column, path: Path, dialect: Dialect): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const g = c.generated;
  if (!g) return issues;
  const unsupported = (p: Path, feature: string, why: string | undefined) => why && issues.push({ path: [...path, ...p], code: 'unsupported', feature, message: why });
  if ('identity' in g) {
    if (g.identity === 'always') unsupported(['generated', 'identity'], 'identity always', dialect.lacks('identityAlways'));
    // PostgreSQL's serial is an integer with a sequence default already; identity wants a plain integer type.
    if (dialect.storedType(c.type) !== c.type || !dialect.isIntegerType(c.type)) {
      issues.push({ path: [...path, 'type'], code: 'invalid_type', type: c.type, message: `an identity column needs a plain integer type (smallint, integer, bigint), not "${c.type}"` });
    }
  } else {
    if (dialect.storedType(c.type) !== c.type) issues.push({ path: [...path, 'type'], code: 'invalid_type', type: c.type, message: `"${c.type}" comes with a default of its own; a generated column needs a plain type` });
    if (!c.nullable) unsupported(['nullable'], 'generated NOT NULL', dialect.lacks('generatedNotNull'));
  }
  return issues;
}

/** The expressions a column declares beyond its default: its check (a condition) and its generated value. */
export function columnExpressions(table: string, c: Column, path: Path, columns: { name: string; type: string }[], check: 'check' | 'addedCheck'): ExpressionCheck[] {
  const out: ExpressionCheck[] = [];
  if (c.check) out.push({ path: [...path, 'check', 'expression'], table, sql: c.check.expression, columns, boolean: true, declared: check });
  const g = c.generated;
  // Computed again on every write: a volatile function is refused (PostgreSQL refuses it too, at apply).
  if (g && 'expression' in g) out.push({ path: [...path, 'generated', 'expression'], table, sql: g.expression, columns: columns.filter((x) => x.name !== c.name), castTo: c.type, deterministic: true, declared: 'generated' });
  return out;
}

/** Names of the constraints createTable gives the table, with where each is declared. */
function declaredNames(spec: CreateTableSpec, model: SchemaModel, dialect: Dialect): { name: string; path: Path; foreignKey?: true }[] {
  const keys = keyNames(spec, model, dialect);
  const names: { name: string; path: Path; foreignKey?: true }[] = [];
  if (!Array.isArray(spec.primaryKey) && spec.primaryKey?.name) names.push({ name: spec.primaryKey.name, path: ['primaryKey', 'name'] });
  else if (keys.primaryKey !== undefined) names.push({ name: keys.primaryKey, path: ['primaryKey'] });
  spec.columns.forEach((c, i) => {
    if (c.check) names.push({ name: checkName(spec.table, c.name, c.check, dialect), path: ['columns', i, 'check'] });
    if (c.references) names.push({ name: c.references.name ?? dialect.constraintName(spec.table, c.name, 'fkey'), path: ['columns', i, 'references', ...(c.references.name ? ['name'] : [])], foreignKey: true });
    const key = keys.unique.get(c.name);
    if (key !== undefined) names.push({ name: key, path: ['columns', i, 'unique'] });
  });
  spec.constraints?.forEach((k, i) => names.push({ name: k.name, path: ['constraints', i, 'name'], ...(k.type === 'foreign_key' ? { foreignKey: true as const } : {}) }));
  return names;
}

/** createTable's primary key, constraints and generated columns: columns that exist, names given once, options this server has. */
export function tableOptionIssues(spec: CreateTableSpec, self: TableModel, ctx: ValidateContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { dialect, model } = ctx;
  const keys = [...(spec.primaryKey ? ['primaryKey'] : []), ...(spec.constraints ?? []).flatMap((k, i) => (k.type === 'primary_key' ? [`constraints[${i}]`] : []))];
  if (keys.length > 1) issues.push({ path: ['primaryKey'], code: 'primary_key_conflict', table: spec.table, column: '', message: `a table has one primary key; it is given by ${keys.join(' and ')}` });
  spec.columns.forEach((c, i) => issues.push(...columnIssues(c, ['columns', i], dialect)));

  const seen = new Map<string, string>();
  for (const { name, path, foreignKey } of declaredNames(spec, model, dialect)) {
    const first = seen.get(nameKey(name, dialect.names));
    const elsewhere = foreignKey && foreignKeyTakenElsewhere(model, spec.table, name, dialect.names);
    if (first !== undefined) issues.push({ path, code: 'name_taken', name, table: spec.table, message: `constraint name "${name}" is given twice (first at ${first})` });
    else if (elsewhere) issues.push({ path, code: 'name_taken', name, table: spec.table, message: elsewhere });
    else seen.set(nameKey(name, dialect.names), path.join('.'));
  }

  spec.constraints?.forEach((k, i) => {
    const path = ['constraints', i];
    const unsupported = (key: string, why: string | undefined) => why && issues.push({ path: [...path, key], code: 'unsupported', feature: key, message: `${key}: ${why}` });
    k.columns?.forEach((c, j) => requireColumn(self, c, [...path, 'columns', j], issues));
    k.include?.forEach((c, j) => requireColumn(self, c, [...path, 'include', j], issues));
    if (k.type === 'exclude') unsupported('exclude', dialect.lacks('exclude'));
    if (k.nullsNotDistinct) unsupported('nullsNotDistinct', dialect.lacks('nullsNotDistinct'));
    if (k.include) unsupported('include', dialect.lacks('include'));
    if (k.storageParameters) unsupported('storageParameters', dialect.lacks('storageParameters'));
    if (k.type !== 'foreign_key' && (k.deferrable || k.initiallyDeferred)) unsupported(k.deferrable ? 'deferrable' : 'initiallyDeferred', dialect.lacks('deferrable'));
    // Index-backed constraints share the namespace of relations (PostgreSQL) or of the table's indexes (MySQL).
    if (k.type === 'unique' || k.type === 'primary_key' || k.type === 'exclude') {
      const taken = dialect.nameTaken(model, 'index', k.name, spec.table);
      if (taken) issues.push({ path: [...path, 'name'], code: 'name_taken', name: k.name, table: spec.table, message: `${taken} already exists` });
    }
    const r = k.references;
    if (r) {
      issues.push(...referenceOptionIssues({ ...r, deferrable: k.deferrable, initiallyDeferred: k.initiallyDeferred }, path, dialect));
      const target = r.table === spec.table ? self : requireTable(model, r.table, [...path, 'references', 'table'], issues, { noAlter: true });
      if (target) issues.push(...referenceIssues({ model, dialect }, target, r.columns, k.columns?.length ?? 0, [...path, 'references', 'columns']));
      if (target) issues.push(...referenceTypeIssues(dialect, { table: spec.table, columns: (k.columns ?? []).map((c) => self.columns.find((col) => col.name === c)) }, target, r.columns, (i) => [...path, 'columns', i]));
    }
  });
  return issues;
}

/** Table-level check and exclusion conditions, compiled against the new table's columns. */
export function constraintExpressions(spec: CreateTableSpec, columns: { name: string; type: string }[]): ExpressionCheck[] {
  return (spec.constraints ?? []).flatMap((k, i): ExpressionCheck[] => {
    if (k.check !== undefined) return [{ path: ['constraints', i, 'check'], table: spec.table, sql: k.check, columns, boolean: true, declared: 'check' }];
    if (k.exclude?.where !== undefined) return [{ path: ['constraints', i, 'exclude', 'where'], table: spec.table, sql: k.exclude.where, columns, boolean: true, declared: 'indexPredicate' }];
    return [];
  });
}

/** The table constraints, checks and comments of `spec` added to `t`, the table as the catalog will show it. */
export function projectTableOptions(spec: CreateTableSpec, t: TableModel, dialect: Dialect): void {
  const names = t.columns.map((c) => c.name);
  const check = (name: string, expression: string) => t.checks.push({ name, expression, columns: dialect.columnsNamed(expression, spec.table, names) });
  for (const c of spec.columns) if (c.check) check(checkName(spec.table, c.name, c.check, dialect), c.check.expression);
  for (const k of spec.constraints ?? []) addConstraint(t, k, check, (sql) => dialect.columnsNamed(sql, spec.table, names));
}

function addConstraint(t: TableModel, k: TableConstraint, check: (name: string, expression: string) => void, named: (sql: string) => string[]): void {
  // Timing, NULLs and exclusion as the catalog will show them (alterColumn in place refuses to copy such an index).
  const timing = { ...(k.deferrable || k.initiallyDeferred ? { deferrable: true } : {}), ...(k.initiallyDeferred ? { initiallyDeferred: true } : {}), ...(k.nullsNotDistinct ? { nullsNotDistinct: true } : {}) };
  if (k.type === 'check') check(k.name, k.check!);
  else if (k.type === 'unique') t.indexes.push({ ...indexModel({ name: k.name, columns: k.columns!, unique: true, constraint: k.name }), ...timing });
  else if (k.type === 'exclude') t.indexes.push({ ...indexModel({ name: k.name, columns: named(k.exclude!.elements), unique: false, constraint: k.name }), method: k.exclude!.method ?? 'gist', exclusion: true, ...timing });
  else if (k.type === 'foreign_key') {
    const r = k.references!;
    t.foreignKeys.push({ name: k.name, columns: k.columns!, refTable: r.table, refColumns: r.columns, ...referenceOptions({ ...r, deferrable: k.deferrable, initiallyDeferred: k.initiallyDeferred }), onDelete: r.onDelete ?? null });
  }
  // primary_key: the table's key, made by tableFromSpec from primaryKeyOf.
}
