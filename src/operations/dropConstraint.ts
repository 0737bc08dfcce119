/** dropConstraint: nothing at expand (old code may rely on it), dropped at contract. */
import { requireTable } from './common.js';
import { constraintNames } from './addForeignKey.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';

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
    // A primary key or unique constraint may be what another table's foreign key points at.
    const key = t.indexes.find((i) => i.constraint === spec.name)?.columns;
    if (!key) return issues;
    const same = (cols: string[]) => cols.length === key.length && cols.every((c) => key.includes(c));
    for (const other of ctx.model.tables.values()) {
      for (const fk of other.foreignKeys) {
        if (fk.refTable === spec.table && same(fk.refColumns)) {
          issues.push({ path: ['name'], code: 'referenced', table: spec.table, constraint: spec.name, foreignKey: fk.name, referencing: other.name, message: `foreign key "${fk.name}" of "${other.name}" depends on "${spec.name}"; drop that key first` });
        }
      }
    }
    return issues;
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
    return { ...emptyPlan(), contract: ctx.ddl.dropConstraint(spec.table, spec.name) };
  },
};
