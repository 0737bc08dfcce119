/** What xc reports while it works (XcOptions.onEvent; the CLI's `--json` event lines). */
import type { Blocker } from './blockers.js';
import type { Phase } from './phases.js';

export type XcEvent =
  | { event: 'phase'; migration: string; from: Phase; to: Phase }
  /**
   * A statement starts. For a step with an alternative for a busy table (Step.ifBusy): `writesPerSecond`, the
   * table's row writes per second just before (where the server counts them and a write-rate limit decides; not
   * where MariaDB's rebuild is watched by its log); `busy`, why the alternative runs.
   */
  | { event: 'step'; migration: string; phase: Phase; description: string; sql: string; writesPerSecond?: number; busy?: string }
  /** A rollback step not run: what it would remove is not xc's (its journal shows it never created it). */
  | { event: 'step_skipped'; migration: string; phase: Phase; description: string; reason: string }
  | { event: 'lock_retry'; migration: string; attempt: number; waitMs: number; description: string; blockers: Blocker[] }
  /** `pass`: 'fill' for a fill step of expand (before the triggers exist), 'backfill' for the backfill phase. `batchMs`: how long the batch just committed took (0 on the pass's closing event), the time the adaptive size aims at --batch-time. `pauseMs`: how long the part waits before its next batch (--batch-delay, --max-rows-per-second, or sharing a busy server, backfill/share.ts). `tablePass`: which of the backfill's passes over the table this is, where there are several (1-based; the counts start again with each). `blocked`: sessions that were waiting for the batch's row locks when it committed (0 where the server does not say or the size is pinned); the next batches shrink while it is not 0 (backfill/sizer.ts). */
  | { event: 'backfill'; pass: 'fill' | 'backfill'; migration: string; table: string; done: number; total: number; tablePass?: { index: number; of: number }; batchSize: number; batchMs: number; pauseMs: number; blocked: number; rowsPerSecond: number; etaSeconds: number | null }
  | { event: 'verify'; migration: string; table: string; checked: number; total: number }
  /** A pass waits: a health signal (`load`, `replica_lag`, `autovacuum`, `wal_rate`) reads `value` over its `limit`, in `unit`; `source`: what was measured (a replica, a table). */
  | { event: 'throttled'; migration: string; table: string; signal: string; source?: string; value: number; limit: number; unit: string }
  /** A replica the primary lists could not be read (replica lag): left out of this run, said once. */
  | { event: 'replica_skipped'; migration: string; table: string; replica: string; reason: string }
  | { event: 'waiting_lock'; holder: string | null }
  /** `--take-edited-sql`: the edited `field` text of these `sql` operations (their indexes in the file) is what the state records now. */
  | { event: 'sql_edited'; migration: string; field: 'contract' | 'rollback'; operations: number[] };
