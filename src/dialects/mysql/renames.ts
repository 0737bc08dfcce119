/**
 * MySQL / MariaDB renameConstraint. The server renames none of them in
 * place but a unique key (its index: RENAME INDEX, metadata only):
 * - A foreign key is dropped and added under the new name in one ALTER
 *   (ALGORITHM=INPLACE, LOCK=NONE, foreign_key_checks=0: never without the
 *   key, no row read — they met it already). An index of the key's old name
 *   (the one the server made for it) is renamed in that statement too, so
 *   the outcome does not depend on whether the server made it or the user did
 *   (on MariaDB only if it is still there: InnoDB drops the one it made once
 *   another index serves the key).
 * - A check is enforced under the new name by xc's trigger pair (as every
 *   check xc adds here: no scan, no lock beyond the trigger's metadata lock),
 *   made before the old pair and any server CHECK of the old name go (MariaDB
 *   adds a CHECK only by ALGORITHM=COPY, which blocks writes; dropping one is
 *   metadata only). It stays trigger-enforced, a rollback included.
 * - A primary key is always PRIMARY: validation refuses it.
 */
import type { Step } from '../../plan/index.js';
import { checkColumns, literal, quoteMy as q } from './expr.js';
import { dropPair, mysqlCheckTrigger } from './triggers.js';
import { INPLACE, type MysqlCompiler } from './compiler.js';
import { renameIndex } from './keys.js';
import { dropCheckConstraint } from './constraints.js';
import { referenceClauses, referencedTable, referenceOptions } from '../references.js';

/**
 * `from` → `to`. The model is the schema before the rename, also for the
 * rollback's reverse rename (which names the constraint by `to`), so the
 * constraint is looked up under either name.
 */
export function renameConstraint(c: MysqlCompiler, table: string, from: string, to: string): Step[] {
  const t = c.tableOf(table);
  const { planned } = c.model;
  const named = (n: string) => n === from || n === to;
  const idx = t?.indexes.find((i) => i.constraint !== null && named(i.constraint));
  if (idx?.primary) throw new Error(`cannot rename the primary key of ${table}: MySQL/MariaDB name every primary key PRIMARY`);
  if (idx) return renameIndex(c, table, from, to);

  const fk = planned.foreignKey(table, from) ?? planned.foreignKey(table, to) ?? t?.foreignKeys.find((k) => named(k.name));
  if (fk) {
    const ownIndex = t?.indexes.some((i) => named(i.name) && i.constraint === null) || planned.hasOwnIndex(table, from) || planned.hasOwnIndex(table, to);
    const add = `ADD CONSTRAINT ${q(to)} FOREIGN KEY (${c.cols(fk.columns)}) REFERENCES ${referencedTable(q, fk)} (${c.cols(fk.refColumns)})${referenceClauses(referenceOptions(fk), 'mysql')}`;
    // InnoDB drops the index it made for a key once another index serves it (an addIndex over its columns earlier in
    // this migration, fuzz seed 193): MariaDB renames it only if it is still there.
    const rename = `, RENAME INDEX ${c.f.mariadb ? 'IF EXISTS ' : ''}${q(from)} TO ${q(to)}`;
    const sql = c.alter(table, `DROP FOREIGN KEY ${q(from)}, ${add}${ownIndex ? rename : ''}`, INPLACE);
    planned.addForeignKey({ ...fk, table, name: to }, !!ownIndex);
    // Done once the key has its new name (also when the rename never happened and this is the rollback's: the old name is there).
    const probe = c.probes.exists(`SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(to)}`);
    const lock = `ALGORITHM=INPLACE, LOCK=NONE on ${c.on([table, fk.refTable])} with foreign_key_checks=0 (reads and writes continue; the rows, which met the key, are not read again)`;
    const description = `rename foreign key ${q(from)} on ${q(table)} to ${q(to)} (dropped and added in one statement)`;
    return c.f.mariadb
      ? [c.step(`SET STATEMENT foreign_key_checks=0 FOR ${sql}`, description, lock, [table, fk.refTable], probe)]
      : [c.step(sql, description, lock, [table, fk.refTable], probe, { prepare: 'SET SESSION foreign_key_checks = 0' })];
  }

  const expression = planned.check(table, from) ?? planned.check(table, to) ?? t?.checks.find((k) => named(k.name))?.expression;
  if (expression === undefined) throw new Error(`cannot rename constraint ${from} on ${table}: not known to xc`);
  planned.addCheck(table, to, expression);
  return [...mysqlCheckTrigger(c.makeCheckBase(table, to), table, to, expression, checkColumns(expression, c.columnsOf(table))).create, ...c.dropCheckPair(table, from), dropCheckConstraint(c, table, from)];
}
