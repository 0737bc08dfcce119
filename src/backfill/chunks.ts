/**
 * Where each chunk of a part ends.
 *
 * On a single integer key, by arithmetic: a chunk is the next `size` key
 * values, which hold at most `size` rows, so nothing is looked up. Where a
 * chunk turns out less than half full (a key with gaps), the part goes on by
 * lookup, as on any other key: the key of the `size`-th next row, which on
 * InnoDB (the key is the table) is a walk over the chunk's rows. That walk is
 * done ahead, on a second session, while the chunk before it is worked on.
 */
import type { Driver, Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import { chunkEnd, lookAhead, type Cursor, type Lookahead } from './keyset.js';
import { clampToPart, keyBounds, type KeySpan } from './parts.js';

export interface Chunk {
  /** Inclusive end; null: to the end of the table. */
  end: Cursor;
  /** The part's last chunk. */
  last: boolean;
}

export class ChunkFinder {
  private arithmetic: boolean;
  private ahead: Lookahead | null = null;
  /** Key values spanned by the chunk handed out last, when found by arithmetic. */
  private width: bigint | null = null;
  /** The key's largest value when last looked up: looked up again only once a chunk reaches it. */
  private hi: bigint | null = null;

  constructor(
    private readonly driver: Driver,
    private readonly d: Dialect,
    private readonly table: string,
    private readonly key: string[],
    integerKey: boolean | undefined,
    private readonly span: KeySpan,
  ) {
    this.arithmetic = Boolean(integerKey) && key.length === 1;
  }

  /** Wait for the look-ahead, if any: before acquiring the chunk's session (PGlite has only one). */
  async ready(): Promise<void> {
    if (this.ahead) await this.ahead.end;
  }

  /** The chunk after `cursor`, for a batch of `size` rows. */
  async next(s: Session, cursor: Cursor, size: number): Promise<Chunk> {
    this.width = null;
    if (this.arithmetic) return this.byArithmetic(s, cursor, size);
    const ahead = this.ahead;
    this.ahead = null;
    const chunk = clampToPart(ahead ? await ahead.end : await chunkEnd(s, this.d, this.table, this.key, cursor, size), this.span.to);
    if (!chunk.last) this.ahead = lookAhead(this.driver, this.d, this.table, this.key, chunk.end, size);
    return chunk;
  }

  /** After the chunk's work, the rows it held: a chunk found by arithmetic and less than half full turns lookups on. */
  observe(rows: number): void {
    if (this.width !== null && BigInt(rows) * 2n < this.width) this.arithmetic = false;
  }

  /** The look-ahead went past a chunk that failed: forget it. */
  reset(): void {
    this.ahead = null;
  }

  private async byArithmetic(s: Session, cursor: Cursor, size: number): Promise<Chunk> {
    let from: bigint;
    if (cursor === null) {
      const bounds = await this.bounds(s);
      if (!bounds) return { end: this.span.to, last: true };
      from = bounds.lo - 1n;
    } else from = BigInt(cursor[0]!);
    const end = from + BigInt(Math.max(1, Math.floor(size)));
    let chunk: Chunk;
    if (this.span.to !== null) chunk = clampToPart([String(end)], this.span.to);
    else {
      // A part that runs to the end of the table leaves its last chunk open, so rows inserted meanwhile are in it too.
      if (this.hi === null || end >= this.hi) await this.bounds(s);
      chunk = this.hi === null || end >= this.hi ? { end: null, last: true } : { end: [String(end)], last: false };
    }
    if (!chunk.last) this.width = end - from;
    return chunk;
  }

  private async bounds(s: Session): Promise<{ lo: bigint; hi: bigint } | null> {
    const bounds = await keyBounds(s, this.d, this.table, this.key[0]!);
    this.hi = bounds?.hi ?? null;
    return bounds;
  }
}
