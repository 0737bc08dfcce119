/**
 * Reads the tables of the current schema (search_path's first) from the
 * PostgreSQL catalog into a SchemaModel.
 */
import type { Session } from '../../db/driver.js';
import { SchemaModel, type ColumnSetting, type TableModel } from '../../schema/model.js';

/** A relation's name as the model shows it: qualified only when it is not in the current schema (a child may be elsewhere). */
const relation = (alias: string) => `CASE WHEN ${alias}.relnamespace = c.relnamespace THEN ${alias}.relname::text ELSE ${alias}.relnamespace::regnamespace::text || '.' || ${alias}.relname END`;

const COLUMNS = `
SELECT c.relname AS table_name, c.relkind::text AS kind, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       (a.attidentity <> '' OR a.attgenerated <> '') AS generated, a.attgenerated <> '' AS late, col_description(c.oid, a.attnum) AS comment,
       c.relreplident::text AS replident,
       CASE WHEN c.relispartition THEN (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid) END AS partition_of,
       CASE WHEN NOT c.relispartition THEN ARRAY(SELECT ${relation('p')} FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) END AS inherits_from,
       CASE WHEN c.relkind = 'r' THEN ARRAY(SELECT ${relation('ch')} FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = c.oid ORDER BY 1) END AS inherited_by,
       (SELECT 'COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = a.attcollation AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)) AS collation,
       (SELECT ty.typdefault FROM pg_type ty WHERE ty.oid = a.atttypid AND ty.typtype = 'd') AS domain_default,
       array_remove(ARRAY[
         CASE WHEN a.attstattarget >= 0 THEN 'SET STATISTICS ' || a.attstattarget END,
         -- The options the planner reads, alone: a server may keep others of its own there.
         (SELECT 'SET (' || string_agg(o, ', ') || ')' FROM unnest(a.attoptions) o WHERE o ~ '^n_distinct(_inherited)?=')], NULL) AS settings,
       array_remove(ARRAY[
         CASE WHEN a.attstorage <> (SELECT typstorage FROM pg_type WHERE oid = a.atttypid)
           THEN 'SET STORAGE ' || CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
         -- Compression is PostgreSQL 14+: read through to_jsonb so that older servers, which have no such column, read none.
         CASE coalesce(to_jsonb(a) ->> 'attcompression', '') WHEN 'l' THEN 'SET COMPRESSION lz4' WHEN 'p' THEN 'SET COMPRESSION pglz' END], NULL) AS type_settings,
       CASE WHEN c.relrowsecurity THEN ARRAY(
         SELECT DISTINCT CASE x.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END
         FROM pg_attribute ca, aclexplode(ca.attacl) x
         WHERE ca.attrelid = c.oid AND ca.attnum > 0 AND NOT ca.attisdropped AND x.privilege_type = 'SELECT'
           AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) y WHERE y.grantee = x.grantee AND y.privilege_type = x.privilege_type)
         ORDER BY 1) END AS column_only
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
ORDER BY c.relname, a.attnum`;

const INDEXES = `
SELECT t.relname AS table_name, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
       con.conname AS constraint_name, pg_get_indexdef(ix.indexrelid) AS definition, ix.indisreplident AS replident,
       pg_get_expr(ix.indpred, ix.indrelid) AS predicate, NULLIF(am.amname::text, 'btree') AS method,
       con.contype::text AS constraint_type, COALESCE(con.condeferrable, false) AS deferrable, COALESCE(con.condeferred, false) AS deferred,
       ix.indnullsnotdistinct AS nulls_not_distinct, ix.indisclustered AS clustered,
       ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_am am ON am.oid = i.relam
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = t.oid AND con.contype IN ('p', 'u', 'x')
WHERE n.nspname = current_schema()
ORDER BY t.relname, i.relname`;

const CONSTRAINTS = `
SELECT t.relname AS table_name, con.conname AS name, con.contype::text AS type,
       pg_get_constraintdef(con.oid) AS definition, rt.relname AS ref_table,
       CASE WHEN rt.relnamespace <> n.oid THEN (SELECT nspname FROM pg_namespace WHERE oid = rt.relnamespace) END AS ref_schema, con.confdeltype::text AS on_delete,
       con.confupdtype::text AS on_update, con.confmatchtype::text AS match_type, con.condeferrable AS deferrable, con.condeferred AS deferred, con.convalidated AS validated,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
       CASE WHEN rt.relnamespace <> n.oid THEN ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) END AS ref_types
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class rt ON rt.oid = con.confrelid
WHERE n.nspname = current_schema() AND con.contype IN ('c', 'f')
ORDER BY t.relname, con.conname`;

/**
 * Other holders of names a table would take: relations the model does not
 * show (their names are shared with tables and indexes) and types (a table
 * makes a type of its name). Array types are left out: the server renames
 * an automatic one out of the way.
 */
const OTHER_NAMES = `
SELECT c.relname AS name, CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
       WHEN 'c' THEN 'composite type' ELSE 'index' END AS kind, true AS relation
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND (c.relkind IN ('S', 'm', 'f', 'c')
       OR (c.relkind IN ('i', 'I') AND NOT EXISTS (SELECT 1 FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid WHERE ix.indexrelid = c.oid AND t.relkind IN ('r', 'p', 'v'))))
UNION ALL
SELECT t.typname, 'type', false
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema() AND t.typrelid = 0 AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)`;

/** pg_class.relreplident; 'd' (the primary key) is left out, as the model's default. */
const REPLICA_IDENTITY: Record<string, 'nothing' | 'full' | 'index'> = { n: 'nothing', f: 'full', i: 'index' };

/** `ON DELETE SET NULL (a, "B")` as pg_get_constraintdef prints it (PostgreSQL 15+): the columns, unquoted. */
function onDeleteColumns(definition: string): { onDeleteColumns?: string[] } {
  const list = /ON DELETE SET (?:NULL|DEFAULT) \(((?:[^()"]|"(?:[^"]|"")*")*)\)/.exec(definition)?.[1];
  if (list === undefined) return {};
  const names = [...list.matchAll(/\s*("((?:[^"]|"")*)"|[^,\s]+)\s*(?:,|$)/g)].map((m) => (m[2] !== undefined ? m[2].replace(/""/g, '"') : m[1]!));
  return { onDeleteColumns: names };
}

const ON_DELETE: Record<string, string | null> = { a: null, r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

interface ColumnRow { table_name: string; kind: string; name: string; type: string; nullable: boolean; default_expr: string | null; generated: boolean; late: boolean; comment: string | null; replident: string; collation: string | null; partition_of: string | null; inherits_from: string[] | null; inherited_by: string[] | null; domain_default: string | null; column_only: string[] | null; settings: string[]; type_settings: string[] }
interface IndexRow { table_name: string; name: string; unique: boolean; primary: boolean; constraint_name: string | null; definition: string; predicate: string | null; method: string | null; columns: string[]; replident: boolean; constraint_type: string | null; deferrable: boolean; deferred: boolean; nulls_not_distinct: boolean; clustered: boolean }
interface ConstraintRow { table_name: string; name: string; type: string; definition: string; ref_table: string | null; ref_schema: string | null; on_delete: string; on_update: string; match_type: string; deferrable: boolean; deferred: boolean; validated: boolean; columns: string[]; ref_columns: string[]; ref_types: string[] | null }

/** A table's INHERITS links, either way; none for a partition or a partitioned table (partitionOf, partitioned). */
function inheritance(r: Pick<ColumnRow, 'inherits_from' | 'inherited_by'>): Pick<TableModel, 'inheritsFrom' | 'inheritedBy'> {
  return { ...(r.inherits_from?.length ? { inheritsFrom: r.inherits_from } : {}), ...(r.inherited_by?.length ? { inheritedBy: r.inherited_by } : {}) };
}

export async function introspectPostgres(s: Session): Promise<SchemaModel> {
  const tables = new Map<string, TableModel>();
  const table = (name: string) => tables.get(name);
  for (const r of (await s.query<ColumnRow>(COLUMNS)).rows) {
    let t = table(r.table_name);
    if (!t) {
      t = { name: r.table_name, kind: r.kind === 'v' ? 'view' : 'table', ...(r.kind === 'p' ? { partitioned: true } : {}), ...(r.partition_of ? { partitionOf: r.partition_of } : {}), ...inheritance(r), columns: [], primaryKey: [], indexes: [], checks: [], foreignKeys: [] };
      // 'i' names its index below (pg_index.indisreplident).
      const replident = REPLICA_IDENTITY[r.replident];
      if (replident && r.kind !== 'v') t.replicaIdentity = { type: replident };
      tables.set(t.name, t);
    }
    if (r.column_only?.length) t.columnOnlyGrantees = r.column_only;
    t.columns.push({ name: r.name, type: r.type, nullable: r.nullable, default: r.default_expr, generated: r.generated, ...(r.late ? { filledAfterTriggers: true } : {}), ...(r.comment !== null ? { comment: r.comment } : {}), ...(r.collation !== null ? { collation: r.collation } : {}), ...(r.domain_default !== null ? { domainDefault: r.domain_default } : {}), ...settingsOf(r) });
  }
  for (const r of (await s.query<IndexRow>(INDEXES)).rows) {
    const t = table(r.table_name);
    if (!t) continue;
    t.indexes.push({
      name: r.name,
      columns: r.columns,
      unique: r.unique,
      primary: r.primary,
      constraint: r.constraint_name,
      ...(r.predicate !== null ? { where: r.predicate } : {}),
      ...(r.method !== null ? { method: r.method } : {}),
      ...(r.deferrable ? { deferrable: true, ...(r.deferred ? { initiallyDeferred: true } : {}) } : {}),
      ...(r.nulls_not_distinct ? { nullsNotDistinct: true } : {}),
      ...(r.constraint_type === 'x' ? { exclusion: true } : {}),
      ...(r.clustered ? { clustered: true } : {}),
      definition: r.definition,
    });
    if (r.primary) t.primaryKey = r.columns;
    if (r.replident && t.replicaIdentity?.type === 'index') t.replicaIdentity.index = r.name;
  }
  for (const r of (await s.query<ConstraintRow>(CONSTRAINTS)).rows) {
    const t = table(r.table_name);
    if (!t) continue;
    if (r.type === 'c') {
      t.checks.push({ name: r.name, expression: checkExpression(r.definition), columns: r.columns, ...(r.validated ? {} : { validated: false as const }) });
    } else {
      t.foreignKeys.push({
        name: r.name,
        columns: r.columns,
        refTable: r.ref_table ?? '',
        ...(r.ref_schema ? { refSchema: r.ref_schema } : {}),
        refColumns: r.ref_columns,
        ...(r.ref_types ? { refTypes: r.ref_types } : {}),
        onDelete: ON_DELETE[r.on_delete] ?? null,
        ...onDeleteColumns(r.definition),
        ...(ON_DELETE[r.on_update] ? { onUpdate: ON_DELETE[r.on_update] } : {}),
        ...(r.match_type === 'f' ? { matchType: 'full' } : {}),
        ...(r.deferrable ? { deferrable: true } : {}),
        ...(r.deferred ? { initiallyDeferred: true } : {}),
        ...(r.validated ? {} : { validated: false as const }),
      });
    }
  }
  const model = SchemaModel.fromCatalog([...tables.values()]);
  for (const r of (await s.query<{ name: string; kind: string; relation: boolean }>(OTHER_NAMES)).rows) model.otherNames.set(r.name, { kind: r.kind, relation: r.relation });
  const { schema, path } = (await s.query<{ schema: string | null; path: string }>(`SELECT current_schema() AS schema, current_setting('search_path') AS path`)).rows[0]!;
  model.searched = schema !== null ? ` in schema "${schema}"` : `: no schema of the search_path (${path}) exists — create it, or give --schema`;
  model.namespace = schema ?? undefined;
  return model;
}

/** `CHECK ((price > 0)) NOT VALID` → `(price > 0)`. */
export function checkExpression(definition: string): string {
  const m = /^CHECK \((.*)\)( NOT VALID)?$/s.exec(definition);
  return m ? m[1]! : definition;
}

/** A column's own settings, as ALTER COLUMN clauses: those of its storage only for its type (ColumnModel.settings). */
function settingsOf(r: ColumnRow): { settings?: ColumnSetting[] } {
  const settings = [...r.settings.map((sql) => ({ sql })), ...r.type_settings.map((sql) => ({ sql, forType: r.type }))];
  return settings.length > 0 ? { settings } : {};
}
