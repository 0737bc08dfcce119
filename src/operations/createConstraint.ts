/**
 * createConstraint (pgroll's create_constraint): a unique, check, foreign or
 * primary key over existing columns, built at expand without blocking writes
 * and enforced for every new write from then on; validated or attached at
 * contract; dropped at rollback.
 *
 * - unique: a unique index built online (PostgreSQL CONCURRENTLY, MySQL
 *   INPLACE), attached as the named constraint at contract (no scan).
 * - primary_key: the same, plus, for a nullable column, the NOT NULL path of
 *   setNotNull (an unvalidated check at expand; validated, then NOT NULL, at
 *   contract); the index becomes the primary key at contract. MySQL/MariaDB
 *   add the key then (INPLACE, LOCK=NONE) and drop the index with it: a
 *   primary key dropped on rollback would copy the table under a write lock.
 * - check and foreign_key: as addCheck and addForeignKey (PostgreSQL NOT
 *   VALID, then VALIDATE; MySQL a trigger pair or a key added without a
 *   scan, then a query that fails on a violating row).
 *
 * Existing rows that break it (duplicates, NULLs in a key, a failing check,
 * an orphan) are refused at plan time, naming them. `up`/`down`: see
 * constraintConversion.ts (a check's `up`, and a one-column unique's,
 * converts through shadow columns; other conversions are refused).
 */
import type { Expr, OperationSpec } from '../migration/schema.js';
import type { TableModel } from '../schema/model.js';
import { isObjectName } from '../dialects/names.js';
import type { ForeignKeySpec } from '../dialects/dialect.js';
import type { RowCheck } from '../plan/index.js';
import { columnsOf, exprCheck, newClusterKeyIssues, nullabilityIssues, requireColumn, requireTable, sharedKeyViolation, triggerColumns, uniqueIndexIssues } from './common.js';
import { conversionIssues, conversions, convertibility, convertingCheckPlan, convertingUniquePlan, overConverted, upDownIssues } from './constraintConversion.js';
import { constraintTaken, foreignKeyTakenElsewhere, referenceIssues, referenceTypeIssues } from './addForeignKey.js';
import { indexModel } from './addIndex.js';
import { keyedCheck } from './batches.js';
import { emptyPlan, removing } from '../plan/index.js';
import type { Operation, PlanContext, ValidateContext, ValidationIssue } from './types.js';

type Spec = OperationSpec<'createConstraint'>;
type Feature = Parameters<ValidateContext['dialect']['lacks']>[0];

/** The parent's columns: as written, else its primary key. */
function refColumns(spec: Spec, target: TableModel | undefined): string[] {
  const r = spec.references;
  if (!r) return [];
  return r.columns ?? (r.column ? [r.column] : (target?.primaryKey ?? []));
}

/** The foreign key as the DDL vocabulary takes it; timing from the operation or its `references`. */
function foreignKey(spec: Spec, refCols: string[]): ForeignKeySpec {
  const r = spec.references!;
  const deferrable = spec.deferrable || spec.initiallyDeferred || r.deferrable || r.initiallyDeferred;
  const initiallyDeferred = spec.initiallyDeferred || r.initiallyDeferred;
  return {
    table: spec.table,
    name: spec.name,
    columns: spec.columns,
    refTable: r.table,
    refColumns: refCols,
    onDelete: r.onDelete ?? null,
    ...(r.onUpdate ? { onUpdate: r.onUpdate } : {}),
    ...(r.matchType === 'full' ? { matchType: 'full' } : {}),
    ...(deferrable ? { deferrable: true } : {}),
    ...(initiallyDeferred ? { initiallyDeferred: true } : {}),
  };
}

/** `up` of `column` may convert (it is not the column itself, bare or quoted, in every variant): known without the dialect. */
const mayConvert = (column: string, e: Expr) => (typeof e === 'string' ? [e] : Object.values(e)).some((v) => v !== undefined && v.trim().replace(/^(["`])(.*)\1$/, '$2') !== column);

/** The key columns a primary key must make NOT NULL (nullable ones). */
const nullableKeyColumns = (spec: Spec, t: TableModel | undefined) => (spec.type === 'primary_key' ? (t?.columns.filter((c) => spec.columns.includes(c.name) && c.nullable) ?? []) : []);

export const createConstraint: Operation<'createConstraint'> = {
  // A check, or a foreign key without an action, only refuses writes; a unique or primary key may be the new version's
  // ON CONFLICT arbiter, and a key's ON DELETE/UPDATE action is what the new version's deletes rely on (campaign L).
  rollbackSparesNewVersion: (spec) => spec.type === 'check' || (spec.type === 'foreign_key' && [spec.references?.onDelete, spec.references?.onUpdate].every((a) => a === undefined || /^(no action|restrict)$/i.test(a))),
  kind: 'createConstraint',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = upDownIssues(spec, spec.columns, ctx, convertibility(spec));
    const lacking = (path: (string | number)[], feature: Feature, option: string) => {
      const why = ctx.dialect.lacks(feature);
      if (why) issues.push({ path, code: 'unsupported', feature: option, message: `${option} is not available on this database: ${why}` });
    };
    if (spec.include) lacking(['include'], 'include', 'include');
    if (spec.nullsNotDistinct) lacking(['nullsNotDistinct'], 'nullsNotDistinct', 'nullsNotDistinct');
    if (spec.deferrable || spec.initiallyDeferred) lacking([spec.deferrable ? 'deferrable' : 'initiallyDeferred'], 'deferrable', 'deferrable');
    const r = spec.references;
    if (r?.deferrable || r?.initiallyDeferred) lacking(['references', r.deferrable ? 'deferrable' : 'initiallyDeferred'], 'deferrable', 'deferrable');
    if (r?.matchType === 'full') lacking(['references', 'matchType'], 'matchFull', 'matchType full');

    const t = requireTable(ctx.model, spec.table, ['table'], issues);
    spec.columns.forEach((c, i) => requireColumn(t, c, ['columns', i], issues));
    spec.include?.forEach((c, i) => requireColumn(t, c, ['include', i], issues));
    if (!t) return issues;
    if (convertibility(spec).convertible && issues.length === 0) issues.push(...conversionIssues(spec, ctx));

    const constraint = constraintTaken(t, spec.name, ctx.dialect.names) ?? (spec.type === 'foreign_key' ? foreignKeyTakenElsewhere(ctx.model, spec.table, spec.name, ctx.dialect.names) : undefined);
    if (constraint) {
      issues.push({ path: ['name'], code: 'name_taken', name: spec.name, table: spec.table, message: constraint });
    } else if (spec.type === 'unique' || spec.type === 'primary_key') {
      // Its index takes the name too: where indexes share the relations' namespace (PostgreSQL), schema-wide.
      const taken = ctx.dialect.nameTaken(ctx.model, 'index', spec.name, spec.table);
      if (taken) issues.push({ path: ['name'], code: 'name_taken', name: spec.name, table: spec.table, message: `${taken} already exists; give the constraint another name` });
    }
    if (spec.type === 'unique') {
      issues.push(...newClusterKeyIssues(ctx.dialect, t, spec.name, spec.columns, ['type']));
      issues.push(...uniqueIndexIssues(ctx.dialect, t, indexModel({ name: spec.name, columns: spec.columns, unique: true }), {}, ['type'], `unique constraint "${spec.name}"`));
    }
    if (spec.type === 'primary_key' && t.primaryKey.length > 0) {
      const existing = t.indexes.find((i) => i.primary)?.constraint ?? 'PRIMARY';
      issues.push({ path: ['type'], code: 'primary_key_exists', table: spec.table, constraint: existing, message: `table "${spec.table}" already has a primary key ("${existing}" over ${t.primaryKey.map((c) => `"${c}"`).join(', ')}); drop it first (dropConstraint)` });
    }
    // Its contract makes each nullable key column NOT NULL, as setNotNull's does: the same server limits apply.
    for (const c of nullableKeyColumns(spec, t)) issues.push(...nullabilityIssues(ctx.dialect, t, c.name, c.type, true, 'its contract (a primary key column made NOT NULL)', ['columns', spec.columns.indexOf(c.name)]));
    if (spec.type === 'foreign_key' && r) {
      if (r.column && r.columns) {
        issues.push({ path: ['references'], code: 'ambiguous_reference', message: 'give either "column" or "columns", not both' });
        return issues;
      }
      const target = r.table === spec.table ? t : requireTable(ctx.model, r.table, ['references', 'table'], issues, { noAlter: true });
      if (!target) return issues;
      const rc = refColumns(spec, target);
      if (rc.length === 0) {
        issues.push({ path: ['references'], code: 'no_primary_key', table: r.table, message: `table "${r.table}" has no primary key to reference; name the referenced columns` });
        return issues;
      }
      const base = ['references', r.column ? 'column' : 'columns'];
      issues.push(...referenceIssues(ctx, target, rc, spec.columns.length, base).map((i) => (r.column ? { ...i, path: base } : i)));
      // MySQL wants integer types to match exactly (bigint cannot reference int): said here, not by the server at expand.
      issues.push(...referenceTypeIssues(ctx.dialect, { table: spec.table, columns: spec.columns.map((c) => t.columns.find((col) => col.name === c)) }, target, rc, (i) => ['columns', i]));
    }
    return issues;
  },

  expressions(spec, ctx) {
    const t = ctx.model.table(spec.table);
    // Computed again by the verify before contract: deterministic.
    const ups = convertibility(spec).convertible
      ? conversions(spec, ctx.expr, ctx.dialect).flatMap((c) => exprCheck(['up', c.column], spec.table, c.up, columnsOf(t), t?.columns.find((x) => x.name === c.column)?.type).map((k) => ({ ...k, deterministic: true })))
      : [];
    if (spec.type !== 'check' || spec.check === undefined) return ups;
    return [{ path: ['check'], table: spec.table, sql: spec.check, columns: columnsOf(t), boolean: true, declared: 'addedCheck' }, ...ups];
  },

  // A check's `up` that converts: shadows of those columns, kept equal to `up` by a trigger, backfilled, put in their place at contract.
  synced(spec, ctx) {
    const convs = convertibility(spec).convertible ? conversions(spec, ctx.expr, ctx.dialect) : [];
    return triggerColumns(ctx, spec.table, convs.map((c) => c.column), convs.map((c) => c.up));
  },
  backfillTables: (spec) => (convertibility(spec).convertible && Object.entries(spec.up ?? {}).some(([c, e]) => mayConvert(c, e)) ? [spec.table] : []),
  // Each converted column is replaced by its shadow under its name at the cut-over: what reaches it by name keeps it (campaign V).
  removesAtContract: (spec) => (convertibility(spec).convertible ? Object.entries(spec.up ?? {}).filter(([c, e]) => mayConvert(c, e)).map(([c]) => ({ path: ['up', c], table: spec.table, column: c, keepsName: true })) : []),

  rowChecks(spec, { model, dialect }) {
    const t = model.table(spec.table);
    if (!t) return [];
    const q = (c: string) => dialect.quote(c);
    const own = (c: string) => `${q(spec.table)}.${q(c)}`;
    const list = spec.columns.map((c) => `"${c}"`).join(', ');
    const checks: RowCheck[] = [];
    const [conv] = spec.type === 'unique' && convertibility(spec).convertible ? conversions(spec, (e) => dialect.resolveExpr(e), dialect) : [];
    if (conv) {
      // Duplicates among the values `up` gives (the backfill stores them so under the index's copy).
      const violation = sharedKeyViolation(q, spec.table, [`(${conv.up})`]);
      checks.push({ path: ['up', conv.column], table: spec.table, violation, show: spec.columns, order: [`(${conv.up})`], message: `existing rows of "${spec.table}" share the value \`up\` gives them, which the unique constraint would refuse as the backfill converts them; make \`up\` tell them apart, or fix those rows first` });
    } else if (spec.type === 'unique' || spec.type === 'primary_key') {
      const grouped = `FROM ${q(spec.table)} _xc_dup GROUP BY ${spec.columns.map((c) => `_xc_dup.${q(c)}`).join(', ')} HAVING count(*) > 1`;
      // A row equal to another in every key column; NULLs are equal only with nullsNotDistinct (a row-value IN never matches a NULL).
      const violation = spec.nullsNotDistinct
        ? `EXISTS (SELECT 1 FROM (SELECT ${spec.columns.map((c, i) => `_xc_dup.${q(c)} AS ${q(`_xc_k${i}`)}`).join(', ')} ${grouped}) _xc_dups WHERE ${spec.columns
            .map((c, i) => dialect.sameValue(c, `_xc_dups.${q(`_xc_k${i}`)}`, t.columns.find((x) => x.name === c)?.type ?? 'text'))
            .join(' AND ')})`
        : sharedKeyViolation(q, spec.table, spec.columns.map(own), spec.columns.map(q));
      const what = spec.type === 'unique' ? 'unique constraint' : 'primary key';
      checks.push({ path: ['columns'], table: spec.table, violation, show: spec.columns, order: spec.columns.map(own), message: `existing rows of "${spec.table}" share their values of ${list}, which the ${what}'s index would refuse at expand; remove or change the duplicates first` });
      if (spec.type === 'primary_key') {
        const nulls = spec.columns.map((c) => `${own(c)} IS NULL`).join(' OR ');
        checks.push({ path: ['columns'], table: spec.table, violation: nulls, show: spec.columns, message: `existing rows of "${spec.table}" hold NULL in ${list}, which a primary key refuses (it makes its columns NOT NULL at contract); give those rows values first` });
      }
    } else if (spec.type === 'check' && spec.check !== undefined) {
      const columns = dialect.columnsNamed(spec.check, spec.table, t.columns.map((c) => c.name));
      const convs = conversions(spec, (e) => dialect.resolveExpr(e), dialect);
      if (convs.length > 0) {
        // The check over each row as `up` converts it (the backfill stores it so): the converted columns' names stand for `up`.
        const converted = overConverted(spec.check, spec.table, convs, dialect, (c) => `(${c.up})`);
        checks.push({ path: ['up'], table: spec.table, violation: `NOT COALESCE((${converted}), TRUE)`, show: columns, message: `existing rows of "${spec.table}" break the check even as \`up\` converts them, so the backfill would stop on them; make \`up\` give values that meet it, or fix those rows first` });
      } else {
        checks.push({ path: ['check'], table: spec.table, violation: `NOT COALESCE((${spec.check}), TRUE)`, show: columns, message: `existing rows of "${spec.table}" break the check, which would fail to validate at contract; fix those rows first (or change the expression)` });
      }
    } else if (spec.type === 'foreign_key' && spec.references) {
      const target = spec.references.table === spec.table ? t : model.table(spec.references.table);
      const rc = refColumns(spec, target);
      if (rc.length !== spec.columns.length) return [];
      const parentRow = rc.map((p, i) => `_xc_parent.${q(p)} = ${own(spec.columns[i]!)}`).join(' AND ');
      const orphan = `${spec.columns.map((c) => `${own(c)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${q(spec.references.table)} _xc_parent WHERE ${parentRow})`;
      // MATCH FULL: a key is all NULL or all set; one partly NULL fails too.
      const partly = `(${spec.columns.map((c) => `${own(c)} IS NULL`).join(' OR ')}) AND NOT (${spec.columns.map((c) => `${own(c)} IS NULL`).join(' AND ')})`;
      const violation = spec.references.matchType === 'full' && spec.columns.length > 1 ? `(${orphan}) OR (${partly})` : orphan;
      checks.push({ path: ['columns'], table: spec.table, violation, show: spec.columns, message: `existing rows of "${spec.table}" reference no row of "${spec.references.table}", so the foreign key would fail to validate at contract; fix or delete those rows first` });
    }
    return checks;
  },

  // A foreign key's validation reads its parent too (MySQL: a query over both tables).
  contractTables: (spec) => [spec.table, ...(spec.type === 'foreign_key' && spec.references ? [spec.references.table] : [])],

  // The primary key is made at contract (MySQL: its index too); a deferrable unique key is immediate until then.
  keyAtContract: (spec) => (spec.type === 'primary_key' || (spec.type === 'unique' && (spec.deferrable || spec.initiallyDeferred)) ? { table: spec.table, name: spec.name, columns: spec.columns } : undefined),

  notNullAtContract(spec, model) {
    return { table: spec.table, columns: nullableKeyColumns(spec, model.table(spec.table)).map((c) => c.name) };
  },

  project(spec, model, dialect) {
    const t = model.table(spec.table);
    if (!t) return;
    if (spec.type === 'unique') {
      // Its timing and NULLs as the catalog will show them (alterColumn in place refuses to copy such an index).
      const timing = { ...(spec.deferrable || spec.initiallyDeferred ? { deferrable: true } : {}), ...(spec.initiallyDeferred ? { initiallyDeferred: true } : {}), ...(spec.nullsNotDistinct ? { nullsNotDistinct: true } : {}) };
      // In flight, the catalog shows the index its contract attaches as the constraint (PostgreSQL): projected attached.
      const shown = t.indexes.find((i) => i.name === spec.name);
      if (shown) shown.constraint = spec.name;
      else t.indexes.push({ ...indexModel({ name: spec.name, columns: spec.columns, unique: true, constraint: spec.name }), ...timing });
    } else if (spec.type === 'primary_key') {
      if (t.primaryKey.length > 0) return; // the catalog shows it (contracted), under the server's name for it
      t.indexes = t.indexes.filter((i) => i.name !== spec.name);
      t.indexes.push(indexModel({ name: spec.name, columns: spec.columns, unique: true, primary: true, constraint: spec.name }));
      t.primaryKey = [...spec.columns];
      for (const c of t.columns) if (spec.columns.includes(c.name)) c.nullable = false;
    } else if (spec.type === 'check' && spec.check !== undefined) {
      // In flight with a converting `up`, the catalog shows it over the shadows: after contract it is over the columns,
      // enforced by another pair (MySQL). Else the pair the catalog shows is the one it keeps (campaign AT: taken for a
      // server CHECK, a later cut-over dropped it and made it again, and a kill -9 between left it unenforced).
      const shown = t.checks.find((c) => c.name === spec.name);
      const pair = shown?.trigger && !shown.columns.some((c) => isObjectName(c, 'shadow\\d+')) ? { trigger: true, ...(shown.triggerBase !== undefined ? { triggerBase: shown.triggerBase } : {}) } : {};
      t.checks = t.checks.filter((c) => c.name !== spec.name);
      t.checks.push({ name: spec.name, expression: spec.check, columns: dialect.columnsNamed(spec.check, spec.table, t.columns.map((c) => c.name)), ...pair });
    } else if (spec.type === 'foreign_key' && spec.references) {
      const shown = t.foreignKeys.find((f) => f.name === spec.name);
      if (shown) return void delete shown.validated; // in flight, NOT VALID until its contract (addForeignKey.project)
      const fk = foreignKey(spec, refColumns(spec, spec.references.table === spec.table ? t : model.table(spec.references.table)));
      const { table: _table, ...rest } = fk;
      t.foreignKeys.push({ ...rest, onDelete: rest.onDelete ?? null });
    }
  },

  plan(spec, ctx) {
    switch (spec.type) {
      case 'unique':
        if (conversions(spec, ctx.expr, ctx.dialect).length > 0) return convertingUniquePlan(spec, ctx);
        return keyPlan(spec, ctx);
      case 'primary_key':
        return keyPlan(spec, ctx);
      case 'check':
        if (conversions(spec, ctx.expr, ctx.dialect).length > 0) return convertingCheckPlan(spec, ctx);
        return {
          ...emptyPlan(),
          expand: ctx.ddl.addCheck(spec.table, spec.name, spec.check!),
          contract: ctx.ddl.validateConstraint(spec.table, spec.name),
          rollback: ctx.ddl.dropConstraint(spec.table, spec.name),
        };
      case 'foreign_key': {
        const target = ctx.model.table(spec.references!.table);
        return {
          ...emptyPlan(),
          expand: ctx.ddl.addForeignKey(foreignKey(spec, refColumns(spec, target))),
          contract: ctx.ddl.validateConstraint(spec.table, spec.name),
          rollback: ctx.ddl.dropConstraint(spec.table, spec.name),
        };
      }
    }
  },
};

/**
 * Unique and primary keys: a unique index named as the constraint is built
 * online at expand and enforces it for every write from then on (an index
 * has no NOT VALID); at contract it becomes the constraint, without a scan.
 */
function keyPlan(spec: Spec, ctx: PlanContext) {
  const { ddl, dialect } = ctx;
  const plan = emptyPlan();
  const timing = { deferrable: spec.deferrable || spec.initiallyDeferred, initiallyDeferred: spec.initiallyDeferred };
  const index = ddl.createIndex({ table: spec.table, name: spec.name, columns: spec.columns, unique: true, include: spec.include, nullsNotDistinct: spec.nullsNotDistinct });
  // Where the constraint is more than its index (PostgreSQL), a contract that attached it before failing leaves it owning the index.
  const dropKey = [...(dialect.uniqueKeysAreIndexes ? [] : ddl.dropConstraint(spec.table, spec.name)), ...ddl.dropIndex(spec.table, spec.name)];
  if (spec.type === 'unique') {
    plan.expand.push(...index);
    plan.contract.push(...ddl.addUniqueUsingIndex(spec.table, spec.name, spec.name, timing));
    plan.rollback.push(...dropKey);
    return plan;
  }
  // A primary key's columns are NOT NULL: setNotNull's path for each nullable one (an unvalidated check now; validated, then NOT NULL, at contract).
  const nullable = nullableKeyColumns(spec, ctx.model.table(spec.table)).map((c, i) => ({ column: { ...c, nullable: false }, check: ctx.name(`nn${i}`) }));
  // InnoDB would make a unique index over NOT NULL columns of this key-less table its clustered key, which a rollback
  // could then drop only by copying the table: no index at expand, and the key is added online at contract (where a
  // duplicate written meanwhile fails it, changing nothing). Over a nullable column the index is never clustered.
  const ownIndex = !(dialect.uniqueIndexMayCluster && nullable.length === 0);
  plan.expand.push(...nullable.flatMap((n) => ddl.addNotNullCheck(spec.table, n.column, n.check)), ...(ownIndex ? index : []));
  if (nullable.length > 0 && ctx.model.rowKey(spec.table)) {
    const q = (c: string) => dialect.quote(c);
    plan.verify.push(
      keyedCheck(ctx, {
        table: spec.table,
        description: `${nullable.map((n) => `"${n.column.name}"`).join(', ')} hold no NULL`,
        agrees: nullable.map((n) => `${q(n.column.name)} IS NOT NULL`).join(' AND '),
        show: spec.columns,
        remedy: `Give those rows a value (an UPDATE), then run \`xc contract\` again; or \`xc rollback ${ctx.migrationId}\`.`,
      }),
    );
  }
  plan.contract.push(
    ...nullable.flatMap((n) => ddl.enforceNotNull(spec.table, n.column, n.check)),
    // Once the key is there, undoing it would drop a primary key (MySQL: a table copy under a write lock): from here the migration can only be finished.
    ...removing(ddl.addPrimaryKeyUsingIndex(spec.table, spec.name, ownIndex ? spec.name : null, spec.columns, timing)),
  );
  plan.rollback.push(...(ownIndex ? dropKey : []), ...nullable.flatMap((n) => ddl.dropConstraint(spec.table, n.check)));
  return plan;
}
