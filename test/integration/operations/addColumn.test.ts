/** addColumn: added nullable at expand, filled from `up` for the old version's writes and backfilled; NOT NULL, default and unique enforced at contract; dropped at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';


describeOperation('addColumn', [
  {
    name: 'filled from up for old writers, NOT NULL and unique at contract',
    async setup(db) {
      await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, email varchar(200) NOT NULL)`);
      await db.seed('accounts', ['id', 'email'], range(SOAK_ROWS).map((g) => [g, `U${g}@X.com`]));
    },
    operations: [{ addColumn: { table: 'accounts', column: { name: 'email_lower', type: 'varchar(200)', nullable: false, unique: true }, up: 'lower(email)' } }],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => ({ sql: `INSERT INTO accounts (id, email) VALUES (?, ?)`, params: [100000 + i, `Old${i}@X.com`] }),
      new: (i) => ({ sql: `INSERT INTO accounts (id, email, email_lower) VALUES (?, ?, ?)`, params: [200000 + i, `New${i}@X.com`, `new${i}@x.com`] }),
    },
    async afterExpand(db) {
      expect((await column(db, 'accounts', 'email_lower'))?.nullable).toBe(true);
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM accounts WHERE email_lower IS NULL OR email_lower <> lower(email)`)).toBe(0);
    },
    async afterComplete(db) {
      expect((await column(db, 'accounts', 'email_lower'))?.nullable).toBe(false);
      expect((await db.indexes('accounts')).some((i) => i.unique && i.columns.join() === 'email_lower')).toBe(true);
      expect(await db.triggers()).toEqual([]);
    },
    async afterRollback(db) {
      expect(await column(db, 'accounts', 'email_lower')).toBeUndefined();
    },
  },
  {
    name: 'nullable with a constant default: existing rows and the old version\'s inserts read it',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`],
    operations: [{ addColumn: { table: 'users', column: { name: 'status', type: 'varchar(10)', default: `'active'` } } }],
    writes: { old: [`INSERT INTO users (id, name) VALUES (3, 'old')`], new: [`INSERT INTO users (id, name, status) VALUES (4, 'new', 'vip')`, `UPDATE users SET status = NULL WHERE id = 2`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, status FROM users ORDER BY id`)).toEqual([
        { id: '1', status: 'active' },
        { id: '2', status: null },
        { id: '3', status: 'active' },
        { id: '4', status: 'vip' },
      ]);
    },
    async afterComplete(db) {
      const c = await column(db, 'users', 'status');
      expect(c?.nullable).toBe(true);
      expect(c?.default).toContain('active');
      await db.query(`INSERT INTO users (id) VALUES (5)`);
      expect(await rows(db, `SELECT id, status FROM users WHERE id IN (2, 5) ORDER BY id`)).toEqual([
        { id: '2', status: null },
        { id: '5', status: 'active' },
      ]);
    },
    async afterRollback(db) {
      expect(await column(db, 'users', 'status')).toBeUndefined();
      expect(await rows(db, `SELECT id, name FROM users ORDER BY id`)).toEqual([
        { id: '1', name: 'ann' },
        { id: '2', name: 'bob' },
        { id: '3', name: 'old' },
        { id: '4', name: 'new' },
      ]);
    },
  },
  {
    name: 'NOT NULL with a default and no up: the old version omits it and gets the default',
    setup: [`CREATE TABLE items (id int PRIMARY KEY)`, `INSERT INTO items VALUES (1), (2)`],
    operations: [{ addColumn: { table: 'items', column: { name: 'qty', type: 'int', nullable: false, default: '0' } } }],
    writes: { old: [`INSERT INTO items (id) VALUES (3)`], new: [`INSERT INTO items (id, qty) VALUES (4, 7)`, `UPDATE items SET qty = 5 WHERE id = 1`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, qty FROM items ORDER BY id`)).toEqual([
        { id: '1', qty: '5' },
        { id: '2', qty: '0' },
        { id: '3', qty: '0' },
        { id: '4', qty: '7' },
      ]);
    },
    async afterComplete(db) {
      expect((await column(db, 'items', 'qty'))?.nullable).toBe(false);
      await rejects(db, `INSERT INTO items (id, qty) VALUES (5, NULL)`);
      await db.query(`INSERT INTO items (id) VALUES (6)`);
      expect(await rows(db, `SELECT qty FROM items WHERE id = 6`)).toEqual([{ qty: '0' }]);
    },
    async afterRollback(db) {
      expect(await column(db, 'items', 'qty')).toBeUndefined();
      expect(await db.count(`SELECT count(*) FROM items`)).toBe(4);
    },
  },
  {
    name: 'derived from other columns by up: an old version\'s update computes it again',
    setup: [`CREATE TABLE people (id int PRIMARY KEY, first varchar(20) NOT NULL, last varchar(20) NOT NULL)`, `INSERT INTO people VALUES (1, 'Ann', 'Lee'), (2, 'Bob', 'Ray')`],
    operations: [{ addColumn: { table: 'people', column: { name: 'full_name', type: 'varchar(50)', nullable: false }, up: `CONCAT(first, ' ', last)` } }],
    writes: {
      old: [`INSERT INTO people (id, first, last) VALUES (3, 'Cy', 'Old')`, `UPDATE people SET last = 'Moe' WHERE id = 1`],
      new: [`INSERT INTO people (id, first, last, full_name) VALUES (4, 'Di', 'New', 'Dr Di New')`],
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, full_name FROM people ORDER BY id`)).toEqual([
        { id: '1', full_name: 'Ann Moe' },
        { id: '2', full_name: 'Bob Ray' },
        { id: '3', full_name: 'Cy Old' },
        { id: '4', full_name: 'Dr Di New' },
      ]);
      await db.query(`UPDATE people SET first = 'Bo' WHERE id = 2`);
      expect(await rows(db, `SELECT full_name FROM people WHERE id = 2`)).toEqual([{ full_name: 'Bo Ray' }]);
    },
    async afterComplete(db) {
      expect((await column(db, 'people', 'full_name'))?.nullable).toBe(false);
      // The new version owns it now: no trigger computes it any more.
      await db.query(`UPDATE people SET first = 'Al' WHERE id = 1`);
      expect(await rows(db, `SELECT full_name FROM people WHERE id = 1`)).toEqual([{ full_name: 'Ann Moe' }]);
      await rejects(db, `INSERT INTO people (id, first, last) VALUES (5, 'E', 'F')`);
    },
    async afterRollback(db) {
      expect(await column(db, 'people', 'full_name')).toBeUndefined();
      expect(await rows(db, `SELECT id, first, last FROM people ORDER BY id`)).toEqual([
        { id: '1', first: 'Ann', last: 'Moe' },
        { id: '2', first: 'Bob', last: 'Ray' },
        { id: '3', first: 'Cy', last: 'Old' },
        { id: '4', first: 'Di', last: 'New' },
      ]);
    },
  },
]);
