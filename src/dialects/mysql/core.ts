/**
 * MySQL 8 and MariaDB 10.11 behind the Dialect interface. DDL commits
 * implicitly, so every step runs alone behind its catalog probe (ddl.ts);
 * dual-write uses BEFORE triggers (triggers.ts). The server's version picks
 * what each ALTER may claim (INSTANT, NOCOPY) and which catalog tables exist.
 * The core: the DDL builders (ddlKit.ts) and the catalog reader are loaded
 * when a command plans (loadDdl, introspect), not by status or check
 * (start-up time); index.ts has the dialect with its builders loaded up front.
 */
import type { Session } from '../../db/driver.js';
import { InvalidInputError } from '../../errors.js';
import { referenceClauses, referencedTable } from '../references.js';
import type { ForeignKeyModel, IndexModel, SchemaModel, TableModel } from '../../schema/model.js';
import { markRemovals, STATE_TABLES, type Dependent, type RebuildLogReading, type StateColumnAdded, type Dialect, type Ddl, type SessionRestore, type SessionValues, type StandIn } from '../dialect.js';
import type { Blocker, ExpressionCheck, KeyForm, KeyForms } from '../../plan/index.js';
import type { CatalogFlavor } from './catalog.js';
import type { ReplicaHeartbeat } from '../replicaProbe.js';
import type { MysqlFeatures } from './compiler.js';
import { freeColumn } from '../names.js';
import { BaseDialect, ddlNotLoaded, type ServerFeature } from '../base.js';
import { unclosedIssue, type Token } from '../sqltext.js';
import { castTarget, isTextType, MYSQL_IDENTIFIERS, MYSQL_NAMES, mysqlTokens, parseIndexDefinition, quoteMy, renameTableNames } from './expr.js';
import { backfillSession, backfillSessionEnd, boundLockWaits, liftStatementLimit, seconds, setSession } from './settings.js';
import { MYSQL_STATE_COLUMNS_ADDED, MYSQL_STATE_NOW, mysqlStateSchema, mysqlStateTable, mysqlStateTime } from './state.js';
import { MysqlAdvisoryLock, mysqlApplicationSessions, mysqlSessionEvidenceGap } from './sessions.js';
import { mariadbAlterIssue, mariadbNullabilityIssue } from './online.js';
import { mysqlDependents, mysqlNameDependents } from './dependents.js';
import { mysqlSyntaxIssue } from './syntax.js';
import { MysqlLockHolders } from './locks.js';
import { mysqlDeclaredIssue, mysqlDefaultIssue, mysqlSessionChanges, mysqlTypeIssue } from './typecheck.js';
import { mysqlTableGrowthIssue } from './limits.js';
import { mysqlCannotAlter } from './grants.js';
import { longKeyIssue } from './keys.js';
import { mysqlConversionIssue, mysqlDefaultUp, setSpelling } from './conversions.js';

/** The DDL builders, loaded by loadDdl (or handed in by index.ts). */
type MysqlDdlKit = typeof import('./ddlKit.js');

export { quoteMy };

type Version = [number, number, number];

/** `10.11.19-MariaDB-0+deb12u1` → mariadb 10.11.19; `8.0.36` → mysql 8.0.36. */
export function parseServerVersion(version: string): { mariadb: boolean; version: Version } {
  const mariadb = /mariadb/i.test(version);
  const m = (mariadb ? /(\d+)\.(\d+)\.(\d+)-MariaDB/i.exec(version) : null) ?? /(\d+)\.(\d+)\.(\d+)/.exec(version);
  return { mariadb, version: m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0] };
}

/** Where plan stores a value to convert it as a column of its type does (valueTable). */
const VALUE_TABLE = quoteMy('xc_value_check');

/** MySQL/MariaDB built-ins whose value changes between calls (the server keeps no volatility in its catalog). */
const NONDETERMINISTIC = new Set([
  'rand', 'uuid', 'uuid_short', 'sys_guid', 'random_bytes', 'now', 'sysdate', 'curdate', 'curtime', 'current_timestamp', 'current_date', 'current_time',
  'localtime', 'localtimestamp', 'utc_timestamp', 'utc_date', 'utc_time', 'connection_id', 'last_insert_id', 'nextval', 'lastval', 'row_count', 'found_rows',
  'sleep', 'get_lock', 'benchmark', 'user', 'current_user', 'session_user', 'system_user',
]);

/**
 * Functions a binary log in STATEMENT format replicates as the call, each replica computing its own value (the
 * server only warns, "unsafe statement"): NOW(), RAND(), CONNECTION_ID(), LAST_INSERT_ID() and CURRENT_USER are
 * replicated with their value and are not here.
 */
const UNSAFE_FOR_STATEMENT_LOG = new Set([
  'uuid', 'uuid_short', 'sys_guid', 'random_bytes', 'sysdate', 'user', 'session_user', 'system_user', 'found_rows', 'row_count',
  'load_file', 'sleep', 'get_lock', 'is_free_lock', 'is_used_lock', 'master_pos_wait', 'version',
]);

export class MysqlDialect extends BaseDialect implements Dialect {
  readonly name = 'mysql' as const;
  readonly exprVariant = 'mysql' as const;
  readonly names = MYSQL_NAMES;
  protected readonly identifiers = MYSQL_IDENTIFIERS;
  readonly transactionalDdl = false;
  readonly viewsHoldColumnTypes = false;
  readonly uniqueKeysAreIndexes = true;
  readonly foreignKeysNeedIndex = true;
  override readonly foreignKeyIndexFollowsRename = true;
  readonly uniqueIndexMayCluster = true;
  get maxIndexKeys(): number {
    return this.mariadb ? 32 : 16;
  }
  readonly foreignKeysTrusted = false;
  readonly foreignKeyActionsRunTriggers = false;
  readonly setNullKeysNeedNullable = true;
  readonly carriesColumnGrants = false;

  /**
   * Without a PRIMARY KEY, InnoDB clusters the rows by the first UNIQUE index whose key parts are whole NOT NULL
   * columns (the server sorts those first; a prefix or an expression part does not qualify).
   */
  implicitClusterKeys(table: TableModel): IndexModel[] {
    if (table.primaryKey.length > 0) return [];
    const notNull = (name: string) => table.columns.find((c) => c.name === name)?.nullable === false;
    const wholeColumns = (i: IndexModel) => {
      const parts = parseIndexDefinition(i.definition)?.parts ?? i.columns.map(quoteMy);
      return parts.length === i.columns.length && parts.every((p) => /^`(?:[^`]|``)*`(\s+(ASC|DESC))?$/i.test(p.trim())) && !i.keys?.some((k) => k.expression !== undefined);
    };
    return table.indexes.filter((i) => i.unique && !i.primary && i.columns.length > 0 && i.columns.every(notNull) && wholeColumns(i));
  }
  indexKeyIssue(table: TableModel, index: IndexModel, typeOf: (column: string) => string | undefined): string | null {
    return longKeyIssue(table, index, typeOf, this.mariadb);
  }
  nullabilityIssue(table: TableModel, column: string, type: string, toNotNull: boolean, addedNotNull = false): string | null {
    return this.mariadb ? mariadbNullabilityIssue(table, column, type, toNotNull, addedNotNull) : null;
  }
  alterIssue(table: TableModel, sql: string): string | null {
    return this.mariadb ? mariadbAlterIssue(table, sql) : null;
  }
  readonly mariadb: boolean;
  readonly version: Version;
  readonly features: MysqlFeatures;
  private readonly flavor: CatalogFlavor;
  private readonly locks: MysqlLockHolders;
  protected readonly advisory: MysqlAdvisoryLock;
  protected override readonly lacking = {
    deferrable: 'MySQL/MariaDB check every constraint at once, per row: none is DEFERRABLE',
    matchFull: 'MySQL/MariaDB parse MATCH FULL/PARTIAL and ignore it (every key is MATCH SIMPLE)',
    exclude: 'MySQL/MariaDB have no exclusion constraints (PostgreSQL EXCLUDE USING gist)',
    nullsNotDistinct: 'MySQL/MariaDB unique keys always treat NULLs as distinct',
    include: 'MySQL/MariaDB indexes have no INCLUDE columns',
    storageParameters: 'MySQL/MariaDB have no per-index or per-constraint storage parameters (WITH (...))',
    identityAlways: "MySQL/MariaDB have no GENERATED ALWAYS AS IDENTITY: AUTO_INCREMENT takes an explicit value (use identity: 'byDefault')",
    generatedNotNull: 'MariaDB refuses NOT NULL on a generated column (leave it nullable: its expression decides)',
    replicaIdentity: 'MySQL/MariaDB have no replica identity: the binary log (binlog_row_image) decides what a row event carries, for the whole server',
    renamePrimaryKey: 'MySQL/MariaDB name every primary key PRIMARY',
    indexMethod: 'InnoDB indexes are B-trees: it accepts USING HASH and builds a B-tree anyway (only MEMORY tables honour HASH), and has no gin, gist, brin or spgist',
    opclass: 'MySQL/MariaDB indexes have no operator classes',
    nullsOrder: 'MySQL/MariaDB have no NULLS FIRST/LAST: NULLs sort first ascending, last descending',
    indexCollate: 'MySQL/MariaDB index a column in its own collation (change the column, or index a generated column)',
    expressionIndex: 'MariaDB 10.11 has no functional indexes (xc refuses them on MySQL 8 too, so a file means the same on both): index a generated column instead',
    partialIndex: 'MySQL and MariaDB have no partial indexes: an index covers every row',
  };

  override readonly identityFilledAfterTriggers = true;
  override readonly filledAtExpand = true;

  /** MySQL takes NOT NULL on a generated column; MariaDB does not. */
  override lacks(feature: ServerFeature): string | undefined {
    return feature === 'generatedNotNull' && !this.mariadb ? undefined : super.lacks(feature);
  }

  override renameTableTemporaries(from: string, to: string): string[] {
    return Object.values(renameTableNames(from, to));
  }

  /** `kit`: the DDL builders, when loaded already (index.ts); else loadDdl loads them. */
  constructor(
    serverVersion: string,
    private kit?: MysqlDdlKit,
  ) {
    super();
    const { mariadb, version } = parseServerVersion(serverVersion);
    this.mariadb = mariadb;
    this.version = version;
    const at = (a: number, b: number, c: number) => this.atLeast(a, b, c);
    this.features = mariadb
      ? { mariadb, instantAddColumn: at(10, 3, 7), instantDropColumn: at(10, 4, 0), nocopy: at(10, 3, 7), instantMetadata: at(10, 5, 2), renameNowait: at(10, 3, 0), invisibleColumns: at(10, 3, 3) }
      : { mariadb, instantAddColumn: at(8, 0, 12), instantDropColumn: at(8, 0, 29), nocopy: false, instantMetadata: false, renameNowait: false, invisibleColumns: at(8, 0, 23) };
    this.locks = new MysqlLockHolders(mariadb);
    this.advisory = new MysqlAdvisoryLock((id) => (this.locks.advisorySession = id));
    this.flavor = { mariadb, indexExpressions: !mariadb && at(8, 0, 13), checks: mariadb ? at(10, 2, 1) : at(8, 0, 16), hiddenIndexes: mariadb ? at(10, 6, 0) : at(8, 0, 0) };
  }

  /** The server is at least version a.b.c (of its own line: MariaDB or MySQL). */
  atLeast(a: number, b: number, c: number): boolean {
    const [x, y, z] = this.version;
    return x !== a ? x > a : y !== b ? y > b : z >= c;
  }

  async loadDdl(): Promise<void> {
    this.kit ??= await import('./ddlKit.js');
  }

  ddl(model: SchemaModel): Ddl {
    return markRemovals((this.kit ?? ddlNotLoaded()).createMysqlDdl(this.features, model, this));
  }

  quote(identifier: string): string {
    return quoteMy(identifier);
  }

  tokens(sql: string): Token[] {
    return mysqlTokens(sql);
  }

  isIntegerType(type: string): boolean {
    return /^(tinyint|smallint|mediumint|int|integer|bigint|int[1-48]|serial)\b/i.test(type);
  }

  /** SERIAL is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE here (not PostgreSQL's integer). */
  override storedType(type: string): string {
    return /^\s*serial\s*$/i.test(type) ? 'bigint unsigned' : type;
  }

  stateTable(name: string): string {
    return mysqlStateTable(name);
  }

  readonly stateNow = MYSQL_STATE_NOW;

  stateTime(column: string): string {
    return mysqlStateTime(column);
  }

  stateSchema(): string[] {
    return mysqlStateSchema();
  }

  stateColumnsAdded(): StateColumnAdded[] {
    return MYSQL_STATE_COLUMNS_ADDED;
  }

  async stateTables(s: Session): Promise<string[]> {
    const r = await s.query<{ n: string }>(
      `SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME IN (${STATE_TABLES.map(() => '?').join(', ')})`,
      STATE_TABLES.map((n) => `xc_${n}`),
    );
    const present = new Set(r.rows.map((row) => String(row.n)));
    return STATE_TABLES.filter((n) => present.has(`xc_${n}`));
  }

  async stateExists(s: Session): Promise<boolean> {
    return (await this.stateTables(s)).length === STATE_TABLES.length;
  }

  /**
   * MariaDB's sql_mode=ORACLE reads stored programs, xc's triggers among them, as PL/SQL, and takes words xc's catalog
   * reads use as keywords (campaign AC: every command failed on a syntax error naming neither): refused, naming it.
   */
  async checkTarget(s: Session): Promise<void> {
    const mode = String((await s.query<{ mode: unknown }>('SELECT @@SESSION.sql_mode AS mode')).rows[0]?.mode ?? '');
    if (/(^|,)ORACLE(,|$)/i.test(mode)) {
      throw new InvalidInputError(`the session's sql_mode includes ORACLE (${mode}), in which MariaDB reads xc's triggers and catalog queries as PL/SQL: xc's sessions take the server's global sql_mode, so run xc against a server whose global sql_mode does not include it (an application may still SET SESSION sql_mode = 'ORACLE' for its own)`, {}, { code: 'invalid_config' });
    }
  }

  async notPrimary(s: Session): Promise<string | null> {
    const { readOnly } = (await s.query<{ readOnly: unknown }>('SELECT @@GLOBAL.read_only AS readOnly')).rows[0]!;
    // Active primaries of a two-way pair replicate too: read_only is what tells the one that must not be written.
    return Number(readOnly) === 1 ? 'the server is read_only (@@read_only = 1), as a replica is: a user with SUPER or READ_ONLY ADMIN could still write, and the replica would drift from its primary' : null;
  }

  /** Also kept for the DDL: which indexes, keys and checks a dropped column takes along, what MODIFY must restate. */
  async introspect(s: Session) {
    const model = await (await import('./catalog.js')).introspectMysql(s, this.flavor);
    return model;
  }

  readonly beginReadOnly = 'START TRANSACTION READ ONLY';

  /** Exactly one data type, nothing of a column clause (typecheck.ts). */
  typeIssue(s: Session, type: string): Promise<string | null> {
    return mysqlTypeIssue(s, type);
  }

  defaultIssue(s: Session, type: string, expr: string): Promise<string | null> {
    return mysqlDefaultIssue(s, type, expr);
  }

  tableGrowthIssue(s: Session, table: string, alters: string[]): Promise<string | null> {
    return mysqlTableGrowthIssue(s, table, alters, this.mariadb);
  }
  cannotAlter(s: Session, table: string, statements: string[]): Promise<string | null> {
    return mysqlCannotAlter(s, table, statements);
  }
  declaredIssue(s: Session, c: ExpressionCheck): Promise<string | null> {
    return mysqlDeclaredIssue(s, c);
  }

  /**
   * An unterminated literal or comment would take in the SQL xc writes after the expression: a line comment the
   * server reads as one (`-- ` or `#`), or an opening quote or `/*` the tokenizer finds no end of. Not judged with a
   * backslash in the text: whether it escapes a quote depends on the sessions' sql_mode (NO_BACKSLASH_ESCAPES), and
   * the server's own syntax check, in the mode xc's sessions have, decides then.
   */
  textIssue(sql: string): string | null {
    if (sql.includes('\\')) return null;
    const text = `${sql} x`;
    const toks = mysqlTokens(text);
    const at = toks.findIndex((t, i) => (t.kind === 'comment' && i === toks.length - 1) || ((t.kind === 'string' || t.kind === 'quoted') && t.text.length === 1) || (t.text === '/' && toks[i + 1]?.text === '*'));
    if (at < 0) return null;
    const rest = text.slice(toks.slice(0, at).reduce((n, t) => n + t.text.length, 0));
    const opener = ['/*', '--', '#', "'"].find((o) => rest.startsWith(o));
    const what = opener === "'" ? 'a string' : opener !== undefined ? `a ${opener} comment` : 'a quoted name or string';
    return unclosedIssue(what, rest.slice(0, -2));
  }

  sessionChanges(sql: string): string[] {
    return mysqlSessionChanges(sql);
  }

  /** Parsed by the server as a prepared statement, never executed (syntax.ts). */
  sqlSyntaxIssue(s: Session, sql: string): Promise<string | null> {
    return mysqlSyntaxIssue(s, sql);
  }

  async replicationIssue(s: Session, sql: string): Promise<string | null> {
    const unsafe = [...new Set(this.calledFunctions(sql).filter((n) => UNSAFE_FOR_STATEMENT_LOG.has(n)))];
    if (unsafe.length === 0) return null;
    const row = (await s.query<{ bin: unknown; global: unknown; own: unknown }>('SELECT @@GLOBAL.log_bin AS bin, @@GLOBAL.binlog_format AS global, @@SESSION.binlog_format AS own')).rows[0]!;
    const statement = [row.global, row.own].some((f) => String(f).toUpperCase() === 'STATEMENT');
    if (Number(row.bin) !== 1 || !statement) return null;
    return `calls ${unsafe.map((n) => `${n.toUpperCase()}()`).join(', ')}, which the binary log in STATEMENT format (binlog_format) replicates as the call: each replica computes its own value, in xc's backfill and in the triggers the application's writes fire, and drifts from the primary without an error — set binlog_format = ROW or MIXED (globally, for the application's sessions too), or compute the value without it`;
  }

  async columnOnlyReaders(s: Session, table: string): Promise<string[]> {
    // A grantee is 'user'@'host', a role (PUBLIC too, MariaDB 10.11) 'role'@'': granted TO it by its name alone
    // (campaign DC: `TO 'r'@''` is refused, 1133). SELECT on the table, its database or every database covers every
    // column; a grantee short of some column had its SELECT * denied already.
    const r = await s.query<{ role: string }>(
      `SELECT c.GRANTEE AS role FROM information_schema.COLUMN_PRIVILEGES c
       WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ? AND c.PRIVILEGE_TYPE = 'SELECT'
         AND c.GRANTEE NOT IN (SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND PRIVILEGE_TYPE = 'SELECT')
         AND c.GRANTEE NOT IN (SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = DATABASE() AND PRIVILEGE_TYPE = 'SELECT')
         AND c.GRANTEE NOT IN (SELECT GRANTEE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'SELECT')
       GROUP BY c.GRANTEE
       HAVING COUNT(DISTINCT c.COLUMN_NAME) = (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?)
       ORDER BY 1`,
      [table, table, table],
    );
    return r.rows.map((row) => {
      const role = /^'((?:[^']|'')*)'@''$/.exec(row.role)?.[1]?.replace(/''/g, "'");
      return role === undefined ? row.role : role === 'PUBLIC' ? 'PUBLIC' : this.quote(role);
    });
  }

  async volatileFunctions(_s: Session, names: string[]): Promise<string[]> {
    return names.filter((n) => NONDETERMINISTIC.has(n));
  }

  /** MySQL has no `?` operator, and mysql2 finds placeholders outside literals and comments only. */
  embedExpression(expr: string): string {
    return expr;
  }

  standInTable(t: TableModel): StandIn {
    // A column's type carries its own character set and collation; the table's default covers the rest.
    const columns = t.columns.map((c) => `${quoteMy(c.name)} ${c.type}`).join(', ');
    return { create: `CREATE TEMPORARY TABLE ${quoteMy(t.name)} (${columns})${t.collation && /^\w+$/.test(t.collation) ? ` COLLATE ${t.collation}` : ''}`, drop: `DROP TEMPORARY TABLE ${quoteMy(t.name)}` };
  }

  valueTable(c: ExpressionCheck): (StandIn & { store: string; evaluate?: string }) | undefined {
    if (!c.castTo || c.boolean || c.columnDefault) return undefined;
    const value = quoteMy(freeColumn('xc_value', c.columns));
    const collated = (col: ExpressionCheck['columns'][number]) => (isTextType(col.type) && col.collation && /^\w+$/.test(col.collation) ? ` COLLATE ${col.collation}` : '');
    const columns = [...c.columns.map((col) => `${quoteMy(col.name)} ${col.type}${collated(col)} NULL`), `${value} ${c.castTo} NULL`];
    return {
      create: `CREATE TEMPORARY TABLE ${VALUE_TABLE} (${columns.join(', ')})`,
      drop: `DROP TEMPORARY TABLE ${VALUE_TABLE}`,
      // Named by the row's table, as the backfill's UPDATE names it.
      store: `UPDATE ${VALUE_TABLE} AS ${quoteMy(c.table)} SET ${value} = (${c.sql}) LIMIT 0`,
      // Over a row of NULLs, every error but a refusal of types (4078: "Cannot cast 'inet6' as 'int' in assignment of
      // `x`", a stored function's parameter) left to the rows that give it: a function may refuse a NULL no row holds.
      // One that writes is refused by the read-only transaction before it runs, and that is left too, as is one not
      // computed within planReadMs (compileExpression bounds it: campaign EJ, a window over a large table). After the text was
      // compiled in a plain SELECT (expressionQueries): no `;` of it reaches the block.
      ...(this.mariadb
        ? { evaluate: `BEGIN NOT ATOMIC DECLARE xc_errno INT; DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN GET DIAGNOSTICS CONDITION 1 xc_errno = MYSQL_ERRNO; IF xc_errno = 4078 THEN RESIGNAL; END IF; END; INSERT INTO ${VALUE_TABLE} () VALUES (); UPDATE ${VALUE_TABLE} AS ${quoteMy(c.table)} SET ${value} = (${c.sql}); END` }
        : {}),
    };
  }

  expressionQueries(c: ExpressionCheck): string[] {
    // Typed NULLs where CAST can express the type, so the expression is compiled against columns of the right kind;
    // text in the column's collation, not the connection's: compared with another table's column, the connection's
    // made "Illegal mix of collations" of a query the server runs (campaign C, a lookup table's `up`).
    const typed = (col: ExpressionCheck['columns'][number]) => {
      const target = castTarget(col.type, this.mariadb);
      if (!target) return 'NULL';
      if (!target.startsWith('CHAR') || !col.collation || !/^\w+$/.test(col.collation)) return `CAST(NULL AS ${target})`;
      const charset = col.collation === 'binary' ? 'binary' : col.collation.split('_')[0];
      return `CAST(NULL AS ${target} CHARACTER SET ${charset}) COLLATE ${col.collation}`;
    };
    const cols = c.columns.length > 0 ? c.columns.map((col) => `${typed(col)} AS ${quoteMy(col.name)}`).join(', ') : 'NULL AS _xc_none';
    // Named as the statements that run it name the row: by its table (the backfill's UPDATE; a trigger rewrites
    // `users`.`id` to NEW.`id`). Campaign X: a Rails counter cache's `(SELECT COUNT(*) FROM posts p WHERE p.user_id =
    // users.id)` was refused at plan, and ran as it is.
    const from = `FROM (SELECT ${cols}) AS ${quoteMy(c.table)}`;
    const target = c.castTo ? castTarget(c.castTo, this.mariadb) : undefined;
    const value = target ? `CAST((${c.sql}) AS ${target})` : `(${c.sql})`;
    const compiled = c.boolean ? `SELECT 1 ${from} WHERE (${c.sql}) LIMIT 0` : `SELECT ${value} ${from} LIMIT 0`;
    if (c.evaluate && c.castTo && this.mariadb) {
      // CAST converts leniently ('abc' → 0, a warning); storing into a variable of the type converts as a column
      // would, strictly. MySQL has no anonymous block: there the value is computed and CAST, leniently.
      // A block is one statement however many it holds: the text is first compiled in a plain SELECT, where any `;`
      // (outside literals and comments) is a syntax error or a second statement, both refused — so none reaches the block.
      // MariaDB's JSON is LONGTEXT with a CHECK (json_valid) on the column, which a variable does not have: checked here.
      const json = /^\s*json\s*$/i.test(c.castTo)
        ? ` IF xc_value IS NOT NULL AND NOT JSON_VALID(xc_value) THEN SIGNAL SQLSTATE '22032' SET MESSAGE_TEXT = 'not valid JSON, which a json column refuses (its CHECK json_valid)'; END IF;`
        : '';
      return [compiled, `BEGIN NOT ATOMIC DECLARE xc_value ${c.castTo}; SELECT (${c.sql}) INTO xc_value ${from};${json} END`];
    }
    return [c.evaluate ? `SELECT ${value} ${from}` : compiled];
  }

  /** Whole seconds: MySQL's lock waits have no finer unit. `lock_wait_timeout` bounds metadata locks (DDL), `innodb_lock_wait_timeout` row locks. */
  lockTimeout(ms: number): string[] {
    // DDL is not transactional here, so never asked for a transaction's; the session's is what there is.
    return [`SET SESSION lock_wait_timeout = ${seconds(ms)}`, `SET SESSION innodb_lock_wait_timeout = ${seconds(ms)}`];
  }

  sessionLockTimeout(ms: number): SessionValues {
    // MySQL only: a foreign key step turns foreign_key_checks off for itself (ddl.ts); it comes back as the session had it.
    return { lock_wait_timeout: seconds(ms), innodb_lock_wait_timeout: seconds(ms), ...(this.mariadb ? {} : { foreign_key_checks: 1 }) };
  }

  lockSession(_label: string): SessionValues {
    // MySQL has no application_name; the lock's own name says it is xc's.
    return this.keepAlive();
  }

  keepAlive(): SessionValues {
    // A year: the most both servers accept.
    return { wait_timeout: 31536000 };
  }

  ownConnection(): SessionValues {
    return { autocommit: 1 };
  }

  setSession(s: Session, values: SessionValues): Promise<SessionRestore> {
    return setSession(s, values);
  }

  resetSession(): string[] {
    // A failed validation leaves @xc_violation set (ddl.ts, MySQL only).
    return this.mariadb ? [] : ['SET @xc_violation = NULL'];
  }

  liftStatementLimit(s: Session): Promise<SessionRestore> {
    return liftStatementLimit(s, this.mariadb ? (this.atLeast(10, 1, 1) ? 'max_statement_time' : null) : this.atLeast(5, 7, 8) ? 'max_execution_time' : null);
  }

  boundLockWaits(s: Session, ms: number): Promise<SessionRestore> {
    return boundLockWaits(s, ms);
  }

  /** 1205: lock wait timeout (metadata or row). 1213: deadlock; the statement was rolled back, so a retry is right (the backfill treats it so too). */
  isLockTimeout(err: unknown): boolean {
    const errno = (err as { errno?: number })?.errno;
    return errno === 1205 || errno === 1213;
  }

  /**
   * 1799: during an online rebuild (LOCK=NONE) the table took more writes than the server's row log for it holds
   * (innodb_online_alter_log_max_size, 128 MiB by default, global only). The ALTER was rolled back whole.
   */
  failureHint(err: unknown): string | null {
    const errno = (err as { errno?: number })?.errno;
    if (errno === 1799) {
      return (
        'the table took more writes during its online rebuild than the server logs for one (innodb_online_alter_log_max_size); ' +
        'the ALTER was rolled back, nothing changed: run it again when the table is less busy, or raise innodb_online_alter_log_max_size (SET GLOBAL) first'
      );
    }
    // ER_ALTER_OPERATION_NOT_SUPPORTED on an instant ADD / DROP COLUMN plan did not foresee: a FULLTEXT index dropped
    // since left InnoDB's hidden FTS_DOC_ID column, which plan reads only with PROCESS (campaign EJ).
    if (errno === 1845 && /ALGORITHM=(INSTANT|NOCOPY)/i.test((err as Error).message ?? '')) {
      return (
        'the server would not change the table instantly, so nothing of this step ran; a table that once had a FULLTEXT index keeps a hidden FTS_DOC_ID column until it is rebuilt: ' +
        'rebuild it online (ALTER TABLE … FORCE, ALGORITHM=INPLACE, LOCK=NONE) and run xc again, or `xc rollback` (with PROCESS, plan says this before anything runs)'
      );
    }
    // ER_DROP_INDEX_FK, met by a `sql` operation's rollback that drops the index its expand created (fuzz seed 320):
    // xc's own dropIndex and addIndex rollback give the key an index of its own first (keys.ts).
    if (errno === 1553) {
      return (
        'a foreign key needs an index over its columns, and this is the one serving it: when it was created, the server dropped the index it had made for the key. ' +
        'Nothing changed: create an index over the key\'s columns yourself (CREATE INDEX … ON the table (the key\'s columns)) and run xc again, which then drops this one; ' +
        'in a migration, drop it together with adding one: ALTER TABLE … DROP INDEX …, ADD INDEX (the key\'s columns)'
      );
    }
    return null;
  }

  isUndefinedColumn(err: unknown): boolean {
    return (err as { errno?: number })?.errno === 1054; // ER_BAD_FIELD_ERROR
  }

  isStatementTimeout(err: unknown): boolean {
    // MariaDB's max_statement_time, MySQL's max_execution_time.
    return [1969, 3024].includes((err as { errno?: number })?.errno ?? 0);
  }

  /** MariaDB: for this statement alone. MySQL: the session's limit for SELECTs, set back to none (xc's sessions have none: db/statementLimit.ts). */
  timeBoundedRead(sql: string, ms: number): { before: string[]; sql: string; after: string[] } {
    // A compound statement takes no SET STATEMENT (nor a limit set inside it): the session's, for its statements.
    if (this.mariadb && /^\s*BEGIN\s+NOT\s+ATOMIC\b/i.test(sql)) return { before: [`SET max_statement_time = ${Math.max(0.001, ms / 1000)}`], sql, after: ['SET max_statement_time = 0'] };
    if (this.mariadb) return { before: [], sql: `SET STATEMENT max_statement_time = ${Math.max(0.001, ms / 1000)} FOR ${sql}`, after: [] };
    return { before: [`SET max_execution_time = ${Math.max(1, Math.round(ms))}`], sql, after: ['SET max_execution_time = 0'] };
  }

  isDuplicateKey(err: unknown): boolean {
    return (err as { errno?: number })?.errno === 1062; // ER_DUP_ENTRY
  }

  isDuplicateObject(err: unknown): boolean {
    // Table or view, column, index name, constraint name (1826; MySQL 3822 for a check), trigger; 1022: a key name InnoDB already has.
    return [1050, 1060, 1061, 1826, 3822, 1359, 1022].includes((err as { errno?: number })?.errno ?? 0);
  }

  backfillSession(lockTimeoutMs: number, bypass: string[]): string[] {
    return backfillSession(lockTimeoutMs, bypass);
  }

  async lockWaiters(s: Session): Promise<number> {
    // Server-wide: row-lock waits in progress, which while a batch holds its rows are mostly the ones it causes. The
    // per-transaction view (information_schema.INNODB_LOCK_WAITS) is a snapshot InnoDB refreshes only once 100 ms pass
    // without a read of it: batches that end faster than that, or a monitor polling it, see the same stale rows forever.
    const r = await s.query<{ Value: string }>(`SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_current_waits'`);
    return Number(r.rows[0]?.Value ?? 0);
  }

  backfillSessionEnd(bypass: string[]): string[] {
    return backfillSessionEnd(bypass);
  }

  /**
   * NULL-safe equality with `expr` as the column stores it: cast to the type where CAST can say it (a DECIMAL(8,2)
   * holds 1.23 of 1.2345, a DATETIME the second of 10:00:00.654), a CHAR without its trailing spaces, an ENUM member
   * as the column matches it ('NEW' is 'new'); other text byte-exact in a NO PAD binary collation (a _ci collation
   * would call 'Bob' and 'bob' equal). Without the conversion a narrowing change could never verify.
   */
  sameValue(column: string, expr: string, type: string): string {
    const c = quoteMy(column);
    if (/^\s*enum\b/i.test(type)) return `${c} <=> (${expr})`;
    if (!isTextType(type)) {
      // FLOAT(M,D)/DOUBLE(M,D) round to D places as DECIMAL(M,D) does; a plain FLOAT is single precision.
      const scaled = /^\s*(?:float|double|real)\s*(\(\s*\d+\s*,\s*\d+\s*\))/i.exec(type)?.[1];
      const target = scaled ? `DECIMAL${scaled}` : /^\s*float\b/i.test(type) && this.mariadb ? 'FLOAT' : castTarget(type, this.mariadb);
      return target === undefined ? `${c} <=> (${expr})` : `${c} <=> CAST((${expr}) AS ${target})`;
    }
    const bin = this.mariadb ? 'utf8mb4_nopad_bin' : this.atLeast(8, 0, 17) ? 'utf8mb4_0900_bin' : 'utf8mb4_bin';
    // A SET compares as the shadow spells it: its members in the type's order (conversions.ts).
    const value = /^\s*n?char\b/i.test(type) ? `RTRIM(${expr})` : `(${setSpelling(expr, type)})`;
    return `CONVERT(${c} USING utf8mb4) COLLATE ${bin} <=> CONVERT(${value} USING utf8mb4) COLLATE ${bin}`;
  }

  override defaultConversion(column: string, from: string, to: string): string {
    return mysqlDefaultUp(column, from, to);
  }

  override conversionIssue(column: string, from: string, to: string) {
    return mysqlConversionIssue(column, from, to);
  }

  storedAs(expr: string, type: string): string {
    if (isTextType(type)) {
      // Compared in the collation the type names; without one, as the expression's own (the column's it reads).
      const collation = /\bCOLLATE\s+(\w+)/i.exec(type)?.[1];
      const charset = /\b(?:CHARACTER\s+SET|CHARSET)\s+(\w+)/i.exec(type)?.[1] ?? collation?.split('_')[0];
      return collation ? `CONVERT((${expr}) USING ${charset}) COLLATE ${collation}` : `(${expr})`;
    }
    const target = castTarget(type, this.mariadb);
    return target === undefined ? `(${expr})` : `CAST((${expr}) AS ${target})`;
  }

  /**
   * The row constructor `(a, b) > (x, y)` is correct on both servers, but
   * MariaDB 10.11 does not range-scan it (an UPDATE would read and lock every
   * row per batch). This expanded form it does: a >= x AND (a > x OR (a = x AND b > y)).
   */
  keyCondition(columns: string[], op: '>' | '<=', forms?: KeyForms): { sql: string; order: number[] } {
    const q = quoteMy;
    const v = (i: number) => this.keyParam(forms?.[i]);
    const strict = op === '>' ? '>' : '<';
    const nest = (i: number): { sql: string; order: number[] } => {
      if (i === columns.length - 1) return { sql: `${q(columns[i]!)} ${op} ${v(i)}`, order: [i] };
      const inner = nest(i + 1);
      return { sql: `${q(columns[i]!)} ${strict} ${v(i)} OR (${q(columns[i]!)} = ${v(i)} AND (${inner.sql}))`, order: [i, i, ...inner.order] };
    };
    if (columns.length === 1) return nest(0);
    const body = nest(0);
    return { sql: `${q(columns[0]!)} ${op === '>' ? '>=' : '<='} ${v(0)} AND (${body.sql})`, order: [0, ...body.order] };
  }

  castText(expr: string): string {
    return `CAST(${expr} AS CHAR)`;
  }

  /**
   * CONCAT takes every type — a geometry as its bytes (WKB), where CAST(… AS CHAR) refuses it at compile time, and
   * the verify before contract of a spatial column filled by `up` failed for ever (campaign EE) — and gives the
   * others the text CAST gives. Bytes (a BINARY key, a geometry, a BIT) in hex, as keys are shown elsewhere: as text
   * a binary(16) key lost its first bytes to `?` and could not be found again (campaign EG).
   */
  override shownText(expr: string): string {
    return `IF(CHARSET(CONCAT(${expr})) = 'binary', CONCAT('0x', HEX(${expr})), CAST(CONCAT(${expr}) AS CHAR))`;
  }

  /** A prefix key (`nick`(3)) compares the value's first characters (bytes of a binary type): two rows may share it. */
  override indexKeyOf(index: IndexModel, column: string, value: string): string {
    const part = parseIndexDefinition(index.definition)?.parts.find((p) => p.startsWith(`${quoteMy(column)}(`));
    const length = part === undefined ? undefined : /^`(?:[^`]|``)*`\((\d+)\)/.exec(part)?.[1];
    return length === undefined ? value : `LEFT(${value}, ${length})`;
  }

  /**
   * An ENUM or SET is ordered by its number (its position, its bits) but compared with a string as text: walked
   * by text, `k > 'z'` skipped every row whose label sorts before the last chunk's, and the verify skipped the
   * same rows (a MariaDB ENUM key lost their converted values at contract). A BIT compared with a string compares
   * bytes with its text. A FLOAT's text is rounded to 6 digits: the largest key's row fell outside `k <= '1'`.
   * Each is read and bound as the number the index orders (both still range-scan the key).
   */
  override keyForm(type: string): KeyForm | undefined {
    if (/^\s*(enum|set|bit)\b/i.test(type)) return 'number';
    if (/^\s*float\b/i.test(type)) return 'double';
    return undefined;
  }

  override keyText(column: string, form?: KeyForm | null): string {
    if (form === 'number') return `CAST(${column} + 0 AS CHAR)`;
    if (form === 'double') return `CAST(CAST(${column} AS DOUBLE) AS CHAR)`;
    return this.castText(column);
  }

  override keyParam(form?: KeyForm | null): string {
    if (form === 'number') return 'CAST(? AS UNSIGNED)';
    if (form === 'double') return 'CAST(? AS DOUBLE)';
    return '?';
  }

  async replicaHeartbeat(primary: Session): Promise<ReplicaHeartbeat> {
    return (await import('./replicas.js')).mysqlReplicaHeartbeat(primary);
  }

  async load(s: Session): Promise<number> {
    const r = await s.query<{ Value: string }>(`SHOW GLOBAL STATUS LIKE 'Threads_running'`);
    return Math.max(0, Number(r.rows[0]?.Value ?? 1) - 1); // this session is one of them
  }

  async logPosition(s: Session): Promise<number> {
    // MariaDB: Innodb_lsn_current; MySQL 8.0.30+: Innodb_redo_log_current_lsn; older MySQL: Innodb_os_log_written (bytes). All count bytes.
    const r = await s.query<{ Variable_name: string; Value: string }>(
      `SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', 'Innodb_redo_log_current_lsn', 'Innodb_os_log_written')`,
    );
    const value = (name: string) => r.rows.find((row) => row.Variable_name.toLowerCase() === name.toLowerCase())?.Value;
    return Number(value('Innodb_lsn_current') ?? value('Innodb_redo_log_current_lsn') ?? value('Innodb_os_log_written') ?? 0);
  }

  async rowsWritten(s: Session, table: string): Promise<number | undefined> {
    // InnoDB's per-table modification counter (what triggers its statistics' recalculation): MariaDB and MySQL 5.7 name the view INNODB_SYS_TABLESTATS, MySQL 8 INNODB_TABLESTATS.
    const view = this.features.mariadb ? 'INNODB_SYS_TABLESTATS' : 'INNODB_TABLESTATS';
    const r = await s.query<{ n: string | number }>(`SELECT MODIFIED_COUNTER AS n FROM information_schema.${view} WHERE NAME = CONCAT(DATABASE(), '/', ?)`, [table]);
    return r.rows[0] === undefined ? undefined : Number(r.rows[0].n);
  }

  async rebuildLog(s: Session): Promise<RebuildLogReading | undefined> {
    // MariaDB only; the counters are in hundredths of a percent, reset when a rebuild allocates its log, kept after it ends.
    const r = await s.query<{ Variable_name: string; Value: string }>(`SHOW GLOBAL STATUS LIKE 'Innodb\\_onlineddl\\_%'`);
    const value = (name: string) => r.rows.find((row) => row.Variable_name.toLowerCase() === `innodb_onlineddl_${name}`)?.Value;
    const [rows, used] = [value('rowlog_rows'), value('rowlog_pct_used')];
    if (rows === undefined || used === undefined) return undefined;
    return { rows: Number(rows), used: Number(used) / 10_000, mark: `${rows}/${used}/${value('pct_progress') ?? ''}` };
  }

  isOverwhelmed(err: unknown): boolean {
    return (err as { errno?: number })?.errno === 1799;
  }

  async cancel(s: Session, sessionId: number): Promise<void> {
    // KILL takes no placeholder; the id is the server's own connection id, an integer.
    await s.query(`KILL QUERY ${Math.trunc(Number(sessionId))}`);
  }

  async vacuumsOn(): Promise<undefined> {
    return undefined; // InnoDB purges in the background, not per table: nothing to pause for
  }

  foreignKeyTypeIssue(childType: string, parentType: string): string | undefined {
    const norm = (t: string) =>
      t.toLowerCase().replace(/\binteger\b/, 'int').replace(/\bnumeric\b/, 'decimal').replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1').replace(/\s+/g, ' ').trim();
    const exact = /^(tinyint|smallint|mediumint|int|bigint|decimal)\b/;
    const [c, p] = [norm(childType), norm(parentType)];
    if ((exact.test(c) || exact.test(p)) && c !== p) return `MySQL needs a foreign key's integer or decimal column to match the one it references exactly (${p}), not ${c}`;
    return undefined;
  }

  async estimateRows(s: Session, table: string): Promise<number | null> {
    // InnoDB's sampled estimate (often off by tens of percent); 0 right after the table was created.
    const r = await s.query<{ n: number | string | null }>(`SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ?`, [table]);
    const n = Number(r.rows[0]?.n ?? 0);
    return n > 0 ? n : null;
  }

  /** InnoDB's estimate counts rows, not pages: an update leaves it as it is. */
  liveRows(s: Session, table: string): Promise<number | null> {
    return this.estimateRows(s, table);
  }

  async sessionId(s: Session): Promise<number> {
    return Number((await s.query<{ id: number | string }>('SELECT CONNECTION_ID() AS id')).rows[0]!.id);
  }

  /** Before DDL: sessions holding its metadata lock for longer than the lock timeout (so the DDL would queue every query behind it); definite evidence only (locks.ts). */
  preflight(s: Session, tables: string[], lockTimeoutMs: number): Promise<Blocker[]> {
    return this.locks.holders(s, tables, seconds(lockTimeoutMs), [], false);
  }

  /** For reports: without metadata-lock information, idle sessions are named as possible holders (locks.ts). */
  blockers(s: Session, sessionId: number | null, tables: string[], ours: readonly number[] = []): Promise<Blocker[]> {
    return this.locks.holders(s, tables, 0, [...(sessionId !== null ? [sessionId] : []), ...ours], true);
  }

  blockersHidden(): string | null {
    return this.locks.canSeeTransactions
      ? null
      : "xc's database user lacks the PROCESS privilege, so other users' sessions and open transactions cannot be seen: the holder may be one of them and not listed; GRANT PROCESS to that user to have it named";
  }

  async triggersFiringAfter(): Promise<string[]> {
    return []; // Same timing and event: in creation order (ACTION_ORDER), and xc creates its own after the user's.
  }

  renameIndexSql(table: string, from: string, to: string): string {
    return `ALTER TABLE ${quoteMy(table)} RENAME INDEX ${quoteMy(from)} TO ${quoteMy(to)}, ALGORITHM=INPLACE, LOCK=NONE`;
  }

  keyActionChange(table: string, fk: ForeignKeyModel, changed: Pick<ForeignKeyModel, 'onDelete' | 'onUpdate'>): { sql: string[]; name: string } | null {
    // One ALTER drops the old key and adds the new, so the key is never missing; the server refuses the old name in it
    // ("Duplicate FOREIGN KEY constraint name", campaign DT), so the new one takes another (renameConstraint gives the
    // old one back later). foreign_key_checks=0 adds it in place without reading the rows, which the old key held:
    // MariaDB scopes it to the statement; MySQL only to the session, which a pooled one would keep (none then).
    if (!this.mariadb) return null;
    const cols = (c: string[]) => c.map(quoteMy).join(', ');
    const name = `${fk.name.slice(0, 60)}_new`;
    const alter = `ALTER TABLE ${quoteMy(table)} DROP FOREIGN KEY ${quoteMy(fk.name)}, ADD CONSTRAINT ${quoteMy(name)} FOREIGN KEY (${cols(fk.columns)}) REFERENCES ${referencedTable(quoteMy, fk)} (${cols(fk.refColumns)})${referenceClauses({ ...fk, ...changed }, 'mysql')}, ALGORITHM=INPLACE, LOCK=NONE`;
    return { sql: [`SET STATEMENT foreign_key_checks=0 FOR ${alter}`], name };
  }

  async updateRowTriggers(s: Session, table: string): Promise<string[]> {
    // MySQL/MariaDB triggers have no WHEN and no `UPDATE OF`: each fires for every row an UPDATE writes.
    const r = await s.query<{ name: string; timing: string }>(
      `SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing FROM information_schema.TRIGGERS
        WHERE TRIGGER_SCHEMA = DATABASE() AND BINARY EVENT_OBJECT_TABLE = ? AND EVENT_MANIPULATION = 'UPDATE' AND TRIGGER_NAME NOT LIKE 'xc\\_%'
        ORDER BY ACTION_TIMING DESC, ACTION_ORDER`,
      [table],
    );
    return r.rows.map((t) => `"${t.name}" (${t.timing} UPDATE)`);
  }

  async dependents(s: Session, table: string, column?: string, keepsName = false, inCatalog = false): Promise<Dependent[]> {
    // Views, triggers, routines and events hold the column as text, by its name: a column changed in place is still
    // there for them (campaign J: an in-place int → bigint was refused for a view or an audit trigger naming the column).
    // What holds the column itself stays in its way: a generated column, another database's foreign key — but a
    // generated column computes what it did from values that stay as they were, and the server changes the type
    // under it, stored or indexed (campaign AW: refused at plan and contract).
    const found = await mysqlDependents(s, table, column);
    if (!keepsName) return found;
    return found
      .filter((d) => d.kind === 'generated column' || d.kind === 'foreign key')
      .map((d) => (inCatalog && d.kind === 'generated column' ? { ...d, changedUnder: true } : d));
  }

  nameDependents(s: Session, table: string): Promise<Dependent[]> {
    return mysqlNameDependents(s, table);
  }

  async triggersPresent(s: Session, names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const r = await s.query<{ name: string }>(`SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN (${names.map(() => '?').join(', ')})`, names);
    return new Set(r.rows.map((x) => x.name));
  }

  applicationSessions(s: Session): Promise<string[]> {
    return mysqlApplicationSessions(s);
  }
  sessionEvidenceGap(s: Session): Promise<string | null> {
    return mysqlSessionEvidenceGap(s);
  }
  sessionNameShown(name: string): string {
    return name;
  }
}
