/**
 * Reads the tables of the current database (DATABASE()) from
 * information_schema into a SchemaModel. xc's own `xc_*` state tables are
 * left out, as the `xc` schema is on PostgreSQL.
 *
 * What differs from PostgreSQL, and how it is mapped:
 * - `type` is COLUMN_TYPE plus CHARACTER SET/COLLATE when the column's
 *   collation is not the table's: everything a copy of the column (rename)
 *   or a MODIFY must restate to keep the column's meaning. MariaDB's JSON is
 *   LONGTEXT with a column-level json_valid() check: shown as `json`.
 * - Defaults: MariaDB 10.2.7+ prints them as SQL (strings quoted, `NULL`
 *   for none); MySQL prints literals raw and marks expressions
 *   DEFAULT_GENERATED. Both become an SQL expression, or null.
 * - A UNIQUE constraint is a unique index: its constraint name is the index name.
 * - Index `definition` is xc's own spelling, read back by copyIndex:
 *   CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX `n` ON `t` (`a`(10) DESC, …).
 * - Checks are CHECK constraints (MariaDB 10.2+, MySQL 8.0.16+) plus the
 *   trigger-enforced checks xc adds (see triggers.ts).
 */
import type { Session } from '../../db/driver.js';
import { SchemaModel, type TableModel } from '../../schema/model.js';
import { literal, mentioned, MYSQL_IDENTIFIERS, mysqlTokens, quoteMy, unquoteSimple } from './expr.js';
import { requalify } from '../sqltext.js';
import { HEARTBEAT_TABLE } from './replicas.js';
import { parseCheckTrigger } from './triggers.js';

export const STATE_TABLES = ['migrations', 'steps', 'backfill', 'events', 'deployments', 'instances'].map((n) => `xc_${n}`);
/** Every table of xc's in the target database: the state, and the replica-lag heartbeat (made on first use, not a state table). */
const XC_TABLES = [...STATE_TABLES, HEARTBEAT_TABLE];


export interface CatalogFlavor {
  mariadb: boolean;
  /** MySQL 8.0.13+: STATISTICS.EXPRESSION (functional key parts). */
  indexExpressions: boolean;
  /** information_schema.CHECK_CONSTRAINTS exists. */
  checks: boolean;
  /** STATISTICS.IGNORED (MariaDB 10.6+) or IS_VISIBLE (MySQL 8.0+). */
  hiddenIndexes?: boolean;
}

/**
 * What the model shows as a table or view. A system-versioned table (MariaDB) is one, marked so: operations on it are
 * refused by name (operations/common.ts) rather than as a table that does not exist.
 */
const TABLE_TYPES = `'BASE TABLE', 'VIEW', 'SYSTEM VERSIONED'`;

/** The engine of a table (a view has none) and whether it is system-versioned. */
function tableKind(r: Pick<ColumnRow, 'table_type' | 'engine' | 'table_collation' | 'row_format'>): Pick<TableModel, 'engine' | 'systemVersioned' | 'collation' | 'compressed'> {
  return {
    ...(r.engine !== null && r.table_type !== 'VIEW' ? { engine: r.engine } : {}),
    ...(r.row_format === 'Compressed' ? { compressed: true } : {}),
    ...(r.table_type === 'SYSTEM VERSIONED' ? { systemVersioned: true } : {}),
    ...(r.table_collation !== null && r.table_type !== 'VIEW' ? { collation: r.table_collation } : {}),
  };
}

/*
 * information_schema compares TABLE_NAME ignoring case, while tables differing only in case are two under
 * lower_case_table_names=0 (Linux's default): every join or filter on a table name here is BINARY, exact.
 */
const notState = (col: string) => `BINARY ${col} NOT IN (${XC_TABLES.map((t) => `'${t}'`).join(', ')})`;

interface ColumnRow { table_name: string; table_type: string; engine: string | null; row_format: string | null; name: string; column_type: string; nullable: string; column_default: string | null; extra: string; generation: string | null; collation: string | null; charset: string | null; table_collation: string | null; comment: string; data_type: string }
interface IndexRow { table_name: string; name: string; non_unique: number | string; column_name: string | null; sub_part: number | string | null; collation: string | null; index_type: string; expression?: string | null; index_comment: string | null; hidden?: string }
interface FkRow { table_name: string; name: string; column_name: string; ref_table: string; ref_schema: string | null; ref_column: string; delete_rule: string; update_rule: string; ref_type: string | null }
interface CheckRow { table_name: string; name: string; clause: string; level?: string }

export async function introspectMysql(s: Session, flavor: CatalogFlavor): Promise<SchemaModel> {
  const tables = new Map<string, TableModel>();
  const columns = (await s.query<ColumnRow>(
    `SELECT c.TABLE_NAME AS table_name, t.TABLE_TYPE AS table_type, t.ENGINE AS engine, t.ROW_FORMAT AS row_format, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS column_type,
            c.IS_NULLABLE AS nullable, c.COLUMN_DEFAULT AS column_default, c.EXTRA AS extra, c.GENERATION_EXPRESSION AS generation,
            c.COLLATION_NAME AS collation, c.CHARACTER_SET_NAME AS charset, t.TABLE_COLLATION AS table_collation,
            c.COLUMN_COMMENT AS comment, c.DATA_TYPE AS data_type
     FROM information_schema.COLUMNS c
     JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND BINARY t.TABLE_NAME = c.TABLE_NAME
     WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN (${TABLE_TYPES}) AND ${notState('c.TABLE_NAME')}
     ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
  )).rows;

  const checkRows = flavor.checks ? await readChecks(s, flavor) : [];
  // MariaDB's JSON: a column-level json_valid(`c`) check, named after the column — or after the name it was added
  // under, when a column was renamed since (an in-place alterColumn's shadow): the column is the one the check names.
  const jsonColumnOf = (c: (typeof checkRows)[number]) => (c.level === 'Column' ? /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(c.clause)?.[1]?.replace(/``/g, '`') : undefined);
  const jsonColumns = new Set(checkRows.flatMap((c) => (jsonColumnOf(c) === undefined ? [] : [`${c.table_name}.${jsonColumnOf(c)}`])));

  for (const r of columns) {
    let t = tables.get(r.table_name);
    if (!t) {
      t = { name: r.table_name, kind: r.table_type === 'VIEW' ? 'view' : 'table', ...tableKind(r), columns: [], primaryKey: [], indexes: [], checks: [], foreignKeys: [] };
      tables.set(t.name, t);
    }
    const json = jsonColumns.has(`${r.table_name}.${r.name}`);
    const ownCollation = !json && r.collation && r.table_collation && r.collation !== r.table_collation;
    const collation = ownCollation ? `CHARACTER SET ${r.charset} COLLATE ${r.collation}` : undefined;
    const type = json ? 'json' : `${r.column_type}${collation ? ` ${collation}` : ''}`;
    // MySQL marks expression defaults DEFAULT_GENERATED: those columns are written by the application, not generated.
    const generated = /auto_increment|(virtual|stored) generated|^\s*(virtual|persistent)\s*$/i.test(r.extra) || !!r.generation;
    const extra = [
      /on update ([^\s]+(\(\d*\))?)/i.exec(r.extra)?.[0],
      r.comment ? `COMMENT '${r.comment.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : undefined,
      /\binvisible\b/i.test(r.extra) ? 'INVISIBLE' : undefined,
    ].filter(Boolean);
    const autoUpdated = /on update/i.test(r.extra);
    const storage = /stored generated|^\s*persistent\s*$/i.test(r.extra) ? 'stored' : /virtual generated|^\s*virtual\s*$/i.test(r.extra) ? 'virtual' : undefined;
    t.columns.push({ name: r.name, type, nullable: r.nullable === 'YES', default: defaultExpression(r, flavor.mariadb), generated, ...(generated ? { filledAfterTriggers: true } : {}), ...(extra.length > 0 ? { extra: extra.join(' ') } : {}), ...(autoUpdated ? { autoUpdated } : {}), ...(storage ? { storage } : {}), ...(collation ? { collation } : {}) });
  }

  const indexRows = (await s.query<IndexRow>(
    `SELECT TABLE_NAME AS table_name, INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS column_name,
            SUB_PART AS sub_part, COLLATION AS collation, INDEX_TYPE AS index_type, INDEX_COMMENT AS index_comment${flavor.indexExpressions ? ', EXPRESSION AS expression' : ''}${flavor.hiddenIndexes ? `, ${flavor.mariadb ? 'IGNORED' : 'IS_VISIBLE'} AS hidden` : ''}
     FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = DATABASE() AND ${notState('TABLE_NAME')}
     ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  )).rows;
  const grouped = new Map<string, IndexRow[]>();
  for (const r of indexRows) grouped.set(`${r.table_name}\0${r.name}`, [...(grouped.get(`${r.table_name}\0${r.name}`) ?? []), r]);
  for (const rows of grouped.values()) {
    const first = rows[0]!;
    const t = tables.get(first.table_name);
    if (!t) continue;
    const unique = Number(first.non_unique) === 0;
    const primary = first.name === 'PRIMARY';
    const kind = first.index_type === 'FULLTEXT' ? 'FULLTEXT ' : first.index_type === 'SPATIAL' ? 'SPATIAL ' : unique ? 'UNIQUE ' : '';
    const parts = rows.map((r) =>
      r.column_name !== null
        ? `${quoteMy(r.column_name)}${r.sub_part !== null ? `(${r.sub_part})` : ''}${r.collation === 'D' ? ' DESC' : ''}`
        : `(${r.expression ?? ''})${r.collation === 'D' ? ' DESC' : ''}`,
    );
    const cols = rows.flatMap((r) => (r.column_name !== null ? [r.column_name] : []));
    // Options a copy carries (keys.ts copyIndex): the comment; MariaDB IGNORED (YES), MySQL INVISIBLE (IS_VISIBLE NO).
    const hidden = first.hidden === (flavor.mariadb ? 'YES' : 'NO') ? (flavor.mariadb ? ' IGNORED' : ' INVISIBLE') : '';
    const options = `${first.index_comment ? ` COMMENT ${literal(first.index_comment)}` : ''}${hidden}`;
    const definition = `CREATE ${kind}INDEX ${quoteMy(first.name)} ON ${quoteMy(first.table_name)} (${parts.join(', ')})${options}`;
    t.indexes.push({ name: first.name, columns: cols, unique, primary, constraint: unique ? first.name : null, definition });
    // InnoDB has no hash indexes: a unique key of type HASH is MariaDB's long unique key (TableModel.hashKeys).
    if (unique && first.index_type === 'HASH') t.hashKeys = [...(t.hashKeys ?? []), first.name];
    if (primary) t.primaryKey = cols;
  }

  const fkRows = (await s.query<FkRow>(
    `SELECT k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS column_name,
            k.REFERENCED_TABLE_NAME AS ref_table, CASE WHEN k.REFERENCED_TABLE_SCHEMA <> k.TABLE_SCHEMA THEN k.REFERENCED_TABLE_SCHEMA END AS ref_schema, k.REFERENCED_COLUMN_NAME AS ref_column, r.DELETE_RULE AS delete_rule, r.UPDATE_RULE AS update_rule, p.COLUMN_TYPE AS ref_type
     FROM information_schema.KEY_COLUMN_USAGE k
     JOIN information_schema.REFERENTIAL_CONSTRAINTS r
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND BINARY r.TABLE_NAME = k.TABLE_NAME
     LEFT JOIN information_schema.COLUMNS p
       ON k.REFERENCED_TABLE_SCHEMA <> k.TABLE_SCHEMA AND p.TABLE_SCHEMA = k.REFERENCED_TABLE_SCHEMA AND BINARY p.TABLE_NAME = k.REFERENCED_TABLE_NAME AND p.COLUMN_NAME = k.REFERENCED_COLUMN_NAME
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
     ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  )).rows;
  for (const r of fkRows) {
    const t = tables.get(r.table_name);
    if (!t) continue;
    let fk = t.foreignKeys.find((f) => f.name === r.name);
    if (!fk) {
      // RESTRICT and NO ACTION are the same thing in InnoDB: both the default.
      const action = (rule: string) => (/^(restrict|no action)$/i.test(rule) ? null : rule.toLowerCase());
      const onUpdate = action(r.update_rule);
      fk = { name: r.name, columns: [], refTable: r.ref_table, ...(r.ref_schema ? { refSchema: r.ref_schema } : {}), refColumns: [], onDelete: action(r.delete_rule), ...(onUpdate ? { onUpdate } : {}) };
      t.foreignKeys.push(fk);
    }
    fk.columns.push(r.column_name);
    fk.refColumns.push(r.ref_column);
    if (r.ref_schema && r.ref_type) fk.refTypes = [...(fk.refTypes ?? []), r.ref_type];
  }

  const here = (await s.query<{ name: string | null; collation: string | null }>(`SELECT DATABASE() AS name, @@collation_database AS collation`)).rows[0];
  const database = here?.name;
  if (flavor.mariadb && database) for (const name of await leftFtsDocId(s, database)) if (tables.has(name)) tables.get(name)!.hiddenFtsDocId = true;

  const { periods, overlapKeys } = await readPeriods(s, checkRows);
  for (const [table, key] of overlapKeys) {
    const t = tables.get(table);
    if (t) t.withoutOverlaps = key;
  }
  for (const r of checkRows) {
    const t = tables.get(r.table_name);
    if (!t || jsonColumnOf(r) !== undefined) continue;
    const period = periods.get(r.table_name)?.get(r.name);
    if (period) {
      // The period's own check (start < end) is the period's, dropped only with it: not a check of the model's.
      for (const c of t.columns.filter((x) => period.includes(x.name))) c.tiedTo = `application-time period ${JSON.stringify(r.name)}`;
      continue;
    }
    const expression = unquoteSimple(r.clause);
    const columns = mentioned(expression, t.name, t.columns.map((c) => c.name));
    // MariaDB names a column-level check (LEVEL 'Column') after its column — or after the name it had when the check
    // was made, when the column was renamed since (then the one column it mentions): part of that column's definition.
    const owner = r.level !== 'Column' ? undefined : t.columns.some((c) => c.name === r.name) ? r.name : columns.length === 1 ? columns[0] : undefined;
    t.checks.push({ name: r.name, expression, columns, ...(owner !== undefined ? { column: owner } : {}) });
  }
  const triggers = (await s.query<{ table_name: string; name: string; body: string }>(
    `SELECT EVENT_OBJECT_TABLE AS table_name, TRIGGER_NAME AS name, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS
     WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_MANIPULATION = 'INSERT' AND TRIGGER_NAME LIKE 'xc\\_ck\\_%'
     ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER`,
  )).rows;
  for (const r of triggers) {
    const t = tables.get(r.table_name);
    const check = parseCheckTrigger(r.body);
    if (!t || !check || t.checks.some((c) => c.name === check.name)) continue;
    // Made before a renameTable, it names its row by the old name (`products.price`): read as naming it by the new one,
    // so a later renameColumn or dropColumn finds the column it reads (campaigns AJ, AK: every write failed after it).
    const written = unquoteSimple(check.expression);
    const expression = check.row !== undefined && check.row !== t.name ? requalify(mysqlTokens(written), check.row, t.name, MYSQL_IDENTIFIERS) : written;
    t.checks.push({ name: check.name, expression, columns: mentioned(expression, t.name, t.columns.map((c) => c.name)), trigger: true, triggerBase: r.name.replace(/_[iu]$/, '') });
  }
  const model = SchemaModel.fromCatalog([...tables.values()]);
  model.searched = database ? ` in database "${database}"` : '';
  model.namespace = database ?? undefined;
  if (here?.collation) model.defaultCollation = here.collation;
  // What else holds a table's name: what is neither table nor view (MariaDB sequences), and xc's own state tables,
  // left out above — theirs whether made yet or not (apply makes them before its first step).
  const others = (await s.query<{ name: string; type: string }>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE NOT IN (${TABLE_TYPES}) AND ${notState('TABLE_NAME')}`,
  )).rows;
  for (const r of others) model.otherNames.set(r.name, { kind: r.type.toLowerCase(), relation: true });
  for (const name of XC_TABLES) model.otherNames.set(name, { kind: name === HEARTBEAT_TABLE ? "xc's replica-lag heartbeat table" : "xc's own state table", relation: true });
  return model;
}

/**
 * Tables of this database whose InnoDB dictionary still holds the hidden FTS_DOC_ID column with no FULLTEXT index
 * left (dropped since): MariaDB then adds or drops no column instantly ("ALGORITHM=INSTANT is not supported", campaign
 * EJ: apply failed at its first step, which plan had shown). Read where xc's user may (PROCESS), else none known.
 */
async function leftFtsDocId(s: Session, database: string): Promise<string[]> {
  const r = await s
    .query<{ name: string; ft_indexes: number | string }>(
      `SELECT t.NAME AS name,
              (SELECT COUNT(*) FROM information_schema.INNODB_SYS_INDEXES i WHERE i.TABLE_ID = t.TABLE_ID AND i.TYPE & 32 = 32) AS ft_indexes
         FROM information_schema.INNODB_SYS_TABLES t JOIN information_schema.INNODB_SYS_COLUMNS c ON c.TABLE_ID = t.TABLE_ID
        WHERE c.NAME = 'FTS_DOC_ID'`,
    )
    // Without PROCESS (ER_SPECIFIC_ACCESS_DENIED_ERROR): not known, as the README says.
    .catch((err: { errno?: number }) => {
      if (err?.errno === 1227) return { rows: [] };
      throw err;
    });
  // InnoDB names a table `database/table`, each part in the server's file-name encoding (`@002d` for `-`).
  const decode = (part: string) => part.replace(/@([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return r.rows.filter((row) => Number(row.ft_indexes) === 0).flatMap((row) => {
    const [db, table] = row.name.split('/').map(decode);
    return db === database && table !== undefined ? [table] : [];
  });
}

/** A backquoted name in SHOW CREATE TABLE (captured), and that name unquoted. */
const IDENT = '`((?:[^`]|``)+)`';
const un = (quoted: string) => quoted.replace(/``/g, '`');

/**
 * MariaDB's application-time periods (PERIOD FOR p (s, e)), by table and name: their columns. The catalog of 10.11
 * shows a period only as a check of its name, `s` < `e`; SHOW CREATE TABLE tells it from a user's check of that shape.
 * With them, a key of a table over a period's range (`p WITHOUT OVERLAPS`), by table.
 */
async function readPeriods(s: Session, checks: CheckRow[]): Promise<{ periods: Map<string, Map<string, string[]>>; overlapKeys: Map<string, string> }> {
  const periods = new Map<string, Map<string, string[]>>();
  const overlapKeys = new Map<string, string>();
  const candidates = new Set(checks.filter((c) => /^`(?:[^`]|``)+` < `(?:[^`]|``)+`$/.test(c.clause)).map((c) => c.table_name));
  for (const table of candidates) {
    const [row] = (await s.query<Record<string, string>>(`SHOW CREATE TABLE ${quoteMy(table)}`)).rows;
    const ddl = Object.entries(row ?? {}).find(([k]) => /^create table$/i.test(k))?.[1] ?? '';
    for (const m of ddl.matchAll(new RegExp(`^\\s*PERIOD FOR ${IDENT} \\(${IDENT}, ${IDENT}\\)`, 'gm'))) {
      const byName = periods.get(table) ?? new Map<string, string[]>();
      byName.set(un(m[1]!), [un(m[2]!), un(m[3]!)]);
      periods.set(table, byName);
    }
    const overlaps = new RegExp(`^\\s*(PRIMARY KEY|UNIQUE KEY ${IDENT}) \\(.*WITHOUT OVERLAPS\\)`, 'm').exec(ddl);
    if (overlaps) overlapKeys.set(table, overlaps[2] === undefined ? 'PRIMARY' : un(overlaps[2]));
  }
  return { periods, overlapKeys };
}

async function readChecks(s: Session, flavor: CatalogFlavor): Promise<CheckRow[]> {
  if (flavor.mariadb) {
    return (await s.query<CheckRow>(
      `SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause, LEVEL AS level
       FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
    )).rows;
  }
  // MySQL names checks per schema and prints the clause in extra parentheses, quotes backslash-escaped.
  const rows = (await s.query<CheckRow>(
    `SELECT tc.TABLE_NAME AS table_name, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS clause
     FROM information_schema.TABLE_CONSTRAINTS tc
     JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
     WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA = DATABASE() ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME`,
  )).rows;
  return rows.map((r) => ({ ...r, clause: r.clause.replace(/\\'/g, "''").replace(/^\((.*)\)$/s, '$1') }));
}

/** The default as an SQL expression (null: none). */
export function defaultExpression(r: Pick<ColumnRow, 'column_default' | 'extra' | 'data_type'>, mariadb: boolean): string | null {
  const d = r.column_default;
  if (d === null) return null;
  if (mariadb) return d === 'NULL' ? null : d;
  if (/DEFAULT_GENERATED/i.test(r.extra)) return /^(current_timestamp|now)/i.test(d) ? d : `(${d})`;
  if (/^(tinyint|smallint|mediumint|int|bigint|decimal|float|double|bit)$/i.test(r.data_type)) return d;
  return `'${d.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
