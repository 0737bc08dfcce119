/**
 * setReplicaIdentity (PostgreSQL): what logical decoding writes of a row's
 * old version on UPDATE and DELETE. Catalog only, at expand (ALTER TABLE …
 * REPLICA IDENTITY, ACCESS EXCLUSIVE for an instant); nothing at contract;
 * rollback sets the identity the table had, read from the catalog at plan
 * (pg_class.relreplident, pg_index.indisreplident) into the model.
 * MySQL/MariaDB have no such concept: refused at validation.
 */
import { emptyPlan } from '../plan/index.js';
import type { ReplicaIdentity } from '../schema/model.js';
import type { Operation, ValidationIssue } from './types.js';
import { requireTable } from './common.js';

const DEFAULT: ReplicaIdentity = { type: 'default' };

export const setReplicaIdentity: Operation<'setReplicaIdentity'> = {
  kind: 'setReplicaIdentity',

  validate(spec, { dialect, model }) {
    const issues: ValidationIssue[] = [];
    const lacking = dialect.lacks('replicaIdentity');
    if (lacking) return [{ path: ['identity'], code: 'unsupported', feature: 'replicaIdentity', message: `replica identity is PostgreSQL's: ${lacking}` }];
    const t = requireTable(model, spec.table, ['table'], issues);
    const name = spec.identity.index;
    if (!t || spec.identity.type !== 'index' || name === undefined) return issues;
    const idx = t.indexes.find((i) => i.name === name);
    if (!idx) return [{ path: ['identity', 'index'], code: 'index_missing', table: spec.table, name, message: `table "${spec.table}" has no index "${name}"` }];
    // PostgreSQL's own rules for an identity index, refused here rather than half-way through an apply.
    const nullable = idx.columns.filter((c) => t.columns.find((x) => x.name === c)?.nullable);
    const why = !idx.unique ? 'is not unique' : idx.where !== undefined ? 'is partial' : idx.columns.length === 0 ? 'indexes expressions' : nullable.length > 0 ? `covers nullable columns (${nullable.join(', ')})` : undefined;
    if (why) issues.push({ path: ['identity', 'index'], code: 'not_unique_key', table: spec.table, columns: idx.columns, message: `index "${name}" ${why}: a replica identity index must be unique, not partial, over NOT NULL columns only` });
    return issues;
  },

  project(spec, model) {
    const t = model.table(spec.table);
    if (!t) return;
    if (spec.identity.type === 'default') delete t.replicaIdentity;
    else t.replicaIdentity = { ...spec.identity };
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    const before = ctx.model.table(spec.table)?.replicaIdentity ?? DEFAULT;
    return { ...emptyPlan(), expand: ddl.setReplicaIdentity!(spec.table, spec.identity), rollback: ddl.setReplicaIdentity!(spec.table, before) };
  },
};
