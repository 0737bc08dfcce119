/**
 * dropColumn: old writers keep writing the column; new writers may omit it,
 * so it is filled from `down` (or, with neither `down` nor a default, its NOT
 * NULL is lifted). Contract drops it; rollback puts NOT NULL back online,
 * once no row the new version wrote holds NULL (dropNotNull's notNullBack).
 */
import { atomic, clearingFirst, emptyPlan } from '../plan/index.js';
import type { Operation } from './types.js';
import type { SchemaModel } from '../schema/model.js';
import { clusterKeyIssues, columnsOf, exprCheck, requireColumn, requireTable, tiedColumnIssues, triggerColumns } from './common.js';
import { notNullBack } from './dropNotNull.js';

/**
 * Why the server fills the column of an insert that omits it before any trigger runs, or null: `down`'s trigger fills
 * only a NULL, so it would never run (the new version's inserts would get the default instead).
 */
function filledFirst(model: SchemaModel, table: string, column: string): string | null {
  const col = model.column(table, column);
  if (!col) return null;
  const first = 'which fills an insert that omits it before any trigger';
  if (col.default !== null) {
    return `has a default (${col.default}), ${first}: remove \`down\` to keep the default, or drop the default first (an alterColumn with \`default: null\` in an earlier migration, contracted before this one)`;
  }
  const by = model.holds.defaultChangedBy(table, column);
  if (by) return `keeps its default until ${by} is contracted, ${first} — contract that migration first`;
  // An identity is the server's default (PostgreSQL); AUTO_INCREMENT and generated columns are filled after triggers, refused as such.
  if (col.generated && !col.filledAfterTriggers) return `is an identity column, ${first}: remove \`down\``;
  return null;
}

export const dropColumn: Operation<'dropColumn'> = {
  kind: 'dropColumn',
  validate(spec, { model, expr, dialect }) {
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.column, ['column'], issues);
    if (t?.primaryKey.includes(spec.column)) issues.push({ path: ['column'], code: 'key_column', table: spec.table, column: spec.column, message: `"${spec.table}"."${spec.column}" is part of the primary key` });
    // Another table's foreign key over it: the contract's drop would fail on it (PostgreSQL: it depends on the column's
    // unique index; MySQL: "needed in a foreign key constraint"), with the old version gone.
    for (const other of model.tables.values()) {
      for (const k of other.name === spec.table ? [] : other.foreignKeys.filter((f) => f.refTable === spec.table && f.refColumns.includes(spec.column))) {
        issues.push({ path: ['column'], code: 'referenced', table: spec.table, column: spec.column, foreignKey: k.name, referencing: other.name, message: `"${spec.table}"."${spec.column}" is referenced by foreign key "${k.name}" of "${other.name}": drop that key first (dropConstraint, in an earlier migration)` });
      }
    }
    issues.push(...tiedColumnIssues(t, [spec.column], ['column']));
    // Its NOT NULL lifted at expand, or the column dropped at contract, would take the index with it.
    issues.push(...clusterKeyIssues(dialect, t, (i) => i.columns.includes(spec.column), `dropColumn of "${spec.column}" drops`, ['column']));
    if (spec.down !== undefined && expr(spec.down) === undefined) issues.push({ path: ['down'], code: 'no_variant', message: 'no expression for this database' });
    const filled = spec.down === undefined ? null : filledFirst(model, spec.table, spec.column);
    if (filled) issues.push({ path: ['down'], code: 'filled_before_triggers', table: spec.table, column: spec.column, message: `\`down\` would never run: "${spec.table}"."${spec.column}" ${filled}` });
    return issues;
  },
  expressions(spec, { model, expr }) {
    const t = model.table(spec.table);
    const col = t?.columns.find((c) => c.name === spec.column);
    return spec.down === undefined || !col ? [] : exprCheck(['down'], spec.table, expr(spec.down), columnsOf(t), col.type);
  },
  synced: (spec, ctx) => triggerColumns(ctx, spec.table, spec.down === undefined ? [] : [spec.column], [spec.down === undefined ? undefined : ctx.expr(spec.down)]),
  removesAtContract: (spec) => [{ path: ['column'], table: spec.table, column: spec.column }],
  contractTables: (spec) => [spec.table],
  project(spec, model) {
    const t = model.table(spec.table);
    if (!t) return;
    t.columns = t.columns.filter((c) => c.name !== spec.column);
    t.indexes = t.indexes.filter((i) => !i.columns.includes(spec.column));
    t.checks = t.checks.filter((k) => !k.columns.includes(spec.column));
    t.foreignKeys = t.foreignKeys.filter((k) => !k.columns.includes(spec.column));
  },
  plan(spec, ctx) {
    const { ddl } = ctx;
    const t = ctx.model.table(spec.table)!;
    const col = t.columns.find((c) => c.name === spec.column)!;
    const plan = emptyPlan();
    const down = spec.down === undefined ? undefined : ctx.expr(spec.down);
    const trigger = down !== undefined ? ddl.fillTrigger({ name: ctx.name('fill'), table: spec.table, column: spec.column, expr: down, columns: t.columns.map((c) => c.name), insertOnly: true }) : undefined;
    const liftNotNull = !trigger && !col.nullable && col.default === null;

    if (trigger) plan.expand.push(...atomic(trigger.create));
    if (liftNotNull) plan.expand.push(...ddl.dropNotNull(spec.table, col));
    // Where DDL is not transactional the trigger goes before the column: give the column a default meanwhile,
    // so new writers that omit a NOT NULL column never fail in between.
    const defaultMeanwhile = trigger !== undefined && !ctx.dialect.transactionalDdl && !col.nullable && col.default === null;
    if (defaultMeanwhile) plan.contract.push(...ddl.setDefault(spec.table, spec.column, down!));
    const drop = clearingFirst(ddl.dropColumn(spec.table, spec.column));
    plan.contract.push(...atomic(drop.clearing, trigger?.drop ?? [], drop.rest));
    if (trigger) plan.rollback.push(...atomic(trigger.drop));
    // A contract stopped after that default (it removes nothing, so the migration may still be rolled back): taken
    // away again, or the old version's insert omitting the column would succeed, and the migration not apply again.
    if (defaultMeanwhile) plan.rollback.push(...ddl.setDefault(spec.table, spec.column, null));
    if (liftNotNull) {
      const back = notNullBack(ctx, spec.table, col);
      plan.rollback.push(...back.rollback);
      plan.rollbackVerify = back.rollbackVerify;
    }
    // Not computed again on an UPDATE: a trigger cannot tell the new version's update of an input (the column gone
    // stale) from the old version writing the column back as it was beside it (an ORM saving every column), which
    // must keep what it wrote (campaign AZ undid the change campaign AX asked for). Said, so nobody is surprised.
    const reads = down === undefined ? [] : ctx.dialect.columnsNamed(down, spec.table, t.columns.map((c) => c.name)).filter((c) => c !== spec.column);
    if (reads.length > 0) {
      plan.notes = [`\`down\` fills "${spec.table}"."${spec.column}" on the new version's inserts only: its updates of ${reads.map((c) => `"${c}"`).join(', ')} leave "${spec.column}" as it was — the old version, and a rollback, read that value`];
    }
    return plan;
  },
};
