/**
 * The throttle loop without a database: signals are stand-ins whose readings
 * the test sets. Shown: a hold returns true (the batch size backs off) and
 * only once every signal is under; `throttled` events at most once a second
 * per signal and source; the note for `xc status` set while held and cleared
 * after; after --throttle-timeout a RefusedError (exit 3, code throttled)
 * naming the signal; the progress line's words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Throttle } from '../../src/backfill/throttle/throttle.js';
import { signalFactories } from '../../src/backfill/throttle/index.js';
import type { HealthReading, SignalFactory } from '../../src/backfill/throttle/signal.js';
import { describeReadings } from '../../src/backfill/throttle/describe.js';
import { defaultEngineOptions, type EngineContext } from '../../src/engine/context.js';
import { createOutput } from '../../src/cli/output.js';
import type { XcEvent } from '../../src/index.js';

const reading = (signal: string, value: number, limit: number, unit: string, source?: string): HealthReading => ({ signal, value, limit, unit, over: value > limit, ...(source ? { source } : {}) });

/** A context whose only signal is `fake`, reading what `readings()` gives; notes and events recorded. */
function harness(readings: () => HealthReading[], throttleTimeoutMs = 60_000) {
  const events: XcEvent[] = [];
  const notes: (string | null)[] = [];
  const fake: SignalFactory = async () => ({ name: 'fake', read: async () => readings(), close: async () => undefined });
  const saved = signalFactories.splice(0, signalFactories.length, fake);
  restore.push(() => void signalFactories.splice(0, signalFactories.length, ...saved));
  const ctx = {
    driver: { acquire: async () => ({ release() {} }) },
    store: { noteThrottle: async (_s: unknown, _id: string, prefix: string, note: string | null) => void notes.push(note === null ? null : (expect(note.startsWith(prefix)).toBe(true), note)) },
    options: { ...defaultEngineOptions, throttleTimeoutMs },
    emit: (e: XcEvent) => events.push(e),
  } as unknown as EngineContext;
  return { ctx, events, notes };
}
const restore: (() => void)[] = [];
afterEach(() => restore.splice(0).forEach((f) => f()));

describe('Throttle', () => {
  it('holds while a signal is over, once a second per signal at most, noting it for status, and says it held', async () => {
    let calls = 0;
    // Over for the first three readings (about 1.5–6 s of waiting), then under.
    const { ctx, events, notes } = harness(() => (++calls <= 3 ? [reading('wal_rate', 5 * 1024 ** 2, 1024 ** 2, 'bytes/s'), reading('replica_lag', 9000, 5000, 'ms', 'r1:5433')] : [reading('wal_rate', 0, 1024 ** 2, 'bytes/s')]));
    const throttle = await Throttle.open(ctx, '0001', 'users', 'backfill');
    const t0 = Date.now();
    expect(await throttle.wait()).toBe(true);
    const waited = Date.now() - t0;
    expect(calls).toBe(4);
    const throttled = events.filter((e) => e.event === 'throttled');
    expect(throttled[0]).toEqual({ event: 'throttled', migration: '0001', table: 'users', signal: 'wal_rate', value: 5 * 1024 ** 2, limit: 1024 ** 2, unit: 'bytes/s' });
    expect(throttled[1]).toEqual({ event: 'throttled', migration: '0001', table: 'users', signal: 'replica_lag', source: 'r1:5433', value: 9000, limit: 5000, unit: 'ms' });
    // Two signals, at most one event each per second of waiting (and one each at once).
    expect(throttled.length).toBeLessThanOrEqual(2 * (1 + Math.floor(waited / 1000)));
    // Opened: a stale note cleared; held: the note; over: cleared again.
    expect(notes[0]).toBeNull();
    expect(notes[1]).toMatch(/^throttled: wal_rate 5MB\/s over the limit 1MB\/s; replica_lag \(r1:5433\) 9s over the limit 5s \(backfill of "users" held since \d{4}-\d\d-\d\dT/);
    expect(notes.at(-1)).toBeNull();
    // Under: no wait, nothing emitted.
    const before = events.length;
    expect(await throttle.wait()).toBe(false);
    expect(events.length).toBe(before);
  }, 30_000);

  it('gives up after --throttle-timeout: exit 3, code throttled, naming the signal, its value and limit', async () => {
    const { ctx, notes } = harness(() => [reading('load', 12, 4, 'sessions')], 1);
    const throttle = await Throttle.open(ctx, '0001', 'users', 'backfill');
    const err = (await throttle.wait().catch((e: unknown) => e)) as { exitCode: number; code: string; message: string; details: Record<string, unknown> };
    expect(err).toMatchObject({ exitCode: 3, code: 'throttled', details: { migration: '0001', table: 'users', signal: 'load', value: 12, limit: 4, unit: 'sessions' } });
    expect(err.message).toMatch(/^backfill of "users" held back for \d+m?s \(--throttle-timeout\) by load 12 sessions over the limit 4 sessions; every batch before is committed: run the command again to resume/);
    expect(notes.at(-1)).toBeNull();
  }, 30_000);

  it('without an enabled signal a wait reads nothing and writes nothing', async () => {
    const { ctx, notes } = harness(() => []);
    signalFactories.splice(0, signalFactories.length, async () => undefined);
    const throttle = await Throttle.open(ctx, '0001', 'users', 'backfill');
    expect(await throttle.wait()).toBe(false);
    expect(notes).toEqual([]);
  });
});

describe('the progress line', () => {
  it('names the signal, what it measured, its value and limit in their units', () => {
    let err = '';
    const stream = { isTTY: false, write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream;
    createOutput({ json: false, stdout: stream, stderr: stream }).event({ event: 'throttled', migration: '0001', table: 'users', signal: 'replica_lag', source: 'db2:5432', value: 7300, limit: 5000, unit: 'ms' });
    expect(err).toContain('throttled 0001 users  replica_lag (db2:5432) 7.3s over the limit 5s, waiting');
    expect(describeReadings([reading('autovacuum', 1, 0, 'workers', 'users'), reading('wal_rate', 1536, 1024, 'bytes/s')])).toBe('autovacuum (users) 1 workers over the limit 0 workers; wal_rate 1.5kB/s over the limit 1kB/s');
    // Campaign AG-3: a replica not applying changes was "0ms over the limit 5s".
    expect(describeReadings([reading('replica_lag', 0, 5000, 'ms', 'db2:3306 (replication SQL thread stopped)')])).toBe('replica_lag (db2:3306 (replication SQL thread stopped)) held for that reason, not for a value over the limit 5s');
  });
});
