/**
 * One xc at a time per database (SPEC §4): an advisory lock held on a
 * session of its own for the whole command. Released by the server if the
 * process dies, so a crash never leaves a stale lock (knex #5086).
 */
import os from 'node:os';
import { LockHeldError } from '../errors.js';
import { sleep, type EngineContext } from './context.js';

const LOCK_KEY = 'expand-contract';

export async function withAdvisoryLock<T>(ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
  const s = await ctx.driver.acquire();
  let held = false;
  try {
    await ctx.dialect.labelSession(s, `xc ${ctx.command} pid ${process.pid} on ${os.hostname()}`);
    const deadline = Date.now() + ctx.options.waitLockMs;
    let announced = false;
    while (!(held = await ctx.dialect.tryAdvisoryLock(s, LOCK_KEY))) {
      const holder = await ctx.dialect.advisoryLockHolder(s, LOCK_KEY);
      if (Date.now() >= deadline) {
        throw new LockHeldError(`another xc is working on this database: ${holder ?? 'holder not visible'}${ctx.options.waitLockMs ? '' : ' (use --wait-lock SECONDS to wait for it)'}`, { holder });
      }
      if (!announced) ctx.emit({ event: 'waiting_lock', holder });
      announced = true;
      await sleep(Math.min(500, Math.max(10, deadline - Date.now())));
    }
    return await fn();
  } finally {
    if (held) await ctx.dialect.releaseAdvisoryLock(s, LOCK_KEY).catch(() => undefined);
    s.release(!held);
  }
}
