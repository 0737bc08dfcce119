/** Fleet mode: one migration across many databases (README "Many databases"). */
export { createFleet, DEFAULT_CONCURRENCY } from './fleet.js';
export { readTargets, targetsOf } from './targets.js';
export type * from './api.js';
