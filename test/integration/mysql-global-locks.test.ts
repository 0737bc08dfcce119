/**
 * Issue 11, two findings of the chaos suite's `blocker` kind on MariaDB:
 * - An idle session holding `LOCK TABLES t WRITE` or `FLUSH TABLES WITH READ
 *   LOCK` (FTWRL) has no old transaction and no running statement: exit 5
 *   named no blocker. With metadata-lock information (the metadata_lock_info
 *   plugin) it is named as a holder; without it, the idle sessions of the
 *   database are named as possible holders (reports only, never preflight).
 * - An FTWRL held before xc starts made xc wait without limit: creating the
 *   state tables, or any state write, queued "Waiting for backup lock" under
 *   MariaDB's default lock_wait_timeout (a day). Now no statement of xc waits
 *   longer than --lock-retry-for, and giving up is exit 5 naming the holder.
 * FTWRL stops every write of the whole server, so those tests run on a
 * private MariaDB (test/chaos/servers.ts), never on the shared one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterEach, expect, it } from 'vitest';
import { runXcWithin, type BoundedRun } from '../helpers/cli.js';
import { describeMysql, MYSQL_URL, privateMariadb } from '../helpers/servers.js';

/** The retry budget the runs get: every exit 5 must come well within BOUND_MS of it. */
const RETRY_FOR = '3s';
const BOUND_MS = 25_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

type Outcome = BoundedRun<{ blockers?: { session: number; state: string | null }[] }>;

/** `xc apply --json`, killed after BOUND_MS (code null: it was still waiting). */
function apply(url: string, dir: string): Promise<Outcome> {
  return runXcWithin(['apply', '--url', url, '--dir', dir, '--lock-timeout', '500ms', '--lock-retry-for', RETRY_FOR], BOUND_MS);
}

async function database(adminUrl: string, urlOf: (name: string) => string) {
  const name = `xc_glock_${Math.random().toString(16).slice(2, 10)}`;
  const admin = await mysql.createConnection({ uri: adminUrl });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = urlOf(name);
  const connections: mysql.Connection[] = [];
  const connect = async () => {
    const c = await mysql.createConnection({ uri: url });
    connections.push(c);
    return c;
  };
  const main = await connect();
  await main.query('CREATE TABLE items (id int PRIMARY KEY, v int)');
  await main.query('INSERT INTO items VALUES (1, 1), (2, 2), (3, 3)');
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-glock-'));
  cleanup.push(async () => {
    for (const c of connections) await c.end().catch(() => undefined);
    const a = await mysql.createConnection({ uri: adminUrl });
    await a.query(`DROP DATABASE IF EXISTS ${name}`);
    await a.end();
    await rm(dir, { recursive: true, force: true });
  });
  const migration = (id: string, column: string) =>
    writeFile(path.join(dir, `${id}.json`), JSON.stringify({ operations: [{ addColumn: { table: 'items', column: { name: column, type: 'int' } } }] }));
  const columns = async () => ((await main.query(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'items' ORDER BY ordinal_position`))[0] as { c: string }[]).map((r) => r.c);
  const sessionId = async (c: mysql.Connection) => Number(((await c.query('SELECT CONNECTION_ID() AS id'))[0] as { id: number }[])[0]!.id);
  /** A session that took `lock` and then idles, holding it; its connection id. */
  const holder = async (lock: string) => {
    const c = await connect();
    await c.query(lock);
    return { id: await sessionId(c), release: () => c.query('UNLOCK TABLES') };
  };
  return { name, url, dir, migration, columns, holder, connect, sessionId, apply: () => apply(url, dir) };
}

/** Exit 5 within the bound, naming `holder` among its blockers (definite, or as a possible holder). */
function expectNamed(run: Outcome, holder: number, kind: 'definite' | 'possible') {
  expect(run.code, `exit code after ${run.ms} ms: ${run.error?.message ?? 'no error line'}`).toBe(5);
  expect(run.ms).toBeLessThan(BOUND_MS);
  const named = run.error!.details.blockers!.find((b) => b.session === holder);
  expect(named, run.error!.message).toBeDefined();
  if (kind === 'definite') expect(named!.state).not.toMatch(/possible/);
  else expect(named!.state).toMatch(/possible holder/);
  expect(run.error!.message).toContain(`session ${holder}`);
}

describeMysql('MariaDB: idle LOCK TABLES holder, shared server (no metadata_lock_info)', () => {
  it('an idle LOCK TABLES items WRITE holder: exit 5 naming it as a possible holder; after UNLOCK TABLES the re-run converges (its idle session refuses nothing)', async () => {
    const db = await database(MYSQL_URL!, (name) => Object.assign(new URL(MYSQL_URL!), { pathname: `/${name}` }).toString());
    await db.migration('0001_note', 'note');
    const held = await db.holder('LOCK TABLES items WRITE');
    await new Promise((r) => setTimeout(r, 1200)); // idle for longer than the lock timeout
    expectNamed(await db.apply(), held.id, 'possible');
    await held.release();
    // The released session still idles on the database: no definite evidence, so the preflight lets the DDL run.
    const rerun = await db.apply();
    expect(rerun.code, rerun.error?.message).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note']);
  }, 60_000);
});

describeMysql('MariaDB without metadata_lock_info: long statements that hold no lock on the table (shared server)', () => {
  it('a long report on another table and a long statement on no database hold nothing of the table: apply runs (campaign P: exit 5, "blocked by" them); a transaction that read the table still blocks it', async () => {
    const db = await database(MYSQL_URL!, (name) => Object.assign(new URL(MYSQL_URL!), { pathname: `/${name}` }).toString());
    const report = await db.connect();
    await report.query('CREATE TABLE reports (id int PRIMARY KEY)');
    await report.query('INSERT INTO reports VALUES (1)');
    await db.migration('0001_note', 'note');
    const noDatabase = await mysql.createConnection({ uri: Object.assign(new URL(MYSQL_URL!), { pathname: '/' }).toString() });
    cleanup.push(() => noDatabase.end());
    // And one whose text holds the table's name inside another word (campaign BD: a table `t` was in every statement).
    const inWord = await db.connect();
    const long = [report.query('SELECT SLEEP(40) FROM reports').catch(() => undefined), noDatabase.query('SELECT SLEEP(40)').catch(() => undefined), inWord.query('SELECT SLEEP(40) AS my_items_count, 1 AS itemsx FROM reports').catch(() => undefined)];
    await new Promise((r) => setTimeout(r, 1200)); // both running for longer than the lock timeout
    const run = await db.apply();
    expect(run.code, run.error?.message).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note']);

    // A transaction that read items, now running something else: it holds items' metadata lock, and is named.
    await db.migration('0002_extra', 'extra');
    const reader = await db.connect();
    const readerId = await db.sessionId(reader);
    await reader.query('BEGIN');
    await reader.query('SELECT * FROM items');
    const busy = reader.query('SELECT SLEEP(40)').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1200));
    expectNamed(await db.apply(), readerId, 'definite');
    for (const c of [report, noDatabase, inWord, reader]) await killQuery(c);
    await Promise.all([...long, busy]);
    await reader.query('COMMIT');

    // A statement reading items through a view (over a view) holds its metadata lock without naming it (campaign BL: missed,
    // the DDL sent again and again, an idle writer named instead); so through a stored function.
    await report.query('CREATE VIEW v_items AS SELECT id, v FROM items');
    await report.query('CREATE VIEW v_top AS SELECT id FROM v_items WHERE v > 0');
    await report.query('CREATE FUNCTION item_count() RETURNS int READS SQL DATA RETURN (SELECT COUNT(*) FROM items)');
    for (const [n, statement] of ['SELECT SLEEP(40) FROM v_top LIMIT 1', 'SELECT item_count(), SLEEP(40)'].entries()) {
      await db.migration(`000${3 + n}_more`, `more${n}`);
      const viewer = await db.connect();
      const viewerId = await db.sessionId(viewer);
      const reading = viewer.query(statement).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1200));
      expectNamed(await db.apply(), viewerId, 'definite');
      await killQuery(viewer);
      await reading;
    }
    // Campaign BR: a view in another database over items holds it too; a function whose name is only a column alias
    // of the statement, or a view whose text has `items` only as an alias, holds nothing.
    const other = `${db.name}_b`;
    await report.query(`CREATE DATABASE ${other}`);
    cleanup.push(() => report.query(`DROP DATABASE IF EXISTS ${other}`));
    await report.query(`CREATE VIEW ${other}.vu AS SELECT id, v FROM items`);
    await db.migration('0005_more', 'more2');
    const viewer = await db.connect();
    const viewerId = await db.sessionId(viewer);
    const reading = viewer.query(`SELECT SLEEP(40) FROM ${other}.vu LIMIT 1`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1200));
    expectNamed(await db.apply(), viewerId, 'definite');
    await killQuery(viewer);
    await reading;
    await report.query('CREATE VIEW v_stats AS SELECT count(*) AS items FROM reports');
    const innocent = [report.query('SELECT SLEEP(40) AS item_count FROM reports').catch(() => undefined), inWord.query('SELECT SLEEP(40) FROM v_stats').catch(() => undefined)];
    await new Promise((r) => setTimeout(r, 1200));
    const rerun = await db.apply();
    expect(rerun.code, rerun.error?.message).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note', 'extra', 'more0', 'more1', 'more2']);
    for (const c of [report, inWord]) await killQuery(c);
    await Promise.all(innocent);
  }, 240_000);
});

/** Ends what `c` runs (KILL QUERY from another session), so a test does not wait out its SLEEP. */
async function killQuery(c: mysql.Connection): Promise<void> {
  const k = await mysql.createConnection({ uri: MYSQL_URL! });
  await k.query(`KILL QUERY ${Number(c.threadId)}`).catch(() => undefined);
  await k.end();
}

describeMysql('MariaDB: FLUSH TABLES WITH READ LOCK and LOCK TABLES on a private server', () => {
  const priv = privateMariadb();

  const open = () => database(priv.server.url, (name) => priv.server.urlOf(name));

  it('without metadata_lock_info: FTWRL held before xc starts (no state yet, then a state write) → exit 5 within the budget naming it; after release a re-run converges', async () => {
    const db = await open();
    await db.migration('0001_note', 'note');
    let held = await db.holder('FLUSH TABLES WITH READ LOCK');
    expectNamed(await db.apply(), held.id, 'possible'); // creating the state tables
    await held.release();
    expect((await db.apply()).code).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note']);

    // The state exists: now the first state write (the new migration's row) meets the backup lock.
    await db.migration('0002_extra', 'extra');
    held = await db.holder('FLUSH TABLES WITH READ LOCK');
    expectNamed(await db.apply(), held.id, 'possible');
    await held.release();
    const rerun = await db.apply();
    expect(rerun.code, rerun.error?.message).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note', 'extra']);
  }, 120_000);

  it('without metadata_lock_info: an FTWRL still waiting for a long write (it stops other writes already) → exit 5 naming it; once both end a re-run converges', async () => {
    const db = await open();
    await db.migration('0001_note', 'note');
    expect((await db.apply()).code).toBe(0);
    await db.migration('0002_extra', 'extra');
    const slow = await db.connect();
    const slowId = await db.sessionId(slow);
    const writing = slow.query('UPDATE items SET v = v + SLEEP(120) WHERE id = 1').catch(() => undefined);
    const flusher = await db.connect();
    const flusherId = await db.sessionId(flusher);
    const flushed = flusher.query('FLUSH TABLES WITH READ LOCK');
    const watcher = await db.connect();
    // Until the FTWRL is seen waiting for the write to end: from then on it stops every other write.
    for (let waiting = false; !waiting; await new Promise((r) => setTimeout(r, 100))) {
      const [rows] = await watcher.query('SELECT STATE AS state FROM information_schema.PROCESSLIST WHERE ID = ?', [flusherId]);
      waiting = /backup lock|flush/i.test(String((rows as { state: string | null }[])[0]?.state));
    }
    const run = await db.apply();
    expectNamed(run, flusherId, 'possible');
    expect(run.error!.details.blockers!.find((b) => b.session === flusherId)!.state).toMatch(/running for \d+s/);
    await watcher.query(`KILL QUERY ${slowId}`);
    await writing;
    await flushed;
    await flusher.query('UNLOCK TABLES');
    const rerun = await db.apply();
    expect(rerun.code, rerun.error?.message).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note', 'extra']);
  }, 120_000);

  it('with metadata_lock_info: an idle LOCK TABLES WRITE holder and an FTWRL holder are named as holders (not possible ones); re-runs converge', async () => {
    const admin = await mysql.createConnection({ uri: priv.server.url });
    await admin.query(`INSTALL SONAME 'metadata_lock_info'`).catch((err: { errno?: number }) => {
      if (err.errno !== 1968) throw err; // already installed
    });
    await admin.end();
    const db = await open();
    await db.migration('0001_note', 'note');
    let held = await db.holder('FLUSH TABLES WITH READ LOCK');
    expectNamed(await db.apply(), held.id, 'definite');
    await held.release();
    expect((await db.apply()).code).toBe(0);

    await db.migration('0002_extra', 'extra');
    held = await db.holder('LOCK TABLES items WRITE');
    await new Promise((r) => setTimeout(r, 1200));
    expectNamed(await db.apply(), held.id, 'definite');
    await held.release();
    const rerun = await db.apply();
    expect(rerun.code, rerun.error?.message).toBe(0);
    expect(await db.columns()).toEqual(['id', 'v', 'note', 'extra']);
  }, 120_000);
});
