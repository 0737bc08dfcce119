/** Picks the dialect by asking the server what it is, so every way of connecting gets the right one. */
import type { Driver } from '../db/driver.js';
import { InvalidInputError } from '../errors.js';
import { schemaOnMysql } from './mysql/driver.js';
import type { Dialect } from './dialect.js';

/** `schema`: PostgreSQL's target schema (--schema), which decides where its state is kept. */
export async function detectDialect(driver: Driver, opts: { schema?: string } = {}): Promise<Dialect> {
  const s = await driver.acquire();
  try {
    const version = String((await s.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '');
    // Each dialect is loaded once the server has said which it is: a PostgreSQL run never loads MySQL's, and back; the core alone, its DDL builders load when a command plans (start-up time).
    if (/postgres/i.test(version)) return new (await import('./postgres/core.js')).PostgresDialect({ concurrentIndexes: !driver.singleConnection, schema: opts.schema });
    // MariaDB says so (10.11.19-MariaDB-…); MySQL and its forks answer a bare number (8.0.36, 8.0.36-28).
    if (/mariadb|mysql/i.test(version) || /^\d+\.\d+\.\d+/.test(version)) {
      if (opts.schema !== undefined) throw schemaOnMysql(opts.schema); // a pool or knexfile handed in: only now is it known to be MySQL
      return new (await import('./mysql/core.js')).MysqlDialect(version);
    }
    throw new InvalidInputError(`${driver.label}: unsupported database server (${version})`);
  } finally {
    s.release();
  }
}
