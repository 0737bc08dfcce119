/**
 * `--take-edited-sql`: the way out of a contract stuck on its own `sql` statement (campaign CF). A `sql` contract
 * step that can never succeed, after a step of the same contract removed part of the old shape, left the migration
 * `contracting` for good: rollback refused (forward only), the corrected file refused as drift, `--allow-drift` ran the
 * recorded text again. The edit is taken only when it is that text alone and the statement has not run; taking it is
 * one transaction, so a kill at any point converges on a re-run.
 */
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { record, retireLive, setup, type Setup } from '../helpers/scenario.js';
import { rejection, runXc, runXcKillingAt } from '../helpers/cli.js';
import { Writer } from '../helpers/writers.js';

const T = [`CREATE TABLE t (id int PRIMARY KEY, a int)`, `INSERT INTO t VALUES (1, 10), (2, 20)`, `CREATE TABLE old_audit (id int)`];
const rename = { renameColumn: { table: 't', from: 'a', to: 'a2' } };
/** Meant `DROP TABLE old_audit`: fails for good, after the rename's steps removed the old column. */
const wrongDrop = { sql: { contract: 'DROP TABLE old_audti' } };
const rightDrop = { sql: { contract: 'DROP TABLE old_audit' } };

const phases = async (s: Setup) => (await s.xc.status()).migrations.map((m) => m.phase);
const tableThere = (s: Setup, name: string) => s.db.count(`SELECT count(*) FROM information_schema.tables WHERE table_name = '${name}' AND table_schema = ${s.db.dialect === 'postgres' ? 'current_schema()' : 'DATABASE()'}`);
/** The state's record of the migration: what a refused take must leave as it was. */
const recorded = (s: Setup) => s.db.query(s.db.dialect === 'postgres' ? `SELECT checksum, definition::text AS d, plan::text AS p FROM xc.migrations` : `SELECT checksum, definition AS d, plan AS p FROM xc_migrations`);

for (const target of targets) {
  target.describe(`--take-edited-sql (${target.name})`, () => {
    /** 0001_m (`rename` and `then`) applied, the build at its level the only one live, then contracted: stuck. */
    const stuck = async (...then: unknown[]) => {
      const s = await setup(target, T, 'xc_tes');
      await s.write('0001_m', rename, ...(then.length > 0 ? then : [wrongDrop]));
      await s.xc.apply();
      await record(s.xc, '0001_m');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      return { s, err };
    };

    it('a contract stuck on its own statement: the failure names the flag; the corrected file, taken, finishes it — with the new version writing throughout', async () => {
      const { s, err } = await stuck();
      expect(err.message).toMatch(/can no longer be rolled back[^]*if the statement itself is wrong, correct it in the migration file and run `xc contract 0001_m --take-edited-sql`/);
      // New-version writes go on meanwhile: the old version is retired, the new one writes a2.
      const writer = new Writer(await s.db.connection(), (i) => ({ sql: 'INSERT INTO t (id, a2) VALUES (?, ?)', params: [100 + i, i] })).start();
      try {
        await s.write('0001_m', rename, rightDrop);
        // Without the flag: drift, naming it; nothing changed.
        const before = await recorded(s);
        const drift = await rejection(s.xc.contract());
        expect(drift.exitCode).toBe(2);
        expect(drift.message).toMatch(/To run the edited text: `xc contract 0001_m --take-edited-sql` records it/);
        expect(drift.message).not.toMatch(/It can no longer be undone/);
        expect(await recorded(s)).toEqual(before);
        // The recorded text, run again, fails as before.
        const xcDrift = createXc({ url: s.db.url, dir: s.dir, allowDrift: true });
        try {
          expect((await rejection(xcDrift.contract())).message).toMatch(/old_audti/);
        } finally {
          await xcDrift.close();
        }
        await s.xc.contract({ takeEditedSql: true });
      } finally {
        await writer.stop();
      }
      expect(writer.errors).toEqual([]);
      expect(await phases(s)).toEqual(['contracted']);
      expect(await tableThere(s, 'old_audit')).toBe(0);
      const rows = (await s.db.query<{ id: number; a2: number }>(`SELECT id, a2 FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.a2)]);
      expect(rows).toEqual([[1, 10], [2, 20], ...Array.from({ length: writer.writes }, (_, i) => [100 + i, i])]);
      // Recorded and logged; the file is no drift any more.
      const log = (await s.xc.log({ migration: '0001_m' })).events;
      expect(log.find((e) => e.event === 'sql_edited')?.detail).toMatchObject({ field: 'contract', operations: [1] });
      await s.xc.apply();
      expect((await s.xc.plan()).migrations).toEqual([]);
    });

    it('refused, exit 2 and nothing changed, for an edit beyond that text, for a statement that ran, and for corrected SQL that is not valid', async () => {
      const { s } = await stuck();
      const before = await recorded(s);
      const refusedWith = async (message: RegExp) => {
        const err = await rejection(s.xc.contract({ takeEditedSql: true }));
        expect(err.exitCode, err.message).toBe(2);
        expect(err.message).toMatch(message);
        expect(await recorded(s)).toEqual(before);
        expect(await phases(s)).toEqual(['contracting']);
      };
      await s.write('0001_m', { renameColumn: { table: 't', from: 'a', to: 'a3' } }, rightDrop);
      await refusedWith(/--take-edited-sql did not take it: the edit changes more than the `contract` text of its `sql` operations: operations\[0\] \(/);
      await s.write('0001_m', rename, { sql: { contract: 'DROP TABLEE old_audit' } });
      await refusedWith(/the edited text was not taken \(nothing changed\):\n {2}- .*0001_m\.json: operations\[1\]\.sql\.contract: not valid SQL: [^]*\n\(a statement that needs an operation of its own cannot be taken into this migration: put it in a new one\)$/);
      await s.write('0001_m', rename, rightDrop, { sql: { contract: 'SELECT 1' } });
      await refusedWith(/the edit changes more than the `contract` text of its `sql` operations: the number of operations \(2 applied, 3 now\)/);
      await s.write('0001_m', rename, { sql: { contract: 'DROP TABLE old_audit', rollback: 'SELECT 1' } });
      await refusedWith(/the edit changes more than the `contract` text/);
      // The rename's steps ran: the first operation is no `sql` text at all; a `sql` text that ran is refused below.
      await s.write('0001_m', rename, rightDrop);
      await s.xc.contract({ takeEditedSql: true });
      expect(await phases(s)).toEqual(['contracted']);
      await s.write('0001_m', rename, { sql: { contract: 'DROP TABLE IF EXISTS old_audit' } });
      const ran = await rejection(s.xc.contract({ takeEditedSql: true }));
      expect(ran.exitCode).toBe(2);
      expect(ran.message).toMatch(/--take-edited-sql did not take it: it is contracted: nothing of it runs any more/);
    });

    it('another migration\'s edit taken, then this one\'s refused: the refusal says what was taken, not "nothing was executed" (campaign CS)', async () => {
      const { s } = await stuck();
      await s.write('0002_b', { sql: { expand: 'SELECT 1', contract: 'SELECT 1' } });
      await s.xc.apply();
      await s.write('0002_b', { sql: { expand: 'SELECT 1', contract: 'SELECT 2' } });
      await s.write('0001_m', { renameColumn: { table: 't', from: 'a', to: 'a3' } }, rightDrop);
      const run = await runXc(['contract', '0001_m', '--take-edited-sql', '--url', s.db.url, '--dir', s.dir]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('(taken before this refusal, and kept: the edited sql of 0002_b, logged as sql_edited)');
      expect(run.stderr).toContain('invalid input; nothing was executed but the edits taken before it (said above)');
      expect(run.stderr).not.toContain('; nothing was executed)');
      const steps = (await s.xc.status()).migrations.map((m) => [m.id, m.phase]);
      expect(steps).toEqual([['0001_m', 'contracting'], ['0002_b', 'backfilled']]);
      expect(await s.db.count(`SELECT count(*) FROM ${s.db.dialect === 'postgres' ? 'xc.events' : 'xc_events'} WHERE event = 'sql_edited' AND migration_id = '0002_b'`)).toBe(1);
    });

    it('a statement that ran is not taken; the one that failed after it is', async () => {
      const made = (name: string) => ({ sql: { contract: `CREATE TABLE ${name} (id int)` } });
      const { s } = await stuck(made('made_once'), wrongDrop);
      const before = await recorded(s);
      await s.write('0001_m', rename, made('made_twice'), rightDrop);
      const ran = await rejection(s.xc.contract({ takeEditedSql: true }));
      expect(ran.exitCode).toBe(2);
      expect(ran.message).toMatch(/--take-edited-sql did not take it: operations\[1\]\.sql\.contract ran already: put what it should have done in a new migration/);
      expect(await recorded(s)).toEqual(before);
      await s.write('0001_m', rename, made('made_once'), rightDrop);
      await s.xc.contract({ takeEditedSql: true });
      expect(await phases(s)).toEqual(['contracted']);
      expect([await tableThere(s, 'made_once'), await tableThere(s, 'made_twice'), await tableThere(s, 'old_audit')]).toEqual([1, 0, 0]);
    });

    it('killed right after the edit was taken, and again in the contract: each re-run converges', async () => {
      const { s } = await stuck();
      await s.write('0001_m', rename, rightDrop);
      const args = ['contract', '--take-edited-sql', '--url', s.db.url, '--dir', s.dir];
      const killed = await runXcKillingAt(args, (e) => e.event === 'sql_edited');
      expect(killed.signal, `${killed.code} ${killed.stderr}`).toBe('SIGKILL');
      // Whatever ran before the kill, the state records the edit or not: the re-run, with or without the flag, finishes.
      const again = await runXc(['contract', '--url', s.db.url, '--dir', s.dir]);
      if (again.code !== 0) {
        expect(again.stderr).toMatch(/--take-edited-sql/);
        expect((await runXc(args)).code).toBe(0);
      }
      expect(await phases(s)).toEqual(['contracted']);
      expect(await tableThere(s, 'old_audit')).toBe(0);
      expect((await s.db.query<{ id: number; a2: number }>(`SELECT id, a2 FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.a2)])).toEqual([[1, 10], [2, 20]]);
    });

    it('a rollback stuck on its own statement: the same way out, for the `rollback` text', async () => {
      const s = await setup(target, T, 'xc_tes');
      const scratch = (rollback: string) => ({ sql: { expand: 'CREATE TABLE scratch (id int)', rollback } });
      await s.write('0001_m', scratch('DROP TABLE scrach'), rename);
      await s.xc.apply();
      await retireLive(s.xc);
      const err = await rejection(s.xc.rollback());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/0001_m stays rolling_back: [^]*if the statement itself is wrong, correct it in the migration file and run `xc rollback 0001_m --take-edited-sql`/);
      await s.write('0001_m', scratch('DROP TABLE scratch'), rename);
      // The drift refusal names the rollback's way, not the rollback that failed (campaign CN).
      const drift = await rejection(s.xc.apply());
      expect(drift.message).toMatch(/To run the edited text: `xc rollback 0001_m --take-edited-sql` records it \(the file changes only the rollback text/);
      expect(drift.message).not.toMatch(/`xc rollback 0001_m` undoes it/);
      await s.xc.rollback({ takeEditedSql: true });
      expect(await phases(s)).toEqual(['rolled_back']);
      expect(await tableThere(s, 'scratch')).toBe(0);
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'a']);
      expect((await s.db.query<{ id: number; a: number }>(`SELECT id, a FROM t ORDER BY id`)).map((r) => [Number(r.id), Number(r.a)])).toEqual([[1, 10], [2, 20]]);
    });
  });
}

