/**
 * What a bad input must leave as it was: every object of the application's
 * schema (tables, columns, indexes, constraints, triggers, functions,
 * schemas), the canary's rows and sequence, and apart from those xc's state
 * tables with every row in them.
 */
import type { Conn, Dialect } from '../db.js';

export const STATE_TABLES = ['migrations', 'steps', 'backfill', 'events', 'deployments', 'instances'];
const MYSQL_STATE = STATE_TABLES.map((t) => `xc_${t}`);

export interface Catalog {
  /** The application's objects: what a refused input, a `plan` and a rolled-back apply all leave equal. */
  schema: string;
  /** The canary's rows: no input may change them. */
  canary: string;
  /** The canary's sequence: a `plan` and a refused input leave it; an apply whose `up` calls nextval may move it. */
  sequence: string;
  /** xc's state tables and their rows: what a refused input and a `plan` leave equal. */
  state: string;
}

const rowsOf = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v)))));

async function pgCatalog(c: Conn): Promise<Catalog> {
  const app = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'xc') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'`;
  const q = async (sql: string) => rowsOf(await c.query(sql));
  const schema = {
    schemas: await q(`SELECT n.nspname FROM pg_namespace n WHERE ${app} ORDER BY 1`),
    relations: await q(`SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${app} ORDER BY 1, 2`),
    columns: await q(
      `SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE ${app} AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1, 2`,
    ),
    constraints: await q(`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(k.oid), convalidated FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE ${app} ORDER BY 1, 2`),
    indexes: await q(`SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${app} ORDER BY 1`),
    triggers: await q(`SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${app} AND NOT tgisinternal ORDER BY 1, 2`),
    functions: await q(`SELECT p.proname, md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${app} ORDER BY 1, 2`),
  };
  const tables = (await c.query<{ t: string }>(`SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'xc' AND c.relkind = 'r' ORDER BY 1`)).map((r) => r.t);
  const state: Record<string, unknown> = { tables };
  for (const t of tables) state[t] = (await q(`SELECT t::text FROM xc."${t.replace(/"/g, '""')}" t`)).sort();
  return {
    schema: JSON.stringify(schema),
    canary: JSON.stringify(await q(`SELECT * FROM public.canary ORDER BY id`)),
    sequence: JSON.stringify(await q(`SELECT last_value, is_called FROM public.canary_seq`)),
    state: JSON.stringify(state),
  };
}

async function mysqlCatalog(c: Conn): Promise<Catalog> {
  const q = async (sql: string, params: unknown[] = []) => rowsOf(await c.query(sql, params));
  const notState = `TABLE_NAME NOT IN (${MYSQL_STATE.map(() => '?').join(', ')})`;
  const schema = {
    tables: await q(`SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND ${notState} ORDER BY 1`, MYSQL_STATE),
    columns: await q(
      `SELECT TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND ${notState} ORDER BY 1, 2`,
      MYSQL_STATE,
    ),
    indexes: await q(`SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND ${notState} ORDER BY 1, 2, 3`, MYSQL_STATE),
    constraints: await q(`SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND ${notState} ORDER BY 1, 2`, MYSQL_STATE),
    checks: await q(`SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2`),
    triggers: await q(`SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, MD5(ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1, 2`),
    routines: await q(`SELECT ROUTINE_NAME, MD5(ROUTINE_DEFINITION) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1`),
  };
  const present = (await c.query<{ t: string }>(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${MYSQL_STATE.map(() => '?').join(', ')}) ORDER BY 1`, MYSQL_STATE)).map((r) => r.t);
  const state: Record<string, unknown> = { tables: present };
  for (const t of present) state[t] = (await q(`SELECT * FROM \`${t}\``)).sort();
  return {
    schema: JSON.stringify(schema),
    canary: JSON.stringify(await q(`SELECT * FROM canary ORDER BY id`)),
    sequence: JSON.stringify(await q(`SELECT next_not_cached_value FROM canary_seq`)),
    state: JSON.stringify(state),
  };
}

/** Which parts of `after` differ from `before`, each with where it starts to. */
export function changed(before: Catalog, after: Catalog, parts: (keyof Catalog)[] = ['schema', 'canary', 'sequence', 'state']): string[] {
  return parts.filter((p) => before[p] !== after[p]).map((p) => `${p} changed: ${firstDifference(before[p], after[p])}`);
}

export function catalog(dialect: Dialect, c: Conn): Promise<Catalog> {
  return dialect === 'postgres' ? pgCatalog(c) : mysqlCatalog(c);
}

/** The first place two catalog texts differ, with some context, for a violation's message. */
export function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 80), i + 120)}… became …${b.slice(Math.max(0, i - 80), i + 120)}…`;
}

/** The canary: a table, its rows, a sequence, and a function that would empty it — what every hostile input tries to reach. */
export function canaryDdl(dialect: Dialect): string[] {
  const rows = `INSERT INTO canary (id, v) VALUES (1, 'one'), (2, 'two; --'), (3, 'x''y'), (4, NULL), (5, '$xc$')`;
  return dialect === 'postgres'
    ? [
        `CREATE TABLE canary (id int PRIMARY KEY, v varchar(40))`,
        rows,
        `CREATE SEQUENCE canary_seq`,
        `CREATE FUNCTION canary_evil() RETURNS int LANGUAGE sql VOLATILE AS $$ DELETE FROM canary; SELECT 1 $$`,
      ]
    : [
        `CREATE TABLE canary (id int PRIMARY KEY, v varchar(40))`,
        rows,
        `CREATE SEQUENCE canary_seq`,
        `CREATE FUNCTION canary_evil() RETURNS int MODIFIES SQL DATA BEGIN DELETE FROM canary; RETURN 1; END`,
      ];
}
