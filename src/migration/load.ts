/**
 * Reading the migrations folder (SPEC §3): every file is parsed and validated
 * before anything runs, and a bad one is reported with file, path and what
 * was expected (exit 2).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../errors.js';
import type { MigrationDefinition } from './schema.js';
import { withSchemaDefaults } from './defaults.js';
import { MAX_NESTING, yamlTooDeep } from './nesting.js';
import { extensionOf, listMigrations, migrationIdOf, NEW_FORMATS, type NewFormat } from './files.js';

export { NEW_FORMATS, type NewFormat } from './files.js';

export interface MigrationFile {
  id: string;
  /** Path as given (dir joined with the file name), for messages. */
  file: string;
  checksum: string;
  definition: MigrationDefinition;
}

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

type Jiti = import('jiti').Jiti;
let jitiPromise: Promise<Jiti> | undefined;

/**
 * The package's own entry, loaded natively and handed to jiti as a virtual
 * module, so `import ... from 'expand-contract'` works in a project that does
 * not install the package, and yields the very module instance the caller runs.
 */
async function selfModule(): Promise<unknown> {
  for (const rel of ['../index.ts', '../index.js', './define.ts', './define.js']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(fileURLToPath(url))) continue;
    try {
      return await import(url.href);
    } catch {
      // a broken entry must not stop migrations that don't need it: try the next
    }
  }
  return {};
}

/** One shared jiti instance (TS without a build step). */
function getJiti(): Promise<Jiti> {
  jitiPromise ??= (async () => {
    // Its CommonJS entry: imported, Node would first scan its 190 kB bundle for named exports (~25 ms of start-up).
    const { createJiti } = createRequire(import.meta.url)('jiti') as typeof import('jiti');
    return createJiti(import.meta.url, {
      virtualModules: { 'expand-contract': await selfModule() },
      interopDefault: true,
    });
  })();
  return jitiPromise;
}

/**
 * A file that calls process.exit while it loads would end xc silently, with its own exit code: while any file
 * loads, process.exit throws instead (a load error). Counted, so that loads overlapping in one process (two
 * createXc at once) give back the real process.exit when the last one ends, not each other's stand-in.
 */
let loading = 0;
let realExit: typeof process.exit | undefined;
const refuseExit = ((code?: number) => {
  throw new Error(`it called process.exit(${code ?? ''}) while loading`);
}) as typeof process.exit;

/** Import a TS/JS file (always re-read: an edited file must be seen again in a long-running process). */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const abs = path.resolve(file);
  const jiti = await getJiti();
  delete jiti.cache[abs];
  if (loading++ === 0) {
    realExit = process.exit;
    process.exit = refuseExit;
  }
  let mod: unknown;
  try {
    mod = await jiti.import(abs);
  } finally {
    if (--loading === 0) process.exit = realExit!;
  }
  // A CJS file may export a primitive: treat it as the default export.
  return (mod !== null && (typeof mod === 'object' || typeof mod === 'function') ? mod : { default: mod }) as Record<string, unknown>;
}

/** The default export (CJS module.exports counts), else the namespace itself. */
export async function importDefault(file: string): Promise<unknown> {
  const mod = await importModule(file);
  return 'default' in mod ? mod.default : mod;
}

/** `file:LINE:COL: failed to load: first line`, using the location jiti's parse errors carry. */
export function loadError(file: string, err: unknown, code: 'invalid_migration' | 'invalid_config' = 'invalid_migration'): InvalidInputError {
  const msg = String((err as Error)?.message ?? err);
  const loc = /:(\d+):(\d+)\s*$/m.exec(msg.split('\n').slice(1).join('\n'));
  const first = msg.split('\n')[0]!.trim();
  return new InvalidInputError(`${file}${loc ? `:${loc[1]}:${loc[2]}` : ''}: failed to load: ${first}`, { file }, { code, cause: err });
}

/** Line and column of a character offset. */
function lineCol(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const line = before.split('\n').length;
  return { line, col: pos - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * A number written with a fraction of more significant digits than a JSON or YAML number (a double) is sure to keep:
 * the parser may have changed it before xc sees it (campaign BL: `1.00000000000000001` was the default 1). Integers
 * are checked by value where they are used (2^53).
 */
function digitsLost(source: string): boolean {
  const m = /^[-+]?(\d*)(?:\.(\d*))?(?:e[-+]?\d+)?$/i.exec(source.trim());
  if (!m) return false;
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  return fraction.length > 0 && `${m[1]}${fraction}`.replace(/^0+/, '').length > 15;
}

function lostDigitsError(text: string, file: string, pos: number, source: string, code: 'invalid_migration' | 'invalid_config'): InvalidInputError {
  const { line, col } = lineCol(text, pos);
  const message = `${source.trim()} has more significant digits than a JSON or YAML number is sure to keep (15), so the parser may have changed it: write it as a string of its digits ("${source.trim()}")`;
  return new InvalidInputError(`${file}:${line}:${col}: ${message}`, { file, line, column: col }, { code });
}

/** Each number of a JSON text (outside its strings), with where it starts. */
function* jsonNumbers(text: string): Generator<{ pos: number; source: string }> {
  const number = /-?\d+(\.\d+)?([eE][-+]?\d+)?/y;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      number.lastIndex = i;
      const m = number.exec(text);
      if (m) {
        yield { pos: i, source: m[0] };
        i += m[0].length - 1;
      }
    }
  }
}

/** Where `text`, which JSON.parse refused, first stops being JSON (a small scan of the grammar). */
export function jsonErrorAt(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new RangeError(String(i));
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (c: string) => (text[i] === c ? void i++ : fail());
  const string = () => {
    expect('"');
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') i++;
    }
    expect('"');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          string();
          ws();
          expect(':');
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else return expect(close);
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return void (i += word.length);
    const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (err) {
    if (err instanceof RangeError) return Number(err.message);
    throw err;
  }
  return text.length;
}

/** JSON.parse whose error names the file, line and column. */
export function parseJson(text: string, file: string, code: 'invalid_migration' | 'invalid_config' = 'invalid_migration'): unknown {
  try {
    const value: unknown = JSON.parse(text);
    for (const n of jsonNumbers(text)) if (digitsLost(n.source)) throw lostDigitsError(text, file, n.pos, n.source, code);
    return value;
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const msg = (err as Error).message;
    const m = /at position (\d+)/.exec(msg);
    // Not every message of the parser has the position ("Unexpected token ']', …"): found by a scan then (campaign
    // DW: the end of the file was named, line 2 of a file ending in a newline).
    const pos = m ? Number(m[1]) : jsonErrorAt(text);
    const { line, col } = lineCol(text, pos);
    // Without the parser's quote of the text, which may hold line breaks.
    const clean = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '').replace(/, ("[\s\S]*"|\.\.\.[\s\S]*) is not valid JSON$/, '');
    throw new InvalidInputError(`${file}:${line}:${col}: invalid JSON: ${clean}`, { file, line, column: col }, { code, cause: err });
  }
}

export async function parseYaml(text: string, file: string, code: 'invalid_migration' | 'invalid_config' = 'invalid_migration'): Promise<unknown> {
  // Loaded with the first YAML file: a project of JSON or TS migrations never pays for the parser (start-up time).
  const { default: YAML } = await import('yaml');
  // Refused before the parser recurses into it: nesting.ts says why.
  const deep = yamlTooDeep(YAML, text);
  if (deep !== undefined) {
    const { line, col } = lineCol(text, deep);
    const msg = `nested more than ${MAX_NESTING} levels deep here; a migration or config file needs only a few`;
    throw new InvalidInputError(`${file}:${line}:${col}: invalid YAML: ${msg}`, { file, line, column: col }, { code });
  }
  // Merge keys (`<<: *base`, YAML 1.1's, which Rails' database.yml and many CI files use) merge, as their authors mean.
  const doc = YAML.parseDocument(text, { prettyErrors: true, merge: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const msg = e.code === 'MULTIPLE_DOCS' ? 'a second document begins here (a `---` line): a migration or config file is one document' : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${file}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${msg}`;
    });
    // A file broken in many places gives an error each: the first few say it.
    const shown = lines.length > 5 ? [...lines.slice(0, 5), `${file}: … and ${lines.length - 5} more YAML errors`] : lines;
    throw new InvalidInputError(shown.join('\n'), { file, line: doc.errors[0]!.linePos?.[0]?.line ?? null }, { code });
  }
  let lost: { pos: number; source: string } | undefined;
  YAML.visit(doc, {
    Scalar(_key, node) {
      const source = node.range ? text.slice(node.range[0], node.range[1]) : '';
      if (typeof node.value === 'number' && digitsLost(source)) {
        lost = { pos: node.range![0], source };
        return YAML.visit.BREAK;
      }
      return undefined;
    },
  });
  if (lost !== undefined) throw lostDigitsError(text, file, lost.pos, lost.source, code);
  try {
    // The yaml package refuses aliases that would expand without bound (a "billion laughs" file) here: past 10,000
    // nodes made by aliases — not past 100, which 120 columns merging one base reached (campaign BG).
    return doc.toJS({ maxAliasCount: 10_000 });
  } catch (err) {
    throw new InvalidInputError(`${file}: invalid YAML: ${(err as Error).message}`, { file }, { code, cause: err });
  }
}

/** The bytes as UTF-8 text; bytes that are no UTF-8 are refused (decoded to U+FFFD, they would name something else). */
function utf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const lossy = bytes.toString('utf8');
    const { line, col } = lineCol(lossy, lossy.indexOf('\uFFFD'));
    throw new InvalidInputError(`${file}:${line}:${col}: not UTF-8: bytes here are no UTF-8 character; save the file as UTF-8`, { file, line, column: col }, { code: 'invalid_migration' });
  }
}

/** Parse a file of any supported format into its raw (unvalidated) value. */
async function readRaw(file: string, ext: string): Promise<unknown> {
  if (MODULE_EXTENSIONS.has(ext)) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(file);
    } catch (err) {
      throw loadError(file, err);
    }
    // A CommonJS `module.exports = defineMigration(…)` (a .js file that also require()s xc) comes back as the
    // exports themselves, with no default: taken as they are (a TypeScript or .mjs file must export a default).
    if (!('default' in mod) && ext === '.js' && 'operations' in mod) return mod;
    if (!('default' in mod)) {
      throw new InvalidInputError(`${file}: no default export; expected \`export default defineMigration({ operations: [...] })\``, { file }, { code: 'invalid_migration' });
    }
    return mod.default;
  }
  const text = utf8(await readFile(file), file).replace(/^\uFEFF/, '');
  return ext === '.json' ? parseJson(text, file) : await parseYaml(text, file);
}

/** JSON with object keys sorted at every level: equal for semantically equal values. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

export function checksumOf(definition: MigrationDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

let validatorLoaded: Promise<typeof import('./validate.js')> | undefined;
/** The validator (zod, ~50 ms): loaded with the first file that must be validated, not by an empty folder or a file known unchanged (start-up time). */
function validator(): Promise<typeof import('./validate.js')> {
  validatorLoaded ??= import('./validate.js');
  return validatorLoaded;
}

/** Load and validate one migration file. */
export async function loadMigrationFile(file: string): Promise<MigrationFile> {
  const { id, ext } = migrationIdOf(file);
  const definition = (await validator()).validateMigration(await readRaw(file, ext), file);
  return { id, file, checksum: checksumOf(definition), definition };
}

/**
 * A migration file whose migration the state recorded with checksum `recorded` (for drift). When the file's value,
 * plain JSON data with the schema's defaults filled in, has that very checksum, it is the definition validated when
 * it was applied (same canonical JSON): taken as is, without loading the validator. Else it is validated as any file, and its checksum shows the drift.
 */
export async function loadRecordedFile(file: string, recorded: string): Promise<MigrationFile> {
  const { id, ext } = migrationIdOf(file);
  const raw = await readRaw(file, ext);
  const filled = withSchemaDefaults(raw);
  if (isRecorded(filled, recorded)) return { id, file, checksum: recorded, definition: filled as MigrationDefinition };
  const definition = (await validator()).validateMigration(raw, file);
  return { id, file, checksum: checksumOf(definition), definition };
}

function isRecorded(raw: unknown, recorded: string): boolean {
  try {
    return isPlainData(raw) && checksumOf(raw as MigrationDefinition) === recorded;
  } catch {
    return false; // nested past JSON.stringify's stack: the validator says what it is
  }
}

/**
 * Only what JSON holds (null, booleans, finite numbers, strings, arrays, plain objects; undefined as a property):
 * a function, a Date or NaN would print as something else in the canonical JSON and pass for a valid value. A loop,
 * not recursion: a file may nest deep.
 */
function isPlainData(raw: unknown): boolean {
  const todo: unknown[] = [raw];
  for (let n = 0; todo.length > 0; n++) {
    if (n > 100_000) return false; // that big: validated instead
    const v = todo.pop();
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number' && Number.isFinite(v)) continue;
    if (Array.isArray(v)) {
      for (const x of v) {
        if (x === undefined) return false;
        todo.push(x);
      }
      continue;
    }
    if (typeof v !== 'object' || ![Object.prototype, null].includes(Object.getPrototypeOf(v))) return false;
    if (Object.getOwnPropertySymbols(v).length > 0) return false;
    for (const x of Object.values(v as object)) if (x !== undefined) todo.push(x);
  }
  return true;
}

/** Every migration of `dir` (non-recursive), sorted by id. */
export async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  const out: MigrationFile[] = [];
  for (const { file } of await listMigrations(dir)) out.push(await loadMigrationFile(file));
  return out;
}

/** `YYYYMMDDHHMMSS` in UTC, so ids sort the same on every machine. */
export function timestampId(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/**
 * `now`'s timestamp, or one second past the newest timestamp id of `dir` where that is not earlier: ids sort by name,
 * so files made within one second ran alphabetically, not in the order made (campaign FH: `xc new z_create_table;
 * xc new a_index_it` put the index first).
 */
async function nextTimestamp(dir: string, now: Date): Promise<string> {
  const stamped = (await readdir(dir).catch(() => [] as string[])).map((n) => /^(\d{14})_/.exec(n)?.[1]).filter((x): x is string => x !== undefined);
  const newest = stamped.sort().at(-1);
  const at = timestampId(now);
  if (newest === undefined || newest < at) return at;
  const [y, mo, d, h, mi, se] = [0, 4, 6, 8, 10, 12].map((i, k) => Number(newest.slice(i, i + (k === 0 ? 4 : 2))));
  return timestampId(new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se! + 1)));
}

/**
 * The format `xc new` writes when none is given: that of the newest migration
 * in `dir` when it is .ts/.mts, .json or .yaml/.yml (a YAML project keeps
 * getting YAML without a flag), else ts.
 */
export async function defaultNewFormat(dir: string): Promise<NewFormat> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 'ts';
  }
  const newest = names.filter((n) => !n.startsWith('.') && extensionOf(n)).sort().at(-1);
  const ext = newest ? extensionOf(newest) : null;
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return 'ts';
}

/**
 * Create `dir` if needed and write a new migration from a template, with an
 * empty `operations` list (refused until one is added). Returns its path.
 */
export async function newMigrationFile(
  dir: string,
  name: string,
  format?: NewFormat,
  now = new Date(),
): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || name.length > 100) {
    throw new InvalidInputError(
      `invalid migration name "${name}"; use letters, digits, "_" and "-", e.g. add_users_email`,
      {},
      { code: 'invalid_usage' },
    );
  }
  format ??= await defaultNewFormat(dir);
  if (!(NEW_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidInputError(`unknown format "${format}"; expected ts, json or yaml`, { format }, { code: 'invalid_usage' });
  }
  const template = TEMPLATES[format];
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${await nextTimestamp(dir, now)}_${name}.${format}`);
  try {
    await writeFile(file, template(name), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InvalidInputError(`${file} already exists`, { file }, { code: 'invalid_usage' });
    throw err;
  }
  return file;
}

// ---- templates for `xc new` ----------------------------------------------

// An empty list on purpose: a forgotten file is refused (exit 2, "add an
// operation") instead of changing a real table; the examples stay comments.
const TEMPLATES: Record<NewFormat, (name: string) => string> = {
  ts: (name) => `import { defineMigration } from 'expand-contract';

// Add your operations below; while the list is empty, xc refuses this file.
// Each operation is one object with one key (README, "Operations"), e.g.:
//   { alterColumn: { table: 'users', column: 'email', type: 'varchar(320)' } }   // in place
//   { addColumn: { table: 'users', column: { name: 'nickname', type: 'text' }, up: 'name' } }
//   { renameColumn: { table: 'users', from: 'name', to: 'full_name' } }
//   { addIndex: { table: 'users', columns: ['email'], unique: true } }
export default defineMigration({
  description: ${JSON.stringify(describe(name))},
  operations: [],
});
`,
  json: (name) => `${JSON.stringify({ description: `${describe(name)} (add operations: README, section Operations, has examples)`, operations: [] }, null, 2)}\n`,
  yaml: (name) => `# Add your operations below; while the list is empty, xc refuses this file.
# Each operation is one object with one key (README, "Operations"), e.g.:
#   - alterColumn: { table: users, column: email, type: varchar(320) }   # in place
#   - addColumn: { table: users, column: { name: nickname, type: text }, up: name }
#   - renameColumn: { table: users, from: name, to: full_name }
#   - addIndex: { table: users, columns: [email], unique: true }
description: ${JSON.stringify(describe(name))}
operations: []
`,
};

const describe = (name: string) => name.replace(/[_-]+/g, ' ');
