/**
 * What a command refuses before it touches anything, and the message that
 * names the command that works instead. Exit 2 when retrying can never help
 * (a wrong --dir, an edited file, a migration that cannot be undone).
 */
import { canRollBack, isInFlight, isUnstarted, type Phase } from '../plan/index.js';
import { CannotSucceedError, DriftError, InvalidInputError } from '../errors.js';
import type { MigrationFile } from '../migration/load.js';
import type { MigrationRow } from '../state/store.js';

export interface Loaded {
  files: MigrationFile[];
  rows: Map<string, MigrationRow>;
}

/**
 * Why the migration `id` (its state row, if any) cannot be rolled back, or
 * null when it can (the phase machine decides: canRollBack), in the words
 * `rollback` and the drift message both use. A rolled-back migration can:
 * rolling it back again is a no-op (a re-run is safe).
 */
export function rollbackRefusal(id: string, row: Pick<MigrationRow, 'phase'> | undefined, contractUndoable = false): string | null {
  const phase: Phase = row?.phase ?? 'pending';
  if (canRollBack(phase, contractUndoable) || phase === 'rolled_back') return null;
  switch (phase) {
    case 'pending':
      return `${id} has not started: there is nothing to roll back (to drop it, delete or edit its file)`;
    case 'contracted':
      return `${id} is contracted: its old shape is gone and cannot be restored by xc; to undo it, write a new migration that reverses it`;
    case 'contracting':
      return `${id} is contracting: the old shape is being removed and cannot be restored; finish it with \`xc contract ${id}\`, then reverse it with a new migration if needed`;
    default:
      return `${id} is ${phase}: it cannot be rolled back`;
  }
}

/** The same, as the error `rollback` throws (exit 2). */
export function assertCanRollBack(id: string, row: Pick<MigrationRow, 'phase'> | undefined, contractUndoable = false): void {
  const refusal = rollbackRefusal(id, row, contractUndoable);
  if (refusal !== null) throw new CannotSucceedError(refusal, { migration: id, phase: row?.phase ?? 'pending' });
}

/**
 * Migrations the state has run (any phase but rolled_back) whose files are
 * not in --dir. A wrong --dir would otherwise look like "nothing to apply";
 * knex refuses the same way ("the migration directory is corrupt").
 */
export function assertNoMissingFiles(loaded: Loaded, dir: string, allowMissing: boolean): void {
  if (allowMissing) return;
  const files = new Set(loaded.files.map((f) => f.id));
  const missing = [...loaded.rows.values()].filter((r) => !isUnstarted(r.phase) && !files.has(r.id));
  if (missing.length === 0) return;
  throw new InvalidInputError(
    `the migrations folder ${dir} lacks the files of ${missing.length} migration${missing.length > 1 ? 's' : ''} this database has run: ` +
      `${missing.map((r) => `${r.id} (${r.phase})`).join(', ')}. Is --dir (XC_MIGRATIONS_DIR) the right folder? ` +
      'If it is partial on purpose (e.g. old migrations squashed), pass --allow-missing',
    { dir, missing: missing.map((r) => r.id) },
    { code: 'files_missing' },
  );
}

/**
 * The rollback's way to run an edited file, where the migration can still be undone — a contract that failed before
 * removing anything too (campaign CC: a typo in one, fixed in the file, was told "it can no longer be undone") —;
 * else, unless `orTake` (the flag is the way), that it cannot.
 */
async function rollbackWay(loaded: Loaded, id: string, row: MigrationRow, ways: DriftWays, orTake: boolean): Promise<string> {
  if (rollbackRefusal(id, row, row.phase === 'contracting' && (await ways.contractUndoable(row))) !== null) {
    return orTake ? '' : `It can no longer be undone (${row.phase}): restore the file from version control, and put the change in a new migration.`;
  }
  const later = [...loaded.rows.values()].filter((r) => r.id > id && isInFlight(r.phase)).map((r) => r.id).sort();
  const forced = row.phase === 'contracting' ? ' — with --force --reason TEXT while a version that has it is live, and that version recorded again once applied' : '';
  return `${orTake ? 'Or, to run the edited file' : 'To run the edited file'}: \`xc rollback ${id}\` undoes it from what the state recorded${later.length ? ` (and, first, the later ${later.join(', ')})` : ''}${forced}; then \`xc apply\`.`;
}

/** What a drift's message may offer, read only for a drifted file. */
export interface DriftWays {
  /** Whether a contracting migration's contract removed nothing yet, so rollback undoes it. */
  contractUndoable: (row: MigrationRow) => Promise<boolean>;
  /** Why `--take-edited-sql` cannot take the file's edit of `field` texts, or null when it can. */
  editRefusal: (row: MigrationRow, file: MigrationFile, field: 'contract' | 'rollback') => Promise<string | null>;
  /** `--take-edited-sql` was given: an edit it left is said why. */
  takeAsked: boolean;
}

/**
 * A migration file changed after its migration started. xc only ever runs
 * the plan the state recorded, so the edit would silently not take effect:
 * refused, naming what works — `rollback` (which runs the recorded plan and
 * is never refused for drift) while the migration can still be undone, else
 * restoring the file or a new migration; `--take-edited-sql` where the edit is
 * only a `sql` contract text not run yet (engine/editedSql.ts); `--allow-drift`
 * to go on with the recorded plan.
 */
export async function assertNoDrift(loaded: Loaded, command: string, ways: DriftWays): Promise<void> {
  for (const f of loaded.files) {
    const row = loaded.rows.get(f.id);
    if (!row || isUnstarted(row.phase) || row.checksum === f.checksum) continue;
    // The one edit xc takes: a `sql` text of the phase ahead, not run yet (the way out of a contract, or a rollback,
    // stuck on its own statement) — a rollback's once it began (campaign CN: told to run the rollback that failed).
    const field = row.phase === 'rolling_back' ? 'rollback' : 'contract';
    const notTaken = await ways.editRefusal(row, f, field);
    const take = notTaken === null ? `To run the edited text: \`xc ${field} ${f.id} --take-edited-sql\` records it (the file changes only the ${field} text of its \`sql\` operations, and none of those has run). ` : '';
    const refusedTake = notTaken !== null && ways.takeAsked ? `--take-edited-sql did not take it: ${notTaken}. ` : '';
    // A stuck rollback is no way to run the edit (it runs the recorded text again); the flag above is.
    const fix = take && field === 'rollback' ? '' : await rollbackWay(loaded, f.id, row, ways, take !== '');
    throw new DriftError(
      `${f.file} was changed after it was applied (${row.phase}); xc runs only what the state recorded, so the edit would not take effect. ${refusedTake}${take}${fix}${fix ? ' ' : ''}` +
        `Or go on with the recorded version: \`xc ${command} --allow-drift\` (the edit is ignored).`,
      { migration: f.id, phase: row.phase },
    );
  }
}
