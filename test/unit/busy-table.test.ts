/** engine/busy.ts: a table's write rate from two readings of the server's counter, and the choice it makes for a step with `ifBusy`. No database. */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../src/db/driver.js';
import { busyReason, writeRate } from '../../src/engine/busy.js';
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
    // 500 rows over a window of at least 50 ms (timers never fire early; a loaded machine makes it longer).
    expect(rate).toBeGreaterThan(500 / 0.5);
    expect(rate).toBeLessThanOrEqual(500 / 0.05);
  });

  it('measures again when the count went down (the server reset it), once', async () => {
    const again = await writeRate(counter(900_000, 10, 60), session, 't', 20);
    expect(again).toBeGreaterThan(0);
    expect(again).toBeLessThanOrEqual(50 / 0.02);
    expect(await writeRate(counter(900_000, 10, 5), session, 't', 20)).toBeUndefined();
  });

  it('is undefined where the server keeps no count', async () => {
    expect(await writeRate(counter(undefined), session, 't', 10)).toBeUndefined();
    expect(await writeRate({}, session, 't', 10)).toBeUndefined();
  });
});

describe('busyReason', () => {
  const options = (maxRebuildWriteRate: number) => ({ maxRebuildWriteRate }) as never;

  it('names the table, its rate and the limit when the rate is over it', async () => {
    const why = await busyReason({ dialect: counter(0, 10_000) as never, options: options(2000) }, session, step);
    expect(why).toMatch(/^t took [\d,]+ row writes\/s, over --max-rebuild-write-rate 2,000$/);
  });

  it('is undefined at or under the limit, without a count, or for a step with no alternative', async () => {
    expect(await busyReason({ dialect: counter(0, 0) as never, options: options(2000) }, session, step)).toBeUndefined();
    expect(await busyReason({ dialect: {} as never, options: options(1) }, session, step)).toBeUndefined();
    let read = false;
    const watching = { rowsWritten: async () => ((read = true), 0) };
    expect(await busyReason({ dialect: watching as never, options: options(1) }, session, { ...step, ifBusy: undefined })).toBeUndefined();
    expect(read).toBe(false);
  });
});
