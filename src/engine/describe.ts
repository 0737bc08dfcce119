/** What `plan` and `apply --dry-run` show: per remaining phase, the exact SQL and its lock. */
import type { Phase, PlannedPhase } from '../api.js';
import type { Dialect } from '../dialects/dialect.js';
import type { OperationPlan } from '../operations/types.js';
import { keyRange } from '../backfill/keyset.js';

const REMAINING: Record<Phase, PlannedPhase['phase'][]> = {
  pending: ['expand', 'backfill', 'contract'],
  expanding: ['expand', 'backfill', 'contract'],
  dual_write: ['backfill', 'contract'],
  backfilling: ['backfill', 'contract'],
  backfilled: ['contract'],
  contracting: ['contract'],
  contracted: [],
  rolling_back: ['rollback'],
  rolled_back: [],
};

export function backfillStatement(d: Dialect, table: string, set: Record<string, string>, where: string | undefined, key: string[]): string {
  const range = keyRange(d, key, key.map(() => '?'), key.map(() => '?'));
  const assignments = Object.entries(set).map(([c, e]) => `${d.quote(c)} = (${e})`).join(', ');
  return `UPDATE ${d.quote(table)} SET ${assignments} WHERE ${range.sql}${where ? ` AND (${where})` : ''}`;
}

export function describePlan(d: Dialect, plan: OperationPlan, phase: Phase): PlannedPhase[] {
  return REMAINING[phase].map((p) => {
    if (p !== 'backfill') return { phase: p, steps: plan[p] };
    return {
      phase: p,
      steps: [],
      backfill: plan.backfill.map((b) => ({ table: b.table, key: b.key ?? [], statement: backfillStatement(d, b.table, b.set, b.where, b.key ?? []) })),
    };
  });
}
