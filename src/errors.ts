/**
 * Every error xc raises on purpose is an XcError carrying the process exit
 * code of SPEC §7, so the CLI maps errors to exit codes in one place.
 */
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

export class XcError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown>;
  constructor(message: string, exitCode: ExitCodeValue, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Exit 2: a migration file, flag, config or the live schema says no. Nothing was executed. */
export class InvalidInputError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.invalidInput, details);
  }
}

/** Exit 2: an applied migration's file changed since it was applied. */
export class DriftError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.invalidInput, details);
  }
}

/**
 * Exit 2: a request that can never succeed as asked — retrying will not help
 * (e.g. rolling back a contracted migration). The message says what to do
 * instead. Nothing was executed.
 */
export class CannotSucceedError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.invalidInput, details);
  }
}

/** Exit 3: refused for now by the deploy gate or by phase order; safe to retry later (after the step the message names). */
export class RefusedError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.refused, details);
  }
}

/** Exit 4: another xc holds the advisory lock on this database. */
export class LockHeldError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.lockHeld, details);
  }
}

/** Exit 5: gave up waiting for a database lock; names the blocking sessions. */
export class LockTimeoutError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.lockTimeout, details);
  }
}

/** Exit 1: old and new shape disagree on some rows; contract refused. */
export class DataMismatchError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.failed, details);
  }
}

/** Exit 1: a statement failed for another reason. */
export class SqlFailedError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.failed, details);
  }
}

/**
 * Exit 1: an object a step was to create exists and is not xc's (another
 * session made it after plan checked the name). It is left alone, and the
 * journal does not count it as xc's, so a rollback leaves it too.
 */
export class NameTakenError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, ExitCode.failed, details);
  }
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof XcError ? err.exitCode : ExitCode.failed;
}

/** Exit 130/143: asked to stop (SIGINT/SIGTERM, or the library's `signal`); stopped between two statements or batches. */
export class InterruptedError extends XcError {
  constructor(message: string, signal: 'SIGINT' | 'SIGTERM' | string) {
    super(message, signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted, { signal });
  }
}
