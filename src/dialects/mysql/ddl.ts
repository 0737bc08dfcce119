/**
 * MySQL 8 / MariaDB 10.11 statements for the DDL vocabulary operations speak.
 *
 * DDL commits implicitly here, so every step runs alone and carries a probe
 * on information_schema: intent → run → confirm → done, and a re-run after
 * `kill -9` skips what already took effect. Creations carry no `IF NOT
 * EXISTS` (the journal and the probe make them safe to re-run): a name another
 * session took after plan checked it must fail, not pass for xc's
 * (engine/ownership.ts). Every ALTER TABLE states
 * ALGORITHM and LOCK, so the server refuses (fails fast) rather than
 * silently copying a table under a lock.
 *
 * MySQL has no NOT VALID: foreign keys are added with foreign_key_checks=0
 * (INPLACE, no scan) and verified by a query at contract; checks are
 * enforced by triggers (triggers.ts). Statements depend on what the columns
 * carry (indexes, keys, checks over a dropped column; ON UPDATE and COMMENT
 * restated by MODIFY), so each request is compiled from the model it is
 * planned against — the schema as it will be just before it, which the
 * planner advances past each operation, and what the current plan adds
 * before it is in the catalog (`model.planned`, schema/planned.ts).
 *
 * The statements are built by pure functions of (model, request), by
 * concern: tables.ts, columns.ts, keys.ts (indexes and foreign keys),
 * constraints.ts (checks, NOT NULL, validation). This vocabulary holds no
 * state: a request that adds an object records it in `model.planned` as it
 * is compiled, where the next request reads it.
 */
import type { Ddl, Dialect } from '../dialect.js';
import type { SchemaModel } from '../../schema/model.js';
import { mysqlConvertTrigger, mysqlFillTrigger } from './triggers.js';
import { currentTimestampAt, mysqlCompiler, type MysqlFeatures } from './compiler.js';
import { createTable, dropOldTableName, dropTable, renameTableKeepingOldName, restoreTableName } from './tables.js';
import { renameConstraint } from './renames.js';
import { carryConstraints, cascadingKeysOverCopy } from './carry.js';
import { addColumn, carryAttributes, dropColumn, noWriteBetween, dropNotNull, fillBeforeTriggers, hasTemporaryDefault, invisible, letWritesOmit, refillAfterTriggers, setDefault, storedPlaceholder, syncTrigger } from './columns.js';
import { addForeignKey, addPrimaryKeyUsingIndex, addUniqueUsingIndex, copiedIndex, copyIndex, createIndex, dropIndex, keyFitsWhole, needsOwnIndex, renameIndex } from './keys.js';
import { addCheck, addNotNullCheck, keptCheck, dropConstraint, enforceNotNull, notNullCheckExpression, validateConstraint } from './constraints.js';
import { sequenceLockIssue } from './sequences.js';
import { alterColumnInCatalog, charsetBytes, instantMemberAppend, instantVarcharWidening, swapColumns } from './inplace.js';
import { mysqlShadowKeyIssues } from './keyswap.js';
import { mysqlTokens, placeholderFor } from './expr.js';

/**
 * A statement that changes rows and nothing else (INSERT, UPDATE, DELETE, REPLACE, a WITH … of them), read by its
 * tokens: it can run in a transaction, which it never commits. An executable comment (`/*! … *\/`) may hold anything.
 */
export function isDml(sql: string): boolean {
  const tokens = mysqlTokens(sql);
  if (tokens.some((t) => /^\/\*M?!/.test(t.text))) return false;
  const first = tokens.find((t) => t.kind !== 'space' && t.kind !== 'comment');
  return first?.kind === 'word' && ['insert', 'update', 'delete', 'replace', 'with'].includes(first.text.toLowerCase());
}

export type { MysqlFeatures } from './compiler.js';

/** `dialect` writes the batch statement a fill step shows (backfill/keyset.ts). */
export function createMysqlDdl(f: MysqlFeatures, model: SchemaModel, dialect: Dialect): Ddl {
  const c = mysqlCompiler(f, model, dialect);
  // Read at each call: the planner gives every migration a fresh record.
  const planned = () => model.planned;
  return {
    preparedKeepOldTypes: false,
    conversionNote: (from, to) => {
      const stamp = (t: string) => /^\s*timestamp\b/i.test(t);
      if (stamp(from) === stamp(to)) return undefined;
      return `${from} → ${to} converts in the time_zone of the session that writes: the trigger in each writer's, the backfill in xc's — writers in another time zone leave rows the contract's verify refuses (exit 1); convert with CONVERT_TZ in \`up\` (and \`down\`) instead, e.g. \`up: "CONVERT_TZ(col, @@session.time_zone, '+00:00')"\` (README, Dual-write triggers)`;
    },
    createTable: (...a) => createTable(c, ...a),
    dropTable: (table) => dropTable(c, table),
    renameTableKeepingOldName: (from, to) => renameTableKeepingOldName(c, from, to),
    dropOldTableName: (from) => dropOldTableName(c, from),
    restoreTableName: (from, to) => restoreTableName(c, from, to),

    addColumn(table, column, type, opts) {
      const steps = addColumn(c, table, column, type, opts);
      // Added NOT NULL with a placeholder: at contract there is no NOT NULL left to enforce, and a rollback gives the placeholder back as its default.
      planned().addColumn(table, column, opts?.notNull ? storedPlaceholder(type, opts) : undefined, invisible(c, type, opts));
      return steps;
    },
    letWritesOmit: (table, column) => letWritesOmit(c, table, column),
    dropColumn(table, column) {
      const steps = dropColumn(c, table, column);
      planned().dropSyncDefault(table, column);
      return steps;
    },
    noWriteBetween: (table, steps, added) => noWriteBetween(c, table, steps, added),
    setDefault: (table, column, expr) => setDefault(c, table, column, expr),
    carryAttributes: (table, column) => carryAttributes(c, table, column),
    // Column grants are by name (mysql.columns_priv): an in-place change keeps them; a copy's new column would need
    // GRANTs read from mysql.columns_priv and given with GRANT OPTION, which xc's user may not have (README).
    carryColumnPrivileges: () => [],
    dropNotNull: (table, column) => dropNotNull(c, table, column),
    // A literal default is converted when set, an expression default on each insert: both as a column converts a value, strictly.
    convertedDefault: (expr, type) => currentTimestampAt(expr, type),

    addNotNullCheck(table, column, checkName) {
      const steps = addNotNullCheck(c, table, column, checkName);
      const expression = notNullCheckExpression(c, table, column);
      if (expression !== undefined) planned().addCheck(table, checkName, expression);
      return steps;
    },
    enforceNotNull: (table, column, checkName) => enforceNotNull(c, table, column, checkName),

    createIndex(spec) {
      const steps = createIndex(c, spec);
      planned().addIndex({ table: spec.table, name: spec.name, columns: spec.columns });
      return steps;
    },
    copyIndex(idx, table, newName, fromColumn, toColumn, toType) {
      const steps = copyIndex(c, idx, table, newName, fromColumn, toColumn, toType);
      planned().addIndex({ table, name: newName, columns: copiedIndex(idx, fromColumn, toColumn, toType).columns });
      return steps;
    },
    dropIndex: (table, name) => dropIndex(c, table, name),
    renameIndex: (table, from, to) => renameIndex(c, table, from, to),
    addUniqueUsingIndex: (table, constraintName, indexName) => addUniqueUsingIndex(c, table, constraintName, indexName),
    renameConstraint: (table, from, to) => renameConstraint(c, table, from, to),
    // No DEFERRABLE here (validation refuses it): `timing` is never set.
    addPrimaryKeyUsingIndex: (table, _constraint, indexName, columns) => addPrimaryKeyUsingIndex(c, table, indexName, columns),

    addForeignKey(spec) {
      const steps = addForeignKey(c, spec);
      // Where MySQL makes an index of the key's name, dropping the key (this plan's rollback) drops that index too.
      planned().addForeignKey(spec, needsOwnIndex(c, spec));
      return steps;
    },
    addCheck(table, name, expression) {
      const steps = addCheck(c, table, name, expression);
      planned().addCheck(table, name, expression);
      return steps;
    },
    keptCheck: (table, name, expression) => keptCheck(c, table, name, expression),
    validateConstraint: (table, name) => validateConstraint(c, table, name),
    dropConstraint: (table, name) => dropConstraint(c, table, name),
    carryConstraints: (spec) => carryConstraints(c, spec),
    cascadingKeysOverCopy: (spec) => cascadingKeysOverCopy(c, spec),

    syncTrigger(spec) {
      const steps = syncTrigger(c, spec);
      if (hasTemporaryDefault(c, spec)) planned().addSyncDefault(spec.table, spec.newColumn, spec.oldColumn);
      return steps;
    },
    // MariaDB replaces the INSERT trigger that reads the placeholder in one statement (CREATE OR REPLACE TRIGGER).
    keepsDefaultThroughSync: (type, storedNotNull) => c.f.mariadb || !storedNotNull || placeholderFor(type) === undefined,
    fillTrigger: (spec) => mysqlFillTrigger(spec, (column) => c.model.column(spec.table, column)?.type),
    convertTrigger(spec) {
      // A check xc added is a trigger pair (no CHECK constraint), which would refuse the row before this one converted it.
      const viaTrigger = spec.test.kind === 'check' && (planned().check(spec.table, spec.constraint) !== undefined || c.tableOf(spec.table)?.checks.find((k) => k.name === spec.constraint)?.trigger === true);
      return mysqlConvertTrigger(spec, viaTrigger ? c.checkBase(spec.table, spec.constraint) : undefined);
    },
    fillBeforeTriggers: (spec) => fillBeforeTriggers(c, spec),
    refillAfterTriggers: (spec) => refillAfterTriggers(c, spec),
    // A key over the column that the wider type would take past InnoDB's longest would be rebuilt (as a prefix, or a
    // long unique key), which INSTANT refuses at contract (campaign AF-6): such a change goes through a shadow, its index copies built at expand.
    changesTypeInCatalog: (table, column, type) => {
      const t = c.tableOf(table);
      const typeOf = (name: string) => (name === column.name ? type : t?.columns.find((x) => x.name === name)?.type);
      // The widening is instant while the length takes the same bytes: counted in the column's own character set where
      // the new type names none (campaign P: a latin1 varchar(64) → varchar(128) went through a shadow, as if utf8mb4).
      const bytes = /\b(CHARACTER SET|CHARSET|COLLATE)\b/i.test(type) ? undefined : charsetBytes(column.collation, t?.collation);
      // An ENUM or SET given members after its last: catalog only, its indexes as they are (campaign AU: through a shadow).
      if (instantMemberAppend(column.type, type)) return true;
      return instantVarcharWidening(column.type, type, bytes) && (!t || t.indexes.filter((i) => i.columns.includes(column.name)).every((i) => keyFitsWhole(t, i, typeOf)));
    },
    alterColumnInCatalog: (table, column, change) => alterColumnInCatalog(c, table, column, change),
    swapColumns: (spec) => swapColumns(c, spec),
    shadowKeyIssues: (spec) => mysqlShadowKeyIssues(c, spec),
    cutOverIssue(tables, restated) {
      return sequenceLockIssue(c, tables, restated.map((d) => `DEFAULT ${d}`));
    },
    // No column owns a sequence here (MariaDB's sequences are tables; AUTO_INCREMENT is not copied).
    handOverSequence: () => [],

    raw(sql, description) {
      // A DML statement commits in one transaction with its journal row (engine/steps.ts): a crash commits both or neither,
      // so a re-run never runs it twice. Any other statement commits implicitly (DDL) or may (a CALL): xc cannot probe its
      // effect, so a re-run after a crash while it ran runs it again (write it idempotent: IF NOT EXISTS, IF EXISTS).
      return { sql, description, lock: 'as the author wrote it (not analysed)', transactional: isDml(sql), tables: [] };
    },
  };
}
