/**
 * dropConstraint: nothing at expand (the old version may rely on it); dropped at contract; nothing to undo at rollback.
 * With a `down` (pgroll 23, 24, 27): until contract, a write from either version that would break the constraint is
 * stored as `down` converts it; other writes are stored as sent; after contract nothing is converted.
 */
import { expect, it } from 'vitest';
import { describeOperation, foreignKeys, rejects, rows } from '../../helpers/operations.js';
import type { Db } from '../../helpers/targets.js';
import { targets } from '../../helpers/targets.js';
import { refused, setup, toContracted } from '../../helpers/scenario.js';

const byId = async (db: Db, sql: string) => Object.fromEntries((await rows(db, sql)).map((r) => [r.id, r.v]));

/** pgroll 23: a title of 3 characters or fewer is padded to 4. */
const PAD = 'CASE WHEN length(title) <= 3 THEN LPAD(title, 4, \'-\') ELSE title END';
/** pgroll 24: a user_id without its user becomes NULL. */
const ORPHAN = 'CASE WHEN EXISTS (SELECT 1 FROM users WHERE users.id = user_id) THEN user_id ELSE NULL END';
/** pgroll 27: a duplicate review gets random digits appended (volatile: nothing computes it again). */
const SUFFIX = { postgres: `review || '-' || (random()*1000000)::integer`, mysql: `CONCAT(review, '-', FLOOR(RAND()*1000000))` };

describeOperation('dropConstraint', [
  {
    name: 'a check: enforced until contract',
    setup: [`CREATE TABLE products (id int PRIMARY KEY, price int, CONSTRAINT products_price_check CHECK (price >= 0))`, `INSERT INTO products VALUES (1, 1)`],
    operations: [{ dropConstraint: { table: 'products', name: 'products_price_check' } }],
    writes: { old: [`INSERT INTO products VALUES (2, 2)`], new: [`UPDATE products SET price = 3 WHERE id = 1`] },
    async afterStart(db) {
      expect(await db.checks('products')).toHaveLength(1);
      await rejects(db, `INSERT INTO products VALUES (3, -1)`);
    },
    async afterComplete(db) {
      expect(await db.checks('products')).toEqual([]);
      await db.query(`INSERT INTO products VALUES (3, -1)`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO products VALUES (3, -1)`);
      expect(await db.count(`SELECT count(*) FROM products WHERE price = 3`)).toBe(1);
    },
  },
  {
    name: 'a unique constraint: enforced until contract',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50), CONSTRAINT users_email_key UNIQUE (email))`, `INSERT INTO users VALUES (1, 'a@x')`],
    operations: [{ dropConstraint: { table: 'users', name: 'users_email_key' } }],
    writes: { old: [`INSERT INTO users VALUES (2, 'b@x')`], new: [`INSERT INTO users VALUES (3, 'c@x')`] },
    async afterStart(db) {
      expect(await db.uniques('users')).toEqual([['email']]);
      await rejects(db, `INSERT INTO users VALUES (4, 'a@x')`);
    },
    async afterComplete(db) {
      expect(await db.uniques('users')).toEqual([]);
      expect(await db.indexes('users')).toEqual([]);
      await db.query(`INSERT INTO users VALUES (4, 'a@x')`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO users VALUES (4, 'a@x')`);
    },
  },
  {
    name: 'a foreign key: enforced until contract',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int, CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id))`,
      `INSERT INTO users VALUES (1)`,
      `INSERT INTO orders VALUES (10, 1)`,
    ],
    operations: [{ dropConstraint: { table: 'orders', name: 'orders_user_fk' } }],
    writes: { old: [`INSERT INTO orders VALUES (11, 1)`], new: [`INSERT INTO orders VALUES (12, NULL)`] },
    async afterStart(db) {
      expect(await foreignKeys(db, 'orders')).toHaveLength(1);
      await rejects(db, `INSERT INTO orders VALUES (13, 99)`);
    },
    async afterComplete(db) {
      expect(await foreignKeys(db, 'orders')).toEqual([]);
      await db.query(`INSERT INTO orders VALUES (13, 99)`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO orders VALUES (13, 99)`);
    },
  },
  {
    name: 'pgroll 23, a check with down: a short title from either version is padded until contract',
    setup: [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(255) NOT NULL, CONSTRAINT title_length CHECK (length(title) > 3))`, `INSERT INTO posts VALUES (1, 'first post')`],
    operations: [{ dropConstraint: { table: 'posts', name: 'title_length', up: 'title', down: { postgres: `SELECT ${PAD}`, mysql: PAD } } }],
    writes: { old: [`INSERT INTO posts VALUES (2, 'ab')`, `INSERT INTO posts VALUES (3, 'third')`], new: [`INSERT INTO posts VALUES (4, 'x')`, `UPDATE posts SET title = 'yo' WHERE id = 3`] },
    async afterStart(db) {
      expect(await byId(db, `SELECT id, title AS v FROM posts`)).toEqual({ 1: 'first post', 2: '--ab', 3: '--yo', 4: '---x' });
      expect(await db.checks('posts')).toHaveLength(1);
      await db.query(`INSERT INTO posts VALUES (5, 'abc'), (6, 'abcd')`);
      expect(await byId(db, `SELECT id, title AS v FROM posts WHERE id >= 5`)).toEqual({ 5: '-abc', 6: 'abcd' });
    },
    async afterComplete(db) {
      expect(await db.checks('posts')).toEqual([]);
      await db.query(`INSERT INTO posts VALUES (7, 'ab')`);
      await db.query(`UPDATE posts SET title = 'z' WHERE id = 1`);
      expect(await byId(db, `SELECT id, title AS v FROM posts WHERE id IN (1, 2, 7)`)).toEqual({ 1: 'z', 2: '--ab', 7: 'ab' });
    },
    async afterRollback(db) {
      expect(await db.checks('posts')).toHaveLength(1);
      await rejects(db, `INSERT INTO posts VALUES (7, 'ab')`);
      expect(await byId(db, `SELECT id, title AS v FROM posts`)).toEqual({ 1: 'first post', 2: '--ab', 3: '--yo', 4: '---x' });
    },
  },
  {
    name: 'pgroll 24, a foreign key with down: a user_id without its user becomes NULL until contract',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE posts (id int PRIMARY KEY, user_id int, CONSTRAINT fk_users_id FOREIGN KEY (user_id) REFERENCES users (id))`,
      `INSERT INTO users VALUES (1), (2)`,
      `INSERT INTO posts VALUES (1, 1), (2, 2)`,
    ],
    operations: [{ dropConstraint: { table: 'posts', name: 'fk_users_id', up: 'user_id', down: { postgres: `SELECT ${ORPHAN}`, mysql: ORPHAN } } }],
    writes: { old: [`INSERT INTO posts VALUES (3, 99)`, `INSERT INTO posts VALUES (4, 2)`], new: [`INSERT INTO posts VALUES (5, NULL)`, `UPDATE posts SET user_id = 42 WHERE id = 1`] },
    async afterStart(db) {
      expect(await byId(db, `SELECT id, user_id AS v FROM posts`)).toEqual({ 1: null, 2: '2', 3: null, 4: '2', 5: null });
      expect(await foreignKeys(db, 'posts')).toHaveLength(1);
    },
    async afterComplete(db) {
      expect(await foreignKeys(db, 'posts')).toEqual([]);
      await db.query(`INSERT INTO posts VALUES (6, 99)`);
      await db.query(`UPDATE posts SET user_id = 77 WHERE id = 2`);
      expect(await byId(db, `SELECT id, user_id AS v FROM posts WHERE id IN (2, 6)`)).toEqual({ 2: '77', 6: '99' });
    },
    async afterRollback(db) {
      expect(await foreignKeys(db, 'posts')).toHaveLength(1);
      await rejects(db, `INSERT INTO posts VALUES (6, 99)`);
    },
  },
  {
    name: 'pgroll 27, a unique constraint with down: a duplicate review gets digits appended until contract',
    setup: [`CREATE TABLE reviews (id int PRIMARY KEY, review varchar(100), stars int, CONSTRAINT reviews_review_unique UNIQUE (review))`, `INSERT INTO reviews VALUES (1, 'good', 1), (2, 'fine', 1)`],
    operations: [{ dropConstraint: { table: 'reviews', name: 'reviews_review_unique', up: 'review', down: SUFFIX } }],
    writes: {
      old: [`INSERT INTO reviews VALUES (3, 'good', 1)`, `INSERT INTO reviews VALUES (4, NULL, 1), (5, NULL, 1)`],
      // An UPDATE leaving the key as it was (stars, or 'fine' → 'fine') is no duplicate of itself.
      new: [`INSERT INTO reviews VALUES (6, 'new', 1)`, `UPDATE reviews SET review = 'good' WHERE id = 6`, `UPDATE reviews SET stars = 5 WHERE id = 1`, `UPDATE reviews SET review = 'fine', stars = 2 WHERE id = 2`],
    },
    async afterStart(db) {
      const v = await byId(db, `SELECT id, review AS v FROM reviews`);
      expect(v).toMatchObject({ 1: 'good', 2: 'fine', 4: null, 5: null });
      expect(v[3]).toMatch(/^good-\d+$/);
      expect(v[6]).toMatch(/^good-\d+$/);
      expect(await db.uniques('reviews')).toEqual([['review']]);
      await db.query(`INSERT INTO reviews VALUES (7, 'fine', 1), (8, 'other', 1)`);
      expect((await byId(db, `SELECT id, review AS v FROM reviews WHERE id >= 7`))).toMatchObject({ 7: expect.stringMatching(/^fine-\d+$/), 8: 'other' });
    },
    async afterComplete(db) {
      expect(await db.uniques('reviews')).toEqual([]);
      await db.query(`INSERT INTO reviews VALUES (9, 'good', 1)`);
      expect(await db.count(`SELECT count(*) FROM reviews WHERE review = 'good'`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await db.uniques('reviews')).toEqual([['review']]);
      await rejects(db, `INSERT INTO reviews VALUES (9, 'good', 1)`);
    },
  },
  {
    // Campaign U: the BEFORE INSERT trigger runs before the server looks for the conflict, so the row an upsert or a
    // REPLACE on the primary key is about to update counted as a duplicate of itself: its key was converted ('a@x-dup').
    name: 'a unique constraint with down: an upsert or REPLACE of a row by its primary key is no duplicate of itself',
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50), n int, CONSTRAINT users_email_key UNIQUE (email))`, `INSERT INTO users VALUES (1, 'a@x', 0), (2, 'b@x', 0), (3, 'c@x', 0)`],
    operations: [{ dropConstraint: { table: 'users', name: 'users_email_key', down: { postgres: `email || '-dup'`, mysql: `CONCAT(email, '-dup')` } } }],
    writes: {
      old: {
        postgres: [`INSERT INTO users VALUES (1, 'a@x', 5) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, n = EXCLUDED.n`, `INSERT INTO users VALUES (3, 'c@x', 9) ON CONFLICT (id) DO NOTHING`],
        mysql: [`INSERT INTO users VALUES (1, 'a@x', 5) ON DUPLICATE KEY UPDATE email = VALUES(email), n = VALUES(n)`, `REPLACE INTO users VALUES (3, 'c@x', 9)`, `INSERT IGNORE INTO users VALUES (2, 'b@x', 7)`],
      },
      // A real duplicate from another row is still converted; an upsert moving a row onto another's key too.
      new: {
        postgres: [`INSERT INTO users VALUES (4, 'a@x', 1)`, `INSERT INTO users VALUES (2, 'c@x', 2) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, n = EXCLUDED.n`],
        mysql: [`INSERT INTO users VALUES (4, 'a@x', 1)`, `INSERT INTO users VALUES (2, 'c@x', 2) ON DUPLICATE KEY UPDATE email = VALUES(email), n = VALUES(n)`],
      },
    },
    async afterStart(db) {
      const all = await rows(db, `SELECT id, email, n FROM users ORDER BY id`);
      const n3 = db.dialect === 'postgres' ? 0 : 9; // ON CONFLICT DO NOTHING; REPLACE replaced it
      expect(all.map((r) => [Number(r.id), r.email, Number(r.n)])).toEqual([[1, 'a@x', 5], [2, 'c@x-dup', 2], [3, 'c@x', n3], [4, 'a@x-dup', 1]]);
    },
    async afterComplete(db) {
      await db.query(`INSERT INTO users VALUES (5, 'a@x', 1)`);
      expect(await db.count(`SELECT count(*) FROM users WHERE email = 'a@x'`)).toBe(2);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO users VALUES (5, 'a@x', 1)`);
      expect(await db.count(`SELECT count(*) FROM users WHERE email LIKE '%-dup'`)).toBe(2);
    },
  },
  {
    // Campaign V: an upsert resolving on a third key (username), or a REPLACE meeting it, updates or replaces the row
    // holding the email: no duplicate. Its email was stored converted ('a@x-dup'), the upsert taking EXCLUDED's.
    name: 'a unique constraint with down: an upsert or REPLACE resolved on another unique key is no duplicate of the row it updates',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY, email varchar(50), username varchar(20) NOT NULL, n int, CONSTRAINT users_email_key UNIQUE (email), CONSTRAINT users_username_key UNIQUE (username))`,
      `INSERT INTO users VALUES (1, 'a@x', 'ua', 0), (2, 'b@x', 'ub', 0), (3, 'c@x', 'uc', 0), (4, 'd@x', 'ud', 0)`,
    ],
    operations: [{ dropConstraint: { table: 'users', name: 'users_email_key', down: { postgres: `email || '-dup'`, mysql: `CONCAT(email, '-dup')` } } }],
    writes: {
      old: {
        postgres: [`INSERT INTO users VALUES (10, 'a@x', 'ua', 5) ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email, n = EXCLUDED.n`],
        mysql: [`INSERT INTO users VALUES (10, 'a@x', 'ua', 5) ON DUPLICATE KEY UPDATE email = VALUES(email), n = VALUES(n)`, `REPLACE INTO users VALUES (20, 'b@x', 'ub', 7)`],
      },
      // A real duplicate of another row is still converted, through the same upsert.
      new: {
        postgres: [`INSERT INTO users VALUES (11, 'c@x', 'ud', 6) ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email, n = EXCLUDED.n`],
        mysql: [`INSERT INTO users VALUES (11, 'c@x', 'ud', 6) ON DUPLICATE KEY UPDATE email = VALUES(email), n = VALUES(n)`],
      },
    },
    async afterStart(db) {
      const all = await rows(db, `SELECT id, email, username, n FROM users ORDER BY id`);
      const b = db.dialect === 'postgres' ? [2, 'b@x', 'ub', 0] : [20, 'b@x', 'ub', 7]; // REPLACE replaced row 2
      expect(all.map((r) => [Number(r.id), r.email, r.username, Number(r.n)])).toEqual(
        [[1, 'a@x', 'ua', 5], b, [3, 'c@x', 'uc', 0], [4, 'c@x-dup', 'ud', 6]].sort((x, y) => Number(x[0]) - Number(y[0])),
      );
    },
    async afterComplete(db) {
      await db.query(`INSERT INTO users VALUES (5, 'c@x', 'ue', 1)`);
      expect(await db.count(`SELECT count(*) FROM users WHERE email = 'c@x'`)).toBe(2);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO users VALUES (5, 'c@x', 'ue', 1)`);
    },
  },
  {
    // Campaign Z: the other key a plain unique index (no constraint), which ON CONFLICT (username) takes as well.
    name: 'a unique constraint with down: an upsert resolved on a unique index over columns is no duplicate either',
    only: 'postgres',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY, email varchar(50), username varchar(20) NOT NULL, n int, CONSTRAINT users_email_key UNIQUE (email))`,
      `CREATE UNIQUE INDEX users_username_idx ON users (username)`,
      `INSERT INTO users VALUES (1, 'a@x', 'ua', 0), (2, 'b@x', 'ub', 0)`,
    ],
    operations: [{ dropConstraint: { table: 'users', name: 'users_email_key', down: `email || '-dup'` } }],
    writes: {
      old: [`INSERT INTO users VALUES (10, 'a@x', 'ua', 5) ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email, n = EXCLUDED.n`],
      new: [`INSERT INTO users VALUES (11, 'a@x', 'ub', 6) ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email, n = EXCLUDED.n`],
    },
    async afterStart(db) {
      const all = await rows(db, `SELECT id, email, n FROM users ORDER BY id`);
      expect(all.map((r) => [Number(r.id), r.email, Number(r.n)])).toEqual([[1, 'a@x', 5], [2, 'a@x-dup', 6]]);
    },
    async afterComplete(db) {
      await db.query(`INSERT INTO users VALUES (5, 'a@x', 'ue', 1)`);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO users VALUES (5, 'a@x', 'ue', 1)`);
    },
  },
  {
    name: 'a unique constraint NULLS NOT DISTINCT with down: a second NULL is a duplicate too',
    only: 'postgres',
    setup: [`CREATE TABLE codes (id int PRIMARY KEY, code varchar(20), CONSTRAINT code_uq UNIQUE NULLS NOT DISTINCT (code))`, `INSERT INTO codes VALUES (1, NULL), (2, 'a')`],
    operations: [{ dropConstraint: { table: 'codes', name: 'code_uq', down: `COALESCE(code, 'none') || '-' || id` } }],
    writes: { old: [`INSERT INTO codes VALUES (3, NULL)`], new: [`INSERT INTO codes VALUES (4, 'a')`, `UPDATE codes SET code = NULL WHERE id = 1`, `INSERT INTO codes VALUES (5, 'b')`] },
    async afterStart(db) {
      expect(await byId(db, `SELECT id, code AS v FROM codes`)).toEqual({ 1: null, 2: 'a', 3: 'none-3', 4: 'a-4', 5: 'b' });
    },
    async afterComplete(db) {
      await db.query(`INSERT INTO codes VALUES (6, NULL)`);
      expect(await db.count(`SELECT count(*) FROM codes WHERE code IS NULL`)).toBe(2);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO codes VALUES (6, NULL)`);
    },
  },
  {
    name: 'a check added in the same apply (MySQL: a trigger pair), dropped with down: the conversion runs first',
    setup: [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(255) NOT NULL)`, `INSERT INTO posts VALUES (1, 'first post')`],
    migrations: [[{ addCheck: { table: 'posts', name: 'title_length', expression: 'length(title) > 3' } }], [{ dropConstraint: { table: 'posts', name: 'title_length', down: PAD } }]],
    writes: { old: [`INSERT INTO posts VALUES (2, 'ab')`], new: [`UPDATE posts SET title = 'x' WHERE id = 1`] },
    async afterStart(db) {
      expect(await byId(db, `SELECT id, title AS v FROM posts`)).toEqual({ 1: '---x', 2: '--ab' });
      expect(await db.checks('posts')).toHaveLength(1);
    },
    async afterComplete(db) {
      expect(await db.checks('posts')).toEqual([]);
      await db.query(`INSERT INTO posts VALUES (3, 'ab')`);
      expect(await byId(db, `SELECT id, title AS v FROM posts WHERE id = 3`)).toEqual({ 3: 'ab' });
    },
    async afterRollback(db) {
      expect(await db.checks('posts')).toEqual([]);
      expect(await byId(db, `SELECT id, title AS v FROM posts`)).toEqual({ 1: '---x', 2: '--ab' });
    },
  },
]);

for (const target of targets) {
  target.describe(`dropConstraint: what plan refuses (${target.name})`, () => {
    it('a check xc added in an earlier migration (MySQL: its trigger pair, read back from the catalog): converted before it judges the row', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(255) NOT NULL)`, `INSERT INTO posts VALUES (1, 'first post')`], 'xc_dc');
      await s.write('0001_check', { alterColumn: { table: 'posts', column: 'title', check: { name: 'title_length', expression: 'length(title) > 3' } } });
      await toContracted(s, '0001_check');
      await rejects(s.db, `INSERT INTO posts VALUES (2, 'ab')`);
      await s.write('0002_drop', { dropConstraint: { table: 'posts', name: 'title_length', up: 'title', down: PAD } });
      // `down` converts what the check would refuse: nothing to note.
      expect(((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations.find((m) => m.id === '0002_drop')!.notes ?? []).toEqual([]);
      await s.xc.apply({ to: 'expand' });
      await s.db.query(`INSERT INTO posts VALUES (2, 'ab')`);
      await s.db.query(`UPDATE posts SET title = 'x' WHERE id = 1`);
      expect(await byId(s.db, `SELECT id, title AS v FROM posts`)).toEqual({ 1: '---x', 2: '--ab' });
      await toContracted(s, '0002_drop');
      expect(await s.db.checks('posts')).toEqual([]);
      await s.db.query(`INSERT INTO posts VALUES (3, 'ab')`);
      expect(await byId(s.db, `SELECT id, title AS v FROM posts WHERE id = 3`)).toEqual({ 3: 'ab' });
      expect(await s.db.triggers()).toEqual([]);
    });

    it('plan notes what the constraint refuses until contract, and the new version writing it is refused until then (campaign FD: a foreign key dropped for the new version, 31 of its writes refused, plan silent)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY)`,
        `CREATE TABLE cart_items (id int PRIMARY KEY, user_id int NOT NULL, sku varchar(20) NOT NULL, qty int NOT NULL, CONSTRAINT cart_items_user_id_foreign FOREIGN KEY (user_id) REFERENCES users (id), CONSTRAINT cart_items_qty_check CHECK (qty > 0), CONSTRAINT cart_items_sku_unique UNIQUE (sku))`,
        `INSERT INTO users VALUES (1)`,
        `INSERT INTO cart_items VALUES (1, 1, 'a', 1)`,
      ], 'xc_dc');
      await s.write('0001_d',
        { dropConstraint: { table: 'cart_items', name: 'cart_items_user_id_foreign' } },
        { dropConstraint: { table: 'cart_items', name: 'cart_items_qty_check' } },
        { dropConstraint: { table: 'cart_items', name: 'cart_items_sku_unique' } });
      const notes = ((await s.xc.plan()) as { migrations: { notes?: string[] }[] }).migrations[0]!.notes ?? [];
      expect(notes).toEqual([
        'operations[0].dropConstraint: "cart_items" keeps "cart_items_user_id_foreign" until contract: writes of "user_id" that match no row of "users" are refused, for both versions, until `xc contract` drops it — deploy the version that writes them after contract, or give `down` to convert them until then',
        expect.stringMatching(/^operations\[1\]\.dropConstraint: "cart_items" keeps "cart_items_qty_check" until contract: writes that break "cart_items_qty_check" \(.*qty.* > 0.*\) are refused, for both versions, until `xc contract` drops it — deploy the version that writes them after contract, or give `down` to convert them until then$/),
        'operations[2].dropConstraint: "cart_items" keeps "cart_items_sku_unique" until contract: writes that repeat a value of "sku" are refused, for both versions, until `xc contract` drops it — deploy the version that writes them after contract',
      ]);
      // As noted: refused after apply, stored after contract.
      await s.xc.apply();
      await rejects(s.db, `INSERT INTO cart_items VALUES (2, 100002, 'b', 1)`);
      await toContracted(s, '0001_d');
      await s.db.query(`INSERT INTO cart_items VALUES (2, 100002, 'a', 0)`);
      expect(await s.db.count(`SELECT count(*) FROM cart_items`)).toBe(2);
      // A primary key's too.
      await s.write('0002_d', { dropConstraint: { table: 'users', name: (await s.db.query<{ name: string }>(target.name === 'postgres' ? `SELECT conname AS name FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'p'` : `SELECT 'PRIMARY' AS name`))[0]!.name } });
      const keyNotes = ((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations.find((m) => m.id === '0002_d')!.notes ?? [];
      expect(keyNotes).toEqual([expect.stringMatching(/^operations\[0\]\.dropConstraint: "users" keeps "(users_pkey|PRIMARY)" until contract: writes that repeat a value of "id" are refused/)]);
    });

    it('up that converts, up/down over several columns, a down that does not compile', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int, b int, CONSTRAINT a_pos CHECK (a > 0), CONSTRAINT ab_uq UNIQUE (a, b))`], 'xc_dc');
      await s.write('0001_d', { dropConstraint: { table: 't', name: 'a_pos', up: 'a + 1' } });
      await refused(s, ['t'], /dropConstraint\.up: `up` converting "a" is not supported here: xc keeps no copy of "a"/);
      await s.write('0001_d', { dropConstraint: { table: 't', name: 'ab_uq', down: 'a + 1' } });
      await refused(s, ['t'], /dropConstraint\.down: "ab_uq" covers 2 columns \("a", "b"\).*use dropMultiColumnConstraint/);
      await s.write('0001_d', { dropConstraint: { table: 't', name: 'a_pos', down: 'no_such_function(a)' } });
      await refused(s, ['t'], /dropConstraint\.down: .*no_such_function/i);
      expect(await s.db.triggers()).toEqual([]);
    });

    if (target.name === 'postgres') {
      // Campaign AB: checked at the statement's end, `SET pos = pos + 1` and a child before its parent are legal; a row
      // trigger found each row breaking the key and stored `down` (1002…, a NULL parent) in writes that broke nothing.
      it('a DEFERRABLE unique or foreign key with a down: refused at plan, nothing done', async () => {
        const s = await setup(target, [
          `CREATE TABLE slots (id int PRIMARY KEY, pos int, CONSTRAINT slots_pos_key UNIQUE (pos) DEFERRABLE INITIALLY IMMEDIATE)`,
          `CREATE TABLE kids (id int PRIMARY KEY, pid int, CONSTRAINT kids_pid_fkey FOREIGN KEY (pid) REFERENCES slots (id) DEFERRABLE INITIALLY DEFERRED)`,
          `INSERT INTO slots VALUES (1, 1), (2, 2)`,
        ], 'xc_dc');
        await s.write('0001_d', { dropConstraint: { table: 'slots', name: 'slots_pos_key', up: 'pos', down: 'pos + 1000' } });
        await refused(s, ['slots', 'kids'], /dropConstraint\.down: `down` cannot convert for "slots_pos_key": it is DEFERRABLE, .*leave `down` out/);
        await s.write('0001_d', { dropConstraint: { table: 'kids', name: 'kids_pid_fkey', down: 'NULL' } });
        await refused(s, ['slots', 'kids'], /dropConstraint\.down: `down` cannot convert for "kids_pid_fkey": it is DEFERRABLE/);
        expect(await s.db.triggers()).toEqual([]);
        // Without `down` the key is dropped at contract, and stays deferrable until then: the statement-end check holds.
        await s.write('0001_d', { dropConstraint: { table: 'slots', name: 'slots_pos_key' } });
        await s.xc.apply({ to: 'expand' });
        await s.db.query(`UPDATE slots SET pos = pos + 1`);
        expect(await byId(s.db, `SELECT id, pos AS v FROM slots`)).toEqual({ 1: '2', 2: '3' });
        await toContracted(s, '0001_d');
      });
    }
  });
}
