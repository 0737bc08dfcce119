/**
 * Every setting of xc, once (SPEC §2, §5): its config key, flag, environment
 * variables, kind, default, bounds and help. Derived from OPTIONS: the
 * config-file schema (config.ts), the global flags and their --help
 * (cli/main.ts), the resolved values and their defaults (config.ts), and
 * EngineOptions with its defaults (engine/context.ts, xc.ts). Adding a setting
 * is one entry here, its field in XcOptions (api.ts) unless it is the command
 * line's alone, and the code that reads it.
 *
 * The key is the config-file key; the flag is the key in kebab case
 * (`lockTimeout` → `--lock-timeout`), which commander camel-cases back.
 * Imports nothing of xc but its errors.
 */
import { InvalidInputError } from './errors.js';

interface CommonSpec {
  /** What it does, for --help; the default, a duration's bare unit and the env variables are appended. */
  help: string;
  /** Environment variables, in order: the first one set wins. */
  env: readonly string[];
  /**
   * Who reads it: `engine` settings are EngineOptions fields (and XcOptions
   * ones); `library` ones XcOptions fields only; `cli` ones the command line alone.
   */
  scope: 'engine' | 'library' | 'cli';
  /** The XcOptions field when it is not the key. */
  field?: string;
  /** The default as --help shows it, when the value alone does not say it. */
  defaultHelp?: string;
  /** An empty value is refused with this advice, instead of being read as not given. */
  refuseEmpty?: string;
  /**
   * A command's own flag, not a global one: those commands (`deploy record`)
   * declare it (flagOf) and list it first in their --help.
   */
  commands?: readonly string[];
  /** The flag's name when it is not the key's (`replicas` → `--replica`, given once per value). */
  flag?: string;
}

interface TextSpec extends CommonSpec {
  kind: 'text';
  /** The flag's argument in --help: `--dir <dir>`. */
  arg: string;
  default?: string;
}

interface SwitchSpec extends CommonSpec {
  kind: 'boolean';
  default: boolean;
}

/** Held in milliseconds (the field ends in `Ms`); given as `500ms`, `1.5s`, `2m`, `1h` or a bare number of `bare` units. */
interface DurationSpec extends CommonSpec {
  kind: 'duration';
  field: `${string}Ms`;
  /** What a bare number means: milliseconds, or seconds where that was the flag's unit before units existed (compatibility). */
  bare: 'ms' | 's';
  default: number;
  /** Greater than 0; otherwise 0 is allowed. */
  positive: boolean;
}

interface NumberSpec extends CommonSpec {
  kind: 'number';
  arg: string;
  /** What is counted, for the error: `rows`, `parts`. */
  unit: string;
  integer: boolean;
  /** Greater than 0; otherwise 0 is allowed. */
  positive: boolean;
  default?: number;
}

/** A number of bytes (a rate: per second), given as `64MB`, `512kB`, `1.5GB` (units of 1024) or a bare number of bytes. */
interface BytesSpec extends CommonSpec {
  kind: 'bytes';
  arg: string;
  default?: number;
}

/** Several values: the flag given once per value, the env variable comma-separated, the config key an array. */
interface ListSpec extends CommonSpec {
  kind: 'list';
  arg: string;
  default?: readonly string[];
}

export type OptionSpec = TextSpec | SwitchSpec | DurationSpec | NumberSpec | BytesSpec | ListSpec;

/** The commands of fleet mode, which declare its settings. */
const FLEET_COMMANDS = ['fleet apply', 'fleet contract', 'fleet status', 'fleet check'] as const;

export const OPTIONS = {
  url: {
    kind: 'text', arg: 'url', scope: 'library', env: ['XC_DATABASE_URL', 'DATABASE_URL'],
    help: 'database URL: postgres://, mysql://, mariadb://, pglite://PATH',
  },
  knexfile: { kind: 'text', arg: 'path', scope: 'library', env: ['XC_KNEXFILE'], help: 'read the connection from a knexfile' },
  knexEnv: {
    kind: 'text', arg: 'name', scope: 'library', env: ['XC_KNEX_ENV'], defaultHelp: 'NODE_ENV or development',
    help: 'the section of the knexfile to read',
  },
  env: {
    kind: 'text', arg: 'name', scope: 'cli', env: ['XC_DEPLOY_ENV'], commands: ['deploy record', 'deploy retire', 'deploy list', 'fleet deploy record', 'fleet deploy retire'],
    help: 'the deployment environment (production, staging): versions are recorded, retired and listed per app and environment',
  },
  app: {
    // The app's name is fixed per repository, so a config key makes sense; its version never (no file may say what is live).
    kind: 'text', arg: 'name', scope: 'cli', env: ['XC_APP'], commands: ['deploy record', 'deploy retire', 'check', 'fleet check', 'fleet deploy record', 'fleet deploy retire'], help: 'application name',
  },
  targets: {
    kind: 'text', arg: 'file', scope: 'cli', env: ['XC_TARGETS'], commands: FLEET_COMMANDS,
    help: 'the databases of `xc fleet`: a file of URLs (`URL` or `NAME URL` a line), or JSON/YAML entries { name, url } / { name, knexEnv }',
  },
  concurrency: {
    kind: 'number', arg: 'n', unit: 'targets', integer: true, positive: true, default: 4, scope: 'cli', env: ['XC_CONCURRENCY'], commands: FLEET_COMMANDS,
    help: '`xc fleet`: work on this many targets at once',
  },
  dir: { kind: 'text', arg: 'dir', scope: 'library', env: ['XC_MIGRATIONS_DIR'], default: 'migrations', defaultHelp: './migrations', help: 'migrations folder' },
  schema: {
    kind: 'text', arg: 'name', scope: 'library', env: ['XC_SCHEMA'], defaultHelp: "the connection's search_path",
    // `--schema "$TENANT"` with $TENANT unset must not migrate the default schema.
    refuseEmpty: 'give the schema of the tables to migrate, or leave it out',
    help: "PostgreSQL: schema of the application's tables, exactly as written; its state is kept in xc_<name>",
  },
  json: { kind: 'boolean', scope: 'cli', env: ['XC_JSON'], default: false, help: 'JSON lines on stdout; the last line is the result' },
  connectTimeout: {
    kind: 'duration', field: 'connectTimeoutMs', bare: 'ms', default: 10_000, positive: true, scope: 'library', env: ['XC_CONNECT_TIMEOUT'],
    help: 'give up opening a connection to the server after this long (exit 1 naming host and port); PGlite has none',
  },
  lockTimeout: {
    kind: 'duration', field: 'lockTimeoutMs', bare: 'ms', default: 1000, positive: true, scope: 'engine', env: ['XC_LOCK_TIMEOUT'],
    help: 'lock timeout of each DDL statement',
  },
  lockRetryFor: {
    kind: 'duration', field: 'lockRetryForMs', bare: 'ms', default: 60_000, positive: false, scope: 'engine', env: ['XC_LOCK_RETRY_FOR'],
    help: 'retry DDL that could not get its lock for this long',
  },
  waitLock: {
    kind: 'duration', field: 'waitLockMs', bare: 's', default: 0, positive: false, scope: 'engine', env: ['XC_WAIT_LOCK'],
    help: 'wait this long for another xc to finish instead of exiting 4',
  },
  allowDrift: { kind: 'boolean', scope: 'engine', env: ['XC_ALLOW_DRIFT'], default: false, help: 'accept applied migration files that changed since' },
  allowMissing: {
    kind: 'boolean', scope: 'library', env: ['XC_ALLOW_MISSING'], default: false,
    help: 'accept migrations the database has run whose files are not in --dir, for a folder partial on purpose',
  },
  batchTime: {
    kind: 'duration', field: 'batchTimeMs', bare: 'ms', default: 200, positive: true, scope: 'engine', env: ['XC_BATCH_TIME'],
    help: 'target duration of a backfill batch',
  },
  batchSize: {
    kind: 'number', arg: 'n', unit: 'rows', integer: true, positive: true, scope: 'engine', env: ['XC_BATCH_SIZE'], defaultHelp: 'adaptive',
    help: 'pin the backfill batch size',
  },
  batchDelay: {
    kind: 'duration', field: 'batchDelayMs', bare: 'ms', default: 0, positive: false, scope: 'engine', env: ['XC_BATCH_DELAY'],
    help: 'pause between backfill batches',
  },
  maxRowsPerSecond: {
    kind: 'number', arg: 'n', unit: 'rows per second', integer: false, positive: true, scope: 'engine', env: ['XC_MAX_ROWS_PER_SECOND'],
    defaultHelp: 'unlimited', help: 'cap the backfill rate',
  },
  parallel: {
    kind: 'number', arg: 'n', unit: 'parts', integer: true, positive: true, default: 2, scope: 'engine', env: ['XC_PARALLEL'],
    // backfill/parts.ts walks one part at a time on a driver with a single connection.
    defaultHelp: '2, PGlite 1',
    help: 'walk each backfill, fill and verify in n parts at once, on tables with a single integer key',
  },
  maxLoad: {
    kind: 'number', arg: 'n', unit: 'sessions', integer: true, positive: true, scope: 'engine', env: ['XC_MAX_LOAD'], defaultHelp: 'off',
    help: 'pause the backfill while more than n sessions are running a statement: MySQL Threads_running, PostgreSQL active backends',
  },
  maxWalRate: {
    kind: 'bytes', arg: 'size', scope: 'engine', env: ['XC_MAX_WAL_RATE'], defaultHelp: 'off',
    help: 'pause the backfill while the server writes more WAL (PostgreSQL) or redo log (MySQL, MariaDB) than this per second: 64MB, 512kB, a bare number of bytes',
  },
  busyPause: {
    kind: 'number', arg: 'factor', unit: 'batch times', integer: false, positive: false, default: 3, scope: 'engine', env: ['XC_BUSY_PAUSE'],
    help: 'after a backfill batch or verify chunk, pause half its time for each other session running a statement, up to this many times its time (0: back to back)',
  },
  maxRebuildWriteRate: {
    kind: 'number', arg: 'n', unit: 'writes per second', integer: false, positive: true, scope: 'engine', env: ['XC_MAX_REBUILD_WRITE_RATE'],
    defaultHelp: 'MariaDB: watch the rebuild\'s row log instead; MySQL: 4000',
    help: 'MySQL/MariaDB: add a column the backfill will fill by an online table rebuild only while its table takes at most n row writes per second (measured just before and while it runs); a busier table gets the column instantly and a slower fill, not the stall at the rebuild\'s end',
  },
  ignoreVacuum: {
    kind: 'boolean', scope: 'engine', env: ['XC_IGNORE_VACUUM'], default: false,
    help: 'PostgreSQL: backfill on while a VACUUM (autovacuum or not) runs on the table, instead of pausing until it ends',
  },
  maxReplicaLag: {
    kind: 'duration', field: 'maxReplicaLagMs', bare: 'ms', default: 5000, positive: true, scope: 'engine', env: ['XC_MAX_REPLICA_LAG'],
    help: 'pause the backfill while a replica is further behind than this',
  },
  replicas: {
    kind: 'list', arg: 'url', flag: 'replica', scope: 'engine', env: ['XC_REPLICAS'], defaultHelp: 'the replicas the primary lists',
    help: 'a replica to watch for lag, by URL; repeat the flag for more (XC_REPLICAS: comma-separated)',
  },
  throttleTimeout: {
    kind: 'duration', field: 'throttleTimeoutMs', bare: 'ms', default: 1_800_000, positive: true, scope: 'engine', env: ['XC_THROTTLE_TIMEOUT'],
    help: 'give up (exit 3, resumable) when the backfill has been paused by a health signal this long without a break',
  },
  instanceTtl: {
    kind: 'duration', field: 'instanceTtlMs', bare: 'ms', default: 60_000, positive: true, scope: 'engine', env: ['XC_INSTANCE_TTL'],
    help: 'an instance is live while its last heartbeat is younger than this',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;
export const OPTION_KEYS = Object.keys(OPTIONS) as OptionKey[];

type Spec<K extends OptionKey> = (typeof OPTIONS)[K];
type FieldOf<K extends OptionKey> = K extends OptionKey ? (Spec<K> extends { field: infer F extends string } ? F : K) : never;
type ValueOf<S> = S extends { kind: 'boolean' } ? boolean : S extends { kind: 'text' } ? string : S extends { kind: 'list' } ? string[] : number;
type WithDefault = { [K in OptionKey]: Spec<K> extends { default: unknown } ? K : never }[OptionKey];
type InScope<S extends CommonSpec['scope']> = { [K in OptionKey]: Spec<K>['scope'] extends S ? K : never }[OptionKey];

/** Every setting by its field name (XcOptions' names, `lockTimeoutMs`): always there when the registry has a default. */
export type OptionValues = { [K in WithDefault as FieldOf<K>]: ValueOf<Spec<K>> } & {
  [K in Exclude<OptionKey, WithDefault> as FieldOf<K>]?: ValueOf<Spec<K>>;
};
/** The fields of the library's settings, every one of them an XcOptions field. */
export type LibraryField = FieldOf<InScope<'engine' | 'library'>>;
/** The settings the engine reads (EngineOptions), defaults filled. */
export type EngineOptionValues = Pick<OptionValues, FieldOf<InScope<'engine'>>>;

export function fieldOf(key: OptionKey): string {
  const spec: OptionSpec = OPTIONS[key];
  return spec.field ?? key;
}

/** `lockTimeout` → `--lock-timeout`; `replicas` → `--replica` (its own flag name). */
export function flagName(key: OptionKey): string {
  return '--' + flagAttribute(key).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Where commander puts the flag's value: the flag's name camel-cased, the key unless the flag has its own name. */
export function flagAttribute(key: OptionKey): string {
  const spec: OptionSpec = OPTIONS[key];
  return spec.flag ?? key;
}

/** EngineOptions from the library's options (XcOptions): each engine setting given, else its default. */
export function engineOptions(given: Partial<EngineOptionValues>): EngineOptionValues {
  const values: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    if (spec.scope !== 'engine') continue;
    const field = fieldOf(key);
    const own = (given as Record<string, unknown>)[field];
    if (own !== undefined) checkLibraryValue(field, spec, own);
    const value = own ?? spec.default;
    if (value !== undefined) values[field] = value;
  }
  return values as EngineOptionValues;
}

/**
 * A value the library was given (the CLI's are parsed, and so checked, from text): of the option's kind, before
 * anything runs — a `lockTimeoutMs: '2s'` failed half-way through an expand with exit 1 (campaign N), an
 * `instanceTtlMs: Infinity` in the database's bigint.
 */
function checkLibraryValue(field: string, spec: OptionSpec, value: unknown): void {
  const refuse = (what: string) => {
    throw new InvalidInputError(`option ${field}: ${JSON.stringify(value) ?? String(value)} is not ${what}`, { option: field });
  };
  if (spec.kind === 'boolean') {
    if (typeof value !== 'boolean') refuse('true or false');
  } else if (spec.kind === 'list') {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) refuse('an array of strings');
  } else if (spec.kind === 'duration' || spec.kind === 'number' || spec.kind === 'bytes') {
    const positive = spec.kind !== 'bytes' && spec.positive;
    const whole = spec.kind === 'number' && spec.integer;
    const what = `a ${whole ? 'whole ' : ''}number of ${spec.kind === 'duration' ? 'milliseconds' : spec.kind === 'bytes' ? 'bytes' : spec.unit}`;
    // Within 2^53: what a JavaScript number holds exactly, and a bigint column stores.
    const ok = typeof value === 'number' && Number.isFinite(value) && (positive ? value > 0 : value >= 0) && (!whole || Number.isInteger(value)) && value <= Number.MAX_SAFE_INTEGER;
    if (!ok) refuse(`${what}${positive ? ' above 0' : ', 0 or more'}`);
  }
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const UNIT_NAME = { ms: 'milliseconds', s: 'seconds' } as const;
const WITH_UNIT = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)$/;
export const DURATION_EXAMPLES = '500ms, 1.5s, 2m, 1h';

/** Milliseconds of a span back in time (`xc log --since 2h`): a duration with its unit, days (`7d`) too; null when `text` is not one. */
export function agoMs(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]) : null;
}

const UNIT_BYTES = { b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 } as const;
const BYTES = /^(\d+(?:\.\d+)?|\.\d+)\s*(b|kb|k|mb|m|gb|g)?(?:\/s)?$/i;

/** 67108864 → `64MB`, 1536 → `1.5kB`: for messages. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['kB', 1024]] as const) {
    if (n >= size) return `${Math.round((n / size) * 10) / 10}${unit}`;
  }
  return `${Math.round(n)}B`;
}

/** 60000 → `1m`, 1500 → `1500ms`: the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) if (ms > 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return ms === 0 ? '0' : `${ms}ms`;
}

/**
 * Commands reading or recording deployments. There `--env` is the deployment
 * environment alone; on the others, given as a flag or config key with a
 * knexfile and no knexEnv, it still picks the knexfile section (deprecated: it
 * meant both before --knex-env existed).
 */
export const DEPLOYMENT_COMMANDS: readonly string[] = ['deploy record', 'deploy retire', 'deploy list', 'check', 'fleet deploy record', 'fleet deploy retire', 'fleet check'];

/** The commander flag of a setting (`--lock-timeout <duration>`) and its --help line, global or a command's own. */
export function flagOf(key: OptionKey): { flags: string; description: string } {
  const spec: OptionSpec = OPTIONS[key];
  const arg = spec.kind === 'boolean' ? '' : spec.kind === 'duration' ? ' <duration>' : ` <${spec.arg}>`;
  const shownDefault = spec.defaultHelp ?? (spec.kind === 'duration' ? formatDuration(spec.default) : spec.kind === 'boolean' || spec.kind === 'list' ? undefined : spec.default);
  const notes = [
    ...(shownDefault !== undefined ? [`default ${shownDefault}`] : []),
    ...(spec.kind === 'duration' ? [`a bare number is ${UNIT_NAME[spec.bare]}`] : []),
    `env ${spec.env.join(', ')}`,
  ];
  return { flags: flagName(key) + arg, description: `${spec.help} (${notes.join('; ')})` };
}

/** A value and where it came from, to name in an error: `--lock-timeout`, `XC_LOCK_TIMEOUT`, `xc.config.json: lockTimeout`. */
export interface Source {
  name: string;
  value: unknown;
}

/** The value of `key` from one source, of the setting's kind and within its bounds; else exit 2 naming the source. */
export function parseOption(key: OptionKey, src: Source): string | number | boolean | string[] {
  const spec: OptionSpec = OPTIONS[key];
  switch (spec.kind) {
    case 'bytes':
      return parseBytes(src);
    case 'list':
      return parseList(src);
    case 'text':
      return String(src.value);
    case 'boolean':
      return parseBool(src);
    case 'duration':
      return parseDuration(spec, src);
    case 'number':
      return parseNumber(spec, src);
  }
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];

/** Whether a boolean setting's text says true (`1`, `true`, `yes`, `on`, any case). */
export function saysTrue(value: string | undefined): boolean {
  return TRUE_WORDS.includes(String(value ?? '').trim().toLowerCase());
}

function parseBool(src: Source): boolean {
  const v = src.value;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (TRUE_WORDS.includes(s)) return true;
  if (FALSE_WORDS.includes(s)) return false;
  throw new InvalidInputError(`${src.name}: expected true or false, got ${JSON.stringify(v)}`);
}

/** A bare number as JavaScript reads it (`2.5`, `1e3`), NaN for anything else. */
function bareNumber(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : NaN;
}

/** Bytes from `64MB`, `512kB`, `1.5GB`, `64MB/s` (units of 1024, any case) or a bare number of bytes; more than 0. */
function parseBytes(src: Source): number {
  const v = src.value;
  const m = typeof v === 'number' ? [String(v), String(v), 'b'] : BYTES.exec(String(v).trim());
  const n = m ? Math.round(Number(m[1]) * UNIT_BYTES[(m[2] ?? 'b').toLowerCase() as keyof typeof UNIT_BYTES]) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidInputError(`${src.name}: expected a size greater than 0 (64MB, 512kB, 1.5GB, or a number of bytes), got ${JSON.stringify(v)}`);
  return n;
}

/** Values given once per flag or as a config array (kept whole), or comma-separated (env, a config string); empty ones dropped. */
function parseList(src: Source): string[] {
  const v = src.value;
  const items = Array.isArray(v) ? v.map(String) : src.name.startsWith('--') ? [String(v)] : String(v).split(',');
  return items.map((x) => x.trim()).filter((x) => x !== '');
}

function parseNumber(spec: NumberSpec, src: Source): number {
  const n = bareNumber(src.value);
  if (!Number.isFinite(n) || (spec.integer && !Number.isInteger(n)) || n < 0 || (spec.positive && n === 0)) {
    const kind = spec.integer ? 'a whole number' : 'a number';
    throw new InvalidInputError(`${src.name}: expected ${kind} of ${spec.unit} ${spec.positive ? 'greater than 0' : '>= 0'}, got ${JSON.stringify(src.value)}`);
  }
  return n;
}

/**
 * Milliseconds from `500ms`, `1.5s`, `2m`, `1h`, or a bare number of the
 * setting's bare unit. Milliseconds written as such must be whole (as before
 * units); a value in a larger unit is rounded to the millisecond.
 */
function parseDuration(spec: DurationSpec, src: Source): number {
  const v = src.value;
  const withUnit = typeof v === 'string' ? WITH_UNIT.exec(v.trim()) : null;
  const unit = withUnit ? (withUnit[2] as keyof typeof UNIT_MS) : spec.bare;
  const exact = (withUnit ? Number(withUnit[1]) : bareNumber(v)) * UNIT_MS[unit];
  const ms = unit === 'ms' ? exact : Math.round(exact);
  if (!Number.isFinite(exact) || !Number.isInteger(ms) || exact < 0 || (spec.positive && ms <= 0)) {
    const bare = spec.bare === 'ms' ? 'a whole number of milliseconds' : 'a number of seconds';
    const bound = spec.positive ? 'greater than 0' : '>= 0';
    throw new InvalidInputError(`${src.name}: expected ${bare} ${bound} or a duration with a unit (${DURATION_EXAMPLES}), got ${JSON.stringify(v)}`);
  }
  return ms || 0; // never -0
}
