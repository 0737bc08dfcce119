/**
 * What xc knows of a database's tables: read from the live catalog, then
 * projected forward through in-flight and pending migrations so that a
 * migration is validated and planned against the schema as it will be.
 */
import { Holds } from './holds.js';
import { PlannedObjects } from './planned.js';
/**
 * A column setting as its ALTER COLUMN clause (`SET STATISTICS 1000`, `SET (n_distinct = -1)`); `forType`: its
 * storage (`SET STORAGE`), which only a column of that type takes.
 */
export interface ColumnSetting {
  sql: string;
  forType?: string;
}

export interface ColumnModel {
  name: string;
  /** SQL type as the catalog spells it (`integer`, `character varying(200)`). */
  type: string;
  nullable: boolean;
  /** Default as an SQL expression, or null. */
  default: string | null;
  /** Identity or generated columns are written by the database, never synced. */
  generated?: boolean;
  /**
   * What the server ties the column to that neither a copy nor a shadow can take over, so it cannot be renamed,
   * copied, changed through a shadow or dropped online (MariaDB: `application-time period "p"`).
   */
  tiedTo?: string;
  /**
   * The server gives it its value only after BEFORE triggers ran (MySQL AUTO_INCREMENT, generated columns):
   * an xc trigger would read 0 or NULL on INSERT.
   */
  filledAfterTriggers?: boolean;
  /** Attributes a full column restatement must repeat (MySQL `MODIFY`: ON UPDATE, COMMENT). */
  extra?: string;
  /** A generated column's storage (MySQL/MariaDB): STORED (PERSISTENT) or VIRTUAL. */
  storage?: 'stored' | 'virtual';
  /** Set by the database whenever an UPDATE changes the row (MySQL `ON UPDATE CURRENT_TIMESTAMP`). */
  autoUpdated?: boolean;
  /**
   * Projected: the column this one is a copy of until its migration's contract, still there and set by the
   * database on every UPDATE (it keeps its ON UPDATE through dual-write, operations/columnCopy.ts).
   */
  autoUpdatedCopyOf?: string;
  /**
   * PostgreSQL's per-column settings, which a copy or a shadow would not have (campaign T: lost without a word):
   * carried with the comment (Ddl.carryAttributes).
   */
  settings?: ColumnSetting[];
  /** PostgreSQL's COMMENT ON COLUMN (MySQL's COMMENT is part of `extra`); one a projection gave (alterColumn), '' for none, in place of either. */
  comment?: string;
  /**
   * The clause that keeps the column's own collation where it is not the
   * default, for a new type to carry it: PostgreSQL `COLLATE pg_catalog."C"`,
   * MySQL `CHARACTER SET latin1 COLLATE latin1_bin` (also part of its `type`).
   */
  collation?: string;
  /**
   * The default of the column's type, a domain (PostgreSQL): every column of that type without a default of its
   * own gets it, a copy too, so dual-write could never tell a value a writer left out from one it wrote.
   */
  domainDefault?: string;
}

export interface IndexModel {
  name: string;
  /** Plain column names the index covers (empty for pure expression indexes). */
  columns: string[];
  unique: boolean;
  primary: boolean;
  /** Name of the constraint the index backs (PRIMARY KEY / UNIQUE), if any. */
  constraint: string | null;
  /** A partial index's predicate, as SQL over the table's columns; absent for an index over every row. */
  where?: string;
  /** The access method, where it is not the server's default (PostgreSQL gin, gist, hash…). */
  method?: string;
  /**
   * Its keys with their options as addIndex gave them (expressions, operator
   * classes, order, collations), for an index the model was projected to
   * have; read from `definition` otherwise.
   */
  keys?: IndexKey[];
  /** Columns stored beyond the key (PostgreSQL INCLUDE), projected. */
  include?: string[];
  /** PostgreSQL's WITH (…), as written (`fillfactor=70`), projected. */
  storageParameters?: string;
  /** The constraint it backs is DEFERRABLE [INITIALLY DEFERRED] (PostgreSQL). */
  deferrable?: boolean;
  initiallyDeferred?: boolean;
  /** A unique index whose NULLs are equal (PostgreSQL 15 NULLS NOT DISTINCT). */
  nullsNotDistinct?: boolean;
  /** It backs an exclusion constraint (PostgreSQL EXCLUDE), not a unique or primary key. */
  exclusion?: boolean;
  /** The table is marked CLUSTER ON it (PostgreSQL pg_index.indisclustered). */
  clustered?: boolean;
  /**
   * The statement the catalog prints for it, read by the dialect that read it
   * to copy what the facts above do not hold (expressions, operator classes,
   * prefix lengths). Absent for an index the model was projected to have.
   */
  definition?: string;
}

/** One key of an index: a column or an expression, and how it is ordered and compared. */
export interface IndexKey {
  column?: string;
  expression?: string;
  opclass?: string;
  sort?: 'asc' | 'desc';
  nulls?: 'first' | 'last';
  collate?: string;
}

export interface CheckModel {
  name: string;
  expression: string;
  columns: string[];
  /** MySQL: enforced by xc's trigger pair (mysql/triggers.ts), not a CHECK constraint. */
  trigger?: boolean;
  /**
   * MySQL: that pair's base name, as the catalog shows it. It was made from the table's name at the time, which a
   * renameTable since changed: later steps find the pair by this, not by the name they would make now.
   */
  triggerBase?: string;
  /** false: added NOT VALID and never validated (PostgreSQL; rows may break it); a copy stays so. */
  validated?: false;
  /**
   * MariaDB: a column-level CHECK (CHECK_CONSTRAINTS.LEVEL = 'Column'), part of that column's definition — a MODIFY
   * or CHANGE COLUMN restating the column without it drops it, silently: every restatement repeats it (mysql/compiler.ts).
   */
  column?: string;
}

export interface ForeignKeyModel {
  name: string;
  columns: string[];
  refTable: string;
  /** The referenced table's schema (MySQL: database) where it is not the table's own. */
  refSchema?: string;
  refColumns: string[];
  /** The referenced columns' types, where the referenced table is another schema's (refSchema), which the model does not hold. */
  refTypes?: string[];
  onDelete: string | null;
  /** `ON DELETE SET NULL (a)` / `SET DEFAULT (a)`: only these columns are set (PostgreSQL 15+); absent: all of the key's. */
  onDeleteColumns?: string[];
  /** Absent or null: NO ACTION (RESTRICT on MySQL, the same there). */
  onUpdate?: string | null;
  /** 'full' where the key is MATCH FULL (PostgreSQL); absent for MATCH SIMPLE. */
  matchType?: string | null;
  deferrable?: boolean;
  initiallyDeferred?: boolean;
  /** false: added NOT VALID and never validated (PostgreSQL; rows may break it); a copy stays so. */
  validated?: false;
}

export interface TableModel {
  name: string;
  kind: 'table' | 'view';
  /** A partitioned table (PostgreSQL): xc's online recipes (CONCURRENTLY, per-row triggers, NOT VALID) do not cover it. */
  partitioned?: boolean;
  /** The partitioned table this one is a partition of (PostgreSQL): its columns and keys are that table's. */
  partitionOf?: string;
  /**
   * The tables this one inherits from (PostgreSQL `INHERITS`, not a partition), and those inheriting from it. A row
   * trigger fires only for rows of its own table, while a query of the parent reads and writes the children's too:
   * xc's dual-write triggers and backfill do not cover such a table.
   */
  inheritsFrom?: string[];
  inheritedBy?: string[];
  /**
   * PostgreSQL, a table with row-level security: roles granted some of its columns only (a privilege on a column
   * they lack on the table). A view under its old name must run as its invoker there, and needs the whole table.
   */
  columnOnlyGrantees?: string[];
  /** The storage engine (MySQL/MariaDB), e.g. `InnoDB`, `MyISAM`; absent on PostgreSQL and for a table xc creates (InnoDB). */
  engine?: string;
  /** ROW_FORMAT=COMPRESSED (MySQL/MariaDB InnoDB): no column is added or dropped instantly, only by an online rebuild. */
  compressed?: boolean;
  /**
   * MariaDB InnoDB keeps the hidden FTS_DOC_ID column of a FULLTEXT index dropped since, until the table is rebuilt:
   * till then no column is added or dropped instantly. Known only where xc's user may read InnoDB's dictionary (PROCESS).
   */
  hiddenFtsDocId?: boolean;
  /** The table's default collation (MySQL/MariaDB): its character columns', unless their type names their own. */
  collation?: string;
  /** A system-versioned table (MariaDB `WITH SYSTEM VERSIONING`): every change of a row writes a history row. */
  systemVersioned?: boolean;
  /**
   * MariaDB unique keys kept as a hidden hash column (over a whole TEXT/BLOB column, or past 3072 bytes): the
   * server then refuses every INSTANT/INPLACE/NOCOPY ALTER of the table ("Try ALGORITHM=COPY").
   */
  hashKeys?: string[];
  /** MariaDB: its key of an application-time period's range (`PRIMARY KEY (id, p WITHOUT OVERLAPS)`), which makes every ALTER of it a table copy. */
  withoutOverlaps?: string;
  columns: ColumnModel[];
  primaryKey: string[];
  indexes: IndexModel[];
  checks: CheckModel[];
  foreignKeys: ForeignKeyModel[];
  /** What PostgreSQL logical decoding writes of an old row (pg_class.relreplident); absent: the default (the primary key), and on MySQL. */
  replicaIdentity?: ReplicaIdentity;
}

/** A table's replica identity (PostgreSQL): `index` names the unique index it uses. */
export interface ReplicaIdentity {
  type: 'nothing' | 'default' | 'full' | 'index';
  index?: string;
}

/** A name in the tables' namespace held by something the model shows nothing else of. */
export interface OtherName {
  /** What holds it, in words: `sequence`, `materialized view`, `type`, `xc's state table`. */
  kind: string;
  /** It is a relation, whose namespace indexes share where the server's do (PostgreSQL); a type blocks only tables. */
  relation: boolean;
}

/** A table of the plan as the database has it now: its name there, and columns of the plan's names as SQL over its row. */
export interface InPlan {
  table: string;
  columns: Map<string, string>;
}

export class SchemaModel {
  readonly tables = new Map<string, TableModel>();
  /**
   * Names a new table (or index) cannot take though no table of the model
   * has them: sequences, materialized views, foreign tables and types
   * (PostgreSQL), sequences and xc's own state tables (MySQL). Read from the
   * catalog; no migration changes them.
   */
  readonly otherNames = new Map<string, OtherName>();
  /**
   * Where the catalog was read, for messages naming a table it lacks: ` in schema "public"`, ` in database "shop"`,
   * or why nothing could be (PostgreSQL: no schema of the search_path exists). Empty where unknown.
   */
  searched = '';
  /** The schema (PostgreSQL) or database (MySQL) the tables were read from, where known: a name qualified by another is not theirs. */
  namespace: string | undefined;
  /** MySQL/MariaDB: the database's default collation, a table's that the plan creates (TableModel.collation). */
  defaultCollation?: string;
  /** What migrations in flight still hold beyond this projected shape (holds.ts). */
  holds = new Holds();
  /** What the migration being planned adds before the catalog shows it (planned.ts). */
  planned = new PlannedObjects();
  /**
   * The `expand` texts of the `sql` operations of the pending migrations planned so far, with where each is: they run
   * before the contracts of those planned after, and may change what depends on what such a contract removes
   * (planner.ts serverChecks).
   */
  expandSql: { text: string; where: string }[] = [];
  /**
   * Tables whose rows the plan reads otherwise than they will be: a `sql` backfill planned so far whose condition or
   * value reads, in a subquery, a table an earlier fill of the plan changes, sees its rows as they are now (campaign
   * EQ: a dedupe after a `lower(trim(email))` fill found no duplicates). By table, what says so; the row checks of the
   * migrations after it note their rows, read again at apply once it has run. Not its own migration's: their index or
   * check is made at expand, before any backfill of it runs (campaign ER).
   */
  unsureRows = new Map<string, string>();
  /** What the migration being projected makes unsure, until settleUnsure. */
  unsureHere = new Map<string, string>();
  /**
   * What the plan names otherwise than the database does yet (renames not applied): by a table's name in the model,
   * the name it has now, and its columns a rename gave a new name, each as SQL over the row as it is now. Plan reads
   * existing rows through these (`readName`, and the planner's row checks).
   */
  readonly inPlan = new Map<string, InPlan>();
  /**
   * The columns each table has in the database now, as the catalog read them (by the table's name there): where the
   * plan reads a column under a name the table has now (a NULL filled by `up`), the other columns are listed.
   */
  present: ReadonlyMap<string, readonly string[]> = new Map();

  static of(tables: TableModel[]): SchemaModel {
    const m = new SchemaModel();
    for (const t of tables) m.tables.set(t.name, t);
    return m;
  }

  /** The model of the database as the catalog reads it now. */
  static fromCatalog(tables: TableModel[]): SchemaModel {
    const m = SchemaModel.of(tables);
    m.present = new Map(tables.map((t) => [t.name, t.columns.map((c) => c.name)]));
    return m;
  }

  clone(): SchemaModel {
    const m = SchemaModel.of([...this.tables.values()].map((t) => structuredClone(t)));
    m.holds = this.holds.clone();
    m.planned = this.planned.clone();
    m.expandSql = [...this.expandSql];
    m.unsureRows = new Map(this.unsureRows);
    m.unsureHere = new Map(this.unsureHere);
    m.searched = this.searched;
    m.namespace = this.namespace;
    m.defaultCollation = this.defaultCollation;
    m.present = this.present;
    for (const [name, other] of this.otherNames) m.otherNames.set(name, { ...other });
    for (const [name, read] of this.inPlan) m.inPlan.set(name, { table: read.table, columns: new Map(read.columns) });
    return m;
  }

  /**
   * The migration just projected is done with: what it made unsure holds for those after it while its backfills are
   * still to run (`pending`), and not once they have (campaign ER: apply planned the next one again after them, and
   * took their rows, which it then read, for unsure — a duplicate let through to the index's build).
   */
  settleUnsure(backfillsToRun: boolean): void {
    if (backfillsToRun) for (const [table, why] of this.unsureHere) this.unsureRows.set(table, why);
    this.unsureHere.clear();
  }

  table(name: string): TableModel | undefined {
    return this.tables.get(name);
  }

  /** The name `table` of the model has in the database now: another where a rename of the plan is not applied yet. */
  readName(table: string): string {
    return this.inPlan.get(table)?.table ?? table;
  }

  /** What the plan names `table` by, read as it is now (a new entry for one not renamed yet). */
  readInPlan(table: string): InPlan {
    const read = this.inPlan.get(table) ?? { table, columns: new Map<string, string>() };
    this.inPlan.set(table, read);
    return read;
  }

  column(table: string, column: string): ColumnModel | undefined {
    return this.tables.get(table)?.columns.find((c) => c.name === column);
  }

  /** Every name the model shows, as keys comparable across models (what Holds.advance compares), each with its name in words. */
  names(): Map<string, string> {
    const names = new Map<string, string>();
    for (const t of this.tables.values()) {
      names.set(`table\0${t.name}`, `${t.kind} "${t.name}"`);
      for (const c of t.columns) names.set(`column\0${t.name}\0${c.name}`, `column "${t.name}"."${c.name}"`);
      for (const o of [...t.indexes, ...t.checks, ...t.foreignKeys]) names.set(`object\0${t.name}\0${o.name}`, `index or constraint "${o.name}" on "${t.name}"`);
    }
    return names;
  }

  /** Columns that identify a row for keyset batching: the primary key, else a unique index over NOT NULL columns. */
  rowKey(table: string): string[] | undefined {
    const t = this.tables.get(table);
    if (!t) return undefined;
    if (t.primaryKey.length > 0) return t.primaryKey;
    const notNull = new Set(t.columns.filter((c) => !c.nullable).map((c) => c.name));
    const idx = t.indexes.find((i) => i.unique && i.columns.length > 0 && i.columns.every((c) => notNull.has(c)) && i.where === undefined);
    return idx?.columns;
  }
}

/** The columns an UPDATE of xc's own must assign to themselves, so the database does not stamp them (an `updated_at` stays). */
/**
 * The column a foreign key's `i`th column references, with its type: from the model, or, where the parent is another
 * schema's (which the model does not hold, and whose name a table of this one may share), as the catalog read it.
 */
export function referencedColumn(model: SchemaModel, fk: ForeignKeyModel, i: number): { name: string; type: string } | undefined {
  const name = fk.refColumns[i];
  if (name === undefined) return undefined;
  if (fk.refSchema !== undefined) return fk.refTypes?.[i] === undefined ? undefined : { name, type: fk.refTypes[i]! };
  return model.table(fk.refTable)?.columns.find((c) => c.name === name);
}

export function serverStamped(t: TableModel | undefined, except: (name: string) => boolean = () => false): string[] {
  return (t?.columns ?? []).filter((c) => c.autoUpdated).flatMap((c) => [c.name, ...(c.autoUpdatedCopyOf !== undefined ? [c.autoUpdatedCopyOf] : [])]).filter((n) => !except(n));
}

/**
 * The columns of `t` its foreign keys' actions change (ON UPDATE CASCADE, SET NULL or SET DEFAULT; ON DELETE SET NULL
 * or SET DEFAULT): MySQL runs no trigger for those changes, so an xc trigger never sees them.
 */
export function changedByForeignKeyActions(t: TableModel | undefined): string[] {
  return [...new Set((t?.foreignKeys ?? []).flatMap((fk) => [...((fk.onUpdate ?? null) !== null ? fk.columns : []), ...(/^set\b/i.test(fk.onDelete ?? '') ? (fk.onDeleteColumns ?? fk.columns) : [])]))];
}
