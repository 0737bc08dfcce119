/**
 * What operations hand the DDL vocabulary (Ddl in dialect.ts): triggers, index
 * and table specs, the in-place cut-over's column swap. Plain data, shared by
 * both dialects.
 */
import type { ColumnModel, IndexKey, IndexModel } from '../schema/model.js';
import type { PlannedForeignKey } from '../schema/planned.js';
import type { Column, TableConstraint } from '../migration/schema.js';
import type { Step } from '../plan/index.js';

/**
 * An index the migration builds: one addIndex makes, or a copy over a column
 * of a new type (a type change through a copy or a shadow column). Built by
 * plan on an empty temporary table of the columns (Dialect.indexBuildIssue):
 * a method, operator class, collation, storage parameter or key the server
 * refuses there would otherwise fail apply after the DDL before it.
 */
export interface IndexBuildCheck {
  path: (string | number)[];
  table: string;
  index: IndexModel;
  /** The table's columns, each of the type it has when the index is built. */
  columns: { name: string; type: string }[];
  /** The problem in the author's terms, given the server's error. */
  explain: (error: string) => string;
}

/** Two columns kept equal both ways by triggers while both shapes are live. */
export interface SyncTriggerSpec {
  /** Unique name for the trigger (and function) of this operation. */
  name: string;
  table: string;
  oldColumn: string;
  newColumn: string;
  /** SQL over the row's columns computing the new column from the old shape. */
  up: string;
  /** SQL over the row's columns computing the old column from the new shape. */
  down: string;
  /** Default the old column had. */
  oldDefault: string | null;
  /**
   * The old column keeps that default through dual-write, so a write naming
   * it with the `DEFAULT` keyword gets it (Ddl.keepsDefaultThroughSync). On
   * INSERT only the new version names the new column, so where both sides
   * are set the new one wins. Otherwise the column has none meanwhile and
   * the trigger applies it, where an INSERT leaves both sides NULL.
   */
  oldKeepsDefault?: boolean;
  /**
   * That default as the old column stores it (Dialect.storedAs), where the trigger can compare the column with
   * it exactly: a constant, in a type whose `=` is exact (integers, decimals, strings, booleans, uuid). An INSERT
   * setting both sides is then read as the new version's only where the old side holds it. One setting both to
   * other values that disagree (an old version writing back a row it read with `SELECT *`, the new column
   * included) cannot be told from the new version's: both are kept, and the verify names the row. Absent: the
   * new side wins wherever both are set (a time default the writer's zone or rounding makes, floats, money…).
   */
  oldDefaultStored?: string;
  /**
   * The new column may hold NULL once contracted (undefined: it may). Decides
   * an INSERT that leaves both sides NULL: only an old writer can have
   * written it when the new column may not be NULL.
   */
  newNullable?: boolean;
  /** Every column the row has while the trigger is installed (old and new). */
  columns: string[];
  /** The columns' types: how a change of each is told (PostgreSQL: json or point have no `=`). */
  oldType?: string;
  newType?: string;
  /**
   * The server sets the old column on every UPDATE that changes the row (MySQL ON UPDATE CURRENT_TIMESTAMP) and
   * it keeps its default: the new column, which has neither until contract, changed only where the new version
   * named it, and then wins.
   */
  oldAutoUpdated?: boolean;
}

/** One column filled from an expression when a write leaves it NULL. */
export interface FillTriggerSpec {
  name: string;
  table: string;
  column: string;
  /** The column's type, where the schema does not have the column yet (a shadow, a column being added). */
  type?: string;
  expr: string;
  columns: string[];
  /**
   * Columns `expr` reads, for a column derived from them (addColumn's `up`):
   * an UPDATE that changes one of them and leaves the column as it was
   * computes the column again, so it never goes stale. Absent: only NULLs
   * are filled (setNotNull's `up`, dropColumn's `down`).
   */
  recomputeOn?: string[];
  /**
   * Fill only rows being inserted (dropColumn's `down`: a new writer omits
   * the column; an UPDATE leaves the row's value, NULL included, as it was).
   */
  insertOnly?: boolean;
  /**
   * Compute the column on every INSERT and UPDATE, whatever the write gave it:
   * a shadow column no application writes (operations/shadow.ts), which must
   * always be `expr` of the row.
   */
  always?: boolean;
}

/** A constraint as a convert trigger tests it on the row being written (ConvertTriggerSpec). */
export type ConstraintTest =
  /** Broken when the expression (over the row's columns) is FALSE. */
  | { kind: 'check'; expression: string }
  /**
   * Broken when no key column is NULL (with `nullsNotDistinct`, PostgreSQL 15: NULLs too) and another row holds the
   * same key (PRIMARY KEY or UNIQUE). `rowKeys`: the table's other keys (its primary key, its other unique
   * constraints and unique indexes over columns, none partial) — a row holding the written row's value of one of them is the row an upsert (ON CONFLICT on that
   * key, ON DUPLICATE KEY UPDATE) or a REPLACE is about to update or replace, or the write fails on that key anyway.
   */
  | { kind: 'unique'; columns: string[]; nullsNotDistinct?: boolean; rowKeys?: string[][] }
  /** Broken when no key column is NULL and no row of `refTable` holds the key (MATCH SIMPLE). */
  | { kind: 'foreignKey'; columns: string[]; refTable: string; refSchema?: string; refColumns: string[] };

/**
 * dropConstraint's `down` (operations/dropConstraint.ts): until contract, a
 * write that would break the constraint, still in place, has its columns set
 * by `set` (each over the row as written) instead of being refused. Tests
 * committed rows as the trigger sees them: a race between two writes of the
 * same key is left to the constraint, which refuses as before.
 */
export interface ConvertTriggerSpec {
  name: string;
  table: string;
  /** The constraint's name: MySQL makes the trigger run before the pair enforcing a check xc added. */
  constraint: string;
  test: ConstraintTest;
  set: { column: string; expr: string }[];
  /** Every column of the row. */
  columns: string[];
}

/** What an in-place change of a column changes; absent: unchanged. */
export interface ColumnChange {
  type?: string;
  nullable?: true;
  default?: string | null;
  comment?: string | null;
}

/** The cut-over of columns changed in place (operations/shadow.ts): each shadow takes its column's place and name. */
export interface ColumnSwapSpec {
  table: string;
  /** The steps removing the trigger that keeps every shadow equal to `up` of its column. */
  dropTrigger: Step[];
  columns: {
    column: string;
    shadow: string;
    up: string;
    type: string;
    nullable: boolean;
    /** What the column is from the cut-over on, for a server that sets it in the swap itself (MySQL: CHANGE COLUMN). */
    final?: ColumnModel;
    /** The column before it in the table (null: the first), where the server can put the shadow back in its place. */
    after?: string | null;
  }[];
  /** The steps adding again the checks and foreign keys dropped below, over the new columns: part of the cut-over (MySQL: under its lock). */
  readd?: Step[];
  /**
   * The checks dropped below that read the columns the same on both sides of the swap (the table's own, not one made
   * over a shadow): where the cut-over's statements commit one by one (MySQL), added again before the swap, so that
   * no moment is without them, even after a kill -9; PostgreSQL: with `readd` (one transaction).
   */
  readdFirst?: Step[];
  /** The steps creating the triggers the cut-over removes (the sync trigger): put back where a cut-over that is not one transaction fails. */
  createTrigger?: Step[];
  /** Indexes to drop before the swap because they name a column and another (the server would shrink them instead). */
  dropIndexes: string[];
  /** Foreign keys and checks over the columns, dropped in the swap (the caller adds them again over the new columns); not the checks Ddl.keptCheck keeps. */
  dropForeignKeys: string[];
  dropChecks: string[];
  /** Index copies built on the shadows, renamed to their originals' names once those are gone (`constraint`: a UNIQUE constraint of that name adopts it). */
  renameIndexes: { from: string; to: string; constraint?: string; /** The copy backs a constraint named `from` already (a DEFERRABLE key's): that constraint is renamed. */ attached?: boolean }[];
  /** The primary key over a column swapped (dropped with it): added again under `name` over the unique copy `index` (Ddl.shadowKeyIssues said it can). */
  primaryKey?: { name: string; index: string };
  /** Other tables' foreign keys referencing the columns: dropped before the swap, added again after it without reading a row (validated later by the caller). */
  referencing?: ForeignKeySpec[];
  /**
   * A foreign-key action changes a column a shadow is computed from, with no trigger run (Dialect.foreignKeyActionsRunTriggers
   * false): the cut-over converts the rows that disagree under its lock every time (MySQL).
   */
  convertUnderLock?: boolean;
}

/** What swapColumns cannot carry: the primary key, the identity or AUTO_INCREMENT, or one referencing key (named). */
export type ShadowKeyIssue = { message: string } & ({ code: 'key_column' | 'generated_column' } | { code: 'referenced'; foreignKey: string; referencing: string });

/** A column about to change in place through a shadow, with the keys swapColumns would have to carry. */
export interface ShadowKeySpec {
  table: string;
  column: ColumnModel;
  /** Its new type. */
  type: string;
  /** It is (part of) the primary key. */
  primary: boolean;
  /** Other tables' foreign keys referencing it, each with its column over it. */
  referencing: { table: string; name: string; column: ColumnModel }[];
}

export interface TriggerSteps {
  create: Step[];
  drop: Step[];
  /**
   * Run once the new column's placeholder default is gone (after `create`):
   * until then an old writer's row holds the placeholder, which the trigger
   * reads as "not given"; from then on it may be a value the new version
   * wrote (MariaDB: the INSERT trigger replaced, in one statement).
   */
  settle?: Step[];
  /** A rollback's undoing of `settle`, before the placeholder default comes back (Ddl.letWritesOmit). */
  unsettle?: Step[];
}

export interface IndexSpec {
  table: string;
  name: string;
  /** The plain columns of its keys. */
  columns: string[];
  /** Its keys with their options (addIndex); absent: `columns`, ascending. */
  keys?: IndexKey[];
  /** Access method (PostgreSQL); absent: the server's default (B-tree). */
  method?: string;
  /** PostgreSQL WITH (…): `fillfactor=70`. */
  storageParameters?: string;
  unique?: boolean;
  where?: string;
  /** Columns stored in the index beyond its key (PostgreSQL INCLUDE; validation refuses it where the server has none). */
  include?: string[];
  /** A unique index treating NULLs as equal (PostgreSQL 15 NULLS NOT DISTINCT). */
  nullsNotDistinct?: boolean;
}

/** When a constraint is checked: at each statement (default) or, deferrable, possibly at commit (PostgreSQL). */
export interface ConstraintTiming {
  deferrable?: boolean;
  initiallyDeferred?: boolean;
}

/** A table to create: its columns, primary key, table-level constraints and comment, as the file gives them. */
export interface TableSpec {
  table: string;
  /** `uniqueName`: the name of a `unique` column's key, as the model projects it (createTable's keyNames). */
  columns: (Column & { uniqueName?: string })[];
  /** The key's columns (from `primaryKey` or the columns flagged), and its name if given; none when empty. */
  primaryKey: { name?: string; columns: string[] };
  constraints: TableConstraint[];
  comment?: string;
}

/** A foreign key to add, as a plan records it (schema/planned.ts). */
export type ForeignKeySpec = PlannedForeignKey;

/**
 * The foreign keys and checks over a copied column, to carry over to its new column at contract
 * (Ddl.carryConstraints): each under its own name, columns and expressions already over the new column, with a
 * temporary name of xc's for where the dialect needs one while the old column's constraint still holds the name.
 */
export interface CarriedConstraints {
  table: string;
  /** The old column, whose drop takes the originals along. */
  oldColumn: string;
  /** The new column. */
  newColumn: string;
  foreignKeys: Array<ForeignKeySpec & { temporary: string }>;
  checks: Array<{ name: string; expression: string; temporary: string; validated?: false }>;
}

/** Steps of Ddl.carryConstraints, by where they go in the contract. */
export interface CarriedConstraintSteps {
  /** Before the old column's drop (and its constraints'), after the removal of the sync trigger. */
  beforeDrop: Step[];
  /** Right after the drop, in its transaction where DDL is transactional. */
  withDrop: Step[];
  /** Once the new column is NOT NULL: existing rows checked, for each key or check that was validated. */
  validate: Step[];
}
