/**
 * Settings (SPEC §2): every flag has a config key; flags beat env, env beats
 * the config file, which beats the defaults.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { XcOptions } from './api.js';
import { InvalidInputError } from './errors.js';
import { importDefault, loadError, parseJson } from './migration/load.js';

export const CONFIG_FILES = ['xc.config.ts', 'xc.config.mjs', 'xc.config.js', 'xc.config.json'];

const num = z.union([z.number(), z.string()]);
const bool = z.union([z.boolean(), z.string()]);

export const ConfigSchema = z
  .object({
    url: z.string(),
    knexfile: z.string(),
    env: z.string(),
    dir: z.string(),
    schema: z.string(),
    lockTimeout: num,
    lockRetryFor: num,
    waitLock: num,
    batchTime: num,
    batchSize: num,
    batchDelay: num,
    maxRowsPerSecond: num,
    parallel: num,
    maxLoad: num,
    instanceTtl: num,
    allowDrift: bool,
    allowMissing: bool,
    json: bool,
  })
  .partial()
  .strict();
export type ConfigKey = keyof z.infer<typeof ConfigSchema>;
export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as ConfigKey[];

/** Flags as the CLI parsed them; leave a flag undefined when it was not given. */
export type Flags = Partial<Record<ConfigKey, string | number | boolean | undefined>>;

/** Environment variable per key (url and dir have their documented names). */
export const ENV_VARS: Record<ConfigKey, string[]> = {
  url: ['XC_DATABASE_URL', 'DATABASE_URL'],
  knexfile: ['XC_KNEXFILE'],
  env: ['XC_KNEX_ENV'],
  dir: ['XC_MIGRATIONS_DIR'],
  schema: ['XC_SCHEMA'],
  lockTimeout: ['XC_LOCK_TIMEOUT'],
  lockRetryFor: ['XC_LOCK_RETRY_FOR'],
  waitLock: ['XC_WAIT_LOCK'],
  batchTime: ['XC_BATCH_TIME'],
  batchSize: ['XC_BATCH_SIZE'],
  batchDelay: ['XC_BATCH_DELAY'],
  maxRowsPerSecond: ['XC_MAX_ROWS_PER_SECOND'],
  parallel: ['XC_PARALLEL'],
  maxLoad: ['XC_MAX_LOAD'],
  instanceTtl: ['XC_INSTANCE_TTL'],
  allowDrift: ['XC_ALLOW_DRIFT'],
  allowMissing: ['XC_ALLOW_MISSING'],
  json: ['XC_JSON'],
};

/** `lockTimeout` → `--lock-timeout` */
export function flagName(key: ConfigKey): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export interface ResolvedOptions extends XcOptions {
  dir: string;
  knexfile?: string;
  /** Knex environment (flag --env). */
  knexEnv?: string;
  /** PostgreSQL schema of the application's tables (flag --schema). */
  schema?: string;
  json: boolean;
  lockTimeoutMs: number;
  lockRetryForMs: number;
  waitLockMs: number;
  batchTimeMs: number;
  batchDelayMs: number;
  instanceTtlMs: number;
  allowDrift: boolean;
  allowMissing: boolean;
  /** The config file used, or null. */
  configPath: string | null;
}

/** Find and load `xc.config.ts|mjs|js|json` in `cwd` (first found). */
export async function loadConfigFile(cwd: string): Promise<{ path: string | null; values: Record<string, unknown> }> {
  const name = CONFIG_FILES.find((f) => existsSync(path.join(cwd, f)));
  if (!name) return { path: null, values: {} };
  const file = path.join(cwd, name);
  let raw: unknown;
  if (name.endsWith('.json')) {
    raw = parseJson((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''), name);
  } else {
    try {
      raw = await importDefault(file);
      if (typeof raw === 'function') raw = await (raw as () => unknown)();
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      throw loadError(name, err);
    }
  }
  const parsed = ConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') {
        return `${name}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}; expected one of: ${CONFIG_KEYS.join(', ')}`;
      }
      const where = i.path.length ? `${i.path.join('.')}: ` : '';
      return `${name}: ${where}${i.message.replace(/^Invalid input: /, '')}`;
    });
    throw new InvalidInputError(lines.join('\n'), { file });
  }
  return { path: file, values: parsed.data as Record<string, unknown> };
}

interface Source {
  /** How to name the setting in an error: `--lock-timeout`, `XC_LOCK_TIMEOUT`, `xc.config.json: lockTimeout`. */
  name: string;
  value: unknown;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function parseNumber(
  src: Source,
  what: { integer?: boolean; min: number; exclusive?: boolean; unit: string },
): number {
  const v = src.value;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : NaN;
  const bad =
    !Number.isFinite(n) || (what.integer && !Number.isInteger(n)) || (what.exclusive ? n <= what.min : n < what.min);
  if (bad) {
    const kind = what.integer ? 'a whole number' : 'a number';
    const bound = what.exclusive ? `greater than ${what.min}` : `>= ${what.min}`;
    throw new InvalidInputError(`${src.name}: expected ${kind} of ${what.unit} ${bound}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function parseBool(src: Source): boolean {
  const v = src.value;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new InvalidInputError(`${src.name}: expected true or false, got ${JSON.stringify(v)}`);
}

/** Resolve every setting from flags, env, the config file in `cwd` and the defaults. */
export async function resolveOptions(flags: Flags, env: NodeJS.ProcessEnv, cwd: string): Promise<ResolvedOptions> {
  const config = await loadConfigFile(cwd);
  const configName = config.path ? path.basename(config.path) : 'config';

  const fromFlag = (k: ConfigKey): Source | undefined =>
    present(flags[k]) ? { name: flagName(k), value: flags[k] } : undefined;
  const fromEnv = (k: ConfigKey): Source | undefined => {
    const name = ENV_VARS[k].find((n) => present(env[n]));
    return name ? { name, value: env[name] } : undefined;
  };
  const fromConfig = (k: ConfigKey): Source | undefined =>
    present(config.values[k]) ? { name: `${configName}: ${k}`, value: config.values[k] } : undefined;
  const pick = (k: ConfigKey): Source | undefined => fromFlag(k) ?? fromEnv(k) ?? fromConfig(k);
  /** The first layer that sets `k` at all, empty values included. */
  const given = (k: ConfigKey): Source | undefined => {
    if (flags[k] !== undefined) return { name: flagName(k), value: flags[k] };
    const envName = ENV_VARS[k].find((n) => env[n] !== undefined);
    if (envName) return { name: envName, value: env[envName] };
    return config.values[k] !== undefined ? { name: `${configName}: ${k}`, value: config.values[k] } : undefined;
  };
  const str = (k: ConfigKey): string | undefined => {
    const s = pick(k);
    return s ? String(s.value) : undefined;
  };

  // The connection comes from the first layer that names one, url or knexfile.
  let url: string | undefined;
  let knexfile: string | undefined;
  const layers: Array<[string, (k: ConfigKey) => Source | undefined]> = [
    ['flags', fromFlag],
    ['env', fromEnv],
    ['config', fromConfig],
  ];
  for (const [layer, get] of layers) {
    const u = get('url');
    const k = get('knexfile');
    if (!u && !k) continue;
    if (u && k && layer !== 'env') {
      throw new InvalidInputError(`${u.name} and ${k.name} both name a connection; give only one`);
    }
    // In env, an explicit XC_KNEXFILE beats the generic DATABASE_URL.
    if (u && !(k && u.name === 'DATABASE_URL')) url = String(u.value);
    else knexfile = path.resolve(cwd, String(k!.value));
    break;
  }

  const dirAbs = path.resolve(cwd, str('dir') ?? 'migrations');
  const rel = path.relative(process.cwd(), dirAbs);
  const dir = rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? dirAbs : rel;

  const ms = (k: ConfigKey, def: number, min = 0, exclusive = false): number => {
    const s = pick(k);
    return s ? parseNumber(s, { integer: true, min, exclusive, unit: 'milliseconds' }) : def;
  };
  const optNum = (k: ConfigKey, integer: boolean, unit: string): number | undefined => {
    const s = pick(k);
    return s ? parseNumber(s, { integer, min: 0, exclusive: true, unit }) : undefined;
  };
  const flag = (k: ConfigKey): boolean => {
    const s = pick(k);
    return s ? parseBool(s) : false;
  };
  const waitLock = pick('waitLock');

  const out: ResolvedOptions = {
    dir,
    json: flag('json'),
    allowDrift: flag('allowDrift'),
    allowMissing: flag('allowMissing'),
    lockTimeoutMs: ms('lockTimeout', 1000, 0, true),
    lockRetryForMs: ms('lockRetryFor', 60_000),
    waitLockMs: waitLock ? Math.round(parseNumber(waitLock, { min: 0, unit: 'seconds' }) * 1000) : 0,
    batchTimeMs: ms('batchTime', 200, 0, true),
    batchDelayMs: ms('batchDelay', 0),
    instanceTtlMs: ms('instanceTtl', 60_000, 0, true),
    configPath: config.path,
  };
  if (url !== undefined) out.url = url;
  if (knexfile !== undefined) out.knexfile = knexfile;
  const knexEnv = str('env');
  if (knexEnv !== undefined) out.knexEnv = knexEnv;
  // An empty schema is refused, never read as "none": `--schema "$TENANT"` with $TENANT unset must not migrate the default schema.
  const schemaSource = given('schema');
  if (schemaSource && String(schemaSource.value).trim() === '') {
    throw new InvalidInputError(`${schemaSource.name} is empty: give the schema of the tables to migrate, or leave it out`);
  }
  const schema = str('schema');
  if (schema !== undefined) out.schema = schema;
  const batchSize = optNum('batchSize', true, 'rows');
  if (batchSize !== undefined) out.batchSize = batchSize;
  const maxRps = optNum('maxRowsPerSecond', false, 'rows per second');
  if (maxRps !== undefined) out.maxRowsPerSecond = maxRps;
  const parallel = optNum('parallel', true, 'parts');
  if (parallel !== undefined) out.parallel = parallel;
  const maxLoad = optNum('maxLoad', true, 'sessions');
  if (maxLoad !== undefined) out.maxLoad = maxLoad;
  return out;
}
