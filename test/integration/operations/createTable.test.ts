/** createTable: created at expand (only the new version writes it); nothing at contract; dropped at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, foreignKeys, rejects, rows } from '../../helpers/operations.js';
import type { Db } from '../../helpers/targets.js';

/** A foreign key's update and delete rules as the catalog has them (both servers), `name: UPDATE DELETE`. */
async function keyRules(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT c.constraint_name AS n, c.update_rule AS u, c.delete_rule AS d FROM information_schema.referential_constraints c JOIN information_schema.table_constraints t ON t.constraint_name = c.constraint_name AND t.constraint_schema = c.constraint_schema WHERE t.table_schema = current_schema() AND t.table_name = ? ORDER BY 1`
      : `SELECT constraint_name AS n, update_rule AS u, delete_rule AS d FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND table_name = ? ORDER BY 1`;
  return (await db.query<{ n: string; u: string; d: string }>(sql, [table])).map((r) => `${r.n}: ${r.u} ${r.d}`);
}

describeOperation('createTable', [
  {
    name: 'NOT NULL, a default, unique and a foreign key, all enforced from expand on',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`],
    operations: [
      {
        createTable: {
          table: 'orders',
          columns: [
            { name: 'id', type: 'int', primaryKey: true },
            { name: 'user_id', type: 'int', nullable: false, references: { table: 'users', column: 'id', onDelete: 'cascade' } },
            { name: 'code', type: 'varchar(10)', unique: true },
            { name: 'total', type: 'int', nullable: false, default: '0' },
          ],
        },
      },
    ],
    // The old version does not know the table; its writes elsewhere go on.
    writes: { old: [`INSERT INTO users VALUES (3, 'cy')`], new: [`INSERT INTO orders (id, user_id, code) VALUES (10, 1, 'A')`, `INSERT INTO orders (id, user_id, code, total) VALUES (11, 3, 'B', 5)`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, user_id, code, total FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1', code: 'A', total: '0' },
        { id: '11', user_id: '3', code: 'B', total: '5' },
      ]);
      await rejects(db, `INSERT INTO orders (id, user_id, code) VALUES (12, 1, 'A')`);
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (13, 99)`);
      await rejects(db, `INSERT INTO orders (id) VALUES (14)`);
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (10, 2)`);
      await db.query(`DELETE FROM users WHERE id = 3`);
      expect(await rows(db, `SELECT id FROM orders`)).toEqual([{ id: '10' }]);
    },
    async afterComplete(db) {
      expect((await db.columns('orders')).map((c) => [c.name, c.nullable])).toEqual([
        ['id', false],
        ['user_id', false],
        ['code', true],
        ['total', false],
      ]);
      expect((await column(db, 'orders', 'total'))?.default).toContain('0');
      expect(await foreignKeys(db, 'orders')).toHaveLength(1);
      expect(await db.uniques('orders')).toEqual([['code']]);
      expect(await rows(db, `SELECT id, user_id, code, total FROM orders ORDER BY id`)).toEqual([{ id: '10', user_id: '1', code: 'A', total: '0' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM orders`);
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(3);
    },
  },
  {
    name: 'a named foreign key that cascades updates',
    setup: [`CREATE TABLE users (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1), (2)`],
    operations: [
      {
        createTable: {
          table: 'orders',
          columns: [
            { name: 'id', type: 'int', primaryKey: true },
            { name: 'user_id', type: 'int', references: { name: 'orders_owner', table: 'users', column: 'id', onUpdate: 'cascade', onDelete: 'set null', matchType: 'simple' } },
          ],
        },
      },
    ],
    writes: { new: [`INSERT INTO orders VALUES (10, 1), (11, 2)`] },
    async afterStart(db) {
      expect(await keyRules(db, 'orders')).toEqual(['orders_owner: CASCADE SET NULL']);
      await db.query(`UPDATE users SET id = 5 WHERE id = 1`);
      await db.query(`DELETE FROM users WHERE id = 2`);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '5' },
        { id: '11', user_id: null },
      ]);
    },
    async afterComplete(db) {
      expect(await keyRules(db, 'orders')).toEqual(['orders_owner: CASCADE SET NULL']);
      await db.query(`UPDATE users SET id = 6 WHERE id = 5`);
      expect(await rows(db, `SELECT user_id FROM orders WHERE id = 10`)).toEqual([{ user_id: '6' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM orders`);
    },
  },
  {
    name: 'a deferrable MATCH FULL foreign key, checked at commit',
    only: 'postgres',
    setup: [`CREATE TABLE users (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1)`],
    operations: [
      {
        createTable: {
          table: 'orders',
          columns: [
            { name: 'id', type: 'int', primaryKey: true },
            { name: 'user_id', type: 'int', references: { table: 'users', column: 'id', matchType: 'full', deferrable: true, initiallyDeferred: true } },
          ],
        },
      },
    ],
    async afterStart(db) {
      expect(await foreignKeys(db, 'orders')).toEqual(['orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) MATCH FULL DEFERRABLE INITIALLY DEFERRED']);
    },
    async afterComplete(db) {
      // Checked at commit: the child may come before its parent in one transaction.
      await db.query(`DO $$ BEGIN INSERT INTO orders VALUES (2, 7); INSERT INTO users VALUES (7); END $$`);
      await rejects(db, `DO $$ BEGIN INSERT INTO orders VALUES (3, 8); END $$`);
      expect(await rows(db, `SELECT id FROM orders`)).toEqual([{ id: '2' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM orders`);
    },
  },
  {
    name: 'a composite primary key',
    setup: [`CREATE TABLE orgs (id int PRIMARY KEY)`, `INSERT INTO orgs VALUES (1)`],
    operations: [{ createTable: { table: 'memberships', columns: [{ name: 'org', type: 'int' }, { name: 'member', type: 'int' }, { name: 'role', type: 'varchar(10)' }], primaryKey: ['org', 'member'] } }],
    writes: { new: [`INSERT INTO memberships VALUES (1, 1, 'admin'), (1, 2, NULL)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO memberships VALUES (1, 1, 'again')`);
      await rejects(db, `INSERT INTO memberships (member) VALUES (3)`);
      expect(await rows(db, `SELECT org, member, role FROM memberships ORDER BY member`)).toEqual([
        { org: '1', member: '1', role: 'admin' },
        { org: '1', member: '2', role: null },
      ]);
    },
    async afterComplete(db) {
      expect((await db.columns('memberships')).map((c) => [c.name, c.nullable])).toEqual([
        ['org', false],
        ['member', false],
        ['role', true],
      ]);
      await rejects(db, `INSERT INTO memberships VALUES (1, 2, 'again')`);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM memberships`);
    },
  },
]);
