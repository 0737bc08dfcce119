/**
 * The chaos run's measure of a writer stall xc caused (test/chaos/blockers.ts):
 * a statement's time less the part inside a hold that stops writes itself and
 * less the gaps when the harness process could not run (lag.ts) — both
 * dialects' scenarios share that one process, and on a starved box a writer's
 * answer is seen seconds late (chaos seed 1381550935: a 2992 ms "stall" of a
 * writer no DDL of xc's was in front of).
 */
import { describe, expect, it } from 'vitest';
import { stallNotOwedToHolder, type Hold } from '../chaos/blockers.js';
import { loopGaps } from '../chaos/lag.js';

const held = (mode: Hold['mode'], from: number, to: number): Hold => ({ mode, requestedAt: from, acquiredAt: from, releasedAt: to, acquired: Promise.resolve(), released: Promise.resolve() });
const gapsOf = (list: [number, number][]) => (from: number, to: number) => list.filter(([a, b]) => a < to && b > from).map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)]);

describe('chaos: a writer stall not owed to the holder', () => {
  it('takes off the time the harness could not run, during the hold and outside it', () => {
    const hold = held('read', 1000, 9000); // a read lock stops no writer: all of a writer's wait counts
    const timings: [number, number][] = [
      [2000, 4992], // 2992 ms, of which 2600 the process could not run
      [5000, 5400], // 400 ms, no gap
      [10_000, 11_500], // after the hold, 1500 ms, 1200 of them a gap
    ];
    const stall = stallNotOwedToHolder(timings, hold, gapsOf([[2300, 4900], [10_100, 11_300]]));
    expect(stall).toEqual({ during: 400, outside: 300, lag: 2600 });
    // Without gaps: the statement's whole time.
    expect(stallNotOwedToHolder(timings, hold, gapsOf([]))).toEqual({ during: 2992, outside: 1500, lag: 0 });
  });

  it('counts time both inside a hold that stops writes and in a gap once', () => {
    const hold = held('lock-read', 1000, 3000); // LOCK TABLES … READ stops writers itself
    const stall = stallNotOwedToHolder([[0, 4000]], hold, gapsOf([[2500, 3500]]));
    // 4000 less the union of [1000, 3000] and [2500, 3500]: 1500 (not 1000, as counting the overlap twice would give).
    expect(stall).toEqual({ during: 1500, outside: 0, lag: 1000 });
  });

  it('sees the event loop held', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const from = Date.now();
    while (Date.now() - from < 400); // the loop held, as a synchronous snapshot of 20,000 rows holds it
    await new Promise((r) => setTimeout(r, 100)); // the timer fires late once, and records the gap
    const to = Date.now();
    const gaps = loopGaps(from, to);
    expect(gaps.reduce((n, [a, b]) => n + b - a, 0)).toBeGreaterThanOrEqual(300);
  });
});
