/**
 * `xc check`'s last line after a refusal (SPEC §6, §7: exit 3 either way). A build that is only early — a migration
 * up to its level not applied yet — is "safe to retry later"; a build older than a contracted migration (a rollback
 * deploy past it) is not: no later run lets it go live, and the footer says so rather than invite a retry loop.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runXc } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

for (const target of targets) {
  target.describe(`xc check's footer (${target.name})`, () => {
    it('early: safe to retry later; past a contract: retrying will not help', { timeout: 480_000 }, async () => {
      const db = await target.create('xc_check_footer');
      const root = await mkdtemp(path.join(os.tmpdir(), 'xc-check-footer-'));
      const dir = path.join(root, 'migrations');
      const xc = (...args: string[]) => runXc([...args, '--url', db.url, '--dir', dir]);
      try {
        await mkdir(dir);
        await db.query('CREATE TABLE users (id int PRIMARY KEY, name varchar(50))');
        await db.query("INSERT INTO users VALUES (1, 'ada')");
        await writeFile(path.join(dir, '0001_nick.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'varchar(20)' } } }] }));
        await writeFile(path.join(dir, '0002_rename.json'), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));

        const early = await xc('check', '--app', 'shop', '--version', 'v2');
        expect(early.code, early.stderr).toBe(3);
        expect(early.stderr.trimEnd().split('\n').at(-1)).toBe('(exit 3: refused; safe to retry later)');

        for (const args of [['apply'], ['deploy', 'record', '--app', 'shop', '--version', 'v2'], ['contract']]) {
          const r = await xc(...args);
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        }
        const rollbackDeploy = await xc('check', '--app', 'shop', '--version', 'v1', '--level', '0001_nick');
        expect(rollbackDeploy.code, rollbackDeploy.stderr).toBe(3);
        expect(rollbackDeploy.stderr).toContain('0002_rename is contracted: it removed what it replaces');
        expect(rollbackDeploy.stderr.trimEnd().split('\n').at(-1)).toBe('(exit 3: refused; retrying will not help: a migration this build predates has been contracted)');
        // A contract that removed nothing (an index added) is named for what it is, and still judged by level (SPEC §6).
        await writeFile(path.join(dir, '0003_index.json'), JSON.stringify({ operations: [{ addIndex: { table: 'users', name: 'users_nick', columns: ['nick'] } }] }));
        for (const args of [['apply'], ['deploy', 'record', '--app', 'shop', '--version', 'v3'], ['deploy', 'retire', '--app', 'shop', '--version', 'v2'], ['contract']]) {
          const r = await xc(...args);
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        }
        const pastIndex = await xc('check', '--app', 'shop', '--version', 'v2', '--level', '0002_rename');
        expect(pastIndex.code, pastIndex.stderr).toBe(3);
        expect(pastIndex.stderr).toContain('0003_index is contracted: its contract removed no old shape, but the gate judges by level, and this build (level 0002_rename) is older than it');
        // --apply for a build that can never go live applies nothing (campaign CF: it expanded its migration, then refused).
        const old = path.join(root, 'old-build');
        await mkdir(old);
        await writeFile(path.join(old, '0001_nick.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'nick', type: 'varchar(20)' } } }] }));
        await writeFile(path.join(old, '0001_nick2.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'nick2', type: 'varchar(20)' } } }] }));
        const applyOld = await runXc(['check', '--app', 'shop', '--version', 'v1b', '--apply', '--allow-missing', '--url', db.url, '--dir', old]);
        expect(applyOld.code, applyOld.stderr).toBe(3);
        expect(applyOld.stderr).toContain('0001_nick2 is pending: this build needs it at least backfilled (not applied: this build cannot go live anyway, below)');
        expect(applyOld.stderr.trimEnd().split('\n').at(-1)).toBe('(exit 3: refused; retrying will not help: a migration this build predates has been contracted)');
        expect((await db.columns('users')).map((c) => c.name)).not.toContain('nick2');

        // A contract stopped before it removed anything is no lasting reason: rollback still undoes it, and the refusal says how.
        await writeFile(path.join(dir, '0004_fails.json'), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1', contract: 'INSERT INTO users (id) VALUES (1)', rollback: 'SELECT 2' } }] })); // a duplicate key on both servers
        for (const args of [['apply'], ['deploy', 'record', '--app', 'shop', '--version', 'v4'], ['deploy', 'retire', '--app', 'shop', '--version', 'v3']]) {
          const r = await xc(...args);
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        }
        expect((await xc('contract')).code).toBe(1);
        const pastStopped = await xc('check', '--app', 'shop', '--version', 'v3', '--level', '0003_index');
        expect(pastStopped.code, pastStopped.stderr).toBe(3);
        expect(pastStopped.stderr).toContain('0004_fails is contracting, nothing of its old shape removed yet, and this build (level 0003_index) is older than it: `xc rollback 0004_fails` undoes it (with --force --reason TEXT while a version that has it is live)');
        expect(pastStopped.stderr.trimEnd().split('\n').at(-1)).toBe('(exit 3: refused; safe to retry later)');
        // Beside a lasting reason (0002 and 0003 contracted above level 0001_nick), no advice to undo the stopped one (campaign CI).
        const mixed = await xc('check', '--app', 'shop', '--version', 'v1', '--level', '0001_nick');
        expect(mixed.code, mixed.stderr).toBe(3);
        expect(mixed.stderr).toContain('0004_fails is contracting, nothing of its old shape removed yet (undoing it would not let this build go live: a contracted one here stays)');
        expect(mixed.stderr).not.toContain('xc rollback 0004_fails');
        expect(mixed.stderr.trimEnd().split('\n').at(-1)).toBe('(exit 3: refused; retrying will not help: a migration this build predates has been contracted)');
        expect((await xc('rollback', '0004_fails', '--force', '--reason', 'rollback deploy to v3')).code).toBe(0);
        expect((await xc('check', '--app', 'shop', '--version', 'v3', '--level', '0003_index')).code).toBe(0);
        // The database is as the contract left it: the check changed nothing.
        expect(await db.query('SELECT id, full_name, nick FROM users')).toEqual([{ id: 1, full_name: 'ada', nick: null }]);
      } finally {
        await rm(root, { recursive: true, force: true });
        await db.drop();
      }
    });
  });
}
