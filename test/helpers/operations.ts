/**
 * Per-operation tests in pgroll's shape (`pkg/migrations/op_*_test.go`), run
 * through the real engine — createXc's apply, contract and rollback, so the
 * journaled step runner, the planner and the backfill — on every dialect.
 *
 * A case is a starting schema with its rows, one migration, and assertions on
 * schema and data at three points:
 * - `afterStart`: expand and backfill done, with writes of the old version
 *   and of the new version made in between (after expand, before backfill);
 * - `afterComplete`: contracted;
 * - `afterRollback`: rolled back from that same start. The schema must then be
 *   exactly as it started (every table's columns, indexes, checks, unique and
 *   foreign keys, no trigger left), and applying again must work.
 * A case may also `soak`: writers of both versions running back to back, the
 * old one through the backfill, the new one through contract; neither may see
 * an error.
 *
 * Every flow gets a database of its own, so the tests of a file run
 * concurrently (PostgreSQL's and MySQL's side by side).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import type { OperationKind } from '../../src/migration/schema.js';
import { targets, type Db, type Target } from './targets.js';
import { Writer, type Query } from './writers.js';

type Dialect = Target['name'];
/** One value for both dialects, or one each. */
export type PerDialect<T> = T | { postgres: T; mysql: T };

export interface OperationCase {
  name: string;
  /** A case only one server can run (a partial index: PostgreSQL). */
  only?: Dialect;
  /** The starting schema and rows: statements run in order, or a function for many rows. */
  setup: PerDialect<string[]> | ((db: Db) => Promise<void>);
  /** The operations of the one migration file… */
  operations?: unknown[];
  /** …or several migration files, applied together (cases of more than one operation). */
  migrations?: unknown[][];
  /** Statements of the old and of the new version, run between expand and backfill, old first. */
  writes?: { old?: PerDialect<string[]>; new?: PerDialect<string[]> };
  /** Writers of each version running back to back: the old one through the backfill, the new one through contract. */
  soak?: {
    /** Rows `setup` seeds: the backfill must have walked them all (unless `backfills` is false). */
    rows: number;
    backfills?: boolean;
    old: (i: number) => Query;
    new: (i: number) => Query;
  };
  afterExpand?(db: Db): Promise<void>;
  afterStart(db: Db): Promise<void>;
  afterComplete(db: Db): Promise<void>;
  afterRollback(db: Db): Promise<void>;
}

/** Rows a soak case seeds: enough for the backfill to take many batches (the harness runs 100 a batch). */
export const SOAK_ROWS = 3000;
export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A flow creates a database, applies, writes, contracts or rolls back, applies again: on a loaded 2-core box with other tests running beside it, allow minutes. */
const FLOW_BUDGET_MS = 240_000;

export const pick = <T>(v: PerDialect<T>, dialect: Dialect): T =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && 'postgres' in v && 'mysql' in v ? v[dialect] : (v as T);

/**
 * Rows of a query with every value as text (null stays null): PostgreSQL and
 * MySQL return numbers, big integers and decimals as different JS types.
 */
export async function rows(db: Db, sql: string): Promise<Record<string, string | null>[]> {
  return (await db.query<Record<string, unknown>>(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
}

/** The statement fails (a constraint, a missing table or column). */
export const rejects = (db: Db, sql: string) => expect(db.query(sql)).rejects.toThrow();

export const column = async (db: Db, table: string, name: string) => (await db.columns(table)).find((c) => c.name === name);

/** Foreign keys of a table, as `name FOREIGN KEY (columns) REFERENCES table(columns) …`, sorted; PostgreSQL's end in NOT VALID until validated. */
export async function foreignKeys(db: Db, table: string): Promise<string[]> {
  if (db.dialect === 'postgres') {
    const r = await db.query<{ d: string }>(`SELECT conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'f' ORDER BY 1`, [`"${table}"`]);
    return r.map((x) => x.d);
  }
  const r = await db.query<{ name: string; col: string; ref: string; refcol: string; del: string }>(
    `SELECT k.constraint_name AS name, k.column_name AS col, k.referenced_table_name AS ref, k.referenced_column_name AS refcol, c.delete_rule AS del
       FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints c ON c.constraint_schema = k.constraint_schema AND c.constraint_name = k.constraint_name AND c.table_name = k.table_name
      WHERE k.table_schema = DATABASE() AND k.table_name = ? AND k.referenced_table_name IS NOT NULL ORDER BY k.constraint_name, k.ordinal_position`,
    [table],
  );
  const by = new Map<string, { cols: string[]; ref: string; refcols: string[]; del: string }>();
  for (const x of r) {
    const fk = by.get(x.name) ?? { cols: [], ref: x.ref, refcols: [], del: x.del };
    fk.cols.push(x.col);
    fk.refcols.push(x.refcol);
    by.set(x.name, fk);
  }
  return [...by].map(([name, f]) => `${name} FOREIGN KEY (${f.cols.join(', ')}) REFERENCES ${f.ref}(${f.refcols.join(', ')}) ON DELETE ${f.del}`).sort();
}

/** The application's tables and views (not xc's state), as `name kind`. */
async function relations(db: Db): Promise<string[]> {
  const where = db.dialect === 'postgres' ? `table_schema = current_schema()` : `table_schema = DATABASE() AND table_name NOT LIKE 'xc\\_%'`;
  return (await db.query<{ r: string }>(`SELECT CONCAT(table_name, ' ', table_type) AS r FROM information_schema.tables WHERE ${where} ORDER BY 1`)).map((x) => x.r);
}

/** Everything a rollback must put back as it was: every relation, and each table's columns, indexes, checks, unique and foreign keys; the triggers. */
export async function schemaOf(db: Db): Promise<unknown> {
  const out: Record<string, unknown> = { relations: await relations(db), triggers: await db.triggers() };
  for (const r of out.relations as string[]) {
    const table = r.split(' ')[0]!;
    const sorted = async <T>(xs: Promise<T[]>) => (await xs).map((x) => JSON.stringify(x)).sort();
    out[table] = { columns: await db.columns(table), indexes: await sorted(db.indexes(table)), checks: await sorted(db.checks(table)), uniques: await sorted(db.uniques(table)), foreignKeys: await foreignKeys(db, table) };
  }
  return out;
}

/** MySQL: the triggers enforcing a check xc added (dialects/mysql/triggers.ts). */
const CHECK_TRIGGER = /^xc_ck_\w+_[iu]$/;

const phases = async (xc: Xc) => (await xc.status()).migrations.map((m) => m.phase);
const migrationsOf = (c: OperationCase) => c.migrations ?? [c.operations!];

async function run(db: Db, statements: PerDialect<string[]> | undefined): Promise<void> {
  for (const sql of statements ? pick(statements, db.dialect) : []) await db.query(sql);
}

interface Flow {
  db: Db;
  xc: Xc;
  dir: string;
  /** The migration ids, in order. */
  ids: string[];
  /** Writers started in the flow: stopped at its end whatever happened, before the database goes. */
  writers: Writer[];
}

/** A database with the case's schema and rows, its migration files, an xc on them; `use` runs (its result returned), then all is dropped. */
async function withCase<T>(target: Target, c: OperationCase, use: (flow: Flow) => Promise<T>): Promise<T> {
  const db = await target.create('xc_op');
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-op-'));
  // Every event, to find a statement run twice in a row by one phase (campaign FD: a rollback validated its check
  // twice); anything between two (a lock retry) separates them.
  const events: string[] = [];
  const xc = createXc({ url: db.url, dir, batchSize: 100, batchDelayMs: 5, onEvent: (e) => void events.push(e.event === 'step' ? `${e.migration} ${e.phase}: ${e.sql}` : e.event) });
  const writers: Writer[] = [];
  try {
    if (typeof c.setup === 'function') await c.setup(db);
    else await run(db, c.setup);
    const ids = migrationsOf(c).map((_, n) => `000${n + 1}_change`);
    for (const [n, operations] of migrationsOf(c).entries()) await writeFile(path.join(dir, `${ids[n]}.json`), JSON.stringify({ description: c.name, operations }));
    const result = await use({ db, xc, dir, ids, writers });
    expect(events.filter((e, i) => i > 0 && e.includes(': ') && e === events[i - 1])).toEqual([]);
    return result;
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
    await xc.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Expand; the old and the new version's writes; backfill. The new-version writer of a soak is returned running. */
async function start({ db, xc, writers }: Flow, c: OperationCase): Promise<Writer | undefined> {
  const n = migrationsOf(c).length;
  await xc.apply({ to: 'expand' });
  expect(await phases(xc)).toEqual(Array(n).fill('dual_write'));
  await c.afterExpand?.(db);
  await run(db, c.writes?.old);
  await run(db, c.writes?.new);

  if (!c.soak) {
    await xc.apply();
    expect(await phases(xc)).toEqual(Array(n).fill('backfilled'));
    return undefined;
  }
  const oldWriter = new Writer(await db.connection(), c.soak.old).start();
  const newWriter = new Writer(await db.connection(), c.soak.new).start();
  writers.push(oldWriter, newWriter);
  await xc.apply();
  await new Promise((r) => setTimeout(r, 100));
  await oldWriter.stop();
  expect(oldWriter.errors).toEqual([]);
  expect(oldWriter.writes).toBeGreaterThan(0);
  const status = await xc.status();
  expect(status.migrations.map((m) => m.phase)).toEqual(Array(n).fill('backfilled'));
  if (c.soak.backfills !== false) expect(status.migrations.at(-1)!.backfill.done).toBeGreaterThanOrEqual(c.soak.rows);
  return newWriter;
}

async function completeFlow(target: Target, c: OperationCase): Promise<void> {
  await withCase(target, c, async (flow) => {
    const { db, xc } = flow;
    const newWriter = await start(flow, c);
    await c.afterStart(db);
    await xc.deploy.record({ app: 'shop', version: 'v2' }); // at the newest file's level: the only version live
    await xc.contract();
    if (newWriter) {
      await newWriter.stop();
      expect(newWriter.errors).toEqual([]);
      expect(newWriter.writes).toBeGreaterThan(0);
    }
    await c.afterComplete(db);
    expect(await phases(xc)).toEqual(migrationsOf(c).map(() => 'contracted'));
    // No dual-write trigger is left; on MySQL a check xc added or carried over is a trigger pair (db.checks lists them).
    expect((await db.triggers()).filter((t) => !CHECK_TRIGGER.test(t))).toEqual([]);
  });
}

async function rollbackFlow(target: Target, c: OperationCase): Promise<void> {
  await withCase(target, c, async (flow) => {
    const { db, xc, ids } = flow;
    const before = await schemaOf(db);
    // A soak's writers run in the complete flow only.
    await start(flow, { ...c, soak: undefined });
    await xc.rollback({ id: ids[0] });
    await c.afterRollback(db);
    expect(await phases(xc)).toEqual(ids.map(() => 'rolled_back'));
    expect(await schemaOf(db)).toEqual(before);
    // Applying again after a rollback works.
    await xc.apply({ to: 'expand' });
    expect(await phases(xc)).toEqual(ids.map(() => 'dual_write'));
  });
}

/**
 * The contract stopped before each of its steps (k ≥ 2; the steps of all the case's migrations, in order), the case's
 * new-version writes run there — the new version is live throughout a contract, so they must succeed wherever it
 * stops — then, where the migration it stopped in ran only removeless steps, rolled back from that migration on: the
 * first migration's rollback must leave the schema as before the apply; a later one's, applied and contracted again,
 * what an unstopped contract leaves. Else contracted to the end. A sweep, not run by `npm test`
 * (XC_SWEEP_CONTRACT_STOPS=1): campaign F's findings (a rollback that left a contract's default in place; a
 * new-version insert refused between a fill trigger's drop and the default) made general.
 */
async function contractStopsFlow(target: Target, c: OperationCase): Promise<void> {
  let contracted: unknown;
  const straight = async () => {
    contracted ??= await withCase(target, c, async (flow) => {
      await start(flow, { ...c, soak: undefined });
      await flow.xc.deploy.record({ app: 'shop', version: 'v2' });
      await flow.xc.contract();
      return schemaOf(flow.db);
    });
    return contracted;
  };
  // One database per stop: a case's writes may leave rows that refuse a second apply (which is right).
  for (let k = 2, steps = 2; k <= steps; k++) {
    await withCase(target, c, async (flow) => {
      const { db, xc, ids } = flow;
      const before = await schemaOf(db);
      // The new version's writes wait for the stop.
      await start(flow, { ...c, soak: undefined, writes: { old: c.writes?.old } });
      const planned = (await xc.plan()).migrations.flatMap((m) => (m.pending.find((p) => p.phase === 'contract')?.steps ?? []).map((st) => ({ ...st, migration: m.id })));
      steps = planned.length;
      if (k > steps) return;
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      // Before step k, or the first after it that runs (one whose probe finds it done is not announced).
      const later = new Set(planned.slice(k - 1).map((st) => `${st.migration} ${st.description}`));
      const stopping = createXc({ url: db.url, dir: flow.dir, batchSize: 100, onEvent: (e) => { if (e.event === 'step' && later.has(`${e.migration} ${e.description}`)) throw new Error(`stopped before contract step ${k}`); } });
      let stopped: boolean | undefined;
      try {
        stopped = await stopping.contract().then(
          () => false,
          (e: Error) => {
            // A case whose new-version writes mend rows before its contract (waiting here, they have not yet).
            if (/^contract refused: not every row/.test(e.message)) return undefined;
            if (!/^stopped/.test(e.message)) throw e;
            return true;
          },
        );
      } finally {
        await stopping.close();
      }
      if (stopped === undefined) return;
      const where = `after contract step ${k - 1} (${planned[k - 2]!.migration}: ${planned[k - 2]!.description})`;
      for (const sql of c.writes?.new ? pick(c.writes.new, db.dialect) : []) {
        // Refused by a constraint of the case's own, enforced from contract on, is right; by anything else (one of
        // xc's, a NOT NULL the column's default should have met, a missing column) not.
        const refused = await db.query(sql).then(() => undefined, (e: Error) => e);
        if (refused && !refusedByOwnConstraint(refused)) throw new Error(`the new version's ${sql} ${where}: ${refused.message}`);
      }
      // No step from k on was announced (a check the contract reads is no step): nothing stopped there.
      if (!stopped) return;
      const stoppedIn = (await xc.status()).migrations.find((m) => m.phase === 'contracting')!.id;
      if (planned.slice(0, k - 1).some((st) => st.migration === stoppedIn && st.removesOldShape)) {
        await xc.contract();
        expect(await phases(xc), where).toEqual(ids.map(() => 'contracted'));
        return;
      }
      await xc.deploy.retire({ app: 'shop', version: 'v2' });
      await xc.rollback({ id: stoppedIn });
      if (stoppedIn === ids[0]) {
        expect(await schemaOf(db), `rolled back ${where}`).toEqual(before);
        return;
      }
      await xc.apply();
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      await xc.contract();
      expect(await phases(xc), where).toEqual(ids.map(() => 'contracted'));
      expect(await schemaOf(db), `rolled back ${where}, applied and contracted again`).toEqual(await straight());
    });
  }
}

/** A write refused by a check, unique or foreign key the case declares (not one of xc's `xc_` objects). */
function refusedByOwnConstraint(e: Error & { code?: string; constraint?: string; sqlState?: string }): boolean {
  const name = e.constraint ?? /CONSTRAINT `([^`]+)` failed|for key '(?:[^'.]+\.)?([^']+)'|CONSTRAINT `([^`]+)` FOREIGN KEY/.exec(e.message)?.slice(1).find(Boolean);
  const violation = ['23514', '23505', '23503'].includes(e.code ?? '') || e.sqlState === '23000';
  return violation && name !== undefined && !name.startsWith('xc_');
}

/** The tests of one operation's cases; each case must use it. */
export function describeOperation(kind: OperationKind, cases: OperationCase[]): void {
  for (const c of cases) {
    if (!migrationsOf(c).flat().some((op) => Object.keys(op as object)[0] === kind)) throw new Error(`case "${c.name}" of ${kind} does not use ${kind}`);
  }
  describeCases(`${kind} through the engine`, cases);
}

/** For each case and dialect: start then complete, and start then roll back. */
export function describeCases(title: string, cases: OperationCase[]): void {
  for (const target of targets) {
    const runnable = cases.filter((x) => !x.only || x.only === target.name);
    // An operation only one server has (setReplicaIdentity): the other's refusal is tested beside its cases.
    if (runnable.length === 0) continue;
    target.describe(`${title} (${target.name})`, () => {
      for (const c of runnable) {
        it.concurrent(`${c.name}: start, then complete`, () => completeFlow(target, c), FLOW_BUDGET_MS);
        it.concurrent(`${c.name}: start, then roll back`, () => rollbackFlow(target, c), FLOW_BUDGET_MS);
        if (process.env.XC_SWEEP_CONTRACT_STOPS) it.concurrent(`${c.name}: contract stopped at each step, written to, rolled back or finished`, () => contractStopsFlow(target, c), FLOW_BUDGET_MS);
      }
    });
  }
}
