/**
 * Histories users bring from other tools (campaign M: Flyway, Sqitch, Hasura, Atlas, Drizzle-kit, MikroORM): what
 * they write that xc refuses, or takes otherwise than they mean, and how plan says so — each message names the way
 * that works, which then runs.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, rejection, setup, toContracted } from '../helpers/scenario.js';
import { runXc, runXcKillingAt } from '../helpers/cli.js';
import { Writer } from '../helpers/writers.js';

for (const target of targets) {
  target.describe(`histories from other tools (${target.name})`, () => {
    it('a table named with its schema (`public.users`, as Hasura and pgroll write it): refused, saying to write the name alone', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY)`], 'xc_brought');
      await s.write('0001_q', { addColumn: { table: 'public.users', column: { name: 'nick', type: 'varchar(20)' } } });
      await refused(
        s,
        ['users'],
        target.name === 'postgres'
          ? /operations\[0\]\.addColumn\.table: table "public\.users" does not exist[^;]*; names are not qualified: write "users" \(on PostgreSQL, the schema of the tables is --schema\)/
          : /operations\[0\]\.addColumn\.table: table "public\.users" does not exist in database "[^"]+"; names are not qualified: "users" is the table in database "[^"]+"; for "public"'s, write "users" and give --schema public \(MySQL\/MariaDB: the database of the URL\)/,
      );
      if (target.name !== 'postgres') return;
      // Another schema's, with a table of its name here: "write users" alone would change this one (campaign ED).
      await s.db.query(`CREATE SCHEMA billing`);
      await s.db.query(`CREATE TABLE billing.users (id int PRIMARY KEY)`);
      await s.write('0001_q', { addColumn: { table: 'billing.users', column: { name: 'nick', type: 'varchar(20)' } } });
      await refused(s, ['users'], /addColumn\.table: table "billing\.users" does not exist in schema "public"; names are not qualified: "users" is the table in schema "public"; for "billing"'s, write "users" and give --schema billing/);
      await s.write('0001_q', { addColumn: { table: 'ledger.users', column: { name: 'nick', type: 'varchar(20)' } } });
      await refused(s, ['users'], /addColumn\.table: table "ledger\.users" does not exist in schema "public"; names are not qualified: "users" is the table in schema "public"; for "ledger"'s/);
    });

    it('a Prisma table or column named in another case: refused naming the one there, to write as it is (campaign BB)', async () => {
      const s = await setup(target, [`CREATE TABLE "User" (id int PRIMARY KEY, "fullName" varchar(20))`.replace(/"/g, target.name === 'postgres' ? '"' : '`')], 'xc_brought');
      // A server folding table names to lower case (lower_case_table_names=1) keeps none in another case: nothing to say there.
      const kept = (await s.db.query<{ n: string }>(target.name === 'postgres' ? `SELECT 'User' AS n` : `SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`)).map((r) => r.n);
      if (kept.includes('User')) {
        await s.write('0001_m', { renameColumn: { table: 'user', from: 'fullName', to: 'name' } });
        await refused(s, ['User'], /operations\[0\]\.renameColumn\.table: table "user" does not exist[^;]*; table "User" does, differing in case only: name it as it is written there/);
      }
      await s.write('0001_m', { renameColumn: { table: kept[0]!, from: 'fullname', to: 'name' } });
      await refused(s, [kept[0]!], /operations\[0\]\.renameColumn\.from: table "User" has no column "fullname"; it has "fullName", differing in case only: name it as it is written there/i);
    });

    it('a rename written as a drop and an add (Atlas, Prisma): plan notes the dropped column\'s values are lost, pointing to renameColumn; an add filled by `up`, or on another table, has no note', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `CREATE TABLE other (id int PRIMARY KEY)`], 'xc_brought');
      const notes = async () => ((await s.xc.plan()) as { migrations: { notes?: string[] }[] }).migrations[0]!.notes ?? [];
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'name' } }, { addColumn: { table: 'users', column: { name: 'full_name', type: 'varchar(20)' } } });
      expect(await notes()).toEqual([
        'operations[0].dropColumn and operations[1].addColumn: "users"."name" is dropped and "full_name" added empty — its values are lost at contract; if this is a rename, write `renameColumn` (or `alterColumn` with `to` for a new type), which carries them',
      ]);
      // Alembic's batch_alter_table (campaign EF): an added column with a default is not "empty".
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'name' } }, { addColumn: { table: 'users', column: { name: 'currency', type: 'varchar(3)', nullable: false, default: "'USD'" } } });
      expect(await notes()).toEqual([
        `operations[0].dropColumn and operations[1].addColumn: "users"."name" is dropped and "currency" added holding its default, 'USD', in every row — its values are lost at contract; if this is a rename, write \`renameColumn\` (or \`alterColumn\` with \`to\` for a new type), which carries them`,
      ]);
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'name' } }, { addColumn: { table: 'users', column: { name: 'full_name', type: 'varchar(20)' }, up: "'none'" } }, { addColumn: { table: 'other', column: { name: 'x', type: 'int' } } });
      expect(await notes()).toEqual([]);
    });

    it('a column renamed away by a migration in flight, named by its old name: told which migration renames it, not only "has no column"', async () => {
      const s = await setup(target, [`CREATE TABLE contacts (id int PRIMARY KEY, email varchar(40))`], 'xc_brought');
      await s.write('0001_rename', { renameColumn: { table: 'contacts', from: 'email', to: 'email_address' } });
      await s.xc.apply();
      await s.write('0002_drop', { dropColumn: { table: 'contacts', column: 'email' } });
      await refused(s, ['contacts'], /0002_drop\.json: operations\[0\]\.dropColumn\.column: table "contacts" has no column "email": 0001_rename \(operations\[0\]\.renameColumn\) renames or drops it \(it stays in the database until that contract\) — name the column as that migration leaves it/);
    });

    it('a rename and NOT NULL on the new name in one migration (Drizzle-kit): refused naming the one alterColumn that does both, which then runs', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(40), email varchar(40) NOT NULL)`, `INSERT INTO users VALUES (1, 'ann', 'a@x'), (2, NULL, 'b@x')`], 'xc_brought');
      await s.write('0001_m', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } }, { setNotNull: { table: 'users', column: 'full_name', up: 'COALESCE(full_name, email)' } });
      await refused(s, ['users'], /operations\[1\]\.setNotNull: [^]*; or write both as one `alterColumn` of the old column with `to`, `nullable: false` and `up`\/`down`/);
      await s.write('0001_m', { alterColumn: { table: 'users', column: 'name', to: 'full_name', nullable: false, up: 'COALESCE(name, email)', down: 'full_name' } });
      await toContracted(s, '0001_m');
      expect((await s.db.query<{ id: number; full_name: string }>(`SELECT id, full_name FROM users ORDER BY id`)).map((r) => [Number(r.id), r.full_name])).toEqual([[1, 'ann'], [2, 'b@x']]);
      expect((await s.db.columns('users')).find((c) => c.name === 'full_name')).toMatchObject({ nullable: false });
    });

    it('a check dropped and added again under its name in one migration (MikroORM, Drizzle-kit): refused naming the way that keeps a check in place throughout', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(60), CONSTRAINT users_name_check CHECK (char_length(name) < 40))`], 'xc_brought');
      await s.write('0001_m', { dropConstraint: { table: 'users', name: 'users_name_check' } }, { addCheck: { table: 'users', name: 'users_name_check', expression: 'char_length(name) < 50' } });
      await refused(s, ['users'], /operations\[1\]\.addCheck: [^]*; to change a check or key in one migration, add the new one under another name here beside the drop, and give it the old name with `renameConstraint` in a later migration/);
    });

    it('what cannot be made to read a renamed column in place (a materialized view, a procedure): refused, saying it can name the new column only from expand on, and what to do (a view is let through: removed-in-use.test.ts)', async () => {
      const pg = target.name === 'postgres';
      const dependent = pg ? `CREATE MATERIALIZED VIEW active_members AS SELECT id, name FROM members WHERE active = 1` : `CREATE PROCEDURE active_members() SELECT id, name FROM members WHERE active = 1`;
      const s = await setup(target, [`CREATE TABLE members (id int PRIMARY KEY, name varchar(40), active int)`, dependent], 'xc_brought');
      await s.write('0001_m', { renameColumn: { table: 'members', from: 'name', to: 'full_name' } });
      await refused(s, ['members'], new RegExp(`${pg ? 'materialized view' : 'procedure'} "active_members"[^]*depends on "members"\\."name"[^]*; what is to read "full_name" instead can name it once this migration made and filled it: drop it in an earlier migration and make it again over "full_name" in a later one — \`xc apply\` backfills each migration before it expands the next`));
    });

    it('a TIMESTAMP changed to DATETIME without `up` (gh-ost users): plan notes on MySQL/MariaDB that writers in other time zones convert otherwise, and the CONVERT_TZ that does not (campaign P)', async () => {
      const pg = target.name === 'postgres';
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, at ${pg ? 'timestamptz' : 'timestamp'} NULL)`], 'xc_brought');
      await s.write('0001_m', { alterColumn: { table: 't', column: 'at', type: pg ? 'timestamp' : 'datetime(3)' } });
      const notes = ((await s.xc.plan()) as { migrations: { notes?: string[] }[] }).migrations[0]!.notes ?? [];
      if (pg) expect(notes.join('\n')).not.toMatch(/CONVERT_TZ/); // the trigger converts under xc's TimeZone, as the backfill does
      else expect(notes).toContainEqual(expect.stringMatching(/converts in the time_zone of the session that writes[^]*CONVERT_TZ\(col, @@session\.time_zone, '\+00:00'\)/));
    });

    it("alterColumn with `to` whose `down` reads the old column (or `up` the new one): refused at plan — it lost every value at contract on PostgreSQL (campaign O)", async () => {
      const s = await setup(target, [`CREATE TABLE t (id bigint PRIMARY KEY, priority bigint)`, `INSERT INTO t VALUES (1, 10), (2, 20), (3, NULL)`], 'xc_brought');
      const cast = target.name === 'postgres' ? 'CAST(priority AS integer)' : 'CAST(priority AS SIGNED)';
      await s.write('0001_m', { alterColumn: { table: 't', column: 'priority', to: 'prio', type: 'int', up: cast, down: 'priority' } });
      await refused(s, ['t'], /operations\[0\]\.alterColumn\.down: `down` reads "priority", the old column, and not "prio"[^]*write it over "prio"/);
      await s.write('0001_m', { alterColumn: { table: 't', column: 'priority', to: 'prio', type: 'int', up: 'prio', down: 'prio' } });
      await refused(s, ['t'], /operations\[0\]\.alterColumn\.up: `up` reads "prio", the new column, and not "priority"/);
      await s.write('0001_m', { alterColumn: { table: 't', column: 'priority', to: 'prio', type: 'int', up: cast, down: 'prio' } });
      await toContracted(s, '0001_m');
      expect((await s.db.query<{ id: number; prio: number | null }>(`SELECT id, prio FROM t ORDER BY id`)).map((r) => [Number(r.id), r.prio === null ? null : Number(r.prio)])).toEqual([[1, 10], [2, 20], [3, null]]);
    });

    it('a catch-up whose migration needs an earlier pending one contracted first: the refusal names the `xc apply` that stops before it, and that path runs (campaign O)', async () => {
      const s = await setup(target, [`CREATE TABLE contacts (id int PRIMARY KEY, email varchar(40))`, `INSERT INTO contacts VALUES (1, 'a@x')`], 'xc_brought');
      await s.write('0001_nick', { addColumn: { table: 'contacts', column: { name: 'nick', type: 'varchar(20)' } } });
      await s.write('0002_rename', { renameColumn: { table: 'contacts', from: 'email', to: 'email_address' } });
      await s.write('0003_reuse', { addColumn: { table: 'contacts', column: { name: 'email', type: 'varchar(40)' } } });
      await refused(s, ['contacts'], /0003_reuse\.json: [^]*contract that migration first[^]*\n  0002_rename is pending in this plan: `xc apply 0002_rename` applies the migrations before 0003_reuse; once 0002_rename is contracted \(`xc contract 0002_rename`, when no deployed version needs its old shape\), `xc apply` takes the rest$/);
      expect(((await rejection(s.xc.plan())) as unknown as { details: object }).details).toMatchObject({ applyUpTo: '0002_rename', contractFirst: '0002_rename' }); // for a pipeline reading --json
      await s.xc.apply({ id: '0002_rename' });
      await record(s.xc, '0002_rename');
      await s.xc.contract();
      await s.xc.apply();
      expect((await s.db.columns('contacts')).map((c) => c.name).sort()).toEqual(['email', 'email_address', 'id', 'nick']);
      expect((await s.db.query<{ email_address: string }>(`SELECT email_address FROM contacts`)).map((r) => r.email_address)).toEqual(['a@x']);
    });

    it('the earlier one rolled back: the refusal says so, as the trigger it names is not in the database now (campaign P)', async () => {
      const s = await setup(target, [`CREATE TABLE contacts (id int PRIMARY KEY, email varchar(40))`], 'xc_brought');
      await s.write('0001_rename', { renameColumn: { table: 'contacts', from: 'email', to: 'email_address' } });
      await s.xc.apply();
      await s.xc.rollback();
      await s.write('0002_reuse', { addColumn: { table: 'contacts', column: { name: 'email', type: 'varchar(40)' } } });
      await refused(s, ['contacts'], /\n  0001_rename is pending in this plan \(it was rolled back, and is applied again\): `xc apply 0001_rename` applies the migrations before 0002_reuse;/);
    });

    it('a migration held by one in flight (applied, not contracted): no word of a pending one', async () => {
      const s = await setup(target, [`CREATE TABLE contacts (id int PRIMARY KEY, email varchar(40))`], 'xc_brought');
      await s.write('0001_rename', { renameColumn: { table: 'contacts', from: 'email', to: 'email_address' } });
      await s.xc.apply();
      await s.write('0002_reuse', { addColumn: { table: 'contacts', column: { name: 'email', type: 'varchar(40)' } } });
      const message = await s.xc.plan().then(() => '', (e: Error) => e.message);
      expect(message).toMatch(/contract that migration first/);
      expect(message).not.toMatch(/pending in this plan/);
    });

    it('a data migration deduplicating by a correlated subquery over its own table (`users.handle`): plan compiles it as the UPDATE runs it, and it runs (campaign W: refused at plan on PostgreSQL; campaign X: on MariaDB)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, handle varchar(20))`, `INSERT INTO users VALUES (1, 'ann'), (2, 'ann'), (3, 'bob'), (4, 'ann')`], 'xc_brought');
      const where = 'EXISTS (SELECT 1 FROM users u2 WHERE u2.handle = users.handle AND u2.id < users.id)';
      await s.write('0001_m', { sql: { backfill: { table: 'users', set: { handle: "concat(handle, '_', id)" }, where } } });
      await toContracted(s, '0001_m');
      expect((await s.db.query<{ handle: string }>(`SELECT handle FROM users ORDER BY id`)).map((r) => r.handle)).toEqual(['ann', 'ann_2', 'bob', 'ann_4']);
      // What the UPDATE cannot read is refused, as before.
      await s.write('0002_m', { sql: { backfill: { table: 'users', set: { handle: "_xc_row.handle || '!'" } } } });
      await refused(s, ['users'], /operations\[0\]\.sql\.backfill\.set\.handle: [^]*_xc_row/);
    });

    it('a Rails counter cache reset as a data migration, its subquery naming the row by the table (`p.user_id = users.id`): taken at plan, every count right (campaign X: refused at plan on MariaDB)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY, posts_count int NOT NULL DEFAULT 0)`,
        `CREATE TABLE posts (id int PRIMARY KEY, user_id int NOT NULL)`,
        `INSERT INTO users (id) VALUES (1), (2), (3), (4)`,
        `INSERT INTO posts VALUES (1, 1), (2, 1), (3, 2), (4, 3), (5, 3), (6, 3)`,
      ], 'xc_brought');
      await s.write('0001_m', { sql: { backfill: { table: 'users', set: { posts_count: '(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id)' } } } });
      await toContracted(s, '0001_m');
      expect((await s.db.query<{ n: number }>(`SELECT posts_count AS n FROM users ORDER BY id`)).map((r) => Number(r.n))).toEqual([2, 1, 3, 0]);
    });

    it('a counter cache as an `up` (`p.user_id = users.id`): the row is named by its table in the trigger as in the backfill, every count right under writers of both versions; the bare `id` (the posts\' own) is refused at plan (it counted the posts whose user_id is their own id, exit 0)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`,
        `CREATE TABLE posts (id int PRIMARY KEY, user_id int NOT NULL)`,
        `INSERT INTO users (id) VALUES (1), (2), (3), (4)`,
        `INSERT INTO posts VALUES (1, 1), (2, 1), (3, 2), (4, 3), (5, 3), (6, 3)`,
      ], 'xc_brought');
      const column = { name: 'posts_count', type: 'int', nullable: true };
      await s.write('0001_m', { addColumn: { table: 'users', column, up: '(SELECT COUNT(*) FROM posts p WHERE p.user_id = id)' } });
      await refused(s, ['users', 'posts'], /operations\[0\]\.addColumn\.up: in a subquery, "id" is a column of both this row's table "users" and a table the subquery reads: [^]*name it by its table: [`"]users[`"]\.[`"]id[`"] for the row's/);
      await s.write('0001_m', { addColumn: { table: 'users', column, up: '(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id)' } });
      // Each user's posts are made before it: the trigger counts them as the backfill would.
      for (let i = 0; i < 7; i++) await s.db.query(`INSERT INTO posts VALUES (?, ?)`, [1000 + i, 100 + i]);
      const old = new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO users (id, name) VALUES (?, 'old')`, params: [i < 7 ? 100 + i : 1000 + i] }), 1).start();
      await s.xc.apply();
      const fresh = new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO users (id, name, posts_count) VALUES (?, 'new', NULL)`, params: [5000 + i] }), 1).start();
      await new Promise((r) => setTimeout(r, 300));
      await old.stop();
      await fresh.stop();
      expect([...old.errors, ...fresh.errors]).toEqual([]);
      const got = await s.db.query<{ id: number; n: number; expected: number }>(`SELECT id, posts_count AS n, (SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id) AS expected FROM users ORDER BY id`);
      expect(got.slice(0, 4).map((r) => Number(r.n))).toEqual([2, 1, 3, 0]);
      expect(got.filter((r) => Number(r.n) !== Number(r.expected))).toEqual([]);
      expect(got.filter((r) => Number(r.id) >= 100 && Number(r.id) < 107).map((r) => Number(r.n))).toEqual([1, 1, 1, 1, 1, 1, 1]);
      expect(got.length).toBe(4 + old.writes + fresh.writes);
      await toContracted(s, '0001_m');
      expect((await s.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE posts_count IS NULL`)).map((r) => Number(r.n))).toEqual([0]);
    });

    it('campaign AD: what a subquery reads unseen (a derived table), or a bare name behind EXTRACT(… FROM col), is refused (MariaDB: old writers\' rows and backfilled rows disagreed, exit 0); a table named like its column read again in a subquery: old writers\' writes keep working (MariaDB: every one failed)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY, deleted date)`, `CREATE TABLE posts (id int PRIMARY KEY, user_id int, deleted date)`,
        `CREATE TABLE status (id int PRIMARY KEY, status varchar(20))`,
        `INSERT INTO users VALUES (1, '2021-01-01'), (2, NULL)`, `INSERT INTO posts VALUES (1, 1, '2020-05-05'), (2, 1, NULL)`,
        `INSERT INTO status VALUES (1, 'a'), (2, 'b'), (3, 'a')`,
      ], 'xc_brought');
      const column = { name: 'n', type: 'int', nullable: true };
      await s.write('0001_m', { addColumn: { table: 'users', column, up: '(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id AND EXTRACT(YEAR FROM deleted) = 2020)' } });
      await refused(s, ['users'], /addColumn\.up: in a subquery, "deleted" is a column of both this row's table "users" and a table the subquery reads/);
      await s.write('0001_m', { addColumn: { table: 'users', column, up: '(SELECT COUNT(*) FROM (SELECT q.id, q.user_id FROM posts q) x WHERE x.user_id = id)' } });
      await refused(s, ['users'], /addColumn\.up: in a subquery reading a derived table or a table xc does not know the columns of, "id" of this row's table "users" is named bare/);
      await s.write('0001_m', { addColumn: { table: 'status', column, up: '(SELECT COUNT(*) FROM status s2 WHERE s2.status = status.status)' } });
      const old = new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO status (id, status) VALUES (?, ?)`, params: [100 + i, i % 2 === 0 ? 'a' : 'c'] }), 1).start();
      await s.xc.apply();
      await new Promise((r) => setTimeout(r, 200));
      await old.stop();
      expect(old.errors).toEqual([]);
      expect(old.writes).toBeGreaterThan(0);
      // Each row counted the rows of its status there were when it was written (the trigger) or backfilled: never 0, never another status's.
      const got = await s.db.query<{ id: number; n: number | null }>(`SELECT id, n FROM status ORDER BY id`);
      expect(got.filter((r) => r.n === null || Number(r.n) < 1)).toEqual([]);
    });

    it('a table created under the name a renameTable in flight frees: refused once for the table, not again for each column', async () => {
      const s = await setup(target, [`CREATE TABLE events (id int PRIMARY KEY, kind varchar(20), at int)`], 'xc_brought');
      await s.write('0001_rename', { renameTable: { from: 'events', to: 'audit_events' } });
      await s.xc.apply();
      await s.write('0002_new', { createTable: { table: 'events', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'kind', type: 'varchar(20)' }, { name: 'at', type: 'int' }] } });
      await refused(s, ['events'], /0002_new\.json: operations\[0\]\.createTable: table "events" still exists until 0001_rename/);
      const message = await s.xc.plan().then(() => '', (e: Error) => e.message);
      expect(message.match(/still exists until/g)).toHaveLength(1);
    });

    it('a whole history at once: an `up` and a `sql` backfill reading a table an earlier migration of the same apply creates compile against an empty stand-in, and fill from the real one (was refused: "does not exist")', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, cc varchar(2))`, `INSERT INTO users VALUES (1, 'fr'), (2, 'de'), (3, 'xx')`], 'xc_brought');
      await s.write('0001_countries',
        { createTable: { table: 'countries', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'code', type: 'varchar(2)' }, { name: 'name', type: 'varchar(20)' }] } },
        { sql: { expand: `INSERT INTO countries VALUES (10, 'fr', 'France'), (20, 'de', 'Germany')`, rollback: `DELETE FROM countries` } });
      await s.write('0002_country_id', { addColumn: { table: 'users', column: { name: 'country_id', type: 'int', nullable: true }, up: '(SELECT c.id FROM countries c WHERE c.code = cc)' } });
      await s.write('0003_country_name', { addColumn: { table: 'users', column: { name: 'country', type: 'varchar(20)', nullable: true } } }, { sql: { backfill: { table: 'users', set: { country: '(SELECT c.name FROM countries c WHERE c.code = users.cc)' } } } });
      // The old version writes through the whole apply; the trigger fills its rows from the real table.
      const old = new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO users (id, cc) VALUES (?, ?)`, params: [100 + i, i % 2 === 0 ? 'fr' : 'de'] }), 1).start();
      await s.xc.apply();
      await old.stop();
      expect(old.errors).toEqual([]);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled', 'backfilled']);
      const got = await s.db.query<{ id: number; cc: string; country_id: number | null; country: string | null }>(`SELECT id, cc, country_id, country FROM users ORDER BY id`);
      expect(got.slice(0, 3).map((r) => [r.id, r.country_id, r.country])).toEqual([[1, 10, 'France'], [2, 20, 'Germany'], [3, null, null]]);
      for (const r of got.slice(3)) expect(r.country_id).toBe(r.cc === 'fr' ? 10 : 20);
      expect(got.length).toBe(3 + old.writes);
      // No stand-in is left on any session: xc's next reads see the real table.
      expect((await s.db.query<{ n: number }>(`SELECT count(*) AS n FROM countries`)).map((r) => Number(r.n))).toEqual([2]);
    });

    it('a subquery reading bare a column an earlier pending rename takes from its table, which the row\'s own table has too: refused as the ambiguity it becomes (campaign EA: backfilled from the other table, then the trigger read the row\'s own after that contract, silently)', async () => {
      const s = await setup(target, [`CREATE TABLE cust (id int PRIMARY KEY, name varchar(20))`, `CREATE TABLE orders (id int PRIMARY KEY, cid int, name varchar(20))`, `INSERT INTO cust VALUES (1, 'ann')`, `INSERT INTO orders VALUES (1, 1, 'o1')`], 'xc_brought');
      await s.write('0010_ren', { renameColumn: { table: 'cust', from: 'name', to: 'full_name' } });
      await s.write('0011_add', { addColumn: { table: 'orders', column: { name: 'cname', type: 'varchar(20)', nullable: true }, up: '(select name from cust where cust.id = orders.cid)' } });
      await refused(s, ['cust', 'orders'], /0011_add\.json: operations\[0\]\.addColumn\.up: in a subquery, "name" is a column of both this row's table "orders" and a table the subquery reads/);
      // Named by its table, the old name is refused as the rename takes it; the new one runs.
      await s.write('0011_add', { addColumn: { table: 'orders', column: { name: 'cname', type: 'varchar(20)', nullable: true }, up: '(select cust.name from cust where cust.id = orders.cid)' } });
      await refused(s, ['cust', 'orders'], /0010_ren[^\n]* renames or drops "name" at its contract/);
      await s.write('0011_add', { addColumn: { table: 'orders', column: { name: 'cname', type: 'varchar(20)', nullable: true }, up: '(select cust.full_name from cust where cust.id = orders.cid)' } });
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, cname FROM orders`)).toEqual([{ id: 1, cname: 'ann' }]);
    });

    it('killed inside a data cleanup before a unique key, then `xc apply` again: the cleanup is resumed and the key planned after it (campaign DY: the re-run refused the key — "remove the duplicates first" — naming no cleanup)', { timeout: 120_000 }, async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, email varchar(40) NOT NULL)`], 'xc_brought');
      await s.db.seed('users', ['id', 'email'], Array.from({ length: 400 }, (_, i) => [i + 1, `u${(i + 1) % 300}@x`]));
      const dedupe = target.name === 'mysql'
        ? `UPDATE users u JOIN users o ON o.email = u.email AND o.id < u.id SET u.email = CONCAT('dup', u.id, '+', u.email)`
        : `UPDATE users u SET email = 'dup' || u.id || '+' || u.email WHERE EXISTS (SELECT 1 FROM users o WHERE o.email = u.email AND o.id < u.id)`;
      await s.write('0006_dedupe', { sql: { expand: dedupe } });
      await s.write('0007_unique', { createConstraint: { table: 'users', name: 'users_email_key', type: 'unique', columns: ['email'] } });
      // A session holding a row the cleanup changes: it waits there, and the kill lands while it does.
      const holder = await s.db.connection();
      await holder.query(target.name === 'mysql' ? 'START TRANSACTION' : 'BEGIN');
      await holder.query('SELECT id FROM users WHERE id = 350 FOR UPDATE');
      const args = ['apply', '--url', s.db.url, '--dir', s.dir];
      const killed = await runXcKillingAt(args, (e) => e.event === 'step' && e.migration === '0006_dedupe');
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      await holder.query('ROLLBACK');
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0006_dedupe', 'expanding'], ['0007_unique', 'pending']]);
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(plan.migrations.find((m) => m.id === '0007_unique')!.notes?.join('\n')).toMatch(/but 0006_dedupe \(operations\[0\]\), applied first, changes rows of "users"/);
      const again = await runXc(args);
      expect(again.code, again.stderr).toBe(0);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled']);
      expect(await s.db.count(`SELECT count(*) FROM users`)).toBe(400);
      expect(await s.db.count(`SELECT count(*) FROM users WHERE email LIKE 'dup%'`)).toBe(100);
      expect(await s.db.count(`SELECT count(DISTINCT email) FROM users`)).toBe(400);
    });

    it.runIf(target.name === 'postgres')('killed inside the raw SQL that makes a type, then `xc apply` again: the cut-short migration is resumed and the one using the type planned after it (campaign DO: the re-run refused both)', { timeout: 120_000 }, async () => {
      const s = await setup(target, [], 'xc_brought');
      await s.write('0001_types', { sql: { expand: `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN'); SELECT pg_sleep(3)`, rollback: `DROP TYPE "Role"` } });
      await s.write('0002_users', { createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'role', type: '"Role"', nullable: false, default: "'USER'" }] } });
      const args = ['apply', '--url', s.db.url, '--dir', s.dir];
      const killed = await runXcKillingAt(args, (e) => e.event === 'step' && e.migration === '0001_types');
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_types', 'expanding'], ['0002_users', 'pending']]);
      const again = await runXc(args);
      expect(again.code, again.stderr).toBe(0);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled']);
      await s.db.query(`INSERT INTO users (id) VALUES (1)`);
      expect(await s.db.query(`SELECT id, role::text AS role FROM users`)).toEqual([{ id: '1', role: 'USER' }]);
    });

    it('a `sql` backfill reading a column an earlier migration drops at its contract: refused, saying which drops it and that it is there until then (campaign DN: only "does not exist", for a column the table shows)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL, b bigint)`, `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`], 'xc_brought');
      await s.write('0001_drop_a', { dropColumn: { table: 't', column: 'a', down: { postgres: 'CAST(b AS integer)', mysql: 'CAST(b AS SIGNED)' } } });
      await s.write('0002_c', { addColumn: { table: 't', column: { name: 'c', type: 'bigint' } } }, { sql: { backfill: { table: 't', set: { c: 'a * 8' }, where: 'c IS NULL' } } });
      const said = /0002_c\.json: operations\[1\]\.sql\.backfill\.set\.c: [^\n]*a[^\n]* — 0001_drop_a[^\n]* renames or drops "a" at its contract \(it is in the database until then\)/;
      await refused(s, ['t'], said);
      await s.xc.apply({ id: '0001_drop_a' });
      await refused(s, ['t'], said);
      // As that migration leaves it: `down`'s source.
      await s.write('0002_c', { addColumn: { table: 't', column: { name: 'c', type: 'bigint' } } }, { sql: { backfill: { table: 't', set: { c: 'b * 8' }, where: 'c IS NULL' } } });
      await s.xc.apply();
      expect((await s.db.query<{ id: unknown; c: unknown }>(`SELECT id, c FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.c)])).toEqual([[1, 8], [2, 16]]);
    });

    it('a counter cache reset counting by the new name of a key an earlier pending renameColumn gives: compiled over the planned table, planned and run in one `xc apply` (campaign DV: the whole folder refused, "Unknown column")', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, posts_count int NOT NULL DEFAULT 0)`, `CREATE TABLE posts (id int PRIMARY KEY, user_id int)`, `INSERT INTO users (id) VALUES (1), (2), (3)`, `INSERT INTO posts VALUES (1, 1), (2, 1), (3, 2)`], 'xc_brought');
      await s.write('0001_author', { renameColumn: { table: 'posts', from: 'user_id', to: 'author_id' } });
      await s.write('0002_counts', { sql: { backfill: { table: 'users', set: { posts_count: '(SELECT COUNT(*) FROM posts p WHERE p.author_id = users.id)' } } } });
      await s.xc.plan();
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, posts_count FROM users ORDER BY id`)).toEqual([{ id: 1, posts_count: 2 }, { id: 2, posts_count: 1 }, { id: 3, posts_count: 0 }]);
      // A column no migration makes is still refused, in the server's words.
      await s.write('0003_typo', { sql: { backfill: { table: 'users', set: { posts_count: '(SELECT COUNT(*) FROM posts p WHERE p.auther_id = users.id)' } } } });
      await refused(s, ['users'], /0003_typo\.json: operations\[0\]\.sql\.backfill\.set\.posts_count: .*auther_id/);
    });

    it('an `up` reading, through another table, the old name of a column an earlier pending renameColumn gives it: refused naming that migration, pending or in flight (campaign DZ: planned, and once the rename was contracted every insert failed in the fill trigger); the new name runs', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `CREATE TABLE orders (id int PRIMARY KEY, user_id int)`, `INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`, `INSERT INTO orders VALUES (1, 1), (2, 2), (3, 1)`], 'xc_brought');
      await s.write('0001_ren', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
      await s.write('0002_add', { addColumn: { table: 'orders', column: { name: 'uname', type: 'varchar(20)', nullable: true }, up: '(SELECT u.name FROM users u WHERE u.id = user_id)' } });
      const said = /0002_add\.json: operations\[0\]\.addColumn\.up: [^\n]*name[^\n]* — 0001_ren[^\n]* renames or drops "name" at its contract \(it is in the database until then\)/;
      await refused(s, ['users', 'orders'], said);
      await s.xc.apply({ id: '0001_ren' });
      await refused(s, ['users', 'orders'], said);
      await s.write('0002_add', { addColumn: { table: 'orders', column: { name: 'uname', type: 'varchar(20)', nullable: true }, up: '(SELECT u.full_name FROM users u WHERE u.id = user_id)' } });
      await s.xc.apply();
      // An old-version insert while both run: the fill trigger reads the new name, which the rename keeps in step.
      await s.db.query(`INSERT INTO orders (id, user_id) VALUES (4, 2)`);
      await toContracted(s, '0002_add');
      expect(await s.db.query(`SELECT id, uname FROM orders ORDER BY id`)).toEqual([{ id: 1, uname: 'ann' }, { id: 2, uname: 'bob' }, { id: 3, uname: 'ann' }, { id: 4, uname: 'bob' }]);
    });

    it('a column added by the raw SQL of a pending `sql` migration (a Laravel `virtualAs`), indexed by the next: planned once it is applied, one `xc apply` runs both; in one migration refused naming the way (campaign DY: "has no column", the folder refused)', async () => {
      const s = await setup(target, [`CREATE TABLE purchases (id int PRIMARY KEY, meta varchar(40))`, `INSERT INTO purchases VALUES (1, 'web'), (2, 'app')`], 'xc_brought');
      const add = target.name === 'mysql' ? `ALTER TABLE purchases ADD COLUMN channel varchar(10) AS (upper(meta)) VIRTUAL` : `ALTER TABLE purchases ADD COLUMN channel varchar(10) GENERATED ALWAYS AS (upper(meta)) STORED`;
      await s.write('0011_virtual', { sql: { expand: add, rollback: `ALTER TABLE purchases DROP COLUMN channel` } });
      await s.write('0012_index', { addIndex: { table: 'purchases', columns: ['channel'], name: 'purchases_channel_index' } });
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(plan.migrations.find((m) => m.id === '0012_index')!.notes).toEqual([expect.stringMatching(/^planned when 0011_virtual is applied, whose raw SQL makes what this one names .*has no column "channel"/)]);
      await s.xc.apply();
      expect((await s.db.indexes('purchases')).find((i) => i.name === 'purchases_channel_index')?.columns).toEqual(['channel']);
      expect(await s.db.query(`SELECT id, channel FROM purchases ORDER BY id`)).toEqual([{ id: 1, channel: 'WEB' }, { id: 2, channel: 'APP' }]);
      // Both in one migration: refused, saying to move the raw SQL to a migration of its own.
      await s.write('0013_both', { sql: { expand: add.replace(/channel/g, 'kind'), rollback: `ALTER TABLE purchases DROP COLUMN kind` } }, { addIndex: { table: 'purchases', columns: ['kind'], name: 'purchases_kind_index' } });
      await refused(s, ['purchases'], /"purchases"\."kind" is named by the raw SQL of this migration's operations\[0\] \(sql\)/);
    });

    it("Django's three steps — a nullable field added, a data migration filling the rows still NULL, NOT NULL — planned as apply meets them, all at once (campaign DX: refused, the fill's `where` naming the new column)", async () => {
      const s = await setup(target, [`CREATE TABLE blog_post (id int PRIMARY KEY, title varchar(20))`], 'xc_brought');
      await s.db.seed('blog_post', ['id', 'title'], Array.from({ length: 100 }, (_, i) => [i + 1, `t${i + 1}`]));
      const slug = target.name === 'mysql' ? `CONCAT('p-', id)` : `'p-' || id`;
      await s.write('0001_add', { addColumn: { table: 'blog_post', column: { name: 'slug', type: 'varchar(50)', nullable: true } } });
      await s.write('0002_fill', { sql: { backfill: { table: 'blog_post', set: { slug }, where: 'slug IS NULL' } } });
      await s.write('0003_notnull', { setNotNull: { table: 'blog_post', column: 'slug' } });
      await s.xc.plan();
      await toContracted(s, '0003_notnull');
      expect(await s.db.count(`SELECT count(*) FROM blog_post WHERE slug = ${slug}`)).toBe(100);
      expect((await s.db.columns('blog_post')).find((c) => c.name === 'slug')!.nullable).toBe(false);
      // A fill that leaves some rows NULL is still refused, naming them.
      await s.write('0004_add', { addColumn: { table: 'blog_post', column: { name: 'code', type: 'varchar(50)', nullable: true } } });
      await s.write('0005_fill', { sql: { backfill: { table: 'blog_post', set: { code: slug }, where: 'code IS NULL AND id > 1' } } });
      await s.write('0006_notnull', { setNotNull: { table: 'blog_post', column: 'code' } });
      await refused(s, ['blog_post'], /0006_notnull\.json: operations\[0\]\.setNotNull\.column: "blog_post"\."code" holds NULL in existing rows[^]*id="1"/);
    });

    it('an `up` reading a column the raw SQL of a pending `sql` migration adds: planned once it is applied, one `xc apply` runs both (campaign EA: refused, "column does not exist")', async () => {
      const s = await setup(target, [`CREATE TABLE art (id int PRIMARY KEY)`, `INSERT INTO art VALUES (1), (2)`], 'xc_brought');
      await s.write('0021_extra', { sql: { expand: `ALTER TABLE art ADD COLUMN extra int DEFAULT 5`, rollback: `ALTER TABLE art DROP COLUMN extra` } });
      await s.write('0022_extra2', { addColumn: { table: 'art', column: { name: 'extra2', type: 'int', nullable: true }, up: 'extra + 1' } });
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(plan.migrations.find((m) => m.id === '0022_extra2')!.notes).toEqual([expect.stringMatching(/^planned when 0021_extra is applied, whose raw SQL makes what this one names/)]);
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, extra2 FROM art ORDER BY id`)).toEqual([{ id: 1, extra2: 6 }, { id: 2, extra2: 6 }]);
      // A column no raw SQL adds is still refused, in the server's words.
      await s.write('0023_typo', { addColumn: { table: 'art', column: { name: 'extra3', type: 'int', nullable: true }, up: 'extar + 1' } });
      await refused(s, ['art'], /0023_typo\.json: operations\[0\]\.addColumn\.up: [^\n]*extar/);
    });

    it('campaign AQ: a Flyway history numbered without padding (`V10__…` sorts before `V2__…`): the refusal says the table is made by a migration that sorts after, and how to number them; renamed, it runs', async () => {
      const s = await setup(target, [], 'xc_brought');
      await s.write('V1__init', { createTable: { table: 'accounts', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'balance', type: 'int' }] } });
      await s.write('V10__balance_bigint', { alterColumn: { table: 'accounts', column: 'balance', type: 'bigint' } });
      await s.write('V2__renamed', { renameTable: { from: 'accounts', to: 'ledger' } });
      await refused(s, [], /V10__balance_bigint\.json: operations\[0\]\.alterColumn\.table: table "accounts" does not exist[^\n]*\n  "accounts" is made by V1__init, which sorts after V10__balance_bigint: migrations run in the text order of their ids, so `10` comes before `2` — give the numbers in the ids one width/);
      await rm(path.join(s.dir, 'V10__balance_bigint.json'));
      await s.write('V3__balance_bigint', { alterColumn: { table: 'ledger', column: 'balance', type: 'bigint' } });
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => m.id)).toEqual(['V1__init', 'V2__renamed', 'V3__balance_bigint']);
    });

    it('a table or type made by the raw SQL of a pending `sql` migration (a Prisma, Flyway or Ecto history): plan says the migrations using it are planned once it is applied, and one `xc apply` runs them all (campaign DK); in one migration it is refused, naming the way', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1), (2)`], 'xc_brought');
      await s.write('0001_profiles', { sql: { expand: `CREATE TABLE profiles (user_id int PRIMARY KEY, bio varchar(40))`, rollback: `DROP TABLE profiles` } }, { sql: { expand: `INSERT INTO profiles VALUES (1, 'hi')`, rollback: `DELETE FROM profiles` } });
      await s.write('0002_bio', { addColumn: { table: 'users', column: { name: 'bio', type: 'varchar(40)', nullable: true }, up: '(SELECT p.bio FROM profiles p WHERE p.user_id = users.id)' } });
      await s.write('0003_seen', { addColumn: { table: 'profiles', column: { name: 'seen', type: 'int', nullable: true } } });
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      for (const id of ['0002_bio', '0003_seen']) {
        expect(plan.migrations.find((m) => m.id === id)!.notes, id).toEqual([expect.stringMatching(/^planned when 0001_profiles is applied, whose raw SQL makes what this one names \(plan cannot see into it\): `xc apply` plans it then, and stops there if it is still refused — as now: .*profiles/)]);
      }
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled', 'backfilled']);
      expect((await s.db.query<{ id: number; bio: string | null }>(`SELECT id, bio FROM users ORDER BY id`)).map((r) => [Number(r.id), r.bio])).toEqual([[1, 'hi'], [2, null]]);
      expect((await s.db.columns('profiles')).map((c) => c.name)).toEqual(['user_id', 'bio', 'seen']);
      // A raw SQL that names what the next one uses without making it: refused at its turn, the migration before it applied.
      await s.write('0004_tags', { sql: { expand: `CREATE TABLE note_tags (id int PRIMARY KEY, notes varchar(10))`, rollback: `DROP TABLE note_tags` } });
      await s.write('0005_notes', { addColumn: { table: 'notes', column: { name: 'x', type: 'int' } } });
      const err = await rejection(s.xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/0005_notes\.json: operations\[0\]\.addColumn\.table: table "notes" does not exist/);
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_profiles', 'backfilled'], ['0002_bio', 'backfilled'], ['0003_seen', 'backfilled'], ['0004_tags', 'backfilled'], ['0005_notes', 'pending']]);
      await rm(path.join(s.dir, '0005_notes.json'));
      // In one migration: the way is a migration of its own.
      await s.write('0005_notes', { sql: { expand: `CREATE TABLE notes (id int PRIMARY KEY)`, rollback: `DROP TABLE notes` } }, { addIndex: { table: 'notes', name: 'notes_id', columns: ['id'] } });
      await refused(s, ['users'], /this migration's operations\[0\] \(sql\), which plan cannot see into[^]*move that operation to a migration of its own, apply it first/);
      await rm(path.join(s.dir, '0005_notes.json'));
      if (target.name !== 'postgres') return;
      // A Prisma enum, an Ecto citext column: a type the raw SQL makes, named as the server names it (quoted, mixed case).
      await s.write('0005_role', { sql: { expand: `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN')`, rollback: `DROP TYPE "Role"` } });
      await s.write('0006_members', { createTable: { table: 'members', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'role', type: '"Role"', nullable: false, default: "'USER'" }] } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO members (id) VALUES (1)`);
      expect(await s.db.query(`SELECT id, role::text AS role FROM members`)).toEqual([{ id: 1, role: 'USER' }]);
      // An enum value the raw SQL adds (TypeORM, campaign DS: the whole folder was refused, "invalid input value for enum").
      await s.write('0007_guest', { sql: { expand: `ALTER TYPE "Role" ADD VALUE 'GUEST'`, rollback: `SELECT 1` } });
      await s.write('0008_guests', { sql: { backfill: { table: 'members', set: { role: `'GUEST'::"Role"` }, where: `role = 'USER'` } } });
      const planned = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(planned.migrations.find((m) => m.id === '0008_guests')!.notes).toEqual([expect.stringMatching(/^planned when 0007_guest is applied[^]*invalid input value for enum "?Role"?: "GUEST"/)]);
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, role::text AS role FROM members`)).toEqual([{ id: 1, role: 'GUEST' }]);
      // A maker adding another value is not waited for: refused at once (campaign DU: applied, then stopped at the next).
      await s.write('0009_owner', { sql: { expand: `ALTER TYPE "Role" ADD VALUE 'OWNER'`, rollback: `SELECT 1` } });
      await s.write('0010_staff', { sql: { backfill: { table: 'members', set: { role: `'STAFF'::"Role"` } } } });
      await refused(s, ['members'], /0010_staff\.json: [^]*invalid input value for enum "?Role"?: "STAFF"/);
    });
  });
}
