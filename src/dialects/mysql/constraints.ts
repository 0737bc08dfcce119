/**
 * MySQL / MariaDB checks, NOT NULL and the validation of constraints. There
 * is no NOT VALID: checks are enforced by triggers (triggers.ts), and a
 * foreign key or check is validated by a query that fails when a row breaks
 * it. What is validated or dropped is read from the model and from what the
 * current plan adds (`model.planned`).
 */
import type { ColumnModel } from '../../schema/model.js';
import type { Step } from '../../plan/index.js';
import { checkColumns, literal, quoteMy as q } from './expr.js';
import { referencedTable } from '../references.js';
import { dropPair, mysqlCheckTrigger } from './triggers.js';
import { INPLACE, type MysqlCompiler } from './compiler.js';
import { dropForeignKey, dropIndexKeepingKeys, dropIndexStep, restoreReplacedIndexName } from './keys.js';

/** Fails (a clear error on MariaDB; error 1172 on MySQL) when `violated` is true; the probe `NOT violated` skips it otherwise. */
function raiseIf(c: MysqlCompiler, violated: string, message: string): string {
  return c.f.mariadb
    ? `BEGIN NOT ATOMIC IF ${violated} THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = ${literal(message.slice(0, 128))}; END IF; END`
    : `SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2) AS xc_rows WHERE ${violated} INTO @xc_violation`;
}

export function dropCheckConstraint(c: MysqlCompiler, table: string, name: string): Step {
  const { missing, constraint } = c.probes;
  // A column-level check (MariaDB) is part of its column's definition: DROP CONSTRAINT cannot find it (1091, a contract
  // stuck for ever, campaign P); restating the column without it drops it.
  const t = c.tableOf(table);
  const owner = t?.checks.find((k) => k.name === name && k.column !== undefined && !k.trigger)?.column;
  const column = owner === undefined ? undefined : t?.columns.find((x) => x.name === owner);
  const drop = column ? c.modify(table, column, column.nullable, true) : `${c.f.mariadb ? 'DROP CONSTRAINT' : 'DROP CHECK'} ${q(name)}`;
  return c.step(c.alter(table, drop, c.metadataOnly), `drop check ${q(name)} on ${q(table)}`, c.metadataLock(table), [table], missing(`${constraint(table, name)} AND CONSTRAINT_TYPE = 'CHECK'`), {
    removes: c.object('constraint', table, name),
  });
}

/** The trigger pair enforcing a check. */
function checkTrigger(c: MysqlCompiler, table: string, name: string, expression: string) {
  return mysqlCheckTrigger(c.makeCheckBase(table, name), table, name, expression, checkColumns(expression, c.columnsOf(table)));
}

export function addCheck(c: MysqlCompiler, table: string, name: string, expression: string): Step[] {
  return checkTrigger(c, table, name, expression).create;
}

/**
 * A check enforced by xc's pair (Ddl.keptCheck): its steps, made under the name the pair has — the one this plan gave
 * it, else the catalog's — so that each is skipped while the pair is there (its probe). A server CHECK: undefined.
 */
export function keptCheck(c: MysqlCompiler, table: string, name: string, expression: string): Step[] | undefined {
  const base = c.model.planned.checkTrigger(table, name) ?? c.tableOf(table)?.checks.find((k) => k.name === name && k.trigger)?.triggerBase;
  if (base === undefined) return undefined;
  const { create } = mysqlCheckTrigger(base, table, name, expression, checkColumns(expression, c.columnsOf(table)));
  return create.map((st) => ({ ...st, description: `${st.description} — kept through the cut-over; made again only where it is missing` }));
}

/**
 * The check a column needs until NOT NULL is set, or undefined: none for a column this plan added NOT NULL with a
 * placeholder, where no NOT NULL is left to enforce.
 */
export function notNullCheckExpression(c: MysqlCompiler, table: string, column: ColumnModel): string | undefined {
  return c.model.planned.placeholder(table, column.name) === undefined ? `${q(column.name)} IS NOT NULL` : undefined;
}

export function addNotNullCheck(c: MysqlCompiler, table: string, column: ColumnModel, checkName: string): Step[] {
  const expression = notNullCheckExpression(c, table, column);
  // No NOT VALID on MySQL: a trigger-enforced check rejects new NULLs at once and scans nothing.
  return expression === undefined ? [] : checkTrigger(c, table, checkName, expression).create;
}

export function enforceNotNull(c: MysqlCompiler, table: string, column: ColumnModel, checkName: string): Step[] {
  if (notNullCheckExpression(c, table, column) === undefined) return [];
  // MODIFY … NOT NULL rebuilds the table online (INPLACE, LOCK=NONE: DML continues) and fails, changing nothing, if a NULL is left.
  const sql = c.alter(table, c.modify(table, column, false), INPLACE);
  return [
    c.step(sql, `make ${q(table)}.${q(column.name)} NOT NULL (checks every row while rebuilding)`, c.locks.rebuild(table), [table], c.probes.missing(c.probes.column(table, column.name, ` AND IS_NULLABLE = 'YES'`))),
    ...c.dropCheckPair(table, checkName),
  ];
}

export function validateConstraint(c: MysqlCompiler, table: string, name: string): Step[] {
  const fk = c.model.planned.foreignKey(table, name) ?? c.tableOf(table)?.foreignKeys.find((k) => k.name === name);
  if (fk) {
    // No server-side VALIDATE: look for rows whose parent is missing (MATCH SIMPLE: a NULL in the key is not checked).
    const child = fk.columns.map((col) => `c.${q(col)} IS NOT NULL`).join(' AND ');
    const match = fk.columns.map((col, i) => `p.${q(fk.refColumns[i]!)} = c.${q(col)}`).join(' AND ');
    const orphaned = `FROM ${q(table)} c WHERE ${child} AND NOT EXISTS(SELECT 1 FROM ${referencedTable(q, fk)} p WHERE ${match})`;
    const orphans = `EXISTS(SELECT 1 ${orphaned})`;
    const message = `foreign key ${name}: rows of ${table} have no parent in ${referencedTable((n) => n, fk)}`;
    // MariaDB: the message names a few of the keys without a parent (a message takes at most 512 characters there).
    const named = c.f.mariadb
      ? `BEGIN NOT ATOMIC DECLARE xc_found TEXT; SELECT GROUP_CONCAT(k SEPARATOR '; ') INTO xc_found FROM (SELECT DISTINCT CONCAT_WS(', ', ${fk.columns
          .map((col) => `CONCAT(${literal(`${col}=`)}, QUOTE(c.${q(col)}))`)
          .join(', ')}) AS k ${orphaned} LIMIT 5) AS xc_keys; IF xc_found IS NOT NULL THEN SET xc_found = LEFT(CONCAT(${literal(`${message}, e.g. `)}, xc_found), 512); SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = xc_found; END IF; END`
      : raiseIf(c, orphans, message);
    return [
      c.step(named, `check that every row of ${q(table)} has its parent in ${referencedTable(q, fk)} (foreign key ${q(name)}; fails if not)`, 'none (reads the table; writes continue)', [], `SELECT NOT ${orphans} AS done`),
    ];
  }
  const expression = c.model.planned.check(table, name) ?? c.tableOf(table)?.checks.find((k) => k.name === name)?.expression;
  if (expression !== undefined) {
    const bad = `EXISTS(SELECT 1 FROM ${q(table)} WHERE NOT COALESCE((${expression}), TRUE))`;
    return [c.step(raiseIf(c, bad, `check ${name}: rows of ${table} violate it`), `check that every row of ${q(table)} satisfies ${q(name)} (fails if not)`, 'none (reads the table; writes continue)', [], `SELECT NOT ${bad} AS done`)];
  }
  if (c.tableOf(table)?.indexes.some((i) => i.constraint === name)) return []; // unique and primary keys are always valid
  throw new Error(`cannot validate constraint ${name} on ${table}: not known to xc`);
}

export function dropConstraint(c: MysqlCompiler, table: string, name: string): Step[] {
  const t = c.tableOf(table);
  const idx = t?.indexes.find((i) => i.constraint === name);
  if (idx?.primary) {
    // Dropping a primary key rebuilds the table and cannot keep writes going: state the copy instead of letting the server pick it.
    const sql = c.alter(table, 'DROP PRIMARY KEY', 'ALGORITHM=COPY, LOCK=SHARED');
    return [c.step(sql, `drop the primary key of ${q(table)}`, `ALGORITHM=COPY, LOCK=SHARED on ${q(table)} (blocks writes while the table is copied)`, [table], c.probes.missing(c.probes.index(table, 'PRIMARY')))];
  }
  if (idx) return dropIndexKeepingKeys(c, table, idx.name, idx.columns);
  const { planned } = c.model;
  const added = t?.foreignKeys.some((k) => k.name === name) ? undefined : planned.foreignKey(table, name);
  if (added || t?.foreignKeys.some((k) => k.name === name)) {
    const index = planned.hasOwnIndex(table, name) ? [dropIndexStep(c, table, name)] : added ? restoreReplacedIndexName(c, table, added) : [];
    return [dropForeignKey(c, table, name), ...index];
  }
  // A check: the trigger pair xc enforces it with, and a CHECK constraint of that name; each step skipped when absent.
  return [...c.dropCheckPair(table, name), dropCheckConstraint(c, table, name)];
}
