import { describe, expect, it } from 'vitest';
import type { Driver, Session } from '../../src/db/driver.js';
import type { Dialect } from '../../src/dialects/dialect.js';
import { withoutStatementLimit } from '../../src/db/statementLimit.js';

/** A pool of one connection whose statements are recorded; `owned`: its sessions name the connection (Session.pooled). */
function pool(owned: boolean): { driver: Driver; log: string[] } {
  const log: string[] = [];
  const connection = {};
  const driver: Driver = {
    singleConnection: false,
    label: 'fake',
    close: async () => undefined,
    acquire: async (): Promise<Session> => ({
      ...(owned ? { pooled: connection } : {}),
      query: async <T,>(sql: string) => {
        log.push(sql);
        return { rows: [] as T[], rowCount: 0 };
      },
      release: () => undefined,
    }),
  };
  return { driver, log };
}

/** Lifts a limit and bounds lock waits the way the MySQL dialect does: a read, a change, a restore. */
const dialect = {
  liftStatementLimit: async (s: Session) => {
    await s.query('read limit');
    await s.query('lift limit');
    return [{ sql: 'restore limit', params: [] }];
  },
  boundLockWaits: async (s: Session) => {
    await s.query('read lock waits');
    await s.query('bound lock waits');
    return [{ sql: 'restore lock waits', params: [] }];
  },
  keepAlive: () => ({ idle_limit: 0 }),
  ownConnection: () => ({ own_setting: 1 }),
  setSession: async (s: Session, values: Record<string, unknown>) => {
    await s.query(`set ${Object.keys(values).join(',')}`);
    return [{ sql: `restore ${Object.keys(values).join(',')}`, params: [] }];
  },
} as unknown as Dialect;

/** Two batches through `driver` wrapped by withoutStatementLimit, lock waits bounded unless `lockWaitMs` is null. */
async function twoBatches(driver: Driver, lockWaitMs: number | null = 60_000): Promise<void> {
  const d = withoutStatementLimit(driver, dialect, lockWaitMs ?? undefined);
  for (let i = 0; i < 2; i++) {
    const s = await d.acquire();
    await s.query('batch');
    s.release();
    await new Promise((r) => setTimeout(r, 0)); // the restore runs after release
  }
}

describe('withoutStatementLimit', () => {
  it("sets up a connection of xc's own pool once, its idle limit lifted too, and puts nothing back: no application shares it", async () => {
    const { driver, log } = pool(true);
    await twoBatches(driver);
    expect(log).toEqual(['read limit', 'lift limit', 'read lock waits', 'bound lock waits', 'set idle_limit,own_setting', 'batch', 'batch']);
  });

  it("lifts the idle limit of xc's own pool where no statement limit needs lifting (PostgreSQL: startup options)", async () => {
    const { driver: own, log } = pool(true);
    await twoBatches({ ...own, unlimited: true }, null);
    expect(log).toEqual(['set idle_limit,own_setting', 'batch', 'batch']);
  });

  it("sets up an application's pooled session on every acquire, xc's own settings too but not its idle limit, and puts it back on release", async () => {
    const { driver, log } = pool(false);
    await twoBatches(driver);
    const once = ['read limit', 'lift limit', 'read lock waits', 'bound lock waits', 'set own_setting', 'batch', 'restore limit', 'restore lock waits', 'restore own_setting'];
    expect(log).toEqual([...once, ...once]);
  });
});
