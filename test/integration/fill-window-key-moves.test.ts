/**
 * MySQL/MariaDB fill a new column before its triggers exist (Ddl.fillBeforeTriggers), then a catch-up pass converts
 * the rows the old version wrote meanwhile — from each row's fill batch to the triggers. A row written there whose key
 * then moved behind that pass's cursor was never seen again — an UPDATE of the key changes neither value, so the
 * trigger keeps the stale one — and the migration was said `backfilled`, the new version about to read it (campaigns
 * CM, CO: up to 524 rows, with or without a kill). After a fill, the verify runs before `backfilled`, and the
 * catch-up again while it finds rows.
 *
 * A shadow (a column changed in place) is computed by its trigger on every write, a key's move included, so no row can
 * escape it: no verify before `backfilled` there (it cost 9% of the busy-writer benchmark), unless a foreign-key
 * action of the table changes rows, which runs no trigger on MySQL.
 */
import { expect, it } from 'vitest';
import { createXc, type XcEvent } from '../../src/index.js';
import { setup, type Setup } from '../helpers/scenario.js';
import { rejection } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';

const ROWS = 100;
const STALE = [50, 60, 70];
const isTrigger = (e: XcEvent) => e.event === 'step' && /^\s*CREATE (OR REPLACE )?(TRIGGER|FUNCTION)/i.test(e.sql);

for (const target of targets) {
  target.describe(`rows written during the fill, their keys then moved behind the catch-up (${target.name})`, () => {
    const table = async (operation: unknown = { renameColumn: { table: 't', from: 'a', to: 'a2' } }, ddl = [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL)`]) => {
      const s = await setup(target, ddl, 'xc_fwk');
      await s.db.seed('t', ['id', 'a'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1]));
      await s.write('0001_m', operation);
      return s;
    };
    /** Once the catch-up has walked its first batch, the stale rows move behind it (to negative keys). */
    const applyMovingBehind = async (s: Setup, during?: (e: XcEvent) => Promise<unknown> | undefined) => {
      const mover = await s.db.connection();
      const writes: Promise<unknown>[] = [];
      let moved = false;
      const xc = createXc({ url: s.db.url, dir: s.dir, batchSize: 10, batchDelayMs: 100, parallel: 1, onEvent: (e) => {
        const w = during?.(e);
        if (w) writes.push(w);
        if (!moved && e.event === 'backfill' && e.pass === 'backfill' && e.done >= 10) {
          moved = true;
          writes.push((async () => {
            for (const [i, id] of STALE.entries()) await mover.query(`UPDATE t SET id = ? WHERE id = ?`, [-1 - i, id]);
          })());
        }
      } });
      try {
        return await xc.apply();
      } finally {
        await xc.close();
        await Promise.all(writes);
      }
    };
    /**
     * The rows the widest pass walked: PostgreSQL's one pass misses the rows moved behind it (its trigger converts
     * them); MySQL's pass again over what the verify found walks them all.
     */
    const walked = target.name === 'mysql' ? ROWS : ROWS - STALE.length;
    const agreeing = async (s: Setup) => {
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      const rows = await s.db.query<{ id: number; a: number; a2: number }>(`SELECT id, a, a2 FROM t WHERE id < 0 ORDER BY id DESC`);
      expect(rows.map((r) => [Number(r.id), Number(r.a), Number(r.a2)])).toEqual(STALE.map((id, i) => [-1 - i, id + 1000, id + 1000]));
      expect(await s.db.count(`SELECT count(*) FROM t WHERE a <> a2`)).toBe(0);
    };

    it('in one uninterrupted run (written after the fill passed them): converted before backfilled', async () => {
      const s = await table();
      const writer = await s.db.connection();
      let wrote = false;
      const result = await applyMovingBehind(s, (e) => {
        if (wrote || !(e.event === 'backfill' && e.pass === 'fill' && e.done >= 80)) return undefined;
        wrote = true;
        return writer.query(`UPDATE t SET a = a + 1000 WHERE id IN (${STALE.join(', ')})`);
      });
      expect(wrote).toBe(target.name === 'mysql'); // PostgreSQL fills under its triggers: no fill pass
      if (!wrote) await s.db.query(`UPDATE t SET a = a + 1000 WHERE id < 0`);
      expect((result as { warnings?: string[] }).warnings).toBeUndefined();
      // The rows of the table, once: not the catch-up's walk plus the one again over the rows found (campaign CY).
      expect(result.migrations.map((m) => (m as { rows?: number }).rows)).toEqual([walked]);
      await agreeing(s);
    });

    it('stopped before the triggers and resumed (the window a kill leaves open): converted before backfilled', async () => {
      const s = await table();
      const stopping = createXc({ url: s.db.url, dir: s.dir, onEvent: (e) => {
        if (isTrigger(e)) throw new Error('stop before the triggers');
      } });
      try {
        expect((await rejection(stopping.apply())).message).toMatch(/stop before the triggers/);
      } finally {
        await stopping.close();
      }
      await s.db.query(`UPDATE t SET a = a + 1000 WHERE id IN (${STALE.join(', ')})`); // no trigger: stale where filled
      const resumed = await applyMovingBehind(s);
      expect(resumed.migrations.map((m) => (m as { rows?: number }).rows)).toEqual([walked]);
      await agreeing(s);
    });

    /** An in-place change, its stale rows' keys moved behind the catch-up; `verifies`: the verify before backfilled runs. */
    const inPlace = async (ddl: string[], verifies: boolean) => {
      const s = await table({ alterColumn: { table: 't', column: 'a', type: 'bigint' } }, ddl);
      const writer = await s.db.connection();
      let wrote = false;
      const verified: XcEvent[] = [];
      const result = await applyMovingBehind(s, (e) => {
        if (e.event === 'verify') verified.push(e);
        if (wrote || !(e.event === 'backfill' && e.pass === 'fill' && e.done >= 80)) return undefined;
        wrote = true;
        return writer.query(`UPDATE t SET a = a + 1000 WHERE id IN (${STALE.join(', ')})`);
      });
      expect(wrote).toBe(target.name === 'mysql');
      if (!wrote) await s.db.query(`UPDATE t SET a = a + 1000 WHERE id < 0`);
      expect((result as { warnings?: string[] }).warnings).toBeUndefined();
      expect(verified.length > 0).toBe(verifies && target.name === 'mysql');
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      await s.xc.contract({ force: true, reason: 'test' }); // the gate only: its verify still refuses a stale shadow
      const rows = await s.db.query<{ id: number; a: number }>(`SELECT id, a FROM t WHERE id < 0 ORDER BY id DESC`);
      expect(rows.map((r) => [Number(r.id), Number(r.a)])).toEqual(STALE.map((id, i) => [-1 - i, id + 1000]));
      expect(await s.db.count(`SELECT count(*) FROM t`)).toBe(ROWS);
    };

    it('a shadow (changed in place): its trigger converts the moved rows, no verify before backfilled', async () => {
      await inPlace([`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL)`], false);
    });

    it('a shadow on a table a foreign-key action changes (no trigger runs for it on MySQL): the verify runs', async () => {
      await inPlace([`CREATE TABLE p (id int PRIMARY KEY)`, `INSERT INTO p VALUES (1)`, `CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, pid int REFERENCES p (id) ON UPDATE CASCADE)`], true);
    });
  });
}
