/**
 * What an operation plans and the engine runs: the SQL steps of each phase,
 * the backfill passes and the verify checks. Plans are computed once, when a
 * migration's expand starts, and stored in the state table: contract and
 * rollback later run exactly what was planned.
 */

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
   * DDL; on MySQL/MariaDB an author's DML statement, `sql` operation). False
   * for `CREATE INDEX CONCURRENTLY` and for all MySQL DDL: those are
   * journaled intent → run → confirm with `probe`.
   */
  transactional: boolean;
  /**
   * An author's statement (the `sql` operation): operation `op` of the
   * migration, its field `field`. Its journal row says what it did: done when
   * it completed; pending when it never ran or failed, the server having
   * undone it (a transaction, or one statement on MariaDB); running only when
   * xc died while it ran. A rollback runs the operation's `rollback` only
   * where its `expand` (without one, its `contract`) is done or running
   * (engine/ownership.ts). Absent in plans recorded before it existed.
   */
  author?: { op: number; field: 'expand' | 'contract' | 'rollback' };
  /**
   * For an author's statement that builds an index outside a transaction
   * (PostgreSQL `CREATE INDEX CONCURRENTLY name`): a query returning one row
   * `{ done }`, true when an index of that name exists on the table, valid or
   * not. With `probe` (valid) and `cleanup` (dropping it): an index a failed
   * or interrupted attempt left INVALID is dropped before the next attempt,
   * and one that was there before xc's first attempt is never touched
   * (engine/steps.ts, runAuthor).
   */
  present?: string;
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
   * The removal this step clears the way for, where it removes something
   * else first because the server would refuse that removal otherwise (MySQL:
   * a column's foreign keys, checks and indexes before the column). In a
   * rollback it runs only if that object is xc's as well: with a column xc
   * never created, the indexes and keys over it are someone else's.
   */
  forRemovalOf?: SchemaObject;
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
  /** The trigger the statement installs, as the catalog names it: looked up before contract (engine/intact.ts). */
  installs?: string;
  /** Set by `removing`: the old shape is gone once this step has run, so rollback is no longer possible. */
  removesOldShape?: boolean;
  /**
   * Several statements run in order on the step's one session instead of
   * `sql` (which shows them), for a change that must hold a lock across
   * statements where DDL commits one statement at a time (MySQL: LOCK TABLES
   * around an in-place column's cut-over, operations/shadow.ts). One marked
   * `afterInterruption` runs only when an earlier attempt of the step may
   * have stopped half-way (a crash, or a failure past the first statement) —
   * or, with `orWhen`, when that query's `run` column is true as the statement
   * is reached (read then, under the step's lock: the catalog as it is, not as
   * planned). `onFailure`: run (best effort) on the same session, before `release`,
   * when this statement fails — e.g. the MySQL cut-over's ALTER puts back the
   * trigger it needs, so a failed cut-over leaves the table as it was. `unless`: a probe (its `done` column), read
   * under the lock as the statement is reached, that skips it — the probe of a step merged in (noWriteBetween).
   */
  statements?: Array<string | { sql: string; afterInterruption?: true; orWhen?: string; onFailure?: string[]; unless?: string }>;
  /** Run on that session after `statements`, whether they failed or not (MySQL `UNLOCK TABLES`). */
  release?: string;
  /**
   * Run instead of `sql` when the step's first table is busy: it takes more
   * writes per second than `--max-rebuild-write-rate` just before the step
   * runs or while it runs, the rebuild's log of them grows past what the lock
   * timeout allows (engine/busy.ts), or the
   * server gave up `sql` for the writes it took meanwhile
   * (Dialect.isOverwhelmed). Same effect, same probe; a plan shows both.
   * MySQL: a column added instantly instead of by an online rebuild, which
   * logs concurrent writes and replays them at its end under a latch no lock
   * timeout bounds (engine/busy.ts).
   */
  ifBusy?: BusyAlternative;
  /**
   * The statement does not queue for its locks (MariaDB `RENAME TABLE ...
   * NOWAIT`): it is repeated, a millisecond apart, until it gets them all at
   * once or the lock timeout passes (then that is the attempt's lock
   * timeout). For a DDL whose queued lock would make an application
   * statement the victim of a deadlock: a RENAME that locks a view's base
   * table, then waits for the view, which a statement holds while it waits
   * for that base table (dialects/mysql/tables.ts, restoreTableName).
   */
  withoutQueueing?: true;
}

/** What a step runs instead when its table is busy (Step.ifBusy). */
export interface BusyAlternative {
  sql: string;
  description: string;
  lock: string;
}

/** Mark steps to commit as one transaction. Only for instant, catalog-only statements. */
export function atomic(...groups: Step[][]): Step[] {
  const steps = groups.flat();
  return steps.map((s, i) => (i < steps.length - 1 ? { ...s, atomicWithNext: true } : { ...s }));
}

/**
 * A key column compared by something other than its text: `number`, a MySQL/MariaDB ENUM or SET by its
 * position and a BIT by its value (compared with a string, the server compares their text or bytes, not in
 * the index's order); `double`, a FLOAT by the double it holds (its text is rounded to 6 digits); `as <type>`,
 * a PostgreSQL cursor bound as the column's type (a composite's bare parameter reads as an anonymous record).
 */
export type KeyForm = 'number' | 'double' | `as ${string}`;
/** Each key column's form, null where it compares as its text (stored in a plan: JSON has no undefined in arrays). */
export type KeyForms = (KeyForm | null)[];

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
  /** How each key column compares where not as its text (Dialect.keyForm); set by the planner. Absent in plans recorded before it existed. */
  keyForms?: KeyForms;
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
  /**
   * Set on a fill (Step.fill) whose trigger computes the filled columns again on every write of a row, an UPDATE of
   * its key alone included (a shadow's), on a table no foreign-key action changes (those run no trigger on MySQL):
   * no row the catch-up passed by can stay stale, so no verify runs before `backfilled` (engine/lifecycle.ts
   * convertEscaped). Absent in plans recorded before it existed: they verify.
   */
  everyWriteConverts?: true;
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
  /**
   * Rows that disagree are converted again (the backfill's pass) instead of refusing the contract: a foreign-key action
   * changes a column they are computed from with no trigger run (MySQL), and the cut-over converts, under its lock,
   * whatever such an action changed after (campaigns CW, CY: a parent's key changed once a second refused every
   * contract). Set by the operation where the plan finds such a key.
   */
  convertedAtCutOver?: true;
  /** Filled in by the planner, as for BackfillSpec. */
  key?: string[];
  integerKey?: boolean;
  keyForms?: KeyForms;
}

export interface OperationPlan {
  expand: Step[];
  backfill: BackfillSpec[];
  verify: AgreementCheck[];
  contract: Step[];
  rollback: Step[];
  /**
   * Read before a rollback changes anything: rows its steps would refuse — a
   * NULL the new version wrote where NOT NULL comes back. Named then (exit 1),
   * nothing done, instead of a rollback stopped half-way with new writes
   * refused. Absent in plans recorded before it existed.
   */
  rollbackVerify?: AgreementCheck[];
  /**
   * Table names its contract takes away while the table lives on under another (renameTable): read before the
   * contract starts, the application's objects that reach the table by that name in their text (engine/oldNames.ts).
   * Absent in plans recorded before it existed.
   */
  oldNames?: { name: string; renamedTo: string }[];
  /**
   * The tables and columns its contract removes, as plan read their dependents (Dialect.dependents): read again before
   * the contract starts, as what depends on them now — a view plan let through over a copy's old column, or anything
   * made since apply — would fail the contract or be left broken by it (engine/oldNames.ts). `to`: a copy's new column.
   * `over`: the indexes, checks and foreign keys over it as plan read them (objectsOver), which the plan carries or drops;
   * with those the expand left (logged with dual_write, overAtExpand), any other there at contract was made since. `index`: an index a dropIndex drops, `over` then the foreign keys that
   * need it (keyUsers). `inCatalog`: the column is changed by the catalog alone (no `over`: it keeps what is made over it). Absent in plans recorded before they existed.
   */
  removes?: { table: string; column?: string; keepsName?: boolean; inCatalog?: boolean; to?: string; over?: string[]; index?: string }[];
  /**
   * Its steps carry `removesOldShape` (plans made before that existed do not):
   * only then may a migration whose contract failed part-way be rolled back.
   */
  removalsMarked?: boolean;
  /**
   * What the author should know of when the change reaches the application, which the steps do not say: a column
   * changed in place keeps its old definition for both versions until contract. Shown by `xc plan`.
   */
  notes?: string[];
  /**
   * PostgreSQL: the schema its unqualified names resolved to when it was
   * planned, whose state it is recorded in (postgres/state.ts). Absent in
   * plans recorded before xc recorded it, and on MySQL.
   */
  schema?: string;
}

/**
 * Mark contract steps after which the old shape is gone (a column, table,
 * index or nullability old writers relied on): once one has run, the
 * migration can only be finished, never rolled back. A step its vocabulary
 * says removes nothing (`removesOldShape: false`, one preparing a removal:
 * a shadow's default before a cut-over) stays unmarked.
 */
export function removing(steps: Step[]): Step[] {
  return steps.map((s) => ({ ...s, removesOldShape: s.removesOldShape !== false }));
}

/**
 * Unmark steps that change only a column the old version never had (a shadow,
 * or the column an addColumn adds) — its NOT NULL, and the check proving it
 * dropped on the way: a rollback drops that column, and what they did with it.
 */
export function onNewColumn(steps: Step[]): Step[] {
  return steps.map(({ removesOldShape: _, ...s }) => s);
}

/**
 * A column's drop split in two: the steps clearing the way (MySQL: its keys, indexes and checks, `forRemovalOf`) and
 * the drop itself. Where a trigger writes the column until the drop, the first part goes before the trigger's
 * removal: not one transaction on MySQL, a new-version insert in between leaves the column its default (or NULL),
 * which its unique index or check would refuse (fuzz seed 401).
 */
export function clearingFirst(drop: Step[]): { clearing: Step[]; rest: Step[] } {
  return { clearing: drop.filter((st) => st.forRemovalOf), rest: drop.filter((st) => !st.forRemovalOf) };
}

export function emptyPlan(): OperationPlan {
  return { expand: [], backfill: [], verify: [], contract: [], rollback: [] };
}
