/**
 * One chaos scenario on a private server: a catalogue migration's seeded
 * tables, its old- and new-version writers, and the comparison with a run
 * of the same migration that was never interrupted: same schema, same seeded
 * rows, every writer row as predicted.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rng } from '../fuzz/writers.js';
import { OLD_BASE, type ChaosMigration, type Flow, type ReadBack, type Value, type Version, type WriterRow } from './catalogue.js';
import { connect, once, type Dialect } from './db.js';
import type { Server } from './servers.js';
import { AppWriter } from './writers.js';
import { xc, type Hook, type XcRun } from './xc.js';

export type { Flow } from './catalogue.js';
export const MIGRATION = '0001_chaos';
export type Command = 'apply' | 'contract' | 'rollback';

/** Deterministic PRNG (the fuzz suite's mulberry32): the seed alone decides the data and every fault's point. */
export function prng(seed: number | string): () => number {
  // Hashed first: mulberry32's first draws from nearby integer seeds are correlated.
  return rng(createHash('sha256').update(String(seed)).digest().readUInt32LE(0));
}

export interface Db {
  dialect: Dialect;
  name: string;
  url: string;
  dir: string;
  args: string[];
  drop(): Promise<void>;
}

export async function createDb(server: Server, name: string, m: ChaosMigration, seed: number, rows: number): Promise<Db> {
  const dialect = server.dialect;
  await once(dialect, server.url, `CREATE DATABASE ${name}`);
  const url = server.urlOf(name);
  const c = await connect(dialect, url);
  try {
    for (const t of m.tables) {
      for (const sql of t.ddl) await c.query(sql);
      const rnd = prng(`${seed}:${t.name}`);
      const count = t.count(rows);
      for (let i = 1; i <= count; i += 1000) {
        const chunk: Value[][] = [];
        for (let id = i; id < Math.min(i + 1000, count + 1); id++) chunk.push(t.row(id, rnd));
        const tuple = `(${t.columns.map(() => '?').join(', ')})`;
        await c.query(`INSERT INTO ${t.name} (${t.columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat());
      }
    }
  } finally {
    await c.end();
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-chaos-m-'));
  await writeFile(path.join(dir, `${MIGRATION}.json`), JSON.stringify({ description: `chaos: ${m.name}`, operations: m.operations(dialect) }));
  return {
    dialect,
    name,
    url,
    dir,
    args: ['--url', url, '--dir', dir, '--batch-size', '500', '--batch-delay', '5'],
    drop: async () => {
      await rm(dir, { recursive: true, force: true });
      await once(dialect, server.url, dialect === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    },
  };
}

export const commandArgs = (db: Db, c: Command): string[] => [c, ...db.args];

/** Run `c` once with the hook (and `extra` flags), then re-run it until it exits 0 (at most `tries` runs in all). */
export async function converge(
  db: Db,
  c: Command,
  hook?: Hook,
  settle: () => Promise<unknown> = async () => undefined,
  extra: string[] = [],
  tries = 8,
): Promise<{ first: XcRun; runs: number; last: XcRun }> {
  const first = await xc([...commandArgs(db, c), ...extra], hook);
  let last = first;
  let runs = 1;
  // A run the harness had to kill (xc.ts RUN_LIMIT_MS) is the scenario's failure: no re-run hides it, nor waits as long again.
  while (last.code !== 0 && runs < tries && !last.hung) {
    runs++;
    await settle(); // a server restart or a held lock the hook began is over before the re-run
    last = await xc([...commandArgs(db, c), '--wait-lock', '10']);
  }
  return { first, runs, last };
}

const stateTable = (d: Dialect) => (d === 'postgres' ? 'xc.migrations' : 'xc_migrations');

export async function phase(db: Db): Promise<string | undefined> {
  try {
    return (await once<{ phase: string }>(db.dialect, db.url, `SELECT phase FROM ${stateTable(db.dialect)} WHERE id = ?`, [MIGRATION]))[0]?.phase;
  } catch {
    return undefined;
  }
}

/** The new version starts writing once the migration reached dual-write. */
export function startNewWriterAtDualWrite(db: Db, m: ChaosMigration): { writer: Promise<AppWriter | undefined>; stop(): void } {
  let stopped = false;
  const writer = (async () => {
    while (!stopped) {
      if (['dual_write', 'backfilling', 'backfilled'].includes((await phase(db)) ?? '')) return new AppWriter(db.dialect, db.url, 'new', m).start();
      await new Promise((r) => setTimeout(r, 150));
    }
    return undefined;
  })();
  return { writer, stop: () => void (stopped = true) };
}

export interface Snapshot {
  schema: unknown;
  /** Per table, its seeded rows (ids below the writers'), each as JSON. */
  seeded: Record<string, string[]>;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The user's base tables (not xc's state). */
async function userTables(c: Awaited<ReturnType<typeof connect>>, d: Dialect): Promise<string[]> {
  const rows = await c.query<{ name: string }>(
    d === 'postgres'
      ? `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'xc\\_%' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Every user table's columns, indexes, constraints, triggers and views, invalid indexes, the phase; every seeded row. */
export async function snapshot(db: Db): Promise<Snapshot> {
  const c = await connect(db.dialect, db.url);
  try {
    const pgq = db.dialect === 'postgres';
    const notXc = `table_name NOT LIKE 'xc\\_%'`;
    const schema = {
      columns: await c.query(
        pgq
          ? `SELECT table_name AS t, column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`
          : `SELECT table_name AS t, column_name AS name, column_type AS type, is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = DATABASE() AND ${notXc} ORDER BY table_name, ordinal_position`,
      ),
      indexes: await c.query(
        pgq
          ? `SELECT tablename AS t, indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`
          : `SELECT table_name AS t, index_name AS name, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols, MIN(non_unique) AS nu FROM information_schema.statistics WHERE table_schema = DATABASE() AND ${notXc} GROUP BY table_name, index_name ORDER BY 1, 2`,
      ),
      constraints: await c.query(
        pgq
          ? `SELECT conrelid::regclass::text AS t, conname AS name, contype AS type, convalidated AS valid, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`
          : `SELECT tc.table_name AS t, tc.constraint_name AS name, tc.constraint_type AS type, k.check_clause AS def FROM information_schema.table_constraints tc
             LEFT JOIN information_schema.check_constraints k ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
             WHERE tc.constraint_schema = DATABASE() AND tc.${notXc} ORDER BY 1, 2`,
      ),
      triggers: await c.query(
        pgq ? `SELECT tgrelid::regclass::text AS t, tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2` : `SELECT event_object_table AS t, trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY 1, 2`,
      ),
      views: pgq
        ? await c.query(`SELECT viewname AS name, definition AS def FROM pg_views WHERE schemaname = 'public' ORDER BY 1`)
        : // A view's text names its database, which differs from the reference's.
          (await c.query<{ name: string; def: string }>(`SELECT table_name AS name, view_definition AS def FROM information_schema.views WHERE table_schema = DATABASE() ORDER BY 1`)).map((v) => ({ ...v, def: v.def.split(db.name).join('<db>') })),
      invalidIndexes: pgq ? await c.query(`SELECT indexrelid::regclass::text AS name FROM pg_index WHERE NOT indisvalid`) : [],
      phase: await c.query(`SELECT phase FROM ${stateTable(db.dialect)}`),
    };
    const seeded: Record<string, string[]> = {};
    for (const t of await userTables(c, db.dialect)) {
      seeded[t] = (await c.query(`SELECT * FROM ${t} WHERE id < ? ORDER BY id`, [OLD_BASE])).map((r) => JSON.stringify(Object.values(r).map(text)));
    }
    return { schema, seeded };
  } finally {
    await c.end();
  }
}

export interface Check {
  problems: string[];
  rowsChecked: number;
}

/** The schema and seeded rows against the reference; each writer row against what its writer knows it wrote. */
export async function compare(db: Db, m: ChaosMigration, flow: Flow, ref: Snapshot, writers: Partial<Record<Version, AppWriter>>): Promise<Check> {
  const problems: string[] = [];
  const got = await snapshot(db);
  if (JSON.stringify(got.schema) !== JSON.stringify(ref.schema)) problems.push(`schema differs: ${JSON.stringify(got.schema)} vs reference ${JSON.stringify(ref.schema)}`);
  let mismatched = 0;
  let seededRows = 0;
  for (const t of new Set([...Object.keys(ref.seeded), ...Object.keys(got.seeded)])) {
    const [g, r] = [got.seeded[t] ?? [], ref.seeded[t] ?? []];
    seededRows += g.length;
    for (let i = 0; i < Math.max(g.length, r.length); i++) {
      if (g[i] === r[i]) continue;
      if (mismatched++ < 3) problems.push(`${t}: seeded row ${i}: ${g[i]} vs reference ${r[i]}`);
    }
  }
  if (mismatched) problems.push(`${mismatched} seeded rows differ`);

  // Which writers' rows each table holds after this flow, and how each reads there.
  const claims = new Map<string, { rows: Map<number, WriterRow>; read: ReadBack; who: string }[]>();
  for (const version of ['old', 'new'] as const) {
    const w = writers[version];
    if (!w) continue;
    m.after[flow][version].forEach((read, i) => {
      if (!read) return; // its table is gone with the flow
      claims.set(read.table, [...(claims.get(read.table) ?? []), { rows: w.rows[i]!, read, who: `${version} ${m.writers[version][i]!.table}` }]);
    });
  }
  let bad = 0;
  let writerRows = 0;
  const complain = (msg: string) => void (bad++ < 5 && problems.push(msg));
  for (const t of Object.keys(got.seeded)) {
    const mine = claims.get(t) ?? [];
    const cols = [...new Set(mine.flatMap((c) => Object.keys(c.read.columns)))];
    const rows = await once<Record<string, unknown>>(db.dialect, db.url, `SELECT ${['id', ...cols].join(', ')} FROM ${t} WHERE id >= ? ORDER BY id`, [OLD_BASE]);
    writerRows += rows.length;
    const seen = new Set<number>();
    for (const r of rows) {
      const id = Number(r.id);
      seen.add(id);
      const claim = mine.find((c) => c.rows.has(id));
      if (!claim) {
        complain(`${t}: row ${id} was written by no writer`);
        continue;
      }
      const w = claim.rows.get(id)!;
      const wrong = Object.entries(claim.read.columns).filter(([c, allowed]) => !allowed(w).map(text).includes(text(r[c])));
      if (wrong.length) complain(`${t}: ${claim.who} row ${id}: ${JSON.stringify(r)}, expected ${JSON.stringify(Object.fromEntries(Object.entries(claim.read.columns).map(([c, f]) => [c, f(w)])))}`);
    }
    for (const c of mine) for (const [id, w] of c.rows) if (!w.maybe && !seen.has(id)) complain(`${t}: ${c.who} row ${id} is missing`);
  }
  for (const t of claims.keys()) if (!(t in got.seeded)) complain(`table ${t}, where writer rows should be, does not exist`);
  if (bad) problems.push(`${bad} writer rows wrong or missing`);
  return { problems, rowsChecked: seededRows + writerRows };
}

export interface Reference {
  snap: Snapshot;
  /** Each command's event lines in the uninterrupted run: where a fault may land. */
  events: Partial<Record<Command, Record<string, unknown>[]>>;
}

/** The uninterrupted run of each catalogue entry and flow, no writers, made once per server when first asked for. */
export class References {
  private readonly made = new Map<string, Promise<Reference>>();
  constructor(
    private readonly server: Server,
    private readonly seed: number,
    private readonly rows: number,
  ) {}

  get(m: ChaosMigration, flow: Flow): Promise<Reference> {
    const key = `${m.name}_${flow}`;
    if (!this.made.has(key)) this.made.set(key, this.make(m, flow, `xc_chaos_ref_${key}`));
    return this.made.get(key)!;
  }

  private async make(m: ChaosMigration, flow: Flow, name: string): Promise<Reference> {
    const db = await createDb(this.server, name, m, this.seed, this.rows);
    try {
      const events: Reference['events'] = {};
      const run = async (c: Command) => {
        const r = await xc(commandArgs(db, c));
        if (r.code !== 0) throw new Error(`reference ${m.name} ${c} failed (${r.code}): ${r.stderr} ${JSON.stringify(r.events.at(-1))}`);
        events[c] = r.events;
      };
      await run('apply');
      if (flow === 'contract') {
        const rec = await xc(['deploy', 'record', '--app', 'shop', '--version', 'v2', '--level', MIGRATION, ...db.args]);
        if (rec.code !== 0) throw new Error(`deploy record failed: ${rec.stderr}`);
        await run('contract');
      } else {
        await run('rollback');
      }
      return { snap: await snapshot(db), events };
    } finally {
      await db.drop();
    }
  }
}

/** What part of a command an event line belongs to: its DDL by phase, the backfill, the verify, a phase change. */
export function pointOf(e: Record<string, unknown>): string | undefined {
  if (e.event === 'step') return `${String(e.phase)} DDL`;
  if (e.event === 'backfill' || e.event === 'backfill_again') return 'backfill';
  if (e.event === 'verify' || e.event === 'phase') return String(e.event);
  return undefined;
}

/**
 * A point to fault: a part of the command (each part alike, so DDL is hit as often as the many backfill lines), then its
 * n-th line; `index` is that line's place in the reference run's `events`.
 */
export function pickPoint(events: Record<string, unknown>[], rnd: () => number): { part: string; nth: number; index: number } | undefined {
  const parts = new Map<string, number[]>();
  events.forEach((e, i) => {
    const p = pointOf(e);
    if (p) parts.set(p, [...(parts.get(p) ?? []), i]);
  });
  const names = [...parts.keys()].sort();
  if (!names.length) return undefined;
  const part = names[Math.floor(rnd() * names.length)]!;
  const nth = 1 + Math.floor(rnd() * parts.get(part)!.length);
  return { part, nth, index: parts.get(part)![nth - 1]! };
}
