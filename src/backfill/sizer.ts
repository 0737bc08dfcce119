/**
 * The adaptive batch size of one part's walk (run.ts), toward --batch-time.
 *
 * The rate it steers by is a decaying average of the batches done (the past
 * weighted 0.75 a batch, as pt-osc's chunk sizing), taken over the logarithm
 * of each batch's rows per ms: a geometric mean, so a batch time's median
 * lands on the aim even where single batches scatter (an arithmetic mean of
 * times is pulled up by the slow tail, and sizes aimed at it fall short).
 * One slow batch — a checkpoint, a lock wait, another session's burst —
 * moves the size by a quarter of its log, not at once in proportion, while a
 * lasting change of load is followed within a few batches. The next size
 * aims at 95 % of the target (GitLab aims 90–95 %), growing at most ×1.2 a
 * step (GitLab's bound against overshoot) and shrinking at most by half.
 * While a batch takes under a quarter of the target (the first batches, from
 * 1,000 rows), it grows ×2, or ×4 under an eighth: the next batch still
 * stays under half the target.
 *
 * Why (bench/adaptive.ts, MariaDB fill, 2M rows, writers doubling): the rule
 * before this one — the last batch alone, shrinking at once in proportion,
 * growing ×1.2 — held the median batch at 124 ms of 200 (p90 294 ms): every
 * noisy slow batch cut the size, which then took several batches to grow back.
 *
 * The application's writes come first. A batch that ends with writers waiting
 * for its row locks (counted before its COMMIT, Dialect.lockWaiters) halves a
 * cap on the size, down to CONTENDED_FLOOR rows; each batch that blocks no one
 * lets the cap grow ×1.1, and it is lifted once it passes what the time target
 * asks. So the batches settle where about one in eight holds up a writer, for
 * at most that smaller batch's time: a writer's chance to meet a locked row
 * falls with the rows a batch locks, and its wait with the batch's time. The
 * time target is a ceiling, then, not a promise (bench/adaptive.ts: the
 * writers' p99 against the batch time, with and without this cap).
 */
export const MIN_BATCH = 10;
export const MAX_BATCH = 50_000;

/** The past's weight in the decaying average, per batch (pt-osc's WeightedAvgRate default). */
const HISTORY_WEIGHT = 0.75;
/** The share of the target a batch aims at. */
const AIM = 0.95;
const MAX_GROWTH = 1.2;
const MAX_SHRINK = 0.5;
/** The smallest cap contention sets: gh-ost's and pgroll's fixed chunk, so a hot spot still lets the walk pass it. */
export const CONTENDED_FLOOR = 1000;
/** The cap's growth per batch that blocked no one: at ×0.5 a blocking batch, about one batch in eight blocks (0.5 · 1.1^7 ≈ 1). */
const CAP_GROWTH = 1.1;

export class BatchSizer {
  /** Decaying average of ln(rows per ms); null before the first batch. */
  private logRate: number | null = null;
  /** The most rows a batch may take while batches block the application's writes; Infinity while none does. */
  private cap = Infinity;

  constructor(private readonly targetMs: number) {}

  /** The size after a batch of `size` that took `elapsedMs`; `blocked`: writers were waiting for its locks at its end. */
  next(size: number, elapsedMs: number, blocked = false): number {
    const ms = Math.max(1, elapsedMs);
    const logRate = Math.log(size / ms);
    this.logRate = this.logRate === null ? logRate : HISTORY_WEIGHT * this.logRate + (1 - HISTORY_WEIGHT) * logRate;
    const ratio = this.targetMs / ms;
    const factor = ratio >= 8 ? 4 : ratio >= 4 ? 2 : Math.min(MAX_GROWTH, Math.max(MAX_SHRINK, (Math.exp(this.logRate) * this.targetMs * AIM) / size));
    const timed = Math.min(MAX_BATCH, Math.max(MIN_BATCH, size * factor));
    if (blocked) this.cap = Math.max(CONTENDED_FLOOR, Math.min(this.cap, size) * MAX_SHRINK);
    else if (this.cap < Infinity) this.cap = this.cap * CAP_GROWTH >= timed ? Infinity : this.cap * CAP_GROWTH;
    return Math.round(Math.min(timed, this.cap));
  }
}
