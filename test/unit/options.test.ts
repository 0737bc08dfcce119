/**
 * The option registry (src/options.ts) and what is derived from it: every
 * setting resolves flag > env > config file > default, durations take units,
 * a bad value names where it came from, and --help shows the registry's
 * defaults. The tables walk OPTIONS, so a new entry is covered by adding it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { resolveOptions, type Flags } from '../../src/config.js';
import { defaultEngineOptions } from '../../src/engine/context.js';
import { InvalidInputError } from '../../src/errors.js';
import { engineOptions, fieldOf, flagName, formatDuration, flagOf, OPTION_KEYS, OPTIONS, type OptionKey, type OptionSpec } from '../../src/options.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-options-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const spec = (key: OptionKey): OptionSpec => OPTIONS[key];
const configJson = (values: Record<string, unknown>) => writeFile(path.join(cwd, 'xc.config.json'), JSON.stringify(values));

/** A value for each layer, and what it resolves to; each layer's differs from the others'. */
function samples(key: OptionKey): Record<'flag' | 'env' | 'config', { given: unknown; resolved: unknown }> {
  const s = spec(key);
  switch (s.kind) {
    case 'text': {
      // Paths are resolved against the working directory (here outside process.cwd(): absolute).
      const resolved = (v: string) => (key === 'dir' || key === 'knexfile' ? path.resolve(cwd, v) : v);
      return {
        flag: { given: `flag-${key}`, resolved: resolved(`flag-${key}`) },
        env: { given: `env-${key}`, resolved: resolved(`env-${key}`) },
        config: { given: `config-${key}`, resolved: resolved(`config-${key}`) },
      };
    }
    case 'boolean':
      return { flag: { given: true, resolved: true }, env: { given: 'no', resolved: false }, config: { given: 'on', resolved: true } };
    case 'duration':
      return {
        flag: { given: '2s', resolved: 2000 },
        env: { given: '3m', resolved: 180_000 },
        // A config file's bare number is in the setting's bare unit.
        config: { given: 4, resolved: s.bare === 's' ? 4000 : 4 },
      };
    case 'number':
      return { flag: { given: '5', resolved: 5 }, env: { given: '6', resolved: 6 }, config: { given: 7, resolved: 7 } };
    case 'bytes':
      return { flag: { given: '64MB', resolved: 64 * 1024 ** 2 }, env: { given: '1.5kB', resolved: 1536 }, config: { given: 7, resolved: 7 } };
    case 'list':
      // The flag's values come one per flag (commander collects them); env and a config string are comma-separated.
      return { flag: { given: ['a,b', 'c'], resolved: ['a,b', 'c'] }, env: { given: 'd, e', resolved: ['d', 'e'] }, config: { given: ['f'], resolved: ['f'] } };
  }
}

const resolvedDefault = (key: OptionKey) => (key === 'dir' ? path.resolve(cwd, 'migrations') : spec(key).default);

describe('every setting resolves flag > env > config file > default', () => {
  it.each(OPTION_KEYS)('%s', async (key) => {
    const field = fieldOf(key);
    const v = samples(key);
    expect((await resolveOptions({}, {}, cwd))[field as never]).toEqual(resolvedDefault(key));

    await configJson({ [key]: v.config.given });
    expect((await resolveOptions({}, {}, cwd))[field as never]).toEqual(v.config.resolved);
    for (const name of spec(key).env) {
      expect((await resolveOptions({}, { [name]: String(v.env.given) }, cwd))[field as never], name).toEqual(v.env.resolved);
    }
    const env = Object.fromEntries(spec(key).env.map((name) => [name, String(v.env.given)]));
    expect((await resolveOptions({ [key]: v.flag.given } as Flags, env, cwd))[field as never]).toEqual(v.flag.resolved);
  });

  it('reads the first env variable of a setting that has several', async () => {
    expect(OPTIONS.url.env).toEqual(['XC_DATABASE_URL', 'DATABASE_URL']);
    expect((await resolveOptions({}, { XC_DATABASE_URL: 'postgres://first', DATABASE_URL: 'postgres://second' }, cwd)).url).toBe('postgres://first');
  });
});

describe('sizes and lists', () => {
  const value = async (key: OptionKey, v: unknown) => (await resolveOptions({ [key]: v } as Flags, {}, cwd))[fieldOf(key) as never];

  it('--max-wal-rate: units of 1024, any case, an optional /s; off by default; 0 and words refused', async () => {
    expect((await resolveOptions({}, {}, cwd)).maxWalRate).toBeUndefined();
    expect(await value('maxWalRate', '64MB')).toBe(67_108_864);
    expect(await value('maxWalRate', '512kb/s')).toBe(524_288);
    expect(await value('maxWalRate', '1g')).toBe(1024 ** 3);
    expect(await value('maxWalRate', '1000')).toBe(1000);
    await expect(value('maxWalRate', '0')).rejects.toThrow(/--max-wal-rate: expected a size greater than 0/);
    await expect(value('maxWalRate', 'lots')).rejects.toThrow(/--max-wal-rate: expected a size/);
  });

  it('--replica is given once per replica; XC_REPLICAS and a config string are comma-separated', async () => {
    expect(flagOf('replicas').flags).toBe('--replica <url>');
    expect((await resolveOptions({}, { XC_REPLICAS: 'mysql://r1:3307/db,mysql://r2:3308/db' }, cwd)).replicas).toEqual(['mysql://r1:3307/db', 'mysql://r2:3308/db']);
    await configJson({ replicas: 'postgres://a/x, postgres://b/x' });
    expect((await resolveOptions({}, {}, cwd)).replicas).toEqual(['postgres://a/x', 'postgres://b/x']);
  });

  it('--max-replica-lag 5s and --throttle-timeout 30m by default', async () => {
    expect(await resolveOptions({}, {}, cwd)).toMatchObject({ maxReplicaLagMs: 5000, throttleTimeoutMs: 1_800_000, ignoreVacuum: false });
  });
});

describe('durations', () => {
  const ms = async (key: OptionKey, value: string | number) => (await resolveOptions({ [key]: value } as Flags, {}, cwd))[fieldOf(key) as never];

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 45s ', 45_000],
    ['1.0005s', 1001], // a larger unit is rounded to the millisecond
  ])('%s is %i ms, whatever the bare unit', async (given, expected) => {
    expect(await ms('lockTimeout', given)).toBe(expected);
    expect(await ms('waitLock', given)).toBe(expected);
  });

  it('a bare number keeps its meaning from before units: seconds for --wait-lock, milliseconds for the others', async () => {
    expect(await ms('waitLock', '30')).toBe(30_000);
    expect(await ms('waitLock', '2.5')).toBe(2500);
    for (const key of ['lockTimeout', 'lockRetryFor', 'batchTime', 'batchDelay', 'instanceTtl'] as const) {
      expect(OPTIONS[key].bare).toBe('ms');
      expect(await ms(key, '30')).toBe(30);
    }
    expect(OPTION_KEYS.filter((k) => spec(k).kind === 'duration' && (spec(k) as { bare: string }).bare === 's')).toEqual(['waitLock']);
  });

  it('in env variables and config files too', async () => {
    expect((await resolveOptions({}, { XC_LOCK_RETRY_FOR: '2m', XC_WAIT_LOCK: '500ms' }, cwd)).lockRetryForMs).toBe(120_000);
    expect((await resolveOptions({}, { XC_WAIT_LOCK: '500ms' }, cwd)).waitLockMs).toBe(500);
    await configJson({ batchTime: '1s', waitLock: 1.5, instanceTtl: '1h' });
    expect(await resolveOptions({}, {}, cwd)).toMatchObject({ batchTimeMs: 1000, waitLockMs: 1500, instanceTtlMs: 3_600_000 });
  });

  it('--connect-timeout: 10 s by default, a duration like the others', async () => {
    expect(OPTIONS.connectTimeout.default).toBe(10_000);
    expect((await resolveOptions({}, {}, cwd)).connectTimeoutMs).toBe(10_000);
    expect(flagOf('connectTimeout').description).toMatch(/\(default 10s; a bare number is milliseconds; env XC_CONNECT_TIMEOUT\)$/);
    expect(await ms('connectTimeout', '500ms')).toBe(500);
    expect(await ms('connectTimeout', '2')).toBe(2);
    await expect(ms('connectTimeout', '0')).rejects.toThrow(/--connect-timeout: expected .* greater than 0/);
  });

  it.each([
    ['lockTimeout', '1.5ms', /^--lock-timeout: expected a whole number of milliseconds greater than 0 or a duration with a unit \(500ms, 1\.5s, 2m, 1h\), got "1\.5ms"$/],
    ['lockTimeout', '1.5', /whole number of milliseconds/],
    ['lockTimeout', '0s', /greater than 0/],
    ['lockTimeout', '0.0001s', /greater than 0/], // rounds to 0 ms
    ['batchDelay', '-1s', /^--batch-delay: expected a whole number of milliseconds >= 0 or a duration/],
    ['waitLock', '-0.5', /^--wait-lock: expected a number of seconds >= 0 or a duration with a unit/],
    ['waitLock', '5 s', /--wait-lock: expected/],
    ['waitLock', '5sec', /--wait-lock: expected/],
    ['waitLock', '1e3ms', /--wait-lock: expected/],
    ['waitLock', 'Infinity', /--wait-lock: expected/],
    ['lockRetryFor', '2M', /--lock-retry-for: expected/],
  ] as const)('%s %j is refused', async (key, given, message) => {
    const err = await resolveOptions({ [key]: given }, {}, cwd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(message);
  });

  it('zero is allowed where the registry says so', async () => {
    expect(await ms('waitLock', '0')).toBe(0);
    expect(await ms('batchDelay', '0ms')).toBe(0);
    expect(await ms('lockRetryFor', 0)).toBe(0);
  });

  it('a number that may be 0 (--busy-pause) takes 0 and fractions, refuses a negative one', async () => {
    expect((await resolveOptions({ busyPause: '0' }, {}, cwd)).busyPause).toBe(0);
    expect((await resolveOptions({ busyPause: '0.5' }, {}, cwd)).busyPause).toBe(0.5);
    await expect(resolveOptions({ busyPause: '-1' }, {}, cwd)).rejects.toThrow(/^--busy-pause: expected a number of batch times >= 0, got "-1"$/);
  });

  it('formats a default in the largest unit that divides it', () => {
    expect([0, 200, 1000, 1500, 60_000, 7_200_000].map(formatDuration)).toEqual(['0', '200ms', '1s', '1500ms', '1m', '2h']);
  });
});

describe('a bad value names its flag, env variable or config key and what was expected', () => {
  // Any text is a text or an item of a list.
  const checked = OPTION_KEYS.filter((k) => spec(k).kind !== 'text' && spec(k).kind !== 'list');

  it.each(checked)('%s', async (key) => {
    const s = spec(key);
    const expected = { boolean: 'true or false', duration: 'or a duration with a unit', number: s.kind === 'number' && !s.positive ? '>= 0' : 'greater than 0', bytes: 'a size greater than 0' }[s.kind as 'boolean'];
    const refusal = async (run: Promise<unknown>) => {
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      return (err as Error).message;
    };
    expect(await refusal(resolveOptions({ [key]: 'soon' }, {}, cwd))).toMatch(new RegExp(`^${flagName(key)}: expected .*${expected}.*, got "soon"$`));
    for (const name of spec(key).env) {
      expect(await refusal(resolveOptions({}, { [name]: 'soon' }, cwd))).toMatch(new RegExp(`^${name}: expected .*${expected}`));
    }
    await configJson({ [key]: 'soon' });
    expect(await refusal(resolveOptions({}, {}, cwd))).toMatch(new RegExp(`^xc\\.config\\.json: ${key}: expected .*${expected}`));
  });
});

describe('derived from the registry', () => {
  it('gives each setting its flag and --help line: the default, a bare number\'s unit and the env variables', () => {
    expect(flagOf('lockTimeout')).toEqual({ flags: '--lock-timeout <duration>', description: 'lock timeout of each DDL statement (default 1s; a bare number is milliseconds; env XC_LOCK_TIMEOUT)' });
    expect(flagOf('waitLock').description).toBe('wait this long for another xc to finish instead of exiting 4 (default 0; a bare number is seconds; env XC_WAIT_LOCK)');
    expect(flagOf('json')).toEqual({ flags: '--json', description: 'JSON lines on stdout; the last line is the result (env XC_JSON)' });
    expect(flagOf('parallel')).toEqual({ flags: '--parallel <n>', description: expect.stringContaining('(default 2, PGlite 1; env XC_PARALLEL)') });
    for (const key of OPTION_KEYS) {
      const { flags, description } = flagOf(key);
      expect(flags.split(' ')[0]).toBe(flagName(key));
      expect(description).toContain(`env ${spec(key).env.join(', ')}`);
    }
  });

  it('xc --help lists every global setting with its registry line, a command\'s own setting is in its --help alone, and how durations are written', () => {
    const program = buildProgram(() => async () => undefined);
    const flatHelp = (cmd: typeof program) => cmd.helpInformation().replace(/\s+/g, ' ');
    let help = '';
    program.configureOutput({ writeOut: (s) => void (help += s) });
    program.outputHelp(); // with the text added after it
    const flat = help.replace(/\s+/g, ' ');
    for (const key of OPTION_KEYS) {
      const { flags, description } = flagOf(key);
      const commands = spec(key).commands ?? [];
      expect(flat.includes(`${flags} ${description}`), key).toBe(commands.length === 0);
      for (const name of commands) {
        const cmd = name.split(' ').reduce((c, n) => c.commands.find((sub) => sub.name() === n)!, program);
        expect(flatHelp(cmd)).toContain(`${flags} ${description}`);
      }
    }
    expect(flat).toContain('--wait-lock <duration> wait this long for another xc to finish instead of exiting 4 (default 0; a bare number is seconds; env XC_WAIT_LOCK)');
    expect(flat).toContain('Durations take a unit (500ms, 1.5s, 2m, 1h)');
  });

  it('engine defaults are the registry\'s, and the library\'s options override them field by field', () => {
    expect(defaultEngineOptions).toEqual({
      lockTimeoutMs: 1000,
      lockRetryForMs: 60_000,
      waitLockMs: 0,
      batchTimeMs: 200,
      batchDelayMs: 0,
      parallel: 2,
      instanceTtlMs: 60_000,
      allowDrift: false,
      busyPause: 3,
      ignoreVacuum: false,
      maxReplicaLagMs: 5000,
      throttleTimeoutMs: 1_800_000,
    });
    expect(engineOptions({ lockTimeoutMs: 5, batchSize: 10, maxLoad: undefined, url: 'postgres://x', dir: 'm' } as never)).toEqual({ ...defaultEngineOptions, lockTimeoutMs: 5, batchSize: 10 });
  });
});

describe('the library checks the options it is given before anything runs', () => {
  it('a duration, a count or a switch of the wrong kind: exit 2 naming the option; a fractional duration is taken', async () => {
    const { createXc } = await import('../../src/index.js');
    for (const [options, pattern] of [
      [{ lockTimeoutMs: '2s' }, /option lockTimeoutMs: "2s" is not a number of milliseconds above 0/],
      [{ instanceTtlMs: Infinity }, /option instanceTtlMs: null is not a number of milliseconds above 0/],
      [{ instanceTtlMs: 1e19 }, /option instanceTtlMs: 10000000000000000000 is not/],
      [{ batchSize: 10.5 }, /option batchSize: 10.5 is not a whole number of rows above 0/],
      [{ lockRetryForMs: -1 }, /option lockRetryForMs: -1 is not a number of milliseconds, 0 or more/],
      [{ ignoreVacuum: 'yes' }, /option ignoreVacuum: "yes" is not true or false/],
    ] as const) {
      let caught: unknown;
      try {
        createXc({ url: 'pglite://memory', ...(options as object) });
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ exitCode: 2, code: 'invalid_config' });
      expect((caught as Error).message).toMatch(pattern);
    }
    const xc = createXc({ url: 'pglite://memory', instanceTtlMs: 1500.5, dir: '/nonexistent' });
    const beat = await xc.startHeartbeat({ app: 'a', version: 'v1', level: null });
    expect((await xc.deploy.list()).instances.map((i) => i.ttlMs)).toEqual([1501]);
    await beat.stop();
    await xc.close();
  });
});
