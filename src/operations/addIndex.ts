/**
 * addIndex: built online in expand (PostgreSQL CONCURRENTLY, MySQL INPLACE),
 * nothing to do at contract, dropped on rollback.
 */
import type { IndexModel } from '../schema/model.js';
import type { Dialect } from '../dialects/dialect.js';
import { columnsOf, requireColumn, requireTable } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';

/** The model of an index xc creates: facts only (the dialect renders its statement). */
export function indexModel(o: { name: string; columns: string[]; unique: boolean; primary?: boolean; constraint?: string | null; where?: string }): IndexModel {
  return { name: o.name, columns: o.columns, unique: o.unique, primary: o.primary ?? false, constraint: o.constraint ?? null, ...(o.where !== undefined ? { where: o.where } : {}) };
}

/** The name given, else `<table>_<columns>_idx` by the dialect's rules. */
const indexName = (spec: { table: string; columns: string[]; name?: string }, dialect: Dialect) => spec.name ?? dialect.derivedName(spec.table, spec.columns, 'idx');

export const addIndex: Operation<'addIndex'> = {
  kind: 'addIndex',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    spec.columns.forEach((c, i) => requireColumn(t, c, ['columns', i], issues));
    const name = indexName(spec, ctx.dialect);
    const taken = ctx.dialect.nameTaken(ctx.model, 'index', name, spec.table);
    if (taken) issues.push({ path: ['name'], code: 'name_taken', name, table: spec.table, message: `${taken} already exists; give the index another name` });
    return issues;
  },

  expressions(spec, ctx) {
    if (!spec.where) return [];
    return [{ path: ['where'], table: spec.table, sql: spec.where, columns: columnsOf(ctx.model.table(spec.table)), boolean: true }];
  },

  project(spec, model, dialect) {
    const t = model.table(spec.table);
    const name = indexName(spec, dialect);
    if (!t || t.indexes.some((i) => i.name === name)) return;
    t.indexes.push(indexModel({ name, columns: spec.columns, unique: spec.unique ?? false, where: spec.where }));
  },

  plan(spec, ctx) {
    const name = indexName(spec, ctx.dialect);
    return {
      ...emptyPlan(),
      expand: ctx.ddl.createIndex({ table: spec.table, name, columns: spec.columns, unique: spec.unique, where: spec.where }),
      rollback: ctx.ddl.dropIndex(spec.table, name),
    };
  },
};
