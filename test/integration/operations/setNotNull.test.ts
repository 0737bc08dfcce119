/** setNotNull: NULLs backfilled from `up` and refused for new writes at expand (an unvalidated check); validated and made NOT NULL at contract; the check dropped at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';

/** The `with up` case's rows once expanded: every NULL either version wrote is the `up` value, the new version's own value kept. */
const FILLED_ROLES = [
  { id: '1', role: 'member' },
  { id: '2', role: 'member' },
  { id: '3', role: 'member' },
  { id: '4', role: 'member' },
  { id: '5', role: 'owner' },
];

describeOperation('setNotNull', [
  {
    name: 'with up on a composite-key table',
    async setup(db) {
      await db.query(`CREATE TABLE memberships (org int, member int, role varchar(20), PRIMARY KEY (org, member))`);
      await db.seed('memberships', ['org', 'member', 'role'], range(SOAK_ROWS).map((g) => [g % 7, g, g % 3 === 0 ? null : 'admin']));
    },
    operations: [{ setNotNull: { table: 'memberships', column: 'role', up: `'member'` } }],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => ({ sql: `INSERT INTO memberships (org, member, role) VALUES (99, ?, NULL)`, params: [i] }),
      new: (i) => ({ sql: `INSERT INTO memberships (org, member, role) VALUES (98, ?, 'owner')`, params: [i] }),
    },
    async afterExpand(db) {
      expect(await db.count(`SELECT count(*) FROM memberships WHERE role IS NULL`)).toBeGreaterThan(0);
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM memberships WHERE role IS NULL`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM memberships WHERE org = 98 AND role <> 'owner'`)).toBe(0);
    },
    async afterComplete(db) {
      expect((await column(db, 'memberships', 'role'))?.nullable).toBe(false);
      expect(await db.triggers()).toEqual([]);
    },
    async afterRollback(db) {
      expect((await column(db, 'memberships', 'role'))?.nullable).toBe(true);
      expect(await db.triggers()).toEqual([]);
      expect(await db.checks('memberships')).toEqual([]);
    },
  },
  {
    name: 'with up: the old version\'s NULLs, inserted or updated, get its value',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, role varchar(10))`, `INSERT INTO users VALUES (1, 'admin'), (2, NULL)`],
    operations: [{ setNotNull: { table: 'users', column: 'role', up: `'member'` } }],
    writes: { old: [`INSERT INTO users (id) VALUES (3)`, `INSERT INTO users (id, role) VALUES (4, NULL)`, `UPDATE users SET role = NULL WHERE id = 1`], new: [`INSERT INTO users (id, role) VALUES (5, 'owner')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, role FROM users ORDER BY id`)).toEqual(FILLED_ROLES);
    },
    async afterComplete(db) {
      expect((await column(db, 'users', 'role'))?.nullable).toBe(false);
      await rejects(db, `INSERT INTO users (id, role) VALUES (6, NULL)`);
      expect(await db.checks('users')).toEqual([]);
    },
    async afterRollback(db) {
      expect((await column(db, 'users', 'role'))?.nullable).toBe(true);
      await db.query(`INSERT INTO users (id, role) VALUES (6, NULL)`);
      expect(await rows(db, `SELECT id, role FROM users ORDER BY id`)).toEqual([...FILLED_ROLES, { id: '6', role: null }]);
      await db.query(`DELETE FROM users WHERE id = 6`);
    },
  },
  {
    name: 'without up: old writers may still send NULL until contract, which adds the check and validates it',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50))`, `INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x')`],
    operations: [{ setNotNull: { table: 'users', column: 'email' } }],
    writes: { old: [`INSERT INTO users (id, email) VALUES (3, NULL)`, `UPDATE users SET email = 'c@x' WHERE id = 3`], new: [`UPDATE users SET email = 'bb@x' WHERE id = 2`] },
    async afterStart(db) {
      expect(await db.checks('users')).toEqual([]);
      expect((await column(db, 'users', 'email'))?.nullable).toBe(true);
      expect(await rows(db, `SELECT id, email FROM users ORDER BY id`)).toEqual([
        { id: '1', email: 'a@x' },
        { id: '2', email: 'bb@x' },
        { id: '3', email: 'c@x' },
      ]);
    },
    async afterComplete(db) {
      expect((await column(db, 'users', 'email'))?.nullable).toBe(false);
      await rejects(db, `INSERT INTO users (id) VALUES (9)`);
    },
    async afterRollback(db) {
      await db.query(`INSERT INTO users (id) VALUES (9)`);
      expect(await rows(db, `SELECT email FROM users WHERE id = 9`)).toEqual([{ email: null }]);
      await db.query(`DELETE FROM users WHERE id = 9`);
    },
  },
]);
