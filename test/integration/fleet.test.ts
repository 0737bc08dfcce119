/**
 * xc fleet, on each server: one migration applied across 20 databases, 4 at a
 * time, with one target held by another session's lock (exit 5 there, the
 * others expanded and backfilled); a re-run does work on that one alone; the
 * gate per target and in aggregate (fleet check, fleet contract before and
 * after fleet deploy record); fleet status counts the phases.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runXc } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';

const DATABASES = 20;
const ROWS = 150;
const HELD = 6; // the target whose table another session holds
const MIGRATION = '0001_balance_cents';
/** PostgreSQL accepts any password here (trust): a password in the targets file must never be printed. */
const PASSWORD = 'fleet-s3cret-pw';

type Line = Record<string, any>;
const jsonLines = (stdout: string): Line[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

for (const target of targets) {
  target.describe(`xc fleet (${target.name})`, () => {
    const dbs: Db[] = [];
    let dir = '';
    afterAll(async () => {
      for (const db of dbs) await db.drop().catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const name = (i: number) => `tenant-${String(i).padStart(2, '0')}`;
    const fleet = (args: string[]) => runXc(['fleet', ...args, '--targets', path.join(dir, 'targets.txt'), '--dir', path.join(dir, 'migrations'), '--json'], { env: { XC_ACTOR: 'fleet-test' } });
    const converted = (db: Db) => db.count('SELECT count(*) FROM accounts WHERE balance_cents = balance * 100');

    it('applies across 20 databases with one failing, resumes only that one, and gates check and contract on every target', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'xc-fleet-'));
      for (let i = 0; i < DATABASES; i++) {
        const db = await target.create('xc_fleet');
        dbs.push(db);
        await db.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
        await db.seed('accounts', ['id', 'balance'], Array.from({ length: ROWS }, (_, r) => [r + 1, r * 7 + i]));
      }
      await mkdir(path.join(dir, 'migrations'));
      await writeFile(path.join(dir, 'migrations', `${MIGRATION}.json`), JSON.stringify({
        operations: [{ addColumn: { table: 'accounts', column: { name: 'balance_cents', type: 'bigint', nullable: true }, up: 'balance * 100' } }],
      }));
      // Named and unnamed lines, a comment, a blank line; on PostgreSQL one URL carries a password.
      const withPassword = (url: string) => (target.name === 'postgres' ? url.replace('postgres@', `postgres:${PASSWORD}@`) : url);
      const lines = dbs.map((db, i) => (i === 1 ? withPassword(db.url) : `${name(i)} ${db.url}`));
      await writeFile(path.join(dir, 'targets.txt'), `# the tenants\n\n${lines.join('\n')}\n`);
      const unnamed = new URL(dbs[1]!.url);
      const unnamedName = `${unnamed.host}${unnamed.pathname}`;

      // Another session holds target HELD's table: its expand gives up (exit 5); the others go on.
      const blocker = await dbs[HELD]!.connection();
      await blocker.query(target.name === 'postgres' ? 'BEGIN' : 'START TRANSACTION');
      await blocker.query('SELECT * FROM accounts LIMIT 1');
      const first = await fleet(['apply', '--concurrency', '4', '--lock-timeout', '300ms', '--lock-retry-for', '1500ms']);
      await blocker.query('COMMIT');
      expect(first.stderr).not.toContain(PASSWORD);
      expect(first.stdout).not.toContain(PASSWORD);
      const out = jsonLines(first.stdout);
      const events = out.filter((l) => l.event === 'fleet_target');
      const result = out.at(-1)!;
      expect(events).toHaveLength(DATABASES);
      expect(events.map((e) => e.done)).toEqual(Array.from({ length: DATABASES }, (_, i) => i + 1));
      expect(first.code, first.stdout.slice(-2000) + first.stderr).toBe(5);
      expect(result).toMatchObject({ ok: false, command: 'apply', exitCode: 5, summary: { total: DATABASES, ok: DATABASES - 1, failed: 1, notStarted: 0, exitCodes: { 0: DATABASES - 1, 5: 1 } } });
      expect(result.targets.map((t: Line) => t.name)).toEqual(dbs.map((_, i) => (i === 1 ? unnamedName : name(i))));
      const held = result.targets[HELD];
      expect(held).toMatchObject({ name: name(HELD), ok: false, exitCode: 5, code: 'lock_timeout' });
      expect(events.find((e) => e.name === name(HELD))).toMatchObject({ ok: false, exitCode: 5 });
      for (const [i, t] of (result.targets as Line[]).entries()) {
        if (i === HELD) continue;
        expect(t.result.migrations, t.name).toEqual([{ id: MIGRATION, from: 'pending', phase: 'backfilled', rows: ROWS }]);
        expect(await converted(dbs[i]!), t.name).toBe(ROWS);
      }

      // The gate in aggregate: the held target has not reached the build's level, so the build may not go live.
      const refused = await fleet(['check', '--app', 'web', '--version', 'v2']);
      expect(refused.code).toBe(3);
      expect(jsonLines(refused.stdout).at(-1)).toMatchObject({ ok: false, exitCode: 3, summary: { ok: DATABASES - 1, failed: 1 } });
      expect(jsonLines(refused.stdout).at(-1)!.targets[HELD]).toMatchObject({ ok: false, exitCode: 3, code: expect.any(String) });

      // Re-run: only the held target does work (from where its expand stopped); the others have nothing to do.
      const second = await fleet(['apply', '--concurrency', '4']);
      expect(second.code).toBe(0);
      const again = jsonLines(second.stdout).at(-1)!;
      expect(again.summary).toMatchObject({ total: DATABASES, ok: DATABASES, failed: 0 });
      for (const [i, t] of (again.targets as Line[]).entries()) {
        expect(t.result.migrations, t.name).toEqual(i === HELD ? [{ id: MIGRATION, from: 'expanding', phase: 'backfilled', rows: ROWS }] : []);
      }
      expect(await converted(dbs[HELD]!)).toBe(ROWS);

      const allowed = await fleet(['check', '--app', 'web', '--version', 'v2']);
      expect(allowed.code).toBe(0);
      expect(jsonLines(allowed.stdout).at(-1)).toMatchObject({ ok: true, exitCode: 0, summary: { ok: DATABASES } });

      // Contract: each target's gate refuses while no deploy is recorded there (exit 3 on all); then every target records v2.
      const gated = await fleet(['contract', '--concurrency', '8']);
      expect(gated.code).toBe(3);
      expect(jsonLines(gated.stdout).at(-1)!.summary).toMatchObject({ ok: 0, failed: DATABASES, exitCodes: { 3: DATABASES } });
      const recorded = await fleet(['deploy', 'record', '--app', 'web', '--version', 'v2', '--env', 'production']);
      expect(recorded.code).toBe(0);
      for (const t of jsonLines(recorded.stdout).at(-1)!.targets as Line[]) {
        expect(t.result.deployment, t.name).toMatchObject({ app: 'web', version: 'v2', env: 'production', level: MIGRATION });
      }
      const contracted = await fleet(['contract', '--concurrency', '8']);
      expect(contracted.code).toBe(0);
      for (const t of jsonLines(contracted.stdout).at(-1)!.targets as Line[]) {
        expect(t.result.migrations, t.name).toEqual([{ id: MIGRATION, from: 'backfilled', phase: 'contracted' }]);
      }
      const status = await fleet(['status']);
      expect(status.code).toBe(0);
      expect(jsonLines(status.stdout).at(-1)!.phases).toEqual({ [MIGRATION]: { contracted: DATABASES } });
      for (const db of dbs) expect(await converted(db)).toBe(ROWS);
    }, 600_000);
  });
}
