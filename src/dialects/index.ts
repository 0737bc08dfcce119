/** Picks the dialect by asking the server what it is, so every way of connecting gets the right one. */
import type { Driver } from '../db/driver.js';
import { InvalidInputError } from '../errors.js';
import type { Dialect } from './dialect.js';
import { PostgresDialect } from './postgres/index.js';
import { MysqlDialect } from './mysql/index.js';

export async function detectDialect(driver: Driver): Promise<Dialect> {
  const s = await driver.acquire();
  try {
    const version = String((await s.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '');
    if (/postgres/i.test(version)) return new PostgresDialect({ concurrentIndexes: !driver.singleConnection });
    // MariaDB says so (10.11.19-MariaDB-…); MySQL and its forks answer a bare number (8.0.36, 8.0.36-28).
    if (/mariadb|mysql/i.test(version) || /^\d+\.\d+\.\d+/.test(version)) return new MysqlDialect(version);
    throw new InvalidInputError(`${driver.label}: unsupported database server (${version})`);
  } finally {
    s.release();
  }
}
