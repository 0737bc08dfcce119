/**
 * When this process itself could not run: its event loop held by another
 * scenario's synchronous work (both dialects run in this one process: a
 * snapshot, a comparison, 20,000 seeded rows built, a server command run
 * synchronously), or the process not scheduled on a starved box. A writer
 * statement that ended inside such a gap was seen to end only after it: that
 * part of its time is the harness's, not a wait xc caused. Measured by a
 * timer that should fire every TICK_MS.
 */
const TICK_MS = 20;
/** Lateness below this is the timer's ordinary jitter, not a gap. */
const MIN_GAP_MS = 50;

const gaps: [number, number][] = [];
let last = Date.now();
setInterval(() => {
  const now = Date.now();
  if (now - last > TICK_MS + MIN_GAP_MS) gaps.push([last + TICK_MS, now]);
  last = now;
}, TICK_MS).unref();

/** The gaps that overlap [from, to], clipped to it. */
export function loopGaps(from: number, to: number): [number, number][] {
  return gaps.filter(([a, b]) => a < to && b > from).map(([a, b]) => [Math.max(a, from), Math.min(b, to)]);
}

