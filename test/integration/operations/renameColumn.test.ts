/** renameColumn: `to` added at expand and kept equal to `from` both ways, backfilled; `from` dropped at contract, `to` at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, foreignKeys, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';

const names = async (db: Parameters<typeof column>[0], table: string) => (await db.columns(table)).map((c) => c.name);

describeOperation('renameColumn', [
  {
    name: 'carries NOT NULL, default, index and check over',
    async setup(db) {
      await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100) NOT NULL DEFAULT 'anon', age int, CONSTRAINT users_name_len CHECK (length(name) < 100))`);
      await db.query(`CREATE INDEX users_name_idx ON users (name)`);
      await db.seed('users', ['id', 'name', 'age'], range(SOAK_ROWS).map((g) => [g, `user${g}`, g % 90]));
    },
    operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => (i % 3 === 0 ? { sql: `INSERT INTO users (id, age) VALUES (?, 1)`, params: [100000 + i] } : i % 3 === 1 ? { sql: `INSERT INTO users (id, name) VALUES (?, ?)`, params: [200000 + i, `old${i}`] } : { sql: `UPDATE users SET name = ? WHERE id = ?`, params: [`old-upd${i}`, 1 + (i % SOAK_ROWS)] }),
      new: (i) => (i % 2 === 0 ? { sql: `INSERT INTO users (id, full_name) VALUES (?, ?)`, params: [300000 + i, `new${i}`] } : { sql: `UPDATE users SET full_name = ? WHERE id = ?`, params: [`new-upd${i}`, 2 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect(await column(db, 'users', 'full_name')).toBeTruthy();
      expect((await db.indexes('users')).some((i) => i.columns.includes('full_name'))).toBe(true);
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM users WHERE name <> full_name OR full_name IS NULL`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM users WHERE id >= 100000 AND id < 200000 AND full_name <> 'anon'`)).toBe(0);
    },
    async afterComplete(db) {
      expect(await column(db, 'users', 'name')).toBeUndefined();
      const c = await column(db, 'users', 'full_name');
      expect(c?.nullable).toBe(false);
      expect(c?.default).toContain('anon');
      // Carried over under the names they had (as PostgreSQL's own RENAME COLUMN keeps them).
      expect((await db.indexes('users')).filter((i) => i.columns.join() === 'full_name').map((i) => i.name)).toEqual(['users_name_idx']);
      expect((await db.checks('users')).some((k) => k.includes('full_name') && k.includes('100') && (db.dialect === 'postgres' || k.includes('users_name_len')))).toBe(true);
      await db.query(`INSERT INTO users (id) VALUES (999999)`);
      expect(await db.query(`SELECT full_name FROM users WHERE id = 999999`)).toEqual([{ full_name: 'anon' }]);
    },
    async afterRollback(db) {
      expect(await column(db, 'users', 'full_name')).toBeUndefined();
      expect((await column(db, 'users', 'name'))?.default).toContain('anon');
    },
  },
  {
    name: 'a nullable column: each version reads what the other wrote, NULLs included',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`, `INSERT INTO users VALUES (1, 'ann'), (2, NULL), (3, 'cy')`],
    operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }],
    writes: {
      old: [`INSERT INTO users (id, name) VALUES (4, 'old')`, `UPDATE users SET name = 'ann-old' WHERE id = 1`, `UPDATE users SET name = NULL WHERE id = 3`],
      new: [`INSERT INTO users (id, full_name) VALUES (5, 'new')`, `UPDATE users SET full_name = 'bob-new' WHERE id = 2`],
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, name, full_name FROM users ORDER BY id`)).toEqual([
        { id: '1', name: 'ann-old', full_name: 'ann-old' },
        { id: '2', name: 'bob-new', full_name: 'bob-new' },
        { id: '3', name: null, full_name: null },
        { id: '4', name: 'old', full_name: 'old' },
        { id: '5', name: 'new', full_name: 'new' },
      ]);
      // Still in step both ways after the backfill.
      await db.query(`UPDATE users SET name = 'cy-old' WHERE id = 3`);
      await db.query(`INSERT INTO users (id, full_name) VALUES (6, 'new2')`);
      expect(await rows(db, `SELECT id, name, full_name FROM users WHERE id IN (3, 6) ORDER BY id`)).toEqual([
        { id: '3', name: 'cy-old', full_name: 'cy-old' },
        { id: '6', name: 'new2', full_name: 'new2' },
      ]);
    },
    async afterComplete(db) {
      expect(await names(db, 'users')).toEqual(['id', 'full_name']);
      expect(await rows(db, `SELECT id, full_name FROM users ORDER BY id`)).toEqual([
        { id: '1', full_name: 'ann-old' },
        { id: '2', full_name: 'bob-new' },
        { id: '3', full_name: 'cy-old' },
        { id: '4', full_name: 'old' },
        { id: '5', full_name: 'new' },
        { id: '6', full_name: 'new2' },
      ]);
      expect((await column(db, 'users', 'full_name'))?.nullable).toBe(true);
      await rejects(db, `INSERT INTO users (id, name) VALUES (7, 'old')`);
    },
    async afterRollback(db) {
      expect(await names(db, 'users')).toEqual(['id', 'name']);
      // What the new version wrote stays, under the old name.
      expect(await rows(db, `SELECT id, name FROM users ORDER BY id`)).toEqual([
        { id: '1', name: 'ann-old' },
        { id: '2', name: 'bob-new' },
        { id: '3', name: null },
        { id: '4', name: 'old' },
        { id: '5', name: 'new' },
      ]);
    },
  },
  {
    name: 'a foreign key column: the key comes over to the new name',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_ref int, CONSTRAINT orders_user_fk FOREIGN KEY (user_ref) REFERENCES users (id))`,
      `INSERT INTO users VALUES (1), (2)`,
      `INSERT INTO orders VALUES (10, 1), (11, NULL)`,
    ],
    operations: [{ renameColumn: { table: 'orders', from: 'user_ref', to: 'user_id' } }],
    writes: { old: [`INSERT INTO orders (id, user_ref) VALUES (12, 2)`], new: [`INSERT INTO orders (id, user_id) VALUES (13, 1)`, `UPDATE orders SET user_id = 2 WHERE id = 11`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, user_ref, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_ref: '1', user_id: '1' },
        { id: '11', user_ref: '2', user_id: '2' },
        { id: '12', user_ref: '2', user_id: '2' },
        { id: '13', user_ref: '1', user_id: '1' },
      ]);
      // The old column's key still holds for either version's writes.
      await rejects(db, `INSERT INTO orders (id, user_ref) VALUES (14, 9)`);
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (15, 9)`);
    },
    async afterComplete(db) {
      expect((await foreignKeys(db, 'orders')).join()).toMatch(/FOREIGN KEY \(user_id\) REFERENCES "?users"?\s?\(id\)/);
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (14, 9)`);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1' },
        { id: '11', user_id: '2' },
        { id: '12', user_id: '2' },
        { id: '13', user_id: '1' },
      ]);
    },
    async afterRollback(db) {
      expect(await names(db, 'orders')).toEqual(['id', 'user_ref']);
      expect(await rows(db, `SELECT id, user_ref FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_ref: '1' },
        { id: '11', user_ref: '2' },
        { id: '12', user_ref: '2' },
        { id: '13', user_ref: '1' },
      ]);
    },
  },
]);
