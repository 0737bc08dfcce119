/** addForeignKey: added at expand without a scan (PostgreSQL NOT VALID; MySQL without checking existing rows), enforced for new writes at once; validated at contract; dropped at rollback. */
import { expect } from 'vitest';
import { describeOperation, foreignKeys, rejects, rows } from '../../helpers/operations.js';

describeOperation('addForeignKey', [
  {
    name: 'on delete cascade: enforced for both versions\' writes at once, validated at contract',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int)`,
      `INSERT INTO users VALUES (1), (2), (3)`,
      `INSERT INTO orders VALUES (10, 1), (11, 2), (12, NULL)`,
    ],
    operations: [{ addForeignKey: { table: 'orders', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade', name: 'orders_user_fk' } }],
    writes: { old: [`INSERT INTO orders VALUES (13, 3)`], new: [`INSERT INTO orders VALUES (14, 2)`] },
    async afterStart(db) {
      if (db.dialect === 'postgres') expect(await foreignKeys(db, 'orders')).toEqual(['orders_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE NOT VALID']);
      else expect(await foreignKeys(db, 'orders')).toEqual(['orders_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE']);
      await rejects(db, `INSERT INTO orders VALUES (15, 99)`);
      await rejects(db, `UPDATE orders SET user_id = 99 WHERE id = 10`);
      await db.query(`DELETE FROM users WHERE id = 2`);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1' },
        { id: '12', user_id: null },
        { id: '13', user_id: '3' },
      ]);
    },
    async afterComplete(db) {
      expect(await foreignKeys(db, 'orders')).toEqual(['orders_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE']);
      await rejects(db, `INSERT INTO orders VALUES (15, 99)`);
      await db.query(`DELETE FROM users WHERE id = 1`);
      expect(await rows(db, `SELECT id FROM orders ORDER BY id`)).toEqual([{ id: '12' }, { id: '13' }]);
    },
    async afterRollback(db) {
      expect(await foreignKeys(db, 'orders')).toEqual([]);
      await db.query(`INSERT INTO orders VALUES (15, 99)`);
      // Applying again would now be refused at plan time, naming this row; without it, it goes through.
      await db.query(`DELETE FROM orders WHERE id = 15`);
      expect(await db.count(`SELECT count(*) FROM orders`)).toBe(5);
    },
  },
  {
    name: 'with onUpdate (TypeORM\'s `ON UPDATE NO ACTION`, here CASCADE): a parent key\'s change reaches the child (campaign CZ: unknown key)',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int)`,
      `INSERT INTO users VALUES (1), (2), (3)`,
      `INSERT INTO orders VALUES (10, 1), (11, 2)`,
    ],
    operations: [{ addForeignKey: { table: 'orders', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade', onUpdate: 'cascade', name: 'orders_user_fk' } }],
    writes: { old: [`INSERT INTO orders VALUES (13, 3)`], new: [`INSERT INTO orders VALUES (14, 2)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO orders VALUES (15, 99)`);
    },
    async afterComplete(db) {
      if (db.dialect === 'postgres') expect(await foreignKeys(db, 'orders')).toEqual(['orders_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE']);
      else expect(await rows(db, `SELECT constraint_name AS name, update_rule AS up, delete_rule AS del FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND table_name = 'orders'`)).toEqual([{ name: 'orders_user_fk', up: 'CASCADE', del: 'CASCADE' }]);
      await db.query(`UPDATE users SET id = 30 WHERE id = 3`);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '1' },
        { id: '11', user_id: '2' },
        { id: '13', user_id: '30' },
        { id: '14', user_id: '2' },
      ]);
    },
    async afterRollback(db) {
      expect(await foreignKeys(db, 'orders')).toEqual([]);
    },
  },
  {
    name: 'over two columns, the name derived',
    setup: [
      `CREATE TABLE teams (org int, code varchar(10), PRIMARY KEY (org, code))`,
      `CREATE TABLE players (id int PRIMARY KEY, org int, team varchar(10))`,
      `INSERT INTO teams VALUES (1, 'red'), (1, 'blue')`,
      `INSERT INTO players VALUES (1, 1, 'red')`,
    ],
    operations: [{ addForeignKey: { table: 'players', columns: ['org', 'team'], references: { table: 'teams', columns: ['org', 'code'] } } }],
    writes: { old: [`INSERT INTO players VALUES (2, 1, 'blue')`], new: [`INSERT INTO players VALUES (3, NULL, 'green')`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO players VALUES (4, 2, 'red')`);
      expect(await db.count(`SELECT count(*) FROM players`)).toBe(3);
    },
    async afterComplete(db) {
      const [fk, ...more] = await foreignKeys(db, 'players');
      expect(more).toEqual([]);
      expect(fk).toMatch(/^players_org_team_fkey FOREIGN KEY \(org, team\) REFERENCES teams\s?\(org, code\)/);
      await rejects(db, `INSERT INTO players VALUES (4, 2, 'red')`);
    },
    async afterRollback(db) {
      expect(await foreignKeys(db, 'players')).toEqual([]);
    },
  },
]);
