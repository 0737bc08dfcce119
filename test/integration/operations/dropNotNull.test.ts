/**
 * dropNotNull: the column takes NULL from expand on, in place (PostgreSQL DROP NOT NULL; MySQL/MariaDB MODIFY,
 * ALGORITHM=INPLACE, LOCK=NONE); nothing at contract; rollback restores NOT NULL through a check validated online,
 * and is refused, naming the rows, while a NULL written meanwhile is left.
 */
import { expect, it } from 'vitest';
import { column, describeOperation, range, rows, SOAK_ROWS } from '../../helpers/operations.js';
import { targets } from '../../helpers/targets.js';
import { refused, rejection, setup } from '../../helpers/scenario.js';

describeOperation('dropNotNull', [
  {
    name: 'a NOT NULL column takes NULL, while both versions write',
    async setup(db) {
      await db.query(`CREATE TABLE posts (id int PRIMARY KEY, title varchar(50) NOT NULL)`);
      await db.seed('posts', ['id', 'title'], range(SOAK_ROWS).map((g) => [g, `t${g}`]));
    },
    operations: [{ dropNotNull: { table: 'posts', column: 'title' } }],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO posts (id, title) VALUES (?, ?)`, params: [100000 + i, `old${i}`] }),
      new: (i) => ({ sql: `UPDATE posts SET title = ? WHERE id = ?`, params: [`new${i}`, 1 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect(await column(db, 'posts', 'title')).toMatchObject({ nullable: true });
    },
    async afterStart(db) {
      await db.query(`INSERT INTO posts (id, title) VALUES (999999, NULL)`);
      expect(await rows(db, `SELECT title FROM posts WHERE id = 999999`)).toEqual([{ title: null }]);
    },
    async afterComplete(db) {
      expect(await column(db, 'posts', 'title')).toMatchObject({ nullable: true });
      expect(await db.checks('posts')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM posts WHERE title IS NULL`)).toBe(1);
    },
    async afterRollback(db) {
      expect(await column(db, 'posts', 'title')).toMatchObject({ nullable: false });
      expect(await db.checks('posts')).toEqual([]);
    },
  },
  {
    // pgroll's 49_unset_not_null_on_indexed_column: the index stays as it was.
    name: 'an indexed column, its unique index kept',
    setup: [`CREATE TABLE fruits (id int PRIMARY KEY, name varchar(20) NOT NULL)`, `CREATE UNIQUE INDEX fruits_name_key ON fruits (name)`, `INSERT INTO fruits VALUES (1, 'apple'), (2, 'banana')`],
    operations: [{ dropNotNull: { table: 'fruits', column: 'name' } }],
    writes: { old: [`INSERT INTO fruits VALUES (3, 'cherry')`], new: [`INSERT INTO fruits VALUES (4, 'date')`] },
    async afterStart(db) {
      await db.query(`INSERT INTO fruits VALUES (5, NULL), (6, NULL)`);
      await expect(db.query(`INSERT INTO fruits VALUES (7, 'apple')`)).rejects.toThrow();
      expect(await db.indexes('fruits')).toEqual([{ name: 'fruits_name_key', columns: ['name'], unique: true }]);
    },
    async afterComplete(db) {
      expect(await column(db, 'fruits', 'name')).toMatchObject({ nullable: true });
      expect(await db.indexes('fruits')).toEqual([{ name: 'fruits_name_key', columns: ['name'], unique: true }]);
      expect(await db.count(`SELECT count(*) FROM fruits WHERE name IS NULL`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await column(db, 'fruits', 'name')).toMatchObject({ nullable: false });
      expect(await db.indexes('fruits')).toEqual([{ name: 'fruits_name_key', columns: ['name'], unique: true }]);
    },
  },
]);

for (const target of targets) {
  target.describe(`dropNotNull, beyond the table (${target.name})`, () => {
    it('rollback is refused, nothing changed, while a NULL written meanwhile is left, naming its row; once it has a value, rollback finishes', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(50) NOT NULL)`, `INSERT INTO posts VALUES (1, 'a')`], 'xc_dnn');
      await s.write('0001_nullable', { dropNotNull: { table: 'posts', column: 'title' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO posts VALUES (2, NULL)`);
      const err = await rejection(s.xc.rollback());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/rollback refused: not every row of "posts" meets what it needs \("title" holds no NULL[\s\S]*id="2" title=NULL[\s\S]*give them a value/);
      // Nothing was done: the new version's NULLs are still taken.
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      expect(await column(s.db, 'posts', 'title')).toMatchObject({ nullable: true });
      await s.db.query(`INSERT INTO posts VALUES (3, NULL)`);
      await s.db.query(`UPDATE posts SET title = 'b' WHERE id IN (2, 3)`);
      await s.db.query(`DELETE FROM posts WHERE id = 3`);
      await s.xc.rollback();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect(await column(s.db, 'posts', 'title')).toMatchObject({ nullable: false });
      expect(await s.db.checks('posts')).toEqual([]);
      expect(await s.db.triggers()).toEqual([]);
      expect(await rows(s.db, `SELECT id, title FROM posts ORDER BY id`)).toEqual([{ id: '1', title: 'a' }, { id: '2', title: 'b' }]);
    });

    it('states its lock: catalog only on PostgreSQL, an online rebuild that may not copy on MySQL/MariaDB', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(50) NOT NULL)`], 'xc_dnn');
      await s.write('0001_nullable', { dropNotNull: { table: 'posts', column: 'title' } });
      const expand = (await s.xc.plan()).migrations[0]!.pending.find((p) => p.phase === 'expand')!.steps;
      expect(expand.map((x) => x.sql)).toEqual([
        target.name === 'postgres' ? `ALTER TABLE IF EXISTS "posts" ALTER COLUMN "title" DROP NOT NULL` : 'ALTER TABLE `posts` MODIFY COLUMN `title` varchar(50) NULL, ALGORITHM=INPLACE, LOCK=NONE',
      ]);
    });

    it('refuses a column that already takes NULL, and a primary-key column', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(50))`], 'xc_dnn');
      await s.write('0001_nullable', { dropNotNull: { table: 'posts', column: 'title' } });
      await refused(s, ['posts'], /0001_nullable\.json: operations\[0\]\.dropNotNull\.column: "posts"\."title" already allows NULL/);
      await s.write('0001_nullable', { dropNotNull: { table: 'posts', column: 'id' } });
      await refused(s, ['posts'], /operations\[0\]\.dropNotNull\.column: "posts"\."id" is part of the primary key/);
      // A setNotNull in flight sets NOT NULL at its contract, after this expand: refused until it is contracted.
      await s.write('0001_nullable', { setNotNull: { table: 'posts', column: 'title', up: "'x'" } });
      await s.write('0002_again', { dropNotNull: { table: 'posts', column: 'title' } });
      await refused(s, ['posts'], /0002_again\.json: operations\[0\]\.dropNotNull\.column: "posts"\."title" is made NOT NULL by 0001_nullable \(operations\[0\]\.setNotNull\) at its contract/);
    });
  });
}
