/** addIndex: built at expand without blocking writes (PostgreSQL CONCURRENTLY, MySQL INPLACE/LOCK=NONE); kept at contract; dropped at rollback. */
import { expect, it } from 'vitest';
import { describeOperation, range, rejects, rows, SOAK_ROWS } from '../../helpers/operations.js';
import { targets, type Db } from '../../helpers/targets.js';
import { refused, setup } from '../../helpers/scenario.js';

/** PostgreSQL's statement for the index (pg_indexes.indexdef), or undefined when there is none. */
async function indexdef(db: Db, name: string): Promise<string | undefined> {
  return (await db.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?`, [name]))[0]?.d;
}

/** The plan of `sql` uses the index (PostgreSQL with sequential scans off, so a tiny table does not hide it). */
async function uses(db: Db, sql: string, index: string): Promise<boolean> {
  if (db.dialect === 'mysql') return (await db.query<{ key: string | null }>(`EXPLAIN ${sql}`)).some((r) => r.key === index);
  await db.query(`SET enable_seqscan = off`);
  try {
    return (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).some((r) => r['QUERY PLAN'].includes(index));
  } finally {
    await db.query(`RESET enable_seqscan`);
  }
}

/** MySQL: the key parts of an index, `column` or `column DESC`. */
async function parts(db: Db, table: string, name: string): Promise<string[]> {
  const r = await db.query<{ c: string; o: string | null }>(`SELECT COLUMN_NAME AS c, COLLATION AS o FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX`, [table, name]);
  return r.map((x) => `${x.c}${x.o === 'D' ? ' DESC' : ''}`);
}

const FRUITS = [`CREATE TABLE fruits (id int PRIMARY KEY, name varchar(50) NOT NULL, size int, tags jsonb)`, `INSERT INTO fruits VALUES (1, 'apple', 3, '{"a": 1}'), (2, 'Banana', 5, '{"b": 2}')`];
const fruitWrites = { old: [`INSERT INTO fruits VALUES (3, 'cherry', 1, NULL)`], new: [`INSERT INTO fruits VALUES (4, 'Date', 2, '{"a": 2}')`] };


describeOperation('addIndex', [
  {
    // pgroll's 38_create_hash_index_with_fillfactor.
    name: 'hash, with a fillfactor (PostgreSQL)',
    only: 'postgres',
    setup: FRUITS,
    operations: [{ addIndex: { table: 'fruits', name: 'idx_fruits_name', columns: [{ name: 'name' }], method: 'hash', storageParameters: 'fillfactor = 70' } }],
    writes: fruitWrites,
    async afterStart(db) {
      expect(await indexdef(db, 'idx_fruits_name')).toBe(`CREATE INDEX idx_fruits_name ON ${await schemaPrefix(db)}fruits USING hash (name) WITH (fillfactor='70')`);
      expect(await uses(db, `SELECT id FROM fruits WHERE name = 'apple'`, 'idx_fruits_name')).toBe(true);
    },
    async afterComplete(db) {
      expect(await indexdef(db, 'idx_fruits_name')).toMatch(/USING hash \(name\) WITH \(fillfactor='70'\)$/);
    },
    async afterRollback(db) {
      expect(await indexdef(db, 'idx_fruits_name')).toBeUndefined();
    },
  },
  {
    // pgroll's 54_create_index_with_opclass, and a collation, order and NULLS on the keys.
    name: 'operator class, collation, DESC NULLS LAST and INCLUDE (PostgreSQL)',
    only: 'postgres',
    setup: FRUITS,
    operations: [
      {
        addIndex: {
          table: 'fruits',
          name: 'idx_fruits_custom',
          columns: [{ name: 'name', opclass: 'text_pattern_ops', collate: 'C' }, { name: 'size', sort: 'desc', nulls: 'last' }],
          include: ['id'],
        },
      },
    ],
    writes: fruitWrites,
    async afterStart(db) {
      expect(await indexdef(db, 'idx_fruits_custom')).toMatch(/USING btree \(name COLLATE "C" text_pattern_ops, size DESC NULLS LAST\) INCLUDE \(id\)$/);
      expect(await uses(db, `SELECT id FROM fruits WHERE name LIKE 'app%'`, 'idx_fruits_custom')).toBe(true);
    },
    async afterComplete(db) {
      expect(await indexdef(db, 'idx_fruits_custom')).toMatch(/\(name COLLATE "C" text_pattern_ops, size DESC NULLS LAST\) INCLUDE \(id\)$/);
    },
    async afterRollback(db) {
      expect(await indexdef(db, 'idx_fruits_custom')).toBeUndefined();
    },
  },
  {
    name: 'unique over an expression, and gin (PostgreSQL)',
    only: 'postgres',
    setup: FRUITS,
    operations: [
      { addIndex: { table: 'fruits', name: 'fruits_lower_name_key', columns: [{ expression: 'lower(name)' }], unique: true } },
      { addIndex: { table: 'fruits', name: 'fruits_tags_idx', columns: [{ name: 'tags', opclass: 'jsonb_path_ops' }], method: 'gin' } },
    ],
    writes: fruitWrites,
    async afterStart(db) {
      expect(await indexdef(db, 'fruits_lower_name_key')).toMatch(/CREATE UNIQUE INDEX fruits_lower_name_key ON .*fruits USING btree \(lower\(\(name\)::text\)\)$/);
      expect(await indexdef(db, 'fruits_tags_idx')).toMatch(/USING gin \(tags jsonb_path_ops\)$/);
      await rejects(db, `INSERT INTO fruits VALUES (9, 'APPLE', 1, NULL)`);
      expect(await uses(db, `SELECT id FROM fruits WHERE lower(name) = 'date'`, 'fruits_lower_name_key')).toBe(true);
      expect(await uses(db, `SELECT id FROM fruits WHERE tags @> '{"a": 1}'`, 'fruits_tags_idx')).toBe(true);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO fruits VALUES (9, 'BANANA', 1, NULL)`);
      expect(await indexdef(db, 'fruits_tags_idx')).toMatch(/USING gin/);
    },
    async afterRollback(db) {
      expect(await indexdef(db, 'fruits_lower_name_key')).toBeUndefined();
      expect(await indexdef(db, 'fruits_tags_idx')).toBeUndefined();
    },
  },
  {
    // The column is renamed by the next migration before the index is in the catalog: the copy is built from the model's keys.
    name: 'its column renamed by the next migration: the copy keeps method, operator class, order, INCLUDE and WHERE (PostgreSQL)',
    only: 'postgres',
    setup: FRUITS,
    migrations: [
      [{ addIndex: { table: 'fruits', name: 'idx_fruits_pattern', columns: [{ name: 'name', opclass: 'varchar_pattern_ops', sort: 'desc' }, { expression: 'lower(name)' }], include: ['size'], where: 'size > 0', storageParameters: 'fillfactor=80' } }],
      [{ renameColumn: { table: 'fruits', from: 'name', to: 'title' } }],
    ],
    writes: { old: [`INSERT INTO fruits (id, name, size) VALUES (3, 'cherry', 1)`], new: [`INSERT INTO fruits (id, title, size) VALUES (4, 'date', 2)`] },
    async afterStart(db) {
      expect(await indexdef(db, 'idx_fruits_pattern')).toMatch(/USING btree \(name varchar_pattern_ops DESC, lower\(\(name\)::text\)\) INCLUDE \(size\) WITH \(fillfactor='80'\) WHERE \(size > 0\)$/);
    },
    async afterComplete(db) {
      expect(await indexdef(db, 'idx_fruits_pattern')).toMatch(/USING btree \(title varchar_pattern_ops DESC, lower\(\(title\)::text\)\) INCLUDE \(size\) WITH \(fillfactor='80'\) WHERE \(size > 0\)$/);
      expect(await uses(db, `SELECT id FROM fruits WHERE title LIKE 'ch%' AND size > 0`, 'idx_fruits_pattern')).toBe(true);
    },
    async afterRollback(db) {
      expect(await indexdef(db, 'idx_fruits_pattern')).toBeUndefined();
    },
  },
  {
    name: 'a descending key whose column the next migration renames: the copy stays descending',
    setup: [`CREATE TABLE fruits (id int PRIMARY KEY, name varchar(50) NOT NULL, size int)`, `INSERT INTO fruits VALUES (1, 'apple', 3), (2, 'banana', 5)`],
    migrations: [[{ addIndex: { table: 'fruits', name: 'idx_fruits_size', columns: [{ name: 'size', sort: 'desc' }, 'id'] } }], [{ renameColumn: { table: 'fruits', from: 'size', to: 'weight' } }]],
    writes: { old: [`INSERT INTO fruits (id, name, size) VALUES (3, 'cherry', 1)`], new: [`INSERT INTO fruits (id, name, weight) VALUES (4, 'date', 2)`] },
    async afterStart(db) {
      if (db.dialect === 'postgres') expect(await indexdef(db, 'idx_fruits_size')).toMatch(/USING btree \(size DESC, id\)$/);
      else expect(await parts(db, 'fruits', 'idx_fruits_size')).toEqual(['size DESC', 'id']);
    },
    async afterComplete(db) {
      if (db.dialect === 'postgres') expect(await indexdef(db, 'idx_fruits_size')).toMatch(/USING btree \(weight DESC, id\)$/);
      else expect(await parts(db, 'fruits', 'idx_fruits_size')).toEqual(['weight DESC', 'id']);
      expect(await rows(db, `SELECT id, weight FROM fruits ORDER BY id`)).toEqual([1, 2, 3, 4].map((id) => ({ id: String(id), weight: String([3, 5, 1, 2][id - 1]) })));
    },
    async afterRollback(db) {
      expect(await db.indexes('fruits')).toEqual([]);
    },
  },
  {
    // pgroll's 10_create_index and 42_create_unique_index (keys as objects), and a descending key.
    name: 'keys as objects, one descending',
    setup: [`CREATE TABLE fruits (id int PRIMARY KEY, name varchar(50) NOT NULL, size int)`, `INSERT INTO fruits VALUES (1, 'apple', 3), (2, 'banana', 5)`],
    operations: [
      { addIndex: { table: 'fruits', name: 'idx_fruits_unique_name', columns: [{ name: 'name' }], unique: true } },
      { addIndex: { table: 'fruits', name: 'idx_fruits_size', columns: [{ name: 'size', sort: 'desc' }, 'id'] } },
    ],
    writes: { old: [`INSERT INTO fruits VALUES (3, 'cherry', 1)`], new: [`INSERT INTO fruits VALUES (4, 'date', 2)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO fruits VALUES (9, 'apple', 1)`);
      if (db.dialect === 'postgres') expect(await indexdef(db, 'idx_fruits_size')).toMatch(/USING btree \(size DESC, id\)$/);
      else expect(await parts(db, 'fruits', 'idx_fruits_size')).toEqual(['size DESC', 'id']);
      expect(await uses(db, `SELECT id FROM fruits WHERE name = 'apple'`, 'idx_fruits_unique_name')).toBe(true);
    },
    async afterComplete(db) {
      expect((await db.indexes('fruits')).map((i) => [i.name, i.unique]).sort()).toEqual([['idx_fruits_size', false], ['idx_fruits_unique_name', true]]);
    },
    async afterRollback(db) {
      expect(await db.indexes('fruits')).toEqual([]);
    },
  },
  {
    name: 'unique, built without blocking writers',
    async setup(db) {
      await db.query(`CREATE TABLE tags (id int PRIMARY KEY, slug varchar(50) NOT NULL)`);
      await db.seed('tags', ['id', 'slug'], range(SOAK_ROWS).map((g) => [g, `s${g}`]));
    },
    operations: [{ addIndex: { table: 'tags', columns: ['slug'], unique: true, name: 'tags_slug_key' } }],
    soak: {
      rows: SOAK_ROWS,
      backfills: false,
      old: (i) => ({ sql: `INSERT INTO tags (id, slug) VALUES (?, ?)`, params: [100000 + i, `old${i}`] }),
      new: (i) => ({ sql: `UPDATE tags SET slug = ? WHERE id = ?`, params: [`new${i}`, 1 + (i % SOAK_ROWS)] }),
    },
    async afterExpand(db) {
      expect((await db.indexes('tags')).find((i) => i.name === 'tags_slug_key')).toMatchObject({ unique: true, columns: ['slug'] });
    },
    async afterStart(db) {
      await expect(db.query(`INSERT INTO tags (id, slug) VALUES (999999, 'old1')`)).rejects.toThrow();
    },
    async afterComplete(db) {
      expect((await db.indexes('tags')).some((i) => i.name === 'tags_slug_key')).toBe(true);
    },
    async afterRollback(db) {
      expect(await db.indexes('tags')).toEqual([]);
    },
  },
  {
    name: 'two columns, the name derived',
    setup: [`CREATE TABLE events (id int PRIMARY KEY, kind varchar(10), at_day int)`, `INSERT INTO events VALUES (1, 'a', 1), (2, 'a', 1)`],
    operations: [{ addIndex: { table: 'events', columns: ['kind', 'at_day'] } }],
    writes: { old: [`INSERT INTO events VALUES (3, 'b', 2)`], new: [`INSERT INTO events VALUES (4, 'b', 2)`] },
    async afterStart(db) {
      expect(await db.indexes('events')).toEqual([{ name: 'events_kind_at_day_idx', columns: ['kind', 'at_day'], unique: false }]);
      expect(await db.count(`SELECT count(*) FROM events WHERE kind = 'b' AND at_day = 2`)).toBe(2);
    },
    async afterComplete(db) {
      expect(await db.indexes('events')).toEqual([{ name: 'events_kind_at_day_idx', columns: ['kind', 'at_day'], unique: false }]);
    },
    async afterRollback(db) {
      expect(await db.indexes('events')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM events`)).toBe(4);
    },
  },
  {
    name: 'unique and partial (PostgreSQL): only live rows must differ',
    only: 'postgres',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50), deleted int)`, `INSERT INTO users VALUES (1, 'a@x', NULL), (2, 'a@x', 1)`],
    operations: [{ addIndex: { table: 'users', columns: ['email'], unique: true, where: 'deleted IS NULL', name: 'users_live_email' } }],
    writes: { old: [`INSERT INTO users VALUES (3, 'b@x', NULL)`], new: [`INSERT INTO users VALUES (4, 'b@x', 1)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO users VALUES (5, 'a@x', NULL)`);
      await db.query(`INSERT INTO users VALUES (6, 'a@x', 1)`);
      expect(await rows(db, `SELECT count(*) AS n FROM users WHERE email = 'a@x'`)).toEqual([{ n: '3' }]);
    },
    async afterComplete(db) {
      expect(await db.indexes('users')).toEqual([{ name: 'users_live_email', columns: ['email'], unique: true }]);
      await rejects(db, `INSERT INTO users VALUES (7, 'b@x', NULL)`);
    },
    async afterRollback(db) {
      await db.query(`INSERT INTO users VALUES (7, 'b@x', NULL)`);
      await db.query(`DELETE FROM users WHERE id = 7`);
    },
  },
]);

/** `schema.` as pg_indexes prints a table outside the search path's first schema, or nothing. */
async function schemaPrefix(db: Db): Promise<string> {
  const [r] = await db.query<{ d: string }>(`SELECT pg_get_indexdef('fruits_pkey'::regclass) AS d`);
  return /ON (\S+\.)?fruits /.exec(r!.d)?.[1] ?? '';
}

for (const target of targets) {
  target.describe(`addIndex options, refused (${target.name})`, () => {
    if (target.name === 'mysql') {
      it('MySQL/MariaDB: every PostgreSQL-only option is refused naming its path and why, nothing run', async () => {
        const s = await setup(target, [`CREATE TABLE fruits (id int PRIMARY KEY, name varchar(50), size int)`], 'xc_ix');
        const cases: [unknown, RegExp][] = [
          [{ columns: ['name'], where: 'size > 0' }, /addIndex\.where: a partial index \(where\): MySQL and MariaDB have no partial indexes/],
          [{ columns: ['name'], method: 'hash' }, /addIndex\.method: method hash: InnoDB indexes are B-trees: it accepts USING HASH and builds a B-tree anyway/],
          [{ columns: ['name'], method: 'gin' }, /addIndex\.method: method gin: InnoDB indexes are B-trees/],
          [{ columns: ['name'], storageParameters: 'fillfactor=70' }, /addIndex\.storageParameters: storage parameters: MySQL\/MariaDB have no per-index/],
          [{ columns: ['name'], include: ['size'] }, /addIndex\.include: INCLUDE columns: MySQL\/MariaDB indexes have no INCLUDE columns/],
          [{ columns: [{ expression: 'lower(name)' }], name: 'x' }, /addIndex\.columns\[0\]\.expression: an index on an expression: MariaDB 10\.11 has no functional indexes/],
          [{ columns: [{ name: 'name', opclass: 'text_pattern_ops' }] }, /addIndex\.columns\[0\]\.opclass: an operator class: MySQL\/MariaDB indexes have no operator classes/],
          [{ columns: [{ name: 'name', nulls: 'first' }] }, /addIndex\.columns\[0\]\.nulls: NULLS FIRST: MySQL\/MariaDB have no NULLS FIRST\/LAST/],
          [{ columns: [{ name: 'name', collate: 'C' }] }, /addIndex\.columns\[0\]\.collate: a collation per key: MySQL\/MariaDB index a column in its own collation/],
        ];
        for (const [spec, message] of cases) {
          await s.write('0001_ix', { addIndex: { table: 'fruits', ...(spec as object) } });
          await refused(s, ['fruits'], message);
        }
      });
      return;
    }
    it('PostgreSQL: a unique index that is not btree, INCLUDE with a method without it, a key column included, a missing column, an expression without a name', async () => {
      const s = await setup(target, FRUITS, 'xc_ix');
      const cases: [unknown, RegExp][] = [
        [{ columns: ['name'], unique: true, method: 'hash' }, /addIndex\.method: only btree indexes can be unique, not hash/],
        [{ columns: ['name'], method: 'brin', include: ['size'] }, /addIndex\.include: INCLUDE needs method btree, gist or spgist, not brin/],
        [{ columns: ['name'], include: ['name'] }, /addIndex\.include\[0\]: "name" is a key column already/],
        [{ columns: [{ name: 'nope' }], include: ['gone'] }, /addIndex\.columns\[0\]\.name: table "fruits" has no column "nope"[\s\S]*addIndex\.include\[0\]: table "fruits" has no column "gone"/],
        [{ columns: [{ expression: 'lower(name)' }] }, /addIndex\.name: an index over an expression needs a `name`/],
        [{ columns: [{ name: 'name', expression: 'lower(name)' }], name: 'x' }, /addIndex\.columns\[0\]: give exactly one of `name` \(a column\) and `expression`/],
        [{ columns: [{ expression: 'lower(nope)' }], name: 'x' }, /addIndex\.columns\[0\]\.expression: .*column "nope" does not exist/],
        [{ columns: ['name'], storageParameters: 'fillfactor=70); DROP TABLE fruits; --' }, /addIndex\.storageParameters: must be name=value pairs/],
      ];
      for (const [spec, message] of cases) {
        await s.write('0001_ix', { addIndex: { table: 'fruits', ...(spec as object) } });
        await refused(s, ['fruits'], message);
      }
    });
  });
}
