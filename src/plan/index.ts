/**
 * The plan layer: what a migration plans and how it moves. It imports
 * nothing from the rest of xc, and everything else imports it from here
 * (test/unit/architecture.test.ts holds both to that).
 */
export type { Blocker } from './blockers.js';
export type { AgreementCheck, BackfillSpec, BusyAlternative, KeyForm, KeyForms, OperationPlan, SchemaObject, Step } from './step.js';
export { atomic, clearingFirst, emptyPlan, onNewColumn, removing } from './step.js';
export type { ExpressionCheck, RowCheck } from './checks.js';
export type { XcEvent } from './events.js';
export type { Phase, PhaseCommand, Stage, StoredPhase } from './phases.js';
export {
  PHASES,
  IllegalTransitionError,
  assertTransition,
  awaitsContract,
  canBackfill,
  canContract,
  canMove,
  canRollBack,
  isAtLeastBackfilled,
  isInFlight,
  isTerminal,
  isUnstarted,
  nextPhase,
  phaseRunning,
  reached,
  stagesAhead,
} from './phases.js';
