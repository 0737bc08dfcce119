/** renameTable: renamed at expand, the old name kept working for the old version (an updatable view); the old name removed at contract, the rename undone at rollback. */
import { expect } from 'vitest';
import { describeOperation, foreignKeys, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';


/** The users after the old version inserted 4 (name defaulted), renamed 1 and deleted 3, and the new one inserted 5 and renamed 2. */
const bothVersionsWrote = [
  { id: '1', name: 'ann-old' },
  { id: '2', name: 'bob-new' },
  { id: '4', name: 'anon' },
  { id: '5', name: 'new' },
];

describeOperation('renameTable', [
  {
    name: 'old code keeps using the old name',
    async setup(db) {
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
      await db.seed('users', ['id', 'name'], range(SOAK_ROWS).map((g) => [g, `u${g}`]));
    },
    operations: [{ renameTable: { from: 'users', to: 'people' } }],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => (i % 2 ? { sql: `INSERT INTO users (id, name) VALUES (?, 'old')`, params: [100000 + i] } : { sql: `UPDATE users SET name = 'old-upd' WHERE id = ?`, params: [1 + (i % SOAK_ROWS)] }),
      new: (i) => ({ sql: `INSERT INTO people (id, name) VALUES (?, 'new')`, params: [200000 + i] }),
    },
    async afterExpand(db) {
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(SOAK_ROWS);
      expect(await db.count(`SELECT count(*) FROM people`)).toBe(SOAK_ROWS);
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM people WHERE name = 'old'`)).toBeGreaterThan(0);
      expect(await db.count(`SELECT count(*) FROM users WHERE name = 'new'`)).toBeGreaterThan(0);
    },
    async afterComplete(db) {
      await expect(db.query(`SELECT count(*) FROM users`)).rejects.toThrow();
      expect(await db.count(`SELECT count(*) FROM people WHERE id <= ${SOAK_ROWS}`)).toBe(SOAK_ROWS);
    },
    async afterRollback(db) {
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(SOAK_ROWS);
      await expect(db.query(`SELECT count(*) FROM people`)).rejects.toThrow();
    },
  },
  {
    name: 'with a default and a foreign key pointing at it: both names read, write and delete the same rows',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'anon')`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id))`,
      `INSERT INTO users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')`,
      `INSERT INTO orders VALUES (10, 1)`,
    ],
    operations: [{ renameTable: { from: 'users', to: 'people' } }],
    writes: {
      old: [`INSERT INTO users (id) VALUES (4)`, `UPDATE users SET name = 'ann-old' WHERE id = 1`, `DELETE FROM users WHERE id = 3`],
      new: [`INSERT INTO people (id, name) VALUES (5, 'new')`, `UPDATE people SET name = 'bob-new' WHERE id = 2`, `INSERT INTO orders (id, user_id) VALUES (11, 5)`],
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, name FROM users ORDER BY id`)).toEqual(bothVersionsWrote);
      expect(await rows(db, `SELECT id, name FROM people ORDER BY id`)).toEqual(bothVersionsWrote);
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (12, 99)`);
    },
    async afterComplete(db) {
      await rejects(db, `SELECT count(*) FROM users`);
      expect(await rows(db, `SELECT id, name FROM people ORDER BY id`)).toEqual(bothVersionsWrote);
      expect((await foreignKeys(db, 'orders')).join()).toMatch(/REFERENCES "?people"?\s?\(id\)/);
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (12, 99)`);
      await db.query(`INSERT INTO people (id) VALUES (6)`);
      expect(await rows(db, `SELECT name FROM people WHERE id = 6`)).toEqual([{ name: 'anon' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM people`);
      expect(await rows(db, `SELECT id, name FROM users ORDER BY id`)).toEqual(bothVersionsWrote);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1' },
        { id: '11', user_id: '5' },
      ]);
    },
  },
]);
