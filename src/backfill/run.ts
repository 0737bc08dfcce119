/**
 * The backfill engine (SPEC §5): keyset batches by the row key, each batch
 * one short transaction that also advances the cursor — so a crash redoes
 * nothing and loses nothing. A pass is walked in parts at once (parts.ts,
 * --parallel), each with its own cursor. Batch size adapts toward
 * --batch-time (sizer.ts), unless --batch-size pins it; a batch that
 * times out on a lock is retried at half the size.
 *
 * Rows written while the backfill runs are kept right by the triggers; the
 * backfill's WHERE skips rows that already have their value, and inside its
 * own transaction xc's triggers stand aside (it writes both shapes itself).
 */
import type { BackfillSpec } from '../plan/index.js';
import { LockTimeoutError } from '../errors.js';
import { sleep, stopIfAsked, type EngineContext } from '../engine/context.js';
import { describeBlockers, sampleBlockers } from '../engine/retry.js';
import { withSession, type Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { BackfillRow } from '../state/store.js';
import { assignments, backfillTarget, countRows, estimateRows, keyColumns, keyOf, keyRange, walkKeyOf, withinRange, type Cursor, type KeyRange } from './keyset.js';
import { ChunkFinder, type Chunk } from './chunks.js';
import { forEachPart, partsAtOnce, planWalk } from './parts.js';
import { batchFailure } from './failure.js';
import { Throttle } from './throttle/throttle.js';
import { BatchSizer, MIN_BATCH } from './sizer.js';
import { shareOfBatch } from './share.js';

const FIRST_BATCH = 1000;

/** Below this many rows (estimated), a pass's total is counted, not estimated: a read of a few milliseconds. */
const EXACT_UNDER = 200_000;

export async function runBackfill(ctx: EngineContext, migration: string, specs: BackfillSpec[]): Promise<number> {
  // Passes over one table count its rows once, as the table holds them (campaign DD: two columns changed read
  // 120,324 rows for about 60,000); passes over different tables add up.
  const byTable = new Map<string, number>();
  for (const [seq, spec] of specs.entries()) {
    // Each pass's count starts again: its place among the table's passes says why (campaign DR: 93%, then 7%).
    const rows = await backfillTable(ctx, migration, seq, spec, 'backfill', placeAmong(specs.filter((b) => b.table === spec.table), spec));
    byTable.set(spec.table, Math.max(byTable.get(spec.table) ?? 0, rows));
  }
  return [...byTable.values()].reduce((n, rows) => n + rows, 0);
}

/** Which of a table's several walks `item` is (1-based), for the progress line; undefined where it is the only one. */
export function placeAmong<T>(same: T[], item: T): { index: number; of: number } | undefined {
  return same.length > 1 ? { index: same.indexOf(item) + 1, of: same.length } : undefined;
}

/**
 * One table's batched pass, resumed from the cursor rows of `seq`. The plan's
 * backfill specs use 0, 1, …; a fill step of the expand journal uses its own
 * (see steps.ts), so the backfill phase later walks the table again. The
 * first run splits the pass into parts (parts.ts); a resumed one keeps them.
 */
export async function backfillTable(ctx: EngineContext, migration: string, seq: number, spec: BackfillSpec, pass: 'fill' | 'backfill', tablePass?: { index: number; of: number }): Promise<number> {
  const parallel = partsAtOnce(ctx);
  const { parts, learned, arithmetic } = await withSession(ctx.driver, async (s) => {
    const plan = await planWalk(s, ctx.dialect, spec.table, spec.key!, spec.integerKey, parallel, pass === 'fill');
    let rows = await ctx.store.backfills(s, migration);
    if (!rows.some((b) => b.seq === seq)) {
      // A pass after another over the same table: the rows that pass counted (or the server's live count, where the
      // table grew), not the planner's estimate, which scales by pages its updates doubled (campaign DM: 7,000/135,980
      // for 60,000 rows).
      const before = new Map<number, number>();
      for (const b of rows.filter((r) => r.table === spec.table && r.finished)) before.set(b.seq, (before.get(b.seq) ?? 0) + b.done);
      const live = await ctx.dialect.liveRows(s, spec.table);
      const counted = before.size > 0 ? Math.max(...before.values(), live ?? 0) : undefined;
      const estimate = counted ?? plan.rows ?? (await estimateRows(s, ctx.dialect, spec.table));
      // A small table is counted: the estimate scales by pages, which an earlier migration's updates doubled (campaign
      // DP: 24,952/121,246, then 60,494/60,494), so it is judged small by the server's live count too (campaign DQ:
      // 150,000 rows estimated 299,630, then 474,600) — up to an estimate of 4 × EXACT_UNDER, one cheap read as the pass begins.
      const small = estimate <= EXACT_UNDER || (estimate <= 4 * EXACT_UNDER && (live ?? estimate) <= EXACT_UNDER);
      const total = small ? await countRows(s, ctx.dialect, spec.table) : estimate;
      await ctx.store.createBackfill(s, migration, seq, spec.table, plan.spans.map((span) => ({ ...span, total: Math.round(total / plan.spans.length) })));
      rows = await ctx.store.backfills(s, migration);
    } else {
      // Resumed: the table may have grown since the pass was split (campaign DE: progress read 10,500/10,500 of 60,000
      // rows). What the server's live count has beyond the parts' totals goes to the parts still open above — rows
      // added since have keys past the split's; a part that ends at a key (a fill) never meets them (campaign DJ:
      // 40,000/99,900 then 40,000/40,000). Not the planner's estimate, which the backfill's own updates inflate
      // (campaign DI: 19,000/37,432 for 20,000 rows).
      const own = rows.filter((b) => b.seq === seq);
      const open = own.filter((b) => !b.finished && b.to === null);
      const beyond = ((await ctx.dialect.liveRows(s, spec.table)) ?? 0) - own.reduce((n, b) => n + Math.max(b.total, b.done), 0);
      if (open.length > 0 && beyond > 0) {
        const each = Math.ceil(beyond / open.length);
        await ctx.store.raiseBackfillTotals(s, migration, seq, open.map((b) => ({ part: b.part, total: Math.max(b.total, b.done) + each })));
        rows = await ctx.store.backfills(s, migration);
      }
    }
    // A pass over a table already filled in this migration starts at the size the fill reached, not from scratch.
    const sizes = rows.filter((b) => b.table === spec.table && b.batchSize !== null).map((b) => b.batchSize!);
    return { parts: rows.filter((b) => b.seq === seq), learned: Math.max(0, ...sizes), arithmetic: plan.arithmetic };
  });
  const open = parts.filter((p) => !p.finished);
  const doneAtStart = parts.reduce((n, p) => n + p.done, 0);
  const progress: PassProgress = {
    pass,
    tablePass,
    workers: Math.min(parallel, open.length),
    done: doneAtStart,
    total: parts.reduce((n, p) => n + p.total, 0),
    doneAtStart,
    started: Date.now(),
    lastBatchSize: 0,
  };
  // One throttle for the pass: its parts share each reading of the signals.
  const throttle = await Throttle.open(ctx, migration, spec.table, pass);
  try {
    await forEachPart(
      open,
      parallel,
      (part, stopped) => walkPart(ctx, migration, spec, part, arithmetic, part.batchSize ?? (learned || FIRST_BATCH), progress, throttle, stopped),
    );
  } finally {
    await throttle.close();
  }
  // The pass is over: its last event says so, the rows walked being the total (the one before was against an estimate).
  if (open.length > 0) emitProgress(ctx, migration, spec.table, progress, progress.lastBatchSize, 0, 0, 0, true);
  return progress.done - progress.doneAtStart;
}

/** A pass's counts over all its parts, for the progress events. */
interface PassProgress {
  pass: 'fill' | 'backfill';
  tablePass: { index: number; of: number } | undefined;
  /** Parts walked at once: each keeps to its share of --max-rows-per-second. */
  workers: number;
  done: number;
  total: number;
  doneAtStart: number;
  started: number;
  lastBatchSize: number;
}

/** A `backfill` event; `ended`: the pass is over, so `done` is its total. */
function emitProgress(ctx: EngineContext, migration: string, table: string, progress: PassProgress, batchSize: number, batchMs: number, pauseMs: number, blocked: number, ended = false): void {
  const rate = ((progress.done - progress.doneAtStart) * 1000) / Math.max(1, Date.now() - progress.started);
  const total = ended ? progress.done : Math.max(progress.total, progress.done);
  ctx.emit({ event: 'backfill', pass: progress.pass, migration, table, done: progress.done, total, ...(progress.tablePass ? { tablePass: progress.tablePass } : {}), batchSize, batchMs, pauseMs, blocked, rowsPerSecond: Math.round(rate), etaSeconds: ended ? 0 : rate > 0 ? Math.round((total - progress.done) / rate) : null });
}

/** One part's keyset walk: batch after batch, each committed with the part's cursor. */
async function walkPart(ctx: EngineContext, migration: string, spec: BackfillSpec, part: BackfillRow, arithmetic: boolean, firstSize: number, progress: PassProgress, throttle: Throttle, stopped: () => boolean): Promise<void> {
  const { dialect: d, store } = ctx;
  const pinned = ctx.options.batchSize;
  // Under --max-rows-per-second no batch takes more than a second's share of this part: the pause after a batch
  // keeps the average, and a batch of the adaptive size (up to tens of thousands of rows) walked in a burst at many
  // times the cap before it (campaign AO: 112,894 rows/s shown under a cap of 3,000).
  const capped = (n: number) => (ctx.options.maxRowsPerSecond ? Math.min(n, Math.max(MIN_BATCH, Math.ceil(ctx.options.maxRowsPerSecond / progress.workers))) : n);
  let size = pinned ?? capped(firstSize);
  const sizer = new BatchSizer(ctx.options.batchTimeMs);
  let cursor = part.cursor as Cursor;
  const key = walkKeyOf(spec);
  const chunks = new ChunkFinder(ctx.driver, d, spec.table, key, arithmetic, { from: cursor, to: part.to as Cursor });
  const converter = new Converter(d, spec);
  let lockFailures = 0;
  let lockLostSince: number | undefined;
  /** The batch being converted, and why it failed if it did for another reason than a lock: its row is looked for once the session is back. */
  let converting: { upTo: Cursor } | undefined;
  let failed: { err: unknown; upTo: Cursor } | undefined;

  while (!stopped()) {
    // Held back by a health signal: go on with smaller batches (the adaptive size grows back as they run fast).
    if ((await throttle.wait()) && pinned === undefined) size = Math.max(MIN_BATCH, Math.floor(size / 2));
    const t0 = Date.now();
    await chunks.ready();
    const session = await ctx.driver.acquire();
    let chunk: Chunk;
    let rows: number;
    let blocked = 0;
    let share = 0;
    converting = undefined;
    try {
      await session.query('BEGIN');
      for (const q of d.backfillSession(ctx.options.lockTimeoutMs, spec.bypass ?? [], backfillTarget(spec))) await session.query(q);
      chunk = await chunks.next(session, cursor, size);
      converting = { upTo: chunk.end };
      // Counted before the UPDATE, not after: on pages it has not touched yet the count is an index-only scan; after it,
      // one heap visit per row version (10x the cost, ~10% of a batch on PostgreSQL). A fill's UPDATE counts its own rows.
      const counted = spec.where ? await chunks.rowsIn(session, cursor, chunk) : null;
      rows = (await converter.convert(session, keyRange(d, key, cursor, chunk.end))) ?? counted!;
      chunks.counted(rows);
      await store.advanceBackfill(session, migration, part.seq, part.part, chunk.end ?? cursor ?? [], rows, size);
      if (chunk.last) await store.finishBackfill(session, migration, part.seq, part.part);
      // Last before COMMIT: who waits now has waited on this batch's locks, however long it ran. A batch that only read holds none.
      if (pinned === undefined && converter.wrote) blocked = await d.lockWaiters(session);
      await ctx.lockHeld?.();
      await session.query('COMMIT');
      share = await shareOfBatch(ctx, session, progress.workers);
      lockFailures = 0;
      lockLostSince = undefined;
      stopIfAsked(ctx); // the batch is in: a re-run resumes after it
    } catch (err) {
      chunks.reset();
      await session.query('ROLLBACK').catch(() => undefined);
      if (!d.isLockTimeout(err) && converting) {
        failed = { err, upTo: converting.upTo };
        break;
      }
      if (!d.isLockTimeout(err)) throw err;
      // Lost a lock fight with the application: back off, retry smaller — for --lock-retry-for of wall time, then name who holds the rows.
      lockFailures++;
      lockLostSince ??= Date.now();
      if (Date.now() - lockLostSince > ctx.options.lockRetryForMs) {
        const blockers = await sampleBlockers(ctx, null, [spec.table]);
        throw new LockTimeoutError(
          `backfill of "${spec.table}" could not lock its rows for ${Math.round(ctx.options.lockRetryForMs / 1000)}s (${lockFailures} attempts); blocked by:\n${describeBlockers(blockers)}`,
          { migration, table: spec.table, blockers },
          { cause: err },
        );
      }
      size = Math.max(MIN_BATCH, Math.floor(size / 2));
      await sleep(100 + Math.random() * 400);
      continue;
    } finally {
      for (const q of d.backfillSessionEnd(spec.bypass ?? [])) await session.query(q).catch(() => undefined);
      session.release();
    }

    const elapsed = Math.max(1, Date.now() - t0);
    progress.done += rows;
    progress.lastBatchSize = size;
    let pause = chunk.last ? 0 : Math.max(ctx.options.batchDelayMs, elapsed * share);
    if (ctx.options.maxRowsPerSecond && !chunk.last) pause = Math.max(pause, (rows * 1000 * progress.workers) / ctx.options.maxRowsPerSecond - elapsed);
    emitProgress(ctx, migration, spec.table, progress, size, elapsed, Math.max(0, Math.round(pause)), blocked);
    if (chunk.last) return;
    cursor = chunk.end;
    if (pinned === undefined) size = capped(sizer.next(size, elapsed, blocked > 0));
    if (pause > 0) await sleep(pause);
  }
  if (failed) throw await batchFailure(ctx.driver, d, { migration, spec, lockTimeoutMs: ctx.options.lockTimeoutMs }, cursor, failed.upTo, failed.err);
}

/** Up to this many rows left to change in a chunk are updated by key, not by range. */
const SPARSE = 100;

/**
 * Converts one part's chunks, each in the caller's transaction.
 *
 * Without a `where` (a fill) every row is set, and the UPDATE's count of
 * matched rows is the chunk's. With one, how a chunk is converted follows
 * the chunk before: where most rows needed converting (a first pass) the
 * next chunk is updated at once; where few did (the backfill after a fill, a
 * re-run) it is read first, for the keys of the rows to convert, at most
 * SPARSE + 1 of them. None: no UPDATE. A few: updated by key. More: by range.
 * The read filters rather than counts (the chunk's rows are known from its
 * bounds, chunks.ts), which is what makes it cheap: on MariaDB, evaluating
 * `where` in an aggregate costs about as much again as the scan itself.
 * A read replaces an UPDATE that would lock every row it examines (InnoDB
 * keeps those locks under REPEATABLE READ). Safe: the UPDATE re-checks
 * `where` under its row locks, and a row changed after the read was changed
 * with the triggers in place or, during a fill (before them), is converted
 * by the backfill phase.
 */
class Converter {
  private dense = false;
  /** The last chunk was written to (an UPDATE ran), so its rows are locked until COMMIT. */
  wrote = false;

  constructor(
    private readonly d: Dialect,
    private readonly spec: BackfillSpec,
  ) {}

  /** The rows the chunk held where the UPDATE counts them (a fill); otherwise null. */
  async convert(s: Session, range: KeyRange): Promise<number | null> {
    const { d, spec } = this;
    this.wrote = false;
    if (!spec.where) return (await this.update(s, range)).rowCount;
    if (this.dense) {
      this.dense = (await this.update(s, range)).rowCount > SPARSE;
      return null;
    }
    const key = walkKeyOf(spec);
    const within = withinRange(range, spec.where);
    const found = await s.query<Record<string, unknown>>(`SELECT ${keyColumns(d, key)} FROM ${d.quote(spec.table)} WHERE ${within.sql} LIMIT ${SPARSE + 1}`, within.params);
    const keys = found.rows.map((r) => keyOf(r, key));
    this.dense = keys.length > SPARSE;
    if (this.dense) await this.update(s, range);
    else if (keys.length > 0) {
      const one = `(${key.columns.map((k, i) => `${d.quote(k)} = ${d.keyParam(key.forms?.[i])}`).join(' AND ')})`;
      await this.update(s, { sql: `(${keys.map(() => one).join(' OR ')})`, params: keys.flat() });
    }
    return null;
  }

  private update(s: Session, where: KeyRange) {
    const { d, spec } = this;
    this.wrote = true;
    const within = withinRange(where, spec.where);
    return s.query(`UPDATE ${d.quote(spec.table)} SET ${assignments(d, spec)} WHERE ${within.sql}`, within.params);
  }
}
