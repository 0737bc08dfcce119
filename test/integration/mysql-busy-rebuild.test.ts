/**
 * Issue 16 (the application under a real workload, MariaDB): a column the
 * backfill will fill is stored in every row by an online rebuild only while
 * its table is quiet enough. The rebuild logs the table's concurrent writes
 * and replays the last of them at its end under a latch no lock timeout
 * bounds (4.7 s measured under 16 connections), or gives up with 1799 when
 * they outgrow its log. So:
 * - a table taking more writes per second than --max-rebuild-write-rate gets
 *   the column instantly instead (the step says why, the event log keeps it),
 *   and the change still converges with every write kept;
 * - a quiet table is rebuilt as before;
 * - a rebuild the server gives up (1799, on a private server whose online
 *   alter log is tiny) is replaced at once by the instant add, and the
 *   change goes on instead of failing;
 * - `plan` shows both statements.
 * PostgreSQL has no rebuild to choose (its new column is catalog-only).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterEach, expect, it } from 'vitest';
import { createXc, type XcOptions } from '../../src/index.js';
import type { XcEvent } from '../../src/plan/index.js';
import { startMariadb } from '../chaos/servers.js';
import { runXc, type Run } from '../helpers/cli.js';
import { describeMysql } from '../helpers/servers.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer, type Queryable } from '../helpers/writers.js';

const mysqlTarget = targets.find((t) => t.name === 'mysql')!;
const ROWS = 20_000;
const CHANGE = { operations: [{ alterColumn: { table: 't', column: 'v', type: 'bigint' } }] };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function migrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-busy-rebuild-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, '0001_widen.json'), JSON.stringify(CHANGE));
  return dir;
}

async function seed(query: (sql: string) => Promise<unknown>, rows = ROWS): Promise<void> {
  await query(`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, pad varchar(200) NOT NULL)`);
  // v = id: the sum after the change is the seed's plus one per update.
  await query(`INSERT INTO t SELECT seq, seq, REPEAT('x', 200) FROM seq_1_to_${rows}`);
}

/** A writer that never pauses: `UPDATE t SET v = v + 1` on random rows, back to back. */
function busyWriter(conn: Queryable, rows = ROWS): Writer {
  return new Writer(conn, () => ({ sql: `UPDATE t SET v = v + 1, pad = REPEAT(CHAR(65 + FLOOR(RAND() * 26)), 200) WHERE id = ?`, params: [1 + Math.floor(Math.random() * rows)] }), 0).start();
}

/** apply → deploy record → contract, collecting the events. */
async function lifecycle(options: Partial<XcOptions>): Promise<XcEvent[]> {
  const events: XcEvent[] = [];
  const xc = createXc({ ...options, onEvent: (e) => events.push(e) });
  try {
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v2' });
    await xc.contract();
  } finally {
    await xc.close();
  }
  return events;
}

/** The `step` events of the shadow column's addition: the statement run, or the rebuild then the instant add that replaced it. */
const addSteps = (events: XcEvent[]) => events.filter((e): e is Extract<XcEvent, { event: 'step' }> => e.event === 'step' && /^add column `t`\./.test(e.description));
const addStep = (events: XcEvent[]) => {
  const steps = addSteps(events);
  expect(steps).toHaveLength(1);
  return steps[0]!;
};

async function expectConverged(query: <T>(sql: string) => Promise<T[]>, writes: number, rows = ROWS): Promise<void> {
  const [col] = await query<{ type: string }>(`SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'v'`);
  expect(col!.type).toMatch(/^bigint/);
  const [sum] = await query<{ n: string; s: string }>(`SELECT COUNT(*) AS n, SUM(v) AS s FROM t`);
  expect(Number(sum!.n)).toBe(rows);
  expect(Number(sum!.s)).toBe((rows * (rows + 1)) / 2 + writes);
}

describeMysql('a column the backfill fills: online rebuild only while the table is quiet (MariaDB)', () => {
  /** A busy writer on its own connection, going (50 writes in) before the rate is measured; stopped after the test. */
  async function runningWriter(db: Db): Promise<Writer> {
    const writer = busyWriter(await db.connection());
    cleanups.push(() => writer.stop());
    while (writer.writes < 50) await new Promise((r) => setTimeout(r, 20));
    return writer;
  }

  async function database(): Promise<Db> {
    const db = await mysqlTarget.create('xc_busy');
    cleanups.push(() => db.drop());
    await seed((sql) => db.query(sql));
    return db;
  }

  it('a table written faster than --max-rebuild-write-rate gets the column instantly: the step says why, the log keeps it, every write is kept', async () => {
    const db = await database();
    const dir = await migrations();
    const writer = await runningWriter(db);
    let events: XcEvent[];
    try {
      events = await lifecycle({ url: db.url, dir, maxRebuildWriteRate: 5 });
    } finally {
      await writer.stop();
    }
    const add = addStep(events);
    expect(add.description).toMatch(/instantly \(the table is busy: no rebuild\)/);
    expect(add.sql).toMatch(/ALGORITHM=INSTANT/);
    expect(add.sql).not.toMatch(/FORCE/);
    expect(add.busy).toMatch(/^t took [\d,]+ row writes\/s, over --max-rebuild-write-rate 5$/);
    expect(add.writesPerSecond).toBeGreaterThan(5);
    expect(writer.errors).toEqual([]);
    expect(writer.writes).toBeGreaterThan(50);
    await expectConverged(db.query, writer.writes);
    const logged = await db.query<{ detail: string }>(`SELECT detail FROM xc_events WHERE event = 'step_busy'`);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!.detail)).toEqual({ planned: expect.stringMatching(/rebuilt online/), ran: add.description, reason: add.busy, writesPerSecond: add.writesPerSecond });
  });

  it('a table that grows busy while its rebuild runs: the rebuild is cancelled (nothing changed) and the column added instantly, every write kept', async () => {
    const rows = 1_000_000;
    const db = await mysqlTarget.create('xc_busy');
    cleanups.push(() => db.drop());
    await seed((sql) => db.query(sql), rows);
    // A second index makes the rebuild long enough to be watched for a few seconds on a fast machine.
    await db.query('CREATE INDEX t_pad ON t (pad)');
    const dir = await migrations();
    const writers: Writer[] = [];
    let starting: Promise<void> | undefined;
    const events: XcEvent[] = [];
    const xc = createXc({
      url: db.url,
      dir,
      maxRebuildWriteRate: 5,
      onEvent: (e) => {
        events.push(e);
        // Quiet when measured; busy from the moment the rebuild starts.
        if (e.event === 'step' && /rebuilt online/.test(e.description) && !starting)
          starting = (async () => {
            for (let i = 0; i < 4; i++) writers.push(busyWriter(await db.connection(), rows));
          })();
      },
    });
    cleanups.push(() => xc.close());
    try {
      await xc.apply();
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      await xc.contract();
    } finally {
      await starting;
      for (const w of writers) await w.stop();
    }
    const [rebuild, add] = addSteps(events);
    expect(rebuild?.writesPerSecond).toBeLessThanOrEqual(5);
    expect(rebuild?.busy).toBeUndefined();
    expect(add?.description).toMatch(/instantly/);
    expect(add?.busy).toMatch(/^t took over 5 row writes\/s \(--max-rebuild-write-rate\) for 3 s while "add column `t`\.`xc_shadow\w+`, stored in every row \(rebuilt online\)" ran \([\d,]+ in the last second\): cancelled$/);
    expect(writers.flatMap((w) => w.errors)).toEqual([]);
    await expectConverged(db.query, writers.reduce((n, w) => n + w.writes, 0), rows);
  }, 240_000);

  it('the CLI: --max-rebuild-write-rate (and XC_MAX_REBUILD_WRITE_RATE) sets the limit, and apply says which statement ran and why', async () => {
    const db = await database();
    const dir = await migrations();
    const writer = await runningWriter(db);
    let run: Run;
    try {
      // The env variable's limit alone would rebuild; the flag beats it.
      run = await runXc(['apply', '--url', db.url, '--dir', dir, '--max-rebuild-write-rate', '5'], { env: { XC_MAX_REBUILD_WRITE_RATE: '1000000000' } });
    } finally {
      await writer.stop();
    }
    expect(run.stderr).toMatch(/expanding: add column `t`\.`xc_shadow\w+` instantly \(the table is busy: no rebuild\): t took [\d,]+ row writes\/s, over --max-rebuild-write-rate 5\n/);
    expect(run.code).toBe(0);
    expect(writer.errors).toEqual([]);
  }, 120_000);

  it('a quiet table is rebuilt online, as planned; plan shows the instant statement as the alternative', async () => {
    const db = await database();
    const dir = await migrations();
    const xc = createXc({ url: db.url, dir });
    const plan = await xc.plan().finally(() => xc.close());
    const planned = plan.migrations[0]!.pending.find((p) => p.phase === 'expand')!.steps.find((s) => s.ifBusy);
    expect(planned?.sql).toMatch(/, FORCE, ALGORITHM=INPLACE, LOCK=NONE$/);
    expect(planned?.ifBusy?.sql).toMatch(/ALGORITHM=INSTANT/);
    const events = await lifecycle({ url: db.url, dir });
    const add = addStep(events);
    expect(add.description).toMatch(/rebuilt online/);
    expect(add.busy).toBeUndefined();
    // MariaDB watches the rebuild by its log: no write rate measured beforehand.
    expect(add.writesPerSecond).toBeUndefined();
    await expectConverged(db.query, 0);
    expect(await db.query(`SELECT 1 FROM xc_events WHERE event = 'step_busy'`)).toEqual([]);
  });
});

/**
 * A private MariaDB started with `args` (server-wide settings, and server-wide readings no other test's rebuild may
 * share), a database of `rows` seeded rows, and four writers that never pause, going (200 writes in); all stopped
 * after the test. Each update logs the whole 200-byte row in a rebuild's log.
 */
async function privateBusyServer(args: string[], rows: number) {
  const server = await startMariadb(() => args);
  cleanups.push(() => server.stop());
  const admin = await mysql.createConnection(server.url);
  cleanups.push(() => admin.end());
  const name = `xc_busy_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = server.urlOf(name);
  const conn = await mysql.createConnection(url);
  cleanups.push(() => conn.end());
  await seed((sql) => conn.query(sql), rows);
  const writers: Writer[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await mysql.createConnection(url);
    cleanups.push(() => c.end());
    const w = busyWriter({ query: (sql, params) => c.query(sql, params) }, rows);
    writers.push(w);
    cleanups.push(() => w.stop());
  }
  const writes = () => writers.reduce((n, w) => n + w.writes, 0);
  while (writes() < 200) await new Promise((r) => setTimeout(r, 20));
  const query = async <T>(sql: string) => (await conn.query(sql))[0] as T[];
  /** The lifecycle under the writers, which stop once it ends, however it ends. */
  const change = async (options: Partial<XcOptions>) => {
    try {
      return await lifecycle({ url, dir: await migrations(), ...options });
    } finally {
      for (const w of writers) await w.stop();
    }
  };
  return { query, writers, writes, change };
}

describeMysql('a rebuild the server gives up for the writes it took (1799) is replaced by the instant add (private MariaDB)', () => {
  it('with a 64 KiB online alter log and a busy writer, the change converges with every write kept, the step naming the server\'s refusal', async () => {
    // The smallest log the server takes: a few hundred updated rows fill it during the rebuild.
    const rows = 500_000;
    const { query, writers, writes, change } = await privateBusyServer(['--innodb-online-alter-log-max-size=65536', '--innodb-sort-buffer-size=65536'], rows);
    // A limit no writer reaches: the rebuild is chosen, and the server gives it up.
    const events = await change({ maxRebuildWriteRate: 1e9 });
    const [rebuild, add] = addSteps(events);
    expect(rebuild?.description).toMatch(/rebuilt online/);
    expect(rebuild?.busy).toBeUndefined();
    expect(add?.description).toMatch(/instantly/);
    expect(add?.busy).toMatch(/^the server gave up "add column `t`\.`xc_shadow[^"]*, stored in every row \(rebuilt online\)" for the writes its table took meanwhile \(.*innodb_online_alter_log_max_size/);
    expect(writers.flatMap((w) => w.errors)).toEqual([]);
    await expectConverged(query, writes(), rows);
  }, 240_000);
});

describeMysql('unset, --max-rebuild-write-rate gives way to the rebuild\'s own log of the writes (MariaDB)', () => {
  it('writes that outpace the rebuild fill its log past what the lock timeout allows: cancelled (nothing changed), the column added instantly, every write kept', async () => {
    // A server of its own: the log's readings are server-wide, and no other test's rebuild may be read as this one's.
    // Four writers that never pause log about 2,000 rows a second here; the rebuild of 800,000 200-byte rows (about two
    // seconds) outlasts the 1,000 rows half a 200 ms lock timeout allows (the limit follows the lock timeout).
    const rows = 800_000;
    const { query, writers, writes, change } = await privateBusyServer([], rows);
    const events = await change({ lockTimeoutMs: 200 });
    const [rebuild, add] = addSteps(events);
    // Admitted whatever its rate (not measured: nothing is decided on it), then watched by its log.
    expect(rebuild?.description).toMatch(/rebuilt online/);
    expect(rebuild?.busy).toBeUndefined();
    expect(rebuild?.writesPerSecond).toBeUndefined();
    expect(add?.description).toMatch(/instantly/);
    expect(add?.busy).toMatch(/^the online rebuild's log of t's writes held [\d,]+ rows, on course to pass the 1,000 it can apply in half the lock timeout while "add column `t`\.`xc_shadow\w+`, stored in every row \(rebuilt online\)" ran: cancelled$/);
    expect(writers.flatMap((w) => w.errors)).toEqual([]);
    await expectConverged(query, writes(), rows);
    const logged = await query<{ detail: string }>(`SELECT detail FROM xc_events WHERE event = 'step_busy'`);
    expect(logged.map((l) => JSON.parse(l.detail).reason)).toEqual([add!.busy]);
  }, 240_000);

  it('a busy writer the rebuild keeps up with: rebuilt online, whatever its rate, every write kept', async () => {
    const db = await mysqlTarget.create('xc_busy');
    cleanups.push(() => db.drop());
    await seed((sql) => db.query(sql));
    const writer = busyWriter(await db.connection());
    cleanups.push(() => writer.stop());
    while (writer.writes < 50) await new Promise((r) => setTimeout(r, 20));
    let events: XcEvent[];
    try {
      events = await lifecycle({ url: db.url, dir: await migrations() });
    } finally {
      await writer.stop();
    }
    const add = addStep(events);
    expect(add.description).toMatch(/rebuilt online/);
    expect(add.busy).toBeUndefined();
    expect(add.writesPerSecond).toBeUndefined();
    expect(writer.errors).toEqual([]);
    await expectConverged(db.query, writer.writes);
  }, 120_000);
});
