/**
 * renameConstraint: done at once, at expand (SPEC §3: catalog only;
 * contract nothing; rollback: the rename undone). PostgreSQL: ALTER TABLE …
 * RENAME CONSTRAINT, which renames a unique or primary key's index too.
 * MySQL/MariaDB rename nothing but a unique key in place: how each kind is
 * renamed there without a scan or a write lock is in mysql/renames.ts; a
 * primary key (always PRIMARY there) is refused.
 *
 * The old name is free in the projected schema from here on, but a reuse of
 * it is refused until this migration is contracted (schema/holds.ts): a
 * rollback renames back to it.
 */
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';
import { requireTable } from './common.js';
import { constraintNames, constraintTaken } from './addForeignKey.js';

export const renameConstraint: Operation<'renameConstraint'> = {
  kind: 'renameConstraint',

  validate(spec, { dialect, model }) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    if (!t) return issues;
    const names = constraintNames(t);
    if (!names.includes(spec.from)) {
      // An index that is no constraint (Rails' `index_posts_on_user_id`, which its rename_column renames: campaign DV).
      const index = t.indexes.some((i) => i.name === spec.from) ? `; "${spec.from}" is an index, not a constraint: rename it with a \`sql\` operation — \`${dialect.renameIndexSql(spec.table, spec.from, spec.to)}\` (catalog only)` : '';
      return [{ path: ['from'], code: 'constraint_missing', table: spec.table, name: spec.from, message: `table "${spec.table}" has no constraint "${spec.from}"${index}` }];
    }
    if (spec.from === spec.to) return [{ path: ['to'], code: 'same_name', table: spec.table, message: `constraint "${spec.from}" already has that name` }];
    for (const message of model.holds.renameConstraint(spec.table)) issues.push({ path: ['from'], code: 'held_until_contract', message });
    const existing = constraintTaken(t, spec.to, dialect.names);
    if (existing) issues.push({ path: ['to'], code: 'name_taken', name: spec.to, table: spec.table, message: existing });
    const idx = t.indexes.find((i) => i.constraint === spec.from);
    const lacking = idx?.primary ? dialect.lacks('renamePrimaryKey') : undefined;
    if (lacking) issues.push({ path: ['from'], code: 'unsupported', feature: 'renamePrimaryKey', message: `"${spec.from}" is the primary key of "${spec.table}", which cannot be renamed: ${lacking}` });
    // Its index takes the new name too (PostgreSQL renames a key's index with it; on MySQL/MariaDB the key is its index).
    const renamesIndex = idx !== undefined || (dialect.foreignKeyIndexFollowsRename && t.indexes.some((i) => i.name === spec.from));
    const taken = renamesIndex && !existing ? dialect.nameTaken(model, 'index', spec.to, spec.table) : undefined;
    if (taken) issues.push({ path: ['to'], code: 'name_taken', name: spec.to, table: spec.table, message: `${taken} already exists, and the index of "${spec.from}" would take its name; choose another name` });
    return issues;
  },

  project(spec, model, dialect) {
    const t = model.table(spec.table);
    if (!t) return;
    // A check enforced by a trigger pair (MySQL) gets a pair of its new name: the old pair's base goes with it.
    for (const c of t.checks) if (c.name === spec.from) Object.assign(c, { name: spec.to, triggerBase: undefined });
    const fk = t.foreignKeys.find((k) => k.name === spec.from);
    if (fk) fk.name = spec.to;
    // A copy of the index (its column renamed later) reads its definition from USING on: the old name in it does no harm.
    for (const i of t.indexes) {
      const was = i.name;
      if (i.constraint === spec.from) Object.assign(i, { constraint: spec.to, name: spec.to });
      else if (fk && dialect.foreignKeyIndexFollowsRename && i.name === spec.from && i.constraint === null) i.name = spec.to;
      // A replica identity names its index: a later setReplicaIdentity's rollback restores the name it has then.
      if (i.name !== was && t.replicaIdentity?.type === 'index' && t.replicaIdentity.index === was) t.replicaIdentity = { ...t.replicaIdentity, index: i.name };
    }
  },

  plan(spec, ctx) {
    return { ...emptyPlan(), expand: ctx.ddl.renameConstraint(spec.table, spec.from, spec.to), rollback: ctx.ddl.renameConstraint(spec.table, spec.to, spec.from) };
  },
};
