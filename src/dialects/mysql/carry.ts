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

export function carryConstraints(c: MysqlCompiler, spec: CarriedConstraints): CarriedConstraintSteps {
  const { table, newColumn } = spec;
  const { planned } = c.model;
  const beforeDrop: Step[] = [];
  const withDrop: Step[] = [];
  const validate: Step[] = [];
  const { exists } = c.probes;
  /** A foreign key of that name on the table, over the new column when `over` (the final one, not the old column's). */
  const key = (name: string, over?: string) =>
    over === undefined
      ? `SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(name)}`
      : `SELECT 1 FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(name)} AND REFERENCED_TABLE_NAME IS NOT NULL AND COLUMN_NAME = ${literal(over)}`;
  // MariaDB scopes foreign_key_checks to the statement; MySQL has no SET STATEMENT: set on the step's session (reset with it).
  const unchecked = (sql: string, extra: Partial<Step>): [string, Partial<Step>] => (c.f.mariadb ? [`SET STATEMENT foreign_key_checks=0 FOR ${sql}`, extra] : [sql, { ...extra, prepare: 'SET SESSION foreign_key_checks = 0' }]);

  for (const { temporary, ...fk } of spec.foreignKeys) {
    const references = `FOREIGN KEY (${c.cols(fk.columns)}) REFERENCES ${referencedTable(q, fk)} (${c.cols(fk.refColumns)})${referenceClauses(referenceOptions(fk), 'mysql')}`;
    // Without an index starting with the key's columns (the old column's index copy serves it: columnCopy), the server
    // would make one under the temporary name; it is made here by name, and takes the key's own name with it.
    const ownIndex = needsOwnIndex(c, fk);
    const lock = `ALGORITHM=INPLACE, LOCK=NONE on ${c.on([table, fk.refTable])} with foreign_key_checks=0 (reads and writes continue; no row read: existing rows are checked last)`;
    const [addSql, addExtra] = unchecked(c.alter(table, `${ownIndex ? `ADD INDEX ${q(temporary)} (${c.cols(fk.columns)}), ` : ''}ADD CONSTRAINT ${q(temporary)} ${references}`, INPLACE), {
      creates: [c.object('constraint', table, temporary), ...(ownIndex ? [c.object('index', table, temporary)] : [])],
    });
    beforeDrop.push(
      c.step(addSql, `add foreign key ${q(fk.name)} over ${q(newColumn)} under the temporary name ${q(temporary)}, before the old column's goes (new writes checked at once)`, lock, [table, fk.refTable], `SELECT EXISTS(${key(temporary)}) OR EXISTS(${key(fk.name, newColumn)}) AS done`, addExtra),
    );
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
