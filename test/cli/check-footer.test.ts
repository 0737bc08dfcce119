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
    it('early: safe to retry later; past a contract: retrying will not help', { timeout: 120_000 }, async () => {
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
        expect(rollbackDeploy.stderr.trimEnd().split('\n').at(-1)).toBe('(exit 3: refused; retrying will not help: a migration this build may still need the old shape of is contracted)');
        // A contract that removed nothing (an index added) is named for what it is, and still judged by level (SPEC §6).
        await writeFile(path.join(dir, '0003_index.json'), JSON.stringify({ operations: [{ addIndex: { table: 'users', name: 'users_nick', columns: ['nick'] } }] }));
        for (const args of [['apply'], ['deploy', 'record', '--app', 'shop', '--version', 'v3'], ['deploy', 'retire', '--app', 'shop', '--version', 'v2'], ['contract']]) {
          const r = await xc(...args);
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        }
        const pastIndex = await xc('check', '--app', 'shop', '--version', 'v2', '--level', '0002_rename');
        expect(pastIndex.code, pastIndex.stderr).toBe(3);
        expect(pastIndex.stderr).toContain('0003_index is contracted: its contract removed no old shape, but the gate judges by level, and this build (level 0002_rename) is older than it');
        // The database is as the contract left it: the check changed nothing.
        expect(await db.query('SELECT id, full_name, nick FROM users')).toEqual([{ id: 1, full_name: 'ada', nick: null }]);
      } finally {
        await rm(root, { recursive: true, force: true });
        await db.drop();
      }
    });
  });
}
