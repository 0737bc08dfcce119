/** createTable: created at expand (only the new version writes it); nothing at contract; dropped at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, foreignKeys, rejects, rows } from '../../helpers/operations.js';

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
