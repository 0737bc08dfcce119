/**
 * `--take-edited-sql`: the one edit of a started migration xc takes — the
 * text of a `sql` operation's `contract` (or `rollback`) statement that has
 * not run yet. Without it, a `sql` contract step that can never succeed, after
 * a step of the same contract removed part of the old shape, left the
 * migration `contracting` for good: rollback is refused (forward only), the
 * fixed file is drift, and `--allow-drift` runs the recorded text again
 * (campaign CF). Flyway's `repair` realigns checksums; this is narrower.
 *
 * Taken only when the file differs from the definition recorded at apply in
 * those texts alone (checked by putting the recorded texts back and comparing
 * checksums), each one's step not done. Every new text passes the checks
 * `plan` gives a `sql` operation's text, then the definition, the plan, the
 * checksum and the journal's statements change in one transaction with an
 * event: a kill leaves either the old record (the re-run takes the edit) or the
 * new one (the re-run finds no drift).
 */
import { inTransaction, withSession } from '../db/driver.js';
import { InvalidInputError, XcError, type MigrationIssue } from '../errors.js';
import { canonicalJson, checksumOf, type MigrationFile } from '../migration/load.js';
import { entryKind, type MigrationDefinition, type OperationSpec } from '../migration/schema.js';
import { isInFlight } from '../plan/phases.js';
import type { Step } from '../plan/index.js';
import { SchemaModel } from '../schema/model.js';
import type { MigrationRow } from '../state/store.js';
import type { EngineContext } from './context.js';

/** The statements of a phase an author writes in a `sql` operation, and which a stuck phase may need edited. */
export type EditableField = 'contract' | 'rollback';

/** One edited statement: operation `op`'s `field`, planned as step `seq` of that phase. */
interface SqlEdit {
  op: number;
  seq: number;
  text: string;
}

/** The `field` text of operation `i` when it is a `sql` operation that has one. */
function sqlText(definition: MigrationDefinition, i: number, field: EditableField): string | undefined {
  const entry = definition.operations[i];
  if (!entry) return undefined;
  const { kind, spec } = entryKind(entry);
  return kind === 'sql' ? (spec as OperationSpec<'sql'>)[field] : undefined;
}

/**
 * What `file` changes of the migration its state row recorded, when that is only the `field` text of `sql`
 * operations whose step has not run (`done` lists the steps that have): the edits, else why the edit cannot be taken.
 */
export function sqlEditsOf(row: MigrationRow, file: MigrationFile, field: EditableField, done: ReadonlySet<number>): { edits: SqlEdit[] } | { reason: string } {
  const recorded = row.definition;
  if (!isInFlight(row.phase)) return { reason: `it is ${row.phase}: nothing of it runs any more` };
  const restored = structuredClone(file.definition);
  const edits: SqlEdit[] = [];
  for (const [op, entry] of restored.operations.entries()) {
    const [before, after] = [sqlText(recorded, op, field), sqlText(file.definition, op, field)];
    if (before === undefined || after === undefined || before === after) continue;
    (entryKind(entry).spec as OperationSpec<'sql'>)[field] = before;
    edits.push({ op, seq: row.plan[field].findIndex((st) => st.author?.op === op && st.author.field === field), text: after });
  }
  const only = `only the \`${field}\` text of a \`sql\` operation already there can be taken`;
  if (edits.length === 0) return { reason: `no \`sql\` operation's \`${field}\` text changed (${only})` };
  if (checksumOf(restored) !== row.checksum) {
    return { reason: `the edit changes more than the \`${field}\` text of its \`sql\` operations: ${changedBesides(recorded, restored)} (${only}; put the rest back as applied, or in a new migration)` };
  }
  const old = edits.find((e) => e.seq < 0);
  if (old) return { reason: `operations[${old.op}]'s plan was recorded by an older xc, which did not mark whose statement a step is` };
  const ran = edits.find((e) => done.has(e.seq));
  if (ran) return { reason: `operations[${ran.op}].sql.${field} ran already: put what it should have done in a new migration` };
  return { edits };
}

/** What differs between two definitions, in words: the description, the number of operations, or which ones. */
function changedBesides(recorded: MigrationDefinition, edited: MigrationDefinition): string {
  const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
  const { operations: a, ...restA } = recorded;
  const { operations: b, ...restB } = edited;
  const parts: string[] = [];
  for (const key of new Set([...Object.keys(restA), ...Object.keys(restB)])) {
    if (!same((restA as Record<string, unknown>)[key], (restB as Record<string, unknown>)[key])) parts.push(`its ${key}`);
  }
  if (a.length !== b.length) parts.push(`the number of operations (${a.length} applied, ${b.length} now)`);
  else for (const [i, op] of a.entries()) if (!same(op, b[i])) parts.push(`operations[${i}]`);
  return parts.length > 0 ? parts.join(', ') : 'its content';
}

/** sqlEditsOf, with the steps of `field`'s phase the journal shows done (none before that phase began). */
async function editsOf(ctx: EngineContext, row: MigrationRow, file: MigrationFile, field: EditableField): Promise<ReturnType<typeof sqlEditsOf>> {
  const steps = await withSession(ctx.driver, (s) => ctx.store.steps(s, row.id, field));
  return sqlEditsOf(row, file, field, new Set(steps.filter((st) => st.status === 'done').map((st) => st.seq)));
}

/** Why an edit of migration `row` cannot be taken for `field`, or null when it can (for the drift message). */
export async function editRefusal(ctx: EngineContext, row: MigrationRow, file: MigrationFile, field: EditableField): Promise<string | null> {
  const found = await editsOf(ctx, row, file, field);
  return 'reason' in found ? found.reason : null;
}

/**
 * Takes into the state every in-flight migration's edit `sqlEditsOf` allows, each its new texts checked first (exit
 * 2 naming the field, nothing recorded). Updates `rows` to match; returns what was taken. Run under xc's lock.
 */
export async function takeEditedSql(ctx: EngineContext, files: readonly MigrationFile[], rows: Map<string, MigrationRow>, field: EditableField): Promise<{ id: string; operations: number[] }[]> {
  const taken: { id: string; operations: number[] }[] = [];
  for (const file of files) {
    const row = rows.get(file.id);
    if (!row || row.checksum === file.checksum) continue;
    const found = await editsOf(ctx, row, file, field);
    if ('reason' in found) continue; // the drift guard refuses it, saying why (guards.ts)
    await assertValidSql(ctx, file, found.edits, field);
    // The step as the planner makes it from the new text (markRemovals): raw() reads nothing of the model.
    await ctx.dialect.loadDdl();
    const ddl = ctx.dialect.ddl(new SchemaModel());
    const plan = { ...row.plan, [field]: [...row.plan[field]] };
    for (const e of found.edits) {
      const was = plan[field][e.seq]!;
      plan[field][e.seq] = { ...ddl.raw(e.text, was.description), author: was.author! } satisfies Step;
    }
    const operations = found.edits.map((e) => e.op);
    await inTransaction(ctx.driver, async (s) => {
      await ctx.store.takeEdit(s, row.id, { checksum: file.checksum, definition: file.definition, plan }, field, found.edits);
      await ctx.store.log(s, { migration: row.id, actor: ctx.actor, command: ctx.command, event: 'sql_edited', detail: { field, operations, checksum: { from: row.checksum, to: file.checksum } } });
    });
    rows.set(row.id, { ...row, checksum: file.checksum, definition: file.definition, plan });
    ctx.emit({ event: 'sql_edited', migration: row.id, field, operations });
    taken.push({ id: row.id, operations });
  }
  return taken;
}

/**
 * A refusal after the take: what it took stands (each in its committed transaction), and the error says so — not
 * "nothing was executed" (campaign CS: another migration's edit was taken, then this one's refused).
 */
export function withTaken(err: unknown, taken: readonly { id: string }[]): unknown {
  if (taken.length === 0 || !(err instanceof XcError)) return err;
  const ids = taken.map((t) => t.id);
  err.message = `${err.message}\n(taken before this refusal, and kept: the edited sql of ${ids.join(', ')}, logged as sql_edited)`;
  Object.assign(err.details, { taken: ids });
  return err;
}

/** The checks `plan` gives a `sql` operation's text (sql.ts validate; the server's parser), on each new text. */
async function assertValidSql(ctx: EngineContext, file: MigrationFile, edits: SqlEdit[], field: EditableField): Promise<void> {
  const issues: MigrationIssue[] = [];
  await withSession(ctx.driver, async (s) => {
    for (const e of edits) {
      const path = ['operations', e.op, 'sql', field];
      const outside = ctx.dialect.rawSqlIssue?.(e.text);
      const syntax = outside === undefined ? await ctx.dialect.sqlSyntaxIssue?.(s, e.text) : null;
      if (outside !== undefined) issues.push({ file: file.file, path, code: 'outside_transaction', message: outside });
      else if (syntax) issues.push({ file: file.file, path, code: 'invalid_sql', message: `not valid SQL: ${syntax}` });
    }
  });
  if (issues.length === 0) return;
  const lines = issues.map((i) => `  - ${i.file}: operations[${i.path[1]}].sql.${field}: ${i.message}`);
  throw new InvalidInputError(
    `the edited text was not taken (nothing changed):\n${lines.join('\n')}\n(a statement that needs an operation of its own cannot be taken into this migration: put it in a new one)`,
    { migration: file.id },
    { code: 'invalid_migration', issues },
  );
}
