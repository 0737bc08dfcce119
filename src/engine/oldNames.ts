/**
 * Before a contract starts, what the application still needs of what it takes away.
 *
 * A renameTable's old name: nothing of the
 * application's still reaches the table by it. A view or function bound to
 * the table itself followed the rename at expand; one that names it in text
 * (a PostgreSQL PL/pgSQL trigger's `INSERT INTO orders`, any MySQL/MariaDB
 * view, trigger or routine) has been reaching it through the old name's view
 * since, and would fail from contract on — every insert of another table
 * whose trigger names it. Plan cannot refuse it: the new name exists only
 * from expand, and that is when such objects can be changed to name it.
 * Read once, before the verify; nothing is changed when refused.
 *
 * The tables and columns it removes (plan.removes): what depends on them now — a view plan let through over a copy's
 * old column, to be made to read the new one, or anything made since apply — would fail the contract part-way (a
 * server keeping dependencies refuses the drop: the migration left `contracting`) or be left broken by it (one
 * matching names in text: views, triggers and routines that fail from then on). And the indexes, checks and foreign
 * keys over them that neither plan read nor the expand left (made since apply): no copy of them was built, and the
 * contract would drop them with the column — a unique key gone without a word — or fail on them.
 */
import { withSession, type Session } from '../db/driver.js';
import type { Dependent, Dialect } from '../dialects/dialect.js';
import type { IndexModel, SchemaModel } from '../schema/model.js';
import { escapeRegExp } from '../dialects/names.js';
import { DataMismatchError } from '../errors.js';
import type { MigrationRow } from '../state/store.js';
import { isInFlight } from '../plan/index.js';
import type { EngineContext } from './context.js';

/** A dependent as messages name it: `trigger "log_customer" of "customers"`. */
export const describeDependent = (d: Dependent) => `${d.kind} "${d.name}"${d.of === undefined ? '' : ` of "${d.of}"`}`;

/** What names `table` in its text, described and sorted (plan notes them; the contract refuses while any does). */
export async function textUsers(s: Session, dialect: Dialect, table: string): Promise<string[]> {
  return (await dialect.nameDependents(s, table)).map(describeDependent).sort();
}

export async function requireOldNamesUnused(ctx: EngineContext, row: Pick<MigrationRow, 'id' | 'plan'>): Promise<void> {
  for (const { name, renamedTo } of row.plan.oldNames ?? []) {
    // And what the server records as built over the old name's view (PostgreSQL: a view made over it after apply, which
    // the view's drop then failed on, left `contracting`; campaign Y).
    const listed = await withSession(ctx.driver, async (s) => [...new Set([...(await textUsers(s, ctx.dialect, name)), ...(await ctx.dialect.dependents(s, name)).map(describeDependent)])].sort());
    if (listed.length === 0) continue;
    // An unqualified name in another schema's routine reaches whichever table its caller's search_path finds first:
    // it may mean that schema's own, where "name the new one" is wrong advice (campaign ED).
    const elsewhere = listed.some((d) => /^\w+ "[^"]+\.[^"]+"/.test(d))
      ? ` One of another schema that names "${name}" unqualified and means that schema's own table is not this one's user: make it name that one (qualified, or on PostgreSQL with its own \`SET search_path\`).`
      : '';
    throw new DataMismatchError(
      `contract refused: ${listed.join(', ')} still name${listed.length === 1 ? 's' : ''} table "${name}", which ${row.id} renamed to "${renamedTo}"; ` +
        `the old name is a view for the old version until this contract drops it, and ${listed.length === 1 ? 'it' : 'they'} would fail from then on. ` +
        `Nothing was changed. Make ${listed.length === 1 ? 'it' : 'them'} name "${renamedTo}" (CREATE OR REPLACE), then run \`xc contract\` again.${elsewhere}`,
      { migration: row.id, table: name, renamedTo, dependents: listed },
      { code: 'old_name_used' },
    );
  }
}

/** How a view over a copy's old column comes to read the new one, its own columns unchanged for the old version — a view's column may be named otherwise than the table's (`title AS name`; campaign FE: the advice read as if never). */
export const viewOverCopyWay = (to: string, column: string, them: string) =>
  `CREATE OR REPLACE VIEW, each column keeping its name and type — \`${column}\` becomes \`${to} AS ${column}\`, \`${column} AS x\` becomes \`${to} AS x\`, with a CAST where the type changed — so the old version reads ${them} unchanged`;

/**
 * How a row-level security policy over a copy's old column comes to read the new one, the old version's writes passing:
 * once the copy is backfilled. Not at its own expand: the backfill has yet to fill the new column there, and a policy
 * over it hid every row not yet backfilled from its owner, and refused writes (campaign CP: 683 of the old version's
 * operations failed or found nothing while the backfill ran).
 */
export const policyOverCopyWay = (to: string, them: string) =>
  `ALTER POLICY … USING / WITH CHECK over "${to}", once this migration is backfilled (by hand, or in a \`sql\` operation of a later migration with a \`rollback\` putting ${them} back — not in this one's expand, which runs before the backfill fills "${to}"): xc's trigger fills it before a policy checks a row, so the old version's writes pass`;

/** Dropping a policy changes who sees what (a restrictive one widens access; the only permissive one denies every row): never offered. */
const dropOffered = (listed: string[]) => !listed.some((d) => d.startsWith('policy '));

/** The way for `listed` (described dependents) over a copy's old column: a view's, a policy's, or both. */
export const readNewWay = (listed: string[], to: string, column: string, them: string) =>
  [listed.some((d) => !d.startsWith('policy ')) ? viewOverCopyWay(to, column, them) : '', listed.some((d) => d.startsWith('policy ')) ? policyOverCopyWay(to, them) : ''].filter(Boolean).join('; ');

const XC_OBJECT = /^xc_[a-z0-9]+_[0-9a-f]{10}$/;

/**
 * The indexes, checks and foreign keys over `column` of `table` in `model` — its keys, predicate or expression naming
 * it (by word: a refusal, never a hole), and other tables' foreign keys referencing it — or, without `column`, the
 * foreign keys referencing the table; xc's own left out. Described as messages name them.
 */
export function objectsOver(model: SchemaModel, table: string, column?: string): string[] {
  const named = column === undefined ? () => false : (text: string | undefined) => text !== undefined && new RegExp(`(?<![A-Za-z0-9_$])[\`"]?${escapeRegExp(column)}[\`"]?(?![A-Za-z0-9_$])`, 'i').test(text);
  const found: string[] = [];
  const t = model.table(table);
  if (t !== undefined && column !== undefined) {
    // An index over an expression (PostgreSQL's catalog gives its definition, not its keys: campaign Z, a unique
    // `lower(email)` dropped with the column); not MySQL/MariaDB's index of a foreign key, which goes as the key does.
    const ofKey = (i: IndexModel) => t.foreignKeys.some((f) => f.name === i.name && f.columns.every((c, n) => i.columns[n] === c));
    for (const i of t.indexes) {
      if (ofKey(i)) continue;
      const keys = i.definition?.slice(Math.max(0, i.definition.indexOf('('))); // past its name and table's
      if (i.columns.includes(column) || i.include?.includes(column) || named(i.where) || named(keys) || (i.keys ?? []).some((k) => k.column === column || named(k.expression))) found.push(`index "${i.name}"`);
    }
    for (const c of t.checks) if (c.columns.includes(column) || named(c.expression)) found.push(`check "${c.name}"`);
    for (const f of t.foreignKeys) if (f.columns.includes(column)) found.push(`foreign key "${f.name}"`);
  }
  for (const other of model.tables.values()) {
    for (const f of other.foreignKeys) {
      if (f.refTable === table && (column === undefined ? other.name !== table : f.refColumns.includes(column))) found.push(`foreign key "${f.name}" of "${other.name}"`);
    }
  }
  return [...new Set(found.filter((d) => !XC_OBJECT.test(/"([^"]*)"/.exec(d)![1]!)))].sort();
}

/**
 * The foreign keys that need index `index` of `table` in `model`: those referencing the key a unique one makes (on
 * PostgreSQL the key is tied to that index), and where a foreign key needs an index, the table's own that no other
 * index of the table leads with its columns. Described as messages name them.
 */
export function keyUsers(model: SchemaModel, dialect: Pick<Dialect, 'foreignKeysNeedIndex'>, table: string, index: string): string[] {
  const indexes = model.table(table)?.indexes ?? [];
  const i = indexes.find((x) => x.name === index);
  if (i === undefined || i.columns.length === 0) return [];
  const same = (cols: string[]) => cols.length === i.columns.length && cols.every((c) => i.columns.includes(c));
  const leads = (x: { columns: string[] }, cols: string[]) => cols.every((c, n) => x.columns[n] === c);
  const onlyIndexFor = (cols: string[]) => leads(i, cols) && !indexes.some((x) => x !== i && leads(x, cols));
  const found: string[] = [];
  for (const other of model.tables.values()) {
    for (const f of other.foreignKeys) {
      if (i.unique && f.refTable === table && same(f.refColumns)) found.push(`foreign key "${f.name}" of "${other.name}"`);
      else if (dialect.foreignKeysNeedIndex && other.name === table && onlyIndexFor(f.columns)) found.push(`foreign key "${f.name}"`);
    }
  }
  return found.sort();
}

/** A generated column of the table itself: the same contract may drop it before the column it is computed from. */
export const isOwnGeneratedColumn = (d: Dependent) => d.kind === 'generated column' && d.of === undefined;

/**
 * What is over each removal (plan.removes, in its order) once the expand is done: logged with the move to dual_write,
 * and known to the contract's guard beside what plan read — the expand's own objects (a unique key made by a
 * createConstraint, an index a `sql` operation makes), and names the server gave (an inline key of a createTable, the
 * index MariaDB makes for a foreign key), which plan's projection cannot foresee.
 */
export async function overAtExpand(ctx: EngineContext, row: Pick<MigrationRow, 'plan'>): Promise<{ over: string[][] } | undefined> {
  const removes = row.plan.removes ?? [];
  if (!removes.some((r) => r.over !== undefined)) return undefined;
  const live = await withSession(ctx.driver, (s) => ctx.dialect.introspect(s));
  return { over: removes.map((r) => (r.index !== undefined ? keyUsers(live, ctx.dialect, r.table, r.index) : objectsOver(live, r.table, r.column))) };
}

/** The old names in-flight migrations keep working by xc's views (each migration renames at expand). */
async function inFlightOldNames(s: Session, ctx: EngineContext) {
  return (await ctx.store.migrations(s)).filter((m) => isInFlight(m.phase)).flatMap((m) => m.plan.oldNames ?? []);
}

/** The lists overAtExpand logged for `id`'s last expand, if it did. */
async function loggedOver(s: Session, ctx: EngineContext, id: string, count: number): Promise<string[][] | undefined> {
  const logged = (await ctx.store.events(s, { migration: id })).filter((e) => e.event === 'dual_write').at(-1)?.detail as { over?: unknown } | null | undefined;
  const over = logged?.over;
  return Array.isArray(over) && over.length === count ? (over as string[][]) : undefined;
}

export async function requireRemovedUnused(ctx: EngineContext, row: Pick<MigrationRow, 'id' | 'plan'>): Promise<void> {
  if (!row.plan.removes?.length) return;
  await withSession(ctx.driver, async (s) => {
    // xc's own: the views that keep a renamed table's old name working, while their migration is in flight (each
    // migration renames at expand). A table renamed so after this migration planned is read under its new name.
    const renames = await inFlightOldNames(s, ctx);
    const ours = new Set(renames.map((o) => o.name));
    const now = (table: string): string => {
      let name = table;
      for (let hops = 0, next; hops < renames.length && (next = renames.find((o) => o.name === name)); hops++) name = next.renamedTo;
      return name;
    };
    /** The columns this contract drops before each removal: in the order the removals are listed, its steps' order. */
    const droppedBefore = new Set<string>();
    const live = row.plan.removes!.some((r) => r.over !== undefined) ? await ctx.dialect.introspect(s) : undefined;
    const expanded = live === undefined ? undefined : await loggedOver(s, ctx, row.id, row.plan.removes!.length);
    for (const [n, { table: named, column, keepsName, inCatalog, to, index, ...planned }] of row.plan.removes!.entries()) {
      const table = now(named);
      const over = planned.over === undefined ? undefined : [...planned.over, ...(expanded?.[n] ?? [])];
      if (index !== undefined) {
        // An index a dropIndex drops: a foreign key made since that needs it fails the drop (campaign Y: left `contracting`).
        const since = keyUsers(live!, ctx.dialect, table, index).filter((d) => !over!.includes(d));
        if (since.length === 0) continue;
        throw new DataMismatchError(
          `contract refused: ${since.join(', ')} ${since.length === 1 ? 'was' : 'were'} made after ${row.id} was applied, and ${since.length === 1 ? 'needs' : 'need'} index "${index}" of "${table}", which ${row.id} drops at this contract; the drop would fail there. Nothing was changed. ` +
            `Drop ${since.length === 1 ? 'it' : 'them'}, or make another index over ${since.length === 1 ? 'its' : 'their'} key first, then run \`xc contract\` again.`,
          { migration: row.id, table, index, dependents: since },
          { code: 'removed_in_use' },
        );
      }
      // Made since apply, over what goes (campaign Y): no copy of it was built at expand, so the contract would
      // drop it with the column — a unique index, a check silently gone — or fail on it, left `contracting`.
      const since = live === undefined || over === undefined ? [] : objectsOver(live, table, column).filter((d) => !over.includes(d));
      if (since.length > 0) {
        const what = column === undefined ? `table "${table}"` : `"${table}"."${column}"`;
        const them = since.length === 1 ? 'it' : 'them';
        throw new DataMismatchError(
          `contract refused: ${since.join(', ')} ${since.length === 1 ? 'was' : 'were'} made over ${what} after ${row.id} was applied, and ${row.id} removes ${column === undefined ? 'that table' : 'that column'} at this contract; ` +
            `xc built no copy of ${them} at expand, so the contract would drop ${them} with it, or fail on ${them}. Nothing was changed. ` +
            `${to !== undefined ? `Make ${them} over "${to}" instead and drop ${them}` : column !== undefined && keepsName ? `Drop ${them}, and make ${them} again once the contract is done` : `Drop ${them}`}, then run \`xc contract\` again.`,
          { migration: row.id, table, ...(column !== undefined ? { column } : {}), dependents: since },
          { code: 'removed_in_use' },
        );
      }
      const listed = (await ctx.dialect.dependents(s, table, column, keepsName, inCatalog))
        .filter((d) => !d.changedUnder && (d.kind !== 'view' || !ours.has(d.name)) && !(isOwnGeneratedColumn(d) && droppedBefore.has(JSON.stringify([table, d.name]))))
        .map(describeDependent)
        .sort();
      if (column !== undefined && !keepsName) droppedBefore.add(JSON.stringify([table, column]));
      if (listed.length === 0) continue;
      const what = column === undefined ? `table "${table}"` : `"${table}"."${column}"`;
      const them = listed.length === 1 ? 'it' : 'them';
      throw new DataMismatchError(
        `contract refused: ${listed.join(', ')} still depend${listed.length === 1 ? 's' : ''} on ${what}, which ${row.id} ${inCatalog ? 'changes the type of at this contract (in the catalog: the server refuses that under them)' : 'removes at this contract'}; ` +
          `the contract would fail there, or leave ${them} broken. Nothing was changed. ` +
          `${to !== undefined ? `Make ${them} read "${to}" instead (${readNewWay(listed, to, column!, them)})${dropOffered(listed) ? `, or drop ${them}` : ''}` : dropOffered(listed) ? `Change or drop ${them}` : `Change ${them}`}, then run \`xc contract\` again.`,
        { migration: row.id, table, ...(column !== undefined ? { column } : {}), dependents: listed },
        { code: 'removed_in_use' },
      );
    }
  });
}

/**
 * Before a rollback changes anything: what it drops (a copy's or an added column) is not what something of the user's
 * was made to read since — a policy moved onto the copy by hand, a view over the new column. The drop would fail
 * there, the migration left `rolling_back` with part of its expand undone (campaign DW: the copy's index gone, the
 * policy in the way). Not read again on a re-run of a rollback already begun: what it dropped is gone.
 */
export async function requireRollbackRemovesUnused(ctx: EngineContext, row: Pick<MigrationRow, 'id' | 'plan'>): Promise<void> {
  const columns = row.plan.rollback.flatMap((st) => (st.removes?.kind === 'column' ? [st.removes] : []));
  // The views keeping its renamed tables' old names, which the rollback drops to give the tables those names back: a
  // view of the user's over one failed that drop (campaign DZ: left `rolling_back`, the table under its new name).
  const oldNames = row.plan.oldNames ?? [];
  if (columns.length === 0 && oldNames.length === 0) return;
  await withSession(ctx.driver, async (s) => {
    // xc's own views keeping a renamed table's old name (each in-flight migration's) name its columns too.
    const ours = new Set((await inFlightOldNames(s, ctx)).map((o) => o.name));
    const theirs = (found: Dependent[]) => found.filter((d) => !d.changedUnder && (d.kind !== 'view' || !ours.has(d.name))).map(describeDependent).sort();
    const refuse = (listed: string[], what: string, keeps: string, details: Record<string, unknown>) => {
      const them = listed.length === 1 ? 'it' : 'them';
      return new DataMismatchError(
        `rollback of ${row.id} refused: ${listed.join(', ')} depend${listed.length === 1 ? 's' : ''} on ${what}, which the rollback drops; it would fail there, part of the expand undone, or leave ${them} broken. Nothing was changed. ` +
          `Make ${them} read ${keeps}${dropOffered(listed) ? `, or drop ${them}` : ''}, then run \`xc rollback ${row.id}\` again.`,
        { migration: row.id, ...details, dependents: listed },
        { code: 'removed_in_use' },
      );
    };
    for (const { table, name: column } of columns) {
      const listed = theirs(await ctx.dialect.dependents(s, table, column));
      if (listed.length > 0) throw refuse(listed, `"${table}"."${column}"`, `what ${row.id} keeps (the old column) again`, { table, column });
    }
    for (const { name, renamedTo } of oldNames) {
      const listed = theirs(await ctx.dialect.dependents(s, name, undefined, true)); // keepsName: what reaches it by name finds the table under it again
      if (listed.length > 0) throw refuse(listed, `the view "${name}" (xc's, keeping the old name of "${renamedTo}")`, `the table "${renamedTo}" itself (the rollback gives it the name "${name}" back, and a view over it follows)`, { table: name });
    }
  });
}

