/**
 * Passes split into parts (--parallel), on every dialect: the fill, the
 * backfill and the verify each walk an integer key in parts at once — over a
 * key with a dense run, wide gaps and rows inserted past its end while they
 * run, with old- and new-version writers — and convert every row; the verify
 * finds a disagreeing row in any part; every pass counts each row once (a
 * dense key by arithmetic, a gapped one by lookup); a composite key is walked
 * whole.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type XcEvent, type XcOptions } from '../../src/index.js';
import { rejection } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';

const DENSE = 3000;
const SPARSE = 2000;
/** The gapped run: one key in 1000, from 1,000,000 on. */
const sparseId = (i: number) => 1_000_000 + 1000 * i;

for (const target of targets) {
  target.describe(`parallel passes (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    async function setup(ddl: string, table: string, columns: string[], rows: unknown[][], operations: unknown[], opts: Partial<XcOptions> = {}) {
      const db = await target.create('xc_par');
      await db.query(ddl);
      await db.seed(table, columns, rows);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-par-'));
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations }));
      const events: XcEvent[] = [];
      const xc = createXc({ url: db.url, dir, ...opts, onEvent: (e) => (events.push(e), opts.onEvent?.(e)) });
      cleanup.push(() => db.drop(), () => xc.close());
      return { db, xc, events, dir };
    }

    const state = (db: Db, t: string) => (db.dialect === 'postgres' ? `xc.${t}` : `xc_${t}`);
    const down = { postgres: 'CAST(v_big AS int)', mysql: 'CAST(v_big AS SIGNED)' };
    const alter = [{ alterColumn: { table: 'items', column: 'v', to: 'v_big', type: 'bigint', up: 'v', down } }];
    const seedRows = [...Array.from({ length: DENSE }, (_, i) => [i + 1, i]), ...Array.from({ length: SPARSE }, (_, i) => [sparseId(i), i])];

    it('converts every row of a key with gaps in 3 parts, under old and new writers, and the verify checks every part', async () => {
      let newWriter: Writer | undefined;
      let started: Promise<void> | undefined;
      const { db, xc, events } = await setup(`CREATE TABLE items (id bigint PRIMARY KEY, v int)`, 'items', ['id', 'v'], seedRows, alter, {
        parallel: 3,
        batchSize: 150,
        // The new version starts writing once both shapes are kept in sync.
        onEvent: (e) => {
          if (e.event === 'phase' && e.to === 'backfilling') {
            started = db.connection().then((c) => {
              newWriter = new Writer(c, (i) =>
                i % 2 ? { sql: 'INSERT INTO items (id, v_big) VALUES (?, ?)', params: [5_000_000 + i, i] } : { sql: 'UPDATE items SET v_big = v_big + 1000 WHERE id = ?', params: [sparseId(i % SPARSE)] },
              ).start();
            });
          }
        },
      });
      // The old version: inserts past the key's end (the last part is open-ended) and updates rows everywhere.
      const oldWriter = new Writer(await db.connection(), (i) =>
        i % 2 ? { sql: 'INSERT INTO items (id, v) VALUES (?, ?)', params: [3_000_000 + i, i] } : { sql: 'UPDATE items SET v = v + 1 WHERE id = ?', params: [i % 3 ? 1 + (i % DENSE) : sparseId(i % SPARSE)] },
      ).start();
      await xc.apply();
      await started;
      await Promise.all([oldWriter.stop(), newWriter?.stop()]);
      expect(oldWriter.errors).toEqual([]);
      expect(newWriter?.errors).toEqual([]);
      expect(newWriter!.writes).toBeGreaterThan(0);

      expect(await db.count(`SELECT count(*) FROM items WHERE v_big IS NULL OR v_big <> v`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM items`)).toBe(DENSE + SPARSE + Math.floor(oldWriter.writes / 2) + Math.floor(newWriter!.writes / 2));
      // The backfill pass was split in 3, each part finished; its rows add up to the table at the time.
      const parts = await db.query<{ part: number; done: number; total: number; finished_at: unknown }>(`SELECT part, done, total, finished_at FROM ${state(db, 'backfill')} WHERE seq >= 0 ORDER BY part`);
      expect(parts.map((p) => Number(p.part))).toEqual([0, 1, 2]);
      for (const p of parts) expect(p.finished_at).not.toBeNull();
      expect(parts.reduce((n, p) => n + Number(p.done), 0)).toBeGreaterThanOrEqual(DENSE + SPARSE);
      if (db.dialect === 'mysql') expect(events.some((e) => e.event === 'backfill' && e.pass === 'fill')).toBe(true);

      // A row made to disagree behind the triggers' back, in the middle part, is found by the verify.
      const bad = sparseId(SPARSE / 2);
      if (db.dialect === 'postgres') {
        const c = await db.connection();
        // xc's triggers fire in every session_replication_role (ENABLE ALWAYS); they stand aside by name, as for a batch.
        await c.query(`SELECT set_config('xc.bypass', '${(await db.triggers()).join(',')}', false)`);
        await c.query(`UPDATE items SET v_big = -1 WHERE id = ${bad}`);
      } else {
        // The bypass variable is the trigger pair's (its name without the _i/_u of each trigger).
        const names = (await db.triggers()).map((t) => `@xc_bypass_${t.replace(/_[iu]$/, '')} = 1`).join(', ');
        const c = await db.connection();
        await c.query(`SET ${names}`);
        await c.query(`UPDATE items SET v_big = -1 WHERE id = ${bad}`);
      }
      expect(await db.count(`SELECT count(*) FROM items WHERE v_big = -1`)).toBe(1);
      await xc.deploy.record({ app: 'shop', version: '2' });
      const refused = await rejection(xc.contract());
      expect(refused.exitCode).toBe(1);
      expect(refused.message).toContain(String(bad));
      // Converted again, then verified in parts and contracted.
      await xc.backfill({ id: '0001' });
      await xc.contract();
      expect(events.filter((e) => e.event === 'verify').length).toBeGreaterThan(3);
      expect(await db.count(`SELECT count(*) FROM items WHERE v_big = -1`)).toBe(0);
    });

    it('counts every row once: a dense key by its key values, a gapped one by lookup', async () => {
      for (const [name, rows] of [
        ['dense', Array.from({ length: DENSE }, (_, i) => [i + 1, i])],
        ['gapped', seedRows],
      ] as const) {
        const { db, xc, events } = await setup(`CREATE TABLE items (id bigint PRIMARY KEY, v int)`, 'items', ['id', 'v'], rows as unknown[][], alter, { parallel: 2, batchSize: 700 });
        await xc.apply();
        // Every pass (the MySQL fill, seq < 0, and the backfill) counted the table's rows exactly: on the gapped key,
        // counting key values by arithmetic would have made it about 3,000,000.
        const passes = await db.query<{ seq: number; done: number }>(`SELECT seq, SUM(done) AS done FROM ${state(db, 'backfill')} GROUP BY seq`);
        expect(passes.length, name).toBe(db.dialect === 'mysql' ? 2 : 1);
        for (const p of passes) expect(Number(p.done), `${name} pass ${p.seq}`).toBe(rows.length);
        await xc.deploy.record({ app: 'shop', version: '2' });
        await xc.contract();
        const checked = events.filter((e) => e.event === 'verify').map((e) => Number((e as { checked: number }).checked));
        expect(Math.max(...checked), name).toBe(rows.length);
      }
    });

    it('status never shows a pass stopped in a part that outran its share of the estimate as done (campaign BM: "31,489/31,489 (100%)")', async () => {
      // Split by key range, the dense run and a sixth of the gapped one fall in the first of 2 parts: 3,500 rows, its
      // share of the estimate 2,500. Stopped past 4,200 rows, the second part (1,500) is done and the first is not.
      const stop = new AbortController();
      const { db, xc, dir } = await setup(`CREATE TABLE items (id bigint PRIMARY KEY, v int)`, 'items', ['id', 'v'], seedRows, alter, {
        parallel: 2,
        batchSize: 100,
        signal: stop.signal,
        onEvent: (e) => {
          if (e.event === 'backfill' && e.done >= 4200) stop.abort('SIGINT');
        },
      });
      expect((await rejection(xc.apply())).exitCode).toBe(130);
      const open = await db.query<{ done: number; total: number }>(`SELECT done, total FROM ${state(db, 'backfill')} WHERE finished_at IS NULL`);
      expect(open.some((p) => Number(p.done) >= Number(p.total))).toBe(true);
      const { backfill } = (await xc.status()).migrations[0]!;
      expect(backfill.done).toBeGreaterThanOrEqual(4200);
      expect(backfill.total).toBeGreaterThan(backfill.done);
      // Resumed, it walks the rest and converts every row.
      const again = createXc({ url: db.url, dir, parallel: 2 });
      cleanup.push(() => again.close());
      await again.apply();
      expect(await db.count(`SELECT count(*) FROM items WHERE v_big IS NULL OR v_big <> v`)).toBe(0);
      const after = (await again.status()).migrations[0]!.backfill;
      expect(after.total).toBe(after.done);
    });

    it("a fill ends at the key its split saw: rows inserted past it meanwhile are the backfill's, which converts them", async () => {
      const { db, xc } = await setup(`CREATE TABLE items (id bigint PRIMARY KEY, v int)`, 'items', ['id', 'v'], Array.from({ length: DENSE }, (_, i) => [i + 1, i]), alter, {
        parallel: 2,
        batchSize: 100,
        batchDelayMs: 20,
      });
      // The old version inserts past the key's end, back to back, while the fill walks (an unbounded last part chased these).
      const inserter = new Writer(await db.connection(), (i) => ({ sql: 'INSERT INTO items (id, v) VALUES (?, ?)', params: [3_000_000 + i, i] }), 1);
      inserter.start();
      await xc.apply();
      await inserter.stop();
      expect(inserter.errors).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM items WHERE id > ${DENSE}`)).toBeGreaterThan(0);
      expect(await db.count(`SELECT count(*) FROM items WHERE v_big IS NULL OR v_big <> v`)).toBe(0);
      const passes = await db.query<{ seq: number; part: number; done: number; upper_bound: unknown }>(`SELECT seq, part, done, upper_bound FROM ${state(db, 'backfill')} ORDER BY seq, part`);
      const cursor = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v); // a JSON column comes back as text on MariaDB
      const fill = passes.filter((p) => Number(p.seq) < 0);
      const backfill = passes.filter((p) => Number(p.seq) >= 0);
      if (db.dialect === 'mysql') {
        // The fill's last part ended at the largest key of its split (the inserter's keys only grow, so the rows up to
        // it are those the split saw) and walked exactly those; rows were inserted after it, and the backfill converted them.
        const top = cursor(fill.at(-1)!.upper_bound) as string[] | null;
        expect(top).not.toBeNull();
        expect(fill.reduce((n, p) => n + Number(p.done), 0)).toBe(await db.count(`SELECT count(*) FROM items WHERE id <= ${Number(top![0])}`));
        expect(await db.count(`SELECT count(*) FROM items WHERE id > ${Number(top![0])}`)).toBeGreaterThan(0);
      } else expect(fill).toEqual([]);
      // The backfill's last part stays open: it walked every row there was, those inserted during the fill included.
      expect(cursor(backfill.at(-1)!.upper_bound)).toBeNull();
      expect(backfill.reduce((n, p) => n + Number(p.done), 0)).toBeGreaterThan(DENSE);
    });

    it('walks a composite key whole, whatever --parallel says', async () => {
      const rows = Array.from({ length: 1500 }, (_, i) => [i % 7, i, `n${i}`]);
      const { db, xc } = await setup(`CREATE TABLE pairs (a int NOT NULL, b int NOT NULL, name varchar(20), PRIMARY KEY (a, b))`, 'pairs', ['a', 'b', 'name'], rows, [{ renameColumn: { table: 'pairs', from: 'name', to: 'label' } }], {
        parallel: 4,
        batchSize: 100,
      });
      await xc.apply();
      expect(await db.count(`SELECT count(*) FROM pairs WHERE label IS NULL OR label <> name`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM ${state(db, 'backfill')} WHERE part > 0`)).toBe(0);
    });
  });
}
