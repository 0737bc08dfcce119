/**
 * The deploy gate's sources of evidence, in the order they are gathered
 * (and their blockers listed). A new source: a file here, a line below.
 */
import type { EvidenceSource } from '../evidence.js';
import { deploymentsSource } from './deployments.js';
import { instancesSource } from './instances.js';
import { sessionsSource } from './sessions.js';

export const evidenceSources: EvidenceSource[] = [
  deploymentsSource,
  instancesSource,
  // After the sources that name apps: a session only counts for an app one of them (or a recorded deployment) names.
  sessionsSource,
];
