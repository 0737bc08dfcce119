/**
 * Where the test servers are (SPEC §9): XC_TEST_PG_URL / XC_TEST_MYSQL_URL,
 * set by .ci/run or by test/global-setup.ts (testcontainers, where Docker
 * runs). Without a server a test is skipped with a printed reason — or, under
 * CI=true, fails.
 */
import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import pg from 'pg';

export const PG_URL = process.env.XC_TEST_PG_URL;
export const MYSQL_URL = process.env.XC_TEST_MYSQL_URL;

function gated(url: string | undefined, what: string, env: string): typeof describe {
  if (url) return describe;
  if (process.env.CI === 'true') {
    return ((name: string) =>
      describe(name, () => {
        throw new Error(`${env} is not set and no Docker engine is available: ${what} tests cannot run under CI=true`);
      })) as unknown as typeof describe;
  }
  console.warn(`skipping ${what} tests: set ${env} (or run Docker for testcontainers)`);
  return describe.skip as unknown as typeof describe;
}

export const describePg = gated(PG_URL, 'PostgreSQL', 'XC_TEST_PG_URL');
export const describeMysql = gated(MYSQL_URL, 'MySQL/MariaDB', 'XC_TEST_MYSQL_URL');

export interface TestDb {
  url: string;
  name: string;
  /** A client on the test database, for set-up and assertions. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

/** A fresh database of its own, so tests can run in parallel on one server. */
export async function createPgDatabase(prefix = 'xc_t'): Promise<TestDb> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  const url = u.toString();
  const clients: pg.Client[] = [];
  const client = async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  };
  const main = await client();
  return {
    url,
    name,
    query: async (sql, params) => (await main.query(sql, params)).rows,
    client,
    drop: async () => {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
