/**
 * The deploy gate (SPEC §6). A migration's old shape may only be removed
 * when nothing live still needs it. The sources of evidence (sources/) say
 * what runs and at which schema level — the newest migration its build knew.
 * Anything live below the migration's id blocks it; so does an unknown level.
 * And the gate fails closed: with no version the pipeline recorded as rolled
 * out at or above the migration, nothing proves the new code is out, so
 * contract is refused. A level that is no migration xc knows (of --dir or
 * the state) counts as unknown: a typo or a bogus `0099` must never compare
 * above every real migration. None of this knows where the evidence came from.
 */
import type { DeploymentInfo, GateBlocker } from '../api.js';
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { EngineOptions } from '../engine/context.js';
import { DeploymentStore, type DeploymentRow } from '../state/deployments.js';
import type { Evidence, EvidenceContext, LiveVersion } from './evidence.js';
import { evidenceSources } from './sources/index.js';
import { noDeploymentText, RECORD_HINT } from './hints.js';

/** Asks every registered source, in order, on one session. */
export async function gatherEvidence(s: Session, ctx: { dialect: Dialect; options: EngineOptions }, knownLevels: ReadonlySet<string>): Promise<Evidence> {
  const store = new DeploymentStore(ctx.dialect);
  let recorded: Promise<DeploymentRow[]> | undefined;
  const context: EvidenceContext = { session: s, dialect: ctx.dialect, options: ctx.options, store, knownLevels, recorded: () => (recorded ??= store.deployments(s)) };
  const live: LiveVersion[] = [];
  const listed: Record<string, readonly object[]> = {};
  for (const source of evidenceSources) {
    const seen = await source.gather(context, [...live]);
    live.push(...seen.live);
    listed[source.name] = seen.listed;
  }
  return { live, listed, knownLevels };
}

const below = (level: string | null, id: string) => level === null || level < id;
const levelText = (level: string | null) => (level === null ? 'an unknown level' : `level ${level}`);

/**
 * The blockers of rolling back `migrationId`: what runs at a level at or above it, whose build has the migration and
 * writes its new shape — the column, table or name a rollback removes, and the writes it made there with it. A level
 * unknown (or no migration xc knows) proves nothing either way and does not block: a rollback is how out of a bad
 * migration, and a version that never said which it runs cannot be shown to need it. Nor does a version whose level
 * was set before the migration began expanding (a branch merged with a lower id).
 *
 * The level judged is the build's own (LiveVersion.buildLevel), not the one lowered for a migration merged later that
 * the build lacks: that lowering keeps an old shape for the contract gate, but the build still has, and writes, its
 * own migrations above the gap. (So a migration between the lowered level and the build's that the build lacks — the
 * merged one — blocks too while it is in flight: conservative, and moot whenever the build's own later migration is
 * in flight, since a rollback takes every started migration after the one named with it.)
 */
export function rollbackBlockersFor(migrationId: string, ev: Evidence, expandedAt?: string | null): GateBlocker[] {
  const real = (level: string | null | undefined) => (level != null && ev.knownLevels.has(level) ? level : null);
  const has = (v: LiveVersion) => real(v.buildLevel) ?? real(v.level);
  // An id is no date (blockersFor): a version whose level was set before the migration began expanding never had it.
  const predates = (v: LiveVersion) => expandedAt != null && v.levelSetAt !== undefined && v.levelSetAt < expandedAt;
  return ev.live
    .filter((v) => has(v) !== null && !below(has(v), migrationId) && !predates(v))
    .map((v) => ({
      kind: v.kind,
      app: v.app,
      version: v.version,
      ...(v.env !== undefined ? { env: v.env } : {}),
      level: v.level,
      ...(v.buildLevel !== undefined ? { buildLevel: v.buildLevel } : {}),
      detail: v.describe(`${levelText(v.level)}${v.buildLevel !== undefined ? ` (lowered for a migration its build lacks; its build has migrations up to ${v.buildLevel})` : ''}`),
      ...(v.since !== undefined ? { since: v.since } : {}),
    }));
}

/**
 * What runs now at a level the gate does not know (a session or an instance of a version never recorded): the rollback
 * gate does not count it — it may be the failed version, or the old one — but says so, naming it (campaign FH: a
 * rollback dropped a table a connected `svc@v3` wrote, 66 rows and every later write lost, and said nothing while
 * `deploy list` showed the session). Recorded versions are the records' business: not repeated here.
 */
export function rollbackUnknownLevels(ids: string[], ev: Evidence): string[] {
  const real = (level: string | null | undefined) => level != null && ev.knownLevels.has(level);
  return ev.live
    .filter((v) => v.kind !== 'deployment' && !real(v.buildLevel) && !real(v.level))
    .map((v) => `${v.describe(levelText(v.level))}: the gate cannot tell whether it has ${ids.join(', ')} — if it does, this rollback removes what it writes there; make sure none of the failed version's instances is left`);
}

/**
 * The blockers of contracting `migrationId`, which began expanding at `expandedAt`. An id is no date: a branch
 * merged with an id below a live build's level was never in that build. So a version whose level was set (recorded,
 * started) before the migration began expanding does not count as having it — pipelines expand before they deploy.
 */
export function blockersFor(migrationId: string, ev: Evidence, expandedAt?: string | null): GateBlocker[] {
  const real = (level: string | null) => (level !== null && ev.knownLevels.has(level) ? level : null);
  const stated = (level: string | null) => (level !== null && real(level) === null ? `level ${level}, which is no migration of --dir or the state (counted as unknown)` : levelText(level));
  const predates = (v: LiveVersion) => expandedAt != null && v.levelSetAt !== undefined && v.levelSetAt < expandedAt;
  const lacks = (v: LiveVersion) => below(real(v.level), migrationId) || predates(v);
  const blockers: GateBlocker[] = ev.live.filter(lacks).map((v) => ({
    kind: v.kind,
    app: v.app,
    version: v.version,
    ...(v.env !== undefined ? { env: v.env } : {}),
    level: v.level,
    detail: `${v.describe(stated(v.level))}${below(real(v.level), migrationId) ? '' : `, set before ${migrationId} began expanding: its build cannot have it (an id below its level, merged later) — or ${migrationId} was rolled back and applied again since: record the version again if its build has it`}`,
    ...(v.since !== undefined ? { since: v.since } : {}),
  }));
  if (!ev.live.some((v) => v.provesRollout && !lacks(v))) {
    blockers.push({ kind: 'no_deployment', level: null, detail: `${noDeploymentText(migrationId)} (${RECORD_HINT})` });
  }
  return blockers;
}

/**
 * What the gate cannot see, said when it lets `migrationId` be contracted (SPEC §6 lets it: these do not block). A
 * team's first day (campaigns AX, AY): the version running before xc came was never recorded, and the first one
 * recorded is the new one — the gate opens while the old one still writes. So: an app whose every record was made
 * after the migration began expanding, none retired (nothing older was ever known to it); and sessions named
 * `app@version` of an app with no record at all, which the gate does not count (any program may use an `@`).
 */
export function unseenByGate(migrationId: string, ev: Evidence, expandedAt?: string | null): Map<string, string> {
  const recorded = (ev.listed.deployments ?? []) as DeploymentInfo[];
  const opening = [...new Set(ev.live.filter((v) => v.provesRollout).map((v) => v.app))];
  const warnings = opening
    .filter((app) => expandedAt != null && recorded.filter((d) => d.app === app).every((d) => d.retiredAt === null && (d.firstRecordedAt ?? d.recordedAt) >= expandedAt))
    .map((app): [string, string] => {
      const versions = recorded.filter((d) => d.app === app).map((d) => d.version);
      return [`app\0${app}`, `${app} has no version recorded before ${migrationId} was applied (only ${[...new Set(versions)].join(', ')}, since): a version that ran before it and was never recorded is not counted — if one still runs, \`xc deploy record --app ${app} --version <it>\`, and retire it once it is gone`];
    });
  const apps = new Set(recorded.map((d) => d.app));
  const sessions = ((ev.listed.sessions ?? []) as { app: string; version: string }[]).filter((s) => !apps.has(s.app) && !ev.live.some((v) => v.app === s.app));
  const named = [...new Set(sessions.map((s) => `${s.app}@${s.version}`))].sort();
  if (named.length > 0) {
    warnings.push(['sessions\0', `database sessions named ${named.map((n) => `"${n}"`).join(', ')} are connected, of ${named.length === 1 ? 'an app' : 'apps'} with no deployment recorded: the gate does not count them — if they are your application's, record its versions under that app name (\`xc deploy record --app <app>\`)`]);
  }
  // Keyed apart (an app may be named `sessions`: campaign BD lost its warning): a run contracting several says each once.
  return new Map(warnings);
}

/** A blocker's identity across two readings of the evidence: what --force was shown, against what runs after the verify. */
export const blockerKey = (b: GateBlocker): string => JSON.stringify([b.kind, b.app ?? null, b.version ?? null, b.env ?? null, b.level ?? null]);
