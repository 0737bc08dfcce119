/**
 * Lifecycle cases of more than one operation, on every dialect: two
 * migrations in flight on one table, and several operations in one
 * migration. Writers of the old and of the new version run side by side
 * through backfill and contract; schema and data are asserted after each
 * phase, and after a rollback. Each operation alone has its cases in
 * test/integration/operations/<op>.test.ts, on the same harness
 * (test/helpers/operations.ts).
 */
import { expect } from 'vitest';
import { column, describeCases, range, SOAK_ROWS } from '../helpers/operations.js';

const castInt = { postgres: 'CAST(amount_big AS int)', mysql: 'CAST(amount_big AS SIGNED)' };

describeCases('operations together through their whole lifecycle', [
  {
    name: 'two migrations in flight on one table: each backfill leaves the other trigger firing',
    async setup(db) {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount int, status varchar(20))`);
      await db.seed('orders', ['id', 'amount', 'status'], range(SOAK_ROWS).map((g) => [g, g, g % 2 ? null : 'paid']));
    },
    migrations: [
      [{ setNotNull: { table: 'orders', column: 'status', up: `'new'` } }],
      [{ alterColumn: { table: 'orders', column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: castInt } }],
    ],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => ({ sql: `INSERT INTO orders (id, amount) VALUES (?, ?)`, params: [100000 + i, i] }),
      new: (i) => ({ sql: `INSERT INTO orders (id, amount_big, status) VALUES (?, ?, 'paid')`, params: [200000 + i, i] }),
    },
    async afterExpand(db) {
      expect(await db.triggers()).not.toEqual([]);
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM orders WHERE status IS NULL OR amount_big IS NULL OR amount <> amount_big`)).toBe(0);
    },
    async afterComplete(db) {
      expect((await column(db, 'orders', 'status'))?.nullable).toBe(false);
      expect(await column(db, 'orders', 'amount')).toBeUndefined();
    },
    async afterRollback(db) {
      expect(await column(db, 'orders', 'amount_big')).toBeUndefined();
      expect((await column(db, 'orders', 'status'))?.nullable).toBe(true);
    },
  },
  {
    name: 'addForeignKey and addCheck: enforced for new writes at once, validated at contract',
    async setup(db) {
      await db.query(`CREATE TABLE owners (id int PRIMARY KEY)`);
      await db.query(`CREATE TABLE pets (id int PRIMARY KEY, owner_id int, legs int)`);
      await db.seed('owners', ['id'], range(100).map((g) => [g]));
      await db.seed('pets', ['id', 'owner_id', 'legs'], range(SOAK_ROWS).map((g) => [g, 1 + (g % 100), 4]));
    },
    migrations: [[
      { addForeignKey: { table: 'pets', columns: ['owner_id'], references: { table: 'owners', columns: ['id'] }, name: 'pets_owner_fk' } },
      { addCheck: { table: 'pets', name: 'pets_legs_check', expression: 'legs >= 0' } },
    ]],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO pets (id, owner_id, legs) VALUES (?, ?, 2)`, params: [100000 + i, 1 + (i % 100)] }),
      new: (i) => ({ sql: `UPDATE pets SET legs = ? WHERE id = ?`, params: [i % 5, 1 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      await expect(db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999999, 5000, 1)`)).rejects.toThrow();
      await expect(db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999998, 1, -1)`)).rejects.toThrow();
    },
    async afterStart() {},
    async afterComplete(db) {
      expect((await db.checks('pets')).some((c) => c.includes('legs'))).toBe(true);
      await expect(db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999999, 5000, 1)`)).rejects.toThrow();
    },
    async afterRollback(db) {
      expect(await db.checks('pets')).toEqual([]);
      await db.query(`INSERT INTO pets (id, owner_id, legs) VALUES (999999, 5000, -1)`);
      // Applying again would now be refused at plan time, naming this row; without it, it goes through.
      await db.query(`DELETE FROM pets WHERE id = 999999`);
    },
  },
  {
    name: 'createTable, dropTable, dropIndex, dropConstraint',
    async setup(db) {
      await db.query(`CREATE TABLE legacy (id int PRIMARY KEY, note varchar(20))`);
      await db.query(`CREATE TABLE events (id int PRIMARY KEY, kind varchar(20), CONSTRAINT events_kind_check CHECK (kind <> ''))`);
      await db.query(`CREATE INDEX events_kind_idx ON events (kind)`);
      await db.seed('events', ['id', 'kind'], range(SOAK_ROWS).map((g) => [g, `k${g % 5}`]));
    },
    migrations: [[
      { createTable: { table: 'audit', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'what', type: 'varchar(50)', nullable: false }] } },
      { dropTable: { table: 'legacy' } },
      { dropIndex: { table: 'events', name: 'events_kind_idx' } },
      { dropConstraint: { table: 'events', name: 'events_kind_check' } },
    ]],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO legacy (id, note) VALUES (?, 'old')`, params: [i] }),
      new: (i) => ({ sql: `INSERT INTO audit (id, what) VALUES (?, 'new')`, params: [i] }),
    },
    async afterExpand(db) {
      expect(await db.columns('audit')).toHaveLength(2);
      expect(await db.columns('legacy')).toHaveLength(2);
      expect((await db.indexes('events')).some((i) => i.name === 'events_kind_idx')).toBe(true);
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM legacy`)).toBeGreaterThan(0);
    },
    async afterComplete(db) {
      expect(await db.columns('legacy')).toEqual([]);
      expect((await db.indexes('events')).some((i) => i.name === 'events_kind_idx')).toBe(false);
      expect(await db.checks('events')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM audit`)).toBeGreaterThan(0);
    },
    async afterRollback(db) {
      expect(await db.columns('audit')).toEqual([]);
      expect(await db.columns('legacy')).toHaveLength(2);
    },
  },
]);
