/**
 * Every error xc raises on purpose is an XcError carrying a stable,
 * machine-readable `code` and the process exit code of SPEC §7. Both come
 * from one table (`ERROR_CLASSES`): the exit code from the class, never from
 * the throw site, so the CLI maps errors to exit codes in one place. An error
 * that wraps another (a driver's, a loader's) keeps it as `cause`, as a copy
 * scrubbed of passwords.
 */
import { scrub } from './db/redact.js';

export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidInput: 2,
  refused: 3,
  lockHeld: 4,
  lockTimeout: 5,
  /** Stopped by SIGINT / SIGTERM (128 + the signal's number, as shells report it). */
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Each class of error: its exit code, and the codes it carries with what each
 * means (the first is the class's default). README "Errors" lists them too.
 */
const ERROR_CLASSES = {
  XcError: {
    exitCode: ExitCode.failed,
    codes: { failed: 'a failure with no more specific code (e.g. `xc demo` went off script); the message says what' },
  },
  InvalidInputError: {
    exitCode: ExitCode.invalidInput,
    codes: {
      invalid_config: 'a flag, environment variable, config file or connection setting (URL, knexfile, --schema, the server) that cannot be used',
      invalid_usage: 'a command line or call that lacks an argument or misuses one',
      invalid_migration: 'a migration file cannot be read, or is not valid (against the database); `issues` lists each problem',
      migration_missing: 'an id or level names no migration file and no migration in the state',
      files_missing: 'the migrations folder lacks files of migrations the database has run',
      state_mismatch: "the state found belongs to other tables than the connection's (PostgreSQL --schema)",
      state_foreign: "a table where xc keeps its state (PostgreSQL schema xc, MySQL tables xc_…) is the application's own, not xc's",
      deployment_missing: 'deploy retire: the version was never recorded',
      deployment_retired: 'deploy retire: the version is retired already',
    },
  },
  DriftError: { exitCode: ExitCode.invalidInput, codes: { drift: "an applied migration's file changed since it was applied" } },
  CannotSucceedError: { exitCode: ExitCode.invalidInput, codes: { cannot_succeed: 'a request that can never succeed as asked (e.g. rolling back a contracted migration)' } },
  RefusedError: {
    exitCode: ExitCode.refused,
    codes: {
      phase_order: 'refused by phase order: another step must come first (the message names it)',
      gate_refused: 'refused by the deploy gate: the old shape is still needed (`details.blockers`, `details.reasons`)',
      state_incomplete: "a read-only command found xc's state part-made (`details.missing`: its missing tables); `xc init` completes it",
      throttled: 'a backfill was held back by a health signal for --throttle-timeout (`details.signal`, `value`, `limit`, `unit`, `source`); its batches are committed, a re-run resumes',
    },
  },
  LockHeldError: {
    exitCode: ExitCode.lockHeld,
    codes: { lock_held: "another xc holds the advisory lock", lock_lost: "xc's advisory lock was lost while it worked" },
  },
  LockTimeoutError: { exitCode: ExitCode.lockTimeout, codes: { lock_timeout: 'gave up waiting for database locks (`details.blockers`)' } },
  DataMismatchError: {
    exitCode: ExitCode.failed,
    codes: {
      data_mismatch: 'old and new shape disagree on some rows; contract refused (`details.examples`)',
      expand_undone: 'an index or constraint the expand built is gone (dropped by hand); contract refused (`details.missing`)',
      old_name_used: 'objects of the application still name a table by the old name a renameTable contract takes away; contract refused (`details.dependents`)',
      removed_in_use: 'objects of the application still depend on a table or column the contract removes; contract refused (`details.dependents`)',
    },
  },
  SqlFailedError: {
    exitCode: ExitCode.failed,
    codes: { sql_failed: 'a statement failed (`details.code`: the server\'s own code)', connect_failed: 'the database could not be reached' },
  },
  NameTakenError: { exitCode: ExitCode.failed, codes: { name_taken: "an object a step creates exists and is not xc's" } },
  InterruptedError: {
    exitCode: (details: Record<string, unknown>) => (details.signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted),
    codes: { interrupted: 'stopped by SIGINT/SIGTERM or the `signal` option, between two statements' },
  },
} as const satisfies Record<string, { exitCode: ExitCodeValue | ((details: Record<string, unknown>) => ExitCodeValue); codes: Record<string, string> }>;

type ErrorClassName = keyof typeof ERROR_CLASSES;
type CodesOf<K extends ErrorClassName> = keyof (typeof ERROR_CLASSES)[K]['codes'] & string;
/** What went wrong, for programs: one of a fixed set, stable across versions. */
export type ErrorCode = { [K in ErrorClassName]: CodesOf<K> }[ErrorClassName];

/** Every code with its meaning, for documentation and tests. */
export function errorCodes(): Record<ErrorCode, string> {
  return Object.assign({}, ...Object.values(ERROR_CLASSES).map((c) => c.codes)) as Record<ErrorCode, string>;
}

/** The nearest class of `ctor` that the table knows (a subclass outside it, e.g. the demo's, counts as its parent). */
function classEntry(ctor: Function): (typeof ERROR_CLASSES)[ErrorClassName] {
  for (let c = ctor; c && c !== Error; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(ERROR_CLASSES, c.name)) return ERROR_CLASSES[c.name as ErrorClassName];
  }
  return ERROR_CLASSES.XcError;
}

/**
 * What a problem in a migration is about (pgroll's style: a code and the
 * names it concerns). The message says it in words; these are for programs.
 */
export type IssueFacts =
  /** The file's shape: an unknown key, a missing or mistyped field, a bad name, a NUL character. */
  | { code: 'invalid_format' }
  | { code: 'table_missing'; table: string }
  /** A view where a table is needed. */
  | { code: 'not_a_table'; table: string }
  /** A partitioned table, which xc's online steps do not cover. */
  | { code: 'table_partitioned'; table: string }
  /** A table in a PostgreSQL inheritance tree (INHERITS), which xc's triggers and backfill do not cover. */
  | { code: 'table_inherited'; table: string }
  /** A MySQL/MariaDB table of another engine than InnoDB (MyISAM, Aria, MEMORY…): no transactions, no online DDL. */
  | { code: 'table_engine'; table: string; engine: string }
  /** A MariaDB system-versioned table: a history row for every row written, and its columns changed only with history kept. */
  | { code: 'table_versioned'; table: string }
  /** A table the connecting role may not change (PostgreSQL: neither its owner nor a member of the owner's role; MySQL: a privilege its statements ask for). */
  | { code: 'not_owner'; table: string }
  /** What a migration in flight with a higher id still reads, removed by this one's contract, which id order runs first. */
  | { code: 'out_of_order'; table: string; migration: string }
  /** A MariaDB table with a long unique key (a hidden hash column): it takes no online ALTER. */
  | { code: 'table_long_unique'; table: string; index: string }
  /** A MariaDB table with a key over an application-time period (WITHOUT OVERLAPS): it takes no online ALTER either. */
  | { code: 'table_copy_only'; table: string; index: string }
  | { code: 'column_missing'; table: string; column: string }
  | { code: 'column_exists'; table: string; column: string }
  /** A column declared twice in a createTable. */
  | { code: 'duplicate_column'; table: string; column: string }
  /** A table, index or constraint of that name exists (or will, when an earlier migration runs). */
  | { code: 'name_taken'; name: string; table?: string }
  /** renameTable to the name it has. */
  | { code: 'same_name'; table: string }
  /** A primary-key column that would have to change online. */
  | { code: 'key_column'; table: string; column: string }
  /** An identity or generated column, which cannot be copied online. */
  | { code: 'generated_column'; table: string; column: string }
  /** A foreign key of `referencing` (named `foreignKey`) depends on the table, column or constraint. */
  | { code: 'referenced'; table: string; column?: string; constraint?: string; foreignKey: string; referencing: string }
  | { code: 'constraint_missing'; table: string; name: string }
  | { code: 'index_missing'; table: string; name: string }
  /** An index that a constraint owns: dropped with dropConstraint. */
  | { code: 'index_backs_constraint'; table: string; name: string; constraint: string }
  | { code: 'already_not_null'; table: string; column: string }
  | { code: 'already_nullable'; table: string; column: string }
  | { code: 'replica_identity'; table: string; column: string; index: string }
  /** An index InnoDB clusters a table without primary key by (or would): dropping it, or a NULL in its columns, copies the table under a write lock. */
  | { code: 'cluster_key'; table: string; index: string }
  /** An expression with no variant for this database. */
  | { code: 'no_variant' }
  /** A foreign key whose referenced and referencing column counts differ. */
  | { code: 'column_count_mismatch'; table: string }
  /** Referenced columns that are no primary key or unique index. */
  | { code: 'not_unique_key'; table: string; columns: string[] }
  /** A referenced column this migration adds and fills by its backfill, on a server that does not fill it at expand. */
  | { code: 'filled_by_backfill'; table: string; column: string }
  /** A table with no primary key, where a reference needs one. */
  | { code: 'no_primary_key'; table: string }
  /** A foreign key between columns whose types do not match. */
  | { code: 'type_mismatch'; table: string; column: string; refTable: string; refColumn: string }
  /** A column marked primaryKey but left out of the table's primaryKey list. */
  | { code: 'primary_key_conflict'; table: string; column: string }
  /** A reference giving both "column" and "columns". */
  | { code: 'ambiguous_reference' }
  /** A primary key added to an existing table, which xc does not do online. */
  | { code: 'primary_key_unsupported'; table: string; column: string }
  /** createConstraint of a primary key on a table that has one. */
  | { code: 'primary_key_exists'; table: string; constraint: string }
  /** A NOT NULL column with neither `up` nor a `default` to fill existing rows. */
  | { code: 'needs_fill'; table: string; column: string }
  /** A type the server does not take. */
  | { code: 'invalid_type'; type: string }
  /** SQL the server cannot parse. */
  | { code: 'invalid_sql' }
  /** A `sql` field holding several statements, one of them PostgreSQL runs only outside a transaction block (CREATE INDEX CONCURRENTLY). */
  | { code: 'outside_transaction' }
  /** An expression the server cannot compile against the table. */
  | { code: 'invalid_expression' }
  /** A subquery naming, bare, a column both the row and a table it reads have (or the row's table again, unaliased): the backfill and a trigger would read different ones. */
  | { code: 'ambiguous_expression' }
  /** An index the server would not build as the migration builds it (a method, operator class, collation, storage parameter or key). */
  | { code: 'invalid_index'; table: string; index: string }
  /** An expression a replica would compute for itself (MySQL/MariaDB: a binary log in STATEMENT format), getting other values. */
  | { code: 'unsafe_for_replication' }
  /** What an expand adds to a table (columns, index copies) that takes it past a limit of the server: its longest row, its most columns or indexes. */
  | { code: 'table_limit'; table: string }
  /** A default carried through a type change that is not what `up` gives for the old default. */
  | { code: 'default_disagrees'; table: string; column: string }
  /** An expression calling functions whose value changes from call to call, where the check before contract computes it again. */
  | { code: 'volatile_expression'; functions: string[] }
  /** An expression calling functions that change the session it runs on (a setting, a session lock, a connection). */
  | { code: 'changes_session'; calls: string[] }
  /** Views, triggers, generated columns or policies of the user's depend on what the contract removes. */
  | { code: 'has_dependents'; table: string; column?: string; dependents: string[] }
  /** Existing rows break a condition the operation needs (NOT NULL, a check, a foreign key). */
  | { code: 'rows_violate'; table: string }
  /** A table with no primary key or unique key over NOT NULL columns, so its rows cannot be backfilled in batches. */
  | { code: 'no_row_key'; table: string }
  /** A name, column or trigger a migration still in flight holds until its contract. */
  | { code: 'held_until_contract' }
  /** A dropColumn's `down` over a column the server fills before any trigger runs (a default, an identity): it would never run. */
  | { code: 'filled_before_triggers'; table: string; column: string }
  /** A column the server fills only after triggers run (AUTO_INCREMENT, generated). */
  | { code: 'filled_after_triggers'; table: string; column: string }
  /** Something this database does not have (PostgreSQL's replica identity or index options on MySQL/MariaDB): `feature` names it. */
  | { code: 'unsupported'; feature?: string }
  /** The user's triggers that fire after one xc installs (PostgreSQL: in name order) and may change the row. */
  | { code: 'trigger_order'; table: string; triggers: string[] }
  /** An operation that would change nothing (alterColumn in place with no change given). */
  | { code: 'nothing_to_change' };
export type IssueCode = IssueFacts['code'];

/** One problem of a migration file: where it is, what it is (`code` and its fields), in words. */
export type MigrationIssue = IssueFacts & {
  file: string;
  /** Where in the file, e.g. `['operations', 0, 'renameColumn', 'from']`. */
  path: (string | number)[];
  message: string;
};

export interface XcErrorOptions<C extends ErrorCode = ErrorCode> {
  /** The class's default when left out. */
  code?: C;
  /** The error this one wraps; kept as a copy scrubbed of passwords. */
  cause?: unknown;
}

export class XcError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: scrubbedCause(options.cause) });
    this.name = new.target.name;
    const entry = classEntry(new.target);
    this.code = options.code ?? (Object.keys(entry.codes)[0] as ErrorCode);
    this.exitCode = typeof entry.exitCode === 'function' ? entry.exitCode(details) : entry.exitCode;
    this.details = details;
  }
}

/**
 * Exit 2: a migration file, flag, config or the live schema says no. Nothing
 * was executed. `issues`: each problem of a migration file, when that is what
 * is invalid (code `invalid_migration`).
 */
export class InvalidInputError extends XcError {
  declare readonly code: CodesOf<'InvalidInputError'>;
  readonly issues: readonly MigrationIssue[];
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'InvalidInputError'>> & { issues?: MigrationIssue[] } = {}) {
    super(message, details, options);
    this.issues = options.issues ?? [];
  }
}

/** Exit 2: an applied migration's file changed since it was applied. */
export class DriftError extends XcError {
  declare readonly code: CodesOf<'DriftError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'DriftError'>> = {}) {
    super(message, details, options);
  }
}

/**
 * Exit 2: a request that can never succeed as asked — retrying will not help
 * (e.g. rolling back a contracted migration). The message says what to do
 * instead. Nothing was executed.
 */
export class CannotSucceedError extends XcError {
  declare readonly code: CodesOf<'CannotSucceedError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'CannotSucceedError'>> = {}) {
    super(message, details, options);
  }
}

/** Exit 3: refused for now by the deploy gate or by phase order; safe to retry later (after the step the message names). */
export class RefusedError extends XcError {
  declare readonly code: CodesOf<'RefusedError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'RefusedError'>> = {}) {
    super(message, details, options);
  }
}

/** Exit 4: another xc holds the advisory lock on this database (or this one lost it). */
export class LockHeldError extends XcError {
  declare readonly code: CodesOf<'LockHeldError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'LockHeldError'>> = {}) {
    super(message, details, options);
  }
}

/** Exit 5: gave up waiting for a database lock; names the blocking sessions. */
export class LockTimeoutError extends XcError {
  declare readonly code: CodesOf<'LockTimeoutError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'LockTimeoutError'>> = {}) {
    super(message, details, options);
  }
}

/** Exit 1: old and new shape disagree on some rows; contract refused. */
export class DataMismatchError extends XcError {
  declare readonly code: CodesOf<'DataMismatchError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'DataMismatchError'>> = {}) {
    super(message, details, options);
  }
}

/** Exit 1: a statement failed for another reason, or the database could not be reached. */
export class SqlFailedError extends XcError {
  declare readonly code: CodesOf<'SqlFailedError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'SqlFailedError'>> = {}) {
    super(message, details, options);
  }
}

/**
 * Exit 1: an object a step was to create exists and is not xc's (another
 * session made it after plan checked the name). It is left alone, and the
 * journal does not count it as xc's, so a rollback leaves it too.
 */
export class NameTakenError extends XcError {
  declare readonly code: CodesOf<'NameTakenError'>;
  constructor(message: string, details: Record<string, unknown> = {}, options: XcErrorOptions<CodesOf<'NameTakenError'>> = {}) {
    super(message, details, options);
  }
}

/** Exit 130/143: asked to stop (SIGINT/SIGTERM, or the library's `signal`); stopped between two statements or batches. */
export class InterruptedError extends XcError {
  declare readonly code: CodesOf<'InterruptedError'>;
  /** `cause`: what stopped it, when that was an error (an onEvent callback's). */
  constructor(message: string, signal: 'SIGINT' | 'SIGTERM' | string, cause?: unknown) {
    super(message, { signal }, cause === undefined ? {} : { cause });
  }
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof XcError ? err.exitCode : ExitCode.failed;
}

/** The code of any error: `failed` for one xc did not raise on purpose. */
export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof XcError ? err.code : 'failed';
}

/** Keys whose values are secrets whatever they hold. */
const SECRET_KEY = /passw|secret|token/i;

/**
 * A copy of `err` to keep as a cause: its texts scrubbed of passwords (a
 * driver's error may quote a URL, a loader's the file), its own scalar fields
 * (code, errno, sqlState...), the errors it aggregates and its own cause, and
 * nothing else (no config object or socket). xc's own errors are kept as they are.
 */
export function scrubbedCause(err: unknown, depth = 0): unknown {
  if (err instanceof XcError) return err;
  if (typeof err === 'string') return scrub(err);
  if (err === null || typeof err !== 'object') return err;
  const copy = (err instanceof Error ? new Error(scrub(err.message)) : {}) as Record<string, unknown>;
  if (err instanceof Error) {
    Object.defineProperty(copy, 'name', { value: err.name, writable: true, configurable: true });
    copy.stack = err.stack === undefined ? undefined : scrub(err.stack);
  }
  for (const [key, value] of Object.entries(err)) {
    if (SECRET_KEY.test(key) || key === 'stack') continue;
    if (typeof value === 'string') copy[key] = scrub(value);
    else if (value === null || ['number', 'boolean', 'bigint', 'undefined'].includes(typeof value)) copy[key] = value;
  }
  const inner = err as { errors?: unknown; cause?: unknown };
  if (depth < 3 && Array.isArray(inner.errors)) copy.errors = inner.errors.map((e) => scrubbedCause(e, depth + 1));
  if (depth < 3 && inner.cause !== undefined) copy.cause = scrubbedCause(inner.cause, depth + 1);
  return copy;
}
