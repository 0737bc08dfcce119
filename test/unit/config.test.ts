import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { loadConfigFile, resolveOptions } from '../../src/config.js';
import { flagName } from '../../src/options.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-config-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function configJson(values: Record<string, unknown>): Promise<void> {
  await writeFile(path.join(cwd, 'xc.config.json'), JSON.stringify(values));
}

describe('loadConfigFile', () => {
  it('finds nothing in an empty folder', async () => {
    expect(await loadConfigFile(cwd)).toEqual({ path: null, values: {} });
  });

  it('prefers ts over json and accepts a function export', async () => {
    await configJson({ url: 'postgres://json' });
    await writeFile(
      path.join(cwd, 'xc.config.ts'),
      `const n: number = 250;\nexport default async () => ({ url: 'postgres://ts', lockTimeout: n });\n`,
    );
    const c = await loadConfigFile(cwd);
    expect(path.basename(c.path!)).toBe('xc.config.ts');
    expect(c.values).toEqual({ url: 'postgres://ts', lockTimeout: 250 });
  });

  it('loads xc.config.mjs', async () => {
    await writeFile(path.join(cwd, 'xc.config.mjs'), `export default { dir: 'db/migrations' };\n`);
    expect((await loadConfigFile(cwd)).values).toEqual({ dir: 'db/migrations' });
  });

  it('refuses an unknown key, naming the file and the key', async () => {
    await configJson({ lockTimout: 5 });
    const err = await loadConfigFile(cwd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/xc\.config\.json: unknown key "lockTimout"; expected one of: .*lockTimeout/);
  });

  it('reports JSON syntax errors with the line', async () => {
    await writeFile(path.join(cwd, 'xc.config.json'), '{\n  "url": "x",\n}\n');
    await expect(loadConfigFile(cwd)).rejects.toThrow(/xc\.config\.json:\d+:\d+: invalid JSON/);
  });
});

describe('resolveOptions', () => {
  it('fills the defaults', async () => {
    const o = await resolveOptions({}, {}, cwd);
    expect(o).toMatchObject({
      // outside the working directory: absolute
      dir: path.join(cwd, 'migrations'),
      json: false,
      allowDrift: false,
      lockTimeoutMs: 1000,
      lockRetryForMs: 60000,
      waitLockMs: 0,
      batchTimeMs: 200,
      batchDelayMs: 0,
      instanceTtlMs: 60000,
      configPath: null,
    });
    expect(o.url).toBeUndefined();
    expect(o.batchSize).toBeUndefined();
  });

  it('keeps a dir inside the working directory relative', async () => {
    const o = await resolveOptions({ dir: 'db/migrations' }, {}, process.cwd());
    expect(o.dir).toBe(path.join('db', 'migrations'));
  });

  it('refuses an empty schema wherever it is given, naming where (an unset $TENANT must not mean the default schema)', async () => {
    await expect(resolveOptions({ schema: '' }, {}, cwd)).rejects.toThrow(/^--schema is empty: give the schema of the tables to migrate, or leave it out$/);
    await expect(resolveOptions({ schema: ' ' }, {}, cwd)).rejects.toThrow(/^--schema is empty/);
    await expect(resolveOptions({}, { XC_SCHEMA: '' }, cwd)).rejects.toThrow(/^XC_SCHEMA is empty/);
    await configJson({ schema: '' });
    const err = await resolveOptions({}, {}, cwd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^xc\.config\.json: schema is empty/);
    // A flag given beats the empty layers below it, as any flag does.
    expect((await resolveOptions({ schema: 'app' }, { XC_SCHEMA: '' }, cwd)).schema).toBe('app');
  });

  it('refuses any flag given empty, naming it, where the layer below would otherwise decide (campaign S: `--url ""` ran against DATABASE_URL, `--env ""` retired prod\'s version)', async () => {
    const env = { DATABASE_URL: 'postgres://env', XC_DEPLOY_ENV: 'prod', XC_APP: 'shop', XC_MIGRATIONS_DIR: 'envdir' };
    await expect(resolveOptions({ url: '' }, env, cwd)).rejects.toThrow(/^--url is empty: give it a value, or leave the flag out \(an unset shell variable\?\) — left out, XC_DATABASE_URL or DATABASE_URL or the config file give it$/);
    for (const [key, flag] of [['env', '--env'], ['app', '--app'], ['dir', '--dir'], ['knexfile', '--knexfile']] as const) {
      const err = await resolveOptions({ [key]: ' ' }, env, cwd).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect([(err as InvalidInputError).exitCode, (err as Error).message]).toEqual([2, expect.stringMatching(new RegExp(`^${flag} is empty`))]);
    }
    // An empty variable is still no variable (the shell's way), and a flag with a value beats it.
    expect((await resolveOptions({}, { ...env, XC_DEPLOY_ENV: '' }, cwd)).env).toBeUndefined();
    expect((await resolveOptions({ env: 'staging' }, env, cwd)).env).toBe('staging');
  });

  it('flags beat env beat config', async () => {
    await configJson({ url: 'postgres://config', dir: 'cfgdir', lockTimeout: 300, batchSize: 10, json: true, schema: 'app' });
    const env = { XC_DATABASE_URL: 'postgres://xcenv', DATABASE_URL: 'postgres://env', XC_MIGRATIONS_DIR: 'envdir', XC_LOCK_TIMEOUT: '400' };
    const fromConfig = await resolveOptions({}, {}, cwd);
    expect(fromConfig).toMatchObject({ url: 'postgres://config', lockTimeoutMs: 300, batchSize: 10, json: true, schema: 'app' });
    expect(fromConfig.dir.endsWith('cfgdir')).toBe(true);

    const fromEnv = await resolveOptions({}, env, cwd);
    expect(fromEnv).toMatchObject({ url: 'postgres://xcenv', lockTimeoutMs: 400 });
    expect(fromEnv.dir.endsWith('envdir')).toBe(true);
    expect((await resolveOptions({}, { DATABASE_URL: 'postgres://env' }, cwd)).url).toBe('postgres://env');

    const fromFlags = await resolveOptions({ url: 'postgres://flag', dir: 'flagdir', lockTimeout: '500', json: false, waitLock: '2.5' }, env, cwd);
    expect(fromFlags).toMatchObject({ url: 'postgres://flag', lockTimeoutMs: 500, json: false, waitLockMs: 2500 });
    expect(fromFlags.dir.endsWith('flagdir')).toBe(true);
  });

  it('a knexfile flag beats a DATABASE_URL; both url and knexfile as flags is an error', async () => {
    const o = await resolveOptions({ knexfile: 'knexfile.js', env: 'staging' }, { DATABASE_URL: 'postgres://env' }, cwd);
    expect(o.url).toBeUndefined();
    expect(o.knexfile).toBe(path.join(cwd, 'knexfile.js'));
    expect(o.knexEnv).toBe('staging');
    await expect(resolveOptions({ knexfile: 'k.js', url: 'postgres://x' }, {}, cwd)).rejects.toThrow(InvalidInputError);
  });

  it('names the flag, env var or key of a bad number', async () => {
    await expect(resolveOptions({ lockTimeout: 'soon' }, {}, cwd)).rejects.toThrow(/--lock-timeout: expected a whole number of milliseconds/);
    await expect(resolveOptions({}, { XC_BATCH_SIZE: '-3' }, cwd)).rejects.toThrow(/XC_BATCH_SIZE: expected a whole number of rows greater than 0, got "-3"/);
    await configJson({ maxRowsPerSecond: 'fast' });
    await expect(resolveOptions({}, {}, cwd)).rejects.toThrow(/xc\.config\.json: maxRowsPerSecond: expected a number/);
    await expect(resolveOptions({ allowDrift: 'maybe' }, {}, cwd)).rejects.toThrow(/--allow-drift: expected true or false/);
  });

  it('maps key names to flag names', () => {
    expect(flagName('maxRowsPerSecond')).toBe('--max-rows-per-second');
    expect(flagName('env')).toBe('--env');
    expect(flagName('knexEnv')).toBe('--knex-env');
  });
});

describe('--knex-env and --env', () => {
  const knexfile = { knexfile: 'knexfile.js' };
  const NOTE = '--env selects the knexfile section only for compatibility; use --knex-env';
  /** What resolves to the knexfile section, the deployment environment and the notes. */
  const envs = async (...args: Parameters<typeof resolveOptions>) => {
    const o = await resolveOptions(...args);
    return { knexEnv: o.knexEnv, env: o.env, notes: o.notes };
  };

  it('--knex-env (XC_KNEX_ENV, knexEnv) picks the knexfile section; --env (XC_DEPLOY_ENV, env) is the deployment environment', async () => {
    const o = await resolveOptions({ ...knexfile, knexEnv: 'development', env: 'production' }, {}, cwd, 'deploy record');
    expect(o).toMatchObject({ knexEnv: 'development', env: 'production', notes: [] });
    expect(await resolveOptions(knexfile, { XC_KNEX_ENV: 'ci', XC_DEPLOY_ENV: 'staging' }, cwd, 'deploy retire')).toMatchObject({ knexEnv: 'ci', env: 'staging', notes: [] });
    await configJson({ knexEnv: 'qa', env: 'production', app: 'shop' });
    expect(await resolveOptions(knexfile, {}, cwd, 'deploy record')).toMatchObject({ knexEnv: 'qa', env: 'production', app: 'shop', notes: [] });
  });

  it('on deploy and check, --env never picks the knexfile section', async () => {
    for (const command of ['deploy record', 'deploy retire', 'deploy list', 'check']) {
      const o = await resolveOptions({ ...knexfile, env: 'production' }, {}, cwd, command);
      expect(o.knexEnv, command).toBeUndefined(); // the knexfile reader's default: NODE_ENV or development
      expect(o.env, command).toBe('production');
      expect(o.notes, command).toEqual([]);
    }
  });

  it('elsewhere, --env with a knexfile and no --knex-env still picks the section, with a deprecation note', async () => {
    expect(await resolveOptions({ ...knexfile, env: 'staging' }, {}, cwd, 'apply')).toMatchObject({ knexEnv: 'staging', notes: [NOTE] });
    // As before --knex-env: the flag beats XC_KNEX_ENV; --knex-env beats it.
    expect(await resolveOptions({ ...knexfile, env: 'staging' }, { XC_KNEX_ENV: 'ci' }, cwd, 'status')).toMatchObject({ knexEnv: 'staging', notes: [NOTE] });
    expect(await resolveOptions({ ...knexfile, env: 'staging', knexEnv: 'qa' }, {}, cwd, 'apply')).toMatchObject({ knexEnv: 'qa', notes: [] });
    // Without a knexfile there is no section to pick.
    expect(await envs({ url: 'postgres://h/db', env: 'staging' }, {}, cwd, 'apply')).toEqual({ knexEnv: undefined, env: 'staging', notes: [] });
    // XC_DEPLOY_ENV is new: it never meant the section.
    expect(await envs(knexfile, { XC_DEPLOY_ENV: 'staging' }, cwd, 'apply')).toEqual({ knexEnv: undefined, env: 'staging', notes: [] });
  });

  it('a config file\'s old `env` key still picks the section outside deploy and check, below XC_KNEX_ENV, with a note naming knexEnv', async () => {
    await configJson({ knexfile: 'knexfile.js', env: 'staging' });
    expect(await resolveOptions({}, {}, cwd, 'apply')).toMatchObject({ knexEnv: 'staging', notes: ['xc.config.json: env selects the knexfile section only for compatibility; use knexEnv'] });
    expect(await resolveOptions({}, { XC_KNEX_ENV: 'ci' }, cwd, 'apply')).toMatchObject({ knexEnv: 'ci', notes: [] });
    expect(await envs({}, {}, cwd, 'deploy record')).toEqual({ knexEnv: undefined, env: 'staging', notes: [] });
  });
});
