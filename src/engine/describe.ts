/** What `plan` and `apply --dry-run` show: per remaining phase, the exact SQL and its lock. */
import type { PlannedPhase } from '../api.js';
import type { Dialect } from '../dialects/dialect.js';
import { stagesAhead, type OperationPlan, type Phase } from '../plan/index.js';
import { backfillStatement } from '../backfill/keyset.js';

export function describePlan(d: Dialect, plan: OperationPlan, phase: Phase): PlannedPhase[] {
  return stagesAhead(phase).map((p) => {
    if (p !== 'backfill') return { phase: p, steps: plan[p] };
    return {
      phase: p,
      steps: [],
      backfill: plan.backfill.map((b) => ({ table: b.table, key: b.key ?? [], statement: backfillStatement(d, b) })),
    };
  });
}
