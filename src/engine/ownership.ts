/**
 * What is xc's, by its journal (issue 11): a name `plan` found free can be
 * taken by another session before the step that creates it runs. Creation
 * statements therefore carry no `IF NOT EXISTS` (the journal makes them safe
 * to re-run: a transactional step commits with its journal row, any other one
 * is re-run only after its probe), so such a collision fails loudly, and:
 * - a step that creates an object (Step.creates) and was never attempted
 *   (journal: pending) cannot claim an object its probe finds: that is
 *   someone else's, not a crashed attempt of xc's;
 * - a step that failed on an existing object goes back to pending, so no
 *   later run or rollback takes the object for xc's;
 * - a rollback step that removes an object (Step.removes), or clears the way
 *   for removing one (Step.forRemovalOf: a column's indexes and keys), runs
 *   only when the step that created it was attempted; where the plan creates
 *   it and the journal shows that step never ran, the object is not xc's and
 *   stays, and so does everything over it;
 * - an author's `rollback` SQL (the `sql` operation) runs only where that
 *   operation's own expand SQL completed, or xc died while it ran
 *   (authorSqlNotRun);
 * - so does every rollback step on a table the plan creates and never made
 *   (an expand stopped before its createTable): there is nothing to undo on
 *   it — a NOT NULL put back on a table that is not there would fail the
 *   rollback for good.
 *
 * One hole is left on purpose: killed between a failed attempt and putting
 * its journal row back, a step stays "running" and a later rollback would
 * remove the object. That needs another session to take the name within the
 * same milliseconds and xc to die there.
 */
import type { Session } from '../db/driver.js';
import { NameTakenError } from '../errors.js';
import type { SchemaObject, Step } from '../plan/index.js';
import type { StepPhase } from '../state/store.js';
import type { EngineContext } from './context.js';

const sameObject = (a: SchemaObject, b: SchemaObject) => a.kind === b.kind && a.table === b.table && a.name === b.name;

export function describeObject(o: SchemaObject): string {
  switch (o.kind) {
    case 'table':
      return `table "${o.name}"`;
    case 'column':
      return `column "${o.table}"."${o.name}"`;
    default:
      return `${o.kind} "${o.name}" on "${o.table}"`;
  }
}

/**
 * The error for a step whose object exists and is not xc's: `serverMessage`
 * when the server refused the statement, else its probe found the object
 * before the step was ever attempted.
 */
export function nameTaken(step: Step, migration: string, serverMessage?: string): NameTakenError {
  const what = serverMessage ?? `${describeObject(step.creates![0]!)} already exists`;
  return new NameTakenError(
    `${step.description} failed: ${what}. xc did not create it: it appeared after plan checked the names (another session made it). ` +
      `xc leaves it as it is, and a rollback will not remove it. Roll this migration back (\`xc rollback ${migration}\`) and give xc's object another name, ` +
      `or move that object out of the way and run \`xc apply\` again.`,
    { migration, sql: step.sql, objects: step.creates },
  );
}

/**
 * The seqs of a rollback's steps to skip: those removing an object that the
 * migration's expand or contract creates (`undoes`) with no creating step
 * ever attempted, or clearing the way for such a removal. A removal of
 * something no step creates runs as planned, and so does one of an object an
 * earlier step of the rollback itself creates (a check put back, then
 * dropped once validated).
 */
export async function removalsNotOurs(ctx: EngineContext, s: Session, migration: string, steps: Step[], undoes: Partial<Record<StepPhase, Step[]>>): Promise<Map<number, string>> {
  const attempted: SchemaObject[] = [];
  const neverAttempted: SchemaObject[] = [];
  const journals = new Map<StepPhase, Map<number, string>>();
  for (const [phase, planned] of Object.entries(undoes) as [StepPhase, Step[]][]) {
    if (!planned.some((st) => st.creates || st.author)) continue;
    const journal = new Map((await ctx.store.steps(s, migration, phase)).map((j) => [j.seq, j.status]));
    journals.set(phase, journal);
    for (const [seq, step] of planned.entries()) {
      const list = (journal.get(seq) ?? 'pending') === 'pending' ? neverAttempted : attempted;
      list.push(...(step.creates ?? []));
    }
  }
  const skip = new Map<number, string>();
  const notOursReason = "xc's journal shows it never created it";
  const unmade = neverAttempted.filter((o) => o.kind === 'table' && !attempted.some((a) => sameObject(a, o))).map((o) => o.name);
  // By the tables it locks, or names (a read takes no lock: MySQL's check of a constraint's rows).
  const on = (step: Step, table: string) => step.tables.includes(table) || step.sql.includes(ctx.dialect.quote(table));
  const notOurs = (o: SchemaObject, seq: number) =>
    neverAttempted.some((c) => sameObject(c, o)) && !attempted.some((c) => sameObject(c, o)) && !steps.slice(0, seq).some((st) => st.creates?.some((c) => sameObject(c, o)));
  for (const [seq, step] of steps.entries()) {
    const gone = unmade.filter((t) => on(step, t));
    if (gone.length > 0 && !steps.slice(0, seq).some((st) => st.creates?.some((c) => c.kind === 'table' && gone.includes(c.name)))) {
      skip.set(seq, notOursReason);
      continue;
    }
    if ([step.removes, step.forRemovalOf].some((o) => o && notOurs(o, seq))) skip.set(seq, notOursReason);
    const unrun = step.author?.field === 'rollback' ? authorSqlNotRun(step.author.op, undoes, journals) : undefined;
    if (unrun) skip.set(seq, unrun);
  }
  return skip;
}

/**
 * Why operation `op`'s `rollback` SQL has nothing to undo, or undefined when
 * it runs: its `expand` (without one, its `contract`) never completed — its
 * journal row is pending: never run, or refused by the server, which undid it
 * (PostgreSQL's transaction, a MariaDB statement). Running it then would
 * remove what was there before (pgroll's `DROP TABLE users` after a `CREATE
 * TABLE users` that met an existing table) or fail for good (a `DROP COLUMN`
 * of a column never added). A step xc died in (running) may have taken
 * effect: the rollback runs.
 */
function authorSqlNotRun(op: number, undoes: Partial<Record<StepPhase, Step[]>>, journals: Map<StepPhase, Map<number, string>>): string | undefined {
  for (const phase of ['expand', 'contract'] as const) {
    const seq = undoes[phase]?.findIndex((st) => st.author?.op === op && st.author.field === phase) ?? -1;
    if (seq < 0) continue;
    const status = journals.get(phase)?.get(seq) ?? 'pending';
    return status === 'pending' ? `operation ${op}'s ${phase} SQL never completed (it failed, and the server undid it, or never ran): nothing of it to undo` : undefined;
  }
  return undefined;
}
