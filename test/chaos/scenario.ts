/**
 * One chaos scenario on a private server: a seeded table, one migration with
 * a backfill (int→bigint with a rename, an index, a NOT NULL with `up`), the
 * old- and new-version writers, and the comparison with a run that was never
 * interrupted: same schema, same seeded rows, every writer row as predicted.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rng } from '../fuzz/writers.js';
import { connect, once, type Dialect } from './db.js';
import type { Server } from './servers.js';
import { AppWriter, OLD_BASE } from './writers.js';
import { xc, type Hook, type XcRun } from './xc.js';

export const MIGRATION = '0001_chaos';
export type Flow = 'contract' | 'rollback';
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

export async function createDb(server: Server, name: string, seed: number, rows: number): Promise<Db> {
  const dialect = server.dialect;
  await once(dialect, server.url, `CREATE DATABASE ${name}`);
  const url = server.urlOf(name);
  const c = await connect(dialect, url);
  try {
    await c.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, owner varchar(100), tag varchar(10), note varchar(20))`);
    const rnd = prng(seed);
    for (let i = 1; i <= rows; i += 1000) {
      const chunk: unknown[][] = [];
      for (let id = i; id < Math.min(i + 1000, rows + 1); id++) {
        chunk.push([id, Math.floor(rnd() * 2_000_000_000), `o${Math.floor(rnd() * 1e9)}`, `t${Math.floor(rnd() * 10)}`, rnd() < 0.3 ? null : `n${Math.floor(rnd() * 1e6)}`]);
      }
      await c.query(`INSERT INTO accounts (id, balance, owner, tag, note) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, chunk.flat());
    }
  } finally {
    await c.end();
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-chaos-m-'));
  const down = dialect === 'postgres' ? 'CAST(balance_big AS int)' : 'CAST(balance_big AS SIGNED)';
  const operations = [
    { alterColumn: { table: 'accounts', column: 'balance', to: 'balance_big', type: 'bigint', up: 'balance', down } },
    { addIndex: { table: 'accounts', columns: ['tag'] } },
    { setNotNull: { table: 'accounts', column: 'note', up: "COALESCE(note, 'none')" } },
  ];
  await writeFile(path.join(dir, `${MIGRATION}.json`), JSON.stringify({ operations }));
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

/** Run `c` once with the hook, then re-run it until it exits 0 (at most `tries` runs in all). */
export async function converge(db: Db, c: Command, hook?: Hook, settle: () => Promise<unknown> = async () => undefined, tries = 8): Promise<{ first: XcRun; runs: number; last: XcRun }> {
  const first = await xc(commandArgs(db, c), hook);
  let last = first;
  let runs = 1;
  while (last.code !== 0 && runs < tries) {
    runs++;
    await settle(); // a server restart the hook began is over before the re-run

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
export function startNewWriterAtDualWrite(db: Db): { writer: Promise<AppWriter | undefined>; stop(): void } {
  let stopped = false;
  const writer = (async () => {
    while (!stopped) {
      if (['dual_write', 'backfilling', 'backfilled'].includes((await phase(db)) ?? '')) return new AppWriter(db.dialect, db.url, 'new').start();
      await new Promise((r) => setTimeout(r, 150));
    }
    return undefined;
  })();
  return { writer, stop: () => void (stopped = true) };
}

export interface Snapshot {
  schema: unknown;
  seeded: string[];
}

export async function snapshot(db: Db): Promise<Snapshot> {
  const c = await connect(db.dialect, db.url);
  try {
    const pgq = db.dialect === 'postgres';
    const schema = {
      columns: await c.query(
        pgq
          ? `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'accounts' ORDER BY ordinal_position`
          : `SELECT column_name AS name, column_type AS type, is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'accounts' ORDER BY ordinal_position`,
      ),
      indexes: await c.query(
        pgq
          ? `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'accounts' ORDER BY 1`
          : `SELECT index_name AS name, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols, MIN(non_unique) AS nu FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'accounts' GROUP BY index_name ORDER BY 1`,
      ),
      constraints: await c.query(
        pgq
          ? `SELECT conname AS name, contype AS type, convalidated AS valid, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'public.accounts'::regclass ORDER BY 1`
          : `SELECT constraint_name AS name, check_clause AS def FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() ORDER BY 1`,
      ),
      triggers: await c.query(
        pgq ? `SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1` : `SELECT trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY 1`,
      ),
      invalidIndexes: pgq ? await c.query(`SELECT indexrelid::regclass::text AS name FROM pg_index WHERE NOT indisvalid`) : [],
      phase: await c.query(`SELECT phase FROM ${stateTable(db.dialect)}`),
    };
    const seeded = (await c.query(`SELECT * FROM accounts WHERE id < ? ORDER BY id`, [OLD_BASE])).map((r) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v)))));
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
export async function compare(db: Db, flow: Flow, ref: Snapshot, writers: AppWriter[]): Promise<Check> {
  const problems: string[] = [];
  const got = await snapshot(db);
  if (JSON.stringify(got.schema) !== JSON.stringify(ref.schema)) problems.push(`schema differs: ${JSON.stringify(got.schema)} vs reference ${JSON.stringify(ref.schema)}`);
  let mismatched = 0;
  const n = Math.max(got.seeded.length, ref.seeded.length);
  for (let i = 0; i < n; i++) {
    if (got.seeded[i] === ref.seeded[i]) continue;
    if (mismatched++ < 3) problems.push(`seeded row ${i}: ${got.seeded[i]} vs reference ${ref.seeded[i]}`);
  }
  if (mismatched) problems.push(`${mismatched} of ${ref.seeded.length} seeded rows differ`);
  const col = flow === 'contract' ? 'balance_big' : 'balance';
  const rows = await once<{ id: string; b: string; owner: string; tag: string; note: string | null }>(
    db.dialect,
    db.url,
    `SELECT id, ${col} AS b, owner, tag, note FROM accounts WHERE id >= ? ORDER BY id`,
    [OLD_BASE],
  );
  const model = new Map<number, ReturnType<AppWriter['rows']['get']>>();
  for (const w of writers) for (const [id, r] of w.rows) model.set(id, r);
  const seen = new Set<number>();
  let bad = 0;
  const complain = (m: string) => void (bad++ < 5 && problems.push(m));
  for (const r of rows) {
    const id = Number(r.id);
    seen.add(id);
    const m = model.get(id);
    if (!m) {
      complain(`row ${id} was written by no writer`);
      continue;
    }
    // Old-version NULL notes are filled with 'none' by the migration's trigger or backfill; after a rollback the rows the old version wrote once the trigger was gone keep their NULL.
    const notes = m.note[0] === null ? (flow === 'contract' ? ['none'] : [null, 'none']) : m.note;
    if (!m.balance.includes(Number(r.b)) || !notes.includes(r.note) || r.owner !== m.owner || r.tag !== m.tag) {
      complain(`writer row ${id}: ${JSON.stringify(r)}, expected ${JSON.stringify(m)}`);
    }
  }
  for (const [id, m] of model) if (!m!.maybe && !seen.has(id)) complain(`writer row ${id} is missing`);
  if (bad) problems.push(`${bad} writer rows wrong or missing`);
  return { problems, rowsChecked: got.seeded.length + rows.length };
}

/** The uninterrupted run of a flow, no writers: its snapshot, and how many event lines each command printed (the range of kill points). */
export async function reference(server: Server, flow: Flow, seed: number, rows: number): Promise<{ snap: Snapshot; events: Record<Command, number> }> {
  const db = await createDb(server, `xc_chaos_ref_${flow}`, seed, rows);
  try {
    const events = { apply: 0, contract: 0, rollback: 0 };
    const run = async (c: Command, extra: string[] = []) => {
      const r = await xc([...commandArgs(db, c), ...extra]);
      if (r.code !== 0) throw new Error(`reference ${c} failed (${r.code}): ${r.stderr} ${JSON.stringify(r.events.at(-1))}`);
      if (c in events) events[c as Command] = r.events.length;
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
