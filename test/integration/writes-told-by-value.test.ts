/**
 * What a write changed is told by value, not by a text that rounds it (found by the type campaign): a MariaDB
 * FLOAT reads as text with 6 digits (1 and 1.0000001 are both '1'), and PostgreSQL floats — in arrays, points,
 * domains — read as text rounded in a writer's session at `extra_float_digits = 0`. xc's triggers told such a
 * change as none: a column derived with `up` kept its old value past contract, and a copy's sides stopped
 * agreeing, so contract was refused and the `xc backfill` it asked for carried the old side over the new
 * version's write. A column with its own collation lost the INSERT trigger's exact default test (MariaDB spells
 * the collation in the type), and the new side won over an old writer's value. PostgreSQL conversions to text
 * ran in the writer's `extra_float_digits` and `bytea_output`, not the backfill's: contract refused for ever.
 * Old- and new-version writers on their own connections, between apply and contract.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, rejection, setup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`writes told by value (${target.name})`, () => {
    const pg = target.name === 'postgres';

    it('a float changed by less than its text shows: the derived column is computed again, both sides of a copy follow, contract keeps the last write', async () => {
      const s = await setup(
        target,
        pg
          ? [
              `CREATE DOMAIN dfloat AS float8`,
              `CREATE TABLE t (id int PRIMARY KEY, f float8, a float8[], p point, d dfloat)`,
              `INSERT INTO t SELECT g, 0.3, ARRAY[0.2::float8], point(0.2, 0), 0.2 FROM generate_series(1, 4) g`,
            ]
          : [`CREATE TABLE t (id int PRIMARY KEY, f float, h float)`, `INSERT INTO t SELECT seq, 1, 1 FROM seq_1_to_4`],
        'xc_byvalue',
      );
      const renamed = pg ? ['a', 'p', 'd'] : ['h'];
      await s.write('0001_m', { addColumn: { table: 't', column: { name: 'g', type: pg ? 'float8' : 'double' }, up: 'f * 10' } }, ...renamed.map((c) => ({ renameColumn: { table: 't', from: c, to: `${c}2` } })));
      await s.xc.apply();

      const old = await s.db.connection();
      const fresh = await s.db.connection();
      if (pg) for (const c of [old, fresh]) await c.query(`SET extra_float_digits = 0`);
      // A change its text does not show: to 0.30000000000000004 from 0.3 (PostgreSQL at 0 digits), to 1.0000001 from 1 (a FLOAT).
      const nudged = pg ? '0.30000000000000004' : '1.0000001';
      await old.query(`UPDATE t SET f = ${nudged} WHERE id = 2`);
      if (pg) {
        await old.query(`UPDATE t SET a = ARRAY[0.20000000000000004::float8], p = point(0.20000000000000004, 0), d = 0.20000000000000004 WHERE id = 2`);
        await fresh.query(`UPDATE t SET a2 = ARRAY[0.20000000000000004::float8], p2 = point(0.20000000000000004, 0), d2 = 0.20000000000000004 WHERE id = 3`);
      } else {
        await old.query(`UPDATE t SET h = 1.0000001 WHERE id = 2`);
        await fresh.query(`UPDATE t SET h2 = 1.0000001 WHERE id = 3`);
      }

      // The derived column followed its source; each copy agrees with its column, row by row.
      expect(await s.db.count(`SELECT count(*) FROM t WHERE g = f * 10`)).toBe(4);
      const agree = pg ? `a2 = a AND p2 ~= p AND d2 = d` : `h2 <=> h`;
      expect(await s.db.count(`SELECT count(*) FROM t WHERE ${agree}`)).toBe(4);

      await record(s.xc, '0001_m');
      await s.xc.contract();
      expect(await s.db.count(`SELECT count(*) FROM t WHERE g = f * 10`)).toBe(4);
      // Rows 2 (the old version's write) and 3 (the new version's) hold the value written, the others the first one.
      const changed = pg ? `a2[1] = 0.20000000000000004::float8 AND p2[0] = 0.20000000000000004::float8 AND d2 = 0.20000000000000004::float8` : `h2 > 1`;
      expect((await s.db.query<{ id: number }>(`SELECT id FROM t WHERE ${changed} ORDER BY id`)).map((r) => Number(r.id))).toEqual([2, 3]);
    });

    it('a column with its own collation: an old writer inserting both sides keeps its value in the old column', async () => {
      const collated = pg ? `varchar(10) COLLATE "C"` : `varchar(10) COLLATE utf8mb4_unicode_ci`;
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, b ${collated} NOT NULL DEFAULT 'new')`, `INSERT INTO t (id) VALUES (1)`], 'xc_byvalue');
      await s.write('0001_m', { renameColumn: { table: 't', from: 'b', to: 'b2' } });
      await s.xc.apply();
      // An old version writing back a row it read with SELECT *, the new column's stale value included.
      const old = await s.db.connection();
      await old.query(`INSERT INTO t (id, b, b2) VALUES (5, 'mine', 'stale')`);
      expect(await s.db.query(`SELECT id, b FROM t ORDER BY id`)).toEqual([
        { id: 1, b: 'new' },
        { id: 5, b: 'mine' },
      ]);
      // Which side is right cannot be told: contract names the row instead of choosing (README, renameColumn).
      await record(s.xc, '0001_m');
      const refused = await rejection(s.xc.contract());
      expect(refused.exitCode).toBe(1);
      expect(refused.message).toContain('mine');
    });

    it.runIf(pg)('a conversion to text in the writer\'s extra_float_digits and bytea_output gives what the backfill gives: contract goes through', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, x float8, b bytea)`, `INSERT INTO t SELECT g, 0.1 * g, decode(lpad(g::text, 4, '0'), 'hex') FROM generate_series(1, 6) g`], 'xc_byvalue');
      await s.write(
        '0001_m',
        { alterColumn: { table: 't', column: 'x', type: 'text', up: 'CAST(x AS text)', down: 'CAST(x AS float8)' } },
        { alterColumn: { table: 't', column: 'b', type: 'text', up: 'CAST(b AS text)', down: 'CAST(b AS bytea)' } },
      );
      await s.xc.apply();
      const old = await s.db.connection();
      await old.query(`SET extra_float_digits = 0`);
      await old.query(`SET bytea_output = 'escape'`);
      await old.query(`UPDATE t SET x = 0.1::float8 * 3, b = '\\x41ff'::bytea WHERE id = 3`);
      await old.query(`INSERT INTO t (id, x, b) VALUES (7, 0.30000000000000004, '\\x00'::bytea)`);
      await record(s.xc, '0001_m');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, x, b FROM t WHERE id IN (3, 7) ORDER BY id`)).toEqual([
        { id: 3, x: '0.30000000000000004', b: '\\x41ff' },
        { id: 7, x: '0.30000000000000004', b: '\\x00' },
      ]);
    });
  });
}
