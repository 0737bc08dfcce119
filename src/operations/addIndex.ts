/**
 * addIndex: built online in expand (PostgreSQL CONCURRENTLY, MySQL INPLACE),
 * nothing to do at contract, dropped on rollback.
 */
import { createHash } from 'node:crypto';
import type { IndexModel, SchemaModel } from '../schema/model.js';
import { columnsOf, requireColumn, requireTable } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';

const MAX_NAME_BYTES = 63;

/** `<table>_<columns joined by _>_<suffix>`; past 63 bytes it is cut and a short hash of the full name keeps it unique. */
export function defaultName(table: string, columns: string[], suffix: string): string {
  const full = `${table}_${columns.join('_')}_${suffix}`;
  if (Buffer.byteLength(full) <= MAX_NAME_BYTES) return full;
  const tail = `_${createHash('sha1').update(full).digest('hex').slice(0, 8)}_${suffix}`;
  const head = [...`${table}_${columns.join('_')}`];
  while (Buffer.byteLength(head.join('') + tail) > MAX_NAME_BYTES) head.pop();
  return head.join('') + tail;
}

/** What already holds `name` among relations (tables, views, indexes share one namespace in PostgreSQL). */
export function relationNamed(model: SchemaModel, name: string): string | undefined {
  for (const t of model.tables.values()) {
    if (t.name === name) return `${t.kind} "${name}"`;
    if (t.indexes.some((i) => i.name === name)) return `index "${name}" on "${t.name}"`;
  }
  return undefined;
}

/** An identifier as PostgreSQL prints it in index definitions: bare when it can be. */
function printedIdentifier(id: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(id) ? id : `"${id.replace(/"/g, '""')}"`;
}

/** The model of an index xc creates, with a definition in the catalog's own spelling. */
export function indexModel(o: { table: string; name: string; columns: string[]; unique: boolean; primary?: boolean; constraint?: string | null; where?: string }): IndexModel {
  const p = printedIdentifier;
  const definition =
    `CREATE ${o.unique ? 'UNIQUE ' : ''}INDEX ${p(o.name)} ON ${p(o.table)} USING btree (${o.columns.map(p).join(', ')})` +
    (o.where ? ` WHERE (${o.where})` : '');
  return { name: o.name, columns: o.columns, unique: o.unique, primary: o.primary ?? false, constraint: o.constraint ?? null, definition };
}

const indexName = (spec: { table: string; columns: string[]; name?: string }) => spec.name ?? defaultName(spec.table, spec.columns, 'idx');

export const addIndex: Operation<'addIndex'> = {
  kind: 'addIndex',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    spec.columns.forEach((c, i) => requireColumn(t, c, ['columns', i], issues));
    const taken = relationNamed(ctx.model, indexName(spec));
    if (taken) issues.push({ path: ['name'], code: 'name_taken', name: indexName(spec), table: spec.table, message: `${taken} already exists; give the index another name` });
    return issues;
  },

  expressions(spec, ctx) {
    if (!spec.where) return [];
    return [{ path: ['where'], table: spec.table, sql: spec.where, columns: columnsOf(ctx.model.table(spec.table)), boolean: true }];
  },

  project(spec, model) {
    const t = model.table(spec.table);
    const name = indexName(spec);
    if (!t || t.indexes.some((i) => i.name === name)) return;
    t.indexes.push(indexModel({ table: spec.table, name, columns: spec.columns, unique: spec.unique ?? false, where: spec.where }));
  },

  plan(spec, ctx) {
    const name = indexName(spec);
    return {
      ...emptyPlan(),
      expand: ctx.ddl.createIndex({ table: spec.table, name, columns: spec.columns, unique: spec.unique, where: spec.where }),
      rollback: ctx.ddl.dropIndex(spec.table, name),
    };
  },
};
