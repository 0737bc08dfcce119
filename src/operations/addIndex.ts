/**
 * addIndex: built online in expand (PostgreSQL CONCURRENTLY, MySQL INPLACE
 * with LOCK=NONE), nothing to do at contract, dropped on rollback.
 *
 * Keys are columns or (PostgreSQL) expressions, each with an operator class,
 * ASC/DESC, NULLS FIRST/LAST and a collation; the index may name its access
 * method, storage parameters (WITH) and INCLUDE columns. MySQL/MariaDB have
 * B-trees and DESC only: the rest is refused there, each with why
 * (Dialect.lacks), before anything runs.
 */
import type { IndexKey, IndexModel } from '../schema/model.js';
import type { Dialect } from '../dialects/dialect.js';
import type { IndexColumn, OperationSpec } from '../migration/schema.js';
import { columnsOf, newClusterKeyIssues, plainIndexIssues, requireColumn, requireTable, sharedKeyViolation, uniqueIndexIssues } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';
import type { ServerFeature } from '../dialects/base.js';

/** The model of an index xc creates: facts only (the dialect renders its statement). */
export function indexModel(o: {
  name: string;
  columns: string[];
  unique: boolean;
  primary?: boolean;
  constraint?: string | null;
  where?: string;
  method?: string;
  keys?: IndexKey[];
  include?: string[];
  storageParameters?: string;
}): IndexModel {
  return {
    name: o.name,
    columns: o.columns,
    unique: o.unique,
    primary: o.primary ?? false,
    constraint: o.constraint ?? null,
    ...(o.where !== undefined ? { where: o.where } : {}),
    // The model holds the method only where it is not the default.
    ...(o.method !== undefined && o.method !== 'btree' ? { method: o.method } : {}),
    ...(o.keys !== undefined ? { keys: o.keys } : {}),
    ...(o.include !== undefined ? { include: o.include } : {}),
    ...(o.storageParameters !== undefined ? { storageParameters: o.storageParameters } : {}),
  };
}

/** A file's key as the model and the dialects take it. */
const keyOf = (c: IndexColumn): IndexKey => {
  if (typeof c === 'string') return { column: c };
  const { name, ...rest } = c;
  return { ...(name !== undefined ? { column: name } : {}), ...rest };
};
const keysOf = (spec: OperationSpec<'addIndex'>) => spec.columns.map(keyOf);
/** The plain columns of its keys. */
const plainColumns = (spec: OperationSpec<'addIndex'>) => keysOf(spec).flatMap((k) => (k.column !== undefined ? [k.column] : []));
/** Keys with nothing but a column: the index is described by `columns` alone. */
const onlyColumns = (spec: OperationSpec<'addIndex'>) => spec.columns.every((c) => typeof c === 'string' || (c.name !== undefined && Object.keys(c).length === 1));

/** The name given, else `<table>_<columns>_idx` by the dialect's rules (an expression needs a name: the schema says so). */
const indexName = (spec: OperationSpec<'addIndex'>, dialect: Dialect) => spec.name ?? dialect.derivedName(spec.table, plainColumns(spec), 'idx');

/** The options of `spec` the server lacks: [path, feature, what the file asked for]. */
function lacking(spec: OperationSpec<'addIndex'>): [(string | number)[], ServerFeature, string][] {
  const wanted: [(string | number)[], ServerFeature, string][] = [];
  if (spec.method !== undefined && spec.method !== 'btree') wanted.push([['method'], 'indexMethod', `method ${spec.method}`]);
  if (spec.where !== undefined) wanted.push([['where'], 'partialIndex', 'a partial index (where)']);
  if (spec.storageParameters !== undefined) wanted.push([['storageParameters'], 'storageParameters', 'storage parameters']);
  if (spec.include !== undefined) wanted.push([['include'], 'include', 'INCLUDE columns']);
  spec.columns.forEach((c, i) => {
    if (typeof c === 'string') return;
    if (c.expression !== undefined) wanted.push([['columns', i, 'expression'], 'expressionIndex', 'an index on an expression']);
    if (c.opclass !== undefined) wanted.push([['columns', i, 'opclass'], 'opclass', 'an operator class']);
    if (c.nulls !== undefined) wanted.push([['columns', i, 'nulls'], 'nullsOrder', `NULLS ${c.nulls.toUpperCase()}`]);
    if (c.collate !== undefined) wanted.push([['columns', i, 'collate'], 'indexCollate', 'a collation per key']);
  });
  return wanted;
}

/** The index as the model has it once built. */
function projected(spec: OperationSpec<'addIndex'>, dialect: Dialect): IndexModel {
  return indexModel({
    name: indexName(spec, dialect),
    columns: plainColumns(spec),
    unique: spec.unique ?? false,
    where: spec.where,
    method: spec.method,
    ...(onlyColumns(spec) ? {} : { keys: keysOf(spec) }),
    include: spec.include,
    storageParameters: spec.storageParameters,
  });
}

export const addIndex: Operation<'addIndex'> = {
  // A unique one may be the new version's ON CONFLICT arbiter.
  rollbackSparesNewVersion: (spec) => !spec.unique,
  kind: 'addIndex',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    for (const [path, feature, what] of lacking(spec)) {
      const why = ctx.dialect.lacks(feature);
      if (why) issues.push({ path, code: 'unsupported', feature, message: `${what}: ${why}` });
    }
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    spec.columns.forEach((c, i) => {
      if (typeof c === 'string') requireColumn(t, c, ['columns', i], issues);
      else if (c.name !== undefined) requireColumn(t, c.name, ['columns', i, 'name'], issues);
    });
    const plain = plainColumns(spec);
    spec.include?.forEach((c, i) => {
      requireColumn(t, c, ['include', i], issues);
      if (plain.includes(c)) issues.push({ path: ['include', i], code: 'invalid_format', message: `"${c}" is a key column already; \`include\` adds columns outside the key` });
    });
    // PostgreSQL's own rules, refused here rather than by a failed build half-way through an apply.
    if (spec.unique && spec.method !== undefined && spec.method !== 'btree') issues.push({ path: ['method'], code: 'invalid_format', message: `only btree indexes can be unique, not ${spec.method}` });
    if (spec.include && spec.method !== undefined && !['btree', 'gist', 'spgist'].includes(spec.method)) issues.push({ path: ['include'], code: 'invalid_format', message: `INCLUDE needs method btree, gist or spgist, not ${spec.method}` });
    const keys = spec.columns.length + (spec.include?.length ?? 0);
    if (keys > ctx.dialect.maxIndexKeys) issues.push({ path: ['columns'], code: 'invalid_format', message: `an index has at most ${ctx.dialect.maxIndexKeys} columns here, this one ${keys}${spec.include?.length ? ' (INCLUDE columns count)' : ''}` });
    const name = indexName(spec, ctx.dialect);
    const taken = ctx.dialect.nameTaken(ctx.model, 'index', name, spec.table);
    if (taken) issues.push({ path: ['name'], code: 'name_taken', name, table: spec.table, message: `${taken} already exists; give the index another name` });
    if (spec.unique && spec.where === undefined && onlyColumns(spec)) issues.push(...newClusterKeyIssues(ctx.dialect, t, name, plain, ['unique']));
    if (spec.unique) issues.push(...uniqueIndexIssues(ctx.dialect, t, indexModel({ name, columns: plain, unique: true }), {}, ['unique']));
    else if (onlyColumns(spec)) issues.push(...plainIndexIssues(ctx.dialect, t, indexModel({ name, columns: plain, unique: false }), ['columns']));
    return issues;
  },

  /**
   * A unique index over rows that already share a key fails as it is built at expand, half-way through an apply
   * (PostgreSQL leaves an INVALID index): such rows are named at plan. Keys grouped as the index compares them; one
   * with its own collation or operator class is left to the build, where GROUP BY could call equal what it does not.
   */
  rowChecks(spec, { model, dialect }) {
    const keys = keysOf(spec);
    if (!spec.unique || !model.table(spec.table) || keys.some((k) => k.collate !== undefined || k.opclass !== undefined)) return [];
    const q = (c: string) => dialect.quote(c);
    const inner = keys.map((k) => (k.column !== undefined ? q(k.column) : `(${k.expression})`));
    const outer = keys.map((k) => (k.column !== undefined ? `${q(spec.table)}.${q(k.column)}` : `(${k.expression})`));
    const violation = `${sharedKeyViolation(q, spec.table, outer, inner, spec.where)}${spec.where !== undefined ? ` AND (${spec.where})` : ''}`;
    const list = keys.map((k) => (k.column !== undefined ? `"${k.column}"` : k.expression)).join(', ');
    // An expression key's rows are shown by the columns it reads: `lower(email)` by email, not by the row key alone.
    const columns = columnsOf(model.table(spec.table)).map((c) => c.name);
    const show = [...new Set(keys.flatMap((k) => (k.column !== undefined ? [k.column] : dialect.columnsNamed(k.expression!, spec.table, columns))))];
    return [{ path: ['columns'], table: spec.table, violation, show, order: outer, message: `existing rows of "${spec.table}" share their values of ${list}, which the unique index would refuse as it is built at expand; remove or change the duplicates first` }];
  },

  expressions(spec, ctx) {
    const columns = columnsOf(ctx.model.table(spec.table));
    // Declared (tried in an index) only as btree builds it plainly: a GiST key over point(x, y) has no btree class (campaign AE).
    const plainBtree = (c: Exclude<IndexColumn, string>) => (spec.method === undefined || spec.method === 'btree') && c.opclass === undefined && c.collate === undefined;
    const keys = spec.columns.flatMap((c, i) =>
      typeof c !== 'string' && c.expression !== undefined ? [{ path: ['columns', i, 'expression'], table: spec.table, sql: c.expression, columns, ...(plainBtree(c) ? { declared: 'indexKey' as const } : {}) }] : [],
    );
    return [...keys, ...(spec.where ? [{ path: ['where'], table: spec.table, sql: spec.where, columns, boolean: true, declared: 'indexPredicate' as const }] : [])];
  },

  indexBuilds(spec, { model, dialect }) {
    const t = model.table(spec.table);
    if (!t) return [];
    const index = projected(spec, dialect);
    return [{ path: [], table: spec.table, index, columns: columnsOf(t), explain: (error: string) => `index "${index.name}" of "${spec.table}" cannot be built as given: ${error}` }];
  },

  project(spec, model, dialect) {
    const t = model.table(spec.table);
    const index = projected(spec, dialect);
    if (!t || t.indexes.some((i) => i.name === index.name)) return;
    t.indexes.push(index);
  },

  plan(spec, ctx) {
    const name = indexName(spec, ctx.dialect);
    const index = {
      table: spec.table,
      name,
      columns: plainColumns(spec),
      unique: spec.unique,
      where: spec.where,
      ...(onlyColumns(spec) ? {} : { keys: keysOf(spec) }),
      ...(spec.method !== undefined ? { method: spec.method } : {}),
      ...(spec.storageParameters !== undefined ? { storageParameters: spec.storageParameters } : {}),
      ...(spec.include !== undefined ? { include: spec.include } : {}),
    };
    return { ...emptyPlan(), expand: ctx.ddl.createIndex(index), rollback: ctx.ddl.dropIndex(spec.table, name) };
  },
};
