/** addColumn: added nullable at expand, filled from `up` for the old version's writes and backfilled; NOT NULL, default and unique enforced at contract; dropped at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';
import type { Db } from '../../helpers/targets.js';

/** A column's comment as the catalog has it ('' for none). */
async function columnComment(db: Db, table: string, name: string): Promise<string> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT coalesce(col_description(attrelid, attnum), '') AS c FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ?`
      : `SELECT COLUMN_COMMENT AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`;
  return (await db.query<{ c: string }>(sql, [table, name]))[0]?.c ?? '';
}

/** Checks on the table that mention `word`: PostgreSQL's by name and definition, MySQL's (CHECK constraints or xc's trigger pairs) by definition. */
async function checksOn(db: Db, table: string, word: string): Promise<string[]> {
  if (db.dialect === 'postgres') {
    return (await db.query<{ d: string }>(`SELECT conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'c' ORDER BY 1`, [table])).map((r) => r.d).filter((d) => d.includes(word));
  }
  return (await db.checks(table)).filter((d) => d.includes(word));
}

/** A foreign key's update and delete rules (both servers), `name: UPDATE DELETE`. */
async function keyRules(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT c.constraint_name AS n, c.update_rule AS u, c.delete_rule AS d FROM information_schema.referential_constraints c JOIN information_schema.table_constraints t ON t.constraint_name = c.constraint_name AND t.constraint_schema = c.constraint_schema WHERE t.table_schema = current_schema() AND t.table_name = ? ORDER BY 1`
      : `SELECT constraint_name AS n, update_rule AS u, delete_rule AS d FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND table_name = ? ORDER BY 1`;
  return (await db.query<{ n: string; u: string; d: string }>(sql, [table])).map((r) => `${r.n}: ${r.u} ${r.d}`);
}


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
  {
    name: 'a named check and a comment: the old version\'s rows are not refused before contract, enforced from contract on',
    setup: [`CREATE TABLE people (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO people VALUES (1, 'ann'), (2, 'bob')`],
    operations: [
      {
        addColumn: {
          table: 'people',
          column: { name: 'age', type: 'int', check: { name: 'age_check', expression: 'age >= 18' }, comment: "in years, 'whole'" },
          up: `CASE WHEN name = 'kid' THEN 5 ELSE 20 END`,
        },
      },
    ],
    // The old version's row gets 5 from `up`, which the check refuses: taken all the same until contract, the new version fixes it.
    writes: { old: [`INSERT INTO people (id, name) VALUES (3, 'kid')`], new: [`UPDATE people SET age = 30 WHERE id = 3`, `INSERT INTO people (id, name, age) VALUES (4, 'new', 40)`] },
    async afterExpand(db) {
      expect(await checksOn(db, 'people', 'age')).toEqual([]);
      expect(await columnComment(db, 'people', 'age')).toBe("in years, 'whole'");
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, age FROM people ORDER BY id`)).toEqual([
        { id: '1', age: '20' },
        { id: '2', age: '20' },
        { id: '3', age: '30' },
        { id: '4', age: '40' },
      ]);
    },
    async afterComplete(db) {
      expect(await checksOn(db, 'people', 'age')).toHaveLength(1);
      if (db.dialect === 'postgres') expect(await checksOn(db, 'people', 'age')).toEqual(['age_check CHECK ((age >= 18))']);
      expect(await columnComment(db, 'people', 'age')).toBe("in years, 'whole'");
      await rejects(db, `INSERT INTO people (id, name, age) VALUES (5, 'x', 17)`);
      await rejects(db, `UPDATE people SET age = 1 WHERE id = 1`);
      await db.query(`INSERT INTO people (id, name, age) VALUES (6, 'y', 18)`);
      expect(await db.count(`SELECT count(*) FROM people`)).toBe(5);
    },
    async afterRollback(db) {
      expect(await column(db, 'people', 'age')).toBeUndefined();
      expect(await checksOn(db, 'people', 'age')).toEqual([]);
      // Applied again, `up` would give the kid's row 5, which the check refuses: plan says so (campaign AD); not this case's point.
      await db.query(`DELETE FROM people WHERE id = 3`);
    },
  },
  {
    name: 'a check under load: both versions write throughout, none refused, the check enforced after contract',
    async setup(db) {
      await db.query(`CREATE TABLE scores (id int PRIMARY KEY, points int NOT NULL)`);
      await db.seed('scores', ['id', 'points'], range(SOAK_ROWS).map((g) => [g, g % 50]));
    },
    operations: [{ addColumn: { table: 'scores', column: { name: 'grade', type: 'int', nullable: false, check: { expression: 'grade BETWEEN 0 AND 100' } }, up: 'points * 2' } }],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => ({ sql: `INSERT INTO scores (id, points) VALUES (?, ?)`, params: [100000 + i, i % 50] }),
      new: (i) => ({ sql: `INSERT INTO scores (id, points, grade) VALUES (?, ?, ?)`, params: [200000 + i, 1, i % 101] }),
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM scores WHERE id < 200000 AND (grade IS NULL OR grade <> points * 2)`)).toBe(0);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO scores (id, points, grade) VALUES (1000000, 1, 101)`);
      await rejects(db, `UPDATE scores SET grade = -1 WHERE id = 1`);
      expect(await db.count(`SELECT count(*) FROM scores WHERE grade NOT BETWEEN 0 AND 100`)).toBe(0);
    },
    async afterRollback(db) {
      expect(await column(db, 'scores', 'grade')).toBeUndefined();
    },
  },
  {
    name: 'NOT NULL with a comment: the contract\'s restatement keeps the comment',
    setup: [`CREATE TABLE items (id int PRIMARY KEY)`, `INSERT INTO items VALUES (1), (2)`],
    operations: [{ addColumn: { table: 'items', column: { name: 'qty', type: 'int', nullable: false, comment: 'how many' }, up: 'id * 10' } }],
    writes: { old: [`INSERT INTO items (id) VALUES (3)`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, qty FROM items ORDER BY id`)).toEqual([
        { id: '1', qty: '10' },
        { id: '2', qty: '20' },
        { id: '3', qty: '30' },
      ]);
    },
    async afterComplete(db) {
      expect((await column(db, 'items', 'qty'))?.nullable).toBe(false);
      expect(await columnComment(db, 'items', 'qty')).toBe('how many');
    },
    async afterRollback(db) {
      expect(await column(db, 'items', 'qty')).toBeUndefined();
    },
  },
  {
    name: 'a named foreign key that cascades updates',
    setup: [`CREATE TABLE users (id int PRIMARY KEY)`, `CREATE TABLE orders (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1), (2)`, `INSERT INTO orders VALUES (10), (11)`],
    operations: [{ addColumn: { table: 'orders', column: { name: 'user_id', type: 'int', references: { name: 'orders_owner', table: 'users', column: 'id', onUpdate: 'cascade', onDelete: 'cascade' } }, up: `CASE WHEN id = 10 THEN 1 ELSE 2 END` } }],
    writes: { old: [`INSERT INTO orders (id) VALUES (12)`] },
    async afterStart(db) {
      expect(await keyRules(db, 'orders')).toEqual(['orders_owner: CASCADE CASCADE']);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1' },
        { id: '11', user_id: '2' },
        { id: '12', user_id: '2' },
      ]);
    },
    async afterComplete(db) {
      expect(await keyRules(db, 'orders')).toEqual(['orders_owner: CASCADE CASCADE']);
      await db.query(`UPDATE users SET id = 9 WHERE id = 2`);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1' },
        { id: '11', user_id: '9' },
        { id: '12', user_id: '9' },
      ]);
      await rejects(db, `INSERT INTO orders VALUES (13, 5)`);
    },
    async afterRollback(db) {
      expect(await column(db, 'orders', 'user_id')).toBeUndefined();
      expect(await keyRules(db, 'orders')).toEqual([]);
    },
  },
]);
