/**
 * MySQL 8 / MariaDB 10.11 statements for the DDL vocabulary operations speak.
 *
 * DDL commits implicitly here, so every step runs alone and carries a probe
 * on information_schema: intent → run → confirm → done, and a re-run after
 * `kill -9` skips what already took effect. Creations carry no `IF NOT
 * EXISTS` (the journal and the probe make them safe to re-run): a name another
 * session took after plan checked it must fail, not pass for xc's
 * (engine/ownership.ts). Every ALTER TABLE states
 * ALGORITHM and LOCK, so the server refuses (fails fast) rather than
 * silently copying a table under a lock.
 *
 * MySQL has no NOT VALID: foreign keys are added with foreign_key_checks=0
 * (INPLACE, no scan) and verified by a query at contract; checks are
 * enforced by triggers (triggers.ts). Statements depend on what the columns
 * carry (indexes, keys, checks over a dropped column; ON UPDATE and COMMENT
 * restated by MODIFY), so the DDL reads the model it is planned against
 * (which the planner advances past each operation), and remembers what the
 * current plan adds before it is in the catalog.
 */
import type { Ddl, ForeignKeySpec, IndexSpec, SyncTriggerSpec } from '../dialect.js';
import type { ColumnModel, IndexModel, SchemaModel } from '../../schema/model.js';
import type { Column } from '../../migration/schema.js';
import type { BackfillSpec, SchemaObject, Step } from '../../plan/index.js';
import { InvalidInputError } from '../../errors.js';
import { defaultConstraintName } from '../../schema/names.js';
import { defaultClause, fitName, isLiteralDefault, literal, mentioned, parseIndexDefinition, partColumn, quoteMy as q, replaceInParts, rewriteColumns, tokens } from './expr.js';
import { checkTriggerBase, dropPair, mysqlCheckTrigger, mysqlFillTrigger, mysqlSyncTrigger } from './triggers.js';

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
}

/** COLUMN_DEFAULT as the server shows a literal default: MariaDB as SQL ('x', 5), MySQL raw (x, 5); undefined for expressions. */
export function printedDefault(expr: string, mariadb: boolean): string | undefined {
  const e = expr.trim();
  if (/^-?\d+$/.test(e)) return e;
  const m = /^'((?:[^'\\]|'')*)'$/.exec(e);
  if (!m) return undefined;
  return mariadb ? e : m[1]!.replace(/''/g, "'");
}

/**
 * A value of a fixed-width type, to store a new column in every row before
 * the backfill writes the real one; undefined where width varies anyway.
 */
export function placeholderFor(type: string): string | undefined {
  const t = type.trim().toLowerCase();
  if (/^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit|year)\b/.test(t)) return '0';
  if (/^date\b/.test(t)) return "'1970-01-01'";
  if (/^(datetime|timestamp)\b/.test(t)) return "'1970-01-02 00:00:00'";
  if (/^time\b/.test(t)) return "'00:00:00'";
  return undefined;
}

export function createMysqlDdl(f: MysqlFeatures, model: SchemaModel): Ddl {
  const cols = (names: string[]) => names.map(q).join(', ');
  const tableOf = (t: string) => model.table(t);
  // Remembered from this plan: what is added before it is in the catalog.
  const addedColumns = new Map<string, Set<string>>();
  /** Columns this plan adds NOT NULL (with a placeholder): at contract there is no NOT NULL left to enforce. */
  const addedNotNull = new Map<string, string>();
  const fks = new Map<string, ForeignKeySpec>();
  /** Foreign keys this plan adds for which MySQL makes an index of the same name. */
  const implicitIndexes = new Set<string>();
  const checks = new Map<string, string>();
  const indexes = new Map<string, { table: string; name: string; columns: string[] }>();
  /** (table, new column) → old column whose default references it while a sync trigger is removed. */
  const tempDefaults = new Map<string, string>();
  const key = (table: string, name: string) => `${table}\0${name}`;
  const columnsOf = (table: string) => [...(tableOf(table)?.columns.map((c) => c.name) ?? []), ...(addedColumns.get(table) ?? [])];

  const where = (table: string) => `TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${literal(table)}`;
  const exists = (sql: string) => `SELECT EXISTS(${sql}) AS done`;
  const missing = (sql: string) => `SELECT NOT EXISTS(${sql}) AS done`;
  const relation = (table: string, type: 'BASE TABLE' | 'VIEW') => `SELECT 1 FROM information_schema.TABLES WHERE ${where(table)} AND TABLE_TYPE = '${type}'`;
  const column = (table: string, c: string, extra = '') => `SELECT 1 FROM information_schema.COLUMNS WHERE ${where(table)} AND COLUMN_NAME = ${literal(c)}${extra}`;
  const index = (table: string, name: string) => `SELECT 1 FROM information_schema.STATISTICS WHERE ${where(table)} AND INDEX_NAME = ${literal(name)}`;
  const constraint = (table: string, name: string) => `SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE ${where(table)} AND CONSTRAINT_NAME = ${literal(name)}`;
  const noDefault = f.mariadb ? `(COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL')` : 'COLUMN_DEFAULT IS NULL';

  const INSTANT = 'ALGORITHM=INSTANT, LOCK=DEFAULT';
  const INPLACE = 'ALGORITHM=INPLACE, LOCK=NONE';
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

  /** Fails (a clear error on MariaDB; error 1172 on MySQL) when `violated` is true; the probe `NOT violated` skips it otherwise. */
  const raiseIf = (violated: string, message: string) =>
    f.mariadb
      ? `BEGIN NOT ATOMIC IF ${violated} THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = ${literal(message.slice(0, 128))}; END IF; END`
      : `SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2) AS xc_rows WHERE ${violated} INTO @xc_violation`;

  /** The attributes beyond type, nullability and default a column of `type` can carry: ON UPDATE only on a temporal type. */
  const attributes = (type: string, extra: string | undefined) =>
    (/^(timestamp|datetime)\b/i.test(type) ? extra : extra?.replace(/on update [^\s]+(\(\d*\))?\s*/i, '').trim()) || undefined;

  /** MODIFY restates the whole column: type, nullability, default and the attributes the catalog reported (ON UPDATE, COMMENT). */
  const modify = (table: string, c: ColumnModel, nullable: boolean) => {
    const extra = attributes(c.type, c.extra ?? model.column(table, c.name)?.extra);
    const def = c.default !== null ? ` DEFAULT ${defaultClause(c.default)}` : '';
    return `MODIFY COLUMN ${q(c.name)} ${c.type} ${nullable ? 'NULL' : 'NOT NULL'}${def}${extra ? ` ${extra}` : ''}`;
  };

  const dropForeignKey = (table: string, name: string): Step =>
    step(alter(table, `DROP FOREIGN KEY ${q(name)}`, metadataOnly), `drop foreign key ${q(name)} on ${q(table)}`, metadataLock(table), [table], missing(`SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${literal(table)} AND CONSTRAINT_NAME = ${literal(name)}`), { removes: object('constraint', table, name) });
  const dropCheckConstraint = (table: string, name: string): Step =>
    step(alter(table, `${f.mariadb ? 'DROP CONSTRAINT' : 'DROP CHECK'} ${q(name)}`, metadataOnly), `drop check ${q(name)} on ${q(table)}`, metadataLock(table), [table], missing(`${constraint(table, name)} AND CONSTRAINT_TYPE = 'CHECK'`), { removes: object('constraint', table, name) });
  const dropIndexStep = (table: string, name: string): Step =>
    step(alter(table, `DROP INDEX ${q(name)}`, f.nocopy ? 'ALGORITHM=NOCOPY, LOCK=NONE' : INPLACE), `drop index ${q(name)} on ${q(table)}`, locks.metadata(table), [table], missing(index(table, name)), { removes: object('index', table, name) });

  /** Foreign keys of `table`, the catalog's and this plan's. */
  const foreignKeysOf = (table: string): { name: string; columns: string[] }[] => [
    ...(tableOf(table)?.foreignKeys ?? []),
    ...[...fks.values()].filter((k) => k.table === table && !tableOf(table)?.foreignKeys.some((o) => o.name === k.name)),
  ];
  const startsWith = (indexColumns: string[], columns: string[]) => columns.every((c, k) => indexColumns[k] === c);
  /** Done when an index other than `dropping` starts with `columns`. */
  const coveredBesides = (table: string, dropping: string, columns: string[]) =>
    exists(
      `SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE ${where(table)} AND INDEX_NAME <> ${literal(dropping)} GROUP BY INDEX_NAME HAVING SUM(${columns
        .map((c, k) => `(SEQ_IN_INDEX = ${k + 1} AND COLUMN_NAME = ${literal(c)})`)
        .join(' + ')}) = ${columns.length}`,
    );

  /**
   * Drop an index without taking a foreign key's index away: InnoDB needs an index starting with a key's columns
   * ("Cannot drop index: needed in a foreign key constraint"). Whether another one serves is decided by the catalog
   * at run time, because MySQL drops the index it made for a key by itself once another index starts with the key's
   * columns (so an addIndex's rollback may find none left): where none does, an index of the key's name comes back
   * first, as MySQL would have made it.
   */
  const dropIndexKeepingKeys = (table: string, name: string, columns: string[], droppedKeys = new Set<string>()): Step[] => [
    ...foreignKeysOf(table)
      .filter((k) => !droppedKeys.has(k.name) && startsWith(columns, k.columns))
      .map((k) =>
        step(alter(table, `ADD INDEX ${q(k.name)} (${cols(k.columns)})`, INPLACE), `give foreign key ${q(k.name)} an index of its own, unless another index than ${q(name)} serves it`, locks.scan(table), [table], coveredBesides(table, name, k.columns), {
          removes: object('index', table, name), // on the way to removing that one
        }),
      ),
    dropIndexStep(table, name),
  ];
  const indexColumns = (table: string, name: string) => (tableOf(table)?.indexes.find((i) => i.name === name) ?? indexes.get(key(table, name)))?.columns ?? [];

  const setDefault = (table: string, c: string, expr: string | null): Step[] => {
    if (expr === null) {
      const sql = alter(table, `ALTER COLUMN ${q(c)} DROP DEFAULT`, f.instantAddColumn ? INSTANT : INPLACE);
      return [step(sql, `drop the default of ${q(table)}.${q(c)}`, f.instantAddColumn ? locks.instant(table) : locks.metadata(table), [table], missing(column(table, c, ` AND NOT ${noDefault}`)))];
    }
    // An expression default is instant on MariaDB; MySQL documents INSTANT for literal defaults only.
    const instant = f.instantAddColumn && (f.mariadb || isLiteralDefault(expr));
    const sql = alter(table, `ALTER COLUMN ${q(c)} SET DEFAULT ${defaultClause(expr)}`, instant ? INSTANT : INPLACE);
    // Done when the column is gone (a rollback of a partial expand) or shows this default. Expressions are printed back
    // normalised (upper → ucase), so for them the probe says "not done" and the idempotent statement runs again.
    const shown = printedDefault(expr, f.mariadb);
    const probe = `SELECT NOT EXISTS(${column(table, c)})${shown === undefined ? '' : ` OR EXISTS(${column(table, c, ` AND COLUMN_DEFAULT = ${literal(shown)}`)})`} AS done`;
    return [step(sql, `set the default of ${q(table)}.${q(c)} to ${expr}`, instant ? locks.instant(table) : locks.metadata(table), [table], probe)];
  };

  const checkSteps = (table: string, name: string, expression: string) => {
    checks.set(key(table, name), expression);
    // Backticked names in a check can only be columns: include them even when the catalog does not know them yet.
    const quoted = tokens(expression).filter((t) => t.startsWith('`')).map((t) => t.slice(1, -1).replace(/``/g, '`'));
    return mysqlCheckTrigger(table, name, expression, [...columnsOf(table), ...quoted]);
  };

  const ddl: Ddl = {
    createTable(table, columns, primaryKey) {
      const pk = primaryKey ?? columns.filter((c) => c.primaryKey).map((c) => c.name);
      const lines = columns.map((c: Column) => `${q(c.name)} ${c.type}${c.nullable && !pk.includes(c.name) ? '' : ' NOT NULL'}${c.default !== undefined ? ` DEFAULT ${defaultClause(c.default)}` : ''}`);
      if (pk.length > 0) lines.push(`PRIMARY KEY (${cols(pk)})`);
      // Names as the model projects them (PostgreSQL's spelling), so later operations find them.
      for (const c of columns) if (c.unique && !(pk.length === 1 && pk[0] === c.name)) lines.push(`UNIQUE KEY ${q(defaultConstraintName(table, c.name, 'key'))} (${q(c.name)})`);
      const referenced: string[] = [];
      for (const c of columns) {
        const ref = c.references;
        if (!ref) continue;
        const target = ref.columns ?? (ref.column ? [ref.column] : ref.table === table ? pk : (tableOf(ref.table)?.primaryKey ?? []));
        if (target.length === 0) throw new InvalidInputError(`createTable ${table}: name the column ${c.name} references in ${ref.table} (MySQL needs it)`);
        const onDelete = ref.onDelete ? ` ON DELETE ${ref.onDelete.toUpperCase()}` : '';
        lines.push(`CONSTRAINT ${q(defaultConstraintName(table, c.name, 'fkey'))} FOREIGN KEY (${q(c.name)}) REFERENCES ${q(ref.table)} (${cols(target)})${onDelete}`);
        if (ref.table !== table) referenced.push(ref.table);
      }
      const sql = `CREATE TABLE ${q(table)} (\n  ${lines.join(',\n  ')}\n)`;
      const lock = referenced.length ? `shared metadata lock on ${on(referenced)} (instant; for the foreign keys)` : `none on existing tables (new table ${q(table)})`;
      return [step(sql, `create table ${q(table)}`, lock, [table, ...referenced], exists(relation(table, 'BASE TABLE')), { creates: [object('table', table)] })];
    },

    dropTable(table) {
      return [step(`DROP TABLE IF EXISTS ${q(table)}`, `drop table ${q(table)}`, locks.mdl(table), [table], missing(relation(table, 'BASE TABLE')), { removes: object('table', table) })];
    },

    renameTableKeepingOldName(from, to) {
      // Two statements: between them (milliseconds) old code finds no `from`; MySQL cannot create the view before the rename.
      return [
        step(`RENAME TABLE ${q(from)} TO ${q(to)}`, `rename table ${q(from)} to ${q(to)}`, locks.mdl(from, to), [from, to], exists(relation(to, 'BASE TABLE')), { creates: [object('table', to)] }),
        step(
          `CREATE ALGORITHM=MERGE VIEW ${q(from)} AS SELECT * FROM ${q(to)}`,
          `keep ${q(from)} working for old code (an updatable view over ${q(to)})`,
          locks.mdl(from),
          [from, to],
          exists(relation(from, 'VIEW')),
        ),
      ];
    },

    dropOldTableName(from) {
      return [step(`DROP VIEW IF EXISTS ${q(from)}`, `drop view ${q(from)} (the table's old name)`, locks.mdl(from), [from], missing(relation(from, 'VIEW')))];
    },

    restoreTableName(from, to) {
      // Old code must never find the old name missing: the view under it and the table swap names in one RENAME
      // TABLE (atomic), then the view, parked under a temporary name, goes. A crashed expand that renamed the table
      // but made no view gets one first; an expand that never ran leaves `from` a table, and every step is skipped.
      const parked = fitName(`xc_old_${from}`);
      const restored = `SELECT EXISTS(${relation(from, 'BASE TABLE')}) OR NOT EXISTS(${relation(to, 'BASE TABLE')}) AS done`;
      const named = `SELECT EXISTS(SELECT 1 FROM information_schema.TABLES WHERE ${where(from)}) OR NOT EXISTS(${relation(to, 'BASE TABLE')}) AS done`;
      return [
        step(`CREATE ALGORITHM=MERGE VIEW ${q(from)} AS SELECT * FROM ${q(to)}`, `make sure ${q(from)} names ${q(to)} (a view)`, locks.mdl(from), [from, to], named),
        step(`RENAME TABLE ${q(from)} TO ${q(parked)}, ${q(to)} TO ${q(from)}`, `rename table ${q(to)} back to ${q(from)}, in one statement with the view it replaces`, locks.mdl(to, from), [to, from], restored),
        step(`DROP VIEW IF EXISTS ${q(parked)}`, `drop the view ${q(from)} was (parked as ${q(parked)})`, locks.mdl(parked), [parked], missing(relation(parked, 'VIEW'))),
      ];
    },

    addColumn(table, c, type, opts) {
      addedColumns.set(table, new Set([...(addedColumns.get(table) ?? []), c]));
      if (opts?.default !== undefined) {
        // INSTANT keeps the default in the data dictionary: existing rows read it, none is rewritten (INPLACE rebuilds online where the server lacks it).
        const sql = alter(table, `ADD COLUMN ${q(c)} ${type} ${opts.notNull ? 'NOT NULL' : 'NULL'} DEFAULT ${defaultClause(opts.default)}`, f.instantAddColumn ? INSTANT : INPLACE);
        const description = `add column ${q(table)}.${q(c)}${opts.notNull ? ' NOT NULL' : ''} with default ${opts.default} (existing rows read it${f.instantAddColumn ? '; none is rewritten' : ''})`;
        return [step(sql, description, f.instantAddColumn ? locks.instant(table) : locks.rebuild(table), [table], exists(column(table, c)), { creates: [object('column', table, c)] })];
      }
      const placeholder = opts?.backfilled ? placeholderFor(type) : undefined;
      if (placeholder === undefined) {
        const sql = alter(table, `ADD COLUMN ${q(c)} ${type}`, f.instantAddColumn ? INSTANT : INPLACE);
        return [step(sql, `add column ${q(table)}.${q(c)}`, f.instantAddColumn ? locks.instant(table) : locks.rebuild(table), [table], exists(column(table, c)), { creates: [object('column', table, c)] })];
      }
      // An instantly added column is stored in no row: filling it grows every row and splits every page (11 s
      // instead of 2 s for 2M rows, see BENCHMARKS.md). Rebuilt online with a fixed-width placeholder, each row
      // already has room. A nullable column loses the placeholder default at once: old writers' new rows get NULL,
      // which the fill and the backfill convert. A NOT NULL one keeps it until the caller's trigger is in place and
      // fills it (before BEFORE triggers, NOT NULL is not checked); the backfill converts what it held meanwhile.
      if (opts?.notNull) addedNotNull.set(key(table, c), placeholder);
      const sql = alter(table, `ADD COLUMN ${q(c)} ${type} ${opts?.notNull ? 'NOT NULL' : 'NULL'} DEFAULT ${placeholder}, FORCE`, INPLACE);
      return [
        step(sql, `add column ${q(table)}.${q(c)}, stored in every row (rebuilt online)`, locks.rebuild(table), [table], exists(column(table, c)), { creates: [object('column', table, c)] }),
        ...(opts?.notNull ? [] : setDefault(table, c, null)),
      ];
    },

    letWritesOmit(table, c) {
      // The placeholder default comes back, so a writer omitting the column does not fail once the trigger that filled it is gone.
      const placeholder = addedNotNull.get(key(table, c));
      // A step on the way to removing the column: a rollback leaves it to a column that is not xc's.
      return placeholder === undefined ? [] : setDefault(table, c, placeholder).map((st) => ({ ...st, removes: object('column', table, c) }));
    },

    dropColumn(table, c) {
      // PostgreSQL drops what depends on the column; MySQL refuses (foreign keys, multi-column checks) or shrinks a multi-column index into another one. Drop them first.
      const t = tableOf(table);
      const lower = c.toLowerCase();
      const has = (list: string[]) => list.some((x) => x.toLowerCase() === lower);
      const pre: Step[] = [];
      const tempFrom = tempDefaults.get(key(table, c));
      tempDefaults.delete(key(table, c));
      if (tempFrom) pre.push(...setDefault(table, tempFrom, null));
      const fkNames = new Set([...(t?.foreignKeys ?? []).filter((k) => has(k.columns)).map((k) => k.name), ...[...fks.values()].filter((k) => k.table === table && has(k.columns)).map((k) => k.name)]);
      for (const name of fkNames) pre.push(dropForeignKey(table, name));
      // A check trigger naming the column would fail every write once the column is gone.
      const checkNames = new Set([
        ...(t?.checks ?? []).filter((k) => has(k.columns)).map((k) => k.name),
        ...[...checks].filter(([k, expr]) => k.startsWith(`${table}\0`) && mentioned(expr, [c]).length > 0).map(([k]) => k.slice(table.length + 1)),
      ]);
      for (const name of checkNames) pre.push(...dropPair(checkTriggerBase(table, name), table), dropCheckConstraint(table, name));
      const dropped = [...(t?.indexes ?? []).filter((i) => !i.primary && has(i.columns)), ...[...indexes.values()].filter((i) => i.table === table && has(i.columns))];
      // A foreign key leaves behind the index it created under its own name: probe-guarded, so named even when absent.
      for (const name of fkNames) if (!dropped.some((i) => i.name === name)) pre.push(dropIndexStep(table, name));
      for (const i of new Map(dropped.map((x) => [x.name, x])).values()) pre.push(...dropIndexKeepingKeys(table, i.name, i.columns, fkNames));
      const sql = alter(table, `DROP COLUMN ${q(c)}`, f.instantDropColumn ? INSTANT : INPLACE);
      return [...pre, step(sql, `drop column ${q(table)}.${q(c)}`, f.instantDropColumn ? locks.instant(table) : locks.rebuild(table), [table], missing(column(table, c)), { removes: object('column', table, c) })];
    },

    setDefault,

    carryAttributes(table, c) {
      const extra = attributes(c.type, c.extra);
      if (!extra) return [];
      // Restating a column with only these attributes changed is metadata only (MariaDB: INSTANT; MySQL documents none).
      const sql = alter(table, modify(table, c, c.nullable), metadataOnly);
      // No catalog probe: after a crash, restating the same definition again is harmless.
      return [step(sql, `give ${q(table)}.${q(c.name)} what the column it replaces had (${extra})`, metadataLock(table), [table], undefined)];
    },

    dropNotNull(table, c) {
      const sql = alter(table, modify(table, c, true), INPLACE);
      return [step(sql, `let ${q(table)}.${q(c.name)} be NULL`, locks.rebuild(table), [table], missing(column(table, c.name, ` AND IS_NULLABLE = 'NO'`)))];
    },

    addNotNullCheck(table, c, checkName) {
      if (addedNotNull.has(key(table, c.name))) return [];
      // No NOT VALID on MySQL: a trigger-enforced check rejects new NULLs at once and scans nothing.
      return checkSteps(table, checkName, `${q(c.name)} IS NOT NULL`).create;
    },

    enforceNotNull(table, c, checkName) {
      if (addedNotNull.has(key(table, c.name))) return [];
      // MODIFY … NOT NULL rebuilds the table online (INPLACE, LOCK=NONE: DML continues) and fails, changing nothing, if a NULL is left.
      const sql = alter(table, modify(table, c, false), INPLACE);
      return [
        step(sql, `make ${q(table)}.${q(c.name)} NOT NULL (checks every row while rebuilding)`, locks.rebuild(table), [table], missing(column(table, c.name, ` AND IS_NULLABLE = 'YES'`))),
        ...dropPair(checkTriggerBase(table, checkName), table),
      ];
    },

    createIndex(spec: IndexSpec) {
      if (spec.where) throw new InvalidInputError(`index ${spec.name} on ${spec.table}: MySQL and MariaDB have no partial indexes (where)`);
      indexes.set(key(spec.table, spec.name), { table: spec.table, name: spec.name, columns: spec.columns });
      const sql = alter(spec.table, `ADD ${spec.unique ? 'UNIQUE ' : ''}INDEX ${q(spec.name)} (${cols(spec.columns)})`, INPLACE);
      return [step(sql, `build ${spec.unique ? 'unique ' : ''}index ${q(spec.name)} on ${q(spec.table)}`, locks.scan(spec.table), [spec.table], exists(index(spec.table, spec.name)), { creates: [object('index', spec.table, spec.name)] })];
    },

    copyIndex(idx: IndexModel, table, newName, fromColumn, toColumn) {
      const parsed = parseIndexDefinition(idx.definition) ?? { kind: idx.unique ? 'UNIQUE' : '', parts: idx.columns.map(q) };
      const parts = replaceInParts(parsed.parts, fromColumn, toColumn);
      indexes.set(key(table, newName), { table, name: newName, columns: parts.flatMap((p) => partColumn(p) ?? []) });
      // Full-text and spatial indexes cannot be built with LOCK=NONE: say so rather than have the server pick a lock.
      const shared = parsed.kind === 'FULLTEXT' || parsed.kind === 'SPATIAL';
      const sql = alter(table, `ADD ${parsed.kind ? `${parsed.kind} ` : ''}INDEX ${q(newName)} (${parts.join(', ')})`, shared ? 'ALGORITHM=INPLACE, LOCK=SHARED' : INPLACE);
      const lock = shared ? `ALGORITHM=INPLACE, LOCK=SHARED on ${q(table)} (blocks writes while the ${parsed.kind.toLowerCase()} index builds)` : locks.scan(table);
      return [step(sql, `build index ${q(newName)} on ${q(table)}, a copy of ${q(idx.name)} over ${q(toColumn)}`, lock, [table], exists(index(table, newName)), { creates: [object('index', table, newName)] })];
    },

    dropIndex(table, name) {
      return dropIndexKeepingKeys(table, name, indexColumns(table, name));
    },

    renameIndex(table, from, to) {
      // `indexes` keeps the temporary name: the rollback, planned after the contract, drops the copy by it.
      const sql = alter(table, `RENAME INDEX ${q(from)} TO ${q(to)}`, metadataOnly);
      // Done once the new name exists: the index that had it before was dropped with the column it covered.
      return [step(sql, `rename index ${q(from)} on ${q(table)} to ${q(to)} (no scan)`, metadataLock(table), [table], exists(index(table, to)))];
    },

    convertedDefault(expr) {
      // A literal default is converted when set, an expression default on each insert: both as a column converts a value, strictly.
      return expr;
    },

    addUniqueUsingIndex(table, constraintName, indexName) {
      // A UNIQUE constraint is its unique index here: only the name changes.
      if (constraintName === indexName) return [];
      const sql = alter(table, `RENAME INDEX ${q(indexName)} TO ${q(constraintName)}`, metadataOnly);
      return [step(sql, `name the unique index ${q(indexName)} ${q(constraintName)} (no scan)`, metadataLock(table), [table], exists(index(table, constraintName)))];
    },

    addForeignKey(spec: ForeignKeySpec) {
      fks.set(key(spec.table, spec.name), spec);
      // Without an index that starts with its columns, MySQL makes one under the key's name, which dropping the key
      // leaves behind: this plan's drop of the key (its rollback) drops that index too.
      // Where the index that serves it is one an in-flight migration drops at contract (gone from the model, not yet from
      // the catalog), MySQL would make none and that drop would fail: the key gets its index by name here, in the same statement.
      const known = [...(tableOf(spec.table)?.indexes ?? []), ...[...indexes.values()].filter((i) => i.table === spec.table)];
      const ownIndex = !known.some((i) => startsWith(i.columns, spec.columns));
      if (ownIndex) {
        implicitIndexes.add(key(spec.table, spec.name));
        indexes.set(key(spec.table, spec.name), { table: spec.table, name: spec.name, columns: spec.columns });
      }
      const onDelete = spec.onDelete ? ` ON DELETE ${spec.onDelete.toUpperCase()}` : '';
      const add = alter(spec.table, `${ownIndex ? `ADD INDEX ${q(spec.name)} (${cols(spec.columns)}), ` : ''}ADD CONSTRAINT ${q(spec.name)} FOREIGN KEY (${cols(spec.columns)}) REFERENCES ${q(spec.refTable)} (${cols(spec.refColumns)})${onDelete}`, INPLACE);
      // With foreign_key_checks=0 the key is added INPLACE without reading the rows (MySQL's NOT VALID); it is enforced for new writes at once.
      // MariaDB scopes the setting to the statement; MySQL has no SET STATEMENT, so it is set on the step's session (reset with the session).
      const probe = exists(`SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${literal(spec.table)} AND CONSTRAINT_NAME = ${literal(spec.name)}`);
      const lock = `ALGORITHM=INPLACE, LOCK=NONE on ${on([spec.table, spec.refTable])} with foreign_key_checks=0 (reads and writes continue; existing rows are checked at contract)`;
      const description = `add foreign key ${q(spec.name)} on ${q(spec.table)} for new writes (existing rows checked later)`;
      // The probe looks for the key: the first object it creates.
      const creates = [object('constraint', spec.table, spec.name), ...(ownIndex ? [object('index', spec.table, spec.name)] : [])];
      return f.mariadb
        ? [step(`SET STATEMENT foreign_key_checks=0 FOR ${add}`, description, lock, [spec.table, spec.refTable], probe, { creates })]
        : [step(add, description, lock, [spec.table, spec.refTable], probe, { creates, prepare: 'SET SESSION foreign_key_checks = 0' })];
    },

    addCheck(table, name, expression) {
      return checkSteps(table, name, expression).create;
    },

    validateConstraint(table, name) {
      const fk = fks.get(key(table, name)) ?? tableOf(table)?.foreignKeys.find((k) => k.name === name);
      if (fk) {
        // No server-side VALIDATE: look for rows whose parent is missing (MATCH SIMPLE: a NULL in the key is not checked).
        const child = fk.columns.map((c) => `c.${q(c)} IS NOT NULL`).join(' AND ');
        const match = fk.columns.map((c, i) => `p.${q(fk.refColumns[i]!)} = c.${q(c)}`).join(' AND ');
        const orphans = `EXISTS(SELECT 1 FROM ${q(table)} c WHERE ${child} AND NOT EXISTS(SELECT 1 FROM ${q(fk.refTable)} p WHERE ${match}))`;
        return [
          step(raiseIf(orphans, `foreign key ${name}: rows of ${table} have no parent in ${fk.refTable}`), `check that every row of ${q(table)} has its parent in ${q(fk.refTable)} (foreign key ${q(name)}; fails if not)`, 'none (reads the table; writes continue)', [], `SELECT NOT ${orphans} AS done`),
        ];
      }
      const expression = checks.get(key(table, name)) ?? tableOf(table)?.checks.find((k) => k.name === name)?.expression;
      if (expression !== undefined) {
        const bad = `EXISTS(SELECT 1 FROM ${q(table)} WHERE NOT COALESCE((${rewriteColumns(expression, columnsOf(table), '')}), TRUE))`;
        return [step(raiseIf(bad, `check ${name}: rows of ${table} violate it`), `check that every row of ${q(table)} satisfies ${q(name)} (fails if not)`, 'none (reads the table; writes continue)', [], `SELECT NOT ${bad} AS done`)];
      }
      if (tableOf(table)?.indexes.some((i) => i.constraint === name)) return []; // unique and primary keys are always valid
      throw new Error(`cannot validate constraint ${name} on ${table}: not known to xc`);
    },

    dropConstraint(table, name) {
      const t = tableOf(table);
      const idx = t?.indexes.find((i) => i.constraint === name);
      if (idx?.primary) {
        // Dropping a primary key rebuilds the table and cannot keep writes going: state the copy instead of letting the server pick it.
        const sql = alter(table, 'DROP PRIMARY KEY', 'ALGORITHM=COPY, LOCK=SHARED');
        return [step(sql, `drop the primary key of ${q(table)}`, `ALGORITHM=COPY, LOCK=SHARED on ${q(table)} (blocks writes while the table is copied)`, [table], missing(index(table, 'PRIMARY')))];
      }
      if (idx) return dropIndexKeepingKeys(table, idx.name, idx.columns);
      if (fks.has(key(table, name)) || t?.foreignKeys.some((k) => k.name === name)) return [dropForeignKey(table, name), ...(implicitIndexes.has(key(table, name)) ? [dropIndexStep(table, name)] : [])];
      // A check: the trigger pair xc enforces it with, and a CHECK constraint of that name; each step skipped when absent.
      return [...dropPair(checkTriggerBase(table, name), table), dropCheckConstraint(table, name)];
    },

    syncTrigger(spec: SyncTriggerSpec) {
      const old = tableOf(spec.table)?.columns.find((c) => c.name === spec.oldColumn);
      const steps = mysqlSyncTrigger(spec, old?.type);
      // Removing the trigger is not atomic with dropping the old column: new writers that omit a NOT NULL old column would fail
      // in between. Give it a default first: its old default, else one computed from the new column (dropped with the column at contract;
      // on rollback, dropColumn of the new column removes it again).
      if (old && !old.nullable) {
        const expr = spec.oldDefault ?? `(${spec.down})`;
        if (spec.oldDefault === null) tempDefaults.set(key(spec.table, spec.newColumn), spec.oldColumn);
        const [set] = setDefault(spec.table, spec.oldColumn, expr);
        const probe = missing(column(spec.table, spec.oldColumn, ` AND ${noDefault}`));
        steps.drop.unshift({ ...set!, description: `let writers omit ${q(spec.oldColumn)} while the sync trigger is removed (default ${expr})`, probe });
      }
      return steps;
    },

    fillTrigger(spec) {
      return mysqlFillTrigger(spec);
    },

    fillBeforeTriggers(spec: BackfillSpec) {
      // Measured on 2M rows (BENCHMARKS.md): an in-place UPDATE takes about 1.6× as long with xc's trigger pair installed, even bypassed.
      // `sql` stands in until the planner knows the row key and writes one batch's statement there. Every row is set,
      // none read first (no `where`): before the triggers only old writers run, and the new column is no one's yet.
      const { where: _, ...fill } = spec;
      const columns = Object.keys(spec.set).map(q).join(', ');
      return [
        {
          sql: `UPDATE ${q(spec.table)} SET … (in key-ordered batches)`,
          description: `fill ${q(spec.table)}.${columns} in key-ordered batches, before its triggers exist`,
          lock: `row locks of one batch at a time on ${q(spec.table)}`,
          transactional: false,
          tables: [spec.table],
          fill,
        },
      ];
    },

    raw(sql, description) {
      // The author's statement: xc cannot probe its effect, so a re-run after a crash runs it again (write it idempotent).
      return { sql, description, lock: 'as the author wrote it (not analysed)', transactional: false, tables: [] };
    },
  };
  return ddl;
}
