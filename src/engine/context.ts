/** What every engine part needs: the database, its dialect, the state, the options, and a way to report. */
import type { Driver } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { StateStore } from '../state/store.js';
import type { XcEvent } from '../plan/index.js';
import { InterruptedError } from '../errors.js';
import { engineOptions, type EngineOptionValues } from '../options.js';

/** The settings the engine reads, defaults filled: the registry's engine settings (src/options.ts), by their XcOptions names. */
export type EngineOptions = EngineOptionValues;

export const defaultEngineOptions: EngineOptions = engineOptions({});

export interface EngineContext {
  driver: Driver;
  dialect: Dialect;
  store: StateStore;
  options: EngineOptions;
  actor: string;
  command: string;
  emit(event: XcEvent): void;
  /**
   * Throws (exit 4) when the advisory lock this command holds was lost (its
   * session ended: an idle timeout, a proxy, pg_terminate_backend), so a second
   * xc may be running: called before every phase transition, DDL step and
   * backfill batch commit. Set by withAdvisoryLock; a no-op outside it.
   */
  lockHeld?: () => Promise<void>;
  /** The URL xc connected with, when it was given one: discovered replicas are reached with its credentials (throttle/replicaLag.ts). Never printed. */
  primaryUrl?: string;
  /** Aborted when the command is asked to stop (XcOptions.signal). */
  signal?: AbortSignal;
}

/** Throws an InterruptedError when a stop was asked for: called where the command can stop with nothing half done. */
export function stopIfAsked(ctx: Pick<EngineContext, 'signal'>): void {
  if (!ctx.signal?.aborted) return;
  const reason = String(ctx.signal.reason ?? 'stop requested');
  throw new InterruptedError(`stopped (${reason}) between two steps, nothing half done — run the command again to continue`, reason);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
