/**
 * Table-driven lifecycle tests on real PostgreSQL, one case per column
 * operation: expand, then an old-version and a new-version writer running
 * side by side through dual-write and backfill, then contract (the new
 * writer still running), and separately rollback. Schema and data are
 * asserted after each phase; no writer may see an error.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { createPgDatabase, describePg, type TestDb } from '../helpers/servers.js';
import { Writer, type Query } from '../helpers/writers.js';

type Rows = Record<string, unknown>[];

interface Case {
  name: string;
  setup: string[];
  operations: unknown[];
  /** False when the operation has nothing to backfill. */
  backfills?: boolean;
  oldWrite: (i: number) => Query;
  newWrite: (i: number) => Query;
  afterExpand(db: TestDb): Promise<void>;
  /** Every row agrees between old and new shape. */
  afterBackfill(db: TestDb): Promise<void>;
  afterContract(db: TestDb): Promise<void>;
  afterRollback(db: TestDb): Promise<void>;
}

const SEED = 3000;
const columns = async (db: TestDb, table: string) =>
  (await db.query<{ column_name: string; is_nullable: string; column_default: string | null; data_type: string }>(
    `SELECT column_name, is_nullable, column_default, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [table],
  ));
const column = async (db: TestDb, table: string, name: string) => (await columns(db, table)).find((c) => c.column_name === name);
const indexes = async (db: TestDb, table: string) => (await db.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1`, [table]));
const constraints = async (db: TestDb, table: string) =>
  (await db.query<{ conname: string; def: string }>(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass`, [table]));
const triggers = async (db: TestDb) => (await db.query(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal`)).length;
const count = async (db: TestDb, sql: string) => Number((await db.query<{ n: string }>(sql))[0]!.n);

const cases: Case[] = [
  {
    name: 'renameColumn carries NOT NULL, default, index and check over',
    setup: [
      `CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'anon' CHECK (length(name) < 100), age int)`,
      `CREATE INDEX users_name_idx ON users (name)`,
      `INSERT INTO users SELECT g, 'user' || g, g % 90 FROM generate_series(1, ${SEED}) g`,
    ],
    operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }],
    oldWrite: (i) => (i % 3 === 0 ? { sql: `INSERT INTO users (id, age) VALUES ($1, 1)`, params: [100000 + i] } : i % 3 === 1 ? { sql: `INSERT INTO users (id, name) VALUES ($1, $2)`, params: [200000 + i, `old${i}`] } : { sql: `UPDATE users SET name = $2 WHERE id = $1`, params: [1 + (i % SEED), `old-upd${i}`] }),
    newWrite: (i) => (i % 2 === 0 ? { sql: `INSERT INTO users (id, full_name) VALUES ($1, $2)`, params: [300000 + i, `new${i}`] } : { sql: `UPDATE users SET full_name = $2 WHERE id = $1`, params: [2 + (i % SEED), `new-upd${i}`] }),
    async afterExpand(db) {
      expect(await column(db, 'users', 'full_name')).toBeTruthy();
      expect((await indexes(db, 'users')).some((i) => i.indexname === 'users_full_name_idx')).toBe(true);
    },
    async afterBackfill(db) {
      expect(await count(db, `SELECT count(*) AS n FROM users WHERE name IS DISTINCT FROM full_name`)).toBe(0);
      expect(await count(db, `SELECT count(*) AS n FROM users WHERE id >= 100000 AND id < 200000 AND full_name <> 'anon'`)).toBe(0);
    },
    async afterContract(db) {
      expect(await column(db, 'users', 'name')).toBeUndefined();
      const c = await column(db, 'users', 'full_name');
      expect(c?.is_nullable).toBe('NO');
      expect(c?.column_default).toContain('anon');
      expect((await indexes(db, 'users')).map((i) => i.indexdef).join()).toContain('(full_name)');
      expect((await constraints(db, 'users')).some((k) => k.def.includes('length(full_name) < 100'))).toBe(true);
      await db.query(`INSERT INTO users (id) VALUES (999999)`);
      expect((await db.query(`SELECT full_name FROM users WHERE id = 999999`))[0]).toEqual({ full_name: 'anon' });
    },
    async afterRollback(db) {
      expect(await column(db, 'users', 'full_name')).toBeUndefined();
      expect((await column(db, 'users', 'name'))?.column_default).toContain('anon');
    },
  },
  {
    name: 'alterColumn int → bigint under a new name',
    setup: [`CREATE TABLE orders (id int PRIMARY KEY, amount int, note text)`, `INSERT INTO orders SELECT g, g * 10, 'n' FROM generate_series(1, ${SEED}) g`],
    operations: [{ alterColumn: { table: 'orders', column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: 'CAST(amount_big AS int)' } }],
    oldWrite: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount) VALUES ($1, $2)`, params: [100000 + i, i] } : { sql: `UPDATE orders SET amount = amount + 1 WHERE id = $1`, params: [1 + (i % SEED)] }),
    newWrite: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount_big) VALUES ($1, $2)`, params: [200000 + i, i * 7] } : { sql: `UPDATE orders SET amount_big = amount_big + 5 WHERE id = $1`, params: [3 + (i % SEED)] }),
    async afterExpand(db) {
      expect((await column(db, 'orders', 'amount_big'))?.data_type).toBe('bigint');
    },
    async afterBackfill(db) {
      expect(await count(db, `SELECT count(*) AS n FROM orders WHERE amount IS DISTINCT FROM amount_big`)).toBe(0);
    },
    async afterContract(db) {
      expect(await column(db, 'orders', 'amount')).toBeUndefined();
      expect(await count(db, `SELECT count(*) AS n FROM orders WHERE amount_big IS NULL AND id <= ${SEED}`)).toBe(0);
    },
    async afterRollback(db) {
      expect(await column(db, 'orders', 'amount_big')).toBeUndefined();
    },
  },
  {
    name: 'addColumn filled from up for old writers, NOT NULL and unique at contract',
    setup: [`CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL)`, `INSERT INTO accounts SELECT g, 'U' || g || '@X.com' FROM generate_series(1, ${SEED}) g`],
    operations: [{ addColumn: { table: 'accounts', column: { name: 'email_lower', type: 'text', nullable: false, unique: true }, up: 'lower(email)' } }],
    oldWrite: (i) => ({ sql: `INSERT INTO accounts (id, email) VALUES ($1, $2)`, params: [100000 + i, `Old${i}@X.com`] }),
    newWrite: (i) => ({ sql: `INSERT INTO accounts (id, email, email_lower) VALUES ($1, $2, $3)`, params: [200000 + i, `New${i}@X.com`, `new${i}@x.com`] }),
    async afterExpand(db) {
      expect((await column(db, 'accounts', 'email_lower'))?.is_nullable).toBe('YES');
    },
    async afterBackfill(db) {
      expect(await count(db, `SELECT count(*) AS n FROM accounts WHERE email_lower IS DISTINCT FROM lower(email)`)).toBe(0);
    },
    async afterContract(db) {
      expect((await column(db, 'accounts', 'email_lower'))?.is_nullable).toBe('NO');
      expect((await constraints(db, 'accounts')).some((k) => k.def.startsWith('UNIQUE (email_lower)'))).toBe(true);
      expect(await triggers(db)).toBe(0);
    },
    async afterRollback(db) {
      expect(await column(db, 'accounts', 'email_lower')).toBeUndefined();
    },
  },
  {
    name: 'dropColumn: new writers omit it, down fills it for old readers',
    setup: [`CREATE TABLE items (id int PRIMARY KEY, title text NOT NULL, legacy_code text NOT NULL)`, `INSERT INTO items SELECT g, 't' || g, 'L' || g FROM generate_series(1, ${SEED}) g`],
    operations: [{ dropColumn: { table: 'items', column: 'legacy_code', down: `'L-' || title` } }],
    backfills: false,
    oldWrite: (i) => ({ sql: `INSERT INTO items (id, title, legacy_code) VALUES ($1, 'o', 'OLD')`, params: [100000 + i] }),
    newWrite: (i) => ({ sql: `INSERT INTO items (id, title) VALUES ($1, $2)`, params: [200000 + i, `n${i}`] }),
    async afterExpand(db) {
      expect(await column(db, 'items', 'legacy_code')).toBeTruthy();
    },
    async afterBackfill(db) {
      expect(await count(db, `SELECT count(*) AS n FROM items WHERE id >= 200000 AND legacy_code <> 'L-' || title`)).toBe(0);
      expect(await count(db, `SELECT count(*) AS n FROM items WHERE id >= 100000 AND id < 200000 AND legacy_code <> 'OLD'`)).toBe(0);
    },
    async afterContract(db) {
      expect(await column(db, 'items', 'legacy_code')).toBeUndefined();
    },
    async afterRollback(db) {
      expect((await column(db, 'items', 'legacy_code'))?.is_nullable).toBe('NO');
      expect(await triggers(db)).toBe(0);
    },
  },
  {
    name: 'setNotNull with up on a composite-key table',
    setup: [`CREATE TABLE memberships (org int, member int, role text, PRIMARY KEY (org, member))`, `INSERT INTO memberships SELECT g % 7, g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'admin' END FROM generate_series(1, ${SEED}) g`],
    operations: [{ setNotNull: { table: 'memberships', column: 'role', up: `'member'` } }],
    oldWrite: (i) => ({ sql: `INSERT INTO memberships (org, member, role) VALUES (99, $1, NULL)`, params: [i] }),
    newWrite: (i) => ({ sql: `INSERT INTO memberships (org, member, role) VALUES (98, $1, 'owner')`, params: [i] }),
    async afterExpand(db) {
      expect(await count(db, `SELECT count(*) AS n FROM memberships WHERE role IS NULL`)).toBeGreaterThan(0);
    },
    async afterBackfill(db) {
      expect(await count(db, `SELECT count(*) AS n FROM memberships WHERE role IS NULL`)).toBe(0);
      expect(await count(db, `SELECT count(*) AS n FROM memberships WHERE org = 98 AND role <> 'owner'`)).toBe(0);
    },
    async afterContract(db) {
      expect((await column(db, 'memberships', 'role'))?.is_nullable).toBe('NO');
      expect(await triggers(db)).toBe(0);
    },
    async afterRollback(db) {
      expect((await column(db, 'memberships', 'role'))?.is_nullable).toBe('YES');
      expect(await triggers(db)).toBe(0);
      expect(await constraints(db, 'memberships')).toHaveLength(1);
    },
  },
];

async function prepare(c: Case): Promise<{ db: TestDb; dir: string }> {
  const db = await createPgDatabase('xc_life');
  for (const sql of c.setup) await db.query(sql);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-life-'));
  await writeFile(path.join(dir, '0001_change.json'), JSON.stringify({ description: c.name, operations: c.operations }));
  return { db, dir };
}

describePg('column operations through their whole lifecycle (PostgreSQL)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  for (const c of cases) {
    it(`${c.name}: expand, both versions writing, backfill, contract`, async () => {
      const { db, dir } = await prepare(c);
      const xc = createXc({ url: db.url, dir, batchSize: 100, batchDelayMs: 5 });
      cleanup.push(() => xc.close(), () => db.drop());

      await xc.apply({ to: 'expand' });
      await c.afterExpand(db);
      expect((await xc.status()).migrations[0]!.phase).toBe('dual_write');

      const oldWriter = new Writer(await db.client(), c.oldWrite).start();
      const newWriter = new Writer(await db.client(), c.newWrite).start();
      await xc.apply();
      await new Promise((r) => setTimeout(r, 100));
      await oldWriter.stop();
      expect(oldWriter.errors).toEqual([]);
      expect(oldWriter.writes).toBeGreaterThan(0);
      await c.afterBackfill(db);
      const status = (await xc.status()).migrations[0]!;
      expect(status.phase).toBe('backfilled');
      if (c.backfills !== false) expect(status.backfill.done).toBeGreaterThanOrEqual(SEED);

      await xc.deploy.record({ app: 'shop', version: 'v2' });
      await xc.contract();
      await newWriter.stop();
      expect(newWriter.errors).toEqual([]);
      expect(newWriter.writes).toBeGreaterThan(0);
      await c.afterContract(db);
      expect((await xc.status()).migrations[0]!.phase).toBe('contracted');
      const events = await db.query<{ event: string }>(`SELECT event FROM xc.events ORDER BY id`);
      expect(events.map((e) => e.event)).toEqual(['expanding', 'dual_write', 'backfilling', 'backfilled', 'deploy_record', 'contracting', 'contracted']);
    });

    it(`${c.name}: rollback after backfill restores the old shape`, async () => {
      const { db, dir } = await prepare(c);
      const xc = createXc({ url: db.url, dir });
      cleanup.push(() => xc.close(), () => db.drop());
      const before = await db.query(`SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public'`);
      await xc.apply();
      await xc.rollback();
      await c.afterRollback(db);
      expect((await xc.status()).migrations[0]!.phase).toBe('rolled_back');
      expect(await db.query(`SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public'`)).toEqual(before);
      // Applying again after a rollback works.
      await xc.apply({ to: 'expand' });
      expect((await xc.status()).migrations[0]!.phase).toBe('dual_write');
    });
  }
});
