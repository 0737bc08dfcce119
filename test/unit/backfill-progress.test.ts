/**
 * `xc status`'s backfill count (state/progress.ts): a table's rows once, whatever the passes over it, and a count
 * that does not fall when the next pass starts (campaigns DD and DM).
 */
import { describe, expect, it } from 'vitest';
import { backfillProgress } from '../../src/state/progress.js';

const of = (entries: [string, { done: number; total: number }[]][]) => new Map(entries);

describe('backfill progress in status', () => {
  it('one pass: as it stands', () => {
    expect(backfillProgress(of([['t', [{ done: 400, total: 1000 }]]]), new Map([['t', 1]]))).toEqual({ done: 400, total: 1000 });
  });
  it('three passes planned over one table: its rows once, each pass a third of the work, never falling as the next begins', () => {
    const planned = new Map([['t', 3]]);
    const steps = [
      [{ done: 0, total: 60_000 }],
      [{ done: 30_000, total: 60_000 }],
      [{ done: 60_000, total: 60_000 }],
      [{ done: 60_000, total: 60_000 }, { done: 0, total: 60_000 }],
      [{ done: 60_000, total: 60_000 }, { done: 60_000, total: 60_000 }, { done: 30_000, total: 60_000 }],
      [{ done: 60_000, total: 60_000 }, { done: 60_000, total: 60_000 }, { done: 60_000, total: 60_000 }],
    ];
    const shown = steps.map((passes) => backfillProgress(of([['t', passes]]), planned));
    expect(shown.map((p) => p.total)).toEqual(Array(6).fill(60_000));
    expect(shown.map((p) => p.done)).toEqual([0, 10_000, 20_000, 20_000, 50_000, 60_000]);
  });
  it('two tables add up', () => {
    expect(backfillProgress(of([['a', [{ done: 10, total: 10 }]], ['b', [{ done: 5, total: 20 }]]]), new Map([['a', 1], ['b', 1]]))).toEqual({ done: 15, total: 30 });
  });
});
