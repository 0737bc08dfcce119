/** The public shape of fleet mode (`createFleet`, `xc fleet ...`): one migration run across many databases. */
import type { CheckResult, DeploymentInfo, PlanResult, RunResult, StatusResult, XcOptions } from '../api.js';
import type { ErrorCode } from '../errors.js';

/** One database of the fleet: a URL, or a section of a knexfile. */
export type FleetTarget =
  | { name: string; url: string }
  /** `knexfile`: default the fleet's `knexfile` option. */
  | { name: string; knexEnv: string; knexfile?: string };

export interface FleetOptions extends Omit<XcOptions, 'url' | 'connection' | 'knexEnv' | 'onEvent'> {
  targets: FleetTarget[];
  /** How many targets are worked on at once (default 4). */
  concurrency?: number;
  /** A target's outcome, as each finishes (`{ event: 'fleet_target', ... }`). */
  onEvent?: (event: FleetEvent) => void;
}

/** What became of one target: its result, or its error (exit code, code and message as `xc` would print them). */
export interface TargetResult<R> {
  /** The target's name (a URL's host, port and database when the file gives none): never a password. */
  name: string;
  ok: boolean;
  /** The exit code `xc` would have had on this target alone (0 when ok). */
  exitCode: number;
  code?: ErrorCode | 'not_started';
  message?: string;
  details?: Record<string, unknown>;
  result?: R;
}

export type FleetEvent = { event: 'fleet_target'; command: string; done: number; total: number } & TargetResult<unknown>;

export interface FleetSummary {
  total: number;
  ok: number;
  failed: number;
  /** Targets never started (SIGINT/SIGTERM or the signal came first). */
  notStarted: number;
  /** How many targets ended with each exit code. */
  exitCodes: Record<string, number>;
}

export interface FleetResult<R> {
  /** Every target ok. */
  ok: boolean;
  command: 'apply' | 'contract' | 'status' | 'check' | 'deploy record' | 'deploy retire';
  /**
   * 0 when every target is ok; else the exit code the failed targets share
   * (3: only the gate or phase order refused), 1 when they differ, 130/143
   * when the fleet was interrupted before every target had started.
   */
  exitCode: number;
  /** In the order of the targets file. */
  targets: TargetResult<R>[];
  summary: FleetSummary;
}

export interface FleetStatusResult extends FleetResult<StatusResult> {
  /** Per migration, how many targets are at each phase (a target that could not be read counts under `unknown`). */
  phases: Record<string, Record<string, number>>;
}

export interface Fleet {
  apply(opts?: { id?: string; to?: 'expand' | 'backfill'; dryRun?: boolean }): Promise<FleetResult<RunResult | PlanResult>>;
  contract(opts?: { id?: string; force?: boolean; reason?: string }): Promise<FleetResult<RunResult>>;
  status(): Promise<FleetStatusResult>;
  /** The gate on every target: `ok` (exit 0) only if the build may go live on each. */
  check(opts: { app: string; version: string; level?: string; apply?: boolean }): Promise<FleetResult<CheckResult>>;
  /** The deployments, on every target: each target's gate reads its own. */
  deploy: {
    record(opts: { app: string; version: string; env?: string; level?: string }): Promise<FleetResult<{ ok: true; deployment: DeploymentInfo; warning?: string }>>;
    retire(opts: { app: string; version: string; env?: string }): Promise<FleetResult<{ ok: true; retired: number }>>;
  };
}
