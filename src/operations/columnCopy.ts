/**
 * The shared mechanism of renameColumn and alterColumn: a new column beside
 * the old one, kept equal both ways by a trigger while old and new versions
 * run side by side, backfilled, verified, and finally the only one left.
 *
 * What the old column had is carried over unless the operation says
 * otherwise: nullability, default, indexes, unique, check and foreign-key
 * constraints; column-level privileges too (given at expand, with the new
 * column). Indexes are built at expand (the new version queries the new
 * column while dual-writing); checks and foreign keys over the new column
 * come at contract, once the old version is gone, so they can never reject an
 * old writer's row — and hold from the old column's drop on (which takes the
 * originals along), so no write of the new version ever meets the new column
 * without them: PostgreSQL adds them NOT VALID in the drop's transaction and
 * validates them after the NOT NULL; MySQL/MariaDB adds them under temporary
 * names before the drop and gives them their own after it
 * (Ddl.carryConstraints, dialects/mysql/carry.ts).
 *
 * Names stay what they were, as PostgreSQL's own RENAME COLUMN keeps them:
 * index copies are built under xc's temporary names and renamed at contract,
 * in the old column's drop (which takes the originals with it); checks and
 * foreign keys end under their own names too.
 */
import type { ColumnModel, SchemaModel } from '../schema/model.js';
import type { Ddl, Dialect } from '../dialects/dialect.js';
import { atomic, clearingFirst, emptyPlan, removing, type OperationPlan, type RowCheck, type Step } from '../plan/index.js';
import type { PlanContext } from './types.js';
import { referencedTable, referenceOptions } from '../dialects/references.js';
import { keyedBackfill, keyedCheck } from './batches.js';
import { orphaned } from './addForeignKey.js';
import { isConstantDefault, isNullDefault } from './addColumn.js';
import { indexesNaming } from './common.js';
import { isObjectName } from '../dialects/names.js';
import { upReadsOtherwise } from './plannedReads.js';

export interface ColumnCopy {
  table: string;
  from: string;
  to: string;
  type?: string;
  nullable?: boolean;
  /** undefined: carry the old default over; null: none. */
  default?: string | null;
  up: string;
  down: string;
}

/** The copy gives a type, and not the old one as the catalog spells it (a respelling only adds a cast). */
export function changesType(type: string | undefined, old: Pick<ColumnModel, 'type'>): type is string {
  return type !== undefined && type.trim().toLowerCase() !== old.type.trim().toLowerCase();
}

/** A new character type keeps the column's own collation unless it names one (alterColumn changes what it is asked to). */
export function carriedType(type: string, old: ColumnModel): string {
  const textual = /^\s*(character|char|varchar|bpchar|text|tinytext|mediumtext|longtext|citext|enum|set)\b/i.test(type);
  // A type that names its character set another way (MySQL NATIONAL/NCHAR, ASCII, UNICODE, BYTE) takes no clause.
  const ownCharset = /^\s*(national|nchar|nvarchar)\b|\b(collate|character\s+set|charset|ascii|unicode|byte)\b/i.test(type);
  return old.collation && textual && !ownCharset ? `${type} ${old.collation}` : type;
}
/**
 * The new column's default from contract on: the one given, else the old
 * column's; converted to the new type when the type changes (a text default
 * '42' is no integer default). Null: none.
 */
export function copiedDefault(c: Pick<ColumnCopy, 'type' | 'default'>, old: Pick<ColumnModel, 'type' | 'default'>, ddl: Pick<Ddl, 'convertedDefault'>): string | null {
  const given = c.default === undefined ? old.default : c.default;
  return given !== null && changesType(c.type, old) ? ddl.convertedDefault(given, c.type) : given;
}

export function planColumnCopy(c: ColumnCopy, ctx: PlanContext): OperationPlan {
  const { ddl } = ctx;
  const q = (id: string) => ctx.dialect.quote(id);
  const t = ctx.model.table(c.table)!;
  const old = t.columns.find((col) => col.name === c.from)!;
  // The column's own collation comes along (PostgreSQL keeps it apart from the type; MySQL's type spells it).
  const type = carriedType(c.type ?? old.type, old);
  const nullable = c.nullable ?? old.nullable;
  const newDefault = copiedDefault(c, old, ddl);
  // Added NOT NULL where both shapes forbid NULL (MySQL: with a placeholder default until the trigger fills it).
  const notNull = !nullable && !old.nullable;
  // The old column keeps its default, so an old writer's `DEFAULT` keyword (knex writes it in multi-row inserts) gets
  // it; the trigger lets the new column win where the new version named it. A column the server sets on every UPDATE
  // (MySQL ON UPDATE CURRENT_TIMESTAMP) always does: MariaDB's DROP DEFAULT would take the ON UPDATE with it.
  // A NULL default is none here: a row holding it may be any writer's, so an INSERT setting both sides is kept as
  // written (and named by the verify), as without a default.
  const oldDefault = old.default !== null && !isNullDefault(old.default) ? old.default : null;
  const keepsDefault = oldDefault !== null && (old.autoUpdated === true || ddl.keepsDefaultThroughSync(type, notNull));
  const movesDefault = oldDefault !== null && !keepsDefault;
  const triggerName = ctx.name('sync');
  const trigger = ddl.syncTrigger({
    name: triggerName,
    table: c.table,
    oldColumn: c.from,
    newColumn: c.to,
    up: c.up,
    down: c.down,
    oldDefault,
    oldKeepsDefault: keepsDefault,
    ...(keepsDefault && defaultComparable(old) ? { oldDefaultStored: ctx.dialect.storedAs(oldDefault!, carriedType(old.type, old)) } : {}),
    newNullable: nullable,
    columns: [...t.columns.map((col) => col.name), c.to],
    oldType: old.type,
    newType: type,
    ...(old.autoUpdated ? { oldAutoUpdated: true } : {}),
  });
  const plan = emptyPlan();

  // The backfill converts exactly the rows the verify pass would reject: those where the shapes disagree.
  // Rows the new version wrote (old = down(new)) are never overwritten, whatever the new column held before.
  // A new column that may not hold NULL never agrees while it does, whatever down(NULL) gives: such a row is converted.
  const converted = `${ctx.dialect.sameValue(c.to, c.up, type)} OR ${ctx.dialect.sameValue(c.from, c.down, old.type)}`;
  // The NULL test first: AND stops at it, so a first pass (every new value NULL) skips the two conversions per row.
  const agrees = nullable ? converted : `${q(c.to)} IS NOT NULL AND (${converted})`;
  const backfill = keyedBackfill(ctx, { table: c.table, set: { [c.to]: c.up }, where: `NOT COALESCE((${agrees}), FALSE)`, bypass: [triggerName] });

  // An index over the column, or one whose expressions or predicate name it.
  const copies = indexesNaming(ctx.dialect, t, [c.from]).filter((i) => !i.primary).map((idx, n) => ({
    idx,
    temporary: ctx.name(`idx${n}`),
    // A DEFERRABLE key's copy (PostgreSQL) is a key of the same timing from the start, made before the trigger writes
    // the column: an immediate copy would refuse what the key lets a statement do (`SET pos = pos + 1`).
    deferrable: idx.deferrable === true && idx.constraint !== null,
  }));
  const early = copies
    .filter((x) => x.deferrable)
    .flatMap((x) => [...ddl.copyIndex(x.idx, c.table, x.temporary, c.from, c.to, type), ...ddl.addUniqueUsingIndex(c.table, x.temporary, x.temporary, { deferrable: true, initiallyDeferred: x.idx.initiallyDeferred })]);
  // Expand: the column, the trigger, then the defaults the trigger now applies — one atomic change where DDL is
  // transactional; in this order where it is not (MySQL), so old writers never see a gap. Where triggers are costly
  // even when bypassed (MySQL), the column is filled first: only old writers run before dual_write (the gate
  // admits the new version once backfilled), and the backfill then converts the rows they changed meanwhile.
  // The old column's column-level privileges with it, in its transaction: the new version reads and writes it from now on.
  const added = [...ddl.addColumn(c.table, c.to, type, { backfilled: true, notNull }), ...ddl.carryColumnPrivileges(c.table, c.from, c.to)];
  plan.expand.push(
    ...(early.length > 0 ? [...atomic(added), ...early] : []),
    ...atomic(
      early.length > 0 ? [] : added,
      ddl.fillBeforeTriggers({ ...backfill }),
      trigger.create,
      notNull ? ddl.setDefault(c.table, c.to, null) : [],
      trigger.settle ?? [],
      movesDefault ? ddl.setDefault(c.table, c.from, null) : [],
    ),
  );
  // A unique copy must meet every row converted, those written before the triggers too.
  if (copies.some((x) => x.idx.unique && !x.deferrable)) plan.expand.push(...ddl.refillAfterTriggers({ ...backfill }));
  // Each copy takes its original's name at contract: a unique constraint by adopting the copy (which renames it), an index by a rename.
  const renames: Step[] = [];
  for (const x of copies) {
    if (!x.deferrable) plan.expand.push(...ddl.copyIndex(x.idx, c.table, x.temporary, c.from, c.to, type));
    renames.push(...(x.deferrable ? ddl.renameConstraint(c.table, x.temporary, x.idx.constraint!) : x.idx.constraint ? ddl.addUniqueUsingIndex(c.table, x.idx.constraint, x.temporary) : ddl.renameIndex(c.table, x.temporary, x.idx.name)));
  }

  // The old column's foreign keys as the new column's, under temporary names until contract (Ddl.carryConstraints).
  // Each as it was: one the user left NOT VALID stays so (rows may break it; validating would fail with the old column gone).
  const notValid = (k: { validated?: false }) => (k.validated === false ? { validated: false as const } : {});
  const swap = (cols: string[]) => cols.map((col) => (col === c.from ? c.to : col));
  const carriedKeys = t.foreignKeys
    .filter((k) => k.columns.includes(c.from))
    .map((fk, n) => ({
      table: c.table,
      name: fk.name,
      columns: swap(fk.columns),
      refTable: fk.refTable,
      ...(fk.refSchema ? { refSchema: fk.refSchema } : {}),
      refColumns: fk.refColumns,
      ...referenceOptions(fk),
      ...(fk.onDeleteColumns ? { onDeleteColumns: swap(fk.onDeleteColumns) } : {}),
      temporary: ctx.name(`fk${n}`),
      ...notValid(fk),
    }));
  // Where a key's action (a cascade) changes the old column without a trigger seeing it (MySQL), the key holds over
  // the new column from here on, so the cascade changes both: its values are the old column's as they are (renameColumn,
  // a copy without `up`) — one an `up` converts would not be the parent's key. The backfill after it converts what
  // a cascade changed before (campaign FC). Before the rollback's planning: its drop of the new column drops them first.
  if (c.up.trim() === ctx.dialect.quote(c.from)) plan.expand.push(...ddl.cascadingKeysOverCopy({ table: c.table, newColumn: c.to, foreignKeys: carriedKeys }));

  // Rollback: old default back, trigger off, new column (and its index copies) gone — the default first, so where DDL
  // is not transactional (MySQL) an old writer omitting the column never meets neither; the INSERT trigger reads the
  // new column's placeholder as "not given" again before it comes back (for the same writers). Planned before the contract:
  // what this plan adds is a fact of the model as soon as it is planned (model.planned, which MySQL's drop of a column
  // reads), so the constraints contract re-adds under the old names would otherwise be dropped with the new column.
  // The unique copies first, as in shadow.ts: an old writer's insert meanwhile would get the placeholder twice.
  plan.rollback.push(...copies.filter((x) => x.idx.unique && !x.deferrable).flatMap((x) => ddl.dropIndex(c.table, x.temporary)));
  // The trigger's removal and the new column's drop under one lock where DDL commits statement by statement (MySQL): a
  // new-version writer whose version was never recorded (the gate cannot see it) wrote only the new column, and an
  // insert in between was lost with it (campaign EM). Its keys and indexes go first, as in the contract below.
  // Planned in this order: each step is a fact of the planned model the next one reads (letWritesOmit, the column's placeholder).
  const restoreDefault = movesDefault ? ddl.setDefault(c.table, c.from, old.default) : [];
  const omittable = ddl.letWritesOmit(c.table, c.to);
  const dropNew = clearingFirst(ddl.dropColumn(c.table, c.to));
  plan.rollback.push(...atomic(restoreDefault, trigger.unsettle ?? [], omittable, dropNew.clearing, ddl.noWriteBetween(c.table, [...trigger.drop, ...dropNew.rest])));

  plan.backfill.push(backfill);
  // A NULL that `up` gives for a row an old writer wrote cannot fill a NOT NULL new column: no backfill converts it.
  // A row inserted with both columns set to values that disagree: which version wrote it cannot be told (SyncTriggerSpec.oldDefaultTestable).
  const both = `A row inserted with both ${c.from} and ${c.to} set, to values that disagree (an old version writing back a row it read with \`SELECT *\`), is kept as written: \`xc backfill ${ctx.migrationId}\` takes ${c.from}'s value for it; or set the one that is right (an UPDATE of that column).`;
  const remedy = nullable
    ? `Rows changed where no trigger saw it (on MySQL: by a foreign-key cascade, or during the fill before the triggers, their key moved since) are converted again by \`xc backfill ${ctx.migrationId}\`. ${both}`
    : `Rows changed where no trigger saw it (on MySQL: by a foreign-key cascade, or during the fill before the triggers, their key moved since) are converted again by \`xc backfill ${ctx.migrationId}\`; where ${c.to} is NULL, \`up\` gives NULL for the row, which the NOT NULL ${c.to} cannot hold: fix the row (an UPDATE of ${c.from}), or \`xc rollback ${ctx.migrationId}\`. ${both}`;
  plan.verify.push(keyedCheck(ctx, { table: c.table, description: `${c.from} and ${c.to} agree on every row`, agrees, show: [c.from, c.to], ...(remedy ? { remedy } : {}) }));

  // Contract: trigger and old column go together (the trigger reads the old column), and with the old column its
  // indexes, whose names the copies take at once (one transaction where DDL is transactional, catalog only).
  // The new default goes before the trigger: where DDL is not transactional, new writers relying on it never see a gap.
  // What else the old column had (MySQL: ON UPDATE, COMMENT; PostgreSQL: COMMENT) — not during dual-write, where the
  // old version's UPDATEs must move the old column first. An ON UPDATE comes before the trigger goes (the trigger
  // keeps the old column equal to the new one meanwhile), so no UPDATE of the new version misses it.
  const column = { name: c.to, type, nullable, default: newDefault, ...(old.extra ? { extra: old.extra } : {}), ...(old.comment !== undefined ? { comment: old.comment } : {}), ...(old.settings ? { settings: old.settings } : {}) };
  const autoUpdate = old.autoUpdated ? ddl.carryAttributes(c.table, { ...column, nullable: !notNull }) : [];
  // A sequence the old column owns (PostgreSQL serial) would go with it, though the new default draws from it: handed over first.
  const sequence = newDefault !== null ? ddl.handOverSequence(c.table, old, c.to, type) : [];
  // The old column's checks and foreign keys, which its drop takes along, hold over the new column from that drop on:
  // no write of the new version meets the new column unchecked, an ON DELETE CASCADE never misses its rows (Ddl.carryConstraints).
  const carried = ddl.carryConstraints({
    table: c.table,
    oldColumn: c.from,
    newColumn: c.to,
    checks: t.checks
      .filter((x) => x.columns.includes(c.from))
      .map((k, n) => ({ name: k.name, expression: ctx.dialect.replaceIdentifier(k.expression, c.table, c.from, c.to), temporary: ctx.name(`ck${n}`), ...notValid(k) })),
    foreignKeys: carriedKeys,
  });
  // Where they must be made before the drop (MySQL: under temporary names), they come first, while the sync trigger
  // still keeps the old column, and its constraints, in step with the new one: no UPDATE of the new column escapes
  // them once the trigger is gone. Only the new version writes by now. They end the old shape: a rollback, planned
  // before them, could not drop the new column under a key.
  // NOT NULL guards the new column's writes while the trigger still fills it from the old one: a write naming neither,
  // between the old column's drop and the guard, stored NULL and the validation failed on it for ever (both servers;
  // contract-fill-gap.test.ts). Created after the trigger, the guard runs after it, as in addColumn. From it on the
  // contract is finished, not rolled back (as from the drop that came first before): the rollback, planned above,
  // does not know the guard (MySQL: a trigger pair naming the column it drops).
  const nn = nullable ? undefined : ctx.name('nn');
  if (nn) plan.contract.push(...removing(ddl.addNotNullCheck(c.table, column, nn)));
  // The old column's own keys, indexes and checks go before the trigger too, their copies over the new column holding
  // already: a new-version insert between the trigger's removal and the column's left the old column its default, and a
  // second one broke its unique index (fuzz seed 401, MariaDB: "Duplicate entry '42'").
  const dropOld = clearingFirst(ddl.dropColumn(c.table, c.from));
  const setNewDefault = newDefault !== null ? ddl.setDefault(c.table, c.to, newDefault) : [];
  plan.contract.push(
    ...atomic(
      removing(carried.beforeDrop),
      dropOld.clearing,
      // What an old writer sends between the trigger's removal and the drop would be lost with the column. The new
      // default and ON UPDATE come under the same lock: set before it, the new column no longer held the placeholder
      // the INSERT trigger reads as "not given", and an old writer's insert in between (a contract killed there) got
      // the new column's default taken for the new version's value, then lost with the old column (campaign EZ).
      ddl.noWriteBetween(c.table, [...setNewDefault, ...autoUpdate, ...trigger.drop, ...sequence, ...dropOld.rest], newDefault !== null ? [{ column: c.to, default: newDefault }] : []),
      renames,
      carried.withDrop,
    ),
  );
  if (nn) plan.contract.push(...ddl.enforceNotNull(c.table, column, nn));
  // Restated once: above already, for an ON UPDATE column whose nullability stays as it was stored.
  if (!old.autoUpdated || nullable !== !notNull) plan.contract.push(...ddl.carryAttributes(c.table, column));
  plan.contract.push(...carried.validate);

  return plan;
}

/**
 * Types a trigger compares with a constant default exactly, once stored as the column stores it: no rounding a
 * writer's session or the server's float formats could make differ, an `=` in every case (PostgreSQL `money`
 * has none with a number). Time defaults are left out: the trigger may run in another time zone than the writer.
 */
const EXACT = /^\s*(smallint|integer|int|bigint|int2|int4|int8|tinyint|mediumint|numeric|decimal|text|varchar|character varying|character|char|bpchar|tinytext|mediumtext|longtext|boolean|bool|uuid)\b(\s*\([\d\s,]*\))?(\s+unsigned)?(\s+zerofill)?\s*$/i;
function defaultComparable(old: ColumnModel): boolean {
  // A column's own character set or collation (MySQL spells it in the type) compares its text no less exactly: as
  // utf8mb4 bytes. Left out, the INSERT trigger let the new side win over an old writer's value (the type campaign).
  return old.default !== null && isConstantDefault(old.default) && EXACT.test(old.type.replace(/\s+(character\s+set|charset|collate)\s[\s\S]*$/i, ''));
}

/**
 * Rows breaking a foreign key over the copied column, which the contract adds again over the new column and
 * checks at its end, once the old column is gone: where the server's keys may hide such rows (Dialect.foreignKeysTrusted),
 * they are named at plan. (PostgreSQL: a valid key has none; one left NOT VALID is added back NOT VALID.)
 */
export function carriedKeyRowChecks(ctx: Pick<PlanContext, 'model' | 'dialect'>, table: string, column: string, path: (string | number)[]): RowCheck[] {
  if (ctx.dialect.foreignKeysTrusted) return [];
  const keys = ctx.model.table(table)?.foreignKeys.filter((k) => k.columns.includes(column)) ?? [];
  return keys.map((k) => ({
    path,
    table,
    violation: orphaned(ctx.dialect, table, k.columns, k, k.refColumns),
    message: `existing rows of "${table}" reference no row of ${referencedTable((n) => `"${n}"`, k)} through foreign key "${k.name}" (written with its checks off); the contract adds the key again over the new column and checks every row, after the old column is gone: fix or delete those rows first`,
    show: k.columns,
  }));
}

/** Tables a column copy's contract names: its own, and the parents of the foreign keys it re-creates on the new column. */
export function copyContractTables(model: SchemaModel, table: string, from: string): string[] {
  const keys = model.table(table)?.foreignKeys.filter((k) => k.columns.includes(from)) ?? [];
  return [table, ...keys.map((k) => k.refTable)];
}

/**
 * A copy whose new column takes the old one's values as they are (renameColumn; alterColumn's `to` without `up`), its
 * expand planned, not run: plan reads the rows' values under the new name from the column they are in now, converted
 * as the trigger and backfill convert them where the type changes. Called before the copy is projected.
 */
export function readCopyInPlan(c: { table: string; from: string; to: string; type?: string }, model: SchemaModel, dialect: Dialect): void {
  const old = model.column(c.table, c.from);
  if (!old || model.column(c.table, c.to)) return;
  const now = model.inPlan.get(c.table)?.columns.get(c.from) ?? dialect.quote(c.from);
  model.readInPlan(c.table).columns.set(c.to, changesType(c.type, old) ? dialect.defaultConversion(now, old.type, c.type) : now);
}

/**
 * A copy computed by `up` (alterColumn's `to` with `up`), its expand planned, not run: plan reads the new column's
 * values as the backfill will write them, `up` over the row as it is now, stored as the new type. Not where a column
 * `up` reads is itself named otherwise by the plan (`up` would read the wrong one): that column is left unread, and
 * apply reads it once it exists.
 */
export function readUpInPlan(c: { table: string; from: string; to: string; type?: string; up: string }, model: SchemaModel, dialect: Dialect): void {
  const old = model.column(c.table, c.from);
  if (!old || model.column(c.table, c.to) || upReadsOtherwise(c.table, c.up, model, dialect)) return;
  model.readInPlan(c.table).columns.set(c.to, dialect.storedAs(`(${c.up})`, c.type === undefined ? old.type : carriedType(c.type, old)));
}

/**
 * The model after contract: the old column gone, the new one with what was carried over — where the new one is:
 * added last at expand (ADD COLUMN appends, on both servers), not in the old one's place. A MariaDB cut-over placing a
 * column after the one its model put before it (`AFTER a2`, in fact after a VIRTUAL column) failed for ever (campaign EZ).
 */
export function projectColumnCopy(c: ColumnCopy, model: SchemaModel, dialect: Dialect): void {
  const t = model.table(c.table);
  if (!t) return;
  const old = t.columns.find((col) => col.name === c.from);
  if (!old) return;
  const added = t.columns.some((col) => col.name === c.to);
  t.columns = t.columns.flatMap((col) => (col.name === c.to ? [old] : col === old ? [] : [col]));
  if (!added) t.columns.push(old);
  if (old.autoUpdated) old.autoUpdatedCopyOf = c.from;
  old.name = c.to;
  if (c.type) old.type = c.type;
  if (c.nullable !== undefined) old.nullable = c.nullable;
  if (c.default !== undefined) old.default = c.default;
  const swap = (cols: string[]) => cols.map((col) => (col === c.from ? c.to : col));
  // The copies of the old column's indexes, built on the new one at expand under xc's names (planColumnCopy), are the
  // originals after contract, projected below from the old column's. Any other index on the new column stays: one a
  // later `sql` operation made there is the user's (fuzz seed 257: a later migration could not drop it).
  t.indexes = t.indexes.filter((i) => !isObjectName(i.name, 'idx\\d+') || !i.columns.includes(c.to) || i.columns.includes(c.from));
  for (const i of t.indexes) {
    const inExpression = (sql: string | undefined) => sql !== undefined && dialect.columnsNamed(sql, t.name, [c.from]).length > 0;
    if (i.primary || !(i.columns.includes(c.from) || i.include?.includes(c.from) || inExpression(i.definition) || i.keys?.some((k) => inExpression(k.expression)))) continue;
    i.columns = swap(i.columns);
    if (i.where !== undefined) i.where = dialect.replaceIdentifier(i.where, t.name, c.from, c.to);
    if (i.definition !== undefined) i.definition = dialect.replaceIdentifier(i.definition, t.name, c.from, c.to);
    if (i.include) i.include = swap(i.include);
    // Projected keys (addIndex's): their columns and expressions, as the copy built at expand has them.
    if (i.keys) i.keys = i.keys.map((k) => ({ ...k, ...(k.column === c.from ? { column: c.to } : {}), ...(k.expression !== undefined ? { expression: dialect.replaceIdentifier(k.expression, t.name, c.from, c.to) } : {}) }));
  }
  // A check's text too: another copy of the plan over one of its other columns carries it from this text (pgroll's
  // test cases: both columns of `name <> nick` renamed, the second contract added `name <> nickname` back and failed).
  for (const k of t.checks) {
    if (k.columns.includes(c.from)) k.expression = dialect.replaceIdentifier(k.expression, t.name, c.from, c.to);
    k.columns = swap(k.columns);
  }
  for (const fk of t.foreignKeys) {
    fk.columns = swap(fk.columns);
    if (fk.onDeleteColumns) fk.onDeleteColumns = swap(fk.onDeleteColumns);
  }
}

