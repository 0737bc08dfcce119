/**
 * Issue 11 item 11: `--schema` for a second schema. A database with the same
 * tables in several schemas (a schema per tenant) is migrated one schema at
 * a time; each keeps its own state (`xc_<schema>`; `xc` without --schema),
 * so one schema's migrations are never taken for another's, and a state
 * written for other tables than the connection's is refused (exit 2).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc, type XcOptions } from '../../src/index.js';
import { rejection, runXc } from '../helpers/cli.js';
import { createPgDatabase, describeMysql, describePg, type TestDb } from '../helpers/servers.js';
import { targets } from '../helpers/targets.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const MIGRATIONS = {
  '0001_m': { operations: [{ addColumn: { table: 'items', column: { name: 'm', type: 'int' }, up: 'n * 2' } }] },
  '0002_note': { operations: [{ addColumn: { table: 'items', column: { name: 'note', type: 'text', default: "'new'" } } }] },
};

/** Schemas with the same table `items`, each with its own rows: `rows` of them, n = i * factor. */
async function setup(schemas: Record<string, { rows: number; factor: number }>) {
  const db = await createPgDatabase('xc_schemas');
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-schemas-'));
  cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
  for (const [name, { rows, factor }] of Object.entries(schemas)) {
    const q = `"${name.replace(/"/g, '""')}"`;
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    await db.query(`CREATE TABLE ${q}.items (id int PRIMARY KEY, n int)`);
    await db.query(`INSERT INTO ${q}.items SELECT g, g * ${factor} FROM generate_series(1, ${rows}) g`);
  }
  for (const [id, def] of Object.entries(MIGRATIONS)) await writeFile(path.join(dir, `${id}.json`), JSON.stringify(def));
  const xc = (opts: Partial<XcOptions> = {}): Xc => {
    const x = createXc({ url: db.url, dir, ...opts });
    cleanup.push(() => x.close());
    return x;
  };
  return { db, dir, xc };
}

const columns = async (db: TestDb, schema: string) =>
  (await db.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items' ORDER BY ordinal_position`, [schema])).map((r) => r.c);
const xcSchemas = async (db: TestDb) => (await db.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'xc%' ORDER BY 1`)).map((r) => r.n);
const phases = async (x: Xc) => (await x.status()).migrations.map((m) => [m.id, m.phase]);

describePg('--schema: a state per schema (PostgreSQL)', () => {
  it('the same migrations applied to two schemas in turn: both get the change, and each status shows its own phases', async () => {
    const { db, xc } = await setup({ a: { rows: 3, factor: 10 }, b: { rows: 2, factor: 7 } });
    const [a, b, plain] = [xc({ schema: 'a' }), xc({ schema: 'b' }), xc()];
    await a.apply();
    // What was the defect: b read a's state and had "nothing to apply".
    expect(await phases(b)).toEqual([['0001_m', 'pending'], ['0002_note', 'pending']]);
    await b.apply();
    await a.deploy.record({ app: 'shop', version: 'v2' });
    await a.contract();
    expect(await phases(a)).toEqual([['0001_m', 'contracted'], ['0002_note', 'contracted']]);
    expect(await phases(b)).toEqual([['0001_m', 'backfilled'], ['0002_note', 'backfilled']]);
    expect(await columns(db, 'a')).toEqual(['id', 'n', 'm', 'note']);
    expect(await columns(db, 'b')).toEqual(['id', 'n', 'm', 'note']);
    expect(await db.query(`SELECT id, n, m, note FROM a.items ORDER BY id`)).toEqual([
      { id: 1, n: 10, m: 20, note: 'new' },
      { id: 2, n: 20, m: 40, note: 'new' },
      { id: 3, n: 30, m: 60, note: 'new' },
    ]);
    expect(await db.query(`SELECT id, n, m, note FROM b.items ORDER BY id`)).toEqual([{ id: 1, n: 7, m: 14, note: 'new' }, { id: 2, n: 14, m: 28, note: 'new' }]);
    // b's triggers still keep m for its old writers; a's are gone with its contract.
    await db.query(`INSERT INTO b.items (id, n) VALUES (3, 21)`);
    expect(await db.query(`SELECT m FROM b.items WHERE id = 3`)).toEqual([{ m: 42 }]);
    // Without --schema: the connection's default (public, no items here), its state in `xc`, which read-only commands do not create.
    expect(await phases(plain)).toEqual([['0001_m', 'pending'], ['0002_note', 'pending']]);
    expect(await xcSchemas(db)).toEqual(['xc_a', 'xc_b']);
    // Each schema's deploy gate reads its own deployments: b has none recorded, so its contract is refused (fail closed).
    const refused = await rejection(b.contract());
    expect(refused.exitCode, refused.message).toBe(3);
    expect(refused.message).toMatch(/contract of 0001_m refused/);
    expect((await b.deploy.list()).deployments).toEqual([]);
    await b.deploy.record({ app: 'shop', version: 'v2' });
    await b.contract();
    expect(await phases(b)).toEqual([['0001_m', 'contracted'], ['0002_note', 'contracted']]);
  });

  it('a schema named exactly as written (case and space included) keeps its state in "xc_<name>"; --schema public is the default state "xc"', async () => {
    const { db, xc } = await setup({ 'Tenant One': { rows: 2, factor: 1 }, public: { rows: 1, factor: 5 } });
    await xc({ schema: 'Tenant One' }).apply({ id: '0001_m' });
    expect(await db.query(`SELECT id, m FROM "Tenant One".items ORDER BY id`)).toEqual([{ id: 1, m: 2 }, { id: 2, m: 4 }]);
    await xc({ schema: 'public' }).apply({ id: '0001_m' });
    expect(await db.query(`SELECT id, m FROM public.items`)).toEqual([{ id: 1, m: 10 }]);
    expect(await xcSchemas(db)).toEqual(['xc', 'xc_Tenant One']);
    expect(await phases(xc())).toEqual([['0001_m', 'backfilled'], ['0002_note', 'pending']]);
    // Contract looks its triggers up in the schema as named (once read as `tenant one`: "schema does not exist", exit 1, for good).
    const tenant = xc({ schema: 'Tenant One' });
    await tenant.deploy.record({ app: 'shop', version: 'v2', level: '0001_m' });
    await tenant.contract();
    expect(await phases(tenant)).toEqual([['0001_m', 'contracted'], ['0002_note', 'pending']]);
    await db.query(`INSERT INTO "Tenant One".items (id, n, m) VALUES (3, 3, 7)`);
    expect(await db.query(`SELECT id, n, m FROM "Tenant One".items ORDER BY id`)).toEqual([{ id: 1, n: 1, m: 2 }, { id: 2, n: 2, m: 4 }, { id: 3, n: 3, m: 7 }]);
  });

  it('a --schema that does not exist, cannot hold a state name or is xc\'s own is refused (exit 2) by every command, and nothing is created', async () => {
    const { db, dir, xc } = await setup({ a: { rows: 1, factor: 1 } });
    const long = 'x'.repeat(61);
    const cases: [string, RegExp][] = [
      ['nope', /--schema "nope": no such schema in this database/],
      ['A', /--schema "A": no such schema in this database \(names are taken exactly as written, case included\)/],
      [long, new RegExp(`--schema "${long}" is too long: xc keeps its state for it in schema "xc_${long}", over PostgreSQL's 63-byte limit`)],
      ['xc_a', /--schema "xc_a": schema names "xc" and "xc_…" are where xc keeps its own state/],
    ];
    for (const [schema, message] of cases) {
      const x = xc({ schema });
      for (const command of [() => x.plan(), () => x.status(), () => x.apply(), () => x.init(), () => x.deploy.record({ app: 'shop', version: 'v1' })]) {
        const err = await rejection(command());
        expect(err.exitCode, err.message).toBe(2);
        expect(err.message).toMatch(message);
      }
    }
    const run = await runXc(['apply', '--url', db.url, '--dir', dir, '--schema', 'nope']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--schema "nope": no such schema in this database/);
    expect(await xcSchemas(db)).toEqual([]);
    expect(await columns(db, 'a')).toEqual(['id', 'n']);
  });

  it('an empty --schema (flag, XC_SCHEMA or config) is refused (exit 2) naming where it came from, not read as the default schema', async () => {
    const { db, dir } = await setup({ public: { rows: 1, factor: 1 } });
    // `--schema "$TENANT"` with TENANT unset: before, the public schema was migrated.
    for (const [args, env, message] of [
      [['--schema', ''], {}, /--schema is empty/],
      [['--schema', '  '], {}, /--schema is empty/],
      [[], { XC_SCHEMA: '' }, /XC_SCHEMA is empty/],
    ] as [string[], Record<string, string>, RegExp][]) {
      const run = await runXc(['apply', '--url', db.url, '--dir', dir, ...args], { env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const cwd = await mkdtemp(path.join(tmpdir(), 'xc-schemas-cfg-'));
    cleanup.push(() => rm(cwd, { recursive: true, force: true }));
    await writeFile(path.join(cwd, 'xc.config.json'), JSON.stringify({ url: db.url, dir, schema: '' }));
    const run = await runXc(['apply'], { cwd });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/xc\.config\.json: schema is empty/);
    expect(await xcSchemas(db)).toEqual([]);
    expect(await columns(db, 'public')).toEqual(['id', 'n']);
  });

  it('two schemas migrate at once (a lock per schema); a second xc on the same schema still gets exit 4', async () => {
    const { db, xc } = await setup({ a: { rows: 300, factor: 1 }, b: { rows: 3, factor: 1 } });
    let started!: () => void;
    const backfilling = new Promise<void>((resolve) => (started = resolve));
    const slow = xc({ schema: 'a', batchSize: 10, batchDelayMs: 30, onEvent: (e) => void (e.event === 'backfill' && started()) }).apply({ id: '0001_m' });
    await backfilling;
    await xc({ schema: 'b' }).apply({ id: '0001_m' }); // while a's backfill holds a's lock
    const second = await rejection(xc({ schema: 'a' }).apply({ id: '0001_m' }));
    expect(second.exitCode, second.message).toBe(4);
    await slow;
    expect(await db.query(`SELECT count(*)::int AS n FROM a.items WHERE m = n * 2`)).toEqual([{ n: 300 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM b.items WHERE m = n * 2`)).toEqual([{ n: 3 }]);
  });

  it('schema with a connection handed in: a URL gets that search_path; a pool keeps its own, which must be that schema (else exit 2)', async () => {
    const { db, xc } = await setup({ a: { rows: 1, factor: 1 }, b: { rows: 1, factor: 1 } });
    await xc({ connection: db.url, schema: 'b' }).apply({ id: '0001_m' });
    expect(await columns(db, 'b')).toEqual(['id', 'n', 'm']);
    const pool = (options?: string) => {
      const p = new pg.Pool({ connectionString: db.url, ...(options ? { options } : {}) });
      cleanup.push(() => p.end());
      return p;
    };
    // An application's pool on its tenant's schema: its heartbeat goes to that schema's state, which the gate reads.
    const heartbeat = await xc({ connection: pool('-c search_path=a'), schema: 'a' }).startHeartbeat({ app: 'shop', version: 'v1', level: null });
    expect((await xc({ schema: 'a' }).deploy.list()).instances.map((i) => i.version)).toEqual(['v1']);
    expect((await xc({ schema: 'b' }).deploy.list()).instances).toEqual([]);
    await heartbeat.stop();
    const err = await rejection(xc({ connection: pool(), schema: 'a' }).apply());
    expect(err.exitCode, err.message).toBe(2);
    expect(err.message).toMatch(/--schema "a": this connection's tables resolve to schema "public", not "a" — a connection or knexfile handed to xc keeps its own search_path/);
    expect(await columns(db, 'a')).toEqual(['id', 'n']);
  });

  it("a URL with its own startup options (?options=-c …) keeps them, and --schema's search_path and xc's statement limit still hold (campaign G)", async () => {
    const { db, xc } = await setup({ a: { rows: 1, factor: 1 }, b: { rows: 1, factor: 1 } });
    const url = `${db.url}${db.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c work_mem=1234kB -c statement_timeout=50')}`;
    const x = xc({ url, schema: 'b' });
    await x.apply({ id: '0001_m' });
    expect(await columns(db, 'b')).toEqual(['id', 'n', 'm']);
    expect(await columns(db, 'a')).toEqual(['id', 'n']);
    const { openDriver } = await import('../../src/db/connect.js');
    const { withSession } = await import('../../src/db/driver.js');
    const driver = await openDriver({ url, schema: 'b' });
    cleanup.push(() => driver.close());
    const settings = await withSession(driver, async (s) => (await s.query<Record<string, string>>(`SELECT current_setting('work_mem') AS w, current_setting('statement_timeout') AS t, current_schema() AS s`)).rows[0]);
    expect(settings).toEqual({ w: '1234kB', t: '0', s: 'b' });
  });

  it('a state written for another schema is refused (exit 2), not read as up to date: a connection whose search_path moved', async () => {
    const { db, xc } = await setup({ a: { rows: 2, factor: 1 }, b: { rows: 2, factor: 1 } });
    const pool = (schema: string) => {
      const p = new pg.Pool({ connectionString: db.url, options: `-c search_path=${schema}` });
      cleanup.push(() => p.end());
      return p;
    };
    await xc({ connection: pool('a') }).apply({ id: '0001_m' });
    for (const run of [(x: Xc) => x.status(), (x: Xc) => x.plan(), (x: Xc) => x.apply()]) {
      const err = await rejection(run(xc({ connection: pool('b') })));
      expect(err.exitCode, err.message).toBe(2);
      expect(err.message).toMatch(/the state in schema "xc" is for the tables of schema "a" \(migrations 0001_m\), but this connection's tables are in "b"/);
      // Not "give --schema": that looks in "xc_a", where the state is not (campaign ED: the two refusals sent the user in a loop).
      expect(err.message).toContain(`run as the runs that recorded it did (a search_path resolving to "a", or --schema a once its state is in "xc_a": \`ALTER SCHEMA "xc" RENAME TO "xc_a"\``);
    }
    expect(await columns(db, 'b')).toEqual(['id', 'n']);
    expect(await db.query(`SELECT id FROM xc.migrations`)).toEqual([{ id: '0001_m' }]);
  });

  it('state an older xc kept in "xc" for a --schema is found, not skipped: exit 2 naming the move; a fresh one starts with xc init', async () => {
    const { db, xc } = await setup({ a: { rows: 2, factor: 1 }, b: { rows: 2, factor: 1 } });
    const pool = new pg.Pool({ connectionString: db.url, options: '-c search_path=a' });
    cleanup.push(() => pool.end());
    await xc({ connection: pool }).apply({ id: '0001_m' }); // state in "xc", for "a"
    const moved = await rejection(xc({ schema: 'a' }).status());
    expect(moved.exitCode, moved.message).toBe(2);
    expect(moved.message).toMatch(/the state of schema "a" \(migrations 0001_m\) is in schema "xc", where runs without --schema keep the state of the schema their search_path resolves to .* run without --schema as before, or move it there \(`ALTER SCHEMA "xc" RENAME TO "xc_a"`/);
    // An older xc recorded no schema: which schema's state it is cannot be told, so neither a nor b takes it as theirs or as nothing.
    await db.query(`UPDATE xc.migrations SET plan = (plan::jsonb - 'schema')::text`);
    for (const schema of ['a', 'b']) {
      const err = await rejection(xc({ schema }).apply());
      expect(err.exitCode, err.message).toBe(2);
      expect(err.message).toMatch(new RegExp(`schema "xc_${schema}", where xc keeps the state of schema "${schema}", does not exist yet, and schema "xc" holds migrations \\(0001_m\\) recorded without the schema`));
    }
    expect(await columns(db, 'b')).toEqual(['id', 'n']);
    expect(await xcSchemas(db)).toEqual(['xc']);
    // b was never migrated: its own state starts with init; a's legacy state moves by renaming.
    await xc({ schema: 'b' }).init();
    await xc({ schema: 'b' }).apply({ id: '0001_m' });
    expect(await db.query(`SELECT id, m FROM b.items ORDER BY id`)).toEqual([{ id: 1, m: 2 }, { id: 2, m: 4 }]);
    await db.query(`ALTER SCHEMA xc RENAME TO xc_a`);
    expect(await phases(xc({ schema: 'a' }))).toEqual([['0001_m', 'backfilled'], ['0002_note', 'pending']]);
  });
});

describeMysql('--schema on MySQL/MariaDB', () => {
  it('is refused (exit 2) saying the database in the URL is the schema (a URL before connecting, a pool once known to be MySQL); nothing is created', async () => {
    const db = await targets.find((t) => t.name === 'mysql')!.create('xc_schemas');
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-schemas-'));
    cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, '0001_m.json'), JSON.stringify({ operations: [{ createTable: { table: 'items', columns: [{ name: 'id', type: 'int', primaryKey: true, nullable: false }] } }] }));
    const message = /--schema "b": MySQL\/MariaDB have no schemas inside a database — the database in the URL \(mysql:\/\/host\/DB\) is the one xc migrates/;
    const run = await runXc(['apply', '--url', db.url, '--dir', dir, '--schema', 'b']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    // A pool handed in is known to be MySQL only once connected: refused then, before anything is read.
    const pool = (await import('mysql2/promise')).createPool({ uri: db.url });
    cleanup.push(() => pool.end());
    for (const x of [createXc({ url: db.url, dir, schema: 'b' }), createXc({ connection: pool, dir, schema: 'b' })]) {
      cleanup.push(() => x.close());
      for (const command of [() => x.status(), () => x.init()]) {
        const err = await rejection(command());
        expect(err.exitCode, err.message).toBe(2);
        expect(err.message).toMatch(message);
      }
    }
    expect(await db.query(`SHOW TABLES`)).toEqual([]);
  });

  it('a knexfile with --schema, refused once the server is known to be MySQL: the pool xc opened for it is closed, no session left open', async () => {
    const db = await targets.find((t) => t.name === 'mysql')!.create('xc_schemas');
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-schemas-'));
    cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
    const knexfile = path.join(dir, 'knexfile.cjs');
    await writeFile(knexfile, `module.exports = { client: 'mysql2', connection: ${JSON.stringify(db.url)} };\n`);
    const sessions = async () => Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE()'))[0]!.n);
    const before = await sessions();
    const x = createXc({ knexfile, dir, schema: 'b' });
    const err = await rejection(x.status());
    expect(err.exitCode, err.message).toBe(2);
    expect(err.message).toMatch(/--schema "b": MySQL\/MariaDB have no schemas inside a database/);
    await x.close();
    // Before, the session that asked the server's version stayed open in a pool close() could no longer reach.
    for (let i = 0; i < 40 && (await sessions()) > before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sessions()).toBe(before);
  });
});
