/** Checks and helpers shared by the operations. */
import { caseNote, sameName, type NameRules } from '../dialects/names.js';
import type { IndexModel, SchemaModel, TableModel } from '../schema/model.js';
import type { Dialect } from '../dialects/dialect.js';
import type { ExpressionCheck } from '../plan/index.js';
import type { SyncedColumns, ValidateContext, ValidationIssue } from './types.js';

/**
 * `public.users` (Hasura's and pgroll's qualified names): a table name is one name, its schema given apart (campaign M).
 * Where the schema is another than the one searched, "write users" alone would name this schema's table of that name
 * (campaign ED: a twin in `app` for `billing.users`): the way is --schema.
 */
function qualifiedNameHint(model: SchemaModel, table: string): string {
  const [, schema, bare] = /^([^.]+)\.([^.]+)$/.exec(table) ?? [];
  if (schema === undefined || bare === undefined) return '';
  const here = model.namespace;
  const elsewhere = `for "${schema}"'s, write "${bare}" and give --schema ${schema} (MySQL/MariaDB: the database of the URL)`;
  if (!model.table(bare)) return schema === here ? '' : `; names are not qualified: ${elsewhere}`;
  if (schema === here || here === undefined) return `; names are not qualified: write "${bare}" (on PostgreSQL, the schema of the tables is --schema)`;
  return `; names are not qualified: "${bare}" is the table${model.searched}; ${elsewhere}`;
}

/**
 * The table an operation names, when xc's online steps can change it; an issue otherwise. `toDrop`: dropTable, which
 * runs no online step, only a DROP TABLE at contract, takes a table of any engine. `noAlter`: the operation runs no
 * ALTER TABLE that adds or changes a column or index of it (a DROP INDEX, a RENAME TABLE, a foreign key's parent).
 */
export function requireTable(model: SchemaModel, table: string, path: (string | number)[], issues: ValidationIssue[], { toDrop = false, noAlter = false } = {}): TableModel | undefined {
  const t = model.table(table);
  const before = issues.length;
  const qualified = t ? '' : qualifiedNameHint(model, table);
  if (!t) issues.push({ path, code: 'table_missing', table, message: `table "${table}" does not exist${model.searched}${qualified}${qualified ? '' : otherSpelling(model.tables.keys(), table, (found) => `table "${found}" does`, [...model.tables.values()].filter((x) => x.kind === 'table').map((x) => x.name))}` });
  else if (t.kind !== 'table') issues.push({ path, code: 'not_a_table', table, message: `"${table}" is a view, not a table` });
  else if (t.systemVersioned) {
    // Even its DROP TABLE: the step's probe looks for a base table, finds none, and would take the drop as done.
    issues.push({
      path, code: 'table_versioned', table,
      message: `"${table}" is a system-versioned table (WITH SYSTEM VERSIONING), which xc does not support: the backfill would write a history row for every row it rewrites, and the server refuses to change its columns while system_versioning_alter_history is ERROR — change it with \`sql\` operations`,
    });
  } else if (t.engine !== undefined && !/^innodb$/i.test(t.engine) && !toDrop) {
    // ALGORITHM=INPLACE, LOCK=NONE fails on it at the first step, and a backfill batch could not commit with its cursor.
    issues.push({
      path, code: 'table_engine', table, engine: t.engine,
      message: `"${table}" uses the ${t.engine} storage engine, not InnoDB: xc needs transactions (each backfill batch commits with its cursor) and online DDL (ALGORITHM=INPLACE, LOCK=NONE), which it does not have — convert the table first (ALTER TABLE … ENGINE=InnoDB, which copies it under a write lock), or change it with \`sql\` operations`,
    });
  } else if (t.hashKeys?.length && !toDrop && !noAlter) {
    // Every INSTANT/INPLACE/NOCOPY ALTER of the table fails there, half-way through an apply (or at a contract, after the gate).
    const key = t.hashKeys[0]!;
    issues.push({
      path, code: 'table_long_unique', table, index: key,
      message: `"${table}" has the unique key "${key}", which MariaDB keeps as a hidden hash column (over a whole TEXT/BLOB column, or past 3072 bytes): the server then refuses every online ALTER of the table (ALGORITHM=INPLACE or INSTANT) — make the key one over a prefix or a shorter column first (ALTER TABLE … ALGORITHM=COPY, under a write lock), or change the table with \`sql\` operations`,
    });
  } else if (t.withoutOverlaps !== undefined && !toDrop && !noAlter) {
    // Found by campaign J: an addColumn passed plan, and its ADD COLUMN … ALGORITHM=INSTANT failed at apply.
    issues.push({
      path, code: 'table_copy_only', table, index: t.withoutOverlaps,
      message: `"${table}" has the key "${t.withoutOverlaps}" over an application-time period (WITHOUT OVERLAPS): MariaDB then changes the table only by copying it (ALGORITHM=COPY, under a write lock), and refuses every online ALTER of it — change the table with \`sql\` operations, in a maintenance window`,
    });
  } else if (t.partitioned) {
    // CREATE INDEX CONCURRENTLY and a partitioned table's NOT VALID foreign keys fail there, half-way through an apply.
    issues.push({ path, code: 'table_partitioned', table, message: `"${table}" is a partitioned table, which xc's online steps do not cover: change it with \`sql\` operations — an index partition by partition (CREATE INDEX … ON ONLY, then each partition's CONCURRENTLY, attached); a column's rename or type on the partitioned table itself, which changes every partition (its type rewrites each under an ACCESS EXCLUSIVE lock)` });
  } else if (t.partitionOf !== undefined) {
    // Its columns are the partitioned table's: adding, renaming or retyping one fails there, half-way through an apply.
    issues.push({ path, code: 'table_partitioned', table, message: `"${table}" is a partition of "${t.partitionOf}", whose columns and keys it shares, which xc's online steps do not cover: change it with \`sql\` operations` });
  }
  return issues.length === before ? t : undefined;
}

/**
 * Refused: a dual-write trigger, a backfill or a column changed in place on a table in an inheritance tree
 * (PostgreSQL `INHERITS`). The trigger fires only for rows of the table it is on, so a write made straight into a
 * child is never synced, while the backfill's queries of the parent read and rewrite the children's rows too — the
 * verify would then send to `xc backfill`, which overwrites what the new version wrote there.
 */
export function inheritanceIssue(t: TableModel | undefined, path: (string | number)[]): ValidationIssue | null {
  if (!t || (!t.inheritedBy && !t.inheritsFrom)) return null;
  const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
  const message = t.inheritedBy
    ? `"${t.name}" has inheritance children (${list(t.inheritedBy)}, INHERITS): xc's triggers act on one table's rows, so a write made straight into a child would not be kept in step, while the backfill's queries of "${t.name}" rewrite the children's rows too — change it with \`sql\` operations, or detach the children first (ALTER TABLE … NO INHERIT "${t.name}")`
    : `"${t.name}" inherits from ${list(t.inheritsFrom!)} (INHERITS), which shares its inherited columns and whose queries read and write its rows: xc's triggers, backfill and column copies act on one table only — change it with \`sql\` operations, or detach it first (ALTER TABLE "${t.name}" NO INHERIT …)`;
  return { path, code: 'table_inherited', table: t.name, message };
}

/**
 * Refused too: a type or NOT NULL changed in the catalog alone (alterColumn in place) that reaches past the table.
 * On a parent PostgreSQL makes the change on every child as well, whose views, keys and checks xc does not read
 * (a view over a child's column, a child's primary key over it, would fail the contract); an inherited column of a
 * child changes only with its parent's. A comment or a default stays the table's own.
 */
export function inheritedColumnIssue(model: SchemaModel, t: TableModel | undefined, column: string, what: string, path: (string | number)[]): ValidationIssue | null {
  const parent = t?.inheritsFrom?.find((p) => model.table(p)?.columns.some((c) => c.name === column));
  if (!t || (!t.inheritedBy && parent === undefined)) return null;
  const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
  const message = t.inheritedBy
    ? `"${t.name}" has inheritance children (${list(t.inheritedBy)}, INHERITS), on each of which PostgreSQL makes ${what} too, and whose views, keys and checks over the column xc does not read (one would fail the contract) — change it with \`sql\` operations, or detach the children first (ALTER TABLE … NO INHERIT "${t.name}")`
    : `"${t.name}"."${column}" is inherited from "${parent}" (INHERITS), whose definition it shares: ${what} is made on "${parent}", which PostgreSQL makes on its children too — change it with \`sql\` operations`;
  return { path, code: 'table_inherited', table: t.name, message };
}

export function requireColumn(t: TableModel | undefined, column: string, path: (string | number)[], issues: ValidationIssue[]): void {
  if (t && !t.columns.some((c) => c.name === column)) issues.push({ path, code: 'column_missing', table: t.name, column, message: `table "${t.name}" has no column "${column}"${otherSpelling(t.columns.map((c) => c.name), column, (found) => `it has "${found}"`)}` });
}

/**
 * Where a name not found differs from one there in case only (a Prisma `"User"` written `user`): xc matches names as
 * written (PostgreSQL's quoted names are; MySQL's columns are not, where xc is stricter than the server) — said, with
 * the name to write (campaign BB: only "does not exist" was said). Else, where one of `suggestible` is a typo away, it.
 */
function otherSpelling(names: Iterable<string>, wanted: string, there: (found: string) => string, suggestible: Iterable<string> = names): string {
  const all = [...names];
  const found = all.find((n) => n !== wanted && n.toLowerCase() === wanted.toLowerCase());
  if (found !== undefined) return `; ${there(found)}, differing in case only: name it as it is written there`;
  // A typo (campaign CC: `custmer_id`): the one name within an edit (two, for names of more than four letters), where
  // exactly one is that close — never one of xc's own (a shadow column), nor a view for a table (campaign CI).
  const near = [...suggestible].filter((n) => !XC_OBJECT.test(n) && editDistance(n.toLowerCase(), wanted.toLowerCase()) <= (wanted.length > 4 ? 2 : 1));
  return near.length === 1 ? `; did you mean "${near[0]}"?` : '';
}

/** The shape of objectName's names (dialects/names.ts): xc's own columns, triggers and indexes. */
const XC_OBJECT = /^xc_[a-z]+\d*_[0-9a-f]{10}$/;

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** `column` is free on `t` as the server compares column names (`rules`: Dialect.names); `from`, the column being renamed to it. */
export function requireNoColumn(t: TableModel | undefined, column: string, path: (string | number)[], issues: ValidationIssue[], rules: NameRules, from?: string): void {
  const existing = t?.columns.find((c) => sameName(c.name, column, rules))?.name;
  if (!t || existing === undefined) return;
  const message =
    existing === from
      ? `"${column}" is the name of "${from}" itself: this server ignores case in column names, so xc cannot copy the column to it; change only the case with a \`sql\` operation (ALTER TABLE … RENAME COLUMN)`
      : `table "${t.name}" already has a column "${existing}"${caseNote(existing, column, 'column')}`;
  issues.push({ path, code: 'column_exists', table: t.name, column, message });
}

/**
 * Columns xc cannot copy online: primary-key members, identity/generated columns, FK targets of other tables.
 * `inCatalog`: the column is not copied but changed in the catalog alone, so a primary key keeps it, and its index.
 */
export function refuseUncopyable(model: SchemaModel, t: TableModel | undefined, column: string, path: (string | number)[], issues: ValidationIssue[], inCatalog = false): void {
  if (!t) return;
  const col = t.columns.find((c) => c.name === column);
  if (!col) return;
  if (t.primaryKey.includes(column) && !inCatalog) issues.push({ path, code: 'key_column', table: t.name, column, message: `"${t.name}"."${column}" is part of the primary key; changing a key column online is not supported (add a new column and switch the key in a later migration)` });
  if (col.generated) issues.push({ path, code: 'generated_column', table: t.name, column, message: `"${t.name}"."${column}" is an identity or generated column; it cannot be copied online` });
  issues.push(...tiedColumnIssues(t, [column], path));
  for (const other of model.tables.values()) {
    for (const fk of other.foreignKeys) {
      if (fk.refTable === t.name && fk.refColumns.includes(column)) {
        issues.push({ path, code: 'referenced', table: t.name, column, foreignKey: fk.name, referencing: other.name, message: `"${t.name}"."${column}" is referenced by foreign key "${fk.name}" of "${other.name}"; drop that key first (dropConstraint, in an earlier migration) and make it again over the new column in a later one (addForeignKey): applied together, the new key is there from its expand, before the old one goes at contract` });
      }
    }
  }
}

/** The foreign keys of any table referencing exactly `columns` of `table` (a key's): what keeps that key from a drop. */
export function keyReferences(model: SchemaModel, table: string, columns: string[]): { name: string; referencing: string }[] {
  const same = (cols: string[]) => cols.length === columns.length && cols.every((c) => columns.includes(c));
  return [...model.tables.values()].flatMap((other) => other.foreignKeys.filter((fk) => fk.refTable === table && same(fk.refColumns)).map((fk) => ({ name: fk.name, referencing: other.name })));
}

/**
 * A copy's (renameColumn, alterColumn with `to`) exclusion constraint over the column: the copy of its index over the
 * new column would be a plain index, and no exclusion constraint can be made of one at contract (campaign T: the
 * contract failed there, "is not a unique index", left `contracting`).
 */
export function copiedExclusionIssues(t: TableModel | undefined, column: string, path: (string | number)[]): ValidationIssue[] {
  return (t?.indexes ?? [])
    .filter((i) => i.exclusion && i.columns.includes(column))
    .map((i) => ({
      path, code: 'unsupported' as const, table: t!.name, column, feature: 'exclusion',
      message: `exclusion constraint "${i.constraint ?? i.name}" covers "${column}": a copy of the column cannot carry it (its index over the new column could not become an exclusion constraint at contract) — drop it first (dropConstraint), and add it again over the new column in a migration after this one is contracted`,
    }));
}

/**
 * A column the server ties to something no copy or shadow can take over (ColumnModel.tiedTo): the contract's drop of
 * it was refused every run (MariaDB: "Can't DROP CONSTRAINT `p`. Use DROP PERIOD `p`"), left `contracting` (campaign J).
 */
export function tiedColumnIssues(t: TableModel | undefined, columns: string[], path: (string | number)[]): ValidationIssue[] {
  return (t?.columns ?? [])
    .filter((c) => columns.includes(c.name) && c.tiedTo)
    .map((c) => ({
      path, code: 'unsupported' as const, table: t!.name, column: c.name,
      message: `"${t!.name}"."${c.name}" belongs to ${c.tiedTo}, which the server keeps on the column itself: it cannot be renamed, copied, changed through a shadow or dropped online. Drop the period first (a \`sql\` operation: ALTER TABLE … DROP PERIOD FOR …), or change the column in a maintenance window`,
    }));
}

/** Refused for a column copy (renameColumn, alterColumn with `to`): a column whose domain type has a default (ColumnModel.domainDefault). */
export function domainDefaultIssue(t: TableModel | undefined, column: string, path: (string | number)[]): ValidationIssue[] {
  const col = t?.columns.find((c) => c.name === column);
  if (!t || !col?.domainDefault) return [];
  return [{
    path, code: 'unsupported', feature: 'domain_default',
    message: `"${t.name}"."${column}" is of a domain type with a default (${col.domainDefault}), which its copy would get too (and the column has in every row a writer leaves it out of): dual-write could not tell a value one version left out from one it wrote — move the default from the domain to the column first (ALTER DOMAIN … DROP DEFAULT, then the column's own DEFAULT: a \`sql\` operation in an earlier migration)`,
  }];
}

/**
 * The indexes of `t` that name any of `columns` — as a key, in INCLUDE, in an expression or a predicate — the primary
 * key's among them: those a copy or a shadow of the columns builds again over the new column.
 */
export function indexesNaming(dialect: Dialect, t: TableModel, columns: string[]): IndexModel[] {
  const names = (sql: string | undefined) => sql !== undefined && dialect.columnsNamed(sql, t.name, columns).length > 0;
  const any = (list: string[] | undefined) => !!list?.some((c) => columns.includes(c));
  return t.indexes.filter((i) => any(i.columns) || any(i.include) || names(i.where) || names(i.definition) || !!i.keys?.some((k) => names(k.expression)));
}

export function columnsOf(t: TableModel | undefined, extra: { name: string; type: string }[] = []): { name: string; type: string; collation?: string }[] {
  return [...(t?.columns.map((c) => ({ name: c.name, type: c.type, ...collationOf(t, c) })) ?? []), ...extra];
}

/** The collation a column's text compares by, where the catalog says: its own (the clause's COLLATE), else its table's (MySQL). */
function collationOf(t: TableModel, c: TableModel['columns'][number]): { collation?: string } {
  const collation = (c.collation && /\bCOLLATE\s+(\S+)/i.exec(c.collation)?.[1]) || t.collation;
  return collation ? { collation } : {};
}

/** An expression check, or none when the expression has no variant for this dialect (reported separately). */
export function exprCheck(path: (string | number)[], table: string, sql: string | undefined, columns: { name: string; type: string }[], castTo?: string): ExpressionCheck[] {
  return sql === undefined ? [] : [{ path, table, sql, columns, castTo }];
}

/** What a dual-write trigger touches: its own columns and every column of the table its expressions read. */
export function triggerColumns({ model, dialect }: Pick<ValidateContext, 'model' | 'dialect'>, table: string, own: string[], exprs: (string | undefined)[]): SyncedColumns {
  const names = model.table(table)?.columns.map((c) => c.name) ?? [];
  // `own`: the columns it writes (a shadow of an own column counts as that column); the expressions' others it only reads.
  return { table, columns: [...own, ...exprs.flatMap((e) => (e === undefined ? [] : dialect.columnsNamed(e, table, names)))], writes: own };
}

/** NULL allowed in a column of the replica identity's index (PostgreSQL refuses it: the identity would be lost), or null. */
export function replicaIdentityIssue(t: TableModel | undefined, column: string, path: (string | number)[]): ValidationIssue | null {
  const index = t?.replicaIdentity?.type === 'index' ? t.indexes.find((i) => i.name === t.replicaIdentity!.index) : undefined;
  if (!t || !index?.columns.includes(column)) return null;
  return {
    path, code: 'replica_identity', table: t.name, column, index: index.name,
    message: `"${t.name}"."${column}" is a column of "${index.name}", the table's replica identity, which needs it NOT NULL; set another replica identity first (setReplicaIdentity)`,
  };
}

/**
 * Refused: `what` removes an index the engine clusters `t` by in place of a primary key (Dialect.implicitClusterKeys),
 * those `affects` picks. The server changes the clustered key only by copying the table under a write lock
 * (MySQL/MariaDB 1846 "Dropping a primary key is not allowed…" for NOCOPY and INPLACE): the step would fail half-way
 * through the migration, a contract's after it dropped the triggers.
 */
export function clusterKeyIssues(dialect: Pick<Dialect, 'implicitClusterKeys'>, t: TableModel | undefined, affects: (i: IndexModel) => boolean, what: string, path: (string | number)[]): ValidationIssue[] {
  if (!t) return [];
  const keys = dialect.implicitClusterKeys(t);
  return keys.filter(affects).map((i) => {
    const others = keys.filter((k) => k !== i).map((k) => `"${k.name}"`);
    const by = others.length > 0 ? `one of the unique indexes InnoDB may cluster "${t.name}" by (with ${others.join(', ')}: the first of them)` : `the unique index InnoDB clusters "${t.name}" by`;
    return {
      path, code: 'cluster_key', table: t.name, index: i.name,
      message: `${what} "${i.name}", ${by} as it has no primary key: the server changes a clustered key only by copying the table under a write lock, so this cannot be done online. Give "${t.name}" a primary key first, in an earlier migration (createConstraint type primary_key); its unique indexes then drop online`,
    };
  });
}

/**
 * Refused: a unique index xc would build online that the server cannot build so (Dialect.indexKeyIssue), failing
 * the step half-way through an apply. `types`: the columns whose type is not the table's yet (a new column, the new
 * type of a copy or shadow).
 */
export function uniqueIndexIssues(dialect: Pick<Dialect, 'indexKeyIssue'>, t: TableModel | undefined, index: IndexModel, types: Record<string, string>, path: (string | number)[], what = `unique index "${index.name}"`): ValidationIssue[] {
  if (!t || !index.unique || index.primary) return [];
  const problem = dialect.indexKeyIssue(t, index, (c) => types[c] ?? t.columns.find((x) => x.name === c)?.type);
  if (problem === null) return [];
  return [{ path, code: 'unsupported', feature: 'long_unique', message: `${what} of "${t.name}" cannot be built online: ${problem}. Make the column a VARCHAR short enough for the key (varchar(255) and the like), or the index not unique` }];
}

/** Refused: an index that is not unique the server refuses to build (Dialect.indexKeyIssue: longer than its longest key). */
export function plainIndexIssues(dialect: Pick<Dialect, 'indexKeyIssue'>, t: TableModel | undefined, index: IndexModel, path: (string | number)[]): ValidationIssue[] {
  if (!t || index.unique) return [];
  const problem = dialect.indexKeyIssue(t, index, (c) => t.columns.find((x) => x.name === c)?.type);
  return problem === null ? [] : [{ path, code: 'unsupported', feature: 'long_key', message: `index "${index.name}" of "${t.name}" cannot be built: ${problem}` }];
}

/**
 * Refused: a step changing `column` of `t` between NULL and NOT NULL (`toNotNull`) — in its expand, contract or
 * rollback — that the server cannot take online (Dialect.nullabilityIssue): it would fail there, after the plan passed,
 * a rollback for ever (no way out). `when`: which phase needs it, for the message.
 */
export function nullabilityIssues(dialect: Pick<Dialect, 'nullabilityIssue'>, t: TableModel | undefined, column: string, type: string | undefined, toNotNull: boolean, when: string, path: (string | number)[], addedNotNull = false): ValidationIssue[] {
  if (!t) return [];
  const problem = dialect.nullabilityIssue(t, column, type ?? t.columns.find((c) => c.name === column)?.type ?? '', toNotNull, addedNotNull);
  return problem === null ? [] : [{ path, code: 'unsupported', feature: 'online_nullability', message: `${when}: ${problem}` }];
}

/**
 * Refused: `column` of `t` made NOT NULL under a foreign key that sets it NULL. MySQL/MariaDB refuse such a key: DJ's
 * cut-over dropped it, failed to add it back, and stayed `contracting` with no key at all. PostgreSQL takes it and
 * fails the action when it runs: after DR's contract, 5,673 deletes of parents failed, the new version's too.
 */
export function setNullKeyIssues(dialect: Pick<Dialect, 'setNullKeysNeedNullable' | 'keyActionChange'>, t: TableModel | undefined, column: string, path: (string | number)[]): ValidationIssue[] {
  if (!t) return [];
  const setsNull = (action: string | null | undefined) => /^set\s+null\b/i.test(action ?? '');
  return t.foreignKeys
    .filter((fk) => fk.columns.includes(column) && ((setsNull(fk.onDelete) && (fk.onDeleteColumns ?? fk.columns).includes(column)) || setsNull(fk.onUpdate)))
    .map((fk) => {
      const on = [...(setsNull(fk.onDelete) ? ['DELETE'] : []), ...(setsNull(fk.onUpdate) ? ['UPDATE'] : [])];
      const what = on.map((o) => (o === 'DELETE' ? 'delete' : 'key update')).join(' or ');
      const fails = dialect.setNullKeysNeedNullable
        ? 'which the server refuses over a NOT NULL column'
        : `which fails over a NOT NULL column: once it is NOT NULL, every ${what} of a "${fk.refTable}" row that rows here reference fails, the new version's too`;
      // NO ACTION, not RESTRICT: a DEFERRABLE key keeps its deferred check (PostgreSQL checks RESTRICT at once).
      const change = dialect.keyActionChange(t.name, fk, { onDelete: setsNull(fk.onDelete) ? 'no action' : fk.onDelete, onUpdate: setsNull(fk.onUpdate) ? 'no action' : (fk.onUpdate ?? null) });
      const first = 'in an earlier migration applied on its own before this one is planned (`xc apply <its id>`, then `xc apply`: plan reads the database as it is)';
      const way =
        change === null
          ? `give the key another action first: an earlier migration with \`addForeignKey\` (the same columns and parent, another name, ON ${on.join('/')} NO ACTION, its other action as it is) and \`dropConstraint\` of "${fk.name}", contracted before this one is planned`
          : `give the key another action first, ${first} — made NO ACTION (a referenced "${fk.refTable}" row is then not ${on.map((o) => (o === 'DELETE' ? 'deleted' : 're-keyed')).join(' or ')}; CASCADE would delete or rewrite the rows instead), online, with ${change.sql.length === 1 ? 'this statement as a `sql` operation' : 'each of these statements as a `sql` operation'}${change.name === fk.name ? '' : ` (the key comes back as "${change.name}": the server takes no key of the old name in the same statement — a \`renameConstraint\` in a later migration gives it back)`}:\n${change.sql.map((st) => `      ${st}`).join('\n')}`;
      return {
        path, code: 'unsupported', feature: 'set_null_key', table: t.name, column,
        message: `foreign key "${fk.name}" sets "${t.name}"."${column}" to NULL (${on.map((o) => `ON ${o} SET NULL`).join(', ')}), ${fails}: leave "${column}" nullable, or ${way}`,
      };
    });
}

/** Refused: a copy of a unique index over `column` (a column copy's or a shadow's), its column of `type`, that the server cannot build online. */
export function copiedUniqueIndexIssues(dialect: Pick<Dialect, 'indexKeyIssue'>, t: TableModel | undefined, column: string, type: string, path: (string | number)[]): ValidationIssue[] {
  const unique = t?.indexes.filter((i) => i.unique && !i.primary && i.columns.includes(column)) ?? [];
  return unique.flatMap((i) => uniqueIndexIssues(dialect, t, i, { [column]: type }, path, `the copy of unique index "${i.name}" over "${column}" (of type ${type})`));
}

/**
 * Refused: a unique index over `columns` that would become the key the engine clusters `t` by (no primary key, no
 * other index it clusters by): it is built online, but its rollback could drop it only by copying the table under a
 * write lock.
 */
export function newClusterKeyIssues(dialect: Pick<Dialect, 'implicitClusterKeys'>, t: TableModel | undefined, name: string, columns: string[], path: (string | number)[]): ValidationIssue[] {
  if (!t || dialect.implicitClusterKeys(t).length > 0) return [];
  const index: IndexModel = { name, columns, unique: true, primary: false, constraint: null };
  if (!dialect.implicitClusterKeys({ ...t, indexes: [...t.indexes, index] }).includes(index)) return [];
  return [{
    path, code: 'cluster_key', table: t.name, index: name,
    message: `the unique index "${name}" over NOT NULL columns would become the key InnoDB clusters "${t.name}" by, which has no primary key; a rollback could then drop it only by copying the table under a write lock. Make it the primary key instead (createConstraint type primary_key), or give "${t.name}" a primary key in an earlier migration; a table a createTable makes (a join table) can have the key there from the start: \`primaryKey\`, or \`constraints: [{ type: 'unique', columns: [${columns.map((c) => `'${c}'`).join(', ')}] }]\` (campaign AA: Prisma's many-to-many table)`,
  }];
}

/**
 * A RowCheck violation: the row's key (`outer`, SQL over the row; `inner`, the same as the grouped rows read it) is
 * one another row of `table` shares. Grouped once, in a derived table the server materializes: as `(k) IN (SELECT k
 * FROM t GROUP BY k HAVING count(*) > 1)` MariaDB ran it as a dependent subquery, computing an `up` key N² times
 * (campaign AA: 35 s at 3,000 rows, and a plan stuck for minutes on a real table). The inner table is unaliased:
 * `users.email` in an `up` names the grouped row there, the checked row outside.
 */
export function sharedKeyViolation(q: (name: string) => string, table: string, outer: string[], inner: string[] = outer, where?: string): string {
  const keys = inner.map((_, i) => q(`_xc_k${i}`));
  const grouped = `SELECT ${inner.map((k, i) => `${k} AS ${keys[i]}`).join(', ')} FROM ${q(table)}${where !== undefined ? ` WHERE (${where})` : ''} GROUP BY ${inner.map((_, i) => i + 1).join(', ')} HAVING count(*) > 1`;
  return `(${outer.join(', ')}) IN (SELECT ${keys.join(', ')} FROM (${grouped}) _xc_dups)`;
}
