/**
 * What the deploy gate decides from (SPEC §6): sources of evidence, each
 * reporting the application versions it sees live and the schema level each
 * runs at. The gate (gate.ts) judges the versions without knowing where they
 * were seen; a new source (Kubernetes pods, a service registry) is one file
 * in sources/ and one line in sources/index.ts.
 */
import type { GateBlocker } from '../api.js';
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { EngineOptions } from '../engine/context.js';
import type { DeploymentRow, DeploymentStore } from '../state/deployments.js';

/** A blocker's `kind`: a source bringing a new one adds its name to GateBlocker['kind'] (api.ts), which users read. */
export type EvidenceKind = Exclude<GateBlocker['kind'], 'no_deployment'>;

/** One application version a source sees live. */
export interface LiveVersion {
  kind: EvidenceKind;
  app: string;
  version: string;
  /** Its environment; left out when the source has no notion of one (its blockers then carry no `env`). */
  env?: string | null;
  /** The newest migration its build knew, as the source has it; null: unknown. The gate counts a level that is no known migration as unknown. */
  level: string | null;
  /**
   * The level its build asked for, when `level` was lowered below it (a migration merged later with a lower id that
   * the build lacks: levelOfBuild). The contract gate reads `level`; the rollback gate reads this, since the build has
   * and writes its own migrations up to it.
   */
  buildLevel?: string;
  /** When it went live, when the source knows (the blocker's `since`). */
  since?: string;
  /**
   * When its level was set (recorded, or the instance started; UTC, the database's clock): a migration that began
   * expanding after that cannot be in its build, whatever its id — a branch merged with an id below the level.
   */
  levelSetAt?: string;
  /**
   * The pipeline recorded this version as rolled out. The gate fails closed:
   * only such a version at or above a migration proves the code that needs
   * its new shape is out.
   */
  provesRollout?: boolean;
  /** The blocker's words: who, where seen, since when — given the gate's words for its level ("level 0002_x", "an unknown level", …). */
  describe(level: string): string;
}

/** What a source has to read with: one session, for reading only (the gate never writes, and takes no lock). */
export interface EvidenceContext {
  session: Session;
  dialect: Dialect;
  options: EngineOptions;
  /** The deployments and instances the state records. */
  store: DeploymentStore;
  /** The migrations of --dir and of the state: the only real levels (empty for `deploy list`, which judges nothing). */
  knownLevels: ReadonlySet<string>;
  /** Every deployment the state records, retired ones too: read once, for every source that needs them. */
  recorded(): Promise<DeploymentRow[]>;
}

export interface EvidenceSource {
  /** Its key in `deploy list`. */
  readonly name: string;
  /**
   * What it sees now: `live` for the gate, `listed` for `deploy list` (which
   * may show more, e.g. retired deployments). `earlier` is what the sources
   * registered before it reported live.
   */
  gather(ctx: EvidenceContext, earlier: readonly LiveVersion[]): Promise<{ live: LiveVersion[]; listed: readonly object[] }>;
}

/** Everything the sources saw, for one decision. */
export interface Evidence {
  /** Every live version, source after source in the order they are registered. */
  live: LiveVersion[];
  /** What each source lists for `deploy list`, by its name. */
  listed: Record<string, readonly object[]>;
  knownLevels: ReadonlySet<string>;
}

/** How a source names a version it saw (`app@version (env)`), alike in every blocker. */
export const who = (app: string, version: string, env?: string | null) => `${app}@${version}${env ? ` (${env})` : ''}`;
