/**
 * Columns changed in place, keeping their names (alterColumn without `to`;
 * later createConstraint / dropMultiColumnConstraint with up/down).
 *
 * Until contract each column IS the old column, with its old type: both
 * versions of the application read and write old-type values under its
 * name. Beside it, a shadow column named by xc holds the new definition, and
 * a one-way trigger keeps shadow = up(row) on every INSERT and UPDATE (no
 * application writes a shadow, so there is nothing to sync back and `down`
 * is not needed). The backfill converts the rows written before the trigger,
 * in keyset batches; the verify proves every shadow agrees with up(row).
 * Index copies over the shadows are built at expand (CONCURRENTLY / online).
 *
 * Contract is the cut-over, short and under the lock timeout: NOT NULL (via
 * an unvalidated check, validated without a write lock) and the new default
 * go onto the shadows first, where the trigger overrides whatever a write
 * gives them; then Ddl.swapColumns removes the trigger, drops each column
 * and renames its shadow to its name, and the index copies to the originals'
 * names (PostgreSQL: one transaction; MySQL/MariaDB: one step under LOCK
 * TABLES … WRITE). Checks and foreign keys over the columns are added again
 * over the new ones unvalidated in that same transaction (under that lock),
 * then validated without a write lock — but those the cut-over leaves in place
 * (MySQL's trigger pairs, whose bodies name the column: Ddl.keptCheck), which
 * are only made again after it where missing; comments, the collation (the type
 * alterColumn gives) and MySQL's ON UPDATE come over, and the column's
 * privileges (PostgreSQL: given to the shadow at expand); MariaDB keeps the
 * column's place (PostgreSQL cannot reorder: the column ends up last).
 *
 * Rollback before contract: trigger and shadows (with their index copies)
 * dropped; the columns were never touched.
 */
import { isObjectName } from '../dialects/names.js';
import { changedByForeignKeyActions, type ColumnModel } from '../schema/model.js';
import { atomic, emptyPlan, onNewColumn, type BackfillSpec, type OperationPlan, type Step } from '../plan/index.js';
import type { PlanContext, ValidateContext, ValidationIssue } from './types.js';
import { keyedBackfill, keyedCheck } from './batches.js';
import { clusterKeyIssues, copiedUniqueIndexIssues, indexesNaming, tiedColumnIssues } from './common.js';
import { childrenAgree, primaryIndexOver, referencingKeys } from './shadowKeys.js';

export interface ShadowColumn {
  column: string;
  /** The definition from contract on. */
  type: string;
  nullable: boolean;
  /** The default from contract on, as it is set (already converted to `type`), or null for none. */
  default: string | null;
  /** The comment from contract on; undefined: the column's own is carried over. */
  comment?: string | null;
  /** The new value, from the row as it is (resolved for the dialect). */
  up: string;
}

/** Indexes over `columns` other than the primary key: each gets a copy over the shadow. */
function indexesOver(ctx: Pick<ValidateContext, 'model' | 'dialect'>, table: string, columns: string[]) {
  return indexesNaming(ctx.dialect, ctx.model.table(table)!, columns).filter((i) => !i.primary);
}

/**
 * What planShadowColumns cannot do for these columns yet: an index over two
 * of them (a copy replaces one column); and an index whose copy over the
 * shadow would not be what it is (PostgreSQL): an exclusion constraint's (a
 * plain index enforcing nothing, which cannot become one at the cut-over), a
 * DEFERRABLE primary key's (made the key immediate), a NULLS NOT DISTINCT
 * one's (built before the backfill, over a shadow NULL in every row, it fails).
 * And a cut-over the server could not run under its lock (Ddl.cutOverIssue).
 * `defaults`: a column's default from the cut-over on, where it changes.
 */

export function shadowIssues(
  ctx: Pick<ValidateContext, 'model' | 'dialect'>,
  table: string,
  columns: string[],
  path: (string | number)[],
  types: Record<string, string> = {},
  defaults: Record<string, string | null | undefined> = {},
): ValidationIssue[] {
  if (!ctx.model.table(table)) return [];
  const restated = columns.flatMap((c) => (defaults[c] !== undefined ? defaults[c] : ctx.model.column(table, c)?.default) ?? []);
  const locked = ctx.dialect.ddl(ctx.model).cutOverIssue([table, ...referencingKeys(ctx, table, columns).map((k) => k.table)], restated);
  const cutOver: ValidationIssue[] = locked
    ? [{ path, code: 'unsupported', message: `changing ${columns.map((c) => `"${c}"`).join(', ')} in place ends in a cut-over under LOCK TABLES, which cannot run here: ${locked}. Copy the column instead (alterColumn with \`to\`, a new name)` }]
    : [];
  const again = 'drop it first (dropConstraint or dropIndex), and add it again in a migration after this one is contracted';
  // A DEFERRABLE unique key's copy is a key of its timing from expand on (planShadowColumns); a primary key's is made the key at the cut-over immediate.
  const deferredKey = ctx.model.table(table)!.indexes.find((i) => i.primary && i.deferrable && i.columns.some((c) => columns.includes(c)));
  const key = deferredKey ? [{ path, code: 'unsupported' as const, feature: 'deferrable', message: `primary key "${deferredKey.constraint ?? deferredKey.name}" is DEFERRABLE, which its copy over the shadow column would not be; ${again}` }] : [];
  // The cut-over drops each column with its indexes (their copies over the shadow take their names).
  const clustered = clusterKeyIssues(ctx.dialect, ctx.model.table(table), (i) => i.columns.some((c) => columns.includes(c)), `changing ${columns.map((c) => `"${c}"`).join(', ')} in place through a shadow column drops it at contract, with`, path);
  // Each unique index's copy over the shadow, of the column's new type, is built online at expand.
  const t = ctx.model.table(table)!;
  const copies = columns.flatMap((c) => copiedUniqueIndexIssues(ctx.dialect, t, c, types[c] ?? t.columns.find((x) => x.name === c)?.type ?? '', path));
  return [...cutOver, ...tiedColumnIssues(ctx.model.table(table), columns, path), ...key, ...clustered, ...copies, ...indexesOver(ctx, table, columns).flatMap((i) => {
    const what = i.constraint ? `constraint "${i.constraint}"` : `index "${i.name}"`;
    if (columns.filter((c) => i.columns.includes(c)).length > 1) return [{ path, code: 'unsupported' as const, table, message: `index "${i.name}" covers more than one of the columns changed in place; drop it first and add it again afterwards` }];
    if (i.exclusion) return [{ path, code: 'unsupported' as const, table, feature: 'exclusion', message: `exclusion ${what} covers the column changed in place: a copy of its index over the shadow column would enforce nothing of it until contract, and cannot become an exclusion constraint at the cut-over; ${again}` }];
    if (i.nullsNotDistinct) return [{ path, code: 'unsupported' as const, table, feature: 'nullsNotDistinct', message: `${what} is NULLS NOT DISTINCT: its copy over the shadow column is built before the backfill, while the shadow is NULL in every row, and would fail there; ${again}` }];
    return [];
  })];
}

/** `riding`: the checks the caller makes over the shadows (given with the change), made again over the columns by the cut-over. */
export function planShadowColumns(ctx: PlanContext, table: string, columns: ShadowColumn[], riding: string[] = []): OperationPlan {
  const { ddl, dialect } = ctx;
  const q = (id: string) => dialect.quote(id);
  const t = ctx.model.table(table)!;
  const plan = emptyPlan();
  const cols = columns.map((c, i) => ({ ...c, old: t.columns.find((x) => x.name === c.column)!, shadow: ctx.name(`shadow${i}`), trigger: ctx.name(`shadowsync${i}`) }));
  const rowColumns = [...t.columns.map((c) => c.name), ...cols.map((c) => c.shadow)];
  const triggers = cols.map((c) => ddl.fillTrigger({ name: c.trigger, table, column: c.shadow, type: c.type, expr: c.up, columns: rowColumns, always: true }));

  const agrees = cols.map((c) => dialect.sameValue(c.shadow, c.up, c.type)).join(' AND ');
  const backfill = keyedBackfill(ctx, { table, set: Object.fromEntries(cols.map((c) => [c.shadow, c.up])), where: `NOT COALESCE((${agrees}), FALSE)`, bypass: cols.map((c) => c.trigger) });
  // The shadow's trigger computes it on every write, a key's move included: unless a foreign-key action changes rows
  // (MySQL runs no trigger for it), a row the catch-up passed by cannot stay stale (BackfillSpec.everyWriteConverts).
  const changedByActions = changedByForeignKeyActions(t);
  const fill: BackfillSpec = { ...backfill, ...(changedByActions.length > 0 ? {} : { everyWriteConverts: true as const }) };
  // Stored NOT NULL at once where the column is NOT NULL and stays so (MySQL then needs no second rebuild at contract).
  const notNullAtOnce = (c: (typeof cols)[number]) => !c.nullable && !c.old.nullable;

  const copies = indexesOver(ctx, table, cols.map((c) => c.column)).map((idx, n) => ({
    idx,
    c: cols.find((x) => idx.columns.includes(x.column)) ?? cols.find((x) => indexesNaming(dialect, t, [x.column]).includes(idx))!,
    temporary: ctx.name(`shidx${n}`),
    // A DEFERRABLE key's copy (PostgreSQL) is a key of the same timing from the start: built while the shadow is still
    // NULL in every row, before the triggers write it, so no write is ever checked at once by an immediate copy.
    deferrable: idx.deferrable === true && idx.constraint !== null,
  }));
  const keyed = copies.filter((x) => x.deferrable);
  // Each shadow with its column's column-level privileges (in its transaction), which it keeps through the cut-over's rename.
  const shadows = cols.map((c) => [...ddl.addColumn(table, c.shadow, c.type, { backfilled: true, notNull: notNullAtOnce(c), hidden: true }), ...ddl.carryColumnPrivileges(table, c.column, c.shadow)]);
  const early = keyed.flatMap((x) => [...ddl.copyIndex(x.idx, table, x.temporary, x.c.column, x.c.shadow, x.c.type), ...ddl.addUniqueUsingIndex(table, x.temporary, x.temporary, { deferrable: true, initiallyDeferred: x.idx.initiallyDeferred })]);
  // Expand: shadows, filled before the triggers where that is cheaper (MySQL), triggers; the index copies after.
  plan.expand.push(
    ...(early.length > 0 ? [...atomic(...shadows), ...early] : []),
    ...atomic(
      ...(early.length > 0 ? [] : shadows),
      ddl.fillBeforeTriggers(fill),
      ...triggers.map((tr) => tr.create),
      // MySQL's placeholder default of a NOT NULL shadow stays until the cut-over gives the column its own: the trigger
      // overwrites it on every write, and MariaDB checks an omitted NOT NULL column without a default before triggers
      // run in an INSERT … SELECT (1364), which no writer could avoid by naming a column it does not know.
    ),
  );
  // A unique copy (or the primary key's) must meet every row converted, those written before the triggers too.
  if (copies.some((x) => x.idx.unique && !x.deferrable) || primaryIndexOver(ctx, table, cols.map((c) => c.column))) plan.expand.push(...ddl.refillAfterTriggers(fill));
  const renameIndexes: { from: string; to: string; constraint?: string; attached?: boolean }[] = [];
  const dropIndexes: string[] = [];
  for (const { idx, c, temporary, deferrable } of copies) {
    if (!deferrable) plan.expand.push(...ddl.copyIndex(idx, table, temporary, c.column, c.shadow, c.type));
    renameIndexes.push({ from: temporary, to: idx.name, ...(idx.constraint ? { constraint: idx.constraint } : {}), ...(deferrable ? { attached: true } : {}) });
    // An index over other columns too would be shrunk by the column's drop where the server does that (MySQL): dropped first.
    if (idx.columns.length > 1) dropIndexes.push(idx.name);
  }
  // The primary key: a unique copy over the shadow, made the key under its name at the cut-over (shadowKeys.ts).
  const pk = primaryIndexOver(ctx, table, cols.map((c) => c.column));
  const primaryKey = pk && { name: pk.constraint ?? pk.name, index: ctx.name('shpk') };
  if (pk && primaryKey) {
    const c = cols.find((x) => pk.columns.includes(x.column))!;
    plan.expand.push(...ddl.copyIndex(pk, table, primaryKey.index, c.column, c.shadow, c.type));
  }
  const referencing = referencingKeys(ctx, table, cols.map((c) => c.column));

  // The unique copies first: where DDL is not transactional (MySQL) an insert between the trigger's removal and the
  // shadow's drop gets the shadow's placeholder default, and a second one would meet the first in the copy (fuzz seed 134).
  const uniqueCopies = [...copies.filter((x) => x.idx.unique && !x.deferrable).map((x) => x.temporary), ...(primaryKey ? [primaryKey.index] : [])];
  plan.rollback.push(...uniqueCopies.flatMap((name) => ddl.dropIndex(table, name)));
  plan.rollback.push(...atomic(...cols.map((c) => ddl.letWritesOmit(table, c.shadow)), ...triggers.map((tr) => tr.drop), ...cols.map((c) => ddl.dropColumn(table, c.shadow))));

  plan.backfill.push(backfill);
  const filled = cols.filter((c) => !c.nullable).map((c) => ` AND ${q(c.shadow)} IS NOT NULL`).join('');
  // A foreign-key action changing what a shadow is computed from runs no trigger (MySQL): its rows disagree until the
  // cut-over converts them under its lock, so the verify converts them again rather than refuse. A NULL that would
  // break NOT NULL, which converting cannot mend, is then a check of its own, which refuses (campaign DC: one check of
  // both refused every contract under a moving parent key, the usual NOT NULL foreign key).
  const cascaded = new Set(changedByActions.map((n) => n.toLowerCase()));
  const inputs = cols.flatMap((c) => [c.column, ...dialect.columnsNamed(c.up, table, t.columns.map((x) => x.name))]);
  const convertUnderLock = !dialect.foreignKeyActionsRunTriggers && inputs.some((n) => cascaded.has(n.toLowerCase()));
  const show = cols.flatMap((c) => [c.column, c.shadow]);
  const nullRemedy = ` Rows whose \`up\` is NULL cannot become NOT NULL: fix them (an UPDATE) first; or \`xc rollback ${ctx.migrationId}\`.`;
  const apart = convertUnderLock && filled !== '';
  plan.verify.push(
    ...(apart ? [keyedCheck(ctx, { table, description: `${cols.map((c) => c.column).join(', ')}: no shadow holds NULL where the column will be NOT NULL`, agrees: `TRUE${filled}`, show, remedy: nullRemedy.trim() })] : []),
    keyedCheck(ctx, {
      table,
      description: `${cols.map((c) => c.column).join(', ')}: each shadow agrees with up of its column${filled && !apart ? ', and holds no NULL where the column will be NOT NULL' : ''}`,
      agrees: `COALESCE((${agrees}), FALSE)${apart ? '' : filled}`,
      show,
      ...(convertUnderLock ? { convertedAtCutOver: true as const } : {}),
      remedy:
        `A shadow that holds a value other than \`up\` of its column was converted where xc's session would convert otherwise (MySQL/MariaDB: a writer in another time_zone) or changed where no trigger saw it: \`xc backfill ${ctx.migrationId}\` converts those rows again, then run \`xc contract\` again.` +
        (filled && !apart ? nullRemedy : ''),
    }),
    ...childrenAgree(ctx, table, new Map(cols.map((c) => [c.column, c.shadow]))),
  );

  // Contract, before the cut-over: what the shadows need from then on, which no write can disturb while the trigger sets them.
  // No old writer sees a shadow, and a rollback drops it: a contract failing after these can still be rolled back.
  const shadowModel = (c: (typeof cols)[number]): ColumnModel => ({ name: c.shadow, type: c.type, nullable: false, default: null });
  for (const c of cols.filter((x) => !x.nullable)) {
    const check = ctx.name(`shnn${cols.indexOf(c)}`);
    plan.contract.push(...ddl.addNotNullCheck(table, shadowModel(c), check), ...onNewColumn(ddl.enforceNotNull(table, shadowModel(c), check)));
    // A contract stopped after the check is added is rolled back: the check goes first. MySQL/MariaDB enforce it by a
    // trigger pair, which the shadow's drop leaves behind naming a column gone — every write refused (the sweep of
    // contract stops, XC_SWEEP_CONTRACT_STOPS). Each step is skipped where there is nothing to drop.
    plan.rollback.unshift(...ddl.dropConstraint(table, check));
  }
  for (const c of cols.filter((x) => x.default !== null)) plan.contract.push(...ddl.setDefault(table, c.shadow, c.default));

  // The cut-over, with the checks and foreign keys over the new columns added unvalidated in it (one transaction where DDL is).
  const touches = (list: string[]) => list.some((x) => cols.some((c) => c.column === x));
  const checks = t.checks.filter((k) => touches(k.columns));
  const keys = t.foreignKeys.filter((k) => touches(k.columns));
  // A check the cut-over leaves in place (Ddl.keptCheck: MySQL's trigger pairs) stays: made again after it only where missing.
  const kept = checks.flatMap((k) => {
    const steps = ddl.keptCheck(table, k.name, k.expression);
    return steps ? [{ k, steps }] : [];
  });
  // The others are added again inside the cut-over by swapColumns (one transaction; MySQL: under its lock), unvalidated.
  // A column's own CHECK (MariaDB, column-level) comes back with the column's restatement in the cut-over (CHANGE COLUMN).
  const remade = checks.filter((k) => !kept.some((x) => x.k === k) && !cols.some((c) => c.column === k.column));
  // The table's own read the columns the same before and after: made again before the swap (Ddl.swapColumns' readdFirst).
  const readdFirst = remade.filter((k) => !riding.includes(k.name)).flatMap((k) => ddl.addCheck(table, k.name, k.expression));
  const readd: Step[] = [...remade.filter((k) => riding.includes(k.name)).flatMap((k) => ddl.addCheck(table, k.name, k.expression)), ...keys.flatMap((k) => ddl.addForeignKey({ ...k, table }))];
  // The column as it is from the cut-over on (what else it had: PostgreSQL COMMENT; MySQL ON UPDATE, COMMENT), and its place.
  const final = (c: (typeof cols)[number]): ColumnModel => ({ name: c.column, type: c.type, nullable: c.nullable, default: c.default, ...(c.old.extra ? { extra: c.old.extra } : {}), ...(c.old.comment !== undefined ? { comment: c.old.comment } : {}), ...(c.old.settings ? { settings: c.old.settings } : {}) });
  // The column before it that will still be there (ctx.name's shadows are `xc_shadowN_<hash>`): another in-flight change's shadow (of an earlier migration, whose
  // cut-over takes it away) is passed over — named, it failed this cut-over ("Unknown column"), for ever (fuzz seed 339).
  const after = (c: (typeof cols)[number]) => t.columns.slice(0, t.columns.indexOf(c.old)).filter((x) => !isObjectName(x.name, 'shadow\\d+')).at(-1)?.name ?? null;
  const swap = ddl.swapColumns({
    table,
    dropTrigger: triggers.flatMap((tr) => tr.drop),
    // A failed cut-over puts back the sync triggers.
    createTrigger: triggers.flatMap((tr) => tr.create),
    readdFirst,
    readd,
    columns: cols.map((c) => ({ column: c.column, shadow: c.shadow, up: c.up, type: c.type, nullable: c.nullable, final: final(c), after: after(c) })),
    dropIndexes,
    dropForeignKeys: keys.map((k) => k.name),
    // A column's own CHECK goes with the column (DROP CONSTRAINT would find an index of its name first: MariaDB).
    dropChecks: remade.map((k) => k.name),
    renameIndexes,
    ...(primaryKey ? { primaryKey } : {}),
    ...(referencing.length > 0 ? { referencing } : {}),
    convertUnderLock,
  });
  plan.contract.push(...atomic(swap), ...kept.flatMap((x) => x.steps));
  for (const k of [...checks, ...keys]) if (k.validated !== false) plan.contract.push(...ddl.validateConstraint(table, k.name));
  // Other tables' keys came back unvalidated in the cut-over: validated now, writes going on (the verify proved them); one
  // that was NOT VALID stays so.
  for (const k of referencing.filter((x) => x.validated !== false)) plan.contract.push(...ddl.validateConstraint(k.table, k.name));
  // What else each column had (PostgreSQL: COMMENT; MySQL: ON UPDATE, COMMENT), then the comment asked for.
  for (const c of cols) {
    const now = final(c);
    plan.contract.push(...ddl.carryAttributes(table, now));
    if (c.comment !== undefined) plan.contract.push(...ddl.alterColumnInCatalog(table, now, { comment: c.comment }));
  }
  return plan;
}
