/**
 * The health-signal interface (SPEC §5): one file per signal in this folder,
 * each a factory listed in index.ts. The throttle (throttle.ts) reads every
 * enabled signal before each batch and holds the batch while one is over.
 */
import type { EngineContext } from '../../engine/context.js';

/** One reading of one health signal. */
export interface HealthReading {
  /** The signal: 'load' | 'replica_lag' | 'autovacuum' | 'wal_rate' (stable names: events, --json, status). */
  signal: string;
  /** What was measured, for messages: a replica's host:port, a table; never a password. */
  source?: string;
  value: number;
  limit: number;
  /** Unit of value and limit, for messages: 'sessions', 'ms', 'bytes/s', 'workers'. */
  unit: string;
  over: boolean;
}

/** A health signal a backfill checks before each batch (pt-osc's --max-load / --max-lag, GitLab's health indicators). */
export interface HealthSignal {
  readonly name: string;
  /** Read it now (one reading per replica for replica lag). Must be cheap (< ~10 ms typical) and bounded by a timeout; a reading that cannot be taken is an `over` reading with a source saying why (fail closed), unless the signal decides otherwise and documents it. */
  read(): Promise<HealthReading[]>;
  close(): Promise<void>;
}

/** What a signal factory gets. */
export interface SignalContext {
  ctx: EngineContext;
  table: string;
  migration: string;
}

/** Makes a table's signal for one run; undefined: not enabled by the options (or not on this database). */
export type SignalFactory = (c: SignalContext) => Promise<HealthSignal | undefined>;
