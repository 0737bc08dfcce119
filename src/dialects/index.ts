/** Picks the dialect by asking the server what it is, so every way of connecting gets the right one. */
import type { Driver } from '../db/driver.js';
import { InvalidInputError } from '../errors.js';
import type { Dialect } from './dialect.js';
import { PostgresDialect } from './postgres/index.js';

export async function detectDialect(driver: Driver): Promise<Dialect> {
  const s = await driver.acquire();
  try {
    const version = String((await s.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '');
    if (/postgres/i.test(version)) return new PostgresDialect({ concurrentIndexes: !driver.singleConnection });
    throw new InvalidInputError(`${driver.label}: MySQL/MariaDB (${version}) is not supported by this version of xc yet`);
  } finally {
    s.release();
  }
}
