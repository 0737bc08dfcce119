/** alterColumn: a new column `to` of the new definition, kept in step both ways by `up` and `down`, backfilled; the old one dropped at contract, the new one at rollback. */
import { expect } from 'vitest';
import { column, describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';
import type { Db } from '../../helpers/targets.js';

/** The shadow column an in-place change keeps beside the column (operations/shadow.ts), if any. */
const shadowOf = async (db: Db, table: string) => (await db.columns(table)).find((c) => c.name.startsWith('xc_shadow'))?.name;
const q = (db: Db, id: string) => (db.dialect === 'postgres' ? `"${id}"` : `\`${id}\``);

const castInt = (e: string) => ({ postgres: `CAST(${e} AS int)`, mysql: `CAST(${e} AS SIGNED)` });

describeOperation('alterColumn', [
  {
    name: 'int → bigint under a new name',
    async setup(db) {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount int, note varchar(20))`);
      await db.seed('orders', ['id', 'amount', 'note'], range(SOAK_ROWS).map((g) => [g, g * 10, 'n']));
    },
    operations: [{ alterColumn: { table: 'orders', column: 'amount', to: 'amount_big', type: 'bigint', up: 'amount', down: castInt('amount_big') } }],
    soak: {
      rows: SOAK_ROWS,
      old: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount) VALUES (?, ?)`, params: [100000 + i, i] } : { sql: `UPDATE orders SET amount = amount + 1 WHERE id = ?`, params: [1 + (i % SOAK_ROWS)] }),
      new: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount_big) VALUES (?, ?)`, params: [200000 + i, i * 7] } : { sql: `UPDATE orders SET amount_big = amount_big + 5 WHERE id = ?`, params: [3 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect((await column(db, 'orders', 'amount_big'))?.type).toBe('bigint');
    },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM orders WHERE amount <> amount_big OR amount_big IS NULL`)).toBe(0);
    },
    async afterComplete(db) {
      expect(await column(db, 'orders', 'amount')).toBeUndefined();
      expect(await db.count(`SELECT count(*) FROM orders WHERE amount_big IS NULL AND id <= ${SOAK_ROWS}`)).toBe(0);
    },
    async afterRollback(db) {
      expect(await column(db, 'orders', 'amount_big')).toBeUndefined();
    },
  },
  {
    name: 'cents in an int to a decimal amount: values converted both ways, NOT NULL carried over',
    setup: [`CREATE TABLE prices (id int PRIMARY KEY, cents int NOT NULL)`, `INSERT INTO prices VALUES (1, 100), (2, 1999)`],
    operations: [{ alterColumn: { table: 'prices', column: 'cents', to: 'amount', type: 'decimal(10,2)', up: 'cents / 100.0', down: castInt('amount * 100') } }],
    writes: {
      old: [`INSERT INTO prices (id, cents) VALUES (3, 250)`, `UPDATE prices SET cents = 150 WHERE id = 1`],
      new: [`INSERT INTO prices (id, amount) VALUES (4, 3.75)`, `UPDATE prices SET amount = 20.01 WHERE id = 2`],
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, cents, amount FROM prices ORDER BY id`)).toEqual([
        { id: '1', cents: '150', amount: '1.50' },
        { id: '2', cents: '2001', amount: '20.01' },
        { id: '3', cents: '250', amount: '2.50' },
        { id: '4', cents: '375', amount: '3.75' },
      ]);
      // Neither version may write a NULL: the old column is NOT NULL, so is the new one to be.
      await rejects(db, `INSERT INTO prices (id, cents) VALUES (5, NULL)`);
    },
    async afterComplete(db) {
      expect((await db.columns('prices')).map((c) => [c.name, c.nullable])).toEqual([
        ['id', false],
        ['amount', false],
      ]);
      expect(await rows(db, `SELECT id, amount FROM prices ORDER BY id`)).toEqual([
        { id: '1', amount: '1.50' },
        { id: '2', amount: '20.01' },
        { id: '3', amount: '2.50' },
        { id: '4', amount: '3.75' },
      ]);
      await rejects(db, `INSERT INTO prices (id) VALUES (5)`);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, cents FROM prices ORDER BY id`)).toEqual([
        { id: '1', cents: '150' },
        { id: '2', cents: '2001' },
        { id: '3', cents: '250' },
        { id: '4', cents: '375' },
      ]);
    },
  },
  {
    name: 'a nullable column made NOT NULL with a default: up fills NULLs either version leaves',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, nick varchar(20))`, `INSERT INTO users VALUES (1, 'ann'), (2, NULL)`],
    operations: [{ alterColumn: { table: 'users', column: 'nick', to: 'nickname', type: 'varchar(40)', nullable: false, default: `'none'`, up: `coalesce(nick, 'none')`, down: 'nickname' } }],
    writes: {
      old: [`INSERT INTO users (id) VALUES (3)`, `INSERT INTO users (id, nick) VALUES (4, 'dan')`],
      new: [`INSERT INTO users (id) VALUES (5)`, `INSERT INTO users (id, nickname) VALUES (6, 'eve')`],
    },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, nick, nickname FROM users ORDER BY id`)).toEqual([
        { id: '1', nick: 'ann', nickname: 'ann' },
        { id: '2', nick: null, nickname: 'none' },
        { id: '3', nick: null, nickname: 'none' },
        { id: '4', nick: 'dan', nickname: 'dan' },
        // Both sides NULL: taken for the old version's write (the new column may not be NULL), so up fills the new one.
        { id: '5', nick: null, nickname: 'none' },
        { id: '6', nick: 'eve', nickname: 'eve' },
      ]);
    },
    async afterComplete(db) {
      const c = await column(db, 'users', 'nickname');
      expect(c?.nullable).toBe(false);
      expect(c?.default).toContain('none');
      expect(await column(db, 'users', 'nick')).toBeUndefined();
      await db.query(`INSERT INTO users (id) VALUES (7)`);
      expect(await rows(db, `SELECT nickname FROM users WHERE id = 7`)).toEqual([{ nickname: 'none' }]);
      await rejects(db, `INSERT INTO users (id, nickname) VALUES (8, NULL)`);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, nick FROM users ORDER BY id`)).toEqual([
        { id: '1', nick: 'ann' },
        { id: '2', nick: null },
        { id: '3', nick: null },
        { id: '4', nick: 'dan' },
        { id: '5', nick: null },
        { id: '6', nick: 'eve' },
      ]);
      await db.query(`INSERT INTO users (id) VALUES (7)`);
      expect(await rows(db, `SELECT nick FROM users WHERE id = 7`)).toEqual([{ nick: null }]);
    },
  },
  {
    name: 'in place: int → bigint keeps its name, its index and every write of both versions',
    async setup(db) {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount int, note varchar(20))`);
      await db.query(`CREATE INDEX orders_amount_idx ON orders (amount)`);
      await db.seed('orders', ['id', 'amount', 'note'], range(SOAK_ROWS).map((g) => [g, g * 10, 'n']));
    },
    operations: [{ alterColumn: { table: 'orders', column: 'amount', type: 'bigint' } }],
    soak: {
      rows: SOAK_ROWS,
      // Both versions write the column under its name, old-type values, until contract.
      old: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount) VALUES (?, ?)`, params: [100000 + i, i] } : { sql: `UPDATE orders SET amount = amount + 1 WHERE id = ?`, params: [1 + (i % SOAK_ROWS)] }),
      new: (i) => (i % 2 ? { sql: `INSERT INTO orders (id, amount) VALUES (?, ?)`, params: [200000 + i, i * 7] } : { sql: `UPDATE orders SET amount = amount + 5 WHERE id = ?`, params: [3 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect((await column(db, 'orders', 'amount'))?.type).toMatch(/^int/);
      expect(await shadowOf(db, 'orders')).toBeDefined();
    },
    async afterStart(db) {
      const shadow = (await shadowOf(db, 'orders'))!;
      // Every row's shadow is the column converted: the backfill's rows and those both versions wrote.
      expect(await db.count(`SELECT count(*) FROM orders WHERE ${q(db, shadow)} IS NULL OR ${q(db, shadow)} <> amount`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM orders`)).toBeGreaterThan(SOAK_ROWS);
    },
    async afterComplete(db) {
      expect((await column(db, 'orders', 'amount'))?.type).toBe('bigint');
      expect(await shadowOf(db, 'orders')).toBeUndefined();
      expect((await db.indexes('orders')).find((i) => i.name === 'orders_amount_idx')?.columns).toEqual(['amount']);
      expect(await db.count(`SELECT count(*) FROM orders WHERE amount IS NULL AND id <= ${SOAK_ROWS}`)).toBe(0);
      // The rows no writer touched kept their values; a value past int's range now fits.
      expect(await rows(db, `SELECT amount FROM orders WHERE id = 2`)).toEqual([{ amount: '20' }]);
      await db.query(`INSERT INTO orders (id, amount) VALUES (900001, 5000000000)`);
      expect(await rows(db, `SELECT amount FROM orders WHERE id = 900001`)).toEqual([{ amount: '5000000000' }]);
    },
    async afterRollback(db) {
      expect((await column(db, 'orders', 'amount'))?.type).toMatch(/^int/);
      expect(await shadowOf(db, 'orders')).toBeUndefined();
    },
  },
]);
