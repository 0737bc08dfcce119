/**
 * Issue 11 items 2 and 11 on MySQL/MariaDB: what xc sends means the same
 * whatever the pool it is handed allows, and whatever the sessions' sql_mode.
 * - A mysql2 pool or knex instance with multipleStatements on: an author's
 *   text that tries `; DROP TABLE canary` is still one statement (a
 *   server-side prepared statement), so plan and apply refuse it (exit 2) and
 *   nothing runs. Before, the type dropped the table during `plan`; a MariaDB
 *   anonymous block (alterColumn default) did so on any pool.
 * - NO_BACKSLASH_ESCAPES, on the pool's sessions or server-wide: mysql2's
 *   escaping wrote `\'`, which that mode reads as a backslash and the end of
 *   the string. Every value xc binds (state rows, events, cursors,
 *   deployments) now round-trips exactly, and the mode is left as it was.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openDriver } from '../../src/db/connect.js';
import { decodeCursor } from '../../src/state/cursor.js';
import { createXc, type XcOptions } from '../../src/index.js';
import { startMariadb, type Server } from '../chaos/servers.js';
import { rejection } from '../helpers/cli.js';
import { describeMysql } from '../helpers/servers.js';
import { targets, type Db } from '../helpers/targets.js';

const mysqlTarget = targets.find((t) => t.name === 'mysql')!;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function migrationsDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-mysql-pools-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const writeMigration = (dir: string, id: string, definition: unknown) => writeFile(path.join(dir, `${id}.json`), JSON.stringify(definition));

/** Options of a knex instance or mysql2 pool on `url`, with `extra` (multipleStatements...). */
function connectionOf(url: string, extra: Record<string, unknown> = {}) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), ...extra };
}

function multiStatementPool(url: string): mysql.Pool {
  const pool = mysql.createPool({ ...connectionOf(url), multipleStatements: true, connectionLimit: 4 });
  cleanup.push(() => pool.end());
  return pool;
}

function multiStatementKnex(url: string): Knex {
  const knex = knexFactory({ client: 'mysql2', connection: connectionOf(url, { multipleStatements: true }), pool: { min: 0, max: 4 } });
  cleanup.push(() => knex.destroy());
  return knex;
}

/** Each text would drop `canary` if the check that holds it were sent as several statements. */
const HOSTILE: [string, (dir: string) => Promise<void>][] = [
  ['a column type', (dir) => writeMigration(dir, '0001_h', { operations: [{ addColumn: { table: 'items', column: { name: 'c', type: 'int); DROP TABLE canary; --' } } }] })],
  ['an up expression', (dir) => writeMigration(dir, '0001_h', { operations: [{ addColumn: { table: 'items', column: { name: 'c', type: 'int' }, up: '1) AS SIGNED); DROP TABLE canary; SELECT CAST((1' } }] })],
  ['a default', (dir) => writeMigration(dir, '0001_h', { operations: [{ addColumn: { table: 'items', column: { name: 'c', type: 'int', default: '1) AS SIGNED); DROP TABLE canary; SELECT CAST((1' } } }] })],
  ['a check', (dir) => writeMigration(dir, '0001_h', { operations: [{ addCheck: { table: 'items', name: 'items_ck', expression: '1) LIMIT 0; DROP TABLE canary; SELECT 1 FROM DUAL WHERE (1' } }] })],
  ['an index where', (dir) => writeMigration(dir, '0001_h', { operations: [{ addIndex: { table: 'items', columns: ['v'], name: 'items_v', where: '1) LIMIT 0; DROP TABLE canary; SELECT 1 FROM DUAL WHERE (1' } }] })],
  // MariaDB computes a default in an anonymous block, which is one statement however many it holds.
  ['an alterColumn default', (dir) => writeMigration(dir, '0001_h', { operations: [{ alterColumn: { table: 'items', column: 'v', to: 'v2', type: 'bigint', up: 'v', down: 'v2', default: '1) INTO xc_value; DROP TABLE canary; SELECT (1' } }] })],
];

describeMysql('author text on a pool that runs several statements per call (issue 11 item 2)', () => {
  const connections: [string, (db: Db) => Partial<XcOptions>][] = [
    ["xc's own pool (a URL)", (db) => ({ url: db.url })],
    ['a mysql2 pool with multipleStatements', (db) => ({ connection: multiStatementPool(db.url) })],
    ['a knex instance with multipleStatements', (db) => ({ connection: multiStatementKnex(db.url) })],
  ];

  for (const [how, connect] of connections) {
    it(`${how}: a type, up, default, check, index where or computed default that tries "; DROP TABLE canary" is refused by plan and apply (exit 2); canary intact, no state`, async () => {
      const db = await mysqlTarget.create('xc_pools');
      cleanup.push(() => db.drop());
      await db.query('CREATE TABLE items (id int PRIMARY KEY, v int)');
      await db.query('CREATE TABLE canary (id int PRIMARY KEY, note varchar(20))');
      await db.query(`INSERT INTO canary VALUES (1, 'one'), (2, 'two')`);
      const options = connect(db);
      if (options.connection && 'query' in (options.connection as object)) {
        // The pool really runs two statements in one call: without the fix, each text below drops the table.
        const [results] = await (options.connection as mysql.Pool).query('SELECT 1 AS a; SELECT 2 AS b');
        expect(results).toEqual([[{ a: 1 }], [{ b: 2 }]]);
      }
      for (const [what, write] of HOSTILE) {
        const dir = await migrationsDir();
        await write(dir);
        const xc = createXc({ ...options, dir });
        for (const command of [() => xc.plan(), () => xc.apply()]) {
          const err = await rejection(command());
          expect(err.exitCode, `${what}: ${err.message}`).toBe(2);
          expect(await db.query('SELECT id, note FROM canary ORDER BY id'), what).toEqual([
            { id: 1, note: 'one' },
            { id: 2, note: 'two' },
          ]);
        }
        await xc.close();
      }
      expect(await db.query(`SHOW TABLES`)).toEqual([{ [`Tables_in_${new URL(db.url).pathname.slice(1)}`]: 'canary' }, { [`Tables_in_${new URL(db.url).pathname.slice(1)}`]: 'items' }]);
      expect((await db.columns('items')).map((c) => c.name)).toEqual(['id', 'v']);
    });
  }

  it('what is checked as one statement still runs as before on such a pool: types, expressions and computed defaults of a real migration', async () => {
    const db = await mysqlTarget.create('xc_pools');
    cleanup.push(() => db.drop());
    await db.query('CREATE TABLE items (id int PRIMARY KEY, v int)');
    await db.query('INSERT INTO items VALUES (1, 10), (2, 20)');
    await db.query('CREATE TABLE other (id int PRIMARY KEY, n int)');
    await db.query('INSERT INTO other VALUES (1, 5)');
    const dir = await migrationsDir();
    await writeMigration(dir, '0001_ok', {
      operations: [
        { addColumn: { table: 'items', column: { name: 'doubled', type: 'int', nullable: true }, up: 'v * 2' } },
        { addCheck: { table: 'items', name: 'items_v_ck', expression: 'v >= 0' } },
        { alterColumn: { table: 'other', column: 'n', to: 'n_big', type: 'bigint', up: 'n', down: 'n_big', default: '7' } },
      ],
    });
    const xc = createXc({ connection: multiStatementPool(db.url), dir });
    await xc.apply();
    expect(await db.query('SELECT id, v, doubled FROM items ORDER BY id')).toEqual([
      { id: 1, v: 10, doubled: 20 },
      { id: 2, v: 20, doubled: 40 },
    ]);
    expect(await db.query('SELECT id, n, n_big FROM other')).toEqual([{ id: 1, n: 5, n_big: '5' }]);
    // A default that is no value of the type is still refused, as on any pool.
    await writeMigration(dir, '0002_bad', { operations: [{ alterColumn: { table: 'items', column: 'doubled', to: 'doubled2', type: 'int', up: 'doubled', down: 'doubled2', default: "'abc'" } }] });
    const err = await rejection(xc.plan());
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/'abc' is not a default for a column of type int/);
    await xc.close();
  });
});

/** Values that mysql2's backslash escaping gets wrong once NO_BACKSLASH_ESCAPES is on. */
const TRICKY = ["it's", 'a\\b', '\\', "\\'", "''", "x\\\\'y", 'ends\\', "tab\there\nnewline\r\n", 'nul\u0000byte', 'ctrl-z\u001a', '"double"', '%_?', 'ünïcødé 😀 \\ \''];

describeMysql('NO_BACKSLASH_ESCAPES (issue 11 item 11)', () => {
  it("a session from a URL, a mysql2 pool or a knex instance binds every value exactly in either sql_mode, and leaves the mode and no variable of xc's behind", async () => {
    const db = await mysqlTarget.create('xc_nbe');
    cleanup.push(() => db.drop());
    const pool = mysql.createPool({ ...connectionOf(db.url), connectionLimit: 2 });
    cleanup.push(() => pool.end());
    const knex = knexFactory({ client: 'mysql2', connection: connectionOf(db.url), pool: { min: 0, max: 2 } });
    cleanup.push(() => knex.destroy());
    for (const [how, driver] of [
      ['url', await openDriver({ url: db.url })],
      ['mysql2 pool', await openDriver({ connection: pool })],
      ['knex', await openDriver({ connection: knex })],
    ] as const) {
      cleanup.push(() => driver.close());
      for (const nbe of [false, true]) {
        const s = await driver.acquire();
        const mode = nbe ? `CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')` : `REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')`;
        await s.query(`SET SESSION sql_mode = ${mode}`);
        const before = (await s.query<{ m: string }>('SELECT @@SESSION.sql_mode AS m')).rows[0]!.m;
        expect(before.includes('NO_BACKSLASH_ESCAPES'), how).toBe(nbe);
        for (const v of TRICKY) {
          const where = `${how}, NO_BACKSLASH_ESCAPES ${nbe ? 'on' : 'off'}: ${JSON.stringify(v)}`;
          expect((await s.query<{ v: string; n: number }>('SELECT ? AS v, CHAR_LENGTH(?) AS n', [v, v])).rows, where).toEqual([{ v, n: [...v].length }]);
          // One statement on the server's side, values as variables.
          expect((await s.query<{ v: string }>('SELECT ? AS v', [v], { single: true })).rows, where).toEqual([{ v }]);
        }
        const bytes = Buffer.from([0x5c, 0x27, 0x00, 0x22, 0xff]);
        expect((await s.query<{ v: Buffer }>('SELECT ? AS v', [bytes])).rows[0]!.v.equals(bytes), how).toBe(true);
        // Text around the values that the two modes end differently (an author's literal with a backslash before a
        // quote): the server finds the placeholders itself, reading the literal as its mode says.
        const literal = nbe ? `'C:\\'` : `'it\\'s'`;
        const r = await s.query<{ lit: string; v: string }>(`SELECT ${literal} AS lit, ? AS v`, ["o'k\\"]);
        expect(r.rows, how).toEqual([{ lit: nbe ? 'C:\\' : "it's", v: "o'k\\" }]);
        expect((await s.query<{ m: string; x: string | null }>('SELECT @@SESSION.sql_mode AS m, @xc_statement AS x')).rows, how).toEqual([{ m: before, x: null }]);
        s.release(true);
      }
    }
  });

  /** Every kind of value xc writes, holding `'` and `\`, through a migration on sessions with NO_BACKSLASH_ESCAPES. */
  async function everyValueRoundTrips(db: { url: string; query: Db['query'] }, options: Partial<XcOptions>): Promise<void> {
    const keys = ["a'b", 'c\\d', '\\', "''", "e\\'f", 'g\\\\', 'plain', "z'\\"];
    // Two tables with the same keys: `plain`'s backfill binds its cursors into xc's text; `paths`' has an author
    // literal with a backslash before a quote, so its statements go as prepared statements with variables.
    for (const table of ['plain', 'paths']) {
      await db.query(`CREATE TABLE ${table} (k varchar(20) PRIMARY KEY, v int)`);
      for (const [i, k] of keys.entries()) await db.query(`INSERT INTO ${table} (k, v) VALUES (?, ?)`, [k, i]);
    }
    await db.query('CREATE TABLE guard (k varchar(40) PRIMARY KEY)');
    await db.query('INSERT INTO guard (k) VALUES (?)', ["it's \\ taken"]);
    const dir = await migrationsDir();
    // Read by sessions with NO_BACKSLASH_ESCAPES, as the author meant: '\' is one backslash.
    const insert = "INSERT INTO guard (k) VALUES ('it''s \\ taken')";
    const definition = {
      description: "quotes ' and backslashes \\ everywhere",
      operations: [
        { addColumn: { table: 'plain', column: { name: 'w', type: 'varchar(40)' }, up: "CONCAT(k, '!')" } },
        { addColumn: { table: 'paths', column: { name: 'w', type: 'varchar(40)' }, up: "CONCAT(k, '\\', '!')" } },
        { sql: { expand: insert } },
      ],
    };
    await writeMigration(dir, '0001_quotes', definition);
    const xc = createXc({ ...options, dir, batchSize: 1, parallel: 1 });
    cleanup.push(() => xc.close());

    // A failure whose message holds both: last_error and the event's detail keep it exactly.
    const failed = await rejection(xc.apply());
    expect(failed.message).toContain("Duplicate entry 'it's \\ taken'");
    const [row] = (await xc.status()).migrations;
    expect(row).toMatchObject({ id: '0001_quotes', description: definition.description, phase: 'expanding' });
    expect(row!.lastError).toContain("Duplicate entry 'it's \\ taken'");
    const events = await db.query<{ event: string; detail: string | null }>(`SELECT event, detail FROM xc_events WHERE event = 'failed'`);
    expect(JSON.parse(events[0]!.detail!).error).toBe(row!.lastError);
    expect(await db.query(`SELECT statement FROM xc_steps WHERE statement LIKE 'INSERT INTO guard%'`)).toEqual([{ statement: insert }]);
    expect(JSON.parse((await db.query<{ d: string }>('SELECT definition AS d FROM xc_migrations'))[0]!.d)).toMatchObject(definition);

    await db.query('DELETE FROM guard');
    await xc.apply();
    // One key per batch: every cursor held one of these keys; the last is the greatest.
    const [greatest] = await db.query<{ k: string }>('SELECT k FROM plain ORDER BY k DESC LIMIT 1');
    const cursors = await db.query<{ t: string; position: string; done: number | string }>('SELECT table_name AS t, position, done FROM xc_backfill ORDER BY seq');
    expect(cursors.map((c) => [c.t, decodeCursor(c.position), Number(c.done)])).toEqual([
      ['plain', [greatest!.k], keys.length],
      ['paths', [greatest!.k], keys.length],
    ]);
    // xc never changed the sessions' mode: its triggers run with the mode the author's literal was written for.
    const modes = await db.query<{ m: string }>('SELECT SQL_MODE AS m FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
    expect(modes.length).toBeGreaterThan(0);
    for (const m of modes) expect(m.m).toContain('NO_BACKSLASH_ESCAPES');

    const reason = "it's forced \\ on purpose";
    await xc.contract({ force: true, reason });
    expect(await db.query(`SELECT reason FROM xc_events WHERE reason IS NOT NULL`)).toEqual([{ reason }]);
    const app = "shop's \\ app";
    const version = "v'2\\0";
    await xc.deploy.record({ app, version, level: '0001_quotes' });
    expect((await xc.deploy.list()).deployments.map((d) => [d.app, d.version, d.level])).toEqual([[app, version, '0001_quotes']]);
    expect(await xc.deploy.retire({ app, version })).toMatchObject({ retired: 1 });

    expect((await xc.status()).migrations.map((m) => [m.id, m.phase, m.description, m.lastError])).toEqual([['0001_quotes', 'contracted', definition.description, null]]);
    expect(await db.query('SELECT k, w FROM plain ORDER BY v')).toEqual(keys.map((k) => ({ k, w: `${k}!` })));
    expect(await db.query('SELECT k, w FROM paths ORDER BY v')).toEqual(keys.map((k) => ({ k, w: `${k}\\!` })));
    expect(await db.query('SELECT k FROM guard')).toEqual([{ k: "it's \\ taken" }]);
  }

  it("a mysql2 pool whose sessions have the mode: state rows, events, cursors over keys holding ' and \\, deployments and data are exact", async () => {
    const db = await mysqlTarget.create('xc_nbe');
    cleanup.push(() => db.drop());
    const pool = mysql.createPool({ ...connectionOf(db.url), connectionLimit: 6 });
    pool.on('connection', (c) => void c.query(`SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')`));
    cleanup.push(() => pool.end());
    await everyValueRoundTrips(db, { connection: pool });
  });

  describeMysql('server-wide (a private MariaDB: the shared one is never reconfigured)', () => {
    let server: Server;
    beforeAll(async () => {
      server = await startMariadb();
      const admin = await mysql.createConnection(server.url);
      await admin.query(`SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')`);
      await admin.query('CREATE DATABASE xc_nbe');
      await admin.end();
    });
    afterAll(async () => server?.stop());

    it("xc's own pool from a URL: the same values are exact", async () => {
      // The test's own connection sets the mode back for itself, so that mysql2's escaping is right for it.
      const own = await mysql.createConnection({ uri: server.urlOf('xc_nbe'), dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
      cleanup.push(() => own.end());
      await own.query(`SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')`);
      const query = async <T,>(sql: string, params?: unknown[]) => (await own.query(sql, params))[0] as T[];
      await everyValueRoundTrips({ url: server.urlOf('xc_nbe'), query }, { url: server.urlOf('xc_nbe') });
    });
  });
});
