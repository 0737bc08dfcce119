/** MySQL / MariaDB tables: created, dropped, and renamed with the old name kept working by a view. */
import type { TableSpec } from '../dialect.js';
import type { Step } from '../../plan/index.js';
import { InvalidInputError } from '../../errors.js';
import { constraintName } from '../names.js';
import { defaultClause, literal, MYSQL_NAMES, quoteMy as q, renameTableNames } from './expr.js';
import type { MysqlCompiler } from './compiler.js';
import { referenceClauses, referenceOptions } from '../references.js';

/** Options of a table-level constraint MySQL/MariaDB lack (validation refuses them first, naming why: BaseDialect.lacks). */
function refuse(table: string, what: string): never {
  throw new InvalidInputError(`createTable ${table}: MySQL and MariaDB have no ${what}`, {}, { code: 'invalid_migration' });
}

export function createTable(c: MysqlCompiler, spec: TableSpec): Step[] {
  const { table, columns } = spec;
  const pk = spec.primaryKey.columns;
  const keyed = new Set([...(pk.length > 0 ? [pk[0]!] : []), ...columns.filter((col) => col.unique).map((col) => col.name), ...spec.constraints.flatMap((k) => (k.type === 'unique' || k.type === 'primary_key' ? [k.columns![0]!] : []))]);
  const lines = columns.map((col) => {
    const g = col.generated;
    // A STORED generated column, as PostgreSQL's (computed on write, readable by indexes and keys); MariaDB refuses NOT NULL on one (validation says so).
    const generated = g && 'expression' in g ? ` GENERATED ALWAYS AS (${g.expression}) STORED` : '';
    const notNull = col.nullable && !pk.includes(col.name) && !(g && 'identity' in g) ? '' : ' NOT NULL';
    const def = col.default !== undefined ? ` DEFAULT ${defaultClause(col.default)}` : '';
    const identity = g && 'identity' in g ? (g.identity === 'always' ? refuse(table, 'GENERATED ALWAYS AS IDENTITY') : ' AUTO_INCREMENT') : '';
    const comment = col.comment !== undefined ? ` COMMENT ${literal(col.comment)}` : '';
    return `${q(col.name)} ${col.type}${generated}${notNull}${def}${identity}${comment}`;
  });
  if (pk.length > 0) lines.push(`PRIMARY KEY (${c.cols(pk)})`);
  // Names as the model projects them (PostgreSQL's naming, by this server's length rule: dialects/names.ts), so later operations find them.
  for (const col of columns) if (col.unique && !(pk.length === 1 && pk[0] === col.name)) lines.push(`UNIQUE KEY ${q(col.uniqueName ?? constraintName(table, col.name, 'key', MYSQL_NAMES))} (${q(col.name)})`);
  // AUTO_INCREMENT needs an index starting with its column: one of its own where no key gives it one.
  for (const col of columns) if (col.generated && 'identity' in col.generated && !keyed.has(col.name)) lines.push(`KEY ${q(constraintName(table, col.name, 'idx', MYSQL_NAMES))} (${q(col.name)})`);
  for (const col of columns) if (col.check) lines.push(`CONSTRAINT ${q(col.check.name ?? constraintName(table, col.name, 'check', MYSQL_NAMES))} CHECK (${col.check.expression})`);
  const referenced: string[] = [];
  for (const col of columns) {
    const ref = col.references;
    if (!ref) continue;
    const target = ref.columns ?? (ref.column ? [ref.column] : ref.table === table ? pk : (c.tableOf(ref.table)?.primaryKey ?? []));
    if (target.length === 0) throw new InvalidInputError(`createTable ${table}: name the column ${col.name} references in ${ref.table} (MySQL needs it)`, {}, { code: 'invalid_migration' });
    lines.push(`CONSTRAINT ${q(ref.name ?? constraintName(table, col.name, 'fkey', MYSQL_NAMES))} FOREIGN KEY (${q(col.name)}) REFERENCES ${q(ref.table)} (${c.cols(target)})${referenceClauses(referenceOptions(ref), 'mysql')}`);
    if (ref.table !== table) referenced.push(ref.table);
  }
  for (const k of spec.constraints) {
    if (k.include) refuse(table, 'INCLUDE columns');
    if (k.storageParameters) refuse(table, 'storage parameters');
    if (k.nullsNotDistinct) refuse(table, 'NULLS NOT DISTINCT');
    if (k.deferrable || k.initiallyDeferred) refuse(table, 'DEFERRABLE constraints');
    if (k.type === 'unique') lines.push(`UNIQUE KEY ${q(k.name)} (${c.cols(k.columns!)})`);
    // The server names every primary key PRIMARY: the name is PostgreSQL's only.
    else if (k.type === 'primary_key') lines.push(`PRIMARY KEY (${c.cols(k.columns!)})`);
    else if (k.type === 'check') lines.push(`CONSTRAINT ${q(k.name)} CHECK (${k.check})`);
    else if (k.type === 'foreign_key') {
      const r = k.references!;
      lines.push(`CONSTRAINT ${q(k.name)} FOREIGN KEY (${c.cols(k.columns!)}) REFERENCES ${q(r.table)} (${c.cols(r.columns)})${referenceClauses(referenceOptions(r), 'mysql')}`);
      if (r.table !== table) referenced.push(r.table);
    } else refuse(table, 'exclusion constraints');
  }
  const sql = `CREATE TABLE ${q(table)} (\n  ${lines.join(',\n  ')}\n)${spec.comment !== undefined ? ` COMMENT=${literal(spec.comment)}` : ''}`;
  const lock = referenced.length ? `shared metadata lock on ${c.on(referenced)} (instant; for the foreign keys)` : `none on existing tables (new table ${q(table)})`;
  return [c.step(sql, `create table ${q(table)}`, lock, [table, ...referenced], c.probes.exists(c.probes.relation(table, 'BASE TABLE')), { creates: [c.object('table', table)] })];
}

export function dropTable(c: MysqlCompiler, table: string): Step[] {
  return [c.step(`DROP TABLE IF EXISTS ${q(table)}`, `drop table ${q(table)}`, c.locks.mdl(table), [table], c.probes.missing(c.probes.relation(table, 'BASE TABLE')), { removes: c.object('table', table) })];
}

/**
 * Old code must never find the old name missing, so the table and a view under its old name appear in one
 * RENAME TABLE. A view can only be made over a table that exists, and MySQL keeps it by name: so it is made over
 * a placeholder under the new name (the table's visible columns, for `SELECT *` to list), parked under a
 * temporary name, and the RENAME moves the placeholder aside, the table to its new name and the view to the old
 * one. No statement of old code waits on the placeholder or the parked view, so the RENAME, queued behind it,
 * never deadlocks with it (as the rollback's swap can: restoreTableName). Before this, the table was renamed and
 * then the view made: under a busy writer every rename failed a write or two (1146, no such table).
 */
export function renameTableKeepingOldName(c: MysqlCompiler, from: string, to: string): Step[] {
  const { exists, relation } = c.probes;
  const names = renameTableNames(from, to);
  const visible = (c.tableOf(from)?.columns ?? []).filter((col) => !/\binvisible\b/i.test(col.extra ?? ''));
  // A key, for servers that require one (sql_require_primary_key, innodb_force_primary_key). A check no row meets: a
  // row written under the new name before the RENAME (new code run early, and for as long as an apply killed here
  // waits to be run again) is refused, not kept in the placeholder and lost with it (campaign K). An UPDATE or a
  // DELETE there meets no row, as the name's table has none yet.
  const placeholder = `CREATE TABLE ${q(to)} (${visible.map((col) => `${q(col.name)} int`).join(', ')}, PRIMARY KEY (${q(visible[0]?.name ?? from)}), CONSTRAINT ${q(names.placeholder)} CHECK (FALSE)) COMMENT=${literal(`xc: placeholder while ${from} is renamed to ${to}`)}`;
  const swapped = exists(relation(from, 'VIEW'));
  const either = (a: string, b: string) => `SELECT EXISTS(${a}) OR EXISTS(${b}) AS done`;
  return [
    c.step(placeholder, `create an empty placeholder ${q(to)} for the view to name`, `none on existing tables (new table ${q(to)})`, [to], either(relation(to, 'BASE TABLE'), relation(from, 'VIEW')), { creates: [c.object('table', to)] }),
    c.step(`CREATE ALGORITHM=MERGE VIEW ${q(names.view)} AS SELECT * FROM ${q(to)}`, `make the view that will keep ${q(from)} working for old code (an updatable view over ${q(to)})`, `none on existing tables (new view ${q(names.view)})`, [to], either(relation(names.view, 'VIEW'), relation(from, 'VIEW')), { creates: [c.object('table', names.view)] }),
    c.step(`RENAME TABLE ${q(to)} TO ${q(names.placeholder)}, ${q(from)} TO ${q(to)}, ${q(names.view)} TO ${q(from)}`, `rename table ${q(from)} to ${q(to)}, in one statement with the view that takes its old name`, c.locks.mdl(from, to), [from, to], swapped, { creates: [c.object('table', names.placeholder)] }),
    dropParkedPlaceholder(c, names.placeholder),
  ];
}

function dropParkedPlaceholder(c: MysqlCompiler, placeholder: string, extra: Partial<Step> = {}): Step {
  const { missing, relation } = c.probes;
  return c.step(`DROP TABLE IF EXISTS ${q(placeholder)}`, `drop the placeholder (parked as ${q(placeholder)})`, c.locks.mdl(placeholder), [placeholder], missing(relation(placeholder, 'BASE TABLE')), extra);
}

export function dropOldTableName(c: MysqlCompiler, from: string): Step[] {
  return [c.step(`DROP VIEW IF EXISTS ${q(from)}`, `drop view ${q(from)} (the table's old name)`, c.locks.mdl(from), [from], c.probes.missing(c.probes.relation(from, 'VIEW')))];
}

export function restoreTableName(c: MysqlCompiler, from: string, to: string): Step[] {
  const { missing, relation, where } = c.probes;
  // Old code must never find the old name missing: the view under it and the table swap names in one RENAME
  // TABLE (atomic), then the view, parked under a temporary name, goes. A crashed expand that renamed the table
  // but made no view gets one first; an expand that never ran leaves `from` a table, and every step is skipped.
  // The RENAME takes its locks in name order. Where `to` sorts before `from`, it holds the table and waits for the
  // view, while an old-code statement holds the view and waits for the table: MariaDB makes that statement the
  // deadlock's victim, and its retry fails ("View ... references invalid table(s)", 1356; a fifth of swaps under a
  // busy writer). NOWAIT never waits while holding a lock, so it is retried until it gets them all at once
  // (Step.withoutQueueing). MySQL has no NOWAIT for RENAME; there the swap queues as before (not measured: no MySQL here).
  const names = renameTableNames(from, to);
  const { parked } = names;
  const nowait = c.f.renameNowait ? ' NOWAIT' : '';
  const restored = `SELECT EXISTS(${relation(from, 'BASE TABLE')}) OR NOT EXISTS(${relation(to, 'BASE TABLE')}) AS done`;
  const named = `SELECT EXISTS(SELECT 1 FROM information_schema.TABLES WHERE ${where(from)}) OR NOT EXISTS(${relation(to, 'BASE TABLE')}) AS done`;
  return [
    c.step(`CREATE ALGORITHM=MERGE VIEW ${q(from)} AS SELECT * FROM ${q(to)}`, `make sure ${q(from)} names ${q(to)} (a view)`, c.locks.mdl(from), [from, to], named),
    c.step(`RENAME TABLE ${q(from)}${nowait} TO ${q(parked)}, ${q(to)} TO ${q(from)}`, `rename table ${q(to)} back to ${q(from)}, in one statement with the view it replaces`, c.locks.mdl(to, from), [to, from], restored, nowait ? { withoutQueueing: true } : {}),
    c.step(`DROP VIEW IF EXISTS ${q(parked)}`, `drop the view ${q(from)} was (parked as ${q(parked)})`, c.locks.mdl(parked), [parked], missing(relation(parked, 'VIEW'))),
    // What an expand stopped part-way leaves (renameTableKeepingOldName): each only if its step was attempted (Step.removes).
    c.step(`DROP VIEW IF EXISTS ${q(names.view)}`, `drop the view made for ${q(from)} (parked as ${q(names.view)})`, c.locks.mdl(names.view), [names.view], missing(relation(names.view, 'VIEW')), { removes: c.object('table', names.view) }),
    dropParkedPlaceholder(c, names.placeholder, { removes: c.object('table', names.placeholder) }),
    // The placeholder still under the new name: only while the table has its old one (else that name is the table's, and it was renamed back above).
    c.step(`DROP TABLE IF EXISTS ${q(to)}`, `drop the placeholder ${q(to)}`, c.locks.mdl(to), [to], `SELECT NOT EXISTS(${relation(to, 'BASE TABLE')}) OR NOT EXISTS(${relation(from, 'BASE TABLE')}) AS done`, { removes: c.object('table', to) }),
  ];
}
