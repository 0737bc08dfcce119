/**
 * The public shape of the library (SPEC §8). The CLI is a thin layer over it.
 */
import type { Phase, Stage, Step, XcEvent } from './plan/index.js';

// Part of the public surface (index.ts exports every type of this file); they are defined with the phase machine.
export type { Phase, XcEvent };

export interface XcOptions {
  /** postgres://, postgresql://, mysql://, mariadb://, pglite://PATH, pglite://memory */
  url?: string;
  /** An existing connection: a Driver, knex instance, pg Pool, mysql2 pool or PGlite instance. */
  connection?: unknown;
  /** Read the connection from a knexfile (and its environment, default NODE_ENV or development). */
  knexfile?: string;
  knexEnv?: string;
  /**
   * PostgreSQL: the schema of the application's tables, exactly as written
   * (default: the connection's search_path). A URL's sessions get it as
   * their search_path; a connection object or knexfile keeps its own, which
   * must resolve to it. Its state is kept in schema `xc_<schema>` (`xc`
   * without it or for `public`), apart from other schemas'.
   */
  schema?: string;
  /** Migrations folder (default ./migrations). */
  dir?: string;
  /** Give up opening a connection after this long, on pools xc opens from a URL or knexfile (default 10000; not a pool handed in). */
  connectTimeoutMs?: number;
  lockTimeoutMs?: number; // default 1000
  lockRetryForMs?: number; // default 60000
  /** Wait this long for another xc's advisory lock instead of failing at once (exit 4). */
  waitLockMs?: number; // default 0
  batchTimeMs?: number; // default 200
  batchSize?: number; // pins the batch size
  batchDelayMs?: number; // default 0
  maxRowsPerSecond?: number;
  /**
   * Walk each backfill, fill and verify pass in this many parts at once, each
   * on its own connection (default 2; PGlite, with one connection: 1). Only a table with a single integer key
   * is split; others are walked by one worker.
   */
  parallel?: number;
  /** Pause the backfill while more sessions than this are running a statement (pt-osc's `--max-load Threads_running=N`). */
  maxLoad?: number;
  /** Pause the backfill while the server writes more WAL / redo log than this many bytes per second (default off). */
  maxWalRate?: number;
  /** After a backfill batch or verify chunk, pause half its time for each other session running a statement, up to this many times its time (default 3; 0: back to back; backfill/share.ts). */
  busyPause?: number;
  /**
   * MySQL/MariaDB: a column the backfill will fill is stored in every row by an online rebuild only while its
   * table takes at most this many row writes per second, measured just before and while it runs; a busier table
   * gets the column instantly instead. Unset: MariaDB's rebuild is watched by its row log instead (cancelled
   * once it holds more rows than half the lock timeout applies), MySQL's by a limit of 4000 (engine/busy.ts).
   */
  maxRebuildWriteRate?: number;
  /** PostgreSQL: do not pause the backfill while a VACUUM runs on its table (default false: pause). */
  ignoreVacuum?: boolean;
  /** Pause the backfill while a replica lags more than this (default 5000). */
  maxReplicaLagMs?: number;
  /** Replicas to watch for lag, by URL (default: those the primary lists). */
  replicas?: string[];
  /** Give up (RefusedError 'throttled', exit 3, resumable) after the backfill has been paused by a health signal this long without a break (default 1800000). */
  throttleTimeoutMs?: number;
  /** An instance is live while its last beat is younger than this, or than the TTL it beats for if longer (default 60000). */
  instanceTtlMs?: number;
  allowDrift?: boolean;
  /** Accept migrations the state has run whose files are not in `dir` (a folder partial on purpose); default: exit 2 naming them. */
  allowMissing?: boolean;
  /** Who is acting, for the event log (default: OS user@host). */
  actor?: string;
  /** Progress and phase events. */
  onEvent?: (event: XcEvent) => void;
  /**
   * Asks the command under way to stop: it finishes the statement or batch in
   * flight, records why on the migration (last_error), and rejects with an
   * InterruptedError (exit 130, or 143 when the reason is 'SIGTERM'). A re-run
   * continues where it stopped. The CLI wires SIGINT and SIGTERM to it.
   */
  signal?: AbortSignal;
}

export interface PlannedPhase {
  phase: Stage;
  steps: Step[];
  /** For backfill: the UPDATE run per batch, per table. */
  backfill?: { table: string; statement: string; key: string[] }[];
}

export interface MigrationPlanResult {
  id: string;
  description: string | null;
  phase: Phase;
  pending: PlannedPhase[];
  /** What the steps do not say: when a change reaches the application (OperationPlan.notes). */
  notes?: string[];
}

export interface PlanResult {
  ok: true;
  migrations: MigrationPlanResult[];
}

export interface MigrationOutcome {
  id: string;
  from: Phase;
  phase: Phase;
  rows?: number;
  /**
   * apply: what its plan says of when the change reaches the application (a column changed in place keeps its old
   * definition until contract), as `xc plan` shows it — a pipeline runs `check --apply`, never plan (campaign CZ).
   */
  notes?: string[];
}

export interface RunResult {
  ok: true;
  migrations: MigrationOutcome[];
  dryRun?: boolean;
  /** Why nothing was done, where more than "nothing to do" needs saying (a rollback without id after one that finished). */
  note?: string;
  /** What the deploy gate could not see when it let a contract go on (gate.ts unseenByGate). */
  warnings?: string[];
}

export interface StatusMigration {
  id: string;
  description: string | null;
  phase: Phase;
  /** File missing from --dir but known to the state. */
  missingFile?: boolean;
  drift?: boolean;
  /**
   * Rows of its tables, each counted once: where a table is walked more than once (two columns of it changed), `done`
   * is the share of all its passes done, in rows, and `passes` says how many passes there are and how many began.
   * While the expand fills a new column (MySQL/MariaDB: before its triggers exist), its fills are counted, `fill` set.
   * With one table walked, `current` is the pass under way, its rows as apply counts them.
   */
  backfill: { done: number; total: number; passes?: { begun: number; planned: number; fill?: true; current?: { done: number; total: number } } };
  blockers: GateBlocker[];
  lastError: string | null;
  updatedAt: string | null;
}

export interface StatusResult {
  ok: true;
  migrations: StatusMigration[];
}

export interface GateBlocker {
  kind: 'deployment' | 'instance' | 'session' | 'no_deployment';
  app?: string;
  version?: string;
  env?: string | null;
  level?: string | null;
  /**
   * Rollback blockers only: the level the version's build asked for, when `level` was lowered below it (DeploymentInfo.buildLevel);
   * the rollback gate judges by it.
   */
  buildLevel?: string;
  /** When the deployment was recorded (deployments only). */
  since?: string;
  detail: string;
}

export interface DeploymentInfo {
  app: string;
  /** null when recorded without an environment (as in blockers). */
  env: string | null;
  version: string;
  level: string | null;
  /**
   * Present only when `level` was lowered below the level the build asked for (given with --level, or the newest of
   * its folder at least backfilled): its folder lacks a migration merged later with a lower id, so `level` is the
   * newest it has every migration up to (what the contract gate reads). This is what its build has (what the rollback
   * gate reads: the build writes the new shapes of its own migrations up to it).
   */
  buildLevel?: string;
  /** When its level was last set: its last record. */
  recordedAt: string;
  /** When it was first recorded (a record again keeps it); absent for a record an older xc made. */
  firstRecordedAt?: string;
  retiredAt: string | null;
  actor: string | null;
}

export interface DeployListResult {
  ok: true;
  deployments: DeploymentInfo[];
  /**
   * Live instances: last heartbeat younger than the larger of the TTL each beats for (`ttlMs`, its own xc's
   * instanceTtlMs; null when written by an older xc) and this xc's instanceTtlMs.
   */
  instances: { id: string; app: string; version: string; env: string | null; level: string | null; buildLevel?: string; host: string | null; pid: number | null; ttlMs: number | null; lastBeatSecondsAgo: number }[];
  /** Sessions named `app@version` connected now. */
  sessions: { app: string; version: string }[];
  /** What the session evidence cannot see on this server (MySQL/MariaDB with performance_schema off: idle connections). */
  warning?: string;
}

export interface CheckResult {
  ok: true;
  app: string;
  version: string;
  level: string | null;
  /** Migrations `--apply` moved forward. */
  applied: MigrationOutcome[];
  /** Allowed, but worth a look: `--dir` holds no migration while the database has run some (the wrong folder?). */
  warning?: string;
}

/** One entry of xc's append-only event log (SPEC §4). */
export interface LogEvent {
  /** ISO 8601 UTC with `Z`, by the database's clock. */
  at: string;
  /** Who: --actor / XC_ACTOR, default OS user@host. */
  actor: string;
  /** The command that wrote it: `apply`, `contract`, `deploy record`... */
  command: string;
  /** A phase entered (`expanding` … `contracted`, `rolling_back`...), or `failed`, `step_skipped`, `backfill_again`, `sql_edited`, `deploy_record`, `deploy_retire`. */
  event: string;
  migration: string | null;
  /** The --reason of a forced step. */
  reason: string | null;
  /** What the event carries, parsed (a forced contract: `{ forced: true, blockers }`, the gate's blockers it overrode); null when nothing. */
  detail: unknown;
}

export interface LogQuery {
  /** Only events at or after this: a Date, an ISO 8601 date or time (UTC unless it has an offset), or a span back from the database's clock (`90m`, `2h`, `7d`). */
  since?: string | Date;
  /** Only this migration's events. */
  migration?: string;
  /** Only the newest N (still oldest first). */
  limit?: number;
}

export interface LogResult {
  ok: true;
  /** Oldest first, in the order they were written. */
  events: LogEvent[];
}

export interface Heartbeat {
  readonly id: string;
  /** Ends the instance at once (it stops counting as live). */
  stop(): Promise<void>;
}

export interface Xc {
  init(): Promise<{ ok: true; created: boolean }>;
  plan(opts?: { id?: string }): Promise<PlanResult>;
  apply(opts?: { id?: string; to?: 'expand' | 'backfill'; dryRun?: boolean }): Promise<RunResult | PlanResult>;
  backfill(opts?: { id?: string }): Promise<RunResult>;
  /**
   * `takeEditedSql`: first record the edited `contract` text of a started migration's `sql` operations whose statement
   * has not run (the file otherwise as applied), checked as `plan` checks it; README "A contract stuck on its own SQL".
   */
  contract(opts?: { id?: string; force?: boolean; reason?: string; takeEditedSql?: boolean }): Promise<RunResult>;
  /** Refused (exit 3, `gate_refused`) while a live version's level has the migration: it writes the shape a rollback removes. `takeEditedSql`: as contract's, for the `rollback` text. */
  rollback(opts?: { id?: string; force?: boolean; reason?: string; takeEditedSql?: boolean }): Promise<RunResult>;
  status(): Promise<StatusResult>;
  /** The event log, oldest first (read-only: a database without xc's state has no events). */
  log(opts?: LogQuery): Promise<LogResult>;
  /** Pre-deploy gate: may this build (at `level`, default the newest file) go live now? Exit 3 with reasons if not. */
  check(opts: { app: string; version: string; level?: string; apply?: boolean }): Promise<CheckResult>;
  deploy: {
    /**
     * `level`: a migration id known to `dir` or the state (else exit 2). Default: the newest migration at least
     * backfilled, with a `warning` when `dir` has newer files.
     */
    record(opts: { app: string; version: string; env?: string; level?: string }): Promise<{ ok: true; deployment: DeploymentInfo; warning?: string }>;
    /** Exit 2 when that version is not live (never recorded, or already retired). */
    retire(opts: { app: string; version: string; env?: string }): Promise<{ ok: true; retired: number }>;
    /** With `env`: only the deployments and instances of that environment (sessions have none: all of them). */
    list(opts?: { env?: string }): Promise<DeployListResult>;
  };
  /**
   * Register a running instance; it beats every TTL/3 (`instanceTtlMs`; at most every second, unless the TTL is under
   * 2 s: every TTL/2) or every `intervalMs` until `stop()`, and its TTL is stored with it: a gate whose own TTL is
   * shorter still counts it live for this one. An `intervalMs` not below the TTL is refused (InvalidInputError
   * `invalid_usage`, exit 2): the instance would be taken for gone between its beats.
   */
  startHeartbeat(opts: { app: string; version: string; env?: string; level?: string | null; intervalMs?: number }): Promise<Heartbeat>;
  /** The id of the newest migration in --dir, or null when there is none. */
  level(): Promise<string | null>;
  close(): Promise<void>;
}
