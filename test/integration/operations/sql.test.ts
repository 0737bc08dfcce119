/** sql: the author's statements for expand, contract and rollback, and an optional backfill xc runs in batches. */
import { expect, it } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';
import { MigrationSchema } from '../../../src/migration/schema.js';

it('sql needs `expand`, `contract` or `backfill`: none of them is refused naming the path', () => {
  const r = MigrationSchema.safeParse({ operations: [{ sql: { rollback: 'SELECT 1' } }] });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['operations.0.sql.expand', 'give `expand`, `contract` or `backfill`: the statements to run at expand or at contract, or the rows to update in batches']]);
  expect(MigrationSchema.safeParse({ operations: [{ sql: { contract: 'SELECT 1' } }] }).success).toBe(true);
  expect(MigrationSchema.safeParse({ operations: [{ sql: { backfill: { table: 't', set: { c: '1' } } } }] }).success).toBe(true);
});


describeOperation('sql', [
  {
    // pgroll's 32_sql_on_complete: nothing at expand, the statement runs at contract.
    name: 'contract only (on complete)',
    setup: [`CREATE TABLE people (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO people VALUES (1, 'ann')`],
    operations: [{ sql: { contract: 'ALTER TABLE people ADD COLUMN birth_date timestamp NULL' } }],
    writes: { old: [`INSERT INTO people VALUES (2, 'bob')`], new: [`INSERT INTO people VALUES (3, 'cy')`] },
    async afterStart(db) {
      expect(await column(db, 'people', 'birth_date')).toBeUndefined();
      expect(await db.count(`SELECT count(*) FROM people`)).toBe(3);
    },
    async afterComplete(db) {
      expect(await column(db, 'people', 'birth_date')).toMatchObject({ nullable: true });
      expect(await rows(db, `SELECT id, birth_date FROM people ORDER BY id`)).toEqual([1, 2, 3].map((id) => ({ id: String(id), birth_date: null })));
    },
    async afterRollback(db) {
      expect(await column(db, 'people', 'birth_date')).toBeUndefined();
    },
  },
  {
    // A Rails data migration, Django RunPython: no statement, rows updated in batches (campaign I: refused before).
    name: 'a backfill alone (a data migration)',
    setup: [`CREATE TABLE accounts (id int PRIMARY KEY, status varchar(10))`, `INSERT INTO accounts VALUES (1, NULL), (2, 'closed'), (3, NULL)`],
    operations: [{ sql: { backfill: { table: 'accounts', set: { status: `'active'` }, where: 'status IS NULL' } } }],
    writes: { old: [`INSERT INTO accounts VALUES (4, NULL)`], new: [`INSERT INTO accounts VALUES (5, 'new')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, status FROM accounts ORDER BY id`)).toEqual([
        { id: '1', status: 'active' },
        { id: '2', status: 'closed' },
        { id: '3', status: 'active' },
        { id: '4', status: 'active' },
        { id: '5', status: 'new' },
      ]);
    },
    async afterComplete(db) {
      expect(await db.count(`SELECT count(*) FROM accounts WHERE status IS NULL`)).toBe(0);
    },
    async afterRollback(db) {
      // Nothing of the schema to undo; the rows keep what the backfill gave them, as after a data migration.
      expect(await db.count(`SELECT count(*) FROM accounts WHERE status = 'active'`)).toBe(3);
    },
  },
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
