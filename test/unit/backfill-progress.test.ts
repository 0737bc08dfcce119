/**
 * `xc status`'s backfill count (state/progress.ts): a table's rows once, whatever the passes over it, and a count
 * that does not fall when the next pass starts (campaigns DD and DM).
 */
import { describe, expect, it } from 'vitest';
import { backfillProgress } from '../../src/state/progress.js';

/** Passes of the backfill phase (fill: false), open where not walked to their end. */
const of = (entries: [string, { done: number; total: number }[]][]) => new Map(entries.map(([t, passes]) => [t, passes.map((p) => ({ ...p, fill: false, open: p.done < p.total }))]));
const walks = (backfill: [string, number][], fill: [string, number][] = []) => ({ backfill: new Map(backfill), fill: new Map(fill) });

describe('backfill progress in status', () => {
  it('one pass: as it stands', () => {
    expect(backfillProgress(of([['t', [{ done: 400, total: 1000 }]]]), walks([['t', 1]]))).toEqual({ done: 400, total: 1000 });
  });
  it('three passes planned over one table: its rows once, each pass a third of the work, never falling as the next begins', () => {
    const planned = walks([['t', 3]]);
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
    // Said, so the count reads as a share of all three passes (campaign DR: 1,687/40,658 read as rows done, 13,500 into the first of 8).
    // With the pass under way as apply counts it (campaign DZ: the share read as pass 2's rows).
    const current = [0, 30_000, 60_000, 0, 30_000, 60_000];
    expect(shown.map((p) => p.passes)).toEqual([1, 1, 1, 2, 3, 3].map((begun, i) => ({ begun, planned: 3, current: { done: current[i], total: 60_000 } })));
  });
  it('two tables add up', () => {
    expect(backfillProgress(of([['a', [{ done: 10, total: 10 }]], ['b', [{ done: 5, total: 20 }]]]), walks([['a', 1], ['b', 1]]))).toEqual({ done: 15, total: 30 });
  });
  it("while the expand fills, its fills are shown, counted as passes are: not falling as the next fill begins (campaign DU: 13,733/60,000, then 6,000/60,000)", () => {
    const planned = walks([['w', 4]], [['w', 4]]);
    const fills = (rows: [number, boolean][]) => new Map([['w', rows.map(([done, open]) => ({ done, total: 60_000, fill: true, open }))]]);
    const first = backfillProgress(fills([[30_000, true]]), planned);
    const second = backfillProgress(fills([[60_000, false], [6_000, true]]), planned);
    expect(first).toEqual({ done: 7_500, total: 60_000, passes: { begun: 1, planned: 4, fill: true, current: { done: 30_000, total: 60_000 } } });
    expect(second).toEqual({ done: 16_500, total: 60_000, passes: { begun: 2, planned: 4, fill: true, current: { done: 6_000, total: 60_000 } } });
    // The expand done, the backfill phase's passes are shown, its fills no longer.
    const after = new Map([['w', [...fills([[60_000, false]]).get('w')!, { done: 15_000, total: 60_000, fill: false, open: true }]]]);
    expect(backfillProgress(after, planned)).toEqual({ done: 3_750, total: 60_000, passes: { begun: 1, planned: 4, current: { done: 15_000, total: 60_000 } } });
  });
});
