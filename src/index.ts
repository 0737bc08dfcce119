/** The public API of expand-contract (SPEC §8). */
export { createXc } from './xc.js';
export { createFleet } from './fleet/index.js';
export type * from './fleet/api.js';
export { defineMigration } from './migration/define.js';
export type { MigrationDefinition, MigrationInput, OperationInput, OperationEntry, OperationKind, Column, Expr } from './migration/schema.js';
export type * from './api.js';
export type { Driver, Session } from './db/driver.js';
export { XcError, InvalidInputError, DriftError, CannotSucceedError, RefusedError, LockHeldError, LockTimeoutError, DataMismatchError, SqlFailedError, NameTakenError, InterruptedError, ExitCode, exitCodeOf, errorCodeOf } from './errors.js';
export type { ErrorCode, IssueCode, IssueFacts, MigrationIssue } from './errors.js';
