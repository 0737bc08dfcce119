/**
 * addCheck: added unvalidated in expand, validated at contract, dropped on
 * rollback. Existing rows that break it are refused at plan time (VALIDATE
 * would fail on them at contract); from expand on, the unvalidated check
 * rejects every new one.
 */
import { columnsOf, requireTable } from './common.js';
import { constraintTaken } from './addForeignKey.js';
import { emptyPlan } from '../plan/index.js';
import { keyedCheck } from './batches.js';
import type { Operation, ValidationIssue } from './types.js';

export const addCheck: Operation<'addCheck'> = {
  rollbackSparesNewVersion: () => true,
  kind: 'addCheck',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    const taken = t && constraintTaken(t, spec.name, ctx.dialect.names);
    if (taken) issues.push({ path: ['name'], code: 'name_taken', name: spec.name, table: spec.table, message: taken });
    return issues;
  },

  expressions(spec, ctx) {
    return [{ path: ['expression'], table: spec.table, sql: spec.expression, columns: columnsOf(ctx.model.table(spec.table)), boolean: true, declared: 'addedCheck' }];
  },

  rowChecks(spec, ctx) {
    const columns = ctx.dialect.columnsNamed(spec.expression, spec.table, ctx.model.table(spec.table)?.columns.map((c) => c.name) ?? []);
    const message = `existing rows of "${spec.table}" break the check, which would fail to validate at contract; fix those rows first (or change the expression)`;
    return [{ path: ['expression'], table: spec.table, violation: `NOT COALESCE((${spec.expression}), TRUE)`, message, show: columns }];
  },

  contractTables: (spec) => [spec.table],

  project(spec, model, dialect) {
    const t = model.table(spec.table);
    if (!t) return;
    // In flight, the catalog shows it NOT VALID: projected as its contract leaves it (a copy made meanwhile is validated too).
    const shown = t.checks.find((c) => c.name === spec.name);
    if (shown) return void delete shown.validated;
    const columns = dialect.columnsNamed(spec.expression, spec.table, t.columns.map((c) => c.name));
    t.checks.push({ name: spec.name, expression: spec.expression, columns });
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    const show = ctx.dialect.columnsNamed(spec.expression, spec.table, ctx.model.table(spec.table)?.columns.map((c) => c.name) ?? []);
    return {
      ...emptyPlan(),
      // Read before contract starts, naming the rows: the server's validation names none (campaign DO: "violated by
      // some row", where plan's read of them had been cut by its time limit). Rows written since expand meet the check.
      verify: [
        keyedCheck(ctx, {
          table: spec.table, description: `every row satisfies the check ${spec.name}`, agrees: `COALESCE((${spec.expression}), TRUE)`, show,
          remedy: `Fix those rows (an UPDATE) so that they satisfy the check, then run \`xc contract\` again; or \`xc rollback ${ctx.migrationId}\`.`,
        }),
      ],
      expand: ddl.addCheck(spec.table, spec.name, spec.expression),
      contract: ddl.validateConstraint(spec.table, spec.name),
      rollback: ddl.dropConstraint(spec.table, spec.name),
    };
  },
};
