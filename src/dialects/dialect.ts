/**
 * Everything that differs between databases sits behind this interface
 * (kysely's adapter idea): the engine and the operations never branch on a
 * dialect's name. Operations describe what they want through `ddl`; the
 * dialect returns the statements, their locks and their crash-safety probes.
 */
import type { ConversionIssue } from './narrowing.js';
import type { Session } from '../db/driver.js';
import type { ColumnModel, ForeignKeyModel, SchemaModel, IndexModel, ReplicaIdentity, TableModel } from '../schema/model.js';
import type { BaseDialect } from './base.js';
import type { ReplicaHeartbeat } from './replicaProbe.js';
import { removing, type BackfillSpec, type Blocker, type ExpressionCheck, type KeyForm, type KeyForms, type Step } from '../plan/index.js';

/** xc's state tables, by short name (Dialect.stateTable qualifies them); every one is created by Dialect.stateSchema. */
export const STATE_TABLES = ['migrations', 'steps', 'backfill', 'events', 'deployments', 'instances'] as const;

/** A column added to a state table after its first version (Dialect.stateColumnsAdded): `type` in the dialect's words. */
export interface StateColumnAdded {
  table: (typeof STATE_TABLES)[number];
  column: string;
  type: string;
}

export { resolveExpr } from './base.js';

export type DialectName = 'postgres' | 'mysql';

export * from './specs.js';
import type { CarriedConstraints, CarriedConstraintSteps, ColumnSwapSpec, ConvertTriggerSpec, FillTriggerSpec, ForeignKeySpec, IndexBuildCheck, IndexSpec, ShadowKeyIssue, ShadowKeySpec, SyncTriggerSpec, TableSpec, TriggerSteps, ColumnChange, ConstraintTiming } from './specs.js';


/** The DDL vocabulary operations are written in. Every method returns idempotent steps. */
export interface Ddl {
  /**
   * What plan notes of the default conversion from `from` to `to` where a trigger cannot convert as the backfill does
   * (MySQL: to or from TIMESTAMP, in each writer's time_zone); undefined where they agree.
   */
  conversionNote?(from: string, to: string): string | undefined;
  /**
   * A statement prepared before a column's type changed keeps the old type for its parameters (PostgreSQL: `$1` an
   * `integer` refuses 2³¹ until prepared again; campaign DF). MySQL/MariaDB prepare again by themselves (campaign FD:
   * plan said otherwise there).
   */
  readonly preparedKeepOldTypes: boolean;
  createTable(spec: TableSpec): Step[];
  dropTable(table: string): Step[];
  /** Rename the table and leave the old name working (an updatable view). */
  renameTableKeepingOldName(from: string, to: string): Step[];
  /** Remove the compatibility name left by `renameTableKeepingOldName`. */
  dropOldTableName(from: string): Step[];
  /** Undo `renameTableKeepingOldName`. */
  restoreTableName(from: string, to: string): Step[];
  /**
   * Add a nullable column without default (instant). With `backfilled`, every
   * existing row will get a value from the backfill: MySQL then stores the
   * column in every row first (an online rebuild with a placeholder default,
   * dropped at once), so the backfill updates rows in place instead of
   * growing each one. With `notNull` too, every writer always supplies a
   * value (the old column is NOT NULL and the trigger derives this one), so
   * MySQL may make it NOT NULL in that same rebuild, sparing the contract a
   * second one; the placeholder then stays until the caller's trigger is in
   * place, and the caller drops it with `setDefault(…, null)`.
   *
   * With `default` instead (a constant: see addColumn's isConstantDefault),
   * the column is added with that default in one statement and every
   * existing row reads it without being written: PostgreSQL 11+ keeps it in
   * the catalog, MySQL/MariaDB add it ALGORITHM=INSTANT where the server can.
   * `notNull` then makes it NOT NULL in that same statement: no row can be
   * NULL, and old writers, which omit the column, get the default.
   *
   * `comment`: the column's comment, given with it (MySQL COMMENT; PostgreSQL
   * COMMENT ON COLUMN in the same transaction).
   *
   * `hidden`: no version of the application reads or writes the column (an
   * in-place change's shadow, which a trigger sets): left out of `SELECT *`
   * and of an INSERT without a column list where the server can (MySQL/
   * MariaDB INVISIBLE, kept until the cut-over restates the column);
   * PostgreSQL has no such thing.
   */
  addColumn(table: string, column: string, type: string, opts?: { backfilled?: boolean; notNull?: boolean; default?: string; comment?: string; hidden?: boolean }): Step[];
  dropColumn(table: string, column: string): Step[];
  /**
   * Steps no write may come between: a sync trigger's removal and the drop of the column it kept, where an old
   * writer's value between the two would go with the column. PostgreSQL: as they are (the caller's `atomic` makes
   * them one transaction). MySQL/MariaDB: one step holding LOCK TABLES … WRITE around them, where each is
   * metadata-only; a drop that rebuilds the table (MySQL before 8.0.29) would hold writers for its whole length,
   * so there they stay apart. `added`: the defaults the table's columns will have by then that the catalog
   * does not show yet (one the plan gives).
   */
  noWriteBetween(table: string, steps: Step[], added?: { column: string; default: string }[]): Step[];
  /**
   * Before a column this plan added goes while writers may still omit it (a
   * rollback, where DDL is not transactional): it must accept such writes once
   * the trigger that filled it is removed. MySQL: the NOT NULL column added
   * with a placeholder gets the placeholder back as its default.
   */
  letWritesOmit(table: string, column: string): Step[];
  setDefault(table: string, column: string, expr: string | null): Step[];
  /** Columns are passed whole: MySQL restates the full definition to change nullability. */
  dropNotNull(table: string, column: ColumnModel): Step[];
  /**
   * Give a column that replaced another the attributes the old one had beyond
   * type, nullability and default (`column.extra`, from the old column: MySQL
   * ON UPDATE, COMMENT, INVISIBLE), once the old column is gone. PostgreSQL
   * has none of these: nothing.
   */
  carryAttributes(table: string, column: ColumnModel): Step[];
  /**
   * Give column `to`, just added beside `from` (a copy's new column, an
   * in-place change's shadow), the column-level privileges `from` has, as
   * they are when the step runs: the new version reads and writes it, and a
   * shadow takes the column's name at the cut-over. Placed in the addition's
   * transaction where DDL is transactional. Table-level privileges cover
   * every column: nothing to do for them. PostgreSQL: one GRANT per entry of
   * the old column's ACL (catalog only), granted by whoever runs xc.
   * MySQL/MariaDB: nothing (grants are by column name, in mysql.columns_priv,
   * which xc may neither read nor grant from: see README).
   */
  carryColumnPrivileges(table: string, from: string, to: string): Step[];
  /** An unvalidated `CHECK (column IS NOT NULL)`: enforced for new writes, no scan. */
  addNotNullCheck(table: string, column: ColumnModel, checkName: string): Step[];
  /** Validate that check without blocking writes, then NOT NULL (no scan), then drop the check. */
  enforceNotNull(table: string, column: ColumnModel, checkName: string): Step[];
  createIndex(spec: IndexSpec): Step[];
  /** Recreate an existing index under a new name, with one column replaced (by one of `toType`, where it differs). */
  copyIndex(index: IndexModel, table: string, newName: string, fromColumn: string, toColumn: string, toType?: string): Step[];
  dropIndex(table: string, name: string): Step[];
  /**
   * Give an index back the name of the one it replaced, once that one is
   * gone (a copy built under a temporary name at expand). Metadata only.
   */
  renameIndex(table: string, from: string, to: string): Step[];
  /**
   * A default for a column whose type changes to `type`, computing the same
   * value: PostgreSQL casts it (a text default is not accepted by an integer
   * column); MySQL converts a default to the column's type itself, strictly,
   * so it stays as written.
   */
  convertedDefault(expr: string, type: string): string;
  /**
   * Rename a constraint, leaving nothing unenforced meanwhile; with `from`
   * gone and `to` there already (a rollback of an expand that never ran it,
   * reversed), nothing. PostgreSQL renames a unique or primary key's index
   * with it; MySQL/MariaDB: mysql/renames.ts.
   */
  renameConstraint(table: string, from: string, to: string): Step[];
  /** PostgreSQL's ALTER TABLE … REPLICA IDENTITY (catalog only); absent where the server has none (validation refuses it there). */
  setReplicaIdentity?(table: string, identity: ReplicaIdentity): Step[];
  /** Turn a unique index into a named UNIQUE constraint without a scan. */
  addUniqueUsingIndex(table: string, constraint: string, index: string, timing?: ConstraintTiming): Step[];
  /**
   * Make a unique index over NOT NULL `columns` the table's primary key
   * without a scan: PostgreSQL attaches it (ADD CONSTRAINT … PRIMARY KEY
   * USING INDEX); MySQL/MariaDB add the key online (INPLACE, LOCK=NONE,
   * rebuilding the table) and drop the index in the same statement. `index`
   * null: none was built (Dialect.uniqueIndexMayCluster), the key is added
   * by itself, online (MySQL/MariaDB only).
   */
  addPrimaryKeyUsingIndex(table: string, constraint: string, index: string | null, columns: string[], timing?: ConstraintTiming): Step[];
  addForeignKey(spec: ForeignKeySpec): Step[];
  addCheck(table: string, name: string, expression: string): Step[];
  /**
   * Where check `name` of `table` is enforced by something a cut-over of its columns (Ddl.swapColumns) leaves in
   * place, the steps that make it again only if it is missing (each skipped by its probe), else undefined: the
   * cut-over drops the check and adds it again. MySQL/MariaDB: xc's trigger pair, whose body names the column, which
   * the shadow takes over under that name — dropped and made again around the ALTER, statements that commit one by
   * one, a kill -9 in between left the check unenforced. PostgreSQL: undefined (one transaction).
   */
  keptCheck(table: string, name: string, expression: string): Step[] | undefined;
  validateConstraint(table: string, name: string): Step[];
  dropConstraint(table: string, name: string): Step[];
  /**
   * A copied column's foreign keys and checks, carried to its new column at contract (operations/columnCopy.ts) so
   * that no write meets the new column without them — not even between the old column's drop, which takes the
   * originals along, and their return — and under their own names at the end. PostgreSQL adds them NOT VALID in
   * the drop's transaction; MySQL/MariaDB, whose DDL commits statement by statement, adds them under temporary
   * names before the drop and gives them their names after it.
   */
  carryConstraints(spec: CarriedConstraints): CarriedConstraintSteps;
  /**
   * At a copy's expand, once its index copies exist: those of `foreignKeys` (as carryConstraints takes them) whose
   * actions change the column (ON UPDATE CASCADE, ON DELETE SET NULL, …), over the new column too, where such a change
   * runs no trigger (MySQL/MariaDB) — under the temporary names carryConstraints adds them by, whose steps are then
   * done. A cascade changes both columns from then on. None where cascades run triggers (PostgreSQL).
   */
  cascadingKeysOverCopy(spec: Pick<CarriedConstraints, 'table' | 'newColumn' | 'foreignKeys'>): Step[];
  syncTrigger(spec: SyncTriggerSpec): TriggerSteps;
  /**
   * Whether the old column of a copy to `type` can keep its default while the
   * sync trigger runs (SyncTriggerSpec.oldKeepsDefault). `storedNotNull`: the
   * new column is added NOT NULL (MySQL: with a placeholder default the INSERT
   * trigger must read as "not given" until it is gone; MySQL 8 cannot replace
   * that trigger in one statement, so there the default moves into it).
   */
  keepsDefaultThroughSync(type: string, storedNotNull: boolean): boolean;
  fillTrigger(spec: FillTriggerSpec): TriggerSteps;
  /** A write that would break a constraint is converted instead (ConvertTriggerSpec); not bypassed by any backfill. */
  convertTrigger(spec: ConvertTriggerSpec): TriggerSteps;
  /**
   * Steps, placed after a column is added and before the triggers that will
   * keep it in step, that fill it in batches while no trigger exists yet;
   * the backfill phase then only catches up the rows written meanwhile.
   * MySQL: a trigger runs for every row an UPDATE touches, even when its
   * body is bypassed, which doubled the backfill. PostgreSQL: none. Its
   * skipped trigger costs too (it fetches and locks the old row before it
   * reads WHEN: the split UPDATE 1.14-1.62x slower, BENCHMARKS.md Scale), but
   * the catch-up pass after a fill costs more there: tried on 1M rows, the
   * fill matched the split UPDATE (2.98 s against 2.96 s) and the pass that
   * reads every row again took 0.90 s (each row then has two versions to
   * visit), 1.42x the split against 1.25x with the trigger in place.
   */
  fillBeforeTriggers(spec: BackfillSpec): Step[];
  /**
   * Where fillBeforeTriggers filled: once the triggers exist, the rows written in between converted again (the
   * spec's `where`), before a unique index is built over the column. Empty where nothing was filled before.
   */
  refillAfterTriggers(spec: BackfillSpec): Step[];
  /**
   * Whether changing `column` to `type` only changes the catalog (no row is
   * rewritten or scanned), so an in-place alterColumn needs no shadow column.
   * PostgreSQL: a binary-coercible widening (varchar(n) → varchar(m ≥ n), text;
   * numeric precision up, same scale); MySQL/MariaDB: what ALGORITHM=INSTANT
   * takes (varchar widened within its length-byte class). Conservative: a
   * false "no" costs a shadow, a false "yes" an expand failing fast.
   */
  changesTypeInCatalog(table: string, column: ColumnModel, type: string): boolean;
  /**
   * Change what `change` gives of a column (`column`, as it is), catalog only:
   * a type changesTypeInCatalog accepts, NULL allowed (never NOT NULL, which
   * needs a scan), the default (null: none), the comment (null: none).
   */
  alterColumnInCatalog(table: string, column: ColumnModel, change: ColumnChange): Step[];
  /**
   * The cut-over of an in-place change: trigger gone, each column dropped and
   * its shadow renamed to its name, index copies renamed to the originals'
   * names — with no write in between reaching a column without its shadow.
   * PostgreSQL: one transaction. MySQL/MariaDB: one step holding LOCK TABLES
   * … WRITE around DROP TRIGGER and one ALTER TABLE; a re-run after an
   * interrupted attempt converts, under that lock, the rows written while no
   * trigger was there.
   */
  swapColumns(spec: ColumnSwapSpec): Step[];
  /**
   * Why swapColumns cannot carry this column's keys (its primary key, the
   * foreign keys referencing it) or its identity to a shadow of the new type,
   * each reason a sentence naming what to do instead; empty when it can.
   */
  shadowKeyIssues(spec: ShadowKeySpec): ShadowKeyIssue[];
  /**
   * Why no cut-over holding the lock on `tables` (the table and those whose keys reference its columns) can run,
   * the columns restating `restated` defaults in it; null when one can. MariaDB: where a sequence two defaults of a
   * table draw from, or a default restated that draws from one (mysql/sequences.ts).
   */
  cutOverIssue(tables: string[], restated: string[]): string | null;
  /**
   * Before a column copy's contract drops `from`, once the new column `to`
   * (of `type`) has its default: the sequence `from` owns (PostgreSQL
   * serial), where that default draws from it, owned by `to` instead — else
   * the drop would take it, and fails on the default depending on it. Empty
   * where columns own no sequence (MySQL/MariaDB: AUTO_INCREMENT is refused
   * for a copy at plan).
   */
  handOverSequence(table: string, from: ColumnModel, to: string, type: string): Step[];
  /** Author's SQL, run as given. */
  raw(sql: string, description: string): Step;
}

/** Session variables by name; names come from the dialects, values are bound. */
export type SessionValues = Record<string, string | number>;
/** Statements that put a session's variables back as they were. */
export type SessionRestore = Array<{ sql: string; params: unknown[] }>;

/** Dialect.rebuildLog: the rows in the online rebuild's row log and the share of it in use, and what tells one rebuild's reading from another's. */
export interface RebuildLogReading {
  rows: number;
  used: number;
  /** The server's counters of the rebuild (rows logged, progress): a reading equal to one taken before a rebuild began is the previous rebuild's. */
  mark: string;
}

/** An object of the user's that depends on a table or column: `{ kind: 'view', name: 'active_users' }`. */
export interface Dependent {
  kind: string;
  name: string;
  /** The table holding it, where that is not the table depended on: `audit.log` for another schema's foreign key. */
  of?: string;
  /**
   * Not in the way: the server changes the column's type under it (MySQL/MariaDB's generated column over a type changed
   * in the catalog alone), and it keeps its own type — worth a note, not a refusal.
   */
  changedUnder?: boolean;
}

/**
 * Something a trigger's expression reads that roles writing its table read otherwise than xc's role, which plan
 * checks it as: `denied` (they lack the privilege: their writes fail), `rowSecurity` (a table whose policies show
 * them other rows: their rows get other values), `unseen` (a SECURITY INVOKER function whose body's reads the
 * server does not record: either may follow).
 */
export interface WriterReadIssue {
  kind: 'denied' | 'rowSecurity' | 'unseen';
  /** Described: `table secret`, `column secret.v`, `function f(integer)`. */
  object: string;
  /** `denied`: the privilege that would do, as GRANT takes it (`SELECT ON secret`, `EXECUTE ON FUNCTION f(integer)`). */
  privilege: string;
  roles: string[];
}

/** Everything that differs between servers; what they share, or derive from their facts, is BaseDialect's (base.ts). */
export interface Dialect extends Pick<BaseDialect, keyof BaseDialect> {
  readonly name: DialectName;
  /** DDL can run inside a transaction together with its journal row. */
  readonly transactionalDdl: boolean;
  /**
   * A UNIQUE constraint is nothing but its index (MySQL/MariaDB list every
   * unique index as one): dropping the index drops it. PostgreSQL keeps them
   * apart, and refuses DROP INDEX of an index a constraint owns.
   */
  readonly uniqueKeysAreIndexes: boolean;
  /**
   * A view (a rule, a materialized view) holds the columns it reads by identity, their types with them: the server
   * refuses to change a column's type under one (PostgreSQL). MySQL/MariaDB keep a view as text, read at each query.
   */
  readonly viewsHoldColumnTypes: boolean;
  /** A foreign key needs an index over its own columns, leading one (MySQL/MariaDB refuse to drop the last such index). */
  readonly foreignKeysNeedIndex: boolean;
  /**
   * A unique index over NOT NULL columns of a table without a primary key
   * becomes its clustered key (InnoDB), which then drops only by copying the
   * table under a write lock: a rollback could not drop such an index online.
   */
  readonly uniqueIndexMayCluster: boolean;
  /** The most key columns an index has (PostgreSQL's INDEX_MAX_KEYS, 32; MariaDB 32; MySQL 16), INCLUDE columns counted. */
  readonly maxIndexKeys: number;
  /**
   * Every row meets every foreign key the catalog shows as valid (PostgreSQL). MySQL/MariaDB: rows written with
   * foreign_key_checks=0 may break one, and nothing records it.
   */
  readonly foreignKeysTrusted: boolean;
  /**
   * A foreign key's ON UPDATE / ON DELETE action changes rows through the table's triggers (PostgreSQL: its RI
   * triggers run UPDATEs). MySQL/MariaDB run none for it: xc's triggers never see such a change.
   */
  readonly foreignKeyActionsRunTriggers: boolean;
  /**
   * The server refuses a foreign key whose ON DELETE / ON UPDATE is SET NULL over a NOT NULL column (MySQL/MariaDB:
   * "Incorrect options in FOREIGN KEY constraint"); PostgreSQL takes it, and fails the action when it runs (campaign DR:
   * every delete of a referenced parent). Refused at plan on both; this says in which words.
   */
  readonly setNullKeysNeedNullable: boolean;
  /** The statement that renames index `from` of `table` online, for the way a refusal names (an index is not a constraint). */
  renameIndexSql(table: string, from: string, to: string): string;
  /**
   * The statements, each for a `sql` operation of its own, that give foreign key `fk` of `table` the actions `changed`
   * online, the key enforced throughout, and the name it then has: for the way a refusal names (a SET NULL key over a
   * column made NOT NULL). Null where the server has no such statements (MySQL: its key is added online only with
   * foreign_key_checks off in the session, which a `sql` operation's pooled session would keep).
   */
  keyActionChange(table: string, fk: ForeignKeyModel, changed: Pick<ForeignKeyModel, 'onDelete' | 'onUpdate'>): { sql: string[]; name: string } | null;
  /**
   * A copy's new column gets the old column's column-level grants at expand (carryColumnPrivileges): PostgreSQL.
   * MySQL/MariaDB: none (grants are by name, which xc may neither read nor give).
   */
  readonly carriesColumnGrants: boolean;
  /**
   * The unique indexes the storage engine may cluster `table`'s rows by in
   * place of the primary key it lacks (InnoDB: the first UNIQUE index over
   * whole NOT NULL columns). Dropping such an index, or letting one of its
   * columns take NULL, changes the clustered key: the server does that only
   * by copying the table under a write lock. Several when several qualify
   * (which one the engine took depends on their order, which the model does
   * not keep); none where the table has a primary key, or the server has no
   * such rule (PostgreSQL).
   */
  implicitClusterKeys(table: TableModel): IndexModel[];
  /**
   * Why the server cannot build `index` of `table` online, each column of the
   * type `typeOf` gives (a copy's column its new type), or null. MariaDB
   * keeps a unique key over a TEXT/BLOB column without a prefix, or one
   * longer than InnoDB's longest key, as a hidden hash column ("long
   * unique"), which ALGORITHM=INPLACE cannot add (MySQL refuses such a key),
   * and refuses an index that is not unique past that length; PostgreSQL
   * builds any.
   */
  indexKeyIssue(table: TableModel, index: IndexModel, typeOf: (column: string) => string | undefined): string | null;
  /**
   * Why the server cannot change `column` (of `type`) of `table` between NULL and NOT NULL online (`toNotNull`:
   * NULL → NOT NULL), or null. MariaDB 10.11 refuses MODIFY … ALGORITHM=INPLACE, LOCK=NONE there ("Try
   * ALGORITHM=COPY" / "Try LOCK=SHARED": a table copy or a write lock) — see the MySQL implementation; PostgreSQL
   * changes the catalog only. `addedNotNull`: the column is one xc adds NOT
   * NULL from the start (the copy or shadow of a NOT NULL column), which
   * needs no such change where the type has a placeholder to add it with.
   */
  nullabilityIssue(table: TableModel, column: string, type: string, toNotNull: boolean, addedNotNull?: boolean): string | null;
  /**
   * Why the server would refuse `sql`, one of xc's own statements on `table` (as planned), with the algorithm and lock
   * it names, or null. MariaDB 10.11 adds or drops no column of a table with a FULLTEXT index or an indexed VIRTUAL
   * column without a table copy or a write lock, and rebuilds none with a SPATIAL index online — see the MySQL
   * implementation; PostgreSQL: null. The planner asks it of every step of every phase (engine/planner.ts).
   */
  alterIssue(table: TableModel, sql: string): string | null;
  /**
   * The DDL vocabulary for planning against `model` (the schema as it will be
   * just before the planned operations; the planner advances it in place).
   * MySQL reads it to restate whole columns and to drop what depends on one.
   */
  ddl(model: SchemaModel): Ddl;
  /**
   * Load what ddl() builds with (the engine does, before it plans): status and check never plan, so they never load
   * it (start-up time). Before it, ddl() throws. Idempotent.
   */
  loadDdl(): Promise<void>;

  quote(identifier: string): string;
  /** Name of one of xc's state tables, qualified: `"xc"."migrations"` or `` `xc_migrations` ``. */
  stateTable(name: string): string;
  /**
   * A state table's time column as SQL text, ISO 8601 UTC with `Z`
   * (`2026-11-29T18:48:12.076333Z`), NULL for NULL: the one way state times
   * are read, so no driver or session setting changes what `--json` shows.
   */
  stateTime(column: string): string;
  /**
   * The current time as a state table stores it, in every statement that
   * writes one (never a column's DEFAULT): stateTime reads it back the same
   * whatever session wrote it — the application's own pool, with its own
   * time zone, writes heartbeats.
   */
  readonly stateNow: string;
  /**
   * Idempotent statements creating every state table (each IF NOT EXISTS:
   * they complete a state an interrupted creation left part-made); run in
   * one transaction where DDL is transactional.
   */
  stateSchema(): string[];
  /**
   * Columns added to state tables after their first version (stateSchema creates them; a state an older xc made lacks
   * them): the commands that write one add it (StateStore.addColumns), and reads take a missing one for null.
   */
  stateColumnsAdded(): StateColumnAdded[];
  /** Which of STATE_TABLES are there (a kill -9 or a hand may have left some out). */
  stateTables(s: Session): Promise<string[]>;
  /** Every state table is there: only then is the state usable as it is. */
  stateExists(s: Session): Promise<boolean>;
  /**
   * Refuses (exit 2), reading only, a target xc cannot keep apart from
   * others: PostgreSQL's `--schema` that does not exist or cannot be used,
   * and a state written for the tables of another schema (postgres/state.ts).
   * `creating`: `xc init`, which may start a schema's own state. Absent on
   * MySQL, where the database is the target and holds its own state.
   */
  checkTarget?(s: Session, opts: { creating: boolean }): Promise<void>;
  /**
   * Why this server takes no writes of xc's, or should not, or null: a PostgreSQL hot standby, a MySQL/MariaDB
   * server in read_only (a replica, whose changes are its primary's: written as a user with SUPER or READ_ONLY
   * ADMIN, it would diverge from its primary silently; campaign AG-2). Reads only.
   */
  notPrimary?(s: Session): Promise<string | null>;
  /** Why the author expression `sql` would give a replica other values than the primary, as the server replicates it now, or null. Reads only. */
  replicationIssue?(s: Session, sql: string): Promise<string | null>;
  /** The schema the application's tables are in, recorded with each plan (PostgreSQL current_schema()). */
  targetSchema?(s: Session): Promise<string | null>;

  introspect(s: Session): Promise<SchemaModel>;
  /**
   * An author expression as it is embedded in xc's statements, some of which
   * bind `?` parameters: the same expression, spelled so the driver cannot
   * take any part of it for a placeholder (PostgreSQL's jsonb `?`).
   */
  embedExpression(expr: string): string;
  /**
   * Queries that compile an author expression over typed NULL columns (see
   * compileExpression), run in order, each sent as one statement.
   */
  expressionQueries(check: ExpressionCheck): string[];
  /**
   * An empty temporary table of the row's columns and one of `check.castTo`, made before the read-only transaction
   * and dropped after, and `store`: an UPDATE of it, LIMIT 0, assigning the expression to that column — no row, so
   * nothing is computed, yet the server resolves every name and checks the assignment (MariaDB refuses an int for a
   * uuid or inet6 column when the statement starts, where CAST takes it). Run after expressionQueries; and, for an
   * expression the read-only transaction refused to compile because it calls something that writes (MySQL/MariaDB
   * open a stored function's tables for writing before anything runs), in a transaction rolled back after, as the
   * only compile such an expression can have. Where the session cannot make it (no CREATE TEMPORARY TABLES:
   * campaign AF-1) the check goes without it. `evaluate`, run last in the read-only transaction: the value computed
   * once over a row of NULLs, only a refusal of types counted (MariaDB checks a stored function's parameter types when
   * it is called, campaign EC: `down: "rd(ip6)"`, rd taking an int, failed every write the trigger computed it for).
   */
  valueTable?(check: ExpressionCheck): (StandIn & { store: string; evaluate?: string }) | undefined;
  /**
   * Statements run before those queries, in their transaction while it can
   * still write (then `readOnlyFromHere` makes it read-only): the temporary
   * table a value is stored into, so it converts as storing it does
   * (PostgreSQL). Rolled back with the transaction.
   */
  expressionSetup?(check: ExpressionCheck): string[];
  /** An empty table of `table`'s name and columns, for an expression compiled before the plan creates it (StandIn). */
  standInTable?(table: TableModel): StandIn;
  /** Statement making the current transaction read-only from here on, where the server can (PostgreSQL). */
  readonly readOnlyFromHere?: string;
  /**
   * Why `expr` cannot be a default of a column of `type` as the server reads
   * a default (MySQL: a subquery, a literal the type does not take), or
   * null; after the expression compiled. Changes nothing.
   */
  defaultIssue?(s: Session, type: string, expr: string): Promise<string | null>;
  /**
   * Why the expression cannot stand where `check.declared` puts it, as the
   * server reads DDL (on an empty temporary table of the columns), or null;
   * after the expression compiled. Changes nothing.
   */
  declaredIssue?(s: Session, check: ExpressionCheck): Promise<string | null>;
  /** Why the server would not build the index (on an empty temporary table of the columns), or null. Changes nothing. */
  indexBuildIssue?(s: Session, check: IndexBuildCheck): Promise<string | null>;
  /**
   * Why what `alters` (the expand's own ALTER TABLE … ADD COLUMN / ADD INDEX statements) add to `table` takes it
   * past a limit of the server — its longest row, its most columns or indexes — or null. Changes nothing.
   */
  tableGrowthIssue?(s: Session, table: string, alters: string[]): Promise<string | null>;
  /**
   * Why this session could not run an operation's `statements` (xc's own, every phase's) on `table`: PostgreSQL,
   * it is neither the table's owner nor a member of the owner's role; MySQL, a privilege they ask for (ALTER,
   * TRIGGER, LOCK TABLES …) is granted neither on the table, its database nor globally. Null when nothing is
   * missing, for a table the catalog does not have yet, and where the grants cannot be read for sure. Changes nothing.
   */
  cannotAlter?(s: Session, table: string, statements: string[]): Promise<string | null>;
  /**
   * What in an author expression would change the session it runs on —
   * settings, session locks, connections (PostgreSQL `set_config`,
   * `pg_advisory_lock`; MySQL `GET_LOCK`, `@v := …`) — in words, each with
   * why it is refused: xc's sessions and the application's (a trigger runs
   * on them) would carry it into their next statements.
   */
  sessionChanges(sql: string): string[];
  /**
   * Why an author expression cannot be embedded in xc's statements as it
   * is, from its text alone (PostgreSQL: it ends inside a literal or comment
   * that would take in what xc writes after it), or null.
   */
  textIssue?(sql: string): string | null;
  /**
   * Of the functions an expression calls (lower-cased names), those whose
   * value may change between two calls with the same arguments: PostgreSQL
   * asks pg_proc (a name every overload of which is not IMMUTABLE); MySQL has
   * no such catalog, so a known list.
   */
  volatileFunctions(s: Session, names: string[]): Promise<string[]>;
  /**
   * The roles that read `table` by column grants alone (SELECT on some columns, none on the table, nor on its schema
   * or database on MySQL): a whole-row read of theirs (`SELECT *`, a function over the row) needs every column, so a
   * column added without their grants denies it. Only the grants xc's user can see (MySQL's information_schema).
   */
  columnOnlyReaders(s: Session, table: string): Promise<string[]>;
  /**
   * What a trigger's expression over `table` reads (tables, columns, sequences, functions) that roles writing the
   * table may not, or read otherwise than xc's role does, with those roles; null where it cannot tell. Only where a
   * trigger runs with the rights of the role that writes (PostgreSQL); absent where it runs as its definer, xc's role,
   * which plan checks already.
   */
  deniedToWriters?(s: Session, check: ExpressionCheck, table: string): Promise<WriterReadIssue[] | null>;
  /**
   * Why `type` is not one SQL type this server knows, or null. Asked before
   * any expression is compiled as that type, so a type is never pasted into
   * SQL until the server has read it as exactly one type. Changes nothing.
   */
  typeIssue(s: Session, type: string): Promise<string | null>;
  /**
   * A syntax error in `sql` (statements, parsed and not run), or null:
   * PostgreSQL parses it as a PL/pgSQL body, MySQL/MariaDB as a prepared
   * statement (exactly one: several are a syntax error there, as at apply).
   * Errors other than syntax (an unknown table an earlier statement creates)
   * are not reported: those statements meet the server at apply.
   */
  sqlSyntaxIssue?(s: Session, sql: string): Promise<string | null>;
  /**
   * Why an author's raw SQL (one field of a `sql` operation) would fail at
   * apply as xc runs it, read from its text alone, or undefined: PostgreSQL —
   * a statement it runs only outside a transaction block (CREATE INDEX
   * CONCURRENTLY) among several, which run as one transaction.
   */
  rawSqlIssue?(sql: string): string | undefined;
  /** Statement starting a read-only transaction. */
  readonly beginReadOnly: string;
  /**
   * A query whose one value is the same for as long as the current
   * transaction lasts and differs in the next (PostgreSQL: its start time):
   * proof that an author's text did not end the transaction it was checked in.
   */
  readonly transactionMark?: string;

  /** Statements bounding lock waits for the rest of the current DDL transaction (where DDL is transactional). */
  lockTimeout(ms: number): string[];
  /** The session variables bounding lock waits of a step run outside a transaction, for setSession. */
  sessionLockTimeout(ms: number): SessionValues;
  /**
   * The advisory-lock session's variables, for setSession: a label others can
   * name it by (PG application_name), and no idle timeout (it idles for
   * minutes while other sessions work).
   */
  lockSession(label: string): SessionValues;
  /**
   * The session variables that keep a connection of xc's own pool from being
   * closed by the server for idling (PG idle_session_timeout, MySQL
   * wait_timeout), for setSession: a part waits for another, a pass for a
   * lock, for longer than an application's idle limit may allow.
   */
  keepAlive(): SessionValues;
  /**
   * What a connection of xc's own pool is set to for its life, beside keepAlive: the settings a server, database or
   * role may give every session that would make xc's statements mean something else (campaign AC) — PostgreSQL rows
   * hidden by FORCE ROW LEVEL SECURITY (off: an error instead of a backfill and a verify that saw no row),
   * backslashes in xc's literals read as escapes, serializable transactions failing its parallel batches; a
   * MySQL/MariaDB server-wide autocommit=0 (a retire never committed, xc's own verify holding a metadata lock).
   */
  ownConnection(): SessionValues;
  /**
   * Set session variables (names the server does not know are skipped) and
   * return what puts back the values they had. By value, never `RESET` or
   * `DEFAULT`: the pool may be the application's, and what it set on its
   * session (a lock_timeout, its `app@version` application_name, which the
   * deploy gate reads) must be there when xc gives the session back.
   */
  setSession(s: Session, values: SessionValues): Promise<SessionRestore>;
  /** Clear xc's own user variables a step may leave on a session (MySQL `@xc_violation`). */
  resetSession(): string[];
  /**
   * Lift, on this session only, the time limit the server, the database or
   * the role puts on every statement (see db/statementLimit.ts). Returns the
   * statements putting it back as it was; none when there was no limit.
   */
  liftStatementLimit(s: Session): Promise<SessionRestore>;
  /**
   * Bound, on this session only, how long any statement waits for a lock to
   * at most `ms` (never lengthened; see db/statementLimit.ts). The servers'
   * default waits are unbounded in practice (PostgreSQL's lock_timeout is
   * off, MySQL's lock_wait_timeout a day or a year): a state write queued
   * behind a backup lock, or a read of a table an application locked before
   * xc began, would otherwise outwait every budget. Returns what puts the
   * values back. Absent where one session serves all (PGlite).
   */
  boundLockWaits?(s: Session, ms: number): Promise<SessionRestore>;
  /**
   * Gave up waiting for a lock, was chosen as a deadlock's victim, or lost a
   * race for a catalog row to another session's DDL (PostgreSQL "tuple
   * concurrently updated"): nothing was done but a leftover the step's cleanup
   * removes, a retry is right.
   */
  isLockTimeout(err: unknown): boolean;
  /** The server refused to create an object because one of that name exists (table, column, index, constraint...). */
  isDuplicateObject(err: unknown): boolean;
  /** A row's key taken already (a unique violation): a concurrent writer of the same row won. */
  isDuplicateKey(err: unknown): boolean;
  /** A statement named a column its table does not have. */
  isUndefinedColumn(err: unknown): boolean;
  /** A statement stopped by the time limit timeBoundedRead set. */
  isStatementTimeout(err: unknown): boolean;
  /**
   * The statements that run read-only query `sql` stopped by the server after `ms` (plan's row checks): `before` and
   * `after` it, in its transaction, and the query as it is then written.
   */
  timeBoundedRead(sql: string, ms: number): { before: string[]; sql: string; after: string[] };
  /** What a user can do about a failed statement the server explains poorly (appended to the step's error), or null. */
  failureHint?(err: unknown): string | null;
  /**
   * Statements taking, in a DDL transaction, the locks of several of its
   * statements at once, before the first runs (tables that do not exist yet
   * are skipped); where DDL is not transactional, absent.
   */
  lockTables?(tables: string[]): string[];
  /**
   * Statements that start a backfill transaction, in which the named xc
   * triggers stand aside (the backfill writes both shapes itself). `target`:
   * the table and the columns the batch assigns (PostgreSQL skips the
   * trigger machinery where nothing else would fire).
   */
  backfillSession(lockTimeoutMs: number, bypass: string[], target: BackfillTarget): string[];
  /** Statements that end a backfill transaction's session settings (run after COMMIT or ROLLBACK). */
  backfillSessionEnd(bypass: string[]): string[];
  /**
   * Sessions waiting, right now, for a lock this session's transaction holds:
   * the application's writes a backfill batch holds up, counted before its
   * COMMIT (the batch sizer shrinks batches that block, sizer.ts). Where the
   * server cannot tell them apart cheaply and fresh, every row-lock wait on
   * the server (MySQL): an upper bound, which errs toward smaller batches.
   */
  lockWaiters(s: Session): Promise<number>;
  /** SQL true when `column` holds the value of `expr` (NULL equal to NULL), compared as `type`. */
  sameValue(column: string, expr: string, type: string): string;
  /** `expr` as a column of `type` would hold and compare it, its collation included (a unique key's duplicates under a new type). */
  storedAs(expr: string, type: string): string;
  /**
   * The conversion a column (quoted) changed in place from `from` to `to` gets without `up`: the one value the
   * fill, the trigger, the backfill and the verify all agree on (MySQL: conversions.ts); the column itself where
   * storing it converts as the comparison does (PostgreSQL: always).
   */
  defaultConversion(column: string, from: string, to: string): string;
  /** Rows that conversion cannot store (SQL true for one), what they should hold, and an `up` to suggest; undefined where every value converts. */
  conversionIssue(column: string, from: string, to: string): ConversionIssue | undefined;
  /**
   * SQL true when the sequence feeding the column (PostgreSQL: an identity's or serial's) has handed out a value
   * `type` cannot hold: the cut-over would re-make it past its bounds, and new rows would get keys the column
   * cannot store. Undefined where no such sequence can outlive the change (MySQL/MariaDB: an AUTO_INCREMENT key's
   * type change is refused at plan).
   */
  sequencePastType(table: string, column: string, type: string): string | undefined;
  /**
   * Keyset condition `(a, b) > (x, y)` (or `<=`) in a form the server
   * range-scans; `order[i]` is the index of the key value the i-th `?` takes
   * (MariaDB needs the expanded form, which uses a value more than once).
   */
  keyCondition(columns: string[], op: '>' | '<=', forms?: KeyForms): { sql: string; order: number[] };
  /** The expression as text, exactly (keyset cursors are kept as text). */
  castText(expr: string): string;
  /** A column of any type as text, to show a row in a message (castText refuses some: MariaDB a geometry). */
  shownText(expr: string): string;
  /** What `index` keys of `column` when `value` is stored in it: `value`, or the prefix a MySQL key takes (`nick`(3)). */
  indexKeyOf(index: IndexModel, column: string, value: string): string;
  /**
   * How a key column of `type` is read into a cursor and compared with one, where its exact text would not
   * compare in the index's order; undefined: as its text (every type on PostgreSQL).
   */
  keyForm(type: string): KeyForm | undefined;
  /** A key column (quoted) read as a cursor holds it: its exact text, or the `form`'s. */
  keyText(column: string, form?: KeyForm | null): string;
  /** The placeholder a cursor's value is bound to, compared with a key column of `form`. */
  keyParam(form?: KeyForm | null): string;
  /**
   * Why a foreign-key column of `childType` cannot reference one of
   * `parentType`, or undefined when it can. MySQL wants integer and decimal
   * types to match exactly (int cannot reference bigint); PostgreSQL only
   * needs them comparable.
   */
  foreignKeyTypeIssue(childType: string, parentType: string): string | undefined;
  /** Sessions other than this one running a statement right now: the load `--max-load` compares. */
  load(s: Session): Promise<number>;
  /** Bytes of WAL (PostgreSQL) or redo log (InnoDB) written up to now, from a fixed point: `--max-wal-rate` divides the difference of two readings by the time between them. */
  logPosition(s: Session): Promise<number>;
  /**
   * Rows inserted, updated or deleted in `table` since a point the server may
   * move (InnoDB resets it when it recalculates the table's statistics), or
   * undefined where it keeps no count: a step with `ifBusy` divides the
   * difference of two readings by the time between them (engine/busy.ts).
   * Only dialects whose plans have `ifBusy` steps need it.
   */
  rowsWritten?(s: Session, table: string): Promise<number | undefined>;
  /**
   * The row log of the online rebuild running now: the rows it holds and how
   * full it is, 0..1 of its capacity (`innodb_online_alter_log_max_size`),
   * with a mark that changes when a new rebuild starts; undefined where the
   * server does not say (MariaDB's `Innodb_onlineddl_*` status; MySQL has
   * none). Server-wide: it is the last rebuild's to start, whichever table.
   */
  rebuildLog?(s: Session): Promise<RebuildLogReading | undefined>;
  /** The server gave up a statement for the writes its table took while it ran (MySQL 1799, the online rebuild's row log full): nothing changed. */
  isOverwhelmed?(err: unknown): boolean;
  /** Cancels the statement session `sessionId` is running, if any (MySQL `KILL QUERY`): a step's `ifBusy` watcher (engine/busy.ts). */
  cancel?(s: Session, sessionId: number): Promise<void>;
  /** VACUUMs running on `table` now, autovacuum or not (PostgreSQL); undefined where the database has none to watch (MySQL). */
  vacuumsOn(s: Session, table: string): Promise<number | undefined>;
  /** Replica lag's marks on the primary and their reading on replicas (`--max-replica-lag`): dialects/<db>/replicas.ts. */
  replicaHeartbeat(primary: Session): Promise<ReplicaHeartbeat>;
  /** The planner's row count of a table, for progress and ETA; null when it has none (never analyzed). */
  estimateRows(s: Session, table: string): Promise<number | null>;
  /**
   * The server's count of a table's live rows, which a backfill's own updates do not change (PostgreSQL's reltuples as
   * VACUUM or ANALYZE left it: estimateRows scales by the table's pages, which those updates double); null when it has none.
   */
  liveRows(s: Session, table: string): Promise<number | null>;
  sessionId(s: Session): Promise<number>;
  /**
   * Before a DDL statement needs its metadata lock: sessions that would make it
   * wait (e.g. long transactions that touched the tables). When any are found
   * the attempt counts as a lock timeout — retried, and exit 5 naming them —
   * instead of queueing every application query behind the waiting DDL.
   */
  preflight?(s: Session, tables: string[], lockTimeoutMs: number): Promise<Blocker[]>;
  /** Sessions blocking `sessionId`, or holding locks on `tables`. */
  /** `ours`: sessions of xc's own (Driver.ownSessions), never named. */
  blockers(s: Session, sessionId: number | null, tables: string[], ours?: readonly number[]): Promise<Blocker[]>;
  /** Why blockers() may miss the holder (MySQL: a user without PROCESS sees only its own sessions), or null. */
  blockersHidden?(): string | null;

  tryAdvisoryLock(s: Session, key: string): Promise<boolean>;
  releaseAdvisoryLock(s: Session, key: string): Promise<void>;
  /**
   * The user's objects that depend on `table` (other relations only), or on
   * its `column`: views, materialized views, generated columns, policies,
   * triggers whose body names the column — xc's own triggers excepted — and
   * foreign keys of tables the model does not show (another schema's).
   * `keepsName`: the column is changed in place and keeps its name: those that reach it by name only (MySQL's views
   * and triggers, stored as text) are not its dependents then; PostgreSQL's reach it by identity.
   * `inCatalog`: the column's type is changed in the catalog alone, every value as it was (a varchar widened, an ENUM
   * given a member): MySQL/MariaDB change it under a generated column (INSTANT), which comes back `changedUnder`;
   * PostgreSQL refuses to.
   */
  dependents(s: Session, table: string, column?: string, keepsName?: boolean, inCatalog?: boolean): Promise<Dependent[]>;
  /**
   * The user's objects that reach `table` by its name in their text, not by a reference the server keeps
   * (PostgreSQL: trigger and other functions with a body of text; MySQL/MariaDB: views, triggers, routines):
   * they follow no rename, and fail once the name is gone. xc's own excepted.
   */
  nameDependents(s: Session, table: string): Promise<Dependent[]>;
  /**
   * The user's row triggers on `table` that fire BEFORE an INSERT or UPDATE after xc's trigger `trigger` would, and
   * may change the row: what they set would not reach the columns xc's trigger derives (PostgreSQL fires them in name
   * order; MySQL/MariaDB in creation order, so xc's, created last, fires last: none).
   */
  triggersFiringAfter(s: Session, table: string, trigger: string): Promise<string[]>;
  /**
   * The user's row triggers on `table` that an UPDATE setting `written` fires (xc's own excepted), each as `"name"
   * (TIMING UPDATE…)`: the backfill's batches fire them for every row they write.
   */
  updateRowTriggers(s: Session, table: string, written: string[]): Promise<string[]>;
  /** Which of the triggers named (as the catalog has them) exist in the schema. */
  triggersPresent(s: Session, names: string[]): Promise<Set<string>>;
  /** Whether this session still holds the advisory lock (false, or an error, once the session was ended). */
  holdsAdvisoryLock(s: Session, key: string): Promise<boolean>;
  /** Who holds the advisory lock, in words, if it can be seen. */
  advisoryLockHolder(s: Session, key: string): Promise<string | null>;
  /**
   * Names the application's sessions on this database give themselves
   * (`app@version`), as the deploy gate's third kind of evidence: PostgreSQL
   * `application_name` in pg_stat_activity; MySQL the `program_name`
   * connection attribute where the server shows it.
   */
  applicationSessions(s: Session): Promise<string[]>;
  /**
   * How applicationSessions shows a session that named itself `name`: PostgreSQL keeps 63 bytes of an
   * application_name and turns every byte outside printable ASCII into `?` (`café` → `caf??`); MySQL as given.
   */
  sessionNameShown(name: string): string;
  /** What applicationSessions cannot see on this server, in words (`deploy list`'s warning); absent or null: nothing. */
  sessionEvidenceGap?(s: Session): Promise<string | null>;
}

/**
 * The vocabulary with every statement that removes something marked
 * (`removing`): a table, a column, the old name of a table, an index, a
 * constraint, a NOT NULL's freedom, the sync between two shapes (after it,
 * the new version's writes reach only the new column, which a rollback
 * drops), or whatever an author's raw SQL does.
 * Once such a step of a contract has run, the migration can only be
 * finished; before, a failed contract can still be rolled back. An operation
 * unmarks what it does to a column the old version never had (`onNewColumn`).
 */
export function markRemovals(ddl: Ddl): Ddl {
  return {
    ...ddl,
    dropTable: (...a) => removing(ddl.dropTable(...a)),
    dropOldTableName: (...a) => removing(ddl.dropOldTableName(...a)),
    dropColumn: (...a) => removing(ddl.dropColumn(...a)),
    dropIndex: (...a) => removing(ddl.dropIndex(...a)),
    dropConstraint: (...a) => removing(ddl.dropConstraint(...a)),
    enforceNotNull: (...a) => removing(ddl.enforceNotNull(...a)),
    swapColumns: (...a) => removing(ddl.swapColumns(...a)),
    alterColumnInCatalog: (...a) => removing(ddl.alterColumnInCatalog(...a)),
    raw: (...a) => removing([ddl.raw(...a)])[0]!,
    syncTrigger: (spec) => {
      const steps = ddl.syncTrigger(spec);
      return { ...steps, drop: removing(steps.drop) };
    },
  };
}

/**
 * An empty temporary table standing in for one the plan creates before an expression reading it runs. Without `drop`,
 * made in the read-only transaction's setup and gone with it (PostgreSQL); with it, made before that transaction and
 * dropped after (MySQL/MariaDB cannot make a transaction read-only once it wrote). A temporary table hides a table of
 * its name on its session: one left behind would be read in the real one's place, so a failed drop is thrown.
 */
export interface StandIn {
  create: string;
  drop?: string;
}

/** Run `fn` in readOnly() with `standIns` in place (StandIn), `setup` after them. */
export async function withStandIns<T>(s: Session, dialect: Dialect, standIns: StandIn[], setup: string[], fn: () => Promise<T>): Promise<T> {
  return outsideStandIns(s, standIns, () => readOnly(s, dialect, fn, [...standIns.filter((t) => t.drop === undefined).map((t) => t.create), ...setup]));
}

/**
 * Run `fn` with the stand-ins made before a transaction (those with `drop`) in place, dropped after (a failed drop
 * thrown: see StandIn). One that cannot be made is thrown, or, given `unmade`, gives its value instead of `fn`'s.
 */
async function outsideStandIns<T>(s: Session, standIns: StandIn[], fn: () => Promise<T>, unmade?: () => T): Promise<T> {
  const made: StandIn[] = [];
  try {
    for (const t of standIns.filter((x) => x.drop !== undefined)) {
      try {
        await s.query(t.create, undefined, { single: true });
      } catch (err) {
        if (unmade === undefined) throw err;
        return unmade();
      }
      made.push(t);
    }
    return await fn();
  } finally {
    for (const t of made) await s.query(t.drop!, undefined, { single: true });
  }
}

/**
 * How long plan reads rows for one check, or computes an expression once (XC_PLAN_ROW_READ_MS, default 30 s). A
 * check over a `sql` backfill's rows reads them as that backfill leaves them, in one query: an `EXISTS` over an
 * unindexed column made it quadratic, and plan ran for more than 10 minutes on 51k rows (campaign DL); an `up` with
 * a window over a large table computed once ran as long, and went on after xc was stopped (campaign EJ). Past it, a
 * check is noted, not done; a value not computed is left to the backfill.
 */
export const planReadMs = () => Number(process.env.XC_PLAN_ROW_READ_MS) || 30_000;

/**
 * Compile an author expression against the database without touching data,
 * inside a read-only transaction that is rolled back; the error text, or null.
 */
export async function compileExpression(s: Session, dialect: Dialect, check: ExpressionCheck, standIns: StandIn[] = []): Promise<string | null> {
  let error: string | null = null;
  const value = dialect.valueTable?.(check);
  const made = value !== undefined && (await s.query(value.create, undefined, { single: true }).then(() => true, () => false));
  try {
    await withStandIns(s, dialect, standIns, dialect.expressionSetup?.(check) ?? [], async () => {
      // Where the queries compute the value (check.evaluate), they run once each, bounded like the value table's.
      for (const sql of dialect.expressionQueries(check)) await (check.evaluate ? timeBounded(s, dialect, sql) : s.query(sql, undefined, { single: true }));
      if (made) await s.query(value.store, undefined, { single: true });
      if (made && value.evaluate) await timeBounded(s, dialect, value.evaluate);
    });
  } catch (err) {
    if (err instanceof EscapedTransactionError) throw err;
    // Not computed within planReadMs (the forty-third session: a constant `up` over a triple join ran on, on both
    // servers): compiled already (a server plans a statement before it runs it), its value is left to the backfill.
    const timedOut = dialect.isStatementTimeout(err);
    // Refused because it writes (nextval; on MySQL/MariaDB a stored function that writes, before anything runs): where
    // the check allows, compiling it is all plan can do — by the value table's store where there is one, and where
    // there is none (no CREATE TEMPORARY TABLES, campaign EC) not at all, as the README says: skipped, not failed.
    const writes = dialect.isReadOnlyRefusal(err) && check.evaluate !== 'required';
    const stored = writes && made ? await storedWriting(s, value.store, standIns) : undefined;
    if (stored) error = stored;
    else if (!writes && !timedOut) error = (err as Error).message ?? String(err);
  } finally {
    if (made) await s.query(value.drop!, undefined, { single: true });
  }
  // Compiled (or computed) as a value, a default still meets the server's own rules for defaults (MySQL: no stored function).
  if (error === null && check.columnDefault && check.castTo && dialect.defaultIssue) error = await dialect.defaultIssue(s, check.castTo, check.sql);
  if (error !== null && check.columnDefault) error += bareWordHint(check.sql, check.castTo);
  if (error !== null && check.castTo) error = withoutProbe(error, check.sql, check.castTo, check.columnDefault === true);
  return error !== null && check.explain ? check.explain(error) : error;
}

/** One statement run within planReadMs: the server stops it there (Dialect.timeBoundedRead), not only xc's wait. */
async function timeBounded(s: Session, dialect: Dialect, sql: string): Promise<void> {
  const bound = dialect.timeBoundedRead(sql, planReadMs());
  for (const st of bound.before) await s.query(st);
  try {
    await s.query(bound.sql, undefined, { single: true });
  } finally {
    for (const st of bound.after) await s.query(st).catch(() => undefined);
  }
}

/**
 * `store` (Dialect.valueTable) outside the read-only transaction, which refused to compile it, in one rolled back:
 * it updates no row of a temporary table, so nothing of the expression runs. Its error, null, or undefined where the
 * tables it reads before the plan makes them could not be stood in.
 */
async function storedWriting(s: Session, store: string, standIns: StandIn[]): Promise<string | null | undefined> {
  // One made inside a read-only transaction (PostgreSQL's) cannot be had here.
  if (standIns.some((t) => t.drop === undefined)) return undefined;
  const stored = async () => {
    await s.query('BEGIN');
    try {
      await s.query(store, undefined, { single: true });
      return null;
    } catch (err) {
      return (err as Error).message ?? String(err);
    } finally {
      await s.query('ROLLBACK');
    }
  };
  return outsideStandIns<string | null | undefined>(s, standIns, stored, () => undefined);
}

/**
 * The server's words name plan's probe — PostgreSQL's column `value`, MySQL/MariaDB's variable `xc_value` — which
 * the author never wrote: said of the expression and the type it stands for. PostgreSQL's "column "value" is of type
 * jsonb but expression is of type text" (an in-place text → jsonb change given no `up`, campaign BY) gets the cast
 * to write (a default's own words are left: bareWordHint reads them); MySQL's "Out of range value for column
 * 'xc_value'" (campaign BW) names the column's type.
 */
function withoutProbe(error: string, sql: string, castTo: string, isDefault: boolean): string {
  const m = isDefault ? null : /^column "value" is of type (.+) but expression is of type (.+)$/.exec(error);
  if (m) return `${sql.trim()} is of type ${m[2]}, which ${m[1]} takes only by an explicit cast: write it, e.g. CAST(${sql.trim()} AS ${castTo.trim()})`;
  return error
    .replace(/\bcolumn [`'"]xc_value[`'"]/g, `${castTo.trim()} (the column's type)`)
    .replace(/\bin assignment of (`[^`]*`\.)?`xc_value_check`\.`[^`]*`/g, `in assignment to ${castTo.trim()} (the column's type)`);
}

/**
 * A default the server refused that is one bare word (`"default": "free"`) was meant as a text value far more often
 * than as a name (campaign AV: "column reference in DEFAULT", "Unknown column 'free'"): say how to quote it.
 */
function bareWordHint(sql: string, type?: string): string {
  const word = /^\(*\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)*$/.exec(sql)?.[1];
  // TRUE, FALSE and NULL are values: what the server said of one (a boolean for an int) is the whole story (campaign BG).
  if (word === undefined || /^(true|false|null)$/i.test(word)) return '';
  // Only where quoting is the way: a time's `now` quoted is the moment the default was set, for every row after (campaign BD).
  if (type !== undefined && /date|time/i.test(type) && !/char|text/i.test(type)) {
    return /^(now|today|current)$/i.test(word) ? ` — ${word} reads as a name, not a value: for the time of each insert write "now()" or "CURRENT_TIMESTAMP" (a quoted '${word}' would be read once, as the default is set)` : '';
  }
  // YAML 1.1's booleans are text to YAML 1.2, which xc reads (campaign BK: `default: yes`, "Unknown column 'yes'").
  if (type !== undefined && /^\s*(bool|boolean|tinyint\s*\(\s*1\s*\)|bit(\s*\(\s*1\s*\))?)\s*$/i.test(type) && /^(yes|no|on|off|y|n)$/i.test(word)) return ` — ${word} reads as a name, not a value (YAML 1.2 takes it as text, not as a boolean): write true or false`;
  if (type !== undefined && !/char|text|enum|set\s*\(|string|clob/i.test(type)) return '';
  return ` — ${word} reads as a name, not a value: a text default is quoted as SQL quotes it ("default": "'${word}'")`;
}

/** An author's text ended plan's read-only transaction: never expected (texts run as one statement), never ignored. */
export class EscapedTransactionError extends Error {}

/**
 * Run `fn`, which runs SQL holding an author's text (one statement each), in
 * a read-only transaction that is always rolled back, and prove afterwards
 * that it is the same transaction: nothing it ran can have been committed.
 */
export async function readOnly<T>(s: Session, dialect: Dialect, fn: () => Promise<T>, setup: string[] = []): Promise<T> {
  const mark = async () => (dialect.transactionMark ? JSON.stringify((await s.query(dialect.transactionMark)).rows) : '');
  let before = '';
  let failure: unknown;
  try {
    // `setup` creates what `fn` stores into (temporary, one statement each), before the transaction turns read-only.
    if (setup.length > 0) {
      if (!dialect.readOnlyFromHere) throw new Error(`${dialect.name} cannot make a transaction read-only after it wrote: no setup`);
      await s.query('BEGIN');
      for (const sql of setup) await s.query(sql, undefined, { single: true });
      await s.query(dialect.readOnlyFromHere);
    } else {
      await s.query(dialect.beginReadOnly);
    }
    before = await mark();
    return await fn();
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // After an error the transaction is aborted (PostgreSQL) and answers nothing; it was open, or the error would say so.
    if (failure === undefined && (await mark()) !== before) {
      await s.query('ROLLBACK').catch(() => undefined);
      // eslint-disable-next-line no-unsafe-finally
      throw new EscapedTransactionError('an expression ended the read-only transaction it was checked in; refusing to go on');
    }
    await s.query('ROLLBACK');
  }
}

/** The table a backfill batch updates and the columns it assigns. */
export interface BackfillTarget {
  table: string;
  columns: string[];
}
