/**
 * MySQL / MariaDB columns: added (instantly, or stored in every row with a
 * placeholder where the backfill would otherwise grow each row), defaults,
 * nullability, the attributes a restatement repeats, the dual-write window's
 * defaults, and the drop, which first removes what the server would refuse
 * it for (foreign keys, checks) or shrink instead (multi-column indexes).
 */
import type { SyncTriggerSpec, TriggerSteps } from '../dialect.js';
import type { ColumnModel } from '../../schema/model.js';
import type { BackfillSpec, Step } from '../../plan/index.js';
import { backfillStatement } from '../../backfill/keyset.js';
import { defaultClause, hiddenColumnDefault, isLiteralDefault, literal, mentioned, placeholderFor, quoteMy as q, withComment } from './expr.js';
import { dropPair, mysqlSyncTrigger, pairExists, triggerName } from './triggers.js';
import { sequenceLockIssue } from './sequences.js';
import { INPLACE, INSTANT, NOCOPY_ONLINE, type MysqlCompiler } from './compiler.js';
import { dropForeignKey, dropIndexKeepingKeys, dropIndexStep } from './keys.js';
import { dropCheckConstraint } from './constraints.js';

/** COLUMN_DEFAULT as the server shows a literal default: MariaDB as SQL ('x', 5), MySQL raw (x, 5); undefined for expressions. */
export function printedDefault(expr: string, mariadb: boolean): string | undefined {
  const e = expr.trim();
  if (/^-?\d+$/.test(e)) return e;
  const m = /^'((?:[^'\\]|'')*)'$/.exec(e);
  if (!m) return undefined;
  return mariadb ? e : m[1]!.replace(/''/g, "'");
}

export type AddColumnOptions = { backfilled?: boolean; notNull?: boolean; default?: string; comment?: string; hidden?: boolean };

/**
 * A hidden column (Ddl.addColumn) is INVISIBLE where the server has that and the type a default it can keep while NOT
 * NULL (hiddenColumnDefault): old code's `SELECT *` and column-less INSERT see the table as it was.
 */
export function invisible(c: Pick<MysqlCompiler, 'f'>, type: string, opts: AddColumnOptions | undefined): boolean {
  return opts?.hidden === true && c.f.invisibleColumns && hiddenColumnDefault(type) !== undefined;
}

/** The placeholder a column added without a default is stored with in every row (see addColumn), if any. */
export function storedPlaceholder(type: string, opts: AddColumnOptions | undefined): string | undefined {
  return opts?.default === undefined && opts?.backfilled ? placeholderFor(type) : undefined;
}

export function setDefault(c: MysqlCompiler, table: string, column: string, expr: string | null): Step[] {
  const { f } = c;
  const { missing, noDefault } = c.probes;
  if (expr === null) {
    const sql = c.alter(table, `ALTER COLUMN ${q(column)} DROP DEFAULT`, f.instantAddColumn ? INSTANT : INPLACE);
    return [c.step(sql, `drop the default of ${q(table)}.${q(column)}`, f.instantAddColumn ? c.locks.instant(table) : c.locks.metadata(table), [table], missing(c.probes.column(table, column, ` AND NOT ${noDefault}`)))];
  }
  // An expression default is instant on MariaDB; MySQL documents INSTANT for literal defaults only.
  const instant = f.instantAddColumn && (f.mariadb || isLiteralDefault(expr));
  const sql = c.alter(table, `ALTER COLUMN ${q(column)} SET DEFAULT ${defaultClause(expr)}`, instant ? INSTANT : INPLACE);
  // Done when the column is gone (a rollback of a partial expand) or shows this default. Expressions are printed back
  // normalised (upper → ucase), so for them the probe says "not done" and the idempotent statement runs again.
  const shown = printedDefault(expr, f.mariadb);
  const probe = `SELECT NOT EXISTS(${c.probes.column(table, column)})${shown === undefined ? '' : ` OR EXISTS(${c.probes.column(table, column, ` AND COLUMN_DEFAULT = ${literal(shown)}`)})`} AS done`;
  return [c.step(sql, `set the default of ${q(table)}.${q(column)} to ${expr}`, instant ? c.locks.instant(table) : c.locks.metadata(table), [table], probe)];
}

export function addColumn(c: MysqlCompiler, table: string, column: string, type: string, opts?: AddColumnOptions): Step[] {
  const { f } = c;
  const { exists } = c.probes;
  const creates = [c.object('column', table, column)];
  // Part of the column's definition here: instant as the column is.
  const comment = `${opts?.comment !== undefined ? ` COMMENT ${literal(opts.comment)}` : ''}${invisible(c, type, opts) ? ' INVISIBLE' : ''}`;
  if (opts?.default !== undefined) {
    // INSTANT keeps the default in the data dictionary: existing rows read it, none is rewritten (INPLACE rebuilds online where the server lacks it).
    const sql = c.alter(table, `ADD COLUMN ${q(column)} ${type} ${opts.notNull ? 'NOT NULL' : 'NULL'} DEFAULT ${defaultClause(opts.default)}${comment}`, f.instantAddColumn ? INSTANT : INPLACE);
    const description = `add column ${q(table)}.${q(column)}${opts.notNull ? ' NOT NULL' : ''} with default ${opts.default} (existing rows read it${f.instantAddColumn ? '; none is rewritten' : ''})`;
    return [c.step(sql, description, f.instantAddColumn ? c.locks.instant(table) : c.locks.rebuild(table), [table], exists(c.probes.column(table, column)), { creates })];
  }
  const placeholder = storedPlaceholder(type, opts);
  if (placeholder === undefined) {
    const sql = c.alter(table, `ADD COLUMN ${q(column)} ${type}${comment}`, f.instantAddColumn ? INSTANT : INPLACE);
    return [c.step(sql, `add column ${q(table)}.${q(column)}`, f.instantAddColumn ? c.locks.instant(table) : c.locks.rebuild(table), [table], exists(c.probes.column(table, column)), { creates })];
  }
  // An instantly added column is stored in no row: filling it grows every row and splits every page (11 s
  // instead of 2 s for 2M rows, see BENCHMARKS.md). Rebuilt online with a fixed-width placeholder, each row
  // already has room. A nullable column loses the placeholder default at once: old writers' new rows get NULL,
  // which the fill and the backfill convert. A NOT NULL one keeps it until the caller's trigger is in place and
  // fills it (before BEFORE triggers, NOT NULL is not checked); the backfill converts what it held meanwhile.
  // A busy table gets it instantly instead, the same column with the same default (engine/busy.ts): the rebuild's
  // end would stall its writers, and the fill pays for the growing rows.
  const definition = `ADD COLUMN ${q(column)} ${type} ${opts?.notNull ? 'NOT NULL' : 'NULL'} DEFAULT ${placeholder}${comment}`;
  const instead = f.instantAddColumn
    ? { sql: c.alter(table, definition, INSTANT), description: `add column ${q(table)}.${q(column)} instantly (the table is busy: no rebuild)`, lock: c.locks.instant(table) }
    : undefined;
  return [
    c.step(c.alter(table, `${definition}, FORCE`, INPLACE), `add column ${q(table)}.${q(column)}, stored in every row (rebuilt online)`, c.locks.rebuild(table), [table], exists(c.probes.column(table, column)), {
      creates,
      ...(instead ? { ifBusy: instead } : {}),
    }),
    ...(opts?.notNull ? [] : setDefault(c, table, column, null)),
  ];
}

export function letWritesOmit(c: MysqlCompiler, table: string, column: string): Step[] {
  // The placeholder default comes back, so a writer omitting the column does not fail once the trigger that filled it is gone.
  const placeholder = c.model.planned.placeholder(table, column);
  // A step on the way to removing the column: a rollback leaves it to a column that is not xc's.
  return placeholder === undefined ? [] : setDefault(c, table, column, placeholder).map((st) => ({ ...st, removes: c.object('column', table, column) }));
}

export function dropColumn(c: MysqlCompiler, table: string, column: string): Step[] {
  // PostgreSQL drops what depends on the column; MySQL refuses (foreign keys, multi-column checks) or shrinks a multi-column index into another one. Drop them first.
  const t = c.tableOf(table);
  const { planned } = c.model;
  const lower = column.toLowerCase();
  const has = (list: string[]) => list.some((x) => x.toLowerCase() === lower);
  const pre: Step[] = [];
  const fkNames = new Set([...(t?.foreignKeys ?? []).filter((k) => has(k.columns)).map((k) => k.name), ...planned.foreignKeysOf(table).filter((k) => has(k.columns)).map((k) => k.name)]);
  for (const name of fkNames) pre.push(dropForeignKey(c, table, name));
  // A check trigger naming the column would fail every write once the column is gone.
  // The column's own check (MariaDB, column-level) goes with it: DROP CONSTRAINT cannot drop one (constraints.ts).
  const checkNames = new Set([
    ...(t?.checks ?? []).filter((k) => has(k.columns) && !(k.column !== undefined && k.column.toLowerCase() === lower)).map((k) => k.name),
    ...planned
      .checksOf(table)
      .filter((k) => mentioned(k.expression, table, [column]).length > 0)
      .map((k) => k.name),
  ]);
  for (const name of checkNames) pre.push(...c.dropCheckPair(table, name), dropCheckConstraint(c, table, name));
  const dropped = [...(t?.indexes ?? []).filter((i) => !i.primary && has(i.columns)), ...planned.indexesOf(table).filter((i) => has(i.columns))];
  // A foreign key leaves behind the index it created under its own name: probe-guarded, so named even when absent.
  for (const name of fkNames) if (!dropped.some((i) => i.name === name)) pre.push(dropIndexStep(c, table, name));
  for (const i of new Map(dropped.map((x) => [x.name, x])).values()) pre.push(...dropIndexKeepingKeys(c, table, i.name, i.columns, fkNames));
  // There only for the column's sake: a rollback leaves them, with the column, when xc never created it (engine/ownership.ts).
  const forColumn = pre.map((st) => ({ ...st, forRemovalOf: c.object('column', table, column) }));
  // The other column's default this rollback set from this one (syncTrigger): xc's doing whoever made this column.
  const tempFrom = planned.syncDefault(table, column);
  // MariaDB: NOCOPY, which the server does instantly where it can, and where an index plan could not see is on the
  // column (one a `sql` operation made) drops it with the column, as PostgreSQL does; INSTANT refused that, and the
  // contract stayed `contracting` (fuzz seed 279). An index over it and another column it would rebuild: still refused.
  const [algorithm, lock] = !c.f.instantDropColumn ? [INPLACE, c.locks.rebuild(table)] : c.f.nocopy ? [NOCOPY_ONLINE, c.locks.metadata(table)] : [INSTANT, c.locks.instant(table)];
  const sql = c.alter(table, `DROP COLUMN ${q(column)}`, algorithm);
  return [...(tempFrom ? setDefault(c, table, tempFrom, null) : []), ...forColumn, c.step(sql, `drop column ${q(table)}.${q(column)}`, lock, [table], c.probes.missing(c.probes.column(table, column)), { removes: c.object('column', table, column) })];
}

/**
 * One step: LOCK TABLES … WRITE, the statements, UNLOCK TABLES (campaign H: an old writer's INSERT between the sync
 * trigger's removal and the old column's drop was lost with the column; campaign EM: a new-version INSERT between the
 * trigger's removal and the new column's drop, in a rollback). Done when the last one is (its probe); a re-run after an
 * interrupted attempt runs again each statement its own step's probe does not show done.
 * Where a default of the table draws from a sequence, which no LOCK TABLES may hold (sequences.ts: MariaDB refused it,
 * or crashed after it), the statements stay apart.
 */
export function noWriteBetween(c: MysqlCompiler, table: string, steps: Step[], added: { column: string; default: string }[] = []): Step[] {
  if (steps.length < 2 || !c.f.instantDropColumn) return steps;
  if (sequenceLockIssue(c, [table], steps.map((st) => st.sql), added) !== null) return steps;
  const last = steps.at(-1)!;
  const lock = `LOCK TABLES ${q(table)} WRITE`;
  // As when they ran apart: a default the column already has is not set again (MariaDB's SET DEFAULT would take an ON
  // UPDATE with it), nor is what is gone dropped again.
  const statements = [lock, ...steps.map((st) => (st.probe ? { sql: st.sql, unless: st.probe } : st.sql))];
  return [
    c.step(statements.map((st) => (typeof st === 'string' ? st : st.sql)).join(';\n'), steps.map((st) => st.description).join(', then '), `${lock} (reads and writes wait; metadata only, no row rewritten)`, [table, ...steps.flatMap((st) => st.tables)], last.probe, {
      statements,
      release: 'UNLOCK TABLES',
      ...(last.removes ? { removes: last.removes } : {}),
      ...(steps.some((st) => st.removesOldShape) ? { removesOldShape: true } : {}),
    }),
  ];
}

export function carryAttributes(c: MysqlCompiler, table: string, column: ColumnModel): Step[] {
  // The comment the plan gives (an alterColumn in flight) in place of the catalog's.
  const extra = withComment(c.attributes(column.type, column.extra), column.comment);
  if (!extra) return [];
  // Restating a column with only these attributes changed is metadata only (MariaDB: INSTANT; MySQL documents none).
  const sql = c.alter(table, c.modify(table, column, column.nullable), c.metadataOnly);
  // No catalog probe: after a crash, restating the same definition again is harmless.
  return [c.step(sql, `give ${q(table)}.${q(column.name)} what the column it replaces had (${extra})`, c.metadataLock(table), [table], undefined)];
}

export function dropNotNull(c: MysqlCompiler, table: string, column: ColumnModel): Step[] {
  const sql = c.alter(table, c.modify(table, column, true), INPLACE);
  return [c.step(sql, `let ${q(table)}.${q(column.name)} be NULL`, c.locks.rebuild(table), [table], c.probes.missing(c.probes.column(table, column.name, ` AND IS_NULLABLE = 'NO'`)))];
}

/** The old column is NOT NULL: it gets a default while the sync trigger is removed (syncTrigger). */
function oldColumnNeedsDefault(c: MysqlCompiler, spec: SyncTriggerSpec): boolean {
  const old = c.model.column(spec.table, spec.oldColumn);
  return old !== undefined && !old.nullable;
}

/** That default is one computed from the new column (the old column had none): a rollback's drop of the new column drops it first. */
export function hasTemporaryDefault(c: MysqlCompiler, spec: SyncTriggerSpec): boolean {
  return oldColumnNeedsDefault(c, spec) && spec.oldDefault === null;
}

export function syncTrigger(c: MysqlCompiler, spec: SyncTriggerSpec): TriggerSteps {
  // The old column's type comes with the spec now (its copy planned it); the model's is the fallback for a spec without.
  // The placeholder the new column is added with (addColumn), not registered yet: the trigger is planned before the column.
  const oldType = spec.oldType ?? c.model.column(spec.table, spec.oldColumn)?.type;
  // The new column holds a placeholder until the expand drops its default where it is added NOT NULL (columnCopy).
  const value = spec.newType !== undefined && spec.newNullable === false && oldColumnNeedsDefault(c, spec) ? placeholderFor(spec.newType) : undefined;
  // A TIMESTAMP reads in the writer's time_zone: its placeholder, stored as an instant in xc's, is any time of the
  // first two days of 1970 UTC (only old writers run while the test stands, and they never name the column).
  const test = (column: string) => (/^\s*timestamp\b/i.test(spec.newType!) ? `UNIX_TIMESTAMP(${column}) < 172800` : `${column} <=> ${value}`);
  // A check xc enforces by a trigger pair over either column must see the value this trigger copies: made before
  // it, that pair fired first, and a new writer's value broke the check unseen — the contract then failed on the
  // rows, left contracting (campaign AH). Placed before the first such pair to fire: the catalog's (it reads them in
  // firing order), else the first this migration's expand makes before it (campaign AI: a check added, then its
  // column renamed, in one migration) — never one made only at contract, which PRECEDES cannot name yet.
  const sides = [spec.oldColumn, spec.newColumn].map((x) => x.toLowerCase());
  const existing = c.tableOf(spec.table)?.checks.find((k) => k.trigger === true && k.columns.some((x) => sides.includes(x.toLowerCase())));
  const madeAt = (name: string) => c.model.planned.expandOrder(triggerName(c.checkBase(spec.table, name), 'i'));
  const planned = c.model.planned
    .checksOf(spec.table)
    .filter((k) => madeAt(k.name) >= 0 && mentioned(k.expression, spec.table, [spec.oldColumn, spec.newColumn]).length > 0)
    .sort((a, b) => madeAt(a.name) - madeAt(b.name))[0];
  const check = existing ?? planned;
  const precedes = check === undefined ? undefined : c.checkBase(spec.table, check.name);
  const steps = mysqlSyncTrigger(spec, oldType, value === undefined ? undefined : { test, replaceable: c.f.mariadb }, precedes);
  // Removing the trigger is not atomic with dropping the old column: new writers that omit a NOT NULL old column would fail
  // in between. Give it a default first: its old default, else one computed from the new column (dropped with the column at contract;
  // on rollback, dropColumn of the new column removes it again).
  if (oldColumnNeedsDefault(c, spec)) {
    const expr = spec.oldDefault ?? `(${spec.down})`;
    const [set] = setDefault(c, spec.table, spec.oldColumn, expr);
    // Done too where no trigger of the pair is there to remove: never made (a rollback after an expand that stopped
    // before it — the new column `down` reads may be missing too, and the statement would fail on every run), or gone.
    const probe = `SELECT NOT EXISTS(${c.probes.column(spec.table, spec.oldColumn, ` AND ${c.probes.noDefault}`)}) OR NOT EXISTS(${pairExists(spec.name)}) AS done`;
    steps.drop.unshift({ ...set!, description: `let writers omit ${q(spec.oldColumn)} while the sync trigger is removed (default ${expr})`, probe });
  }
  return steps;
}

/**
 * After the triggers exist, the rows written between the fill and them converted again (the backfill's `where`:
 * those that disagree): an insert there left the new column its placeholder (or NULL), an update a stale value. A
 * unique index copy built next would meet them — two placeholders are a duplicate key, and its build failed every
 * run, the backfill that converts them coming only after it.
 */
export function refillAfterTriggers(c: MysqlCompiler, spec: BackfillSpec): Step[] {
  const [fill] = fillBeforeTriggers(c, spec);
  const columns = Object.keys(spec.set).map(q).join(', ');
  const description = `convert ${q(spec.table)}.${columns} again where written between the fill and the triggers, before a unique index is built over it`;
  return [{ ...fill!, sql: backfillStatement(c.dialect, spec), description, fill: { ...spec } }];
}

/**
 * Measured on 2M rows (BENCHMARKS.md): an in-place UPDATE takes about 1.6× as long with xc's trigger pair installed,
 * even bypassed. `spec` comes with its walk key (operations/batches.ts); the step shows one batch's statement. Every
 * row is set, none read first (no `where`): before the triggers only old writers run, and the new column is no one's yet.
 */
export function fillBeforeTriggers(c: MysqlCompiler, spec: BackfillSpec): Step[] {
  if (!spec.key?.length) throw new Error(`fill of ${spec.table}: no walk key (an operation builds it with keyedBackfill)`);
  const { where: _, ...fill } = spec;
  const columns = Object.keys(spec.set).map(q).join(', ');
  return [
    {
      sql: backfillStatement(c.dialect, fill),
      description: `fill ${q(spec.table)}.${columns} in key-ordered batches, before its triggers exist`,
      lock: `row locks of one batch at a time on ${q(spec.table)}`,
      transactional: false,
      tables: [spec.table],
      fill,
    },
  ];
}
