/**
 * A migration's backfill progress as `xc status` shows it: rows of its tables, not passes. Passes over one table
 * (two columns of it changed, a copy and a derived column) count its rows once, as apply's count does (campaign DD:
 * 120,324 for about 60,000 rows): the widest pass's rows, done in the share of all the table's passes' work done —
 * the passes the plan holds, those not started yet included, each as wide as the widest, so the count never falls
 * when the next pass starts (campaign DM: 67,996/135,980, then 147,792 of it).
 */
export interface PassCount {
  done: number;
  total: number;
}

/** `passes`: each table's passes begun (store.allBackfills); `planned`: the passes the plan holds over each table. */
export function backfillProgress(passes: Map<string, PassCount[]>, planned: Map<string, number>): PassCount {
  let done = 0;
  let total = 0;
  for (const [table, begun] of passes) {
    const widest = Math.max(...begun.map((p) => p.total));
    const notBegun = Math.max(0, (planned.get(table) ?? 0) - begun.length);
    const work = begun.reduce((n, p) => n + p.total, 0) + notBegun * widest;
    const did = begun.reduce((n, p) => n + p.done, 0);
    total += widest;
    done += begun.length === 1 && notBegun === 0 ? begun[0]!.done : work === 0 ? 0 : Math.floor((widest * did) / work);
  }
  return { done, total };
}
