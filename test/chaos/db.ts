/** Plain connections to the private servers, `?` placeholders on both dialects; no pooling, so a restart cuts exactly what it should. */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { toDollarParams } from '../../src/dialects/postgres/text.js';

export type Dialect = 'postgres' | 'mysql';

export interface Conn {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  end(): Promise<void>;
}

export async function connect(dialect: Dialect, url: string): Promise<Conn> {
  if (dialect === 'postgres') {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined); // a terminated session is reported by the next query
    await c.connect();
    return {
      query: async (sql, params) => (await c.query(params?.length ? toDollarParams(sql) : sql, params as unknown[])).rows,
      end: () => c.end().catch(() => undefined),
    };
  }
  const c = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  c.on('error', () => undefined);
  return {
    query: async (sql, params) => {
      const [rows] = await c.query(sql, params);
      return (Array.isArray(rows) ? rows : []) as never;
    },
    end: () => c.end().catch(() => undefined),
  };
}

/** One statement on a fresh connection (the server may have restarted since the last one). */
export async function once<T = Record<string, unknown>>(dialect: Dialect, url: string, sql: string, params?: unknown[]): Promise<T[]> {
  const c = await connect(dialect, url);
  try {
    return await c.query<T>(sql, params);
  } finally {
    await c.end();
  }
}

/** Errors of a lost or refused connection: expected while the server restarts, counted apart from real write errors. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P02', '57P03', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED'].includes(String(e.code)) ||
    /terminat|Connection terminated|closed state|connection lost|server has gone away|shutdown|not queryable|the database system is (starting|shutting|in recovery)/i.test(String(e.message))
  );
}
