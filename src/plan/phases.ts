/**
 * The phase machine of SPEC §4, in one place: the phases a migration's state
 * row moves through, ONE transition table saying which command moves it from
 * each phase to which, and the predicates the commands, the gate, `plan` and
 * `status` ask. Nothing else spells out sets of phases.
 *
 *   pending → expanding → dual_write → backfilling → backfilled → contracting → contracted
 *   and from any phase before contracting: rolling_back → rolled_back
 */

export type Phase =
  | 'pending'
  | 'expanding'
  | 'dual_write'
  | 'backfilling'
  | 'backfilled'
  | 'contracting'
  | 'contracted'
  | 'rolling_back'
  | 'rolled_back';

/** A phase a state row can hold: `pending` is a migration with no row (or, for the commands, a rolled-back one). */
export type StoredPhase = Exclude<Phase, 'pending'>;

/** The work a migration's plan holds, each run in its own phase (OperationPlan's expand, backfill, contract, rollback). */
export type Stage = 'expand' | 'backfill' | 'contract' | 'rollback';

/** The commands that move a migration (`check --apply` runs apply). */
export type PhaseCommand = 'apply' | 'backfill' | 'contract' | 'rollback';

interface PhaseRule {
  /** The stage whose work runs while a migration is in this phase. */
  runs?: Stage;
  /** Where each command moves a migration in this phase; a command not listed leaves it where it is. */
  next: Readonly<Partial<Record<PhaseCommand, Phase>>>;
}

/** The transition table. */
export const PHASES: Readonly<Record<Phase, PhaseRule>> = {
  pending: { next: { apply: 'expanding' } },
  expanding: { runs: 'expand', next: { apply: 'dual_write', rollback: 'rolling_back' } },
  dual_write: { next: { apply: 'backfilling', backfill: 'backfilling', rollback: 'rolling_back' } },
  backfilling: { runs: 'backfill', next: { apply: 'backfilled', backfill: 'backfilled', rollback: 'rolling_back' } },
  backfilled: { next: { contract: 'contracting', rollback: 'rolling_back' } },
  // Rolled back only while its contract has removed nothing (canRollBack; engine/lifecycle.ts contractUndoable reads the journal).
  contracting: { runs: 'contract', next: { contract: 'contracted', rollback: 'rolling_back' } },
  contracted: { next: {} },
  rolling_back: { runs: 'rollback', next: { rollback: 'rolled_back' } },
  // Applied again, it starts from scratch, as if it had never run.
  rolled_back: { next: { apply: 'expanding' } },
};

/** SPEC §4's main line, in order: how far forward a migration has come (`reached`). */
const FORWARD: readonly Phase[] = ['pending', 'expanding', 'dual_write', 'backfilling', 'backfilled', 'contracting', 'contracted'];

/** Where `command` moves a migration in `from`, or undefined when it has nothing to do there. */
export function nextPhase(from: Phase, command: PhaseCommand): Phase | undefined {
  return PHASES[from].next[command];
}

/** Some command moves a migration from `from` straight to `to`. */
export function canMove(from: Phase, to: Phase): boolean {
  return Object.values(PHASES[from].next).includes(to);
}

/** A phase change the table does not allow: a bug in xc, never the user's doing. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: Phase,
    readonly to: Phase,
  ) {
    super(`internal error: a migration cannot move from ${from} to ${to} (SPEC §4; src/plan/phases.ts)`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: Phase, to: Phase): void {
  if (!canMove(from, to)) throw new IllegalTransitionError(from, to);
}

/** On the main line at `milestone` or past it (a migration rolling back or rolled back is on no milestone). */
export function reached(phase: Phase, milestone: Phase): boolean {
  const at = FORWARD.indexOf(phase);
  return at >= 0 && at >= FORWARD.indexOf(milestone);
}

/** Done either way: contracted, or rolled back. */
export function isTerminal(phase: Phase): boolean {
  return phase === 'contracted' || phase === 'rolled_back';
}

/** Nothing of it is in the database: pending, or rolled back. Apply starts it from scratch. */
export function isUnstarted(phase: Phase): boolean {
  return nextPhase(phase, 'apply') === 'expanding';
}

/** Started and not done: its objects, triggers or removals are in the database now. */
export function isInFlight(phase: Phase): boolean {
  return !isUnstarted(phase) && !isTerminal(phase);
}

/** In flight with its contract still ahead: the deploy gate decides when it may begin (its blockers are what `status` shows). */
export function awaitsContract(phase: Phase): boolean {
  return reached(phase, 'expanding') && !reached(phase, 'contracting');
}

/** A build may go live at a level once every migration up to it is this far (SPEC §6). */
export function isAtLeastBackfilled(phase: Phase): boolean {
  return reached(phase, 'backfilled');
}

/** `xc backfill` (without naming it) has work to do on it. */
export function canBackfill(phase: Phase): boolean {
  return nextPhase(phase, 'backfill') !== undefined;
}

/** `xc contract` may begin or finish it (the gate permitting). */
export function canContract(phase: Phase): boolean {
  return nextPhase(phase, 'contract') !== undefined;
}

/**
 * `xc rollback` may begin or finish it. A contracting one only while its
 * contract has removed nothing of the old shape (`contractRemovedNothing`).
 */
export function canRollBack(phase: Phase, contractRemovedNothing = false): boolean {
  if (phase === 'contracting') return contractRemovedNothing;
  return nextPhase(phase, 'rollback') !== undefined;
}

/** The phase a migration is in while `stage` runs (its steps' events carry it). */
export function phaseRunning(stage: Stage): Phase {
  return (Object.keys(PHASES) as Phase[]).find((p) => PHASES[p].runs === stage)!;
}

/**
 * The stages a migration in `phase` still has to run, in order, as `plan`
 * shows them: the rest of the main line, or the rest of its rollback.
 */
export function stagesAhead(phase: Phase): Stage[] {
  const path = FORWARD.includes(phase) ? FORWARD.slice(FORWARD.indexOf(phase)) : phase === 'rolling_back' ? [phase] : [];
  return path.flatMap((p) => (PHASES[p].runs ? [PHASES[p].runs] : []));
}
