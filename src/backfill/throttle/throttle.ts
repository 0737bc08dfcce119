/**
 * The throttle of one pass (fill, backfill, verify) over one table: before
 * each batch, every enabled health signal is read (one reading shared by the
 * parts walking at once) and the batch waits while one is over its limit,
 * re-reading every 0.5–2 s (jittered, so parts and processes do not read in
 * step). While it holds: a `throttled` event per signal and source at most
 * once a second, and a note on the migration's row (`xc status`) naming the
 * signal. After --throttle-timeout of holding without a break it gives up,
 * exit 3 naming the signal; every batch before is committed, so a re-run
 * resumes.
 */
import { RefusedError } from '../../errors.js';
import { sleep, stopIfAsked, type EngineContext } from '../../engine/context.js';
import { withSession } from '../../db/driver.js';
import { formatDuration } from '../../options.js';
import { describeReadings } from './describe.js';
import { signalFactories } from './index.js';
import type { HealthReading, HealthSignal } from './signal.js';

/** A reading younger than this serves every part that asks (one read per batch, not one per part). */
const FRESH_MS = 100;
const EVENT_EVERY_MS = 1000;
/** The note on the migration's row is rewritten at most this often while the hold lasts (its signal or value changes). */
const NOTE_EVERY_MS = 5000;
/** Notes written by the throttle start so: a throttle opening clears one left by a run that stopped while held. */
const NOTE_PREFIX = 'throttled: ';

/** What the throttle holds, for messages. */
type Pass = 'fill' | 'backfill' | 'verify';

export class Throttle {
  private reading: { at: number; readings: Promise<HealthReading[]> } | undefined;
  private readonly lastEvent = new Map<string, number>();
  private noted: { at: number; text: string } | undefined;
  /** Parts held at this moment: the note is cleared when the last one goes on. */
  private holding = 0;

  private constructor(
    private readonly ctx: EngineContext,
    private readonly migration: string,
    private readonly table: string,
    private readonly pass: Pass,
    private readonly signals: HealthSignal[],
  ) {}

  /** The signals the options enable for this table; none: every wait returns at once. */
  static async open(ctx: EngineContext, migration: string, table: string, pass: Pass): Promise<Throttle> {
    const signals: HealthSignal[] = [];
    try {
      for (const factory of signalFactories) {
        const signal = await factory({ ctx, migration, table });
        if (signal) signals.push(signal);
      }
    } catch (err) {
      await Promise.all(signals.map((s) => s.close().catch(() => undefined)));
      throw err;
    }
    const throttle = new Throttle(ctx, migration, table, pass, signals);
    if (signals.length > 0) await throttle.setNote(null);
    return throttle;
  }

  /**
   * Before a batch: returns at once when every signal is under its limit;
   * otherwise waits until they all are, and returns true (the caller backs
   * its batch size off). Throws a RefusedError ('throttled') after
   * --throttle-timeout of holding.
   */
  async wait(): Promise<boolean> {
    if (this.signals.length === 0) return false;
    let since: number | undefined;
    try {
      for (;;) {
        const over = (await this.read()).filter((r) => r.over);
        if (over.length === 0) return since !== undefined;
        if (since === undefined) {
          since = Date.now();
          this.holding++;
        }
        this.report(over);
        await this.note(over, since);
        const heldMs = Date.now() - since;
        if (heldMs >= this.ctx.options.throttleTimeoutMs) throw this.timedOut(over, heldMs);
        await sleep(500 + Math.random() * 1500);
        stopIfAsked(this.ctx); // nothing half done while held
      }
    } finally {
      if (since !== undefined && --this.holding === 0) await this.setNote(null).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.signals.map((s) => s.close().catch(() => undefined)));
  }

  /** Every signal's readings, shared while fresh. */
  private read(): Promise<HealthReading[]> {
    if (this.reading && Date.now() - this.reading.at < FRESH_MS) return this.reading.readings;
    const readings = Promise.all(this.signals.map((s) => s.read())).then((all) => all.flat());
    this.reading = { at: Date.now(), readings };
    readings.catch(() => (this.reading = undefined));
    return readings;
  }

  private report(over: HealthReading[]): void {
    const now = Date.now();
    for (const r of over) {
      const key = `${r.signal}\0${r.source ?? ''}`;
      if (now - (this.lastEvent.get(key) ?? 0) < EVENT_EVERY_MS) continue;
      this.lastEvent.set(key, now);
      const { signal, value, limit, unit } = r;
      this.ctx.emit({ event: 'throttled', migration: this.migration, table: this.table, signal, ...(r.source !== undefined ? { source: r.source } : {}), value, limit, unit });
    }
  }

  /** The hold on the migration's row, for `xc status`: which signal, how far over, since when. */
  private async note(over: HealthReading[], since: number): Promise<void> {
    const text = `${NOTE_PREFIX}${describeReadings(over)} (${this.pass} of "${this.table}" held since ${new Date(since).toISOString()})`;
    if (this.noted && (this.noted.text === text || Date.now() - this.noted.at < NOTE_EVERY_MS)) return;
    this.noted = { at: Date.now(), text };
    await this.setNote(text);
  }

  /** Writes the note (null: clears a throttle's note, never another error). */
  private async setNote(text: string | null): Promise<void> {
    if (text === null) this.noted = undefined;
    await withSession(this.ctx.driver, (s) => this.ctx.store.noteThrottle(s, this.migration, NOTE_PREFIX, text));
  }

  private timedOut(over: HealthReading[], heldMs: number): RefusedError {
    const first = over[0]!;
    return new RefusedError(
      `${this.pass} of "${this.table}" held back for ${heldFor(heldMs)} (--throttle-timeout) by ${describeReadings(over)}; ` +
        `every batch before is committed: run the command again to resume, once the database is healthier (or raise the limit)`,
      { migration: this.migration, table: this.table, signal: first.signal, ...(first.source !== undefined ? { source: first.source } : {}), value: first.value, limit: first.limit, unit: first.unit, readings: over },
      { code: 'throttled' },
    );
  }
}

/** Whole seconds, or milliseconds under one (a short --throttle-timeout said "held back for 0"). */
const heldFor = (ms: number) => formatDuration(ms < 1000 ? Math.max(1, Math.round(ms)) : Math.round(ms / 1000) * 1000);
