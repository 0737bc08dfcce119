/** dropColumn: the old version keeps writing it and the new one may omit it (`down` or its default fills it); dropped at contract; its constraints back at rollback. */
import { expect, it } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';
import { targets } from '../../helpers/targets.js';
import { rejection, setup } from '../../helpers/scenario.js';


/** The full names of the campaign AZ case: as each insert filled them, or the old version wrote them, never computed again. */
const AS_WRITTEN = [
  { id: '1', full_name: 'Ada Lovelace' },
  { id: '2', full_name: 'Dr Alan Turing' },
  { id: '3', full_name: 'Grace Hopper' },
];

describeOperation('dropColumn', [
  {
    name: 'new writers omit it, down fills it for old readers',
    async setup(db) {
      await db.query(`CREATE TABLE items (id int PRIMARY KEY, title varchar(50) NOT NULL, legacy_code varchar(60) NOT NULL)`);
      await db.seed('items', ['id', 'title', 'legacy_code'], range(SOAK_ROWS).map((g) => [g, `t${g}`, `L${g}`]));
    },
    operations: [{ dropColumn: { table: 'items', column: 'legacy_code', down: `CONCAT('L-', title)` } }],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO items (id, title, legacy_code) VALUES (?, 'o', 'OLD')`, params: [100000 + i] }),
      new: (i) => ({ sql: `INSERT INTO items (id, title) VALUES (?, ?)`, params: [200000 + i, `n${i}`] }),
    },
    async afterExpand(db) {
      expect(await column(db, 'items', 'legacy_code')).toBeTruthy();
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM items WHERE id >= 200000 AND legacy_code <> CONCAT('L-', title)`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM items WHERE id >= 100000 AND id < 200000 AND legacy_code <> 'OLD'`)).toBe(0);
    },
    async afterComplete(db) {
      expect(await column(db, 'items', 'legacy_code')).toBeUndefined();
    },
    async afterRollback(db) {
      expect((await column(db, 'items', 'legacy_code'))?.nullable).toBe(false);
      expect(await db.triggers()).toEqual([]);
    },
  },
  {
    name: "down fills the new version's inserts only: an update leaves the column as it was — the old version's full-row write keeps what it wrote (campaign AZ)",
    setup: [
      `CREATE TABLE customers (id int PRIMARY KEY, full_name varchar(100) NOT NULL, first_name varchar(50), last_name varchar(50))`,
      `INSERT INTO customers VALUES (1, 'Ada Lovelace', 'Ada', 'Lovelace'), (2, 'Alan Turing', 'Alan', 'Turing')`,
    ],
    operations: [{ dropColumn: { table: 'customers', column: 'full_name', down: `CONCAT(first_name, ' ', last_name)` } }],
    writes: {
      // An ORM saving every column: the second save writes full_name back as it was beside a changed first_name.
      old: [`UPDATE customers SET full_name = 'Dr Alan Turing', first_name = 'Al', last_name = 'Turing' WHERE id = 2`, `UPDATE customers SET full_name = 'Dr Alan Turing', first_name = 'Alan', last_name = 'Turing' WHERE id = 2`],
      new: [`INSERT INTO customers (id, first_name, last_name) VALUES (3, 'Grace', 'Hopper')`, `UPDATE customers SET first_name = 'Augusta', last_name = 'King' WHERE id = 1`],
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, full_name FROM customers ORDER BY id`)).toEqual(AS_WRITTEN);
    },
    async afterComplete(db) {
      expect((await db.columns('customers')).map((c) => c.name)).toEqual(['id', 'first_name', 'last_name']);
    },
    async afterRollback(db) {
      expect(await db.triggers()).toEqual([]);
      expect(await rows(db, `SELECT id, full_name FROM customers ORDER BY id`)).toEqual(AS_WRITTEN);
    },
  },
  {
    name: 'a nullable column without down: the new version leaves it NULL',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20), nickname varchar(20))`, `INSERT INTO users VALUES (1, 'ann', 'annie'), (2, 'bob', NULL)`],
    operations: [{ dropColumn: { table: 'users', column: 'nickname' } }],
    writes: { old: [`INSERT INTO users (id, name, nickname) VALUES (3, 'cy', 'c')`, `UPDATE users SET nickname = 'bobby' WHERE id = 2`], new: [`INSERT INTO users (id, name) VALUES (4, 'di')`, `UPDATE users SET name = 'ann2' WHERE id = 1`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, name, nickname FROM users ORDER BY id`)).toEqual([
        { id: '1', name: 'ann2', nickname: 'annie' },
        { id: '2', name: 'bob', nickname: 'bobby' },
        { id: '3', name: 'cy', nickname: 'c' },
        { id: '4', name: 'di', nickname: null },
      ]);
    },
    async afterComplete(db) {
      expect((await db.columns('users')).map((c) => c.name)).toEqual(['id', 'name']);
      expect(await rows(db, `SELECT id, name FROM users ORDER BY id`)).toEqual([
        { id: '1', name: 'ann2' },
        { id: '2', name: 'bob' },
        { id: '3', name: 'cy' },
        { id: '4', name: 'di' },
      ]);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, nickname FROM users ORDER BY id`)).toEqual([
        { id: '1', nickname: 'annie' },
        { id: '2', nickname: 'bobby' },
        { id: '3', nickname: 'c' },
        { id: '4', nickname: null },
      ]);
    },
  },
  {
    name: 'NOT NULL with a default and an index: the new version omits it and gets the default; the index goes with it',
    setup: [`CREATE TABLE tags (id int PRIMARY KEY, label varchar(20), kind varchar(10) NOT NULL DEFAULT 'plain')`, `CREATE INDEX tags_kind_idx ON tags (kind)`, `INSERT INTO tags VALUES (1, 'a', 'hot'), (2, 'b', 'plain')`],
    operations: [{ dropColumn: { table: 'tags', column: 'kind' } }],
    writes: { old: [`INSERT INTO tags (id, label, kind) VALUES (3, 'c', 'cold')`], new: [`INSERT INTO tags (id, label) VALUES (4, 'd')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, kind FROM tags ORDER BY id`)).toEqual([
        { id: '1', kind: 'hot' },
        { id: '2', kind: 'plain' },
        { id: '3', kind: 'cold' },
        { id: '4', kind: 'plain' },
      ]);
      // The old version still may not write a NULL.
      await rejects(db, `INSERT INTO tags (id, label, kind) VALUES (5, 'e', NULL)`);
    },
    async afterComplete(db) {
      expect(await column(db, 'tags', 'kind')).toBeUndefined();
      expect(await db.indexes('tags')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM tags`)).toBe(4);
    },
    async afterRollback(db) {
      const c = await column(db, 'tags', 'kind');
      expect(c?.nullable).toBe(false);
      expect(c?.default).toContain('plain');
      expect((await db.indexes('tags')).map((i) => i.name)).toEqual(['tags_kind_idx']);
      expect(await rows(db, `SELECT id, kind FROM tags ORDER BY id`)).toEqual([
        { id: '1', kind: 'hot' },
        { id: '2', kind: 'plain' },
        { id: '3', kind: 'cold' },
        { id: '4', kind: 'plain' },
      ]);
    },
  },
]);

for (const target of targets) {
  target.describe(`dropColumn, beyond the table (${target.name})`, () => {
    it("plan says that down fills the new version's inserts only, naming the columns it reads (campaign AX: a rollback left values the new version's updates had not reached, unsaid)", async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, full_name varchar(100) NOT NULL, first_name varchar(50), last_name varchar(50))`], 'xc_dcol');
      await s.write('0001_drop', { dropColumn: { table: 't', column: 'full_name', down: `CONCAT(first_name, ' ', last_name)` } });
      expect((await s.xc.plan()).migrations[0]!.notes).toEqual([
        expect.stringMatching(/^operations\[0\]\.dropColumn: `down` fills "t"\."full_name" on the new version's inserts only: its updates of "first_name", "last_name" leave "full_name" as it was — the old version, and a rollback, read that value$/),
      ]);
    });

    it('a NOT NULL column without down or default: rollback is refused, nothing changed, while rows the new version wrote hold NULL; once filled, it finishes', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, legacy varchar(20) NOT NULL, v int)`, `INSERT INTO t VALUES (1, 'a', 1)`], 'xc_dcol');
      await s.write('0001_drop', { dropColumn: { table: 't', column: 'legacy' } });
      await s.xc.apply();
      // The new version omits it: the point of the phase.
      await s.db.query(`INSERT INTO t (id, v) VALUES (2, 2), (3, 3)`);
      const err = await rejection(s.xc.rollback());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/rollback refused[\s\S]*id="2" legacy=NULL\n\s*id="3" legacy=NULL[\s\S]*give them a value \(an UPDATE\), then run `xc rollback 0001_drop` again/);
      // Before: the rollback stopped at its validation ("violated by some row"; MariaDB "Data truncated"), in rolling_back, the new version's inserts refused.
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      await s.db.query(`INSERT INTO t (id, v) VALUES (4, 4)`);
      await s.db.query(`UPDATE t SET legacy = 'filled' WHERE legacy IS NULL`);
      await s.xc.rollback();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect((await column(s.db, 't', 'legacy'))?.nullable).toBe(false);
      expect(await s.db.checks('t')).toEqual([]);
      expect(await rows(s.db, `SELECT id, legacy FROM t ORDER BY id`)).toEqual([
        { id: '1', legacy: 'a' },
        { id: '2', legacy: 'filled' },
        { id: '3', legacy: 'filled' },
        { id: '4', legacy: 'filled' },
      ]);
    });
  });
}
