/** engine/busy.ts: a table's write rate from two readings of the server's counter, and the choice it makes for a step with `ifBusy`. No database. */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../src/db/driver.js';
import { LOG_WATCH_EVERY_MS, measureBusy, REBUILD_LOG_ROWS_PER_MS, REBUILD_LOG_SHARE, watchWhileRunning, WATCH_EVERY_MS, WATCH_READINGS, writeRate } from '../../src/engine/busy.js';
import type { Step } from '../../src/plan/index.js';

const session = {} as Session;

/** A dialect whose counter reads the given values in turn. */
const counter = (...readings: (number | undefined)[]) => ({ rowsWritten: async () => readings.shift() });

const step: Step = {
  sql: 'ALTER TABLE `t` ADD COLUMN `s` bigint NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE',
  description: 'add column `t`.`s`, stored in every row (rebuilt online)',
  lock: 'rebuild',
  transactional: false,
  tables: ['t'],
  ifBusy: { sql: 'ALTER TABLE `t` ADD COLUMN `s` bigint NULL DEFAULT 0, ALGORITHM=INSTANT, LOCK=DEFAULT', description: 'instantly', lock: 'instant' },
};

describe('writeRate', () => {
  it('divides the rows written between two readings by the time between them', async () => {
    const rate = await writeRate(counter(1000, 1500), session, 't', 50);
    // 500 rows over a window of about 50 ms: a loaded machine makes it longer, and Node's timers may fire up to a
    // millisecond early by performance.now() (CI saw 49.7 ms), so the bound allows 2 ms.
    expect(rate).toBeGreaterThan(500 / 0.5);
    expect(rate).toBeLessThanOrEqual(500 / 0.048);
  });

  it('measures again when the count went down (the server reset it), once', async () => {
    const again = await writeRate(counter(900_000, 10, 60), session, 't', 20);
    expect(again).toBeGreaterThan(0);
    expect(again).toBeLessThanOrEqual(50 / 0.018);
    expect(await writeRate(counter(900_000, 10, 5), session, 't', 20)).toBeUndefined();
  });

  it('is undefined where the server keeps no count', async () => {
    expect(await writeRate(counter(undefined), session, 't', 10)).toBeUndefined();
    expect(await writeRate({}, session, 't', 10)).toBeUndefined();
  });
});

describe('measureBusy', () => {
  const options = (maxRebuildWriteRate: number) => ({ maxRebuildWriteRate }) as never;

  it('gives the rate, and names the table, its rate and the limit when the rate is over it', async () => {
    const reading = await measureBusy({ dialect: counter(0, 10_000) as never, options: options(2000) }, session, step);
    expect(reading.writesPerSecond).toBeGreaterThan(2000);
    expect(reading.busy).toMatch(/^t took [\d,]+ row writes\/s, over --max-rebuild-write-rate 2,000$/);
  });

  it('is not busy at or under the limit, nor without a count; a step with no alternative is not measured', async () => {
    expect(await measureBusy({ dialect: counter(0, 0) as never, options: options(2000) }, session, step)).toEqual({ writesPerSecond: 0 });
    expect(await measureBusy({ dialect: {} as never, options: options(1) }, session, step)).toEqual({});
    let read = false;
    const watching = { rowsWritten: async () => ((read = true), 0) };
    expect(await measureBusy({ dialect: watching as never, options: options(1) }, session, { ...step, ifBusy: undefined })).toEqual({});
    expect(read).toBe(false);
  });
});

describe('measureBusy where the server shows its rebuild\'s row log (MariaDB)', () => {
  const withLog = (...counts: number[]) => ({ ...counter(...counts), rebuildLog: async () => ({ rows: 10, used: 0.4, mark: 'previous' }) });

  it('unset, the limit gives way to the log: any rate is admitted, unmeasured (no half-second wait), and the reading before the statement is kept to watch from', async () => {
    let counted = false;
    const dialect = { ...withLog(0, 1_000_000), rowsWritten: async () => ((counted = true), 0) };
    const started = performance.now();
    expect(await measureBusy({ dialect: dialect as never, options: {} as never }, session, step)).toEqual({ logMark: 'previous' });
    expect(counted).toBe(false);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('set, the limit decides, as where the server shows nothing; unset there, the default limit applies', async () => {
    const set = await measureBusy({ dialect: withLog(0, 1_000_000) as never, options: { maxRebuildWriteRate: 2000 } as never }, session, step);
    expect(set.busy).toMatch(/over --max-rebuild-write-rate 2,000$/);
    expect(set.logMark).toBeUndefined();
    const mysql = await measureBusy({ dialect: { ...counter(0, 1_000_000), rebuildLog: async () => undefined } as never, options: {} as never }, session, step);
    expect(mysql.busy).toMatch(/over --max-rebuild-write-rate 4,000$/);
  });
});

describe('watchWhileRunning by the rebuild\'s row log', () => {
  type Log = { rows: number; used: number; mark: string };
  /** A dialect whose log reads the given readings in turn (the last one again), recording cancels; no write count. */
  function logged(...readings: Log[]) {
    const cancelled: number[] = [];
    let reads = 0;
    const dialect = {
      rebuildLog: async () => (reads++, readings.length > 1 ? readings.shift() : readings[0]),
      cancel: async (_s: Session, id: number) => void cancelled.push(id),
    };
    const driver = { singleConnection: false, acquire: async () => ({ release: () => undefined }) };
    return { ctx: { dialect, driver, options: { lockTimeoutMs: 1000 } } as never, cancelled, reads: () => reads };
  }
  const until = async (done: () => boolean, ms: number) => {
    const t0 = performance.now();
    while (!done() && performance.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
  };
  const maxRows = 1000 * REBUILD_LOG_ROWS_PER_MS;
  const description = '"add column `t`.`s`, stored in every row (rebuilt online)"';

  it(`cancels the statement when its log is on course to hold more rows than half the lock timeout applies (${maxRows.toLocaleString('en-US')} for 1 s), and says so`, async () => {
    // 2,000 (4,000 by the next reading at that pace) then 3,600 (5,200 next): cancelled before it has passed the limit.
    const { ctx, cancelled } = logged({ rows: 2000, used: 0.001, mark: 'a' }, { rows: 3600, used: 0.002, mark: 'b' });
    const watcher = watchWhileRunning(ctx, step, 7, { logMark: 'before' });
    await until(() => cancelled.length > 0, 10_000);
    expect(cancelled).toEqual([7]);
    expect(await watcher.stop()).toBe(`the online rebuild's log of t's writes held 3,600 rows, on course to pass the 5,000 it can apply in half the lock timeout while ${description} ran: cancelled`);
    // 3,000 rows one reading in: 6,000 by the next, cancelled at once.
    const fast = logged({ rows: 3000, used: 0.001, mark: 'a' });
    const early = watchWhileRunning(fast.ctx, step, 8, { logMark: 'before' });
    await until(() => fast.cancelled.length > 0, 10_000);
    expect(fast.cancelled).toEqual([8]);
    expect(await early.stop()).toMatch(/held 3,000 rows, on course to pass the 5,000/);
  });

  it(`cancels a log ${REBUILD_LOG_SHARE * 100} % full, however few its rows (large rows: the server would give it up full)`, async () => {
    const { ctx, cancelled } = logged({ rows: 40, used: 0.5, mark: 'a' });
    const watcher = watchWhileRunning(ctx, step, 9, { logMark: 'before' });
    await until(() => cancelled.length > 0, 10_000);
    expect(await watcher.stop()).toBe(`the online rebuild's log of t's writes was 50% full (innodb_online_alter_log_max_size) while ${description} ran: cancelled`);
  });

  it('leaves alone a rebuild whose log stays short, and ignores the previous rebuild\'s reading, however long', async () => {
    const quiet = logged({ rows: 100, used: 0.001, mark: 'x' }, { rows: 1000, used: 0.001, mark: 'y' }, { rows: 2000, used: 0.001, mark: 'z' });
    const w1 = watchWhileRunning(quiet.ctx, step, 1, { logMark: 'before' });
    await until(() => quiet.reads() >= 6, 10_000);
    expect(await w1.stop()).toBeUndefined();
    expect(quiet.cancelled).toEqual([]);
    const stale = logged({ rows: 1_000_000, used: 0.9, mark: 'before' });
    const w2 = watchWhileRunning(stale.ctx, step, 2, { logMark: 'before' });
    await until(() => stale.reads() >= 6, 10_000);
    expect(await w2.stop()).toBeUndefined();
    expect(stale.cancelled).toEqual([]);
  });

  it('watches nothing without a mark to watch from and no limit (a dialect with neither reading)', async () => {
    const { ctx, cancelled, reads } = logged({ rows: 1_000_000, used: 0.9, mark: 'x' });
    const w = watchWhileRunning(ctx, step, 3, {});
    await new Promise((r) => setTimeout(r, LOG_WATCH_EVERY_MS * 3));
    expect(await w.stop()).toBeUndefined();
    expect(reads()).toBe(0);
    expect(cancelled).toEqual([]);
  });
});

describe('watchWhileRunning', () => {
  /** A driver whose sessions are plain objects, and a dialect counting `perSecond` writes a second of the clock, recording cancels. */
  function fakes(perSecond: () => number) {
    const t0 = performance.now();
    const cancelled: number[] = [];
    const dialect = {
      rowsWritten: async () => Math.round(((performance.now() - t0) / 1000) * perSecond()),
      cancel: async (_s: Session, id: number) => void cancelled.push(id),
    };
    const driver = { singleConnection: false, acquire: async () => ({ release: () => undefined }) };
    return { ctx: { dialect, driver, options: { maxRebuildWriteRate: 100 } } as never, cancelled };
  }

  it(`cancels the statement after ${WATCH_READINGS} readings in a row over the limit, and says why`, async () => {
    const { ctx, cancelled } = fakes(() => 10_000);
    const started = performance.now();
    const watcher = watchWhileRunning(ctx, step, 42);
    while (cancelled.length === 0 && performance.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
    // Timers never fire early: never before the readings' time.
    expect(performance.now() - started).toBeGreaterThanOrEqual(WATCH_EVERY_MS * WATCH_READINGS);
    const why = await watcher.stop();
    expect(cancelled).toEqual([42]);
    expect(why).toMatch(/^t took over 100 row writes\/s \(--max-rebuild-write-rate\) for 3 s while "add column `t`\.`s`, stored in every row \(rebuilt online\)" ran \([\d,]+ in the last second\): cancelled$/);
  }, 30_000);

  it('leaves a statement alone on a quiet table, and one stopped before its readings add up', async () => {
    const quiet = fakes(() => 50);
    const w1 = watchWhileRunning(quiet.ctx, step, 1);
    await new Promise((r) => setTimeout(r, WATCH_EVERY_MS * WATCH_READINGS + 500));
    expect(await w1.stop()).toBeUndefined();
    expect(quiet.cancelled).toEqual([]);
    const busy = fakes(() => 10_000);
    const w2 = watchWhileRunning(busy.ctx, step, 2);
    await new Promise((r) => setTimeout(r, WATCH_EVERY_MS * (WATCH_READINGS - 1) - 300));
    expect(await w2.stop()).toBeUndefined();
    expect(busy.cancelled).toEqual([]);
  }, 15_000);

  it('watches nothing for a step without an alternative, or a driver with one connection', async () => {
    const { ctx, cancelled } = fakes(() => 10_000);
    expect(await watchWhileRunning(ctx, { ...step, ifBusy: undefined }, 3).stop()).toBeUndefined();
    const single = { ...(ctx as object), driver: { singleConnection: true } } as never;
    expect(await watchWhileRunning(single, step, 4).stop()).toBeUndefined();
    expect(cancelled).toEqual([]);
  });
});

describe('watchWhileRunning, stopped mid-reading', () => {
  it('returns at once: the statement it watched ended, and its session must not wait a second for the watcher', async () => {
    let reads = 0;
    // The second reading never answers: stop() returning at all shows it does not wait for a reading in progress.
    const dialect = { rowsWritten: () => (++reads === 1 ? Promise.resolve(0) : new Promise<number>(() => undefined)), cancel: async () => undefined };
    const driver = { singleConnection: false, acquire: async () => ({ release: () => undefined }) };
    const watcher = watchWhileRunning({ dialect, driver, options: { maxRebuildWriteRate: 1 } } as never, step, 1);
    while (reads < 2) await new Promise((r) => setTimeout(r, 20));
    expect(await watcher.stop()).toBeUndefined();
  });
});

describe('watchWhileRunning on a pool of one session', () => {
  it('stops at once while still waiting for a session, and gives it back when it gets it', async () => {
    let give: ((s: unknown) => void) | undefined;
    let released = 0;
    const driver = { singleConnection: false, acquire: () => new Promise((r) => (give = r)) };
    const dialect = { rowsWritten: async () => 0, cancel: async () => undefined };
    const watcher = watchWhileRunning({ dialect, driver, options: { maxRebuildWriteRate: 1 } } as never, step, 1);
    // The statement's session is the pool's only one: stop() must not wait for the watcher's.
    expect(await watcher.stop()).toBeUndefined();
    give!({ release: () => void released++ });
    await new Promise((r) => setTimeout(r, 10));
    expect(released).toBe(1);
  });
});
