/**
 * A migration's backfill progress as `xc status` shows it: rows of its tables, not passes. Passes over one table
 * (two columns of it changed, a copy and a derived column) count its rows once, as apply's count does (campaign DD:
 * 120,324 for about 60,000 rows): the widest pass's rows, done in the share of all the table's passes' work done —
 * the passes the plan holds, those not started yet included, each as wide as the widest, so the count never falls
 * when the next pass starts (campaign DM: 67,996/135,980, then 147,792 of it). While the expand fills (MySQL/MariaDB),
 * its fills are the walk shown, counted the same way: each one's count fell to the next's start (campaign DU).
 */
export interface PassCount {
  done: number;
  total: number;
}

/** A pass as the state holds it: a fill of the expand phase, or a pass of the backfill phase; open while not walked to its end. */
export interface PassRow extends PassCount {
  fill: boolean;
  open: boolean;
}

/**
 * What status shows: `passes` where a table is walked more than once, so the count reads as a share of them all
 * (campaign DR); with one table walked, `current` is its pass under way as apply counts it (campaign DZ: "72,000/100,000;
 * pass 2 of 2" was read as pass 2's rows, which apply had shown at 44,000).
 */
export interface BackfillProgress extends PassCount {
  passes?: { begun: number; planned: number; fill?: true; current?: PassCount };
}

/** The walks a plan holds over each table: the expand's fills, the backfill phase's passes. */
export interface PlannedWalks {
  fill: Map<string, number>;
  backfill: Map<string, number>;
}

/** `tables`: each table's passes begun (store.allBackfills); `planned`: the walks the plan holds over each table. */
export function backfillProgress(tables: Map<string, PassRow[]>, planned: PlannedWalks): BackfillProgress {
  const filling = [...tables.values()].some((passes) => passes.some((p) => p.fill && p.open));
  const plan = filling ? planned.fill : planned.backfill;
  let done = 0;
  let total = 0;
  let begunAll = 0;
  let plannedAll = 0;
  let walked = 0;
  let current: PassCount | undefined;
  for (const [table, passes] of tables) {
    const begun = passes.filter((p) => p.fill === filling);
    if (begun.length === 0) continue;
    walked += 1;
    const under = begun.find((p) => p.open) ?? begun.at(-1)!;
    current = { done: under.done, total: under.total };
    begunAll += begun.length;
    plannedAll += Math.max(begun.length, plan.get(table) ?? 0);
    const widest = Math.max(...begun.map((p) => p.total));
    const notBegun = Math.max(0, (plan.get(table) ?? 0) - begun.length);
    const work = begun.reduce((n, p) => n + p.total, 0) + notBegun * widest;
    const did = begun.reduce((n, p) => n + p.done, 0);
    total += widest;
    done += begun.length === 1 && notBegun === 0 ? begun[0]!.done : work === 0 ? 0 : Math.floor((widest * did) / work);
  }
  if (plannedAll <= walked) return { done, total };
  return { done, total, passes: { begun: begunAll, planned: plannedAll, ...(filling ? { fill: true as const } : {}), ...(walked === 1 ? { current } : {}) } };
}
