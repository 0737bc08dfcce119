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

/** A schema object as the journal matches them (engine/ownership.ts); a table's `name` is the table's. */
export interface SchemaObject {
  kind: 'table' | 'column' | 'index' | 'constraint';
  table: string;
  name: string;
}

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
  /**
   * For non-transactional steps: undoes a half-done attempt before a retry
   * (e.g. drop an INVALID index). With `creates`, run only when the journal
   * shows this step was attempted: otherwise the leftover is someone else's.
   */
  cleanup?: string;
  /** Run on the step's session just before the statement, every attempt (MySQL: foreign_key_checks = 0 to add a key without a scan). */
  prepare?: string;
  /**
   * For non-transactional steps: a query listing, as Blockers (session, user,
   * application, state, since, query), sessions still running such a
   * statement on the step's table — an index build whose xc was killed goes
   * on in the server. While there is one, the step waits for it as for a lock.
   */
  inProgress?: string;
  /**
   * What the statement creates. It then fails if one exists (no IF NOT
   * EXISTS), and a probe, if any, says "the first of them exists": the journal
   * tells xc's objects from anyone else's (engine/ownership.ts).
   */
  creates?: SchemaObject[];
  /**
   * What the statement removes (or changes on the way to removing it): in a
   * rollback it runs only if the step that created it was attempted.
   */
  removes?: SchemaObject;
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
  /** Set by `removing`: the old shape is gone once this step has run, so rollback is no longer possible. */
  removesOldShape?: boolean;
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
  /** What the user can do about rows that disagree, when it is not converting them again (`xc backfill ID`). */
  remedy?: string;
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
  /**
   * Its steps carry `removesOldShape` (plans made before that existed do not):
   * only then may a migration whose contract failed part-way be rolled back.
   */
  removalsMarked?: boolean;
  /**
   * PostgreSQL: the schema its unqualified names resolved to when it was
   * planned, whose state it is recorded in (postgres/state.ts). Absent in
   * plans recorded before xc recorded it, and on MySQL.
   */
  schema?: string;
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
  /**
   * Computed again and compared by the verify before contract, so it must give
   * the same value every time: a volatile function (random(), now(),
   * nextval) is refused at plan time — the check could never pass.
   */
  deterministic?: boolean;
  /**
   * Compute the value once (over NULL columns, converted to `castTo` as
   * storing it in a column of that type would), so a value that compiles but
   * cannot convert ('abc' → integer) fails here rather than at contract.
   * `required`: an expression that writes (nextval) fails too, as the
   * read-only transaction refuses it; `unlessWrites`: such an expression is
   * only compiled.
   */
  evaluate?: 'required' | 'unlessWrites';
  /** The problem in the author's terms, given the database's error. */
  explain?: (error: string) => string;
}

/**
 * A condition on existing rows that must hold for the migration to be able to
 * finish: checked at plan time (the migration is refused, exit 2, naming the
 * rows) — a contract step that would fail on data is caught before any DDL.
 */
export interface RowCheck {
  path: (string | number)[];
  table: string;
  /** SQL boolean, true for a row that would make the migration fail. */
  violation: string;
  /** What is wrong with those rows and what to do, for the message. */
  message: string;
  /** Columns shown beside the row key for each example row. */
  show: string[];
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
  /** Conditions existing rows must meet, checked at plan time. */
  rowChecks?(spec: OperationSpec<K>, ctx: ValidateContext): RowCheck[];
  /**
   * What its contract removes (a column, or a whole table): objects of the
   * user's that depend on it (views, generated columns, policies, triggers)
   * would make the contract fail or break, so plan refuses while they exist.
   */
  removesAtContract?(spec: OperationSpec<K>): { path: (string | number)[]; table: string; column?: string }[];
  /** The author's own statements (the `sql` operation), checked for syntax by the server where it can without running them. */
  statements?(spec: OperationSpec<K>, ctx: ValidateContext): { path: (string | number)[]; sql: string }[];
  /** SQL types the operation declares, each checked by the server (Dialect.typeIssue) before any expression. */
  types?(spec: OperationSpec<K>): { path: (string | number)[]; type: string }[];
  /** Expressions to test-compile against the database. */
  expressions?(spec: OperationSpec<K>, ctx: ValidateContext): ExpressionCheck[];
  /**
   * The columns this operation's dual-write trigger reads or writes, if it
   * installs one: no other trigger may touch them while it is in flight.
   */
  synced?(spec: OperationSpec<K>, ctx: ValidateContext): { table: string; columns: string[] };
  /** Columns its contract makes NOT NULL (they must not be dropped or renamed away before). */
  notNullAtContract?(spec: OperationSpec<K>, model: SchemaModel): { table: string; columns: string[] };
  /**
   * Tables its contract steps name, referenced tables of the foreign keys
   * they (re)create included, read in the model before this operation: they
   * must keep that name until then.
   */
  contractTables?(spec: OperationSpec<K>, model: SchemaModel): string[];
  /** The table it renames at expand, if any (renameTable). */
  renamesAtExpand?(spec: OperationSpec<K>): string;
  /** Tables whose rows this operation reads or writes in backfill: each needs a row key. */
  backfillTables?(spec: OperationSpec<K>): string[];
  /** Change `model` into the shape after contract. Must tolerate a partly-applied catalog. */
  project(spec: OperationSpec<K>, model: SchemaModel): void;
  plan(spec: OperationSpec<K>, ctx: PlanContext): OperationPlan;
}

/**
 * Mark contract steps after which the old shape is gone (a column, table,
 * index or nullability old writers relied on): once one has run, the
 * migration can only be finished, never rolled back.
 */
export function removing(steps: Step[]): Step[] {
  return steps.map((s) => ({ ...s, removesOldShape: true }));
}

export function emptyPlan(): OperationPlan {
  return { expand: [], backfill: [], verify: [], contract: [], rollback: [] };
}
