/**
 * PostgreSQL (and PGlite, its embedded WASM build) behind the Dialect
 * interface. DDL is transactional here, so most steps run exactly once: the
 * statement and its journal row commit together. The core: the DDL builders
 * (ddlKit.ts) and the catalog reader are loaded when a command plans
 * (loadDdl, introspect), not by status or check (start-up time); index.ts has
 * the dialect with its builders loaded up front.
 */
import type { Session } from '../../db/driver.js';
import { markRemovals, STATE_TABLES, type BackfillTarget, type StateColumnAdded, type Dependent, type Dialect, type Ddl, type SessionRestore, type SessionValues, type StandIn, type WriterReadIssue } from '../dialect.js';
import type { IndexBuildCheck } from '../specs.js';
import type { Blocker, ExpressionCheck, KeyForm, KeyForms } from '../../plan/index.js';
import { referenceClauses, referencedTable } from '../references.js';
import type { ForeignKeyModel, IndexModel, SchemaModel, TableModel } from '../../schema/model.js';
import { BaseDialect, ddlNotLoaded } from '../base.js';
import { unclosedIssue, type Token } from '../sqltext.js';
import type { ReplicaHeartbeat } from '../replicaProbe.js';
import { BYPASS_SETTING, doBlock, dollarTag, literal, PG_IDENTIFIERS, PG_NAMES, pgSegments, pgTokens, quoteQuestionOperators, quotePg, readsWholeRow, valuesDiffer } from './text.js';
import { sessionCalls } from '../sessionCalls.js';
import { pgBackfillSession } from './backfillSession.js';
import { assertTargetName, checkStateTarget, PG_STATE_COLUMNS_ADDED, pgStateSchema, stateSchemaFor } from './state.js';
import { PgAdvisoryLock, pgApplicationNameShown, pgApplicationSessions, pgBlockers } from './sessions.js';
import { pgDependents, pgNameDependents, pgTriggersFiringAfter } from './dependents.js';
import { forPlpgsqlParser, pgRawSqlIssue } from './statements.js';
import { namedByTable, pgDeclaredIssue, pgIndexBuildIssue } from './declared.js';
import { pgCannotAlter } from './owner.js';
import { pgTableGrowthIssue } from './limits.js';
import { pgDeniedToWriters } from './writerRights.js';
import { decimalMax, narrowingIssue, signedRange, type NumberTypes } from '../narrowing.js';

/** The DDL builders, loaded by loadDdl (or handed in by index.ts). */
type PgDdlKit = typeof import('./ddlKit.js');

export { quotePg };

/** Where plan stores a value to convert it as a column of its type does (expressionSetup). */
const VALUE_TABLE = 'pg_temp.xc_value_check';

/**
 * Functions that change the session they run on, and how: plan checks an
 * expression on xc's pooled sessions, a trigger runs it on the
 * application's, and either would carry the change into later statements.
 */
function sessionFunction(name: string): string | undefined {
  if (name === 'set_config') return 'changes a setting for the rest of the session (search_path: later statements find other tables)';
  if (name === 'setseed') return 'seeds random() for the rest of the session';
  if (/^pg_(try_)?advisory_lock(_shared)?$/.test(name)) return 'takes a session-level advisory lock, held after the statement ends';
  if (/^pg_advisory_unlock/.test(name)) return "releases the session's advisory locks, xc's own among them";
  if (name.startsWith('dblink')) return 'opens or uses a connection of its own, outside the transaction xc checks or runs the expression in';
  return undefined;
}

/** The serial shorthands: an integer column with a sequence default. */
const SERIAL: Record<string, string> = { smallserial: 'smallint', serial2: 'smallint', serial: 'integer', serial4: 'integer', bigserial: 'bigint', serial8: 'bigint' };

/**
 * Built-in builders STABLE only for their arguments' text output (JSON builders; `concat`, `concat_ws` and `format`,
 * which campaign CW's authors wrote for `||`): taken in `up`/`down` (volatileFunctions).
 */
const STABLE_BUILDERS = [
  'to_json', 'to_jsonb', 'array_to_json', 'row_to_json', 'json_build_array', 'json_build_object', 'jsonb_build_array', 'jsonb_build_object', 'json_object', 'jsonb_object',
  'concat', 'concat_ws', 'format',
];

/** Key types a bare parameter compared with them takes the type of (PostgreSQL's own scalar types). */
const BARE_KEY_PARAM =
  /^\s*(smallint|integer|int|bigint|int[248]|numeric|decimal|real|double precision|float[48]?|text|character varying|varchar|character|char|bpchar|name|uuid|bytea|boolean|bool|date|time|timetz|timestamp|timestamptz|time(stamp)? with(out)? time zone|interval|inet|cidr|macaddr8?|money|bit|bit varying|varbit|json|jsonb|oid)\b(\s*\([\d\s,]*\))?(\s+with(out)? time zone)?(\s+collate\s+\S+)?\s*$/i;

const INTEGER_BITS: Record<string, number> = { smallint: 16, int2: 16, int: 32, integer: 32, int4: 32, bigint: 64, int8: 64 };
/** PostgreSQL's number types for narrowing.ts: a bare `numeric` is unbounded. */
const NUMBERS: NumberTypes = {
  range(type) {
    const bits = INTEGER_BITS[/^\s*([a-z0-9]+)\s*$/i.exec(type)?.[1]?.toLowerCase() ?? ''];
    if (bits !== undefined) return signedRange(bits);
    const m = /^\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*$/i.exec(type);
    if (!m) return undefined;
    const max = decimalMax(Number(m[1]), Number(m[2] ?? 0));
    return [`-${max}`, max];
  },
  isNumber: (type) => /^\s*(smallint|integer|int|int[248]|bigint|numeric|decimal|real|double precision|float[48]?)\b/i.test(type),
  exact: (column) => `CAST(${column} AS numeric)`,
};

export class PostgresDialect extends BaseDialect implements Dialect {
  readonly name = 'postgres' as const;
  readonly exprVariant = 'postgres' as const;
  readonly names = PG_NAMES;
  protected readonly identifiers = PG_IDENTIFIERS;
  readonly transactionalDdl = true;
  readonly viewsHoldColumnTypes = true;
  readonly uniqueKeysAreIndexes = false;
  readonly foreignKeysNeedIndex = false;
  readonly uniqueIndexMayCluster = false;
  readonly maxIndexKeys = 32;
  readonly foreignKeysTrusted = true;
  readonly foreignKeyActionsRunTriggers = true;
  readonly setNullKeysNeedNullable = false;
  readonly carriesColumnGrants = true;
  /** Heap tables: no index holds the rows. */
  implicitClusterKeys(): IndexModel[] {
    return [];
  }
  indexKeyIssue(): string | null {
    return null;
  }
  nullabilityIssue(): string | null {
    return null;
  }
  alterIssue(): string | null {
    return null;
  }
  /** The schema xc's state is kept in: one per target schema (state.ts). */
  readonly stateSchemaName: string;
  /** The schema the tables are in, as an expression may qualify them: --schema, else the default search_path's. */
  private get rowSchema(): string {
    return this.opts.schema ?? 'public';
  }
  protected readonly advisory: PgAdvisoryLock;

  /**
   * `schema`: the target schema given with --schema (the sessions' search_path), if any. `kit`: the DDL builders,
   * when loaded already (index.ts); else loadDdl loads them.
   */
  constructor(
    private readonly opts: { concurrentIndexes: boolean; schema?: string },
    private kit?: PgDdlKit,
  ) {
    super();
    this.stateSchemaName = stateSchemaFor(opts.schema);
    this.advisory = new PgAdvisoryLock(this.stateSchemaName);
  }

  async loadDdl(): Promise<void> {
    this.kit ??= await import('./ddlKit.js');
  }

  override readsRowWhole(expr: string, table: string, columns?: string[]): boolean {
    return readsWholeRow(expr, table, columns);
  }

  /** The statements depend on the model only for the tables a foreign key ties to the one they change (locked with it). */
  ddl(model: SchemaModel): Ddl {
    const kit = this.kit ?? ddlNotLoaded();
    const q = quotePg;
    // The types a trigger converts between: the columns it writes and those its expressions read — every column where
    // one reads the row whole (`t::text`, `(t).price`: campaign DG, a row's text kept each old writer's DateStyle).
    const settingsRead = (table: string, types: (string | undefined)[], exprs: string[], columns: string[]) => {
      const read = exprs.some((e) => readsWholeRow(e, table, columns)) ? columns : exprs.flatMap((e) => this.columnsNamed(e, table, columns));
      return kit.readsSessionSettings([...types, ...read.map((c) => model.column(table, c)?.type)], exprs);
    };
    return markRemovals({
      ...kit.createPostgresDdl({ concurrentIndexes: this.opts.concurrentIndexes, quote: q, model }),
      syncTrigger: (spec) => kit.pgSyncTrigger(q, spec, settingsRead(spec.table, [spec.oldType, spec.newType], [spec.up, spec.down], spec.columns), (column) => model.column(spec.table, column)?.type),
      fillTrigger: (spec) =>
        kit.pgFillTrigger(q, spec, settingsRead(spec.table, [spec.type ?? model.column(spec.table, spec.column)?.type], [spec.expr], spec.columns), (column) => model.column(spec.table, column)?.type),
      convertTrigger: (spec) => kit.pgConvertTrigger(q, spec),
    });
  }

  quote(identifier: string): string {
    return quotePg(identifier);
  }

  tokens(sql: string): Token[] {
    return pgTokens(sql);
  }

  /** The type alone: `integer[]`, an array, is no integer (its key was split by arithmetic on '{1,2}'). */
  isIntegerType(type: string): boolean {
    return /^\s*(smallint|integer|int|bigint|int2|int4|int8|smallserial|serial|bigserial|serial2|serial4|serial8)\s*$/i.test(type);
  }

  /** Storing converts as comparing does: only a narrower type can fail (narrowing.ts). */
  override conversionIssue(column: string, from: string, to: string) {
    return narrowingIssue(column, from, to, NUMBERS);
  }

  /** The last value handed out, NULL before the first (never past any bound): read, not drawn. */
  override sequencePastType(table: string, column: string, type: string): string | undefined {
    const bounds = NUMBERS.range(this.storedType(type));
    if (!bounds) return undefined;
    return `COALESCE(pg_sequence_last_value(pg_get_serial_sequence(${literal(quotePg(table))}, ${literal(column)})::regclass) NOT BETWEEN ${bounds[0]} AND ${bounds[1]}, FALSE)`;
  }

  override storedType(type: string): string {
    return SERIAL[type.trim().toLowerCase()] ?? type;
  }

  stateTable(name: string): string {
    return `${quotePg(this.stateSchemaName)}.${quotePg(name)}`;
  }

  /** timestamptz: an instant, whatever the session's TimeZone. */
  readonly stateNow = 'CURRENT_TIMESTAMP(6)';

  stateTime(column: string): string {
    return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  }

  stateSchema(): string[] {
    return pgStateSchema(this.stateSchemaName, this.advisory.id('state-creation'));
  }

  stateColumnsAdded(): StateColumnAdded[] {
    return PG_STATE_COLUMNS_ADDED;
  }

  async stateTables(s: Session): Promise<string[]> {
    const r = await s.query<Record<string, boolean>>(
      `SELECT ${STATE_TABLES.map((_, i) => `to_regclass(?) IS NOT NULL AS t${i}`).join(', ')}`,
      STATE_TABLES.map((n) => this.stateTable(n)),
    );
    return STATE_TABLES.filter((_, i) => r.rows[0]![`t${i}`]);
  }

  async stateExists(s: Session): Promise<boolean> {
    return (await this.stateTables(s)).length === STATE_TABLES.length;
  }

  async checkTarget(s: Session, opts: { creating: boolean }): Promise<void> {
    if (this.opts.schema !== undefined) assertTargetName(this.opts.schema);
    await checkStateTarget(s, this.opts.schema, this.stateSchemaName, opts.creating);
  }

  tableGrowthIssue(s: Session, table: string, alters: string[]): Promise<string | null> {
    return pgTableGrowthIssue(s, table, alters);
  }

  cannotAlter(s: Session, table: string, statements: string[]): Promise<string | null> {
    return pgCannotAlter(s, table, statements);
  }

  async notPrimary(s: Session): Promise<string | null> {
    const { recovery } = (await s.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery')).rows[0]!;
    return recovery ? 'the server is a hot standby (pg_is_in_recovery() is true): it takes no writes' : null;
  }

  async targetSchema(s: Session): Promise<string | null> {
    return (await s.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? null;
  }

  async introspect(s: Session) {
    return (await import('./catalog.js')).introspectPostgres(s);
  }

  readonly beginReadOnly = 'BEGIN READ ONLY';
  readonly transactionMark = `SELECT now()::text AS started, txid_current_if_assigned()::text AS xid`;

  async typeIssue(s: Session, type: string): Promise<string | null> {
    try {
      // Bound, never pasted: the parser reads it as one type name or fails.
      const known = (await s.query<{ t: string | null }>('SELECT to_regtype(?)::text AS t', [type])).rows[0]?.t;
      // createTable takes the serial shorthands (its column types are not checked here); no other operation does.
      const integer = SERIAL[type.trim().toLowerCase()];
      if (!known && integer) return `"${type}" is not a type but a shorthand only createTable takes (${integer} with a sequence it owns as its default): give ${integer}, and a default`;
      if (!known) return `type "${type}" does not exist`;
      // Now known to be one type: its modifiers (varchar(-1), numeric(1000)) are checked by using it.
      await s.query(`SELECT CAST(NULL AS ${type})`, undefined, { single: true });
      return null;
    } catch (err) {
      return `"${type}" is not a type: ${(err as Error).message}`;
    }
  }

  async volatileFunctions(s: Session, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    // The standard time keywords are functions of the transaction's start (STABLE): they differ between the trigger and the verify.
    const keywords = names.filter((n) => ['current_timestamp', 'current_date', 'current_time', 'localtime', 'localtimestamp'].includes(n));
    // Those builders (JSON, concat, format) are STABLE only for what their arguments' text output reads (a timestamptz's TimeZone), which a
    // trigger converting a date or time type runs under xc's (triggers.ts readsSessionSettings): given the same row they
    // give the same value, and `text[]` → jsonb has no IMMUTABLE way (to_jsonb). User functions declared STABLE may
    // read tables, and stay refused.
    const r = await s.query<{ name: string }>(
      `SELECT proname::text AS name FROM pg_proc WHERE proname = ANY(?::text[]) GROUP BY proname
       HAVING bool_and(provolatile <> 'i') AND NOT (proname = ANY(?::text[]) AND bool_and(provolatile = 's' AND pronamespace = 'pg_catalog'::regnamespace)) ORDER BY 1`,
      [names, STABLE_BUILDERS],
    );
    return [...keywords, ...r.rows.map((row) => row.name)];
  }

  async columnOnlyReaders(s: Session, table: string): Promise<string[]> {
    // Grantees of a column's SELECT that read every column, but not through the table's privilege — their own, a
    // role's they inherit, or PUBLIC's (campaign DC: such roles were named, and roles whose SELECT * failed already).
    const r = await s.query<{ role: string }>(
      `SELECT g.role FROM (
         SELECT DISTINCT CASE x.grantee WHEN 0 THEN 'public' ELSE pg_get_userbyid(x.grantee)::text END AS role
           FROM pg_attribute a, aclexplode(a.attacl) x
          WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped AND x.privilege_type = 'SELECT') g
        WHERE NOT has_table_privilege(g.role, to_regclass(?), 'SELECT')
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped
                            AND NOT has_column_privilege(g.role, a.attrelid, a.attnum, 'SELECT'))
        ORDER BY 1`,
      [this.quote(table), this.quote(table), this.quote(table)],
    );
    return r.rows.map((row) => (row.role === 'public' ? 'PUBLIC' : row.role));
  }

  deniedToWriters(s: Session, check: ExpressionCheck, table: string): Promise<WriterReadIssue[] | null> {
    return pgDeniedToWriters(s, check, this.quote(table));
  }

  embedExpression(expr: string): string {
    return quoteQuestionOperators(expr);
  }

  readonly readOnlyFromHere = 'SET TRANSACTION READ ONLY';

  /**
   * A value stored in a column converts by assignment, which has no cast
   * from text or boolean to integer where CAST has one, and a default is read
   * as a default (no subquery, no aggregate): a temporary column of the type,
   * made before the check turns read-only, takes the value as apply's column
   * will. Rolled back with the check.
   */
  expressionSetup(c: ExpressionCheck): string[] {
    if (!c.castTo || c.boolean) return [];
    return [`CREATE TEMP TABLE ${VALUE_TABLE} (value ${c.castTo}${c.columnDefault ? ` DEFAULT (${c.sql})` : ''}) ON COMMIT DROP`];
  }

  standInTable(t: TableModel): StandIn {
    const columns = t.columns.map((c) => `${quotePg(c.name)} ${c.type}${c.collation ? ` ${c.collation}` : ''}`).join(', ');
    return { create: `CREATE TEMP TABLE ${quotePg(t.name)} (${columns}) ON COMMIT DROP` };
  }

  declaredIssue(s: Session, c: ExpressionCheck): Promise<string | null> {
    return pgDeclaredIssue(s, this, c, this.rowSchema);
  }

  indexBuildIssue(s: Session, c: IndexBuildCheck): Promise<string | null> {
    return pgIndexBuildIssue(s, this, c, this.rowSchema);
  }

  expressionQueries(c: ExpressionCheck): string[] {
    const cols = c.columns.length > 0 ? c.columns.map((col) => `NULL::${col.type} AS ${quotePg(col.name)}`).join(', ') : 'NULL AS _xc_none';
    // Named as the statements that run it name the row: by its table (the backfill's UPDATE, the trigger's row).
    const from = `FROM (SELECT ${cols}) AS ${quotePg(c.table)}`;
    // Evaluated: one row, the value computed (and stored, converted); else compiled only.
    const rows = c.evaluate ? '' : ' LIMIT 0';
    // A declared one (a check, an index's key) may name the row schema-qualified, as the server's DDL allows.
    const sql = c.declared ? namedByTable(this, c.table, c.columns, c.sql, this.rowSchema) : c.sql;
    if (c.boolean) return [`SELECT 1 ${from} WHERE (${sql}) LIMIT 0`];
    if (!c.castTo) return [`SELECT (${sql}) ${from}${rows}`];
    // A temporary table may be written in a read-only transaction (expressionSetup made it).
    if (c.columnDefault) return c.evaluate ? [`INSERT INTO ${VALUE_TABLE} DEFAULT VALUES`] : [];
    return [`INSERT INTO ${VALUE_TABLE} (value) SELECT (${sql}) ${from}${rows}`];
  }

  /** An unterminated literal or comment would take in the SQL xc writes after the expression (and its `?` placeholders). */
  textIssue(sql: string): string | null {
    const last = pgSegments(`${sql} x`).at(-1)!;
    if (last.code) return null;
    const t = last.text;
    const what = t.startsWith('$') ? 'a dollar-quoted string' : t.startsWith('"') ? 'a quoted name' : t.startsWith('--') ? 'a -- comment' : t.startsWith('/*') ? 'a /* comment' : 'a string';
    return unclosedIssue(what, t.slice(0, -2));
  }

  sessionChanges(sql: string): string[] {
    const nameOf = (t: Token) => (t.kind === 'word' ? t.text.toLowerCase() : t.kind === 'quoted' ? t.text.slice(1, -1).replace(/""/g, '"') : undefined);
    return sessionCalls(pgTokens(sql), nameOf, sessionFunction);
  }

  lockTimeout(ms: number): string[] {
    return [`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(ms))}ms'`];
  }

  sessionLockTimeout(ms: number): SessionValues {
    return { lock_timeout: `${Math.max(1, Math.floor(ms))}ms` };
  }

  lockSession(label: string): SessionValues {
    return { application_name: label, ...this.keepAlive() };
  }

  keepAlive(): SessionValues {
    // idle_session_timeout exists from PostgreSQL 14; setSession skips it on older servers.
    return { idle_session_timeout: '0', idle_in_transaction_session_timeout: '0' };
  }

  failureHint(err: unknown): string | null {
    // Only where xc's role is subject to the policies: the owner under FORCE ROW LEVEL SECURITY (row_security is off on xc's sessions).
    if (!/row-level security policy/.test((err as Error)?.message ?? '')) return null;
    return 'xc reads and converts every row of the table, which its policies would hide from xc\'s role (the owner, under FORCE ROW LEVEL SECURITY): run xc as a role with BYPASSRLS, or ALTER TABLE … NO FORCE ROW LEVEL SECURITY until the migration is contracted';
  }

  /** extra_float_digits: a float key's text is its exact value only above 0 (at 0, 0.30000000000000004 reads '0.3', and the walk's `k <= '0.3'` left that row out). */
  ownConnection(): SessionValues {
    return { row_security: 'off', standard_conforming_strings: 'on', default_transaction_isolation: 'read committed', extra_float_digits: '3' };
  }

  /** One round trip: each value is read (OFFSET 0 keeps the read in a subquery of its own, before the write) and set. */
  async setSession(s: Session, values: SessionValues): Promise<SessionRestore> {
    const names = Object.keys(values);
    if (names.length === 0) return [];
    const r = await s.query<{ name: string; was: string }>(
      `SELECT name, was, set_config(name, v, false) FROM (SELECT n AS name, v, current_setting(n, true) AS was FROM unnest(?::text[], ?::text[]) AS x(n, v) OFFSET 0) AS cur WHERE was IS NOT NULL`,
      [names, names.map((n) => String(values[n]))],
    );
    // Only what changed is put back: a handed pool's session pays that round trip only where it had another value.
    const changed = r.rows.filter((w) => w.was !== String(values[w.name]));
    if (changed.length === 0) return [];
    return [{ sql: `SELECT set_config(n, v, false) FROM unnest(?::text[], ?::text[]) AS x(n, v)`, params: [changed.map((w) => w.name), changed.map((w) => w.was)] }];
  }

  /**
   * lock_timeout lowered to `ms` where it is off (0, the default) or longer: a table an application session locked
   * before xc began (LOCK TABLE … ACCESS EXCLUSIVE, an idle transaction's DDL) held xc's first read of it — a
   * backfill's key bounds — without limit and without a word, where MariaDB gave up naming the holder (chaos blocker).
   * Steps set their own, shorter, over this one. pg_settings gives the value in milliseconds.
   */
  async boundLockWaits(s: Session, ms: number): Promise<SessionRestore> {
    const bound = Math.max(1, Math.floor(ms));
    // One round trip: read, and lower where off or longer (a handed pool's session pays it on every acquire).
    const r = await s.query<{ was: string }>(
      `SELECT setting AS was, set_config('lock_timeout', CASE WHEN setting::bigint = 0 OR setting::bigint > ?::bigint THEN ? ELSE current_setting('lock_timeout') END, false) FROM pg_settings WHERE name = 'lock_timeout'`,
      [bound, `${bound}ms`],
    );
    const was = Number(r.rows[0]?.was ?? 0);
    if (was > 0 && was <= bound) return [];
    return [{ sql: `SELECT set_config('lock_timeout', ?, false)`, params: [`${was}ms`] }];
  }

  resetSession(): string[] {
    return [];
  }

  /**
   * statement_timeout, and PostgreSQL 17's transaction_timeout (NULL before),
   * which would cancel a long DDL transaction or index build the same way.
   * Put back by value: RESET would also drop one the application SET itself.
   */
  async liftStatementLimit(s: Session): Promise<SessionRestore> {
    const r = await s.query<{ st: string | null; tt: string | null }>(
      `SELECT current_setting('statement_timeout') AS st, current_setting('transaction_timeout', true) AS tt`,
    );
    const was = { statement_timeout: r.rows[0]?.st, transaction_timeout: r.rows[0]?.tt };
    const restore: SessionRestore = [];
    for (const [name, value] of Object.entries(was)) {
      if (value == null || value === '0') continue;
      await s.query(`SELECT set_config(?, '0', false)`, [name]);
      restore.push({ sql: `SELECT set_config(?, ?, false)`, params: [name, value] });
    }
    return restore;
  }

  /** 55P03: lock_timeout or NOWAIT. 40P01: a deadlock's victim; its transaction was rolled back. */
  isLockTimeout(err: unknown): boolean {
    const e = err as { code?: string; message?: string } | undefined;
    // XX000 "tuple concurrently updated": a re-run's index DDL met an orphaned build finishing (kill -9 during CREATE INDEX CONCURRENTLY).
    return e?.code === '55P03' || e?.code === '40P01' || (e?.code === 'XX000' && /tuple concurrently (updated|deleted)/.test(e.message ?? ''));
  }

  isUndefinedColumn(err: unknown): boolean {
    return (err as { code?: string })?.code === '42703'; // undefined_column
  }

  isStatementTimeout(err: unknown): boolean {
    return (err as { code?: string })?.code === '57014'; // query_canceled
  }

  /** SET LOCAL: the read-only transaction it runs in ends it. */
  timeBoundedRead(sql: string, ms: number): { before: string[]; sql: string; after: string[] } {
    return { before: [`SET LOCAL statement_timeout = ${Math.max(1, Math.round(ms))}`], sql, after: [] };
  }

  isDuplicateKey(err: unknown): boolean {
    return (err as { code?: string })?.code === '23505'; // unique_violation
  }

  isDuplicateObject(err: unknown): boolean {
    // duplicate_table (any relation: table, view, index), duplicate_column, duplicate_object (constraint, trigger), duplicate_function, duplicate_schema.
    return ['42P07', '42701', '42710', '42723', '42P06'].includes((err as { code?: string })?.code ?? '');
  }

  lockTables(tables: string[]): string[] {
    // Catalog-only statements run in the transaction these locks are for, milliseconds: ACCESS EXCLUSIVE covers every one of them.
    return tables.map((t) => {
      const body = ` BEGIN IF to_regclass(${literal(quotePg(t))}) IS NOT NULL THEN LOCK TABLE ${quotePg(t)} IN ACCESS EXCLUSIVE MODE; END IF; END `;
      return doBlock(body);
    });
  }

  backfillSession(lockTimeoutMs: number, bypass: string[], target: BackfillTarget): string[] {
    const names = bypass.map((n) => n.replace(/[^A-Za-z0-9_]/g, '')).join(',');
    // One statement per batch (set_config(…, true) is SET LOCAL). synchronous_commit off: the batch's COMMIT does not wait
    // for its WAL flush (a few ms of each ~200 ms batch on a busy disk). Crash-safe still: a server crash can lose only the
    // last batches, each with its own cursor (one transaction), which the re-run redoes; and any later commit with the
    // default setting (the phase event that ends the pass) flushes them first. Replica mode where it skips only
    // triggers that would do nothing: backfillSession.ts.
    const timeout = `${Math.max(1, Math.floor(lockTimeoutMs))}ms`;
    const settings = `set_config('lock_timeout', '${timeout}', true), set_config('${BYPASS_SETTING}', '${names}', true), set_config('synchronous_commit', 'off', true)`;
    return [pgBackfillSession(settings, bypass, target)];
  }

  backfillSessionEnd(_bypass: string[]): string[] {
    return []; // SET LOCAL ends with the transaction
  }

  async lockWaiters(s: Session): Promise<number> {
    // A writer held up by a row the batch updated waits for the batch's transaction id (more writers of the same row
    // queue behind the first on its tuple lock: one counted a row, which is enough to tell). pg_locks is readable by
    // every role. txid_current_if_assigned() modulo 2^32 is the xid pg_locks shows; null (no xid yet) counts none.
    const r = await s.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = (txid_current_if_assigned() % 4294967296)::text`,
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  sameValue(column: string, expr: string, type: string): string {
    // A column's COLLATE (carried by alterColumn's type) is no part of a cast's type; equality does not depend on it here.
    return `NOT (${valuesDiffer(quotePg(column), `CAST((${expr}) AS ${type.replace(/\s+COLLATE\s[\s\S]*$/i, '')})`, type)})`;
  }

  storedAs(expr: string, type: string): string {
    const collate = /\s+(COLLATE\s[\s\S]*)$/i.exec(type);
    return `CAST((${expr}) AS ${collate ? type.slice(0, collate.index) : type})${collate ? ` ${collate[1]}` : ''}`;
  }

  /** PostgreSQL range-scans the row comparison itself. */
  keyCondition(columns: string[], op: '>' | '<=', forms?: KeyForms): { sql: string; order: number[] } {
    const order = columns.map((_, i) => i);
    const v = (i: number) => this.keyParam(forms?.[i]);
    if (columns.length === 1) return { sql: `${quotePg(columns[0]!)} ${op} ${v(0)}`, order };
    return { sql: `(${columns.map(quotePg).join(', ')}) ${op} (${columns.map((_, i) => v(i)).join(', ')})`, order };
  }

  /**
   * A key of a type the server's own types do not name is bound as that type: compared with a composite type's
   * column a bare parameter reads as an anonymous record, which no text can be ("input of anonymous composite
   * types is not implemented": the backfill stopped, the type campaign). Enums, domains and arrays take it too.
   */
  override keyForm(type: string): KeyForm | undefined {
    return BARE_KEY_PARAM.test(type) ? undefined : `as ${type.replace(/\s+collate\s[\s\S]*$/i, '')}`;
  }

  override keyParam(form?: KeyForm | null): string {
    return form?.startsWith('as ') ? `CAST(? AS ${form.slice(3)})` : '?';
  }

  castText(expr: string): string {
    return `CAST(${expr} AS text)`;
  }

  async replicaHeartbeat(): Promise<ReplicaHeartbeat> {
    return (await import('./replicas.js')).pgReplicaHeartbeat;
  }

  async load(s: Session): Promise<number> {
    const r = await s.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  async logPosition(s: Session): Promise<number> {
    const r = await s.query<{ bytes: string }>(`SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS bytes`);
    return Number(r.rows[0]!.bytes);
  }

  async vacuumsOn(s: Session, table: string): Promise<number> {
    // Manual VACUUMs show here too: the same work on the same table, and the one a test can start.
    const r = await s.query<{ n: string | number }>(`SELECT count(*) AS n FROM pg_stat_progress_vacuum WHERE relid = to_regclass(?)`, [quotePg(table)]);
    return Number(r.rows[0]?.n ?? 0);
  }

  /** PostgreSQL needs an equality operator between the two types: numbers with numbers, strings with strings, else the same type. */
  foreignKeyTypeIssue(childType: string, parentType: string): string | undefined {
    const family = (t: string) => {
      const base = t.toLowerCase().replace(/\(.*\)/, '').replace(/\[\]/g, '[]').trim();
      if (/^(smallint|integer|int|int2|int4|int8|bigint|numeric|decimal|real|double precision|float4|float8|smallserial|serial|bigserial)$/.test(base)) return 'number';
      if (/^(text|character varying|varchar|character|char|bpchar|name|citext)$/.test(base)) return 'string';
      return base;
    };
    return family(childType) === family(parentType) ? undefined : `PostgreSQL cannot compare ${childType} with ${parentType} in a foreign key`;
  }

  async estimateRows(s: Session, table: string): Promise<number | null> {
    // reltuples is -1 until the table is first vacuumed or analyzed. Scaled to the table's size now, as PostgreSQL's
    // planner scales it: rows loaded since the last ANALYZE count (campaign W: a total of 1,000 for 50,000 rows).
    const r = await s.query<{ n: number | null }>(
      `SELECT CASE WHEN reltuples < 0 THEN NULL WHEN relpages > 0 THEN reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int) ELSE reltuples END AS n
         FROM pg_class WHERE oid = to_regclass($1)`,
      [quotePg(table)],
    );
    const n = r.rows[0]?.n;
    return n == null || Number(n) < 0 ? null : Math.round(Number(n));
  }

  async liveRows(s: Session, table: string): Promise<number | null> {
    // pg_class.reltuples as the last VACUUM or ANALYZE (autovacuum's included) counted the live rows. Not n_live_tup,
    // which a session's pending counts reach after it: rows loaded just before a VACUUM are counted twice (6,000 rows
    // read 12,000, measured here), nor the planner's estimate, which scales by pages (estimateRows).
    const r = await s.query<{ n: string | number | null }>(`SELECT reltuples AS n FROM pg_class WHERE oid = to_regclass($1)`, [quotePg(table)]);
    const n = Number(r.rows[0]?.n ?? 0);
    return n > 0 ? n : null;
  }

  async sessionId(s: Session): Promise<number> {
    return (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  }

  blockers(s: Session, sessionId: number | null, tables: string[]): Promise<Blocker[]> {
    return pgBlockers(s, sessionId, tables);
  }

  async sqlSyntaxIssue(s: Session, sql: string): Promise<string | null> {
    // PL/pgSQL parses every statement of a function body when the function is created, and runs none: a temporary
    // function, created in a transaction that is rolled back, is a parser that touches nothing.
    // A text ending in its own `;` (pgroll's example 40) runs as it is; PL/pgSQL would read `;;` as an empty statement.
    // A ROLLBACK TO a savepoint is SQL that PL/pgSQL's grammar lacks: read as NULL (forPlpgsqlParser).
    const body = `BEGIN\n${forPlpgsqlParser(sql).replace(/[\s;]+$/, '')}\n;\nEND`;
    const tag = dollarTag(body);
    await s.query('BEGIN');
    try {
      await s.query(`CREATE FUNCTION pg_temp.xc_syntax_check() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}`, undefined, { single: true });
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await s.query('ROLLBACK');
    }
  }

  rawSqlIssue(sql: string): string | undefined {
    return pgRawSqlIssue(sql);
  }

  triggersFiringAfter(s: Session, table: string, trigger: string): Promise<string[]> {
    return pgTriggersFiringAfter(s, table, trigger);
  }

  renameIndexSql(_table: string, from: string, to: string): string {
    return `ALTER INDEX ${quotePg(from)} RENAME TO ${quotePg(to)}`;
  }

  keyActionChange(table: string, fk: ForeignKeyModel, changed: Pick<ForeignKeyModel, 'onDelete' | 'onUpdate'>): { sql: string[]; name: string } {
    // One ALTER takes the old key off and the new one on (the same name is free again within it); NOT VALID reads no
    // row under its lock, and the validation after reads them without blocking writes.
    const cols = (c: string[]) => c.map(quotePg).join(', ');
    const key = { ...fk, ...changed, onDeleteColumns: changed.onDelete === fk.onDelete ? fk.onDeleteColumns : undefined };
    const sql = [
      `ALTER TABLE ${quotePg(table)} DROP CONSTRAINT ${quotePg(fk.name)}, ADD CONSTRAINT ${quotePg(fk.name)} FOREIGN KEY (${cols(fk.columns)}) REFERENCES ${referencedTable(quotePg, fk)} (${cols(fk.refColumns)})${referenceClauses(key, 'postgres')} NOT VALID`,
      `ALTER TABLE ${quotePg(table)} VALIDATE CONSTRAINT ${quotePg(fk.name)}`,
    ];
    return { sql, name: fk.name };
  }

  async updateRowTriggers(s: Session, table: string, written: string[]): Promise<string[]> {
    // tgtype bits: 1 ROW, 2 BEFORE, 16 UPDATE, 64 INSTEAD OF. A disabled one ('D') fires for no one; one `UPDATE OF`
    // columns only where the UPDATE sets one of them (campaign DU: such a trigger was named, and fired for no row).
    const r = await s.query<{ name: string; timing: string; has_when: boolean; columns: string[] }>(
      `SELECT tgname::text AS name, CASE WHEN tgtype & 2 = 2 THEN 'BEFORE' WHEN tgtype & 64 = 64 THEN 'INSTEAD OF' ELSE 'AFTER' END AS timing,
              tgqual IS NOT NULL AS has_when, ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = tgrelid AND attnum = ANY (tgattr)) AS columns
         FROM pg_trigger WHERE tgrelid = to_regclass(?) AND NOT tgisinternal AND tgenabled <> 'D' AND tgtype & 17 = 17
          AND tgname !~ '^xc_[a-z0-9_]+_[0-9a-f]{10}$' ORDER BY 1`,
      [quotePg(table)],
    );
    return r.rows
      .filter((t) => t.columns.length === 0 || t.columns.some((c) => written.includes(c)))
      .map((t) => `"${t.name}" (${t.timing} UPDATE${t.has_when ? ', where its WHEN holds' : ''})`);
  }

  dependents(s: Session, table: string, column?: string, keepsName?: boolean): Promise<Dependent[]> {
    return pgDependents(s, table, column, keepsName);
  }

  nameDependents(s: Session, table: string): Promise<Dependent[]> {
    return pgNameDependents(s, table);
  }

  async triggersPresent(s: Session, names: string[]): Promise<Set<string>> {
    const r = await s.query<{ name: string }>(`SELECT tgname::text AS name FROM pg_trigger JOIN pg_class c ON c.oid = tgrelid WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND NOT tgisinternal AND tgname::text = ANY (?::text[])`, [names]);
    return new Set(r.rows.map((x) => x.name));
  }

  applicationSessions(s: Session): Promise<string[]> {
    return pgApplicationSessions(s);
  }
  sessionNameShown(name: string): string {
    return pgApplicationNameShown(name);
  }
}
