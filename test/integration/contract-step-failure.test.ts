/**
 * A contract step the server refuses: the migration stays `contracting`, and the message says the way on — run the
 * contract again, which resumes at that step; where nothing of the old shape is removed yet, or roll back. A `sql`
 * step is run again as written, so it is not to be run by hand first (campaign M: Drizzle's enum recreated, its
 * `DROP TYPE` failed after the swap; the message was the server's alone, and the step, run by hand, then failed
 * every re-run).
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, setup } from '../helpers/scenario.js';
import { rejection } from '../helpers/cli.js';

const T = [`CREATE TABLE t (id int PRIMARY KEY, a int)`, `INSERT INTO t VALUES (1, 10), (2, 20)`];
const rename = { renameColumn: { table: 't', from: 'a', to: 'a2' } };
const dropMissing = { sql: { contract: 'DROP TABLE gone_already' } };

for (const target of targets) {
  target.describe(`a contract step the server refuses (${target.name})`, () => {
    /** Applied, its version recorded, then contracted: the contract's error. */
    const failing = async (...operations: unknown[]) => {
      const s = await setup(target, T, 'xc_csf');
      await s.write('0001_m', ...operations);
      await s.xc.apply();
      await record(s.xc, '0001_m');
      return { s, err: await rejection(s.xc.contract()) };
    };

    it('after a step that removed part of the old shape: forward only, said so; the cause fixed, the same command finishes', async () => {
      const { s, err } = await failing(rename, dropMissing);
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/author SQL \(contract\) failed: .*gone_already/);
      expect(err.message).toMatch(/0001_m stays contracting and can no longer be rolled back \(part of its old shape is removed already\): fix what the server names and run `xc contract 0001_m` again: it resumes at this step — run as written, so do not run this `sql` step by hand first/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracting']);
      expect((await rejection(s.xc.rollback())).exitCode).toBe(2);
      await s.db.query(`CREATE TABLE gone_already (id int)`);
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      expect((await s.db.query<{ id: number; a2: number }>(`SELECT id, a2 FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.a2)])).toEqual([[1, 10], [2, 20]]);
      expect(await s.db.count(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'gone_already'`)).toBe(0);
    });

    it('before any step removed anything: the message offers the rollback too, which restores the old shape', async () => {
      const { s, err } = await failing(dropMissing, rename);
      expect(err.message).toMatch(/0001_m stays contracting, nothing of its old shape removed yet: fix what the server names and run `xc contract 0001_m` again: it resumes at this step, or `xc rollback 0001_m`/);
      for (const d of (await s.xc.deploy.list()).deployments.filter((x) => x.retiredAt === null)) await s.xc.deploy.retire({ app: d.app, version: d.version });
      await s.xc.rollback();
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'a']);
      expect((await s.db.query<{ id: number; a: number }>(`SELECT id, a FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.a)])).toEqual([[1, 10], [2, 20]]);
    });

    it('an author `sql` step failing while rows written since do not meet the verify: the server\'s error, not those rows (campaign CF: shown as the rows alone)', async () => {
      const filled = { addColumn: { table: 't', column: { name: 'n', type: 'int' }, up: 'a + 1' } };
      const { s, err } = await failing(filled, dropMissing);
      expect(err.message).toMatch(/author SQL \(contract\) failed: .*gone_already/);
      // The fill trigger went with the first contract steps: the new version's insert leaving n out stores NULL, its right.
      await s.db.query(`INSERT INTO t (id, a) VALUES (3, 30)`);
      const again = await rejection(s.xc.contract());
      expect(again.exitCode).toBe(1);
      expect(again.message).toMatch(/^author SQL \(contract\) failed: .*gone_already[^]*\n0001_m stays contracting/);
      expect(again.message).not.toMatch(/not every row/);
      await s.db.query(`CREATE TABLE gone_already (id int)`);
      await s.xc.contract();
      expect((await s.db.query<{ id: number; n: number | null }>(`SELECT id, n FROM t ORDER BY id`)).map((r) => [Number(r.id), r.n === null ? null : Number(r.n)])).toEqual([[1, 11], [2, 21], [3, null]]);
    });

    it('an expand step the server refuses: the migration stays expanding, and the message says the way on; the cause fixed, `xc apply` finishes (campaign W: only the server\'s words)', async () => {
      const s = await setup(target, T, 'xc_csf');
      await s.write('0001_m', { sql: { expand: 'INSERT INTO audit_log (id) VALUES (1)', rollback: 'SELECT 1' } }, rename);
      const err = await rejection(s.xc.apply());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/audit_log[^]*\n0001_m stays expanding: fix what the server names \(such as a row breaking the index or constraint being built\) and run `xc apply` again — it resumes at this step; or `xc rollback 0001_m` \(the way to change the migration itself: roll back, edit the file, apply again\)\.$/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['expanding']);
      await s.db.query(`CREATE TABLE audit_log (id int)`);
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      expect(await s.db.count(`SELECT count(*) FROM audit_log`)).toBe(1);
    });

    // Campaign T: a view made over the new column stopped the rollback's drop, left rolling_back; campaign DW: a row
    // policy moved onto a copy by hand, the same, the copy's index already dropped. Read before anything changes now.
    it('a rollback that would drop what something made since reads (a view over the new column, a policy moved onto it): refused before any step, naming it; once it reads the old column again, the rollback runs', async () => {
      const pg = target.name === 'postgres';
      const s = await setup(target, T, 'xc_csf');
      await s.write('0001_m', rename);
      await s.xc.apply();
      await s.db.query(`CREATE VIEW new_a AS SELECT id, a2 FROM t`);
      const err = await rejection(s.xc.rollback());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/rollback of 0001_m refused: view "new_a" depends on "t"\."a2", which the rollback drops; it would fail there, part of the expand undone, or leave it broken\. Nothing was changed\./);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'a', 'a2']);
      await s.db.query(`DROP VIEW new_a`);
      if (pg) {
        await s.db.query(`ALTER TABLE t ENABLE ROW LEVEL SECURITY`);
        await s.db.query(`CREATE POLICY tenant ON t USING (a2 > 0)`);
        const policy = await rejection(s.xc.rollback());
        expect(policy.message).toMatch(/rollback of 0001_m refused: policy "tenant" depends on "t"\."a2"[^]*Make it read what 0001_m keeps \(the old column\) again, then run `xc rollback 0001_m` again/);
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
        await s.db.query(`ALTER POLICY tenant ON t USING (a > 0)`);
      }
      await s.xc.rollback();
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'a']);
      expect(await s.db.query(`SELECT id, a FROM t ORDER BY id`)).toEqual([{ id: 1, a: 10 }, { id: 2, a: 20 }]);
    });
  });
}
