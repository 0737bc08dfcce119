/**
 * PostgreSQL (12+) statements for the DDL vocabulary operations speak.
 *
 * Every step is safe to re-run: transactional steps run exactly once with
 * their journal row, `CREATE INDEX CONCURRENTLY` is re-run only as its probe
 * and journal row say (engine/steps.ts), and the steps used by rollback check
 * the catalog (`IF EXISTS`) so they also work when expand only partly
 * happened. Creations carry no `IF NOT EXISTS`: a name another session took
 * after plan checked it must fail, not pass for xc's (engine/ownership.ts).
 * Long operations use the non-blocking recipes of strong_migrations:
 * `CONCURRENTLY` indexes, `NOT VALID` then `VALIDATE`.
 */
import type { Ddl, ForeignKeySpec, IndexSpec } from '../dialect.js';
import type { IndexKey, IndexModel, SchemaModel } from '../../schema/model.js';
import { atomic, type SchemaObject, type Step } from '../../plan/index.js';
import { doBlock, literal, PG_IDENTIFIERS, pgTokens, quotePg } from './text.js';
import { replaceIdentifier } from '../sqltext.js';
import { concurrentIndexBuild, outsideTransaction, pgStatements } from './statements.js';
import { referenceClauses, referencedTable } from '../references.js';
import { pgCreateTable } from './tables.js';
import { afterRename, beforeDrop, handOverSequence, isIntegerTypeName, pgShadowKeyIssues, serialSequence } from './keyswap.js';
import { restoreComments, saveComments } from './comments.js';
import { carryColumnGrants, viewAsTable } from './privileges.js';

export interface PostgresDdlOptions {
  /** False on PGlite (one connection): plain, transactional CREATE/DROP INDEX. */
  concurrentIndexes: boolean;
  quote: (id: string) => string;
  /** The schema the statements are planned against. */
  model: SchemaModel;
}

/** In text.ts (the core uses it too); exported here as before. */
export { literal };

export function createPostgresDdl(opts: PostgresDdlOptions): Omit<Ddl, 'syncTrigger' | 'fillTrigger' | 'convertTrigger'> {
  const { concurrentIndexes, model } = opts;
  /**
   * Tables a foreign key over `columns` of `table` (all of them when undefined) ties to it: dropping such a key
   * (with its column or table) takes ACCESS EXCLUSIVE on the other table too, so the engine locks them together.
   */
  const tiedByKeys = (table: string, columns?: string[], name?: string) => {
    const hits = (cs: string[]) => !columns || cs.some((c) => columns.includes(c));
    const own = model.table(table)?.foreignKeys.filter((k) => (name ? k.name === name : hits(k.columns))).map((k) => k.refTable) ?? [];
    const others = name ? [] : [...model.tables.values()].filter((t) => t.foreignKeys.some((k) => k.refTable === table && hits(k.refColumns))).map((t) => t.name);
    return [...own, ...others].filter((t) => t !== table);
  };
  const q = opts.quote;
  const cols = (names: string[]) => names.map(q).join(', ');
  const named = (tables: string[]) => [...new Set(tables)].map(q).join(' and ');
  const instant = (mode: string, ...tables: string[]) => `${mode} on ${named(tables)} (catalog only, instant)`;
  /** The table as the DDL resolves it (search_path), for catalog checks. */
  const regclass = (table: string) => `to_regclass(${literal(q(table))})`;

  const tx = (sql: string, description: string, lock: string, tables: string[], extra: Partial<Step> = {}): Step => ({
    sql,
    description,
    lock,
    transactional: true,
    tables: [...new Set(tables)],
    ...extra,
  });
  const object = (kind: SchemaObject['kind'], table: string, name = table): SchemaObject => ({ kind, table, name });

  /** Whether a VALID index of that name exists on the table (`rel`: the table as a regclass expression). */
  const validIndexOn = (rel: string, name: string) =>
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ` +
    `WHERE i.indrelid = ${rel} AND c.relname = ${literal(name)} AND i.indisvalid`;
  const anyIndexOn = (rel: string, name: string) =>
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ` +
    `WHERE i.indrelid = ${rel} AND c.relname = ${literal(name)}`;
  /** Sessions building an index on the table (`rel`) other than this one: a build whose xc was killed goes on in the server. */
  const buildsOn = (rel: string) =>
    `SELECT a.pid AS session, a.usename::text AS "user", a.application_name AS application, a.state, a.xact_start::text AS since, left(a.query, 300) AS query ` +
    `FROM pg_stat_progress_create_index p JOIN pg_stat_activity a ON a.pid = p.pid WHERE p.relid = ${rel} AND p.pid <> pg_backend_pid()`;
  const validIndexExists = (table: string, name: string) => validIndexOn(regclass(table), name);
  const anyIndexExists = (table: string, name: string) => anyIndexOn(regclass(table), name);

  /** A step building an index; `createSql` is the full statement, CONCURRENTLY included when enabled. */
  const buildIndex = (table: string, name: string, createSql: string, description: string): Step =>
    concurrentIndexes
      ? {
          sql: createSql,
          description,
          lock: `SHARE UPDATE EXCLUSIVE on ${q(table)} (reads and writes continue; scans the table, waits for older transactions)`,
          transactional: false,
          tables: [table],
          probe: `SELECT EXISTS(${validIndexExists(table, name)}) AS done`,
          // Only run when the probe says "not done" after an attempt of this step: then an index of that name is its INVALID leftover.
          cleanup: `DROP INDEX CONCURRENTLY IF EXISTS ${q(name)}`,
          // A build whose xc was killed goes on (the server notices the lost client only when it answers): wait for it, never race it.
          inProgress: buildsOn(regclass(table)),
          creates: [object('index', table, name)],
        }
      : tx(createSql, description, `SHARE on ${q(table)} (blocks writes while the index builds)`, [table], { creates: [object('index', table, name)] });

  const ddl: Omit<Ddl, 'syncTrigger' | 'fillTrigger' | 'convertTrigger'> = {
    preparedKeepOldTypes: true,
    createTable(spec) {
      const { table } = spec;
      // The key is always a table-level one: one spelling for a single column, several flagged columns or the `primaryKey` list.
      const { create, comments, referenced } = pgCreateTable(q, spec);
      const lock = referenced.length
        ? `SHARE ROW EXCLUSIVE on ${named(referenced)} (instant; for the foreign keys)`
        : `none on existing tables (new table ${q(table)})`;
      // The comments in the same transaction: the table is never seen without them.
      return atomic(
        [tx(create, `create table ${q(table)}`, lock, [table, ...referenced], { creates: [object('table', table)] })],
        comments.map((sql) => tx(sql, `comment on ${q(table)}`, `none on existing tables (new table ${q(table)})`, [table])),
      );
    },

    dropTable(table) {
      const tied = tiedByKeys(table);
      return [tx(`DROP TABLE IF EXISTS ${q(table)}`, `drop table ${q(table)}`, instant('ACCESS EXCLUSIVE', table, ...tied), [table, ...tied], { removes: object('table', table) })];
    },

    renameTableKeepingOldName(from, to) {
      // One transaction, so there is no moment where the old name is missing.
      return atomic(
        [tx(`ALTER TABLE ${q(from)} RENAME TO ${q(to)}`, `rename table ${q(from)} to ${q(to)}`, instant('ACCESS EXCLUSIVE', from), [from], { creates: [object('table', to)] })],
        [tx(`CREATE VIEW ${q(from)} AS SELECT * FROM ${q(to)}`, `keep ${q(from)} working for old code (an updatable view over ${q(to)})`, `ACCESS SHARE on ${q(to)} (instant; in the rename's transaction)`, [to])],
        [tx(viewAsTable(from, to), `let ${q(from)} be used as ${q(to)} is: the application's privileges on it, its row-level security`, `none beyond the rename's (catalog only)`, [to])],
      );
    },

    dropOldTableName(from) {
      return [tx(`DROP VIEW IF EXISTS ${q(from)}`, `drop view ${q(from)} (the table's old name)`, instant('ACCESS EXCLUSIVE', from), [from])];
    },

    restoreTableName(from, to) {
      // Tolerates an expand that never ran: only a view is dropped, only an existing table renamed back.
      const body = [
        ' BEGIN',
        `  IF (SELECT relkind FROM pg_class WHERE oid = ${regclass(from)}) = 'v' THEN`,
        `    DROP VIEW ${q(from)};`,
        '  END IF;',
        `  IF ${regclass(from)} IS NULL AND ${regclass(to)} IS NOT NULL THEN`,
        `    ALTER TABLE ${q(to)} RENAME TO ${q(from)};`,
        '  END IF;',
        'END ',
      ].join('\n');
      return [tx(doBlock(body), `rename table ${q(to)} back to ${q(from)}`, instant('ACCESS EXCLUSIVE', to, from), [to, from])];
    },

    addColumn(table, column, type, opts) {
      // The comment in the same transaction: the column is never seen without it.
      const withComment = (steps: Step[]) =>
        opts?.comment === undefined
          ? steps
          : atomic(steps, [tx(`COMMENT ON COLUMN ${q(table)}.${q(column)} IS ${literal(opts.comment)}`, `comment on ${q(table)}.${q(column)}`, instant('SHARE UPDATE EXCLUSIVE', table), [table])]);
      if (opts?.default !== undefined) {
        // A non-volatile default is stored once in the catalog (PostgreSQL 11+): existing rows read it, none is rewritten or scanned, NOT NULL included.
        const sql = `ALTER TABLE ${q(table)} ADD COLUMN ${q(column)} ${type}${opts.notNull ? ' NOT NULL' : ''} DEFAULT ${opts.default}`;
        const description = `add column ${q(table)}.${q(column)}${opts.notNull ? ' NOT NULL' : ''} with default ${opts.default} (existing rows read it; none is rewritten)`;
        return withComment([tx(sql, description, instant('ACCESS EXCLUSIVE', table), [table], { creates: [object('column', table, column)] })]);
      }
      const sql = `ALTER TABLE ${q(table)} ADD COLUMN ${q(column)} ${type}`;
      return withComment([tx(sql, `add column ${q(table)}.${q(column)}`, instant('ACCESS EXCLUSIVE', table), [table], { creates: [object('column', table, column)] })]);
    },

    // One transaction already (the caller's `atomic`): no write comes between.
    noWriteBetween: (_table, steps) => steps,
    dropColumn(table, column) {
      const sql = `ALTER TABLE IF EXISTS ${q(table)} DROP COLUMN IF EXISTS ${q(column)}`;
      const tied = tiedByKeys(table, [column]);
      return [tx(sql, `drop column ${q(table)}.${q(column)}`, instant('ACCESS EXCLUSIVE', table, ...tied), [table, ...tied], { removes: object('column', table, column) })];
    },

    // Expand is one transaction and the new column is added nullable: no placeholder for a trigger to tell apart.
    keepsDefaultThroughSync: () => true,
    setDefault(table, column, expr) {
      const action = expr === null ? 'DROP DEFAULT' : `SET DEFAULT ${expr}`;
      const sql = `ALTER TABLE IF EXISTS ${q(table)} ALTER COLUMN ${q(column)} ${action}`;
      const description = expr === null ? `drop the default of ${q(table)}.${q(column)}` : `set the default of ${q(table)}.${q(column)}`;
      return [tx(sql, description, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    dropNotNull(table, { name: column }) {
      const sql = `ALTER TABLE IF EXISTS ${q(table)} ALTER COLUMN ${q(column)} DROP NOT NULL`;
      return [tx(sql, `allow NULL in ${q(table)}.${q(column)}`, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    addNotNullCheck(table, { name: column }, checkName) {
      const sql = `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(checkName)} CHECK (${q(column)} IS NOT NULL) NOT VALID`;
      return [tx(sql, `check ${q(table)}.${q(column)} IS NOT NULL for new writes (not validated yet)`, instant('ACCESS EXCLUSIVE', table), [table], { creates: [object('constraint', table, checkName)] })];
    },

    enforceNotNull(table, { name: column }, checkName) {
      return [
        ...ddl.validateConstraint(table, checkName),
        // PG 12+ sees the validated check and skips the full-table scan.
        tx(`ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} SET NOT NULL`, `make ${q(table)}.${q(column)} NOT NULL (proven by the check, no scan)`, instant('ACCESS EXCLUSIVE', table), [table]),
        ...ddl.dropConstraint(table, checkName),
      ];
    },

    createIndex(spec: IndexSpec) {
      const head = `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX ${concurrentIndexes ? 'CONCURRENTLY ' : ''}`;
      const include = spec.include?.length ? ` INCLUDE (${cols(spec.include)})` : '';
      const nulls = spec.nullsNotDistinct ? ' NULLS NOT DISTINCT' : '';
      const using = spec.method ? ` USING ${spec.method}` : '';
      const params = spec.storageParameters ? ` WITH (${spec.storageParameters.trim()})` : '';
      const sql = `${head}${q(spec.name)} ON ${q(spec.table)}${using} (${indexKeys(spec, q)})${include}${nulls}${params}${spec.where ? ` WHERE ${spec.where}` : ''}`;
      return [buildIndex(spec.table, spec.name, sql, `build ${spec.unique ? 'unique ' : ''}index ${q(spec.name)} on ${q(spec.table)}`)];
    },

    copyIndex(index: IndexModel, table, newName, fromColumn, toColumn) {
      const sql = rewriteIndexDefinition(index.definition ?? indexDefinition(index, table), {
        name: q(newName),
        table: q(table),
        concurrently: concurrentIndexes,
        fromColumn,
        toColumn: q(toColumn),
        row: table,
      });
      return [buildIndex(table, newName, sql, `build index ${q(newName)} on ${q(table)}, a copy of ${q(index.name)} over ${q(toColumn)}`)];
    },

    dropIndex(table, name) {
      if (!concurrentIndexes) {
        return [tx(`DROP INDEX IF EXISTS ${q(name)}`, `drop index ${q(name)}`, instant('ACCESS EXCLUSIVE', table), [table], { removes: object('index', table, name) })];
      }
      return [
        {
          sql: `DROP INDEX CONCURRENTLY IF EXISTS ${q(name)}`,
          description: `drop index ${q(name)} on ${q(table)}`,
          lock: `SHARE UPDATE EXCLUSIVE on ${q(table)} (reads and writes continue; waits for transactions using the index)`,
          transactional: false,
          tables: [table],
          probe: `SELECT NOT EXISTS(${anyIndexExists(table, name)}) AS done`,
          removes: object('index', table, name),
        },
      ];
    },

    renameConstraint(table, from, to) {
      // Guarded by the catalog: a rollback's reverse rename does nothing where the expand never ran.
      const body = [
        ' BEGIN',
        `  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${regclass(table)} AND conname = ${literal(from)}) THEN`,
        `    ALTER TABLE ${q(table)} RENAME CONSTRAINT ${q(from)} TO ${q(to)};`,
        '  END IF;',
        'END ',
      ].join('\n');
      return [tx(doBlock(body), `rename constraint ${q(from)} on ${q(table)} to ${q(to)}`, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    setReplicaIdentity(table, identity) {
      const what = identity.type === 'index' ? `USING INDEX ${q(identity.index!)}` : identity.type.toUpperCase();
      return [tx(`ALTER TABLE IF EXISTS ${q(table)} REPLICA IDENTITY ${what}`, `set the replica identity of ${q(table)} to ${identity.type === 'index' ? `index ${q(identity.index!)}` : identity.type}`, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    renameIndex(table, from, to) {
      const sql = `ALTER INDEX IF EXISTS ${q(from)} RENAME TO ${q(to)}`;
      return [tx(sql, `rename index ${q(from)} on ${q(table)} to ${q(to)}`, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    convertedDefault(expr, type) {
      // A serial's draw from its sequence (bigint) suits any integer column as it is: carried unchanged, with the sequence (keyswap.ts).
      if (serialSequence({ default: expr }) !== undefined && isIntegerTypeName(type)) return expr;
      return textLiteralDefault(expr, type) ?? `CAST((${expr}) AS ${type})`;
    },

    addUniqueUsingIndex(table, constraint, index, timing) {
      const sql = `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(constraint)} UNIQUE USING INDEX ${q(index)}${timingClause(timing)}`;
      return [tx(sql, `make index ${q(index)} the unique constraint ${q(constraint)} (no scan)`, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    addPrimaryKeyUsingIndex(table, constraint, index, _columns, timing) {
      // ADD PRIMARY KEY without an index would build one under ACCESS EXCLUSIVE: PostgreSQL always gets the index built at expand.
      if (index === null) throw new Error(`primary key ${constraint} on ${table}: PostgreSQL adds a primary key only over an index built beforehand`);
      // The columns are NOT NULL already (the caller saw to it): no scan, catalog only.
      const sql = `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(constraint)} PRIMARY KEY USING INDEX ${q(index)}${timingClause(timing)}`;
      return [tx(sql, `make index ${q(index)} the primary key ${q(constraint)} of ${q(table)} (no scan)`, instant('ACCESS EXCLUSIVE', table), [table])];
    },

    addForeignKey(spec: ForeignKeySpec) {
      const sql =
        `ALTER TABLE ${q(spec.table)} ADD CONSTRAINT ${q(spec.name)} FOREIGN KEY (${cols(spec.columns)}) ` +
        `REFERENCES ${referencedTable(q, spec)} (${cols(spec.refColumns)})${referenceClauses(spec, 'postgres')} NOT VALID`;
      return [
        tx(sql, `add foreign key ${q(spec.name)} on ${q(spec.table)} for new writes (not validated yet)`, instant('SHARE ROW EXCLUSIVE', spec.table, spec.refTable), [spec.table, spec.refTable], {
          creates: [object('constraint', spec.table, spec.name)],
        }),
      ];
    },

    addCheck(table, name, expression) {
      const sql = `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(name)} CHECK (${expression}) NOT VALID`;
      return [tx(sql, `add check ${q(name)} on ${q(table)} for new writes (not validated yet)`, instant('ACCESS EXCLUSIVE', table), [table], { creates: [object('constraint', table, name)] })];
    },

    // A cut-over is one transaction here: the checks over its columns are dropped and added again in it.
    keptCheck: () => undefined,

    validateConstraint(table, name) {
      const sql = `ALTER TABLE ${q(table)} VALIDATE CONSTRAINT ${q(name)}`;
      const lock = `SHARE UPDATE EXCLUSIVE on ${q(table)} (reads and writes continue; scans the table)`;
      return [tx(sql, `validate constraint ${q(name)} on existing rows of ${q(table)}`, lock, [table])];
    },

    dropConstraint(table, name) {
      const sql = `ALTER TABLE IF EXISTS ${q(table)} DROP CONSTRAINT IF EXISTS ${q(name)}`;
      const tied = tiedByKeys(table, undefined, name);
      return [tx(sql, `drop constraint ${q(name)} on ${q(table)}`, instant('ACCESS EXCLUSIVE', table, ...tied), [table, ...tied], { removes: object('constraint', table, name) })];
    },

    // A key's action runs as statements that fire the sync trigger: the new column follows a cascade already.
    cascadingKeysOverCopy: () => [],
    carryConstraints({ table, oldColumn, foreignKeys, checks }) {
      // NOT VALID (addCheck, addForeignKey): enforced for every write from the commit of the old column's drop on,
      // no row read under its lock; VALIDATE later, under SHARE UPDATE EXCLUSIVE (writes continue). No temporary
      // name: the drop frees the originals' names in the same transaction.
      // Locks: the drop already holds ACCESS EXCLUSIVE on the table and on each key's parent (tiedByKeys: the old
      // column's keys are dropped with it), so a key's SHARE ROW EXCLUSIVE on the parent adds no lock to the
      // transaction. The engine takes the group's locks before its first statement, the table's first, then the
      // parents' within a short wait (engine/steps.ts, lockTablesFirst): a writer holding a parent and waiting for
      // the table (an ON DELETE CASCADE does that) makes xc's wait, not the writer's, time out (55P03; a deadlock
      // victim, 40P01, likewise), and xc retries the whole transaction (engine/retry.ts).
      const inDrop = (steps: Step[], tables: string[]) =>
        steps.map((st) => ({ ...st, lock: `${st.lock.replace(/ \(catalog only, instant\)$/, '')}, in the transaction of the drop of ${q(table)}.${q(oldColumn)}, which holds ACCESS EXCLUSIVE on ${named(tables)} already (catalog only, instant)` }));
      const validate = (k: { name: string; validated?: false }) => (k.validated === false ? [] : ddl.validateConstraint(table, k.name));
      // Their comments belong to the constraints the drop takes: kept first in the transaction, given back last (comments.ts).
      const any = checks.length + foreignKeys.length > 0;
      return {
        beforeDrop: any ? [{ ...saveComments(table, tx), removesOldShape: false }] : [],
        withDrop: [
          ...checks.flatMap((k) => inDrop(ddl.addCheck(table, k.name, k.expression), [table])),
          ...foreignKeys.flatMap(({ temporary: _, ...fk }) => inDrop(ddl.addForeignKey(fk), [table, fk.refTable])),
          ...(any ? [restoreComments(table, tx)] : []),
        ],
        validate: [...checks.flatMap(validate), ...foreignKeys.flatMap(validate)],
      };
    },

    changesTypeInCatalog(table, column, type) {
      // A CHECK over the column is validated again by ALTER … TYPE, a scan under ACCESS EXCLUSIVE (measured: 2M rows, 0.2 s
      // instead of 2 ms): such a column goes through a shadow, whose check is added unvalidated and validated online.
      const checked = model.table(table)?.checks.some((k) => k.columns.includes(column.name)) ?? false;
      return !checked && pgCatalogOnlyType(column.type, type);
    },

    alterColumnInCatalog(table, column, change) {
      const c = q(column.name);
      const steps: Step[] = [];
      const alter = (what: string, description: string) => steps.push(tx(`ALTER TABLE ${q(table)} ALTER COLUMN ${c} ${what}`, description, instant('ACCESS EXCLUSIVE', table), [table]));
      // Binary-coercible (changesTypeInCatalog): PostgreSQL neither rewrites the table nor rebuilds its indexes.
      if (change.type !== undefined) alter(`TYPE ${change.type}`, `change the type of ${q(table)}.${c} to ${change.type} (catalog only: no row rewritten)`);
      if (change.nullable) alter('DROP NOT NULL', `allow NULL in ${q(table)}.${c}`);
      if (change.default !== undefined) alter(change.default === null ? 'DROP DEFAULT' : `SET DEFAULT ${change.default}`, change.default === null ? `drop the default of ${q(table)}.${c}` : `set the default of ${q(table)}.${c}`);
      if (change.comment !== undefined) {
        const sql = `COMMENT ON COLUMN ${q(table)}.${c} IS ${change.comment === null ? 'NULL' : literal(change.comment)}`;
        steps.push(tx(sql, `${change.comment === null ? 'remove the comment of' : 'comment'} ${q(table)}.${c}`, instant('SHARE UPDATE EXCLUSIVE', table), [table]));
      }
      return atomic(steps);
    },

    swapColumns(spec) {
      const { table } = spec;
      const steps: Step[] = [saveComments(table, tx), ...spec.dropTrigger];
      for (const name of spec.dropIndexes) {
        // An index a UNIQUE constraint owns goes with the constraint (PostgreSQL refuses DROP INDEX of it); its copy adopts the name again below.
        const owner = model.table(table)?.indexes.find((i) => i.name === name)?.constraint;
        steps.push(...(owner ? ddl.dropConstraint(table, owner) : [tx(`DROP INDEX IF EXISTS ${q(name)}`, `drop index ${q(name)}`, instant('ACCESS EXCLUSIVE', table), [table])]));
      }
      for (const name of [...spec.dropForeignKeys, ...spec.dropChecks]) steps.push(...ddl.dropConstraint(table, name));
      // Other tables' keys referencing the columns hang on their key's index: gone first, back (NOT VALID) once the new key stands.
      for (const k of spec.referencing ?? []) steps.push(...ddl.dropConstraint(k.table, k.name));
      const keyswap = { tx, q, literal, instant };
      const olds = spec.columns.map((col) => model.table(table)?.columns.find((x) => x.name === col.column));
      for (const [i, col] of spec.columns.entries()) {
        if (olds[i]) steps.push(...beforeDrop(keyswap, table, olds[i]!, i));
        // The column's grants as they are now (the shadow took them at expand; a GRANT or REVOKE since then counts).
        const grants = carryColumnGrants(table, col.column, col.shadow, { replace: true });
        steps.push(tx(grants, `give ${q(table)}.${q(col.shadow)} exactly the column privileges ${q(col.column)} has now`, `none on ${q(table)} (catalog only)`, [table]));
        steps.push(...ddl.dropColumn(table, col.column));
        const sql = `ALTER TABLE ${q(table)} RENAME COLUMN ${q(col.shadow)} TO ${q(col.column)}`;
        steps.push(tx(sql, `${q(table)}.${q(col.shadow)} takes the place and name of ${q(col.column)}`, instant('ACCESS EXCLUSIVE', table), [table]));
        if (olds[i]) steps.push(...afterRename(keyswap, table, olds[i]!, col.type, i));
      }
      for (const r of spec.renameIndexes) steps.push(...(r.attached ? ddl.renameConstraint(table, r.from, r.constraint!) : r.constraint ? ddl.addUniqueUsingIndex(table, r.constraint, r.from) : ddl.renameIndex(table, r.from, r.to)));
      // The replica identity's index went with its column, leaving REPLICA IDENTITY INDEX over none (every UPDATE fails under a publication): its copy takes it over.
      const identity = model.table(table)?.replicaIdentity;
      if (identity?.type === 'index' && spec.renameIndexes.some((r) => r.to === identity.index)) steps.push(...ddl.setReplicaIdentity!(table, identity));
      // So does the CLUSTER ON mark (which index a bare CLUSTER orders the table by): catalog only.
      const clustered = model.table(table)?.indexes.find((i) => i.clustered && spec.renameIndexes.some((r) => r.to === i.name));
      if (clustered) steps.push(tx(`ALTER TABLE ${q(table)} CLUSTER ON ${q(clustered.name)}`, `mark ${q(table)} to be clustered on ${q(clustered.name)} again (catalog only)`, instant('SHARE UPDATE EXCLUSIVE', table), [table]));
      // The primary key went with its column: the unique copy over the shadow (NOT NULL already) becomes it, under its name.
      if (spec.primaryKey) steps.push(...ddl.addPrimaryKeyUsingIndex(table, spec.primaryKey.name, spec.primaryKey.index, [], undefined));
      for (const k of spec.referencing ?? []) steps.push(...ddl.addForeignKey(k));
      steps.push(...(spec.readdFirst ?? []), ...(spec.readd ?? []), restoreComments(table, tx));
      // One transaction: no write ever sees the column without its shadow kept in step.
      return atomic(steps);
    },

    shadowKeyIssues: (spec) => pgShadowKeyIssues(spec),
    cutOverIssue: () => null,
    handOverSequence: (table, from, to, type) => handOverSequence({ tx, q, literal, instant }, table, from, to, type),

    letWritesOmit() {
      return []; // the columns xc adds are nullable here, and a rollback is one transaction
    },

    carryAttributes(table, column) {
      // Beyond type, nullability and default, a PostgreSQL column has its comment and its settings (statistics target,
      // options, and for its type only, its storage and compression: a new type keeps its own). Compression applies to the
      // values written from then on: those the backfill copied keep the server's default until they are next written.
      const comment = column.comment ? [tx(`COMMENT ON COLUMN ${q(table)}.${q(column.name)} IS ${literal(column.comment)}`, `give ${q(table)}.${q(column.name)} the comment of the column it replaces`, instant('SHARE UPDATE EXCLUSIVE', table), [table])] : [];
      const settings = (column.settings ?? []).filter((x) => x.forType === undefined || x.forType === column.type);
      if (settings.length === 0) return comment;
      const sql = `ALTER TABLE ${q(table)} ${settings.map((x) => `ALTER COLUMN ${q(column.name)} ${x.sql}`).join(', ')}`;
      const storage = settings.some((x) => x.forType !== undefined);
      return [...comment, tx(sql, `give ${q(table)}.${q(column.name)} the settings of the column it replaces (${settings.map((x) => x.sql).join(', ')})`, instant(storage ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', table), [table])];
    },

    carryColumnPrivileges(table, from, to) {
      return [tx(carryColumnGrants(table, from, to), `give ${q(table)}.${q(to)} the column privileges of ${q(from)} (GRANTs on that column alone)`, `none on ${q(table)} (catalog only)`, [table])];
    },

    refillAfterTriggers() {
      return []; // nothing is filled before the triggers here
    },

    fillBeforeTriggers() {
      // Measured slower here than a backfill under the skipped triggers (Ddl.fillBeforeTriggers says why): none.
      return [];
    },

    raw(sql, description) {
      // Read by its tokens: a word in a literal, a quoted name or a comment is no keyword. A statement PostgreSQL refuses
      // inside a transaction block runs alone (plan refuses one among several, pgRawSqlIssue); any other text commits with its journal row.
      const statements = pgStatements(sql);
      const transactional = !statements.some((st) => outsideTransaction(st) !== undefined);
      const step: Step = { sql, description, lock: 'as the author wrote it (not analysed)', transactional, tables: [] };
      const build = statements.length === 1 ? concurrentIndexBuild(statements[0]!) : undefined;
      if (!build?.name || !concurrentIndexes) return step;
      // A named CREATE INDEX CONCURRENTLY: an attempt stopped by a lock timeout (or xc's death) leaves an INVALID index of
      // that name, which the next attempt would fail on. As for xc's own builds: that leftover is dropped first, a build
      // still going on in the server is waited for, and after a crash a valid index of that name is the statement done.
      const rel = `to_regclass(${literal(build.table)})`;
      const schema = build.table.includes('.') ? `${build.table.slice(0, build.table.lastIndexOf('.'))}.` : '';
      return {
        ...step,
        lock: `SHARE UPDATE EXCLUSIVE on ${build.table} (reads and writes continue; scans the table, waits for older transactions)`,
        tables: build.tableName !== undefined ? [build.tableName] : [],
        probe: `SELECT EXISTS(${validIndexOn(rel, build.name)}) AS done`,
        present: `SELECT EXISTS(${anyIndexOn(rel, build.name)}) AS done`,
        cleanup: `DROP INDEX CONCURRENTLY IF EXISTS ${schema}${q(build.name)}`,
        inProgress: buildsOn(rel),
      };
    },
  };
  return ddl;
}

/** ` DEFERRABLE [INITIALLY DEFERRED]`, or nothing for a constraint checked at each statement. */
function timingClause(t: { deferrable?: boolean; initiallyDeferred?: boolean } | undefined): string {
  if (!t?.deferrable && !t?.initiallyDeferred) return '';
  return ` DEFERRABLE${t.initiallyDeferred ? ' INITIALLY DEFERRED' : ''}`;
}

/** The statement pg_get_indexdef would print for an index the model holds as facts only (projected, not yet read from the catalog). */
export function indexDefinition(index: IndexModel, table: string): string {
  const where = index.where === undefined ? '' : ` WHERE (${index.where})`;
  const include = index.include?.length ? ` INCLUDE (${index.include.map(quotePg).join(', ')})` : '';
  const params = index.storageParameters ? ` WITH (${index.storageParameters.trim()})` : '';
  return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quotePg(index.name)} ON ${quotePg(table)} USING ${index.method ?? 'btree'} (${indexKeys(index, quotePg)})${include}${params}${where}`;
}

/** The key list: each column or (expression), then COLLATE, operator class, ASC/DESC, NULLS FIRST/LAST. */
export function indexKeys(o: { columns: string[]; keys?: IndexKey[] }, quote: (id: string) => string): string {
  const dotted = (name: string) => name.split('.').map(quote).join('.');
  const key = (k: IndexKey) =>
    [k.expression !== undefined ? `(${k.expression})` : quote(k.column!), k.collate && `COLLATE ${dotted(k.collate)}`, k.opclass && dotted(k.opclass), k.sort?.toUpperCase(), k.nulls && `NULLS ${k.nulls.toUpperCase()}`].filter(Boolean).join(' ');
  return (o.keys ?? o.columns.map((column) => ({ column }))).map(key).join(', ');
}

/**
 * Turn a `pg_get_indexdef` text into a statement building the same index
 * under a new name, on `table`, with `fromColumn` replaced by `toColumn`
 * (already quoted; a reference to the column, never a literal, a cast's type,
 * a collation or a function name: sqltext.ts).
 */
export function rewriteIndexDefinition(
  definition: string,
  o: { name: string; table: string; concurrently: boolean; fromColumn: string; toColumn: string; row: string },
): string {
  const tokens = pgTokens(definition);
  const using = tokens.findIndex((t) => t.kind === 'word' && /^using$/i.test(t.text));
  if (using < 0) throw new Error(`cannot read index definition: ${definition}`);
  const unique = /^\s*CREATE\s+UNIQUE\s/i.test(definition);
  // From the key list on: the method before it is no column.
  const keys = tokens.findIndex((t, i) => i > using && t.text === '(');
  const text = (ts: typeof tokens) => ts.map((t) => t.text).join('');
  // pg_get_indexdef writes every column bare; an index of the plan keeps its file's `t.col` (campaign AJ: lost at contract).
  const rewritten = keys < 0 ? text(tokens.slice(using)) : text(tokens.slice(using, keys)) + replaceIdentifier(tokens.slice(keys), o.fromColumn, o.toColumn, { ...PG_IDENTIFIERS, quote: () => o.toColumn }, o.row);
  const head = `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${o.concurrently ? 'CONCURRENTLY ' : ''}${o.name} ON ${o.table} `;
  return head + rewritten;
}

/**
 * Whether PostgreSQL changes a column of type `from` to `to` in the catalog
 * only (binary-coercible, ATColumnChangeRequiresRewrite says no rewrite):
 * varchar widened or unbounded, varchar ↔ text, numeric precision up with
 * the same scale or unconstrained. Everything else rewrites the table.
 */
export function pgCatalogOnlyType(from: string, to: string): boolean {
  const norm = (t: string) => t.trim().toLowerCase().replace(/\s+/g, ' ').replace(/^varchar\b/, 'character varying');
  const a = norm(from);
  const b = norm(to);
  const varchar = (t: string) => /^character varying(?:\s*\(\s*(\d+)\s*\))?$/.exec(t);
  const va = varchar(a);
  const vb = varchar(b);
  if (va && (b === 'text' || (vb && (vb[1] === undefined || (va[1] !== undefined && Number(vb[1]) >= Number(va[1])))))) return true;
  if (a === 'text' && vb && vb[1] === undefined) return true;
  const numeric = (t: string) => /^(?:numeric|decimal)(?:\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/.exec(t);
  const na = numeric(a);
  const nb = numeric(b);
  if (na && nb) {
    if (nb[1] === undefined) return true;
    return na[1] !== undefined && Number(nb[1]) >= Number(na[1]) && Number(nb[2] ?? 0) === Number(na[2] ?? 0);
  }
  return false;
}

/**
 * A constant default as the catalog spells it (`'USER'::"Role"`, `'x'::character varying`) made text: the literal
 * alone, which a text column takes as it is. A cast would keep the old type a dependency of the column, and a
 * `DROP TYPE` after an enum → text change (Prisma's) fail at contract. Undefined for anything else.
 */
function textLiteralDefault(expr: string, type: string): string | undefined {
  const m = /^('(?:[^']|'')*')::("(?:[^"]|"")+"|[a-z_][\w.]*(?: [a-z_]+)*)$/i.exec(expr.trim());
  const [literal, from] = [m?.[1], m?.[2]];
  const text = /^\s*(?:text|varchar|character varying)\s*(?:\(\s*(\d+)\s*\))?\s*$/i.exec(type);
  if (literal === undefined) return undefined;
  // An unbounded text literal converts to any other type by that type's input, as the literal itself reads:
  // `'DRAFT'::"PostStatus"`, as Prisma writes it, not `('DRAFT'::text)::"PostStatus"` (campaign CR: drift to
  // \`prisma migrate diff\`). Not from bpchar, whose cast to text drops trailing blanks; not where the input reads the
  // clock or the search_path when the default is made ('now', 'today', a reg* type), which the cast reads on each insert.
  const readsWhenMade = /^'\s*(now|today|tomorrow|yesterday)\s*'$/i.test(literal) || /^\s*"?reg/i.test(type);
  if (!text) return /^(text|character varying)$/i.test(from ?? '') && !readsWhenMade ? `${literal}::${type}` : undefined;
  const length = [...literal.slice(1, -1).replace(/''/g, "'")].length;
  return text[1] === undefined || length <= Number(text[1]) ? literal : undefined;
}
