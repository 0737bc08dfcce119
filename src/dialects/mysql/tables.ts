/** MySQL / MariaDB tables: created, dropped, and renamed with the old name kept working by a view. */
import type { Column } from '../../migration/schema.js';
import type { Step } from '../../plan/index.js';
import { InvalidInputError } from '../../errors.js';
import { constraintName } from '../names.js';
import { defaultClause, fitName, MYSQL_NAMES, quoteMy as q } from './expr.js';
import type { MysqlCompiler } from './compiler.js';
import { referenceClauses, referenceOptions } from '../references.js';

export function createTable(c: MysqlCompiler, table: string, columns: Column[], primaryKey?: string[]): Step[] {
  const pk = primaryKey ?? columns.filter((col) => col.primaryKey).map((col) => col.name);
  const lines = columns.map((col) => `${q(col.name)} ${col.type}${col.nullable && !pk.includes(col.name) ? '' : ' NOT NULL'}${col.default !== undefined ? ` DEFAULT ${defaultClause(col.default)}` : ''}`);
  if (pk.length > 0) lines.push(`PRIMARY KEY (${c.cols(pk)})`);
  // Names as the model projects them (PostgreSQL's naming, by this server's length rule: dialects/names.ts), so later operations find them.
  for (const col of columns) if (col.unique && !(pk.length === 1 && pk[0] === col.name)) lines.push(`UNIQUE KEY ${q(constraintName(table, col.name, 'key', MYSQL_NAMES))} (${q(col.name)})`);
  const referenced: string[] = [];
  for (const col of columns) {
    const ref = col.references;
    if (!ref) continue;
    const target = ref.columns ?? (ref.column ? [ref.column] : ref.table === table ? pk : (c.tableOf(ref.table)?.primaryKey ?? []));
    if (target.length === 0) throw new InvalidInputError(`createTable ${table}: name the column ${col.name} references in ${ref.table} (MySQL needs it)`, {}, { code: 'invalid_migration' });
    lines.push(`CONSTRAINT ${q(ref.name ?? constraintName(table, col.name, 'fkey', MYSQL_NAMES))} FOREIGN KEY (${q(col.name)}) REFERENCES ${q(ref.table)} (${c.cols(target)})${referenceClauses(referenceOptions(ref), 'mysql')}`);
    if (ref.table !== table) referenced.push(ref.table);
  }
  const sql = `CREATE TABLE ${q(table)} (\n  ${lines.join(',\n  ')}\n)`;
  const lock = referenced.length ? `shared metadata lock on ${c.on(referenced)} (instant; for the foreign keys)` : `none on existing tables (new table ${q(table)})`;
  return [c.step(sql, `create table ${q(table)}`, lock, [table, ...referenced], c.probes.exists(c.probes.relation(table, 'BASE TABLE')), { creates: [c.object('table', table)] })];
}

export function dropTable(c: MysqlCompiler, table: string): Step[] {
  return [c.step(`DROP TABLE IF EXISTS ${q(table)}`, `drop table ${q(table)}`, c.locks.mdl(table), [table], c.probes.missing(c.probes.relation(table, 'BASE TABLE')), { removes: c.object('table', table) })];
}

export function renameTableKeepingOldName(c: MysqlCompiler, from: string, to: string): Step[] {
  const { exists, relation } = c.probes;
  // Two statements: between them (milliseconds) old code finds no `from`; MySQL cannot create the view before the rename.
  return [
    c.step(`RENAME TABLE ${q(from)} TO ${q(to)}`, `rename table ${q(from)} to ${q(to)}`, c.locks.mdl(from, to), [from, to], exists(relation(to, 'BASE TABLE')), { creates: [c.object('table', to)] }),
    c.step(`CREATE ALGORITHM=MERGE VIEW ${q(from)} AS SELECT * FROM ${q(to)}`, `keep ${q(from)} working for old code (an updatable view over ${q(to)})`, c.locks.mdl(from), [from, to], exists(relation(from, 'VIEW'))),
  ];
}

export function dropOldTableName(c: MysqlCompiler, from: string): Step[] {
  return [c.step(`DROP VIEW IF EXISTS ${q(from)}`, `drop view ${q(from)} (the table's old name)`, c.locks.mdl(from), [from], c.probes.missing(c.probes.relation(from, 'VIEW')))];
}

export function restoreTableName(c: MysqlCompiler, from: string, to: string): Step[] {
  const { missing, relation, where } = c.probes;
  // Old code must never find the old name missing: the view under it and the table swap names in one RENAME
  // TABLE (atomic), then the view, parked under a temporary name, goes. A crashed expand that renamed the table
  // but made no view gets one first; an expand that never ran leaves `from` a table, and every step is skipped.
  const parked = fitName(`xc_old_${from}`);
  const restored = `SELECT EXISTS(${relation(from, 'BASE TABLE')}) OR NOT EXISTS(${relation(to, 'BASE TABLE')}) AS done`;
  const named = `SELECT EXISTS(SELECT 1 FROM information_schema.TABLES WHERE ${where(from)}) OR NOT EXISTS(${relation(to, 'BASE TABLE')}) AS done`;
  return [
    c.step(`CREATE ALGORITHM=MERGE VIEW ${q(from)} AS SELECT * FROM ${q(to)}`, `make sure ${q(from)} names ${q(to)} (a view)`, c.locks.mdl(from), [from, to], named),
    c.step(`RENAME TABLE ${q(from)} TO ${q(parked)}, ${q(to)} TO ${q(from)}`, `rename table ${q(to)} back to ${q(from)}, in one statement with the view it replaces`, c.locks.mdl(to, from), [to, from], restored),
    c.step(`DROP VIEW IF EXISTS ${q(parked)}`, `drop the view ${q(from)} was (parked as ${q(parked)})`, c.locks.mdl(parked), [parked], missing(relation(parked, 'VIEW'))),
  ];
}
