/**
 * MySQL / MariaDB: a column changed in place (operations/shadow.ts) — the
 * catalog-only change where ALGORITHM=INSTANT takes it, and the cut-over of
 * shadow columns.
 *
 * DDL commits one statement at a time here, so the cut-over holds LOCK
 * TABLES … WRITE on one session around DROP TRIGGER and the one ALTER TABLE
 * that drops each column and renames its shadow (and the index copies) to
 * its name: no writer runs between the trigger's removal and the swap. A
 * process killed in between loses the session, hence the lock, with the
 * trigger maybe gone and the old column still there; writers then reach the
 * column without its shadow. The step, run again (Step.statements), converts
 * under the lock the rows whose shadow disagrees before it swaps: a scan
 * holding the write lock, but only after such an interruption (and, on
 * MariaDB, only when a trigger is in fact gone). The foreign keys over the
 * columns, and a check made over a shadow, are added again before UNLOCK
 * TABLES, so no writer meets the new column without them. The ALTER restates
 * each shadow under the column's name (CHANGE COLUMN: final default, ON
 * UPDATE, COMMENT; MariaDB: the column's place), metadata only. No check over
 * a column is ever without enforcement, even after a kill between these
 * statements: xc's (trigger pairs) are not touched — their bodies name the
 * column, which the shadow becomes (Ddl.keptCheck) —, and the table's own
 * CHECKs, which the ALTER drops, become xc's pairs just before it (readdFirst).
 * Writers must never fail on a shadow:
 * a NOT NULL one without default gets a placeholder default before the step
 * (should it stop after DROP TRIGGER), and a failed ALTER creates the
 * triggers it removed again before the lock goes.
 */
import type { ColumnChange, ColumnSwapSpec } from '../dialect.js';
import { serverStamped, type ColumnModel } from '../../schema/model.js';
import type { Step } from '../../plan/index.js';
import { defaultClause, hiddenColumnDefault, literal, mentioned, quoteMy as q, spatialConstant, withComment } from './expr.js';
import { INPLACE, INSTANT, type MysqlCompiler } from './compiler.js';
import { dropPair } from './triggers.js';
import { referencingStatements } from './keyswap.js';
import { bytesPerCharacter } from './keys.js';
import { setMembers } from './conversions.js';

/** varchar(n), its length and nothing after it (no CHARACTER SET: that would change with a restatement). */
const varcharLength = (type: string) => {
  const m = /^\s*varchar\s*\(\s*(\d+)\s*\)\s*$/i.exec(type);
  return m ? Number(m[1]) : undefined;
};

/**
 * InnoDB stores a varchar's length in 1 byte while its maximum is ≤ 255 bytes
 * (or a value is < 128 bytes), else 2: a widening is INSTANT unless it moves
 * a column of 128–255 bytes past 255. The model does not hold the column's
 * character set, so this must hold for 1 to 4 bytes a character.
 */
export function instantVarcharWidening(from: string, to: string, bytesPerChar?: number): boolean {
  const n = varcharLength(from);
  const m = varcharLength(to);
  if (n === undefined || m === undefined || m < n) return false;
  return (bytesPerChar !== undefined ? [bytesPerChar] : [1, 2, 3, 4]).every((k) => n * k <= 127 || m * k <= 255 || n * k > 255);
}

/** Bytes an ENUM or SET of `n` members takes in a row. */
const memberBytes = (kind: string, n: number) => (kind === 'enum' ? (n <= 255 ? 1 : 2) : n <= 8 ? 1 : n <= 16 ? 2 : n <= 24 ? 3 : n <= 32 ? 4 : 8);

/**
 * An ENUM or SET given members after its last, in the bytes it takes now: InnoDB changes only the catalog (INSTANT;
 * each stored value keeps its number). Members spelled as they are, in their order; nothing after the list (a
 * CHARACTER SET or COLLATE restated goes through a shadow, as any other change).
 */
export function instantMemberAppend(from: string, to: string): boolean {
  const kind = /^\s*(enum|set)\s*\(/i.exec(from)?.[1]?.toLowerCase();
  if (kind === undefined || !new RegExp(`^\\s*${kind}\\s*\\(`, 'i').test(to) || ![from, to].every((t) => /\)\s*$/.test(t))) return false;
  const had = setMembers(from, kind as 'enum' | 'set')!;
  const has = setMembers(to, kind as 'enum' | 'set')!;
  return has.length > had.length && had.every((m, i) => has[i] === m) && memberBytes(kind, has.length) === memberBytes(kind, had.length);
}

/** Bytes a character of a column may take, by its own `CHARACTER SET` clause or its table's collation; undefined where neither says. */
export function charsetBytes(columnCollation: string | undefined, tableCollation: string | undefined): number | undefined {
  const charset = /CHARACTER SET\s+`?(\w+)/i.exec(columnCollation ?? '')?.[1] ?? /^([a-z0-9]+)_/i.exec(tableCollation ?? '')?.[1];
  return charset === undefined ? undefined : bytesPerCharacter(charset);
}

export function alterColumnInCatalog(c: MysqlCompiler, table: string, column: ColumnModel, change: ColumnChange): Step[] {
  const changed: ColumnModel = {
    ...column,
    type: change.type ?? column.type,
    nullable: change.nullable ?? column.nullable,
    default: change.default === undefined ? column.default : change.default,
  };
  const extra = withComment(column.extra ?? c.model.column(table, column.name)?.extra, change.comment);
  // Only the default: SET/DROP DEFAULT, instant wherever the server has it.
  const onlyDefault = change.type === undefined && !change.nullable && change.comment === undefined;
  // NOT NULL → NULL rebuilds the table online on MariaDB 10.11 (INSTANT refuses it); the rest is metadata only.
  const algorithm = change.nullable ? INPLACE : c.f.instantMetadata ? INSTANT : INPLACE;
  const sql = c.alter(table, c.modify(table, { ...changed, extra: extra ?? '' }, changed.nullable), algorithm);
  const what = [
    change.type !== undefined ? `type ${change.type}` : '',
    change.nullable ? 'NULL allowed' : '',
    change.default !== undefined ? (change.default === null ? 'no default' : `default ${change.default}`) : '',
    change.comment !== undefined ? (change.comment === null ? 'no comment' : 'comment') : '',
  ].filter(Boolean);
  const description = `change ${q(table)}.${q(column.name)}: ${what.join(', ')} (${change.nullable ? 'rebuilt online' : 'catalog only: no row rewritten'})`;
  if (onlyDefault) {
    const action = change.default === null ? 'DROP DEFAULT' : `SET DEFAULT ${defaultClause(change.default!)}`;
    return [c.step(c.alter(table, `ALTER COLUMN ${q(column.name)} ${action}`, c.f.instantAddColumn ? INSTANT : INPLACE), description, c.locks.instant(table), [table], undefined)];
  }
  // No probe: restating the same definition again after a crash is harmless.
  return [c.step(sql, description, change.nullable ? c.locks.rebuild(table) : c.metadataLock(table), [table], undefined)];
}

/**
 * A NOT NULL shadow without a default gets one before the cut-over: should it stop between DROP TRIGGER and the
 * ALTER (a crash, or an ALTER that fails), writers omitting the shadow must not fail. The value is converted under the
 * lock by the next attempt (the catch-up above); the ALTER's CHANGE COLUMN removes the default.
 */
function omittable(c: MysqlCompiler, table: string, col: ColumnSwapSpec['columns'][number]): Step {
  // A spatial type's a constant of it: `up` in its place failed every cut-over where it held a subquery or a stored
  // function, which a default may not (campaign EG, left `contracting`).
  const value = hiddenColumnDefault(col.type) ?? spatialConstant(col.type) ?? `(${col.up})`;
  const sql = c.alter(table, `ALTER COLUMN ${q(col.shadow)} SET DEFAULT ${value}`, c.f.instantAddColumn ? INSTANT : INPLACE);
  // Done once the cut-over took the shadow away; before that, setting it again is harmless.
  const probe = c.probes.missing(c.probes.column(table, col.shadow));
  // Removes nothing: a cut-over that fails after it (its ALTER as a whole) leaves the migration rollbackable.
  return { ...c.step(sql, `let writers omit ${q(table)}.${q(col.shadow)} during the cut-over (default ${value}, removed by it)`, c.locks.instant(table), [table], probe), removesOldShape: false };
}

export function swapColumns(c: MysqlCompiler, spec: ColumnSwapSpec): Step[] {
  const { table } = spec;
  const t = c.tableOf(table);
  const keep = serverStamped(t).map((name) => `${q(name)} = ${q(name)}`);
  // After an interrupted attempt: the rows written while the trigger was gone, converted under the lock (see above).
  const updates = spec.columns.map((col) => `UPDATE ${q(table)} SET ${[`${q(col.shadow)} = (${col.up})`, ...keep].join(', ')} WHERE NOT COALESCE((${c.dialect.sameValue(col.shadow, col.up, col.type)}), FALSE)`);
  // MariaDB asks first, under the lock, whether a trigger is gone at all (a crash before the DROP TRIGGER left them, and
  // nothing to convert) or a foreign-key action can have changed rows (below): only then the scan. MySQL has no
  // anonymous blocks: it converts whatever the crash left, or whenever such a key is there.
  const gone = spec.dropTrigger.flatMap((st) => (st.probe ? [`(${st.probe})`] : []));
  // A foreign-key action changing a column a shadow is computed from runs no trigger: a cascade during the verify left
  // its shadow stale, and the cut-over put the stale value in the column (campaign CS: 42 rows lost their cascaded key
  // and the key's re-add failed, the migration stuck). Where the table has such a key as the cut-over runs — asked
  // then, under the lock (a key added by a later migration counts: campaign CU), a cascade waiting for it — the rows
  // that disagree are converted there every time: a scan of the table while its writes wait, on such a table only.
  const allColumns = (t?.columns ?? []).map((x) => x.name);
  const inputs = [...new Set(spec.columns.flatMap((col) => [col.column, ...mentioned(col.up, table, allColumns)]))];
  const cascading = foreignKeyActionOver(table, inputs);
  const when = { afterInterruption: true as const, orWhen: `SELECT (${cascading}) AS run` };
  // Where the plan found such a key, always: the contract's verify then converted what it found rather than refuse
  // (AgreementCheck.convertedAtCutOver), and relies on this, even should the key go meanwhile.
  const cascadesNow = spec.convertUnderLock === true;
  const catchUp = cascadesNow
    ? updates
    : c.f.mariadb && gone.length > 0
      ? [{ sql: `BEGIN NOT ATOMIC IF ${[...gone, `(${cascading})`].join(' OR ')} THEN ${updates.map((u) => `${u};`).join(' ')} END IF; END`, ...when }]
      : updates.map((sql) => ({ sql, ...when }));
  // The shadow takes the column's name with what it is from now on (default, ON UPDATE, COMMENT: metadata only, its
  // type and NULL-ness unchanged) and, on MariaDB (instant reordering), the column's place in the table.
  const place = (after: string | null | undefined) => (after === undefined || !c.f.mariadb ? '' : after === null ? ' FIRST' : ` AFTER ${q(after)}`);
  const change = (col: ColumnSwapSpec['columns'][number]) =>
    col.final ? `CHANGE COLUMN ${q(col.shadow)} ${c.modify(table, col.final, col.final.nullable).replace(/^MODIFY COLUMN /, '')}${place(col.after)}` : `RENAME COLUMN ${q(col.shadow)} TO ${q(col.column)}`;
  const position = (name: string) => t?.columns.findIndex((x) => x.name === name) ?? 0;
  const actions = [
    ...spec.dropForeignKeys.map((name) => `DROP FOREIGN KEY ${q(name)}`),
    ...spec.dropChecks.map((name) => `${c.f.mariadb ? 'DROP CONSTRAINT IF EXISTS' : 'DROP CHECK'} ${q(name)}`),
    ...spec.dropIndexes.map((name) => `DROP INDEX ${q(name)}`),
    ...spec.columns.map((col) => `DROP COLUMN ${q(col.column)}`),
    // In the table's order: each AFTER names a column already in its place (one changed before it, too).
    ...[...spec.columns].sort((x, y) => position(x.column) - position(y.column)).map(change),
    // A UNIQUE constraint is its index here: a rename is all it takes.
    ...spec.renameIndexes.map((r) => `RENAME INDEX ${q(r.from)} TO ${q(r.to)}`),
  ];
  // A check riding on a shadow (alterColumn's own, made at expand over it: its pair's body names the shadow) is made
  // again over the column; a CHECK of that name goes in the ALTER. xc's pairs over the column are not here (Ddl.keptCheck).
  const checkPairs = spec.dropChecks.flatMap((name) => c.dropCheckPair(table, name).map((st) => st.sql));
  // Dropping a column drops its indexes, which INSTANT refuses; NOCOPY changes no row either.
  const alter = c.alter(table, actions.join(', '), c.f.nocopy ? 'ALGORITHM=NOCOPY, LOCK=DEFAULT' : 'ALGORITHM=INPLACE, LOCK=DEFAULT');
  // A failed ALTER changed nothing: the sync trigger comes back before the lock goes, so writes keep converting and a
  // rollback or another attempt finds the table as it was.
  const onFailure = (spec.createTrigger ?? []).map((st) => st.sql);
  // The checks and foreign keys over the new columns, before any writer comes in (foreign keys without a scan: validated after).
  const readd = (spec.readd ?? []).flatMap((st) => (st.prepare ? [st.prepare, st.sql] : [st.sql]));
  // The table's own checks over the columns, as pairs, made before the ALTER drops them (campaign AT: made after it, a
  // kill -9 between left them unenforced); a failed ALTER, which dropped nothing, takes the pairs away again.
  const readdFirst = (spec.readdFirst ?? []).map((st) => st.sql);
  const unmake = (spec.readdFirst ?? []).flatMap((st) => (st.installs === undefined ? [] : [`DROP TRIGGER IF EXISTS ${q(st.installs)}`]));
  // Other tables' keys referencing the columns: their tables locked too, each key dropped before the ALTER and added after (keyswap.ts).
  const refs = referencingStatements(c, spec.referencing ?? []);
  // The parents of the keys the ALTER drops and adds again, locked READ: no parent row changes while a key is gone — an
  // UPDATE of a parent's key then cascaded to nothing, and the check after the cut-over found the orphan (seen twice in
  // shadow-cascades.test.ts, a parent key moving throughout).
  const parents = [
    ...new Set(
      (t?.foreignKeys ?? [])
        .filter((k) => spec.dropForeignKeys.includes(k.name) && !(k.refTable === table && !k.refSchema))
        .map((k) => (k.refSchema ? `${q(k.refSchema)}.${q(k.refTable)}` : q(k.refTable))),
    ),
  ].filter((name) => !refs.lock.some((l) => l.startsWith(`${name} `)));
  // No default of theirs draws from a sequence: plan refused the change where one does (Ddl.cutOverIssue, sequences.ts).
  const lock = [`LOCK TABLES ${q(table)} WRITE`, ...refs.lock, ...parents.map((name) => `${name} READ`)].join(', ');
  const statements: Step['statements'] = [
    lock,
    ...catchUp,
    ...spec.dropTrigger.map((st) => st.sql),
    ...checkPairs,
    ...readdFirst,
    ...refs.drop,
    { sql: alter, onFailure: [...onFailure, ...unmake, ...refs.add] },
    ...readd,
    ...refs.add,
  ];
  const shadows = spec.columns.map((col) => literal(col.shadow)).join(', ');
  const probe = c.probes.missing(`SELECT 1 FROM information_schema.COLUMNS WHERE ${c.probes.where(table)} AND COLUMN_NAME IN (${shadows})`);
  const names = spec.columns.map((col) => q(col.column)).join(', ');
  return [
    ...spec.columns.filter((col) => !col.nullable && (col.final?.default ?? null) === null).map((col) => omittable(c, table, col)),
    c.step(statements.map((st) => (typeof st === 'string' ? st : st.afterInterruption ? `-- only after an interrupted attempt, or where a foreign-key action can change ${inputs.map(q).join(', ')} then:\n${st.sql}` : st.sql)).join(';\n'), `cut over ${names} of ${q(table)}: ${cascadesNow ? 'rows a foreign-key action changed (no trigger ran) converted, ' : ''}trigger removed, each column replaced by its shadow under its name`, `${lock} (reads and writes wait; ${cascadesNow ? 'the rows a foreign-key action changed converted, a scan of the table, then ' : ''}metadata only, no row rewritten)`, [table, ...(spec.referencing ?? []).map((k) => k.table)], probe, {
      statements,
      release: 'UNLOCK TABLES',
    }),
    ...refs.after,
    // Already run under the lock; here for an attempt stopped before them (each skipped by its probe, so no creation of xc's).
    ...[...(spec.readdFirst ?? []), ...(spec.readd ?? [])].map(({ creates: _, ...st }) => ({ ...st, description: `${st.description} — done in the cut-over under its lock; here only if it stopped first (skipped by its probe otherwise)` })),
  ];
}

/**
 * `EXISTS`: a foreign key of `table` over one of `columns` has an action that changes them (ON UPDATE other than
 * RESTRICT / NO ACTION, ON DELETE SET NULL / SET DEFAULT). information_schema needs no entry in LOCK TABLES.
 */
function foreignKeyActionOver(table: string, columns: string[]): string {
  return `EXISTS (SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS r JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND k.TABLE_NAME = r.TABLE_NAME WHERE r.CONSTRAINT_SCHEMA = DATABASE() AND r.TABLE_NAME = ${literal(table)} AND (r.UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR r.DELETE_RULE IN ('SET NULL', 'SET DEFAULT')) AND k.COLUMN_NAME IN (${columns.map(literal).join(', ')}))`;
}
