/**
 * renameTable: renamed in expand while the old name keeps working for old
 * code (an updatable view on PostgreSQL); the old name goes at contract;
 * rollback renames back.
 */
import { requireTable } from './common.js';
import { emptyPlan } from '../plan/index.js';
import type { Operation, ValidationIssue } from './types.js';

export const renameTable: Operation<'renameTable'> = {
  kind: 'renameTable',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = [];
    const t = requireTable(ctx.model, spec.from, ['from'], issues, { noAlter: true });
    const only = t?.columnOnlyGrantees;
    if (only?.length) {
      issues.push({
        path: ['from'], code: 'unsupported', feature: 'rowSecurity',
        message: `"${spec.from}" has row-level security, and ${only.join(', ')} ${only.length > 1 ? 'are' : 'is'} granted some of its columns only: the view under its old name runs as its invoker there (so the policies apply), and such a view needs the table's privileges, not some columns' — every statement of ${only.length > 1 ? 'theirs' : 'its'} through the old name would be denied. Grant the table's privilege instead (the policies still limit the rows), or rename the table in a release where old code no longer uses the old name (a \`sql\` operation)`,
      });
    }
    // A view has no INVISIBLE column (MySQL/MariaDB): the old name's would hide them from the old version, whose
    // statements naming them fail (campaign T), or show them to its SELECT * and INSERT without a column list.
    const hidden = (t?.columns ?? []).filter((c) => /\bINVISIBLE\b/.test(c.extra ?? '')).map((c) => `"${c.name}"`);
    if (hidden.length > 0) {
      issues.push({
        path: ['from'], code: 'unsupported', feature: 'invisibleColumns',
        message: `"${spec.from}" has INVISIBLE column${hidden.length > 1 ? 's' : ''} ${hidden.join(', ')}, which the view that keeps its old name working cannot keep invisible: it would hide ${hidden.length > 1 ? 'them' : 'it'} from the old version (its statements naming ${hidden.length > 1 ? 'them' : 'it'} fail) or show ${hidden.length > 1 ? 'them' : 'it'} to its SELECT * and INSERT without a column list — make ${hidden.length > 1 ? 'them' : 'it'} visible in an earlier migration (a \`sql\` operation, ALTER TABLE … MODIFY without INVISIBLE), or rename the table in a release where old code no longer uses the old name`,
      });
    }
    if (spec.to === spec.from) {
      issues.push({ path: ['to'], code: 'same_name', table: spec.from, message: `"${spec.to}" is already the table's name` });
    } else {
      const taken = ctx.dialect.nameTaken(ctx.model, 'table', spec.to);
      if (taken) issues.push({ path: ['to'], code: 'name_taken', name: spec.to, message: `${taken} already exists` });
      for (const name of ctx.dialect.renameTableTemporaries(spec.from, spec.to)) {
        const held = ctx.dialect.nameTaken(ctx.model, 'table', name);
        if (held) issues.push({ path: [], code: 'name_taken', name, message: `${held} already exists: the rename needs that name for a moment (its old name's view is built under it, or the new name's placeholder parked there; README, MySQL and MariaDB); rename that table first` });
      }
    }
    return issues;
  },

  renamesAtExpand: (spec) => spec.from,
  // Until contract the table is reached under its old name through a view that names it (on MySQL by name): renaming it again would break that.
  contractTables: (spec) => [spec.to],
  // Its contract drops the old name's view (MySQL: the placeholder too), naming none of the table's constraints.
  contractNamesNoConstraint: true,

  project(spec, model, dialect) {
    const t = model.table(spec.from);
    // A table still under the old name has not been renamed yet. Under the new name there is then nothing or, where
    // an expand stopped part-way (MySQL), xc's placeholder, which the table replaces: plan refused any other table
    // there. (Projected instead, the placeholder gave later migrations its int columns, and its view a user's dependency.)
    if (t?.kind === 'table') {
      t.name = spec.to;
      // Expressions naming the row by the table (`products.price`) name it by the new name: a later operation over one
      // of their columns finds it (campaigns AJ, AK: a MariaDB check trigger kept reading a column renamed since).
      const over = (sql: string) => dialect.requalify(sql, spec.from, spec.to);
      for (const k of t.checks) k.expression = over(k.expression);
      for (const i of t.indexes) {
        if (i.where !== undefined) i.where = over(i.where);
        if (i.keys) i.keys = i.keys.map((k) => (k.expression !== undefined ? { ...k, expression: over(k.expression) } : k));
      }
      model.tables.set(spec.to, t);
      model.inPlan.set(spec.to, model.readInPlan(spec.from));
      model.inPlan.delete(spec.from);
    }
    // Also drops the compatibility view a mid-expand catalog shows under the old name, and the names the rename takes
    // for a moment (MySQL: the view made for the old name, the parked placeholder): xc's, no user's.
    if (model.table(spec.to)) model.tables.delete(spec.from);
    for (const name of dialect.renameTableTemporaries(spec.from, spec.to)) model.tables.delete(name);
    for (const other of model.tables.values()) {
      for (const fk of other.foreignKeys) if (fk.refTable === spec.from) fk.refTable = spec.to;
    }
  },

  plan(spec, ctx) {
    const { ddl } = ctx;
    return {
      ...emptyPlan(),
      expand: ddl.renameTableKeepingOldName(spec.from, spec.to),
      contract: ddl.dropOldTableName(spec.from),
      rollback: ddl.restoreTableName(spec.from, spec.to),
      oldNames: [{ name: spec.from, renamedTo: spec.to }],
    };
  },
};
