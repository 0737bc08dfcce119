/**
 * `--knex-env` picks the knexfile section, `--env` is the deployment
 * environment (issue 14): `deploy record --env production` with a knexfile
 * whose only section is `development` records production through
 * development, and `deploy list --env` lists that environment's alone;
 * elsewhere `--env` still picks the section, with a note. The
 * sections nobody should pick point at a database that does not exist, so
 * reading the wrong one fails the command.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runXc, type Run } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

const NOTE = 'note: --env selects the knexfile section only for compatibility; use --knex-env';
const lastJson = (r: Run) => JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;

/** The same server, a database that does not exist. */
function missingDatabase(url: string): string {
  const u = new URL(url);
  u.pathname = '/xc_no_such_database';
  return u.toString();
}

for (const target of targets) {
  target.describe(`--knex-env and --env (${target.name})`, () => {
    it('deploy record --env records the environment and reads the default section; elsewhere --env picks the section with a note; --knex-env wins', { timeout: 180_000 }, async () => {
      const db = await target.create('xc_knexenv');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-knexenv-'));
      try {
        await mkdir(path.join(dir, 'migrations'));
        await writeFile(path.join(dir, 'migrations', '0001_users.json'), JSON.stringify({ operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }] } }] }));
        const client = target.name === 'postgres' ? 'pg' : 'mysql2';
        const section = (url: string) => ({ client, connection: url });
        await writeFile(path.join(dir, 'only-dev.cjs'), `module.exports = ${JSON.stringify({ development: section(db.url) })};\n`);
        await writeFile(path.join(dir, 'staged.cjs'), `module.exports = ${JSON.stringify({ development: section(missingDatabase(db.url)), staging: section(db.url) })};\n`);
        // NODE_ENV empty: the default section is development (vitest sets NODE_ENV=test).
        const run = (...args: string[]) => runXc(args, { cwd: dir, env: { NODE_ENV: '' } });

        // Compatibility: apply --env staging reads section staging, and says to use --knex-env.
        const applied = await run('apply', '--env', 'staging', '--knexfile', 'staged.cjs');
        expect(applied.code, applied.stderr).toBe(0);
        expect(applied.stderr).toContain(NOTE);
        expect(await db.count(`SELECT COUNT(*) AS n FROM users`)).toBe(0); // the table exists in the database staging names
        // The note never reaches --json stdout; --knex-env beats --env, without a note.
        const status = await run('status', '--knex-env', 'staging', '--env', 'development', '--knexfile', 'staged.cjs', '--json');
        expect(status.code, status.stderr).toBe(0);
        expect(lastJson(status).migrations.map((m: { id: string; phase: string }) => [m.id, m.phase])).toEqual([['0001_users', 'backfilled']]);
        expect(status.stdout + status.stderr).not.toContain('compatibility');

        // deploy record: --env is the deployment environment alone; the section is the default one.
        const recorded = await run('deploy', 'record', '--app', 'shop', '--version', 'v2', '--env', 'production', '--knexfile', 'only-dev.cjs', '--json');
        expect(recorded.code, recorded.stderr).toBe(0);
        expect(lastJson(recorded).deployment).toMatchObject({ app: 'shop', version: 'v2', env: 'production', level: '0001_users' });
        expect(recorded.stderr).not.toContain('compatibility');
        // The app and environment from the config file; --version on the command line.
        await writeFile(path.join(dir, 'xc.config.json'), JSON.stringify({ knexfile: 'only-dev.cjs', app: 'shop', env: 'staging' }));
        const fromConfig = await run('deploy', 'record', '--version', 'v3', '--json');
        expect(fromConfig.code, fromConfig.stderr).toBe(0);
        expect(lastJson(fromConfig).deployment).toMatchObject({ app: 'shop', version: 'v3', env: 'staging' });
        // deploy list --env: that environment's deployments only (the flag beats the config file's env).
        const listed = await run('deploy', 'list', '--env', 'production', '--json');
        expect(listed.code, listed.stderr).toBe(0);
        expect(lastJson(listed).deployments.map((d: { version: string; env: string }) => [d.version, d.env])).toEqual([['v2', 'production']]);
        const rows = await db.query<{ app: string; env: string; version: string }>(`SELECT app, env, version FROM ${target.name === 'postgres' ? 'xc.deployments' : 'xc_deployments'} ORDER BY version`);
        expect(rows.map((r) => [r.app, r.env, r.version])).toEqual([['shop', 'production', 'v2'], ['shop', 'staging', 'v3']]);
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.drop();
      }
    });
  });
}
