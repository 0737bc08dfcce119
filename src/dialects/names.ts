/**
 * Every rule xc follows when it names something, in one place, parameterised
 * by the server's facts (each dialect's `names`): how long a name may be,
 * counted how, and which objects share a namespace. Names xc derives:
 * `<table>_<columns>_<suffix>` (indexes, foreign keys), the names PostgreSQL
 * gives unnamed constraints (xc gives them on every server), and xc's own
 * `xc_<purpose>_<hash>`.
 */
import { createHash } from 'node:crypto';
import type { SchemaModel } from '../schema/model.js';

export interface NameRules {
  /** The longest name the server keeps, counted in `unit`. */
  maxLength: number;
  /** PostgreSQL counts the bytes of a name's UTF-8, MySQL/MariaDB its characters. */
  unit: 'bytes' | 'characters';
  /**
   * Where an index name must be unique: in the whole schema, shared with
   * tables and views (PostgreSQL: all are relations), or on its table only
   * (MySQL/MariaDB).
   */
  indexNamespace: 'schema' | 'table';
  /**
   * Whether names of columns, indexes and constraints that differ only in
   * case are one name (MySQL/MariaDB: `EMAIL` is the column `email`) or two
   * (PostgreSQL: a name reaches xc folded or quoted, and is compared exactly).
   * Table names are exact on both: MySQL's follow lower_case_table_names, 0
   * (exact) on Linux.
   */
  caseInsensitive: boolean;
  /**
   * Where foreign-key names must be unique: in the table (PostgreSQL) or in
   * the schema (InnoDB keeps them database-wide: "Failed to add the foreign
   * key constraint … to system tables").
   */
  foreignKeyNamespace: 'schema' | 'table';
}

/**
 * What a migration file's own names keep to: the strictest rule of every
 * server xc supports (PostgreSQL's 63 bytes is never more than MySQL's 64
 * characters), so one file works on each. test/unit/names.test.ts holds every
 * dialect to it.
 */
export const PORTABLE_NAMES: NameRules = { maxLength: 63, unit: 'bytes', indexNamespace: 'schema', caseInsensitive: true, foreignKeyNamespace: 'schema' };

/**
 * `name` as the server compares it with others: lower case where case is
 * ignored, as MariaDB's utf8 general collation folds it (there `İ` is `i`,
 * JavaScript makes it `i̇`).
 */
export function nameKey(name: string, rules: Pick<NameRules, 'caseInsensitive'>): string {
  return rules.caseInsensitive ? name.replace(/\u0130/g, 'i').toLowerCase() : name;
}

export const sameName = (a: string, b: string, rules: Pick<NameRules, 'caseInsensitive'>) => nameKey(a, rules) === nameKey(b, rules);

/** Said after a name found taken by `existing` (a `what`'s): why, where `wanted` differs from it in case only. */
export const caseNote = (existing: string, wanted: string, what: string) => (existing === wanted ? '' : ` (the same name as "${wanted}": this server ignores case in ${what} names)`);

export function nameLength(name: string, rules: Pick<NameRules, 'unit'>): number {
  return rules.unit === 'bytes' ? Buffer.byteLength(name) : [...name].length;
}

const hash8 = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 8);

/**
 * `head` + `tail` when it fits the rules; else `head` cut, a whole character
 * at a time, then `_<8 hex digits of hashOf's hash>` and `tail`: distinct
 * names stay distinct as long as their `hashOf` differ.
 */
export function fitName(head: string, tail: string, rules: NameRules, hashOf = head): string {
  if (nameLength(head + tail, rules) <= rules.maxLength) return head + tail;
  const end = `_${hash8(hashOf)}${tail}`;
  const kept = [...head];
  while (kept.length > 0 && nameLength(kept.join('') + end, rules) > rules.maxLength) kept.pop();
  return kept.join('') + end;
}

/** `<table>_<columns joined by _>_<suffix>` (a default index or foreign-key name), hashed to fit when too long. */
export function derivedName(table: string, columns: string[], suffix: string, rules: NameRules): string {
  const head = `${table}_${columns.join('_')}`;
  return fitName(head, `_${suffix}`, rules, `${head}_${suffix}`);
}

/**
 * The name PostgreSQL gives an unnamed constraint (makeObjectName):
 * `<table>_<column>_<label>`, the longer of the two parts shortened first, a
 * character at a time, to fit. xc gives unnamed constraints these names on
 * every server, so both name alike while the names fit.
 */
export function constraintName(table: string, column: string | null, label: string, rules: NameRules): string {
  const a = [...table];
  const b = [...(column ?? '')];
  const length = (chars: string[]) => nameLength(chars.join(''), rules);
  const room = rules.maxLength - nameLength(label, rules) - 1 - (column === null ? 0 : 1);
  while (length(a) + length(b) > room) {
    if (length(a) > length(b)) a.pop();
    else b.pop();
  }
  return [a.join(''), ...(column === null ? [] : [b.join('')]), label].join('_');
}

/**
 * The name PostgreSQL gives an unnamed unique or primary key (ChooseRelationName):
 * the first of `<table>_<column>_<label>`, `…_<label>1`, `…_<label>2`, … —
 * each cut as makeObjectName cuts, the number counted in the label — that
 * `keyNameTaken` finds free, nor in `also` (names given beside it). xc names
 * such keys so on every server.
 */
export function freeKeyName(model: SchemaModel, rules: NameRules, table: string, column: string | null, label: string, also: string[] = []): string {
  const fold = (n: string) => nameKey(n, rules);
  const given = new Set(also.map(fold));
  for (let n = 0; ; n++) {
    const name = constraintName(table, column, n === 0 ? label : `${label}${n}`, rules);
    if (!given.has(fold(name)) && !keyNameTaken(model, rules, name, table)) return name;
  }
}

/**
 * Whether a new unique or primary key `name` on `table` would meet a name
 * already there: a relation or an index where its index would meet it, a
 * constraint of the table — of any table where indexes share the schema's
 * namespace (PostgreSQL's own choice avoids those too) — or one a migration
 * in flight removes only at its contract (schema/holds.ts).
 */
export function keyNameTaken(model: SchemaModel, rules: NameRules, name: string, table: string): boolean {
  const fold = (n: string) => nameKey(n, rules);
  const schemaWide = rules.indexNamespace === 'schema';
  const key = fold(name);
  for (const t of model.tables.values()) {
    if (!schemaWide && t.name !== table) continue;
    if (schemaWide && fold(t.name) === key) return true;
    if ([...t.indexes.flatMap((i) => [i.name, i.constraint ?? '']), ...t.checks.map((k) => k.name), ...t.foreignKeys.map((k) => k.name)].some((n) => fold(n) === key)) return true;
  }
  if (schemaWide && model.otherNames.get(name)?.relation) return true;
  return model.holds.holdsObject(name, schemaWide ? undefined : table, fold);
}

/** A short, stable name for an object xc creates (trigger, function, temporary index or check), unique per migration and operation. */
export function objectName(migrationId: string, opIndex: number, purpose: string): string {
  const hash = createHash('sha256').update(`${migrationId}:${opIndex}`).digest('hex').slice(0, 10);
  return `xc_${purpose}_${hash}`;
}

/** Whether `name` is one objectName gives for a purpose `purpose` matches (a regular expression's source: `idx\d+`). */
export function isObjectName(name: string, purpose: string): boolean {
  return new RegExp(`^xc_${purpose}_[0-9a-f]{10}$`).test(name);
}

/**
 * What already holds `name` where a new table, or a new index on `table`,
 * would take it, in words; undefined when the name is free there. Indexes
 * and tables meet only where they share a namespace.
 */
export function nameTaken(model: SchemaModel, rules: NameRules, kind: 'table' | 'index', name: string, table?: string): string | undefined {
  const shared = rules.indexNamespace === 'schema';
  for (const t of model.tables.values()) {
    if (t.name === name && (kind === 'table' || shared)) return `${t.kind} "${name}"`;
    const indexesMeet = kind === 'index' ? shared || t.name === table : shared;
    const index = indexesMeet ? t.indexes.find((i) => sameName(i.name, name, rules)) : undefined;
    if (index) return `index "${index.name}" on "${t.name}"${caseNote(index.name, name, 'index')}`;
  }
  // A sequence, a type, xc's state table...: blocks a table, and an index where indexes share the relations' namespace.
  const other = model.otherNames.get(name);
  if (other && (kind === 'table' || (shared && other.relation))) return `${other.kind} "${name}"`;
  return undefined;
}

/** A column name of xc's own beside `columns`, taken by none of them in any case (campaign AE: a column `_xc_key`). */
export function freeColumn(base: string, columns: { name: string }[]): string {
  let name = base;
  for (let i = 1; columns.some((c) => c.name.toLowerCase() === name.toLowerCase()); i++) name = `${base}${i}`;
  return name;
}

/** `text` as a regular expression matching it literally. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
