/**
 * The deploy gate (SPEC §6). A migration's old shape may only be removed
 * when nothing live still needs it. Three kinds of evidence say what runs:
 * deployments the pipeline recorded, instances heartbeating through the
 * library, and (PostgreSQL) sessions named `app@version`. Anything live whose
 * schema level — the newest migration its build knew — is below the
 * migration's id blocks it; so does an unknown level. And the gate fails
 * closed: with no live deployment at or above the migration recorded at all,
 * nothing proves the new code is out, so contract is refused. A level that
 * is no migration xc knows (of --dir or the state) counts as unknown: a typo
 * or a bogus `0099` must never compare above every real migration.
 */
import type { GateBlocker } from '../api.js';
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { DeploymentRow, DeploymentStore, InstanceRow } from '../state/deployments.js';

export interface Evidence {
  deployments: DeploymentRow[];
  /** Live instances only (not stopped, beat within the TTL). */
  instances: InstanceRow[];
  sessions: { app: string; version: string }[];
  /** Ids of the migrations of --dir and of the state: the only real levels. */
  knownLevels: ReadonlySet<string>;
}

/** `app@version`, split at the last `@` (an app name may be `@scope/app`). */
export function parseSessionName(name: string): { app: string; version: string } | null {
  const at = name.lastIndexOf('@');
  return at > 0 && at < name.length - 1 ? { app: name.slice(0, at), version: name.slice(at + 1) } : null;
}

export async function gatherEvidence(s: Session, dialect: Dialect, store: DeploymentStore, instanceTtlMs: number, knownLevels: ReadonlySet<string>): Promise<Evidence> {
  const deployments = await store.deployments(s);
  const instances = (await store.instances(s)).filter((i) => i.ageMs < instanceTtlMs);
  const sessions = (await dialect.applicationSessions(s)).map(parseSessionName).filter((x): x is { app: string; version: string } => x !== null);
  return { deployments, instances, sessions, knownLevels };
}

const below = (level: string | null, id: string) => level === null || level < id;
const who = (app: string, version: string, env?: string | null) => `${app}@${version}${env ? ` (${env})` : ''}`;
const levelText = (level: string | null) => (level === null ? 'an unknown level' : `level ${level}`);

export function blockersFor(migrationId: string, ev: Evidence): GateBlocker[] {
  const blockers: GateBlocker[] = [];
  const real = (level: string | null) => (level !== null && ev.knownLevels.has(level) ? level : null);
  const stated = (level: string | null) => (level !== null && real(level) === null ? `level ${level}, which is no migration of --dir or the state (counted as unknown)` : levelText(level));
  const live = ev.deployments.filter((d) => d.retiredAt === null);
  for (const d of live) {
    if (below(real(d.level), migrationId)) {
      blockers.push({ kind: 'deployment', app: d.app, version: d.version, env: d.env || null, level: d.level, detail: `deployment ${who(d.app, d.version, d.env)} is live at ${stated(d.level)}${d.actor ? ` (recorded by ${d.actor})` : ''}`, since: d.recordedAt });
    }
  }
  for (const i of ev.instances) {
    if (below(real(i.level), migrationId)) {
      blockers.push({ kind: 'instance', app: i.app, version: i.version, env: i.env || null, level: i.level, detail: `instance ${who(i.app, i.version, i.env)}${i.host ? ` on ${i.host}` : ''}${i.pid ? ` pid ${i.pid}` : ''} is live at ${stated(i.level)} (last heartbeat ${Math.round(i.ageMs / 1000)}s ago)` });
    }
  }
  const knownApps = new Set([...ev.deployments.map((d) => d.app), ...ev.instances.map((i) => i.app)]);
  const seen = new Set<string>();
  for (const sess of ev.sessions) {
    const key = `${sess.app}@${sess.version}`;
    if (!knownApps.has(sess.app) || seen.has(key)) continue; // not one of the applications xc knows of
    seen.add(key);
    const levels = ev.deployments.filter((d) => d.app === sess.app && d.version === sess.version).map((d) => real(d.level));
    const level = levels.length === 0 || levels.includes(null) ? null : levels.sort().at(-1)!;
    if (below(level, migrationId)) {
      blockers.push({ kind: 'session', app: sess.app, version: sess.version, level, detail: `database session "${key}" is connected at ${levels.length === 0 ? 'an unknown level (that version was never recorded)' : levelText(level)}` });
    }
  }
  if (!live.some((d) => !below(real(d.level), migrationId))) {
    blockers.push({ kind: 'no_deployment', level: null, detail: `no live deployment at or above ${migrationId} has been recorded (run \`xc deploy record --app A --version V\` once the new version is out)` });
  }
  return blockers;
}
