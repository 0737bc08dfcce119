/**
 * The one small interface every operation implements (one file per
 * operation, as pgroll does): validate against the schema as it will be,
 * project the schema forward, and plan the SQL of each phase.
 *
 * Plans are computed once, when a migration's expand starts, from the schema
 * as it was then, and stored in the state table: contract and rollback later
 * run exactly what was planned, even though expand has changed the catalog.
 */
import type { Ddl, Dialect } from '../dialects/dialect.js';
import type { SchemaModel } from '../schema/model.js';
import type { Expr, OperationKind, OperationSpec } from '../migration/schema.js';

/** One SQL statement of a phase. */
export interface Step {
  sql: string;
  /** What it does, in words, for `plan` and the event log. */
  description: string;
  /** The lock it takes and for how long, for `plan`. */
  lock: string;
  /**
   * May run inside a transaction together with its journal row (PostgreSQL
   * DDL). False for `CREATE INDEX CONCURRENTLY` and for all MySQL DDL: those
   * are journaled intent → run → confirm with `probe`.
   */
  transactional: boolean;
  /** Tables whose locks this step needs: where blockers are looked for. */
  tables: string[];
  /**
   * For non-transactional steps: a query returning one row `{ done }` that is
   * true when the statement's effect is already in the catalog, so a re-run
   * after a crash between "run" and "journal done" skips it.
   */
  probe?: string;
  /** For non-transactional steps: undoes a half-done attempt before a retry (e.g. drop an INVALID index). */
  cleanup?: string;
  /**
   * Commit together with the next step (PostgreSQL): e.g. dropping the old
   * column's default and installing the trigger that now applies it must be
   * one change, or old writers would briefly get NULLs.
   */
  atomicWithNext?: boolean;
  /**
   * Instead of running `sql` once, fill these rows in key-ordered batches
   * with their own cursor (`sql` then shows one batch). A dialect asks for it
   * where filling before the triggers exist is much cheaper (Ddl.fillBeforeTriggers).
   */
  fill?: BackfillSpec;
}

/** Mark steps to commit as one transaction. Only for instant, catalog-only statements. */
export function atomic(...groups: Step[][]): Step[] {
  const steps = groups.flat();
  return steps.map((s, i) => (i < steps.length - 1 ? { ...s, atomicWithNext: true } : { ...s }));
}

/** Rows to convert in batches: `UPDATE table SET col = expr, ... WHERE where`, keyset by the table's row key. */
export interface BackfillSpec {
  table: string;
  set: Record<string, string>;
  /** Only rows that still need it, so re-runs and rows synced by triggers are skipped. */
  where?: string;
  /** The row key batches walk, filled in by the planner from the table's primary (or non-null unique) key. */
  key?: string[];
  /** The key is one integer column, so a pass can be split into parts (backfill/parts.ts); set by the planner. */
  integerKey?: boolean;
  /**
   * Columns assigned to themselves by each batch, filled in by the planner:
   * those the database would otherwise set on every UPDATE (MySQL `ON UPDATE
   * CURRENT_TIMESTAMP`), so a backfill leaves an `updated_at` as it was.
   */
  keep?: string[];
  /**
   * xc triggers that stand aside inside the backfill's transactions because the
   * backfill writes what they would. Only this operation's own: other
   * migrations' triggers on the same table must still fire.
   */
  bypass?: string[];
}

/** Before contract: every row of `table` must satisfy `agrees`, checked in key-ordered chunks. */
export interface AgreementCheck {
  table: string;
  description: string;
  /** SQL boolean over the row's columns, true when old and new shape agree. */
  agrees: string;
  /** Columns shown for mismatching example rows. */
  show: string[];
  /** Filled in by the planner, as for BackfillSpec. */
  key?: string[];
  integerKey?: boolean;
}

export interface OperationPlan {
  expand: Step[];
  backfill: BackfillSpec[];
  verify: AgreementCheck[];
  contract: Step[];
  rollback: Step[];
}

export interface ValidationIssue {
  /** Path inside the operation spec, e.g. ['from']. */
  path: (string | number)[];
  message: string;
}

/** An SQL expression to check against the database before any DDL runs. */
export interface ExpressionCheck {
  path: (string | number)[];
  table: string;
  /** Resolved for the dialect. */
  sql: string;
  /** Columns visible to the expression, with their types. */
  columns: { name: string; type: string }[];
  /** Type the value must cast to, if any. */
  castTo?: string;
  /** A boolean condition rather than a value. */
  boolean?: boolean;
}

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
  /** Expressions to test-compile against the database. */
  expressions?(spec: OperationSpec<K>, ctx: ValidateContext): ExpressionCheck[];
  /** Tables whose rows this operation reads or writes in backfill: each needs a row key. */
  backfillTables?(spec: OperationSpec<K>): string[];
  /** Change `model` into the shape after contract. Must tolerate a partly-applied catalog. */
  project(spec: OperationSpec<K>, model: SchemaModel): void;
  plan(spec: OperationSpec<K>, ctx: PlanContext): OperationPlan;
}

export function emptyPlan(): OperationPlan {
  return { expand: [], backfill: [], verify: [], contract: [], rollback: [] };
}
