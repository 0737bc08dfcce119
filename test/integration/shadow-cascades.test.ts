/**
 * A foreign-key action runs no trigger on MySQL/MariaDB: a parent's key change cascading into the column a shadow
 * copies, after the contract's verify read those rows and before its cut-over, left the shadow stale, and the cut-over
 * put the stale value in the column (campaign CS: 42 rows lost their cascaded key, the key's re-add then failed and
 * the migration stayed `contracting`). On such a table the cut-over converts the rows that disagree under its lock
 * every time — asked as it runs, so a key added after the change was planned counts too (campaign CU: a later
 * migration's key, 286 rows cut over stale). So the contract's verify converts such rows again rather than refuse
 * (campaigns CW, CY: a parent's key changing once a second refused every contract). PostgreSQL runs the cascade
 * through its triggers: the same scenarios check the data there.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { rejection, setup } from '../helpers/scenario.js';
import { targets } from '../helpers/targets.js';

const CHILDREN = 200;
const MOVED = [3, 7, 11];

/** Run `sql` on `url` from another process, waiting for it: the event handler that calls it holds xc where it is. */
function runBlocking(dialect: 'postgres' | 'mysql', url: string, sql: string): void {
  const script =
    dialect === 'mysql'
      ? `const m = require('mysql2/promise'); (async () => { const c = await m.createConnection(process.argv[1]); await c.query(process.argv[2]); await c.end(); })().catch((e) => { console.error(e.message); process.exit(1); });`
      : `const { Client } = require('pg'); (async () => { const c = new Client({ connectionString: process.argv[1] }); await c.connect(); await c.query(process.argv[2]); await c.end(); })().catch((e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, url, sql], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${sql}: ${r.stderr || r.error?.message}`);
}

for (const target of targets) {
  target.describe(`a cascade into a column changed in place, between the verify and the cut-over (${target.name})`, () => {
    it('the cut-over converts what the cascade changed: the column ends with the parent key, which is enforced', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE p (id int PRIMARY KEY, code varchar(20) NOT NULL UNIQUE)`,
          `CREATE TABLE t (id int PRIMARY KEY, code varchar(20), CONSTRAINT t_code_fk FOREIGN KEY (code) REFERENCES p (code) ON UPDATE CASCADE)`,
        ],
        'xc_shc',
      );
      await s.db.seed('p', ['id', 'code'], [[1, 'aa'], [2, 'zz']]);
      await s.db.seed('t', ['id', 'code'], Array.from({ length: CHILDREN }, (_, i) => [i + 1, MOVED.includes(i + 1) ? 'zz' : 'aa']));
      await s.write('0001_widen', { alterColumn: { table: 't', column: 'code', type: 'varchar(80)' } });
      await s.xc.apply();
      let cascaded = false;
      const xc = createXc({ url: s.db.url, dir: s.dir, onEvent: (e) => {
        if (cascaded || !(e.event === 'phase' && e.to === 'contracting')) return; // the verify is over, nothing changed yet
        cascaded = true;
        runBlocking(target.name, s.db.url, `UPDATE p SET code = 'zr' WHERE id = 2`);
      } });
      try {
        await xc.contract({ force: true, reason: 'test' });
      } finally {
        await xc.close();
      }
      expect(cascaded).toBe(true);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      const moved = await s.db.query<{ id: number; code: string }>(`SELECT id, code FROM t WHERE code <> 'aa' ORDER BY id`);
      expect(moved.map((r) => [Number(r.id), r.code])).toEqual(MOVED.map((id) => [id, 'zr']));
      expect(await s.db.count(`SELECT count(*) FROM t`)).toBe(CHILDREN);
      const schema = target.name === 'mysql' ? 'DATABASE()' : 'current_schema()';
      expect(await s.db.count(`SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = 't' AND column_name = 'code'`)).toBe(80);
      // The key is there and enforced: a child of a missing parent is refused.
      await expect(s.db.query(`INSERT INTO t (id, code) VALUES (9999, 'nope')`)).rejects.toThrow(/foreign key/i);
    });

    it('a cascading key added by a later migration, over a column the shadow\'s `up` reads: converted all the same', async () => {
      const s = await setup(target, [`CREATE TABLE p (id int PRIMARY KEY)`, `CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int)`], 'xc_shc');
      await s.db.seed('p', ['id'], [[0], [1], [2], [3]]);
      await s.db.seed('t', ['id', 'a', 'b'], Array.from({ length: CHILDREN }, (_, i) => [i + 1, i + 1, (i + 1) % 4]));
      await s.write('0001_widen', { alterColumn: { table: 't', column: 'a', type: 'bigint', up: 'a * 1000 + COALESCE(b, 0)', down: 'a DIV 1000' } });
      await s.write('0002_key', { createConstraint: { table: 't', name: 't_b_fk', type: 'foreign_key', columns: ['b'], references: { table: 'p', columns: ['id'], onUpdate: 'cascade' } } });
      if (target.name === 'postgres') await s.write('0001_widen', { alterColumn: { table: 't', column: 'a', type: 'bigint', up: 'a * 1000 + COALESCE(b, 0)', down: 'a / 1000' } });
      await s.xc.apply();
      let cascaded = false;
      const xc = createXc({ url: s.db.url, dir: s.dir, onEvent: (e) => {
        if (cascaded || !(e.event === 'phase' && e.migration === '0001_widen' && e.to === 'contracting')) return;
        cascaded = true;
        runBlocking(target.name, s.db.url, `UPDATE p SET id = 30 WHERE id = 3`);
      } });
      try {
        await xc.contract({ id: '0001_widen', force: true, reason: 'test' });
      } finally {
        await xc.close();
      }
      expect(cascaded).toBe(true);
      expect(await s.db.count(`SELECT count(*) FROM t WHERE b = 30`)).toBe(CHILDREN / 4);
      expect(await s.db.count(`SELECT count(*) FROM t WHERE a <> id * 1000 + b`)).toBe(0);
    });

    /** A parent whose keys keep changing throughout the contract, its children's `code` changed in place. */
    const keysKeepChanging = async (notNull: boolean) => {
      const s = await setup(
        target,
        [
          `CREATE TABLE p (id int PRIMARY KEY, code varchar(20) NOT NULL UNIQUE)`,
          `CREATE TABLE t (id int PRIMARY KEY, code varchar(20)${notNull ? ' NOT NULL' : ''}, CONSTRAINT t_code_fk FOREIGN KEY (code) REFERENCES p (code) ON UPDATE CASCADE${notNull ? '' : ' ON DELETE SET NULL'})`,
        ],
        'xc_shc',
      );
      await s.db.seed('p', ['id', 'code'], Array.from({ length: 10 }, (_, i) => [i + 1, `k${i + 1}`]));
      await s.db.seed('t', ['id', 'code'], Array.from({ length: CHILDREN }, (_, i) => [i + 1, `k${(i % 10) + 1}`]));
      await s.write('0001_widen', { alterColumn: { table: 't', column: 'code', type: 'varchar(80)' } });
      await s.xc.apply();
      await s.db.query(`UPDATE p SET code = 'moved' WHERE id = 1`); // MySQL: no trigger ran, the shadows of its children stale
      const writer = await s.db.connection();
      let stop = false;
      let moves = 0;
      const moving = (async () => {
        for (let n = 0; !stop; n++) {
          const id = 2 + (n % 9);
          await writer.query(`UPDATE p SET code = ? WHERE id = ?`, [`k${id}-${n}`, id]).then(() => moves++, (err: Error) => {
            if (!/deadlock|lock wait|canceling statement/i.test(err.message)) throw err;
          });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        await s.xc.contract({ force: true, reason: 'test' });
      } finally {
        stop = true;
        await moving;
      }
      expect(moves).toBeGreaterThan(0);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      expect(await s.db.count(`SELECT count(*) FROM t`)).toBe(CHILDREN);
      expect(await s.db.count(`SELECT count(*) FROM t WHERE code = 'moved'`)).toBe(CHILDREN / 10);
      expect(await s.db.count(`SELECT count(*) FROM t LEFT JOIN p ON p.code = t.code WHERE p.id IS NULL`)).toBe(0);
      const schema = target.name === 'mysql' ? 'DATABASE()' : 'current_schema()';
      expect(await s.db.count(`SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = 't' AND column_name = 'code'`)).toBe(80);
      expect(await s.db.count(`SELECT count(*) FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = 't' AND column_name = 'code' AND is_nullable = 'NO'`)).toBe(notNull ? 1 : 0);
    };

    it('a parent whose keys keep changing: the contract converts what the cascades changed and goes through, every child on its parent\'s key (campaigns CW, CY: refused every time)', () => keysKeepChanging(false));

    it('the same over a NOT NULL column, the usual foreign key: converted all the same, its NOT NULL kept (campaign DC: refused every time, the disagreeing rows holding values, no NULL)', () => keysKeepChanging(true));

    it('a key set NULL by its action, read by a NOT NULL column\'s `up`: the NULL the verify\'s converting again makes is refused by the verify, the migration left backfilled, writes as before (campaign DG: the contract went on and its NOT NULL check refused every write)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE parent (id int PRIMARY KEY, code int NOT NULL UNIQUE)`,
          `CREATE TABLE child (id int PRIMARY KEY, pn int NULL, note varchar(20), CONSTRAINT child_pn_fk FOREIGN KEY (pn) REFERENCES parent (code) ON UPDATE SET NULL)`,
        ],
        'xc_shc',
      );
      await s.db.seed('parent', ['id', 'code'], [[1, 101], [2, 102]]);
      await s.db.seed('child', ['id', 'pn', 'note'], [[1, 101, 'a'], [2, 102, 'b']]);
      const concat = target.name === 'mysql' ? "CONCAT(note, '#', pn)" : "note || '#' || pn";
      await s.write('0001_note', { alterColumn: { table: 'child', column: 'note', type: 'varchar(80)', nullable: false, up: concat } });
      await s.xc.apply();
      await s.db.query(`UPDATE parent SET code = 201 WHERE id = 1`); // child 1's pn set NULL: its `up` is NULL
      const err = await rejection(s.xc.contract({ force: true, reason: 'test' }));
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/NULL/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      // The application's writes go on as before; the way out is the rollback.
      await s.db.query(`UPDATE child SET note = 'x' WHERE id = 1`);
      await s.db.query(`INSERT INTO child (id, pn, note) VALUES (3, NULL, 'c')`);
      await s.xc.rollback();
      expect(await s.db.query(`SELECT id, pn, note FROM child ORDER BY id`)).toEqual([
        { id: 1, pn: null, note: 'x' },
        { id: 2, pn: 102, note: 'b' },
        { id: 3, pn: null, note: 'c' },
      ]);
    });
  });
}
