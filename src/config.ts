/**
 * Settings (SPEC §2): every flag has a config key; flags beat env, env beats
 * the config file, which beats the defaults.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { XcOptions } from './api.js';
import { InvalidInputError } from './errors.js';
import { DEPLOYMENT_COMMANDS, fieldOf, flagName, OPTION_KEYS, OPTIONS, parseOption, type LibraryField, type OptionKey, type OptionSpec, type OptionValues, type Source } from './options.js';

export const CONFIG_FILES = ['xc.config.ts', 'xc.config.mjs', 'xc.config.js', 'xc.config.json'];

/**
 * The config file: every setting of the registry (options.ts) by its key, none required, nothing else.
 * Built (and zod loaded) only when there is a config file: most runs have none (start-up time).
 */
async function configSchema() {
  // As migration/schema.ts: zod's CommonJS build (one copy of zod in the process, and sooner loaded).
  const { z } = createRequire(import.meta.url)('zod') as { z: typeof import('zod').z };
  // A config file's value per kind of setting: numbers, durations and switches may be written as text too (`"30s"`, `"yes"`).
  const value: Record<OptionSpec['kind'], z.ZodType> = {
    text: z.string(),
    boolean: z.union([z.boolean(), z.string()]),
    duration: z.union([z.number(), z.string()]),
    number: z.union([z.number(), z.string()]),
    bytes: z.union([z.number(), z.string()]),
    list: z.union([z.array(z.string()), z.string()]),
  };
  return z
    .object(Object.fromEntries(OPTION_KEYS.map((k) => [k, value[OPTIONS[k].kind]])) as Record<OptionKey, z.ZodType>)
    .partial()
    .strict();
}
export type ConfigKey = OptionKey;

/** Flags as the CLI parsed them; leave a flag undefined when it was not given. */
export type Flags = Partial<Record<ConfigKey, string | number | boolean | string[] | undefined>>;

/** Every setting resolved (flags > env > config file > default), by its XcOptions name: what the CLI hands createXc. */
export type ResolvedOptions = XcOptions &
  OptionValues & {
    /** The migrations folder, relative to the working directory when inside it. */
    dir: string;
    /** The config file used, or null. */
    configPath: string | null;
    /** Deprecations to tell the user (stderr), e.g. --env read as the knexfile section. */
    notes: string[];
  };

// Compile-time: every library and engine setting is an XcOptions field (api.ts documents them) of the registry's type.
type Expect<T extends true> = T;
export type XcOptionsHoldEverySetting = Expect<Required<Pick<XcOptions, LibraryField>> extends Required<Pick<OptionValues, LibraryField>> ? true : false>;

/** Find and load `xc.config.ts|mjs|js|json` in `cwd` (first found). */
export async function loadConfigFile(cwd: string): Promise<{ path: string | null; values: Record<string, unknown> }> {
  const name = CONFIG_FILES.find((f) => existsSync(path.join(cwd, f)));
  if (!name) return { path: null, values: {} };
  const file = path.join(cwd, name);
  const { importDefault, loadError, parseJson } = await import('./migration/load.js');
  let raw: unknown;
  if (name.endsWith('.json')) {
    raw = parseJson((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''), name, 'invalid_config');
  } else {
    try {
      raw = await importDefault(file);
      if (typeof raw === 'function') raw = await (raw as () => unknown)();
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      throw loadError(name, err, 'invalid_config');
    }
  }
  const parsed = (await configSchema()).safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') {
        return `${name}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}; expected one of: ${OPTION_KEYS.join(', ')}`;
      }
      const where = i.path.length ? `${i.path.join('.')}: ` : '';
      return `${name}: ${where}${i.message.replace(/^Invalid input: /, '')}`;
    });
    throw new InvalidInputError(lines.join('\n'), { file });
  }
  return { path: file, values: parsed.data as Record<string, unknown> };
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/**
 * Resolve every setting from flags, env, the config file in `cwd` and the
 * defaults, for `command` (`deploy record`; none: a command that is not one of
 * DEPLOYMENT_COMMANDS).
 */
export async function resolveOptions(flags: Flags, env: NodeJS.ProcessEnv, cwd: string, command?: string): Promise<ResolvedOptions> {
  const config = await loadConfigFile(cwd);
  const configName = config.path ? path.basename(config.path) : 'config';
  // A flag given empty is a value gone missing (`--url "$TENANT_URL"`, the variable unset), not "not given": taken so,
  // the layer below decided — another database, another environment's deployment retired (campaign S).
  for (const k of OPTION_KEYS) {
    if (typeof flags[k] === 'string' && flags[k].trim() === '' && !(OPTIONS[k] as OptionSpec).refuseEmpty) {
      throw new InvalidInputError(`${flagName(k)} is empty: give it a value, or leave the flag out (an unset shell variable?)${OPTIONS[k].env.length > 0 ? ` — left out, ${OPTIONS[k].env.join(' or ')} or the config file give it` : ''}`, {}, { code: 'invalid_usage' });
    }
  }

  const fromFlag = (k: ConfigKey): Source | undefined =>
    present(flags[k]) ? { name: flagName(k), value: flags[k] } : undefined;
  const fromEnv = (k: ConfigKey): Source | undefined => {
    const name = OPTIONS[k].env.find((n) => present(env[n]));
    return name ? { name, value: env[name] } : undefined;
  };
  const fromConfig = (k: ConfigKey): Source | undefined =>
    present(config.values[k]) ? { name: `${configName}: ${k}`, value: config.values[k] } : undefined;
  const pick = (k: ConfigKey): Source | undefined => fromFlag(k) ?? fromEnv(k) ?? fromConfig(k);
  /** The first layer that sets `k` at all, empty values included. */
  const given = (k: ConfigKey): Source | undefined => {
    if (flags[k] !== undefined) return { name: flagName(k), value: flags[k] };
    const envName = OPTIONS[k].env.find((n) => env[n] !== undefined);
    if (envName) return { name: envName, value: env[envName] };
    return config.values[k] !== undefined ? { name: `${configName}: ${k}`, value: config.values[k] } : undefined;
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

  // Before --knex-env, --env (flag or config key `env`) named the knexfile section too: outside the deployment
  // commands, with a knexfile and no knexEnv at the same layer or above, it still does, with a note.
  const notes: string[] = [];
  const envAsKnexEnv = knexfile !== undefined && !DEPLOYMENT_COMMANDS.includes(command ?? '');
  const knexEnvSource = (): Source | undefined => {
    const compat = (s: Source | undefined) => (envAsKnexEnv && s ? { ...s, deprecated: true } : undefined);
    const source: (Source & { deprecated?: boolean }) | undefined =
      fromFlag('knexEnv') ?? compat(fromFlag('env')) ?? fromEnv('knexEnv') ?? fromConfig('knexEnv') ?? compat(fromConfig('env'));
    if (source?.deprecated) notes.push(`${source.name} selects the knexfile section only for compatibility; use ${source.name === '--env' ? '--knex-env' : 'knexEnv'}`);
    return source;
  };

  // Every other setting: the first layer that gives it, else the registry's default (none: left out).
  const values: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) {
    if (key === 'url' || key === 'knexfile') continue;
    const spec: OptionSpec = OPTIONS[key];
    const empty = spec.refuseEmpty ? given(key) : undefined;
    if (empty && String(empty.value).trim() === '') throw new InvalidInputError(`${empty.name} is empty: ${spec.refuseEmpty}`);
    const source = key === 'knexEnv' ? knexEnvSource() : pick(key);
    const value = source ? parseOption(key, source) : spec.default;
    if (value !== undefined) values[fieldOf(key)] = value;
  }
  const dirAbs = path.resolve(cwd, String(values.dir));
  const rel = path.relative(process.cwd(), dirAbs);
  const dir = rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? dirAbs : rel;

  return {
    ...(values as OptionValues),
    dir,
    ...(url !== undefined ? { url } : {}),
    ...(knexfile !== undefined ? { knexfile } : {}),
    configPath: config.path,
    notes,
  };
}
