/** The adaptive batch size (src/backfill/sizer.ts), fed batch timings: no database, no clock. */
import { describe, expect, it } from 'vitest';
import { BatchSizer, CONTENDED_FLOOR, MAX_BATCH, MIN_BATCH } from '../../src/backfill/sizer.js';

const TARGET = 200;

/** A deterministic noise source (an LCG), so the runs below are the same every time. */
function noise(seed: number, sigma: number): () => number {
  let s = seed;
  const u = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  // Roughly log-normal: a batch is as likely to take ×1.5 as ×1/1.5.
  return () => Math.exp(sigma * 2 * (u() + u() + u() - 1.5));
}

/**
 * Batch times of a walk where a row costs `msPerRow(i)` for batch i, times noise, plus 3 ms a batch;
 * `blocks(size, i)`: whether batch i of `size` rows ended with a writer waiting for its locks.
 */
function walk(batches: number, msPerRow: (i: number) => number, jitter: () => number = () => 1, blocks: (size: number, i: number) => boolean = () => false): { times: number[]; sizes: number[] } {
  const sizer = new BatchSizer(TARGET);
  let size = 1000;
  const times: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < batches; i++) {
    const ms = 3 + size * msPerRow(i) * jitter();
    times.push(ms);
    sizes.push(size);
    size = sizer.next(size, ms, blocks(size, i));
  }
  return { times, sizes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('BatchSizer', () => {
  it('grows ×4, then ×2 while far under the target, then by at most 1.2; shrinks by half at most; stays in bounds', () => {
    expect(new BatchSizer(TARGET).next(1000, 10)).toBe(4000);
    expect(new BatchSizer(TARGET).next(1000, 40)).toBe(2000);
    expect(new BatchSizer(TARGET).next(1000, 100)).toBe(1200);
    expect(new BatchSizer(TARGET).next(1000, 4000)).toBe(500);
    expect(new BatchSizer(TARGET).next(40_000, 1)).toBe(MAX_BATCH);
    expect(new BatchSizer(TARGET).next(MIN_BATCH, 4000)).toBe(MIN_BATCH);
  });

  it('reaches the target from the first 1,000 rows in a few batches', () => {
    const { times } = walk(12, () => 0.01); // 20,000 rows make 200 ms
    const first = times.findIndex((t) => Math.abs(t - TARGET) <= 0.25 * TARGET);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(8);
    expect(times.slice(first).every((t) => Math.abs(t - TARGET) <= 0.25 * TARGET)).toBe(true);
  });

  it('one slow batch does not cut the size in proportion', () => {
    const sizer = new BatchSizer(TARGET);
    let size = 20_000;
    for (let i = 0; i < 10; i++) size = sizer.next(size, 190);
    const steady = size;
    // A checkpoint or a lock wait: one batch takes 3× the target; the load has not changed.
    const after = sizer.next(size, 3 * TARGET);
    expect(after).toBeGreaterThan(0.7 * steady); // the last batch alone would give a third (bounded to a half)
    expect(after).toBeLessThan(steady);
  });

  it('follows a doubling of the cost per row within a few batches', () => {
    const { times, sizes } = walk(60, (i) => (i < 30 ? 0.01 : 0.02));
    const resettled = times.slice(30).findIndex((t, k, all) => all.slice(k, k + 3).every((x) => Math.abs(x - TARGET) <= 0.25 * TARGET));
    expect(resettled).toBeGreaterThanOrEqual(0);
    expect(resettled).toBeLessThanOrEqual(5);
    expect(Math.max(...times.slice(30))).toBeLessThanOrEqual(2.1 * TARGET); // the first batch at the new cost
    expect(sizes.at(-1)! / sizes[29]!).toBeGreaterThan(0.4);
    expect(sizes.at(-1)! / sizes[29]!).toBeLessThan(0.6);
  });

  it('keeps the median batch near the target when single batches scatter', () => {
    for (const seed of [1, 2, 3, 4]) {
      const { times } = walk(300, (i) => (i < 150 ? 0.01 : 0.02), noise(seed, 0.5));
      const settled = times.slice(20);
      // The last batch's time alone (the rule before) put the median at ~155 ms here: each slow batch cut the size.
      expect(Math.abs(median(settled) - TARGET)).toBeLessThanOrEqual(0.1 * TARGET);
    }
  });

  it('a batch that blocked writers halves the size, never under the floor; batches that block no one grow it back to the time target', () => {
    const sizer = new BatchSizer(TARGET);
    let size = 20_000;
    for (let i = 0; i < 10; i++) size = sizer.next(size, 190);
    const steady = size;
    expect(sizer.next(size, 190, true)).toBe(Math.round(steady / 2));
    size = steady / 2;
    for (let i = 0; i < 10; i++) size = sizer.next(size, 95, true);
    expect(size).toBe(CONTENDED_FLOOR);
    // Contention over: ×1.1 a batch (the timed size wants more), until the cap passes the timed size and is lifted.
    const grown = sizer.next(size, 10);
    expect(grown).toBe(Math.round(CONTENDED_FLOOR * 1.1));
    for (let i = 0; i < 60; i++) size = sizer.next(size, (size / steady) * 190);
    expect(Math.abs(size - steady) / steady).toBeLessThan(0.1);
  });

  it('under writers who meet a locked row in proportion to the rows a batch locks, settles where about one batch in eight blocks', () => {
    // A batch locking `size` rows of 2M meets one of 4,000 random writes/s, each hitting a locked row with chance size/2M, during its time.
    let seed = 7;
    const u = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const perRow = 0.004;
    const hits: boolean[] = [];
    const hit = (size: number) => (hits.push(u() < 1 - Math.exp(-4 * (3 + size * perRow) * (size / 2_000_000))), hits.at(-1)!);
    const { sizes } = walk(600, () => perRow, () => 1, hit);
    const settled = sizes.slice(100);
    // The batches' own outcomes, as the sizer was told them.
    const blocked = hits.slice(100).filter(Boolean).length / settled.length;
    expect(median(settled)).toBeLessThan(0.5 * (TARGET / perRow)); // the time target alone: 50,000 rows
    expect(median(settled)).toBeGreaterThanOrEqual(CONTENDED_FLOOR);
    expect(blocked).toBeGreaterThan(0.03);
    expect(blocked).toBeLessThan(0.3);
  });
});
