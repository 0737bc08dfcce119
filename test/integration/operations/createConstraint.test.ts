/**
 * createConstraint (pgroll's create_constraint): unique and primary keys built as a unique index online at expand
 * (enforced for every write from then on) and attached at contract; checks and foreign keys added unvalidated at
 * expand and validated at contract; a check's or a one-column unique constraint's converting `up` through shadow
 * columns; everything dropped at rollback. What plan refuses: test/integration/create-constraint-plan.test.ts.
 */
import { expect } from 'vitest';
import { describeOperation, foreignKeys, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';
import { constraints, primaryKey } from '../../helpers/constraint-catalog.js';

const TICKETS = [`CREATE TABLE tickets (id int PRIMARY KEY, sellers_name varchar(20), sellers_zip int)`, `INSERT INTO tickets VALUES (1, 'alice', 0), (2, 'bob', 10), (3, NULL, 5)`];
const SELLERS = [`CREATE TABLE sellers (name varchar(20), zip int, PRIMARY KEY (name, zip))`, `INSERT INTO sellers VALUES ('alice', 0), ('bob', 10), ('bob', 20)`];

describeOperation('createConstraint', [
  {
    name: 'unique, one column: a unique index online at expand, the constraint at contract, under writers of both versions',
    async setup(db) {
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, email varchar(40))`);
      await db.seed('users', ['id', 'email'], range(SOAK_ROWS).map((i) => [i, i % 10 === 0 ? null : `u${i}`]));
    },
    operations: [{ createConstraint: { table: 'users', name: 'users_email_key', type: 'unique', columns: ['email'] } }],
    writes: { old: [`INSERT INTO users VALUES (100001, 'old')`, `INSERT INTO users VALUES (100002, NULL)`], new: [`INSERT INTO users VALUES (100003, 'new')`] },
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO users (id, email) VALUES (?, ?)`, params: [200000 + i, `old${i}`] }),
      new: (i) => ({ sql: `UPDATE users SET email = ? WHERE id = ?`, params: [`new${i}`, 1 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect((await db.indexes('users')).find((i) => i.name === 'users_email_key')).toEqual({ name: 'users_email_key', columns: ['email'], unique: true });
      // PostgreSQL: an index, not yet the constraint (MySQL has no difference between the two).
      if (db.dialect === 'postgres') expect(await db.uniques('users')).toEqual([]);
    },
    async afterStart(db) {
      // The soak's new writer changes the seeded rows' emails: those of the rows it leaves alone are the duplicates here.
      await rejects(db, `INSERT INTO users VALUES (100004, 'old')`);
      await rejects(db, `UPDATE users SET email = 'old' WHERE id = 100003`);
      // NULLs are distinct: more of them are fine.
      await db.query(`INSERT INTO users VALUES (100005, NULL)`);
      expect(await rows(db, `SELECT id, email FROM users WHERE id BETWEEN 100001 AND 199999 ORDER BY id`)).toEqual([
        { id: '100001', email: 'old' },
        { id: '100002', email: null },
        { id: '100003', email: 'new' },
        { id: '100005', email: null },
      ]);
    },
    async afterComplete(db) {
      expect(await db.uniques('users')).toEqual([['email']]);
      expect((await constraints(db, 'users')).filter((c) => c.startsWith('users_email_key'))).toEqual([db.dialect === 'postgres' ? 'users_email_key UNIQUE (email)' : 'users_email_key UNIQUE (email)']);
      await rejects(db, `INSERT INTO users VALUES (100006, 'new')`);
    },
    async afterRollback(db) {
      expect((await db.indexes('users')).map((i) => i.name)).toEqual([]);
      await db.query(`INSERT INTO users VALUES (100006, 'new')`);
      await db.query(`DELETE FROM users WHERE id = 100006`);
    },
  },
  {
    // pgroll's 44_add_table_unique_constraint as written: its up/down are the columns themselves (no conversion).
    name: 'unique over two columns, up and down the columns themselves',
    setup: TICKETS,
    operations: [
      {
        createConstraint: {
          type: 'unique', table: 'tickets', name: 'unique_zip_name', columns: ['sellers_name', 'sellers_zip'],
          up: { sellers_name: 'sellers_name', sellers_zip: 'sellers_zip' }, down: { sellers_name: 'sellers_name', sellers_zip: { postgres: '"sellers_zip"', mysql: '`sellers_zip`' } },
        },
      },
    ],
    writes: { old: [`INSERT INTO tickets VALUES (4, 'alice', 10)`], new: [`INSERT INTO tickets VALUES (5, 'bob', 0)`, `INSERT INTO tickets VALUES (6, NULL, 5)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO tickets VALUES (7, 'alice', 0)`);
      await db.query(`INSERT INTO tickets VALUES (7, 'alice', 1)`);
      expect(await db.count(`SELECT count(*) FROM tickets`)).toBe(7);
    },
    async afterComplete(db) {
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
      await rejects(db, `INSERT INTO tickets VALUES (8, 'bob', 10)`);
    },
    async afterRollback(db) {
      expect(await db.uniques('tickets')).toEqual([]);
      expect(await db.indexes('tickets')).toEqual([]);
    },
  },
  {
    name: 'unique with include, nulls not distinct (PostgreSQL 15), deferrable',
    only: 'postgres',
    setup: [`CREATE TABLE slots (id int PRIMARY KEY, room int, day int, note text)`, `INSERT INTO slots VALUES (1, 1, 1, 'a'), (2, 1, NULL, 'b'), (3, NULL, NULL, 'c')`],
    operations: [{ createConstraint: { table: 'slots', name: 'slots_room_day', type: 'unique', columns: ['room', 'day'], include: ['note'], nullsNotDistinct: true, deferrable: true } }],
    writes: { old: [`INSERT INTO slots VALUES (4, 2, NULL, 'd')`], new: [`INSERT INTO slots VALUES (5, 2, 2, 'e')`] },
    async afterStart(db) {
      // NULL equals NULL here: a second (1, NULL) or (NULL, NULL) is a duplicate.
      await rejects(db, `INSERT INTO slots VALUES (6, 1, NULL, 'x')`);
      await rejects(db, `INSERT INTO slots VALUES (6, NULL, NULL, 'x')`);
      expect((await db.query<{ d: string }>(`SELECT pg_get_indexdef('slots_room_day'::regclass) AS d`))[0]!.d).toMatch(/\(room, day\) INCLUDE \(note\) NULLS NOT DISTINCT$/);
    },
    async afterComplete(db) {
      expect(await constraints(db, 'slots')).toEqual(['slots_pkey PRIMARY KEY (id)', 'slots_room_day UNIQUE NULLS NOT DISTINCT (room, day) INCLUDE (note) DEFERRABLE']);
      await rejects(db, `INSERT INTO slots VALUES (6, 2, NULL, 'x')`);
    },
    async afterRollback(db) {
      expect(await constraints(db, 'slots')).toEqual(['slots_pkey PRIMARY KEY (id)']);
      await db.query(`INSERT INTO slots VALUES (6, 1, NULL, 'x')`);
      await db.query(`DELETE FROM slots WHERE id = 6`);
    },
  },
  {
    // pgroll's 45_add_table_check_constraint, without up/down.
    name: 'check over two columns: unvalidated at expand, validated at contract',
    setup: TICKETS,
    operations: [{ createConstraint: { type: 'check', table: 'tickets', name: 'check_zip_name', columns: ['sellers_name', 'sellers_zip'], check: "sellers_name = 'alice' OR sellers_zip > 0" } }],
    writes: { old: [`INSERT INTO tickets VALUES (4, 'alice', -1)`], new: [`INSERT INTO tickets VALUES (5, 'carol', 3)`] },
    async afterStart(db) {
      const checks = await db.checks('tickets');
      expect(checks).toHaveLength(1);
      if (db.dialect === 'postgres') expect(checks[0]).toMatch(/NOT VALID$/);
      await rejects(db, `INSERT INTO tickets VALUES (6, 'bob', 0)`);
      await rejects(db, `UPDATE tickets SET sellers_zip = -5 WHERE id = 2`);
      expect(await db.count(`SELECT count(*) FROM tickets`)).toBe(5);
    },
    async afterComplete(db) {
      const checks = await db.checks('tickets');
      expect(checks).toHaveLength(1);
      expect(checks[0]).not.toMatch(/NOT VALID/);
      if (db.dialect === 'postgres') expect((await constraints(db, 'tickets')).filter((c) => c.startsWith('check_zip_name'))).toHaveLength(1);
      await rejects(db, `INSERT INTO tickets VALUES (6, 'bob', 0)`);
    },
    async afterRollback(db) {
      expect(await db.checks('tickets')).toEqual([]);
      await db.query(`INSERT INTO tickets VALUES (6, 'bob', 0)`);
      await db.query(`DELETE FROM tickets WHERE id = 6`);
    },
  },
  {
    // pgroll's 45_add_table_check_constraint as written (without its SELECT prefix): `up` turns a zip that breaks the check into 123.
    name: 'check whose up converts (through a shadow column): rows that would break it, old writers\' too, are judged as converted and converted at contract',
    setup: [...TICKETS, `INSERT INTO tickets VALUES (4, 'bob', -1)`],
    operations: [
      {
        createConstraint: {
          type: 'check', table: 'tickets', name: 'check_zip_name', columns: ['sellers_name', 'sellers_zip'], check: "sellers_name = 'alice' OR sellers_zip > 0",
          up: { sellers_name: 'sellers_name', sellers_zip: "CASE WHEN sellers_name != 'alice' AND sellers_zip <= 0 THEN 123 WHEN sellers_name != 'alice' THEN sellers_zip ELSE sellers_zip END" },
          down: { sellers_name: 'sellers_name', sellers_zip: 'sellers_zip' },
        },
      },
    ],
    // Column lists named: until contract the table also holds xc's shadow column (MySQL/MariaDB refuse a VALUES list short of the columns).
    writes: {
      old: [`INSERT INTO tickets (id, sellers_name, sellers_zip) VALUES (5, 'carol', 0)`, `UPDATE tickets SET sellers_zip = -7 WHERE id = 2`],
      new: [`INSERT INTO tickets (id, sellers_name, sellers_zip) VALUES (6, 'dan', 7)`, `INSERT INTO tickets (id, sellers_name, sellers_zip) VALUES (7, 'alice', -2)`],
    },
    async afterStart(db) {
      // Until contract the columns are as written, for both versions; the check judges them as `up` converts them.
      expect(await rows(db, `SELECT id, sellers_name, sellers_zip FROM tickets ORDER BY id`)).toEqual([
        { id: '1', sellers_name: 'alice', sellers_zip: '0' },
        { id: '2', sellers_name: 'bob', sellers_zip: '-7' },
        { id: '3', sellers_name: null, sellers_zip: '5' },
        { id: '4', sellers_name: 'bob', sellers_zip: '-1' },
        { id: '5', sellers_name: 'carol', sellers_zip: '0' },
        { id: '6', sellers_name: 'dan', sellers_zip: '7' },
        { id: '7', sellers_name: 'alice', sellers_zip: '-2' },
      ]);
      expect(await db.checks('tickets')).toHaveLength(1);
    },
    async afterComplete(db) {
      expect(await rows(db, `SELECT id, sellers_name, sellers_zip FROM tickets ORDER BY id`)).toEqual([
        { id: '1', sellers_name: 'alice', sellers_zip: '0' },
        { id: '2', sellers_name: 'bob', sellers_zip: '123' },
        { id: '3', sellers_name: null, sellers_zip: '5' },
        { id: '4', sellers_name: 'bob', sellers_zip: '123' },
        { id: '5', sellers_name: 'carol', sellers_zip: '123' },
        { id: '6', sellers_name: 'dan', sellers_zip: '7' },
        { id: '7', sellers_name: 'alice', sellers_zip: '-2' },
      ]);
      expect((await db.columns('tickets')).map((c) => [c.name, c.nullable])).toEqual([['id', false], ['sellers_name', true], ['sellers_zip', true]]);
      const checks = await db.checks('tickets');
      expect(checks).toHaveLength(1);
      expect(checks[0]).not.toMatch(/NOT VALID|xc_/);
      // No conversion any more: a write that breaks the check is refused.
      await rejects(db, `INSERT INTO tickets VALUES (8, 'bob', -1)`);
    },
    async afterRollback(db) {
      expect(await db.checks('tickets')).toEqual([]);
      expect(await rows(db, `SELECT id, sellers_zip FROM tickets WHERE id IN (2, 4, 5) ORDER BY id`)).toEqual([
        { id: '2', sellers_zip: '-7' },
        { id: '4', sellers_zip: '-1' },
        { id: '5', sellers_zip: '0' },
      ]);
    },
  },
  {
    // pgroll's 44 then 45: the unique constraint over both columns is carried over to the converted one at contract.
    name: 'check whose up converts a column a unique constraint covers with another',
    setup: [...TICKETS, `INSERT INTO tickets VALUES (4, 'bea', -1)`, `ALTER TABLE tickets ADD CONSTRAINT unique_zip_name UNIQUE (sellers_name, sellers_zip)`],
    operations: [
      {
        createConstraint: {
          type: 'check', table: 'tickets', name: 'check_zip_name', columns: ['sellers_name', 'sellers_zip'], check: "sellers_name = 'alice' OR sellers_zip > 0",
          up: { sellers_zip: "CASE WHEN sellers_name != 'alice' AND sellers_zip <= 0 THEN 123 ELSE sellers_zip END" },
        },
      },
    ],
    writes: { old: [`INSERT INTO tickets (id, sellers_name, sellers_zip) VALUES (5, 'carol', 0)`], new: [`UPDATE tickets SET sellers_zip = -7 WHERE id = 2`] },
    async afterStart(db) {
      // MySQL/MariaDB list the copy over the shadow column too (a unique index is a unique constraint there).
      expect((await db.uniques('tickets')).filter((u) => !u.some((c) => c.startsWith('xc_')))).toEqual([['sellers_name', 'sellers_zip']]);
      // The copy over the shadow judges converted values: bea's -1 is (bea, 123) there.
      await rejects(db, `INSERT INTO tickets (id, sellers_name, sellers_zip) VALUES (6, 'bea', 123)`);
    },
    async afterComplete(db) {
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
      expect(await rows(db, `SELECT id, sellers_zip FROM tickets ORDER BY id`)).toEqual([
        { id: '1', sellers_zip: '0' },
        { id: '2', sellers_zip: '123' },
        { id: '3', sellers_zip: '5' },
        { id: '4', sellers_zip: '123' },
        { id: '5', sellers_zip: '123' },
      ]);
      await rejects(db, `INSERT INTO tickets VALUES (6, 'bea', 123)`);
      await rejects(db, `INSERT INTO tickets VALUES (6, 'dan', -1)`);
    },
    async afterRollback(db) {
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
      expect(await db.checks('tickets')).toEqual([]);
    },
  },
  {
    name: 'unique over one column whose up converts (empty strings become NULL): judged as converted until contract, converted then',
    setup: [`CREATE TABLE accounts (id int PRIMARY KEY, email varchar(40))`, `INSERT INTO accounts VALUES (1, 'a@x'), (2, ''), (3, '')`],
    operations: [{ createConstraint: { table: 'accounts', name: 'accounts_email_key', type: 'unique', columns: ['email'], up: { email: "CASE WHEN email = '' THEN NULL ELSE email END" } } }],
    writes: { old: [`INSERT INTO accounts (id, email) VALUES (4, '')`], new: [`INSERT INTO accounts (id, email) VALUES (5, 'b@x')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, email FROM accounts ORDER BY id`)).toEqual([
        { id: '1', email: 'a@x' },
        { id: '2', email: '' },
        { id: '3', email: '' },
        { id: '4', email: '' },
        { id: '5', email: 'b@x' },
      ]);
      await rejects(db, `INSERT INTO accounts (id, email) VALUES (6, 'a@x')`);
      await db.query(`INSERT INTO accounts (id, email) VALUES (6, '')`);
    },
    async afterComplete(db) {
      expect(await db.uniques('accounts')).toEqual([['email']]);
      expect(await constraints(db, 'accounts')).toContain('accounts_email_key UNIQUE (email)');
      expect(await rows(db, `SELECT id, email FROM accounts ORDER BY id`)).toEqual([
        { id: '1', email: 'a@x' },
        { id: '2', email: null },
        { id: '3', email: null },
        { id: '4', email: null },
        { id: '5', email: 'b@x' },
        { id: '6', email: null },
      ]);
      await rejects(db, `INSERT INTO accounts VALUES (7, 'b@x')`);
    },
    async afterRollback(db) {
      expect(await db.uniques('accounts')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM accounts WHERE email = ''`)).toBe(3);
    },
  },
  {
    // pgroll's 47_add_table_foreign_key_constraint, without up/down, with both actions.
    name: 'foreign key over two columns, on delete and on update cascade: unvalidated at expand, validated at contract',
    setup: [...SELLERS, ...TICKETS.slice(0, 1), `INSERT INTO tickets VALUES (1, 'alice', 0), (2, 'bob', 10), (3, NULL, 99)`],
    operations: [
      {
        createConstraint: {
          type: 'foreign_key', table: 'tickets', name: 'fk_sellers', columns: ['sellers_name', 'sellers_zip'],
          references: { table: 'sellers', columns: ['name', 'zip'], onDelete: 'cascade', onUpdate: 'cascade' },
        },
      },
    ],
    writes: { old: [`INSERT INTO tickets VALUES (4, 'bob', 20)`], new: [`INSERT INTO tickets VALUES (5, 'alice', 0)`] },
    async afterStart(db) {
      const [fk, ...more] = await foreignKeys(db, 'tickets');
      expect(more).toEqual([]);
      if (db.dialect === 'postgres') expect(fk).toBe('fk_sellers FOREIGN KEY (sellers_name, sellers_zip) REFERENCES sellers(name, zip) ON UPDATE CASCADE ON DELETE CASCADE NOT VALID');
      else expect(fk).toBe('fk_sellers FOREIGN KEY (sellers_name, sellers_zip) REFERENCES sellers(name, zip) ON DELETE CASCADE');
      await rejects(db, `INSERT INTO tickets VALUES (6, 'carol', 1)`);
      await db.query(`UPDATE sellers SET zip = 21 WHERE name = 'bob' AND zip = 20`);
      await db.query(`DELETE FROM sellers WHERE name = 'alice'`);
      expect(await rows(db, `SELECT id, sellers_name, sellers_zip FROM tickets ORDER BY id`)).toEqual([
        { id: '2', sellers_name: 'bob', sellers_zip: '10' },
        { id: '3', sellers_name: null, sellers_zip: '99' },
        { id: '4', sellers_name: 'bob', sellers_zip: '21' },
      ]);
    },
    async afterComplete(db) {
      const fks = await foreignKeys(db, 'tickets');
      expect(fks).toHaveLength(1);
      expect(fks[0]).not.toMatch(/NOT VALID/);
      if (db.dialect === 'mysql') {
        expect(await db.query(`SELECT update_rule AS u, delete_rule AS d FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND constraint_name = 'fk_sellers'`)).toEqual([{ u: 'CASCADE', d: 'CASCADE' }]);
      }
      await rejects(db, `INSERT INTO tickets VALUES (6, 'carol', 1)`);
      await db.query(`UPDATE sellers SET zip = 11 WHERE name = 'bob' AND zip = 10`);
      expect(await rows(db, `SELECT id, sellers_zip FROM tickets WHERE id = 2`)).toEqual([{ id: '2', sellers_zip: '11' }]);
    },
    async afterRollback(db) {
      expect(await foreignKeys(db, 'tickets')).toEqual([]);
      await db.query(`INSERT INTO tickets VALUES (6, 'carol', 1)`);
      await db.query(`DELETE FROM tickets WHERE id = 6`);
    },
  },
  {
    name: 'foreign key, deferrable and initially deferred, match full (PostgreSQL)',
    only: 'postgres',
    setup: [...SELLERS, `CREATE TABLE orders (id int PRIMARY KEY, seller varchar(20), zip int)`, `INSERT INTO orders VALUES (1, 'bob', 10), (2, NULL, NULL)`],
    operations: [{ createConstraint: { type: 'foreign_key', table: 'orders', name: 'orders_seller_fk', columns: ['seller', 'zip'], references: { table: 'sellers', matchType: 'full' }, initiallyDeferred: true } }],
    writes: { new: [`INSERT INTO orders VALUES (3, 'bob', 20)`] },
    async afterStart(db) {
      expect(await foreignKeys(db, 'orders')).toEqual(['orders_seller_fk FOREIGN KEY (seller, zip) REFERENCES sellers(name, zip) MATCH FULL DEFERRABLE INITIALLY DEFERRED NOT VALID']);
      await rejects(db, `INSERT INTO orders VALUES (4, 'bob', NULL)`);
      // Deferred: a child may come before its parent inside one transaction.
      await db.query(`BEGIN; INSERT INTO orders VALUES (4, 'dan', 1); INSERT INTO sellers VALUES ('dan', 1); COMMIT`);
    },
    async afterComplete(db) {
      expect(await foreignKeys(db, 'orders')).toEqual(['orders_seller_fk FOREIGN KEY (seller, zip) REFERENCES sellers(name, zip) MATCH FULL DEFERRABLE INITIALLY DEFERRED']);
      await rejects(db, `INSERT INTO orders VALUES (5, 'eve', 1)`);
    },
    async afterRollback(db) {
      expect(await foreignKeys(db, 'orders')).toEqual([]);
    },
  },
  {
    // pgroll's 55_add_primary_key_constraint_to_table, on a table that has rows, without up/down.
    name: 'primary key on a table without one, its column nullable: made NOT NULL by a validated check, attached at contract',
    setup: [`CREATE TABLE tasks (id int, title varchar(40) NOT NULL)`, `INSERT INTO tasks VALUES (1, 'a'), (2, 'b')`],
    operations: [{ createConstraint: { name: 'tasks_pkey', table: 'tasks', columns: ['id'], type: 'primary_key' } }],
    writes: { old: [`INSERT INTO tasks VALUES (3, 'c')`], new: [`INSERT INTO tasks VALUES (4, 'd')`] },
    async afterStart(db) {
      expect(await primaryKey(db, 'tasks')).toEqual([]);
      expect((await db.indexes('tasks')).find((i) => i.name === 'tasks_pkey')).toMatchObject({ unique: true, columns: ['id'] });
      await rejects(db, `INSERT INTO tasks VALUES (1, 'dup')`);
      await rejects(db, `INSERT INTO tasks VALUES (NULL, 'null')`);
      await rejects(db, `UPDATE tasks SET id = NULL WHERE id = 2`);
      expect(await db.count(`SELECT count(*) FROM tasks`)).toBe(4);
    },
    async afterComplete(db) {
      expect(await primaryKey(db, 'tasks')).toEqual(['id']);
      if (db.dialect === 'postgres') expect(await constraints(db, 'tasks')).toEqual(['tasks_pkey PRIMARY KEY (id)']);
      else expect(await constraints(db, 'tasks')).toEqual(['PRIMARY PRIMARY KEY (id)']);
      expect((await db.columns('tasks')).map((c) => [c.name, c.nullable])).toEqual([['id', false], ['title', false]]);
      // Nothing of the way there is left: no check, no second index.
      expect(await db.checks('tasks')).toEqual([]);
      expect((await db.indexes('tasks')).filter((i) => i.name !== 'tasks_pkey')).toEqual([]);
      await rejects(db, `INSERT INTO tasks VALUES (1, 'dup')`);
      await rejects(db, `INSERT INTO tasks VALUES (NULL, 'null')`);
    },
    async afterRollback(db) {
      expect(await primaryKey(db, 'tasks')).toEqual([]);
      expect(await db.indexes('tasks')).toEqual([]);
      expect(await db.checks('tasks')).toEqual([]);
      await db.query(`INSERT INTO tasks VALUES (NULL, 'null')`);
      await db.query(`DELETE FROM tasks WHERE id IS NULL`);
    },
  },
  {
    name: 'primary key over two NOT NULL columns: attached at contract, nothing else',
    setup: [`CREATE TABLE memberships (org int NOT NULL, member int NOT NULL, role varchar(10))`, `INSERT INTO memberships VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c')`],
    operations: [{ createConstraint: { name: 'memberships_pk', table: 'memberships', columns: ['org', 'member'], type: 'primary_key' } }],
    writes: { old: [`INSERT INTO memberships VALUES (2, 2, 'd')`], new: [`UPDATE memberships SET role = 'z' WHERE org = 1 AND member = 1`] },
    async afterStart(db) {
      expect(await db.checks('memberships')).toEqual([]);
      if (db.dialect === 'postgres') {
        await rejects(db, `INSERT INTO memberships VALUES (1, 2, 'dup')`);
      } else {
        // InnoDB would cluster on a unique index over these NOT NULL columns (dropped only by a table copy): none until contract.
        expect(await db.indexes('memberships')).toEqual([]);
      }
    },
    async afterComplete(db) {
      expect(await primaryKey(db, 'memberships')).toEqual(['org', 'member']);
      await rejects(db, `INSERT INTO memberships VALUES (1, 2, 'dup')`);
      expect(await rows(db, `SELECT org, member, role FROM memberships ORDER BY org, member`)).toEqual([
        { org: '1', member: '1', role: 'z' },
        { org: '1', member: '2', role: 'b' },
        { org: '2', member: '1', role: 'c' },
        { org: '2', member: '2', role: 'd' },
      ]);
    },
    async afterRollback(db) {
      expect(await primaryKey(db, 'memberships')).toEqual([]);
      expect(await db.indexes('memberships')).toEqual([]);
    },
  },
]);
