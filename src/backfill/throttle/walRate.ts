/**
 * `--max-wal-rate`: bytes of WAL (PostgreSQL) or redo log (InnoDB) the
 * primary writes per second, the backfill's own included — what replicas
 * must replay and archiving must ship. The rate is the difference of two
 * log positions over the time between them: the newest and one about
 * WINDOW_MS older (or the oldest there is), at least MIN_SPAN_MS apart, as a
 * shorter span is noise. Positions are taken at most every MIN_SPAN_MS.
 */
import { withSession } from '../../db/driver.js';
import type { SignalFactory } from './signal.js';

const WINDOW_MS = 1000;
const MIN_SPAN_MS = 100;

export const walRate: SignalFactory = async ({ ctx }) => {
  const limit = ctx.options.maxWalRate;
  if (limit === undefined) return undefined;
  const position = () => withSession(ctx.driver, (s) => ctx.dialect.logPosition(s));
  let samples = [{ at: Date.now(), bytes: await position() }];
  let rate = 0;
  return {
    name: 'wal_rate',
    async read() {
      const at = Date.now();
      if (at - samples[samples.length - 1]!.at >= MIN_SPAN_MS) {
        samples.push({ at, bytes: await position() });
        // Keep the newest sample at least WINDOW_MS old as the anchor, and every one after it.
        while (samples.length > 2 && at - samples[1]!.at >= WINDOW_MS) samples.shift();
        const [first, last] = [samples[0]!, samples[samples.length - 1]!];
        rate = Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.at - first.at));
      }
      const value = Math.round(rate);
      return [{ signal: 'wal_rate', value, limit, unit: 'bytes/s', over: value > limit }];
    },
    async close() {},
  };
};
