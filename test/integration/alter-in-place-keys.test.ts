/**
 * alterColumn in place over keys (operations/shadowKeys.ts): the headline
 * int → bigint of a primary key `id` other tables reference (PostgreSQL:
 * serial and identity), a referenced unique column widened (both
 * databases), through the real engine with writers of both versions — and
 * what MariaDB refuses, at plan, before any DDL.
 */
import { expect } from 'vitest';
import { column, describeCases, foreignKeys, rejects, rows, SOAK_ROWS, type OperationCase } from '../helpers/operations.js';
import type { Db } from '../helpers/targets.js';

const shadowOf = async (db: Db, table: string) => (await db.columns(table)).find((c) => c.name.startsWith('xc_shadow'))?.name;
/** PostgreSQL: the table's primary key, as `name definition`. */
const primaryKey = async (db: Db, table: string) =>
  (await db.query<{ d: string }>(`SELECT conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'p'`, [table])).map((r) => r.d);
/** PostgreSQL: the foreign keys referencing `table`, as `table.name validated`. */
const referencing = async (db: Db, table: string) =>
  (await db.query<{ d: string }>(`SELECT conrelid::regclass || '.' || conname || ' ' || convalidated AS d FROM pg_constraint WHERE confrelid = to_regclass(?) AND contype = 'f' ORDER BY 1`, [table])).map((r) => r.d);
/** PostgreSQL: the sequence numbering `table`.`col`, its type and whether it is an identity's. */
const sequenceOf = async (db: Db, table: string, col: string) =>
  (
    await db.query<{ seq: string | null; type: string | null; identity: string }>(
      `SELECT pg_get_serial_sequence(?, ?) AS seq, (SELECT format_type(seqtypid, NULL) FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence(?, ?)::regclass) AS type,
              (SELECT attidentity::text FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ?) AS identity`,
      [table, col, table, col, table, col],
    )
  )[0]!;

/** PostgreSQL: the identity numbering `table`.`col`, with its sequence's options. */
const identityOf = async (db: Db, table: string, col: string) =>
  (
    await db.query<{ seq: string; type: string; identity: string; min: string; max: string; step: string; cycle: boolean }>(
      `SELECT pg_get_serial_sequence(?, ?) AS seq, p.data_type::text AS type, (SELECT attidentity::text FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ?) AS identity,
              p.min_value::text AS min, p.max_value::text AS max, p.increment_by::text AS step, p.cycle
       FROM pg_sequences p WHERE format('%I.%I', p.schemaname, p.sequencename) = pg_get_serial_sequence(?, ?)`,
      [table, col, table, col, table, col],
    )
  )[0];

const maxLength = async (db: Db, table: string, c: string) =>
  db.count(`SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = ${db.dialect === 'postgres' ? 'current_schema()' : 'DATABASE()'} AND table_name = ? AND column_name = ?`, [table, c]);

const kidsAndToys = [
  `CREATE TABLE kids (id int PRIMARY KEY, parent_id int NOT NULL, CONSTRAINT kids_parent_fkey FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE)`,
  `CREATE TABLE toys (id int PRIMARY KEY, owner int, CONSTRAINT toys_owner_fkey FOREIGN KEY (owner) REFERENCES parents (id))`,
  `INSERT INTO parents (name) VALUES ('a'), ('b'), ('c')`,
  `INSERT INTO kids VALUES (1, 1), (2, 2)`,
  `INSERT INTO toys VALUES (1, 3), (2, NULL)`,
];
/** Parents and children written by both versions between expand and backfill: the old one with the ids the sequence gives. */
const familyWrites = {
  old: [`INSERT INTO parents (name) VALUES ('d')`, `INSERT INTO kids VALUES (3, 4)`],
  new: [`INSERT INTO parents (name) VALUES ('e')`, `INSERT INTO toys VALUES (3, 5)`, `UPDATE kids SET parent_id = 5 WHERE id = 1`],
};

async function familyStarted(db: Db) {
  const shadow = (await shadowOf(db, 'parents'))!;
  expect(await rows(db, `SELECT id, "${shadow}" AS s FROM parents ORDER BY id`)).toEqual([1, 2, 3, 4, 5].map((i) => ({ id: String(i), s: String(i) })));
  // Until contract the key and the children's keys are the old ones, enforced.
  expect((await column(db, 'parents', 'id'))?.type).toBe('integer');
  await rejects(db, `INSERT INTO kids VALUES (9, 99)`);
}

/** After contract: a bigint key of the same name, the children's keys back by name, validated and enforcing. */
async function familyCompleted(db: Db) {
  const id = await column(db, 'parents', 'id');
  expect([id?.type, id?.nullable]).toEqual(['bigint', false]);
  expect(await shadowOf(db, 'parents')).toBeUndefined();
  expect(await primaryKey(db, 'parents')).toEqual(['parents_pkey PRIMARY KEY (id)']);
  expect(await referencing(db, 'parents')).toEqual(['kids.kids_parent_fkey true', 'toys.toys_owner_fkey true']);
  expect(await foreignKeys(db, 'kids')).toEqual(['kids_parent_fkey FOREIGN KEY (parent_id) REFERENCES parents(id) ON DELETE CASCADE']);
  // The children's columns stay int: PostgreSQL compares int with bigint.
  expect((await column(db, 'kids', 'parent_id'))?.type).toBe('integer');
  expect(await rows(db, `SELECT id, name FROM parents ORDER BY id`)).toEqual(['a', 'b', 'c', 'd', 'e'].map((name, i) => ({ id: String(i + 1), name })));
  expect(await rows(db, `SELECT id, parent_id FROM kids ORDER BY id`)).toEqual([
    { id: '1', parent_id: '5' },
    { id: '2', parent_id: '2' },
    { id: '3', parent_id: '4' },
  ]);
  await rejects(db, `INSERT INTO kids VALUES (9, 99)`);
  await rejects(db, `INSERT INTO toys VALUES (9, 99)`);
  await db.query(`DELETE FROM parents WHERE id = 2`);
  expect(await db.count(`SELECT count(*) FROM kids WHERE parent_id = 2`)).toBe(0);
  // The numbering goes on past the old ids, into bigint.
  const next = Number((await rows(db, `INSERT INTO parents (name) VALUES ('f') RETURNING id`))[0]!.id);
  expect(next).toBeGreaterThan(5);
  expect(next).toBeLessThan(10);
  await rejects(db, `INSERT INTO parents (id, name) VALUES (1, 'dup')`);
}

async function familyRolledBack(db: Db) {
  expect((await column(db, 'parents', 'id'))?.type).toBe('integer');
  expect(await primaryKey(db, 'parents')).toEqual(['parents_pkey PRIMARY KEY (id)']);
  expect(await referencing(db, 'parents')).toEqual(['kids.kids_parent_fkey true', 'toys.toys_owner_fkey true']);
  expect(await shadowOf(db, 'parents')).toBeUndefined();
}

const cases: OperationCase[] = [
  {
    name: 'PostgreSQL: a serial primary key int → bigint, referenced by two tables',
    only: 'postgres',
    setup: [`CREATE TABLE parents (id serial PRIMARY KEY, name text NOT NULL)`, ...kidsAndToys],
    operations: [{ alterColumn: { table: 'parents', column: 'id', type: 'bigint' } }],
    writes: familyWrites,
    afterStart: familyStarted,
    async afterComplete(db) {
      await familyCompleted(db);
      // The sequence is the same, owned by the new column, numbering bigint.
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'bigint', identity: '' });
      expect((await column(db, 'parents', 'id'))?.default).toBe(`nextval('parents_id_seq'::regclass)`);
    },
    async afterRollback(db) {
      await familyRolledBack(db);
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'integer', identity: '' });
      expect(await rows(db, `INSERT INTO parents (name) VALUES ('f') RETURNING id`)).toEqual([{ id: '6' }]);
    },
  },
  {
    name: 'PostgreSQL: an identity primary key (ALWAYS) int → bigint, referenced by two tables',
    only: 'postgres',
    setup: [`CREATE TABLE parents (id int GENERATED ALWAYS AS IDENTITY (INCREMENT BY 1 CACHE 1) PRIMARY KEY, name text NOT NULL)`, ...kidsAndToys],
    operations: [{ alterColumn: { table: 'parents', column: 'id', type: 'bigint' } }],
    writes: familyWrites,
    afterStart: familyStarted,
    async afterComplete(db) {
      // An identity still, ALWAYS, over a bigint sequence.
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'bigint', identity: 'a' });
      await rejects(db, `INSERT INTO parents (id, name) VALUES (100, 'x')`);
      await familyCompleted(db);
    },
    async afterRollback(db) {
      await familyRolledBack(db);
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'integer', identity: 'a' });
    },
  },
  {
    name: 'PostgreSQL: an identity BY DEFAULT int → bigint continues past an id given explicitly',
    only: 'postgres',
    setup: [`CREATE TABLE parents (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL)`, `INSERT INTO parents (name) VALUES ('a'), ('b')`],
    operations: [{ alterColumn: { table: 'parents', column: 'id', type: 'bigint' } }],
    writes: { old: [`INSERT INTO parents (id, name) VALUES (50, 'given')`], new: [`INSERT INTO parents (name) VALUES ('c')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id FROM parents ORDER BY id`)).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }, { id: '50' }]);
    },
    async afterComplete(db) {
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'bigint', identity: 'd' });
      expect(await rows(db, `INSERT INTO parents (name) VALUES ('d') RETURNING id`)).toEqual([{ id: '51' }]);
      await db.query(`INSERT INTO parents (id, name) VALUES (5000000000, 'big')`);
    },
    async afterRollback(db) {
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'integer', identity: 'd' });
    },
  },
  {
    name: 'PostgreSQL: a descending identity with stated bounds int → bigint keeps its bounds and continues down (campaign G: the contract failed, START above MAXVALUE, left `contracting`)',
    only: 'postgres',
    setup: [`CREATE TABLE tickets (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 1000 INCREMENT BY -1 MINVALUE 1 MAXVALUE 1000) PRIMARY KEY, note text)`, `INSERT INTO tickets (note) VALUES ('a'), ('b')`],
    operations: [{ alterColumn: { table: 'tickets', column: 'id', type: 'bigint' } }],
    writes: { old: [`INSERT INTO tickets (note) VALUES ('old')`], new: [`INSERT INTO tickets (id, note) VALUES (900, 'given')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id FROM tickets ORDER BY id`)).toEqual([{ id: '900' }, { id: '998' }, { id: '999' }, { id: '1000' }]);
    },
    async afterComplete(db) {
      expect(await identityOf(db, 'tickets', 'id')).toEqual({ seq: 'public.tickets_id_seq', type: 'bigint', identity: 'd', min: '1', max: '1000', step: '-1', cycle: false });
      // Past the lowest id given explicitly.
      expect(await rows(db, `INSERT INTO tickets (note) VALUES ('next') RETURNING id`)).toEqual([{ id: '899' }]);
    },
    async afterRollback(db) {
      expect(await identityOf(db, 'tickets', 'id')).toMatchObject({ type: 'integer', identity: 'd', min: '1', max: '1000', step: '-1' });
    },
  },
  {
    name: 'PostgreSQL: an identity with its own sequence name, bounds and CYCLE int → bigint keeps them all (campaign G: renamed to table_id_seq, bounds dropped)',
    only: 'postgres',
    setup: [`CREATE TABLE orders (id int GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME orders_seq_custom START WITH 100 INCREMENT BY 5 MINVALUE 100 MAXVALUE 1000000 CYCLE) PRIMARY KEY, note text)`, `INSERT INTO orders (note) VALUES ('a'), ('b')`],
    operations: [{ alterColumn: { table: 'orders', column: 'id', type: 'bigint' } }],
    writes: { old: [`INSERT INTO orders (note) VALUES ('old')`], new: [`INSERT INTO orders (note) VALUES ('new')`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id FROM orders ORDER BY id`)).toEqual([{ id: '100' }, { id: '105' }, { id: '110' }, { id: '115' }]);
    },
    async afterComplete(db) {
      expect(await identityOf(db, 'orders', 'id')).toEqual({ seq: 'public.orders_seq_custom', type: 'bigint', identity: 'a', min: '100', max: '1000000', step: '5', cycle: true });
      expect(await rows(db, `SELECT nextval('orders_seq_custom') AS id`)).toEqual([{ id: '120' }]);
    },
    async afterRollback(db) {
      expect(await identityOf(db, 'orders', 'id')).toEqual({ seq: 'public.orders_seq_custom', type: 'integer', identity: 'a', min: '100', max: '1000000', step: '5', cycle: true });
    },
  },
  {
    name: 'PostgreSQL: an exhausted identity int → bigint (what the change is for) continues past the int range',
    only: 'postgres',
    setup: [`CREATE TABLE events (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 2147483646) PRIMARY KEY, note text)`, `INSERT INTO events (note) VALUES ('a'), ('b')`],
    operations: [{ alterColumn: { table: 'events', column: 'id', type: 'bigint' } }],
    writes: { old: [`UPDATE events SET note = 'old' WHERE id = 2147483646`], new: [`UPDATE events SET note = 'new' WHERE id = 2147483647`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO events (note) VALUES ('full')`);
    },
    async afterComplete(db) {
      expect(await identityOf(db, 'events', 'id')).toEqual({ seq: 'public.events_id_seq', type: 'bigint', identity: 'd', min: '1', max: '9223372036854775807', step: '1', cycle: false });
      expect(await rows(db, `INSERT INTO events (note) VALUES ('c') RETURNING id`)).toEqual([{ id: '2147483648' }]);
    },
    async afterRollback(db) {
      expect(await identityOf(db, 'events', 'id')).toMatchObject({ type: 'integer', identity: 'd', max: '2147483647' });
    },
  },
  {
    name: 'PostgreSQL: one column of a two-column primary key int → bigint, referenced by a two-column key (DEFERRABLE, ON UPDATE CASCADE)',
    only: 'postgres',
    setup: [
      `CREATE TABLE parents (a int, b int, name text, CONSTRAINT parents_ab_pk PRIMARY KEY (a, b))`,
      `CREATE TABLE kids (id int PRIMARY KEY, a int, b int, CONSTRAINT kids_ab_fkey FOREIGN KEY (a, b) REFERENCES parents (a, b) ON UPDATE CASCADE DEFERRABLE)`,
      `INSERT INTO parents VALUES (1, 1, 'x'), (1, 2, 'y')`,
      `INSERT INTO kids VALUES (1, 1, 2)`,
    ],
    operations: [{ alterColumn: { table: 'parents', column: 'a', type: 'bigint' } }],
    writes: { old: [`INSERT INTO parents VALUES (2, 1, 'z')`, `INSERT INTO kids VALUES (2, 2, 1)`], new: [`UPDATE parents SET a = 3 WHERE a = 2`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, a, b FROM kids ORDER BY id`)).toEqual([{ id: '1', a: '1', b: '2' }, { id: '2', a: '3', b: '1' }]);
    },
    async afterComplete(db) {
      expect((await column(db, 'parents', 'a'))?.type).toBe('bigint');
      expect(await primaryKey(db, 'parents')).toEqual(['parents_ab_pk PRIMARY KEY (a, b)']);
      expect(await foreignKeys(db, 'kids')).toEqual(['kids_ab_fkey FOREIGN KEY (a, b) REFERENCES parents(a, b) ON UPDATE CASCADE DEFERRABLE']);
      expect(await referencing(db, 'parents')).toEqual(['kids.kids_ab_fkey true']);
      await db.query(`UPDATE parents SET a = 4 WHERE a = 3`);
      expect(await rows(db, `SELECT a FROM kids WHERE id = 2`)).toEqual([{ a: '4' }]);
      await rejects(db, `INSERT INTO parents VALUES (1, 1, 'dup')`);
    },
    async afterRollback(db) {
      expect(await primaryKey(db, 'parents')).toEqual(['parents_ab_pk PRIMARY KEY (a, b)']);
      expect((await column(db, 'parents', 'a'))?.type).toBe('integer');
    },
  },
  {
    name: 'PostgreSQL: a serial primary key int → bigint under writers of both versions adding parents and children through the cut-over',
    only: 'postgres',
    async setup(db) {
      await db.query(`CREATE TABLE parents (id serial PRIMARY KEY, name text NOT NULL)`);
      await db.query(`CREATE TABLE kids (id int PRIMARY KEY, parent_id int NOT NULL, CONSTRAINT kids_parent_fkey FOREIGN KEY (parent_id) REFERENCES parents (id))`);
      await db.query(`INSERT INTO parents (name) SELECT 'p' || g FROM generate_series(1, ${SOAK_ROWS}) g`);
    },
    operations: [{ alterColumn: { table: 'parents', column: 'id', type: 'bigint' } }],
    soak: {
      rows: SOAK_ROWS,
      // Every other write a parent (numbered by the sequence), else a child of a seeded parent.
      old: (i) => (i % 2 ? { sql: `INSERT INTO parents (name) VALUES ('old')` } : { sql: `INSERT INTO kids VALUES (?, ?)`, params: [100_000 + i, 1 + (i % SOAK_ROWS)] }),
      new: (i) => (i % 2 ? { sql: `INSERT INTO parents (name) VALUES ('new')` } : { sql: `INSERT INTO kids VALUES (?, ?)`, params: [200_000 + i, 1 + (i % SOAK_ROWS)] }),
    },
    async afterStart(db) {
      const shadow = (await shadowOf(db, 'parents'))!;
      expect(await db.count(`SELECT count(*) FROM parents WHERE "${shadow}" IS DISTINCT FROM id`)).toBe(0);
    },
    async afterComplete(db) {
      expect((await column(db, 'parents', 'id'))?.type).toBe('bigint');
      expect(await primaryKey(db, 'parents')).toEqual(['parents_pkey PRIMARY KEY (id)']);
      expect(await referencing(db, 'parents')).toEqual(['kids.kids_parent_fkey true']);
      expect(await sequenceOf(db, 'parents', 'id')).toEqual({ seq: 'public.parents_id_seq', type: 'bigint', identity: '' });
      // Every parent the writers added has its own id, none lost: ids are unique and the count is the seed's plus theirs.
      expect(await db.count(`SELECT count(*) FROM parents WHERE name IN ('old', 'new')`)).toBeGreaterThan(0);
      expect(await db.count(`SELECT count(*) FROM kids k LEFT JOIN parents p ON p.id = k.parent_id WHERE p.id IS NULL`)).toBe(0);
      await rejects(db, `INSERT INTO kids VALUES (1, 999999)`);
    },
    async afterRollback(db) {
      expect((await column(db, 'parents', 'id'))?.type).toBe('integer');
      expect(await referencing(db, 'parents')).toEqual(['kids.kids_parent_fkey true']);
    },
  },
  {
    name: 'a unique column other tables reference, widened through a shadow; the children keep varchar(10)',
    setup: [
      `CREATE TABLE parents (id int PRIMARY KEY, code varchar(10) NOT NULL, CONSTRAINT parents_code_key UNIQUE (code))`,
      `CREATE TABLE kids (id int PRIMARY KEY, code varchar(10), CONSTRAINT kids_code_fkey FOREIGN KEY (code) REFERENCES parents (code))`,
      `CREATE TABLE toys (id int PRIMARY KEY, code varchar(10), CONSTRAINT toys_code_fkey FOREIGN KEY (code) REFERENCES parents (code))`,
      `INSERT INTO parents VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
      `INSERT INTO kids VALUES (1, 'a'), (2, NULL)`,
      `INSERT INTO toys VALUES (1, 'c')`,
    ],
    operations: [{ alterColumn: { table: 'parents', column: 'code', type: 'varchar(300)' } }],
    writes: {
      old: [`INSERT INTO parents (id, code) VALUES (4, 'd')`, `INSERT INTO kids VALUES (3, 'd')`],
      new: [`INSERT INTO parents (id, code) VALUES (5, 'e')`, `UPDATE kids SET code = 'e' WHERE id = 1`, `INSERT INTO toys VALUES (2, 'b')`],
    },
    async afterStart(db) {
      expect(await shadowOf(db, 'parents')).toBeDefined();
      await rejects(db, `INSERT INTO kids VALUES (9, 'zz')`);
    },
    async afterComplete(db) {
      expect(await shadowOf(db, 'parents')).toBeUndefined();
      expect((await column(db, 'parents', 'code'))?.nullable).toBe(false);
      expect(await maxLength(db, 'parents', 'code')).toBe(300);
      expect(await maxLength(db, 'kids', 'code')).toBe(10);
      expect(await db.uniques('parents')).toEqual([['code']]);
      const fk = (name: string, table: string) => (db.dialect === 'postgres' ? `${name} FOREIGN KEY (code) REFERENCES parents(code)` : `${name} FOREIGN KEY (code) REFERENCES parents(code) ON DELETE RESTRICT`);
      expect(await foreignKeys(db, 'kids')).toEqual([fk('kids_code_fkey', 'kids')]);
      expect(await foreignKeys(db, 'toys')).toEqual([fk('toys_code_fkey', 'toys')]);
      expect(await rows(db, `SELECT id, code FROM kids ORDER BY id`)).toEqual([
        { id: '1', code: 'e' },
        { id: '2', code: null },
        { id: '3', code: 'd' },
      ]);
      await rejects(db, `INSERT INTO kids VALUES (9, 'zz')`);
      await rejects(db, `INSERT INTO parents (id, code) VALUES (9, 'a')`);
      await rejects(db, `DELETE FROM parents WHERE id = 4`);
      await db.query(`INSERT INTO parents (id, code) VALUES (9, '${'x'.repeat(200)}')`);
    },
    async afterRollback(db) {
      expect(await maxLength(db, 'parents', 'code')).toBe(10);
      expect(await foreignKeys(db, 'kids')).toHaveLength(1);
    },
  },
];

describeCases('alterColumn in place over keys', cases);
