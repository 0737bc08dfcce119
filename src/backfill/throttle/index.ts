/**
 * The health signals a backfill checks before each batch, one factory per
 * file. A factory returns undefined when its signal is off (by the options,
 * or not available on this database).
 */
import type { SignalFactory } from './signal.js';

export const signalFactories: SignalFactory[] = [];
