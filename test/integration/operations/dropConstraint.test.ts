/** dropConstraint: nothing at expand (the old version may rely on it); dropped at contract; nothing to undo at rollback. */
import { expect } from 'vitest';
import { describeOperation, foreignKeys, rejects } from '../../helpers/operations.js';

describeOperation('dropConstraint', [
  {
    name: 'a check: enforced until contract',
    setup: [`CREATE TABLE products (id int PRIMARY KEY, price int, CONSTRAINT products_price_check CHECK (price >= 0))`, `INSERT INTO products VALUES (1, 1)`],
    operations: [{ dropConstraint: { table: 'products', name: 'products_price_check' } }],
    writes: { old: [`INSERT INTO products VALUES (2, 2)`], new: [`UPDATE products SET price = 3 WHERE id = 1`] },
    async afterStart(db) {
      expect(await db.checks('products')).toHaveLength(1);
      await rejects(db, `INSERT INTO products VALUES (3, -1)`);
    },
    async afterComplete(db) {
      expect(await db.checks('products')).toEqual([]);
      await db.query(`INSERT INTO products VALUES (3, -1)`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO products VALUES (3, -1)`);
      expect(await db.count(`SELECT count(*) FROM products WHERE price = 3`)).toBe(1);
    },
  },
  {
    name: 'a unique constraint: enforced until contract',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50), CONSTRAINT users_email_key UNIQUE (email))`, `INSERT INTO users VALUES (1, 'a@x')`],
    operations: [{ dropConstraint: { table: 'users', name: 'users_email_key' } }],
    writes: { old: [`INSERT INTO users VALUES (2, 'b@x')`], new: [`INSERT INTO users VALUES (3, 'c@x')`] },
    async afterStart(db) {
      expect(await db.uniques('users')).toEqual([['email']]);
      await rejects(db, `INSERT INTO users VALUES (4, 'a@x')`);
    },
    async afterComplete(db) {
      expect(await db.uniques('users')).toEqual([]);
      expect(await db.indexes('users')).toEqual([]);
      await db.query(`INSERT INTO users VALUES (4, 'a@x')`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO users VALUES (4, 'a@x')`);
    },
  },
  {
    name: 'a foreign key: enforced until contract',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int, CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id))`,
      `INSERT INTO users VALUES (1)`,
      `INSERT INTO orders VALUES (10, 1)`,
    ],
    operations: [{ dropConstraint: { table: 'orders', name: 'orders_user_fk' } }],
    writes: { old: [`INSERT INTO orders VALUES (11, 1)`], new: [`INSERT INTO orders VALUES (12, NULL)`] },
    async afterStart(db) {
      expect(await foreignKeys(db, 'orders')).toHaveLength(1);
      await rejects(db, `INSERT INTO orders VALUES (13, 99)`);
    },
    async afterComplete(db) {
      expect(await foreignKeys(db, 'orders')).toEqual([]);
      await db.query(`INSERT INTO orders VALUES (13, 99)`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO orders VALUES (13, 99)`);
    },
  },
]);
