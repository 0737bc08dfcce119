/**
 * MySQL / MariaDB: a copied column's foreign keys and checks carried to its
 * new column at contract (Ddl.carryConstraints, operations/columnCopy.ts),
 * never unenforced for a write in between. DDL commits one statement at a
 * time, a foreign key's name is unique in the schema and one ALTER cannot
 * drop a key and add another of the same name (error 1826), so:
 *
 * - before the old column's drop, each key is added again over the new
 *   column under a temporary name (foreign_key_checks=0: INPLACE, no row
 *   read; enforced for new writes at once), and each check gets a trigger
 *   pair of a temporary name over the new column;
 * - the drop takes the originals along (columns.ts, dropColumn);
 * - after it, one ALTER drops each temporary key and adds it under its own
 *   name (foreign_key_checks=0, INPLACE, LOCK=NONE: never without the key),
 *   and each check's pair of its own name is made before the temporary one
 *   goes;
 * - last (after the new column's NOT NULL), the existing rows are checked
 *   (constraints.ts, validateConstraint).
 *
 * Every step is skipped by its probe once done, so a contract killed at any
 * point converges when run again: the temporary key's step is done when it
 * or the final key over the new column exists, the renaming's when the final
 * key is over the new column.
 */
import type { CarriedConstraints, CarriedConstraintSteps } from '../dialect.js';
import type { Step } from '../../plan/index.js';
import { referenceClauses, referencedTable, referenceOptions } from '../references.js';
import { checkColumns, literal, quoteMy as q } from './expr.js';
import { INPLACE, type MysqlCompiler } from './compiler.js';
import { needsOwnIndex } from './keys.js';
import { mysqlCheckTrigger } from './triggers.js';
import { validateConstraint } from './constraints.js';

/** A foreign key of that name on the table, over `over` when given (the final one over the new column, not the old column's). */
const keyQuery = (table: string, name: string, over?: string) =>
  over === undefined
    ? `SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(name)}`
    : `SELECT 1 FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(name)} AND REFERENCED_TABLE_NAME IS NOT NULL AND COLUMN_NAME = ${literal(over)}`;

/** MariaDB scopes foreign_key_checks to the statement; MySQL has no SET STATEMENT: set on the step's session (reset with it). */
const uncheckedKeys = (c: MysqlCompiler, sql: string, extra: Partial<Step>): [string, Partial<Step>] =>
  c.f.mariadb ? [`SET STATEMENT foreign_key_checks=0 FOR ${sql}`, extra] : [sql, { ...extra, prepare: 'SET SESSION foreign_key_checks = 0' }];

/**
 * `fk` added over the new column under its temporary name, rows unread (checked at the contract's end): done when it,
 * or the final key over the new column, is there — the step of expand (cascadingKeysOverCopy) and of contract is one.
 */
function temporaryKey(c: MysqlCompiler, table: string, newColumn: string, fk: CarriedConstraints['foreignKeys'][number], when: string) {
  const { temporary } = fk;
  const references = `FOREIGN KEY (${c.cols(fk.columns)}) REFERENCES ${referencedTable(q, fk)} (${c.cols(fk.refColumns)})${referenceClauses(referenceOptions(fk), 'mysql')}`;
  // Without an index starting with the key's columns (the old column's index copy serves it: columnCopy), the server
  // would make one under the temporary name; it is made here by name, and takes the key's own name with it.
  const ownIndex = needsOwnIndex(c, fk);
  const lock = `ALGORITHM=INPLACE, LOCK=NONE on ${c.on([table, fk.refTable])} with foreign_key_checks=0 (reads and writes continue; no row read: existing rows are checked last)`;
  const [sql, extra] = uncheckedKeys(c, c.alter(table, `${ownIndex ? `ADD INDEX ${q(temporary)} (${c.cols(fk.columns)}), ` : ''}ADD CONSTRAINT ${q(temporary)} ${references}`, INPLACE), {
    creates: [c.object('constraint', table, temporary), ...(ownIndex ? [c.object('index', table, temporary)] : [])],
  });
  const step = c.step(sql, `add foreign key ${q(fk.name)} over ${q(newColumn)} under the temporary name ${q(temporary)}, ${when}`, lock, [table, fk.refTable], `SELECT EXISTS(${keyQuery(table, temporary)}) OR EXISTS(${keyQuery(table, fk.name, newColumn)}) AS done`, extra);
  return { step, ownIndex, references, lock };
}

/**
 * Whether a key's actions change `column` of the child (ON UPDATE CASCADE / SET NULL / SET DEFAULT; ON DELETE SET …).
 * A key of one column only: a second key sharing the others' columns with the first fails their cascades — the first
 * changes the shared column, the second's row then matches no parent (campaign FG: `UPDATE p SET b` refused, error
 * 1452, and a SET NULL leaving the copy's value). A composite key's copy is converted again by the backfill instead.
 */
const actionChanges = (fk: CarriedConstraints['foreignKeys'][number], column: string) =>
  fk.columns.length === 1 && ((fk.columns.includes(column) && !/^(restrict|no action)$/i.test(fk.onUpdate ?? 'restrict')) || (/^set\b/i.test(fk.onDelete ?? '') && (fk.onDeleteColumns ?? fk.columns).includes(column)));

/**
 * Ddl.cascadingKeysOverCopy: MySQL runs no trigger for a change a key's action makes, so without the key over the new
 * column too a cascade left it stale — for the verify to refuse while cascades went on (a parent re-keyed once a second:
 * no contract ever), and between the verify and the contract's key for good, the old column's value dropped with it
 * (campaign FC: the contract failed on its last check, left `contracting`). With it, a cascade changes both columns.
 */
export function cascadingKeysOverCopy(c: MysqlCompiler, spec: Pick<CarriedConstraints, 'table' | 'newColumn' | 'foreignKeys'>): Step[] {
  return spec.foreignKeys
    .filter((fk) => actionChanges(fk, spec.newColumn))
    .map((fk) => {
      const { step, ownIndex } = temporaryKey(c, spec.table, spec.newColumn, fk, 'so that its actions (cascades) change the new column with the old one');
      c.model.planned.addForeignKey({ ...fk, name: fk.temporary }, ownIndex);
      return step;
    });
}

export function carryConstraints(c: MysqlCompiler, spec: CarriedConstraints): CarriedConstraintSteps {
  const { table, newColumn } = spec;
  const { planned } = c.model;
  const beforeDrop: Step[] = [];
  const withDrop: Step[] = [];
  const validate: Step[] = [];
  const { exists } = c.probes;
  const key = (name: string, over?: string) => keyQuery(table, name, over);
  const unchecked = (sql: string, extra: Partial<Step>) => uncheckedKeys(c, sql, extra);
  for (const { temporary, ...fk } of spec.foreignKeys) {
    // Made at expand already where its actions change the column (cascadingKeysOverCopy): its index is as made then.
    const early = planned.foreignKey(table, temporary);
    const made = temporaryKey(c, table, newColumn, { ...fk, temporary }, 'before the old column\'s goes (new writes checked at once)');
    const { references, lock } = made;
    const ownIndex = early ? planned.hasOwnIndex(table, temporary) : made.ownIndex;
    if (!early) beforeDrop.push(made.step);
    // Both names differ: MariaDB 10.11 and MySQL 8 drop one key and add the other in one statement, the table never without either.
    const [swapSql, swapExtra] = unchecked(c.alter(table, `DROP FOREIGN KEY ${q(temporary)}, ADD CONSTRAINT ${q(fk.name)} ${references}${ownIndex ? `, RENAME INDEX ${q(temporary)} TO ${q(fk.name)}` : ''}`, INPLACE), {
      creates: [c.object('constraint', table, fk.name)],
    });
    withDrop.push(c.step(swapSql, `give foreign key ${q(temporary)} on ${q(table)} its own name ${q(fk.name)} (dropped and added in one statement, no row read)`, lock, [table, fk.refTable], exists(key(fk.name, newColumn)), swapExtra));
    planned.addForeignKey(fk, ownIndex);
    if (fk.validated !== false) validate.push(...validateConstraint(c, table, fk.name));
  }

  for (const k of spec.checks) {
    const columns = checkColumns(k.expression, c.columnsOf(table));
    // The old column's drop removes the pair of the check's own name (and a server CHECK of it): a pair of another name holds meanwhile.
    const temporary = mysqlCheckTrigger(c.makeCheckBase(table, k.temporary), table, k.temporary, k.expression, columns);
    beforeDrop.push(...temporary.create);
    withDrop.push(...mysqlCheckTrigger(c.makeCheckBase(table, k.name), table, k.name, k.expression, columns).create, ...temporary.drop);
    planned.addCheck(table, k.name, k.expression);
    if (k.validated !== false) validate.push(...validateConstraint(c, table, k.name));
  }
  return { beforeDrop, withDrop, validate };
}
