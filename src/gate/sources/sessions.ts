/**
 * Evidence: the application's own database sessions, named `app@version`
 * (how each server shows the name is the dialect's: Dialect.applicationSessions).
 * A name says no level: a session counts at the level its version was
 * recorded at (unknown when never recorded), and only for an app xc knows of
 * — recorded, or seen live by a source registered before this one — since
 * any other program may name its sessions with an `@`.
 */
import type { DeploymentInfo } from '../../api.js';
import { knownSecrets, MIN_FREE_TEXT_SECRET, scrub } from '../../db/redact.js';
import type { EvidenceContext, EvidenceSource, LiveVersion } from '../evidence.js';

/**
 * `app@version`, split at the last `@` (an app name may be `@scope/app`); each part trimmed, as deploy record trims
 * them: ` shop@v1` from a sloppy environment variable is shop's session, not an unknown app's.
 */
export function parseSessionName(name: string): { app: string; version: string } | null {
  const at = name.lastIndexOf('@');
  const [app, version] = [name.slice(0, at).trim(), name.slice(at + 1).trim()];
  return at > 0 && app !== '' && version !== '' ? { app, version } : null;
}

/**
 * `name` with xc's secrets taken out as the server shows them: whole, mangled as it mangles a session's name
 * (`shown`; PostgreSQL: a non-ASCII byte as `?`), and — a name the server cut at its limit — the start of one it ends
 * in (campaign BG: `cron@P??ssw0rd@x` and `…-of-orders@Sup3rS3cretPas` were shown).
 */
export function withoutSecrets(name: string, shown: (name: string) => string): string {
  const cut = shown(`${name}x`) === name;
  let out = scrub(name);
  for (const secret of knownSecrets) {
    if (secret.length < MIN_FREE_TEXT_SECRET) continue;
    const mangled = shown(secret);
    out = out.split(mangled).join('***');
    // Down to its first character: a cut name ending in `…@Su` shows two of `Sup3r…` (campaign BL); the cost of a
    // false match is a cut name's last characters shown as `***`.
    for (let k = mangled.length - 1; cut && k >= 1; k--) {
      if (out.endsWith(mangled.slice(0, k))) {
        out = `${out.slice(0, -k)}***`;
        break;
      }
    }
  }
  return out;
}

export const sessionsSource: EvidenceSource = {
  name: 'sessions',
  async gather(ctx, earlier) {
    const names = await ctx.dialect.applicationSessions(ctx.session);
    const recorded = await ctx.recorded();
    const knownApps = new Set([...recorded.map((d) => d.app), ...earlier.map((v) => v.app)]);
    const live: LiveVersion[] = [];
    const seen = new Set<string>();
    const sessions: { app: string; version: string }[] = [];
    for (const name of names) {
      // Scrubbed before it is split: a password in a session's name (`cron@S3cr@tPw`) split at its `@` is in neither
      // half, which no later scrub of the output would then find (campaign BD: shown by `deploy list --json`).
      const safe = withoutSecrets(name, (n) => ctx.dialect.sessionNameShown(n));
      const parsed = parseSessionName(safe);
      if (!parsed) continue;
      sessions.push(parsed);
      // The server may show a name other than the one set (PostgreSQL: 63 bytes, non-ASCII as `?`): every recorded
      // version shown so counts — several, when a cut name fits more than one (fail closed both ways).
      const exact = recorded.some((d) => d.app === parsed.app && d.version === parsed.version);
      const shownAs = exact ? [] : recorded.filter((d) => ctx.dialect.sessionNameShown(`${d.app}@${d.version}`) === name);
      const versions = shownAs.length > 0 ? [...new Map(shownAs.map((d) => [`${d.app}@${d.version}`, { app: d.app, version: d.version }])).values()] : [parsed];
      for (const { app, version } of versions) {
        const key = `${app}@${version}`;
        if (!knownApps.has(app) || seen.has(key)) continue;
        seen.add(key);
        live.push(sessionVersion(ctx, app, version, recorded.filter((d) => d.app === app && d.version === version), safe));
      }
    }
    return { live, listed: sessions };
  },
};

/** A session of `app@version` (its records, in any environment), named `name` on the server. */
function sessionVersion(ctx: EvidenceContext, app: string, version: string, records: DeploymentInfo[], name: string): LiveVersion {
  // Recorded in several environments: unknown when any of them is (or is no known migration), else the highest.
  const levels = records.map((d) => (d.level !== null && ctx.knownLevels.has(d.level) ? d.level : null));
  const level = levels.length === 0 || levels.includes(null) ? null : levels.sort().at(-1)!;
  // What its build has (the rollback gate's), the same way from each record's build level: only above `level`.
  const builds = records.map((d) => d.buildLevel ?? d.level).map((l) => (l !== null && ctx.knownLevels.has(l) ? l : null));
  const build = level === null || builds.includes(null) ? null : builds.sort().at(-1)!;
  // Its build is what was recorded first: a migration begun after that is not in it.
  const levelSetAt = records.map((d) => d.recordedAt).sort()[0];
  const key = `${app}@${version}`;
  const shown = name === key ? `"${key}"` : `"${name}" (${key} as the server shows it)`;
  return {
    kind: 'session',
    app,
    version,
    level,
    ...(build !== null && build > level! ? { buildLevel: build } : {}),
    ...(levelSetAt !== undefined ? { levelSetAt } : {}),
    describe: (stated) => `database session ${shown} is connected at ${levels.length === 0 ? 'an unknown level (that version was never recorded)' : stated}`,
  };
}
