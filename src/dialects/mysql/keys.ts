/**
 * MySQL / MariaDB indexes and foreign keys. InnoDB needs an index starting
 * with a foreign key's columns, makes one under the key's name where none
 * serves it, and refuses to drop the last one: statements here read the
 * model's indexes and keys, and those the current plan adds
 * (`model.planned`), to keep every key served.
 */
import type { ForeignKeySpec, IndexSpec } from '../dialect.js';
import type { IndexModel, TableModel } from '../../schema/model.js';
import type { Step } from '../../plan/index.js';
import { InvalidInputError } from '../../errors.js';
import { referenceClauses, referencedTable } from '../references.js';
import { literal, parseIndexDefinition, partColumn, quoteMy as q, replaceInParts } from './expr.js';
import { INPLACE, NOCOPY_ONLINE, type MysqlCompiler } from './compiler.js';

/** InnoDB's longest key (DYNAMIC or COMPRESSED rows, 16 KiB pages: the defaults), in bytes. */
const MAX_KEY_BYTES = 3072;
/** Bytes a character may take, by character set (the rest: one). */
const CHARSET_BYTES: [RegExp, number][] = [[/^(utf8mb4|utf16|utf16le|utf32|gb18030)$/, 4], [/^(utf8|utf8mb3|ujis|eucjpms)$/, 3], [/^(ucs2|big5|gbk|sjis|cp932|euckr|gb2312)$/, 2]];

/** The most bytes a character of `charset` takes. */
export const bytesPerCharacter = (charset: string): number => CHARSET_BYTES.find(([re]) => re.test(charset.toLowerCase()))?.[1] ?? 1;

/** What a key over `index`'s parts may take: its longest length in bytes, or the TEXT/BLOB column it would cover whole. */
function keySize(table: TableModel, index: IndexModel, typeOf: (column: string) => string | undefined): { bytes: number; parts: number; whole?: { column: string; type: string } } {
  const parts = parseIndexDefinition(index.definition)?.parts ?? index.columns.map(q);
  let bytes = 0;
  for (const part of parts) {
    const column = partColumn(part);
    const type = column === undefined ? undefined : typeOf(column)?.trim().toLowerCase();
    // An expression part (a functional index): MariaDB has none, MySQL sizes it itself.
    if (column === undefined || type === undefined) continue;
    const prefix = /^`(?:[^`]|``)*`\s*\((\d+)\)/.exec(part.trim())?.[1];
    const charset = /character set (\w+)/.exec(type)?.[1] ?? /collate (\w+?)_/.exec(type)?.[1] ?? table.collation?.split('_')[0] ?? 'utf8mb4';
    const perChar = bytesPerCharacter(charset);
    const unbounded = /^(tiny|medium|long)?(text|blob)\b|^json\b/.test(type);
    if (unbounded && prefix === undefined && !index.unique) continue; // the server keys a prefix of it
    if (unbounded && prefix === undefined) return { bytes: Infinity, parts: parts.length, whole: { column, type } };
    // A character or binary column by its length (its prefix's), anything else (a number, a date) by at most 8 bytes.
    const length = Number(prefix ?? /^\w+\s*\((\d+)\)/.exec(type)?.[1] ?? 8);
    bytes += /char|text/.test(type) ? length * perChar : /binary|blob/.test(type) ? length : 8;
  }
  return { bytes, parts: parts.length };
}

/** Whether InnoDB keeps `index` whole, as declared, with its columns of `typeOf`'s types: no prefix the server picks, no hidden hash. */
export function keyFitsWhole(table: TableModel, index: IndexModel, typeOf: (column: string) => string | undefined): boolean {
  return keySize(table, index, typeOf).bytes <= MAX_KEY_BYTES;
}

/**
 * Why the server would not build `index` as xc builds it online, or null: MariaDB would make a unique key longer
 * than InnoDB's longest, or over a whole TEXT/BLOB, a long unique key (a hidden hash column, which ALGORITHM=INPLACE
 * cannot add, failing the step at apply; MySQL refuses the key instead), and refuses such a key of several parts
 * ("Specified key was too long"; campaign AD). A key of one character column that is not unique MariaDB keys by its
 * longest prefix instead, with a note (`prefixesLongKey`; campaign AF-7). Character columns count their widest
 * characters, of their own character set or else the table's (utf8mb4 where neither is known, as for a table this
 * plan creates).
 */
export function longKeyIssue(table: TableModel, index: IndexModel, typeOf: (column: string) => string | undefined, prefixesLongKey: boolean): string | null {
  const { bytes, parts, whole } = keySize(table, index, typeOf);
  if (whole) {
    return `"${whole.column}" is ${whole.type.split(' ')[0]}, which a unique key covers whole only as a hidden hash column ("long unique") that MariaDB cannot add online (ALGORITHM=INPLACE; MySQL refuses such a key)`;
  }
  if (bytes <= MAX_KEY_BYTES || (prefixesLongKey && !index.unique && parts === 1)) return null;
  const columns = index.columns.map((c) => `"${c}"`).join(', ');
  if (!index.unique) return `its key over ${columns} may be ${bytes} bytes long, more than InnoDB's ${MAX_KEY_BYTES}, which the server refuses ("Specified key was too long") — index shorter columns, or a prefix of them (a \`sql\` operation: \`CREATE INDEX … (c(255))\`)`;
  return `its key over ${columns} may be ${bytes} bytes long, more than InnoDB's ${MAX_KEY_BYTES}: MariaDB would keep it as a hidden hash column ("long unique"), which it cannot add online (ALGORITHM=INPLACE; MySQL refuses such a key)`;
}

const startsWith = (indexColumns: string[], columns: string[]) => columns.every((c, k) => indexColumns[k] === c);

export function dropForeignKey(c: MysqlCompiler, table: string, name: string): Step {
  const probe = c.probes.missing(`SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(name)}`);
  return c.step(c.alter(table, `DROP FOREIGN KEY ${q(name)}`, c.metadataOnly), `drop foreign key ${q(name)} on ${q(table)}`, c.metadataLock(table), [table], probe, { removes: c.object('constraint', table, name) });
}

export function dropIndexStep(c: MysqlCompiler, table: string, name: string): Step {
  const sql = c.alter(table, `DROP INDEX ${q(name)}`, c.f.nocopy ? NOCOPY_ONLINE : INPLACE);
  return c.step(sql, `drop index ${q(name)} on ${q(table)}`, c.locks.metadata(table), [table], c.probes.missing(c.probes.index(table, name)), { removes: c.object('index', table, name) });
}

/** Foreign keys of `table`, the model's and the current plan's. */
function foreignKeysOf(c: MysqlCompiler, table: string): { name: string; columns: string[] }[] {
  const own = c.tableOf(table)?.foreignKeys ?? [];
  return [...own, ...c.model.planned.foreignKeysOf(table).filter((k) => !own.some((o) => o.name === k.name))];
}

/** Done when an index other than `dropping` starts with `columns`. */
function coveredBesides(c: MysqlCompiler, table: string, dropping: string, columns: string[]): string {
  const { exists, where } = c.probes;
  return exists(
    `SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE ${where(table)} AND INDEX_NAME <> ${literal(dropping)} GROUP BY INDEX_NAME HAVING SUM(${columns
      .map((col, k) => `(SEQ_IN_INDEX = ${k + 1} AND COLUMN_NAME = ${literal(col)})`)
      .join(' + ')}) = ${columns.length}`,
  );
}

/**
 * Drop an index without taking a foreign key's index away: InnoDB needs an index starting with a key's columns
 * ("Cannot drop index: needed in a foreign key constraint"). Whether another one serves is decided by the catalog
 * at run time, because MySQL drops the index it made for a key by itself once another index starts with the key's
 * columns (so an addIndex's rollback may find none left): where none does, an index of the key's name comes back
 * first, as MySQL would have made it.
 */
export function dropIndexKeepingKeys(c: MysqlCompiler, table: string, name: string, columns: string[], droppedKeys = new Set<string>()): Step[] {
  return [
    ...foreignKeysOf(c, table)
      .filter((k) => !droppedKeys.has(k.name) && startsWith(columns, k.columns))
      .map((k) =>
        c.step(c.alter(table, `ADD INDEX ${q(k.name)} (${c.cols(k.columns)})`, INPLACE), `give foreign key ${q(k.name)} an index of its own, unless another index than ${q(name)} serves it`, c.locks.scan(table), [table], coveredBesides(c, table, name, k.columns), {
          removes: c.object('index', table, name), // on the way to removing that one
        }),
      ),
    dropIndexStep(c, table, name),
  ];
}

/**
 * The server replaces the index it made for a foreign key by itself (named as the key) with the one it makes for a
 * key added later over the same columns: adding `items_fk4` over `beta` turns index `items_fk3` into `items_fk4`.
 * Dropping that later key (a rollback) leaves the index, which the first key needs, under the later key's name: it
 * gets its name back where it lost it. Decided by the catalog at run time, as the server decided at expand: the
 * candidates are the table's plain indexes over the same leading columns (the first key may be one this plan drops
 * at contract, gone from the model already), and one is renamed only if it is gone and the later key's is there.
 */
export function restoreReplacedIndexName(c: MysqlCompiler, table: string, fk: { name: string; columns: string[] }): Step[] {
  const t = c.tableOf(table);
  const { index } = c.probes;
  return (t?.indexes ?? [])
    .filter((i) => i.name !== fk.name && !i.unique && !c.model.planned.index(table, i.name) && (startsWith(i.columns, fk.columns) || startsWith(fk.columns, i.columns)))
    .map((i) => {
      const sql = c.alter(table, `RENAME INDEX ${q(fk.name)} TO ${q(i.name)}`, c.metadataOnly);
      // Done unless the later key's name is there and the first key's is not.
      const probe = `SELECT NOT (EXISTS(${index(table, fk.name)}) AND NOT EXISTS(${index(table, i.name)})) AS done`;
      return c.step(sql, `give index ${q(i.name)} its name back from ${q(fk.name)}, if adding that key took it (no scan)`, c.metadataLock(table), [table], probe);
    });
}

export function createIndex(c: MysqlCompiler, spec: IndexSpec): Step[] {
  if (spec.where) throw new InvalidInputError(`index ${spec.name} on ${spec.table}: MySQL and MariaDB have no partial indexes (where)`, {}, { code: 'invalid_migration' });
  // Validation refuses these first (Dialect.lacks); never silently built without them.
  if (spec.include?.length || spec.nullsNotDistinct) throw new InvalidInputError(`index ${spec.name} on ${spec.table}: MySQL and MariaDB have no INCLUDE columns nor NULLS NOT DISTINCT`, {}, { code: 'invalid_migration' });
  const unsupported = (spec.method !== undefined && spec.method !== 'btree') || spec.storageParameters !== undefined || spec.keys?.some((k) => k.expression !== undefined || k.opclass || k.nulls || k.collate);
  if (unsupported) throw new InvalidInputError(`index ${spec.name} on ${spec.table}: MySQL and MariaDB have no such index options (method, storage parameters, expressions, operator classes, NULLS order, collations)`, {}, { code: 'invalid_migration' });
  // DESC is honoured by MariaDB 10.8+ and MySQL 8 (InnoDB B-trees are the only method: none is stated).
  const parts = (spec.keys ?? spec.columns.map((column) => ({ column, sort: undefined }))).map((k) => `${q(k.column!)}${k.sort === 'desc' ? ' DESC' : ''}`);
  const sql = c.alter(spec.table, `ADD ${spec.unique ? 'UNIQUE ' : ''}INDEX ${q(spec.name)} (${parts.join(', ')})`, INPLACE);
  return [c.step(sql, `build ${spec.unique ? 'unique ' : ''}index ${q(spec.name)} on ${q(spec.table)}`, c.locks.scan(spec.table), [spec.table], c.probes.exists(c.probes.index(spec.table, spec.name)), { creates: [c.object('index', spec.table, spec.name)] })];
}

/**
 * The kind (UNIQUE, FULLTEXT, SPATIAL or none) and key parts of a copy of `idx` with `fromColumn` replaced. A prefix
 * no shorter than `toType`'s whole length (varchar(40) with KEY (b(15)) narrowed to varchar(10)) indexes the whole
 * value: the server refuses it there ("Incorrect prefix key"), after the shadow was filled (campaign J) — the copy
 * indexes the column whole, as ALTER TABLE … MODIFY does.
 */
export function copiedIndex(idx: IndexModel, fromColumn: string, toColumn: string, toType?: string): { kind: string; parts: string[]; columns: string[]; options: string } {
  // A projected index (no definition yet) keeps the order addIndex gave its keys.
  const projected = idx.keys?.every((k) => k.column !== undefined) ? idx.keys.map((k) => `${q(k.column!)}${k.sort === 'desc' ? ' DESC' : ''}`) : idx.columns.map(q);
  const parsed = parseIndexDefinition(idx.definition) ?? { kind: idx.unique ? 'UNIQUE' : '', parts: projected, options: '' };
  const length = /^\s*(?:var)?(?:char|binary)\s*\(\s*(\d+)\s*\)/i.exec(toType ?? '')?.[1];
  const whole = (p: string) => {
    const m = /^(`(?:[^`]|``)*`)\s*\(\s*(\d+)\s*\)(.*)$/s.exec(p.trim());
    return m && length !== undefined && partColumn(m[1]!) === toColumn && Number(m[2]) >= Number(length) ? `${m[1]}${m[3]}` : p;
  };
  const parts = replaceInParts(parsed.parts, fromColumn, toColumn).map(whole);
  return { kind: parsed.kind, parts, columns: parts.flatMap((p) => partColumn(p) ?? []), options: parsed.options };
}

export function copyIndex(c: MysqlCompiler, idx: IndexModel, table: string, newName: string, fromColumn: string, toColumn: string, toType?: string): Step[] {
  const { kind, parts, options } = copiedIndex(idx, fromColumn, toColumn, toType);
  // Full-text and spatial indexes cannot be built with LOCK=NONE: say so rather than have the server pick a lock.
  const shared = kind === 'FULLTEXT' || kind === 'SPATIAL';
  // Its comment, and MariaDB's IGNORED (MySQL's INVISIBLE), come with the copy.
  const sql = c.alter(table, `ADD ${kind ? `${kind} ` : ''}INDEX ${q(newName)} (${parts.join(', ')})${options ? ` ${options}` : ''}`, shared ? 'ALGORITHM=INPLACE, LOCK=SHARED' : INPLACE);
  const lock = shared ? `ALGORITHM=INPLACE, LOCK=SHARED on ${q(table)} (blocks writes while the ${kind.toLowerCase()} index builds)` : c.locks.scan(table);
  return [c.step(sql, `build index ${q(newName)} on ${q(table)}, a copy of ${q(idx.name)} over ${q(toColumn)}`, lock, [table], c.probes.exists(c.probes.index(table, newName)), { creates: [c.object('index', table, newName)] })];
}

export function dropIndex(c: MysqlCompiler, table: string, name: string): Step[] {
  const columns = (c.tableOf(table)?.indexes.find((i) => i.name === name) ?? c.model.planned.index(table, name))?.columns ?? [];
  return dropIndexKeepingKeys(c, table, name, columns);
}

export function renameIndex(c: MysqlCompiler, table: string, from: string, to: string): Step[] {
  // `model.planned` keeps the copy under its temporary name: a drop of its column planned later finds it by that name.
  const sql = c.alter(table, `RENAME INDEX ${q(from)} TO ${q(to)}`, c.metadataOnly);
  // Done once the new name exists: the index that had it before was dropped with the column it covered.
  return [c.step(sql, `rename index ${q(from)} on ${q(table)} to ${q(to)} (no scan)`, c.metadataLock(table), [table], c.probes.exists(c.probes.index(table, to)))];
}

export function addUniqueUsingIndex(c: MysqlCompiler, table: string, constraintName: string, indexName: string): Step[] {
  // A UNIQUE constraint is its unique index here: only the name changes.
  if (constraintName === indexName) return [];
  const sql = c.alter(table, `RENAME INDEX ${q(indexName)} TO ${q(constraintName)}`, c.metadataOnly);
  return [c.step(sql, `name the unique index ${q(indexName)} ${q(constraintName)} (no scan)`, c.metadataLock(table), [table], c.probes.exists(c.probes.index(table, constraintName)))];
}

/**
 * The primary key over `columns`, added online (InnoDB rebuilds the table INPLACE, LOCK=NONE: reads and writes
 * continue; a NULL or a duplicate fails it, changing nothing), with the unique index that enforced it until now, if
 * any, dropped in the same statement. MySQL/MariaDB call every primary key PRIMARY: `constraint` is not kept.
 */
export function addPrimaryKeyUsingIndex(c: MysqlCompiler, table: string, index: string | null, columns: string[]): Step[] {
  const sql = c.alter(table, `ADD PRIMARY KEY (${c.cols(columns)})${index === null ? '' : `, DROP INDEX ${q(index)}`}`, INPLACE);
  const description = `make ${c.cols(columns)} the primary key of ${q(table)}${index === null ? ' (fails, changing nothing, on a duplicate)' : `, replacing the unique index ${q(index)}`}`;
  return [c.step(sql, description, c.locks.rebuild(table), [table], c.probes.exists(c.probes.index(table, 'PRIMARY')))];
}

/**
 * No index that the model or the current plan knows starts with the key's columns: the key gets one of its own
 * name. Where the index that serves it is one an in-flight migration drops at contract (gone from the model, not yet
 * from the catalog), MySQL would make none and that drop would fail, so the key's own index is always named.
 */
export function needsOwnIndex(c: MysqlCompiler, spec: ForeignKeySpec): boolean {
  const known = [...(c.tableOf(spec.table)?.indexes ?? []), ...c.model.planned.indexesOf(spec.table)];
  return !known.some((i) => startsWith(i.columns, spec.columns));
}

export function addForeignKey(c: MysqlCompiler, spec: ForeignKeySpec): Step[] {
  // Without an index that starts with its columns, MySQL makes one under the key's name, which dropping the key
  // leaves behind: this plan's drop of the key (its rollback) drops that index too. It is added in the same statement.
  const ownIndex = needsOwnIndex(c, spec);
  const add = c.alter(spec.table, `${ownIndex ? `ADD INDEX ${q(spec.name)} (${c.cols(spec.columns)}), ` : ''}ADD CONSTRAINT ${q(spec.name)} FOREIGN KEY (${c.cols(spec.columns)}) REFERENCES ${referencedTable(q, spec)} (${c.cols(spec.refColumns)})${referenceClauses(spec, 'mysql')}`, INPLACE);
  // With foreign_key_checks=0 the key is added INPLACE without reading the rows (MySQL's NOT VALID); it is enforced for new writes at once.
  // MariaDB scopes the setting to the statement; MySQL has no SET STATEMENT, so it is set on the step's session (reset with the session).
  const probe = c.probes.exists(`SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ${literal(spec.table)} AND CONSTRAINT_NAME = ${literal(spec.name)}`);
  const lock = `ALGORITHM=INPLACE, LOCK=NONE on ${c.on([spec.table, spec.refTable])} with foreign_key_checks=0 (reads and writes continue; existing rows are checked at contract)`;
  const description = `add foreign key ${q(spec.name)} on ${q(spec.table)} for new writes (existing rows checked later)`;
  // The probe looks for the key: the first object it creates.
  const creates = [c.object('constraint', spec.table, spec.name), ...(ownIndex ? [c.object('index', spec.table, spec.name)] : [])];
  return c.f.mariadb
    ? [c.step(`SET STATEMENT foreign_key_checks=0 FOR ${add}`, description, lock, [spec.table, spec.refTable], probe, { creates })]
    : [c.step(add, description, lock, [spec.table, spec.refTable], probe, { creates, prepare: 'SET SESSION foreign_key_checks = 0' })];
}
