/**
 * What every MySQL / MariaDB statement builder shares: the server's features,
 * the model it compiles against (the schema as it will be just before the
 * request, with what the current plan adds in `model.planned`), and the
 * pieces of a step — statement, lock in words, catalog probe. Nothing here
 * remembers anything between calls.
 */
import type { Dialect } from '../dialect.js';
import type { ColumnModel, SchemaModel } from '../../schema/model.js';
import type { SchemaObject, Step } from '../../plan/index.js';
import { defaultClause, hiddenColumnDefault, literal, quoteMy as q, withComment } from './expr.js';
import { checkTriggerBase, dropPair } from './triggers.js';

export interface MysqlFeatures {
  mariadb: boolean;
  /** ADD COLUMN (nullable, at the end) and SET/DROP DEFAULT: MariaDB 10.3.7+, MySQL 8.0.12+. */
  instantAddColumn: boolean;
  /** DROP COLUMN: MariaDB 10.4+, MySQL 8.0.29+. */
  instantDropColumn: boolean;
  /** ALGORITHM=NOCOPY (no rebuild, e.g. DROP INDEX): MariaDB 10.3.7+. */
  nocopy: boolean;
  /** Dropping a foreign key or check, renaming an index: instant on MariaDB 10.5.2+ (INPLACE, metadata only, on MySQL). */
  instantMetadata: boolean;
  /** RENAME TABLE t NOWAIT: MariaDB 10.3+ (Step.withoutQueueing). */
  renameNowait: boolean;
  /** INVISIBLE columns (left out of `SELECT *` and of an INSERT without a column list): MariaDB 10.3.3+, MySQL 8.0.23+. */
  invisibleColumns: boolean;
}

export const INSTANT = 'ALGORITHM=INSTANT, LOCK=DEFAULT';
export const INPLACE = 'ALGORITHM=INPLACE, LOCK=NONE';
/** No rebuild, reads and writes go on (MariaDB 10.3.7+: `Features.nocopy`); INSTANT where the server can. */
export const NOCOPY_ONLINE = 'ALGORITHM=NOCOPY, LOCK=NONE';

/** The shared pieces, bound to one server's features and one model; `dialect` writes a fill's batch statement. */
export type MysqlCompiler = ReturnType<typeof mysqlCompiler>;

/** A CURRENT_TIMESTAMP default carried to a temporal type of another precision: at that precision (MySQL refuses another). */
export function currentTimestampAt(expr: string, type: string): string {
  const fsp = /^\s*(timestamp|datetime)\b\s*(?:\(\s*(\d)\s*\))?/i.exec(type);
  if (!fsp) return expr;
  return expr.replace(/^\s*(current_timestamp|now|localtimestamp)\s*(\(\s*\d*\s*\))?\s*$/i, (_, fn: string) => `${fn}(${fsp[2] ?? ''})`);
}

/** ON UPDATE CURRENT_TIMESTAMP must have the column's precision (the server refuses another): a new type's, when it changed. */
function onUpdateAtPrecision(type: string, extra: string | undefined): string | undefined {
  const fsp = /^\w+\s*\(\s*(\d)\s*\)/.exec(type)?.[1] ?? '';
  return extra?.replace(/(on update )(current_timestamp|now|localtimestamp)\s*(\(\s*\d*\s*\))?/i, (_, on: string, fn: string) => `${on}${fn}(${fsp})`);
}

export function mysqlCompiler(f: MysqlFeatures, model: SchemaModel, dialect: Dialect) {
  const cols = (names: string[]) => names.map(q).join(', ');
  const tableOf = (t: string) => model.table(t);
  /** Columns of `table`: the model's and those the current plan adds. */
  const columnsOf = (table: string) => [...(tableOf(table)?.columns.map((c) => c.name) ?? []), ...model.planned.addedColumns(table)];

  // BINARY: information_schema ignores case in TABLE_NAME, and `Users` is another table than `users` (catalog.ts).
  const where = (table: string) => `TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)}`;
  const exists = (sql: string) => `SELECT EXISTS(${sql}) AS done`;
  const missing = (sql: string) => `SELECT NOT EXISTS(${sql}) AS done`;
  const relation = (table: string, type: 'BASE TABLE' | 'VIEW') => `SELECT 1 FROM information_schema.TABLES WHERE ${where(table)} AND TABLE_TYPE = '${type}'`;
  const column = (table: string, c: string, extra = '') => `SELECT 1 FROM information_schema.COLUMNS WHERE ${where(table)} AND COLUMN_NAME = ${literal(c)}${extra}`;
  const index = (table: string, name: string) => `SELECT 1 FROM information_schema.STATISTICS WHERE ${where(table)} AND INDEX_NAME = ${literal(name)}`;
  const constraint = (table: string, name: string) => `SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE ${where(table)} AND CONSTRAINT_NAME = ${literal(name)}`;
  const noDefault = f.mariadb ? `(COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL')` : 'COLUMN_DEFAULT IS NULL';

  const on = (tables: string[]) => [...new Set(tables)].map(q).join(' and ');
  const locks = {
    instant: (...t: string[]) => `ALGORITHM=INSTANT on ${on(t)} (metadata lock only, instant)`,
    metadata: (...t: string[]) => `${f.nocopy ? 'ALGORITHM=NOCOPY' : 'ALGORITHM=INPLACE'}, LOCK=NONE on ${on(t)} (reads and writes continue; metadata only, no scan)`,
    scan: (...t: string[]) => `ALGORITHM=INPLACE, LOCK=NONE on ${on(t)} (reads and writes continue; scans the table)`,
    rebuild: (...t: string[]) => `ALGORITHM=INPLACE, LOCK=NONE on ${on(t)} (reads and writes continue; rebuilds the table)`,
    mdl: (...t: string[]) => `exclusive metadata lock on ${on(t)} (instant)`,
  };
  const metadataOnly = f.instantMetadata ? INSTANT : INPLACE;
  const metadataLock = (...t: string[]) => (f.instantMetadata ? locks.instant(...t) : locks.metadata(...t));
  const alter = (table: string, what: string, algorithm: string) => `ALTER TABLE ${q(table)} ${what}, ${algorithm}`;
  const step = (sql: string, description: string, lock: string, tables: string[], probe: string | undefined, extra: Partial<Step> = {}): Step => ({
    sql,
    description,
    lock,
    transactional: false,
    tables: [...new Set(tables)],
    probe,
    ...extra,
  });
  const object = (kind: SchemaObject['kind'], table: string, name = table): SchemaObject => ({ kind, table, name });

  /** The attributes beyond type, nullability and default a column of `type` can carry: ON UPDATE only on a temporal type. */
  const attributes = (type: string, extra: string | undefined) =>
    (/^(timestamp|datetime)\b/i.test(type) ? onUpdateAtPrecision(type, extra) : extra?.replace(/on update [^\s]+(\(\d*\))?\s*/i, '').trim()) || undefined;

  /** MODIFY restates the whole column: type, nullability, default and the attributes the catalog reported (ON UPDATE, COMMENT). */
  /** `dropOwnCheck`: without the column's own CHECK — the one way MariaDB drops a column-level check (DROP CONSTRAINT cannot). */
  const modify = (table: string, c: ColumnModel, nullable: boolean, dropOwnCheck = false) => {
    const read = attributes(c.type, c.extra ?? model.column(table, c.name)?.extra);
    // A comment the plan gives (a column it adds, one alterColumn comments: '' for none) is not in the catalog's attributes yet.
    const extra = withComment(read, c.comment);
    // An INVISIBLE column (xc's hidden shadow, or one the catalog shows so) stays so; NOT NULL, it must have a default
    // (MariaDB 4108): one writers omitting it get until the trigger that sets it runs (hiddenColumnDefault).
    const invisible = model.planned.hidden(table, c.name) || /\bINVISIBLE\b/i.test(extra ?? '');
    const placeholder = invisible && !nullable && c.default === null ? hiddenColumnDefault(c.type) : undefined;
    const def = c.default !== null ? ` DEFAULT ${defaultClause(c.default)}` : placeholder !== undefined ? ` DEFAULT ${placeholder}` : '';
    const attrs = [extra, invisible && !/\bINVISIBLE\b/i.test(extra ?? '') ? 'INVISIBLE' : undefined].filter(Boolean).join(' ');
    return `MODIFY COLUMN ${q(c.name)} ${c.type} ${nullable ? 'NULL' : 'NOT NULL'}${def}${attrs ? ` ${attrs}` : ''}${dropOwnCheck ? '' : ownChecks(table, c.name)}`;
  };

  /**
   * MariaDB: the column's own (column-level) CHECK, which is part of its definition: a MODIFY or CHANGE COLUMN that
   * does not repeat it drops it without a word. Repeated last (the grammar's place for it); the server allows one.
   */
  const ownChecks = (table: string, column: string) =>
    (tableOf(table)?.checks ?? [])
      .filter((k) => k.column === column && !k.trigger)
      .map((k) => ` CHECK (${k.expression})`)
      .join('');

  /**
   * The base name of a pair xc makes now for check `name` of `table`: the hash of both, unless another table's pair
   * has that name — one renamed from this table's name since its check was made (trigger names are the schema's, and
   * kept by RENAME TABLE). Then the next free one: with the other's name, this pair's creation was skipped as done
   * (the check never enforced), and removing it removed the other table's (campaign AR).
   */
  const freshCheckBase = (table: string, name: string): string => {
    const taken = new Set([...model.tables.values()].filter((t) => t.name !== table).flatMap((t) => t.checks.flatMap((k) => (k.triggerBase === undefined ? [] : [k.triggerBase]))));
    let n = 0;
    while (taken.has(checkTriggerBase(table, name, n))) n++;
    return checkTriggerBase(table, name, n);
  };

  /** freshCheckBase, recorded for the steps after this one that remove or order by the pair it names. */
  const makeCheckBase = (table: string, name: string): string => {
    const base = freshCheckBase(table, name);
    model.planned.addCheckTrigger(table, name, base);
    return base;
  };

  /** The base name of the trigger pair enforcing check `name` of `table`: the one it has (catalog), else the one this plan made, else the one xc would make now. */
  const checkBase = (table: string, name: string) => tableOf(table)?.checks.find((k) => k.name === name)?.triggerBase ?? model.planned.checkTrigger(table, name) ?? freshCheckBase(table, name);

  /**
   * Removes the pair enforcing check `name` of `table` under every name it may have when the step runs: the catalog's
   * (checkBase) and, where an earlier step of this migration makes the pair again (a renameColumn's carry, a cut-over's
   * re-add, a renameConstraint), the one this plan made. The two differ once a renameTable came between: the pair was
   * left there, reading the old column (every write failed), or the re-add found its name taken (campaign AN).
   */
  const dropCheckPair = (table: string, name: string): Step[] => {
    const made = model.planned.checkTrigger(table, name);
    const bases = new Set([checkBase(table, name), ...(made !== undefined ? [made] : [])]);
    return [...bases].flatMap((base) => dropPair(base, table));
  };

  return {
    f,
    model,
    dialect,
    checkBase,
    makeCheckBase,
    dropCheckPair,
    cols,
    tableOf,
    columnsOf,
    probes: { where, exists, missing, relation, column, index, constraint, noDefault },
    on,
    locks,
    metadataOnly,
    metadataLock,
    alter,
    step,
    object,
    attributes,
    modify,
  };
}
