/**
 * The migrations folder by file name alone (SPEC §3): which files are
 * migrations, their ids, and in which order. Nothing here reads a file's
 * content, so `xc level` (SPEC §6: the id of the newest migration) and
 * `xc new` need neither the validator (zod) nor the parsers (yaml, jiti).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';

export const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.json', '.yaml', '.yml'];
const ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_.-]*$/;

/** The formats `xc new` writes. */
export const NEW_FORMATS = ['ts', 'json', 'yaml'] as const;
export type NewFormat = (typeof NEW_FORMATS)[number];

/** The migration extension `name` ends with, if any (declaration files are not migrations). */
export function extensionOf(name: string): string | null {
  if (/\.d\.[mc]?ts$/.test(name)) return null;
  return EXTENSIONS.find((e) => name.endsWith(e) && name.length > e.length) ?? null;
}

/** The id of migration file `file` (its name without the extension), refused when it is not a valid id. */
export function migrationIdOf(file: string): { id: string; ext: string } {
  const ext = extensionOf(path.basename(file));
  if (!ext) throw new InvalidInputError(`${file}: unsupported file type; expected one of ${EXTENSIONS.join(' ')}`, { file }, { code: 'invalid_migration' });
  const id = path.basename(file).slice(0, -ext.length);
  if (!ID_PATTERN.test(id)) {
    throw new InvalidInputError(
      `${file}: invalid migration id "${id}"; expected letters, digits, "_", "." or "-", starting with a letter or digit (e.g. 0001_create_users)`,
      { file },
      { code: 'invalid_migration' },
    );
  }
  return { id, ext };
}

/** Every migration file of `dir` (non-recursive) with its id, sorted by id; two files of one id are refused. */
export async function listMigrations(dir: string): Promise<{ id: string; file: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InvalidInputError(
        `migrations folder ${dir} does not exist; create one with \`xc new NAME\` or point --dir (XC_MIGRATIONS_DIR) at yours`,
        { dir },
      );
    }
    throw new InvalidInputError(`cannot read migrations folder ${dir}: ${(err as Error).message}`, { dir }, { code: 'invalid_config', cause: err });
  }
  // Another tool's migrations (golang-migrate, Flyway, dbmate, sqitch): ignored, they made every command say "nothing
  // to do" while none of them ran (campaign I). Other files (a README) are no migrations and stay ignored.
  const sqlFiles = names.filter((name) => name.endsWith('.sql') && !name.startsWith('.')).sort();
  if (sqlFiles.length > 0) {
    throw new InvalidInputError(
      `${path.join(dir, sqlFiles[0]!)}${sqlFiles.length > 1 ? ` (and ${sqlFiles.length - 1} more .sql file${sqlFiles.length > 2 ? 's' : ''})` : ''}: xc does not run .sql files (another tool's migrations?); write each change as an xc migration (${EXTENSIONS.join(' ')}), raw statements in a \`sql\` operation — README, "Coming from Rails, Django, Prisma, …"`,
      { dir, files: sqlFiles },
      { code: 'invalid_migration' },
    );
  }
  const byId = new Map<string, string>();
  for (const name of names.sort()) {
    if (name.startsWith('.') || !extensionOf(name)) continue;
    const file = path.join(dir, name);
    if (!(await stat(file)).isFile()) continue;
    const id = name.slice(0, -extensionOf(name)!.length);
    const other = byId.get(id);
    if (other !== undefined) {
      throw new InvalidInputError(`two migration files have the id "${id}": ${other} and ${file}; keep one`, { id, files: [other, file] }, { code: 'invalid_migration' });
    }
    byId.set(id, file);
  }
  // Ids that differ only in case are one file on a case-insensitive file system (macOS, Windows): a checkout there keeps one.
  const byFolded = new Map<string, string>();
  for (const [id, file] of byId) {
    const other = byFolded.get(id.toLowerCase());
    if (other !== undefined) {
      throw new InvalidInputError(`two migration files have ids that differ only in case: ${other} and ${file}; a case-insensitive file system keeps one of them — rename one`, { files: [other, file] }, { code: 'invalid_migration' });
    }
    byFolded.set(id.toLowerCase(), file);
  }
  if (byId.size === 0) await refuseOtherToolsFolder(dir, names);
  const ids = [...byId.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ids.map((id) => ({ id: migrationIdOf(byId.get(id)!).id, file: byId.get(id)! }));
}

/** Files that mark a folder as another tool's (Sqitch, Prisma, Atlas, Flyway). */
const OTHER_TOOLS = ['sqitch.plan', 'migration_lock.toml', 'atlas.sum', 'flyway.conf'];

/**
 * A folder with no xc migration that is another tool's in a layout of folders — Prisma's `<ts>_name/migration.sql`,
 * Hasura's `default/<ts>_name/up.sql`, Sqitch's `deploy/*.sql` — is refused as its loose `.sql` files are: read as
 * empty, it made apply say "nothing to apply" and check "may go live" while none of it ran (campaign M). Two levels
 * down at most; a folder that has xc migrations may keep anything beside them.
 */
async function refuseOtherToolsFolder(dir: string, names: string[]): Promise<void> {
  const marker = names.find((n) => OTHER_TOOLS.includes(n));
  const sql = marker === undefined ? ((await sqlBelow(dir, names, 2)) ?? (await flywayBelow(dir))) : undefined;
  const found = marker !== undefined ? path.join(dir, marker) : sql;
  if (found === undefined) return;
  throw new InvalidInputError(
    `${found}: ${dir} holds no xc migration but another tool's (${marker !== undefined ? marker : '.sql files in its folders'}); xc does not run them — write each change as an xc migration (${EXTENSIONS.join(' ')}) in a folder of its own, raw statements in a \`sql\` operation — README, "Coming from Rails, Django, Prisma, …"`,
    { dir, file: found },
    { code: 'invalid_migration' },
  );
}

/**
 * Flyway's default folder in a Maven or Gradle project, `src/main/resources/db/migration`, from the project's root or
 * a folder on the way (`src`, `src/main`): deeper than sqlBelow looks, and exactly where a Spring project keeps its
 * migrations (campaign CG: `--dir .` said "nothing to apply").
 */
async function flywayBelow(dir: string): Promise<string | undefined> {
  const layout = ['src', 'main', 'resources', 'db', 'migration'];
  for (let i = 0; i < layout.length - 2; i++) {
    const sub = path.join(dir, ...layout.slice(i));
    const names = await readdir(sub).catch(() => [] as string[]);
    // Its files, or one folder down (a vendor's folder, `db/migration/postgres`: campaign CI).
    const sql = names.sort().find((n) => n.endsWith('.sql') && !n.startsWith('.'));
    if (sql !== undefined) return path.join(sub, sql);
    const below = await sqlBelow(sub, names, 1);
    if (below !== undefined) return below;
  }
  return undefined;
}

/** The first `.sql` file in the folders of `dir`, `depth` levels down at most. */
async function sqlBelow(dir: string, names: string[], depth: number): Promise<string | undefined> {
  for (const name of names.sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const sub = path.join(dir, name);
    if (!(await stat(sub).catch(() => undefined))?.isDirectory()) continue;
    const inside = await readdir(sub).catch(() => [] as string[]);
    const sql = inside.sort().find((n) => n.endsWith('.sql') && !n.startsWith('.'));
    if (sql !== undefined) return path.join(sub, sql);
    if (depth > 1) {
      const deeper = await sqlBelow(sub, inside, depth - 1);
      if (deeper !== undefined) return deeper;
    }
  }
  return undefined;
}

/** The schema level of a build: the id of the newest migration in `dir`, or null when it has none. */
export async function newestMigrationId(dir: string): Promise<string | null> {
  return (await listMigrations(dir)).at(-1)?.id ?? null;
}
