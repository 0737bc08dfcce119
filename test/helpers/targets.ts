/**
 * One test database API over PostgreSQL and MySQL/MariaDB, so operation
 * suites are written once and run on every dialect. SQL uses `?` placeholders
 * on both; catalog helpers read information_schema the way each server needs.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { toDollarParams } from '../../src/dialects/postgres/text.js';
import { createPgDatabase, describeMysql, describePg, MYSQL_URL } from './servers.js';
import type { Queryable } from './writers.js';

export interface Column {
  name: string;
  nullable: boolean;
  default: string | null;
  type: string;
}

export interface Db {
  dialect: 'postgres' | 'mysql';
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Another connection, e.g. for a writer. */
  connection(): Promise<Queryable>;
  columns(table: string): Promise<Column[]>;
  /** Index definitions (names and columns), as text. */
  indexes(table: string): Promise<{ name: string; columns: string[]; unique: boolean }[]>;
  /** CHECK constraint expressions on the table. */
  checks(table: string): Promise<string[]>;
  /** Unique constraints, as column lists. */
  uniques(table: string): Promise<string[][]>;
  triggers(): Promise<string[]>;
  /** Insert rows in chunks. */
  seed(table: string, columns: string[], rows: unknown[][]): Promise<void>;
  count(sql: string, params?: unknown[]): Promise<number>;
  drop(): Promise<void>;
}

export interface Target {
  name: 'postgres' | 'mysql';
  describe: typeof describePg;
  create(prefix: string): Promise<Db>;
}

async function pgDb(prefix: string): Promise<Db> {
  const t = await createPgDatabase(prefix);
  const wrap = (c: pg.Client): Queryable => ({ query: (sql, params) => c.query(params?.length ? toDollarParams(sql) : sql, params as unknown[]) });
  const main = wrap(await t.client());
  const query = async <T>(sql: string, params?: unknown[]) => ((await main.query(sql, params)) as { rows: T[] }).rows;
  return {
    dialect: 'postgres',
    url: t.url,
    query,
    connection: async () => wrap(await t.client()),
    columns: async (table) =>
      (await query<{ name: string; nullable: string; default: string | null; type: string }>(
        `SELECT column_name AS name, is_nullable AS nullable, column_default AS default, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
        [table],
      )).map((c) => ({ ...c, nullable: c.nullable === 'YES' })),
    indexes: async (table) =>
      query(
        `SELECT i.relname AS name, ix.indisunique AS unique, ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k) AS columns
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid WHERE t.relname = ? AND NOT ix.indisprimary`,
        [table],
      ),
    checks: async (table) => (await query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'c'`, [table])).map((r) => r.def),
    uniques: async (table) =>
      (await query<{ cols: string[] }>(
        `SELECT ARRAY(SELECT a.attname::text FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k) AS cols FROM pg_constraint c WHERE conrelid = to_regclass(?) AND contype = 'u'`,
        [table],
      )).map((r) => r.cols),
    triggers: async () => (await query<{ n: string }>(`SELECT tgname AS n FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`)).map((r) => r.n),
    seed: (table, columns, rows) => seedRows(query, table, columns, rows, '"'),
    count: async (sql, params) => Number(Object.values((await query<Record<string, unknown>>(sql, params))[0]!)[0]),
    drop: () => t.drop(),
  };
}

async function mysqlDb(prefix: string): Promise<Db> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: MYSQL_URL! });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(MYSQL_URL!);
  u.pathname = `/${name}`;
  const url = u.toString();
  const conns: mysql.Connection[] = [];
  const open = async () => {
    const c = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
    conns.push(c);
    return c;
  };
  const main = await open();
  const query = async <T>(sql: string, params?: unknown[]) => {
    const [rows] = await main.query(sql, params);
    return (Array.isArray(rows) ? rows : []) as T[];
  };
  return {
    dialect: 'mysql',
    url,
    query,
    connection: async () => {
      const c = await open();
      return { query: (sql, params) => c.query(sql, params) };
    },
    columns: async (table) =>
      (await query<{ name: string; nullable: string; default: string | null; type: string }>(
        `SELECT column_name AS name, is_nullable AS nullable, column_default AS \`default\`, data_type AS type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`,
        [table],
      )).map((c) => ({ ...c, nullable: c.nullable === 'YES' })),
    indexes: async (table) => {
      const rows = await query<{ name: string; col: string; non_unique: number }>(
        `SELECT index_name AS name, column_name AS col, non_unique FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name <> 'PRIMARY' ORDER BY index_name, seq_in_index`,
        [table],
      );
      const byName = new Map<string, { name: string; columns: string[]; unique: boolean }>();
      for (const r of rows) {
        const i = byName.get(r.name) ?? { name: r.name, columns: [], unique: Number(r.non_unique) === 0 };
        i.columns.push(r.col);
        byName.set(r.name, i);
      }
      return [...byName.values()];
    },
    // Checks xc adds on MySQL are enforced by a trigger pair (a real CHECK would copy the table): count those too.
    checks: async (table) => [
      ...(await query<{ c: string }>(`SELECT check_clause AS c FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() AND table_name = ?`, [table])).map((r) => r.c),
      ...(await query<{ c: string }>(`SELECT action_statement AS c FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND event_object_table = ? AND trigger_name LIKE 'xc\\_ck\\_%\\_i'`, [table])).map((r) => r.c),
    ],
    uniques: async (table) => {
      const rows = await query<{ name: string; col: string }>(
        `SELECT k.constraint_name AS name, k.column_name AS col FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
         WHERE c.constraint_schema = DATABASE() AND c.table_name = ? AND c.constraint_type = 'UNIQUE' ORDER BY k.constraint_name, k.ordinal_position`,
        [table],
      );
      const by = new Map<string, string[]>();
      for (const r of rows) by.set(r.name, [...(by.get(r.name) ?? []), r.col]);
      return [...by.values()];
    },
    triggers: async () => (await query<{ n: string }>(`SELECT trigger_name AS n FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY 1`)).map((r) => r.n),
    seed: (table, columns, rows) => seedRows(query, table, columns, rows, '`'),
    count: async (sql, params) => Number(Object.values((await query<Record<string, unknown>>(sql, params))[0]!)[0]),
    drop: async () => {
      await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
      const a = await mysql.createConnection({ uri: MYSQL_URL! });
      await a.query(`DROP DATABASE IF EXISTS ${name}`);
      await a.end();
    },
  };
}

async function seedRows(query: Db['query'], table: string, columns: string[], rows: unknown[][], q: string): Promise<void> {
  const cols = columns.map((c) => `${q}${c}${q}`).join(', ');
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await query(`INSERT INTO ${q}${table}${q} (${cols}) VALUES ${chunk.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ')}`, chunk.flat());
  }
}

export const targets: Target[] = [
  { name: 'postgres', describe: describePg, create: pgDb },
  { name: 'mysql', describe: describeMysql, create: mysqlDb },
];

/** One of xc's state tables, wherever the dialect keeps it (PostgreSQL: schema xc). */
export const stateTable = (db: Db, table: string) => (db.dialect === 'postgres' ? `xc.${table}` : `xc_${table}`);

/** Every schema (PostgreSQL) and table of the database but the server's own: what a read-only command must leave as it was. */
export const everything = (db: Db) =>
  db.dialect === 'postgres'
    ? db.query(
        `SELECT schema_name AS s, NULL AS t FROM information_schema.schemata WHERE schema_name NOT LIKE 'pg\\_%' AND schema_name <> 'information_schema'
         UNION ALL SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
      )
    : db.query(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1`);
