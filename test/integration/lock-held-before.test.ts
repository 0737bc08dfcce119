/**
 * A table an application session locked before xc began, and a command whose
 * first statement on it is a read outside any DDL step: the rollback of a
 * dropNotNull reads the rows holding NULL before its DDL (the chaos run's
 * rollback of `inplace` waited in its key-bounds read the same way). On
 * PostgreSQL that read waited without limit and without a word (lock_timeout
 * is off by default) — the chaos suite's blocker kind hung the whole CI run —
 * where MariaDB gave up after --lock-retry-for naming the holder. Now both
 * give up, exit 5 naming the holder; once the holder lets go the re-run
 * converges and the column is NOT NULL again, every value as it was.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runXc, runXcWithin } from '../helpers/cli.js';
import { targets, type Db, type Target } from '../helpers/targets.js';

/** Every exit 5 must come well within this of the 3 s retry budget; past it, the run is killed (code null: still waiting). */
const BOUND_MS = 40_000;
const ROWS = 2_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

/** A run's exit code (null: still waiting when killed), how long it took, and the sessions and words of its error. */
interface Named { code: number | null; ms: number; blockers: number[]; message: string }

/** `xc <args>` with a 3 s retry budget, killed past BOUND_MS. */
async function run(args: string[]): Promise<Named> {
  const r = await runXcWithin<{ blockers?: { session: number }[] }>([...args, '--lock-timeout', '500ms', '--lock-retry-for', '3s'], BOUND_MS);
  return { code: r.code, ms: r.ms, blockers: (r.error?.details.blockers ?? []).map((b) => b.session), message: r.error?.message ?? 'no error line (still waiting when killed)' };
}

/** A database of its own and a migration folder holding `migration` as 0001_change, both dropped after the test. */
async function scratch(target: Target, migration: unknown): Promise<{ db: Db; dir: string }> {
  const db = await target.create('xc_heldb');
  cleanup.push(() => db.drop());
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-heldb-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, '0001_change.json'), JSON.stringify({ operations: [migration] }));
  return { db, dir };
}

for (const target of targets) {
  target.describe(`${target.name}: a table locked before the command, its first read outside a DDL step`, () => {
    it('rollback of dropNotNull (its first read: the rows holding NULL): exit 5 naming the holder within the retry budget; after the holder lets go the re-run converges, the old values back', async () => {
      const { db, dir } = await scratch(target, { dropNotNull: { table: 'items', column: 'note' } });
      await db.query('CREATE TABLE items (id int PRIMARY KEY, note varchar(40) NOT NULL)');
      await db.seed('items', ['id', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, `n${i + 1}`]));
      const applied = await runXc(['apply', '--url', db.url, '--dir', dir]);
      expect(applied.code, applied.stderr).toBe(0);

      const holder = await db.connection();
      // pg answers { rows }, mysql2 [rows, fields].
      const answer = (await holder.query(db.dialect === 'postgres' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id')) as { rows: { id: number }[] } | [{ id: number }[]];
      const session = Number((Array.isArray(answer) ? answer[0] : answer.rows)[0]!.id);
      if (db.dialect === 'postgres') {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
      } else await holder.query('LOCK TABLES items WRITE');

      const r = await run(['rollback', '--url', db.url, '--dir', dir]);
      expect(r.code, `exit after ${r.ms} ms: ${r.message}`).toBe(5);
      expect(r.blockers, r.message).toContain(session);
      // Given up before or after it turned to rolling_back: either way a re-run goes on from there.

      await holder.query(db.dialect === 'postgres' ? 'ROLLBACK' : 'UNLOCK TABLES');
      const again = await runXc(['rollback', '--url', db.url, '--dir', dir]);
      expect(again.code, again.stderr).toBe(0);
      const rows = await db.query<{ id: number; note: string | null }>('SELECT id, note FROM items ORDER BY id');
      expect(rows).toHaveLength(ROWS);
      expect(rows.filter((r, i) => r.note !== `n${i + 1}`)).toEqual([]);
      expect((await db.columns('items')).find((c) => c.name === 'note')!.nullable).toBe(false);
    }, 180_000);
  });
}

targets[0]!.describe('postgres: who holds the lock, where xc does not know the table or meets the holder\'s queue', () => {
  it('`xc plan` reading rows of a table locked before it began: exit 5 naming the holder (campaign EA: exit 1, the server\'s words only)', async () => {
    const { db, dir } = await scratch(targets[0]!, { setNotNull: { table: 'items', column: 'note', up: "COALESCE(note, '')" } });
    await db.query('CREATE TABLE items (id int PRIMARY KEY, note varchar(40))');
    await db.query(`INSERT INTO items VALUES (1, 'a'), (2, NULL)`);
    const holder = (await db.connection()) as { query(sql: string): Promise<{ rows: { id: number }[] }> };
    const session = Number((await holder.query('SELECT pg_backend_pid() AS id')).rows[0]!.id);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const r = await run(['plan', '--url', db.url, '--dir', dir]);
    await holder.query('ROLLBACK');
    expect(r.code, r.message).toBe(5);
    expect(r.blockers, r.message).toContain(session);
  }, 120_000);

  it('a writer queued behind an idle LOCK TABLE of the parent holds the child xc alters: the holder named with it (campaign EA: only the writers)', async () => {
    const { db, dir } = await scratch(targets[0]!, { addColumn: { table: 'child', column: { name: 'note', type: 'text' } } });
    await db.query('CREATE TABLE parent (id int PRIMARY KEY)');
    await db.query('CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent (id))');
    await db.query('INSERT INTO parent VALUES (1)');
    await db.query('INSERT INTO child VALUES (1, 1)');
    type Client = { query(sql: string): Promise<{ rows: { id: number }[] }> };
    const holder = (await db.connection()) as Client;
    const writer = (await db.connection()) as Client;
    const pid = async (c: Client) => Number((await c.query('SELECT pg_backend_pid() AS id')).rows[0]!.id);
    const [holderPid, writerPid] = [await pid(holder), await pid(writer)];
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE parent IN EXCLUSIVE MODE'); // reads go on; a key check (FOR KEY SHARE) waits
    await writer.query('BEGIN');
    await writer.query('UPDATE child SET pid = pid WHERE id = 1');
    const queued = writer.query('INSERT INTO child VALUES (2, 1)'); // its key check waits for the parent's lock
    await new Promise((r) => setTimeout(r, 300));
    const r = await run(['apply', '--url', db.url, '--dir', dir]);
    await holder.query('ROLLBACK');
    await queued;
    await writer.query('COMMIT');
    expect(r.code, r.message).toBe(5);
    expect(r.blockers, r.message).toEqual(expect.arrayContaining([holderPid, writerPid]));
    const again = await runXc(['apply', '--url', db.url, '--dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(await db.count('SELECT count(*) FROM child')).toBe(2);
  }, 120_000);
});
