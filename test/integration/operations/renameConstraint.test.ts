/**
 * renameConstraint: renamed at expand, nothing at contract, renamed back at rollback. PostgreSQL renames in place
 * (a key's index with it); MySQL/MariaDB: a unique key by RENAME INDEX, a foreign key dropped and added in one
 * statement (its index of the same name renamed with it), a check moved to xc's trigger pair under the new name.
 */
import { expect, it } from 'vitest';
import { describeOperation, foreignKeys, rows } from '../../helpers/operations.js';
import { targets, type Db } from '../../helpers/targets.js';
import { refused, rejection, setup } from '../../helpers/scenario.js';

/** The error a statement fails with. */
async function failure(db: Db, sql: string): Promise<string> {
  try {
    await db.query(sql);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected ${sql} to fail`);
}

/** Constraint names of the table the server itself lists (PostgreSQL: every kind; MySQL: keys, foreign keys, CHECKs). */
async function constraints(db: Db, table: string): Promise<string[]> {
  const sql = db.dialect === 'postgres' ? `SELECT conname AS n FROM pg_constraint WHERE conrelid = to_regclass(?) ORDER BY 1` : `SELECT CONSTRAINT_NAME AS n FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY 1`;
  return (await db.query<{ n: string }>(sql, [table])).map((r) => r.n);
}

const PARENT = [`CREATE TABLE parent (id int PRIMARY KEY)`, `INSERT INTO parent VALUES (1), (2)`];
const CHILD = [...PARENT, `CREATE TABLE child (id int PRIMARY KEY, parent_id int, CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id))`, `INSERT INTO child VALUES (1, 1)`];
const pkOf = (fk: string) => (fk.includes(' ON DELETE ') ? fk : fk.replace(/ NOT VALID$/, ''));

describeOperation('renameConstraint', [
  {
    name: 'a unique key (and its index)',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50), CONSTRAINT users_email_key UNIQUE (email))`, `INSERT INTO users VALUES (1, 'a@x')`],
    operations: [{ renameConstraint: { table: 'users', from: 'users_email_key', to: 'users_email_uq' } }],
    writes: { old: [`INSERT INTO users VALUES (2, 'b@x')`], new: [`INSERT INTO users VALUES (3, 'c@x')`] },
    async afterExpand(db) {
      expect(await db.indexes('users')).toEqual([{ name: 'users_email_uq', columns: ['email'], unique: true }]);
    },
    async afterStart(db) {
      expect(await constraints(db, 'users')).toEqual(expect.arrayContaining(['users_email_uq']));
      expect(await constraints(db, 'users')).not.toContain('users_email_key');
      expect(await failure(db, `INSERT INTO users VALUES (4, 'a@x')`)).toMatch(/users_email_uq/);
    },
    async afterComplete(db) {
      expect(await db.indexes('users')).toEqual([{ name: 'users_email_uq', columns: ['email'], unique: true }]);
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(3);
    },
    async afterRollback(db) {
      expect(await db.indexes('users')).toEqual([{ name: 'users_email_key', columns: ['email'], unique: true }]);
      expect(await failure(db, `INSERT INTO users VALUES (4, 'a@x')`)).toMatch(/users_email_key/);
    },
  },
  {
    name: 'a foreign key (on MySQL/MariaDB the index the server made for it too)',
    setup: CHILD,
    operations: [{ renameConstraint: { table: 'child', from: 'child_parent_fk', to: 'child_parent_id_fkey' } }],
    writes: { old: [`INSERT INTO child VALUES (2, 2)`], new: [`INSERT INTO child VALUES (3, 1)`] },
    async afterStart(db) {
      expect((await foreignKeys(db, 'child')).map(pkOf)).toEqual([
        db.dialect === 'postgres' ? 'child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent(id)' : 'child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent(id) ON DELETE RESTRICT',
      ]);
      expect(await failure(db, `INSERT INTO child VALUES (9, 99)`)).toMatch(/child_parent_id_fkey/);
      if (db.dialect === 'mysql') expect(await db.indexes('child')).toEqual([{ name: 'child_parent_id_fkey', columns: ['parent_id'], unique: false }]);
    },
    async afterComplete(db) {
      expect((await foreignKeys(db, 'child')).map((k) => k.split(' ')[0])).toEqual(['child_parent_id_fkey']);
      expect(await rows(db, `SELECT id, parent_id FROM child ORDER BY id`)).toEqual([{ id: '1', parent_id: '1' }, { id: '2', parent_id: '2' }, { id: '3', parent_id: '1' }]);
    },
    async afterRollback(db) {
      expect((await foreignKeys(db, 'child')).map((k) => k.split(' ')[0])).toEqual(['child_parent_fk']);
      expect(await failure(db, `INSERT INTO child VALUES (9, 99)`)).toMatch(/child_parent_fk/);
    },
  },
  {
    // On MySQL/MariaDB a server CHECK comes back from a rollback as xc's trigger pair: tested apart below.
    name: 'a check (PostgreSQL)',
    only: 'postgres',
    setup: [`CREATE TABLE items (id int PRIMARY KEY, qty int, CONSTRAINT items_qty_check CHECK (qty >= 0))`, `INSERT INTO items VALUES (1, 5)`],
    operations: [{ renameConstraint: { table: 'items', from: 'items_qty_check', to: 'items_qty_nonneg' } }],
    writes: { old: [`INSERT INTO items VALUES (2, 1)`], new: [`INSERT INTO items VALUES (3, 0)`] },
    async afterStart(db) {
      expect(await constraints(db, 'items')).toEqual(['items_pkey', 'items_qty_nonneg']);
      expect(await failure(db, `INSERT INTO items VALUES (4, -1)`)).toMatch(/items_qty_nonneg/);
    },
    async afterComplete(db) {
      expect(await failure(db, `UPDATE items SET qty = -1 WHERE id = 1`)).toMatch(/items_qty_nonneg/);
      expect(await db.count(`SELECT count(*) FROM items`)).toBe(3);
    },
    async afterRollback(db) {
      expect(await constraints(db, 'items')).toEqual(['items_pkey', 'items_qty_check']);
    },
  },
  {
    name: 'renamed, then dropped under its new name in the same migration',
    setup: CHILD,
    operations: [{ renameConstraint: { table: 'child', from: 'child_parent_fk', to: 'child_parent_old' } }, { dropConstraint: { table: 'child', name: 'child_parent_old' } }],
    writes: { old: [`INSERT INTO child VALUES (2, 2)`] },
    async afterStart(db) {
      expect((await foreignKeys(db, 'child')).map((k) => k.split(' ')[0])).toEqual(['child_parent_old']);
    },
    async afterComplete(db) {
      expect(await foreignKeys(db, 'child')).toEqual([]);
      await db.query(`INSERT INTO child VALUES (9, 99)`);
    },
    async afterRollback(db) {
      expect((await foreignKeys(db, 'child')).map((k) => k.split(' ')[0])).toEqual(['child_parent_fk']);
    },
  },
  {
    name: 'a primary key and its index (PostgreSQL)',
    only: 'postgres',
    setup: [`CREATE TABLE things (id int, CONSTRAINT things_pk PRIMARY KEY (id))`, `INSERT INTO things VALUES (1)`],
    operations: [{ renameConstraint: { table: 'things', from: 'things_pk', to: 'things_pkey' } }],
    writes: { old: [`INSERT INTO things VALUES (2)`], new: [`INSERT INTO things VALUES (3)`] },
    async afterStart(db) {
      expect(await constraints(db, 'things')).toEqual(['things_pkey']);
      expect(await rows(db, `SELECT indexrelid::regclass::text AS i FROM pg_index WHERE indrelid = 'things'::regclass`)).toEqual([{ i: 'things_pkey' }]);
    },
    async afterComplete(db) {
      expect(await failure(db, `INSERT INTO things VALUES (1)`)).toMatch(/things_pkey/);
    },
    async afterRollback(db) {
      expect(await constraints(db, 'things')).toEqual(['things_pk']);
      expect(await rows(db, `SELECT indexrelid::regclass::text AS i FROM pg_index WHERE indrelid = 'things'::regclass`)).toEqual([{ i: 'things_pk' }]);
    },
  },
]);

for (const target of targets) {
  const mysql = target.name === 'mysql';
  target.describe(`renameConstraint, beyond the table (${target.name})`, () => {
    it(`a check of the server's${mysql ? ', enforced by xc triggers under the new name (no table copy), and under the old one after rollback' : ''}`, async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, qty int, CONSTRAINT items_qty_check CHECK (qty >= 0))`, `INSERT INTO items VALUES (1, 5)`], 'xc_rc');
      await s.write('0001_rc', { renameConstraint: { table: 'items', from: 'items_qty_check', to: 'items_qty_nonneg' } });
      await s.xc.apply();
      expect(await failure(s.db, `INSERT INTO items VALUES (2, -1)`)).toMatch(/items_qty_nonneg/);
      expect(await constraints(s.db, 'items')).toEqual(mysql ? ['PRIMARY'] : ['items_pkey', 'items_qty_nonneg']);
      expect(await s.db.checks('items')).toHaveLength(1);
      await s.xc.rollback();
      expect(await failure(s.db, `INSERT INTO items VALUES (2, -1)`)).toMatch(/items_qty_check/);
      expect(await s.db.checks('items')).toHaveLength(1);
      expect((await s.db.triggers()).length).toBe(mysql ? 2 : 0);
    });

    it('refuses a missing constraint, a taken name, the same name, and reusing the old name before contract', async () => {
      const s = await setup(target, [...CHILD, `ALTER TABLE child ADD CONSTRAINT child_id_check CHECK (id > 0)`], 'xc_rc');
      const cases: [unknown, RegExp][] = [
        [{ table: 'child', from: 'nope', to: 'x' }, /renameConstraint\.from: table "child" has no constraint "nope"/],
        [{ table: 'child', from: 'child_parent_fk', to: 'child_id_check' }, /renameConstraint\.to: table "child" already has a constraint "child_id_check"/],
        [{ table: 'child', from: 'child_parent_fk', to: 'child_parent_fk' }, /renameConstraint\.to: constraint "child_parent_fk" already has that name/],
      ];
      for (const [spec, message] of cases) {
        await s.write('0001_rc', { renameConstraint: spec });
        await refused(s, ['child'], message);
      }
      await s.write('0001_rc', { renameConstraint: { table: 'child', from: 'child_id_check', to: 'child_id_positive' } });
      await s.write('0002_reuse', { addCheck: { table: 'child', name: 'child_id_check', expression: 'id < 1000' } });
      const err = await s.xc.plan().then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/0002_reuse\.json: operations\[0\]\.addCheck: index or constraint "child_id_check" on "child" still exists until 0001_rc/);
      // A contract still to validate a check of the table (by name) refuses a rename of its constraints until then.
      await s.write('0001_rc', { addCheck: { table: 'child', name: 'child_id_small', expression: 'id < 1000' } });
      await s.write('0002_reuse', { renameConstraint: { table: 'child', from: 'child_id_small', to: 'child_id_lt_1000' } });
      await refused(s, ['child'], /0002_reuse\.json: operations\[0\]\.renameConstraint\.from: the contract steps of 0001_rc \(operations\[0\]\.addCheck\) name "child"/);
    });

    // Campaign DV: Rails' rename_column renames the column's index; renameConstraint of it said only "has no constraint".
    it('an index that is no constraint: refused naming the statement that renames it, which runs as a `sql` operation', async () => {
      const s = await setup(target, [...CHILD, `CREATE INDEX index_child_on_parent_id ON child (parent_id)`], 'xc_rc');
      await s.write('0001_rc', { renameConstraint: { table: 'child', from: 'index_child_on_parent_id', to: 'index_child_on_owner_id' } });
      const err = await rejection(s.xc.plan());
      expect(err.exitCode).toBe(2);
      const statement = /"index_child_on_parent_id" is an index, not a constraint: rename it with a `sql` operation — `(.+)` \(catalog only\)/.exec(err.message)?.[1];
      expect(statement).toBeDefined();
      await s.write('0001_rc', { sql: { expand: statement!, rollback: statement!.replace('index_child_on_parent_id', '@@').replace('index_child_on_owner_id', 'index_child_on_parent_id').replace('@@', 'index_child_on_owner_id') } });
      await s.xc.apply();
      expect((await s.db.indexes('child')).map((i) => i.name)).toContain('index_child_on_owner_id');
      await s.xc.rollback();
      expect((await s.db.indexes('child')).map((i) => i.name)).toContain('index_child_on_parent_id');
    });

    it('a foreign key renamed after an index over its column, in one migration: InnoDB dropped the index it made for the key (fuzz seed 193)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY)`, `CREATE TABLE orders (id int PRIMARY KEY, alpha int, CONSTRAINT orders_fk3 FOREIGN KEY (alpha) REFERENCES users (id))`, `INSERT INTO users VALUES (1)`, `INSERT INTO orders VALUES (1, 1)`], 'xc_rc');
      await s.write('0001_rc', { addIndex: { table: 'orders', columns: ['alpha'], name: 'orders_ix4' } }, { renameConstraint: { table: 'orders', from: 'orders_fk3', to: 'orders_cn5' } });
      await s.xc.apply();
      expect(await failure(s.db, `INSERT INTO orders VALUES (2, 9)`)).toMatch(/orders_cn5/);
      expect((await s.db.indexes('orders')).map((i) => i.name).sort()).toEqual(['orders_ix4']);
      await s.xc.rollback();
      expect(await failure(s.db, `INSERT INTO orders VALUES (2, 9)`)).toMatch(/orders_fk3/);
    });

    if (mysql) {
      it('MySQL/MariaDB: the primary key, always PRIMARY, is refused', async () => {
        const s = await setup(target, [`CREATE TABLE things (id int PRIMARY KEY)`], 'xc_rc');
        await s.write('0001_rc', { renameConstraint: { table: 'things', from: 'PRIMARY', to: 'things_pkey' } });
        await refused(s, ['things'], /renameConstraint\.from: "PRIMARY" is the primary key of "things", which cannot be renamed: MySQL\/MariaDB name every primary key PRIMARY/);
      });
    }
  });
}
