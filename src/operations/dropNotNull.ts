/**
 * dropNotNull: the column may hold NULL from expand on, in place (pgroll's
 * alter_column with nullable: true, without the copy). Old writers always
 * send a value, so nothing is synced and contract has nothing to do.
 * PostgreSQL: DROP NOT NULL, catalog only. MySQL/MariaDB: MODIFY restating
 * the column, ALGORITHM=INPLACE, LOCK=NONE — an online rebuild (MariaDB 10.11
 * does it INSTANT only for ROW_FORMAT=REDUNDANT tables, so xc does not ask
 * for INSTANT; stating the algorithm makes the server refuse a table copy).
 *
 * Rollback restores NOT NULL the way setNotNull's contract does: an
 * unvalidated check guards new writes, is validated without blocking
 * writers, then NOT NULL is set without a scan. A NULL the new version wrote
 * meanwhile is named before the rollback changes anything (exit 1): give
 * those rows a value, then run the rollback again. One written between that
 * read and the check makes the validation fail, so the rollback stops there
 * (the column still nullable, new NULLs refused by the check) and resumes at
 * the validation.
 */
import { emptyPlan, type AgreementCheck, type Step } from '../plan/index.js';
import type { Operation, PlanContext, ValidationIssue } from './types.js';
import type { ColumnModel } from '../schema/model.js';
import { keyedCheck } from './batches.js';
import { clusterKeyIssues, nullabilityIssues, replicaIdentityIssue, requireColumn, requireTable } from './common.js';

export const dropNotNull: Operation<'dropNotNull'> = {
  kind: 'dropNotNull',

  validate(spec, { model, dialect }) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.column, ['column'], issues);
    const col = t?.columns.find((c) => c.name === spec.column);
    if (!t || !col) return issues;
    if (t.primaryKey.includes(spec.column)) {
      issues.push({ path: ['column'], code: 'key_column', table: spec.table, column: spec.column, message: `"${spec.table}"."${spec.column}" is part of the primary key, which cannot hold NULL` });
    } else if (col.nullable) {
      issues.push({ path: ['column'], code: 'already_nullable', table: spec.table, column: spec.column, message: `"${spec.table}"."${spec.column}" already allows NULL` });
    }
    if (!col.nullable) {
      // Its expand allows NULL, its rollback makes the column NOT NULL again: both must run online, or the rollback never could.
      const online = nullabilityIssues(dialect, t, spec.column, col.type, false, 'its expand', ['column']);
      issues.push(...(online.length > 0 ? online : nullabilityIssues(dialect, t, spec.column, col.type, true, 'its rollback (NOT NULL put back)', ['column'])));
    }
    const identity = replicaIdentityIssue(t, spec.column, ['column']);
    if (identity) issues.push(identity);
    if (!col.nullable) issues.push(...clusterKeyIssues(dialect, t, (i) => i.columns.includes(spec.column), `dropNotNull of "${spec.column}" takes away`, ['column']));
    // NOT NULL set by that contract, after this expand, would undo this.
    const by = model.holds.makesNotNull(spec.table, spec.column);
    if (by) issues.push({ path: ['column'], code: 'held_until_contract', message: `"${spec.table}"."${spec.column}" is made NOT NULL by ${by} at its contract, which would undo this — contract that migration first` });
    return issues;
  },

  project(spec, model) {
    const col = model.column(spec.table, spec.column);
    if (col) col.nullable = true;
  },

  plan(spec, ctx) {
    const col = ctx.model.column(spec.table, spec.column)!;
    return { ...emptyPlan(), expand: ctx.ddl.dropNotNull(spec.table, { ...col, nullable: true }), ...notNullBack(ctx, spec.table, col) };
  },
};

/**
 * A rollback that makes `col` NOT NULL again, online (setNotNull's contract), and the read before it that names the
 * rows the new version left NULL (also dropColumn's, where the new version omits the column).
 */
export function notNullBack(ctx: PlanContext, table: string, col: ColumnModel): { rollback: Step[]; rollbackVerify: AgreementCheck[] } {
  const { ddl } = ctx;
  const check = ctx.name('nn');
  const notNull = { ...col, nullable: false };
  const q = (id: string) => ctx.dialect.quote(id);
  // Validated on its own first: a NULL left fails here, naming the check (MySQL's MODIFY would only say "Data truncated").
  // PostgreSQL's enforceNotNull validates the check itself: that step once (campaign FD: printed twice).
  // In this order: each step is a fact of the planned model the next one reads (MySQL: the check's trigger pair).
  const add = ddl.addNotNullCheck(table, notNull, check);
  const validate = ddl.validateConstraint(table, check);
  const enforce = ddl.enforceNotNull(table, notNull, check);
  return {
    rollback: [...add, ...validate, ...enforce.filter((st) => !validate.some((v) => v.sql === st.sql))],
    rollbackVerify: [
      keyedCheck(ctx, {
        table,
        description: `"${col.name}" holds no NULL, as the NOT NULL the rollback puts back requires`,
        agrees: `${q(col.name)} IS NOT NULL`,
        show: [col.name],
        remedy: `These rows were written while "${col.name}" took NULL (by the new version): give them a value (an UPDATE), then run \`xc rollback ${ctx.migrationId}\` again. Nothing was changed.`,
      }),
    ],
  };
}
