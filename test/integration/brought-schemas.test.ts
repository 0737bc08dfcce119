/**
 * Schemas users bring from other tools (a campaign of 2026-12-01): column
 * types, defaults and tables the rest of the suite does not make. One test
 * per finding, on every database it applies to.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';
import { createXc } from '../../src/index.js';
import { runXcKillingAt } from '../helpers/cli.js';
import { onCleanup, record, refused, rejection, retireLive, setup, toContracted } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`schemas users bring (${target.name})`, () => {
    const pg = target.name === 'postgres';

    it.skipIf(!pg)('renaming json, point and box columns: old writers keep updating, and a box moved to one of the same area is a change', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE docs (id int PRIMARY KEY, body json, loc point, shape box, note text)`,
          `INSERT INTO docs SELECT g, json_build_object('g', g), point(g, g), box(point(0, 0), point(g, 1)), 'n' FROM generate_series(1, 40) g`,
        ],
        'xc_brought',
      );
      await s.write(
        '0001_rename',
        { renameColumn: { table: 'docs', from: 'body', to: 'payload' } },
        { renameColumn: { table: 'docs', from: 'loc', to: 'location' } },
        { renameColumn: { table: 'docs', from: 'shape', to: 'outline' } },
      );
      // The old version updates the renamed columns and an unrelated one while the migration expands and backfills.
      const old = new Writer(await s.db.connection(), (i) => {
        const id = (i % 40) + 1;
        return i % 2 ? { sql: `UPDATE docs SET note = ? WHERE id = ?`, params: [`w${i}`, id] } : { sql: `UPDATE docs SET body = ?::json, loc = point(?, 0) WHERE id = ?`, params: [`{"w": ${i}}`, i, id] };
      }).start();
      await s.xc.apply();
      await old.stop();
      expect(old.errors).toEqual([]);
      expect(old.writes).toBeGreaterThan(0);

      // Same area (2), another place: `=` on box says equal, the row changed.
      await s.db.query(`UPDATE docs SET shape = box(point(5, 5), point(7, 6)) WHERE id = 2`);
      // The new version writes its own names.
      await s.db.query(`UPDATE docs SET payload = '{"new": true}', location = point(9, 9) WHERE id = 3`);
      const both = await s.db.query<Record<string, string>>(
        `SELECT count(*)::int AS n FROM docs WHERE body::text IS DISTINCT FROM payload::text OR loc::text IS DISTINCT FROM location::text OR shape::text IS DISTINCT FROM outline::text`,
      );
      expect(both).toEqual([{ n: 0 }]);

      await record(s.xc, '0001_rename');
      await s.xc.contract();
      const rows = await s.db.query<Record<string, string>>(`SELECT id, payload::text AS payload, location::text AS location, outline::text AS outline FROM docs WHERE id IN (2, 3) ORDER BY id`);
      expect(rows[0]).toMatchObject({ id: 2, outline: '(7,6),(5,5)' });
      expect(rows[1]).toMatchObject({ id: 3, payload: '{"new": true}', location: '(9,9)' });
    });

    it.skipIf(!pg)('renameTable: old code running as its own role keeps its privileges through the old name, and the table\'s row-level security', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE docs (id int PRIMARY KEY, tenant text NOT NULL, body text)`,
          `INSERT INTO docs VALUES (1, 'a', 'a1'), (2, 'b', 'b1')`,
          `ALTER TABLE docs ENABLE ROW LEVEL SECURITY`,
          `CREATE POLICY tenant_only ON docs USING (tenant = current_setting('app.tenant', true)) WITH CHECK (tenant = current_setting('app.tenant', true))`,
        ],
        'xc_brought',
      );
      const role = `xc_rtgrant_${Math.random().toString(36).slice(2, 10)}`;
      const reader = `${role}_r`;
      for (const r of [role, reader]) {
        await s.db.query(`CREATE ROLE ${r}`);
        onCleanup(async () => {
          await s.db.query(`DROP OWNED BY ${r} CASCADE`);
          await s.db.query(`DROP ROLE ${r}`);
        });
      }
      await s.db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO ${role}`);
      // A role granted some columns only could use none through the old name (the invoker's view needs the table): refused at plan.
      await s.db.query(`GRANT SELECT (id, body) ON docs TO ${reader}`);
      await s.write('0001_rename', { renameTable: { from: 'docs', to: 'documents' } });
      await refused(s, ['docs'], new RegExp(`renameTable\\.from: "docs" has row-level security, and ${reader} is granted some of its columns only`));
      // Granted the table's SELECT, it reads its rows through the old name, the policies applying to it; a column's
      // UPDATE beside it is no reason to refuse (campaign L): an invoker's view updates by column.
      await s.db.query(`GRANT SELECT ON docs TO ${reader}`);
      await s.db.query(`GRANT UPDATE (body) ON docs TO ${reader}`);
      await s.xc.apply();
      const app = await s.db.connection();
      await app.query(`SET ROLE ${role}`);
      await app.query(`SET app.tenant = 'a'`);
      // Before: "permission denied for view docs"; with the grant given by hand, tenant a saw tenant b's rows.
      const read = async (sql: string) => ((await app.query(sql)) as { rows: unknown[] }).rows;
      expect(await read(`SELECT id FROM docs ORDER BY id`)).toEqual([{ id: 1 }]);
      await app.query(`INSERT INTO docs VALUES (3, 'a', 'a3')`);
      await expect(app.query(`INSERT INTO docs VALUES (4, 'b', 'b4')`)).rejects.toThrow(/row-level security/);
      expect(await read(`SELECT id FROM documents ORDER BY id`)).toEqual([{ id: 1 }, { id: 3 }]);
      const only = await s.db.connection();
      await only.query(`SET ROLE ${reader}`);
      await only.query(`SET app.tenant = 'b'`);
      expect(((await only.query(`SELECT id, body FROM docs ORDER BY id`)) as { rows: unknown[] }).rows).toEqual([{ id: 2, body: 'b1' }]);
      await only.query(`UPDATE docs SET body = 'b2'`);
      await expect(only.query(`UPDATE docs SET tenant = 'a'`)).rejects.toThrow(/permission denied/);
      await app.query(`RESET ROLE`);
      await only.query(`RESET ROLE`);
      // A table the application's role owns, renamed by xc running as another role: the owner keeps the old name too.
      await s.db.query(`CREATE TABLE owned (id int PRIMARY KEY, v text)`);
      await s.db.query(`ALTER TABLE owned OWNER TO ${role}`);
      await s.write('0002_owned', { renameTable: { from: 'owned', to: 'owned2' } });
      await s.xc.apply();
      await app.query(`SET ROLE ${role}`);
      await app.query(`INSERT INTO owned VALUES (1, 'old')`);
      expect(await read(`SELECT v FROM owned`)).toEqual([{ v: 'old' }]);
      await app.query(`RESET ROLE`);
    });

    it.skipIf(!pg)('renameTable: a role granted some columns only reads and writes them through the old name, and no other', async () => {
      const s = await setup(target, [`CREATE TABLE users (id serial PRIMARY KEY, name text, password_hash text)`, `INSERT INTO users (name, password_hash) VALUES ('ann', 'h1')`], 'xc_brought');
      const role = `xc_rtcol_${Math.random().toString(36).slice(2, 10)}`;
      await s.db.query(`CREATE ROLE ${role}`);
      onCleanup(async () => {
        await s.db.query(`DROP OWNED BY ${role} CASCADE`);
        await s.db.query(`DROP ROLE ${role}`);
      });
      await s.db.query(`GRANT SELECT (id, name), INSERT (name), UPDATE (name) ON users TO ${role}`);
      await s.db.query(`GRANT USAGE ON SEQUENCE users_id_seq TO ${role}`);
      await s.write('0001_rename', { renameTable: { from: 'users', to: 'accounts' } });
      await s.xc.apply();
      const app = await s.db.connection();
      await app.query(`SET ROLE ${role}`);
      // Once "permission denied for table accounts": an invoker's view reads every column of the table as the invoker.
      await app.query(`UPDATE users SET name = 'anna' WHERE id = 1`);
      await app.query(`INSERT INTO users (name) VALUES ('bob')`);
      expect(((await app.query(`SELECT id, name FROM users ORDER BY id`)) as { rows: unknown[] }).rows).toEqual([{ id: 1, name: 'anna' }, { id: 2, name: 'bob' }]);
      await expect(app.query(`SELECT password_hash FROM users`)).rejects.toThrow(/permission denied/);
      await expect(app.query(`UPDATE users SET password_hash = 'x'`)).rejects.toThrow(/permission denied/);
      await app.query(`RESET ROLE`);
      expect(await s.db.query(`SELECT id, name, password_hash FROM accounts ORDER BY id`)).toEqual([{ id: 1, name: 'anna', password_hash: 'h1' }, { id: 2, name: 'bob', password_hash: null }]);
    });

    it.skipIf(!pg)('column-level grants: a renamed column and an in-place change carry them, the new version has them from expand, and nothing more', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE items (id int PRIMARY KEY, qty int, secret text)`,
          `CREATE TABLE scores (id int PRIMARY KEY, points int, secret text)`,
          `INSERT INTO items SELECT g, g, 's' FROM generate_series(1, 10) g`,
          `INSERT INTO scores SELECT g, g, 's' FROM generate_series(1, 10) g`,
        ],
        'xc_brought',
      );
      const role = `xc_colgrant_${Math.random().toString(36).slice(2, 10)}`;
      await s.db.query(`CREATE ROLE ${role}`);
      onCleanup(async () => {
        await s.db.query(`DROP OWNED BY ${role}`);
        await s.db.query(`DROP ROLE ${role}`);
      });
      // Column grants only: no table-level privilege at all.
      for (const t of ['items', 'scores']) {
        const c = t === 'items' ? 'qty' : 'points';
        await s.db.query(`GRANT SELECT (id, ${c}), INSERT (id, ${c}) ON ${t} TO ${role}`);
        await s.db.query(`GRANT UPDATE (${c}) ON ${t} TO ${role} WITH GRANT OPTION`);
        await s.db.query(`GRANT REFERENCES (${c}) ON ${t} TO PUBLIC`);
      }
      /** The column's own ACL, grantor aside: (privilege, grantee, grantable). */
      const acl = (table: string, column: string) =>
        s.db.query(
          `SELECT x.privilege_type AS privilege, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END AS grantee, x.is_grantable AS grantable
           FROM pg_attribute a, aclexplode(a.attacl) x WHERE a.attrelid = to_regclass(?) AND a.attname = ? AND NOT a.attisdropped ORDER BY 1, 2`,
          [table, column],
        );
      const before = { items: await acl('items', 'qty'), scores: await acl('scores', 'points') };
      expect(before.items).toHaveLength(4);
      const app = await s.db.connection();
      await app.query(`SET ROLE ${role}`);
      const denied = (sql: string) => expect(app.query(sql)).rejects.toThrow(/permission denied/);

      await s.write('0001_grants', { renameColumn: { table: 'items', from: 'qty', to: 'amount' } }, { alterColumn: { table: 'scores', column: 'points', type: 'bigint' } });
      await s.xc.apply();
      // Dual-write: the new version, as the role, reads and writes the new column; the old one its old column.
      await app.query(`UPDATE items SET amount = 70 WHERE id = 7`);
      await app.query(`INSERT INTO items (id, amount) VALUES (11, 110)`);
      await app.query(`UPDATE items SET qty = 80 WHERE id = 8`);
      expect((await app.query(`SELECT id, qty, amount FROM items WHERE id IN (7, 8, 11) ORDER BY id`)) as { rows: unknown[] }).toMatchObject({
        rows: [{ id: 7, qty: 70, amount: 70 }, { id: 8, qty: 80, amount: 80 }, { id: 11, qty: 110, amount: 110 }],
      });
      await app.query(`UPDATE scores SET points = 70 WHERE id = 7`);
      await app.query(`INSERT INTO scores (id, points) VALUES (11, 110)`);
      await denied(`SELECT secret FROM items`);
      await denied(`UPDATE items SET id = 12 WHERE id = 11`);

      await record(s.xc, '0001_grants');
      await s.xc.contract();
      // Contracted: the column under its final name has the old column's grants, exactly.
      expect(await acl('items', 'amount')).toEqual(before.items);
      expect(await acl('scores', 'points')).toEqual(before.scores);
      expect((await app.query(`SELECT id, amount FROM items WHERE id IN (7, 11) ORDER BY id`)) as { rows: unknown[] }).toMatchObject({ rows: [{ id: 7, amount: 70 }, { id: 11, amount: 110 }] });
      expect((await app.query(`SELECT id, points FROM scores WHERE id IN (7, 11) ORDER BY id`)) as { rows: unknown[] }).toMatchObject({ rows: [{ id: 7, points: '70' }, { id: 11, points: '110' }] });
      await app.query(`UPDATE items SET amount = 5 WHERE id = 1`);
      await app.query(`UPDATE scores SET points = 5 WHERE id = 1`);
      await app.query(`INSERT INTO items (id, amount) VALUES (12, 1)`);
      await app.query(`INSERT INTO scores (id, points) VALUES (12, 1)`);
      // With its grant option: the role may pass the privilege on.
      await app.query(`GRANT UPDATE (amount) ON items TO PUBLIC`);
      await app.query(`REVOKE UPDATE (amount) ON items FROM PUBLIC`);
      // Nothing it was not granted.
      await denied(`SELECT secret FROM items`);
      await denied(`SELECT secret FROM scores`);
      await denied(`SELECT * FROM scores`);
      await denied(`UPDATE items SET id = 13 WHERE id = 12`);
      await denied(`DELETE FROM scores WHERE id = 12`);
      await app.query('RESET ROLE');
    });

    it.skipIf(!pg)('column-level grants given or revoked while an in-place change is in flight hold after its contract', async () => {
      const s = await setup(target, [`CREATE TABLE scores (id int PRIMARY KEY, points int, secret text)`, `INSERT INTO scores SELECT g, g, 's' FROM generate_series(1, 10) g`], 'xc_brought');
      const suffix = Math.random().toString(36).slice(2, 10);
      const [early, late] = [`xc_early_${suffix}`, `xc_late_${suffix}`];
      for (const r of [early, late]) {
        await s.db.query(`CREATE ROLE ${r}`);
        onCleanup(async () => {
          await s.db.query(`DROP OWNED BY ${r}`);
          await s.db.query(`DROP ROLE ${r}`);
        });
      }
      await s.db.query(`GRANT SELECT (id, points), UPDATE (points) ON scores TO ${early}`);
      const acl = async () =>
        (await s.db.query<{ p: string }>(
          `SELECT string_agg(x.privilege_type || ' ' || pg_get_userbyid(x.grantee), ', ' ORDER BY x.privilege_type || ' ' || pg_get_userbyid(x.grantee)) AS p
           FROM pg_attribute a, aclexplode(a.attacl) x WHERE a.attrelid = 'scores'::regclass AND a.attname = 'points' AND NOT a.attisdropped`,
        ))[0]!.p;

      await s.write('0001_points', { alterColumn: { table: 'scores', column: 'points', type: 'bigint' } });
      await s.xc.apply();
      // While the change is in flight, the team gives one role the column and takes it from the other.
      await s.db.query(`GRANT SELECT (id, points), UPDATE (points) ON scores TO ${late}`);
      await s.db.query(`REVOKE UPDATE (points) ON scores FROM ${early}`);
      const before = await acl();
      await record(s.xc, '0001_points');
      await s.xc.contract();
      expect(await acl()).toBe(before);
      const app = await s.db.connection();
      await app.query(`SET ROLE ${late}`);
      await app.query(`UPDATE scores SET points = 70 WHERE id = 7`);
      await app.query(`RESET ROLE`);
      await app.query(`SET ROLE ${early}`);
      await expect(app.query(`UPDATE scores SET points = 80 WHERE id = 8`)).rejects.toThrow(/permission denied/);
      expect((await app.query(`SELECT points FROM scores WHERE id IN (7, 8) ORDER BY id`)) as { rows: unknown[] }).toMatchObject({ rows: [{ points: '70' }, { points: '8' }] });
      await app.query('RESET ROLE');
    });

    it.skipIf(pg)('renaming an ON UPDATE CURRENT_TIMESTAMP column: every UPDATE of either version still moves it, and rollback keeps the ON UPDATE', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE items (id int PRIMARY KEY, v int, updated_at timestamp NOT NULL DEFAULT current_timestamp ON UPDATE current_timestamp)`,
          `INSERT INTO items (id, v, updated_at) SELECT seq, 0, '2020-01-01 00:00:00' FROM seq_1_to_20`,
        ],
        'xc_brought',
      );
      const definition = async () => ((await s.db.query<Record<string, string>>(`SHOW CREATE TABLE items`))[0]!['Create Table'] ?? '').split('\n').filter((l) => /updated_at|modified_at/.test(l)).map((l) => l.trim());
      const before = await definition();
      await s.write('0001_rename', { renameColumn: { table: 'items', from: 'updated_at', to: 'modified_at' } });
      // The old version updates back to back while the migration expands and backfills (rows 11-20 only).
      const old = new Writer(await s.db.connection(), (i) => ({ sql: `UPDATE items SET v = v + 1 WHERE id = ?`, params: [11 + (i % 10)] })).start();
      await s.xc.apply();
      await old.stop();
      expect(old.errors).toEqual([]);
      const stale = `SELECT id FROM items WHERE NOT (updated_at <=> modified_at) ORDER BY id`;
      expect(await s.db.query(stale)).toEqual([]);
      // Both versions at once: the old one leaves the column to the server, the new one names it or not.
      const writers = [
        new Writer(await s.db.connection(), (i) => ({ sql: `UPDATE items SET v = v + 1 WHERE id = ?`, params: [11 + (i % 5)] })),
        new Writer(await s.db.connection(), (i) => (i % 2 ? { sql: `UPDATE items SET modified_at = ? WHERE id = ?`, params: [`2023-01-${String(1 + (i % 28)).padStart(2, '0')} 00:00:00`, 16 + (i % 5)] } : { sql: `UPDATE items SET v = v + 1 WHERE id = ?`, params: [16 + (i % 5)] })),
      ].map((w) => w.start());
      await new Promise((r) => setTimeout(r, 400));
      for (const w of writers) await w.stop();
      expect(writers.flatMap((w) => w.errors)).toEqual([]);
      expect(await s.db.query(stale)).toEqual([]);

      await s.db.query(`UPDATE items SET v = 1 WHERE id = 1`); // old version: the server's ON UPDATE moves updated_at
      await s.db.query(`UPDATE items SET modified_at = '2021-05-05 00:00:00' WHERE id = 2`); // new version names its column
      await s.db.query(`UPDATE items SET v = 1 WHERE id = 3`); // new version, the column left to the server
      await s.db.query(`INSERT INTO items (id, v, modified_at) VALUES (100, 0, '2022-01-01 00:00:00')`);
      await s.db.query(`INSERT INTO items (id, v) VALUES (101, 0)`);
      // Once the expand is done the INSERT trigger no longer reads the new column's placeholder as "not given" (the
      // moment before is mysql-dialect.test.ts's): a new version may write that time too.
      await s.db.query(`INSERT INTO items (id, v, modified_at) VALUES (102, 0, '1970-01-02 00:00:00')`);
      expect(await s.db.query(stale)).toEqual([]);
      const at = async (ids: number[]) => (await s.db.query<{ id: number; m: string }>(`SELECT id, DATE_FORMAT(modified_at, '%Y-%m-%d') AS m FROM items WHERE id IN (${ids.join(', ')}) ORDER BY id`)).map((r) => `${r.id}:${r.m}`);
      const today = (await s.db.query<{ d: string }>(`SELECT DATE_FORMAT(now(), '%Y-%m-%d') AS d`))[0]!.d;
      expect(await at([1, 2, 3, 4, 100, 101, 102])).toEqual([`1:${today}`, '2:2021-05-05', `3:${today}`, '4:2020-01-01', '100:2022-01-01', `101:${today}`, '102:1970-01-02']);

      await s.xc.rollback();
      expect(await definition()).toEqual(before);
      await s.db.query(`UPDATE items SET v = 5 WHERE id = 4`);
      expect(await s.db.query(`SELECT DATE_FORMAT(updated_at, '%Y-%m-%d') AS d FROM items WHERE id = 4`)).toEqual([{ d: today }]);

      await s.xc.apply();
      // Another migration's backfill, while the rename is in flight, stamps neither column (xc's UPDATEs keep both).
      await s.write('0002_double', { addColumn: { table: 'items', column: { name: 'doubled', type: 'int' }, up: 'v * 2' } });
      await s.xc.apply();
      expect(await at([6, 7])).toEqual(['6:2020-01-01', '7:2020-01-01']);
      expect(await s.db.query(stale)).toEqual([]);
      await record(s.xc, '0002_double');
      await s.xc.contract();
      expect((await definition()).join('\n')).toMatch(/`modified_at` timestamp NOT NULL DEFAULT current_timestamp\(\) ON UPDATE current_timestamp\(\)/);
      await s.db.query(`UPDATE items SET v = 9 WHERE id = 5`);
      expect(await at([5, 6])).toEqual([`5:${today}`, '6:2020-01-01']);
    });

    it.skipIf(!pg)('an operation on a partition is refused at plan (exit 2), as on its partitioned table, before an apply could fail half-way', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE measurements (id int, at date NOT NULL, v int, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`,
          `CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
          `INSERT INTO measurements VALUES (1, '2024-05-01', 1)`,
        ],
        'xc_brought',
      );
      for (const op of [
        { renameColumn: { table: 'measurements_2024', from: 'v', to: 'value' } },
        { addColumn: { table: 'measurements_2024', column: { name: 'w', type: 'int' } } },
        { alterColumn: { table: 'measurements_2024', column: 'v', type: 'bigint' } },
      ]) {
        await s.write('0001_m', op);
        await refused(s, ['measurements', 'measurements_2024'], /operations\[0\]\.\w+\.table: "measurements_2024" is a partition of "measurements"/);
      }
    });

    it.skipIf(!pg)('a table in an inheritance tree (INHERITS) is refused at plan where xc would sync, backfill or copy, parent and child alike; an index is still added', async () => {
      // pg_partman's inherit mode, and partitioning before PostgreSQL 10: a row trigger on the parent never sees a write made into a child.
      const s = await setup(
        target,
        [
          `CREATE TABLE events (id bigserial PRIMARY KEY, payload text, at timestamptz DEFAULT now())`,
          `CREATE TABLE events_2024 (CHECK (at < '2025-01-01')) INHERITS (events)`,
          `INSERT INTO events (payload) SELECT 'p' || g FROM generate_series(1, 10) g`,
          `INSERT INTO events_2024 (payload, at) SELECT 'c' || g, '2024-05-01' FROM generate_series(1, 10) g`,
        ],
        'xc_brought',
      );
      const tables = ['events', 'events_2024'];
      for (const op of [
        { renameColumn: { table: 'events', from: 'payload', to: 'body' } },
        { alterColumn: { table: 'events', column: 'payload', type: 'varchar(200)' } },
        { addColumn: { table: 'events', column: { name: 'size', type: 'int' }, up: 'length(payload)' } },
        { dropColumn: { table: 'events', column: 'payload', down: "'none'" } },
      ]) {
        await s.write('0001_ev', op);
        // Before: the rename applied; a write into events_2024 was not synced, and the `xc backfill` the verify asked for overwrote the new version's.
        await refused(s, tables, /0001_ev\.json: operations\[0\]\.\w+\.table: "events" has inheritance children \("events_2024", INHERITS\): xc's triggers act on one table's rows, so a write made straight into a child would not be kept in step/);
      }
      await s.write('0001_ev', { renameColumn: { table: 'events_2024', from: 'payload', to: 'body' } });
      await refused(s, tables, /operations\[0\]\.renameColumn\.table: "events_2024" inherits from "events" \(INHERITS\)/);
      // Dropping the parent: its contract's DROP TABLE would fail on the child (it passed plan and stopped there).
      await s.write('0001_ev', { dropTable: { table: 'events' } });
      await refused(s, tables, /operations\[0\]\.dropTable\.table: "events" has inheritance children \("events_2024", INHERITS\), which its drop at contract would fail on/);
      // What neither syncs nor backfills runs as anywhere.
      await s.write('0001_ev', { addIndex: { table: 'events', name: 'events_at_idx', columns: ['at'] } });
      await s.xc.apply();
      expect((await s.db.indexes('events')).map((i) => i.name)).toContain('events_at_idx');
    });

    it.skipIf(!pg)('an inheritance tree takes what the catalog alone changes in place (a comment, a default, NOT NULL); a type or DROP NOT NULL reaching past the table is refused', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE events (id bigserial PRIMARY KEY, kind varchar(10) NOT NULL, payload text, at timestamptz, note varchar(10))`,
          // The child's key over the inherited "kind": a DROP NOT NULL made on the parent fails on it.
          `CREATE TABLE events_2024 (PRIMARY KEY (kind, id)) INHERITS (events)`,
          `INSERT INTO events (kind, payload) SELECT 'p', 'p' || g FROM generate_series(1, 5) g`,
          `INSERT INTO events_2024 (kind, payload) SELECT 'c', 'c' || g FROM generate_series(1, 5) g`,
        ],
        'xc_brought',
      );
      const tables = ['events', 'events_2024'];
      // Before: each was refused as if xc's triggers or backfill ran on the tree.
      await s.write(
        '0001_catalog',
        { alterColumn: { table: 'events', column: 'kind', comment: 'what happened', default: "'none'" } },
        { alterColumn: { table: 'events', column: 'payload', nullable: false } },
        { alterColumn: { table: 'events_2024', column: 'at', comment: 'in 2024' } },
      );
      await toContracted(s, '0001_catalog');
      expect(await s.db.query(`SELECT col_description('events'::regclass, 2) AS k, col_description('events_2024'::regclass, 4) AS a`)).toEqual([{ k: 'what happened', a: 'in 2024' }]);
      await expect(s.db.query(`INSERT INTO events_2024 (kind, payload) VALUES ('c', NULL)`)).rejects.toThrow(/null value in column "payload"/);
      await s.db.query(`INSERT INTO events (payload) VALUES ('x')`);
      expect(await s.db.query(`SELECT kind FROM ONLY events WHERE payload = 'x'`)).toEqual([{ kind: 'none' }]);

      // PostgreSQL makes a type change or DROP NOT NULL of the parent on the children too, whose views and keys xc does not read.
      await s.write('0002_reach', { alterColumn: { table: 'events', column: 'kind', type: 'varchar(20)' } });
      await refused(s, tables, /operations\[0\]\.alterColumn\.table: "events" has inheritance children \("events_2024", INHERITS\), on each of which PostgreSQL makes the type change too/);
      await s.write('0002_reach', { alterColumn: { table: 'events', column: 'kind', nullable: true } });
      await refused(s, tables, /"events" has inheritance children \("events_2024", INHERITS\), on each of which PostgreSQL makes DROP NOT NULL too/);
      // A child's inherited column changes type only with its parent's.
      await s.write('0002_reach', { alterColumn: { table: 'events_2024', column: 'note', type: 'varchar(20)' } });
      await refused(s, tables, /"events_2024"\."note" is inherited from "events" \(INHERITS\), whose definition it shares: the type change is made on "events"/);
    });

    it.skipIf(pg)('a unique key MariaDB would keep as a hidden hash column (TEXT/BLOB whole, or longer than 3072 bytes) is refused at plan, whatever builds it; a varchar one and a plain index over TEXT are built online', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE docs (id int PRIMARY KEY, body text, slug varchar(200), tag varchar(700), code varchar(700), latin varchar(2000) CHARACTER SET latin1)`,
          `INSERT INTO docs VALUES (1, 'a', 'a', 'a', 'a', 'a'), (2, 'b', 'b', 'b', 'b', 'b')`,
          // A long unique key made by a table copy.
          `CREATE TABLE notes (id int PRIMARY KEY, body text, UNIQUE KEY notes_body (body))`,
        ],
        'xc_brought',
      );
      const tables = ['docs', 'notes'];
      const cases: [unknown, RegExp][] = [
        [{ addIndex: { table: 'docs', name: 'docs_body_uq', columns: ['body'], unique: true } }, /addIndex\.unique: unique index "docs_body_uq" of "docs" cannot be built online: "body" is text, which a unique key covers whole only as a hidden hash column \("long unique"\)[^\n]*Make the column a VARCHAR[^\n]*or the index not unique/],
        [{ createConstraint: { table: 'docs', name: 'docs_tc_uq', type: 'unique', columns: ['tag', 'code'] } }, /unique constraint "docs_tc_uq" of "docs" cannot be built online: its key over "tag", "code" may be 5600 bytes long, more than InnoDB's 3072/],
        [{ alterColumn: { table: 'docs', column: 'body', unique: { name: 'docs_body_key' } } }, /unique constraint "docs_body_key" of "docs" cannot be built online: "body" is text/],
        // Campaign AD: not unique, the server refuses it outright ("Specified key was too long"), after the steps before.
        [{ addIndex: { table: 'docs', name: 'docs_tc_idx', columns: ['tag', 'code'] } }, /addIndex\.columns: index "docs_tc_idx" of "docs" cannot be built: its key over "tag", "code" may be 5600 bytes long, more than InnoDB's 3072, which the server refuses/],
        [{ addColumn: { table: 'docs', column: { name: 'blurb', type: 'mediumtext', unique: true } } }, /addColumn\.column\.unique: unique index "docs_blurb_key" of "docs" cannot be built online: "blurb" is mediumtext/],
        // A table that has one takes no online ALTER at all: refused as such (table_long_unique).
        [{ renameColumn: { table: 'notes', from: 'body', to: 'text' } }, /renameColumn\.table: "notes" has the unique key "notes_body", which MariaDB keeps as a hidden hash column/],
        [{ alterColumn: { table: 'notes', column: 'body', type: 'mediumtext' } }, /alterColumn\.table: "notes" has the unique key "notes_body", which MariaDB keeps as a hidden hash column/],
      ];
      for (const [op, message] of cases) {
        await s.write('0001_uq', op);
        // Before: plan passed, and apply failed at the build ("INPLACE ADD or DROP of virtual columns cannot be combined…"), the migration left expanding.
        await refused(s, tables, message);
      }
      // A key that fits (800 bytes; 2000 latin1 characters), and an index over TEXT that is not unique (the server keys a prefix of it).
      await s.write(
        '0001_uq',
        { addIndex: { table: 'docs', name: 'docs_slug_uq', columns: ['slug'], unique: true } },
        { addIndex: { table: 'docs', name: 'docs_latin_uq', columns: ['latin'], unique: true } },
        { addIndex: { table: 'docs', name: 'docs_body_idx', columns: ['body'] } },
      );
      await toContracted(s, '0001_uq');
      expect((await s.db.indexes('docs')).map((i) => [i.name, i.unique]).sort()).toEqual([['docs_body_idx', false], ['docs_latin_uq', true], ['docs_slug_uq', true]]);
      await expect(s.db.query(`INSERT INTO docs (id, slug) VALUES (3, 'a')`)).rejects.toThrow(/Duplicate entry/);
    });

    it.skipIf(pg)('a table whose rows a copy column would take past 8126 bytes, an index over a column longer than COMPACT keys, or a 65th index, is refused at plan, naming it (campaign AI-01: added INSTANT, then every DROP COLUMN failed, stuck; AF-8, AI-03)', async () => {
      const varchars = Array.from({ length: 10 }, (_, i) => `c${i} varchar(255)`).join(', ');
      const chars = Array.from({ length: 31 }, (_, i) => `c${i} char(255)`).join(', ');
      const s = await setup(
        target,
        [
          `CREATE TABLE compact (id int PRIMARY KEY, ${varchars}) ROW_FORMAT=COMPACT DEFAULT CHARSET=utf8mb4`,
          `CREATE TABLE fixed (id int PRIMARY KEY, ${chars}) ROW_FORMAT=DYNAMIC DEFAULT CHARSET=latin1`,
          `CREATE TABLE roomy (id int PRIMARY KEY, ${varchars}) ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4`,
          `CREATE TABLE many (id int PRIMARY KEY, ${Array.from({ length: 64 }, (_, i) => `c${i} int`).join(', ')}, ${Array.from({ length: 63 }, (_, i) => `KEY k${i} (c${i})`).join(', ')})`,
          `INSERT INTO compact (id, c0) VALUES (1, 'a')`,
          `INSERT INTO fixed (id, c0) VALUES (1, 'a')`,
          `INSERT INTO roomy (id, c0) VALUES (1, 'a')`,
        ],
        'xc_brought',
      );
      const tables = ['compact', 'fixed', 'roomy'];
      for (const op of [{ renameColumn: { table: 'compact', from: 'c0', to: 'first' } }, { alterColumn: { table: 'fixed', column: 'c0', to: 'c0_wide', type: 'char(255)' } }]) {
        await s.write('0001_copy', op);
        await refused(s, tables, new RegExp(`operations\\[0\\]\\.(renameColumn|alterColumn)\\.table: what this migration adds to "${op.renameColumn ? 'compact' : 'fixed'}" [^\\n]*past the longest InnoDB keeps: Row size too large`));
      }
      // Each copy fits alone, not both: the second is named.
      await s.write('0001_copy', { addColumn: { table: 'fixed', column: { name: 'note', type: 'char(100)' } } }, { addColumn: { table: 'fixed', column: { name: 'memo', type: 'char(100)' } } });
      await refused(s, tables, /operations\[1\]\.addColumn\.table: what this migration adds to "fixed"/);
      expect((await rejection(s.xc.plan())).message).not.toMatch(/operations\[0\]/);
      // An index over a column longer than COMPACT keys (767 bytes; campaign AF-8).
      await s.write('0001_copy', { addIndex: { table: 'compact', name: 'compact_c0', columns: ['c0'] } });
      await refused(s, tables, /operations\[0\]\.addIndex\.table: what this migration adds to "compact" [^\n]*767 bytes: COMPACT, REDUNDANT\): Index column size too large/);
      // A 65th index (campaign AI-03: the expand failed half-way).
      await s.write('0001_copy', { addIndex: { table: 'many', name: 'many_last', columns: ['c63'] } });
      await refused(s, [...tables, 'many'], /operations\[0\]\.addIndex\.table: what this migration adds to "many" [^\n]*most indexes a table has \(64\)/);
      // Where the long columns live off the row (DYNAMIC), the copy goes through, and its contract.
      await s.write('0001_copy', { renameColumn: { table: 'roomy', from: 'c0', to: 'first' } });
      await toContracted(s, '0001_copy');
      expect(await s.db.query(`SELECT id, first FROM roomy`)).toEqual([{ id: 1, first: 'a' }]);
    });

    it('an index of more columns than the server keys, and (PostgreSQL) a copy column past 1600 columns, dropped ones counted, or past a page of fixed-width values, are refused at plan (campaign AI-03: the expand failed half-way; AI-02: writes failed, after a rollback too)', { timeout: 240_000 }, async () => {
      const cols = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `c${from + i} int`).join(', ');
      const s = await setup(target, [`CREATE TABLE wide (id int PRIMARY KEY, ${cols(40)})`, ...(pg ? [`CREATE TABLE widest (id int PRIMARY KEY, ${cols(1598)})`, `ALTER TABLE widest DROP COLUMN c0`] : [])], 'xc_brought');
      const tables = pg ? ['wide', 'widest'] : ['wide'];
      await s.write('0001_limits', { addIndex: { table: 'wide', name: 'wide_all', columns: Array.from({ length: 33 }, (_, i) => `c${i}`) } });
      await refused(s, tables, /operations\[0\]\.addIndex\.columns: an index has at most 32 columns here, this one 33/);
      if (!pg) return;
      // 1599 columns, one of them dropped: one copy fits (1600), two do not.
      await s.write('0001_limits', { renameColumn: { table: 'widest', from: 'c1', to: 'first' } }, { renameColumn: { table: 'widest', from: 'c2', to: 'second' } });
      await refused(s, tables, /operations\[1\]\.renameColumn\.table: what this migration adds to "widest" \(2 columns[^\n]*past the 1600 columns a PostgreSQL table has: it has 1599, 1 of them dropped ones/);
      expect((await rejection(s.xc.plan())).message).not.toMatch(/operations\[0\]/);
      await s.write('0001_limits', { renameColumn: { table: 'widest', from: 'c1', to: 'first' } });
      await toContracted(s, '0001_limits');
      // Campaign AI-02: rows of 1017 NOT NULL bigints fill a page (8160 bytes); a copy column, even dropped again, adds a null bitmap to every row written.
      const bigints = (n: number) => Array.from({ length: n }, (_, i) => `b${i} bigint NOT NULL DEFAULT ${i}`).join(', ');
      await s.db.query(`CREATE TABLE packed (id bigint PRIMARY KEY, ${bigints(1016)})`);
      await s.db.query(`CREATE TABLE roomy (id bigint PRIMARY KEY, ${bigints(100)})`);
      await s.db.query(`INSERT INTO packed (id) VALUES (1)`);
      await s.db.query(`INSERT INTO roomy (id) VALUES (1)`);
      await s.write('0002_copy', { renameColumn: { table: 'packed', from: 'b1', to: 'first' } });
      await refused(s, ['packed'], /operations\[0\]\.renameColumn\.table: what this migration adds to "packed" \(1 column[^\n]*past the 8160 bytes a PostgreSQL row of fixed-width values has[^\n]*the shortest row would be \d+ bytes, now 8160/);
      await s.db.query(`INSERT INTO packed (id) VALUES (2)`);
      await s.write('0002_copy', { renameColumn: { table: 'roomy', from: 'b1', to: 'first' } });
      await toContracted(s, '0002_copy');
      await s.db.query(`INSERT INTO roomy (id) VALUES (2)`);
      expect(await s.db.count(`SELECT count(*) FROM roomy WHERE first = 1`)).toBe(2);
    });

    it.skipIf(pg)('a key a widening takes past 3072 bytes: the change goes through a shadow, built at expand (campaign AF-6: the contract\'s INSTANT MODIFY failed, stuck); a long key of one column that is not unique is built as the prefix MariaDB makes (AF-7)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE wide (id int PRIMARY KEY, s varchar(700) CHARACTER SET utf8mb4, t varchar(700) CHARACTER SET utf8mb4, label varchar(1000) CHARACTER SET utf8mb4, a varchar(500), b varchar(500), KEY wide_s (s), UNIQUE KEY wide_t (t)) DEFAULT CHARSET=utf8mb4`,
          `INSERT INTO wide (id, s, t, label) VALUES (1, 'one', 'one', 'x'), (2, 'two', 'two', 'y'), (3, NULL, NULL, NULL)`,
        ],
        'xc_brought',
      );
      // Still refused: a unique key, or one of several columns, past the limit.
      await s.write('0001_wide', { alterColumn: { table: 'wide', column: 't', type: 'varchar(1000)' } });
      await refused(s, ['wide'], /unique index "wide_t" over "t" \(of type varchar\(1000\)\)[^\n]*may be 4000 bytes long/);
      await s.write('0001_wide', { addIndex: { table: 'wide', name: 'wide_ab', columns: ['a', 'b'] } });
      await refused(s, ['wide'], /index "wide_ab" of "wide" cannot be built: its key over "a", "b" may be 4000 bytes long/);
      await s.write('0001_wide', { alterColumn: { table: 'wide', column: 's', type: 'varchar(1000)' } }, { addIndex: { table: 'wide', name: 'wide_label', columns: ['label'] } });
      const plan = await s.xc.plan();
      expect(JSON.stringify(plan)).toMatch(/copy of .*wide_s/);
      // The application writes the column throughout, a value of 1000 characters once the new version may.
      const writer = new Writer(await s.db.connection(), (i) => ({ sql: `UPDATE wide SET s = ? WHERE id = ?`, params: [`w${i}`, 1 + (i % 2)] })).start();
      await s.xc.apply();
      await s.db.query(`INSERT INTO wide (id, s) VALUES (4, 'four')`);
      await record(s.xc, '0001_wide');
      await s.xc.contract();
      await writer.stop();
      expect(writer.errors).toEqual([]);
      const last = (id: number) => `w${writer.writes - 1 - ((writer.writes - id) % 2)}`;
      expect(await s.db.query(`SELECT id, s FROM wide ORDER BY id`)).toEqual([{ id: 1, s: last(1) }, { id: 2, s: last(2) }, { id: 3, s: null }, { id: 4, s: 'four' }]);
      expect((await s.db.columns('wide')).find((c) => c.name === 's')?.type).toBe('varchar');
      const [{ def }] = await s.db.query<{ def: string }>(`SELECT CHARACTER_MAXIMUM_LENGTH AS def FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wide' AND COLUMN_NAME = 's'`);
      expect(Number(def)).toBe(1000);
      expect((await s.db.indexes('wide')).map((i) => [i.name, i.columns.join()]).sort()).toEqual([['wide_label', 'label'], ['wide_s', 's'], ['wide_t', 't']]);
      await s.db.query(`INSERT INTO wide (id, s) VALUES (5, ${"'" + 'z'.repeat(1000) + "'"})`);
      expect(await s.db.count(`SELECT count(*) FROM wide WHERE s = ?`, ['z'.repeat(1000)])).toBe(1);
    });

    it.skipIf(pg)('a table of another engine than InnoDB (MyISAM, Aria) is refused at plan naming the engine, before the first online step could fail; dropTable takes it', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE legacy (id int PRIMARY KEY AUTO_INCREMENT, qty int) ENGINE=MyISAM`,
          `CREATE TABLE logs (id int PRIMARY KEY, line varchar(40)) ENGINE=Aria`,
          `INSERT INTO legacy (qty) VALUES (1), (2), (3)`,
        ],
        'xc_brought',
      );
      for (const op of [
        { alterColumn: { table: 'legacy', column: 'qty', type: 'bigint' } },
        { addColumn: { table: 'legacy', column: { name: 'note', type: 'varchar(20)' } } },
        { addIndex: { table: 'legacy', name: 'legacy_qty_idx', columns: ['qty'] } },
      ]) {
        await s.write('0001_legacy', op);
        // Before: plan passed, and apply stopped at its first ALTER ("ALGORITHM=INPLACE is not supported").
        await refused(s, ['legacy'], /0001_legacy\.json: operations\[0\]\.\w+\.table: "legacy" uses the MyISAM storage engine, not InnoDB: xc needs transactions .* and online DDL/);
      }
      await s.write('0001_legacy', { renameColumn: { table: 'logs', from: 'line', to: 'text' } });
      await refused(s, ['logs'], /operations\[0\]\.renameColumn\.table: "logs" uses the Aria storage engine, not InnoDB/);
      await s.write('0001_legacy', { dropTable: { table: 'legacy' } });
      await toContracted(s, '0001_legacy');
      expect(await s.db.count(`SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'legacy'`)).toBe(0);
    });

    it.skipIf(pg)('a system-versioned table is refused at plan as such, not as a table that does not exist', async () => {
      const s = await setup(target, [`CREATE TABLE acct (id int PRIMARY KEY, bal int, name varchar(20)) WITH SYSTEM VERSIONING`, `INSERT INTO acct VALUES (1, 1, 'n'), (2, 2, 'n')`], 'xc_brought');
      for (const op of [
        { alterColumn: { table: 'acct', column: 'bal', type: 'bigint' } },
        { addIndex: { table: 'acct', name: 'acct_name_idx', columns: ['name'] } },
        { dropTable: { table: 'acct' } },
      ]) {
        await s.write('0001_acct', op);
        await refused(s, ['acct'], /0001_acct\.json: operations\[0\]\.\w+\.table: "acct" is a system-versioned table \(WITH SYSTEM VERSIONING\), which xc does not support: the backfill would write a history row/);
      }
    });

    it.skipIf(pg)('a table with a long unique key (a hidden hash column) is refused at plan: MariaDB takes no online ALTER of it; dropping it is taken', async () => {
      const s = await setup(target, [`CREATE TABLE notes (id int PRIMARY KEY, body text, n int, UNIQUE KEY notes_body (body))`, `INSERT INTO notes VALUES (1, 'a', 1)`], 'xc_brought');
      for (const op of [
        { addColumn: { table: 'notes', column: { name: 'tag', type: 'varchar(20)' } } },
        { renameColumn: { table: 'notes', from: 'n', to: 'num' } },
        { addIndex: { table: 'notes', name: 'notes_n_idx', columns: ['n'] } },
        { dropColumn: { table: 'notes', column: 'n' } },
      ]) {
        await s.write('0001_notes', op);
        await refused(s, ['notes'], /operations\[0\]\.\w+\.table: "notes" has the unique key "notes_body", which MariaDB keeps as a hidden hash column .* refuses every online ALTER/);
      }
      // What runs no such ALTER on it is taken: a foreign key to it from another table, the drop of an index (the long
      // key's own, the way out of one), a rename.
      await s.db.query(`CREATE TABLE refs (id int PRIMARY KEY, note int)`);
      await s.db.query(`CREATE TABLE refs3 (id int PRIMARY KEY, note int)`);
      await s.write(
        '0001_notes',
        { addForeignKey: { table: 'refs', name: 'refs_note', columns: ['note'], references: { table: 'notes', columns: ['id'] } } },
        { createConstraint: { table: 'refs3', name: 'refs3_note', type: 'foreign_key', columns: ['note'], references: { table: 'notes', columns: ['id'] } } },
        { createTable: { table: 'refs2', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'note', type: 'int', references: { name: 'refs2_note', table: 'notes', column: 'id' } }] } },
      );
      await toContracted(s, '0001_notes');
      await s.write('0002_ren', { renameTable: { from: 'notes', to: 'memos' } });
      await toContracted(s, '0002_ren');
      await s.write('0003_key', { dropIndex: { table: 'memos', name: 'notes_body' } });
      await toContracted(s, '0003_key');
      expect((await s.db.indexes('memos')).map((i) => i.name)).toEqual([]);
      await s.db.query(`DROP TABLE refs, refs2, refs3`);
      await s.write('0004_drop', { dropTable: { table: 'memos' } });
      await toContracted(s, '0004_drop');
      expect(await s.db.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('notes', 'memos')`)).toEqual([]);
    });

    it('a unique index over rows that share a key is refused at plan (exit 2) naming them; rows outside a partial index do not count', async () => {
      // MariaDB's default collation is case-insensitive: these two emails are one key there, two on PostgreSQL.
      const s = await setup(
        target,
        [`CREATE TABLE users (id int PRIMARY KEY, email varchar(80), active int)`, `INSERT INTO users VALUES (1, 'a@x.com', 1), (2, 'b@x.com', 0), (3, 'b@x.com', 0), (4, 'Foo@x.com', 1), (5, 'foo@X.COM', 1), (6, NULL, 1), (7, NULL, 1)`],
        'xc_brought',
      );
      await s.write('0001_uq', { addIndex: { table: 'users', name: 'users_email_uq', columns: ['email'], unique: true } });
      await refused(s, ['users'], /operations\[0\]\.addIndex\.columns: existing rows of "users" share their values of "email"[\s\S]*id="2"/);
      if (pg) {
        // Duplicates only among inactive rows (and NULLs): the partial index takes them.
        await s.write('0001_uq', { addIndex: { table: 'users', name: 'users_email_uq', columns: ['email'], unique: true, where: 'active = 1' } });
        await s.xc.apply();
        expect(await s.db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_uq'`)).toEqual([{ indexdef: expect.stringMatching(/UNIQUE INDEX users_email_uq ON public.users USING btree \(email\) WHERE \(active = 1\)/) }]);
        await s.write('0002_lower', { addIndex: { table: 'users', name: 'users_lower_uq', columns: [{ expression: 'lower(email)' }], unique: true, where: 'active = 1' } });
        await refused(s, ['users'], /operations\[0\]\.addIndex\.columns: existing rows of "users" share their values of lower\(email\)[\s\S]*id="4" email="Foo@x.com"/);
      } else {
        await s.db.query(`DELETE FROM users WHERE id IN (3, 5)`);
        await s.xc.apply();
        expect((await s.db.indexes('users')).map((i) => i.name)).toContain('users_email_uq');
      }
    });

    it.skipIf(!pg)('timestamp → timestamptz in place while the application writes in another TimeZone: converted as xc converts, and contract passes', async () => {
      const s = await setup(
        target,
        [`CREATE TABLE events (id int PRIMARY KEY, n int, happened_at timestamp NOT NULL DEFAULT now())`, `INSERT INTO events SELECT g, g, timestamp '2024-01-01 10:00' FROM generate_series(1, 30) g`],
        'xc_brought',
      );
      const [{ tz }] = await s.db.query<{ tz: string }>(`SELECT current_setting('TimeZone') AS tz`);
      const elsewhere = tz === 'Asia/Tokyo' ? 'America/Lima' : 'Asia/Tokyo';
      await s.write('0001_tz', { alterColumn: { table: 'events', column: 'happened_at', type: 'timestamptz' } });
      const plan = JSON.stringify(await s.xc.plan());
      expect(plan).toMatch(/SET TimeZone FROM CURRENT SET DateStyle FROM CURRENT SET IntervalStyle FROM CURRENT/);
      await s.xc.apply();
      // The application's pool runs in another TimeZone (PGTZ, SET TIME ZONE): both versions write.
      const app = await s.db.connection();
      await app.query(`SET TimeZone = '${elsewhere}'`);
      const writer = new Writer(app, (i) =>
        i % 2 ? { sql: `UPDATE events SET happened_at = ? WHERE id = ?`, params: ['2024-06-02 12:00', 1 + (i % 30)] } : { sql: `INSERT INTO events (id, n, happened_at) VALUES (?, 0, '2024-06-02 12:00')`, params: [1000 + i] },
      ).start();
      await new Promise((r) => setTimeout(r, 300));
      await writer.stop();
      expect(writer.errors).toEqual([]);
      await record(s.xc, '0001_tz');
      await s.xc.contract();
      // Every value written is that wall-clock time in xc's (the database's) TimeZone, as the backfill converted the rest.
      const rows = await s.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE happened_at NOT IN (timestamp '2024-01-01 10:00' AT TIME ZONE '${tz}', timestamp '2024-06-02 12:00' AT TIME ZONE '${tz}')`);
      expect(rows).toEqual([{ n: 0 }]);
      expect(await s.db.count(`SELECT count(*) FROM events`)).toBe(30 + Math.ceil(writer.writes / 2));

      // A change that converts no date or time pays for no settings.
      await s.write('0002_n', { alterColumn: { table: 'events', column: 'n', type: 'bigint' } });
      expect(JSON.stringify(await s.xc.plan())).not.toMatch(/SET TimeZone/);
    });

    it.skipIf(!pg)("up/down naming the schema's own type and function: a writer whose search_path is empty writes as any other (the trigger runs under xc's)", async () => {
      const s = await setup(
        target,
        [
          `CREATE TYPE mood AS ENUM ('sad', 'ok')`,
          `CREATE FUNCTION norm(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1) $$`,
          `CREATE TABLE t (id int PRIMARY KEY, m mood, s text)`,
          `INSERT INTO t VALUES (1, 'ok', 'A')`,
        ],
        'xc_brought',
      );
      const [{ schema }] = await s.db.query<{ schema: string }>(`SELECT current_schema() AS schema`);
      await s.write('0001_mood', { alterColumn: { table: 't', column: 'm', to: 'm2', type: 'text', up: 'CAST(m AS text)', down: 'CAST(m2 AS mood)' } });
      await s.write('0002_norm', { addColumn: { table: 't', column: { name: 'sn', type: 'text' }, up: 'norm(s)' } });
      await s.xc.apply();
      // The application qualifies its tables and runs with an empty search_path (a common hardening), both versions.
      const app = await s.db.connection();
      await app.query(`SET search_path = ''`);
      const t = `"${schema}".t`;
      await app.query(`INSERT INTO ${t} (id, m2, s, sn) VALUES (2, 'sad', 'B', 'b')`);
      await app.query(`INSERT INTO ${t} (id, m, s) VALUES (3, 'sad', 'C')`);
      await app.query(`UPDATE ${t} SET s = 'Y' WHERE id = 1`); // sn follows s (recomputed)
      await app.query(`UPDATE ${t} SET m2 = 'ok', s = 'Q' WHERE id = 3`);
      const rows = await s.db.query(`SELECT id, m::text AS m, m2, s, sn FROM t ORDER BY id`);
      expect(rows).toEqual([
        { id: 1, m: 'ok', m2: 'ok', s: 'Y', sn: 'y' },
        { id: 2, m: 'sad', m2: 'sad', s: 'B', sn: 'b' },
        { id: 3, m: 'ok', m2: 'ok', s: 'Q', sn: 'q' },
      ]);
      await record(s.xc, '0002_norm');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, m2, s, sn FROM t ORDER BY id`)).toEqual([
        { id: 1, m2: 'ok', s: 'Y', sn: 'y' },
        { id: 2, m2: 'sad', s: 'B', sn: 'b' },
        { id: 3, m2: 'ok', s: 'Q', sn: 'q' },
      ]);
      // A trigger made of column copies and built-in casts pays for no search_path.
      await s.write('0003_n', { renameColumn: { table: 't', from: 's', to: 's2' } }, { alterColumn: { table: 't', column: 'id', type: 'bigint' } });
      expect(JSON.stringify(await s.xc.plan())).not.toMatch(/SET search_path/);
    });

    it.skipIf(!pg)('a copy of a column with a constant default, its type changed: the carried default `CAST((0) AS integer)` pins no search_path (campaign N1)', async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, amount int NOT NULL DEFAULT 0, note varchar(20) DEFAULT 'none')`, `INSERT INTO orders VALUES (1, 5, 'a')`], 'xc_brought');
      await s.write('0001_cents', { alterColumn: { table: 'orders', column: 'amount', to: 'amount_cents', type: 'bigint', up: 'amount', down: 'CAST(amount_cents AS integer)' } }, { renameColumn: { table: 'orders', from: 'note', to: 'memo' } });
      expect(JSON.stringify(await s.xc.plan())).not.toMatch(/SET search_path/);
      await toContracted(s, '0001_cents');
      expect(await s.db.query(`SELECT id, amount_cents, memo FROM orders`)).toEqual([{ id: 1, amount_cents: '5', memo: 'a' }]);
    });

    it('INSERT … SELECT during an in-place int → bigint of a NOT NULL column: the hidden shadow never makes it fail (MariaDB 1364)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, qty int NOT NULL DEFAULT 5, note varchar(10))`, `INSERT INTO t VALUES (1, 1, 'a')`], 'xc_brought');
      await s.write('0001_qty', { alterColumn: { table: 't', column: 'qty', type: 'bigint' } });
      await s.xc.apply();
      // Both versions name the same columns (an in-place change): copies of a row, a constant, and one omitting qty.
      await s.db.query(`INSERT INTO t (id, qty, note) SELECT 2, qty, 'copy' FROM t WHERE id = 1`);
      await s.db.query(`INSERT INTO t (id, qty, note) SELECT 3, 7, 'const'`);
      await s.db.query(`INSERT INTO t (id, note) SELECT 4, 'omits'`);
      await s.db.query(`INSERT INTO t (id, qty, note) VALUES (5, 9, 'values')`);
      await s.db.query(`UPDATE t SET qty = 11 WHERE id = 3`);
      await record(s.xc, '0001_qty');
      await s.xc.contract();
      const rows = await s.db.query<{ id: number; qty: unknown; note: string }>(`SELECT id, qty, note FROM t ORDER BY id`);
      expect(rows.map((r) => [Number(r.id), Number(r.qty), r.note])).toEqual([
        [1, 1, 'a'],
        [2, 1, 'copy'],
        [3, 11, 'const'],
        [4, 5, 'omits'],
        [5, 9, 'values'],
      ]);
      expect((await s.db.columns('t')).find((c) => c.name === 'qty')?.type).toMatch(/^bigint/);
      await s.db.query(`INSERT INTO t (id, note) SELECT 6, 'after'`);
      expect(Number((await s.db.query<{ qty: unknown }>(`SELECT qty FROM t WHERE id = 6`))[0]!.qty)).toBe(5);
    });

    it('rolling back a rename of a NOT NULL column whose expand gave up on the lock at its first step: nothing was added, the rollback ends (MariaDB stuck on SET DEFAULT of a missing column)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20) NOT NULL)`, `INSERT INTO users VALUES (1, 'a')`], 'xc_brought');
      await s.write('0001_ren', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
      // An application transaction holds the table (its metadata lock, or an ACCESS SHARE lock) through every retry.
      const app = await s.db.connection();
      await app.query(pg ? `BEGIN` : `START TRANSACTION`);
      await app.query(`SELECT * FROM users`);
      const xc = createXc({ url: s.db.url, dir: s.dir, lockTimeoutMs: 200, lockRetryForMs: 600 });
      onCleanup(() => xc.close());
      expect((await rejection(xc.apply())).exitCode).toBe(5);
      await app.query(`COMMIT`);
      await xc.rollback();
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect((await s.db.columns('users')).map((c) => [c.name, c.default ?? null])).toEqual([
        ['id', null],
        ['name', null],
      ]);
      expect(await s.db.triggers()).toEqual([]);
      // Applied again, it says where it came from (campaign BT: "pending → backfilled" read as a first apply).
      // And warns: a gate's `check --apply` re-applying one someone undone on purpose (campaign ET).
      const again = await xc.apply();
      expect(again.migrations.map((m) => [(m as { from?: string }).from, m.phase])).toEqual([['rolled_back', 'backfilled']]);
      expect((again as { warnings?: string[] }).warnings).toEqual([expect.stringMatching(/^0001_ren was rolled back; applied again, its file being in .*: to keep it undone, take the file out of the build$/)]);
    });

    it.skipIf(!pg)('text[] → jsonb with up to_jsonb(tags) (STABLE built-in JSON builders are taken; a STABLE function of the user is not)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE users (id int PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}')`,
          `INSERT INTO users SELECT g, CASE WHEN g % 3 = 0 THEN '{x,y}'::text[] ELSE '{}'::text[] END FROM generate_series(1, 30) g`,
          `CREATE FUNCTION tags_json(text[]) RETURNS jsonb LANGUAGE sql STABLE AS $$ SELECT to_jsonb($1) $$`,
        ],
        'xc_brought',
      );
      await s.write('0001_tags', { alterColumn: { table: 'users', column: 'tags', type: 'jsonb', up: 'tags_json(tags)', default: "'[]'::jsonb" } });
      await refused(s, ['users'], /calls tags_json, whose value changes from call to call/);
      await s.write('0001_tags', { alterColumn: { table: 'users', column: 'tags', type: 'jsonb', up: 'to_jsonb(tags)', default: "'[]'::jsonb" } });
      await s.xc.apply();
      // The old version keeps writing arrays meanwhile.
      await s.db.query(`UPDATE users SET tags = '{a,"b c"}' WHERE id = 1`);
      await s.db.query(`INSERT INTO users (id, tags) VALUES (100, '{z}'), (101, DEFAULT)`);
      await record(s.xc, '0001_tags');
      await s.xc.contract();
      const rows = await s.db.query<{ id: number; tags: unknown }>(`SELECT id, tags FROM users WHERE id IN (1, 3, 4, 100, 101) ORDER BY id`);
      expect(rows).toEqual([
        { id: 1, tags: ['a', 'b c'] },
        { id: 3, tags: ['x', 'y'] },
        { id: 4, tags: [] },
        { id: 100, tags: ['z'] },
        { id: 101, tags: [] },
      ]);
      await s.db.query(`INSERT INTO users (id) VALUES (102)`);
      expect(await s.db.query(`SELECT tags FROM users WHERE id = 102`)).toEqual([{ tags: [] }]);
    });

    it.skipIf(!pg)('up with concat() (STABLE only for its arguments\' text, as the JSON builders): taken, a writer in another TimeZone agrees with the verify (campaign CW)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE events (id int PRIMARY KEY, code int NOT NULL, seen timestamptz NOT NULL)`,
          `INSERT INTO events SELECT g, g * 7, timestamptz '2026-01-01 10:00:00+00' + g * interval '1 hour' FROM generate_series(1, 30) g`,
        ],
        'xc_brought',
      );
      await s.write(
        '0001_code',
        { alterColumn: { table: 'events', column: 'code', type: 'text', up: "concat('C-', code)", down: 'CAST(substr(code, 3) AS int)' } },
        { alterColumn: { table: 'events', column: 'seen', type: 'text', up: "concat(seen, '')", down: 'CAST(seen AS timestamptz)' } },
      );
      await s.xc.apply();
      // The old version writes from a session in another zone: the trigger converts under xc's settings, as the verify.
      const app = await s.db.connection();
      await app.query(`SET TimeZone = 'Asia/Tokyo'`);
      await app.query(`UPDATE events SET code = 1000, seen = timestamptz '2026-06-01 00:00:00+00' WHERE id = 1`);
      await app.query(`INSERT INTO events VALUES (100, 5, timestamptz '2026-07-01 12:00:00+00')`);
      await record(s.xc, '0001_code');
      await s.xc.contract();
      const rows = await s.db.query<{ id: number; code: string; at: string }>(
        `SELECT id, code, to_char(CAST(seen AS timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS at FROM events WHERE id IN (1, 2, 100) ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: 1, code: 'C-1000', at: '2026-06-01 00' },
        { id: 2, code: 'C-14', at: '2026-01-01 12' },
        { id: 100, code: 'C-5', at: '2026-07-01 12' },
      ]);
      // Every text in the zone xc converted under, none in the writer's.
      expect(await s.db.query(`SELECT count(*)::int AS n FROM events WHERE seen LIKE '%+09'`)).toEqual([{ n: 0 }]);
    });

    it.skipIf(!pg)('up making a date, interval, float and bytea inside concat(): the trigger converts under xc\'s settings, not an old writer\'s DateStyle, IntervalStyle, extra_float_digits, bytea_output (campaign DC: 12,312 rows their own way, contracted)', async () => {
      const up = "concat(tag, '/', sqrt(id), '/', make_date(2020, 1, 2), '/', make_interval(secs => id), '/', sha256(tag::bytea))";
      const s = await setup(target, [`CREATE TABLE t2 (id bigint PRIMARY KEY, tag text NOT NULL)`, `INSERT INTO t2 SELECT g, 'T' || g FROM generate_series(1, 50) g`], 'xc_brought');
      await s.write('0001_tag', { alterColumn: { table: 't2', column: 'tag', to: 'tag2', type: 'text', up, down: "split_part(tag2, '/', 1)" } });
      await s.xc.apply();
      const app = await s.db.connection();
      for (const set of [`SET DateStyle = 'SQL, DMY'`, `SET IntervalStyle = 'postgres_verbose'`, `SET extra_float_digits = 0`, `SET bytea_output = 'escape'`]) await app.query(set);
      await app.query(`INSERT INTO t2 (id, tag) VALUES (1000, 'old-writer')`);
      await app.query(`UPDATE t2 SET tag = 'T7-moved' WHERE id = 7`);
      await record(s.xc, '0001_tag');
      await s.xc.contract();
      // Each row as the backfill computes it, in a session of the server's settings (xc's).
      const upOverTag2 = up.replace(/\btag\b(?!2)/g, "split_part(tag2, '/', 1)");
      expect(await s.db.query(`SELECT id FROM t2 WHERE tag2 IS DISTINCT FROM ${upOverTag2} ORDER BY id`)).toEqual([]);
      expect(await s.db.count(`SELECT count(*) FROM t2 WHERE tag2 LIKE 'old-writer/%' OR tag2 LIKE 'T7-moved/%'`)).toBe(2);
    });

    it.skipIf(!pg)('up making a float by an operator (`|/ n`) or reading another table\'s timestamptz through a subquery: converted under xc\'s settings (campaign DJ: 771 rows kept the old writer\'s extra_float_digits and TimeZone)', async () => {
      const s = await setup(target, [`CREATE TABLE ev (id bigint PRIMARY KEY, at timestamptz NOT NULL)`, `INSERT INTO ev SELECT g, timestamptz '2026-06-01 06:00:00+00' + g * interval '1 hour' FROM generate_series(1, 5) g`, `CREATE TABLE h (id bigint PRIMARY KEY, n int NOT NULL, ev_id bigint NOT NULL, tag text NOT NULL)`, `INSERT INTO h SELECT g, g * 7, 1 + g % 5, 'T' || g FROM generate_series(1, 20) g`], 'xc_brought');
      const up = "tag || '/' || (|/ n) || '/' || (SELECT e.at FROM ev e WHERE e.id = h.ev_id)";
      await s.write('0001_tag', { alterColumn: { table: 'h', column: 'tag', to: 'tag2', type: 'text', up, down: "split_part(tag2, '/', 1)" } });
      await s.xc.apply();
      const app = await s.db.connection();
      for (const set of [`SET extra_float_digits = 0`, `SET DateStyle = 'SQL, DMY'`, `SET TimeZone = 'Asia/Tokyo'`]) await app.query(set);
      await app.query(`INSERT INTO h VALUES (1001, 22, 3, 'w1')`);
      await app.query(`UPDATE h SET tag = 'moved', n = 13 WHERE id = 7`);
      await record(s.xc, '0001_tag');
      await s.xc.contract();
      // Each row as the backfill computes it, in a session of the server's settings (xc's).
      const upOverTag2 = up.replace(/\btag\b(?!2)/, "split_part(tag2, '/', 1)");
      expect(await s.db.query(`SELECT id FROM h WHERE tag2 IS DISTINCT FROM ${upOverTag2} ORDER BY id`)).toEqual([]);
      expect(await s.db.count(`SELECT count(*) FROM h WHERE tag2 LIKE 'w1/%' OR tag2 LIKE 'moved/%'`)).toBe(2);
    });

    it.skipIf(!pg)('up casting to a domain over float8 or making a date range: converted under xc\'s settings (campaign DM: 41 values kept the old writer\'s extra_float_digits and DateStyle)', async () => {
      const s = await setup(target, [`CREATE DOMAIN dm_flt AS float8`, `CREATE TABLE dt (id int PRIMARY KEY, n int)`, `INSERT INTO dt SELECT g, g FROM generate_series(1, 20) g`], 'xc_brought');
      const c = '((n / 3.0)::dm_flt)::text';
      const d = "CASE WHEN n > 0 THEN ('[2020-01-01,2020-01-05)'::daterange)::text END";
      await s.write('0001_cd', { addColumn: { table: 'dt', column: { name: 'c', type: 'text' }, up: c } }, { addColumn: { table: 'dt', column: { name: 'd', type: 'text' }, up: d } });
      await s.xc.apply({ to: 'expand' });
      const app = await s.db.connection();
      for (const set of [`SET extra_float_digits = 0`, `SET DateStyle = 'SQL, DMY'`]) await app.query(set);
      await app.query(`INSERT INTO dt (id, n) SELECT g, g FROM generate_series(21, 40) g`);
      await app.query(`UPDATE dt SET n = n + 1 WHERE id <= 5`);
      await s.xc.apply();
      await record(s.xc, '0001_cd');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id FROM dt WHERE c IS DISTINCT FROM ${c} OR d IS DISTINCT FROM ${d} ORDER BY id`)).toEqual([]);
    });

    it.skipIf(!pg)('up reading the row whole (`name || \'|\' || t6`): the trigger converts under xc\'s settings, the row\'s float and timestamptz as the backfill writes them (campaign DG: an old writer\'s DateStyle and extra_float_digits kept)', async () => {
      const s = await setup(target, [`CREATE TABLE t6 (id bigint PRIMARY KEY, name text NOT NULL, price float8, at timestamptz)`, `INSERT INTO t6 SELECT g, 'n' || g, g / 3.0, timestamptz '2026-01-02 03:04:05+00' FROM generate_series(1, 20) g`], 'xc_brought');
      await s.write('0001_label', { alterColumn: { table: 't6', column: 'name', to: 'label', type: 'text', up: "name || '|' || t6", down: "split_part(label, '|', 1)" } });
      await s.xc.apply();
      const app = await s.db.connection();
      for (const set of [`SET extra_float_digits = 0`, `SET DateStyle = 'SQL, DMY'`, `SET TimeZone = 'Asia/Tokyo'`]) await app.query(set);
      await app.query(`INSERT INTO t6 VALUES (1001, 'w1', 1 / 3.0, timestamptz '2026-01-02 03:04:05+00')`);
      await record(s.xc, '0001_label');
      await s.xc.contract();
      // As the backfill computes it in xc's session (the server's settings); the row's last field, the new column, NULL then.
      const expected = await s.db.query<{ label: string }>(`SELECT 'w1|(1001,w1,' || (1 / 3.0)::float8::text || ',"' || timestamptz '2026-01-02 03:04:05+00' || '",)' AS label`);
      expect(await s.db.query(`SELECT label FROM t6 WHERE id = 1001`)).toEqual(expected);
    });

    it.skipIf(!pg)('addColumn whose up reads the row whole (`(wr).b || \'-\'`): an old writer\'s update of any column computes it again, as `b || \'-\'` does (campaign DI: the first fill kept for good)', async () => {
      const s = await setup(target, [`CREATE TABLE wr (id int PRIMARY KEY, b text)`, `INSERT INTO wr VALUES (1, 'x'), (2, 'x')`], 'xc_brought');
      await s.write('0001_s', { addColumn: { table: 'wr', column: { name: 's', type: 'text' }, up: "(wr).b || '-'" } });
      await s.xc.apply();
      await s.db.query(`UPDATE wr SET b = 'z' WHERE id = 1`);
      await s.db.query(`UPDATE wr SET b = 'q' WHERE id = 1`);
      await s.db.query(`UPDATE wr SET s = 'mine' WHERE id = 2`); // the new version's own value stays
      expect(await s.db.query(`SELECT id, b, s FROM wr ORDER BY id`)).toEqual([{ id: 1, b: 'q', s: 'q-' }, { id: 2, b: 'x', s: 'mine' }]);
      await record(s.xc, '0001_s');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, b, s FROM wr ORDER BY id`)).toEqual([{ id: 1, b: 'q', s: 'q-' }, { id: 2, b: 'x', s: 'mine' }]);
    });

    it.skipIf(!pg)('addColumn whose up reads the row whole, the new column included (`row_to_json(wr)::text`): computed again with the column NULL, as the backfill computes it (campaign DJ: each value nested the one before)', async () => {
      const s = await setup(target, [`CREATE TABLE wr (id int PRIMARY KEY, b text)`, `INSERT INTO wr VALUES (1, 'x'), (2, 'y')`], 'xc_brought');
      await s.write('0001_s', { addColumn: { table: 'wr', column: { name: 's', type: 'text' }, up: 'row_to_json(wr)::text' } });
      // Said at plan: the row read whole is the table as it is then (a later column, a shadow in flight: campaign DJ).
      const notes = ((await s.xc.plan()) as { migrations: { notes?: string[] }[] }).migrations[0]!.notes ?? [];
      expect(notes).toContainEqual(expect.stringMatching(/`up` reads the row of "wr" whole: .* the shadow column \(xc_shadow…\) of an in-place change in flight/));
      expect(notes).toContainEqual(expect.stringMatching(/an UPDATE that changes any column and leaves "s" as it was/));
      await s.xc.apply();
      await s.db.query(`UPDATE wr SET b = 'z' WHERE id = 1`);
      await s.db.query(`UPDATE wr SET b = 'q' WHERE id = 1`);
      await s.db.query(`INSERT INTO wr (id, b) VALUES (3, 'w')`);
      await record(s.xc, '0001_s');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, s FROM wr ORDER BY id`)).toEqual([
        { id: 1, s: '{"id":1,"b":"q","s":null}' },
        { id: 2, s: '{"id":2,"b":"y","s":null}' },
        { id: 3, s: '{"id":3,"b":"w","s":null}' },
      ]);
    });

    it.skipIf(!pg)('a text column with a default made an enum in place (Prisma: String to an enum): the default reads as Prisma writes it, \'DRAFT\'::"PostStatus" (campaign CR: \'DRAFT\'::text::"PostStatus", drift to prisma migrate diff)', async () => {
      const s = await setup(
        target,
        [`CREATE TYPE "PostStatus" AS ENUM ('DRAFT', 'PUBLISHED')`, `CREATE TABLE "Post" (id int PRIMARY KEY, status text NOT NULL DEFAULT 'DRAFT')`, `INSERT INTO "Post" VALUES (1, 'PUBLISHED'), (2, 'DRAFT')`],
        'xc_brought',
      );
      await s.write('0001_status', { alterColumn: { table: 'Post', column: 'status', type: '"PostStatus"', up: 'CAST(status AS "PostStatus")', down: 'CAST(status AS text)' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO "Post" (id) VALUES (3)`);
      await record(s.xc, '0001_status');
      await s.xc.contract();
      expect(await s.db.query(`SELECT pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = '"Post"'::regclass AND a.attname = 'status'`)).toEqual([{ def: `'DRAFT'::"PostStatus"` }]);
      await s.db.query(`INSERT INTO "Post" (id) VALUES (4)`);
      expect(await s.db.query(`SELECT id, status::text AS status FROM "Post" ORDER BY id`)).toEqual([
        { id: 1, status: 'PUBLISHED' },
        { id: 2, status: 'DRAFT' },
        { id: 3, status: 'DRAFT' },
        { id: 4, status: 'DRAFT' },
      ]);
    });

    it.skipIf(pg)('an in-place cut-over whose ALTER fails as a whole (a virtual column added after expand) removed nothing: the contract can be rolled back', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int, b int)`, `INSERT INTO t VALUES (1, 1, 2), (2, 2, 3)`], 'xc_brought');
      await s.write('0001_a', { alterColumn: { table: 't', column: 'a', type: 'bigint', nullable: false, up: 'COALESCE(a, 0)', down: 'a' } });
      await s.xc.apply();
      await s.db.query(`ALTER TABLE t ADD COLUMN a2 int AS (a * 2) VIRTUAL`);
      await record(s.xc, '0001_a');
      expect((await rejection(s.xc.contract())).exitCode).toBe(1);
      // The old column and its sync triggers are there: old writes keep converting.
      await s.db.query(`INSERT INTO t (id, a, b) VALUES (3, 7, 0)`);
      await retireLive(s.xc);
      await s.xc.rollback();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'a', 'b', 'a2']);
      expect(await s.db.query(`SELECT id, a, a2 FROM t ORDER BY id`)).toEqual([
        { id: 1, a: 1, a2: 2 },
        { id: 2, a: 2, a2: 4 },
        { id: 3, a: 7, a2: 14 },
      ]);
      expect(await s.db.triggers()).toEqual([]);
    });

    it('the rollback gate waits only where the rollback takes something the new version uses: an in-place change and a check roll back under it; a unique index does not', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int, name varchar(20))`, `INSERT INTO t VALUES (1, 1, 'a'), (2, 2, 'b')`], 'xc_brought');
      await s.write('0001_spared', { alterColumn: { table: 't', column: 'n', type: 'bigint' } }, { addCheck: { table: 't', name: 't_name_set', expression: "name <> ''" } }, { addIndex: { table: 't', name: 't_name_idx', columns: ['name'] } });
      await s.xc.apply();
      await record(s.xc, '0001_spared');
      // The new version is live and writes; the rollback takes only xc's shadow, the check and a plain index.
      await s.db.query(`INSERT INTO t (id, n, name) VALUES (3, 3, 'c')`);
      expect((await s.xc.rollback()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      await s.db.query(`UPDATE t SET n = 30 WHERE id = 3`);
      expect(await s.db.query(`SELECT id, n, name FROM t ORDER BY id`)).toEqual([
        { id: 1, n: 1, name: 'a' },
        { id: 2, n: 2, name: 'b' },
        { id: 3, n: 30, name: 'c' },
      ]);
      // A unique index may be the new version's ON CONFLICT arbiter, a foreign key's ON DELETE what its deletes rely on
      // (campaign L: the child left orphaned): the gate waits for them.
      await s.db.query(`CREATE TABLE kids (id int PRIMARY KEY, t_id int)`);
      for (const op of [
        { addIndex: { table: 't', name: 't_name_uq', columns: ['name'], unique: true } },
        { createConstraint: { table: 'kids', name: 'kids_t', type: 'foreign_key', columns: ['t_id'], references: { table: 't', columns: ['id'], onDelete: 'cascade' } } },
      ]) {
        await s.write('0001_spared', op);
        await s.xc.apply();
        await record(s.xc, '0001_spared');
        const err = await rejection(s.xc.rollback());
        expect(err.exitCode, err.message).toBe(3);
        expect(err.message).toContain('rollback of 0001_spared refused');
        await retireLive(s.xc);
        await s.xc.rollback();
      }
    });

    it.skipIf(!pg)("a copied column's checks and foreign keys keep their comments (campaign L)", async () => {
      for (const op of [{ renameColumn: { table: 'c', from: 'p', to: 'p2' } }, { alterColumn: { table: 'c', column: 'p', to: 'p2', type: 'bigint' } }]) {
        const s = await setup(
          target,
          [
            `CREATE TABLE par (id int PRIMARY KEY)`,
            `INSERT INTO par VALUES (1)`,
            `CREATE TABLE c (id int PRIMARY KEY, p int CONSTRAINT c_fk REFERENCES par (id) CONSTRAINT c_ck CHECK (p > 0))`,
            `INSERT INTO c VALUES (1, 1)`,
            `COMMENT ON CONSTRAINT c_fk ON c IS 'fk comment'`,
            `COMMENT ON CONSTRAINT c_ck ON c IS 'ck comment'`,
          ],
          'xc_brought',
        );
        await s.write('0001_copy', op);
        await toContracted(s, '0001_copy');
        expect(await s.db.query(`SELECT conname AS name, obj_description(oid, 'pg_constraint') AS comment FROM pg_constraint WHERE conrelid = 'c'::regclass AND contype IN ('f', 'c') ORDER BY 1`)).toEqual([
          { name: 'c_ck', comment: 'ck comment' },
          { name: 'c_fk', comment: 'fk comment' },
        ]);
      }
    });

    it('an old version writing back a row it read with SELECT * (the new column included, stale): its edit is kept, or the row named at contract — never the stale side silently', async () => {
      const s = await setup(
        target,
        [`CREATE TABLE people (id int PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'anon', pad int)`, `INSERT INTO people (id, name) VALUES (1, 'u1'), (2, 'u2')`],
        'xc_brought',
      );
      await s.write('0001_rename', { renameColumn: { table: 'people', from: 'name', to: 'full_name' } });
      await s.xc.apply();
      const rows = async () => (await s.db.query<{ id: unknown; name: string; full_name: string }>(`SELECT id, name, full_name FROM people ORDER BY id`)).map((r) => ({ ...r, id: Number(r.id) }));
      // An upsert of the edited copy: the conflict's UPDATE sees the old side change.
      const upsert = pg
        ? `INSERT INTO people SELECT id, 'U1', pad, full_name FROM people WHERE id = 1 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`
        : `INSERT INTO people SELECT id, 'U1', pad, full_name FROM people WHERE id = 1 ON DUPLICATE KEY UPDATE name = VALUES(name)`;
      await s.db.query(upsert);
      // A new row from an edited archive copy: both sides set, disagreeing, neither the default.
      await s.db.query(`INSERT INTO people (id, name, pad, full_name) VALUES (3, 'restored', NULL, 'stale')`);
      // The new version, and the old one, each naming only its own column; the new one with the old default's value.
      await s.db.query(`INSERT INTO people (id, full_name) VALUES (4, 'v2'), (5, 'anon')`);
      await s.db.query(`INSERT INTO people (id, name) VALUES (6, 'v1')`);
      expect(await rows()).toEqual([
        { id: 1, name: 'U1', full_name: 'U1' },
        { id: 2, name: 'u2', full_name: 'u2' },
        { id: 3, name: 'restored', full_name: 'stale' },
        { id: 4, name: 'v2', full_name: 'v2' },
        { id: 5, name: 'anon', full_name: 'anon' },
        { id: 6, name: 'v1', full_name: 'v1' },
      ]);
      // Before: the new side won both inserts (row 1 lost 'U1' at contract, row 3 'restored'), silently.
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/id="3" name="restored" full_name="stale"[\s\S]*both name and full_name set, to values that disagree[\s\S]*takes name's value/);
      await s.xc.backfill({ id: '0001_rename' });
      await s.xc.contract();
      expect((await s.db.query<{ full_name: string }>(`SELECT full_name FROM people ORDER BY id`)).map((r) => r.full_name)).toEqual(['U1', 'u2', 'restored', 'v2', 'anon', 'v1']);
    });

    it('an old version writing back a row it read with SELECT * into a column declared DEFAULT NULL: kept as written and named at contract, as without a default', async () => {
      // PostgreSQL keeps a varchar's DEFAULT NULL as NULL::character varying; MariaDB's catalog reads it as none.
      const s = await setup(target, [`CREATE TABLE notes (id int PRIMARY KEY, a varchar(20) DEFAULT NULL, b varchar(20))`, `INSERT INTO notes VALUES (1, 'x', 'x')`], 'xc_brought');
      await s.write('0001_rename', { renameColumn: { table: 'notes', from: 'a', to: 'a2' } }, { renameColumn: { table: 'notes', from: 'b', to: 'b2' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO notes (id, a, a2) VALUES (2, 'old-edit', 'stale')`);
      await s.db.query(`INSERT INTO notes (id, b, b2) VALUES (3, 'old-edit', 'stale')`);
      // Before (PostgreSQL): row 2 read as the new version's, a := 'stale'; the old writer's edit lost, no verify named it.
      expect(await s.db.query(`SELECT id, a, a2, b, b2 FROM notes WHERE id > 1 ORDER BY id`)).toEqual([
        { id: 2, a: 'old-edit', a2: 'stale', b: null, b2: null },
        { id: 3, a: null, a2: null, b: 'old-edit', b2: 'stale' },
      ]);
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/id="2" a="old-edit" a2="stale"/);
      // A plain `xc backfill` converts again what the refused contract named (as with its id).
      expect((await s.xc.backfill()).migrations).toEqual([expect.objectContaining({ id: '0001_rename', phase: 'backfilled' })]);
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, a2, b2 FROM notes ORDER BY id`)).toEqual([
        { id: 1, a2: 'x', b2: 'x' },
        { id: 2, a2: 'old-edit', b2: null },
        { id: 3, a2: null, b2: 'old-edit' },
      ]);
    });

    it('an old version writing back a row it read with SELECT *, its edit only like the default (case, trailing space) in a case-insensitive collation: kept as written and named at contract', async () => {
      const s = await setup(
        target,
        pg
          ? [
              `CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
              `CREATE TABLE tickets (id int PRIMARY KEY, status varchar(20) COLLATE ci NOT NULL DEFAULT 'new', kind char(8) NOT NULL DEFAULT 'bug')`,
            ]
          : [`CREATE TABLE tickets (id int PRIMARY KEY, status varchar(20) NOT NULL DEFAULT 'new', kind char(8) NOT NULL DEFAULT 'bug') COLLATE utf8mb4_general_ci`],
        'xc_brought',
      );
      await s.db.query(`INSERT INTO tickets VALUES (1, 'open', 'task')`);
      await s.write('0001_rename', { renameColumn: { table: 'tickets', from: 'status', to: 'state' } }, { renameColumn: { table: 'tickets', from: 'kind', to: 'sort' } });
      await s.xc.apply();
      // The old version's edits, equal to the default as the column compares; the new version's row, both old sides defaulted.
      await s.db.query(`INSERT INTO tickets (id, status, state) VALUES (2, 'NEW', 'stale'), (3, 'new ', 'stale2')`);
      await s.db.query(`INSERT INTO tickets (id, state, sort) VALUES (4, 'paid', 'idea')`);
      // Before (MariaDB): rows 2 and 3 read as the new version's, status := 'stale', 'stale2'; the old writer's edits lost, no verify named them.
      expect(await s.db.query(`SELECT id, status, state, kind, sort FROM tickets ORDER BY id`)).toEqual([
        { id: 1, status: 'open', state: 'open', kind: 'task', sort: 'task' },
        { id: 2, status: 'NEW', state: 'stale', kind: 'bug', sort: 'bug' },
        { id: 3, status: 'new ', state: 'stale2', kind: 'bug', sort: 'bug' },
        { id: 4, status: 'paid', state: 'paid', kind: 'idea', sort: 'idea' },
      ].map((r) => (pg ? { ...r, kind: r.kind.padEnd(8), sort: r.sort.padEnd(8) } : r)));
      await record(s.xc, '0001_rename');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      // Either row (the verify's chunks may report the later one first on a loaded machine).
      expect(err.message).toMatch(/id="2" status="NEW" state="stale"|id="3" status="new " state="stale2"/);
      await s.xc.backfill({ id: '0001_rename' });
      await s.xc.contract();
      expect((await s.db.query<{ state: string }>(`SELECT state FROM tickets ORDER BY id`)).map((r) => r.state)).toEqual(['open', 'NEW', 'new ', 'paid']);
    });

    it('a new-version insert naming only the new columns, whose old columns have defaults no trigger compares exactly (time, float, money, another charset): copied to the old side', async () => {
      const cols = pg
        ? `ts timestamp(0) NOT NULL DEFAULT now(), r real NOT NULL DEFAULT 0.1, m money NOT NULL DEFAULT 0, d date NOT NULL DEFAULT CURRENT_DATE`
        : `ts datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, r float NOT NULL DEFAULT 0.1, m decimal(6,2) NOT NULL DEFAULT 0, d varchar(10) CHARACTER SET latin1 NOT NULL DEFAULT 'é'`;
      const s = await setup(target, [`CREATE TABLE dflt (id int PRIMARY KEY, ${cols})`, `INSERT INTO dflt (id) VALUES (1)`], 'xc_brought');
      await s.write('0001_rename', ...['ts', 'r', 'm', 'd'].map((c) => ({ renameColumn: { table: 'dflt', from: c, to: `${c}2` } })));
      await s.xc.apply();
      // Before (this session's first rule): "money = integer" failed the insert; the others were kept as written, disagreeing.
      const app = await s.db.connection();
      if (pg) await app.query(`SET TimeZone = 'America/New_York'`);
      await app.query(`INSERT INTO dflt (id, ts2, r2, m2, d2) VALUES (2, '2001-01-01 10:00:00', 5.5, 12.5, ${pg ? `'2001-01-02'` : `'zz'`})`);
      const [row] = await s.db.query<Record<string, unknown>>(`SELECT ${pg ? 'ts::text AS ts, r::text AS r, m::numeric::text AS m, d::text AS d' : 'CAST(ts AS char) AS ts, CAST(r AS char) AS r, CAST(m AS char) AS m, d'} FROM dflt WHERE id = 2`);
      expect(row).toEqual({ ts: '2001-01-01 10:00:00', r: '5.5', m: '12.50', d: pg ? '2001-01-02' : 'zz' });
      await record(s.xc, '0001_rename');
      await s.xc.contract();
    });

    it.skipIf(!pg)('a column of a domain type with a default is not copied (each copy gets the default: no write could be told from one left out); once the default is the column\'s own, it is', async () => {
      const s = await setup(target, [`CREATE DOMAIN st AS text DEFAULT 'new'`, `CREATE TABLE orders (id int PRIMARY KEY, s st NOT NULL)`, `INSERT INTO orders VALUES (1, 'a')`], 'xc_brought');
      onCleanup(async () => {
        await s.db.query(`DROP TABLE IF EXISTS orders`);
        await s.db.query(`DROP DOMAIN IF EXISTS st`);
      });
      // Before: a new-version insert of s2 = 'paid' left s = 'new', an old one of s = 'old' left s2 = 'new'; the verify refused, and its repair overwrote 'paid'.
      await s.write('0001_rename', { renameColumn: { table: 'orders', from: 's', to: 's2' } });
      await refused(s, ['orders'], /renameColumn\.from: "orders"\."s" is of a domain type with a default \('new'::text\)/);
      await s.db.query(`ALTER TABLE orders ALTER COLUMN s SET DEFAULT 'new'`);
      await refused(s, ['orders'], /is of a domain type with a default/);
      await s.db.query(`ALTER DOMAIN st DROP DEFAULT`);
      await s.xc.apply();
      await s.db.query(`INSERT INTO orders (id, s2) VALUES (2, 'paid')`);
      await s.db.query(`INSERT INTO orders (id, s) VALUES (3, 'old')`);
      expect(await s.db.query(`SELECT id, s, s2 FROM orders ORDER BY id`)).toEqual([
        { id: 1, s: 'a', s2: 'a' },
        { id: 2, s: 'paid', s2: 'paid' },
        { id: 3, s: 'old', s2: 'old' },
      ]);
    });

    it('the DEFAULT keyword into renamed columns during dual-write (knex writes it in multi-row inserts): the old default, on both sides, from old writers running through apply', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL DEFAULT 1, status varchar(20) NOT NULL DEFAULT 'new', note varchar(20) DEFAULT 'n')`,
          `INSERT INTO orders (id, qty, status, note) VALUES (1, 5, 'paid', 'a'), (2, 6, 'paid', 'b')`,
        ],
        'xc_brought',
      );
      // qty is the case where MariaDB adds the new column NOT NULL with a placeholder (0) its INSERT trigger must stop reading.
      await s.write(
        '0001_rename',
        { renameColumn: { table: 'orders', from: 'qty', to: 'quantity' } },
        { renameColumn: { table: 'orders', from: 'status', to: 'state' } },
        { renameColumn: { table: 'orders', from: 'note', to: 'remark' } },
      );
      const rows = async (where = '') =>
        (await s.db.query<Record<string, unknown>>(`SELECT * FROM orders ${where} ORDER BY id`)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v])));
      const disagree = `SELECT id FROM orders WHERE NOT (qty = quantity AND status = state AND COALESCE(note, '-') = COALESCE(remark, '-'))`;
      // The old version, through the whole apply: DEFAULT in single and multi-row inserts, and in updates.
      const oldWrites = (i: number) =>
        i % 3 === 0
          ? { sql: `INSERT INTO orders (id, qty, status, note) VALUES (?, DEFAULT, DEFAULT, DEFAULT)`, params: [1000 + 2 * i] }
          : i % 3 === 1
            ? { sql: `INSERT INTO orders (id, qty, status, note) VALUES (?, 0, 'x', NULL), (?, DEFAULT, 'z', DEFAULT)`, params: [1000 + 2 * i, 1001 + 2 * i] }
            : { sql: `UPDATE orders SET qty = DEFAULT, status = DEFAULT, note = DEFAULT WHERE id = ?`, params: [1000 + 2 * (i - 2)] };
      const old = new Writer(await s.db.connection(), oldWrites).start();
      await s.xc.apply();
      await new Promise((r) => setTimeout(r, 200));
      // The new version beside it: an explicit 0 (MariaDB's placeholder value) is its own, DEFAULT into a new column.
      const fresh = new Writer(await s.db.connection(), (i) =>
        i % 2 ? { sql: `INSERT INTO orders (id, quantity, state, remark) VALUES (?, 0, 'v2', 'r')`, params: [100000 + i] } : { sql: `INSERT INTO orders (id, quantity, state) VALUES (?, 7, DEFAULT)`, params: [100000 + i] },
      ).start();
      await new Promise((r) => setTimeout(r, 400));
      await Promise.all([old.stop(), fresh.stop()]);
      expect([...old.errors, ...fresh.errors]).toEqual([]);
      expect(old.writes).toBeGreaterThan(2);
      expect(fresh.writes).toBeGreaterThan(1);
      expect(await s.db.query(disagree)).toEqual([]);
      // What each statement wrote: the old defaults where DEFAULT was written, the values otherwise, NULL kept.
      const byId = new Map((await rows()).map((r) => [r.id as number, r]));
      for (let i = 0; i < old.writes + old.errors.length; i++) {
        const id = 1000 + 2 * i;
        if (i % 3 === 0) expect(byId.get(id), `row ${id}`).toMatchObject(i + 2 < old.writes ? { qty: 1, status: 'new', note: 'n' } : { qty: 1, quantity: 1, status: 'new', state: 'new', note: 'n', remark: 'n' });
        if (i % 3 === 1) {
          expect(byId.get(id), `row ${id}`).toMatchObject({ qty: 0, quantity: 0, status: 'x', state: 'x', note: null, remark: null });
          expect(byId.get(id + 1), `row ${id + 1}`).toMatchObject({ qty: 1, quantity: 1, status: 'z', state: 'z', note: 'n', remark: 'n' });
        }
      }
      for (const [id, r] of byId) {
        if (id < 100000) continue;
        expect(r, `row ${id}`).toMatchObject(id % 2 ? { quantity: 0, qty: 0, state: 'v2', status: 'v2', remark: 'r', note: 'r' } : { quantity: 7, qty: 7, state: 'new', status: 'new', remark: 'n', note: 'n' });
      }
      // An old UPDATE … = DEFAULT of a row the new version wrote.
      await s.db.query(`UPDATE orders SET qty = DEFAULT, status = DEFAULT WHERE id = 100001`);
      expect(await rows('WHERE id = 100001')).toMatchObject([{ qty: 1, quantity: 1, status: 'new', state: 'new' }]);

      // Rolled back, the old columns have their defaults as before.
      await s.xc.rollback();
      await s.db.query(`INSERT INTO orders (id) VALUES (3)`);
      expect(await rows('WHERE id = 3')).toEqual([{ id: 3, qty: 1, status: 'new', note: 'n' }]);
      // Again, to contract: the new columns have them.
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      await s.db.query(`INSERT INTO orders (id, quantity) VALUES (4, DEFAULT)`);
      expect(await rows('WHERE id = 4')).toEqual([{ id: 4, quantity: 1, state: 'new', remark: 'n' }]);
    });

    it.skipIf(pg)('killed right before the INSERT trigger that reads the placeholder is replaced: old writes meanwhile keep their values, the re-run replaces it, a 0 the new version writes is its own', async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL DEFAULT 1)`, `INSERT INTO orders VALUES (1, 5)`], 'xc_brought');
      await s.write('0001_rename', { renameColumn: { table: 'orders', from: 'qty', to: 'quantity' } });
      const args = ['apply', '--url', s.db.url, '--dir', s.dir];
      const killed = await runXcKillingAt(args, (e) => e.event === 'step' && /^replace trigger/.test(String(e.description)));
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      // The old version meanwhile: a value, DEFAULT, and nothing.
      await s.db.query(`INSERT INTO orders (id, qty) VALUES (2, 7), (3, DEFAULT)`);
      await s.db.query(`INSERT INTO orders (id) VALUES (4)`);
      const again = await runXcKillingAt(args);
      expect(again.code, again.stderr).toBe(0);
      await s.db.query(`INSERT INTO orders (id, quantity) VALUES (5, 0)`);
      const rows = await s.db.query<{ id: number; qty: number; quantity: number }>(`SELECT id, qty, quantity FROM orders ORDER BY id`);
      expect(rows).toEqual([
        { id: 1, qty: 5, quantity: 5 },
        { id: 2, qty: 7, quantity: 7 },
        { id: 3, qty: 1, quantity: 1 },
        { id: 4, qty: 1, quantity: 1 },
        { id: 5, qty: 0, quantity: 0 },
      ]);
      // Replaced once: one INSERT and one UPDATE trigger, the INSERT one without the placeholder test.
      const triggers = await s.db.query<{ t: string; body: string }>(`SELECT trigger_name AS t, action_statement AS body FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY event_manipulation`);
      expect(triggers).toHaveLength(2);
      expect(triggers[0]!.body).not.toMatch(/<=> 0/);
    });

    it('renamed and copied string columns keep their own collation, and so their unique keys keep their meaning', async () => {
      const s = await setup(
        target,
        pg
          ? [
              `CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
              `CREATE TABLE acct (id int PRIMARY KEY, login varchar(30) COLLATE ci NOT NULL, handle varchar(30) COLLATE "C")`,
              `CREATE UNIQUE INDEX acct_login_key ON acct (login)`,
              `INSERT INTO acct VALUES (1, 'Alice', 'a'), (2, 'bob', 'B')`,
            ]
          : [
              `CREATE TABLE acct (id int PRIMARY KEY, login varchar(30) NOT NULL, handle varchar(30) CHARACTER SET latin1 COLLATE latin1_bin, UNIQUE KEY acct_handle_key (handle))`,
              `INSERT INTO acct VALUES (1, 'Alice', 'x'), (2, 'bob', 'X')`,
            ],
        'xc_brought',
      );
      await s.write('0001_names', { renameColumn: { table: 'acct', from: 'login', to: 'username' } }, { alterColumn: { table: 'acct', column: 'handle', to: 'nick', type: 'varchar(60)' } });
      await s.xc.apply();
      await record(s.xc, '0001_names');
      await s.xc.contract();
      const collations = await s.db.query<{ c: string; k: string }>(
        pg
          ? `SELECT attname AS c, collname AS k FROM pg_attribute JOIN pg_collation ON pg_collation.oid = attcollation WHERE attrelid = 'acct'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`
          : `SELECT column_name AS c, collation_name AS k FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'acct' AND collation_name IS NOT NULL ORDER BY ordinal_position`,
      );
      const tableDefault = pg ? 'default' : (await s.db.query<{ k: string }>(`SELECT table_collation AS k FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'acct'`))[0]!.k;
      expect(collations).toEqual([{ c: 'username', k: pg ? 'ci' : tableDefault }, { c: 'nick', k: pg ? 'C' : 'latin1_bin' }]);
      // The key compares as it did: case-insensitively on PostgreSQL's username, byte for byte on MariaDB's nick.
      if (pg) await expect(s.db.query(`INSERT INTO acct VALUES (3, 'ALICE', 'c')`)).rejects.toThrow(/duplicate key/);
      else {
        await s.db.query(`INSERT INTO acct VALUES (3, 'carl', 'Y'), (4, 'dan', 'y')`);
        await expect(s.db.query(`INSERT INTO acct VALUES (5, 'eve', 'x')`)).rejects.toThrow(/Duplicate entry/);
      }
    });

    it.skipIf(!pg)('a change = calls no change is one: interval, unscaled numeric, jsonb numbers, -0, case under a nondeterministic collation; both ways, and a derived column follows', async () => {
      const s = await setup(
        target,
        [
          `CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
          `CREATE TABLE plans (id int PRIMARY KEY, period interval NOT NULL, price numeric, ratio float8, name varchar(20) COLLATE ci, tag text COLLATE ci, meta jsonb)`,
          `INSERT INTO plans VALUES (1, '1 mon', 1.0, 0, 'bob', 'bob', '{"p": 10}'), (2, '1 day', 5, 1, 'ann', 'ann', '{"p": 10}')`,
        ],
        'xc_brought',
      );
      await s.write(
        '0001_rename',
        { renameColumn: { table: 'plans', from: 'period', to: 'billing_period' } },
        { renameColumn: { table: 'plans', from: 'price', to: 'cost' } },
        { renameColumn: { table: 'plans', from: 'ratio', to: 'factor' } },
        { renameColumn: { table: 'plans', from: 'name', to: 'title' } },
        { renameColumn: { table: 'plans', from: 'meta', to: 'info' } },
        { addColumn: { table: 'plans', column: { name: 'tag_x', type: 'text' }, up: "tag || '!'" } },
      );
      await s.xc.apply();
      // The old version, then the new one, each writing what = calls equal to what the row holds.
      await s.db.query(`UPDATE plans SET period = '30 days', price = 1.000, ratio = '-0', name = 'BOB', tag = 'BOB', meta = '{"p": 10.00}' WHERE id = 1`);
      await s.db.query(`UPDATE plans SET billing_period = '24 hours', cost = 5.00, factor = 1, title = 'ANN', info = '{"p": 10.0}' WHERE id = 2`);
      expect(await s.db.query(`SELECT id, meta::text AS m, info::text AS i FROM plans ORDER BY id`)).toEqual([
        { id: 1, m: '{"p": 10.00}', i: '{"p": 10.00}' },
        { id: 2, m: '{"p": 10.0}', i: '{"p": 10.0}' },
      ]);
      const row = `SELECT id, period::text AS p, billing_period::text AS bp, price::text AS pr, cost::text AS co, ratio::text AS r, factor::text AS f, name AS n, title AS t, tag_x AS x FROM plans ORDER BY id`;
      expect(await s.db.query(row)).toEqual([
        { id: 1, p: '30 days', bp: '30 days', pr: '1.000', co: '1.000', r: '-0', f: '-0', n: 'BOB', t: 'BOB', x: 'BOB!' },
        { id: 2, p: '24:00:00', bp: '24:00:00', pr: '5.00', co: '5.00', r: '1', f: '1', n: 'ANN', t: 'ANN', x: 'ann!' },
      ]);
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, billing_period::text AS bp, cost::text AS co, factor::text AS f, title AS t, tag_x AS x FROM plans ORDER BY id`)).toEqual([
        { id: 1, bp: '30 days', co: '1.000', f: '-0', t: 'BOB', x: 'BOB!' },
        { id: 2, bp: '24:00:00', co: '5.00', f: '1', t: 'ANN', x: 'ann!' },
      ]);
    });

    it('a check added, its table renamed, then its column renamed, retyped in place and the check dropped: enforced once, as long as it exists, writes go on', async () => {
      const s = await setup(target, [], 'xc_brought');
      const steps: [string, unknown][] = [
        ['0001_items', [{ createTable: { table: 'items', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'qty', type: 'int' }] } }, { addCheck: { table: 'items', name: 'qty_pos', expression: 'qty >= 0' } }]],
        ['0002_products', [{ renameTable: { from: 'items', to: 'products' } }]],
        ['0003_quantity', [{ renameColumn: { table: 'products', from: 'qty', to: 'quantity' } }]],
        ['0004_bigint', [{ alterColumn: { table: 'products', column: 'quantity', type: 'bigint' } }]],
        ['0005_drop', [{ dropConstraint: { table: 'products', name: 'qty_pos', down: 'GREATEST(quantity, 0)' } }]],
      ];
      const column = (id: string) => (id < '0003' ? 'qty' : 'quantity');
      const table = (id: string) => (id < '0002' ? 'items' : 'products');
      for (const [id, operations] of steps) {
        await s.write(id, ...(operations as unknown[]));
        await s.xc.apply();
        await record(s.xc, id);
        await s.xc.contract();
        // The version at this level writes; the check holds until 0005 drops it.
        await s.db.query(`INSERT INTO ${table(id)} (id, ${column(id)}) VALUES (${Number(id.slice(0, 4))}, 3)`);
        const negative = s.db.query(`UPDATE ${table(id)} SET ${column(id)} = -1 WHERE id = ${Number(id.slice(0, 4))}`);
        if (id === '0005_drop') await negative;
        else await expect(negative).rejects.toThrow(/qty_pos/);
      }
      if (!pg) expect(await s.db.query(`SELECT trigger_name AS t FROM information_schema.triggers WHERE trigger_schema = DATABASE()`)).toEqual([]);
      expect((await s.db.query<{ id: number; quantity: string }>(`SELECT id, quantity FROM products ORDER BY id`)).map((r) => ({ id: r.id, quantity: Number(r.quantity) }))).toEqual([
        { id: 1, quantity: 3 },
        { id: 2, quantity: 3 },
        { id: 3, quantity: 3 },
        { id: 4, quantity: 3 },
        { id: 5, quantity: -1 },
      ]);
    });
  });
}
