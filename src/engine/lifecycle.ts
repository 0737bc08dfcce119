/**
 * Moves one migration through its phases (SPEC §4), each transition recorded
 * with its timestamp and an event. Every function resumes from whatever the
 * state row says, so it can be called again after a crash at any point.
 */
import { runBackfill } from '../backfill/run.js';
import { verifyAgreement } from '../backfill/verify.js';
import { overAtExpand, requireOldNamesUnused, requireRemovedUnused, requireRollbackRemovesUnused } from './oldNames.js';
import { inTransaction, withSession } from '../db/driver.js';
import { DataMismatchError, SqlFailedError, XcError } from '../errors.js';
import type { MigrationFile } from '../migration/load.js';
import type { OperationPlan, Phase, Step } from '../plan/index.js';
import type { MigrationRow, StepPhase } from '../state/store.js';
import { stopIfAsked, type EngineContext } from './context.js';
import { probe, runSteps } from './steps.js';
import { requireExpandIntact } from './intact.js';

type Row = Pick<MigrationRow, 'id' | 'phase' | 'plan'>;

/** Move to `to`, logged; `journal` writes the steps of the phase being entered in the same transaction. */
async function transition(ctx: EngineContext, row: Row, to: MigrationRow['phase'], extra?: { reason?: string | null; detail?: unknown; journal?: StepPhase }): Promise<void> {
  const from = row.phase;
  stopIfAsked(ctx);
  await ctx.lockHeld?.();
  await inTransaction(ctx.driver, async (s) => {
    if (extra?.journal) await ctx.store.journal(s, row.id, extra.journal, row.plan[extra.journal]);
    await ctx.store.setPhase(s, row.id, from, to);
    await ctx.store.log(s, { migration: row.id, actor: ctx.actor, command: ctx.command, event: to, reason: extra?.reason, detail: extra?.detail });
  });
  row.phase = to;
  ctx.emit({ event: 'phase', migration: row.id, from, to });
}

/**
 * Enter `to` (a contract's `contracting`, a rollback's `rolling_back`), then ask the gate (`gate` throws to refuse).
 * In this order, as `xc deploy record` writes its record, then reads the phases (xc.ts): of two commands racing, the
 * one or the other sees what the other wrote — the gate the record, or the record the phase, and warns. Asked first,
 * a record landing between the gate's read and the phase's write went unseen by both: the rollback or contract removed
 * what the just-recorded version needs, both commands exit 0 (campaign FF). Refused, the phase is taken back: nothing
 * of it ran.
 */
async function gateOnEntry(ctx: EngineContext, row: Row, to: 'contracting' | 'rolling_back', extra: Parameters<typeof transition>[3], gate?: () => Promise<void>): Promise<void> {
  const from = row.phase;
  // The phase left, in the log: a rollback killed before it asked the gate is asked again, and taken back there (rollbackUnbegun).
  await transition(ctx, row, to, { ...extra, detail: { ...(extra?.detail as object | undefined), from } });
  try {
    await gate?.();
  } catch (err) {
    await takeBack(ctx, row, from);
    throw err;
  }
}

/** `row`'s phase, just entered and nothing of it run, back to `from` (the gate refused it), logged. */
export async function takeBack(ctx: EngineContext, row: Row, from: MigrationRow['phase']): Promise<void> {
  const entered = row.phase;
  await inTransaction(ctx.driver, async (s) => {
    await ctx.store.revertEntry(s, row.id, entered, from);
    await ctx.store.log(s, { migration: row.id, actor: ctx.actor, command: ctx.command, event: from, reason: `the gate refused on entering ${entered}` });
  });
  row.phase = from;
  ctx.emit({ event: 'phase', migration: row.id, from: entered, to: from });
}

/**
 * The phase a `rolling_back` migration left, where none of its rollback steps has begun (killed between its entering
 * and its asking the gate: gateOnEntry); null once one has, or where the log does not say. Such a one is asked again.
 */
export async function rollbackUnbegun(ctx: EngineContext, row: Row): Promise<MigrationRow['phase'] | null> {
  if (row.phase !== 'rolling_back') return null;
  return withSession(ctx.driver, async (s) => {
    if ((await ctx.store.steps(s, row.id, 'rollback')).some((st) => st.status !== 'pending')) return null;
    const entered = (await ctx.store.events(s, { migration: row.id })).filter((e) => e.event === 'rolling_back').at(-1);
    const from = (entered?.detail as { from?: unknown } | null)?.from;
    return typeof from === 'string' && from !== 'rolling_back' ? (from as MigrationRow['phase']) : null;
  });
}

/** Record a failure on the migration's row and in the event log, then rethrow. */
async function recording<T>(ctx: EngineContext, id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await inTransaction(ctx.driver, async (s) => {
      await ctx.store.setError(s, id, message);
      await ctx.store.log(s, { migration: id, actor: ctx.actor, command: ctx.command, event: 'failed', detail: { error: message, exitCode: err instanceof XcError ? err.exitCode : 1 } });
    }).catch(() => undefined);
    throw err;
  }
}

/** Start a migration: its row, its plan and its expand journal in one transaction. */
export async function begin(ctx: EngineContext, file: MigrationFile, plan: OperationPlan, previous: Phase): Promise<Row> {
  await inTransaction(ctx.driver, async (s) => {
    await ctx.store.begin(s, { id: file.id, checksum: file.checksum, description: file.definition.description ?? null, definition: file.definition, plan });
    await ctx.store.log(s, { migration: file.id, actor: ctx.actor, command: ctx.command, event: 'expanding' });
  });
  ctx.emit({ event: 'phase', migration: file.id, from: previous, to: 'expanding' });
  return { id: file.id, phase: 'expanding', plan };
}

/**
 * expanding → dual_write → (unless stopAt) backfilling → backfilled. Returns the rows the widest pass walked, and what the caller should
 * know: rows that still disagree after the catch-up passes (convertEscaped).
 */
export async function advance(ctx: EngineContext, row: Row, stopAt: 'expand' | 'backfill'): Promise<{ rows: number; warning?: string }> {
  let rows = 0;
  let warning: string | undefined;
  await recording(ctx, row.id, async () => {
    if (row.phase === 'expanding') {
      // The way on, as a contract step's failure says it (campaign W: a unique index build met a duplicate an old
      // writer made meanwhile, and the message was the server's alone).
      await runSteps(ctx, row.id, 'expand', row.plan.expand).catch((err: unknown) => {
        throw withWay(err, `${row.id} stays expanding: fix what the server names (such as a row breaking the index or constraint being built) and run \`xc apply\` again — it resumes at this step; or \`xc rollback ${row.id}\` (the way to change the migration itself: roll back, edit the file, apply again).`);
      });
      await transition(ctx, row, 'dual_write', { detail: await overAtExpand(ctx, row) });
    }
    if (stopAt === 'expand') return;
    if (row.phase === 'dual_write') await transition(ctx, row, 'backfilling');
    if (row.phase === 'backfilling') {
      rows = await runBackfill(ctx, row.id, row.plan.backfill);
      const escaped = await convertEscaped(ctx, row);
      // Each pass walks the table again: the rows it holds, not their sum (campaign CY: 451,885 said for ~150k).
      rows = Math.max(rows, escaped.rows);
      warning = escaped.warning;
      await transition(ctx, row, 'backfilled');
    }
  });
  return { rows, ...(warning ? { warning } : {}) };
}

/** How many times the catch-up runs again while the verify finds rows (the contract's verify holds what is left). */
const ESCAPED_PASSES = 2;

/**
 * MySQL/MariaDB fill a column before its triggers exist; the catch-up pass then converts what the old version wrote
 * meanwhile — from a row's fill batch to the triggers, most of the fill. A row written there whose key then moves
 * behind that pass's cursor is never seen again: an UPDATE of the key changes neither value, so the trigger keeps the
 * stale one (campaigns CM, CO: up to 524 rows said `backfilled`, with or without a kill). So after a fill the verify
 * runs before `backfilled` (one read of the table), and the catch-up again while it finds rows. Rows still found
 * after ESCAPED_PASSES (keys moving behind every pass, or foreign-key cascades, which run no trigger) are said, not
 * waited for: the contract's verify refuses while they disagree, and `xc backfill ID` converts them again.
 * No plan with a fill (PostgreSQL's), or only fills that every write converts again: nothing to do.
 */
async function convertEscaped(ctx: EngineContext, row: Row): Promise<{ rows: number; warning?: string }> {
  // A shadow's fill, whose trigger converts every write, key moves included, leaves none (BackfillSpec.everyWriteConverts).
  if (row.plan.expand.every((st) => !st.fill || st.fill.everyWriteConverts)) return { rows: 0 };
  let rows = 0;
  for (let pass = 0; ; pass++) {
    const escaped = await verifyAgreement(ctx, row.id, row.plan.verify).then(
      () => false,
      (err: unknown) => {
        if (err instanceof DataMismatchError) return true;
        throw err;
      },
    );
    if (!escaped) return { rows };
    if (pass === ESCAPED_PASSES) {
      return { rows, warning: `${row.id}: rows still disagree after ${ESCAPED_PASSES} more catch-up passes (a key moved behind each pass, a foreign-key cascade — which runs no trigger —, or a write the verify refuses): the contract's verify names them and refuses while they do; \`xc backfill ${row.id}\` converts them again` };
    }
    rows = Math.max(rows, await backfillAgain(ctx, row, { reason: 'rows the verify found after the catch-up (written between the fill and the triggers)' }));
  }
}

/** The backfill again (a pass cut short resumes; a finished one starts over), over the rows that disagree. */
async function backfillAgain(ctx: EngineContext, row: Row, detail?: unknown): Promise<number> {
  await inTransaction(ctx.driver, async (s) => {
    const passes = (await ctx.store.backfills(s, row.id)).filter((b) => b.seq >= 0);
    if (passes.length > 0 && passes.every((b) => b.finished)) await ctx.store.resetBackfills(s, row.id);
    await ctx.store.log(s, { migration: row.id, actor: ctx.actor, command: ctx.command, event: 'backfill_again', ...(detail ? { detail } : {}) });
  });
  return runBackfill(ctx, row.id, row.plan.backfill);
}

/**
 * A backfilled migration's backfill, run again over the rows that disagree
 * (the phase stays backfilled): the repair when the verify found rows a
 * trigger never saw — on MySQL, changes made by a foreign-key cascade. A
 * pass cut short resumes; a finished one starts over.
 */
export async function convertAgain(ctx: EngineContext, row: Row): Promise<number> {
  return recording(ctx, row.id, () => backfillAgain(ctx, row));
}

/** backfilled → (verified) contracting → contracted. */
/**
 * `gate` is asked again once the verify has passed, right before the old shape starts going: the verify of a big
 * table takes minutes, in which a deployment may be recorded (it throws to refuse).
 */
export async function contract(ctx: EngineContext, row: Row, forced?: { reason: string; blockers: unknown[] }, gate?: () => Promise<void>): Promise<void> {
  await recording(ctx, row.id, async () => {
    const justEntered = row.phase === 'backfilled';
    if (justEntered) {
      await requireExpandIntact(ctx, row);
      await requireOldNamesUnused(ctx, row);
      await requireRemovedUnused(ctx, row);
      await verifyBeforeContract(ctx, row);
      await gateOnEntry(ctx, row, 'contracting', forced ? { reason: forced.reason, detail: { forced: true, blockers: forced.blockers }, journal: 'contract' } : { journal: 'contract' }, gate);
    } else if (row.phase === 'contracting' && (await contractUndoable(ctx, row))) {
      // Resumed before anything of the old shape went (killed, or stopped at a lock: exit 5): what was made over it
      // since is read again, as from backfilled (campaign AB: an index made in between went with the column, exit 0).
      // Not the expand's objects: the steps done may have removed some (its triggers).
      await requireOldNamesUnused(ctx, row);
      await requireRemovedUnused(ctx, row);
    }
    if (row.phase === 'contracting') {
      // A resumed contract the gate refused again, overridden: logged as the first override was (xc log).
      if (forced && !justEntered) {
        await inTransaction(ctx.driver, (s) => ctx.store.log(s, { migration: row.id, actor: ctx.actor, command: ctx.command, event: 'contracting', reason: forced.reason, detail: { forced: true, resumed: true, blockers: forced.blockers } }));
      }
      await runSteps(ctx, row.id, 'contract', row.plan.contract)
        .catch((err: unknown) => namingRows(ctx, row, err))
        .catch(async (err: unknown) => {
          throw await withWayOut(ctx, row, err);
        });
      await transition(ctx, row, 'contracted');
    }
  });
}

/**
 * The verify before contract (SPEC §5). A check whose rows the cut-over converts under its lock (a foreign-key action
 * changes what they are computed from, with no trigger run: AgreementCheck.convertedAtCutOver) converts the rows it
 * finds again instead of refusing — a parent's key changing once a second refused every contract (campaigns CW, CY),
 * and `xc backfill ID` could not get ahead of it. The other checks refuse as ever, first.
 */
async function verifyBeforeContract(ctx: EngineContext, row: Row): Promise<void> {
  const others = row.plan.verify.filter((c) => !c.convertedAtCutOver);
  await verifyAgreement(ctx, row.id, others);
  const converted = row.plan.verify.filter((c) => c.convertedAtCutOver);
  if (converted.length === 0) return;
  const found = await verifyAgreement(ctx, row.id, converted).then(
    () => false,
    (err: unknown) => {
      if (err instanceof DataMismatchError) return true;
      throw err;
    },
  );
  if (!found) return;
  await backfillAgain(ctx, row, { reason: 'rows a foreign-key action changed (no trigger runs for it): converted again; the cut-over converts those changed after, under its lock' });
  // What converting again made is read by the other checks again: a NULL `up` gives the new value of a key set NULL
  // would pass into a NOT NULL column (campaign DG: the contract went on, failed at its NOT NULL, and its check's
  // triggers refused every write of the row until a rollback).
  await verifyAgreement(ctx, row.id, others);
}

/**
 * A contract step the server refused, explained by the verify when rows written since it break what the step
 * enforces (a contract resumed after a kill skips the verify it passed; a write may also land between the two): its
 * message names those rows and what to do, where the server's names none. A verify that cannot read the table
 * any more (a step that removes the old shape ran) leaves the server's own error.
 */
async function namingRows(ctx: EngineContext, row: Row, err: unknown): Promise<never> {
  // An author's `sql` step enforces nothing the verify checks: it failed for its own reasons, the server's words (campaign
  // CF: a failed `SELECT 1/0` was shown as rows the new version had written since, which a resumed contract never reads).
  const author = err instanceof SqlFailedError && isAuthorStep(row.plan.contract, err);
  if (err instanceof SqlFailedError && !author) {
    await verifyAgreement(ctx, row.id, row.plan.verify).catch((found: unknown) => {
      if (found instanceof DataMismatchError) throw found;
    });
  }
  throw err;
}

/**
 * A contract step the server refused, with the way on: the migration stays `contracting`, and its contract resumes at
 * that step — where a step before it removed part of the old shape, forward only (campaign M: a `sql` contract's
 * `DROP TYPE` failed after the swap, and the message said nothing of either; run by hand, the step then failed every
 * re-run).
 */
async function withWayOut(ctx: EngineContext, row: Row, err: unknown): Promise<unknown> {
  if (!(err instanceof SqlFailedError)) return err;
  const again = `fix what the server names and run \`xc contract ${row.id}\` again: it resumes at this step`;
  const undoable = await contractUndoable(ctx, row).catch(() => false);
  const author = isAuthorStep(row.plan.contract, err);
  const way = undoable
    ? `${row.id} stays contracting, nothing of its old shape removed yet: ${again}, or \`xc rollback ${row.id}\``
    : `${row.id} stays contracting and can no longer be rolled back (part of its old shape is removed already): ${again}`;
  const byHand = author ? ` — run as written, so do not run this \`sql\` step by hand first (or write it to run twice: IF EXISTS); ${fixedText('contract', row.id)}` : '';
  return withWay(err, `${way}${byHand}.`);
}

/** The failed statement is an author's `sql` text of this phase (which `--take-edited-sql` can replace). */
function isAuthorStep(steps: Step[], err: SqlFailedError): boolean {
  return steps.some((step) => step.author && step.sql === err.details.sql);
}

/** The way on when the author's statement itself is wrong (engine/editedSql.ts). */
const fixedText = (field: 'contract' | 'rollback', id: string) =>
  `if the statement itself is wrong, correct it in the migration file and run \`xc ${field} ${id} --take-edited-sql\`, which runs the corrected text from this step on`;

/** A step the server refused, its message followed by the way on; any other error as it is. */
function withWay(err: unknown, way: string): unknown {
  if (!(err instanceof SqlFailedError)) return err;
  return new SqlFailedError(`${err.message}\n${way}`, err.details, { code: err.code, cause: err.cause });
}

/**
 * Whether a contracting migration can still be rolled back: its contract
 * failed before any step that removes the old shape ran. A step journaled
 * as running (it ran alone and failed, or xc was killed) counts as run unless
 * its catalog probe says it took no effect. Then the rollback plan, which
 * tolerates a partly-applied catalog, undoes expand and what contract added.
 */
export async function contractUndoable(ctx: EngineContext, row: Row): Promise<boolean> {
  if (row.phase !== 'contracting' || !row.plan.removalsMarked) return false;
  return withSession(ctx.driver, async (s) => {
    for (const { seq, status } of await ctx.store.steps(s, row.id, 'contract')) {
      const step = row.plan.contract[seq];
      if (!step?.removesOldShape || status === 'pending') continue;
      if (status === 'done' || !step.probe || (await probe(s, step.probe))) return false;
      // A group of statements that commit one by one (MySQL's LOCK TABLES step), stopped part-way: one of its
      // statements done is a removal begun — the sync triggers gone and the old column still there read as "nothing
      // removed", the gate held the contract, and neither version's writes reached the other (campaign FG).
      for (const st of step.statements ?? []) if (typeof st !== 'string' && st.unless && (await probe(s, st.unless))) return false;
    }
    return true;
  });
}

/** Any phase before contracting (or a contract stopped before it removed anything) → rolling_back → rolled_back. */
export async function rollback(ctx: EngineContext, row: Row, forced?: { reason: string; blockers: unknown[] }, gate?: () => Promise<void>): Promise<void> {
  await recording(ctx, row.id, async () => {
    // Again on a re-run: a row written since the last attempt is named, not met by a validation. A read that fails
    // (the table an expand stopped before making) names nothing: the rollback's steps meet what is there.
    await verifyAgreement(ctx, row.id, row.plan.rollbackVerify ?? [], 'rollback').catch((err: unknown) => {
      if (err instanceof DataMismatchError) throw err;
    });
    if (row.phase !== 'rolling_back') {
      await requireRollbackRemovesUnused(ctx, row);
      await gateOnEntry(ctx, row, 'rolling_back', forced ? { reason: forced.reason, detail: { forced: true, blockers: forced.blockers }, journal: 'rollback' } : { journal: 'rollback' }, gate);
    }
    // The way on, as a contract step's failure says it (campaign T: a view made over the new column stopped it here).
    await runSteps(ctx, row.id, 'rollback', row.plan.rollback, { expand: row.plan.expand, contract: row.plan.contract }).catch((err: unknown) => {
      const author = err instanceof SqlFailedError && isAuthorStep(row.plan.rollback, err) ? `; ${fixedText('rollback', row.id)}` : '';
      throw withWay(err, `${row.id} stays rolling_back: fix what the server names (such as a view of yours made over what the rollback removes) and run \`xc rollback ${row.id}\` again — it resumes at this step${author}.`);
    });
    await transition(ctx, row, 'rolled_back');
  });
}
