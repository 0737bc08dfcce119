/**
 * Where the test servers are (SPEC §9): XC_TEST_PG_URL / XC_TEST_MYSQL_URL,
 * set by .ci/run, by you, or by test/global-setup.ts (testcontainers, where a
 * Docker engine answers). Without a server a suite is skipped with a printed
 * reason — or, under CI=true, fails (test/helpers/test-servers-decision.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { startMariadb, type Server } from '../chaos/servers.js';
import pg from 'pg';
import { TEST_SERVERS, planServer, type TestServer } from './test-servers-decision.js';

export const PG_URL = process.env.XC_TEST_PG_URL;
export const MYSQL_URL = process.env.XC_TEST_MYSQL_URL;

function gated(name: TestServer['name']): typeof describe {
  // The global setup already started any container it could: no probe here.
  const plan = planServer(TEST_SERVERS.find((s) => s.name === name)!, process.env);
  if (plan.kind === 'fail') {
    return ((suite: string) =>
      describe(suite, () => {
        throw new Error(plan.reason);
      })) as unknown as typeof describe;
  }
  if (plan.kind === 'skip') {
    console.warn(plan.reason);
    return describe.skip as unknown as typeof describe;
  }
  return describe; // 'url': without a Docker status no container is planned
}

export const describePg = gated('postgres');
export const describeMysql = gated('mariadb');

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

/**
 * A MariaDB of the calling describe block's own (started before its tests, stopped after, by pid): for a test that may
 * crash the server or hold a server-wide lock, which the shared one must never meet.
 */
export function privateMariadb(): { readonly server: Server } {
  const held = {} as { server: Server };
  beforeAll(async () => {
    held.server = await startMariadb();
  }, 120_000);
  afterAll(async () => {
    await held.server?.stop();
  });
  return held;
}
