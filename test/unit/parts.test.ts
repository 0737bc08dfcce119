/** Splitting a pass into parts, without a database (the batch-size rule: batch-sizer.test.ts). */
import { describe, expect, it } from 'vitest';
import { clampToPart, forEachPart, planWalk, splitKeySpan } from '../../src/backfill/parts.js';
import type { Session } from '../../src/db/driver.js';
import type { Dialect } from '../../src/dialects/dialect.js';

/** A dialect whose row estimate is `rows`. */
const dialect = (rows: number) => ({ quote: (s: string) => `"${s}"`, castText: (e: string) => `CAST(${e} AS text)`, estimateRows: async () => rows }) as unknown as Dialect;

/** A session whose only query is the key's MIN/MAX. */
function session(lo: string | null, hi: string | null): Session {
  return { query: async () => ({ rows: [{ lo, hi }], rowCount: 1 }), release: () => undefined } as unknown as Session;
}

const bounds = (lo: bigint, hi: bigint) => ({ lo, hi });

describe('splitKeySpan', () => {
  it('splits an integer key span into equal parts, open at both ends', () => {
    expect(splitKeySpan(bounds(1n, 100n), 4)).toEqual([
      { from: null, to: ['25'] },
      { from: ['25'], to: ['50'] },
      { from: ['50'], to: ['75'] },
      { from: ['75'], to: null },
    ]);
  });

  it('handles keys beyond 2^53 and negative keys exactly', () => {
    expect(splitKeySpan(bounds(-9223372036854775808n, 9223372036854775807n), 2)).toEqual([
      { from: null, to: ['-1'] },
      { from: ['-1'], to: null },
    ]);
  });

  it('makes one part of a single key, and no more parts than keys', () => {
    expect(splitKeySpan(bounds(7n, 7n), 4)).toEqual([{ from: null, to: null }]);
    expect(splitKeySpan(bounds(1n, 100n), 1)).toEqual([{ from: null, to: null }]);
    expect(splitKeySpan(bounds(1n, 3n), 8)).toHaveLength(3);
  });

  it("closed above (a fill): the last part ends at the split's largest key, the others as before", () => {
    expect(splitKeySpan(bounds(1n, 100n), 2, true)).toEqual([
      { from: null, to: ['50'] },
      { from: ['50'], to: ['100'] },
    ]);
    expect(splitKeySpan(bounds(7n, 7n), 4, true)).toEqual([{ from: null, to: ['7'] }]);
  });
});

describe('planWalk', () => {
  const whole = [{ from: null, to: null }];

  it('walks a dense enough integer key in parts, by arithmetic', async () => {
    expect(await planWalk(session('1', '100'), dialect(100), 't', ['id'], true, 4)).toEqual({ spans: splitKeySpan(bounds(1n, 100n), 4), arithmetic: true, rows: 100 });
    // Gaps are fine up to 4 key values per row (the estimate may be low).
    expect((await planWalk(session('1', '400'), dialect(100), 't', ['id'], true, 2)).arithmetic).toBe(true);
  });

  it('walks a sparse key by lookup, still in parts', async () => {
    const plan = await planWalk(session('1', '401'), dialect(100), 't', ['id'], true, 2);
    expect(plan).toEqual({ spans: splitKeySpan(bounds(1n, 401n), 2), arithmetic: false, rows: 100 });
  });

  it('walks other keys and composite keys whole, by lookup; an empty table whole', async () => {
    expect(await planWalk(session('1', '100'), dialect(100), 't', ['id'], false, 4)).toEqual({ spans: whole, arithmetic: false });
    expect(await planWalk(session('1', '100'), dialect(100), 't', ['a', 'b'], true, 4)).toEqual({ spans: whole, arithmetic: false });
    expect((await planWalk(session(null, null), dialect(0), 't', ['id'], true, 4)).spans).toEqual(whole);
  });
});

describe('clampToPart', () => {
  it("ends a chunk at the part's end, and marks it the last", () => {
    expect(clampToPart(['10'], ['50'])).toEqual({ end: ['10'], last: false });
    expect(clampToPart(['50'], ['50'])).toEqual({ end: ['50'], last: true });
    expect(clampToPart(['60'], ['50'])).toEqual({ end: ['50'], last: true });
    expect(clampToPart(null, ['50'])).toEqual({ end: ['50'], last: true });
    expect(clampToPart(['60'], null)).toEqual({ end: ['60'], last: false });
    expect(clampToPart(null, null)).toEqual({ end: null, last: true });
    // Compared as integers, not as text.
    expect(clampToPart(['9'], ['10'])).toEqual({ end: ['9'], last: false });
  });
});

describe('forEachPart', () => {
  it('runs at most `parallel` parts at once and every part once', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachPart([1, 2, 3, 4, 5], 2, async (p) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(p);
      running--;
    });
    expect(most).toBe(2);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops the other parts at their next batch after a failure, then throws it', async () => {
    const batches: number[] = [];
    const run = forEachPart([0, 1], 2, async (p, stopped) => {
      for (let b = 0; b < 10 && !stopped(); b++) {
        batches.push(p);
        await new Promise((r) => setTimeout(r, 5));
        if (p === 0 && b === 1) throw new Error('part 0 failed');
      }
    });
    await expect(run).rejects.toThrow('part 0 failed');
    expect(batches.filter((p) => p === 1).length).toBeLessThan(5);
  });
});
