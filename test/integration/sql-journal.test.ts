/**
 * The `sql` operation and the journal (campaign O, repros 04–07): the
 * author's statements are journaled like xc's own, so
 * - a rollback runs an operation's `rollback` only where that operation's
 *   expand completed: pgroll's example 05 (`CREATE TABLE users` / `DROP TABLE
 *   users`) on a database where `users` exists with rows fails at apply and
 *   the rollback leaves `users` and its rows; an expand that failed part-way
 *   (PostgreSQL, one transaction) needs no undoing, so its rollback SQL, which
 *   would fail for good, is not run;
 * - a DML statement commits with its journal row (MariaDB too; PostgreSQL
 *   whatever words its literals hold): `kill -9` while it runs, then a re-run,
 *   changes each row once;
 * - PostgreSQL: an author's `CREATE INDEX CONCURRENTLY` behind a long
 *   transaction is retried like xc's own builds — the INVALID index an attempt
 *   left is dropped first, exit 5 naming the blocker, a valid index once it is
 *   gone — and one among other statements in a field is refused at plan.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc, type XcEvent } from '../../src/index.js';
import { targets, type Db, type Target } from '../helpers/targets.js';
import { BIN, onJsonLines, rejection, runXc, xcEnv } from '../helpers/cli.js';
import type { Queryable } from '../helpers/writers.js';

interface Setup {
  db: Db;
  dir: string;
  xc: Xc;
  events: XcEvent[];
  write(id: string, ...operations: unknown[]): Promise<void>;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function setup(target: Target, ddl: string[], opts: { lockTimeoutMs?: number; lockRetryForMs?: number } = {}): Promise<Setup> {
  const db = await target.create('xc_sqlj');
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-sqlj-'));
  const events: XcEvent[] = [];
  const xc = createXc({ url: db.url, dir, onEvent: (e) => events.push(e), ...opts });
  cleanups.push(async () => {
    await xc.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });
  for (const sql of ddl) await db.query(sql);
  return { db, dir, xc, events, write: (id, ...operations) => writeFile(path.join(dir, `${id}.json`), JSON.stringify({ operations })) };
}

const state = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);
const USERS = [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO users VALUES (1, 'precious'), (2, 'data')`];

for (const target of targets) {
  target.describe(`an sql operation's rollback undoes only what its expand did (${target.name})`, () => {
    it("pgroll's example 05 where users exists with rows: apply fails, rollback leaves users and its rows", async () => {
      const s = await setup(target, USERS);
      await s.write('0005_sql', { sql: { expand: 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)', rollback: 'DROP TABLE users' } });
      const err = await rejection(s.xc.apply());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/already exists/);
      const rolled = await s.xc.rollback();
      expect(rolled.migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect(s.events.filter((e) => e.event === 'step_skipped').map((e) => (e as { reason: string }).reason)).toEqual([expect.stringMatching(/operation 0's expand SQL never completed/)]);
      expect(await s.db.query(`SELECT id, name FROM users ORDER BY id`)).toEqual([
        { id: expect.anything(), name: 'precious' },
        { id: expect.anything(), name: 'data' },
      ]);
    });

    it("two sql operations, the second's expand failing: only the first's rollback runs", async () => {
      const s = await setup(target, [...USERS, `CREATE TABLE items (id int PRIMARY KEY)`]);
      await s.write(
        '0001_two',
        { sql: { expand: 'ALTER TABLE items ADD COLUMN a int', rollback: 'ALTER TABLE items DROP COLUMN a' } },
        { sql: { expand: 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)', rollback: 'DROP TABLE users' } },
      );
      expect((await rejection(s.xc.apply())).exitCode).toBe(1);
      expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id', 'a']);
      const rolled = await s.xc.rollback();
      expect(rolled.migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id']); // operation 0's rollback ran
      expect(await s.db.count(`SELECT count(*) FROM users`)).toBe(2); // operation 1's did not
    });
  });
}

const pg = targets.find((t) => t.name === 'postgres')!;
const my = targets.find((t) => t.name === 'mysql')!;

pg.describe('an expand that failed part-way, in one transaction, leaves nothing to undo (postgres)', () => {
  it('two statements, the second failing: the rollback does not run the DROP COLUMN that would fail for good', async () => {
    const s = await setup(pg, [`CREATE TABLE items (id int PRIMARY KEY)`]);
    await s.write('0001_bad', { sql: { expand: 'ALTER TABLE items ADD COLUMN c int; ALTER TABLE nosuch ADD COLUMN d int', rollback: 'ALTER TABLE items DROP COLUMN c' } });
    expect((await rejection(s.xc.apply())).exitCode).toBe(1);
    const rolled = await s.xc.rollback();
    expect(rolled.migrations.map((m) => m.phase)).toEqual(['rolled_back']);
    expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id']);
  });
});

my.describe('a MariaDB statement the server refused changed nothing (mysql)', () => {
  it('a failed ALTER: journaled pending, its rollback not run, the migration rolled back', async () => {
    const s = await setup(my, [`CREATE TABLE items (id int PRIMARY KEY)`]);
    // A failure only apply meets (plan parses, never runs): a column the table has. The first ADD is undone with it.
    await s.write('0001_bad', { sql: { expand: 'ALTER TABLE items ADD COLUMN c int, ADD COLUMN id int', rollback: 'ALTER TABLE items DROP COLUMN c' } });
    expect((await rejection(s.xc.apply())).exitCode).toBe(1);
    expect(await s.db.query(`SELECT status FROM ${state(s.db, 'steps')} WHERE phase = 'expand'`)).toEqual([{ status: 'pending' }]);
    const rolled = await s.xc.rollback();
    expect(rolled.migrations.map((m) => m.phase)).toEqual(['rolled_back']);
    expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id']);
  });
});

/** Run the CLI with --json; SIGKILL it once it announces the author's statement and `afterMs` have passed. */
function applyKilledDuring(args: string[], afterMs: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'apply', ...args, '--json'], { env: xcEnv() });
    let stderr = '';
    onJsonLines(child.stdout, (e) => {
      if (e.event === 'step' && String(e.description).startsWith('author SQL')) setTimeout(() => child.kill('SIGKILL'), afterMs);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

/** Until the server has no session running `like` (the killed xc's statement goes on there until it ends). */
async function serverFinished(db: Db, like: string): Promise<void> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT count(*) FROM pg_stat_activity WHERE query LIKE ? AND pid <> pg_backend_pid() AND state <> 'idle'`
      : `SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`;
  for (let i = 0; i < 600 && (await db.count(sql, [like])) > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

for (const target of targets) {
  target.describe(`kill -9 while an sql expand's UPDATE runs, then a re-run: each row changed once (${target.name})`, () => {
    it(
      'n = 1 on every row',
      async () => {
        const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL, note varchar(40))`]);
        await s.db.seed('items', ['id', 'n'], Array.from({ length: 2000 }, (_, i) => [i + 1, 0]));
        // PostgreSQL: the word "concurrently" in a literal once sent the statement outside the journal's transaction.
        const expand =
          s.db.dialect === 'postgres'
            ? `UPDATE items SET n = n + 1, note = 'refreshed concurrently' WHERE pg_sleep(0.002) IS NOT NULL`
            : `UPDATE items SET n = n + 1 + 0 * SLEEP(0.002), note = 'refreshed concurrently'`;
        await s.write('0001_bump', { sql: { expand, rollback: 'UPDATE items SET n = n - 1' } });
        const args = ['--url', s.db.url, '--dir', s.dir];
        const killed = await applyKilledDuring(args, 1000);
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        // Whether the server is still running the killed statement or has finished it, the re-run does it once.
        const again = await runXc(['apply', ...args]);
        expect(again.code, again.stderr).toBe(0);
        await serverFinished(s.db, 'UPDATE items SET n%');
        expect(await s.db.count(`SELECT count(*) FROM items WHERE n <> 1`)).toBe(0);
        expect(await s.db.count(`SELECT count(*) FROM items WHERE n = 1`)).toBe(2000);
      },
      240_000,
    );
  });
}

/** A transaction that wrote to `table` and stays open until `end` is called. */
async function openWriter(db: Db, table: string): Promise<{ end(): Promise<void> }> {
  const c: Queryable = await db.connection();
  await c.query('BEGIN');
  await c.query(`INSERT INTO ${table} (id, v) VALUES (999999, 'x')`);
  let ended: Promise<unknown> | undefined;
  return { end: async () => void (await (ended ??= c.query('COMMIT'))) };
}

const indexes = (db: Db) =>
  db.query<{ name: string; valid: boolean }>(`SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'items'::regclass AND NOT i.indisprimary ORDER BY 1`);

pg.describe("an author's CREATE INDEX CONCURRENTLY behind a long transaction (postgres)", () => {
  const ITEMS = [`CREATE TABLE items (id int PRIMARY KEY, v text)`, `INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 5000) g`];
  const CIC = { sql: { expand: 'CREATE INDEX CONCURRENTLY items_v_idx ON items (v)', rollback: 'DROP INDEX CONCURRENTLY IF EXISTS items_v_idx' } };

  it('retried up to --lock-retry-for, then exit 5 naming the blocker; once it is gone, apply builds the index (valid)', async () => {
    const s = await setup(pg, ITEMS, { lockTimeoutMs: 200, lockRetryForMs: 1500 });
    await s.write('0001_cic', CIC);
    const writer = await openWriter(s.db, 'items');
    cleanups.push(() => writer.end());
    const err = await rejection(s.xc.apply());
    expect(err.exitCode, err.message).toBe(5);
    expect(err.message).toMatch(/gave up after \d+ attempt/);
    expect(err.message).not.toMatch(/already exists/);
    expect((err.details.blockers as unknown[]).length).toBeGreaterThan(0);
    expect(s.events.filter((e) => e.event === 'lock_retry').length).toBeGreaterThan(0);
    await writer.end();
    const done = await s.xc.apply();
    expect(done.migrations.map((m) => m.phase)).toEqual(['backfilled']);
    expect(await indexes(s.db)).toEqual([{ name: 'items_v_idx', valid: true }]);
  });

  it('the blocker goes within --lock-retry-for: one apply, the leftover of the timed-out attempt dropped, the index valid', async () => {
    const s = await setup(pg, ITEMS, { lockTimeoutMs: 200, lockRetryForMs: 60_000 });
    await s.write('0001_cic', CIC);
    const writer = await openWriter(s.db, 'items');
    let ended: Promise<void> | undefined;
    const xc = createXc({
      url: s.db.url, dir: s.dir, lockTimeoutMs: 200, lockRetryForMs: 60_000,
      onEvent: (e) => {
        if (e.event === 'lock_retry' && (e as { attempt: number }).attempt >= 2) ended ??= writer.end();
      },
    });
    cleanups.push(() => xc.close());
    const done = await xc.apply();
    await ended;
    expect(done.migrations.map((m) => m.phase)).toEqual(['backfilled']);
    expect(await indexes(s.db)).toEqual([{ name: 'items_v_idx', valid: true }]);
  });

  it("an INVALID index of that name that was there before is someone else's: the statement meets it, xc never drops it", async () => {
    const s = await setup(pg, ITEMS);
    // An INVALID index of the name, as a failed build of another tool leaves one.
    await s.db.query(`CREATE UNIQUE INDEX CONCURRENTLY items_v_idx ON items ((v::int / 0))`).catch(() => undefined);
    expect(await indexes(s.db)).toEqual([{ name: 'items_v_idx', valid: false }]);
    await s.write('0001_cic', { sql: { expand: 'CREATE INDEX CONCURRENTLY items_v_idx ON items (v)' } });
    const err = await rejection(s.xc.apply());
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/already exists/);
    expect(await indexes(s.db)).toEqual([{ name: 'items_v_idx', valid: false }]);
  });

  it("plan refuses an author's transaction control (exit 2): a COMMIT inside a field would let a re-run run what it committed again (campaign R)", async () => {
    const s = await setup(pg, ITEMS);
    await s.db.query(`CREATE TABLE k (n int); INSERT INTO k VALUES (0)`);
    await s.write('0001_tx', { sql: { expand: 'UPDATE k SET n = n + 1; COMMIT; INSERT INTO once VALUES (1)' } });
    for (const run of [() => s.xc.plan(), () => s.xc.apply()]) {
      const err = await rejection(run());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/0001_tx\.json: operations\[0\]\.sql\.expand: holds COMMIT: xc runs each field in a transaction with its journal row/);
    }
    expect(await s.db.count(`SELECT n FROM k`)).toBe(0);
  });

  it('a ROLLBACK TO a savepoint is no transaction control, and valid SQL: plan passes it, apply runs it (campaign V)', async () => {
    const s = await setup(pg, ITEMS);
    await s.db.query(`CREATE TABLE k (n int)`);
    await s.write('0001_sp', { sql: { expand: `SAVEPOINT s1; INSERT INTO k VALUES (1); ROLLBACK TO SAVEPOINT s1; insert into k values (2); rollback work to s1; INSERT INTO k VALUES (3); RELEASE SAVEPOINT s1` } });
    await s.xc.plan();
    await s.xc.apply();
    expect(await s.db.query(`SELECT n FROM k ORDER BY n`)).toEqual([{ n: 3 }]);
    // A real syntax error beside one is still named.
    await s.write('0002_sp', { sql: { expand: `SAVEPOINT s1; ROLLBACK TO s1; INSRT INTO k VALUES (4)` } });
    const err = await rejection(s.xc.plan());
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/0002_sp\.json: operations\[0\]\.sql\.expand: not valid SQL: /);
  });

  it('plan refuses it among other statements in one field (exit 2), naming file and path', async () => {
    const s = await setup(pg, [`CREATE TABLE ev (id int NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`, `CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`]);
    await s.write('0001_pidx', {
      sql: { expand: 'CREATE INDEX ev_kind_idx ON ONLY ev (kind); CREATE INDEX CONCURRENTLY ev_2026_kind_idx ON ev_2026 (kind)', rollback: 'DROP INDEX IF EXISTS ev_kind_idx; DROP INDEX IF EXISTS ev_2026_kind_idx' },
    });
    const err = await rejection(s.xc.plan());
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/0001_pidx\.json: operations\[0\]\.sql\.expand: holds 2 statements, one of them CREATE INDEX CONCURRENTLY/);
    expect(err.message).toMatch(/in a `sql` operation of its own/);
    // Each statement in an operation of its own: plan passes, apply builds both.
    await s.write(
      '0001_pidx',
      { sql: { expand: 'CREATE INDEX ev_kind_idx ON ONLY ev (kind)', rollback: 'DROP INDEX IF EXISTS ev_kind_idx' } },
      { sql: { expand: 'CREATE INDEX CONCURRENTLY ev_2026_kind_idx ON ev_2026 (kind)', rollback: 'DROP INDEX CONCURRENTLY IF EXISTS ev_2026_kind_idx' } },
      { sql: { expand: 'ALTER INDEX ev_kind_idx ATTACH PARTITION ev_2026_kind_idx' } },
    );
    const done = await s.xc.apply();
    expect(done.migrations.map((m) => m.phase)).toEqual(['backfilled']);
    expect(await s.db.count(`SELECT count(*) FROM pg_index WHERE indexrelid = 'ev_kind_idx'::regclass AND indisvalid`)).toBe(1);
  });
});
