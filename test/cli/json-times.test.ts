/**
 * Every time in `--json` output is ISO 8601 UTC with `Z`, on both databases
 * (MariaDB's DATETIME came back as `2026-11-29 18:48:12.076333`, read as local
 * time), and a deployment recorded without --env has `env: null` in
 * `deploy list` and in the blockers alike. The CLI runs under a non-UTC TZ so
 * a local-time reading would show.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runXc, type Run } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const TIME_KEY = /(At|^since|^at)$/;
const lastJson = (r: Run) => JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;

/** Every [path, value] whose key names a time, anywhere in `v`. */
function times(v: unknown, at = ''): [string, unknown][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => times(x, `${at}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [...(TIME_KEY.test(k) && x !== null ? [[`${at}.${k}`, x] as [string, unknown]] : []), ...times(x, `${at}.${k}`)]);
  return [];
}

for (const target of targets) {
  target.describe(`--json times and env (${target.name})`, () => {
    it('status, deploy list, check and contract blockers: ISO 8601 UTC times near the server clock, env null where none was given', { timeout: 120_000 }, async () => {
      const db = await target.create('xc_times');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-times-'));
      try {
        await mkdir(path.join(dir, 'migrations'));
        const write = (id: string, op: unknown) => writeFile(path.join(dir, 'migrations', `${id}.json`), JSON.stringify({ operations: [op] }));
        await write('0001_users', { createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } });
        await write('0002_email', { addColumn: { table: 'users', column: { name: 'email', type: 'text' } } });
        // Far from UTC: a time read as local would be 5.5 hours off.
        const run = async (...args: string[]) => {
          const r = await runXc([...args, '--json'], { cwd: dir, env: { XC_DATABASE_URL: db.url, TZ: 'Asia/Kolkata' } });
          return { r, json: lastJson(r) };
        };
        expect((await run('apply')).r.code).toBe(0);
        expect((await run('deploy', 'record', '--app', 'web', '--version', '1', '--level', '0001_users')).json.deployment).toMatchObject({ env: null, recordedAt: expect.stringMatching(ISO_UTC) });
        expect((await run('deploy', 'record', '--app', 'web', '--version', '2', '--level', '0001_users', '--env', 'prod')).json.deployment).toMatchObject({ env: 'prod' });
        const [row] = await db.query<{ now: string }>(
          target.name === 'postgres' ? `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS now` : `SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ') AS now`,
        );
        const serverNow = Date.parse(row!.now);

        const status = await run('status');
        const list = await run('deploy', 'list');
        const check = await run('check', '--app', 'web', '--version', '1');
        const contract = await run('contract');
        expect(status.r.code, status.r.stderr).toBe(0);
        expect(list.r.code, list.r.stderr).toBe(0);
        expect(contract.r.code, contract.r.stderr).toBe(3);

        const blockers = status.json.migrations.find((m: { id: string }) => m.id === '0002_email').blockers;
        const contractBlockers = contract.json.error.details.blockers;
        for (const bs of [blockers, contractBlockers]) {
          expect(bs.filter((b: { kind: string }) => b.kind === 'deployment').map((b: { version: string; env: unknown }) => [b.version, b.env])).toEqual([['1', null], ['2', 'prod']]);
        }
        expect(list.json.deployments.map((d: { version: string; env: unknown }) => [d.version, d.env])).toEqual([['1', null], ['2', 'prod']]);

        const found = [status, list, check, contract].flatMap((x, i) => times(x.json, `#${i}`));
        // updatedAt ×2, recordedAt ×2, since ×2 in status and in contract's blockers at least.
        expect(found.length).toBeGreaterThanOrEqual(8);
        for (const [where, value] of found) {
          expect(value, where).toMatch(ISO_UTC);
          expect(Math.abs(Date.parse(value as string) - serverNow), `${where} = ${value} vs server ${row!.now}`).toBeLessThan(60_000);
        }
      } finally {
        await db.drop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
