/** What `plan` and `apply --dry-run` show: per remaining phase, the exact SQL and its lock. */
import type { Phase, PlannedPhase } from '../api.js';
import type { Dialect } from '../dialects/dialect.js';
import type { OperationPlan } from '../operations/types.js';
import { backfillStatement } from '../backfill/keyset.js';

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

export function describePlan(d: Dialect, plan: OperationPlan, phase: Phase): PlannedPhase[] {
  return REMAINING[phase].map((p) => {
    if (p !== 'backfill') return { phase: p, steps: plan[p] };
    return {
      phase: p,
      steps: [],
      backfill: plan.backfill.map((b) => ({ table: b.table, key: b.key ?? [], statement: backfillStatement(d, b) })),
    };
  });
}
