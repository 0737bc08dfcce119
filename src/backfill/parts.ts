/**
 * A pass over a table (fill, backfill, verify) split into parts that
 * workers walk side by side (`--parallel N`). Each part is an ordinary keyset
 * walk with its own cursor, committed with each of its batches, so a part
 * resumes after a crash exactly as a whole pass does.
 *
 * Only a single integer key is split, by arithmetic on its smallest and
 * largest value: two index lookups, where finding row-count quantiles of any
 * other key would itself walk the table. Parts are then equal in key span,
 * not in rows; on a key with gaps one part may hold more rows than another
 * (the pass is then as slow as its fullest part, never wrong). The first part
 * is unbounded below and the last is open above at the split: it ends at the
 * table's largest key when its walk begins (chunks.ts), so rows inserted
 * between the split and then are covered too, and those inserted later, with
 * the triggers in place, are not chased — a walk slower than the inserts
 * never ended. A fill's (MySQL's UPDATE before the triggers exist) last part
 * ends at the largest key of the split: the backfill pass after it walks the
 * whole table again and converts every row the fill left, those inserted
 * meanwhile included. An open fill chased the application's inserts (a third
 * more rows under the bench's 16 connections); the price of the bound, those
 * rows converted with the triggers in place, is in the README ("Parts at
 * once").
 */
import type { Session } from '../db/driver.js';
import type { EngineContext } from '../engine/context.js';
import type { Dialect } from '../dialects/dialect.js';
import { estimateRows, integerOf, type Cursor } from './keyset.js';

/** Rows with a key after `from` and up to `to` (inclusive); null: unbounded on that side. */
export interface KeySpan {
  from: Cursor;
  to: Cursor;
}

const WHOLE: KeySpan[] = [{ from: null, to: null }];

/** How many parts a pass walks at once: --parallel, but one where the driver has a single connection (PGlite). */
export function partsAtOnce(ctx: EngineContext): number {
  return ctx.driver.singleConnection ? 1 : ctx.options.parallel;
}

/** The smallest and largest value of an integer key column (two index lookups); null for an empty table. */
export async function keyBounds(s: Session, d: Dialect, table: string, column: string): Promise<{ lo: bigint; hi: bigint } | null> {
  const k = d.quote(column);
  const r = await s.query<{ lo: string | null; hi: string | null }>(`SELECT ${d.castText(`MIN(${k})`)} AS lo, ${d.castText(`MAX(${k})`)} AS hi FROM ${d.quote(table)}`);
  const { lo, hi } = r.rows[0] ?? { lo: null, hi: null };
  return lo == null || hi == null ? null : { lo: BigInt(lo), hi: BigInt(hi) };
}

/**
 * How a pass walks a table: its parts, and how their chunks are found. On a
 * single integer key whose values are dense enough — at most `SPAN_PER_ROW`
 * key values per row, by the server's estimate of the rows — chunks are found
 * by arithmetic (chunks.ts): at most that many times the chunks a gapless key
 * would need, each one cheap where it is empty. A sparser key (snowflake ids,
 * say) is walked by lookup.
 */
export interface WalkPlan {
  spans: KeySpan[];
  arithmetic: boolean;
  /** The row estimate it was decided on, where one was needed. */
  rows?: number;
}

const SPAN_PER_ROW = 4n;

/** `closedAbove`: the last part ends at the largest key of the split (a fill, see above) instead of running on. */
export async function planWalk(s: Session, d: Dialect, table: string, key: string[], integerKey: boolean | undefined, parts: number, closedAbove = false): Promise<WalkPlan> {
  if (!integerKey || key.length !== 1) return { spans: WHOLE, arithmetic: false };
  const bounds = await keyBounds(s, d, table, key[0]!);
  if (!bounds) return { spans: WHOLE, arithmetic: true };
  const rows = await estimateRows(s, d, table);
  return { spans: splitKeySpan(bounds, parts, closedAbove), arithmetic: bounds.hi - bounds.lo + 1n <= SPAN_PER_ROW * BigInt(Math.max(1, Math.round(rows))), rows };
}

/** The key span cut into `parts` equal spans (fewer where there are fewer keys), the first open below and the last open above, or ending at `hi` if `closedAbove`. */
export function splitKeySpan(bounds: { lo: bigint; hi: bigint }, parts: number, closedAbove = false): KeySpan[] {
  const first = bounds.lo;
  const span = bounds.hi - first + 1n;
  const n = span < BigInt(parts) ? Number(span) : parts;
  const top: Cursor = closedAbove ? [String(bounds.hi)] : null;
  if (n <= 1) return [{ from: null, to: top }];
  // Boundary i: the last key of part i (inclusive), part i+1 starts after it.
  const ends = Array.from({ length: n - 1 }, (_, i) => [String(first - 1n + (span * BigInt(i + 1)) / BigInt(n))]);
  return Array.from({ length: n }, (_, i) => ({ from: i === 0 ? null : ends[i - 1]!, to: i === n - 1 ? top : ends[i]! }));
}

/**
 * The end of a part's next chunk: the chunk's own end, unless that reaches
 * the part's end (then the part's end, and it is the part's last chunk).
 * Only integer keys are split, so a bounded part compares as integers.
 */
export function clampToPart(end: Cursor, to: Cursor): { end: Cursor; last: boolean } {
  if (to === null) return { end, last: end === null };
  if (end === null || integerOf(end[0]!) >= integerOf(to[0]!)) return { end: to, last: true };
  return { end, last: false };
}

/**
 * Run `work` for every part, at most `parallel` at a time. The first failure
 * stops the others at their next batch (`stopped()`), and is thrown once
 * every worker has returned: no batch is left running behind the caller.
 */
export async function forEachPart<T>(parts: T[], parallel: number, work: (part: T, stopped: () => boolean) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const stopped = () => failure !== null;
  const worker = async () => {
    while (!stopped() && next < parts.length) {
      const part = parts[next++]!;
      try {
        await work(part, stopped);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, parts.length)) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}
