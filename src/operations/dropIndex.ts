/** dropIndex: nothing at expand (old code may still rely on it), dropped online at contract. */
import { clusterKeyIssues, keyReferences, requireTable } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';

export const dropIndex: Operation<'dropIndex'> = {
  kind: 'dropIndex',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    // DROP INDEX runs online on a table with a long unique key, that key's own included (the way out of one).
    const t = requireTable(ctx.model, spec.table, ['table'], issues, { noAlter: true });
    if (!t) return issues;
    const index = t.indexes.find((i) => i.name === spec.name);
    if (!index) issues.push({ path: ['name'], code: 'index_missing', table: spec.table, name: spec.name, message: `table "${spec.table}" has no index "${spec.name}"` });
    else if (index.constraint && (index.primary || !ctx.dialect.uniqueKeysAreIndexes)) {
      issues.push({ path: ['name'], code: 'index_backs_constraint', table: spec.table, name: spec.name, constraint: index.constraint, message: `index "${spec.name}" backs the constraint "${index.constraint}" of "${spec.table}"; drop it with dropConstraint` });
    }
    issues.push(...clusterKeyIssues(ctx.dialect, t, (i) => i.name === spec.name, 'dropIndex drops', ['name']));
    // A unique index may be what another table's foreign key points at (as dropConstraint's key): the server refuses
    // the drop at contract (campaign T: left `contracting` on both servers). PostgreSQL ties the key to one index,
    // whichever other key there is over the same columns: so refused whenever the columns are the key's.
    for (const fk of index?.unique ? keyReferences(ctx.model, spec.table, index.columns) : []) {
      issues.push({ path: ['name'], code: 'referenced', table: spec.table, foreignKey: fk.name, referencing: fk.referencing, message: `foreign key "${fk.name}" of "${fk.referencing}" references the key this unique index makes over ${index!.columns.map((c) => `"${c}"`).join(', ')}; drop that foreign key first` });
    }
    return issues;
  },

  contractTables: (spec) => [spec.table],

  project(spec, model) {
    const t = model.table(spec.table);
    if (t) t.indexes = t.indexes.filter((i) => i.name !== spec.name);
  },

  plan(spec, ctx) {
    return { ...emptyPlan(), contract: ctx.ddl.dropIndex(spec.table, spec.name) };
  },
};
