/**
 * A PostgreSQL backfill batch's transaction settings, in one statement: the lock timeout, the bypass of
 * xc's own triggers, synchronous_commit off (the batch's COMMIT does not wait for its WAL flush; a server
 * crash loses at most the last batches together with their cursors), and session_replication_role =
 * replica where every trigger that would fire is one the batch bypasses or a foreign key's on columns it
 * does not write (PostgreSQL then skips the trigger calls; dialects/postgres/backfillSession.ts). All
 * transaction-local, so a pooled session's next user keeps its own. The end-to-end cases check that the
 * user's own triggers still see every row a backfill writes, and that a role without the privilege
 * backfills alike under concurrent writers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { PostgresDialect } from '../../src/dialects/postgres/core.js';
import { createPgDatabase, describePg, PG_URL, type TestDb } from '../helpers/servers.js';
import { Writer } from '../helpers/writers.js';

describePg('PostgreSQL backfill session', () => {
  const d = new PostgresDialect({ concurrentIndexes: true });
  let db: TestDb;
  let c: pg.Client;
  const role = `xc_nosu_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await createPgDatabase('xc_bfs');
    c = await db.client();
    await c.query(`CREATE ROLE ${role} LOGIN`);
    await c.query(`GRANT ALL ON SCHEMA public TO ${role}`);
  });
  afterAll(async () => {
    await db?.drop();
    const a = new pg.Client({ connectionString: PG_URL });
    await a.connect();
    await a.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await a.end();
  });
  const show = async (name: string) => (await c.query<{ v: string }>(`SELECT current_setting('${name}', true) AS v`)).rows[0]!.v;
  const batch = (columns = ['b'], bypass = ['xc_sync_1'], table = 't') => d.backfillSession(1000, bypass, { table, columns });
  /** The replication role a batch on `t` writing `columns` runs with (rolled back). */
  async function modeOf(columns?: string[], bypass?: string[], table?: string): Promise<string> {
    await c.query('BEGIN');
    try {
      for (const q of batch(columns, bypass, table)) await c.query(q);
      return await show('session_replication_role');
    } finally {
      await c.query('ROLLBACK');
    }
  }
  async function fresh(): Promise<void> {
    await c.query('DROP TABLE IF EXISTS t, child, parent, ref CASCADE');
    await c.query('CREATE TABLE parent (id int PRIMARY KEY)');
    await c.query('CREATE TABLE t (id int PRIMARY KEY, a int, b bigint, p int REFERENCES parent (id))');
    await c.query(`CREATE OR REPLACE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`);
    await c.query('CREATE TRIGGER xc_sync_1 BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop()');
  }

  it('sets the lock timeout, the bypass and synchronous_commit off for the batch only', async () => {
    await fresh();
    expect(batch()).toHaveLength(1);
    expect(d.backfillSessionEnd(['xc_sync_1'])).toEqual([]);
    const before = [await show('lock_timeout'), await show('synchronous_commit'), await show('session_replication_role')];
    await c.query('BEGIN');
    for (const q of d.backfillSession(1500.7, ['xc_sync_1', "bad'name"], { table: 't', columns: ['b'] })) await c.query(q);
    expect([await show('lock_timeout'), await show('xc.bypass'), await show('synchronous_commit'), await show('session_replication_role')]).toEqual(['1500ms', 'xc_sync_1,badname', 'off', 'replica']);
    await c.query('COMMIT');
    expect([await show('lock_timeout'), await show('synchronous_commit'), await show('session_replication_role')]).toEqual(before);
    expect((await show('xc.bypass')) ?? '').toBe('');
  });

  describe('replica mode only where no other trigger would have done anything', () => {
    it('the bypassed trigger, and a foreign key on a column the batch does not write', async () => {
      await fresh();
      expect(await modeOf(['b'])).toBe('replica');
      expect(await modeOf(['b', 'a'])).toBe('replica');
    });

    it('not when the batch writes a foreign key column, on either side', async () => {
      await fresh();
      expect(await modeOf(['p'])).toBe('origin');
      await c.query('CREATE TABLE ref (id int PRIMARY KEY, t_a int)');
      await c.query('CREATE UNIQUE INDEX t_a ON t (a)');
      await c.query('ALTER TABLE ref ADD FOREIGN KEY (t_a) REFERENCES t (a)');
      expect(await modeOf(['a'])).toBe('origin'); // t is the referenced table
      expect(await modeOf(['b'])).toBe('replica');
    });

    it('not with a trigger the batch does not bypass: the user’s, another migration’s, one enabled for replicas', async () => {
      await fresh();
      await c.query('CREATE TRIGGER audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop()');
      expect(await modeOf()).toBe('origin');
      await c.query('ALTER TABLE t DISABLE TRIGGER audit');
      expect(await modeOf()).toBe('replica'); // a disabled trigger fires in no mode
      await c.query('ALTER TABLE t ENABLE REPLICA TRIGGER audit');
      expect(await modeOf()).toBe('origin');
      await c.query('DROP TRIGGER audit ON t');
      expect(await modeOf(['b'], ['xc_sync_2'])).toBe('origin'); // xc_sync_1 is not this batch's
    });

    it('not with a deferred unique check, a rule or a child table', async () => {
      await fresh();
      await c.query('ALTER TABLE t ADD CONSTRAINT t_b UNIQUE (b) DEFERRABLE INITIALLY DEFERRED');
      expect(await modeOf()).toBe('origin');
      await fresh();
      await c.query('CREATE RULE keep AS ON UPDATE TO t DO ALSO NOTIFY t');
      expect(await modeOf()).toBe('origin');
      await fresh();
      await c.query('CREATE TABLE child () INHERITS (t)');
      expect(await modeOf()).toBe('origin');
    });

    it('not for a role that may not set it, without an error; a missing table is left to the UPDATE', async () => {
      await fresh();
      await c.query(`GRANT ALL ON t TO ${role}`);
      await c.query(`SET ROLE ${role}`);
      try {
        expect(await modeOf()).toBe('origin');
      } finally {
        await c.query('RESET ROLE');
      }
      expect(await modeOf(['b'], ['xc_sync_1'], 'no_such_table')).toBe('origin');
    });
  });

  describe('end to end', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bfs-'));
      await writeFile(path.join(dir, '0001_big.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'w', column: 'v', to: 'v_big', type: 'bigint', up: 'v * 2', down: 'v_big / 2' } }] }));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));
    const load = async () => {
      await c.query('DROP TABLE IF EXISTS w, audit CASCADE');
      await c.query('CREATE TABLE w (id int PRIMARY KEY, v int NOT NULL)');
      await c.query('INSERT INTO w SELECT g, g FROM generate_series(1, 20000) g');
    };

    it('the user’s own trigger still sees every row the backfill writes', async () => {
      await load();
      await c.query('CREATE TABLE audit (id int, v_big bigint)');
      await c.query(`CREATE FUNCTION audit_w() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.v_big IS DISTINCT FROM OLD.v_big THEN INSERT INTO audit VALUES (NEW.id, NEW.v_big); END IF; RETURN NEW; END $$`);
      // Created once the new column exists: between the expand and the backfill, as a user would.
      const xc = createXc({ url: db.url, dir });
      try {
        await xc.apply({ to: 'expand' });
        await c.query('CREATE TRIGGER audit_w AFTER UPDATE ON w FOR EACH ROW EXECUTE FUNCTION audit_w()');
        await xc.apply({ to: 'backfill' });
      } finally {
        // The trigger reads v_big, which the rollback drops: a rollback refuses while one does (campaign DW).
        await c.query('DROP TRIGGER IF EXISTS audit_w ON w');
        await xc.rollback().catch(() => undefined);
        await xc.close();
      }
      const [r] = (await c.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum((v_big = (SELECT v * 2 FROM w WHERE w.id = audit.id))::int)::int AS right FROM audit')).rows;
      expect(r).toEqual({ n: 20000, ids: 20000, right: 20000 });
    });

    it('a role without the privilege backfills alike under writers of both versions', async () => {
      await load();
      await c.query(`ALTER TABLE w OWNER TO ${role}`);
      // xc's state, created by the superuser's run before: the role uses it as a migration role would.
      for (const g of ['ALL ON SCHEMA xc', 'ALL ON ALL TABLES IN SCHEMA xc', 'ALL ON ALL SEQUENCES IN SCHEMA xc']) await c.query(`GRANT ${g} TO ${role}`);
      const u = new URL(db.url);
      u.username = role;
      const xc = createXc({ url: u.toString(), dir, batchSize: 500 });
      const conns = [await db.client(), await db.client()];
      try {
        await xc.apply({ to: 'expand' });
        const writers = [
          new Writer(conns[0]!, (i) => ({ sql: 'UPDATE w SET v = v + 1 WHERE id = $1', params: [1 + ((i * 7919) % 20000)] }), 1).start(),
          new Writer(conns[1]!, (i) => ({ sql: 'UPDATE w SET v_big = v_big + 2 WHERE id = $1', params: [1 + ((i * 104729) % 20000)] }), 1).start(),
        ];
        try {
          await xc.apply({ to: 'backfill' });
        } finally {
          for (const w of writers) await w.stop();
        }
        expect(writers.flatMap((w) => w.errors)).toEqual([]);
        expect(writers.every((w) => w.writes > 0)).toBe(true);
        const [r] = (await c.query('SELECT count(*)::int AS n, sum((v_big IS NOT DISTINCT FROM v::bigint * 2)::int)::int AS agree FROM w')).rows;
        expect(r).toEqual({ n: 20000, agree: 20000 });
      } finally {
        await xc.close();
      }
    });
  });
});
