/**
 * Where each chunk of a part ends, and how many rows it holds.
 *
 * By arithmetic on a dense enough integer key (parts.ts decides): a chunk is
 * the next `size` key values, which hold at most `size` rows, so nothing is
 * looked up. Otherwise by lookup: the key of the `size`-th next row, which on
 * InnoDB (the key is the table) is a walk over the chunk's rows. That walk is
 * done ahead, on a second session, while the chunk before it is worked on.
 *
 * A chunk found by lookup holds exactly `size` rows, known without reading
 * it, so a pass's reads can filter to the rows that matter instead of
 * counting every row: on MariaDB, a read about a third cheaper. One found by
 * arithmetic spans `size` key values, which are not its rows where the key
 * has gaps (up to 4 key values a row, parts.ts): `rowsIn` counts those
 * (progress and the rows a pass reports are rows, not key span), unless the
 * caller has its count from its own statement (a fill's UPDATE).
 */
import type { Driver, Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import { chunkEnd, countRows, integerOf, keyRange, lastKey, lookAhead, type Cursor, type KeyValue, type Lookahead, type WalkKey } from './keyset.js';
import { clampToPart, keyBounds, type KeySpan } from './parts.js';

export interface Chunk {
  /** Inclusive end; null: to the end of the table. */
  end: Cursor;
  /** The part's last chunk. */
  last: boolean;
  /** Rows it holds, for progress; null where only a count can tell (`rowsIn`). */
  rows: number | null;
}

export class ChunkFinder {
  private ahead: Lookahead | null = null;
  /**
   * Where the walk ends: the part's own end, or for the part open above, the table's largest key when its walk
   * began (null: the table was empty then); undefined until then. Rows inserted above it later were written with
   * the triggers in place (a fill's part is never open: parts.ts). Before, the open part ran on to each new largest
   * key it met, and chased an application inserting faster than it walked — throttled, paused on a busy server, or
   * with a small --batch-size — without end (fuzz seed 268, walking 4 keys a batch behind a writer).
   */
  private to: Cursor | undefined;
  /**
   * The chunk before held no row (arithmetic only): the next starts just below the next key there is, one index
   * lookup, instead of walking the gap `size` keys a batch. A part's end read when its walk began may lie past a
   * gap its split never saw (rows inserted meanwhile with far keys): crawled, 4 keys a batch took minutes (fuzz
   * seed 268), and a jump of 10^9 would never have been crossed.
   */
  private lastEmpty = false;

  constructor(
    private readonly driver: Driver,
    private readonly d: Dialect,
    private readonly table: string,
    private readonly key: WalkKey,
    private readonly arithmetic: boolean,
    span: KeySpan,
  ) {
    this.to = span.to ?? undefined;
  }

  /** Wait for the look-ahead, if any: before acquiring the chunk's session (PGlite has only one). */
  async ready(): Promise<void> {
    if (this.ahead) await this.ahead.end;
  }

  /** The chunk after `cursor`, for a batch of `size` rows. */
  async next(s: Session, cursor: Cursor, size: number): Promise<Chunk> {
    size = Math.max(1, Math.floor(size));
    if (this.to === undefined) this.to = await lastKey(s, this.d, this.table, this.key);
    // Empty when the walk began: one chunk takes whatever was inserted since.
    if (this.to === null) return { end: null, last: true, rows: null };
    if (this.arithmetic) return this.byArithmetic(s, cursor, size, this.to);
    const ahead = this.ahead;
    this.ahead = null;
    // A look-ahead was started for the size before; a chunk it found holds that many rows.
    const sized = ahead ? ahead.size : size;
    const found = ahead ? await ahead.end : await chunkEnd(s, this.d, this.table, this.key, cursor, size, this.to);
    // None: fewer rows than a chunk are left up to the end, and this is the last chunk (counted: at most one chunk's read).
    if (found === null) return { end: this.to, last: true, rows: await countRows(s, this.d, this.table, keyRange(this.d, this.key, cursor, this.to)) };
    const last = sameKey(found, this.to);
    if (!last) this.ahead = lookAhead(this.driver, this.d, this.table, this.key, found, size, this.to);
    return { end: found, last, rows: sized };
  }

  /** The rows `chunk` (the one after `after`) holds: known, else counted on `s`. */
  async rowsIn(s: Session, after: Cursor, chunk: Chunk): Promise<number> {
    const rows = chunk.rows ?? (await countRows(s, this.d, this.table, keyRange(this.d, this.key, after, chunk.end)));
    this.counted(rows);
    return rows;
  }

  /** How many rows the last chunk held, where the caller counted them itself (a fill's UPDATE). */
  counted(rows: number): void {
    this.lastEmpty = rows === 0;
  }

  /** The look-ahead went past a chunk that failed: forget it. */
  reset(): void {
    this.ahead = null;
  }

  private async byArithmetic(s: Session, cursor: Cursor, size: number, to: KeyValue[]): Promise<Chunk> {
    let from: bigint;
    if (cursor === null) {
      const bounds = await keyBounds(s, this.d, this.table, this.key.columns[0]!);
      if (!bounds) return { end: to, last: true, rows: 0 };
      from = bounds.lo - 1n;
    } else from = integerOf(cursor[0]!);
    if (this.lastEmpty) {
      this.lastEmpty = false;
      const next = await nextKey(s, this.d, this.table, this.key.columns[0]!, from);
      if (next === null || next > integerOf(to[0]!)) return { end: to, last: true, rows: 0 };
      from = next - 1n;
    }
    const chunk = clampToPart([String(from + BigInt(size))], to);
    return { ...chunk, rows: integerOf(chunk.end![0]!) > from ? null : 0 };
  }
}

/** The smallest value of an integer key above `after` (one index lookup); null: none. */
async function nextKey(s: Session, d: Dialect, table: string, column: string, after: bigint): Promise<bigint | null> {
  const k = d.quote(column);
  const r = await s.query<{ k: string | null }>(`SELECT ${d.castText(`MIN(${k})`)} AS k FROM ${d.quote(table)} WHERE ${k} > ?`, [String(after)]);
  const v = r.rows[0]?.k;
  return v == null ? null : BigInt(v);
}

/** The same row's key: one row's key is read back as the same text (or bytes) every time. */
function sameKey(a: KeyValue[], b: KeyValue[]): boolean {
  return a.length === b.length && a.every((v, i) => (Buffer.isBuffer(v) ? Buffer.isBuffer(b[i]) && v.equals(b[i] as Buffer) : v === b[i]));
}
