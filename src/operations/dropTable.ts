/** dropTable: nothing at expand (old code still uses it), dropped at contract; rollback has nothing to undo. */
import { requireTable } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';

export const dropTable: Operation<'dropTable'> = {
  rollbackSparesNewVersion: () => true,
  kind: 'dropTable',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues, { toDrop: true });
    if (!t) return issues;
    // Its inheritance children depend on it (PostgreSQL): the contract's DROP TABLE would fail on them, with old code gone.
    if (t.inheritedBy) {
      issues.push({ path: ['table'], code: 'table_inherited', table: spec.table, message: `"${spec.table}" has inheritance children (${t.inheritedBy.map((c) => `"${c}"`).join(', ')}, INHERITS), which its drop at contract would fail on: drop them, or detach them (ALTER TABLE … NO INHERIT "${spec.table}"), first` });
    }
    for (const other of ctx.model.tables.values()) {
      if (other.name === spec.table) continue;
      for (const fk of other.foreignKeys) {
        if (fk.refTable === spec.table) {
          issues.push({ path: ['table'], code: 'referenced', table: spec.table, foreignKey: fk.name, referencing: other.name, message: `table "${other.name}" references "${spec.table}" through foreign key "${fk.name}"; drop that key first` });
        }
      }
    }
    return issues;
  },

  removesAtContract: (spec) => [{ path: ['table'], table: spec.table }],
  contractTables: (spec) => [spec.table],

  project(spec, model) {
    model.tables.delete(spec.table);
  },

  plan(spec, ctx) {
    return { ...emptyPlan(), contract: ctx.ddl.dropTable(spec.table) };
  },
};
