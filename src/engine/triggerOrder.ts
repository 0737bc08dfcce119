/** Plan's checks of the user's triggers: the order PostgreSQL fires BEFORE row triggers in (by name), and those the backfill fires. */
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { ValidationIssue } from '../operations/types.js';
import type { BackfillSpec, Step } from '../plan/index.js';
import type { SchemaModel } from '../schema/model.js';

/**
 * A trigger of the user's that fires after one xc installs and may change the row (PostgreSQL fires BEFORE row
 * triggers in name order): xc's derives the new shape from the row before that trigger changes it, so the columns
 * would disagree from then on (a normalised `first_name`, a `full_name` from the raw one), or a NULL it sets would
 * meet the NOT NULL check xc added. Refused, naming it; renaming it to sort before "xc_" keeps it and its effect.
 */
export async function triggerOrderIssues(session: Session, dialect: Dialect, expand: Step[], path: (string | number)[]): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  for (const step of expand) {
    const table = step.tables[0];
    if (step.installs === undefined || table === undefined) continue;
    const after = await dialect.triggersFiringAfter(session, table, step.installs);
    if (after.length === 0) continue;
    const list = after.map((t) => `"${t}"`).join(', ');
    issues.push({
      path, code: 'trigger_order', table, triggers: after,
      message: `trigger${after.length === 1 ? '' : 's'} ${list} on "${table}" fire${after.length === 1 ? 's' : ''} after xc's "${step.installs}" (BEFORE row triggers fire in name order) and may change the row, which xc's trigger has already converted: the columns it keeps in step would disagree with what ${after.length === 1 ? 'it sets' : 'they set'} — rename ${after.length === 1 ? 'it' : 'them'} to sort before "xc_" (ALTER TRIGGER … ON "${table}" RENAME TO …), which keeps ${after.length === 1 ? 'it' : 'them'} firing before xc's`,
    });
  }
  return issues;
}

/**
 * The user's UPDATE row triggers that the backfill's batches fire, once for every row they write: an audit trigger
 * logs each row, a touch trigger stamps each `updated_at` (campaign DP: a plan said nothing of the event log a
 * backfill would write). Noted, not refused: many such triggers are harmless, and the README says how to keep one out.
 */
export async function backfillTriggerNotes(session: Session, dialect: Dialect, model: SchemaModel, backfill: BackfillSpec[]): Promise<string[]> {
  const notes: string[] = [];
  for (const table of new Set(backfill.map((b) => b.table))) {
    const written = backfill.filter((b) => b.table === table).flatMap((b) => [...Object.keys(b.set), ...(b.keep ?? [])]);
    // Read under the name the table has now: one this plan renames has its triggers under the old (campaign DU).
    const fired = await dialect.updateRowTriggers(session, model.readName(table), written);
    if (fired.length === 0) continue;
    const one = fired.length === 1;
    notes.push(`trigger${one ? '' : 's'} ${fired.join(', ')} on "${table}" fire${one ? 's' : ''} for every row the backfill writes (an audit log gets a row for each, an updated_at stamp is set on each) — README, "Backfill", says how to keep ${one ? 'it' : 'them'} out where the server allows it`);
  }
  return notes;
}
