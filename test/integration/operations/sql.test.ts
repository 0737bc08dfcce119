/** sql: the author's statements for expand, contract and rollback, and an optional backfill xc runs in batches. */
import { expect } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';


describeOperation('sql', [
  {
    name: 'with a backfill',
    async setup(db) {
      await db.query(`CREATE TABLE scores (id int PRIMARY KEY, v int NOT NULL)`);
      await db.seed('scores', ['id', 'v'], range(SOAK_ROWS).map((g) => [g, g]));
    },
    operations: [{ sql: { expand: 'ALTER TABLE scores ADD COLUMN doubled int', rollback: 'ALTER TABLE scores DROP COLUMN doubled', backfill: { table: 'scores', set: { doubled: 'v * 2' }, where: 'doubled IS NULL' } } }],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => ({ sql: `UPDATE scores SET v = v + 1 WHERE id = ?`, params: [1 + (i % SOAK_ROWS)] }),
      new: (i) => ({ sql: `INSERT INTO scores (id, v, doubled) VALUES (?, 1, 2)`, params: [100000 + i] }),
    },
    async afterExpand(db) {
      expect(await column(db, 'scores', 'doubled')).toBeTruthy();
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM scores WHERE doubled IS NULL`)).toBe(0);
    },
    async afterComplete(db) {
      expect(await column(db, 'scores', 'doubled')).toBeTruthy();
    },
    async afterRollback(db) {
      expect(await column(db, 'scores', 'doubled')).toBeUndefined();
    },
  },
  {
    name: 'expand, contract and rollback statements, each dialect its own, and a backfill of per-dialect expressions',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20) NOT NULL, legacy varchar(20))`, `INSERT INTO users VALUES (1, 'ann', 'x'), (2, 'bob', NULL)`],
    operations: [
      { sql: { expand: `CREATE TABLE audit (id int PRIMARY KEY, what varchar(20) NOT NULL)`, rollback: `DROP TABLE audit` } },
      {
        sql: {
          expand: `ALTER TABLE users ADD COLUMN shout varchar(20)`,
          contract: `ALTER TABLE users DROP COLUMN legacy`,
          rollback: `ALTER TABLE users DROP COLUMN shout`,
          backfill: { table: 'users', set: { shout: { postgres: `upper(name) || '!'`, mysql: `CONCAT(UPPER(name), '!')` } }, where: 'shout IS NULL' },
        },
      },
    ],
    writes: { old: [`INSERT INTO users (id, name, legacy) VALUES (3, 'cy', 'y')`], new: [`INSERT INTO audit VALUES (1, 'new')`, `INSERT INTO users (id, name, shout) VALUES (4, 'di', 'hi')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, shout, legacy FROM users ORDER BY id`)).toEqual([
        { id: '1', shout: 'ANN!', legacy: 'x' },
        { id: '2', shout: 'BOB!', legacy: null },
        { id: '3', shout: 'CY!', legacy: 'y' },
        { id: '4', shout: 'hi', legacy: null },
      ]);
      expect(await rows(db, `SELECT id, what FROM audit`)).toEqual([{ id: '1', what: 'new' }]);
    },
    async afterComplete(db) {
      expect((await db.columns('users')).map((c) => c.name)).toEqual(['id', 'name', 'shout']);
      expect(await db.count(`SELECT count(*) FROM audit`)).toBe(1);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM audit`);
      expect(await rows(db, `SELECT id, name, legacy FROM users ORDER BY id`)).toEqual([
        { id: '1', name: 'ann', legacy: 'x' },
        { id: '2', name: 'bob', legacy: null },
        { id: '3', name: 'cy', legacy: 'y' },
        { id: '4', name: 'di', legacy: null },
      ]);
    },
  },
]);
