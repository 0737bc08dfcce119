/**
 * Validates migrations against the schema as it will be, and plans them.
 *
 * The live catalog is projected forward through every in-flight migration
 * (their contract is already decided) and then through each pending one in
 * id order, so a migration may use a column an earlier pending one adds, and
 * may not use one an in-flight one will drop.
 */
import type { Session } from '../db/driver.js';
import { compileExpression, EscapedTransactionError, readOnly, withStandIns, type Dialect, type StandIn } from '../dialects/dialect.js';
import { escapeRegExp, nameKey, objectName } from '../dialects/names.js';
import { InvalidInputError, type MigrationIssue } from '../errors.js';
import type { MigrationFile } from '../migration/load.js';
import { entryKind, type Expr, type MigrationDefinition, type OperationKind, type OperationSpec } from '../migration/schema.js';
import { operation } from '../operations/index.js';
import { inheritanceIssue } from '../operations/common.js';
import type { CarriedDefault, Operation, PlanContext, ValidateContext, ValidationIssue } from '../operations/types.js';
import { emptyPlan, type ExpressionCheck, type OperationPlan, type Step } from '../plan/index.js';
import type { SchemaModel, TableModel } from '../schema/model.js';
import { PlannedObjects } from '../schema/planned.js';
import { codeOf, copiesOverHeld, overHeld, sqlOverHeld } from './held.js';
import { backfillTriggerNotes, triggerOrderIssues } from './triggerOrder.js';
import { deniedToWriters, ungrantedColumns } from './grantNotes.js';
import { NOT_READ_IN_TIME, notReadInTime, rowsViolate, unvalidatedCheckIssues, violatingRows } from './rowChecks.js';
import { missingNames } from './planHints.js';
import { describeDependent, isOwnGeneratedColumn, keyUsers, objectsOver, policyOverCopyWay, textUsers, viewOverCopyWay } from './oldNames.js';

function validateContext(dialect: Dialect, model: SchemaModel): ValidateContext {
  return { dialect, model, expr: (e: Expr) => dialect.resolveExpr(e) };
}

/** Change `model` into the shape after `definition` is contracted; tolerant of a partly-applied catalog. */
export function project(migrationId: string, definition: MigrationDefinition, model: SchemaModel, dialect: Dialect): void {
  for (const [opIndex, entry] of definition.operations.entries()) {
    const { kind, spec } = entryKind(entry);
    projectOperation(model, dialect, { migrationId, opIndex, kind, spec });
  }
}

/**
 * Advance `model` past one operation, recording what it holds until its
 * contract (schema/holds.ts); the problems of an operation that reuses a name
 * or a synced column another one in flight still holds.
 */
function projectOperation(model: SchemaModel, dialect: Dialect, o: { migrationId: string; opIndex: number; kind: OperationKind; spec: OperationSpec }): ValidationIssue[] {
  const op = operation(o.kind);
  const holder = `${o.migrationId} (operations[${o.opIndex}].${o.kind})`;
  const synced = op.synced?.(o.spec as never, validateContext(dialect, model));
  // NOT NULL over a column a copy of the plan fills: the copy itself can make it so (campaign M, Drizzle's rename + NOT NULL).
  // The holder is named as `holder` above writes it: `<id> (operations[i].<kind>)`.
  const oneCopy = (p: string) => (o.kind === 'setNotNull' && /by a trigger of .*\.(renameColumn|alterColumn)\)/.test(p) ? `${p}; or write both as one \`alterColumn\` of the old column with \`to\`, \`nullable: false\` and \`up\`/\`down\`` : p);
  const problems = (synced && synced.columns.length > 0 ? model.holds.sync(synced, holder) : []).map(oneCopy).map(heldUntilContract);
  for (const c of new Set(synced?.columns ?? [])) {
    if (model.table(synced!.table)?.columns.find((x) => x.name === c)?.filledAfterTriggers) {
      problems.push({
        path: [], code: 'filled_after_triggers', table: synced!.table, column: c,
        message: `"${synced!.table}"."${c}" gets its value from the server only after triggers run (AUTO_INCREMENT or a generated column): on INSERT xc's trigger would read 0 or NULL there and store a wrong value — compute from other columns`,
      });
    }
  }
  const renamed = op.renamesAtExpand?.(o.spec as never);
  if (renamed !== undefined) problems.push(...model.holds.rename(renamed).map(heldUntilContract));
  model.holds.contractsOn(op.contractTables?.(o.spec as never, model) ?? [], holder, op.contractNamesNoConstraint !== true);
  const notNull = op.notNullAtContract?.(o.spec as never, model);
  if (notNull) model.holds.notNullAtContract(notNull.table, notNull.columns, holder);
  const defaulted = op.defaultAtContract?.(o.spec as never);
  if (defaulted) model.holds.defaultAtContract(defaulted.table, defaulted.column, holder);
  const key = op.keyAtContract?.(o.spec as never);
  for (const r of op.removesAtContract?.(o.spec as never, validateContext(dialect, model)) ?? []) {
    if (r.inCatalog && r.column !== undefined) model.holds.retypeAtContract(r.table, r.column, holder);
  }
  const before = model.names();
  if (o.kind === 'sql') problems.push(...sqlOverHeld(model, (o.spec as OperationSpec<'sql'>).expand, dialect).map(heldUntilContract));
  op.project(o.spec as never, model, dialect);
  problems.push(...overHeld(model, before, dialect).map(heldUntilContract));
  // Held from here on, not against the operation's own objects: a column it removes at contract yet keeps is replaced by a shadow.
  const removed = (op.removesAtContract?.(o.spec as never) ?? []).filter((r) => r.column !== undefined && r.table === synced?.table && synced.columns.includes(r.column));
  const shadows = removed.map((r) => r.column!).filter((c) => model.column(synced!.table, c));
  // A copy (a column removed at contract, gone from the model): its new column's indexes are copies built at expand, as a shadow's are.
  const copies = removed.length > shadows.length ? synced!.columns.filter((c) => !removed.some((r) => r.column === c) && model.column(synced!.table, c)) : [];
  problems.push(...copiesOverHeld(model, synced?.table ?? '', shadows, dialect).map(heldUntilContract));
  problems.push(...copiesOverHeld(model, synced?.table ?? '', copies, dialect, true).map(heldUntilContract));
  model.holds.shadow(synced?.table ?? '', shadows, holder);
  if (key) model.holds.keyAtContract(key.table, key.name, key.columns, holder);
  // A check or key made again under the name its drop frees (MikroORM's and Drizzle's way to change one, campaign M):
  // the way that leaves no moment without one.
  const sameName = (p: string) => (['addCheck', 'createConstraint'].includes(o.kind) && p.startsWith('index or constraint ') ? `${p}; to change a check or key in one migration, add the new one under another name here beside the drop, and give it the old name with \`renameConstraint\` in a later migration` : p);
  const all = [...problems, ...model.holds.advance(before, model.names(), holder, (name) => nameKey(name, dialect.names)).map(sameName).map(heldUntilContract)];
  return all.map((p) => (p.code === 'held_until_contract' ? inOneMigration(p, o.migrationId) : p));
}

const heldUntilContract = (message: string): ValidationIssue => ({ path: [], code: 'held_until_contract', message });

/**
 * A problem held by an earlier operation of the same migration: "contract that migration first" would name the
 * migration being planned (pgroll's test cases, campaign pgrollA): the two cannot be in one migration.
 */
function inOneMigration(p: ValidationIssue, migrationId: string): ValidationIssue {
  const own = `${migrationId} (operations[`;
  if (!p.message.includes(own) || !p.message.includes('contract that migration first')) return p;
  return { ...p, message: p.message.replace(/contract that migration first(, then [^;]*)?/, 'that is this migration, so the two cannot be in one: move this operation to a later migration, and apply it once this one is contracted') };
}

/** The table a server's error says does not exist, where the plan makes it before this point (created, or renamed to). */
function plannedTable(error: string, model: SchemaModel): TableModel | undefined {
  const [name] = missingNames(error);
  const table = name === undefined ? undefined : model.table(name);
  return table?.kind === 'table' ? table : undefined;
}

/**
 * The one table of the database the plan gives, before this point, the column a server's error says does not exist
 * (a rename's new name, a column added), read through another table — a counter cache counting by a renamed key
 * (campaign DV: the whole folder refused). Its stand-in has the columns the plan gives it.
 */
function plannedColumnTable(error: string, model: SchemaModel): TableModel | undefined {
  const m = /column (?:"?[^"\s.]+"?\.)?"?([^"\s]+?)"? does not exist|Unknown column '(?:[^'.]+\.)?([^'.]+)'/.exec(error);
  const column = m?.[1] ?? m?.[2];
  if (column === undefined) return undefined;
  const made = [...model.tables.values()].filter((t) => t.kind === 'table' && t.columns.some((c) => c.name === column) && !(model.present.get(model.readName(t.name)) ?? []).includes(column));
  return made.length === 1 ? made[0] : undefined;
}

/**
 * The tables other than its own that an expression names and that lose a column before this point (an earlier pending
 * or in-flight migration renames or drops it at its contract): compiled over a stand-in of each as planned, a read of
 * the old name is refused now, not at that contract (campaign DZ: `(SELECT u.name FROM users u …)` after a pending
 * rename of users.name passed plan; once the rename was contracted every insert failed in the fill trigger).
 */
function losingColumns(dialect: Dialect, model: SchemaModel, check: ExpressionCheck): TableModel[] {
  return [...model.tables.values()].filter((t) => t.kind === 'table' && asWord(t.name).test(check.sql) && lostColumns(dialect, model, t.name, check.table).length > 0);
}

/** The columns `table` has in the database that the plan takes away before this point; none for `own`, the expression's own table. */
function lostColumns(dialect: Dialect, model: SchemaModel, table: string, own: string): string[] {
  const key = (name: string) => nameKey(name, dialect.names);
  if (key(table) === key(own)) return [];
  const planned = new Set(model.table(table)?.columns.map((c) => key(c.name)));
  return (model.present.get(model.readName(table)) ?? []).filter((c) => !planned.has(key(c)));
}

/**
 * Compile `check` with an empty stand-in (Dialect.standInTable) for each table it reads that this plan makes before it
 * and the database has not yet: a fresh database catching up on a whole history — a createTable, then an `up` or a
 * `sql` backfill reading it — was refused, each migration valid applied on its own. Found one at a time, by the
 * server's own "does not exist"; a stand-in the server will not make leaves the first error, with the way round it.
 */
async function compileOverPlanned(session: Session, dialect: Dialect, model: SchemaModel, check: ExpressionCheck): Promise<string | null> {
  const standIns: StandIn[] = [];
  for (const table of dialect.standInTable ? losingColumns(dialect, model, check) : []) {
    const next = [...standIns, dialect.standInTable!(table)];
    if (await withStandIns(session, dialect, next, [], async () => true).catch(() => false)) standIns.push(next.at(-1)!);
  }
  let error = await compileExpression(session, dialect, check, standIns);
  const standInFor = (e: string) => plannedTable(e, model) ?? plannedColumnTable(e, model);
  for (let table = error === null ? undefined : standInFor(error); table !== undefined && dialect.standInTable && standIns.length < 16; ) {
    const next = [...standIns, dialect.standInTable(table)];
    // Made alone first, so that a stand-in the server refuses (a type this plan makes too) is not taken for the expression's fault.
    if (!(await withStandIns(session, dialect, next, [], async () => true).catch(() => false))) break;
    standIns.push(next.at(-1)!);
    const again = await compileExpression(session, dialect, check, standIns);
    const another = again === null ? undefined : standInFor(again);
    if (another?.name === table.name) break;
    error = again;
    table = another;
  }
  if (error === null) return null;
  const missing = plannedTable(error, model);
  return missing === undefined ? error : `${error} — "${missing.name}" is created by this plan, not yet applied, and an expression is compiled against the database before anything runs: create it in an earlier migration and apply that one first (\`xc apply ID\`)`;
}

/**
 * What only the server can tell of one operation, in order, each step only
 * when the one before found nothing: its types; its expressions (their text
 * read first, then compiled as apply stores them — computed only where they
 * read no column (storedOnce) — and those compared again by the verify
 * refused when volatile); the indexes it builds, built on an empty temporary
 * table; the existing rows it needs to meet a condition (unless `readRows` is false:
 * a migration in flight holds what they would be judged by). Changes nothing.
 */
async function serverChecks(session: Session, dialect: Dialect, model: SchemaModel, op: Operation, spec: OperationSpec, vctx: ValidateContext, readRows: boolean, notes: string[], laterSql: string[]): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  const runAsWriter: ExpressionCheck[] = [];
  for (const t of op.types?.(spec as never, vctx) ?? []) {
    const issue = await dialect.typeIssue(session, t.type);
    if (issue) issues.push({ path: t.path, code: 'invalid_type', type: t.type, message: issue });
  }
  if (issues.length > 0) return issues; // a bad type is never pasted into the expressions compiled as it
  for (const st of dialect.sqlSyntaxIssue ? (op.statements?.(spec as never, vctx) ?? []) : []) {
    const error = await dialect.sqlSyntaxIssue!(session, st.sql);
    if (error) issues.push({ path: st.path, code: 'invalid_sql', message: `not valid SQL: ${error}` });
  }
  for (const written of op.expressions?.(spec as never, vctx) ?? []) {
    // Read from the text before anything runs: compiling, let alone computing, a call that changes the session would change xc's.
    const textIssue = dialect.textIssue?.(written.sql);
    if (textIssue) {
      issues.push({ path: written.path, code: 'invalid_expression', message: textIssue });
      continue;
    }
    const changes = dialect.sessionChanges(written.sql);
    if (changes.length > 0) {
      issues.push({
        path: written.path, code: 'changes_session', calls: changes,
        message: `calls ${changes.join('; ')}: an expression runs on xc's pooled sessions and, in a trigger, on the application's, which would carry the change into their next statements — compute the value without it`,
      });
      continue;
    }
    const ambiguity = subqueryIssue(dialect, model, written);
    if (ambiguity) {
      issues.push({ path: written.path, code: 'ambiguous_expression', message: ambiguity });
      continue;
    }
    const replication = await dialect.replicationIssue?.(session, written.sql);
    if (replication) issues.push({ path: written.path, code: 'unsafe_for_replication', message: replication });
    const check = storedOnce(dialect, written);
    const error = await compileOverPlanned(session, dialect, model, check);
    if (error) issues.push({ path: check.path, code: 'invalid_expression', message: error + droppedFirst(dialect, model, check.table, error) });
    // What runs as the writer: a trigger's `up`/`down`, a check (PostgreSQL runs both with the writer's rights: campaign EP).
    else if (((check.path[0] === 'up' || check.path[0] === 'down') && !check.columnDefault && !check.declared) || check.declared === 'addedCheck' || check.declared === 'check') runAsWriter.push(check);
    // A bare `user` the server takes (PostgreSQL) is SQL's USER, which a YAML author meant as text far more often
    // (campaign BD); its kin `current_user`, `session_user` likewise (campaign BL).
    const roleWord = /^\(*\s*(user|current_user|session_user)\s*\)*$/i.exec(check.sql)?.[1];
    if (!error && check.columnDefault && roleWord !== undefined) {
      notes.push(`${check.path.join('.')}: \`${check.sql.trim()}\` is SQL's ${roleWord.toUpperCase()}, the name of the role that inserts the row — for the text, quote it as SQL does ("default": "'${roleWord}'")`);
    }
    const volatile = check.deterministic && !error ? await dialect.volatileFunctions(session, dialect.calledFunctions(check.sql)) : [];
    if (volatile.length > 0) {
      issues.push({
        path: check.path, code: 'volatile_expression', functions: volatile,
        message: `calls ${volatile.join(', ')}, whose value changes from call to call; the check before contract computes the expression again and could never agree with the stored value — use a deterministic expression (to give a column a generated value once, use addColumn with \`up\`)`,
      });
    }
    // Compiled as a query, then where the server declares it (a CHECK, an index), which refuses more.
    const declared = !error && volatile.length === 0 && check.declared ? await dialect.declaredIssue?.(session, check) : null;
    if (declared) issues.push({ path: check.path, code: 'invalid_expression', message: check.explain ? check.explain(declared) : declared });
  }
  for (const d of issues.length > 0 ? [] : (op.carriedDefaults?.(spec as never, vctx) ?? [])) {
    const issue = await carriedDefaultIssue(session, dialect, d);
    if (issue) issues.push(issue);
  }
  for (const b of issues.length > 0 ? [] : (op.indexBuilds?.(spec as never, vctx) ?? [])) {
    const error = await dialect.indexBuildIssue?.(session, b);
    if (error) issues.push({ path: b.path, code: 'invalid_index', table: b.table, index: b.index.name, message: b.explain(error) });
  }
  if (issues.length > 0) return issues;
  for (const r of op.removesAtContract?.(spec as never, vctx) ?? []) {
    // xc's own compatibility view of an in-flight renameTable is gone from the projected model: not the user's. Another
    // schema's (database's) view is named qualified, and is never xc's.
    // A generated column an earlier operation (or migration) drops is gone before this drop: contracts run in that order.
    const all = (await dialect.dependents(session, model.readName(r.table), r.column, r.keepsName, r.inCatalog))
      .filter((d) => d.kind !== 'view' || model.table(d.name)?.kind === 'view' || d.name.includes('.'))
      .filter((d) => !isOwnGeneratedColumn(d) || model.column(r.table, d.name) !== undefined);
    const found = all.filter((d) => !d.changedUnder);
    // A view over a copy's old column can read the new one from expand on, its own columns unchanged for the old
    // version (campaign M: the only way plan knew, dropping it first, left the old version without it): noted, and
    // held by the contract until it does.
    // A row-level security policy likewise (campaign CL: refused, its only way — drop it first — left the table's API
    // roles every row denied meanwhile): xc's trigger fills the new column before a policy checks the row.
    const to = r.column === undefined ? undefined : copyTo(op.kind, spec);
    const views = to === undefined ? [] : found.filter((d) => d.kind === 'view');
    const policies = to === undefined ? [] : found.filter((d) => d.kind === 'policy');
    if (views.length > 0) notes.push(viewsOverCopy(views.map(describeDependent).sort(), r.table, r.column!, to!));
    if (policies.length > 0) notes.push(policiesOverCopy(policies.map(describeDependent).sort(), r.table, r.column!, to!));
    // A generated column the server keeps over a type changed in the catalog alone (MySQL/MariaDB) keeps its own type:
    // what it computes from a wider value may not fit it (campaign AZ: `concat(code, '-g')` past its varchar(40)).
    const under = all.filter((d) => d.changedUnder);
    if (under.length > 0) notes.push(generatedUnder(under.map(describeDependent).sort(), r.table, r.column!));
    // One a pending migration's `sql` expand before this one makes again or drops (a view replaced) may no longer depend
    // on it by the contract: noted, and held by the contract while it does (campaign CK: a migration replacing a view,
    // then one dropping a column it read, stopped every `check --apply` until the first was applied by hand). `apply`
    // plans the later one again once the first ran, against the catalog, which then tells.
    const rest = found.filter((d) => !views.includes(d) && !policies.includes(d)).map((d) => ({ d, where: namedAtExpand(model, dialect, d) }));
    for (const { d, where } of rest) if (where !== undefined) notes.push(changedFirst(describeDependent(d), where, r.table, r.column));
    const theirs = rest.flatMap(({ d, where }) => (where === undefined ? [describeDependent(d)] : [])).sort();
    if (theirs.length > 0) {
      const what = r.column === undefined ? `"${r.table}"` : `"${r.table}"."${r.column}"`;
      issues.push({
        path: r.path, code: 'has_dependents', table: r.table, ...(r.column === undefined ? {} : { column: r.column }), dependents: theirs,
        message: `${theirs.join(', ')} depend${theirs.length === 1 ? 's' : ''} on ${what}, which this migration ${r.inCatalog ? 'changes the type of at contract (in the catalog: the server refuses that under it)' : r.keepsName ? 'replaces at contract (drops it and gives its name to its shadow, which holds the values as this migration converts them)' : 'removes at contract'}: the contract would fail there, or leave ${theirs.length === 1 ? 'it' : 'them'} broken${rowTyped(found)} — change or drop ${theirs.length === 1 ? 'it' : 'them'} first (a \`sql\` operation in an earlier migration, applied on its own before this one is planned — \`xc apply <its id>\`, then \`xc apply\`: plan reads the database as it is)${copyTo(op.kind, spec) ? `; what is to read "${copyTo(op.kind, spec)}" instead can name it once this migration made and filled it: drop it in an earlier migration and make it again over "${copyTo(op.kind, spec)}" in a later one — \`xc apply\` backfills each migration before it expands the next, so the old version goes without it only while this one is applied (campaign DA: "after this contract" overstated that)` : ''}${r.keepsName && theirs.some((d) => d.startsWith('policy ')) ? `; a row policy cannot go even for a while (without it no row is visible): change the column into a new one instead (\`alterColumn\` with \`to\`), which plan notes the policy of, to be pointed at the new column before that contract (campaign DW)` : ''}`,
      });
    }
  }
  if (issues.length === 0) notes.push(...(await ungrantedColumns(session, dialect, model, op, spec, laterSql)), ...(await deniedToWriters(session, dialect, model, runAsWriter)));
  if (issues.length > 0 || !readRows) return issues;
  for (const check of op.rowChecks?.(spec as never, vctx) ?? []) {
    const examples = await violatingRows(session, dialect, model, check);
    if (examples === NOT_READ_IN_TIME) notes.push(notReadInTime(check));
    if (typeof examples !== 'string') continue;
    // Rows a pending migration before this one changes in its \`sql\` expand (the data cleanup before a unique key, in
    // one release) are read again when \`apply\` reaches this one, which it plans again then (campaign DD: duplicates a
    // migration before it deletes refused the whole folder).
    const first = rowsChangedFirst(dialect, model, check.table);
    if (first === undefined) issues.push(rowsViolate(check, examples));
    else notes.push(`${check.path.join('.')}: ${check.message} — but ${first}, applied first, changes rows of "${check.table}": \`xc apply\` reads them again when it reaches this migration, and stops there if they still break it (the migrations before it applied); for example, now:\n${examples}`);
  }
  return issues;
}

/** Why a row-typed dependent breaks though nothing fails (campaign U: "would fail there" did not say it). */
const rowTyped = (found: { kind: string }[]) =>
  found.some((d) => d.kind.startsWith('row-typed')) ? ' (a row-typed column keeps the rows it stores by their fields: the field of a column dropped, copied or changed through a shadow is gone or NULL in every one of them, silently)' : '';

const generatedUnder = (columns: string[], table: string, column: string) =>
  `${columns.join(', ')} read${columns.length === 1 ? 's' : ''} "${table}"."${column}", whose type this migration changes at contract (in the catalog): ${columns.length === 1 ? 'it keeps its' : 'they keep their'} own type, so a value computed from one the new type allows may not fit — such a write fails, as the server says`;

const viewsOverCopy = (views: string[], table: string, column: string, to: string) =>
  `${views.join(', ')} read${views.length === 1 ? 's' : ''} "${table}"."${column}", which this migration removes at contract: once it is applied, make ${views.length === 1 ? 'it' : 'them'} read "${to}" instead (${viewOverCopyWay(to, column, views.length === 1 ? 'it' : 'them')}); contract refuses while ${views.length === 1 ? 'it reads' : 'they read'} "${column}"`;

/**
 * A `sql` expand naming the new column of a copy earlier in its migration: it runs before that copy's backfill, so a
 * view or policy made there to read it sees NULL in every row not yet backfilled (campaign CP: policies moved so hid
 * each tenant's rows, and refused its writes, until the backfill ended).
 */
function readBeforeFilled(spec: OperationSpec<'sql'>, copies: { column: string; opIndex: number }[]): string[] {
  const text = spec.expand;
  if (text === undefined) return [];
  return copies
    .filter((c) => asWord(c.column).test(text))
    .map((c) => `its expand names "${c.column}", which operations[${c.opIndex}] adds and its backfill fills only after every expand step: a view or policy made here to read it sees NULL in each row not yet backfilled — make it read "${c.column}" in a later migration, applied once this one is backfilled`);
}

/**
 * Where the `sql` expand of a migration pending before this one names dependent `d` in a statement that makes, changes
 * or drops something (CREATE, ALTER, DROP: not a COMMENT, a query or a name in a literal or comment; campaign CQ), if
 * any. Another schema's object only by its qualified name (a name alone cannot tell it from one of the same name
 * here; campaign CS: `DROP VIEW other.v` was not taken).
 */
function namedAtExpand(model: SchemaModel, dialect: Dialect, d: { name: string; of?: string }): string | undefined {
  if (d.of !== undefined) return undefined;
  // A function is named with its signature (`api.label(posts)`), which its DROP spells as it likes: its name is enough
  // for a note, the contract holding while it still depends (campaign DA: refused, `DROP FUNCTION api.label(private.posts)`).
  const name = d.name.replace(/\(.*\)$/s, '');
  const dot = name.indexOf('.');
  const word = dot < 0 ? asWord(name) : asQualified(name.slice(0, dot), name.slice(dot + 1));
  // An overload is told apart by its number of arguments, where the statement gives them (campaign DC: `DROP FUNCTION
  // f(t)` was taken for `f(t, integer)` too, which apply then refused).
  const arity = /\((.*)\)$/s.exec(d.name)?.[1];
  const sameArity = (st: string) => {
    if (arity === undefined) return true;
    const given = new RegExp(`${word.source}\\s*\\(([^()]*)\\)`, 'i').exec(st)?.[1];
    return given === undefined || argCount(given) === argCount(arity);
  };
  return model.expandSql.find((x) => codeOf(dialect, x.text).split(';').some((st) => /^\s*(CREATE|ALTER|DROP)\b/i.test(st) && word.test(st) && sameArity(st)))?.where;
}

/** The arguments of a signature's list (`private.t, integer`): none for an empty one. */
const argCount = (list: string) => (list.trim() === '' ? 0 : list.split(',').length);

/**
 * Where a pending migration planned before changes rows of `table` in its \`sql\` expand (an UPDATE, DELETE or INSERT),
 * which plan cannot read ahead. A \`sql\` backfill's \`set\` it does: the rows are read as it leaves them.
 */
function rowsChangedFirst(dialect: Dialect, model: SchemaModel, table: string): string | undefined {
  const names = [...new Set([table, model.readName(table)])];
  // At the statement's start, or after a WITH's queries (PostgreSQL's data-modifying WITH, campaign DS's dedupe).
  // The table maybe behind ONLY or its schema (`DELETE FROM ONLY public.acct`, campaign DU).
  const dml = names.map((n) => new RegExp(`^\\s*(WITH\\s[^]*[()]\\s*)?(UPDATE|DELETE\\s+FROM|INSERT\\s+INTO|REPLACE\\s+INTO|MERGE\\s+INTO)\\s+(ONLY\\s+)?([\`"]?[A-Za-z_][A-Za-z0-9_$]*[\`"]?\\s*\\.\\s*)?${asWord(n).source}`, 'i'));
  return model.expandSql.find((x) => codeOf(dialect, x.text).split(';').some((st) => dml.some((re) => re.test(st))))?.where ?? model.unsureRows.get(table);
}

/** `name` as a word of an SQL text, bare or quoted, any case (read as text: xc cannot see into raw SQL). */
const asWord = (name: string) => new RegExp(`(?<![A-Za-z0-9_$])[\`"]?${escapeRegExp(name)}[\`"]?(?![A-Za-z0-9_$])`, 'i');

/** `schema.name` as words of an SQL text, each bare or quoted. */
const asQualified = (schema: string, name: string) => new RegExp(`${asWord(schema).source}\\s*\\.\\s*[\`"]?${escapeRegExp(name)}[\`"]?(?![A-Za-z0-9_$])`, 'i');

const changedFirst = (dependent: string, where: string, table: string, column: string | undefined) =>
  `${dependent} depends on ${column === undefined ? `"${table}"` : `"${table}"."${column}"`}, which this migration removes at contract; the \`sql\` expand of ${where} names it and runs first: contract refuses while it still depends on it`;

const policiesOverCopy = (policies: string[], table: string, column: string, to: string) =>
  `${policies.join(', ')} read${policies.length === 1 ? 's' : ''} "${table}"."${column}", which this migration removes at contract: make ${policies.length === 1 ? 'it' : 'them'} read "${to}" instead (${policyOverCopyWay(to, policies.length === 1 ? 'it' : 'them')}); contract refuses while ${policies.length === 1 ? 'it reads' : 'they read'} "${column}"`;

/** The new column of a copy (renameColumn, alterColumn with `to`), which exists only from its expand. */
const copyTo = (kind: OperationKind, spec: OperationSpec): string | undefined => (kind === 'renameColumn' || kind === 'alterColumn' ? (spec as { to?: string }).to : undefined);

/**
 * A value that reads no column is the value every row gets (or a default
 * every row may get): computed once here, converted as storing it converts,
 * so one the column cannot take ('abc' into an integer, a string too long)
 * is refused now rather than met by the backfill. One that reads columns
 * depends on each row's values: only compiled, and a row it fails for stops
 * the backfill (exit 1, naming the row), resumable once the data is fixed.
 */
/**
 * A subquery naming a column the row and a table it reads both have, bare, or the row's table read again unaliased
 * while the row is named by it: the backfill (SQL's scoping) and a trigger (the row's, on MySQL/MariaDB) would read
 * different columns, and which one the author meant cannot be told (sqltext.ts, subqueryAmbiguities).
 */
function subqueryIssue(dialect: Dialect, model: SchemaModel, check: ExpressionCheck): string | undefined {
  // A subquery's table counts the columns the database has now too: one a pending rename takes from it is read there
  // until that contract, and the row's own of that name after it (campaign EA: `(select name from cust …)` over
  // orders, which has a `name` too — backfilled from cust, then the trigger stored orders.name, silently).
  const lost = (table: string) => lostColumns(dialect, model, table, check.table);
  const { bare, unseen, shadowed } = dialect.subqueryAmbiguities(check.sql, check.table, check.columns.map((c) => c.name), model, lost);
  const row = dialect.quote(check.table);
  const way = (names: string[]) => `name ${names.length === 1 ? 'it' : 'each'} by its table: ${row}.${dialect.quote(names[0]!)} for the row's, the subquery's by its alias`;
  if (bare.length > 0) {
    const names = bare.map((c) => `"${c}"`).join(', ');
    return `in a subquery, ${names} ${bare.length === 1 ? 'is a column' : 'are columns'} of both this row's table "${check.table}" and a table the subquery reads: SQL would read the subquery's, where the author of a correlated subquery usually means the row's — ${way(bare)}`;
  }
  if (unseen.length > 0) {
    const names = unseen.map((c) => `"${c}"`).join(', ');
    return `in a subquery reading a derived table or a table xc does not know the columns of, ${names} of this row's table "${check.table}" ${unseen.length === 1 ? 'is' : 'are'} named bare: SQL reads a column of that name from the subquery first, if it has one — ${way(unseen)}`;
  }
  if (shadowed) return `a subquery names a table "${check.table}" — this row's table read again without an alias, or another table aliased so — and ${row}.<column> inside it names the subquery's row, not this one: give that table another alias (FROM ${row} AS other)`;
  return undefined;
}

function storedOnce(dialect: Dialect, check: ExpressionCheck): ExpressionCheck {
  if (!check.castTo || check.boolean || check.evaluate) return check;
  const reads = dialect.columnsNamed(check.sql, check.table, check.columns.map((c) => c.name));
  return reads.length === 0 ? { ...check, evaluate: 'unlessWrites' } : check;
}

/**
 * The carried default against `up` over a row holding the old default (CarriedDefault), both as the new column
 * stores them, read-only. One that cannot be computed here is another check's to name (or the row's to decide).
 * An `up` that gives for it what storing it in the new type gives (no `up`, or one that only casts) converts no
 * value: the carried default then differs only by what the old type kept of the declared one (real's 0.1 is
 * 0.10000000149011612, numeric(10,2)'s 1.5 is 1.50), and is carried as declared.
 */
async function carriedDefaultIssue(session: Session, dialect: Dialect, d: CarriedDefault): Promise<ValidationIssue | undefined> {
  const row = `(SELECT ${dialect.storedAs(d.oldDefault, d.oldType)} AS ${dialect.quote(d.column)}) AS _xc_row`;
  const as = (expr: string, name: string) => `${dialect.castText(dialect.storedAs(expr, d.newType))} AS ${name}`;
  const sql = `SELECT ${as(d.up, 'via_up')}, ${as(d.carried, 'carried')}, ${as(dialect.quote(d.column), 'via_cast')} FROM ${row}`;
  type Values = { via_up: string | null; carried: string | null; via_cast: string | null };
  let values: Values | undefined;
  try {
    values = await readOnly(session, dialect, async () => (await session.query<Values>(sql, undefined, { single: true })).rows[0]);
  } catch (err) {
    if (err instanceof EscapedTransactionError) throw err;
    return undefined;
  }
  if (!values || values.via_up === values.carried || values.via_up === values.via_cast) return undefined;
  const shown = (v: string | null) => (v === null ? 'NULL' : v);
  return {
    path: d.path, code: 'default_disagrees', table: d.table, column: d.column,
    message: `the default of "${d.table}"."${d.column}", ${d.oldDefault}, carried over as ${d.newType}, gives ${shown(values.carried)}, where \`up\` gives ${shown(values.via_up)} for it: rows the new version inserts without the column would get ${shown(values.via_up)} until contract and ${shown(values.carried)} after — give \`default\` for the new column (${shown(values.via_up)}, if that is what \`up\` means), or \`default: null\``,
  };
}

function where(file: string, opIndex: number, kind: string, path: (string | number)[]): string {
  return `${file}: operations[${opIndex}].${kind}${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
}

/** Whether rolling `definition` back leaves a live new version everything it writes and relies on (Operation.rollbackSparesNewVersion). */
export function rollbackSparesNewVersion(definition: MigrationDefinition): boolean {
  return definition.operations.every((e) => {
    const { kind, spec } = entryKind(e);
    return operation(kind).rollbackSparesNewVersion?.(spec as never) === true;
  });
}

/** A migration in flight, by its operations (what a pending migration with a lower id must leave alone). */
export interface InFlight {
  id: string;
  operations: { kind: OperationKind; spec: OperationSpec }[];
}

export function inFlightOperations(rows: Iterable<{ id: string; definition: MigrationDefinition }>): InFlight[] {
  return [...rows].map((r) => ({ id: r.id, operations: r.definition.operations.map(entryKind) }));
}

/** Every string in a spec: the names and expressions it holds. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  return value !== null && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];
}

/** The tables an operation is on (a renameTable both of its names, a foreign key its parent too). */
function tablesOf(kind: OperationKind, spec: OperationSpec): string[] {
  const s = spec as { table?: string; from?: string; to?: string; references?: { table?: string }; column?: { references?: { table?: string } } };
  return [s.table, ...(kind === 'renameTable' ? [s.from, s.to] : []), s.references?.table, s.column?.references?.table].filter((t): t is string => t !== undefined);
}

/**
 * The columns of the index or constraint a drop removes at contract: one in flight that copies or carries it over
 * them (a renamed column's key, an in-place change's unique copy) would put it back at its own contract (campaign L).
 */
function droppedKeyColumns(kind: OperationKind, spec: OperationSpec, model: SchemaModel): { table: string; column: string }[] {
  if (kind !== 'dropConstraint' && kind !== 'dropIndex' && kind !== 'dropMultiColumnConstraint') return [];
  const { table, name } = spec as { table: string; name: string };
  const t = model.table(table);
  const key = t?.indexes.find((i) => i.name === name || i.constraint === name) ?? t?.checks.find((k) => k.name === name) ?? t?.foreignKeys.find((k) => k.name === name);
  return (key?.columns ?? []).map((column) => ({ table, column }));
}

/**
 * A pending migration with an id below one in flight (a branch merged later) is applied after it but contracted
 * before it: contract goes in id order. Where its contract removes what that one still uses — a table it is on, a
 * column it names (its trigger reads it, its index or key copy covers it, its contract renames or drops it), any
 * column of a table whose old name it serves through a view (renameTable) — that contract would fail, or the other's
 * would (what it built is gone), with a migration stuck in contracting. Refused at plan; what removes nothing, or
 * nothing in flight uses (another table, a column added, one no migration in flight names), is applied.
 */
function outOfOrderIssue(id: string, kind: OperationKind, spec: OperationSpec, dialect: Dialect, model: SchemaModel, inFlight: InFlight[]): ValidationIssue | null {
  // A branch written before a rename landed names the old name, which is the old version's view now (campaign Y).
  for (const table of tablesOf(kind, spec)) {
    for (const m of inFlight.filter((x) => x.id > id)) {
      const rename = m.operations.find((o) => o.kind === 'renameTable' && (o.spec as { from: string }).from === table);
      if (!rename || model.table(table)?.kind === 'table') continue;
      const to = (rename.spec as { to: string }).to;
      return {
        path: 'table' in spec ? ['table'] : [], code: 'out_of_order', table, migration: m.id,
        message: `${m.id}, in flight with a higher id, renames table "${table}" to "${to}" ("${table}" is the old version's view of it until that contract): name "${to}", as the schema is now, or give this migration an id after ${m.id}`,
      };
    }
  }
  const removed = [...(operation(kind).removesAtContract?.(spec as never) ?? []), ...(kind === 'renameTable' ? [{ table: (spec as { from: string }).from, column: undefined }] : []), ...droppedKeyColumns(kind, spec, model)];
  for (const { table, column } of removed) {
    for (const m of inFlight.filter((x) => x.id > id)) {
      const uses = m.operations.some((o) => {
        if (!tablesOf(o.kind, o.spec).includes(table)) return false;
        if (column === undefined || o.kind === 'renameTable') return true;
        return strings(o.spec).some((text) => text === column || dialect.columnsNamed(text, table, [column]).length > 0);
      });
      if (!uses) continue;
      const what = column === undefined ? `table "${table}"` : `"${table}"."${column}"`;
      return {
        path: [], code: 'out_of_order', table, migration: m.id,
        message: `${m.id}, in flight with a higher id, uses ${what} until its contract; xc contracts in id order, so this migration, applied after it, would be contracted before it and remove ${what} from under it — contract ${m.id} first (\`xc contract ${m.id}\`), or give this migration an id after it`,
      };
    }
  }
  return null;
}

/**
 * Refused: a step of xc's own (not an author's statement) in this operation's expand, contract or rollback that the
 * server would refuse on its table as it is (Dialect.alterIssue: MariaDB adds, drops or rebuilds no column of a table
 * with a FULLTEXT index, a SPATIAL index or an indexed VIRTUAL column without a lock or a copy). One check of every
 * statement, the busy table's alternative too, so no operation can pass plan and fail there.
 */
/** Every statement a step may run: its own, a several-statement step's, the busy table's alternative. */
const stepStatements = (step: Step): string[] => [step.sql, ...(step.statements ?? []).map((x) => (typeof x === 'string' ? x : x.sql)), ...(step.ifBusy ? [step.ifBusy.sql] : [])];

function alterIssues(dialect: Dialect, model: SchemaModel, p: OperationPlan, path: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const phases: Array<[string, Step[]]> = [['its expand', p.expand], ['its contract', p.contract], ['its rollback', p.rollback]];
  for (const [when, steps] of phases) {
    for (const step of steps) {
      if (step.author) continue;
      const statements = stepStatements(step);
      for (const table of step.tables) {
        const t = model.table(table);
        if (!t) continue;
        for (const sql of statements) {
          const problem = dialect.alterIssue(t, sql);
          if (problem === null || !mentionsTable(sql, table)) continue;
          // One line per table: the first phase that would fail names it.
          if (seen.has(table)) continue;
          seen.add(table);
          issues.push({ path, code: 'unsupported', feature: 'online_alter', message: `${when} (${step.description}): ${problem}` });
        }
      }
    }
  }
  return issues;
}

/**
 * Refused: what an operation's expand adds to a table (columns, index copies), with what earlier operations of the
 * migration add, that takes it past a limit of the server (Dialect.tableGrowthIssue). Appends this operation's to `added`.
 */
async function tableGrowthIssues(session: Session, dialect: Dialect, added: Map<string, string[]>, expand: Step[], path: (string | number)[]): Promise<ValidationIssue[]> {
  if (!dialect.tableGrowthIssue) return [];
  const grown = new Set<string>();
  for (const step of expand) {
    for (const table of step.tables) {
      if (!/\bADD\s+(COLUMN|(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX)\b/i.test(step.sql) || !mentionsTable(step.sql, table)) continue;
      added.set(table, [...(added.get(table) ?? []), step.sql]);
      grown.add(table);
    }
  }
  const issues: ValidationIssue[] = [];
  for (const table of grown) {
    const problem = await dialect.tableGrowthIssue(session, table, added.get(table)!);
    if (problem) issues.push({ path, code: 'table_limit', table, message: problem });
  }
  return issues;
}

/**
 * A view made over a column whose type a contract in flight (or earlier in the plan) changes in the catalog holds
 * that contract where the server keeps a view's column types (PostgreSQL refuses the ALTER under it; the contract
 * refuses first, nothing changed): said while it is still a file (campaign AW: only that contract said it).
 */
function viewsOverRetyped(dialect: Dialect, model: SchemaModel, spec: OperationSpec<'sql'>): string[] {
  const text = spec.expand;
  if (text === undefined || !dialect.viewsHoldColumnTypes || !/\bcreate\s+(or\s+replace\s+)?(materialized\s+|recursive\s+)?(view|rule)\b/i.test(text)) return [];
  // Naming the column however qualified (`x.a` of `t x`, `(t).a`: campaign BL), or every column (`*`, `t.*`, `TABLE t`:
  // campaign BG); a note, so read from the text loosely, a word of that name anywhere.
  const word = (name: string) => new RegExp(`(^|[^A-Za-z0-9_$])${escapeRegExp(name)}([^A-Za-z0-9_$]|$)`, 'i');
  const readsAll = /(^|[\s,(.])\*|\btable\s/i.test(text.replace(/^\s*create\s+(or\s+replace\s+)?(materialized\s+)?(recursive\s+)?table\s/i, ''));
  return model.holds
    .retypedAtContract()
    .filter(({ table, column }) => word(table).test(text) && (readsAll || word(column).test(text)))
    .map(({ table, column, by }) => `makes a view over "${table}"."${column}", whose type ${by} changes at its contract: the server refuses that change under a view, so that contract is refused while this view reads the column — drop the view before it, and make it again after (or apply this once that migration is contracted)`);
}

/** `sql` alters `table` (ALTER TABLE `table` …, quoted as MySQL and PostgreSQL quote it). */
function mentionsTable(sql: string, table: string): boolean {
  const quoted = [`\`${table.replace(/`/g, '``')}\``, `"${table.replace(/"/g, '""')}"`];
  return quoted.some((q) => new RegExp(`\\bALTER\\s+TABLE\\s+${escapeRegExp(q)}`, 'i').test(sql));
}

/**
 * Past an operation that is refused (or follows one): its names as it means them, so that a later operation on
 * the table it creates is not also reported as naming a table that "does not exist". Only what it names: its holds
 * are not taken, and a spec too broken to project leaves the model as it was. The migration is refused either way.
 */
function projectRefused(model: SchemaModel, dialect: Dialect, op: Operation, spec: OperationSpec): void {
  try {
    op.project(spec as never, model, dialect);
  } catch {
    // A spec the projection cannot read: its own issue says why; later operations are checked against the model before it.
  }
}

/**
 * Whether this session may run the operation's statements on its table (Dialect.cannotAlter): checked at plan, so
 * a role that may not is told before anything runs instead of at apply's first ALTER or at contract's cut-over.
 * `table`, or renameTable's `from`; each problem named once per migration.
 */
async function ownerIssue(session: Session, dialect: Dialect, spec: object, steps: Step[], named: Set<string>): Promise<ValidationIssue | null> {
  const key = 'table' in spec ? 'table' : 'from' in spec ? 'from' : undefined;
  const table = key ? (spec as Record<string, unknown>)[key] : undefined;
  if (!dialect.cannotAlter || typeof table !== 'string') return null;
  const problem = await dialect.cannotAlter(session, table, steps.flatMap(stepStatements));
  if (!problem || named.has(problem)) return null;
  named.add(problem);
  return { path: [key!], code: 'not_owner', table, message: problem };
}

/**
 * Validate one migration against `model` (which is advanced past it) and
 * return its plan. With a session, author expressions are compiled against
 * the database too (read-only). Throws InvalidInputError listing every problem.
 */
export async function planMigration(
  file: Pick<MigrationFile, 'id' | 'file' | 'definition'>,
  model: SchemaModel,
  dialect: Dialect,
  session: Session | null,
  inFlight: InFlight[] = [],
): Promise<OperationPlan> {
  const problems: string[] = [];
  const found: MigrationIssue[] = [];
  /** One problem: its line in the message, and its entry in the error's `issues`. */
  const report = (opIndex: number, kind: OperationKind, issue: ValidationIssue) => {
    problems.push(`${where(file.file, opIndex, kind, issue.path)}: ${issue.message}`);
    found.push({ ...issue, file: file.file, path: ['operations', opIndex, kind, ...issue.path] });
  };
  const plan: OperationPlan = { ...emptyPlan(), removalsMarked: true };
  /** The ADD COLUMN / ADD INDEX statements of this migration's expand so far, by table: the table carries all of them at once. */
  const added = new Map<string, string[]>();
  // What this migration adds before the catalog has it starts empty: its own contract and rollback read it, a later migration the projection.
  model.planned = new PlannedObjects();
  // What an earlier migration left unsure and never settled (its plan refused) is not this one's.
  model.unsureHere.clear();
  /** The new columns of this migration's copies so far: filled by its backfill, after every expand step. */
  const copies: { column: string; opIndex: number }[] = [];
  /** What Dialect.cannotAlter has found already in this migration: each named once. */
  const ownerProblems = new Set<string>();
  for (const [opIndex, entry] of file.definition.operations.entries()) {
    const { kind, spec } = entryKind(entry);
    const op = operation(kind);
    const vctx = validateContext(dialect, model);
    const order = outOfOrderIssue(file.id, kind, spec, dialect, model, inFlight);
    const issues = (order ? [order] : op.validate(spec as never, vctx).map((i) => (i.code === 'held_until_contract' ? inOneMigration(i, file.id) : i))).map((i) => removedInFlight(model, dialect, i));
    for (const issue of issues) report(opIndex, kind, issue);
    if (issues.length > 0) {
      projectRefused(model, dialect, op, spec);
      continue;
    }
    // Here, not in requireTable: what neither syncs nor backfills (addIndex, a plain addColumn) runs on such a table as on any.
    const synced = op.synced?.(spec as never, vctx);
    const backfilled = op.backfillTables?.(spec as never, vctx) ?? [];
    // A column its trigger keeps in step that the table does not have yet: added by this migration, filled by its backfill.
    if (synced && backfilled.includes(synced.table)) for (const c of synced.columns) if (!model.column(synced.table, c)) model.planned.fillByBackfill(synced.table, c);
    const changed = new Set([...(synced && synced.columns.length > 0 ? [synced.table] : []), ...backfilled]);
    for (const table of changed) {
      const issue = inheritanceIssue(model.table(table), 'table' in spec ? ['table'] : []);
      if (issue) report(opIndex, kind, issue);
    }
    for (const table of backfilled) {
      if (!model.rowKey(table)) {
        report(opIndex, kind, { path: [], code: 'no_row_key', table, message: `table "${table}" has no primary key or unique key over NOT NULL columns; its rows cannot be backfilled in batches — give it one in an earlier migration (\`createConstraint\` of type primary_key, or unique over NOT NULL columns; a join table: over its two key columns). With no NOT NULL column to key on (Rails \`id: false\`): a \`sql\` operation adding a key column, applied on its own first — it rewrites the table, writes waiting meanwhile (README, "A table without a key")` });
      }
    }
    // What a migration in flight holds is told, and then no row is read: the rows would be judged by a shape not there
    // yet (a column changed in place through a shadow has its new values in the shadow), and the author told to mend
    // rows its contract mends. The same projection runs again below, on the model itself, once the operation is planned.
    const held = projectOperation(model.clone(), dialect, { migrationId: file.id, opIndex, kind, spec }).filter((i) => i.code === 'held_until_contract');
    for (const issue of held) report(opIndex, kind, issue);
    const notes: string[] = [];
    const laterSql = file.definition.operations.slice(opIndex + 1).flatMap((e) => sqlExpandOf(e) ?? []);
    const checked = session ? await serverChecks(session, dialect, model, op, spec, vctx, held.length === 0, notes, laterSql) : [];
    for (const issue of checked) report(opIndex, kind, issue);
    if (problems.length > 0) {
      projectRefused(model, dialect, op, spec);
      // A type the server does not know stays out of the projection: later expressions over the table are compiled against
      // a stand-in made with its columns' types, which failed on it — a valid operation blamed for it (campaign CD). Its
      // columns stand as text: they exist (no "does not exist" for what the operation makes, campaign T), of a type there is.
      const unknown = new Set(checked.flatMap((i) => (i.code === 'invalid_type' && typeof i.type === 'string' ? [i.type] : [])));
      for (const t of unknown.size > 0 ? model.tables.values() : []) for (const c of t.columns) if (unknown.has(c.type)) Object.assign(c, { type: 'text' });
      continue;
    }
    const ctx: PlanContext = {
      dialect,
      // A vocabulary holds nothing between calls: it reads `model`, which advances past each operation (model.planned past each request).
      ddl: dialect.ddl(model),
      model,
      migrationId: file.id,
      opIndex,
      name: (purpose) => objectName(file.id, opIndex, purpose),
      expr: (e) => {
        const sql = dialect.resolveExpr(e);
        if (sql === undefined) throw new InvalidInputError(`${where(file.file, opIndex, kind, [])}: an expression has no variant for ${dialect.exprVariant}`, {}, { code: 'invalid_migration' });
        return dialect.embedExpression(sql);
      },
    };
    // Complete as returned: walk keys and the fill steps' statements come with them (operations/batches.ts).
    const p = op.plan(spec as never, ctx);
    if (kind === 'sql') notes.push(...viewsOverRetyped(dialect, model, spec as OperationSpec<'sql'>), ...readBeforeFilled(spec as OperationSpec<'sql'>, copies));
    const to = copyTo(kind, spec);
    if (to !== undefined) copies.push({ column: to, opIndex });
    for (const issue of alterIssues(dialect, model, p, 'table' in spec ? ['table'] : [])) report(opIndex, kind, issue);
    if (session) for (const issue of await unvalidatedCheckIssues(session, dialect, model, p.backfill)) report(opIndex, kind, issue);
    if (session) for (const issue of await triggerOrderIssues(session, dialect, p.expand, 'table' in spec ? ['table'] : [])) report(opIndex, kind, issue);
    if (session) notes.push(...(await backfillTriggerNotes(session, dialect, model, p.backfill)));
    if (session) for (const issue of await tableGrowthIssues(session, dialect, added, p.expand, 'table' in spec ? ['table'] : [])) report(opIndex, kind, issue);
    if (session) {
      const owned = await ownerIssue(session, dialect, spec, [...p.expand, ...p.contract, ...p.rollback], ownerProblems);
      if (owned) report(opIndex, kind, owned);
    }
    plan.expand.push(...p.expand);
    model.planned.installAtExpand(p.expand.flatMap((st) => (st.installs === undefined ? [] : [st.installs])));
    plan.backfill.push(...p.backfill);
    plan.verify.push(...p.verify);
    plan.contract.push(...p.contract);
    if (p.rollbackVerify) (plan.rollbackVerify ??= []).push(...p.rollbackVerify);
    if (p.oldNames) (plan.oldNames ??= []).push(...p.oldNames);
    for (const note of [...(p.notes ?? []), ...notes]) (plan.notes ??= []).push(`operations[${opIndex}].${kind}: ${note}`);
    for (const r of op.removesAtContract?.(spec as never, validateContext(dialect, model)) ?? []) {
      const to = r.column === undefined ? undefined : copyTo(kind, spec);
      // The table as its spec names it: the name it has from this migration's expand on (campaign V: read under the
      // name before a renameTable of the same migration, the contract read xc's view there, and saw nothing).
      (plan.removes ??= []).push({
        table: r.table,
        ...(r.column !== undefined ? { column: r.column } : {}),
        ...(r.keepsName ? { keepsName: true } : {}),
        ...(to !== undefined ? { to } : {}),
        // A column changed in the catalog alone (a varchar widened) stays: what is made over it after apply stays with it,
        // unlike with a cut-over (campaign AU: a later migration's index over it refused every contract).
        ...(r.inCatalog ? { inCatalog: true } : { over: objectsOver(model, r.table, r.column) }),
      });
    }
    if (kind === 'dropIndex') {
      const { table, name } = spec as { table: string; name: string };
      (plan.removes ??= []).push({ table, index: name, over: keyUsers(model, dialect, table, name) });
    }
    // What names the table in text, which the contract will refuse while it still does (oldNames.ts): said now, as the
    // new name exists only from expand (campaign J: plan was silent, the contract refused).
    for (const { name, renamedTo } of session ? (p.oldNames ?? []) : []) {
      const users = await textUsers(session!, dialect, name);
      if (users.length === 0) continue;
      (plan.notes ??= []).push(`operations[${opIndex}].${kind}: ${users.join(', ')} name${users.length === 1 ? 's' : ''} "${name}" in ${users.length === 1 ? 'its' : 'their'} text, which reaches the table through the old name's view until contract: after apply, make ${users.length === 1 ? 'it' : 'them'} name "${renamedTo}" (CREATE OR REPLACE) — contract refuses while ${users.length === 1 ? 'it names' : 'they name'} "${name}"`);
    }
    // Undo in reverse: the last operation's expand is undone first.
    plan.rollback.unshift(...p.rollback);
    for (const issue of projectOperation(model, dialect, { migrationId: file.id, opIndex, kind, spec })) report(opIndex, kind, issue);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(`${file.file} is not valid against the database:\n  ${problems.join('\n  ')}`, { migration: file.id, problems }, { code: 'invalid_migration', issues: found });
  }
  // A check this migration gives a trigger pair (MySQL) is one from its expand on: the migrations planned after it see it
  // as the catalog will show it (campaign AT: planned together, a later cut-over showed it dropped and made again).
  // Not one made over a shadow (its expression names it), which its contract makes again over the column.
  for (const { table, name, base } of model.planned.checkTriggersMade()) {
    const k = model.table(table)?.checks.find((c) => c.name === name);
    if (k && model.planned.check(table, name) === k.expression) Object.assign(k, { trigger: true, triggerBase: base });
  }
  for (const note of renameAsDropAndAdd(file.definition)) (plan.notes ??= []).push(note);
  // Its `sql` expands run before the contracts of the migrations planned after it (not before its own checks: campaign
  // CQ, a COMMENT in one, a DROP VIEW in its contract, refused that contract for good).
  runsFirst(model, file);
  model.settleUnsure(true);
  return plan;
}

/**
 * The `sql` expands of a migration that runs before those planned next: one planned before them, or one in flight
 * whose expand a kill cut short, which `apply` resumes first (campaign DY: killed in its dedupe, the re-run refused the
 * unique key after it — "remove the duplicates first" — with the dedupe never named, and stayed refused).
 */
export function runsFirst(model: SchemaModel, migration: { id: string; definition: MigrationDefinition }): void {
  for (const [opIndex, entry] of migration.definition.operations.entries()) {
    const text = sqlExpandOf(entry);
    if (text !== undefined) model.expandSql.push({ text, where: `${migration.id} (operations[${opIndex}])` });
  }
}

/** The expand statements of a `sql` operation; undefined for any other. */
function sqlExpandOf(entry: MigrationDefinition['operations'][number]): string | undefined {
  const { kind, spec } = entryKind(entry);
  return kind === 'sql' ? (spec as OperationSpec<'sql'>).expand : undefined;
}

/**
 * A column the projected model lacks because a migration in flight (or an earlier one of the plan) renames or drops
 * it: it is still in the database until that contract, so "has no column" alone reads as wrong (campaign M).
 */
/**
 * Where the server says a column of `table` does not exist that an earlier migration (in flight, or pending in this
 * plan) renames or drops at its contract: why, since the database still shows it (campaign DN: a `sql` backfill
 * reading a column a pending dropColumn removes read "column "a" does not exist").
 */
function droppedFirst(dialect: Dialect, model: SchemaModel, table: string, error: string): string {
  const named = [...error.matchAll(/column "?(?:[^".\s]+\.)?([^".\s]+)"? does not exist|Unknown column '(?:[^'.]+\.)?([^'.]+)'/g)].map((m) => (m[1] ?? m[2])!);
  const others = [...model.tables.keys()].filter((t) => t !== table);
  for (const column of named) {
    // Its own table first, then another it reads (losingColumns).
    const by = [table, ...others].map((t) => model.holds.removedBy(t, column, (name) => nameKey(name, dialect.names))).find((b) => b !== undefined);
    if (by !== undefined) return ` — ${by} renames or drops "${column}" at its contract (it is in the database until then): this migration, applied after it, cannot rely on it — read the column as that migration leaves it (the new name, or \`down\`'s source), or move this work before it`;
  }
  return '';
}

function removedInFlight(model: SchemaModel, dialect: Dialect, issue: ValidationIssue): ValidationIssue {
  if (issue.code !== 'column_missing') return issue;
  const by = model.holds.removedBy(issue.table, issue.column, (name) => nameKey(name, dialect.names));
  return by === undefined ? issue : { ...issue, message: `${issue.message}: ${by} renames or drops it (it stays in the database until that contract) — name the column as that migration leaves it` };
}

/**
 * A column dropped and another added to the same table by one migration, as schema-diffing tools write a rename
 * (Atlas, Prisma, TypeORM): the values are lost at contract, which plan says (campaign M), pointing to renameColumn.
 */
function renameAsDropAndAdd(definition: MigrationDefinition): string[] {
  const ops = definition.operations.map(entryKind);
  const notes: string[] = [];
  for (const [i, d] of ops.entries()) {
    if (d.kind !== 'dropColumn') continue;
    const dropped = d.spec as OperationSpec<'dropColumn'>;
    for (const [j, a] of ops.entries()) {
      const added = a.kind === 'addColumn' ? (a.spec as OperationSpec<'addColumn'>) : undefined;
      if (!added || added.table !== dropped.table || added.up !== undefined) continue;
      const filled = added.column.default === undefined || added.column.default === null ? 'added empty' : `added holding its default, ${added.column.default}, in every row`;
      notes.push(`operations[${i}].dropColumn and operations[${j}].addColumn: "${dropped.table}"."${dropped.column}" is dropped and "${added.column.name}" ${filled} — its values are lost at contract; if this is a rename, write \`renameColumn\` (or \`alterColumn\` with \`to\` for a new type), which carries them`);
    }
  }
  return notes;
}
