/** Splitting a pass into parts, and the batch-size rule, without a database. */
import { describe, expect, it } from 'vitest';
import { clampToPart, forEachPart, splitKeySpan } from '../../src/backfill/parts.js';
import { nextBatchSize } from '../../src/backfill/run.js';
import type { Session } from '../../src/db/driver.js';
import type { Dialect } from '../../src/dialects/dialect.js';

const dialect = { quote: (s: string) => `"${s}"`, castText: (e: string) => `CAST(${e} AS text)` } as unknown as Dialect;

/** A session whose only query is the split's MIN/MAX. */
function session(lo: string | null, hi: string | null): Session {
  return { query: async () => ({ rows: [{ lo, hi }], rowCount: 1 }), release: () => undefined } as unknown as Session;
}

describe('splitKeySpan', () => {
  it('splits an integer key span into equal parts, open at both ends', async () => {
    expect(await splitKeySpan(session('1', '100'), dialect, 't', ['id'], true, 4)).toEqual([
      { from: null, to: ['25'] },
      { from: ['25'], to: ['50'] },
      { from: ['50'], to: ['75'] },
      { from: ['75'], to: null },
    ]);
  });

  it('handles keys beyond 2^53 and negative keys exactly', async () => {
    const parts = await splitKeySpan(session('-9223372036854775808', '9223372036854775807'), dialect, 't', ['id'], true, 2);
    expect(parts).toEqual([
      { from: null, to: ['-1'] },
      { from: ['-1'], to: null },
    ]);
  });

  it('does not split what it cannot: one part for other keys, composite keys, an empty table, or fewer keys than parts', async () => {
    const whole = [{ from: null, to: null }];
    expect(await splitKeySpan(session('1', '100'), dialect, 't', ['id'], false, 4)).toEqual(whole);
    expect(await splitKeySpan(session('1', '100'), dialect, 't', ['a', 'b'], true, 4)).toEqual(whole);
    expect(await splitKeySpan(session(null, null), dialect, 't', ['id'], true, 4)).toEqual(whole);
    expect(await splitKeySpan(session('7', '7'), dialect, 't', ['id'], true, 4)).toEqual(whole);
    expect(await splitKeySpan(session('1', '100'), dialect, 't', ['id'], true, 1)).toEqual(whole);
    expect(await splitKeySpan(session('1', '3'), dialect, 't', ['id'], true, 8)).toHaveLength(3);
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

describe('nextBatchSize', () => {
  it('doubles while far under the target, then grows by at most 1.2, and shrinks at once', () => {
    expect(nextBatchSize(1000, 10, 200)).toBe(2000);
    expect(nextBatchSize(1000, 100, 200)).toBe(1200);
    expect(nextBatchSize(1000, 400, 200)).toBe(500);
    expect(nextBatchSize(1000, 4000, 200)).toBe(500);
    expect(nextBatchSize(40_000, 1, 200)).toBe(50_000);
    expect(nextBatchSize(10, 4000, 200)).toBe(10);
  });
});
