/**
 * Table-driven lifecycle tests, one suite for every dialect: for each column
 * operation, expand; then an old-version and a new-version writer running
 * side by side through dual-write and backfill; then contract with the new
 * writer still running; and separately rollback. Schema and data are
 * asserted after each phase; no writer may see an error.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer, type Query } from '../helpers/writers.js';

interface Case {
  name: string;
  setup: (db: Db) => Promise<void>;
  /** One migration file per entry. */
  migrations: unknown[][];
  backfills?: boolean;
  oldWrite: (i: number) => Query;
  newWrite: (i: number) => Query;
  afterExpand(db: Db): Promise<void>;
  afterBackfill(db: Db): Promise<void>;
  afterContract(db: Db): Promise<void>;
  afterRollback(db: Db): Promise<void>;
}

const SEED = 3000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const col = async (db: Db, table: string, name: string) => (await db.columns(table)).find((c) => c.name === name);
const castInt = { postgres: 'CAST(amount_big AS int)', mysql: 'CAST(amount_big AS SIGNED)' };

const cases: Case[] = [
  {
    name: 'renameColumn carries NOT NULL, default, index and check over',
    async setup(db) {
      await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100) NOT NULL DEFAULT 'anon', age int, CONSTRAINT users_name_len CHECK (length(name) < 100))`);
      await db.query(`CREATE INDEX users_name_idx ON users (name)`);
      await db.seed('users', ['id', 'name', 'age'], range(SEED).map((g) => [g, `user${g}`, g % 90]));
    },
    migrations: [[{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }]],
    oldWrite: (i) => (i % 3 === 0 ? { sql: `INSERT INTO users (id, age) VALUES (?, 1)`, params: [100000 + i] } : i % 3 === 1 ? { sql: `INSERT INTO users (id, name) VALUES (?, ?)`, params: [200000 + i, `old${i}`] } : { sql: `UPDATE users SET name = ? WHERE id = ?`, params: [`old-upd${i}`, 1 + (i % SEED)] }),
    newWrite: (i) => (i % 2 === 0 ? { sql: `INSERT INTO users (id, full_name) VALUES (?, ?)`, params: [300000 + i, `new${i}`] } : { sql: `UPDATE users SET full_name = ? WHERE id = ?`, params: [`new-upd${i}`, 2 + (i % SEED)] }),
    async afterExpand(db) {
      expect(await col(db, 'users', 'full_name')).toBeTruthy();
      expect((await db.indexes('users')).some((i) => i.columns.includes('full_name'))).toBe(true);
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM users WHERE name <> full_name OR full_name IS NULL`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM users WHERE id >= 100000 AND id < 200000 AND full_name <> 'anon'`)).toBe(0);
    },
    async afterContract(db) {
      expect(await col(db, 'users', 'name')).toBeUndefined();
      const c = await col(db, 'users', 'full_name');
      expect(c?.nullable).toBe(false);
      expect(c?.default).toContain('anon');
      // Carried over under the names they had (as PostgreSQL's own RENAME COLUMN keeps them).
      expect((await db.indexes('users')).filter((i) => i.columns.join() === 'full_name').map((i) => i.name)).toEqual(['users_name_idx']);
      expect((await db.checks('users')).some((k) => k.includes('full_name') && k.includes('100') && (db.dialect === 'postgres' || k.includes('users_name_len')))).toBe(true);
      await db.query(`INSERT INTO users (id) VALUES (999999)`);
      expect(await db.query(`SELECT full_name FROM users WHERE id = 999999`)).toEqual([{ full_name: 'anon' }]);
    },
    async afterRollback(db) {
      expect(await col(db, 'users', 'full_name')).toBeUndefined();
      expect((await col(db, 'users', 'name'))?.default).toContain('anon');
    },
  },
  {
    name: 'alterColumn int → bigint under a new name',
    async setup(db) {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount int, note varchar(20))`);
      await db.seed('orders', ['id', 'amount', 'note'], range(SEED).map((g) => [g, g * 10, 'n']));
    },
    migrations: [[{ alterColumn: { table: 'orders', column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: castInt } }]],
    oldWrite: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount) VALUES (?, ?)`, params: [100000 + i, i] } : { sql: `UPDATE orders SET amount = amount + 1 WHERE id = ?`, params: [1 + (i % SEED)] }),
    newWrite: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount_big) VALUES (?, ?)`, params: [200000 + i, i * 7] } : { sql: `UPDATE orders SET amount_big = amount_big + 5 WHERE id = ?`, params: [3 + (i % SEED)] }),
    async afterExpand(db) {
      expect((await col(db, 'orders', 'amount_big'))?.type).toBe('bigint');
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM orders WHERE amount <> amount_big OR amount_big IS NULL`)).toBe(0);
    },
    async afterContract(db) {
      expect(await col(db, 'orders', 'amount')).toBeUndefined();
      expect(await db.count(`SELECT count(*) FROM orders WHERE amount_big IS NULL AND id <= ${SEED}`)).toBe(0);
    },
    async afterRollback(db) {
      expect(await col(db, 'orders', 'amount_big')).toBeUndefined();
    },
  },
  {
    name: 'addColumn filled from up for old writers, NOT NULL and unique at contract',
    async setup(db) {
      await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, email varchar(200) NOT NULL)`);
      await db.seed('accounts', ['id', 'email'], range(SEED).map((g) => [g, `U${g}@X.com`]));
    },
    migrations: [[{ addColumn: { table: 'accounts', column: { name: 'email_lower', type: 'varchar(200)', nullable: false, unique: true }, up: 'lower(email)' } }]],
    oldWrite: (i) => ({ sql: `INSERT INTO accounts (id, email) VALUES (?, ?)`, params: [100000 + i, `Old${i}@X.com`] }),
    newWrite: (i) => ({ sql: `INSERT INTO accounts (id, email, email_lower) VALUES (?, ?, ?)`, params: [200000 + i, `New${i}@X.com`, `new${i}@x.com`] }),
    async afterExpand(db) {
      expect((await col(db, 'accounts', 'email_lower'))?.nullable).toBe(true);
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM accounts WHERE email_lower IS NULL OR email_lower <> lower(email)`)).toBe(0);
    },
    async afterContract(db) {
      expect((await col(db, 'accounts', 'email_lower'))?.nullable).toBe(false);
      expect((await db.indexes('accounts')).some((i) => i.unique && i.columns.join() === 'email_lower')).toBe(true);
      expect(await db.triggers()).toEqual([]);
    },
    async afterRollback(db) {
      expect(await col(db, 'accounts', 'email_lower')).toBeUndefined();
    },
  },
  {
    name: 'dropColumn: new writers omit it, down fills it for old readers',
    async setup(db) {
      await db.query(`CREATE TABLE items (id int PRIMARY KEY, title varchar(50) NOT NULL, legacy_code varchar(60) NOT NULL)`);
      await db.seed('items', ['id', 'title', 'legacy_code'], range(SEED).map((g) => [g, `t${g}`, `L${g}`]));
    },
    migrations: [[{ dropColumn: { table: 'items', column: 'legacy_code', down: `CONCAT('L-', title)` } }]],
    backfills: false,
    oldWrite: (i) => ({ sql: `INSERT INTO items (id, title, legacy_code) VALUES (?, 'o', 'OLD')`, params: [100000 + i] }),
    newWrite: (i) => ({ sql: `INSERT INTO items (id, title) VALUES (?, ?)`, params: [200000 + i, `n${i}`] }),
    async afterExpand(db) {
      expect(await col(db, 'items', 'legacy_code')).toBeTruthy();
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM items WHERE id >= 200000 AND legacy_code <> CONCAT('L-', title)`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM items WHERE id >= 100000 AND id < 200000 AND legacy_code <> 'OLD'`)).toBe(0);
    },
    async afterContract(db) {
      expect(await col(db, 'items', 'legacy_code')).toBeUndefined();
    },
    async afterRollback(db) {
      expect((await col(db, 'items', 'legacy_code'))?.nullable).toBe(false);
      expect(await db.triggers()).toEqual([]);
    },
  },
  {
    name: 'setNotNull with up on a composite-key table',
    async setup(db) {
      await db.query(`CREATE TABLE memberships (org int, member int, role varchar(20), PRIMARY KEY (org, member))`);
      await db.seed('memberships', ['org', 'member', 'role'], range(SEED).map((g) => [g % 7, g, g % 3 === 0 ? null : 'admin']));
    },
    migrations: [[{ setNotNull: { table: 'memberships', column: 'role', up: `'member'` } }]],
    oldWrite: (i) => ({ sql: `INSERT INTO memberships (org, member, role) VALUES (99, ?, NULL)`, params: [i] }),
    newWrite: (i) => ({ sql: `INSERT INTO memberships (org, member, role) VALUES (98, ?, 'owner')`, params: [i] }),
    async afterExpand(db) {
      expect(await db.count(`SELECT count(*) FROM memberships WHERE role IS NULL`)).toBeGreaterThan(0);
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM memberships WHERE role IS NULL`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM memberships WHERE org = 98 AND role <> 'owner'`)).toBe(0);
    },
    async afterContract(db) {
      expect((await col(db, 'memberships', 'role'))?.nullable).toBe(false);
      expect(await db.triggers()).toEqual([]);
    },
    async afterRollback(db) {
      expect((await col(db, 'memberships', 'role'))?.nullable).toBe(true);
      expect(await db.triggers()).toEqual([]);
      expect(await db.checks('memberships')).toEqual([]);
    },
  },
  {
    name: 'two migrations in flight on one table: each backfill leaves the other trigger firing',
    async setup(db) {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount int, status varchar(20))`);
      await db.seed('orders', ['id', 'amount', 'status'], range(SEED).map((g) => [g, g, g % 2 ? null : 'paid']));
    },
    migrations: [
      [{ setNotNull: { table: 'orders', column: 'status', up: `'new'` } }],
      [{ alterColumn: { table: 'orders', column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: castInt } }],
    ],
    oldWrite: (i) => ({ sql: `INSERT INTO orders (id, amount) VALUES (?, ?)`, params: [100000 + i, i] }),
    newWrite: (i) => ({ sql: `INSERT INTO orders (id, amount_big, status) VALUES (?, ?, 'paid')`, params: [200000 + i, i] }),
    async afterExpand(db) {
      expect(await db.triggers()).not.toEqual([]);
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM orders WHERE status IS NULL OR amount_big IS NULL OR amount <> amount_big`)).toBe(0);
    },
    async afterContract(db) {
      expect((await col(db, 'orders', 'status'))?.nullable).toBe(false);
      expect(await col(db, 'orders', 'amount')).toBeUndefined();
    },
    async afterRollback(db) {
      expect(await col(db, 'orders', 'amount_big')).toBeUndefined();
      expect((await col(db, 'orders', 'status'))?.nullable).toBe(true);
    },
  },
  {
    name: 'renameTable: old code keeps using the old name',
    async setup(db) {
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
      await db.seed('users', ['id', 'name'], range(SEED).map((g) => [g, `u${g}`]));
    },
    migrations: [[{ renameTable: { from: 'users', to: 'people' } }]],
    backfills: false,
    oldWrite: (i) => (i % 2 ? { sql: `INSERT INTO users (id, name) VALUES (?, 'old')`, params: [100000 + i] } : { sql: `UPDATE users SET name = 'old-upd' WHERE id = ?`, params: [1 + (i % SEED)] }),
    newWrite: (i) => ({ sql: `INSERT INTO people (id, name) VALUES (?, 'new')`, params: [200000 + i] }),
    async afterExpand(db) {
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(SEED);
      expect(await db.count(`SELECT count(*) FROM people`)).toBe(SEED);
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM people WHERE name = 'old'`)).toBeGreaterThan(0);
      expect(await db.count(`SELECT count(*) FROM users WHERE name = 'new'`)).toBeGreaterThan(0);
    },
    async afterContract(db) {
      await expect(db.query(`SELECT count(*) FROM users`)).rejects.toThrow();
      expect(await db.count(`SELECT count(*) FROM people WHERE id <= ${SEED}`)).toBe(SEED);
    },
    async afterRollback(db) {
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(SEED);
      await expect(db.query(`SELECT count(*) FROM people`)).rejects.toThrow();
    },
  },
  {
    name: 'addIndex (unique) built without blocking writers',
    async setup(db) {
      await db.query(`CREATE TABLE tags (id int PRIMARY KEY, slug varchar(50) NOT NULL)`);
      await db.seed('tags', ['id', 'slug'], range(SEED).map((g) => [g, `s${g}`]));
    },
    migrations: [[{ addIndex: { table: 'tags', columns: ['slug'], unique: true, name: 'tags_slug_key' } }]],
    backfills: false,
    oldWrite: (i) => ({ sql: `INSERT INTO tags (id, slug) VALUES (?, ?)`, params: [100000 + i, `old${i}`] }),
    newWrite: (i) => ({ sql: `UPDATE tags SET slug = ? WHERE id = ?`, params: [`new${i}`, 1 + (i % SEED)] }),
    async afterExpand(db) {
      expect((await db.indexes('tags')).find((i) => i.name === 'tags_slug_key')).toMatchObject({ unique: true, columns: ['slug'] });
    },
    async afterBackfill(db) {
      await expect(db.query(`INSERT INTO tags (id, slug) VALUES (999999, 'old1')`)).rejects.toThrow();
    },
    async afterContract(db) {
      expect((await db.indexes('tags')).some((i) => i.name === 'tags_slug_key')).toBe(true);
    },
    async afterRollback(db) {
      expect(await db.indexes('tags')).toEqual([]);
    },
  },
  {
    name: 'addForeignKey and addCheck: enforced for new writes at once, validated at contract',
    async setup(db) {
      await db.query(`CREATE TABLE owners (id int PRIMARY KEY)`);
      await db.query(`CREATE TABLE pets (id int PRIMARY KEY, owner_id int, legs int)`);
      await db.seed('owners', ['id'], range(100).map((g) => [g]));
      await db.seed('pets', ['id', 'owner_id', 'legs'], range(SEED).map((g) => [g, 1 + (g % 100), 4]));
    },
    migrations: [[
      { addForeignKey: { table: 'pets', columns: ['owner_id'], references: { table: 'owners', columns: ['id'] }, name: 'pets_owner_fk' } },
      { addCheck: { table: 'pets', name: 'pets_legs_check', expression: 'legs >= 0' } },
    ]],
    backfills: false,
    oldWrite: (i) => ({ sql: `INSERT INTO pets (id, owner_id, legs) VALUES (?, ?, 2)`, params: [100000 + i, 1 + (i % 100)] }),
    newWrite: (i) => ({ sql: `UPDATE pets SET legs = ? WHERE id = ?`, params: [i % 5, 1 + (i % SEED)] }),
    async afterExpand(db) {
      await expect(db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999999, 5000, 1)`)).rejects.toThrow();
      await expect(db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999998, 1, -1)`)).rejects.toThrow();
    },
    async afterBackfill() {},
    async afterContract(db) {
      expect((await db.checks('pets')).some((c) => c.includes('legs'))).toBe(true);
      await expect(db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999999, 5000, 1)`)).rejects.toThrow();
    },
    async afterRollback(db) {
      expect(await db.checks('pets')).toEqual([]);
      await db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999999, 5000, -1)`);
      // Applying again would now be refused at plan time, naming this row; without it, it goes through.
      await db.query(`DELETE FROM pets WHERE id = 999999`);
    },
  },
  {
    name: 'createTable, dropTable, dropIndex, dropConstraint',
    async setup(db) {
      await db.query(`CREATE TABLE legacy (id int PRIMARY KEY, note varchar(20))`);
      await db.query(`CREATE TABLE events (id int PRIMARY KEY, kind varchar(20), CONSTRAINT events_kind_check CHECK (kind <> ''))`);
      await db.query(`CREATE INDEX events_kind_idx ON events (kind)`);
      await db.seed('events', ['id', 'kind'], range(SEED).map((g) => [g, `k${g % 5}`]));
    },
    migrations: [[
      { createTable: { table: 'audit', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'what', type: 'varchar(50)', nullable: false }] } },
      { dropTable: { table: 'legacy' } },
      { dropIndex: { table: 'events', name: 'events_kind_idx' } },
      { dropConstraint: { table: 'events', name: 'events_kind_check' } },
    ]],
    backfills: false,
    oldWrite: (i) => ({ sql: `INSERT INTO legacy (id, note) VALUES (?, 'old')`, params: [i] }),
    newWrite: (i) => ({ sql: `INSERT INTO audit (id, what) VALUES (?, 'new')`, params: [i] }),
    async afterExpand(db) {
      expect(await db.columns('audit')).toHaveLength(2);
      expect(await db.columns('legacy')).toHaveLength(2);
      expect((await db.indexes('events')).some((i) => i.name === 'events_kind_idx')).toBe(true);
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM legacy`)).toBeGreaterThan(0);
    },
    async afterContract(db) {
      expect(await db.columns('legacy')).toEqual([]);
      expect((await db.indexes('events')).some((i) => i.name === 'events_kind_idx')).toBe(false);
      expect(await db.checks('events')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM audit`)).toBeGreaterThan(0);
    },
    async afterRollback(db) {
      expect(await db.columns('audit')).toEqual([]);
      expect(await db.columns('legacy')).toHaveLength(2);
    },
  },
  {
    name: 'sql with a backfill',
    async setup(db) {
      await db.query(`CREATE TABLE scores (id int PRIMARY KEY, v int NOT NULL)`);
      await db.seed('scores', ['id', 'v'], range(SEED).map((g) => [g, g]));
    },
    migrations: [[{ sql: { expand: 'ALTER TABLE scores ADD COLUMN doubled int', rollback: 'ALTER TABLE scores DROP COLUMN doubled', backfill: { table: 'scores', set: { doubled: 'v * 2' }, where: 'doubled IS NULL' } } }]],
    oldWrite: (i) => ({ sql: `UPDATE scores SET v = v + 1 WHERE id = ?`, params: [1 + (i % SEED)] }),
    newWrite: (i) => ({ sql: `INSERT INTO scores (id, v, doubled) VALUES (?, 1, 2)`, params: [100000 + i] }),
    async afterExpand(db) {
      expect(await col(db, 'scores', 'doubled')).toBeTruthy();
    },
    async afterBackfill(db) {
      expect(await db.count(`SELECT count(*) FROM scores WHERE doubled IS NULL`)).toBe(0);
    },
    async afterContract(db) {
      expect(await col(db, 'scores', 'doubled')).toBeTruthy();
    },
    async afterRollback(db) {
      expect(await col(db, 'scores', 'doubled')).toBeUndefined();
    },
  },
];

async function prepare(target: (typeof targets)[number], c: Case): Promise<{ db: Db; dir: string }> {
  const db = await target.create('xc_life');
  await c.setup(db);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-life-'));
  for (const [n, operations] of c.migrations.entries()) {
    await writeFile(path.join(dir, `000${n + 1}_change.json`), JSON.stringify({ description: c.name, operations }));
  }
  return { db, dir };
}

for (const target of targets) {
  target.describe(`column operations through their whole lifecycle (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    for (const c of cases) {
      it(`${c.name}: expand, both versions writing, backfill, contract`, async () => {
        const { db, dir } = await prepare(target, c);
        const xc = createXc({ url: db.url, dir, batchSize: 100, batchDelayMs: 5 });
        cleanup.push(() => db.drop(), () => xc.close());

        await xc.apply({ to: 'expand' });
        await c.afterExpand(db);
        expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(c.migrations.map(() => 'dual_write'));

        const oldWriter = new Writer(await db.connection(), c.oldWrite).start();
        const newWriter = new Writer(await db.connection(), c.newWrite).start();
        await xc.apply();
        await new Promise((r) => setTimeout(r, 100));
        await oldWriter.stop();
        expect(oldWriter.errors).toEqual([]);
        expect(oldWriter.writes).toBeGreaterThan(0);
        await c.afterBackfill(db);
        const status = await xc.status();
        expect(status.migrations.map((m) => m.phase)).toEqual(c.migrations.map(() => 'backfilled'));
        if (c.backfills !== false) expect(status.migrations.at(-1)!.backfill.done).toBeGreaterThanOrEqual(SEED);

        await xc.deploy.record({ app: 'shop', version: 'v2' });
        await xc.contract();
        await newWriter.stop();
        expect(newWriter.errors).toEqual([]);
        expect(newWriter.writes).toBeGreaterThan(0);
        await c.afterContract(db);
        expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(c.migrations.map(() => 'contracted'));
      });

      it(`${c.name}: rollback after backfill restores the old shape`, async () => {
        const { db, dir } = await prepare(target, c);
        const xc = createXc({ url: db.url, dir });
        cleanup.push(() => db.drop(), () => xc.close());
        const tables = [...new Set(c.migrations.flat().flatMap((op) => Object.values(op as Record<string, { table?: string; from?: string }>).map((o) => o.table ?? o.from ?? '')))].filter(Boolean);
        const before = await Promise.all(tables.map((t) => db.columns(t)));
        await xc.apply();
        await xc.rollback({ id: '0001_change' });
        await c.afterRollback(db);
        expect((await xc.status()).migrations.every((m) => m.phase === 'rolled_back')).toBe(true);
        expect(await Promise.all(tables.map((t) => db.columns(t)))).toEqual(before);
        // Applying again after a rollback works.
        await xc.apply({ to: 'expand' });
        expect((await xc.status()).migrations.every((m) => m.phase === 'dual_write')).toBe(true);
      });
    }
  });
}
