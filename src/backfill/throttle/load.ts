/** `--max-load`: sessions running a statement on the primary (MySQL Threads_running, PostgreSQL active backends). */
import { withSession } from '../../db/driver.js';
import type { SignalFactory } from './signal.js';

export const load: SignalFactory = async ({ ctx }) => {
  const limit = ctx.options.maxLoad;
  if (limit === undefined) return undefined;
  return {
    name: 'load',
    async read() {
      const value = await withSession(ctx.driver, (s) => ctx.dialect.load(s));
      return [{ signal: 'load', value, limit, unit: 'sessions', over: value > limit }];
    },
    async close() {},
  };
};
