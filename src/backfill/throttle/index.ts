/**
 * The health signals a backfill checks before each batch, one factory per
 * file. A factory returns undefined when its signal is off (by the options,
 * or not available on this database).
 */
import type { SignalFactory } from './signal.js';
import { load } from './load.js';
import { autovacuum } from './autovacuum.js';
import { walRate } from './walRate.js';
import { replicaLag } from './replicaLag.js';

export const signalFactories: SignalFactory[] = [load, autovacuum, walRate, replicaLag];
