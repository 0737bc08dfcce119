/** Plan's check of the user's triggers against the order PostgreSQL fires BEFORE row triggers in (by name). */
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { ValidationIssue } from '../operations/types.js';
import type { Step } from '../plan/index.js';

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
