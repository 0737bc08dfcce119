/**
 * The backfill engine (SPEC §5): keyset batches by the row key, each batch
 * one short transaction that also advances the cursor — so a crash redoes
 * nothing and loses nothing. A pass is walked in parts at once (parts.ts,
 * --parallel), each with its own cursor. Batch size adapts toward
 * --batch-time (nextBatchSize), unless --batch-size pins it; a batch that
 * times out on a lock is retried at half the size.
 *
 * Rows written while the backfill runs are kept right by the triggers; the
 * backfill's WHERE skips rows that already have their value, and inside its
 * own transaction xc's triggers stand aside (it writes both shapes itself).
 */
import type { BackfillSpec } from '../operations/types.js';
import { LockTimeoutError } from '../errors.js';
import { sleep, type EngineContext } from '../engine/context.js';
import { withSession, type Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { BackfillRow } from '../state/store.js';
import { assignments, estimateRows, keyRange, type Cursor, type KeyRange } from './keyset.js';
import { ChunkFinder, type Chunk } from './chunks.js';
import { forEachPart, splitKeySpan } from './parts.js';

const MIN_BATCH = 10;
const MAX_BATCH = 50_000;
const FIRST_BATCH = 1000;

export async function runBackfill(ctx: EngineContext, migration: string, specs: BackfillSpec[]): Promise<number> {
  let total = 0;
  for (const [seq, spec] of specs.entries()) total += await backfillTable(ctx, migration, seq, spec, 'backfill');
  return total;
}

/**
 * One table's batched pass, resumed from the cursor rows of `seq`. The plan's
 * backfill specs use 0, 1, …; a fill step of the expand journal uses its own
 * (see steps.ts), so the backfill phase later walks the table again. The
 * first run splits the pass into parts (parts.ts); a resumed one keeps them.
 */
export async function backfillTable(ctx: EngineContext, migration: string, seq: number, spec: BackfillSpec, pass: 'fill' | 'backfill'): Promise<number> {
  const parallel = ctx.driver.singleConnection ? 1 : ctx.options.parallel;
  const { parts, learned } = await withSession(ctx.driver, async (s) => {
    let rows = await ctx.store.backfills(s, migration);
    if (!rows.some((b) => b.seq === seq)) {
      const spans = await splitKeySpan(s, ctx.dialect, spec.table, spec.key!, spec.integerKey, parallel);
      const total = await estimateRows(s, ctx.dialect, spec.table);
      await ctx.store.createBackfill(s, migration, seq, spec.table, spans.map((span) => ({ ...span, total: Math.round(total / spans.length) })));
      rows = await ctx.store.backfills(s, migration);
    }
    // A pass over a table already filled in this migration starts at the size the fill reached, not from scratch.
    const sizes = rows.filter((b) => b.table === spec.table && b.batchSize !== null).map((b) => b.batchSize!);
    return { parts: rows.filter((b) => b.seq === seq), learned: Math.max(0, ...sizes) };
  });
  const open = parts.filter((p) => !p.finished);
  const doneAtStart = parts.reduce((n, p) => n + p.done, 0);
  const progress: PassProgress = {
    pass,
    workers: Math.min(parallel, open.length),
    done: doneAtStart,
    total: parts.reduce((n, p) => n + p.total, 0),
    doneAtStart,
    started: Date.now(),
  };
  await forEachPart(
    open,
    parallel,
    (part, stopped) => walkPart(ctx, migration, spec, part, part.batchSize ?? (learned || FIRST_BATCH), progress, stopped),
  );
  return progress.done - progress.doneAtStart;
}

/** A pass's counts over all its parts, for the progress events. */
interface PassProgress {
  pass: 'fill' | 'backfill';
  /** Parts walked at once: each keeps to its share of --max-rows-per-second. */
  workers: number;
  done: number;
  total: number;
  doneAtStart: number;
  started: number;
}

/** One part's keyset walk: batch after batch, each committed with the part's cursor. */
async function walkPart(ctx: EngineContext, migration: string, spec: BackfillSpec, part: BackfillRow, firstSize: number, progress: PassProgress, stopped: () => boolean): Promise<void> {
  const { dialect: d, store } = ctx;
  const pinned = ctx.options.batchSize;
  let size = pinned ?? firstSize;
  let cursor = part.cursor as Cursor;
  const chunks = new ChunkFinder(ctx.driver, d, spec.table, spec.key!, spec.integerKey, { from: cursor, to: part.to as Cursor });
  const converter = new Converter(d, spec);
  let lockFailures = 0;

  while (!stopped()) {
    if (ctx.options.maxLoad !== undefined) await waitForLoad(ctx, migration, spec.table, ctx.options.maxLoad);
    const t0 = Date.now();
    await chunks.ready();
    const session = await ctx.driver.acquire();
    let chunk: Chunk;
    let scanned: { rows: number; exact: boolean };
    try {
      await session.query('BEGIN');
      for (const q of d.backfillSession(ctx.options.lockTimeoutMs, spec.bypass ?? [])) await session.query(q);
      chunk = await chunks.next(session, cursor, size);
      scanned = await converter.convert(session, keyRange(d, spec.key!, cursor, chunk.end));
      await store.advanceBackfill(session, migration, part.seq, part.part, chunk.end ?? cursor ?? [], scanned.rows, size);
      if (chunk.last) await store.finishBackfill(session, migration, part.seq, part.part);
      await session.query('COMMIT');
      lockFailures = 0;
    } catch (err) {
      chunks.reset();
      await session.query('ROLLBACK').catch(() => undefined);
      if (!d.isLockTimeout(err) && (err as { code?: string }).code !== '40P01' && (err as { errno?: number }).errno !== 1213) throw err;
      // Lost a lock fight with the application: back off, retry smaller.
      if (++lockFailures * ctx.options.lockTimeoutMs > ctx.options.lockRetryForMs) {
        throw new LockTimeoutError(`backfill of "${spec.table}" could not lock its rows for ${Math.round(ctx.options.lockRetryForMs / 1000)}s`, { migration, table: spec.table });
      }
      size = Math.max(MIN_BATCH, Math.floor(size / 2));
      await sleep(100 + Math.random() * 400);
      continue;
    } finally {
      for (const q of d.backfillSessionEnd(spec.bypass ?? [])) await session.query(q).catch(() => undefined);
      session.release();
    }
    if (scanned.exact) chunks.observe(scanned.rows);

    const elapsed = Math.max(1, Date.now() - t0);
    progress.done += scanned.rows;
    const rate = ((progress.done - progress.doneAtStart) * 1000) / Math.max(1, Date.now() - progress.started);
    const total = Math.max(progress.total, progress.done);
    ctx.emit({ event: 'backfill', pass: progress.pass, migration, table: spec.table, done: progress.done, total, batchSize: size, rowsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.round((total - progress.done) / rate) : null });
    if (chunk.last) return;
    cursor = chunk.end;
    if (pinned === undefined) size = nextBatchSize(size, elapsed, ctx.options.batchTimeMs);
    let pause = ctx.options.batchDelayMs;
    if (ctx.options.maxRowsPerSecond) pause = Math.max(pause, (scanned.rows * 1000 * progress.workers) / ctx.options.maxRowsPerSecond - elapsed);
    if (pause > 0) await sleep(pause);
  }
}

/**
 * The next batch size, toward the target time per batch: shrink at once (by
 * half at most); grow at most ×1.2 a step (GitLab's bound against
 * overshooting), or ×2 while a batch takes under a quarter of the target,
 * where even doubling stays under half of it — from the first 1,000 rows to
 * 50,000 in about 6 steps instead of 22.
 */
export function nextBatchSize(size: number, elapsedMs: number, targetMs: number): number {
  const ratio = targetMs / Math.max(1, elapsedMs);
  const factor = ratio >= 4 ? 2 : Math.min(1.2, Math.max(0.5, ratio));
  return Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, size * factor)));
}

/** Up to this many rows left to change in a chunk are updated by key, not by range. */
const SPARSE = 100;

/**
 * Converts one part's chunks, each in the caller's transaction, and says how
 * many rows each held.
 *
 * Without a `where` (a fill) every row is set, and the UPDATE's count of
 * matched rows is the chunk's. With one, how a chunk is converted follows
 * the chunk before: where most rows needed converting (a first pass) the
 * next chunk is updated at once, counted by the rows it converted; where few
 * did (the backfill after a fill, a re-run) it is read first, in one read
 * that counts its rows and those to convert (and, on an integer key, lists
 * them). None: no UPDATE. A few: updated by key. A read replaces an UPDATE
 * that would lock every row it examines (InnoDB keeps those locks under
 * REPEATABLE READ). Safe: the UPDATE re-checks `where` under its row locks,
 * and a row changed after the read was changed with the triggers in place
 * or, during a fill (before them), is converted by the backfill phase.
 */
class Converter {
  private dense = false;

  constructor(
    private readonly d: Dialect,
    private readonly spec: BackfillSpec,
  ) {}

  /** The rows the chunk held (`exact`), or where it was updated at once, those it converted. */
  async convert(s: Session, range: KeyRange): Promise<{ rows: number; exact: boolean }> {
    const { d, spec } = this;
    if (!spec.where) return { rows: (await this.update(s, range)).rowCount, exact: true };
    if (this.dense) {
      const converted = (await this.update(s, range)).rowCount;
      this.dense = converted > SPARSE;
      return { rows: converted, exact: false };
    }
    const listed = spec.integerKey ? `, ${d.textList(`CASE WHEN (${spec.where}) THEN ${d.quote(spec.key![0]!)} END`)} AS todo_keys` : '';
    const r = (
      await s.query<{ n: string | number; todo: string | number | null; todo_keys?: string | null }>(
        `SELECT COUNT(*) AS n, SUM(CASE WHEN (${spec.where}) THEN 1 ELSE 0 END) AS todo${listed} FROM ${d.quote(spec.table)} WHERE ${range.sql}`,
        range.params,
      )
    ).rows[0]!;
    const rows = Number(r.n);
    const todo = Number(r.todo ?? 0);
    this.dense = todo > SPARSE;
    if (todo === 0) return { rows, exact: true };
    if (todo > SPARSE) {
      await this.update(s, range);
      return { rows, exact: true };
    }
    let keys = r.todo_keys ? String(r.todo_keys).split(',').map((k) => [k]) : [];
    // A composite key, or a list cut short (MySQL's group_concat_max_len): read the keys.
    if (keys.length !== todo) keys = await this.keysToConvert(s, range);
    if (keys.length > SPARSE) await this.update(s, range);
    else if (keys.length > 0) {
      const one = `(${spec.key!.map((k) => `${d.quote(k)} = ?`).join(' AND ')})`;
      await this.update(s, { sql: `(${keys.map(() => one).join(' OR ')})`, params: keys.flat() });
    }
    return { rows, exact: true };
  }

  private update(s: Session, where: KeyRange) {
    const { d, spec } = this;
    return s.query(`UPDATE ${d.quote(spec.table)} SET ${assignments(d, spec)} WHERE ${where.sql}${spec.where ? ` AND (${spec.where})` : ''}`, where.params);
  }

  private async keysToConvert(s: Session, range: KeyRange): Promise<string[][]> {
    const { d, spec } = this;
    const key = spec.key!;
    const cols = key.map((k, i) => `${d.castText(d.quote(k))} AS k${i}`).join(', ');
    const found = await s.query<Record<string, string>>(`SELECT ${cols} FROM ${d.quote(spec.table)} WHERE ${range.sql} AND (${spec.where}) LIMIT ${SPARSE + 1}`, range.params);
    return found.rows.map((r) => key.map((_, i) => String(r[`k${i}`])));
  }
}

/** Before a batch: wait while the server is busier than `maxLoad` (pt-osc's and gh-ost's `--max-load`), checking each second. */
async function waitForLoad(ctx: EngineContext, migration: string, table: string, maxLoad: number): Promise<void> {
  for (;;) {
    const load = await withSession(ctx.driver, (s) => ctx.dialect.load(s));
    if (load <= maxLoad) return;
    ctx.emit({ event: 'throttled', migration, table, load, maxLoad });
    await sleep(1000);
  }
}
