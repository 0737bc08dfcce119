/**
 * Issue 11, item 6: a rollback stopped between any two of its steps (here:
 * failed on purpose as it announces step k, the state a kill leaves on MySQL,
 * where every step commits alone) leaves a schema the old version writes to
 * without an error; a re-run then finishes it, back to the schema before.
 */
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';
import { dump, onCleanup, record, rejection, retireLive, setup } from '../helpers/scenario.js';
import { runXc, runXcKillingAt } from '../helpers/cli.js';

/** The old version's writes: inserts (c sometimes NULL, which setNotNull's up fills) and updates. */
const oldWrites = (i: number) =>
  i % 3 === 0
    ? { sql: `UPDATE t SET a = ?, c = NULL WHERE id = ?`, params: [i, 1 + (i % 20)] }
    : { sql: `INSERT INTO t (id, a, b, c) VALUES (?, ?, ?, ?)`, params: [1000 + i, i, `b${i}`, i % 2 ? null : i] };

for (const target of targets) {
  target.describe(`rollback stopped between its steps (${target.name})`, () => {
    it('every intermediate state takes the old version\'s writes, and the re-run restores the schema', async () => {
      const bigint = target.name === 'postgres' ? 'CAST(a_big AS int)' : 'CAST(a_big AS SIGNED)';
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b varchar(20), c int)`], 'xc_rbk');
      for (let id = 1; id <= 20; id++) await s.db.query(`INSERT INTO t (id, a, b, c) VALUES (?, ?, ?, ?)`, [id, id, `b${id}`, id % 4 ? id : null]);
      const before = (await dump(s.db, ['t'])) as Record<string, unknown>;
      await s.write(
        '0001_many',
        { alterColumn: { table: 't', column: 'a', to: 'a_big', type: 'bigint', up: 'a', down: bigint } },
        { addColumn: { table: 't', column: { name: 'd', type: 'int', nullable: false }, up: '7' } },
        { setNotNull: { table: 't', column: 'c', up: '0' } },
        { dropColumn: { table: 't', column: 'b', down: "'x'" } },
        { addCheck: { table: 't', name: 't_a_ck', expression: 'id > 0' } },
      );
      await s.xc.apply();

      const writer = new Writer(await s.db.connection(), oldWrites, 1).start();
      let stops = 0;
      try {
        // Each run stops as it announces its n-th step; a re-run skips the steps done. n grows only while a run
        // makes no progress (PostgreSQL commits some steps together): the old version writes in every state a kill
        // between two commits can leave.
        const steps = target.name === 'postgres' ? 'xc.steps' : 'xc_steps';
        const done = () => s.db.count(`SELECT count(*) FROM ${steps} WHERE phase = 'rollback' AND status = 'done'`);
        for (let n = 2, last = -1; ; ) {
          let announced = 0;
          const xc = createXc({ url: s.db.url, dir: s.dir, onEvent: (e) => void (e.event === 'step' && ++announced === n && (() => { throw new Error('stopped on purpose'); })()) });
          onCleanup(() => xc.close());
          const finished = await xc.rollback().then(
            () => true,
            (err: Error) => (expect(err.message).toMatch(/stopped on purpose/), false),
          );
          const writes = writer.writes;
          await new Promise((r) => setTimeout(r, 150));
          const now = finished ? Infinity : await done();
          expect(writer.errors, `old-version writes after ${now} rollback step(s)`).toEqual([]);
          expect(writer.writes).toBeGreaterThan(writes);
          if (finished) break;
          if (now > last) stops++;
          n = now > last ? 2 : n + 1;
          last = now;
        }
      } finally {
        await writer.stop();
      }
      expect(writer.errors).toEqual([]);
      // Every commit of the rollback was a place to stop: triggers, checks, defaults, columns of five operations.
      expect(stops).toBeGreaterThanOrEqual(target.name === 'postgres' ? 3 : 5);
      expect({ ...((await dump(s.db, ['t'])) as Record<string, unknown>), state: undefined }).toEqual({ ...before, state: undefined });
      expect((await s.xc.status()).migrations[0]!.phase).toBe('rolled_back');
      // Every insert of the old version is there.
      expect(await s.db.count(`SELECT count(*) FROM t WHERE id >= 1000`)).toBe(await s.db.count(`SELECT count(*) FROM t WHERE id >= 1000 AND b IS NOT NULL`));
    }, 120_000);
    it('an expand stopped before the createTable a later operation of it puts NOT NULL back on: the rollback skips what is not there and finishes', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY)`, `INSERT INTO t VALUES (1)`], 'xc_rbk');
      await s.write(
        '0001_m',
        { sql: { expand: 'INSERT INTO t (id) VALUES (1)', rollback: 'DELETE FROM t WHERE id = 2' } },
        { createTable: { table: 'u', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'c', type: 'int', nullable: false }] } },
        { dropNotNull: { table: 'u', column: 'c' } },
      );
      // The first step fails (a duplicate key): u is never made.
      expect((await rejection(s.xc.apply())).exitCode).toBe(1);
      // Before: the rollback failed for good on the table that is not there ("relation u does not exist"), in rolling_back.
      await s.xc.rollback();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect((await s.db.query<{ id: unknown }>(`SELECT id FROM t`)).map((r) => Number(r.id))).toEqual([1]);
    });

    it('`xc rollback` without an id, killed -9 at each of its steps and re-run the same way until it ends, then once more (a retry): only the newest migration is rolled back, the one below keeps its column and values (campaign AG: each re-run after the last step rolled back one more)', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int)`, ...Array.from({ length: 20 }, (_, i) => `INSERT INTO t VALUES (${i + 1}, ${i})`)], 'xc_rbk');
      await s.write('0001_a', { addColumn: { table: 't', column: { name: 'x', type: 'int' }, up: 'a + 1' } });
      await s.write('0002_b', { addColumn: { table: 't', column: { name: 'y', type: 'int' }, up: 'a * 2' } }, { addIndex: { table: 't', name: 't_a', columns: ['a'] } });
      await s.xc.apply();
      const args = ['rollback', '--url', s.db.url, '--dir', s.dir];
      let kills = 0;
      for (let k = 1; ; k++) {
        let steps = 0;
        const run = await runXcKillingAt(args, (e) => e.event === 'step' && ++steps >= k);
        if (run.signal === null) {
          expect(run.code, run.stderr).toBe(0);
          break;
        }
        kills++;
      }
      expect(kills).toBeGreaterThanOrEqual(2);
      const retry = await runXc([...args, '--json']);
      expect(retry.code, retry.stderr).toBe(0);
      expect(JSON.parse(retry.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: true, migrations: [], note: '0002_b is rolled back; 0001_a is still backfilled: to roll it back too, name it (xc rollback 0001_a)' });
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_a', 'backfilled'], ['0002_b', 'rolled_back']]);
      expect((await s.db.columns('t')).map((c) => c.name)).toEqual(['id', 'a', 'x']);
      expect(await s.db.count(`SELECT count(*) FROM t WHERE x = a + 1`)).toBe(20);
      // Named, the one below goes too.
      expect((await runXc([...args, '0001_a'])).code).toBe(0);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back', 'rolled_back']);
    }, 180_000);

    it('`xc rollback` without an id picks the highest in flight when a higher one is contracted (applied out of order), or was rolled back before it started (campaign AI: "nothing to roll back")', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int)`, `INSERT INTO t VALUES (1, 1)`], 'xc_rbk');
      const add = (column: string) => ({ addColumn: { table: 't', column: { name: column, type: 'int' }, up: 'a' } });
      await s.write('0001_a', add('x'));
      await s.write('0003_c', add('z'));
      await s.xc.apply();
      await record(s.xc, '0003_c');
      await s.xc.contract();
      await s.write('0002_b', add('y'));
      await s.xc.apply();
      expect((await s.xc.rollback()).migrations.map((m) => [m.id, m.phase])).toEqual([['0002_b', 'rolled_back']]);
      // 0004 rolled back long ago, then 0005 applied: 0005 is the one to roll back, not a re-run of 0004's rollback.
      await s.write('0004_d', add('w'));
      await s.xc.apply({ id: '0004_d' });
      await retireLive(s.xc);
      await s.xc.rollback({ id: '0004_d' });
      await new Promise((r) => setTimeout(r, 1100)); // the state's clock, to the second on MariaDB
      await s.write('0005_e', add('v'));
      await s.xc.apply({ id: '0005_e' });
      expect((await s.xc.rollback()).migrations.map((m) => [m.id, m.phase])).toEqual([['0005_e', 'rolled_back']]);
    });
  });
}
