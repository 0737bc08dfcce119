/**
 * The one small interface every operation implements (one file per
 * operation, as pgroll does): validate against the schema as it will be,
 * project the schema forward, and plan the SQL of each phase.
 *
 * What a plan is made of (steps, backfills, checks) is in src/plan/.
 */
import type { Ddl, Dialect } from '../dialects/dialect.js';
import type { IndexBuildCheck } from '../dialects/specs.js';
import type { SchemaModel } from '../schema/model.js';
import type { SyncedColumns } from '../schema/holds.js';

export type { SyncedColumns };
import type { Expr, OperationKind, OperationSpec } from '../migration/schema.js';
import type { ExpressionCheck, OperationPlan, RowCheck } from '../plan/index.js';
import type { IssueFacts } from '../errors.js';

/** A default carried to `newType` (CAST where the dialect converts it), beside `up` over a row holding only the old default. */
export interface CarriedDefault {
  path: (string | number)[];
  table: string;
  column: string;
  oldType: string;
  oldDefault: string;
  newType: string;
  up: string;
  carried: string;
}

/** A problem with one operation: its code and fields (errors.ts), where in the spec (e.g. ['from']), in words. */
export type ValidationIssue = IssueFacts & { path: (string | number)[]; message: string };

export interface PlanContext {
  dialect: Dialect;
  /** The dialect's DDL vocabulary for this plan. */
  ddl: Ddl;
  /** The schema just before this operation. */
  model: SchemaModel;
  migrationId: string;
  opIndex: number;
  /** A short, stable, unique name for an object xc creates for this operation (trigger, function, constraint). */
  name(purpose: string): string;
  /** Resolve an Expr for this dialect; throws if it has no variant for it. */
  expr(e: Expr): string;
}

export interface ValidateContext {
  dialect: Dialect;
  model: SchemaModel;
  expr(e: Expr): string | undefined;
}

export interface Operation<K extends OperationKind = OperationKind> {
  kind: K;
  /** Problems with the spec given the schema as it will be (does a table/column exist?). */
  validate(spec: OperationSpec<K>, ctx: ValidateContext): ValidationIssue[];
  /** Conditions existing rows must meet, checked at plan time. */
  rowChecks?(spec: OperationSpec<K>, ctx: ValidateContext): RowCheck[];
  /**
   * What its contract removes (a column, or a whole table): objects of the
   * user's that depend on it (views, generated columns, policies, triggers)
   * would make the contract fail or break, so plan refuses while they exist. `keepsName`: a column changed in place,
   * under its name again after the contract (what reaches it by name only still does: Dialect.dependents). `inCatalog`
   * (told where `ctx` is given): such a column changed by the catalog alone, no shadow — it stays, with what is over it,
   * and only what the server will not let change its type (a view, a generated column: PostgreSQL) stands in the way.
   */
  removesAtContract?(spec: OperationSpec<K>, ctx?: Pick<ValidateContext, 'model' | 'dialect'>): { path: (string | number)[]; table: string; column?: string; keepsName?: boolean; inCatalog?: boolean }[];
  /**
   * Columns its expand adds to a table the application reads (not xc's hidden ones); `grantsFrom`: the column whose
   * column-level grants a copy's new column gets, where the dialect carries them (Dialect.carriesColumnGrants).
   */
  addsColumns?(spec: OperationSpec<K>): { path: (string | number)[]; table: string; column: string; grantsFrom?: string }[];
  /** The author's own statements (the `sql` operation), checked for syntax by the server where it can without running them. */
  statements?(spec: OperationSpec<K>, ctx: ValidateContext): { path: (string | number)[]; sql: string }[];
  /** SQL types the operation declares, each checked by the server (Dialect.typeIssue) before any expression. */
  types?(spec: OperationSpec<K>, ctx: ValidateContext): { path: (string | number)[]; type: string }[];
  /**
   * Defaults carried through a type change, not given: the value `up` gives for the old default must be the one
   * the carried default gives, or the new version's inserts would get one value during dual-write (the trigger
   * computes `up` over the old column's default) and another from contract on. Computed by the server at plan.
   */
  carriedDefaults?(spec: OperationSpec<K>, ctx: ValidateContext): CarriedDefault[];
  /** Indexes it builds whose build the server may refuse, each tried at plan (Dialect.indexBuildIssue). */
  indexBuilds?(spec: OperationSpec<K>, ctx: ValidateContext): IndexBuildCheck[];
  /** Expressions to test-compile against the database. */
  expressions?(spec: OperationSpec<K>, ctx: ValidateContext): ExpressionCheck[];
  /**
   * The columns this operation's dual-write trigger reads or writes, if it
   * installs one, and of those the ones it writes (`writes`; all of them
   * where not given). While it is in flight no other trigger may read or
   * write a column it writes, nor write one it reads: which trigger fires
   * first would decide the value. Two that only read a column do not race.
   */
  synced?(spec: OperationSpec<K>, ctx: ValidateContext): SyncedColumns;
  /**
   * Its rollback leaves the new version everything it writes and relies on (a shadow dropped, a check, a plain index):
   * the rollback gate does not wait for live versions that have it. Absent: it removes a column, table, name or key
   * the new version uses, or puts back a NOT NULL it may break — the gate waits (fail closed).
   */
  rollbackSparesNewVersion?(spec: OperationSpec<K>): boolean;
  /** Columns its contract makes NOT NULL (they must not be dropped or renamed away before). */
  notNullAtContract?(spec: OperationSpec<K>, model: SchemaModel): { table: string; columns: string[] };
  /** A column whose default it changes only at contract (alterColumn in place): until then the column keeps the one it has. */
  defaultAtContract?(spec: OperationSpec<K>): { table: string; column: string } | undefined;
  /** A key it makes only at contract (a primary key, a deferrable unique key): no foreign key may reference it before. */
  keyAtContract?(spec: OperationSpec<K>): { table: string; name: string; columns: string[] } | undefined;
  /**
   * Tables its contract steps name, referenced tables of the foreign keys
   * they (re)create included, read in the model before this operation: they
   * must keep that name until then.
   */
  contractTables?(spec: OperationSpec<K>, model: SchemaModel): string[];
  /** Its contract steps name those tables but none of their constraints (renameTable: the old name's view): they may be renamed meanwhile. */
  contractNamesNoConstraint?: true;
  /** The table it renames at expand, if any (renameTable). */
  renamesAtExpand?(spec: OperationSpec<K>): string;
  /**
   * Tables whose rows this operation writes in backfill: each needs a row key, and none may be in an inheritance
   * tree. Only what is really backfilled: a change the catalog alone makes runs on any table.
   */
  backfillTables?(spec: OperationSpec<K>, ctx: ValidateContext): string[];
  /** Change `model` into the shape after contract (names and types as `dialect` gives them). Must tolerate a partly-applied catalog. */
  project(spec: OperationSpec<K>, model: SchemaModel, dialect: Dialect): void;
  plan(spec: OperationSpec<K>, ctx: PlanContext): OperationPlan;
}
