/** addIndex: built at expand without blocking writes (PostgreSQL CONCURRENTLY, MySQL INPLACE/LOCK=NONE); kept at contract; dropped at rollback. */
import { expect } from 'vitest';
import { describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';


describeOperation('addIndex', [
  {
    name: 'unique, built without blocking writers',
    async setup(db) {
      await db.query(`CREATE TABLE tags (id int PRIMARY KEY, slug varchar(50) NOT NULL)`);
      await db.seed('tags', ['id', 'slug'], range(SOAK_ROWS).map((g) => [g, `s${g}`]));
    },
    operations: [{ addIndex: { table: 'tags', columns: ['slug'], unique: true, name: 'tags_slug_key' } }],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO tags (id, slug) VALUES (?, ?)`, params: [100000 + i, `old${i}`] }),
      new: (i) => ({ sql: `UPDATE tags SET slug = ? WHERE id = ?`, params: [`new${i}`, 1 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect((await db.indexes('tags')).find((i) => i.name === 'tags_slug_key')).toMatchObject({ unique: true, columns: ['slug'] });
    },
    async afterStart(db) {
      await expect(db.query(`INSERT INTO tags (id, slug) VALUES (999999, 'old1')`)).rejects.toThrow();
    },
    async afterComplete(db) {
      expect((await db.indexes('tags')).some((i) => i.name === 'tags_slug_key')).toBe(true);
    },
    async afterRollback(db) {
      expect(await db.indexes('tags')).toEqual([]);
    },
  },
  {
    name: 'two columns, the name derived',
    setup: [`CREATE TABLE events (id int PRIMARY KEY, kind varchar(10), at_day int)`, `INSERT INTO events VALUES (1, 'a', 1), (2, 'a', 1)`],
    operations: [{ addIndex: { table: 'events', columns: ['kind', 'at_day'] } }],
    writes: { old: [`INSERT INTO events VALUES (3, 'b', 2)`], new: [`INSERT INTO events VALUES (4, 'b', 2)`] },
    async afterStart(db) {
      expect(await db.indexes('events')).toEqual([{ name: 'events_kind_at_day_idx', columns: ['kind', 'at_day'], unique: false }]);
      expect(await db.count(`SELECT count(*) FROM events WHERE kind = 'b' AND at_day = 2`)).toBe(2);
    },
    async afterComplete(db) {
      expect(await db.indexes('events')).toEqual([{ name: 'events_kind_at_day_idx', columns: ['kind', 'at_day'], unique: false }]);
    },
    async afterRollback(db) {
      expect(await db.indexes('events')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM events`)).toBe(4);
    },
  },
  {
    name: 'unique and partial (PostgreSQL): only live rows must differ',
    only: 'postgres',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50), deleted int)`, `INSERT INTO users VALUES (1, 'a@x', NULL), (2, 'a@x', 1)`],
    operations: [{ addIndex: { table: 'users', columns: ['email'], unique: true, where: 'deleted IS NULL', name: 'users_live_email' } }],
    writes: { old: [`INSERT INTO users VALUES (3, 'b@x', NULL)`], new: [`INSERT INTO users VALUES (4, 'b@x', 1)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO users VALUES (5, 'a@x', NULL)`);
      await db.query(`INSERT INTO users VALUES (6, 'a@x', 1)`);
      expect(await rows(db, `SELECT count(*) AS n FROM users WHERE email = 'a@x'`)).toEqual([{ n: '3' }]);
    },
    async afterComplete(db) {
      expect(await db.indexes('users')).toEqual([{ name: 'users_live_email', columns: ['email'], unique: true }]);
      await rejects(db, `INSERT INTO users VALUES (7, 'b@x', NULL)`);
    },
    async afterRollback(db) {
      await db.query(`INSERT INTO users VALUES (7, 'b@x', NULL)`);
      await db.query(`DELETE FROM users WHERE id = 7`);
    },
  },
]);
