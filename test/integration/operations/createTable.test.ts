/** createTable: created at expand (only the new version writes it); nothing at contract; dropped at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, foreignKeys, rejects, rows } from '../../helpers/operations.js';
import type { Db } from '../../helpers/targets.js';

/** A foreign key's update and delete rules as the catalog has them (both servers), `name: UPDATE DELETE`. */
async function keyRules(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT c.constraint_name AS n, c.update_rule AS u, c.delete_rule AS d FROM information_schema.referential_constraints c JOIN information_schema.table_constraints t ON t.constraint_name = c.constraint_name AND t.constraint_schema = c.constraint_schema WHERE t.table_schema = current_schema() AND t.table_name = ? ORDER BY 1`
      : `SELECT constraint_name AS n, update_rule AS u, delete_rule AS d FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND table_name = ? ORDER BY 1`;
  return (await db.query<{ n: string; u: string; d: string }>(sql, [table])).map((r) => `${r.n}: ${r.u} ${r.d}`);
}

/** A table's constraints as the catalog names them, `name TYPE`, sorted (MySQL names every primary key PRIMARY). */
async function constraints(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT conname || ' ' || CASE contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'x' THEN 'EXCLUDE' END AS d FROM pg_constraint WHERE conrelid = to_regclass(?)`
      : `SELECT CONCAT(CONSTRAINT_NAME, ' ', CONSTRAINT_TYPE) AS d FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`;
  return (await db.query<{ d: string }>(sql, [db.dialect === 'postgres' ? `"${table}"` : table])).map((r) => r.d).sort();
}

/** The table's comment and its columns' (those that have one), `table: …`, `column: …`. */
async function comments(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT 'table: ' || obj_description(to_regclass(?), 'pg_class') AS c UNION ALL SELECT a.attname || ': ' || col_description(a.attrelid, a.attnum) FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND col_description(a.attrelid, a.attnum) IS NOT NULL`
      : `SELECT CONCAT('table: ', TABLE_COMMENT) AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? UNION ALL SELECT CONCAT(COLUMN_NAME, ': ', COLUMN_COMMENT) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_COMMENT <> ''`;
  const t = db.dialect === 'postgres' ? `"${table}"` : table;
  return (await db.query<{ c: string }>(sql, [t, t])).map((r) => r.c).sort();
}

/** How the server fills each of the table's columns it fills itself: `name identity-always|identity-by-default|auto_increment|generated`. */
async function generated(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT attname || ' ' || CASE WHEN attidentity = 'a' THEN 'identity-always' WHEN attidentity = 'd' THEN 'identity-by-default' ELSE 'generated' END AS g FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND (attidentity <> '' OR attgenerated <> '')`
      : `SELECT CONCAT(COLUMN_NAME, ' ', IF(EXTRA LIKE '%auto_increment%', 'auto_increment', 'generated')) AS g FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND (EXTRA LIKE '%auto_increment%' OR EXTRA LIKE '%GENERATED%')`;
  return (await db.query<{ g: string }>(sql, [db.dialect === 'postgres' ? `"${table}"` : table])).map((r) => r.g).sort();
}

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
    name: 'a named foreign key that cascades updates',
    setup: [`CREATE TABLE users (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1), (2)`],
    operations: [
      {
        createTable: {
          table: 'orders',
          columns: [
            { name: 'id', type: 'int', primaryKey: true },
            { name: 'user_id', type: 'int', references: { name: 'orders_owner', table: 'users', column: 'id', onUpdate: 'cascade', onDelete: 'set null', matchType: 'simple' } },
          ],
        },
      },
    ],
    writes: { new: [`INSERT INTO orders VALUES (10, 1), (11, 2)`] },
    async afterStart(db) {
      expect(await keyRules(db, 'orders')).toEqual(['orders_owner: CASCADE SET NULL']);
      await db.query(`UPDATE users SET id = 5 WHERE id = 1`);
      await db.query(`DELETE FROM users WHERE id = 2`);
      expect(await rows(db, `SELECT id, user_id FROM orders ORDER BY id`)).toEqual([
        { id: '10', user_id: '5' },
        { id: '11', user_id: null },
      ]);
    },
    async afterComplete(db) {
      expect(await keyRules(db, 'orders')).toEqual(['orders_owner: CASCADE SET NULL']);
      await db.query(`UPDATE users SET id = 6 WHERE id = 5`);
      expect(await rows(db, `SELECT user_id FROM orders WHERE id = 10`)).toEqual([{ user_id: '6' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM orders`);
    },
  },
  {
    name: 'a deferrable MATCH FULL foreign key, checked at commit',
    only: 'postgres',
    setup: [`CREATE TABLE users (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1)`],
    operations: [
      {
        createTable: {
          table: 'orders',
          columns: [
            { name: 'id', type: 'int', primaryKey: true },
            { name: 'user_id', type: 'int', references: { table: 'users', column: 'id', matchType: 'full', deferrable: true, initiallyDeferred: true } },
          ],
        },
      },
    ],
    async afterStart(db) {
      expect(await foreignKeys(db, 'orders')).toEqual(['orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) MATCH FULL DEFERRABLE INITIALLY DEFERRED']);
    },
    async afterComplete(db) {
      // Checked at commit: the child may come before its parent in one transaction.
      await db.query(`DO $$ BEGIN INSERT INTO orders VALUES (2, 7); INSERT INTO users VALUES (7); END $$`);
      await rejects(db, `DO $$ BEGIN INSERT INTO orders VALUES (3, 8); END $$`);
      expect(await rows(db, `SELECT id FROM orders`)).toEqual([{ id: '2' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM orders`);
    },
  },
  {
    name: 'a named primary key, table constraints (unique, check, two-column foreign key), a column check and comments',
    setup: [`CREATE TABLE providers (id int, region int, PRIMARY KEY (id, region))`, `INSERT INTO providers VALUES (1, 1), (2, 1)`],
    operations: [
      {
        createTable: {
          table: 'phonebook',
          comment: "the phone book's \\ table",
          columns: [
            { name: 'id', type: 'int' },
            { name: 'provider', type: 'int' },
            { name: 'region', type: 'int' },
            { name: 'name', type: 'varchar(40)', check: { name: 'name_present', expression: 'length(name) > 0' }, comment: "who's it" },
            { name: 'phone', type: 'varchar(20)', check: { expression: `phone <> 'none'` } },
          ],
          primaryKey: { name: 'phonebook_pk', columns: ['id'] },
          constraints: [
            { name: 'unique_phone', type: 'unique', columns: ['phone'] },
            { name: 'id_positive', type: 'check', check: 'id > 0' },
            { name: 'provider_fk', type: 'foreign_key', columns: ['provider', 'region'], references: { table: 'providers', columns: ['id', 'region'], onDelete: 'cascade', onUpdate: 'cascade' } },
          ],
        },
      },
    ],
    writes: { new: [`INSERT INTO phonebook VALUES (1, 1, 1, 'ann', '555'), (2, 2, 1, 'bob', '556')`] },
    async afterStart(db) {
      const pk = db.dialect === 'postgres' ? 'phonebook_pk' : 'PRIMARY';
      expect(await constraints(db, 'phonebook')).toEqual([`id_positive CHECK`, `name_present CHECK`, `phonebook_phone_check CHECK`, `${pk} PRIMARY KEY`, `provider_fk FOREIGN KEY`, `unique_phone UNIQUE`].sort());
      expect(await comments(db, 'phonebook')).toEqual(["name: who's it", "table: the phone book's \\ table"]);
      expect(await keyRules(db, 'phonebook')).toEqual(['provider_fk: CASCADE CASCADE']);
      await rejects(db, `INSERT INTO phonebook VALUES (3, 1, 1, '', '557')`);
      await rejects(db, `INSERT INTO phonebook VALUES (3, 1, 1, 'cy', 'none')`);
      await rejects(db, `INSERT INTO phonebook VALUES (0, 1, 1, 'cy', '557')`);
      await rejects(db, `INSERT INTO phonebook VALUES (3, 1, 1, 'cy', '555')`);
      await rejects(db, `INSERT INTO phonebook VALUES (3, 1, 2, 'cy', '557')`);
      await rejects(db, `INSERT INTO phonebook VALUES (1, 1, 1, 'cy', '557')`);
      await db.query(`UPDATE providers SET region = 7 WHERE id = 1`);
      expect(await rows(db, `SELECT id, provider, region FROM phonebook ORDER BY id`)).toEqual([
        { id: '1', provider: '1', region: '7' },
        { id: '2', provider: '2', region: '1' },
      ]);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO phonebook VALUES (3, 2, 1, '', '557')`);
      await db.query(`DELETE FROM providers WHERE id = 2`);
      expect(await rows(db, `SELECT id FROM phonebook`)).toEqual([{ id: '1' }]);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM phonebook`);
    },
  },
  {
    name: 'an identity key and a generated column, computed by the server',
    setup: [],
    operations: [
      {
        createTable: {
          table: 'items',
          columns: [
            { name: 'code', type: 'varchar(10)', primaryKey: true },
            // Not in a key: MySQL's AUTO_INCREMENT gets an index of its own.
            { name: 'n', type: 'bigint', generated: { identity: 'byDefault' } },
            { name: 'price', type: 'int', nullable: false },
            { name: 'qty', type: 'int', nullable: false },
            { name: 'total', type: 'int', generated: { expression: 'price * qty' } },
          ],
        },
      },
    ],
    writes: { new: [`INSERT INTO items (code, price, qty) VALUES ('a', 2, 3), ('b', 5, 1)`] },
    async afterStart(db) {
      expect(await generated(db, 'items')).toEqual(db.dialect === 'postgres' ? ['n identity-by-default', 'total generated'] : ['n auto_increment', 'total generated']);
      expect((await column(db, 'items', 'n'))?.nullable).toBe(false);
      expect(await rows(db, `SELECT code, n, total FROM items ORDER BY code`)).toEqual([
        { code: 'a', n: '1', total: '6' },
        { code: 'b', n: '2', total: '5' },
      ]);
      await db.query(`UPDATE items SET qty = 10 WHERE code = 'b'`);
      expect(await rows(db, `SELECT total FROM items WHERE code = 'b'`)).toEqual([{ total: '50' }]);
      // By default: an explicit value is taken.
      await db.query(`INSERT INTO items (code, n, price, qty) VALUES ('z', 100, 1, 1)`);
      await db.query(`DELETE FROM items WHERE code = 'z'`);
    },
    async afterComplete(db) {
      await db.query(`INSERT INTO items (code, price, qty) VALUES ('c', 1, 1)`);
      expect(await rows(db, `SELECT code, total FROM items ORDER BY code`)).toEqual([
        { code: 'a', total: '6' },
        { code: 'b', total: '50' },
        { code: 'c', total: '1' },
      ]);
      expect(Number((await rows(db, `SELECT n FROM items WHERE code = 'c'`))[0]!.n)).toBeGreaterThan(2);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM items`);
    },
  },
  {
    name: 'PostgreSQL only: identity always, an exclusion constraint, NULLS NOT DISTINCT, INCLUDE, storage parameters, a deferrable unique key',
    only: 'postgres',
    setup: [`CREATE EXTENSION IF NOT EXISTS btree_gist`],
    operations: [
      {
        createTable: {
          table: 'bookings',
          columns: [
            { name: 'id', type: 'int', generated: { identity: 'always' } },
            { name: 'room', type: 'int', nullable: false },
            { name: 'during', type: 'tsrange', nullable: false },
            { name: 'code', type: 'text' },
            { name: 'note', type: 'text' },
          ],
          constraints: [
            { name: 'bookings_pk', type: 'primary_key', columns: ['id'], include: ['room'], storageParameters: 'fillfactor=70' },
            { name: 'no_overlap', type: 'exclude', exclude: { method: 'gist', elements: 'room WITH =, during WITH &&', where: `note IS DISTINCT FROM 'cancelled'` } },
            { name: 'one_code', type: 'unique', columns: ['code'], nullsNotDistinct: true, include: ['note'], deferrable: true, initiallyDeferred: true },
          ],
        },
      },
    ],
    writes: { new: [`INSERT INTO bookings (room, during) VALUES (1, '[2026-01-01 10:00, 2026-01-01 11:00)')`] },
    async afterStart(db) {
      const defs = await db.query<{ d: string }>(`SELECT conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'bookings'::regclass ORDER BY 1`);
      expect(defs.map((r) => r.d)).toEqual([
        `bookings_pk PRIMARY KEY (id) INCLUDE (room)`,
        `no_overlap EXCLUDE USING gist (room WITH =, during WITH &&) WHERE ((note IS DISTINCT FROM 'cancelled'::text))`,
        `one_code UNIQUE NULLS NOT DISTINCT (code) INCLUDE (note) DEFERRABLE INITIALLY DEFERRED`,
      ]);
      expect(await rows(db, `SELECT array_to_string(reloptions, ',') AS o FROM pg_class WHERE relname = 'bookings_pk'`)).toEqual([{ o: 'fillfactor=70' }]);
      expect(await generated(db, 'bookings')).toEqual(['id identity-always']);
      await rejects(db, `INSERT INTO bookings (id, room, during) VALUES (50, 2, '[2026-01-01 10:00, 2026-01-01 11:00)')`);
      await rejects(db, `INSERT INTO bookings (room, during) VALUES (1, '[2026-01-01 10:30, 2026-01-01 12:00)')`);
      await db.query(`INSERT INTO bookings (room, during, note, code) VALUES (1, '[2026-01-01 10:30, 2026-01-01 12:00)', 'cancelled', 'x')`);
    },
    async afterComplete(db) {
      // NULLS NOT DISTINCT: a second row of NULL code is refused (at commit: the key is deferred).
      await rejects(db, `INSERT INTO bookings (room, during) VALUES (2, '[2026-01-02 10:00, 2026-01-02 11:00)')`);
      // Deferred: the codes may collide within the transaction, as long as they differ at its end.
      await db.query(`DO $$ BEGIN UPDATE bookings SET code = 'x' WHERE note IS NULL; UPDATE bookings SET code = 'y' WHERE note = 'cancelled'; END $$`);
      expect(await rows(db, `SELECT note, code FROM bookings ORDER BY id`)).toEqual([
        { note: null, code: 'x' },
        { note: 'cancelled', code: 'y' },
      ]);
      await rejects(db, `DO $$ BEGIN UPDATE bookings SET code = 'x'; END $$`);
    },
    async afterRollback(db) {
      await rejects(db, `SELECT count(*) FROM bookings`);
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
