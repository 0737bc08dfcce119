/** createTable: created in expand, nothing at contract, dropped on rollback. */
import { caseNote, nameKey } from '../dialects/names.js';
import type { Column, OperationSpec } from '../migration/schema.js';
import type { SchemaModel, TableModel } from '../schema/model.js';
import { exprCheck, requireTable } from './common.js';
import { indexModel } from './addIndex.js';
import { referenceIssues, referenceOptionIssues, referenceTypeIssues } from './addForeignKey.js';
import { referenceOptions } from '../dialects/references.js';
import { checkName, columnExpressions, constraintExpressions, isIdentity, keyNames, primaryKeyOf, projectTableOptions, tableOptionIssues } from './tableOptions.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';
import type { Dialect } from '../dialects/dialect.js';

type CreateTableSpec = OperationSpec<'createTable'>;

/** The referenced columns: as written, else the target's primary key. */
function targetColumns(ref: NonNullable<Column['references']>, target: TableModel | undefined): string[] {
  return ref.columns ?? (ref.column ? [ref.column] : (target?.primaryKey ?? []));
}

/** The table as the catalog will show it once created (without its foreign keys when `model` lacks their targets). */
export function tableFromSpec(spec: CreateTableSpec, model: SchemaModel, dialect: Dialect): TableModel {
  const { columns: pk, name: pkName } = primaryKeyOf(spec);
  const keys = keyNames(spec, model, dialect);
  const t: TableModel = {
    name: spec.table,
    kind: 'table',
    columns: spec.columns.map((c) => ({
      name: c.name,
      type: dialect.storedType(c.type),
      nullable: c.nullable && !pk.includes(c.name) && !isIdentity(c),
      default: c.default ?? null,
      // Written by the server: a generated value after BEFORE triggers on both, an identity on MySQL only (as the catalogs say once read).
      ...(c.generated ? { generated: true, ...(!isIdentity(c) || dialect.identityFilledAfterTriggers ? { filledAfterTriggers: true } : {}) } : {}),
      ...(c.comment !== undefined ? { comment: c.comment } : {}),
    })),
    primaryKey: pk,
    indexes: [],
    checks: [],
    foreignKeys: [],
  };
  if (pk.length > 0) {
    const name = pkName ?? keys.primaryKey!;
    t.indexes.push(indexModel({ name, columns: pk, unique: true, primary: true, constraint: name }));
  }
  for (const [column, name] of keys.unique) t.indexes.push(indexModel({ name, columns: [column], unique: true, constraint: name }));
  for (const c of spec.columns) {
    if (!c.references) continue;
    const target = c.references.table === spec.table ? t : model.table(c.references.table);
    t.foreignKeys.push({
      name: c.references.name ?? dialect.constraintName(spec.table, c.name, 'fkey'),
      columns: [c.name],
      refTable: c.references.table,
      refColumns: targetColumns(c.references, target),
      ...referenceOptions(c.references),
      onDelete: c.references.onDelete ?? null,
    });
  }
  projectTableOptions(spec, t, dialect);
  // Made in the database's default collation (MySQL): a later change that counts a character's bytes can tell them
  // before the table exists (campaign CX: a varchar widened within its length's bytes went through a shadow in plan).
  if (model.defaultCollation !== undefined && t.collation === undefined) t.collation = model.defaultCollation;
  return t;
}

export const createTable: Operation<'createTable'> = {
  kind: 'createTable',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const taken = ctx.dialect.nameTaken(ctx.model, 'table', spec.table);
    if (taken) issues.push({ path: ['table'], code: 'name_taken', name: spec.table, message: `${taken} already exists` });

    const names = spec.columns.map((c) => nameKey(c.name, ctx.dialect.names));
    names.forEach((n, i) => {
      const first = spec.columns[names.indexOf(n)]!.name;
      const column = spec.columns[i]!.name;
      if (names.indexOf(n) !== i) issues.push({ path: ['columns', i, 'name'], code: 'duplicate_column', table: spec.table, column, message: `column "${first}" is declared twice in "${spec.table}"${caseNote(first, column, 'column')}` });
    });
    const listed = spec.primaryKey === undefined ? undefined : Array.isArray(spec.primaryKey) ? spec.primaryKey : spec.primaryKey.columns;
    const listPath = Array.isArray(spec.primaryKey) ? ['primaryKey'] : ['primaryKey', 'columns'];
    listed?.forEach((n, i) => {
      if (!names.includes(n)) issues.push({ path: [...listPath, i], code: 'column_missing', table: spec.table, column: n, message: `table "${spec.table}" has no column "${n}"` });
    });
    const pk = primaryKeyOf(spec).columns;
    spec.columns.forEach((c, i) => {
      if (c.primaryKey && (listed || spec.constraints?.some((k) => k.type === 'primary_key')) && !pk.includes(c.name)) {
        issues.push({ path: ['columns', i, 'primaryKey'], code: 'primary_key_conflict', table: spec.table, column: c.name, message: `column "${c.name}" is marked primaryKey but is not in the table's primary key` });
      }
    });

    const self = tableFromSpec(spec, ctx.model, ctx.dialect);
    issues.push(...tableOptionIssues(spec, self, ctx));
    spec.columns.forEach((c, i) => {
      const ref = c.references;
      if (!ref) return;
      const path = ['columns', i, 'references'];
      issues.push(...referenceOptionIssues(ref, path, ctx.dialect));
      if (ref.column && ref.columns) {
        issues.push({ path, code: 'ambiguous_reference', message: 'give either "column" or "columns", not both' });
        return;
      }
      const target = ref.table === spec.table ? self : requireTable(ctx.model, ref.table, [...path, 'table'], issues, { noAlter: true });
      if (!target) return;
      const refColumns = targetColumns(ref, target);
      if (refColumns.length === 0) {
        issues.push({ path, code: 'no_primary_key', table: ref.table, message: `table "${ref.table}" has no primary key to reference; name the referenced column` });
        return;
      }
      const refPath = [...path, ref.columns ? 'columns' : 'column'];
      issues.push(...referenceIssues(ctx, target, refColumns, 1, refPath).map((issue) => ({ ...issue, path: ref.columns ? issue.path : refPath })));
      issues.push(...referenceTypeIssues(ctx.dialect, { table: spec.table, columns: [self.columns.find((col) => col.name === c.name)] }, target, refColumns, () => ['columns', i, 'type']));
    });
    return issues;
  },

  types: (spec, { dialect }) => spec.columns.map((c, i) => ({ path: ['columns', i, 'type'], type: dialect.storedType(c.type) })),

  expressions(spec, { dialect }) {
    const columns = spec.columns.map((c) => ({ name: c.name, type: dialect.storedType(c.type) }));
    return [
      ...spec.columns.flatMap((c, i) => exprCheck(['columns', i, 'default'], spec.table, c.default, [], dialect.storedType(c.type)).map((k) => ({ ...k, columnDefault: true }))),
      ...spec.columns.flatMap((c, i) => columnExpressions(spec.table, c, ['columns', i], columns, 'check')),
      ...constraintExpressions(spec, columns),
    ];
  },

  project(spec, model, dialect) {
    // A catalog that already has the table (expand ran) is the better truth.
    if (!model.table(spec.table)) model.tables.set(spec.table, tableFromSpec(spec, model, dialect));
  },

  plan(spec, ctx) {
    const { ddl, dialect } = ctx;
    const constraints = spec.constraints ?? [];
    // A primary_key constraint is the key itself, made with its options where the constraints are.
    const keys = keyNames(spec, ctx.model, dialect);
    const primaryKey = constraints.some((k) => k.type === 'primary_key') ? { columns: [] } : { ...primaryKeyOf(spec), ...(keys.primaryKey !== undefined ? { name: keys.primaryKey } : {}) };
    // Column checks and keys named here, so both servers give them the names the model projects.
    const columns = spec.columns.map((c) => ({
      ...c,
      ...(c.check ? { check: { name: checkName(spec.table, c.name, c.check, dialect), expression: c.check.expression } } : {}),
      ...(keys.unique.has(c.name) ? { uniqueName: keys.unique.get(c.name)! } : {}),
    }));
    return {
      ...emptyPlan(),
      expand: ddl.createTable({ table: spec.table, columns, primaryKey, constraints, ...(spec.comment !== undefined ? { comment: spec.comment } : {}) }),
      rollback: ddl.dropTable(spec.table),
    };
  },
};
