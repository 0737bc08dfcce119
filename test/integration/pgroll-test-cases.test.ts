/**
 * pgroll's own test cases (`pkg/migrations/*_test.go`), translated by two helpers of the sixteenth session (campaigns
 * pgrollA and pgrollB): the sequences among them xc got wrong, each a regression test shown to fail before its fix.
 * (A table renamed earlier in the plan: renamed-in-plan.test.ts.)
 *
 * A check over two columns, both renamed (pgroll's duplicate_test "multi-column check constraint with multiple
 * columns duplicated"), or one renamed and the other changed: the first copy's projection moved the check's columns
 * to the new name but not its text, so the second carried `name <> nickname` — its contract failed after the old
 * column was dropped, the migration left `contracting` with its rollback refused; the change of type was refused
 * at plan ("column lo does not exist").
 *
 * A foreign key referencing the new column of a copy in the same migration (pgroll's op_set_fk_test): on
 * PostgreSQL the copy gets existing rows' values from the backfill, after the key is added at expand — writes
 * referencing them were refused, their parents' deletes not checked, and the contract failed to validate the key,
 * left `contracting`. Refused at plan there; MariaDB fills the copy at expand and takes it.
 *
 * A foreign key given as a column's `references` (createTable, addColumn, a table constraint) was not checked for
 * its types at plan, as addForeignKey and createConstraint were: pgroll's usual `integer` column referencing a
 * `serial` key (MariaDB: BIGINT UNSIGNED) passed plan and failed apply with errno 150, naming neither type.
 */
import { expect, it } from 'vitest';
import { describeCases, rejects, rows } from '../helpers/operations.js';
import { record, refused, rejection, setup, toContracted } from '../helpers/scenario.js';
import { targets, type Db } from '../helpers/targets.js';

const PEOPLE = [`CREATE TABLE people (id int PRIMARY KEY, name varchar(50), nick varchar(50), CONSTRAINT different_nick CHECK (name <> nick))`, `INSERT INTO people VALUES (1, 'ann', 'a')`];
const RANGES = [`CREATE TABLE ranges (id int PRIMARY KEY, lo int, hi int, CONSTRAINT lo_le_hi CHECK (lo <= hi))`, `INSERT INTO ranges VALUES (1, 1, 2)`];
/** The rows of `ranges` the cases below keep (the seeded one, the old version's, the new version's), as [id, lo, hi]. */
const KEPT = [['1', '1', '2'], ['2', '3', '4'], ['3', '5', '6']];
/** `ranges` as [id, lo, hi], its two columns read by the names they have now. */
const rangesAs = async (db: Db, lo: string, hi: string) => (await rows(db, `SELECT id, ${lo} AS lo, ${hi} AS hi FROM ranges ORDER BY id`)).map((r) => [r.id, r.lo, r.hi]);

describeCases('pgroll test cases: a check over two columns, both changed', [
  {
    name: 'both columns of a check renamed in one migration: the check holds under the new names, data kept',
    setup: PEOPLE,
    operations: [{ renameColumn: { table: 'people', from: 'name', to: 'first_name' } }, { renameColumn: { table: 'people', from: 'nick', to: 'nickname' } }],
    writes: { old: [`INSERT INTO people (id, name, nick) VALUES (2, 'bob', 'b')`, `UPDATE people SET nick = 'bobby' WHERE id = 2`], new: [`INSERT INTO people (id, first_name, nickname) VALUES (3, 'cy', 'c')`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO people (id, first_name, nickname) VALUES (4, 'dee', 'dee')`);
      await rejects(db, `INSERT INTO people (id, name, nick) VALUES (4, 'dee', 'dee')`);
    },
    async afterComplete(db) {
      expect(await rows(db, `SELECT id, first_name, nickname FROM people ORDER BY id`)).toEqual([
        { id: '1', first_name: 'ann', nickname: 'a' },
        { id: '2', first_name: 'bob', nickname: 'bobby' },
        { id: '3', first_name: 'cy', nickname: 'c' },
      ]);
      await rejects(db, `INSERT INTO people (id, first_name, nickname) VALUES (4, 'dee', 'dee')`);
      await rejects(db, `UPDATE people SET nickname = first_name WHERE id = 1`);
      expect((await db.columns('people')).map((c) => c.name).sort()).toEqual(['first_name', 'id', 'nickname']);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, name, nick FROM people ORDER BY id`)).toEqual([
        { id: '1', name: 'ann', nick: 'a' },
        { id: '2', name: 'bob', nick: 'bobby' },
        { id: '3', name: 'cy', nick: 'c' },
      ]);
    },
  },
  {
    name: 'both columns of a check renamed by two migrations in flight: each contract holds the check',
    setup: RANGES,
    migrations: [[{ renameColumn: { table: 'ranges', from: 'lo', to: 'low' } }], [{ renameColumn: { table: 'ranges', from: 'hi', to: 'high' } }]],
    writes: { old: [`INSERT INTO ranges (id, lo, hi) VALUES (2, 3, 4)`], new: [`INSERT INTO ranges (id, low, high) VALUES (3, 5, 6)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO ranges (id, low, high) VALUES (4, 9, 8)`);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO ranges (id, low, high) VALUES (4, 9, 8)`);
      expect(await rangesAs(db, 'low', 'high')).toEqual(KEPT);
    },
    async afterRollback(db) {
      expect(await rangesAs(db, 'lo', 'hi')).toEqual(KEPT);
    },
  },
  {
    name: 'one column of a check renamed, the other changed in place: planned (was refused: "column lo does not exist"), the check holds',
    setup: RANGES,
    operations: [{ renameColumn: { table: 'ranges', from: 'lo', to: 'low' } }, { alterColumn: { table: 'ranges', column: 'hi', type: 'bigint' } }],
    writes: { old: [`INSERT INTO ranges (id, lo, hi) VALUES (2, 3, 4)`], new: [`INSERT INTO ranges (id, low, hi) VALUES (3, 5, 6)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO ranges (id, low, hi) VALUES (4, 9, 8)`);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO ranges (id, low, hi) VALUES (4, 9, 8)`);
      await db.query(`INSERT INTO ranges (id, low, hi) VALUES (4, 1, 5000000000)`);
      expect(await rangesAs(db, 'low', 'hi')).toEqual([...KEPT, ['4', '1', '5000000000']]);
    },
    async afterRollback(db) {
      expect(await rangesAs(db, 'lo', 'hi')).toEqual(KEPT);
    },
  },
]);

const SUPPLIERS = [
  `CREATE TABLE suppliers (id int PRIMARY KEY, name varchar(50), code int UNIQUE)`,
  `CREATE TABLE items (id int PRIMARY KEY, name varchar(50), supplier_code int)`,
  `INSERT INTO suppliers VALUES (1, 's', 11), (2, 't', 22)`,
  `INSERT INTO items VALUES (1, 'a', 22)`,
];
const RENAME_CODE = { renameColumn: { table: 'suppliers', from: 'code', to: 'scode' } };
const KEY_TO_SCODE = { alterColumn: { table: 'items', column: 'supplier_code', references: { name: 'fk_sup', table: 'suppliers', column: 'scode' } } };

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`pgroll test cases: a foreign key to a copy's new column (${target.name})`, () => {
    it(pg ? 'in the same migration: refused at plan, nothing changed; in the next one, the key holds' : 'in the same migration: the key holds from expand (the copy is filled there)', async () => {
      const s = await setup(target, SUPPLIERS, 'xc_pgt');
      await s.write('0001_fk', RENAME_CODE, KEY_TO_SCODE);
      if (pg) {
        await refused(s, ['suppliers', 'items'], /operations\[1\]\.alterColumn\.references[^:]*: "suppliers"\."scode" gets the values of existing rows from this migration's backfill[^]*add the key in a later migration/);
        await s.write('0001_fk', RENAME_CODE);
        await s.write('0002_fk', KEY_TO_SCODE);
      }
      await s.xc.apply();
      await s.db.query(`INSERT INTO items VALUES (2, 'b', 11)`); // supplier 11 exists
      await rejects(s.db, `INSERT INTO items VALUES (3, 'c', 33)`);
      await rejects(s.db, `DELETE FROM suppliers WHERE id = 2`); // item 1 references 22
      await record(s.xc, pg ? '0002_fk' : '0001_fk');
      await s.xc.contract();
      expect((await s.xc.status()).migrations.every((m) => m.phase === 'contracted')).toBe(true);
      await rejects(s.db, `DELETE FROM suppliers WHERE id = 1`);
      expect(await rows(s.db, `SELECT i.id, s.scode FROM items i JOIN suppliers s ON s.scode = i.supplier_code ORDER BY i.id`)).toEqual([{ id: '1', scode: '22' }, { id: '2', scode: '11' }]);
    });
  });
}

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`pgroll test cases: a column's references checked for its types at plan (${target.name})`, () => {
    it('createTable, a table constraint and addColumn: refused (exit 2) naming both columns, nothing created', async () => {
      const s = await setup(target, [`CREATE TABLE users (id ${pg ? 'text' : 'bigint unsigned'} PRIMARY KEY)`], 'xc_pgt');
      const child = pg ? 'int' : 'integer';
      await s.write('0001_posts', { createTable: { table: 'posts', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'user_id', type: child, references: { table: 'users', column: 'id' } }] } });
      await refused(s, ['users'], /operations\[0\]\.createTable\.columns\[1\]\.type: "posts"\."user_id" cannot reference "users"\."id"/);
      await s.write('0001_posts', { createTable: { table: 'posts', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'user_id', type: child }], constraints: [{ name: 'posts_user', type: 'foreign_key', columns: ['user_id'], references: { table: 'users', columns: ['id'] } }] } });
      await refused(s, ['users'], /operations\[0\]\.createTable\.constraints\[0\]\.columns\[0\]: "posts"\."user_id" cannot reference "users"\."id"/);
      await s.write('0001_posts', { addColumn: { table: 'users', column: { name: 'boss', type: child, references: { table: 'users', column: 'id' } } } });
      await refused(s, ['users'], /operations\[0\]\.addColumn\.column\.type: "users"\."boss" cannot reference "users"\."id"/);
      // The type the key needs: it goes through.
      await s.write('0001_posts', { createTable: { table: 'posts', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'user_id', type: pg ? 'text' : 'bigint unsigned', references: { table: 'users', column: 'id' } }] } });
      await s.xc.apply();
      await rejects(s.db, `INSERT INTO posts VALUES (1, ${pg ? "'nobody'" : '42'})`);
    });
  });
}

for (const target of targets) {
  target.describe(`pgroll test cases: what a refusal says (${target.name})`, () => {
    it("two operations of one migration that cannot share it: told to move the second to a later migration, not to contract the one being planned", async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, w varchar(20))`], 'xc_pgt');
      const up = target.name === 'postgres' ? "label || '!'" : "CONCAT(label, '!')";
      await s.write('0001_both', { renameColumn: { table: 'items', from: 'w', to: 'label' } }, { addColumn: { table: 'items', column: { name: 'tag', type: 'varchar(40)' }, up } });
      await refused(s, ['items'], /operations\[1\]\.addColumn: "items"\."label" is kept in step by a trigger of 0001_both \(operations\[0\]\.renameColumn\) until it is contracted; a second trigger reading it would race the first — that is this migration, so the two cannot be in one: move this operation to a later migration, and apply it once this one is contracted/);
    });

    it('a dropNotNull after a renameColumn of the same migration (refused by the operation itself, not the projection): told the same', async () => {
      const s = await setup(target, [`CREATE TABLE review (id int PRIMARY KEY, review varchar(20) NOT NULL)`], 'xc_pgt');
      await s.write('0001_change', { renameTable: { from: 'review', to: 'reviews' } }, { renameColumn: { table: 'reviews', from: 'review', to: 'body' } }, { dropNotNull: { table: 'reviews', column: 'body' } });
      await refused(s, ['review'], /operations\[2\]\.dropNotNull\.column: "reviews"\."body" is made NOT NULL by 0001_change \(operations\[1\]\.renameColumn\) at its contract, which would undo this — that is this migration, so the two cannot be in one: move this operation to a later migration/);
    });

    it("a new version's write breaking an added column's check before contract: the refusal says to mend the row, not to backfill", async () => {
      const s = await setup(target, [`CREATE TABLE people (id int PRIMARY KEY)`, `INSERT INTO people VALUES (1)`], 'xc_pgt');
      await s.write('0001_age', { addColumn: { table: 'people', column: { name: 'age', type: 'int', default: '18', check: { name: 'adult', expression: 'age >= 18' } } } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO people (id, age) VALUES (2, 3)`);
      await record(s.xc, '0001_age');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/every row satisfies the check adult[^]*id="2"[^]*give them values it takes \(an UPDATE\), then run `xc contract` again/);
      expect(err.message).not.toMatch(/xc backfill|xc\.bypass/);
      await s.db.query(`UPDATE people SET age = 30 WHERE id = 2`);
      await s.xc.contract();
      await rejects(s.db, `INSERT INTO people (id, age) VALUES (3, 3)`);
    });

    it.runIf(target.name === 'postgres')("a contract statement the server refuses: the message carries the server's DETAIL, what stands in the way (campaign B: Prisma's DROP TYPE)", async () => {
      const s = await setup(target, [`CREATE TYPE mood AS ENUM ('ok', 'sad')`, `CREATE TABLE people (id int PRIMARY KEY, m mood)`], 'xc_pgt');
      await s.write('0001_drop_type', { sql: { contract: 'DROP TYPE mood' } });
      await s.xc.apply();
      await record(s.xc, '0001_drop_type');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/cannot drop type mood because other objects depend on it \(column m of table people depends on type mood\)/);
    });

    it.runIf(target.name === 'postgres')("Prisma's enum → text, then DROP TYPE: the enum default is carried as the text it spells, not a cast that still names the type (campaign B)", async () => {
      const s = await setup(target, [`CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN')`, `CREATE TABLE "User" (id int PRIMARY KEY, role "Role" NOT NULL DEFAULT 'USER')`, `INSERT INTO "User" VALUES (1, 'ADMIN'), (2, 'USER')`], 'xc_pgt');
      await s.write('0001_role_text', { alterColumn: { table: 'User', column: 'role', type: 'text' } });
      await s.write('0002_drop_role', { sql: { contract: 'DROP TYPE "Role"' } });
      await s.xc.apply();
      // The old version inserts without the column meanwhile: the enum's default.
      await s.db.query(`INSERT INTO "User" (id) VALUES (3)`);
      await toContracted(s, '0002_drop_role');
      expect(await s.db.query(`SELECT to_regtype('"Role"') AS t`)).toEqual([{ t: null }]);
      await s.db.query(`INSERT INTO "User" (id) VALUES (4)`);
      expect(await s.db.query(`SELECT id, role, pg_typeof(role)::text AS type FROM "User" ORDER BY id`)).toEqual([
        { id: 1, role: 'ADMIN', type: 'text' },
        { id: 2, role: 'USER', type: 'text' },
        { id: 3, role: 'USER', type: 'text' },
        { id: 4, role: 'USER', type: 'text' },
      ]);
    });

    it.runIf(target.name === 'postgres')('addColumn of a serial type: said to be createTable\'s shorthand, not a type the server lacks (MySQL/MariaDB: plan-checks.test.ts)', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY)`], 'xc_pgt');
      await s.write('0001_serial', { addColumn: { table: 'items', column: { name: 'n', type: 'bigserial' } } });
      await refused(s, ['items'], /operations\[0\]\.addColumn[^:]*: "bigserial" is not a type but a shorthand only createTable takes \(bigint with a sequence it owns as its default\)/);
    });
  });
}
