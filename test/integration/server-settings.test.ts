/**
 * Campaign AC: settings a server, a database or a role gives every session,
 * under which xc's own statements meant something else. xc's own pooled
 * connections set them for their life (Dialect.ownConnection):
 *
 * - PostgreSQL FORCE ROW LEVEL SECURITY, xc running as the table's owner: the
 *   backfill and the verify saw no row (exit 0), and the contract dropped a
 *   column of 1000 values. `row_security = off`: an error instead.
 * - PostgreSQL `standard_conforming_strings = off`: the catalog queries'
 *   regexes read as escapes, so a trigger of another table writing into a
 *   dropped table was missed, and the application's inserts failed after the
 *   contract.
 * - PostgreSQL `default_transaction_isolation = serializable`: xc's parallel
 *   backfill parts failed each other (40001), blamed on the data.
 * - MariaDB `autocommit = 0` server-wide: `deploy retire` said done and
 *   committed nothing; a contract waited on the metadata lock its own verify
 *   session held.
 * - MariaDB `sql_mode = ORACLE` server-wide: xc's triggers and catalog
 *   queries read as PL/SQL; refused up front, naming it.
 *
 * And campaigns AF and AG: a role that may not create temporary tables (plan's
 * checks blamed the migration); a binary log in STATEMENT format, which gives
 * each replica its own UUID() (refused at plan); a max_allowed_packet smaller
 * than the plan xc stores (refused, naming it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import { describeMysql, describePg, PG_URL } from '../helpers/servers.js';
import { targets, type Db } from '../helpers/targets.js';
import { onCleanup, record, refused, rejection, setup } from '../helpers/scenario.js';
import { startMariadb } from '../chaos/servers.js';

const pgTarget = targets.find((t) => t.name === 'postgres')!;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** xc on a scenario's database, connecting as another role or user; closed after the test. */
function xcAs(s: { db: { url: string }; dir: string }, name: string) {
  const url = new URL(s.db.url);
  url.username = name;
  const xc = createXc({ url: url.toString(), dir: s.dir });
  onCleanup(() => xc.close());
  return xc;
}

/** Plan and apply alike refuse `migration` (exit 2, nothing run), the message holding `problem`; the errors, for more. */
async function refusedByPlanAndApply(xc: Xc, migration: string, problem: string): Promise<Error[]> {
  const errors: Error[] = [];
  for (const attempt of [() => xc.plan(), () => xc.apply()]) {
    const err = await rejection(attempt());
    expect(err).toMatchObject({ exitCode: 2, details: { migration } });
    expect(err.message).toContain(problem);
    errors.push(err);
  }
  return errors;
}

/** The pending int → bigint change of `t.v` through apply, deploy record and contract: the column is bigint, each row's value kept (`sum(id * v)`). */
async function widenedThrough(xc: Xc, s: { db: Db }, weighted: number): Promise<void> {
  await xc.apply();
  await xc.deploy.record({ app: 'a', version: '2' });
  await xc.contract();
  const here = s.db.dialect === 'postgres' ? 'current_schema()' : 'DATABASE()';
  expect(await s.db.count(`SELECT count(*) FROM information_schema.columns WHERE table_schema = ${here} AND table_name = 't' AND column_name = 'v' AND data_type = 'bigint'`)).toBe(1);
  expect(await s.db.count(`SELECT sum(id * v) FROM t`)).toBe(weighted);
}

/**
 * A private MariaDB started with `args` (a setting no test may give the shared server), database `name` holding
 * `users (id, name)` (its `rows`), and a folder for migrations; all removed after the test.
 */
async function privateMariadb(args: string[], name: string, rows = `(1, 'a'), (2, 'b')`) {
  const server = await startMariadb(() => args);
  onCleanup(() => server.stop());
  const dir = await mkdtemp(path.join(tmpdir(), `xc-${name}-`));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const conn = await mysql.createConnection(server.url);
  onCleanup(() => conn.end());
  await conn.query(`CREATE DATABASE ${name}`);
  await conn.query(`CREATE TABLE ${name}.users (id int PRIMARY KEY, name varchar(40))`);
  if (rows) await conn.query(`INSERT INTO ${name}.users VALUES ${rows}`);
  const xc = () => {
    const x = createXc({ url: server.urlOf(name), dir });
    onCleanup(() => x.close());
    return x;
  };
  return { server, dir, conn, xc };
}

const TENANTS = [`CREATE TABLE t (id int PRIMARY KEY, tenant text NOT NULL, nick text)`, `INSERT INTO t SELECT g, 'a', 'n' || g FROM generate_series(1, 1000) g`];

/** A role's name, dropped after the test: taken before the scenario's database, so dropped after it (cleanups run last first). */
function roleName(prefix: string): string {
  const role = `${prefix}_${randomBytes(4).toString('hex')}`;
  onCleanup(() => admin(`DROP ROLE IF EXISTS ${role}`));
  return role;
}

/** `role`, made a login role owning `t` (and `others`) under FORCE ROW LEVEL SECURITY, whose policy shows it no row. */
async function rlsOwner(s: { db: Db }, role: string, others: string[] = []): Promise<string> {
  await admin(`CREATE ROLE ${role} LOGIN`);
  for (const sql of [
    `GRANT CREATE ON DATABASE ${new URL(s.db.url).pathname.slice(1)} TO ${role}`,
    `GRANT CREATE ON SCHEMA public TO ${role}`,
    ...['t', ...others].map((table) => `ALTER TABLE ${table} OWNER TO ${role}`),
    `ALTER TABLE t ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE t FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY by_tenant ON t USING (tenant = current_setting('app.tenant', true))`,
  ]) {
    await s.db.query(sql);
  }
  return role;
}

/** `xc`'s apply of a rename of `t.nick` fails on the policy (exit 1, naming BYPASSRLS), no value lost; rolled back clean. */
async function failsOnPolicy(s: { db: Db; write: (id: string, ...ops: unknown[]) => Promise<void> }, xc: Xc): Promise<void> {
  await s.write('0001_rename', { renameColumn: { table: 't', from: 'nick', to: 'nickname' } });
  const err = await rejection(xc.apply());
  expect(err.exitCode, err.message).toBe(1);
  expect(err.message).toMatch(/row-level security policy for table "t"\n.*BYPASSRLS/);
  expect(await s.db.query(`SELECT count(nick)::int AS n FROM t`)).toEqual([{ n: 1000 }]);
  await xc.rollback();
  expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'tenant', 'nick']);
}

describePg('settings PostgreSQL gives every session (campaign AC)', () => {
  it('FORCE ROW LEVEL SECURITY hiding rows from the owner xc runs as: the backfill fails saying so, no value is lost, the rollback is clean', async () => {
    const role = roleName('xc_rls');
    const s = await setup(pgTarget, TENANTS, 'xc_rls');
    await failsOnPolicy(s, xcAs(s, await rlsOwner(s, role)));
  });

  it("a pool handed in: FORCE ROW LEVEL SECURITY fails the backfill as on xc's own pool, float keys walk exactly at extra_float_digits = 0, and each session gets its own values back", async () => {
    const role = roleName('xc_rlspool');
    const s = await setup(pgTarget, [
      ...TENANTS,
      // Keys whose text at extra_float_digits = 0 rounds to one another's: 0.1 + 0.2 reads '0.3' there.
      `CREATE TABLE f (k float8 PRIMARY KEY, v int)`,
      `INSERT INTO f VALUES (0.1, 1), (0.2, 2), (0.3, 3), (0.1::float8 + 0.2::float8, 4), (0.30000000000000010, 5), (0.4, 6)`,
    ], 'xc_rlspool');
    const url = new URL(s.db.url);
    url.username = await rlsOwner(s, role, ['f']);
    // The application's pool: its sessions at extra_float_digits = 0 (a role's or database's setting, or the driver's).
    const pool = new pg.Pool({ connectionString: url.toString(), max: 4, options: '-c extra_float_digits=0' });
    onCleanup(() => pool.end());
    const xc = createXc({ connection: pool, dir: s.dir, batchSize: 1 });
    onCleanup(() => xc.close());
    await failsOnPolicy(s, xc);

    // An in-place change of f.v walked one key a batch: every row's value must reach the new type.
    await rm(path.join(s.dir, '0001_rename.json'));
    await s.write('0002_widen', { alterColumn: { table: 'f', column: 'v', type: 'bigint' } });
    await xc.apply();
    await xc.deploy.record({ app: 'a', version: '2' });
    await xc.contract();
    expect(await s.db.query(`SELECT count(*)::int AS n, sum(v)::int AS total FROM f`)).toEqual([{ n: 6, total: 21 }]);
    expect(await s.db.count(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'f' AND column_name = 'v' AND data_type = 'bigint'`)).toBe(1);

    // Every session of the pool as the application had it.
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect(), pool.connect()]);
    try {
      for (const c of clients) {
        expect((await c.query(`SELECT current_setting('row_security') AS rs, current_setting('extra_float_digits') AS efd`)).rows).toEqual([{ rs: 'on', efd: '0' }]);
      }
    } finally {
      for (const c of clients) c.release();
    }
  });

  it('standard_conforming_strings off and serializable by default: a dependent trigger is still found, a parallel backfill still runs', async () => {
    const s = await setup(pgTarget, [
      `CREATE TABLE audit (id int)`,
      `CREATE TABLE users (id int PRIMARY KEY, name text)`,
      `INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20000) g`,
      `CREATE FUNCTION log_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END $$`,
      `CREATE TRIGGER log_user AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION log_user()`,
    ], 'xc_scs');
    const db = new URL(s.db.url).pathname.slice(1);
    await admin(`ALTER DATABASE ${db} SET standard_conforming_strings = off`);
    await admin(`ALTER DATABASE ${db} SET default_transaction_isolation = 'serializable'`);
    await s.xc.close();
    const xc = createXc({ url: s.db.url, dir: s.dir, parallel: 2 });
    onCleanup(() => xc.close());
    await s.write('0001_drop', { dropTable: { table: 'audit' } });
    await refused({ ...s, xc }, ['audit'], /trigger "log_user" of "users"/);
    await s.write('0001_drop', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
    await xc.apply();
    await record(xc, '0001_drop');
    await xc.contract();
    expect(await s.db.query(`SELECT count(*)::int AS n FROM users WHERE full_name = 'u' || id`)).toEqual([{ n: 20000 }]);
  });

  it("a role that may not create xc's state: the error says that is what xc was making, and nothing is left (campaign AH)", async () => {
    const role = `xc_nocreate_${randomBytes(4).toString('hex')}`;
    onCleanup(() => admin(`DROP ROLE IF EXISTS ${role}`));
    const s = await setup(pgTarget, [`CREATE TABLE t (id int PRIMARY KEY)`], 'xc_nocreate');
    await admin(`CREATE ROLE ${role} LOGIN`);
    await s.db.query(`REVOKE CREATE ON DATABASE ${new URL(s.db.url).pathname.slice(1)} FROM PUBLIC`);
    await s.db.query(`ALTER TABLE t OWNER TO ${role}`);
    const xc = xcAs(s, role);
    await s.write('0001_add', { addColumn: { table: 't', column: { name: 'note', type: 'text' } } });
    const err = await rejection(xc.apply());
    expect(err.message).toMatch(/creating xc's state tables \("xc"\."migrations" and the others[^)]*\): permission denied for database/);
    expect(await s.db.count(`SELECT count(*) FROM pg_namespace WHERE nspname = 'xc'`)).toBe(0);
  });

  it('a role that does not own the table: plan refuses (exit 2) naming the owner and the grant that would do, apply writes nothing; granted the owner\'s role, it applies', async () => {
    const role = `xc_notowner_${randomBytes(4).toString('hex')}`;
    const owner = `xc_owner_${randomBytes(4).toString('hex')}`;
    onCleanup(() => admin(`DROP ROLE IF EXISTS ${role}`));
    onCleanup(() => admin(`DROP ROLE IF EXISTS ${owner}`));
    const s = await setup(pgTarget, [`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`, `INSERT INTO t SELECT g, g FROM generate_series(1, 100) g`], 'xc_notowner');
    const database = new URL(s.db.url).pathname.slice(1);
    await admin(`CREATE ROLE ${role} LOGIN`);
    await admin(`CREATE ROLE ${owner}`);
    // Every privilege on the table and where xc keeps its state — all but ownership, which only the owner's role gives.
    for (const sql of [`GRANT CREATE, CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`, `GRANT CREATE, USAGE ON SCHEMA public TO ${role}`, `ALTER TABLE t OWNER TO ${owner}`, `GRANT ALL ON t TO ${role}`]) {
      await s.db.query(sql);
    }
    const xc = xcAs(s, role);
    await s.write('0001_widen', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
    const problem = `operations[0].alterColumn.table: table "t" is owned by "${owner}", and xc connects as "${role}", which is not that role nor a member of it: PostgreSQL lets only a table's owner change it — connect as "${owner}", or GRANT "${owner}" TO "${role}"`;
    for (const err of await refusedByPlanAndApply(xc, '0001_widen', problem)) {
      expect((err as { issues?: unknown[] }).issues).toEqual([expect.objectContaining({ code: 'not_owner', table: 't', path: ['operations', 0, 'alterColumn', 'table'] })]);
    }
    // Nothing written: not even xc's state.
    expect(await s.db.count(`SELECT count(*) FROM pg_namespace WHERE nspname = 'xc'`)).toBe(0);
    await admin(`GRANT ${owner} TO ${role}`);
    await widenedThrough(xc, s, 338350);
  });

  it("a table's owner that may not create in its schema (PostgreSQL 15's public) nor the database, xc's state schema made for it: plan refuses what makes a trigger function, naming the GRANT; the rest applies into that schema; granted, the lifecycle runs", async () => {
    const role = `xc_noschema_${randomBytes(4).toString('hex')}`;
    onCleanup(() => admin(`DROP ROLE IF EXISTS ${role}`));
    const s = await setup(pgTarget, [`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`, `INSERT INTO t SELECT g, g FROM generate_series(1, 100) g`], 'xc_noschema');
    const database = new URL(s.db.url).pathname.slice(1);
    await admin(`CREATE ROLE ${role} LOGIN`);
    // As xc's error for a missing state schema asks: a DBA makes it for the role, which may create nothing else.
    for (const sql of [`REVOKE CREATE ON DATABASE ${database} FROM PUBLIC`, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`, `CREATE SCHEMA xc AUTHORIZATION ${role}`, `ALTER TABLE t OWNER TO ${role}`]) {
      await s.db.query(sql);
    }
    const xc = xcAs(s, role);
    await s.write('0001_widen', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
    await refusedByPlanAndApply(xc, '0001_widen', `operations[0].alterColumn.table: xc connects as "${role}", which may not create objects in schema "public", where this operation makes its trigger functions — GRANT CREATE ON SCHEMA "public" TO "${role}"`);
    expect(await s.db.count(`SELECT count(*) FROM pg_tables WHERE schemaname = 'xc'`)).toBe(0);
    expect(await s.db.count(`SELECT count(*) FROM pg_proc WHERE proname LIKE 'xc\\_%'`)).toBe(0);
    // A column without `up` makes no function: it applies, its state in the schema made for it (was: "permission
    // denied for database", CREATE SCHEMA IF NOT EXISTS asking for the database's CREATE before it looks).
    await s.write('0001_widen', { addColumn: { table: 't', column: { name: 'note', type: 'text' } } });
    await xc.apply();
    expect(await s.db.count(`SELECT count(*) FROM xc.migrations WHERE phase = 'backfilled'`)).toBe(1);
    await s.db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    await s.write('0002_widen', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
    await widenedThrough(xc, s, 338350);
  });

  it('a role that may not create temporary tables: plan checks what it can and applies (campaign AF-1: was refused, the index blamed)', async () => {
    const role = `xc_notemp_${randomBytes(4).toString('hex')}`;
    onCleanup(() => admin(`DROP ROLE IF EXISTS ${role}`));
    const s = await setup(pgTarget, [`CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL)`, `INSERT INTO t SELECT g, 'u' || g FROM generate_series(1, 100) g`], 'xc_notemp');
    const database = new URL(s.db.url).pathname.slice(1);
    await admin(`CREATE ROLE ${role} LOGIN`);
    for (const sql of [`REVOKE TEMPORARY ON DATABASE ${database} FROM PUBLIC`, `GRANT CREATE, CONNECT ON DATABASE ${database} TO ${role}`, `GRANT CREATE ON SCHEMA public TO ${role}`, `ALTER TABLE t OWNER TO ${role}`]) {
      await s.db.query(sql);
    }
    const xc = xcAs(s, role);
    await s.write('0001_lower', { addIndex: { table: 't', name: 't_lower_email', columns: ['email'], method: 'btree' } }, { addCheck: { table: 't', name: 't_email_set', expression: `email <> ''` } });
    await xc.apply();
    expect((await s.db.indexes('t')).map((i) => i.name)).toContain('t_lower_email');
    expect(await s.db.checks('t')).toEqual([expect.stringMatching(/email <> ''/)]);
    // It is not merely skipping: with the privilege an index the server refuses is still refused at plan.
    await s.db.query(`GRANT TEMPORARY ON DATABASE ${database} TO ${role}`);
    await s.write('0002_bad', { addIndex: { table: 't', name: 't_bad', columns: ['email'], method: 'gin' } });
    const err = await rejection(xc.plan());
    expect(err.message).toMatch(/0002_bad\.json: operations\[0\]\.addIndex/);
  });
});

describeMysql('settings MariaDB gives every session (campaign AC)', () => {
  it('a user without CREATE TEMPORARY TABLES: plan checks what it can and applies (campaign AF-1: the type was blamed)', async () => {
    const s = await setup(targets.find((t) => t.name === 'mysql')!, [`CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL)`, `INSERT INTO t VALUES (1, 1), (2, 2)`], 'xc_notemp');
    const user = `xc_nt_${randomBytes(4).toString('hex')}`;
    const database = decodeURIComponent(new URL(s.db.url).pathname.slice(1));
    await s.db.query(`CREATE USER '${user}'@'%'`);
    onCleanup(() => s.db.query(`DROP USER IF EXISTS '${user}'@'%'`).then(() => undefined));
    await s.db.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'%'`);
    await s.db.query(`REVOKE CREATE TEMPORARY TABLES ON \`${database}\`.* FROM '${user}'@'%'`);
    const xc = xcAs(s, user);
    await s.write('0001_m', { addColumn: { table: 't', column: { name: 'm', type: 'varchar(20)', default: "'x'" }, up: 'CONCAT(n, 0)' } }, { addCheck: { table: 't', name: 't_n_positive', expression: 'n > 0' } });
    await xc.apply();
    expect(await s.db.query(`SELECT id, m FROM t ORDER BY id`)).toEqual([{ id: 1, m: '10' }, { id: 2, m: '20' }]);
    // An `up` calling a function that writes, reading the row: not compiled without a temporary table to compile it by,
    // and not refused for it (campaign EC: "Cannot execute statement in a READ ONLY transaction", the author blamed).
    await s.db.query(`CREATE TABLE seen (x int)`);
    await s.db.query(`CREATE FUNCTION twice(x int) RETURNS int MODIFIES SQL DATA BEGIN INSERT INTO seen VALUES (x); RETURN x * 2; END`);
    await s.write('0002_bad', { addColumn: { table: 't', column: { name: 'k', type: 'bit(3)' }, up: 'twice(n)' } });
    expect((await xc.plan()).migrations.map((m) => m.id)).toContain('0002_bad');
    expect(await s.db.count(`SELECT count(*) FROM seen`)).toBe(0);
    // With the privilege, what the server refuses is still refused at plan.
    await s.db.query(`GRANT CREATE TEMPORARY TABLES ON \`${database}\`.* TO '${user}'@'%'`);
    await s.write('0002_bad', { addColumn: { table: 't', column: { name: 'k', type: 'int', default: "'abc'" } } });
    const err = await rejection(xc.plan());
    expect(err.message).toMatch(/0002_bad\.json: operations\[0\]\.addColumn\.column\.default: /);
  });

  it('a user without a privilege the operation\'s statements ask for (ALTER, TRIGGER, LOCK TABLES for the cut-over): plan refuses (exit 2) naming what is missing and the GRANTs, apply writes nothing; an index asks only ALTER; granted, the lifecycle runs', async () => {
    const user = `xc_nogrant_${randomBytes(4).toString('hex')}`;
    const s = await setup(targets.find((t) => t.name === 'mysql')!, [`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`, `INSERT INTO t VALUES (1, 1), (2, 2)`], 'xc_nogrant');
    const database = decodeURIComponent(new URL(s.db.url).pathname.slice(1));
    await s.db.query(`CREATE USER '${user}'@'%'`);
    onCleanup(() => s.db.query(`DROP USER IF EXISTS '${user}'@'%'`).then(() => undefined));
    // What xc's state and the backfill need, on the database; nothing that changes a table.
    await s.db.query(`GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, CREATE TEMPORARY TABLES ON \`${database}\`.* TO '${user}'@'%'`);
    const xc = xcAs(s, user);
    await s.write('0001_widen', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
    const refusal = async (missing: string, grants: string) => {
      await refusedByPlanAndApply(xc, '0001_widen', `operations[0].alterColumn.table: xc connects as '${user}'@'%', which lacks ${missing} on table \`t\` (granted on neither the table, its database nor globally), which this operation's statements ask for — ${grants}`);
      expect(await s.db.query(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'xc\\_%'`)).toEqual([]);
    };
    // In place: ALTER TABLE (expand), triggers (dual-write), LOCK TABLES (the cut-over at contract: was left contracting).
    await refusal('ALTER and TRIGGER and LOCK TABLES', `GRANT ALTER, TRIGGER ON \`t\` TO '${user}'@'%'; GRANT LOCK TABLES ON \`${database}\`.* TO '${user}'@'%'`);
    // ALTER on the database (as a pattern would match it too), TRIGGER on the table alone: both are read.
    await s.db.query(`GRANT ALTER ON \`${database}\`.* TO '${user}'@'%'`);
    await refusal('TRIGGER and LOCK TABLES', `GRANT TRIGGER ON \`t\` TO '${user}'@'%'; GRANT LOCK TABLES ON \`${database}\`.* TO '${user}'@'%'`);
    await s.write('0001_widen', { addIndex: { table: 't', name: 't_v', columns: ['v'] } });
    expect((await xc.plan()).migrations).toHaveLength(1);
    await s.write('0001_widen', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
    await s.db.query(`GRANT TRIGGER ON \`${database}\`.\`t\` TO '${user}'@'%'`);
    await s.db.query(`GRANT LOCK TABLES ON \`${database}\`.* TO '${user}'@'%'`);
    // A database-level grant reaches a connection at its next USE: a new process's connections (a new instance's here) have it.
    const granted = xcAs(s, user);
    await widenedThrough(granted, s, 5);
  });

  it('a user whose privileges on the database come from a grant TO PUBLIC (MariaDB 10.11): plan does not refuse, the lifecycle runs (was refused: only the account\'s own grants were read)', async ({ skip }) => {
    const user = `xc_public_${randomBytes(4).toString('hex')}`;
    const s = await setup(targets.find((t) => t.name === 'mysql')!, [`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`, `INSERT INTO t VALUES (1, 1), (2, 2)`], 'xc_public');
    const [{ version }] = await s.db.query<{ version: string }>(`SELECT VERSION() AS version`);
    const [major, minor] = version.split('.').map(Number);
    if (!/MariaDB/i.test(version) || major! * 100 + minor! < 1011) skip('grants TO PUBLIC are MariaDB 10.11 and later');
    const database = decodeURIComponent(new URL(s.db.url).pathname.slice(1));
    await s.db.query(`CREATE USER '${user}'@'%'`);
    onCleanup(() => s.db.query(`DROP USER IF EXISTS '${user}'@'%'`).then(() => undefined));
    // Scoped to this test's own database and table: no other test's account gains anything.
    const pattern = database.replace(/_/g, '\\_');
    onCleanup(async () => {
      await s.db.query(`REVOKE ALL ON \`${database}\`.\`t\` FROM PUBLIC`).catch(() => undefined);
      await s.db.query(`REVOKE ALL ON \`${pattern}\`.* FROM PUBLIC`).catch(() => undefined);
    });
    // The account itself: what xc's state and the backfill need, nothing that changes a table.
    await s.db.query(`GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, CREATE TEMPORARY TABLES ON \`${database}\`.* TO '${user}'@'%'`);
    const xc = xcAs(s, user);
    await s.write('0001_widen', { alterColumn: { table: 't', column: 'v', type: 'bigint' } });
    // On the table, ALL gives ALTER and TRIGGER, never LOCK TABLES (a database's privilege): still refused, naming that alone.
    await s.db.query(`GRANT ALL ON \`${database}\`.\`t\` TO PUBLIC`);
    const err = await rejection(xc.plan());
    expect(err).toMatchObject({ exitCode: 2 });
    expect(err.message).toContain(`xc connects as '${user}'@'%', which lacks LOCK TABLES on table \`t\``);
    // The rest through a database pattern (LIKE, its underscores escaped), as the server matches it.
    await s.db.query(`GRANT LOCK TABLES ON \`${pattern}\`.* TO PUBLIC`);
    expect((await xcAs(s, user).plan()).migrations).toHaveLength(1);
    const granted = xcAs(s, user);
    await widenedThrough(granted, s, 5);
  });

  it('autocommit = 0 server-wide: deploy retire is committed, a contract finishes in one run', { timeout: 300_000 }, async () => {
    const server = await startMariadb(() => ['--autocommit=0']);
    onCleanup(() => server.stop());
    const name = `xc_ac_${randomBytes(4).toString('hex')}`;
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-ac-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const conn = await mysql.createConnection(server.url);
    onCleanup(() => conn.end());
    for (const sql of [`CREATE DATABASE ${name}`, `CREATE TABLE ${name}.users (id int PRIMARY KEY, name varchar(40))`, `INSERT INTO ${name}.users VALUES (1, 'a'), (2, 'b')`, `COMMIT`]) await conn.query(sql);
    const xc = createXc({ url: server.urlOf(name), dir, lockRetryForMs: 5_000 });
    onCleanup(() => xc.close());
    await writeFile(path.join(dir, '0001_rename.json'), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v1', level: '0001_rename' });
    await xc.deploy.record({ app: 'shop', version: 'v2', level: '0001_rename' });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    const live = (await xc.deploy.list()).deployments.filter((d) => d.retiredAt === null).map((d) => d.version);
    expect(live).toEqual(['v2']);
    await xc.contract();
    expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
  });

  it('a pool handed in whose sessions run at autocommit = 0: deploy retire is committed, a contract finishes in one run, and each session gets autocommit = 0 back', async () => {
    const s = await setup(targets.find((t) => t.name === 'mysql')!, [`CREATE TABLE users (id int PRIMARY KEY, name varchar(40))`, `INSERT INTO users VALUES (1, 'a'), (2, 'b')`], 'xc_acpool');
    const pool = mysql.createPool({ uri: s.db.url, connectionLimit: 4 });
    onCleanup(() => pool.end());
    // The application's sessions: autocommit off, as a server-wide setting or its driver gives them.
    pool.pool.on('connection', (c) => c.query('SET autocommit = 0'));
    const xc = createXc({ connection: pool, dir: s.dir, lockRetryForMs: 5_000 });
    onCleanup(() => xc.close());
    await s.write('0001_rename', { renameColumn: { table: 'users', from: 'name', to: 'full_name' } });
    await xc.apply();
    await xc.deploy.record({ app: 'shop', version: 'v1', level: '0001_rename' });
    await xc.deploy.record({ app: 'shop', version: 'v2', level: '0001_rename' });
    await xc.deploy.retire({ app: 'shop', version: 'v1' });
    // Read on a session of the test's own: what another session sees is what was committed.
    expect(await s.db.count(`SELECT count(*) FROM xc_deployments WHERE retired_at IS NULL`)).toBe(1);
    await xc.contract();
    expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
    expect(await s.db.query(`SELECT id, full_name FROM users ORDER BY id`)).toEqual([{ id: 1, full_name: 'a' }, { id: 2, full_name: 'b' }]);
    const sessions = await Promise.all([pool.getConnection(), pool.getConnection(), pool.getConnection(), pool.getConnection()]);
    try {
      for (const c of sessions) expect((await c.query(`SELECT @@SESSION.autocommit AS ac`))[0]).toEqual([{ ac: 0 }]);
    } finally {
      for (const c of sessions) c.release();
    }
  });

  it('binlog_format = STATEMENT: an expression a replica would compute for itself (UUID()) is refused at plan; in ROW format it goes through (campaign AG-1)', { timeout: 300_000 }, async () => {
    const { dir, conn, xc: connect } = await privateMariadb(['--log-bin=primary-bin', '--server-id=1', '--binlog-format=STATEMENT'], 'sbr');
    await writeFile(path.join(dir, '0001_token.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'token', type: 'char(36)' }, up: 'UUID()' } }, { addColumn: { table: 'users', column: { name: 'seen', type: 'datetime' }, up: 'NOW()' } }] }));
    const err = await rejection(connect().apply());
    expect(err.exitCode, err.message).toBe(2);
    expect(err.message).toMatch(/operations\[0\]\.addColumn\.up: calls UUID\(\), which the binary log in STATEMENT format \(binlog_format\) replicates as the call/);
    expect(err.message).not.toMatch(/operations\[1\]/); // NOW() is replicated with its value
    const [cols] = await conn.query(`SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sbr' AND TABLE_NAME = 'users'`);
    expect((cols as { c: string }[]).map((r) => r.c).sort()).toEqual(['id', 'name']);
    await conn.query(`SET GLOBAL binlog_format = 'ROW'`);
    await connect().apply();
    const [rows] = await conn.query(`SELECT count(DISTINCT token) AS n FROM sbr.users`);
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('max_allowed_packet smaller than the plan xc stores: refused (exit 2) naming it and the size, nothing of the migration run; raised, apply goes through (campaign AI-04)', { timeout: 300_000 }, async () => {
    const { dir, conn, xc: connect } = await privateMariadb(['--max-allowed-packet=65536'], 'pkt');
    // Each column a long comment: the plan restates it in several steps.
    const ops = Array.from({ length: 12 }, (_, i) => ({ addColumn: { table: 'users', column: { name: `c${i}`, type: 'int', comment: 'x'.repeat(1000) }, up: 'id' } }));
    await writeFile(path.join(dir, '0001_many.json'), JSON.stringify({ operations: ops }));
    const err = await rejection(connect().apply());
    expect(err.exitCode, err.message).toBe(2);
    expect(err.message).toMatch(/0001_many: xc keeps the migration and its plan \(\d+ bytes of JSON\) in its state table [^\n]*\(max_allowed_packet\): nothing of the migration ran/);
    const [cols] = await conn.query(`SELECT count(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'pkt' AND TABLE_NAME = 'users'`);
    expect(cols).toEqual([{ n: 2 }]);
    await conn.query(`SET GLOBAL max_allowed_packet = 4194304`);
    await connect().apply();
    const [after] = await conn.query(`SELECT count(*) AS n FROM pkt.users WHERE c11 = id`);
    expect(after).toEqual([{ n: 2 }]);
  });

  it('sql_mode ORACLE server-wide: refused before anything is read or created, naming it (was a syntax error naming neither)', { timeout: 300_000 }, async () => {
    const { dir, conn, xc: connect } = await privateMariadb(['--sql-mode=ORACLE'], 'ora', '');
    await writeFile(path.join(dir, '0001_rename.json'), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
    const xc = connect();
    for (const attempt of [() => xc.plan(), () => xc.apply(), () => xc.deploy.record({ app: 'shop', version: 'v1' })]) {
      const err = await rejection(attempt());
      expect(err.exitCode, err.message).toBe(2);
      expect(err.message).toMatch(/sql_mode includes ORACLE/);
    }
    const [tables] = await conn.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'ora'`);
    expect((tables as { t: string }[]).map((r) => r.t)).toEqual(['users']);
  });
});
