/**
 * The backfill engine (SPEC §5): keyset batches by the row key, each batch
 * one short transaction that also advances the cursor — so a crash redoes
 * nothing and loses nothing. Batch size adapts toward --batch-time (grow at
 * most ×1.2 a step, shrink at once), unless --batch-size pins it; a batch that
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
import { assignments, chunkEnd, countRows, estimateRows, keyRange, lookAhead, type Cursor, type KeyRange, type Lookahead } from './keyset.js';

const MIN_BATCH = 10;
const MAX_BATCH = 50_000;
const FIRST_BATCH = 1000;

export async function runBackfill(ctx: EngineContext, migration: string, specs: BackfillSpec[]): Promise<number> {
  let total = 0;
  for (const [seq, spec] of specs.entries()) total += await backfillTable(ctx, migration, seq, spec, 'backfill');
  return total;
}

/**
 * One table's batched fill, resumed from the cursor row `seq`. The plan's
 * backfill specs use 0, 1, …; a fill step of the expand journal uses its own
 * (see steps.ts), so the backfill phase later walks the table again.
 */
export async function backfillTable(ctx: EngineContext, migration: string, seq: number, spec: BackfillSpec, pass: 'fill' | 'backfill'): Promise<number> {
  const { dialect: d, store } = ctx;
  const key = spec.key!;
  const s = await ctx.driver.acquire();
  const rows = await store.backfills(s, migration);
  let row = rows.find((b) => b.seq === seq);
  // A pass over a table already filled in this migration starts at the size the fill reached, not from scratch.
  const learned = Math.max(0, ...rows.filter((b) => b.table === spec.table && b.batchSize !== null).map((b) => b.batchSize!));
  if (!row) {
    await store.createBackfill(s, migration, seq, spec.table, await estimateRows(s, d, spec.table));
    row = (await store.backfills(s, migration)).find((b) => b.seq === seq)!;
  }
  s.release();
  if (row.finished) return 0;

  const pinned = ctx.options.batchSize;
  let size = pinned ?? row.batchSize ?? (learned || FIRST_BATCH);
  let cursor = row.cursor as Cursor;
  let done = row.done;
  const started = Date.now();
  const doneAtStart = done;
  const set = assignments(d, spec);
  let lockFailures = 0;
  /** This chunk's end, looked up while the batch before it ran. */
  let ahead: Lookahead | null = null;

  for (;;) {
    if (ctx.options.maxLoad !== undefined) await waitForLoad(ctx, migration, spec.table, ctx.options.maxLoad);
    const t0 = Date.now();
    const known = ahead && { end: await ahead.end, size: ahead.size };
    ahead = null;
    const session = await ctx.driver.acquire();
    let end: Cursor = null;
    let scanned = 0;
    try {
      await session.query('BEGIN');
      for (const q of d.backfillSession(ctx.options.lockTimeoutMs, spec.bypass ?? [])) await session.query(q);
      end = known ? known.end : await chunkEnd(session, d, spec.table, key, cursor, size);
      if (end) ahead = lookAhead(ctx.driver, d, spec.table, key, end, size);
      const range = keyRange(d, key, cursor, end);
      scanned = end ? (known?.size ?? size) : await countRows(session, d, spec.table, range);
      const target = await rowsToChange(session, d, spec, range);
      if (target) await session.query(`UPDATE ${d.quote(spec.table)} SET ${set} WHERE ${target.sql}${spec.where ? ` AND (${spec.where})` : ''}`, target.params);
      if (end) await store.advanceBackfill(session, migration, seq, end, scanned, size);
      else {
        await store.advanceBackfill(session, migration, seq, cursor ?? [], scanned, size);
        await store.finishBackfill(session, migration, seq);
      }
      await session.query('COMMIT');
      lockFailures = 0;
    } catch (err) {
      ahead = null; // it looked past a chunk that is not done
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

    done += scanned;
    const elapsed = Math.max(1, Date.now() - t0);
    const rate = ((done - doneAtStart) * 1000) / Math.max(1, Date.now() - started);
    const totalRows = Math.max(row.total, done);
    ctx.emit({ event: 'backfill', pass, migration, table: spec.table, done, total: totalRows, batchSize: size, rowsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.round((totalRows - done) / rate) : null });
    if (!end) return done - doneAtStart;
    cursor = end;
    if (pinned === undefined) size = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, size * Math.min(1.2, Math.max(0.5, ctx.options.batchTimeMs / elapsed)))));
    let pause = ctx.options.batchDelayMs;
    if (ctx.options.maxRowsPerSecond) pause = Math.max(pause, (scanned * 1000) / ctx.options.maxRowsPerSecond - elapsed);
    if (pause > 0) await sleep(pause);
  }
}

/** Up to this many rows left to change in a chunk are updated by key, not by range. */
const SPARSE = 100;

/**
 * Which rows of the chunk the UPDATE should visit: none, a few by key, or
 * the whole range. Where most rows are already right (the backfill after a
 * fill, a re-run), a plain read of the chunk replaces an UPDATE that would
 * lock every row it examines (InnoDB keeps those locks under REPEATABLE
 * READ). Safe: the UPDATE re-checks `where` under its row locks, and a row
 * changed after this read was changed with the triggers in place or, during
 * a fill (before them), is converted by the backfill phase.
 */
async function rowsToChange(s: Session, d: Dialect, spec: BackfillSpec, range: KeyRange): Promise<KeyRange | null> {
  if (!spec.where) return range;
  const key = spec.key!;
  const cols = key.map((k, i) => `${d.castText(d.quote(k))} AS k${i}`).join(', ');
  const found = (await s.query<Record<string, string>>(`SELECT ${cols} FROM ${d.quote(spec.table)} WHERE ${range.sql} AND (${spec.where}) LIMIT ${SPARSE + 1}`, range.params)).rows;
  if (found.length === 0) return null;
  if (found.length > SPARSE) return range;
  const one = `(${key.map((k) => `${d.quote(k)} = ?`).join(' AND ')})`;
  return { sql: `(${found.map(() => one).join(' OR ')})`, params: found.flatMap((r) => key.map((_, i) => String(r[`k${i}`]))) };
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
