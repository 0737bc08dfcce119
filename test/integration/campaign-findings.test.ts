/**
 * Issue 11: what the adversarial campaign found beyond hostile input, one
 * regression test each, on every database it applies to.
 */
import { execFileSync, spawn } from 'node:child_process';
import mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { BIN } from '../helpers/cli.js';
import { onCleanup, refused, rejection, setup, toContracted } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`campaign findings (${target.name})`, () => {
    const pg = target.name === 'postgres';

    it('item 7: an up that reads a value the server fills after triggers (AUTO_INCREMENT, generated) is refused; other columns are fine', async () => {
      const schema = pg
        ? [`CREATE TABLE items (id int PRIMARY KEY, name text, doubled int GENERATED ALWAYS AS (id * 2) STORED)`, `INSERT INTO items (id, name) VALUES (1, 'one')`]
        : [`CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40))`, `INSERT INTO items (name) VALUES ('one')`];
      const s = await setup(target, schema, 'xc_campaign');
      const late = pg ? 'doubled' : 'id';
      const concat = (col: string) => (pg ? `'c' || ${col}` : `CONCAT('c', ${col})`);
      await s.write('0001_code', { addColumn: { table: 'items', column: { name: 'code', type: 'varchar(40)' }, up: concat(late) } });
      await refused(s, ['items'], new RegExp(`operations\\[0\\]\\.addColumn: "items"\\."${late}" gets its value from the server only after triggers run`));
      await s.write('0001_code', { addColumn: { table: 'items', column: { name: 'code', type: 'varchar(40)' }, up: concat('name') } });
      await toContracted(s, '0001_code');
      expect(await s.db.query(`SELECT id, code FROM items ORDER BY id`)).toEqual([{ id: 1, code: 'cone' }]);
    });

    it("campaign W (2): addColumn's unnamed foreign key is named <table>_<column>_fkey, as README's default names say (…_fkey1 where that is taken)", async () => {
      const s = await setup(target, [
        `CREATE TABLE regions (id int PRIMARY KEY)`,
        `CREATE TABLE customers (id int PRIMARY KEY, n int, CONSTRAINT customers_home_id_fkey CHECK (n > 0))`,
        `INSERT INTO regions VALUES (1)`,
        `INSERT INTO customers VALUES (1, 1)`,
      ], 'xc_campaign');
      await s.write('0001_refs',
        { addColumn: { table: 'customers', column: { name: 'region_id', type: 'int', references: { table: 'regions', column: 'id' } }, up: '1' } },
        { addColumn: { table: 'customers', column: { name: 'home_id', type: 'int', references: { table: 'regions', column: 'id' } } } },
      );
      await toContracted(s, '0001_refs');
      const schema = pg ? 'current_schema()' : 'DATABASE()';
      const fks = await s.db.query<{ name: string }>(`SELECT constraint_name AS name FROM information_schema.table_constraints WHERE table_schema = ${schema} AND table_name = 'customers' AND constraint_type = 'FOREIGN KEY' ORDER BY 1`);
      expect(fks.map((k) => k.name)).toEqual(['customers_home_id_fkey1', 'customers_region_id_fkey']);
      // Found by that name: a later migration drops it.
      await s.write('0002_drop', { dropConstraint: { table: 'customers', name: 'customers_region_id_fkey' } });
      await toContracted(s, '0002_drop');
      await s.db.query(`INSERT INTO customers (id, n, region_id) VALUES (2, 1, 99)`);
      expect(await s.db.query(`SELECT id, region_id FROM customers ORDER BY id`)).toEqual([{ id: 1, region_id: 1 }, { id: 2, region_id: 99 }]);
    });

    it('campaign E (5): column, index and constraint names are compared as the server does: MySQL/MariaDB ignore case, PostgreSQL does not', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(20), createdat ${pg ? 'timestamp' : 'datetime'})`, `CREATE INDEX idx_name ON users (name)`, `ALTER TABLE users ADD CONSTRAINT ck_name CHECK (name <> '')`, `INSERT INTO users VALUES (1, 'a', '2024-01-01 00:00:00')`], 'xc_campaign');
      const cases: [unknown[], RegExp][] = [
        [[{ renameColumn: { table: 'users', from: 'createdat', to: 'createdAt' } }], /renameColumn\.to: "createdAt" is the name of "createdat" itself: this server ignores case in column names/],
        [[{ addColumn: { table: 'users', column: { name: 'NAME', type: 'int' } } }], /addColumn\.column\.name: table "users" already has a column "name" \(the same name as "NAME": this server ignores case in column names\)/],
        [[{ addIndex: { table: 'users', columns: ['id', 'name'], name: 'IDX_NAME' } }], /addIndex\.name: index "idx_name" on "users" \(the same name as "IDX_NAME"/],
        [[{ addCheck: { table: 'users', name: 'CK_NAME', expression: 'id > 0' } }], /addCheck\.name: table "users" already has a constraint "ck_name" \(the same name as "CK_NAME"/],
        // Through the projection: a column a migration before it adds.
        [[{ addColumn: { table: 'users', column: { name: 'nick', type: 'int' } } }, { addColumn: { table: 'users', column: { name: 'Nick', type: 'int' } } }], /operations\[1\]\.addColumn\.column\.name: table "users" already has a column "nick"/],
      ];
      for (const [operations, message] of cases) {
        await s.write('0001_case', ...operations);
        if (pg) await s.xc.plan(); // PostgreSQL: quoted names are exact, each of these is a name of its own
        else await refused(s, ['users'], message);
      }
      if (!pg) return;
      await toContracted(s, '0001_case');
      expect((await s.db.columns('users')).map((c) => c.name)).toEqual(['id', 'name', 'createdat', 'nick', 'Nick']);
    });

    it('item 4: a lost advisory lock stops the command (exit 4) before its next batch; a re-run finishes the work', async () => {
      const rows = pg ? `INSERT INTO items (id, n) SELECT g, g FROM generate_series(1, 400) g` : `INSERT INTO items (id, n) SELECT seq, seq FROM seq_1_to_400`;
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`, rows], 'xc_campaign');
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: '(n * 2)' } });
      // What an idle timeout, a proxy or a DBA does to the session that holds the lock.
      const killLockHolder = async () => {
        if (pg) {
          await s.db.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        } else {
          const [row] = await s.db.query<{ id: number | null }>(`SELECT IS_USED_LOCK(CONCAT('xc:', DATABASE(), ':expand-contract')) AS id`);
          if (row?.id) await s.db.query(`KILL ${Number(row.id)}`);
        }
      };
      let kill: Promise<void> | undefined;
      const xc = createXc({
        url: s.db.url,
        dir: s.dir,
        batchSize: 10,
        batchDelayMs: 20,
        onEvent: (e) => void (e.event === 'backfill' && e.done >= 50 && (kill ??= killLockHolder())),
      });
      onCleanup(() => xc.close());
      const err = await rejection(xc.apply());
      expect(kill, 'the lock session was killed mid-backfill').toBeDefined();
      await kill;
      expect(err.exitCode, err.message).toBe(4);
      expect(err.message).toMatch(/advisory lock on this database was lost/);
      expect(await s.db.count(`SELECT count(*) FROM items WHERE m IS NOT NULL`)).toBeLessThan(400);
      await s.xc.apply();
      expect(await s.db.count(`SELECT count(*) FROM items WHERE m = n * 2`)).toBe(400);
    });

    it.skipIf(!pg)('item 4: a server idle-session timeout shorter than the command does not end the lock session', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`, `INSERT INTO items (id, n) SELECT g, g FROM generate_series(1, 200) g`], 'xc_campaign');
      const [{ db }] = await s.db.query<{ db: string }>(`SELECT current_database() AS db`);
      await s.db.query(`ALTER DATABASE "${db}" SET idle_session_timeout = '300ms'`);
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: '(n * 2)' } });
      const xc = createXc({ url: s.db.url, dir: s.dir, batchSize: 10, batchDelayMs: 50 }); // about 1 s of backfill
      onCleanup(() => xc.close());
      await xc.apply();
      expect(await s.db.count(`SELECT count(*) FROM items WHERE m = n * 2`)).toBe(200);
    });

    it('item 8: a view, a generated column or a trigger of the user that needs the dropped column is named at plan (exit 2)', async () => {
      const trigger = pg
        ? [
            `CREATE FUNCTION audit_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := NEW.name; RETURN NEW; END $$`,
            `CREATE TRIGGER audit_name BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION audit_name()`,
          ]
        : [`CREATE TRIGGER audit_name BEFORE INSERT ON people FOR EACH ROW SET NEW.note = NEW.name`];
      const s = await setup(
        target,
        [
          `CREATE TABLE people (id int PRIMARY KEY, name varchar(40), note varchar(40), age int)`,
          `INSERT INTO people (id, name, age) VALUES (1, 'ada', 36)`,
          `CREATE VIEW named_people AS SELECT id, name FROM people`,
          `ALTER TABLE people ADD COLUMN shout varchar(80) GENERATED ALWAYS AS (upper(name)) ${pg ? 'STORED' : 'VIRTUAL'}`,
          ...trigger,
        ],
        'xc_campaign',
      );
      await s.write('0001_drop', { dropColumn: { table: 'people', column: 'name' } });
      await refused(s, ['people'], /operations\[0\]\.dropColumn\.column: generated column "shout", trigger "audit_name", view "named_people" depend on "people"\."name", which this migration removes at contract/);
      // A column nothing depends on goes as before.
      await s.write('0001_drop', { dropColumn: { table: 'people', column: 'age' } });
      await toContracted(s, '0001_drop');
      expect(await s.db.query(`SELECT id, name FROM named_people`)).toEqual([{ id: 1, name: 'ada' }]);
    });

    it('what else needs a column a contract removes is named at plan: a trigger taking it as an argument, firing on it, a rule, a SQL-body function, a publication column list, statistics, another table\'s trigger', async () => {
      const others = pg
        ? [
            `CREATE TABLE docs (id int PRIMARY KEY, title text, body text, tsv tsvector, status text, kind text)`,
            // A C trigger function reading columns named in its arguments (no plpgsql source to read).
            `CREATE TRIGGER docs_tsv BEFORE INSERT OR UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(tsv, 'pg_catalog.english', title, body)`,
            `CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
            `CREATE TRIGGER docs_when AFTER UPDATE ON docs FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION noop()`,
            `CREATE TABLE docs_log (id int PRIMARY KEY, s text)`,
            `CREATE RULE docs_rule AS ON UPDATE TO docs DO ALSO INSERT INTO docs_log VALUES (NEW.id, NEW.status)`,
            `CREATE FUNCTION open_docs() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM docs WHERE status = 'open'; END`,
            `CREATE PUBLICATION docs_pub FOR TABLE docs (id, status)`,
            `CREATE STATISTICS docs_stats ON status, kind FROM docs`,
            `CREATE FUNCTION close_docs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE docs SET status = 'closed' WHERE id = NEW.id; RETURN NEW; END $$`,
            `CREATE TRIGGER log_closes AFTER INSERT ON docs_log FOR EACH ROW EXECUTE FUNCTION close_docs()`,
          ]
        : [
            `CREATE TABLE docs (id int PRIMARY KEY, title text, status varchar(20))`,
            `CREATE TABLE docs_log (id int PRIMARY KEY, s text)`,
            `CREATE TRIGGER log_closes AFTER INSERT ON docs_log FOR EACH ROW UPDATE docs SET status = 'closed' WHERE id = NEW.id`,
          ];
      const s = await setup(target, [...others, `INSERT INTO docs (id, title, status) VALUES (1, 'a', 'open')`], 'xc_campaign');
      const named = (what: string[]) => new RegExp(`renameColumn\\.from: ${what.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(', ')} depends? on "docs"\\."status", which this migration removes at contract`);
      if (pg) {
        await s.write('0001_rename', { renameColumn: { table: 'docs', from: 'title', to: 'headline' } });
        await refused(s, ['docs'], /renameColumn\.from: trigger "docs_tsv" depends on "docs"\."title"/);
      }
      // Before: plan passed, and the contract's DROP COLUMN failed ("other objects depend on it") or, for another table's trigger, succeeded and broke its writes.
      await s.write('0001_rename', { renameColumn: { table: 'docs', from: 'status', to: 'state' } });
      await refused(
        s,
        ['docs'],
        named(pg ? ['function "open_docs"', 'publication "docs_pub"', 'rule "docs_rule"', 'statistics object "docs_stats"', 'trigger "docs_when"', 'trigger "log_closes" of "docs_log"'] : ['trigger "log_closes" of "docs_log"']),
      );
      // The same for a table dropped: another table's trigger writing to it.
      await s.write('0001_rename', { dropTable: { table: 'docs' } });
      await refused(s, ['docs'], /dropTable\.table: .*trigger "log_closes" of "docs_log" depends? on "docs"/);
      // A trigger that only says the words (a comment, NEW.status of its own table) is no dependent.
      await s.db.query(`CREATE TABLE status (id int PRIMARY KEY)`);
      await s.db.query(`CREATE TABLE orders (id int PRIMARY KEY, status varchar(10))`);
      await s.db.query(
        pg
          ? `CREATE FUNCTION orders_default() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN -- the docs' title is not copied; status from the status table
               IF NEW.status IS NULL THEN NEW.status := 'new'; END IF; RETURN NEW; END $$`
          : `CREATE TRIGGER orders_default BEFORE INSERT ON orders FOR EACH ROW SET NEW.status = COALESCE(NEW.status, 'new')`,
      );
      if (pg) await s.db.query(`CREATE TRIGGER orders_default BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_default()`);
      await s.write('0001_rename', { dropTable: { table: 'status' } });
      await s.xc.plan();
      if (pg) {
        await s.write('0001_rename', { renameColumn: { table: 'docs', from: 'title', to: 'headline' } });
        await refused(s, ['docs'], /renameColumn\.from: trigger "docs_tsv" depends on "docs"\."title", which/);
      }
    });

    it('item 11: SIGINT and SIGTERM stop after the batch under way, with last_error, a final JSON line and exit 130/143; a re-run finishes', async () => {
      const rows = pg ? `INSERT INTO items (id, n) SELECT g, g FROM generate_series(1, 400) g` : `INSERT INTO items (id, n) SELECT seq, seq FROM seq_1_to_400`;
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`, rows], 'xc_campaign');
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: '(n * 2)' } });
      for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
        const run = await new Promise<{ code: number | null; lines: string[] }>((resolve) => {
          const child = spawn(process.execPath, [BIN, 'apply', '--url', s.db.url, '--dir', s.dir, '--batch-size', '10', '--batch-delay', '30', '--json'], { env: { ...process.env, XC_FORCE_SOURCE: '1' } });
          let out = '';
          let sent = false;
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (!sent && /"event":"backfill"/.test(out)) {
              sent = true;
              child.kill(signal);
            }
          });
          child.on('close', (c) => resolve({ code: c, lines: out.trim().split('\n') }));
        });
        expect(run.code).toBe(code);
        const last = JSON.parse(run.lines.at(-1)!) as { ok: boolean; error: { exitCode: number; message: string } };
        expect(last).toMatchObject({ ok: false, error: { exitCode: code } });
        expect(last.error.message).toMatch(new RegExp(`stopped \\(${signal}\\)`));
        const [row] = await s.db.query<{ phase: string; last_error: string }>(`SELECT phase, last_error FROM ${pg ? 'xc.migrations' : 'xc_migrations'}`);
        expect(row).toMatchObject({ phase: 'backfilling' });
        expect(row!.last_error).toMatch(/stopped/);
      }
      const done = await s.db.count(`SELECT count(*) FROM items WHERE m IS NOT NULL`);
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(400);
      await s.xc.apply();
      expect(await s.db.count(`SELECT count(*) FROM items WHERE m = n * 2`)).toBe(400);
    }, 120_000);

    it.skipIf(!pg)('a command that changes nothing (plan) ends at the first SIGTERM, the read under way left to the server (campaign AA: `timeout 120 xc plan` waited minutes for it)', async () => {
      const s = await setup(target, [
        `CREATE FUNCTION slow_key(int) RETURNS text IMMUTABLE LANGUAGE sql AS 'SELECT pg_sleep(0.05)::text || $1'`,
        `CREATE TABLE items (id int PRIMARY KEY)`, `INSERT INTO items SELECT g FROM generate_series(1, 1000) g`,
      ], 'xc_campaign');
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'k', type: 'text', nullable: false, unique: true }, up: 'slow_key(id)' } });
      const child = spawn(process.execPath, [BIN, 'plan', '--url', s.db.url, '--dir', s.dir], { env: { ...process.env, XC_FORCE_SOURCE: '1' } });
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      const running = async () => s.db.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%slow_key%' AND now() - query_start > interval '1 second'`);
      onCleanup(async () => void (await s.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)));
      // The duplicate-key read computes slow_key 2,000 times (100 s): signalled once it has run a second.
      for (let i = 0; i < 600 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await running()).toBe(1);
      child.kill('SIGTERM');
      expect(await closed).toBe(143);
      expect(await running()).toBe(1); // ended without waiting for the statement
    }, 120_000);

    it.skipIf(!pg)('item 11: raw sql with a syntax error is refused at plan (exit 2, nothing created); valid statements pass and run', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`], 'xc_campaign');
      await s.write('0001_raw', { sql: { expand: 'ALTER TABLE items ADD COLUMN m int', rollback: 'ALTER TABLE items DROPP COLUMN m' } });
      await refused(s, ['items'], /operations\[0\]\.sql\.rollback: not valid SQL: syntax error at or near "DROPP"/);
      await s.write('0001_raw', { sql: { expand: 'ALTER TABLE items ADD COLUMN m int; CREATE INDEX items_m ON items (m)', rollback: 'ALTER TABLE items DROP COLUMN IF EXISTS m' } });
      await s.xc.apply();
      expect((await s.db.columns('items')).map((c) => c.name)).toContain('m');
    });

    it.skipIf(!pg)("item 11: jsonb's ? operators in an up (and a raw sql backfill's where) are operators, not placeholders, in every batch", async () => {
      const rows = Array.from({ length: 30 }, (_, i) => `(${i + 1}, '${JSON.stringify(i % 3 === 0 ? { vip: true, tags: ['a'] } : { tags: ['b'] })}')`);
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, doc jsonb NOT NULL)`, `INSERT INTO items (id, doc) VALUES ${rows.join(', ')}`], 'xc_campaign');
      // `?`, `?|` and `?&`, and a `?` in a string and a comment that must stay text.
      const up = "CASE WHEN doc ? 'vip' THEN 'vip?' WHEN doc->'tags' ?| array['b'] AND doc->'tags' ?& array['b'] THEN 'b' ELSE 'other' END /* why? */";
      await s.write('0001_tier', { addColumn: { table: 'items', column: { name: 'tier', type: 'text' }, up } });
      const xc = createXc({ url: s.db.url, dir: s.dir, batchSize: 7 });
      onCleanup(() => xc.close());
      await xc.apply({ to: 'expand' });
      await s.db.query(`INSERT INTO items (id, doc) VALUES (100, '{"vip": 1}'), (101, '{"tags": ["b"]}')`);
      await xc.backfill();
      await toContracted(s, '0001_tier');
      const tiers = await s.db.query<{ id: number; tier: string }>(`SELECT id, tier FROM items ORDER BY id`);
      expect(tiers).toHaveLength(32);
      for (const r of tiers) expect(r.tier).toBe(r.id === 100 || (r.id <= 30 && (r.id - 1) % 3 === 0) ? 'vip?' : 'b');

      await s.write('0002_flag', { sql: { expand: 'ALTER TABLE items ADD COLUMN vip boolean', rollback: 'ALTER TABLE items DROP COLUMN vip', backfill: { table: 'items', set: { vip: 'true' }, where: "doc ? 'vip'" } } });
      await xc.apply();
      expect(await s.db.query(`SELECT count(*)::int AS n FROM items WHERE vip`)).toEqual([{ n: 11 }]);
    });

    it('item 11: backfill reports the phase it leaves the migration in, not the one it found', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`, `INSERT INTO items (id, n) VALUES (1, 1), (2, 2)`], 'xc_campaign');
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: '(n * 2)' } });
      await s.xc.apply({ to: 'expand' });
      expect((await s.xc.backfill()).migrations).toEqual([expect.objectContaining({ id: '0001_m', from: 'dual_write', phase: 'backfilled' })]);
    });

    it.skipIf(!pg)('item 11: a partitioned table is refused at plan (exit 2), before an apply could fail half-way', async () => {
      const s = await setup(target, [`CREATE TABLE events (id int, at date NOT NULL, n int, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`, `CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`], 'xc_campaign');
      await s.write('0001_ix', { addIndex: { table: 'events', columns: ['n'] } });
      await refused(s, ['events'], /operations\[0\]\.addIndex\.table: "events" is a partitioned table/);
    });

    it('item 11: a backfill that keeps losing its rows to a transaction stops after --lock-retry-for of wall time, exit 5, naming it', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`, `INSERT INTO items (id, n) VALUES (1, 1), (2, 2), (3, 3)`], 'xc_campaign');
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: '(n * 2)' } });
      await s.xc.apply({ to: 'expand' });
      const holder = await s.db.connection();
      await holder.query(pg ? 'BEGIN' : 'START TRANSACTION');
      await holder.query(`UPDATE items SET n = n WHERE id = 1`);
      try {
        const xc = createXc({ url: s.db.url, dir: s.dir, lockTimeoutMs: 200, lockRetryForMs: 1500 });
        onCleanup(() => xc.close());
        const started = Date.now();
        const err = await rejection(xc.backfill());
        expect(err.exitCode, err.message).toBe(5);
        expect(err.message).toMatch(/backfill of "items" could not lock its rows for 2s \(\d+ attempts\); blocked by:\n  session \d+/);
        expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      } finally {
        await holder.query('ROLLBACK');
      }
      await s.xc.backfill();
      expect(await s.db.count(`SELECT count(*) FROM items WHERE m = n * 2`)).toBe(3);
    });

    // Derived unique-key names are PostgreSQL's own choice, the first free of …_key, …_key1, …: once they were taken as
    // they came, and a name in use (a renamed-away column keeps its key's) failed the contract after v2 went live.
    it('addColumn unique where a renamed-away column kept the key name: the key is …_key1', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE users (id int PRIMARY KEY, email varchar(40), CONSTRAINT users_email_key UNIQUE (email))`,
          `INSERT INTO users (id, email) VALUES (1, 'A@x'), (2, 'B@x')`,
          `ALTER TABLE users RENAME COLUMN email TO old_email`,
        ],
        'xc_campaign',
      );
      await s.write('0001_email', { addColumn: { table: 'users', column: { name: 'email', type: 'varchar(40)', unique: true }, up: 'lower(old_email)' } });
      await toContracted(s, '0001_email');
      const keys = (await s.db.indexes('users')).filter((i) => i.unique).map((i) => `${i.name} (${i.columns.join(', ')})`).sort();
      expect(keys).toEqual(['users_email_key (old_email)', 'users_email_key1 (email)']);
      expect(await s.db.query(`SELECT id, email FROM users ORDER BY id`)).toEqual([{ id: 1, email: 'a@x' }, { id: 2, email: 'b@x' }]);
      await expect(s.db.query(`INSERT INTO users (id, old_email, email) VALUES (3, 'C@x', 'a@x')`)).rejects.toThrow(/users_email_key1|Duplicate/);
    });

    it('createTable and addColumn: unique columns whose key names cut to one at the length limit get …_key, …_key1, …_key2', async () => {
      const L = 'a'.repeat(40);
      const s = await setup(target, [], 'xc_campaign');
      // Two columns whose names cut to one at the length limit, then a third added by a later migration, planned together.
      await s.write('0001_long', { createTable: { table: `t_${L}`, columns: [{ name: 'id', type: 'int', primaryKey: true }, ...['one', 'two'].map((n) => ({ name: `c_${L}_${n}`, type: 'int', unique: true }))] } });
      await s.write('0002_long', { addColumn: { table: `t_${L}`, column: { name: `c_${L}_three`, type: 'int', unique: true } } });
      await toContracted(s, '0002_long');
      // Each column its own name, cut to the server's limit, numbered in the order PostgreSQL numbers them.
      const long = new Map((await s.db.indexes(`t_${L}`)).filter((i) => i.unique && i.columns[0] !== 'id').map((i) => [i.columns[0]!, i.name]));
      const limit = pg ? 63 : 64;
      expect([...long.keys()].sort()).toEqual(['one', 'three', 'two'].map((n) => `c_${L}_${n}`));
      expect(['one', 'two', 'three'].map((n) => long.get(`c_${L}_${n}`)!.replace(/^.*_key/, '_key'))).toEqual(['_key', '_key1', '_key2']);
      for (const name of long.values()) expect(name.length).toBe(limit);
      if (pg) {
        // Exactly PostgreSQL's own names, as it names the same table created and altered by hand.
        await s.db.query(`CREATE SCHEMA own`);
        await s.db.query(`CREATE TABLE own.t_${L} (id int PRIMARY KEY, c_${L}_one int UNIQUE, c_${L}_two int UNIQUE)`);
        await s.db.query(`ALTER TABLE own.t_${L} ADD COLUMN c_${L}_three int UNIQUE`);
        const own = await s.db.query<{ n: string }>(`SELECT conname AS n FROM pg_constraint WHERE conrelid = 'own.t_${L}'::regclass AND contype = 'u' ORDER BY 1`);
        expect([...long.values()].sort()).toEqual(own.map((r) => r.n));
      }
    });

    it.skipIf(pg)('a user without the PROCESS privilege runs every phase; a blocker among its own sessions is still named (exit 5)', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, n int)`, `INSERT INTO items (id, n) VALUES (1, 1), (2, 2), (3, 3)`], 'xc_campaign');
      const user = `xc_np_${Math.random().toString(36).slice(2, 10)}`;
      const database = decodeURIComponent(new URL(s.db.url).pathname.slice(1));
      await s.db.query(`CREATE USER '${user}'@'%'`);
      onCleanup(() => s.db.query(`DROP USER IF EXISTS '${user}'@'%'`).then(() => undefined));
      await s.db.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'%'`);
      const url = new URL(s.db.url);
      url.username = user;
      url.password = '';
      await s.write('0001_m', { addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: '(n * 2)' } }, { addIndex: { table: 'items', columns: ['n'] } });

      // The same user's long statement holds the table's metadata lock: PROCESSLIST shows it, INNODB_TRX is refused.
      const holder = await mysql.createConnection({ uri: url.toString() });
      onCleanup(() => holder.end().catch(() => undefined));
      const [[{ id }]] = (await holder.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      const sleeping = holder.query('SELECT SLEEP(6) FROM items LIMIT 1').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1500));
      const blocked = createXc({ url: url.toString(), dir: s.dir, lockTimeoutMs: 200, lockRetryForMs: 1000 });
      onCleanup(() => blocked.close());
      const err = await rejection(blocked.apply());
      expect(err.exitCode, err.message).toBe(5);
      expect(err.message).toMatch(new RegExp(`blocked by:\\n  session ${id} user ${user}`));
      await sleeping;

      const xc = createXc({ url: url.toString(), dir: s.dir });
      onCleanup(() => xc.close());
      await xc.apply();
      await xc.contract({ force: true, reason: 'test' });
      expect(await s.db.count(`SELECT count(*) FROM items WHERE m = n * 2`)).toBe(3);
    });

    // Both names: an application's `xc.migrations` once failed every command on PostgreSQL with exit 1 ("column plan does not exist", campaign N1).
    for (const taken of ['events', 'migrations']) it(`an application's own table under one of xc's state names (${taken}) is refused (exit 2) by every command, naming it; nothing is created beside it`, async () => {
      const own = pg ? [`CREATE SCHEMA xc`, `CREATE TABLE xc.${taken} (id serial PRIMARY KEY, payload text)`] : [`CREATE TABLE xc_${taken} (id int PRIMARY KEY, what text)`];
      const s = await setup(target, [...own, `CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO users VALUES (1, 'a')`], 'xc_campaign');
      await s.write('0001_r', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
      const stateTables = async () =>
        pg
          ? (await s.db.query<{ n: string }>(`SELECT tablename AS n FROM pg_tables WHERE schemaname = 'xc' ORDER BY 1`)).map((r) => r.n)
          : (await s.db.query<{ n: string }>(`SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'xc\\_%' ORDER BY 1`)).map((r) => r.n);
      const before = await stateTables();
      // Before: a raw SQL error (exit 1) naming a column, or xc's other five tables created beside the application's.
      const commands = { plan: () => s.xc.plan(), status: () => s.xc.status(), apply: () => s.xc.apply(), record: () => s.xc.deploy.record({ app: 'shop', version: 'v1' }), init: () => s.xc.init() };
      for (const [name, run] of Object.entries(commands)) {
        const err = await run().then(() => ({ exitCode: 0, message: `${name} passed`, code: undefined }), (e: unknown) => e as { exitCode: number; message: string; code?: string });
        expect(err.exitCode, err.message).toBe(2);
        expect(err.code, name).toBe('state_foreign');
        expect(err.message).toContain(pg ? `"xc"."${taken}" is not xc's` : `\`xc_${taken}\` is not xc's`);
      }
      expect(await stateTables()).toEqual(before);
      expect((await s.db.columns('users')).map((c) => c.name)).toEqual(['id', 'name']);
      // The way out it names: the application's own renamed, or (PostgreSQL) tables outside public named with --schema.
      expect((await rejection(s.xc.plan())).message).toMatch(pg ? /rename the application's own \(or, on PostgreSQL, for tables outside public, name their schema with --schema: the state is then kept apart, in xc_<schema>\)/ : /rename the application's own/);
    });

    it.skipIf(pg)('rolling back a unique key with up: old inserts between the trigger\'s removal and the shadow\'s drop do not meet in the unique copy (fuzz seed 134)', async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, alpha bigint NOT NULL DEFAULT 3)`, `INSERT INTO orders SELECT seq, 3 FROM seq_1_to_20`], 'xc_campaign');
      const url = new URL(s.db.url);
      let next = 1000;
      const inserted: number[] = [];
      await s.write('0001_uq', { createConstraint: { table: 'orders', name: 'orders_uq', type: 'unique', columns: ['alpha'], up: { alpha: '(COALESCE(alpha, 0) * 1000000 + id)' } } });
      await s.xc.apply();
      let done = false;
      let removed = 0;
      const xc = createXc({
        url: s.db.url,
        dir: s.dir,
        // Blocks xc (the callback is synchronous) while the old version inserts two rows omitting the column, at the first step after the trigger pair's removal.
        onEvent: (e) => {
          if (e.event !== 'step' || done) return;
          if (/^remove trigger \S*shadowsync/.test(e.description)) return void removed++;
          if (removed < 2) return;
          done = true;
          for (const id of [next++, next++]) {
            execFileSync('mariadb', ['-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username), url.pathname.slice(1), '-e', `INSERT INTO orders (id) VALUES (${id})`]);
            inserted.push(id);
          }
        },
      });
      onCleanup(() => xc.close());
      await xc.rollback();
      expect(done).toBe(true);
      expect(inserted).toEqual([1000, 1001]);
      expect(await s.db.count(`SELECT count(*) FROM orders WHERE alpha = 3`)).toBe(22);
      expect(await s.db.triggers()).toEqual([]);
    });

    it.skipIf(pg)('rows an old writer inserts between the fill and the triggers are converted before a unique copy is built (rename, and a unique key with up in place)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, code int NOT NULL, alpha int NOT NULL DEFAULT 3)`, `CREATE UNIQUE INDEX users_code ON users (code)`, `INSERT INTO users SELECT seq, seq, 3 FROM seq_1_to_300`], 'xc_campaign');
      const url = new URL(s.db.url);
      let next = 1000;
      let code = 'code'; // the old version's name for it
      // Blocks xc (its event callback is synchronous) while another client inserts two rows: after the fill, before the triggers.
      const insertTwo = () => {
        for (const id of [next++, next++]) {
          execFileSync('mariadb', ['-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username), url.pathname.slice(1), '-e', `INSERT INTO users (id, ${code}) VALUES (${id}, ${id})`]);
        }
      };
      const applyInsertingBeforeTriggers = async () => {
        let filled = false;
        let done = false;
        const xc = createXc({
          url: s.db.url,
          dir: s.dir,
          onEvent: (e) => {
            if (e.event !== 'step' || done) return;
            if (/^fill /.test(e.description)) filled = true;
            else if (filled) {
              done = true;
              insertTwo();
            }
          },
        });
        onCleanup(() => xc.close());
        await xc.apply();
        expect(done, 'rows were inserted between the fill and the next step').toBe(true);
      };
      // Before: the unique copy's build met two placeholders (0) — "Duplicate entry", exit 1 on every run.
      await s.write('0001_rename', { renameColumn: { table: 'users', from: 'code', to: 'ref' } });
      await applyInsertingBeforeTriggers();
      await toContracted(s, '0001_rename');
      expect(await s.db.count(`SELECT count(*) FROM users WHERE ref = id`)).toBe(302);
      code = 'ref';
      await s.write('0002_uq', { alterColumn: { table: 'users', column: 'alpha', unique: { name: 'users_alpha_uq' }, up: '(alpha * 1000000 + id)' } });
      await applyInsertingBeforeTriggers();
      await toContracted(s, '0002_uq');
      expect(await s.db.count(`SELECT count(*) FROM users WHERE alpha = 3 * 1000000 + id`)).toBe(304);
      await expect(s.db.query(`INSERT INTO users (id, ref, alpha) VALUES (9999, 9999, 3000001)`)).rejects.toThrow(/Duplicate/);
    });
  });
}
