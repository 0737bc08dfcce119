/**
 * What depends on a table or column a contract removes, read again before the contract starts
 * (engine/oldNames.ts, requireRemovedUnused):
 *
 * - A view over a copy's old column (renameColumn, alterColumn with `to`) is let through plan with a note: from
 *   expand on it can read the new column under its old name, and the old version reads it unchanged (campaign M:
 *   plan refused it, and its only way — drop the view first — left the old version without it).
 * - Anything made over a removed column after apply: before, the contract failed at the drop on PostgreSQL (the
 *   migration left `contracting`) and on MariaDB dropped the column under the view, which failed from then on.
 *
 * Refused with exit 1 (`removed_in_use`), nothing changed, the way named; done that way, the contract runs.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { createXc } from '../../src/index.js';
import { dump, onCleanup, record, refused, rejection, setup, toContracted } from '../helpers/scenario.js';
import { Writer } from '../helpers/writers.js';
import pg from 'pg';

/** Two sessions of one role (the old and the new version of the application), straight to the server. */
async function createDbConnection(url: string): Promise<{ old: pg.Client; neu: pg.Client; end: () => Promise<void> }> {
  const [old, neu] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  await Promise.all([old.connect(), neu.connect()]);
  return { old, neu, end: async () => void (await Promise.all([old.end(), neu.end()])) };
}

const phases = async (s: Awaited<ReturnType<typeof setup>>) => (await s.xc.status()).migrations.map((m) => m.phase);
const rows = async (s: Awaited<ReturnType<typeof setup>>, sql: string) => (await s.db.query<Record<string, unknown>>(sql)).map((r) => Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : v)));

for (const target of targets) {
  target.describe(`what a contract removes, still in use (${target.name})`, () => {
    it('a view over a renamed column: plan notes the way, contract refuses until the view reads the new column, the old version reading it throughout', async () => {
      const s = await setup(target, [`CREATE TABLE members (id int PRIMARY KEY, name varchar(40), active int)`, `INSERT INTO members VALUES (1, 'ann', 1), (2, 'bob', 0)`, `CREATE VIEW active_members AS SELECT id, name FROM members WHERE active = 1`], 'xc_removed');
      await s.write('0001_m', { renameColumn: { table: 'members', from: 'name', to: 'full_name' } });
      const plan = (await s.xc.plan()) as { migrations: { notes?: string[] }[] };
      expect(plan.migrations[0]!.notes).toEqual([
        'operations[0].renameColumn: view "active_members" reads "members"."name", which this migration removes at contract: once it is applied, make it read "full_name" instead (CREATE OR REPLACE VIEW, each column keeping its name and type — `name` becomes `full_name AS name`, `name AS x` becomes `full_name AS x`, with a CAST where the type changed — so the old version reads it unchanged); contract refuses while it reads "name"',
      ]);
      await s.xc.apply();
      await record(s.xc, '0001_m');
      const before = await dump(s.db, ['members']);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, (err as { code?: string }).code]).toEqual([1, 'removed_in_use']);
      expect(err.message).toBe('contract refused: view "active_members" still depends on "members"."name", which 0001_m removes at this contract; the contract would fail there, or leave it broken. Nothing was changed. Make it read "full_name" instead (CREATE OR REPLACE VIEW, each column keeping its name and type — `name` becomes `full_name AS name`, `name AS x` becomes `full_name AS x`, with a CAST where the type changed — so the old version reads it unchanged), or drop it, then run `xc contract` again.');
      expect(await phases(s)).toEqual(['backfilled']);
      expect(await dump(s.db, ['members'])).toEqual(before);
      // The way: the view reads the new column under its old name; an old-version write is seen through it.
      await s.db.query(`CREATE OR REPLACE VIEW active_members AS SELECT id, full_name AS name FROM members WHERE active = 1`);
      await s.db.query(`INSERT INTO members (id, name, active) VALUES (3, 'cy', 1)`);
      expect(await rows(s, `SELECT id, name FROM active_members ORDER BY id`)).toEqual([[1, 'ann'], [3, 'cy']]);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
      await s.db.query(`INSERT INTO members (id, full_name, active) VALUES (4, 'di', 1)`);
      expect(await rows(s, `SELECT id, name FROM active_members ORDER BY id`)).toEqual([[1, 'ann'], [3, 'cy'], [4, 'di']]);
    });

    it.runIf(target.name === 'postgres')('row-level security policies over a renamed column: noted, not refused; moved to the new column once it is backfilled, the application\'s role seeing its rows and writing through them throughout (campaigns CL, CP: refused, the only way left every row denied; moved at the same expand, they hid every row not yet backfilled)', async () => {
      const role = `xc_rls_${process.pid}_${Date.now() % 100000}`;
      const s = await setup(target, [
        `CREATE TABLE tickets (id int PRIMARY KEY, owner text NOT NULL)`,
        `INSERT INTO tickets VALUES (1, 'ann'), (2, 'bob')`,
        `INSERT INTO tickets SELECT g, '${role}' FROM generate_series(3, 2002) g`,
        `ALTER TABLE tickets ENABLE ROW LEVEL SECURITY`,
        `CREATE POLICY own_sel ON tickets FOR SELECT USING (owner = current_user)`,
        `CREATE POLICY own_ins ON tickets FOR INSERT WITH CHECK (owner = current_user)`,
      ], 'xc_removed');
      await s.db.query(`CREATE ROLE ${role} LOGIN`);
      onCleanup(async () => void (await s.db.query(`DROP OWNED BY ${role}`).then(() => s.db.query(`DROP ROLE ${role}`))));
      await s.db.query(`GRANT SELECT, INSERT ON tickets TO ${role}`);
      await s.db.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
      const rename = { renameColumn: { table: 'tickets', from: 'owner', to: 'owner_name' } };
      const move = (column: string) => `ALTER POLICY own_sel ON tickets USING (${column} = current_user); ALTER POLICY own_ins ON tickets WITH CHECK (${column} = current_user)`;
      // Moved at the same expand: said to be too early.
      await s.write('0001_m', rename, { sql: { expand: move('owner_name'), rollback: move('owner') } });
      const early = (await s.xc.plan()) as { migrations: { notes?: string[] }[] };
      expect(early.migrations[0]!.notes).toContain('operations[1].sql: its expand names "owner_name", which operations[0] adds and its backfill fills only after every expand step: a view or policy made here to read it sees NULL in each row not yet backfilled — make it read "owner_name" in a later migration, applied once this one is backfilled');
      await s.write('0001_m', rename);
      const plan = (await s.xc.plan()) as { migrations: { notes?: string[] }[] };
      expect(plan.migrations[0]!.notes).toEqual([
        'operations[0].renameColumn: policy "own_ins", policy "own_sel" read "tickets"."owner", which this migration removes at contract: make them read "owner_name" instead (ALTER POLICY … USING / WITH CHECK over "owner_name", once this migration is backfilled (by hand, or in a `sql` operation of a later migration with a `rollback` putting them back — not in this one\'s expand, which runs before the backfill fills "owner_name"): xc\'s trigger fills it before a policy checks a row, so the old version\'s writes pass); contract refuses while they read "owner"',
      ]);
      // The application's role, under the policies: the old version writes `owner` and counts its rows; the new one writes `owner_name`.
      const app = await createDbConnection(s.db.url.replace('//postgres@', `//${role}@`));
      onCleanup(() => app.end());
      const unseen: number[] = [];
      // Its every count must see the 2,000 rows it had before the migration (a policy over an unfilled column hid them).
      const counting = { query: async (sql: string, params?: unknown[]) => {
        const r = (await app.old.query(sql, params)) as { rows: { n?: number }[] };
        if (r.rows[0]?.n !== undefined && r.rows[0].n < 2000) unseen.push(r.rows[0].n);
        return r;
      } };
      const old = new Writer(counting, (i) => (i % 2 === 0
        ? { sql: `INSERT INTO tickets (id, owner) VALUES ($1, current_user)`, params: [100_000 + i] }
        : { sql: `SELECT count(*)::int AS n FROM tickets` }), 1).start();
      await s.xc.apply({ id: '0001_m' });
      await s.write('0002_policies', { sql: { expand: move('owner_name'), rollback: move('owner') } });
      await s.xc.apply();
      await new Promise((r) => setTimeout(r, 200));
      await old.stop();
      const neu = new Writer(app.neu, (i) => ({ sql: `INSERT INTO tickets (id, owner_name) VALUES ($1, current_user)`, params: [200_000 + i] })).start();
      await record(s.xc, '0002_policies');
      await s.xc.contract();
      await neu.stop();
      expect([old.errors, neu.errors, unseen]).toEqual([[], [], []]);
      expect(old.writes).toBeGreaterThan(0);
      expect(await phases(s)).toEqual(['contracted', 'contracted']);
      const seen = (await app.old.query(`SELECT count(*)::int AS n FROM tickets`)) as { rows: { n: number }[] };
      expect(seen.rows[0]!.n).toBeGreaterThanOrEqual(2000 + neu.writes); // its own rows, not ann's or bob's
      expect(await s.db.count(`SELECT count(*) FROM tickets WHERE owner_name = '${role}'`)).toBe(seen.rows[0]!.n);
      expect(await s.db.count(`SELECT count(*) FROM pg_policies WHERE tablename = 'tickets' AND (qual LIKE '%owner_name%' OR with_check LIKE '%owner_name%')`)).toBe(2);
    });

    // Campaign DW: a tenant policy over a column changed in place was refused with "change or drop it first", where
    // dropping it hides every row; the copy the message now names goes through.
    it.runIf(target.name === 'postgres')('a policy over a column changed in place: refused, naming the copy (`to`) as the way, which runs', async () => {
      const s = await setup(target, [`CREATE TABLE tickets (id int PRIMARY KEY, tenant int NOT NULL)`, `INSERT INTO tickets VALUES (1, 7)`, `ALTER TABLE tickets ENABLE ROW LEVEL SECURITY`, `CREATE POLICY tenant_iso ON tickets USING (tenant = 7)`], 'xc_removed');
      await s.write('0001_m', { alterColumn: { table: 'tickets', column: 'tenant', type: 'bigint' } });
      await refused(s, ['tickets'], /policy "tenant_iso" depends on "tickets"\."tenant"[^]*a row policy cannot go even for a while \(without it no row is visible\): change the column into a new one instead \(`alterColumn` with `to`\)/);
      await s.write('0001_m', { alterColumn: { table: 'tickets', column: 'tenant', to: 'tenant_ref', type: 'bigint', up: 'tenant', down: 'CAST(tenant_ref AS int)' } });
      await s.xc.apply();
      await s.db.query(`ALTER POLICY tenant_iso ON tickets USING (tenant_ref = 7)`);
      await record(s.xc, '0001_m');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, tenant_ref FROM tickets`)).toEqual([{ id: 1, tenant_ref: '7' }]);
    });

    it.runIf(target.name === 'postgres')('a policy left over the renamed column: contract refused naming ALTER POLICY, nothing changed', async () => {
      const s = await setup(target, [`CREATE TABLE tickets (id int PRIMARY KEY, owner text)`, `ALTER TABLE tickets ENABLE ROW LEVEL SECURITY`, `CREATE POLICY own_sel ON tickets FOR SELECT USING (owner = current_user)`], 'xc_removed');
      await s.write('0001_m', { renameColumn: { table: 'tickets', from: 'owner', to: 'owner_name' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, expect.stringMatching(/^contract refused: policy "own_sel" still depends on "tickets"\."owner"[^]*Make it read "owner_name" instead \(ALTER POLICY … USING \/ WITH CHECK over "owner_name", once this migration is backfilled [^]*\), then run `xc contract` again\.$/)]);
      expect(await phases(s)).toEqual(['backfilled']);
      await s.db.query(`ALTER POLICY own_sel ON tickets USING (owner_name = current_user)`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });

    it('a view a `sql` expand of the plan replaces, over a column a later migration drops: noted, not refused — applied in one run, the contract holding while it still reads it (campaign CK: every `check --apply` stopped until the first was applied by hand)', async () => {
      const s = await setup(target, [
        `CREATE TABLE posts (id int PRIMARY KEY, title varchar(20), legacy varchar(20))`,
        `INSERT INTO posts VALUES (1, 'a', 'x'), (2, 'b', 'y')`,
        `CREATE VIEW post_view AS SELECT id, legacy FROM posts`,
      ], 'xc_removed');
      const replace = (column: string) => `CREATE OR REPLACE VIEW post_view AS SELECT id, ${column} AS legacy FROM posts`;
      await s.write('0001_view', { sql: { expand: replace('title'), rollback: replace('legacy') } });
      await s.write('0002_drop', { dropColumn: { table: 'posts', column: 'legacy' } });
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(plan.migrations.find((m) => m.id === '0002_drop')!.notes).toEqual([
        'operations[0].dropColumn: view "post_view" depends on "posts"."legacy", which this migration removes at contract; the `sql` expand of 0001_view (operations[0]) names it and runs first: contract refuses while it still depends on it',
      ]);
      await toContracted(s, '0002_drop');
      expect((await s.db.columns('posts')).map((c) => c.name)).toEqual(['id', 'title']);
      expect(await rows(s, `SELECT id, legacy FROM post_view ORDER BY id`)).toEqual([[1, 'a'], [2, 'b']]);
    });

    it('a `sql` expand that names the view but leaves it over the column: refused by plan in the same migration, or in a comment, a literal or a query; made again by a CREATE of an earlier one, noted — and refused by `apply` once that one ran (campaign CQ: noted, the contract then refused for good)', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, legacy varchar(20))`, `INSERT INTO posts VALUES (1, 'x')`, `CREATE VIEW post_view AS SELECT id, legacy FROM posts`], 'xc_removed');
      const drop = { dropColumn: { table: 'posts', column: 'legacy' } };
      const dependsOn = /view "post_view" depends on "posts"\."legacy", which this migration removes at contract: the contract would fail there/;
      await s.write('0002_drop', drop, { sql: { expand: 'CREATE TABLE seen AS SELECT id FROM post_view', rollback: 'DROP TABLE seen' } });
      await refused(s, ['posts'], dependsOn);
      await s.write('0002_drop', drop);
      for (const expand of ["INSERT INTO posts (id, legacy) SELECT 2, 'post_view'", 'SELECT 1 /* post_view */', 'SELECT id FROM post_view']) {
        await s.write('0001_other', { sql: { expand, rollback: 'SELECT 1' } });
        await refused(s, ['posts'], dependsOn);
      }
      await s.write('0001_other', { sql: { expand: 'CREATE TABLE seen AS SELECT id FROM post_view', rollback: 'DROP TABLE seen' } });
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(plan.migrations.find((m) => m.id === '0002_drop')!.notes).toEqual([expect.stringMatching(/the `sql` expand of 0001_other \(operations\[0\]\) names it and runs first: contract refuses while it still depends on it$/)]);
      const err = await rejection(s.xc.apply());
      expect([err.exitCode, err.message]).toEqual([2, expect.stringMatching(dependsOn)]);
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_other', 'backfilled'], ['0002_drop', 'pending']]);
      expect(await rows(s, `SELECT id, legacy FROM post_view`)).toEqual([[1, 'x']]);
    });

    it('a view over a type-changed column (alterColumn with `to`) reads the new one through a CAST', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, qty int)`, `INSERT INTO items VALUES (1, 5), (2, 7)`, `CREATE VIEW item_qty AS SELECT id, qty FROM items`], 'xc_removed');
      await s.write('0001_m', { alterColumn: { table: 'items', column: 'qty', to: 'quantity', type: 'bigint', up: 'qty', down: 'quantity' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      expect((await rejection(s.xc.contract())).message).toMatch(/^contract refused: view "item_qty" still depends on "items"\."qty"/);
      await s.db.query(`CREATE OR REPLACE VIEW item_qty AS SELECT id, CAST(quantity AS ${target.name === 'postgres' ? 'integer' : 'SIGNED'}) AS qty FROM items`);
      await s.xc.contract();
      expect((await rows(s, `SELECT id, qty FROM item_qty ORDER BY id`)).map((r) => r.map(Number))).toEqual([[1, 5], [2, 7]]); // MySQL's SIGNED reads as a string
    });

    it('a view made over a dropped column after apply: contract refused, nothing changed (it failed at the drop, or broke the view); dropped, the contract runs', async () => {
      const s = await setup(target, [`CREATE TABLE accounts (id int PRIMARY KEY, legacy_code varchar(10), name varchar(20))`, `INSERT INTO accounts VALUES (1, 'x', 'a')`], 'xc_removed');
      await s.write('0001_m', { dropColumn: { table: 'accounts', column: 'legacy_code' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`CREATE VIEW legacy AS SELECT id, legacy_code FROM accounts`);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, expect.stringMatching(/^contract refused: view "legacy" still depends on "accounts"\."legacy_code", which 0001_m removes at this contract;[^]* Change or drop it, then run `xc contract` again\.$/)]);
      expect(await phases(s)).toEqual(['backfilled']);
      expect(await rows(s, `SELECT id, legacy_code FROM legacy`)).toEqual([[1, 'x']]);
      await s.db.query(`DROP VIEW legacy`);
      await s.xc.contract();
      expect((await s.db.columns('accounts')).map((c) => c.name)).toEqual(['id', 'name']);
    });

    it('renameTable and a column removal in one migration: the view made over the renamed table after apply refuses the contract (campaign V: read under the old name, xc\'s own view, it was missed)', async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, note varchar(20))`, `INSERT INTO orders VALUES (1, 'n')`], 'xc_removed');
      await s.write('0001_m', { renameTable: { from: 'orders', to: 'purchases' } }, { dropColumn: { table: 'purchases', column: 'note' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`CREATE VIEW pnotes AS SELECT id, note FROM purchases`);
      expect((await rejection(s.xc.contract())).message).toMatch(/^contract refused: view "pnotes" still depends on "purchases"\."note"/);
      expect(await phases(s)).toEqual(['backfilled']);
      await s.db.query(`DROP VIEW pnotes`);
      await s.xc.contract();
      expect((await s.db.columns('purchases')).map((c) => c.name)).toEqual(['id']);
    });

    it('a view of the user\'s named as a renameTable already contracted once named its table: not taken for xc\'s (campaign V)', async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, note varchar(20))`], 'xc_removed');
      await s.write('0001_rename', { renameTable: { from: 'orders', to: 'purchases' } });
      await toContracted(s, '0001_rename');
      await s.write('0002_drop', { dropColumn: { table: 'purchases', column: 'note' } });
      await s.xc.apply();
      await record(s.xc, '0002_drop');
      await s.db.query(`CREATE VIEW orders AS SELECT id, note FROM purchases`);
      expect((await rejection(s.xc.contract())).message).toMatch(/^contract refused: view "orders" still depends on "purchases"\."note"/);
    });

    it('a view in another schema (MySQL/MariaDB: database) over a removed column refuses the contract, named qualified; one over another schema\'s table of that name does not (campaign V)', async () => {
      const pg = target.name === 'postgres';
      const other = pg ? undefined : await target.create('xc_removed_other');
      const elsewhere = pg ? 'xc_elsewhere' : ((await other!.query<{ d: string }>('SELECT DATABASE() AS d'))[0]!.d);
      try {
        const s = await setup(target, [`CREATE TABLE members (id int PRIMARY KEY, name varchar(20))`], 'xc_removed');
        const here = pg ? 'public' : ((await s.db.query<{ d: string }>('SELECT DATABASE() AS d'))[0]!.d);
        if (pg) await s.db.query(`CREATE SCHEMA xc_elsewhere`);
        // Another schema's own table of the same name, and a view over it in this one: nothing of this table's.
        await s.db.query(`CREATE TABLE ${elsewhere}.members (id int PRIMARY KEY, name varchar(20))`);
        await s.db.query(`CREATE VIEW theirs AS SELECT id, name FROM ${elsewhere}.members`);
        // A column named as the table, in another table's view: nothing of this table's either.
        await s.db.query(`CREATE TABLE teams (id int PRIMARY KEY, members int)`);
        await s.db.query(`CREATE VIEW team_sizes AS SELECT id, members FROM teams`);
        await s.write('0001_m', { dropColumn: { table: 'members', column: 'name' } });
        await s.xc.apply();
        await record(s.xc, '0001_m');
        await s.db.query(`CREATE VIEW ${elsewhere}.report AS SELECT id, name FROM ${here}.members`);
        expect((await rejection(s.xc.contract())).message).toMatch(new RegExp(`^contract refused: view "${elsewhere}\\.report" still depends on "members"\\."name"`));
        await s.db.query(`DROP VIEW ${elsewhere}.report`);
        await s.xc.contract();
        expect(await phases(s)).toEqual(['contracted']);
        // And the table's drop: the view over the other schema's table, and the column named as the table, are no dependents.
        await s.db.query(`DROP VIEW theirs`);
        await s.write('0002_t', { dropTable: { table: 'members' } });
        await s.xc.apply();
        await record(s.xc, '0002_t');
        await s.xc.contract();
        expect(await s.db.count(`SELECT count(*) FROM team_sizes`)).toBe(0);
      } finally {
        await other?.drop(); // PostgreSQL's other schema goes with the scenario's database
      }
    });

    it('another schema\'s view over the column, dropped by an earlier migration\'s `sql` expand: by its qualified name noted, not refused, and applied in one run; by its bare name still refused (campaign CS)', async () => {
      const pg = target.name === 'postgres';
      const other = pg ? undefined : await target.create('xc_removed_other');
      try {
        const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, legacy varchar(20))`, `INSERT INTO posts VALUES (1, 'x')`], 'xc_removed');
        const elsewhere = pg ? 'xc_elsewhere' : (await other!.query<{ d: string }>('SELECT DATABASE() AS d'))[0]!.d;
        const here = pg ? 'public' : (await s.db.query<{ d: string }>('SELECT DATABASE() AS d'))[0]!.d;
        if (pg) await s.db.query(`CREATE SCHEMA xc_elsewhere`);
        const make = `CREATE VIEW ${elsewhere}.post_view AS SELECT id, legacy FROM ${here}.posts`;
        await s.db.query(make);
        const dependsOn = new RegExp(`view "${elsewhere}\\.post_view" depends on "posts"\\."legacy"`);
        await s.write('0002_drop', { dropColumn: { table: 'posts', column: 'legacy' } });
        await s.write('0001_view', { sql: { expand: 'DROP VIEW IF EXISTS post_view', rollback: 'SELECT 1' } });
        await refused(s, ['posts'], dependsOn);
        await s.write('0001_view', { sql: { expand: `DROP VIEW ${elsewhere}.post_view`, rollback: make } });
        const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
        expect(plan.migrations.find((m) => m.id === '0002_drop')!.notes).toEqual([expect.stringMatching(dependsOn)]);
        await toContracted(s, '0002_drop');
        expect((await s.db.columns('posts')).map((c) => c.name)).toEqual(['id']);
      } finally {
        await other?.drop(); // PostgreSQL's other schema goes with the scenario's database
      }
    });

    it.runIf(target.name === 'postgres')('a function over the row (a PostgREST computed column) another schema keeps, dropped by an earlier migration\'s `sql` expand by its signature: noted, not refused, applied in one run (campaign DA)', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, legacy varchar(20))`, `INSERT INTO posts VALUES (1, 'x')`], 'xc_removed');
      await s.db.query(`CREATE SCHEMA xc_api`);
      const make = `CREATE FUNCTION xc_api.label(p public.posts) RETURNS text LANGUAGE sql STABLE AS $$ SELECT p.legacy $$`;
      await s.db.query(make);
      const dependsOn = /function "xc_api\.label\(posts\)" depends on "posts"\."legacy"/;
      await s.write('0002_drop', { dropColumn: { table: 'posts', column: 'legacy' } });
      await refused(s, ['posts'], dependsOn);
      await s.write('0001_fn', { sql: { expand: `DROP FUNCTION xc_api.label(public.posts)`, rollback: make } });
      // An overload the DROP's arguments rule out is no dependent it takes (campaign DC: noted, then refused by apply).
      await s.db.query(`CREATE FUNCTION xc_api.label(p public.posts, n int) RETURNS text LANGUAGE sql STABLE AS $$ SELECT p.legacy || n $$`);
      await refused(s, ['posts'], /: function "xc_api\.label\(posts,integer\)" depends on "posts"\."legacy"/);
      await s.db.query(`DROP FUNCTION xc_api.label(public.posts, int)`);
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      expect(plan.migrations.find((m) => m.id === '0002_drop')!.notes).toEqual([expect.stringMatching(dependsOn)]);
      await toContracted(s, '0002_drop');
      expect((await s.db.columns('posts')).map((c) => c.name)).toEqual(['id']);
    });

    it('a default, a comment or NULL allowed, in place: a view over the column is no dependent (campaign V: refused at plan and contract)', async () => {
      const s = await setup(target, [`CREATE TABLE members (id int PRIMARY KEY, score int NOT NULL)`, `CREATE VIEW scores AS SELECT id, score FROM members`], 'xc_removed');
      await s.write('0001_m', { alterColumn: { table: 'members', column: 'score', default: '0', nullable: true, comment: 'points' } });
      await toContracted(s, '0001_m');
      expect((await s.db.columns('members')).find((c) => c.name === 'score')).toMatchObject({ nullable: true });
    });

    it.runIf(target.name === 'mysql')('a unique key converting the column through its shadow (createConstraint with `up`): a view naming the column keeps it, no dependent (campaign V)', async () => {
      const s = await setup(target, [`CREATE TABLE members (id int PRIMARY KEY, email varchar(40))`, `INSERT INTO members VALUES (1, 'A@x'), (2, 'b@x')`], 'xc_removed');
      await s.write('0001_m', { createConstraint: { table: 'members', name: 'members_email_key', type: 'unique', columns: ['email'], up: { email: 'LOWER(email)' }, down: { email: 'email' } } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`CREATE VIEW emails AS SELECT id, email FROM members`);
      await s.xc.contract();
      expect(await rows(s, `SELECT id, email FROM emails ORDER BY id`)).toEqual([[1, 'a@x'], [2, 'b@x']]);
    });

    it.runIf(target.name === 'postgres')('a generated column over a column widened in the catalog alone: refused at plan for what it is, not for a shadow there is none of (campaign AV)', async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), qty int, total numeric GENERATED ALWAYS AS (amount * qty) STORED)`], 'xc_removed');
      await s.write('0001_m', { alterColumn: { table: 'orders', column: 'amount', type: 'numeric(14,2)' } });
      expect((await rejection(s.xc.plan())).message).toMatch(/generated column "total" depends on "orders"\."amount", which this migration changes the type of at contract \(in the catalog: the server refuses that under it\)/);
    });

    it.runIf(target.name === 'postgres')('a view made after apply over a column widened in the catalog alone: the contract refuses it for what it is (campaign AW: "removes at this contract")', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a varchar(10))`, `INSERT INTO t VALUES (1, 'x')`], 'xc_removed');
      await s.write('0001_w', { alterColumn: { table: 't', column: 'a', type: 'varchar(20)' } });
      await s.xc.apply();
      await record(s.xc, '0001_w');
      await s.db.query(`CREATE VIEW v AS SELECT id, a FROM t`);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, expect.stringMatching(/^contract refused: view "v" still depends on "t"\."a", which 0001_w changes the type of at this contract \(in the catalog: the server refuses that under them\);/)]);
      await s.db.query(`DROP VIEW v`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });

    it('a later `sql` view over a column a contract in flight widens in the catalog: plan notes it on PostgreSQL, where the contract would refuse; MariaDB keeps a view as text (campaign AW)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a varchar(10), b int)`, `INSERT INTO t VALUES (1, 'x', 2)`], 'xc_removed');
      await s.write('0001_w', { alterColumn: { table: 't', column: 'a', type: 'varchar(20)' } });
      await s.xc.apply();
      const view = { sql: { expand: 'CREATE VIEW v AS SELECT id, a FROM t', rollback: 'DROP VIEW v' } };
      await s.write('0002_v', view);
      // Every column: SELECT * (campaign BG: no note), a view of a view's own making aside.
      await s.write('0002_w', { sql: { expand: 'CREATE VIEW w AS SELECT * FROM t', rollback: 'DROP VIEW w' } });
      // Read through an alias of its table (campaign BL: no note).
      await s.write('0002_x', { sql: { expand: 'CREATE VIEW x AS SELECT y.a AS txt FROM t y', rollback: 'DROP VIEW x' } });
      // A view over another column of the table, or another statement over the column, holds nothing.
      await s.write('0003_u', { sql: { expand: 'CREATE VIEW u AS SELECT id, b FROM t', rollback: 'DROP VIEW u' } }, { sql: { expand: 'UPDATE t SET a = a' } });
      const plan = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      const note = 'operations[0].sql: makes a view over "t"."a", whose type 0001_w (operations[0].alterColumn) changes at its contract: the server refuses that change under a view, so that contract is refused while this view reads the column — drop the view before it, and make it again after (or apply this once that migration is contracted)';
      expect(plan.migrations.filter((m) => m.id !== '0001_w').map((m) => [m.id, m.notes ?? []])).toEqual([['0002_v', target.name === 'postgres' ? [note] : []], ['0002_w', target.name === 'postgres' ? [note] : []], ['0002_x', target.name === 'postgres' ? [note] : []], ['0003_u', []]]);
      await s.xc.apply();
      await record(s.xc, '0003_u');
      if (target.name === 'postgres') {
        expect((await rejection(s.xc.contract())).message).toMatch(/^contract refused: view "v", view "w", view "x" still depend on "t"\."a"/);
        return;
      }
      await s.xc.contract();
      await s.db.query(`INSERT INTO t VALUES (2, '${'y'.repeat(20)}', 3)`);
      expect(await s.db.query(`SELECT id, a FROM v ORDER BY id`)).toEqual([{ id: 1, a: 'x' }, { id: 2, a: 'y'.repeat(20) }]);
    });

    it('a generated column dropped by an earlier operation of the same migration, with the column it is computed from: no dependent at plan or contract; the other order still refused (campaign V: refused either way)', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, price int, doubled int GENERATED ALWAYS AS (price * 2) STORED, name varchar(20))`, `INSERT INTO items (id, price, name) VALUES (1, 10, 'a'), (2, 20, 'b')`], 'xc_removed');
      await s.write('0001_m', { dropColumn: { table: 'items', column: 'price' } }, { dropColumn: { table: 'items', column: 'doubled' } });
      expect((await rejection(s.xc.plan())).message).toMatch(/operations\[0\]\.dropColumn\.column: generated column "doubled" depends on "items"\."price", which this migration removes at contract/);
      await s.write('0001_m', { dropColumn: { table: 'items', column: 'doubled' } }, { dropColumn: { table: 'items', column: 'price' } });
      // The old version writes through the expand and after it; its rows stay.
      const old = new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO items (id, price, name) VALUES (?, ?, ?)`, params: [100 + i, i, `w${i}`] }), 1).start();
      await s.xc.apply();
      await new Promise((r) => setTimeout(r, 100));
      await old.stop();
      expect(old.errors).toEqual([]);
      await record(s.xc, '0001_m');
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
      expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id', 'name']);
      expect(Number((await rows(s, `SELECT count(*) FROM items WHERE name IS NOT NULL`))[0]![0])).toBe(2 + old.writes);
    });

    it('an index, a check or a foreign key made over the column after apply: contract refused, nothing changed; made over the new column instead, it stays (campaign Y: dropped with the column, exit 0, or failed the contract)', async () => {
      const s = await setup(target, [
        `CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL)`, `INSERT INTO items VALUES (1, 1), (2, 2)`,
        `CREATE TABLE users (id int PRIMARY KEY, name varchar(40) NOT NULL)`, `INSERT INTO users VALUES (1, 'ann'), (2, 'bob')`,
        `CREATE TABLE kids (id int PRIMARY KEY, uname varchar(40))`,
      ], 'xc_removed');
      await s.write('0001_m', { alterColumn: { table: 'items', column: 'qty', type: 'bigint' } }, { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`CREATE UNIQUE INDEX items_qty_uq ON items (qty)`);
      await s.db.query(`ALTER TABLE items ADD CONSTRAINT qty_pos CHECK (qty > 0)`);
      // Over an expression of it too (campaign Z: PostgreSQL's catalog gives no keys for one; dropped, exit 0).
      const pg = target.name === 'postgres';
      if (pg) await s.db.query(`CREATE INDEX items_qty_expr ON items ((qty + 1))`);
      const before = await dump(s.db, ['items', 'users']);
      let err = await rejection(s.xc.contract());
      expect([err.exitCode, (err as { code?: string }).code]).toEqual([1, 'removed_in_use']);
      expect(err.message).toBe(`contract refused: check "qty_pos", ${pg ? 'index "items_qty_expr", ' : ''}index "items_qty_uq" were made over "items"."qty" after 0001_m was applied, and 0001_m removes that column at this contract; xc built no copy of them at expand, so the contract would drop them with it, or fail on them. Nothing was changed. Drop them, and make them again once the contract is done, then run \`xc contract\` again.`);
      expect(await phases(s)).toEqual(['backfilled']);
      expect(await dump(s.db, ['items', 'users'])).toEqual(before);
      for (const index of ['items_qty_uq', ...(pg ? ['items_qty_expr'] : [])]) await s.db.query(pg ? `DROP INDEX ${index}` : `DROP INDEX ${index} ON items`);
      await s.db.query(`ALTER TABLE items DROP CONSTRAINT qty_pos`);
      // The renamed column: a unique key and another table's foreign key over the old one.
      await s.db.query(`CREATE UNIQUE INDEX users_name_uq ON users (name)`);
      await s.db.query(`ALTER TABLE kids ADD CONSTRAINT kids_uname_fk FOREIGN KEY (uname) REFERENCES users (name)`);
      err = await rejection(s.xc.contract());
      expect(err.message).toMatch(/^contract refused: foreign key "kids_uname_fk" of "kids", index "users_name_uq" were made over "users"\."name" after 0001_m was applied[^]* Make them over "full_name" instead and drop them, then run `xc contract` again\.$/);
      expect(await phases(s)).toEqual(['backfilled']);
      // Done that way, the contract runs, and the key holds over the new column.
      await s.db.query(`ALTER TABLE kids DROP ${target.name === 'postgres' ? 'CONSTRAINT' : 'FOREIGN KEY'} kids_uname_fk`);
      await s.db.query(target.name === 'postgres' ? `DROP INDEX users_name_uq` : `DROP INDEX users_name_uq ON users`);
      await s.db.query(`CREATE UNIQUE INDEX users_full_name_uq ON users (full_name)`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
      expect((await rejection(s.db.query(`INSERT INTO users (id, full_name) VALUES (3, 'ann')`))).message).toMatch(/duplicate|unique/i);
      expect((await rows(s, `SELECT id, qty FROM items ORDER BY id`)).map((r) => r.map(Number))).toEqual([[1, 1], [2, 2]]);
    });

    it('a column widened in the catalog alone (no shadow): an index a later migration makes over it stays, and both contract (campaign AU: refused every contract, the way it named failing on MariaDB)', async () => {
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, user_id int NOT NULL, title varchar(255) NOT NULL)`, `INSERT INTO posts VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'a')`], 'xc_removed');
      await s.write('0001_widen', { alterColumn: { table: 'posts', column: 'title', type: 'varchar(500)' } });
      await s.write('0002_unique', { addIndex: { table: 'posts', name: 'posts_user_title_uq', columns: ['user_id', 'title'], unique: true } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO posts VALUES (4, 2, 'b')`);
      // Made by hand after apply, too: the ALTER keeps it as it keeps the table's own.
      await s.db.query(`CREATE INDEX posts_title_idx ON posts (title)`);
      await record(s.xc, '0002_unique');
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted', 'contracted']);
      expect((await s.db.columns('posts')).find((c) => c.name === 'title')?.type).toMatch(/^(varchar|character varying)/);
      expect((await s.db.indexes('posts')).filter((i) => i.name !== 'PRIMARY' && i.name !== 'posts_pkey').map((i) => [i.name, i.columns, i.unique]).sort()).toEqual([
        ['posts_title_idx', ['title'], false],
        ['posts_user_title_uq', ['user_id', 'title'], true],
      ]);
      await s.db.query(`INSERT INTO posts VALUES (5, 3, '${'x'.repeat(400)}')`);
      expect((await rejection(s.db.query(`INSERT INTO posts VALUES (6, 1, 'a')`))).message).toMatch(/duplicate|unique/i);
      expect(await rows(s, `SELECT id, user_id, length(title) FROM posts ORDER BY id`)).toEqual([[1, 1, 1], [2, 1, 1], [3, 2, 1], [4, 2, 1], [5, 3, 400]]);
    });

    it('a contract stopped before its first removal (exit 5 at a lock; or killed), an index and a check made over the column meanwhile: the resumed contract refuses too (campaign AB: both dropped with the column, exit 0)', async () => {
      const pg = target.name === 'postgres';
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, note varchar(40))`, `INSERT INTO orders VALUES (1, 'a'), (2, 'b')`], 'xc_removed');
      await s.write('0001_m', { renameColumn: { table: 'orders', from: 'note', to: 'remark' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      const holder = await s.db.connection();
      await holder.query(pg ? 'BEGIN' : 'START TRANSACTION');
      await holder.query(`SELECT count(*) FROM orders`);
      try {
        const xc = createXc({ url: s.db.url, dir: s.dir, lockTimeoutMs: 200, lockRetryForMs: 600 });
        onCleanup(() => xc.close());
        expect((await rejection(xc.contract())).exitCode).toBe(5);
      } finally {
        await holder.query('ROLLBACK');
      }
      expect(await phases(s)).toEqual(['contracting']);
      await s.db.query(`CREATE UNIQUE INDEX orders_note_uq ON orders (note)`);
      await s.db.query(`ALTER TABLE orders ADD CONSTRAINT note_set CHECK (note <> 'y')`);
      const before = await dump(s.db, ['orders']);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, (err as { code?: string }).code]).toEqual([1, 'removed_in_use']);
      expect(err.message).toMatch(/^contract refused: check "note_set", index "orders_note_uq" were made over "orders"\."note" after 0001_m was applied[^]* Make them over "remark" instead and drop them, then run `xc contract` again\.$/);
      expect(await phases(s)).toEqual(['contracting']);
      expect(await dump(s.db, ['orders'])).toEqual(before);
      // Done that way, the contract runs to its end, and the key holds over the new column.
      await s.db.query(pg ? `DROP INDEX orders_note_uq` : `DROP INDEX orders_note_uq ON orders`);
      await s.db.query(`ALTER TABLE orders DROP CONSTRAINT note_set`);
      await s.db.query(`CREATE UNIQUE INDEX orders_remark_uq ON orders (remark)`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
      expect((await rejection(s.db.query(`INSERT INTO orders (id, remark) VALUES (3, 'a')`))).message).toMatch(/duplicate|unique/i);
      expect(await rows(s, `SELECT id, remark FROM orders ORDER BY id`)).toEqual([[1, 'a'], [2, 'b']]);
    });

    it('a check over the dropped column and another, made after apply: contract refused (campaign Y: MariaDB failed, left `contracting`; PostgreSQL drops it silently)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, email varchar(40), age int)`, `INSERT INTO users VALUES (1, 'a@x', 3)`], 'xc_removed');
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'age' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`ALTER TABLE users ADD CONSTRAINT ck_reach CHECK (age > 0 OR email IS NOT NULL)`);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, expect.stringMatching(/^contract refused: check "ck_reach" was made over "users"\."age" after 0001_m was applied[^]* Drop it, then run `xc contract` again\.$/)]);
      expect(await phases(s)).toEqual(['backfilled']);
      await s.db.query(`ALTER TABLE users DROP CONSTRAINT ck_reach`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });

    it('what the migration itself leaves over the removed column until its contract — a check it drops there, the index MariaDB makes for a foreign key it adds — is not "made since" (fuzz seeds 516, 517: refused)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY, alpha int NOT NULL DEFAULT 3, beta int, CONSTRAINT users_ck1 CHECK (alpha > 0))`, `INSERT INTO users (id, beta) VALUES (1, 1), (2, 2)`,
        `CREATE TABLE orders (id int PRIMARY KEY)`, `INSERT INTO orders VALUES (1), (2)`,
      ], 'xc_removed');
      await s.write('0001_m',
        { dropConstraint: { table: 'users', name: 'users_ck1' } }, { renameColumn: { table: 'users', from: 'alpha', to: 'gamma' } },
        { alterColumn: { table: 'users', column: 'beta', references: { name: 'users_cf2', table: 'orders', column: 'id' } } },
        { alterColumn: { table: 'users', column: 'beta', to: 'iota', up: 'beta', down: 'iota' } });
      await toContracted(s, '0001_m');
      expect(await phases(s)).toEqual(['contracted']);
      expect((await s.db.columns('users')).map((c) => c.name)).toEqual(['id', 'gamma', 'iota']);
      expect(await rows(s, `SELECT id, gamma, iota FROM users ORDER BY id`)).toEqual([[1, 3, 1], [2, 3, 2]]);
    });

    it('the index an earlier contract gives a foreign key of its own (MariaDB, dropping the index it used) is the key\'s, not "made since" by a rename of its column (campaign Z: refused, no way on)', async () => {
      const s = await setup(target, [
        `CREATE TABLE users (id int PRIMARY KEY)`, `INSERT INTO users VALUES (1), (2)`,
        `CREATE TABLE orders (id int PRIMARY KEY, user_id int, note varchar(20), CONSTRAINT fk_u FOREIGN KEY (user_id) REFERENCES users (id))`,
        `CREATE INDEX orders_uid_idx ON orders (user_id)`, `INSERT INTO orders VALUES (1, 1, 'a'), (2, 2, 'b')`,
      ], 'xc_removed');
      await s.write('0001_dropidx', { dropIndex: { table: 'orders', name: 'orders_uid_idx' } });
      await s.write('0002_rename', { renameColumn: { table: 'orders', from: 'user_id', to: 'uid' } });
      await toContracted(s, '0002_rename');
      expect(await phases(s)).toEqual(['contracted', 'contracted']);
      expect(await rows(s, `SELECT id, uid FROM orders ORDER BY id`)).toEqual([[1, 1], [2, 2]]);
      expect((await rejection(s.db.query(`INSERT INTO orders (id, uid) VALUES (3, 9)`))).message).toMatch(/foreign key/i);
    });

    it('a foreign key made after apply referencing the table a dropTable removes: contract refused (campaign Y: failed, left `contracting`)', async () => {
      const s = await setup(target, [`CREATE TABLE gone (id int PRIMARY KEY)`, `CREATE TABLE kids (id int PRIMARY KEY, gid int)`], 'xc_removed');
      await s.write('0001_m', { dropTable: { table: 'gone' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`ALTER TABLE kids ADD CONSTRAINT kids_gone_fk FOREIGN KEY (gid) REFERENCES gone (id)`);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, 'contract refused: foreign key "kids_gone_fk" of "kids" was made over table "gone" after 0001_m was applied, and 0001_m removes that table at this contract; xc built no copy of it at expand, so the contract would drop it with it, or fail on it. Nothing was changed. Drop it, then run `xc contract` again.']);
      expect(await phases(s)).toEqual(['backfilled']);
      await s.db.query(`ALTER TABLE kids DROP ${target.name === 'postgres' ? 'CONSTRAINT' : 'FOREIGN KEY'} kids_gone_fk`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });

    it('a view reading the column through an alias of its table, made after apply: contract refused; one aliasing another table the same is not (campaign Y: missed on MariaDB, the view broken)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(40), age int)`, `CREATE TABLE pets (id int PRIMARY KEY, age int)`], 'xc_removed');
      await s.write('0001_m', { dropColumn: { table: 'users', column: 'age' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`CREATE VIEW v_alias AS SELECT u.id, u.AGE FROM users AS u`);
      await s.db.query(`CREATE VIEW v_other AS SELECT u.id, u.age FROM users x JOIN pets u ON u.id = x.id`);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, expect.stringMatching(/^contract refused: view "v_alias" still depends on "users"\."age"/)]);
      await s.db.query(`DROP VIEW v_alias`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });

    it('a foreign key made after apply that needs the index a dropIndex drops: contract refused, nothing changed (campaign Y: the drop failed, left `contracting`)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, code varchar(10))`, `CREATE UNIQUE INDEX users_code_uq ON users (code)`, `CREATE TABLE kids (id int PRIMARY KEY, ucode varchar(10))`], 'xc_removed');
      await s.write('0001_m', { dropIndex: { table: 'users', name: 'users_code_uq' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`ALTER TABLE kids ADD CONSTRAINT kids_code_fk FOREIGN KEY (ucode) REFERENCES users (code)`);
      const err = await rejection(s.xc.contract());
      expect([err.exitCode, err.message]).toEqual([1, 'contract refused: foreign key "kids_code_fk" of "kids" was made after 0001_m was applied, and needs index "users_code_uq" of "users", which 0001_m drops at this contract; the drop would fail there. Nothing was changed. Drop it, or make another index over its key first, then run `xc contract` again.']);
      expect(await phases(s)).toEqual(['backfilled']);
      expect((await s.db.indexes('users')).map((i) => i.name)).toContain('users_code_uq');
      await s.db.query(`ALTER TABLE kids DROP ${target.name === 'postgres' ? 'CONSTRAINT' : 'FOREIGN KEY'} kids_code_fk`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });

    it('a view over the table a dropTable removes, made after apply: contract refused', async () => {
      const s = await setup(target, [`CREATE TABLE old_log (id int PRIMARY KEY, msg varchar(20))`], 'xc_removed');
      await s.write('0001_m', { dropTable: { table: 'old_log' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.db.query(`CREATE VIEW recent_log AS SELECT id, msg FROM old_log`);
      expect((await rejection(s.xc.contract())).message).toMatch(/^contract refused: view "recent_log" still depends on table "old_log"/);
      await s.db.query(`DROP VIEW recent_log`);
      await s.xc.contract();
      expect(await phases(s)).toEqual(['contracted']);
    });
  });
}
