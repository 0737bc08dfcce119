/**
 * The targets of `xc fleet`: read from a file (`--targets FILE`, config key
 * `targets`). Formats, by extension:
 *  - `.json`, `.yaml`/`.yml`: a list (or `{ targets: [...] }`) of URLs or
 *    entries `{ name?, url }` / `{ name?, knexEnv, knexfile? }`;
 *  - anything else: one target a line, `URL` or `NAME URL`; blank lines and
 *    `#` comments skipped.
 * `${VAR}` in a URL is read from the environment, so a file need hold no password.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { malformedUrlProblem, redactUrl } from '../db/redact.js';
import type { FleetTarget } from './api.js';

type Entry = { name?: unknown; url?: unknown; knexEnv?: unknown; knexfile?: unknown };

const invalid = (file: string, message: string) => new InvalidInputError(`${file}: ${message}`, { file }, { code: 'invalid_config' });

/** `${VAR}` / `$VAR` from `env`; an unset or empty one is an error naming it (a URL with a hole would connect elsewhere). */
/** The environment ${VAR} is read from. Not NodeJS.ProcessEnv: the published types must not need @types/node. */
export type Environment = Readonly<Record<string, string | undefined>>;

function expand(text: string, env: Environment, where: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = env[name];
    if (value === undefined || value === '') throw invalid(where, `$${name} is ${value === undefined ? 'not set' : 'set but empty'}`);
    return value;
  });
}

/** A target's name when the file gives none: host, port and database of its URL, never its user or password. */
export function nameOfUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'pglite:') return redactUrl(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

function targetOf(entry: unknown, where: string, file: string, env: Environment): FleetTarget {
  const e: Entry = typeof entry === 'string' ? { url: entry } : entry && typeof entry === 'object' && !Array.isArray(entry) ? (entry as Entry) : {};
  const unknownKeys = typeof entry === 'object' && entry ? Object.keys(entry).filter((k) => !['name', 'url', 'knexEnv', 'knexfile'].includes(k)) : [];
  if (unknownKeys.length) throw invalid(where, `unknown key ${unknownKeys.map((k) => `"${k}"`).join(', ')}; expected name, url, knexEnv, knexfile`);
  for (const key of ['name', 'url', 'knexEnv', 'knexfile'] as const) {
    if (e[key] !== undefined && (typeof e[key] !== 'string' || e[key] === '')) throw invalid(where, `${key} must be a non-empty string`);
  }
  const name = e.name as string | undefined;
  if (e.url !== undefined) {
    if (e.knexEnv !== undefined || e.knexfile !== undefined) throw invalid(where, 'give url or knexEnv, not both');
    const url = expand(e.url as string, env, where);
    const problem = malformedUrlProblem(url);
    if (problem) throw invalid(where, problem);
    return { name: name ?? nameOfUrl(url), url };
  }
  if (e.knexEnv === undefined) throw invalid(where, 'expected a URL, or an entry with url or knexEnv');
  const knexfile = e.knexfile === undefined ? undefined : path.resolve(path.dirname(file), e.knexfile as string);
  return { name: name ?? (e.knexEnv as string), knexEnv: e.knexEnv as string, ...(knexfile ? { knexfile } : {}) };
}

/** The entries of a text file: `URL` or `NAME URL` a line. */
function textEntries(text: string, file: string): Array<{ entry: Entry; where: string }> {
  const out: Array<{ entry: Entry; where: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    const where = `${file}:${i + 1}`;
    if (words.length > 2) throw invalid(where, 'expected URL or NAME URL');
    out.push({ entry: words.length === 2 ? { name: words[0], url: words[1] } : { url: words[0] }, where });
  });
  return out;
}

/** Targets from a parsed value (library callers pass one directly). `file`: where it came from, for messages and relative knexfiles. */
export function targetsOf(value: unknown, file: string, env: Environment = process.env): FleetTarget[] {
  const list = value && typeof value === 'object' && !Array.isArray(value) && 'targets' in value ? (value as { targets: unknown }).targets : value;
  if (!Array.isArray(list)) throw invalid(file, 'expected a list of targets');
  return checked(list.map((entry, i) => targetOf(entry, `${file}: targets[${i}]`, file, env)), file);
}

function checked(targets: FleetTarget[], file: string): FleetTarget[] {
  if (targets.length === 0) throw invalid(file, 'no targets');
  const seen = new Set<string>();
  for (const t of targets) {
    // Two targets of one name could not be told apart in the results (and a database listed twice would race itself).
    if (seen.has(t.name)) throw invalid(file, `two targets are named "${t.name}"; give each a distinct name`);
    seen.add(t.name);
  }
  return targets;
}

/** Read the targets file `file` (relative to `cwd`). */
export async function readTargets(file: string, cwd: string = process.cwd(), env: Environment = process.env): Promise<FleetTarget[]> {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = (await readFile(abs, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    throw new InvalidInputError(`cannot read the targets file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file }, { code: 'invalid_config' });
  }
  const ext = path.extname(abs).toLowerCase();
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    const { parseJson, parseYaml } = await import('../migration/load.js');
    const value = ext === '.json' ? parseJson(text, file, 'invalid_config') : await parseYaml(text, file, 'invalid_config');
    return targetsOf(value, abs, env);
  }
  return checked(textEntries(text, file).map(({ entry, where }) => targetOf(entry, where, abs, env)), file);
}
