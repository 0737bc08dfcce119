/**
 * Runs the journaled steps of a phase so that a re-run after `kill -9` at
 * any point converges and never does finished work twice:
 * - a transactional step (PostgreSQL DDL) commits in one transaction with
 *   its journal row, so it has either happened and is marked done, or not;
 * - any other step (CREATE INDEX CONCURRENTLY, all MySQL DDL) is journaled
 *   intent → run → done, and on a re-run its catalog probe decides whether
 *   the statement already took effect; a half-done attempt is cleaned up;
 * - what the journal shows xc did not create is never taken for xc's work,
 *   nor removed by a rollback (ownership.ts);
 * - a fill step walks its table in batches, each committed with its own
 *   cursor row (numbered -1 - its step number), so a re-run resumes it.
 */
import { releaseRestored, withSession, type Session } from '../db/driver.js';
import type { SessionRestore } from '../dialects/dialect.js';
import { SqlFailedError, XcError } from '../errors.js';
import { phaseRunning, type Blocker, type Step } from '../plan/index.js';
import type { StepPhase, StepRow } from '../state/store.js';
import { stopIfAsked, type EngineContext } from './context.js';
import { PreflightBlocked, withLockRetry } from './retry.js';
import { backfillTable, placeAmong } from '../backfill/run.js';
import { nameTaken, removalsNotOurs } from './ownership.js';
import { measureBusy, watchWhileRunning, type BusyReading } from './busy.js';

/** How long a transaction that already holds locks may wait for another one (see lockTablesFirst). */
const HELD_LOCK_WAIT_MS = 50;

/**
 * Run `steps` as journaled for `phase`. A rollback names the phases it
 * `undoes`: its steps removing an object those phases create but never
 * attempted to are skipped, the object not being xc's.
 */
export async function runSteps(ctx: EngineContext, migration: string, phase: StepPhase, steps: Step[], undoes: Partial<Record<StepPhase, Step[]>> = {}): Promise<void> {
  const s0 = await ctx.driver.acquire();
  let status: Map<number, StepRow['status']>;
  let notOurs: Map<number, string>;
  try {
    await ctx.store.journal(s0, migration, phase, steps);
    status = new Map((await ctx.store.steps(s0, migration, phase)).map((j) => [j.seq, j.status]));
    notOurs = await removalsNotOurs(ctx, s0, migration, steps, undoes);
  } finally {
    s0.release();
  }
  let i = 0;
  while (i < steps.length) {
    if (status.get(i) === 'done') {
      i++;
      continue;
    }
    stopIfAsked(ctx);
    let j = i;
    if (steps[i]!.fill) {
      await runFill(ctx, migration, phase, steps[i]!, i, placeAmong(steps.filter((st) => st.fill?.table === steps[i]!.fill!.table), steps[i]!));
    } else if (steps[i]!.transactional && (ctx.dialect.transactionalDdl || steps[i]!.author)) {
      while (steps[j]!.atomicWithNext && j + 1 < steps.length && steps[j + 1]!.transactional) j++;
      await runTransactional(ctx, migration, phase, steps, i, j, notOurs);
    } else if (notOurs.has(i)) {
      await withSession(ctx.driver, (s) => leaveAlone(ctx, s, migration, phase, steps[i]!, i, notOurs.get(i)!));
    } else if (steps[i]!.author) {
      await runAuthor(ctx, migration, phase, steps[i]!, i, status.get(i) ?? 'pending');
    } else {
      await runAlone(ctx, migration, phase, steps[i]!, i, status.get(i) ?? 'pending');
    }
    i = j + 1;
  }
}

function failed(step: Step, err: unknown, hint: string | null | undefined): XcError {
  if (err instanceof XcError) return err;
  const e = err as { message?: string; code?: string; detail?: unknown };
  // PostgreSQL says what stands in the way in its DETAIL (`default value for column role of table "User" depends on type "Role"`).
  const detail = typeof e.detail === 'string' && e.detail !== '' ? ` (${e.detail})` : '';
  return new SqlFailedError(`${step.description} failed: ${e.message ?? String(err)}${detail}${hint ? `\n${hint}` : ''}`, { sql: step.sql, code: e.code }, { cause: err });
}

/** A rollback step not run, for `reason`: what it removes is not xc's, or undoes what never ran (ownership.ts). Journaled done, logged and reported. */
async function leaveAlone(ctx: EngineContext, s: Session, migration: string, phase: StepPhase, step: Step, seq: number, reason: string): Promise<void> {
  await ctx.store.markStep(s, migration, phase, seq, 'done');
  await ctx.store.log(s, { migration, actor: ctx.actor, command: ctx.command, event: 'step_skipped', detail: { description: step.description, reason } });
  ctx.emit({ event: 'step_skipped', migration, phase: phaseRunning(phase), description: step.description, reason });
}

/**
 * Steps committed in one transaction with their journal rows: PostgreSQL DDL, and on MySQL/MariaDB an author's DML
 * statement (whose DDL commits implicitly, but a row change does not): a crash commits both or neither.
 */
async function runTransactional(ctx: EngineContext, migration: string, phase: StepPhase, steps: Step[], from: number, to: number, notOurs: Map<number, string>): Promise<void> {
  const group = steps.slice(from, to + 1);
  const tables = [...new Set(group.flatMap((s) => s.tables))];
  await withLockRetry(ctx, { migration, description: group.map((s) => s.description).join('; '), tables }, async (attempt) => {
    const s = await ctx.driver.acquire();
    let current = group[0]!;
    // Where DDL is not transactional, lockTimeout sets the session's: put back as it was when the session goes back to the pool.
    let restore: SessionRestore = [];
    try {
      if (!ctx.dialect.transactionalDdl) restore = await ctx.dialect.setSession(s, ctx.dialect.sessionLockTimeout(ctx.options.lockTimeoutMs));
      await s.query('BEGIN');
      await attempt.watch(s);
      if (ctx.dialect.transactionalDdl) for (const q of ctx.dialect.lockTimeout(ctx.options.lockTimeoutMs)) await s.query(q);
      await lockTablesFirst(ctx, s, group, tables);
      for (const [k, step] of group.entries()) {
        current = step;
        if (notOurs.has(from + k)) {
          await leaveAlone(ctx, s, migration, phase, step, from + k, notOurs.get(from + k)!);
          continue;
        }
        ctx.emit({ event: 'step', migration, phase: phaseRunning(phase), description: step.description, sql: step.sql });
        await s.query(step.sql);
        await ctx.store.markStep(s, migration, phase, from + k, 'done');
      }
      await ctx.lockHeld?.();
      await s.query('COMMIT');
    } catch (err) {
      await s.query('ROLLBACK').catch(() => undefined);
      if (ctx.dialect.isLockTimeout(err)) throw err;
      // Rolled back with its journal row, which stays pending: nothing credits the object to xc.
      if (current.creates && ctx.dialect.isDuplicateObject(err)) throw nameTaken(current, migration, (err as Error).message);
      throw failed(current, err, ctx.dialect.failureHint?.(err));
    } finally {
      await releaseRestored(s, restore);
    }
  });
}

/**
 * A transaction of several statements over several tables takes all their
 * locks before the first statement, the first table's under the lock timeout
 * and the others' within HELD_LOCK_WAIT_MS. Otherwise an application writer
 * holding one of the later tables and waiting for an earlier one (a foreign
 * key check does that) would wait first, and the server's deadlock check
 * (1 s by default) would kill the application's write. This way xc is the one
 * that gives up, and retries the whole transaction (fuzz seed 5).
 */
async function lockTablesFirst(ctx: EngineContext, s: Session, group: Step[], tables: string[]): Promise<void> {
  if (!ctx.dialect.lockTables || group.length < 2 || tables.length < 2) return;
  const [first, ...rest] = tables;
  for (const q of ctx.dialect.lockTables([first!])) await s.query(q);
  for (const q of ctx.dialect.lockTimeout(Math.min(ctx.options.lockTimeoutMs, HELD_LOCK_WAIT_MS))) await s.query(q);
  for (const q of ctx.dialect.lockTables(rest)) await s.query(q);
}

export async function probe(s: Session, sql: string): Promise<boolean> {
  const r = await s.query<{ done: unknown }>(sql);
  const v = r.rows[0]?.done;
  return v === true || v === 1 || v === '1' || v === 't';
}

/**
 * `status` is the step's journal row as the phase started: "pending" means
 * never attempted. A step that says what it `creates` (plans made before that
 * existed do not) counts its probe as its own work, and cleans up a leftover,
 * only once it was attempted (ownership.ts).
 */
async function runAlone(ctx: EngineContext, migration: string, phase: StepPhase, step: Step, seq: number, status: StepRow['status']): Promise<void> {
  let attempted = status !== 'pending' || !step.creates;
  // Statements of a several-statement step may have run part-way: a process killed while it ran, or an attempt failed past its first.
  let interrupted = status === 'running';
  // The step's table's write rate, and whether it is too busy for the planned statement (Step.ifBusy): measured once, not again on a lock retry.
  let reading: BusyReading | undefined;
  await withLockRetry(ctx, { migration, description: step.description, tables: step.tables }, async (attempt) => {
    const s = await ctx.driver.acquire();
    let restore: SessionRestore = [];
    try {
      if (step.probe && (await probe(s, step.probe))) {
        if (!attempted) throw nameTaken(step, migration);
        await ctx.store.markStep(s, migration, phase, seq, 'done');
        return;
      }
      const building = step.inProgress ? (await s.query<Blocker>(step.inProgress)).rows : [];
      if (building.length > 0) throw new PreflightBlocked(building);
      restore = await ctx.dialect.setSession(s, ctx.dialect.sessionLockTimeout(ctx.options.lockTimeoutMs));
      if (step.cleanup && attempted) await s.query(step.cleanup);
      if (step.prepare) await s.query(step.prepare);
      const blockers = step.tables.length > 0 ? ((await ctx.dialect.preflight?.(s, step.tables, ctx.options.lockTimeoutMs)) ?? []) : [];
      if (blockers.length > 0) throw new PreflightBlocked(blockers);
      reading ??= await measureBusy(ctx, s, step);
      await ctx.lockHeld?.();
      await ctx.store.markStep(s, migration, phase, seq, 'running');
      attempted = true;
      await attempt.watch(s);
      if (step.statements) {
        ctx.emit({ event: 'step', migration, phase: phaseRunning(phase), description: step.description, sql: step.sql });
        interrupted = await runStatements(s, step, interrupted);
      } else {
        reading = await runStatement(ctx, s, migration, phase, step, reading);
      }
      await ctx.store.markStep(s, migration, phase, seq, 'done');
    } catch (err) {
      if ((err as { xcInterrupted?: boolean }).xcInterrupted) interrupted = true;
      if (ctx.dialect.isLockTimeout(err) || err instanceof PreflightBlocked) throw err;
      if (step.creates && ctx.dialect.isDuplicateObject(err)) {
        // Someone else's: back to "not attempted", so no re-run or rollback takes the object for xc's.
        await ctx.store.markStep(s, migration, phase, seq, 'pending');
        throw nameTaken(step, migration, (err as Error).message);
      }
      throw failed(step, err, ctx.dialect.failureHint?.(err));
    } finally {
      await releaseRestored(s, [...ctx.dialect.resetSession().map((sql) => ({ sql, params: [] })), ...restore]);
    }
  });
}

/**
 * An author's statement run alone (MySQL/MariaDB DDL; on PostgreSQL one it
 * runs only outside a transaction block), journaled intent → run → done. Its
 * effect cannot be probed in general, so the journal row says what happened
 * (Step.author): a statement the server refused changed nothing — MariaDB's
 * DDL is atomic per statement, and a text holds one statement there, as a
 * PostgreSQL one that cannot run in a transaction does (plan refuses it among
 * others) — and goes back to pending, so a rollback does not undo what never
 * ran; it stays running only after an earlier attempt xc died in, which may
 * have taken effect. An index build (Step.present, PostgreSQL `CREATE INDEX
 * CONCURRENTLY name`) is handled as xc's own: the INVALID index a failed or
 * interrupted attempt left is dropped before the next one, an index of that
 * name that was there before the first attempt is never touched, and after
 * a crash a valid one is the statement done.
 */
async function runAuthor(ctx: EngineContext, migration: string, phase: StepPhase, step: Step, seq: number, status: StepRow['status']): Promise<void> {
  // xc died while an earlier attempt ran: it may have taken effect (then a rollback undoes it), and an index of the step's name is its own.
  const interrupted = status === 'running';
  let ours = interrupted;
  // An index of the step's name was there before xc first ran the statement: someone else's, never dropped.
  let before: boolean | undefined;
  await withLockRetry(ctx, { migration, description: step.description, tables: step.tables }, async (attempt) => {
    const s = await ctx.driver.acquire();
    let restore: SessionRestore = [];
    let ran = false;
    try {
      if (ours && step.probe && (await probe(s, step.probe))) {
        await ctx.store.markStep(s, migration, phase, seq, 'done');
        return;
      }
      const building = step.inProgress ? (await s.query<Blocker>(step.inProgress)).rows : [];
      if (building.length > 0) throw new PreflightBlocked(building);
      restore = await ctx.dialect.setSession(s, ctx.dialect.sessionLockTimeout(ctx.options.lockTimeoutMs));
      if (step.present) {
        const present = await probe(s, step.present);
        // Not valid (the probe above), so the INVALID leftover of an attempt of xc's.
        if (ours && present && step.cleanup) await s.query(step.cleanup);
        before ??= !ours && present;
      }
      const blockers = step.tables.length > 0 ? ((await ctx.dialect.preflight?.(s, step.tables, ctx.options.lockTimeoutMs)) ?? []) : [];
      if (blockers.length > 0) throw new PreflightBlocked(blockers);
      await ctx.lockHeld?.();
      await ctx.store.markStep(s, migration, phase, seq, 'running');
      ran = true;
      await attempt.watch(s);
      ctx.emit({ event: 'step', migration, phase: phaseRunning(phase), description: step.description, sql: step.sql });
      await s.query(step.sql);
      await ctx.store.markStep(s, migration, phase, seq, 'done');
    } catch (err) {
      if (ran) {
        // What the failed statement left: an index of the step's name that was not there before is xc's INVALID leftover.
        const left = step.present !== undefined && !before && (await probe(s, step.present).catch(() => true));
        if (left) ours = true;
        if (!interrupted && !left) await ctx.store.markStep(s, migration, phase, seq, 'pending').catch(() => undefined);
      }
      if (ctx.dialect.isLockTimeout(err) || err instanceof PreflightBlocked) throw err;
      const hint = ctx.dialect.failureHint?.(err);
      const again = interrupted
        ? `xc was stopped while an earlier attempt of this statement ran, which may have taken effect: if it did, \`xc rollback ${migration}\` runs the operation's rollback, or make the statement safe to run again (IF NOT EXISTS, IF EXISTS) and run xc again.`
        : undefined;
      throw failed(step, err, [hint, again].filter(Boolean).join('\n') || undefined);
    } finally {
      await releaseRestored(s, [...ctx.dialect.resetSession().map((sql) => ({ sql, params: [] })), ...restore]);
    }
  });
}

/**
 * The step's statement, or its alternative for a busy table (Step.ifBusy):
 * when the reading says it is busy; when it grew busy while the statement
 * ran (watchWhileRunning cancels it); or when the server gave the statement
 * up for the writes the table took meanwhile. Either way nothing changed, so
 * the alternative runs at once, logged as `step_busy` with why. Returns the
 * reading, with why the alternative ran when it did.
 */
async function runStatement(ctx: EngineContext, s: Session, migration: string, phase: StepPhase, step: Step, reading: BusyReading): Promise<BusyReading> {
  const run = async (busy: string | undefined) => {
    const { sql, description } = busy !== undefined && step.ifBusy ? step.ifBusy : step;
    if (busy !== undefined) await ctx.store.log(s, { migration, actor: ctx.actor, command: ctx.command, event: 'step_busy', detail: { planned: step.description, ran: description, reason: busy, writesPerSecond: reading.writesPerSecond ?? null } });
    const measured = reading.writesPerSecond !== undefined ? { writesPerSecond: reading.writesPerSecond } : {};
    ctx.emit({ event: 'step', migration, phase: phaseRunning(phase), description, sql, ...measured, ...(busy !== undefined ? { busy } : {}) });
    await (step.withoutQueueing ? untilLocked(ctx, s, sql) : s.query(sql));
  };
  if (reading.busy !== undefined || !step.ifBusy) {
    await run(reading.busy);
    return reading;
  }
  const watcher = watchWhileRunning(ctx, step, await ctx.dialect.sessionId(s), reading);
  let failure: unknown;
  try {
    await run(undefined);
  } catch (err) {
    failure = err;
  }
  // Stopped before anything else runs on this session, so a late cancel finds it idle.
  const cancelled = await watcher.stop();
  if (failure === undefined) return reading;
  const busy = cancelled ?? (ctx.dialect.isOverwhelmed?.(failure) ? `the server gave up "${step.description}" for the writes its table took meanwhile (${(failure as Error).message})` : undefined);
  if (busy === undefined) throw failure;
  await run(busy);
  return { ...reading, busy };
}

/** Step.withoutQueueing: `sql`, again while the server refuses it for a lock someone holds, until the lock timeout. */
async function untilLocked(ctx: EngineContext, s: Session, sql: string): Promise<void> {
  const deadline = Date.now() + ctx.options.lockTimeoutMs;
  for (;;) {
    try {
      await s.query(sql);
      return;
    } catch (err) {
      if (!ctx.dialect.isLockTimeout(err) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

async function runFill(ctx: EngineContext, migration: string, phase: StepPhase, step: Step, seq: number, tablePass: { index: number; of: number } | undefined): Promise<void> {
  const mark = (status: 'running' | 'done') => withSession(ctx.driver, (s) => ctx.store.markStep(s, migration, phase, seq, status));
  await mark('running');
  ctx.emit({ event: 'step', migration, phase: phaseRunning(phase), description: step.description, sql: step.sql });
  await backfillTable(ctx, migration, -1 - seq, step.fill!, 'fill', tablePass);
  await mark('done');
}

/** A query's `run` column is true (a boolean, or MySQL's 1). */
async function holds(s: Session, query: string): Promise<boolean> {
  const run = (await s.query<{ run: unknown }>(query)).rows[0]?.run;
  return run === true || Number(run) === 1;
}

/**
 * A several-statement step on one session (Step.statements), then its
 * `release` whatever happened, before the session writes the journal.
 * Returns whether a later attempt must count this one as interrupted.
 */
async function runStatements(s: Session, step: Step, interrupted: boolean): Promise<boolean> {
  let ran = 0;
  let current: (typeof step.statements & {})[number] | undefined;
  try {
    for (const st of step.statements!) {
      if (typeof st !== 'string' && st.afterInterruption && !interrupted && !(st.orWhen !== undefined && (await holds(s, st.orWhen)))) continue;
      if (typeof st !== 'string' && st.unless !== undefined && (await probe(s, st.unless))) continue;
      current = st;
      await s.query(typeof st === 'string' ? st : st.sql);
      ran++;
    }
  } catch (err) {
    // Put back what the statements before it removed (the failed one changed nothing), while the lock still holds.
    for (const sql of typeof current === 'object' ? (current.onFailure ?? []) : []) await s.query(sql).catch(() => undefined);
    if (step.release) await s.query(step.release).catch(() => undefined);
    // Past the first statement (the lock), something may have changed: the next attempt repairs what a half-done one left.
    (err as { xcInterrupted?: boolean }).xcInterrupted = interrupted || ran > 0;
    throw err;
  }
  if (step.release) await s.query(step.release);
  return interrupted;
}
