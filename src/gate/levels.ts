/**
 * Schema levels given to the gate (SPEC §6). A level is the id of a migration
 * known to --dir or to the state: anything else (a typo, `0099_nonexistent`)
 * would compare above every real migration and open the gate, so it is
 * refused, exit 2, before anything is written.
 */
import { existsSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { listMigrations } from '../migration/files.js';
import { isAtLeastBackfilled, isUnstarted, reached, type Phase } from '../plan/index.js';

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The migration ids of `dir` by file name, or none when the folder does not
 * exist (a deploy step may run without it). A level is an id: the files are
 * not parsed, so a broken file elsewhere in the folder cannot keep a rollout
 * that happened from being recorded (an unrecorded live version is one the
 * gate does not protect), and a big folder costs a directory listing.
 */
export async function idsIfAny(dir: string): Promise<{ id: string }[]> {
  return existsSync(dir) ? listMigrations(dir) : [];
}

/** The migrations known to --dir (by file name) and to the state: all a level is checked against. */
export interface KnownMigrations {
  files: readonly { id: string }[];
  rows: ReadonlyMap<string, unknown>;
}

export function assertKnownLevel(level: string, loaded: KnownMigrations, dir: string): void {
  if (loaded.files.some((f) => f.id === level) || loaded.rows.has(level)) return;
  if (level.trim() === '') throw new InvalidInputError('--level is empty: give the id of the newest migration the build ships with (`xc level` prints it), or leave the flag out', { level, dir }, { code: 'invalid_usage' });
  const newest = loaded.files.at(-1)?.id ?? [...loaded.rows.keys()].sort(byId).at(-1);
  throw new InvalidInputError(
    `level "${level}" is not a migration: no file ${level}.* in ${dir}${existsSync(dir) ? '' : ' (the folder does not exist)'} and no migration of that id in the database's state. ` +
      `A level is the id of the newest migration the build ships with (\`xc level\` prints it from --dir${newest ? `; here: ${newest}` : ''})`,
    { level, dir },
    { code: 'migration_missing' },
  );
}

/**
 * `deploy record` without `--level`: the newest migration of --dir (the
 * build's own migrations) that is at least backfilled — a build needing a
 * later one could not have gone live (`xc check` refuses it), and a newer one
 * only the state knows belongs to a newer build (an older build recorded
 * again, e.g. a rollback deploy, must not count as at that level). A warning
 * when --dir has newer files: if the build ships them, say so with --level.
 * Nothing of --dir backfilled: an unknown level, which blocks every contract
 * while the deployment is live (fail closed).
 */
export function defaultLevel(loaded: Pick<KnownMigrations, 'files'> & { rows: ReadonlyMap<string, { phase: Phase }> }, dir: string): { level: string | null; warning?: string } {
  const ready = loaded.files.filter((f) => isAtLeastBackfilled(loaded.rows.get(f.id)?.phase ?? 'pending'));
  const level = ready.at(-1)?.id ?? null;
  const newer = loaded.files.filter((f) => level === null || f.id > level);
  if (loaded.files.length === 0) {
    return { level, warning: `no --level given and no migration files in ${dir}: recorded at an unknown level — right for the version that runs before your first migration, which blocks every contract while it is live (retire it once the new version has replaced it); otherwise pass --level ID` };
  }
  if (newer.length === 0) return { level };
  // Nothing begun: the version recorded runs before the first migration (the README's first record). Unknown is its
  // level, and blocking every contract while it runs is right: said so, not as a mistake to record again (campaign CV).
  if (level === null && newer.every((f) => isUnstarted(loaded.rows.get(f.id)?.phase ?? 'pending'))) {
    return { level, warning: `no --level given and no migration of ${dir} applied yet: recorded at an unknown level — right for the version that runs before them, which blocks every contract while it is live (retire it once the new version has replaced it); a build that ships ${newer.at(-1)!.id} is recorded after \`xc apply\`, with --level ${newer.at(-1)!.id}` };
  }
  const phases = newer.map((f) => `${f.id} (${loaded.rows.get(f.id)?.phase ?? 'pending'})`).join(', ');
  const recorded = level === null ? 'recorded at an unknown level, which blocks every contract while it is live: no migration of this folder is backfilled yet' : `recorded at level ${level}, the newest migration of this folder at least backfilled`;
  return {
    level,
    warning: `no --level given: ${recorded}; ${dir} has newer ${phases}. If this build ships ${newer.length > 1 ? 'them' : 'it'}, run \`xc apply\` and record again with --level ${newer.at(-1)!.id}`,
  };
}

/**
 * `deploy record --level ID` with a migration up to ID not yet backfilled: a build that could not have gone live
 * (`xc check` refuses it), recorded — likely a pipeline recording before `xc apply` finished (campaign CC). It is
 * recorded as asked; the warning says that it will not count for a migration that begins expanding after it.
 */
export function notReadyUpTo(level: string, loaded: Pick<KnownMigrations, 'files'> & { rows: ReadonlyMap<string, { phase: Phase }> }): string | undefined {
  // The build's own migrations (its folder's), as `xc check` reads them: one only the state has is not this build's.
  const early = loaded.files.map((f) => f.id).filter((id) => id <= level && !isAtLeastBackfilled(loaded.rows.get(id)?.phase ?? 'pending'));
  if (early.length === 0) return undefined;
  const list = early.map((id) => `${id} (${loaded.rows.get(id)?.phase ?? 'pending'})`).join(', ');
  // Only one not begun yet loses the record: the gate counts a version for a migration from its expand on (gate.ts).
  const unstarted = early.some((id) => isUnstarted(loaded.rows.get(id)?.phase ?? 'pending'));
  const then = unstarted ? "; a deployment recorded before a migration begins expanding does not count for that migration's contract — run `xc apply`, then record it again" : ' — run `xc apply`';
  return `level ${level}: ${list} ${early.length > 1 ? 'are' : 'is'} not backfilled yet, so this build could not have gone live (\`xc check\` refuses it)${then}`;
}

/**
 * Migrations the state has run (in flight or contracted) that a build's folder lacks though it has files on both
 * sides of them: merged from another branch after the build was cut, with an id below its level. The build never had
 * them, whatever its level says. (Older ones missing are squashed away; newer ones belong to newer builds.)
 * `allowMissing` (a folder kept partial on purpose): one missing between two files may have been squashed away too,
 * which only a contracted migration can be — one still in flight counts (campaign DE: a branch's build lacking it,
 * recorded with the flag, let its contract drop the column that build wrote) — and one merged after the build for
 * certain counts too: a later file of the build had begun expanding before it did. Not excused wholesale: a redeploy
 * of an old build with the flag set opened the contract gate for it.
 */
export function missedByBuild(files: readonly { id: string }[], rows: ReadonlyMap<string, { phase: Phase; expandedAt?: string | null }>, allowMissing = false): Set<string> {
  const ids = new Set(files.map((f) => f.id));
  const oldest = files[0]?.id;
  const newest = files.at(-1)?.id;
  if (oldest === undefined || newest === undefined) return new Set();
  // Without both times it cannot be told from squashed: counted, the safe side.
  const before = (a: string | null | undefined, b: string | null | undefined) => a == null || b == null || a < b;
  const mergedLater = (id: string, at: string | null | undefined) =>
    files.some((f) => {
      const r = rows.get(f.id);
      return f.id > id && r !== undefined && !isUnstarted(r.phase) && before(r.expandedAt, at);
    });
  return new Set(
    [...rows].filter(([id, r]) => !isUnstarted(r.phase) && !ids.has(id) && id > oldest && id < newest && (!allowMissing || r.phase !== 'contracted' || mergedLater(id, r.expandedAt))).map(([id]) => id),
  );
}

/**
 * Under `allowMissing`, the contracted migrations missing between a build's files that missedByBuild takes as squashed
 * away: said, since a build cut without one cannot run (campaign DE: such a check said "may go live" without a word).
 */
export function takenAsSquashed(files: readonly { id: string }[], rows: ReadonlyMap<string, { phase: Phase; expandedAt?: string | null }>): string | undefined {
  const missed = missedByBuild(files, rows, true);
  const strict = missedByBuild(files, rows, false);
  const squashed = [...strict].filter((id) => !missed.has(id)).sort(byId);
  if (squashed.length === 0) return undefined;
  return `--allow-missing: ${squashed.join(', ')}, contracted, ${squashed.length === 1 ? 'is' : 'are'} missing between this folder's files and taken as squashed away — if this build was cut without ${squashed.length === 1 ? 'it' : 'them'} (a branch not rebased), it uses shapes that are gone: do not deploy it`;
}

/** `level` lowered below the first migration the build lacks (missedByBuild): the newest of its own files before it. */
export function levelOfBuild(level: string | null, files: readonly { id: string }[], rows: ReadonlyMap<string, { phase: Phase; expandedAt?: string | null }>, allowMissing = false): { level: string | null; warning?: string } {
  const gap = [...missedByBuild(files, rows, allowMissing)].sort(byId).find((id) => level !== null && id <= level);
  if (gap === undefined) return { level };
  const lowered = files.filter((f) => f.id < gap).at(-1)?.id ?? null;
  return {
    level: lowered,
    warning: `this build's migrations lack ${gap}, which the database has (merged after the build was cut): recorded at ${lowered === null ? 'an unknown level' : `level ${lowered}`}, the newest it has every migration up to, so the gate keeps the shapes ${gap} changes for it (a rollback is judged by the level of its build, ${level}, kept beside it)`,
  };
}

/**
 * A version recorded at `level` needs the shapes of the contracted migrations above it: those its folder lacks (above
 * the level the gate keeps for it, `level`), and its own files above the level it was recorded at (`buildLevel`, a
 * `--level` given below a migration already contracted). It is recorded all the same (it runs, so the gate must
 * know), with these words.
 */
export function removedUnder(level: string | null, buildLevel: string | null, files: readonly { id: string }[], rows: ReadonlyMap<string, { phase: Phase }>): string | undefined {
  const own = new Set(files.map((f) => f.id));
  const above = (id: string, l: string | null) => l === null || id > l;
  const removed = [...rows].filter(([id, r]) => reached(r.phase, 'contracting') && above(id, own.has(id) ? buildLevel : level)).map(([id]) => id);
  if (removed.length === 0) return undefined;
  const many = removed.length > 1;
  // One contracting as this is recorded may yet be refused by the gate, reading this record (campaign FG): said so.
  const underWay = removed.filter((id) => rows.get(id)?.phase === 'contracting');
  const yet = underWay.length > 0 ? ` (${underWay.join(', ')} ${underWay.length > 1 ? 'are' : 'is'} contracting now: if the gate refuses ${underWay.length > 1 ? 'them' : 'it'}, reading this record, nothing is removed — \`xc status\` tells)` : '';
  return `${removed.join(', ')} ${many ? 'are' : 'is'} contracted above this level: this version needs a shape ${many ? 'they' : 'it'} removed (\`xc check\` refuses such a deploy)${yet}`;
}

/**
 * Migrations up to `level` that were at least backfilled when `deploy record` read the state and began rolling back
 * before it read again (a rollback racing the record, campaign FF): the version recorded needs what they made.
 */
export function undoneSince(level: string | null, before: ReadonlyMap<string, { phase: Phase }>, after: ReadonlyMap<string, { phase: Phase }>): string | undefined {
  const undone = [...after].filter(([id, r]) => level !== null && id <= level && (r.phase === 'rolling_back' || r.phase === 'rolled_back') && isAtLeastBackfilled(before.get(id)?.phase ?? 'pending')).map(([id]) => id);
  if (undone.length === 0) return undefined;
  const many = undone.length > 1;
  return `${undone.join(', ')} began rolling back as this was recorded: this version needs the shape ${many ? 'they' : 'it'} made, which the rollback removes (\`xc check\` refuses such a deploy) — deploy the version before ${many ? 'them' : 'it'}, or apply ${many ? 'them' : 'it'} again`;
}
