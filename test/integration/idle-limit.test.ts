/**
 * A connection of xc's own pool is not closed by the server for idling: it waits in the pool while a part
 * waits for another or a pass for a lock, longer than an application's idle limit may allow, and a
 * connection closed meanwhile failed the command that took it next (test/chaos "timeouts": a 2 s
 * idle_session_timeout / wait_timeout). The limit is lifted once per connection, on xc's own pool only:
 * an application's pool keeps its sessions as they were.
 */
import { describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { withoutStatementLimit } from '../../src/db/statementLimit.js';
import { createMysqlDriver, mysqlDriver } from '../../src/dialects/mysql/driver.js';
import { MysqlDialect } from '../../src/dialects/mysql/core.js';
import { createPgDriver, postgresDriver } from '../../src/dialects/postgres/driver.js';
import { PostgresDialect } from '../../src/dialects/postgres/core.js';
import { createPgDatabase, describeMysql, describePg, MYSQL_URL } from '../helpers/servers.js';

const one = async <T>(d: { acquire(): Promise<{ query<R>(sql: string): Promise<{ rows: R[] }>; release(): void }> }, sql: string): Promise<T> => {
  const s = await d.acquire();
  try {
    return Object.values((await s.query<Record<string, T>>(sql)).rows[0]!)[0]!;
  } finally {
    s.release();
  }
};

describePg('PostgreSQL: idle_session_timeout', () => {
  it("keeps a connection of xc's own pool past the database's idle limit; leaves an application's pool as it is", async () => {
    const db = await createPgDatabase('xc_idle');
    try {
      await db.query(`ALTER DATABASE ${db.name} SET idle_session_timeout = '1s'`);
      const own = withoutStatementLimit(await postgresDriver.fromUrl(db.url, { cwd: process.cwd() }), new PostgresDialect({ concurrentIndexes: true }));
      const app = new pg.Pool({ connectionString: db.url, max: 1 });
      app.on('error', () => undefined);
      const theirs = withoutStatementLimit(createPgDriver(app, { owned: false }), new PostgresDialect({ concurrentIndexes: true }));
      try {
        const pid = await one<number>(own, 'SELECT pg_backend_pid()');
        expect(await one<string>(theirs, 'SHOW idle_session_timeout')).toBe('1s');
        await new Promise((r) => setTimeout(r, 2500)); // idle in the pool past the limit
        expect(await one<number>(own, 'SELECT pg_backend_pid()')).toBe(pid); // the same connection, alive
        expect(await one<string>(own, 'SHOW idle_session_timeout')).toBe('0');
      } finally {
        await own.close();
        await app.end().catch(() => undefined);
      }
    } finally {
      await db.drop();
    }
  });
});

describeMysql('MariaDB: wait_timeout', () => {
  it("lifts it on a connection of xc's own pool only, once", async () => {
    const own = withoutStatementLimit(await mysqlDriver.fromUrl(MYSQL_URL!, { cwd: process.cwd() }), new MysqlDialect('10.11.0-MariaDB'));
    const app = mysql.createPool({ uri: MYSQL_URL!, connectionLimit: 1 });
    const theirs = withoutStatementLimit(createMysqlDriver(app, { owned: false }), new MysqlDialect('10.11.0-MariaDB'));
    try {
      const global = Number(await one(theirs, 'SELECT @@GLOBAL.wait_timeout'));
      expect(Number(await one(own, 'SELECT @@SESSION.wait_timeout'))).toBe(31536000);
      expect(Number(await one(own, 'SELECT @@SESSION.wait_timeout'))).toBe(31536000);
      expect(Number(await one(theirs, 'SELECT @@SESSION.wait_timeout'))).toBe(global);
    } finally {
      await own.close();
      await app.end();
    }
  });
});
