/**
 * Triggers for MySQL / MariaDB. There are no trigger functions and no WHEN
 * clause, so each xc trigger is a pair of BEFORE triggers (`<name>_u` for
 * UPDATE, `<name>_i` for INSERT) whose bodies only `SET NEW.col = …`: a
 * trigger never writes its own table (error 1442) and never fires another,
 * so two-way sync cannot loop. They coexist with the user's own triggers
 * (several per event since MySQL 5.7.2 / MariaDB 10.2.3) and run after them.
 *
 * Sync and fill triggers start with a bypass guard: the backfill of the
 * trigger's own migration sets `@xc_bypass_<trigger>` (it writes both shapes
 * itself) and clears it after each batch. One variable per trigger, tested
 * with IS NULL, because the guard runs for every row any statement writes:
 * a 2M-row UPDATE took 2.0 s without triggers, 3.3 s with this guard and
 * 4.3 s when the guard searched a list of names with LOCATE. Like the PostgreSQL
 * triggers they decide from the row only, never from session state the
 * application could carry.
 *
 * Author expressions name columns bare (`upper(name)`); in a trigger they
 * are rewritten to NEW.`name` (expr.ts).
 *
 * Checks: adding a CHECK constraint copies the whole table under a write
 * lock on both MariaDB 10.11 and MySQL 8 (ALGORITHM=COPY), and neither has
 * NOT VALID. xc enforces the checks it adds with a trigger pair instead
 * (`xc_ck_<hash>_i/_u`), which raises SQLSTATE 23000 like a CHECK would and
 * costs only a metadata lock; the catalog reads them back as checks.
 */
import { createHash } from 'node:crypto';
import type { ConstraintTest, ConvertTriggerSpec, FillTriggerSpec, SyncTriggerSpec, TriggerSteps } from '../dialect.js';
import type { Step } from '../../plan/index.js';
import { referencedTable } from '../references.js';
import { derivedRowName, fitName, fromRowValue, isTextType, literal, mentioned, quoteMy as q, rowValue } from './expr.js';

/** The session variable that makes one xc trigger pair stand aside while set. */
export const bypassVariable = (name: string) => `@xc_bypass_${name.replace(/[^A-Za-z0-9_]/g, '')}`;

export const triggerName = (name: string, event: 'i' | 'u') => fitName(name, `_${event}`);

const triggerExists = (name: string) => `SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ${literal(name)}`;

/** A row when either trigger of the pair `name` exists. */
export const pairExists = (name: string) => `SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN (${literal(triggerName(name, 'i'))}, ${literal(triggerName(name, 'u'))})`;

const lock = (table: string) => `metadata lock on ${q(table)} (instant)`;

/** CREATE and DROP steps of a BEFORE UPDATE / BEFORE INSERT pair; UPDATE first, so every row an old writer touches from then on is kept in step. */
function pair(name: string, table: string, bodies: { i: string; u?: string }, what: string, precedes?: string): TriggerSteps {
  const create = (['u', 'i'] as const).filter((e) => bodies[e] !== undefined).map((e): Step => {
    const trigger = triggerName(name, e);
    const order = precedes === undefined ? '' : ` PRECEDES ${q(triggerName(precedes, e))}`;
    return {
      sql: `CREATE TRIGGER ${q(trigger)} BEFORE ${e === 'i' ? 'INSERT' : 'UPDATE'} ON ${q(table)} FOR EACH ROW${order}\n${bodies[e]}`,
      description: `install trigger ${trigger} on ${table} (${what}, on ${e === 'i' ? 'INSERT' : 'UPDATE'})`,
      lock: lock(table),
      transactional: false,
      tables: [table],
      probe: `SELECT EXISTS(${triggerExists(trigger)}) AS done`,
      installs: trigger,
    };
  });
  return { create, drop: dropPair(name, table) };
}

export function dropPair(name: string, table: string): Step[] {
  return (['i', 'u'] as const).map((e): Step => {
    const trigger = triggerName(name, e);
    return {
      sql: `DROP TRIGGER IF EXISTS ${q(trigger)}`,
      description: `remove trigger ${trigger} from ${table}`,
      lock: lock(table),
      transactional: false,
      tables: [table],
      probe: `SELECT NOT EXISTS(${triggerExists(trigger)}) AS done`,
    };
  });
}

/** Skip the body while the backfill of this trigger's migration sets its bypass variable. */
function guarded(name: string, body: string): string {
  return `IF ${bypassVariable(name)} IS NULL THEN\n${body}\nEND IF`;
}

/**
 * Unchanged by this statement, byte for byte (a case-insensitive `<=>` would call 'Bob' → 'bob' no change) — but a
 * FLOAT, DOUBLE or REAL by value: a FLOAT's text has 6 digits, so 1 → 1.0000001 read as no change and the trigger
 * left the other side as it was (the type campaign: a copy's new-version write lost at contract).
 */
const same = (c: string, type?: string) => (type !== undefined && APPROXIMATE.test(type) ? `NEW.${q(c)} <=> OLD.${q(c)}` : `CAST(NEW.${q(c)} AS BINARY) <=> CAST(OLD.${q(c)} AS BINARY)`);
const APPROXIMATE = /^\s*(float|double|real)\b/i;

/**
 * `assign` (which computes `column` from `expr`) in an UPDATE trigger, where an error leaves the row as it was when
 * the row is not filled yet (`column` NULL before the write) and the write left every column `expr` reads as it was:
 * such a write did not make the value `expr` cannot convert (pgFillTrigger's toleratedOnUpdate, campaign BN). The
 * handler puts the NULL back: a strict-mode SET stores the truncated or zeroed value before it raises 1406 or 1366
 * (campaign BO: `'toolo'` kept for `'toolongvalue'`, passed by the backfill and the contract). A lock wait or deadlock
 * still fails the write: the server has rolled its transaction back, nothing to go on with.
 */
function toleratedOnUpdate(assign: string, column: string, expr: string, s: { table: string; columns: string[] }, typeOf: (c: string) => string | undefined): string {
  const reads = mentioned(expr, s.table, s.columns).filter((c) => c.toLowerCase() !== column.toLowerCase());
  const untouched = [`OLD.${q(column)} IS NULL`, ...reads.map((c) => same(c, typeOf(c)))].join(' AND ');
  // MariaDB's JSON is LONGTEXT under CHECK (JSON_VALID(…)), tested after the trigger, where no handler reaches: text
  // that is no JSON is put back to NULL here (campaign BU: an ORM's save of another column failed with 4025).
  const n = `NEW.${q(column)}`;
  const valid = /^\s*json\b/i.test(typeOf(column) ?? '') ? ` IF ${n} IS NOT NULL AND NOT JSON_VALID(${n}) THEN SET ${n} = NULL; END IF;` : '';
  return `IF ${untouched} THEN\n    BEGIN DECLARE EXIT HANDLER FOR 1205, 1213 RESIGNAL; DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET ${n} = NULL; ${assign}${valid} END;\n  ELSE ${assign} END IF;`;
}

/**
 * The old column holds its default, `stored` as the column stores it. Text in utf8mb4 bytes, whatever the column's
 * charset (a latin1 'é' is the trigger's utf8mb4 literal), with no padding: only the exact default counts. A CHAR
 * reads without its trailing spaces, so its default is taken without them too.
 */
function holdsDefault(o: string, stored: string, type: string | undefined): string {
  if (type === undefined || !isTextType(type)) return `${o} <=> ${stored}`;
  const value = /^\s*n?char\b/i.test(type) ? `RTRIM(${stored})` : stored;
  return `CAST(CONVERT(${o} USING utf8mb4) AS BINARY) <=> CAST(CONVERT(${value} USING utf8mb4) AS BINARY)`;
}

/**
 * Two-way sync, the decisions of the PostgreSQL trigger (pgSyncTrigger): on
 * INSERT a side left NULL is computed from the other, and with both NULL the
 * old default, now applied here, then `down` (unless the new column may not
 * hold NULL) and, if that gives NULL too, `up`; on UPDATE the side that
 * changed wins, a change to NULL included; when neither changed and the new
 * side is NULL it is filled unless the old side already equals down(NULL).
 * `oldType` picks that last comparison: byte for byte for text (as `same`),
 * by value otherwise (a DECIMAL 0.00 equals a down giving 0).
 */
export function mysqlSyncTrigger(s: SyncTriggerSpec, oldType?: string, placeholder?: { test: (column: string) => string; replaceable: boolean }, precedes?: string): TriggerSteps {
  const row = (e: string) => rowValue(e, s.columns, s.table);
  const o = `NEW.${q(s.oldColumn)}`;
  const n = `NEW.${q(s.newColumn)}`;
  const up = `SET ${n} = (${row(s.up)});`;
  const down = `SET ${o} = (${row(s.down)});`;
  // An old column the server sets on UPDATE always keeps its default (SyncTriggerSpec.oldAutoUpdated).
  const keeps = s.oldDefault !== null && (s.oldKeepsDefault === true || s.oldAutoUpdated === true);
  const applyDefault = s.oldDefault === null || keeps ? '' : `  IF ${o} IS NULL AND ${n} IS NULL THEN SET ${o} = (${row(s.oldDefault)}); END IF;\n`;
  const bothNull = s.newNullable === false ? up : `${down} IF ${o} IS NULL THEN ${up} END IF;`;
  // Both set on INSERT: where the old column keeps its default, only the new version names the new column — but for
  // the new column's placeholder, which an old writer's row gets until the expand removes it right after this trigger
  // is made (columns.ts addColumn; a crash in between keeps it until the expand runs again): that is "not given".
  // Once it is gone, `settle` replaces the INSERT trigger by one without that test, so a new writer may write the
  // placeholder's value. Where it cannot (MySQL 8), only an ON UPDATE column keeps its default and that test: its
  // placeholder, 1970-01-02 00:00:00, is no time a new version writes.
  // And the new side wins only where the old one holds its default, when that can be told (SyncTriggerSpec.oldDefaultStored):
  // a string byte for byte, as the verify compares (MysqlDialect.sameValue): in a _ci, PAD SPACE collation an old
  // writer's 'NEW' or 'new ' would be the default 'new', and lost.
  const newWins = s.oldDefaultStored !== undefined ? `\n  ELSEIF ${holdsDefault(o, s.oldDefaultStored, oldType)} THEN ${down}` : `\n  ELSE ${down}`;
  const bothSet = (readsPlaceholder: boolean) => (!keeps ? '' : `${readsPlaceholder && placeholder ? `\n  ELSEIF ${placeholder.test(n)} THEN ${up}` : ''}${newWins}`);
  const insert = (readsPlaceholder: boolean) =>
    guarded(s.name, `${applyDefault}  IF ${o} IS NULL AND ${n} IS NULL THEN ${bothNull}\n  ELSEIF ${n} IS NULL THEN ${up}\n  ELSEIF ${o} IS NULL THEN ${down}${bothSet(readsPlaceholder)}\n  END IF;`);
  const agrees = oldType === undefined || isTextType(oldType) ? `CAST(${o} AS BINARY) <=> CAST((${row(s.down)}) AS BINARY)` : `${o} <=> (${row(s.down)})`;
  const types = (c: string) => (c.toLowerCase() === s.oldColumn.toLowerCase() ? oldType : c.toLowerCase() === s.newColumn.toLowerCase() ? s.newType : undefined);
  const fillUp = toleratedOnUpdate(up, s.newColumn, s.up, s, types);
  // Where the server's ON UPDATE moved the old column in the same UPDATE that named the new one, the new one wins.
  const changed = s.oldAutoUpdated
    ? `  IF NOT (${same(s.newColumn, s.newType)}) THEN ${down}\n  ELSEIF NOT (${same(s.oldColumn, oldType)}) THEN ${up}\n`
    : `  IF NOT (${same(s.oldColumn, oldType)}) AND ${same(s.newColumn, s.newType)} THEN ${up}\n  ELSEIF NOT (${same(s.newColumn, s.newType)}) AND ${same(s.oldColumn, oldType)} THEN ${down}\n`;
  const update = `${changed}  ELSEIF ${n} IS NULL THEN ${s.newNullable === false ? fillUp : `IF NOT (${agrees}) THEN ${fillUp} END IF;`}\n  END IF;`;
  const steps = pair(s.name, s.table, { i: insert(true), u: guarded(s.name, update) }, `keeps ${s.oldColumn} and ${s.newColumn} in sync`, precedes);
  if (keeps && placeholder?.replaceable) {
    steps.settle = [replaceInsertTrigger(s.name, s.table, insert(false), `keeps ${s.oldColumn} and ${s.newColumn} in sync, ${s.newColumn}'s placeholder gone`, precedes)];
    steps.unsettle = [replaceInsertTrigger(s.name, s.table, insert(true), `keeps ${s.oldColumn} and ${s.newColumn} in sync, reading ${s.newColumn}'s placeholder as not given again`, precedes)];
  }
  return steps;
}

/**
 * MariaDB's CREATE OR REPLACE TRIGGER: one statement under the table's metadata lock, so no write meets neither
 * trigger. The replacement runs after the table's other triggers, as the original did when it was just made — or,
 * with `precedes`, before that pair, as the original did (a check's pair over the synced columns, columns.ts).
 */
function replaceInsertTrigger(name: string, table: string, body: string, what: string, precedes?: string): Step {
  const trigger = triggerName(name, 'i');
  const order = precedes === undefined ? '' : ` PRECEDES ${q(triggerName(precedes, 'i'))}`;
  return {
    sql: `CREATE OR REPLACE TRIGGER ${q(trigger)} BEFORE INSERT ON ${q(table)} FOR EACH ROW${order}\n${body}`,
    description: `replace trigger ${trigger} on ${table} (${what}, on INSERT)`,
    lock: lock(table),
    transactional: false,
    tables: [table],
    // The server keeps a body as written: done once it is this one (again after a crash would move it after later
    // triggers), or when there is none to replace (a rollback of an expand that stopped before making it).
    probe: `SELECT NOT EXISTS(${triggerExists(trigger)} AND NOT (ACTION_STATEMENT <=> ${literal(body)})) AS done`,
  };
}

/**
 * Fill one column from an expression whenever a write leaves it NULL; with
 * `recomputeOn`, an UPDATE that changes a column the expression reads and
 * leaves this one as it was computes it again (pgFillTrigger).
 */
export function mysqlFillTrigger(s: FillTriggerSpec, typeOf: (column: string) => string | undefined = () => undefined): TriggerSteps {
  const c = `NEW.${q(s.column)}`;
  const fill = `SET ${c} = (${rowValue(s.expr, s.columns, s.table)});`;
  const fillRow = toleratedOnUpdate(fill, s.column, s.expr, s, (col) => (col.toLowerCase() === s.column.toLowerCase() ? (s.type ?? typeOf(col)) : typeOf(col)));
  if (s.always) return pair(s.name, s.table, { i: guarded(s.name, `  ${fill}`), u: guarded(s.name, `  ${fillRow}`) }, `keeps ${s.column} computed from the row on every write`);
  const insert = guarded(s.name, `  IF ${c} IS NULL THEN ${fill} END IF;`);
  const reads = (s.recomputeOn ?? []).filter((col) => col.toLowerCase() !== s.column.toLowerCase());
  if (s.insertOnly) return pair(s.name, s.table, { i: insert }, `fills ${s.column} when an insert leaves it NULL`);
  const recompute = reads.length === 0 ? '' : `\n  ELSEIF ${same(s.column, s.type ?? typeOf(s.column))} AND NOT (${reads.map((r) => same(r, typeOf(r))).join(' AND ')}) THEN ${fill}`;
  const update = guarded(s.name, `  IF ${c} IS NULL THEN\n  ${fillRow}${recompute}\n  END IF;`);
  const recomputes = reads.length === 0 ? '' : `, recomputes it when ${reads.join(', ')} ${reads.length === 1 ? 'changes' : 'change'}`;
  return pair(s.name, s.table, { i: insert, u: update }, `fills ${s.column} when a write leaves it NULL${recomputes}`);
}

/** SQL true when the row being written would break the constraint; `update`: OLD is there (pgBreaks). */
function mysqlBreaks(table: string, t: ConstraintTest, columns: string[], update: boolean): string {
  if (t.kind === 'check') return `NOT COALESCE((${rowValue(t.expression, columns, table)}), TRUE)`;
  const keyed = t.columns.map((c) => `NEW.${q(c)} IS NOT NULL`).join(' AND ');
  if (t.kind === 'foreignKey') {
    const match = t.columns.map((c, i) => `xc_parent.${q(t.refColumns[i]!)} = NEW.${q(c)}`).join(' AND ');
    return `${keyed} AND NOT EXISTS (SELECT 1 FROM ${referencedTable(q, t)} AS xc_parent WHERE ${match})`;
  }
  // Another row: the row's own old version has the old key (equal as the key's collation compares), which no other row held.
  const same = t.columns.map((c) => `xc_other.${q(c)} = NEW.${q(c)}`).join(' AND ');
  const notOwn = update ? ` AND COALESCE(NOT (${t.columns.map((c) => `xc_other.${q(c)} = OLD.${q(c)}`).join(' AND ')}), TRUE)` : '';
  // A row with the written row's value of another key is the one ON DUPLICATE KEY UPDATE or REPLACE is about to update or replace.
  const notSelf = (t.rowKeys ?? []).map((key) => ` AND COALESCE(NOT (${key.map((c) => `xc_other.${q(c)} = NEW.${q(c)}`).join(' AND ')}), TRUE)`).join('');
  return `${keyed} AND EXISTS (SELECT 1 FROM ${q(table)} AS xc_other WHERE ${same}${notOwn}${notSelf})`;
}

/**
 * A write that would break the constraint gets its columns converted instead
 * (ConvertTriggerSpec). `precedes`: the base name of the pair enforcing the
 * constraint (a check xc added), which must see the converted row.
 */
export function mysqlConvertTrigger(s: ConvertTriggerSpec, precedes?: string): TriggerSteps {
  const set = s.set.map((x) => `SET NEW.${q(x.column)} = (${rowValue(x.expr, s.columns, s.table)});`).join(' ');
  const converts = (update: boolean) => `IF ${mysqlBreaks(s.table, s.test, s.columns, update)} THEN ${set} END IF`;
  // An update keeping a key's columns cannot newly break it, and must not read for it: InnoDB reads a table in a
  // trigger of a write with shared next-key locks, so every row of a backfill's batch locked ranges of the key that
  // an application's write then waited on, while the batch waited on that write's row — a deadlock, the
  // application's write its victim (fuzz seed 217). Nested: MySQL does not promise to short-circuit AND.
  const keyed = s.test.kind === 'check' ? [] : s.test.columns;
  const body = (update: boolean) => (update && keyed.length > 0 ? `IF NOT (${keyed.map((c) => `NEW.${q(c)} <=> OLD.${q(c)}`).join(' AND ')}) THEN ${converts(true)}; END IF` : converts(update));
  return pair(s.name, s.table, { i: body(false), u: body(true) }, `converts writes that would break ${s.constraint}`, precedes);
}

/**
 * The trigger pair's base name for a check: of the table and check name (and `n`, the next one where another table's
 * pair has that one: compiler.ts, freshCheckBase), within the 64-character limit.
 */
export function checkTriggerBase(table: string, check: string, n = 0): string {
  return `xc_ck_${createHash('sha1').update(`${table}\0${check}${n === 0 ? '' : `\0${n}`}`).digest('hex').slice(0, 12)}`;
}

const CHECK_BODY = /^IF NOT COALESCE\(\(([\s\S]*)\), TRUE\) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = '((?:[^'\\]|\\.|'')*)'; END IF$/;

/**
 * A check enforced for every write (not bypassed by backfills): fails like CHECK when the expression is FALSE, passes
 * on TRUE or NULL. `base`: the pair's base name (compiler.ts, makeCheckBase).
 */
export function mysqlCheckTrigger(base: string, table: string, name: string, expression: string, columns: string[]): TriggerSteps {
  const message = `CONSTRAINT ${q(name)} failed`;
  const body = `IF NOT COALESCE((${rowValue(expression, columns, table)}), TRUE) THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = ${literal(message)}; END IF`;
  return pair(base, table, { i: body, u: body }, `enforces check ${name} for new writes`);
}

/**
 * Name and expression (as the check was given, but for quoting) of an xc check trigger's body, or undefined; `row`:
 * the name the expression's row goes by there (the table's when it was made), where it is evaluated over a derived row.
 */
export function parseCheckTrigger(body: string): { name: string; expression: string; row?: string } | undefined {
  const m = CHECK_BODY.exec(body.trim());
  if (!m) return undefined;
  const message = m[2]!.replace(/''/g, "'").replace(/\\\\/g, '\\');
  const name = /^CONSTRAINT `((?:[^`]|``)*)` failed$/.exec(message)?.[1]?.replace(/``/g, '`');
  const row = derivedRowName(m[1]!);
  return name === undefined ? undefined : { name, expression: fromRowValue(m[1]!), ...(row !== undefined ? { row } : {}) };
}
