/**
 * The table-level operations (createTable … sql) against a real PostgreSQL,
 * pgroll-style: one case per operation variant, each checked after expand,
 * after contract, and after expand + rollback (the schema must be as before).
 * Every flow gets a database of its own so cases run in parallel.
 */
import type pg from 'pg';
import { expect, it } from 'vitest';
import type { z } from 'zod';
import { pgSession } from '../../src/dialects/postgres/driver.js';
import { introspectPostgres } from '../../src/dialects/postgres/catalog.js';
import { PostgresDialect } from '../../src/dialects/postgres/index.js';
import { createPostgresDdl, literal, rewriteIndexDefinition } from '../../src/dialects/postgres/ddl.js';
import { compileExpression, resolveExpr } from '../../src/dialects/dialect.js';
import { OperationSchemas, type OperationKind, type OperationSpec } from '../../src/migration/schema.js';
import { SchemaModel } from '../../src/schema/model.js';
import type { Operation, PlanContext, ValidationIssue } from '../../src/operations/types.js';
import type { OperationPlan, Step } from '../../src/plan/index.js';
import { createTable } from '../../src/operations/createTable.js';
import { dropTable } from '../../src/operations/dropTable.js';
import { renameTable } from '../../src/operations/renameTable.js';
import { addIndex } from '../../src/operations/addIndex.js';
import { dropIndex } from '../../src/operations/dropIndex.js';
import { addForeignKey } from '../../src/operations/addForeignKey.js';
import { addCheck } from '../../src/operations/addCheck.js';
import { dropConstraint } from '../../src/operations/dropConstraint.js';
import { sql } from '../../src/operations/sql.js';
import { createPgDatabase, describePg } from '../helpers/servers.js';

const ops = { createTable, dropTable, renameTable, addIndex, dropIndex, addForeignKey, addCheck, dropConstraint, sql } as unknown as Record<OperationKind, Operation>;
const dialect = new PostgresDialect({ concurrentIndexes: true });

/** Runs `fn` on a fresh database, dropped afterwards. */
async function withDatabase(fn: (db: pg.Client) => Promise<void>): Promise<void> {
  const t = await createPgDatabase('xc_t');
  try {
    await fn(await t.client());
  } finally {
    await t.drop();
  }
}

const introspect = (db: pg.Client) => introspectPostgres(pgSession(db, () => undefined));
const one = async (db: pg.Client, text: string) => (await db.query(text)).rows[0] as Record<string, unknown>;
const probeDone = async (db: pg.Client, probe: string) => (await one(db, probe)).done === true;
const rejects = (db: pg.Client, text: string, error: RegExp) => expect(db.query(text)).rejects.toThrow(error);
const validated = async (db: pg.Client, name: string) => (await one(db, `SELECT convalidated AS v FROM pg_constraint WHERE conname = ${literal(name)}`))?.v;
const exists = async (db: pg.Client, relation: string) => (await one(db, `SELECT to_regclass(${literal(`"${relation}"`)}) IS NOT NULL AS e`)).e;

/** A stand-in for the engine: atomic groups and transactional steps in one transaction, others alone behind their probe. */
async function runSteps(db: pg.Client, steps: Step[]): Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (!step.transactional) {
      if (step.probe && (await probeDone(db, step.probe))) continue;
      if (step.cleanup) await db.query(step.cleanup);
      await db.query(step.sql);
      if (step.probe) expect(await probeDone(db, step.probe), step.description).toBe(true);
      continue;
    }
    await db.query('BEGIN');
    try {
      await db.query(step.sql);
      while (steps[i]!.atomicWithNext) await db.query(steps[++i]!.sql);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK');
      throw err;
    }
  }
}

/**
 * Non-transactional steps are journaled intent → run → done: killed after its statement, before its journal row, a step
 * is run again as the engine does — behind its probe, which must say done for a creation (it has no IF NOT EXISTS:
 * an existing object fails it), and a step run once more must be harmless.
 */
async function rerunNonTransactional(db: pg.Client, steps: Step[]): Promise<void> {
  for (const step of steps.filter((s) => !s.transactional)) {
    if (step.creates) expect(await probeDone(db, step.probe!), step.description).toBe(true);
    else await db.query(step.sql);
  }
}

/** Everything of the public schema that a rollback must restore. */
async function snapshot(db: pg.Client): Promise<string[][]> {
  const lists = [
    `SELECT relname || ' ' || relkind::text AS x FROM pg_class WHERE relnamespace = 'public'::regnamespace`,
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS x
       FROM information_schema.columns WHERE table_schema = 'public'`,
    `SELECT indexdef AS x FROM pg_indexes WHERE schemaname = 'public'`,
    `SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated AS x
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
  ];
  const out: string[][] = [];
  for (const q of lists) out.push((await db.query(`${q} ORDER BY 1`)).rows.map((r) => r.x as string));
  return out;
}

/** Names a model shows per table, to compare a projection with the catalog. */
function shape(model: SchemaModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of [...model.tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();
    out[t.name] = {
      kind: t.kind,
      columns: t.columns.map((c) => `${c.name}${c.nullable ? '' : ' not null'}`).sort(),
      primaryKey: t.primaryKey,
      indexes: t.indexes.map((i) => `${i.name}${i.unique ? ' unique' : ''}${i.constraint ? ` (${i.constraint})` : ''}`).sort(),
      checks: names(t.checks),
      foreignKeys: t.foreignKeys.map((f) => `${f.name} ${f.columns.join(',')} -> ${f.refTable}(${f.refColumns.join(',')})`).sort(),
    };
  }
  return out;
}

function contexts(model: SchemaModel): { validate: Parameters<Operation['validate']>[1]; plan: PlanContext } {
  const expr = (e: Parameters<PlanContext['expr']>[0]) => resolveExpr(e, 'postgres');
  return {
    validate: { dialect, model, expr },
    plan: {
      dialect,
      ddl: dialect.ddl(model),
      model,
      migrationId: '0001_test',
      opIndex: 0,
      name: (purpose) => `xc_0001_0_${purpose}`,
      expr: (e) => expr(e) ?? (() => { throw new Error('no postgres variant'); })(),
    },
  };
}

interface Case {
  name: string;
  kind: OperationKind;
  setup: string[];
  spec: Record<string, unknown>;
  /** A variant of the spec that validation must refuse, with the expected issue. */
  invalid: { spec: Record<string, unknown>; issue: ValidationIssue };
  afterExpand?(db: pg.Client, plan: OperationPlan): Promise<void>;
  afterContract?(db: pg.Client): Promise<void>;
  /** Whether `project` can know the result (not for opaque author SQL). */
  projects?: false;
}

const parse = (kind: OperationKind, spec: unknown) => (OperationSchemas[kind] as z.ZodType).parse(spec) as OperationSpec;

const users = [
  `CREATE TABLE users (id bigserial PRIMARY KEY, email text, name text NOT NULL DEFAULT 'anon', deleted_at timestamptz)`,
  `INSERT INTO users (email, name) VALUES ('a@x', 'Ann'), ('b@x', 'Bob')`,
];
const orders = [
  `CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id), total numeric NOT NULL DEFAULT 0)`,
  `INSERT INTO orders (user_id, total) VALUES (1, 10), (2, 20)`,
];

const longColumns = ['a_rather_long_column_name_for_the_first_part', 'a_rather_long_column_name_for_the_second_part'];

const cases: Case[] = [
  {
    name: 'createTable with defaults, unique and a foreign key',
    kind: 'createTable',
    setup: users,
    spec: {
      table: 'orders',
      columns: [
        { name: 'id', type: 'bigint', primaryKey: true },
        { name: 'user_id', type: 'bigint', nullable: false, references: { table: 'users', column: 'id', onDelete: 'cascade' } },
        { name: 'code', type: 'text', unique: true },
        { name: 'total', type: 'numeric(10,2)', nullable: false, default: '0' },
      ],
    },
    invalid: {
      spec: { table: 'orders', columns: [{ name: 'user_id', type: 'bigint', references: { table: 'users', column: 'nme' } }] },
      issue: { path: ['columns', 0, 'references', 'column'], code: 'column_missing', table: 'users', column: 'nme', message: 'table "users" has no column "nme"; did you mean "name"?' },
    },
    async afterExpand(db) {
      await db.query(`INSERT INTO orders (id, user_id, code) VALUES (1, 1, 'A')`);
      expect(await one(db, `SELECT total FROM orders WHERE id = 1`)).toEqual({ total: '0.00' });
      await rejects(db, `INSERT INTO orders (id, user_id) VALUES (2, 99)`, /foreign key/);
      await rejects(db, `INSERT INTO orders (id, user_id, code) VALUES (3, 1, 'A')`, /duplicate key/);
      await rejects(db, `INSERT INTO orders (id) VALUES (4)`, /null value/);
      await db.query(`DELETE FROM users WHERE id = 1`);
      expect(await one(db, `SELECT count(*)::int AS n FROM orders`)).toEqual({ n: 0 });
    },
  },
  {
    name: 'createTable with a composite primary key and an implicit reference',
    kind: 'createTable',
    setup: users,
    spec: {
      table: 'memberships',
      columns: [
        { name: 'user_id', type: 'bigint', references: { table: 'users' } },
        { name: 'team', type: 'text' },
      ],
      primaryKey: ['user_id', 'team'],
    },
    invalid: {
      spec: { table: 'memberships', columns: [{ name: 'user_id', type: 'bigint' }], primaryKey: ['user_id', 'tem'] },
      issue: { path: ['primaryKey', 1], code: 'column_missing', table: 'memberships', column: 'tem', message: 'table "memberships" has no column "tem"' },
    },
    async afterExpand(db) {
      await db.query(`INSERT INTO memberships VALUES (1, 'red'), (1, 'blue')`);
      await rejects(db, `INSERT INTO memberships VALUES (1, 'red')`, /duplicate key/);
      await rejects(db, `INSERT INTO memberships VALUES (7, 'red')`, /foreign key/);
    },
  },
  {
    name: 'createTable referencing itself',
    kind: 'createTable',
    setup: users,
    spec: {
      table: 'categories',
      columns: [
        { name: 'id', type: 'int', primaryKey: true },
        { name: 'parent_id', type: 'int', references: { table: 'categories' } },
      ],
    },
    invalid: {
      spec: { table: 'categories', columns: [{ name: 'owner', type: 'text', references: { table: 'users', column: 'email' } }] },
      issue: { path: ['columns', 0, 'references', 'column'], code: 'not_unique_key', table: 'users', columns: ['email'], message: 'columns "email" of "users" are not its primary key or a unique index; a foreign key needs one' },
    },
    async afterExpand(db) {
      await db.query(`INSERT INTO categories VALUES (1, NULL), (2, 1)`);
      await rejects(db, `INSERT INTO categories VALUES (3, 9)`, /foreign key/);
    },
  },
  {
    name: 'dropTable',
    kind: 'dropTable',
    setup: [...users, ...orders],
    spec: { table: 'orders' },
    invalid: {
      spec: { table: 'users' },
      issue: { path: ['table'], code: 'referenced', table: 'users', foreignKey: 'orders_user_id_fkey', referencing: 'orders', message: 'table "orders" references "users" through foreign key "orders_user_id_fkey"; drop that key first' },
    },
    async afterExpand(db) {
      await db.query(`INSERT INTO orders (user_id, total) VALUES (1, 5)`);
    },
    async afterContract(db) {
      expect(await exists(db, 'orders')).toBe(false);
    },
  },
  {
    name: 'renameTable keeps the old name writable',
    kind: 'renameTable',
    setup: [...users, ...orders],
    spec: { from: 'users', to: 'people' },
    invalid: { spec: { from: 'users', to: 'orders' }, issue: { path: ['to'], code: 'name_taken', name: 'orders', message: 'table "orders" already exists' } },
    async afterExpand(db) {
      // Old code: insert relying on defaults, update and read through the old name.
      const row = await one(db, `INSERT INTO users (email) VALUES ('c@x') RETURNING id, name`);
      expect(row).toEqual({ id: '3', name: 'anon' });
      await db.query(`UPDATE users SET name = 'Cy' WHERE id = 3`);
      expect(await one(db, `SELECT name FROM people WHERE id = 3`)).toEqual({ name: 'Cy' });
      await db.query(`INSERT INTO orders (user_id) VALUES (3)`);
      await rejects(db, `INSERT INTO orders (user_id) VALUES (99)`, /foreign key/);
    },
    async afterContract(db) {
      expect(await exists(db, 'users')).toBe(false);
      expect(await one(db, `SELECT count(*)::int AS n FROM people`)).toEqual({ n: 3 });
    },
  },
  {
    name: 'addIndex built concurrently',
    kind: 'addIndex',
    setup: users,
    spec: { table: 'users', columns: ['email'] },
    invalid: { spec: { table: 'users', columns: ['nme'] }, issue: { path: ['columns', 0], code: 'column_missing', table: 'users', column: 'nme', message: 'table "users" has no column "nme"; did you mean "name"?' } },
    async afterExpand(db, plan) {
      expect(plan.expand[0]!.sql).toBe('CREATE INDEX CONCURRENTLY "users_email_idx" ON "users" ("email")');
      expect(await one(db, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass`)).toEqual({ indisvalid: true });
    },
  },
  {
    name: 'addIndex unique and partial',
    kind: 'addIndex',
    setup: users,
    spec: { table: 'users', columns: ['email'], unique: true, where: 'deleted_at IS NULL', name: 'users_live_email' },
    invalid: {
      spec: { table: 'users', columns: ['email'], name: 'users_pkey' },
      issue: { path: ['name'], code: 'name_taken', name: 'users_pkey', table: 'users', message: 'index "users_pkey" on "users" already exists; give the index another name' },
    },
    async afterExpand(db) {
      await rejects(db, `INSERT INTO users (email) VALUES ('a@x')`, /duplicate key/);
      await db.query(`INSERT INTO users (email, deleted_at) VALUES ('a@x', now())`);
    },
  },
  {
    name: 'addIndex with a default name past 63 characters',
    kind: 'addIndex',
    setup: [`CREATE TABLE wide (id int PRIMARY KEY, ${longColumns.map((c) => `${c} int`).join(', ')})`],
    spec: { table: 'wide', columns: longColumns },
    invalid: { spec: { table: 'nope', columns: ['id'] }, issue: { path: ['table'], code: 'table_missing', table: 'nope', message: 'table "nope" does not exist in schema "public"' } },
    async afterExpand(db) {
      const name = dialect.derivedName('wide', longColumns, 'idx');
      expect(name).toHaveLength(63);
      expect(name).toMatch(/^wide_a_rather_long_.*_[0-9a-f]{8}_idx$/);
      expect(await exists(db, name)).toBe(true);
    },
  },
  {
    name: 'dropIndex at contract, concurrently',
    kind: 'dropIndex',
    setup: [...users, `CREATE INDEX users_email_idx ON users (email)`],
    spec: { table: 'users', name: 'users_email_idx' },
    invalid: {
      spec: { table: 'users', name: 'users_pkey' },
      issue: { path: ['name'], code: 'index_backs_constraint', table: 'users', name: 'users_pkey', constraint: 'users_pkey', message: 'index "users_pkey" backs the constraint "users_pkey" of "users"; drop it with dropConstraint' },
    },
    async afterExpand(db) {
      expect(await exists(db, 'users_email_idx')).toBe(true);
    },
    async afterContract(db) {
      expect(await exists(db, 'users_email_idx')).toBe(false);
    },
  },
  {
    name: 'addForeignKey NOT VALID, validated at contract',
    kind: 'addForeignKey',
    setup: [...users, `CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint)`, `INSERT INTO orders (user_id) VALUES (1), (42)`],
    spec: { table: 'orders', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'set null' },
    invalid: {
      spec: { table: 'orders', columns: ['user_id'], references: { table: 'users', columns: ['nme'] } },
      issue: { path: ['references', 'columns', 0], code: 'column_missing', table: 'users', column: 'nme', message: 'table "users" has no column "nme"; did you mean "name"?' },
    },
    async afterExpand(db) {
      expect(await validated(db, 'orders_user_id_fkey')).toBe(false);
      await rejects(db, `INSERT INTO orders (user_id) VALUES (99)`, /foreign key/);
      await db.query(`DELETE FROM users WHERE id = 1`);
      expect(await one(db, `SELECT user_id FROM orders WHERE id = 1`)).toEqual({ user_id: null });
      // The row that was already bad is left alone until it is fixed, before contract validates.
      await db.query(`UPDATE orders SET user_id = 2 WHERE user_id = 42`);
    },
    async afterContract(db) {
      expect(await validated(db, 'orders_user_id_fkey')).toBe(true);
    },
  },
  {
    name: 'addCheck NOT VALID, validated at contract',
    kind: 'addCheck',
    setup: [...users, `CREATE TABLE orders (id bigserial PRIMARY KEY, total numeric)`, `INSERT INTO orders (total) VALUES (5), (-1)`],
    spec: { table: 'orders', name: 'orders_total_positive', expression: 'total >= 0' },
    invalid: { spec: { table: 'order', name: 'c', expression: 'true' }, issue: { path: ['table'], code: 'table_missing', table: 'order', message: 'table "order" does not exist in schema "public"; did you mean "orders"?' } },
    async afterExpand(db) {
      expect(await validated(db, 'orders_total_positive')).toBe(false);
      await rejects(db, `INSERT INTO orders (total) VALUES (-2)`, /orders_total_positive/);
      await db.query(`UPDATE orders SET total = 0 WHERE total < 0`);
    },
    async afterContract(db) {
      expect(await validated(db, 'orders_total_positive')).toBe(true);
    },
  },
  {
    name: 'dropConstraint of a check',
    kind: 'dropConstraint',
    setup: [...users, `ALTER TABLE users ADD CONSTRAINT users_email_at CHECK (email LIKE '%@%')`],
    spec: { table: 'users', name: 'users_email_at' },
    invalid: { spec: { table: 'users', name: 'nope' }, issue: { path: ['name'], code: 'constraint_missing', table: 'users', name: 'nope', message: 'table "users" has no constraint "nope"' } },
    async afterExpand(db) {
      await rejects(db, `INSERT INTO users (email) VALUES ('bad')`, /users_email_at/);
    },
    async afterContract(db) {
      await db.query(`INSERT INTO users (email) VALUES ('bad')`);
    },
  },
  {
    name: 'dropConstraint of a unique constraint',
    kind: 'dropConstraint',
    setup: [...users, ...orders, `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)`],
    spec: { table: 'users', name: 'users_email_key' },
    invalid: {
      spec: { table: 'users', name: 'users_pkey' },
      issue: { path: ['name'], code: 'referenced', table: 'users', constraint: 'users_pkey', foreignKey: 'orders_user_id_fkey', referencing: 'orders', message: 'foreign key "orders_user_id_fkey" of "orders" depends on "users_pkey"; drop that key first' },
    },
    async afterContract(db) {
      expect(await exists(db, 'users_email_key')).toBe(false);
      await db.query(`INSERT INTO users (email) VALUES ('a@x')`);
    },
  },
  {
    name: 'sql with a backfill',
    kind: 'sql',
    setup: users,
    spec: {
      expand: 'ALTER TABLE users ADD COLUMN IF NOT EXISTS name_upper text',
      backfill: { table: 'users', set: { name_upper: { postgres: 'upper(name)', mysql: 'UPPER(name)' } }, where: 'name_upper IS NULL' },
      contract: 'ALTER TABLE users DROP COLUMN name',
      rollback: 'ALTER TABLE users DROP COLUMN IF EXISTS name_upper',
    },
    invalid: {
      spec: { expand: 'SELECT 1', backfill: { table: 'users', set: { name_upper: { mysql: 'UPPER(name)' } } } },
      issue: { path: ['backfill', 'set', 'name_upper'], code: 'no_variant', message: 'no "postgres" variant of the expression for "name_upper"' },
    },
    projects: false,
    async afterExpand(db, plan) {
      // The operation completes the walk key itself (the planner no longer patches it in).
      expect(plan.backfill).toEqual([{ table: 'users', set: { name_upper: 'upper(name)' }, where: 'name_upper IS NULL', key: ['id'], integerKey: true }]);
      const b = plan.backfill[0]!;
      await db.query(`UPDATE ${b.table} SET ${Object.entries(b.set).map(([c, e]) => `${c} = ${e}`).join(', ')} WHERE ${b.where}`);
      expect((await db.query(`SELECT name_upper FROM users ORDER BY id`)).rows).toEqual([{ name_upper: 'ANN' }, { name_upper: 'BOB' }]);
    },
    async afterContract(db) {
      await rejects(db, `SELECT name FROM users`, /column "name" does not exist/);
    },
  },
];

describePg('table operations on PostgreSQL', () => {
  for (const c of cases) {
    const op = ops[c.kind];
    const spec = parse(c.kind, c.spec);

    it.concurrent(`${c.name}: validate, expand, contract`, () =>
      withDatabase(async (db) => {
        for (const s of c.setup) await db.query(s);
        const model = await introspect(db);
        const ctx = contexts(model);
        expect(op.validate(spec, ctx.validate)).toEqual([]);
        expect(op.validate(parse(c.kind, c.invalid.spec), ctx.validate)).toContainEqual(c.invalid.issue);
        const session = pgSession(db, () => undefined);
        for (const check of op.expressions?.(spec, ctx.validate) ?? []) expect(await compileExpression(session, dialect, check)).toBeNull();

        const plan = op.plan(spec, ctx.plan);
        await runSteps(db, plan.expand);
        await rerunNonTransactional(db, plan.expand);
        await c.afterExpand?.(db, plan);

        const projected = model.clone();
        op.project(spec, projected, dialect);
        if (c.projects !== false) {
          // The engine projects over catalogs where expand already ran: same result.
          const midway = await introspect(db);
          op.project(spec, midway, dialect);
          expect(shape(midway)).toEqual(shape(projected));
        }

        await runSteps(db, plan.contract);
        await rerunNonTransactional(db, plan.contract);
        await c.afterContract?.(db);
        if (c.projects !== false) expect(shape(await introspect(db))).toEqual(shape(projected));
      }),
    );

    it.concurrent(`${c.name}: rollback restores the schema, even from a partial expand`, () =>
      withDatabase(async (db) => {
        for (const s of c.setup) await db.query(s);
        const before = await snapshot(db);
        const plan = op.plan(spec, contexts(await introspect(db)).plan);
        await runSteps(db, plan.rollback);
        expect(await snapshot(db)).toEqual(before);
        await runSteps(db, plan.expand);
        await runSteps(db, plan.rollback);
        await rerunNonTransactional(db, plan.rollback);
        expect(await snapshot(db)).toEqual(before);
      }),
    );
  }
});

describePg('PostgreSQL DDL recipes', () => {
  const ddl = createPostgresDdl({ concurrentIndexes: true, quote: dialect.quote, model: new SchemaModel() });

  it.concurrent('a failed concurrent build leaves an INVALID index that cleanup removes before the retry', () =>
    withDatabase(async (db) => {
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, email text)`);
      await db.query(`INSERT INTO users VALUES (1, 'a'), (2, 'a')`);
      const [step] = ddl.createIndex({ table: 'users', name: 'users_email_uq', columns: ['email'], unique: true });
      await rejects(db, step!.sql, /could not create unique index/);
      expect(await one(db, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_uq'::regclass`)).toEqual({ indisvalid: false });
      expect(await probeDone(db, step!.probe!)).toBe(false);
      await db.query(`UPDATE users SET email = 'b' WHERE id = 2`);
      await runSteps(db, [step!]);
      await runSteps(db, ddl.addUniqueUsingIndex('users', 'users_email_key', 'users_email_uq'));
      expect(await one(db, `SELECT contype FROM pg_constraint WHERE conname = 'users_email_key'`)).toEqual({ contype: 'u' });
    }),
  );

  it.concurrent('copyIndex swaps the column but not literals, casts or function names', () =>
    withDatabase(async (db) => {
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, email text, "Mail" text)`);
      await db.query(`CREATE UNIQUE INDEX users_lower_email ON users (lower(email)) WHERE email <> 'email'`);
      const index = (await introspect(db)).table('users')!.indexes.find((i) => i.name === 'users_lower_email')!;
      const steps = ddl.copyIndex(index, 'users', 'users_lower_mail', 'email', 'Mail');
      await runSteps(db, steps);
      await rerunNonTransactional(db, steps);
      expect(await one(db, `SELECT pg_get_indexdef('users_lower_mail'::regclass) AS d`)).toEqual({
        d: `CREATE UNIQUE INDEX users_lower_mail ON public.users USING btree (lower("Mail")) WHERE ("Mail" <> 'email'::text)`,
      });
      const o = { name: '"i2"', table: '"t"', concurrently: false, fromColumn: 'text', toColumn: '"body"', row: 't' };
      expect(rewriteIndexDefinition(`CREATE INDEX i ON public.t USING btree (((text)::text) COLLATE "C" text_pattern_ops)`, o)).toBe(
        `CREATE INDEX "i2" ON "t" USING btree ((("body")::text) COLLATE "C" text_pattern_ops)`,
      );
    }),
  );

  const NICK = { name: 'nick', type: 'text', nullable: true, default: null };
  it.concurrent('NOT NULL without a long lock: NOT VALID check, validate, SET NOT NULL, drop the check', () =>
    withDatabase(async (db) => {
      await db.query(`CREATE TABLE users (id int PRIMARY KEY)`);
      await db.query(`INSERT INTO users VALUES (1), (2)`);
      await runSteps(db, ddl.addColumn('users', 'nick', 'text'));
      // A creation runs once, with its journal row: a column of that name already there is not taken for its work.
      await expect(runSteps(db, ddl.addColumn('users', 'nick', 'text'))).rejects.toThrow(/column "nick" of relation "users" already exists/);
      await runSteps(db, ddl.addNotNullCheck('users', NICK, 'users_nick_nn'));
      await rejects(db, `INSERT INTO users VALUES (3, NULL)`, /users_nick_nn/);
      await db.query(`UPDATE users SET nick = 'n'`);
      await runSteps(db, [...ddl.enforceNotNull('users', NICK, 'users_nick_nn'), ...ddl.setDefault('users', 'nick', `'x'`)]);
      expect(await one(db, `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nick'`)).toEqual({ attnotnull: true });
      expect(await validated(db, 'users_nick_nn')).toBeUndefined();
      await runSteps(db, [...ddl.dropNotNull('users', NICK), ...ddl.setDefault('users', 'nick', null), ...ddl.dropColumn('users', 'nick'), ...ddl.dropColumn('users', 'nick')]);
      expect((await db.query(`SELECT * FROM users`)).fields.map((f) => f.name)).toEqual(['id']);
    }),
  );

  it.concurrent('without CONCURRENTLY (PGlite): plain index statements inside a transaction', () =>
    withDatabase(async (db) => {
      const plain = createPostgresDdl({ concurrentIndexes: false, quote: dialect.quote, model: new SchemaModel() });
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, email text)`);
      const create = plain.createIndex({ table: 'users', name: 'users_email_idx', columns: ['email'] });
      const drop = plain.dropIndex('users', 'users_email_idx');
      expect([...create, ...drop].every((s) => s.transactional && !/CONCURRENTLY/.test(s.sql))).toBe(true);
      await runSteps(db, create);
      expect(await exists(db, 'users_email_idx')).toBe(true);
      await expect(runSteps(db, create)).rejects.toThrow(/relation "users_email_idx" already exists/);
      await runSteps(db, [...drop, ...drop]);
      expect(await exists(db, 'users_email_idx')).toBe(false);
    }),
  );

  it('quotes string literals', () => {
    expect(literal(`it's`)).toBe(`'it''s'`);
  });
});
