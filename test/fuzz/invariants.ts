/**
 * What must hold after every command: the schema dump (for "a refused input
 * changed nothing" and "rollback restores the old shape"), and the data
 * checks against the expected model — tables and columns that should exist
 * do and nothing else does, no row lost or gained, every checked cell holding
 * what the writes and the triggers' contract say, every old table name kept
 * working reading the same rows.
 */
import type { Db } from '../helpers/targets.js';
import type { DataModel } from './data.js';
import type { SchemaDef, Value } from './model.js';

/** Tables, views, columns (type, default, nullability), indexes, constraints and triggers of the application's schema (xc's state left out). */
export async function schemaDump(db: Db): Promise<string[]> {
  const rows = db.dialect === 'postgres' ? await pgDump(db) : await mysqlDump(db);
  return [...new Set(rows.map((r) => JSON.stringify(checkAsEnforced(Object.values(r)))))].sort();
}

/**
 * On MySQL/MariaDB a check is a server CHECK or xc's trigger pair (xc adds and renames checks as trigger pairs:
 * a server CHECK is added only by a table copy that blocks writes; README, renameConstraint): either is the same
 * check, by table and name.
 */
function checkAsEnforced(row: unknown[]): unknown[] {
  const [kind, table, name, a, b, statement] = row as string[];
  if (kind === 'chk' || (kind === 'con' && a === 'CHECK')) return ['check', table, name];
  const named = kind === 'trg' && /^xc_ck_/.test(name ?? '') && (a === 'BEFORE' && (b === 'INSERT' || b === 'UPDATE')) ? /CONSTRAINT `((?:[^`]|``)+)` failed/.exec(statement ?? '') : null;
  return named ? ['check', table, named[1]!.replace(/``/g, '`')] : row;
}

async function pgDump(db: Db): Promise<Record<string, unknown>[]> {
  return [
    // relreplident: the replica identity (setReplicaIdentity; its rollback restores it), and the identity index.
    ...(await db.query(`SELECT 'rel', c.relname, c.relkind, c.relreplident FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'S')`)),
    ...(await db.query(`SELECT 'replidx', i.indrelid::regclass::text, i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace AND i.indisreplident`)),
    ...(await db.query(`SELECT 'col', table_name, column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'`)),
    ...(await db.query(`SELECT 'idx', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`)),
    ...(await db.query(`SELECT 'con', conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace`)),
    ...(await db.query(`SELECT 'trg', tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)`)),
    ...(await db.query(`SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = 'public'`)),
  ];
}

async function mysqlDump(db: Db): Promise<Record<string, unknown>[]> {
  const app = `table_schema = DATABASE() AND table_name NOT LIKE 'xc\\_%'`;
  return [
    ...(await db.query(`SELECT 'rel', table_name, table_type FROM information_schema.tables WHERE ${app}`)),
    ...(await db.query(`SELECT 'col', table_name, column_name, column_type, is_nullable, column_default, extra FROM information_schema.columns WHERE ${app}`)),
    ...(await db.query(`SELECT 'idx', table_name, index_name, seq_in_index, column_name, non_unique FROM information_schema.statistics WHERE ${app}`)),
    ...(await db.query(`SELECT 'con', table_name, constraint_name, constraint_type FROM information_schema.table_constraints WHERE constraint_schema = DATABASE() AND table_name NOT LIKE 'xc\\_%'`)),
    ...(await db.query(`SELECT 'chk', table_name, constraint_name, check_clause FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() AND table_name NOT LIKE 'xc\\_%'`)),
    ...(await db.query(`SELECT 'fk', table_name, constraint_name, referenced_table_name, delete_rule FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND table_name NOT LIKE 'xc\\_%'`)),
    ...(await db.query(`SELECT 'trg', event_object_table, trigger_name, action_timing, event_manipulation, action_statement FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND event_object_table NOT LIKE 'xc\\_%'`)),
    ...(await db.query(`SELECT 'view', table_name, view_definition FROM information_schema.views WHERE ${app}`)),
  ];
}

export function dumpDiff(before: string[], after: string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...before.filter((x) => !b.has(x)).map((x) => `- ${x}`), ...after.filter((x) => !a.has(x)).map((x) => `+ ${x}`)];
}

const norm = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const q = (db: Db, id: string) => (db.dialect === 'postgres' ? `"${id}"` : `\`${id}\``);

async function baseTables(db: Db): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`
      : `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'xc\\_%'`;
  return (await db.query<{ t: string }>(sql)).map((r) => r.t).sort();
}

/** Compares the database with the expected model; returns what differs (empty: all holds) and counts the rows checked. */
export async function checkData(db: Db, model: DataModel): Promise<{ problems: string[]; rows: number }> {
  const problems: string[] = [];
  let rows = 0;
  const expectedTables = model.tables.map((t) => t.name).sort();
  const actualTables = await baseTables(db);
  if (JSON.stringify(actualTables) !== JSON.stringify(expectedTables)) problems.push(`tables are [${actualTables}], expected [${expectedTables}]`);
  for (const t of model.tables) {
    if (!actualTables.includes(t.name)) continue;
    // An in-place change in flight keeps a shadow column xc names; none may be left once it is contracted or rolled back.
    const cols = (await db.columns(t.name)).map((c) => c.name).filter((c) => !(model.shadowed(t) && c.startsWith('xc_shadow'))).sort();
    const expectedCols = [...t.columns.keys()].sort();
    if (JSON.stringify(cols) !== JSON.stringify(expectedCols)) problems.push(`${t.name}: columns are [${cols}], expected [${expectedCols}] (a column lost or left behind)`);
    const actual = await db.query<Record<string, unknown>>(`SELECT * FROM ${q(db, t.name)} ORDER BY id`);
    const ids = actual.map((r) => Number(r.id));
    const expectedIds = [...t.rows.keys()].sort((a, b) => a - b);
    const missing = expectedIds.filter((id) => !ids.includes(id));
    const extra = ids.filter((id) => !t.rows.has(id));
    if (missing.length || extra.length) problems.push(`${t.name}: rows lost [${missing.slice(0, 10)}], rows not written by anyone [${extra.slice(0, 10)}]`);
    for (const r of actual) {
      const want = t.rows.get(Number(r.id));
      if (!want) continue;
      rows++;
      for (const [col, cell] of want) {
        if (cell.soft || !(col in r)) continue;
        if (norm(r[col]) !== norm(cell.v)) problems.push(`${t.name} id=${r.id}: ${col} is ${JSON.stringify(r[col])}, expected ${JSON.stringify(cell.v)}`);
      }
    }
    if (t.alias) {
      try {
        const n = await db.count(`SELECT count(*) FROM ${q(db, t.alias)}`);
        if (n !== actual.length) problems.push(`old name ${t.alias} shows ${n} rows, ${t.name} has ${actual.length}`);
      } catch (err) {
        problems.push(`old name ${t.alias} of ${t.name} does not work: ${(err as Error).message}`);
      }
    }
  }
  return { problems: problems.slice(0, 20), rows };
}

/** After everything is contracted: the schema is what the last version expects (columns, nullability, index/constraint names kept). */
export async function checkFinalSchema(db: Db, expected: SchemaDef): Promise<string[]> {
  const problems: string[] = [];
  for (const t of expected.tables) {
    const cols = await db.columns(t.name);
    for (const c of t.columns) {
      const a = cols.find((x) => x.name === c.name);
      if (!a) continue; // reported by checkData
      if (a.nullable !== c.nullable) problems.push(`${t.name}.${c.name}: nullable ${a.nullable}, expected ${c.nullable}`);
      const family = (s: string) => (/char|text/i.test(s) ? 'text' : /bigint/i.test(s) ? 'bigint' : /int/i.test(s) ? 'int' : s);
      if (family(a.type) !== family(c.type)) problems.push(`${t.name}.${c.name}: type ${a.type}, expected ${c.type}`);
      if ((c.default ?? null) !== null && !String(a.default ?? '').includes(String(c.default))) problems.push(`${t.name}.${c.name}: default ${a.default}, expected ${c.default}`);
    }
    const all = await db.indexes(t.name);
    const indexes = all.map((i) => i.name);
    for (const i of t.indexes) if (!indexes.includes(i.name)) problems.push(`${t.name}: index ${i.name} is gone (have ${indexes})`);
    // A unique constraint is its index under the constraint's name, on both servers; a dropped one is gone.
    const uniques = [...(t.uniques ?? []).map((u) => u.name), ...(t.multi ?? []).flatMap((k) => (k.kind === 'unique' ? [k.name] : []))].sort();
    for (const u of uniques) if (!indexes.includes(u)) problems.push(`${t.name}: unique constraint ${u} has no index of its name (have ${indexes})`);
    const uniqueNow = all.filter((i) => i.unique).map((i) => i.name).sort();
    if (JSON.stringify(uniqueNow) !== JSON.stringify(uniques)) problems.push(`${t.name}: unique indexes are [${uniqueNow}], expected [${uniques}]`);
    // Every check the last version expects, once, and no other (a pair left behind on MySQL still refuses writes).
    const expectedChecks = [...t.checks.map((k) => k.name), ...(t.multi ?? []).flatMap((k) => (k.kind === 'check' ? [k.name] : []))].sort();
    const checks = await checkNames(db, t.name);
    if (JSON.stringify(checks) !== JSON.stringify(expectedChecks)) problems.push(`${t.name}: checks are [${checks}], expected [${expectedChecks}]`);
    if (db.dialect === 'postgres') {
      // The replica identity the last setReplicaIdentity left (README: catalog only, at expand).
      const want = { type: t.replica?.type ?? 'default', index: t.replica?.type === 'index' ? t.replica.index : null };
      const [got] = await db.query<{ r: string; i: string | null }>(`SELECT c.relreplident AS r, (SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS i FROM pg_class c WHERE c.oid = to_regclass(?)`, [`public.${t.name}`]);
      const type = { d: 'default', f: 'full', n: 'nothing', i: 'index' }[got?.r ?? 'd'];
      if (type !== want.type || (want.type === 'index' && got?.i !== want.index)) problems.push(`${t.name}: replica identity ${type}${got?.i ? ` (${got.i})` : ''}, expected ${want.type}${want.index ? ` (${want.index})` : ''}`);
    }
    const constraints = await constraintNames(db, t.name);
    // On MySQL xc enforces the checks it adds with a trigger pair named after a hash, not the check: names are not comparable.
    const named = db.dialect === 'postgres' ? [...t.checks, ...t.fks] : t.fks;
    for (const k of named) if (!constraints.includes(k.name)) problems.push(`${t.name}: constraint ${k.name} is gone (have ${constraints})`);
  }
  return problems;
}

/** The checks of `table` by name, sorted, one entry per enforcement (MySQL: a server CHECK or xc's trigger pair). */
async function checkNames(db: Db, table: string): Promise<string[]> {
  if (db.dialect === 'postgres') return (await db.query<{ n: string }>(`SELECT conname AS n FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'c'`, [`public.${table}`])).map((r) => r.n).sort();
  const server = await db.query<{ n: string }>(`SELECT constraint_name AS n FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() AND table_name = ?`, [table]);
  const pairs = await db.query<{ s: string }>(`SELECT action_statement AS s FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND event_object_table = ? AND trigger_name LIKE 'xc\\_ck\\_%' AND event_manipulation = 'INSERT'`, [table]);
  const byPair = pairs.flatMap((p) => /CONSTRAINT `((?:[^`]|``)+)` failed/.exec(p.s)?.[1]?.replace(/``/g, '`') ?? []);
  return [...server.map((r) => r.n), ...byPair].sort();
}

async function constraintNames(db: Db, table: string): Promise<string[]> {
  if (db.dialect === 'postgres') return (await db.query<{ n: string }>(`SELECT conname AS n FROM pg_constraint WHERE conrelid = to_regclass(?)`, [`public.${table}`])).map((r) => r.n);
  const cons = await db.query<{ n: string }>(`SELECT constraint_name AS n FROM information_schema.table_constraints WHERE constraint_schema = DATABASE() AND table_name = ?`, [table]);
  // Checks xc enforces with a trigger pair on MySQL (no table copy): named after the check.
  const trig = await db.query<{ n: string }>(`SELECT trigger_name AS n FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND event_object_table = ?`, [table]);
  return [...cons.map((r) => r.n), ...trig.map((r) => r.n)];
}

export type { Value };
