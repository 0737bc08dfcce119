/**
 * xc fleet, on each server: one migration applied across 20 databases, 4 at a
 * time, with one target held by another session's lock (exit 5 there, the
 * others expanded and backfilled); a re-run does work on that one alone; the
 * gate per target and in aggregate (fleet check, fleet contract before and
 * after fleet deploy record); fleet status counts the phases. SIGINT: no
 * new target starts, the running ones stop after their batch; a re-run ends
 * the work.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, runXc, xcEnv, type Run } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';

const DATABASES = 20;
const ROWS = 150;
const HELD = 6; // the target whose table another session holds
const MIGRATION = '0001_balance_cents';
/** The plan's note an apply carries on each target (MigrationOutcome.notes): `up` reads "balance". */
const UP_NOTE = expect.stringMatching(/^operations\[0\]\.addColumn: until contract, an UPDATE that changes "balance"/);
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
        expect(t.result.migrations, t.name).toEqual([{ id: MIGRATION, from: 'pending', phase: 'backfilled', rows: ROWS, notes: [UP_NOTE] }]);
        expect(await converted(dbs[i]!), t.name).toBe(ROWS);
      }

      // The gate in aggregate: the held target has not reached the build's level, so the build may not go live.
      const refused = await fleet(['check', '--app', 'web', '--version', 'v2']);
      expect(refused.code).toBe(3);
      expect(jsonLines(refused.stdout).at(-1)).toMatchObject({ ok: false, exitCode: 3, summary: { ok: DATABASES - 1, failed: 1 } });
      expect(jsonLines(refused.stdout).at(-1)!.targets[HELD]).toMatchObject({ ok: false, exitCode: 3, code: expect.any(String) });
      // Read by a person, the refusal shows the gate's reasons under the target, not only its first line (campaign D).
      const human = await runXc(['fleet', 'check', '--app', 'web', '--version', 'v2', '--targets', path.join(dir, 'targets.txt'), '--dir', path.join(dir, 'migrations')]);
      expect(human.code).toBe(3);
      expect(human.stdout).toMatch(new RegExp(`refused .*cannot go live now:\\n\\s+- ${MIGRATION} is \\w+: this build needs it at least backfilled`));

      // Re-run: only the held target does work (from where its expand stopped); the others have nothing to do.
      const second = await fleet(['apply', '--concurrency', '4']);
      expect(second.code).toBe(0);
      const again = jsonLines(second.stdout).at(-1)!;
      expect(again.summary).toMatchObject({ total: DATABASES, ok: DATABASES, failed: 0 });
      for (const [i, t] of (again.targets as Line[]).entries()) {
        expect(t.result.migrations, t.name).toEqual(i === HELD ? [{ id: MIGRATION, from: 'expanding', phase: 'backfilled', rows: ROWS, notes: [UP_NOTE] }] : []);
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
      // A misspelt app is taken back by the fleet's retire, on every target, as its warning says (campaign CU).
      const typo = await fleet(['deploy', 'record', '--app', 'wbe', '--version', 'v2', '--env', 'production']);
      expect(typo.code).toBe(0);
      for (const t of jsonLines(typo.stdout).at(-1)!.targets as Line[]) {
        expect(t.result.warning, t.name).toContain('`xc fleet deploy retire --app wbe --version v2 --env production` takes this record back');
      }
      expect((await fleet(['deploy', 'retire', '--app', 'wbe', '--version', 'v2', '--env', 'production'])).code).toBe(0);
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

    it('SIGINT: no new target starts, the running ones stop after their batch (exit 130); a re-run finishes every target', async () => {
      const sigDbs: Db[] = [];
      const sigDir = await mkdtemp(path.join(tmpdir(), 'xc-fleet-sigint-'));
      try {
        for (let i = 0; i < 6; i++) {
          const db = await target.create('xc_fleet_sig');
          sigDbs.push(db);
          await db.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
          await db.seed('accounts', ['id', 'balance'], Array.from({ length: 3000 }, (_, r) => [r + 1, r]));
        }
        await mkdir(path.join(sigDir, 'migrations'));
        await writeFile(path.join(sigDir, 'migrations', `${MIGRATION}.json`), JSON.stringify({
          operations: [{ addColumn: { table: 'accounts', column: { name: 'balance_cents', type: 'bigint', nullable: true }, up: 'balance * 100' } }],
        }));
        await writeFile(path.join(sigDir, 'targets.txt'), sigDbs.map((db, i) => `${name(i)} ${db.url}`).join('\n'));
        const args = ['fleet', 'apply', '--targets', path.join(sigDir, 'targets.txt'), '--dir', path.join(sigDir, 'migrations'), '--json', '--concurrency', '2'];
        // Slow batches (50 rows, 200 ms apart: ~12 s a target), so the first two are mid-backfill when SIGINT comes.
        const child = spawn(process.execPath, [BIN, ...args, '--batch-size', '50', '--batch-delay', '200ms', '--parallel', '1'], { env: xcEnv() });
        const run: Run = { code: null, stdout: '', stderr: '' };
        child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
        const closed = new Promise<void>((resolve) => child.on('close', (code) => ((run.code = code), resolve())));
        const stateTable = target.name === 'postgres' ? 'xc.migrations' : 'xc_migrations';
        const backfilling = async () => {
          for (const db of sigDbs) {
            const phase = await db.query<{ phase: string }>(`SELECT phase FROM ${stateTable}`).catch(() => []);
            if (phase.some((r) => r.phase === 'backfilling')) return true;
          }
          return false;
        };
        for (let waited = 0; !(await backfilling()); waited += 100) {
          if (waited > 120_000 || run.code !== null) throw new Error(`no target reached backfilling: ${run.stdout}${run.stderr}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        child.kill('SIGINT');
        await closed;
        expect(run.code, run.stdout + run.stderr).toBe(130);
        const result = jsonLines(run.stdout).at(-1)!;
        expect(result).toMatchObject({ ok: false, exitCode: 130 });
        const started = (result.targets as Line[]).filter((t) => t.code !== 'not_started');
        expect(result.summary.notStarted).toBeGreaterThanOrEqual(6 - 3);
        expect(started.length).toBeGreaterThanOrEqual(1);
        // The ones under way stopped between batches, interrupted, with their rows partly converted.
        expect(started.filter((t) => t.code === 'interrupted').length).toBeGreaterThanOrEqual(1);
        for (const t of started) expect([0, 130]).toContain(t.exitCode);

        const again = await runXc(args);
        expect(again.code, again.stdout + again.stderr).toBe(0);
        const finished = jsonLines(again.stdout).at(-1)!;
        expect(finished.summary).toMatchObject({ total: 6, ok: 6 });
        for (const db of sigDbs) expect(await converted(db)).toBe(3000);
      } finally {
        for (const db of sigDbs) await db.drop().catch(() => undefined);
        await rm(sigDir, { recursive: true, force: true });
      }
    }, 600_000);
  });
}
