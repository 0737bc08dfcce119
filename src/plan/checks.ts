/**
 * What plan checks against the database before any DDL runs: the author's
 * expressions compile (and, where asked, evaluate), and no existing row would
 * make the migration fail half-way. Operations say what to check; the dialect
 * says how (Dialect.expressionQueries); the planner runs them.
 */

/** An SQL expression to check against the database before any DDL runs. */
export interface ExpressionCheck {
  path: (string | number)[];
  table: string;
  /** Resolved for the dialect. */
  sql: string;
  /** Columns visible to the expression, with their types (and, where known, the collation their text compares by). */
  columns: { name: string; type: string; collation?: string }[];
  /**
   * Type of the column the value is stored in, if any: it must convert as
   * storing it converts — an assignment (PostgreSQL has no assignment cast
   * from text or boolean to integer, where CAST has one), or a default.
   */
  castTo?: string;
  /**
   * A column default of `castTo`: compiled where the server reads a default,
   * which refuses more than a query does (subqueries, aggregates; MySQL: a
   * literal the type does not take).
   */
  columnDefault?: boolean;
  /** A boolean condition rather than a value. */
  boolean?: boolean;
  /**
   * Declared in DDL, where the server reads it under rules a query does not
   * have: a check or a generated value (no subquery, no aggregate), an index
   * key or predicate (PostgreSQL: only IMMUTABLE functions). Compiled there
   * too (Dialect.declaredIssue), or apply would fail after the DDL before it
   * — or, for a check added at contract, every contract would. `addedCheck`
   * is one added to an existing table, which MySQL/MariaDB enforce by xc's
   * trigger pair rather than a server CHECK.
   */
  declared?: 'check' | 'addedCheck' | 'generated' | 'indexKey' | 'indexPredicate';
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
  /**
   * Example rows listed by these (SQL over the row), then by the row key: rows sharing a key come one beside the other
   * (unordered, five rows each sharing its key with a row further on showed none of those: campaign AO).
   */
  order?: string[];
  /** A fact of the table, not of its rows (its sequence's last value): read once, an empty table too; no example rows shown. */
  wholeTable?: boolean;
}
