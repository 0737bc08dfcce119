/**
 * addColumn: added nullable and without a scan; old writers, which do not
 * know the column, get it filled from `up` by a trigger; existing rows are
 * backfilled; contract enforces NOT NULL, default, unique and check as
 * declared (the check only then: an old writer's row, filled from `up`,
 * must not be refused before contract; a verify finds rows breaking it
 * first). A generated or identity column is refused: adding one rewrites
 * the table under an exclusive lock (PostgreSQL) or copies it (MySQL).
 * A constant default without `up` is added with the column in one statement
 * instead: existing rows read it from the catalog, none is rewritten.
 */
import { atomic, emptyPlan, onNewColumn, type RowCheck } from '../plan/index.js';
import type { Operation } from './types.js';
import type { SchemaModel } from '../schema/model.js';
import type { Expr, OperationSpec } from '../migration/schema.js';
import type { Dialect } from '../dialects/dialect.js';
import { keyedBackfill, keyedCheck } from './batches.js';
import { readFillInPlan } from './plannedReads.js';
import { constraintTaken, foreignKeyTakenElsewhere, referenceOptionIssues, referenceTypeIssues } from './addForeignKey.js';
import { checkName, columnExpressions } from './tableOptions.js';
import { referenceOptions } from '../dialects/references.js';
import { columnsOf, exprCheck, newClusterKeyIssues, nullabilityIssues, requireNoColumn, requireTable, sharedKeyViolation, triggerColumns, uniqueIndexIssues } from './common.js';
import { indexModel } from './addIndex.js';
import { isObjectName } from '../dialects/names.js';

/** Date/time input strings PostgreSQL evaluates when read ('now'::timestamptz): not constants. */
const TIME_WORDS = /^'\s*(now|today|tomorrow|yesterday)\s*'/i;
const CONSTANT = /^\s*(?:[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|'(?:[^'\\]|'')*'|true|false)(?:\s*::\s*[A-Za-z_][A-Za-z0-9_ ]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])?)?\s*$/i;

/**
 * A default every existing row can read without being written: a number, a
 * string (without backslashes, which the two servers read differently),
 * TRUE or FALSE, optionally with a PostgreSQL `::type` cast. Deliberately
 * syntactic and narrow: a function call, even a stable one such as now(), or
 * NULL (nothing to fill) keeps the path of the column added bare, the default
 * set and existing rows backfilled.
 */
export function isConstantDefault(expr: string): boolean {
  return CONSTANT.test(expr) && !TIME_WORDS.test(expr.trim());
}

/** NULL, bracketed or cast any number of times: PostgreSQL keeps a varchar's `DEFAULT NULL` as `NULL::character varying`. */
const NULL_CONSTANT = /^[\s(]*NULL(?:[\s)]*::\s*[A-Za-z_"][\w\s."$]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\d*\])*)*[\s)]*$/i;

/** A default that gives NULL, as a column without one does. */
export function isNullDefault(expr: string): boolean {
  return NULL_CONSTANT.test(expr);
}

/**
 * The name of the column's unique key: PostgreSQL's own choice for it, the first of `<table>_<column>_key`,
 * `…_key1`, … free in the schema as the plan sees it (an earlier column renamed away keeps its key's name)
 * and beside the column's own check and foreign key.
 */
function uniqueName(spec: OperationSpec<'addColumn'>, model: SchemaModel, dialect: Dialect): string {
  const { check, references } = spec.column;
  const own = [...(check ? [checkName(spec.table, spec.column.name, check, dialect)] : []), ...(references?.name ? [references.name] : [])];
  return dialect.keyName(model, spec.table, spec.column.name, 'key', own);
}

/**
 * The column's foreign key: the name given, else `<table>_<column>_fkey` (`…_fkey1`, … where that is taken), as
 * PostgreSQL names an unnamed one (constraintName, as for the column's check and unique key; README: default names).
 */
function foreignKeyName(spec: OperationSpec<'addColumn'>, model: SchemaModel, dialect: Dialect): string {
  const given = spec.column.references?.name;
  if (given !== undefined) return given;
  const t = model.table(spec.table);
  for (let n = 0; ; n++) {
    const name = dialect.constraintName(spec.table, spec.column.name, n === 0 ? 'fkey' : `fkey${n}`);
    // Nor an index's (MySQL/MariaDB name the index a foreign key needs after it).
    const taken = (t && constraintTaken(t, name, dialect.names)) || foreignKeyTakenElsewhere(model, spec.table, name, dialect.names) || dialect.nameTaken(model, 'index', name, spec.table);
    if (!taken) return name;
  }
}

/** Added with its default in one statement, nothing to backfill (PostgreSQL 11+: catalog only; MySQL: INSTANT). */
const addedWithDefault = (spec: { up?: unknown; column: { default?: string } }) => spec.up === undefined && spec.column.default !== undefined && isConstantDefault(spec.column.default);

/**
 * The column's own check over the value each existing row gets (`up`, else the default): validated at contract, it
 * would fail there on every such row, and no backfill mends a value `up` or the default gives (campaign AD).
 */
function ownCheck(spec: OperationSpec<'addColumn'>, up: string | undefined, dialect: Dialect, columns: string[]): RowCheck[] {
  const check = spec.column.check;
  const given = up ?? spec.column.default;
  if (!check || given === undefined) return [];
  // As the column stores it: a timestamp's `up` into a date column is the date (campaign AE).
  const value = dialect.storedAs(given, spec.column.type);
  const violation = `NOT COALESCE((${dialect.substituteColumn(check.expression, spec.table, spec.column.name, value)}), TRUE)`;
  const from = up !== undefined ? '`up`' : 'the `default`';
  const message = `${from} gives existing rows a value the column's check refuses (${check.expression}), which would fail its validation at contract; change ${from}, or the check`;
  return [{ path: ['column', 'check', 'expression'], table: spec.table, violation, message, show: up === undefined ? [] : dialect.columnsNamed(up, spec.table, columns) }];
}

/**
 * A unique column filled by `up`: existing rows `up` gives one value would fail the unique index as the contract
 * builds it, after the new version is live (`'x'` for every row; `lower(email)` where two emails differ by case).
 */
function ownUniqueCheck(spec: OperationSpec<'addColumn'>, up: string | undefined, dialect: Dialect, columns: string[]): RowCheck[] {
  if (!spec.column.unique || up === undefined) return [];
  const value = dialect.storedAs(`(${up})`, spec.column.type);
  const violation = sharedKeyViolation((n) => dialect.quote(n), spec.table, [value]);
  const message = `\`up\` gives existing rows of "${spec.table}" the same value, which its unique index refuses (the backfill would stop at the second such row); make \`up\` give each row its own value`;
  return [{ path: ['up'], table: spec.table, violation, message, show: dialect.columnsNamed(up, spec.table, columns), order: [value] }];
}

/** What existing rows and old writers' rows get: `up`, falling back to the default; the default alone without `up`. */
function fillOf(spec: OperationSpec<'addColumn'>, expr: (e: Expr) => string | undefined): string | undefined {
  const up = spec.up === undefined ? undefined : expr(spec.up);
  const def = spec.column.default === undefined ? undefined : expr(spec.column.default);
  return up !== undefined ? (def !== undefined ? `COALESCE(${up}, ${def})` : up) : def;
}

export const addColumn: Operation<'addColumn'> = {
  kind: 'addColumn',
  validate(spec, { model, expr, dialect }) {
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireNoColumn(t, spec.column.name, ['column', 'name'], issues, dialect.names);
    if (spec.column.primaryKey) issues.push({ path: ['column', 'primaryKey'], code: 'primary_key_unsupported', table: spec.table, column: spec.column.name, message: 'a primary key cannot be added to an existing table online: add the column NOT NULL (filled by `up`), then `createConstraint` of type primary_key over it; a table with no key at all: README, "A table without a key"' });
    if (!spec.column.nullable && spec.up === undefined && spec.column.default === undefined) {
      issues.push({ path: ['column', 'nullable'], code: 'needs_fill', table: spec.table, column: spec.column.name, message: 'a NOT NULL column needs `up` or a `default` to fill existing rows and old writers\' rows' });
    }
    if (spec.up !== undefined && expr(spec.up) === undefined) issues.push({ path: ['up'], code: 'no_variant', message: 'no expression for this database' });
    // Added nullable, filled, made NOT NULL at contract (unless its constant default fills it in the catalog).
    if (!spec.column.nullable && !addedWithDefault(spec) && !spec.column.generated) issues.push(...nullabilityIssues(dialect, t, spec.column.name, spec.column.type, true, 'its contract (NOT NULL)', ['column', 'nullable']));
    if (spec.column.generated) {
      const what = 'identity' in spec.column.generated ? 'an identity' : 'a generated';
      // xc's generated columns are STORED, as PostgreSQL 15 has them, so a file means the same on both servers; a VIRTUAL
      // one, instant on MariaDB, has no PostgreSQL counterpart (campaign AX: the message blamed a copy it would not make).
      const how = 'identity' in spec.column.generated ? 'or copying it (MySQL/MariaDB)' : 'or copying it (MySQL/MariaDB: xc makes generated columns STORED; a VIRTUAL one, added instantly there, is for a `sql` operation)';
      const message = `${what} column cannot be added to an existing table online: the server computes it for every row, rewriting the table under an exclusive lock (PostgreSQL) ${how}; add a plain column filled by \`up\`, or create the table with it`;
      issues.push({ path: ['column', 'generated'], code: 'unsupported', feature: 'generated', message });
    }
    const check = spec.column.check;
    if (check && t) {
      const name = checkName(spec.table, spec.column.name, check, dialect);
      const taken = constraintTaken(t, name, dialect.names);
      if (taken) issues.push({ path: ['column', 'check', 'name'], code: 'name_taken', name, table: spec.table, message: taken });
    }
    // Added NOT NULL with its default at expand, its unique index would be over NOT NULL columns from then on.
    if (t && spec.column.unique && !spec.column.nullable && addedWithDefault(spec)) {
      const added = { ...t, columns: [...t.columns, { name: spec.column.name, type: spec.column.type, nullable: false, default: spec.column.default ?? null }] };
      issues.push(...newClusterKeyIssues(dialect, added, uniqueName(spec, model, dialect), [spec.column.name], ['column', 'unique']));
    }
    if (t && spec.column.unique) {
      const key = indexModel({ name: uniqueName(spec, model, dialect), columns: [spec.column.name], unique: true });
      issues.push(...uniqueIndexIssues(dialect, t, key, { [spec.column.name]: spec.column.type }, ['column', 'unique']));
    }
    const ref = spec.column.references;
    if (ref) {
      issues.push(...referenceOptionIssues(ref, ['column', 'references'], dialect));
      // An unnamed one takes the first free derived name (foreignKeyName).
      const taken = ref.name === undefined ? undefined : ((t ? constraintTaken(t, ref.name, dialect.names) : undefined) ?? foreignKeyTakenElsewhere(model, spec.table, ref.name, dialect.names));
      if (taken) issues.push({ path: ['column', 'references', 'name'], code: 'name_taken', name: ref.name!, table: spec.table, message: taken });
      const rt = model.table(ref.table);
      if (!rt) issues.push({ path: ['column', 'references', 'table'], code: 'table_missing', table: ref.table, message: `table "${ref.table}" does not exist${model.searched}` });
      const refColumns = ref.columns ?? (ref.column ? [ref.column] : rt?.primaryKey ?? []);
      for (const rc of refColumns) {
        if (rt && !rt.columns.some((c) => c.name === rc)) issues.push({ path: ['column', 'references'], code: 'column_missing', table: ref.table, column: rc, message: `table "${ref.table}" has no column "${rc}"` });
      }
      if (rt) issues.push(...referenceTypeIssues(dialect, { table: spec.table, columns: [{ name: spec.column.name, type: spec.column.type }] }, rt, refColumns, () => ['column', 'type']));
    }
    return issues;
  },
  addsColumns: (spec) => [{ path: ['column', 'name'], table: spec.table, column: spec.column.name }],
  expressions(spec, { model, expr }) {
    const t = model.table(spec.table);
    const checks = spec.up === undefined ? [] : exprCheck(['up'], spec.table, expr(spec.up), columnsOf(t), spec.column.type);
    if (spec.column.default !== undefined) checks.push(...exprCheck(['column', 'default'], spec.table, spec.column.default, [], spec.column.type).map((k) => ({ ...k, columnDefault: true })));
    checks.push(...columnExpressions(spec.table, spec.column, ['column'], columnsOf(t, [{ name: spec.column.name, type: spec.column.type }]), 'addedCheck'));
    return checks;
  },
  rowChecks(spec, { model, expr, dialect }) {
    const t = model.table(spec.table);
    const up = spec.up === undefined ? undefined : expr(spec.up);
    if (!t) return [];
    if (spec.column.unique && up === undefined && spec.column.default !== undefined) {
      // Every existing row gets the one default: a unique index over them cannot be built once there are two.
      // Said of every default: a volatile one (gen_random_uuid()) is fine as `up`, which computes it row by row (campaign W).
      const message = `a unique column with a \`default\` and no \`up\` is refused on a table of two rows or more (a constant default would give every existing row one value); give \`up\` to compute each row's value — the default's own expression where it is volatile (\`up: "${spec.column.default.replace(/"/g, '\\"')}"\`)`;
      return [{ path: ['column', 'unique'], table: spec.table, violation: `(SELECT count(*) FROM ${dialect.quote(spec.table)}) > 1`, message, show: [] }];
    }
    const checks = [...ownCheck(spec, up, dialect, t.columns.map((c) => c.name)), ...ownUniqueCheck(spec, up, dialect, t.columns.map((c) => c.name))];
    if (spec.column.nullable || up === undefined || spec.column.default !== undefined) return checks;
    const message = `\`up\` gives NULL for existing rows, which the NOT NULL column would reject at contract; make \`up\` give a value for them, or give a \`default\``;
    return [...checks, { path: ['up'], table: spec.table, violation: `(${up}) IS NULL`, message, show: dialect.columnsNamed(up, spec.table, t.columns.map((c) => c.name)) }];
  },
  types: (spec) => [{ path: ['column', 'type'], type: spec.column.type }],
  synced: (spec, ctx) => triggerColumns(ctx, spec.table, spec.up === undefined ? [] : [spec.column.name], [spec.up === undefined ? undefined : ctx.expr(spec.up)]),
  backfillTables: (spec) => (spec.up !== undefined || (spec.column.default !== undefined && !addedWithDefault(spec)) ? [spec.table] : []),
  contractTables: (spec) => [spec.table],
  notNullAtContract: (spec) => ({ table: spec.table, columns: spec.column.nullable ? [] : [spec.column.name] }),
  project(spec, model, dialect) {
    const t = model.table(spec.table);
    if (!t) return;
    const declared = { nullable: spec.column.nullable, default: spec.column.default ?? null, ...(spec.column.comment !== undefined ? { comment: spec.column.comment } : {}) };
    const check = spec.column.check;
    if (check) {
      const name = checkName(spec.table, spec.column.name, check, dialect);
      const names = [...t.columns.map((c) => c.name), spec.column.name];
      const shown = t.checks.find((k) => k.name === name);
      if (shown) delete shown.validated; // in flight: as its contract leaves it
      else t.checks.push({ name, expression: check.expression, columns: dialect.columnsNamed(check.expression, spec.table, names) });
    }
    // Its foreign key, so later operations find it by its name; unless it is there already (in flight, expand made it
    // NOT VALID: projected as its contract leaves it, or a copy made meanwhile would stay so).
    const ref = spec.column.references;
    const refColumns = ref && (ref.columns ?? (ref.column ? [ref.column] : model.table(ref.table)?.primaryKey));
    const made = (k: (typeof t.foreignKeys)[number]) => (ref?.name ? k.name === ref.name : k.refTable === ref?.table && k.columns.length === 1 && k.columns[0] === spec.column.name);
    const shownKey = ref ? t.foreignKeys.find(made) : undefined;
    if (shownKey) delete shownKey.validated;
    else if (ref && refColumns) {
      t.foreignKeys.push({ name: foreignKeyName(spec, model, dialect), columns: [spec.column.name], refTable: ref.table, refColumns, ...referenceOptions(ref), onDelete: ref.onDelete ?? null });
    }
    // Its unique key, unless it is there already (a contract in flight made it). In flight before that contract, the
    // catalog shows xc's index (PostgreSQL), which the contract attaches under the key's name: that index is the key.
    const own = (i: (typeof t.indexes)[number]) => i.unique && i.constraint && !i.constraint.startsWith('xc_') && i.columns.length === 1 && i.columns[0] === spec.column.name;
    if (spec.column.unique && !t.indexes.some(own)) {
      t.indexes = t.indexes.filter((i) => !(isObjectName(i.name, 'uq') && i.columns.length === 1 && i.columns[0] === spec.column.name));
      const name = uniqueName(spec, model, dialect);
      t.indexes.push({ name, columns: [spec.column.name], unique: true, primary: false, constraint: name });
    }
    // In flight, the catalog shows the column as expand left it (nullable, its default held back while `up` fills it):
    // the projection is what contract makes it (fuzz seed 102: a later MySQL MODIFY restated it without its default).
    const existing = t.columns.find((c) => c.name === spec.column.name);
    if (existing) Object.assign(existing, declared);
    else {
      // Without `up` or a default, NULL: a later setNotNull or check of the plan reads that. Named, the column (not made
      // yet) failed the read, and every later row check judged nothing (fuzz seed 532, campaign AI: passed plan).
      const fill = spec.column.generated ? undefined : (fillOf(spec, dialect.resolveExpr.bind(dialect)) ?? 'NULL');
      if (fill !== undefined) readFillInPlan({ table: spec.table, column: spec.column.name, type: spec.column.type, up: dialect.embedExpression(fill), nullsOnly: false }, model, dialect);
      t.columns.push({ name: spec.column.name, type: spec.column.type, ...declared });
    }
  },
  plan(spec, ctx) {
    const { ddl } = ctx;
    const q = (id: string) => ctx.dialect.quote(id);
    const col = spec.column;
    const t = ctx.model.table(spec.table)!;
    const plan = emptyPlan();
    const up = spec.up === undefined ? undefined : ctx.expr(spec.up);
    // With `up`, the trigger fills the column for old writers (falling back to the default);
    // a column default would fill it first and hide the NULL the trigger looks for, so it waits for contract.
    // Embedded like `up`: the backfill and its check bind `?` parameters, so the default's own `?` (jsonb) must not read as one.
    const fill = fillOf(spec, ctx.expr);
    const fillName = ctx.name('fill');
    const catalogOnly = addedWithDefault(spec);
    const comment = col.comment !== undefined ? { comment: col.comment } : {};
    // The columns `up` reads: an old writer's UPDATE of one of them computes the column again (it never goes stale).
    const reads = up === undefined ? [] : ctx.dialect.columnsNamed(up, spec.table, t.columns.map((c) => c.name));
    const trigger =
      up !== undefined ? ddl.fillTrigger({ name: fillName, table: spec.table, column: col.name, type: col.type, expr: fill!, columns: [...t.columns.map((c) => c.name), col.name], recomputeOn: reads }) : undefined;

    // With an `up` that reads no column, where triggers are costly even when bypassed (MySQL), existing rows are filled
    // before the trigger exists: no new writer can write the column yet, so every row still holds what the expand put
    // there, and the backfill then fills the rows old writers inserted meanwhile (left NULL). When `up` reads columns,
    // an old writer changing one of them during that fill would leave the row's value stale where the backfill (which
    // fills NULLs only) never looks again: the trigger comes first then.
    const prefill =
      up !== undefined && reads.length === 0
        ? ddl.fillBeforeTriggers(keyedBackfill(ctx, { table: spec.table, set: { [col.name]: fill! }, where: `NOT COALESCE((${ctx.dialect.sameValue(col.name, fill!, col.type)}), FALSE)`, bypass: [fillName] }))
        : [];
    plan.expand.push(
      ...atomic(
        catalogOnly
          ? ddl.addColumn(spec.table, col.name, col.type, { default: col.default!, notNull: !col.nullable, ...comment })
          : // Stored in every row first (MySQL, with a placeholder) only where the prefill below replaces the placeholder at once.
            ddl.addColumn(spec.table, col.name, col.type, { backfilled: prefill.length > 0, ...comment }),
        up === undefined && col.default !== undefined && !catalogOnly ? ddl.setDefault(spec.table, col.name, col.default) : [],
        prefill,
        trigger?.create ?? [],
      ),
    );
    const uniqueIndex = ctx.name('uq');
    if (col.unique) plan.expand.push(...ddl.createIndex({ table: spec.table, name: uniqueIndex, columns: [col.name], unique: true }));
    const ref = col.references;
    const fkName = foreignKeyName(spec, ctx.model, ctx.dialect);
    if (ref) {
      const refColumns = ref.columns ?? (ref.column ? [ref.column] : ctx.model.table(ref.table)!.primaryKey);
      plan.expand.push(...ddl.addForeignKey({ table: spec.table, name: fkName, columns: [col.name], refTable: ref.table, refColumns, ...referenceOptions(ref) }));
    }
    if (fill !== undefined && !catalogOnly) plan.backfill.push(keyedBackfill(ctx, { table: spec.table, set: { [col.name]: fill }, where: `${q(col.name)} IS NULL AND (${fill}) IS NOT NULL`, bypass: [fillName] }));
    // Not `column = up` for every row: the new version may write its own value, and a volatile `up` (now(), random())
    // would never agree with itself. Every row that `up` gives a value has one — what the backfill guarantees.
    if (fill !== undefined && up !== undefined) {
      plan.verify.push(
        keyedCheck(ctx, {
          table: spec.table,
          // NOT NULL is enforced next: there every row needs a value, whatever `up` gives.
          description: col.nullable ? `${col.name} has a value wherever up gives one` : `${col.name} has a value on every row`,
          agrees: col.nullable ? `${q(col.name)} IS NOT NULL OR (${fill}) IS NULL` : `${q(col.name)} IS NOT NULL`,
          show: [col.name, ...reads],
        }),
      );
    }

    // NOT NULL guards new writes before the trigger that fills the column goes: a write leaving it to the trigger in
    // between stored NULL, where no backfill comes again, and the contract's validation failed on it for ever (campaign B,
    // seventeenth session: 26–54 such rows a run on MariaDB, whose DDL statements commit one by one). Created after the
    // trigger, the guard runs after it (MySQL: triggers in creation order; PostgreSQL: a constraint after every BEFORE trigger).
    const notNull = !col.nullable && !catalogOnly ? { check: ctx.name('nn'), column: { name: col.name, type: col.type, nullable: false, default: col.default ?? null, ...comment } } : undefined;
    if (notNull) plan.contract.push(...ddl.addNotNullCheck(spec.table, notNull.column, notNull.check));
    // The default before the trigger goes (MySQL/MariaDB commit each statement): a new-version write omitting the column
    // in between got NULL — refused by the guard above, or stored where the column is nullable (campaign F). With the
    // default in place the trigger finds no NULL to fill: only the new version writes now, and it gets the default.
    if (trigger) plan.contract.push(...atomic(col.default !== undefined ? ddl.setDefault(spec.table, col.name, col.default) : [], trigger.drop));
    // On the column a rollback drops: a contract failing after it (a check's validation) can still be rolled back.
    if (notNull) plan.contract.push(...onNewColumn(ddl.enforceNotNull(spec.table, notNull.column, notNull.check)));
    if (col.unique) plan.contract.push(...ddl.addUniqueUsingIndex(spec.table, uniqueName(spec, ctx.model, ctx.dialect), uniqueIndex));
    if (ref) plan.contract.push(...ddl.validateConstraint(spec.table, fkName));
    if (col.check) {
      // Old writers are gone at contract: added there unvalidated (instant), then validated without blocking writes.
      const name = checkName(spec.table, col.name, col.check, ctx.dialect);
      const agrees = `COALESCE((${col.check.expression}), TRUE)`;
      plan.verify.push(
        keyedCheck(ctx, {
          table: spec.table, description: `every row satisfies the check ${name}`, agrees, show: [col.name, ...ctx.dialect.columnsNamed(col.check.expression, spec.table, t.columns.map((c) => c.name))],
          // Such a row was written since expand (existing ones are refused at plan): no backfill changes it.
          remedy: `The check is enforced from contract on, and rows written since expand break it: give them values it takes (an UPDATE), then run \`xc contract\` again; or \`xc rollback ${ctx.migrationId}\`.`,
        }),
      );
      plan.contract.push(...ddl.addCheck(spec.table, name, col.check.expression), ...ddl.validateConstraint(spec.table, name));
    }

    plan.rollback.push(...atomic(trigger?.drop ?? [], ddl.dropColumn(spec.table, col.name)));
    // A row trigger cannot tell the new version's full-row save (its own value written back unchanged beside a changed
    // input) from the old version's update: said at plan (campaigns BH, BI: Django's and Sequelize's saves lost theirs).
    // Keeping a value it did not derive was tried: `up` over the old row fails writes where it cannot be computed, and
    // a lookup's or a volatile `up` never agrees with what it stored (campaign BJ) — RELIABILITY.
    // Read whole, the row is what the table holds when `up` runs: a column added later, or the shadow of an in-place
    // change in flight, is in the value of a row written then and not of one filled before (campaign DJ: xc's shadow
    // name kept for good in the rows an old writer updated meanwhile).
    const whole = up !== undefined && ctx.dialect.readsRowWhole(up, spec.table, t.columns.map((c) => c.name));
    if (reads.length > 0 || whole) {
      const inputs = whole ? 'any column' : reads.map((c) => `"${c}"`).join(', ');
      return {
        ...plan,
        notes: [
          `until contract, an UPDATE that changes ${inputs} and leaves "${col.name}" as it was computes "${col.name}" again from \`up\`, over a value the new version wrote too: a row trigger cannot tell it from the new version's save of the whole row with "${col.name}" written back unchanged (Django's save(), Rails with partial writes off) or of what changed alone (Sequelize, ActiveRecord, Eloquent) — let the new version rely on its own values of "${col.name}" only after contract`,
          ...(whole ? [`\`up\` reads the row of "${spec.table}" whole: its value is the row as the table is when it is computed — a column a later migration adds, or the shadow column (xc_shadow…) of an in-place change in flight, is in the rows written then and not in those filled before (it is "${col.name}" NULL in each, as the backfill computes it); name the columns it is to read instead, to keep the rows alike`] : []),
        ],
      };
    }
    return plan;
  },
};
