/**
 * MySQL / MariaDB: the keys a column's cut-over (inplace.ts, swapColumns)
 * can carry, and how.
 *
 * Other tables' foreign keys referencing the column (MariaDB): the server
 * will not drop a column a key references, even with foreign_key_checks=0.
 * So, under the cut-over's LOCK TABLES (the children locked too: no write
 * reaches them unchecked), each child's key is dropped (IF EXISTS: a re-run
 * after a crash finds it gone), the parent swapped, and the key added again
 * with foreign_key_checks=0 (INPLACE, no row read: the verify proved every
 * child row finds its parent through the shadow; validated after anyway).
 * Should the process die after the swap and before a key is back, a step
 * after the cut-over adds it (its probe skips it otherwise).
 *
 * Refused: a primary key (InnoDB clusters the rows by it: moving it to the
 * shadow rebuilds the table, which cannot happen under LOCK TABLES, and
 * doing it online before the cut-over would leave the old column, which both
 * versions still write, without its key); children whose column InnoDB
 * would not accept over the new type (integers must match exactly); MySQL,
 * which has no DROP FOREIGN KEY IF EXISTS to resume by.
 */
import type { ForeignKeySpec, ShadowKeyIssue, ShadowKeySpec } from '../dialect.js';
import type { Step } from '../../plan/index.js';
import { referenceClauses, referencedTable } from '../references.js';
import { literal, quoteMy as q } from './expr.js';
import { type MysqlCompiler } from './compiler.js';

export function mysqlShadowKeyIssues(c: MysqlCompiler, spec: ShadowKeySpec): ShadowKeyIssue[] {
  const { table, column } = spec;
  const issues: ShadowKeyIssue[] = [];
  const name = `"${table}"."${column.name}"`;
  if (spec.primary) {
    issues.push({
      code: 'key_column',
      message:
        `${name} is part of the primary key, which InnoDB clusters the rows by: moving the key to a new column rebuilds the table, ` +
        'which the cut-over cannot do under its lock, and doing it online first would leave the column both versions write without its key. ' +
        'Not supported in place on MySQL/MariaDB: change it with a table-copying tool (pt-online-schema-change) or in a maintenance window',
    });
    // What other tables' keys would need is moot: no step of the way they would name leads anywhere (campaign AX:
    // "drop the key, change both columns" was followed, and refused for the primary key).
    return issues;
  }
  for (const r of spec.referencing) {
    const mismatch = c.dialect.foreignKeyTypeIssue(r.column.type, spec.type);
    const key = `foreign key "${r.name}" of "${r.table}" (its column "${r.column.name}" ${r.column.type})`;
    if (!c.f.mariadb) {
      issues.push({ code: 'referenced', foreignKey: r.name, referencing: r.table, message: `${name} is referenced by ${key}: MySQL cannot carry it through the cut-over (no DROP FOREIGN KEY IF EXISTS to resume by after a crash); drop the key, change the column, add the key again` });
    } else if (mismatch) {
      issues.push({
        code: 'referenced',
        foreignKey: r.name,
        referencing: r.table,
        message: `${name} is referenced by ${key}, which InnoDB would not accept over ${spec.type}: ${mismatch}. Drop the key, change both columns in place (one alterColumn each), then add the key again`,
      });
    }
  }
  return issues;
}

/** The statements a cut-over runs for the referencing keys, and the steps after it that add back one a crash left out. */
export function referencingStatements(c: MysqlCompiler, keys: ForeignKeySpec[]) {
  const exists = (k: ForeignKeySpec) => `SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(k.table)} AND CONSTRAINT_NAME = ${literal(k.name)}`;
  const add = (k: ForeignKeySpec) =>
    `SET STATEMENT foreign_key_checks=0 FOR ${c.alter(k.table, `ADD CONSTRAINT ${q(k.name)} FOREIGN KEY (${c.cols(k.columns)}) REFERENCES ${referencedTable(q, k)} (${c.cols(k.refColumns)})${referenceClauses(k, 'mysql')}`, 'ALGORITHM=INPLACE, LOCK=DEFAULT')}`;
  const after: Step[] = keys.map((k) =>
    c.step(add(k), `add foreign key ${q(k.name)} on ${q(k.table)} again, if the cut-over was interrupted before it (no row read)`, `ALGORITHM=INPLACE on ${c.on([k.table, k.refTable])} with foreign_key_checks=0 (writes continue)`, [k.table, k.refTable], c.probes.exists(exists(k))),
  );
  return {
    lock: [...new Set(keys.map((k) => k.table))].map((t) => `${q(t)} WRITE`),
    drop: keys.map((k) => c.alter(k.table, `DROP FOREIGN KEY IF EXISTS ${q(k.name)}`, 'ALGORITHM=INPLACE, LOCK=DEFAULT')),
    add: keys.map(add),
    after,
  };
}
