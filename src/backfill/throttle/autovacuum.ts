/**
 * PostgreSQL: a VACUUM running on the table being backfilled (GitLab pauses
 * its batched migrations on autovacuum). Manual VACUUMs count too: the same
 * work on the same table, slowed down by the dead rows each batch adds.
 * On unless --ignore-vacuum; nothing on MySQL (the dialect has no vacuum).
 */
import { withSession } from '../../db/driver.js';
import type { SignalFactory } from './signal.js';

export const autovacuum: SignalFactory = async ({ ctx, table }) => {
  if (ctx.options.ignoreVacuum) return undefined;
  const running = (): Promise<number | undefined> => withSession(ctx.driver, (s) => ctx.dialect.vacuumsOn(s, table));
  if ((await running()) === undefined) return undefined;
  return {
    name: 'autovacuum',
    async read() {
      const value = (await running()) ?? 0;
      return [{ signal: 'autovacuum', source: table, value, limit: 0, unit: 'workers', over: value > 0 }];
    },
    async close() {},
  };
};
