/**
 * A contract stopped after a step that removes nothing may still be rolled back; the rollback must undo that step
 * too (campaign F, a kill -9 of `xc contract`): on MySQL/MariaDB, dropColumn with `down` of a NOT NULL column
 * without a default gives the column `down` as its default first (writers omitting it never fail while the trigger
 * goes before the column). Rolled back after that step, the column kept the default, and applying the migration
 * again was refused ("has a default"). And alterColumn in place through a shadow made NOT NULL: its contract first
 * enforces NOT NULL on the shadow, on MySQL/MariaDB by a trigger pair; the rollback dropped the shadow and left the
 * triggers, naming a column gone — every write to the table refused (found by the sweep of contract stops,
 * XC_SWEEP_CONTRACT_STOPS=1). And a contract resumed after its verify (stopped, a NULL written): the server refused
 * the NOT NULL naming no row, where the verify names it. Stopped here through the onEvent callback, which stops the command before the step it is
 * told of, deterministically; the kill itself is the campaign's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, DataMismatchError, type XcOptions } from '../../src/index.js';
import { targets } from '../helpers/targets.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database with `ddl` run, a folder with `migration` as its one file, and xc on them (with `onEvent` where given). */
async function scenario(target: (typeof targets)[number], ddl: string[], id: string, migration: unknown) {
  const db = await target.create('xc_csr');
  cleanups.push(() => db.drop());
  for (const sql of ddl) await db.query(sql);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-csr-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, `${id}.json`), JSON.stringify(migration));
  const xcWith = (opts: Partial<XcOptions> = {}) => {
    const xc = createXc({ url: db.url, dir, ...opts });
    cleanups.push(() => xc.close());
    return xc;
  };
  return { db, xc: xcWith(), xcWith };
}

/** Contract, stopped before its k-th announced step: whether it stopped (false: it ran to the end). */
async function contractStoppedAt(xcWith: (opts: Partial<XcOptions>) => ReturnType<typeof createXc>, k: number): Promise<boolean> {
  let seen = 0;
  const stopping = xcWith({ onEvent: (e) => { if (e.event === 'step' && ++seen === k) throw new Error('stop here'); } });
  return stopping.contract().then(
    () => false,
    (e: Error) => {
      expect(e.message).toMatch(/^stopped/);
      return true;
    },
  );
}

for (const target of targets) {
  target.describe(`a contract stopped between its steps: writes there, and a rollback from there (${target.name})`, () => {
    it('dropColumn with down of a NOT NULL column: after its first contract step the rollback leaves the column as it was, and the migration applies again', async () => {
      const down = { postgres: `'d' || a`, mysql: `concat('d', a)` };
      const { db, xc, xcWith } = await scenario(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b varchar(40) NOT NULL)`, `INSERT INTO t VALUES (1, 1, 'b1'), (2, 2, 'b2')`], '0001_drop_b', { operations: [{ dropColumn: { table: 't', column: 'b', down } }] });
      const before = await db.columns('t');
      await xc.apply();
      // The new version writes without b meanwhile: `down` fills it.
      await db.query(`INSERT INTO t (id, a) VALUES (3, 3)`);
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      expect(await contractStoppedAt(xcWith, 2)).toBe(true);
      expect((await xc.status()).migrations[0]!.phase).toBe('contracting');
      await xc.deploy.retire({ app: 'shop', version: 'v2' });
      await xc.rollback();
      expect(await db.columns('t')).toEqual(before);
      expect(await db.query(`SELECT id, a, b FROM t ORDER BY id`)).toEqual([
        { id: 1, a: 1, b: 'b1' },
        { id: 2, a: 2, b: 'b2' },
        { id: 3, a: 3, b: 'd3' },
      ]);
      // The old version's insert that omits b fails again, as before the migration.
      await expect(db.query(`INSERT INTO t (id, a) VALUES (4, 4)`)).rejects.toThrow();
      await xc.apply();
      expect((await xc.status()).migrations[0]!.phase).toBe('backfilled');
    }, 120_000);

    it('alterColumn in place through a shadow made NOT NULL: rolled back after the check on the shadow is in place, the table takes writes and is as it was', async () => {
      const migration = { operations: [{ alterColumn: { table: 't', column: 'n', type: 'bigint', nullable: false, up: 'COALESCE(n, 0)' } }] };
      const { db, xc, xcWith } = await scenario(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`, `INSERT INTO t VALUES (1, 1), (2, NULL)`], '0001_n', migration);
      const before = { columns: await db.columns('t'), triggers: await db.triggers(), checks: await db.checks('t') };
      await xc.apply();
      await xc.deploy.record({ app: 'shop', version: 'v2' });
      expect(await contractStoppedAt(xcWith, 3)).toBe(true);
      await xc.deploy.retire({ app: 'shop', version: 'v2' });
      await xc.rollback();
      expect({ columns: await db.columns('t'), triggers: await db.triggers(), checks: await db.checks('t') }).toEqual(before);
      // The old version writes as before: a NULL too.
      await db.query(`INSERT INTO t VALUES (3, NULL)`);
      await db.query(`UPDATE t SET n = 5 WHERE id = 1`);
      expect(await db.count(`SELECT count(*) FROM t`)).toBe(3);
    }, 120_000);

    for (const ending of ['finished', 'rolled back'] as const) {
      it(`setNotNull without up: a NULL written after the verify (the contract stopped before its first step), the contract again names the row, as the verify does, and is then ${ending}`, async () => {
        const { db, xc, xcWith } = await scenario(target, [`CREATE TABLE t (id int PRIMARY KEY, a int)`, `INSERT INTO t VALUES (1, 1), (2, 2)`], '0001_a', { operations: [{ setNotNull: { table: 't', column: 'a' } }] });
        const before = { columns: await db.columns('t'), checks: await db.checks('t') };
        await xc.apply();
        await xc.deploy.record({ app: 'shop', version: 'v2' });
        expect(await contractStoppedAt(xcWith, 1)).toBe(true);
        await db.query(`INSERT INTO t VALUES (3, NULL)`);
        // Was the server's own "check constraint … is violated by some row" / "… cannot be null", naming no row.
        const refused = await xc.contract().then(() => undefined, (e: unknown) => e);
        expect(refused).toBeInstanceOf(DataMismatchError);
        expect((refused as Error).message).toMatch(/not every row of "t".*\n.*id="3"[\s\S]*run `xc contract` again/);
        expect((await xc.status()).migrations[0]!.phase).toBe('contracting');
        if (ending === 'finished') {
          await db.query(`UPDATE t SET a = 3 WHERE id = 3`);
          await xc.contract();
          await expect(db.query(`INSERT INTO t VALUES (4, NULL)`)).rejects.toThrow();
        } else {
          await xc.deploy.retire({ app: 'shop', version: 'v2' });
          await xc.rollback();
          expect({ columns: await db.columns('t'), checks: await db.checks('t') }).toEqual(before);
          await db.query(`UPDATE t SET a = 3 WHERE id = 3`);
        }
        expect((await xc.status()).migrations[0]!.phase).toBe(ending === 'finished' ? 'contracted' : 'rolled_back');
        expect(await db.query(`SELECT id, a FROM t ORDER BY id`)).toEqual([{ id: 1, a: 1 }, { id: 2, a: 2 }, { id: 3, a: 3 }]);
      }, 120_000);
    }

    // The key drawing from a sequence: MariaDB opens it with the table, so the contract's LOCK TABLES must hold it too.
    const sequenced = [`CREATE SEQUENCE ids START WITH 100`, `CREATE TABLE t (id int PRIMARY KEY DEFAULT ${target.name === 'postgres' ? "nextval('ids')" : 'nextval(ids)'}, a int)`];
    for (const [what, change, table] of [
      ['renameColumn', { renameColumn: { table: 't', from: 'a', to: 'b' } }, [`CREATE TABLE t (id int PRIMARY KEY, a int)`]],
      ['alterColumn with to', { alterColumn: { table: 't', column: 'a', to: 'b', type: 'bigint' } }, [`CREATE TABLE t (id int PRIMARY KEY, a int)`]],
      ['renameColumn of a table whose key draws from a sequence', { renameColumn: { table: 't', from: 'a', to: 'b' } }, sequenced],
    ] as const) {
      it(`${what}: stopped before each contract step, an old-version write there reaches the new column (campaign H, MariaDB: lost between the trigger's removal and the old column's drop)`, async () => {
        for (let k = 1, steps = Infinity; k <= steps; k++) {
          const { db, xc, xcWith } = await scenario(target, [...table, `INSERT INTO t (id, a) VALUES (1, 10), (2, 20)`], '0001_b', { operations: [change] });
          await xc.apply();
          await xc.deploy.record({ app: 'shop', version: 'v2' });
          steps = (await xc.plan()).migrations[0]!.pending.find((p) => p.phase === 'contract')!.steps.length;
          const stopped = await contractStoppedAt(xcWith, k);
          // A straggler of the old version (the gate says it is gone; a forced gate, a late instance) writes its column.
          const old = await db.query(`UPDATE t SET a = 999 WHERE id = 1`).then(() => true, () => false);
          if (old) await db.query(`INSERT INTO t (id, a) VALUES (3, 333)`);
          await xc.contract();
          const rows = (await db.query<{ id: number; b: number | string | null }>(`SELECT id, b FROM t ORDER BY id`)).map((r) => ({ id: r.id, b: r.b === null ? null : Number(r.b) }));
          const why = `stopped before contract step ${k} of ${steps} (${stopped ? 'stopped' : 'ran to the end'}; the old column ${old ? 'still there' : 'gone'})`;
          // MariaDB, a table whose default draws from a sequence: no LOCK TABLES holds the trigger's removal and the
          // column's drop together there (sequences.ts: it crashed the server), so a stop between them is the window the
          // README names — the straggler's write reaches the new column only where a trigger was still there to carry it.
          const apart = table === sequenced && target.name === 'mysql' && stopped && k > 1;
          if (apart && old) expect(rows, why).toEqual([{ id: 1, b: k === 2 ? 999 : 10 }, { id: 2, b: 20 }, { id: 3, b: null }]);
          else expect(rows, why).toEqual(old ? [{ id: 1, b: 999 }, { id: 2, b: 20 }, { id: 3, b: 333 }] : [{ id: 1, b: 10 }, { id: 2, b: 20 }]);
          if (!stopped) break;
        }
      }, 240_000);
    }

    for (const nullable of [false, true]) {
      it(`addColumn${nullable ? '' : ' NOT NULL'} with up and a default: stopped before each contract step, a new-version insert omitting the column gets a value (campaign F: refused, or NULL stored, between the trigger's drop and the default)`, async () => {
        const migration = { operations: [{ addColumn: { table: 'customers', column: { name: 'vip', type: 'int', nullable, default: '7' }, up: 'id * 10' } }] };
        for (let k = 1, steps = Infinity; k <= steps; k++) {
          const { db, xc, xcWith } = await scenario(target, [`CREATE TABLE customers (id int PRIMARY KEY, name varchar(40) NOT NULL)`, `INSERT INTO customers VALUES (1, 'a'), (2, 'b')`], '0001_vip', migration);
          await xc.apply();
          await xc.deploy.record({ app: 'shop', version: 'v2' });
          steps = (await xc.plan()).migrations[0]!.pending.find((p) => p.phase === 'contract')!.steps.length;
          const stopped = await contractStoppedAt(xcWith, k);
          await db.query(`INSERT INTO customers (id, name) VALUES (3, 'new version omits vip')`);
          const [row] = await db.query<{ vip: number | null }>(`SELECT vip FROM customers WHERE id = 3`);
          expect([7, 30], `stopped before contract step ${k} of ${steps} (${stopped ? 'stopped' : 'ran to the end'})`).toContain(row!.vip === null ? null : Number(row!.vip));
          await xc.contract();
          expect(await db.query(`SELECT id, vip FROM customers ORDER BY id`)).toEqual([{ id: 1, vip: 10 }, { id: 2, vip: 20 }, { id: 3, vip: expect.anything() }]);
          if (!stopped) break;
        }
      }, 240_000);
    }
  });
}
