/**
 * alterColumn in place copies each index over the column onto its shadow
 * (shadow.ts); the copy must be what the index was (PostgreSQL only: MySQL
 * and MariaDB have no replica identity, exclusion constraint, deferrable key
 * or NULLS NOT DISTINCT). The replica identity index is given back to the
 * copy at the cut-over; an index whose copy could not be what it is
 * (exclusion, DEFERRABLE, NULLS NOT DISTINCT) is refused at plan, naming it.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, setup } from '../helpers/scenario.js';

for (const target of targets.filter((t) => t.name === 'postgres')) {
  target.describe(`alterColumn in place: what an index copy keeps (${target.name})`, () => {
    it('the replica identity index: its copy is the identity after contract, and UPDATE/DELETE go on under a publication; the CLUSTER ON mark comes over too', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE t (id int NOT NULL, a int NOT NULL, b int)`,
          `CREATE UNIQUE INDEX t_id_a ON t (id, a)`,
          `INSERT INTO t SELECT g, g, g FROM generate_series(1, 20) g`,
          `ALTER TABLE t REPLICA IDENTITY USING INDEX t_id_a`,
          `CREATE INDEX t_a ON t (a)`,
          `ALTER TABLE t CLUSTER ON t_a`,
        ],
        'xc_sc',
      );
      const pub = `${s.db.url.split('/').pop()}_pub`;
      await s.db.query(`CREATE PUBLICATION ${pub} FOR TABLE t`);
      try {
        await s.write('0001_alter', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
        await s.xc.apply();
        await record(s.xc, '0001_alter');
        await s.xc.contract();
        const identity = await s.db.query<{ name: string; relreplident: string }>(
          `SELECT i.relname AS name, c.relreplident::text AS relreplident FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid WHERE c.relname = 't' AND x.indisreplident`,
        );
        expect(identity).toEqual([{ name: 't_id_a', relreplident: 'i' }]);
        expect(await s.db.query(`SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 't'::regclass AND x.indisclustered`)).toEqual([{ name: 't_a' }]);
        await s.db.query(`UPDATE t SET b = 0 WHERE id = 1`);
        await s.db.query(`DELETE FROM t WHERE id = 2`);
        expect(await s.db.count(`SELECT count(*) FROM t WHERE b = 0`)).toBe(1);
        expect((await s.db.columns('t')).find((c) => c.name === 'a')?.type).toBe('bigint');
      } finally {
        await s.db.query(`DROP PUBLICATION ${pub}`);
      }
    });

    it('a column of the replica identity index made nullable (alterColumn in place, with or without a shadow; dropNotNull): refused at plan, naming the index', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int NOT NULL, a int NOT NULL, b int NOT NULL)`, `CREATE UNIQUE INDEX t_id_a ON t (id, a)`, `ALTER TABLE t REPLICA IDENTITY USING INDEX t_id_a`], 'xc_sc');
      const message = /"t"\."a" is a column of "t_id_a", the table's replica identity, which needs it NOT NULL; set another replica identity first/;
      for (const [op, path] of [
        [{ alterColumn: { table: 't', column: 'a', type: 'bigint', nullable: true } }, 'alterColumn\\.nullable'],
        [{ alterColumn: { table: 't', column: 'a', nullable: true } }, 'alterColumn\\.nullable'],
        [{ dropNotNull: { table: 't', column: 'a' } }, 'dropNotNull\\.column'],
      ] as const) {
        await s.write('0001_null', op);
        await refused(s, ['t'], new RegExp(`operations\\[0\\]\\.${path}: ${message.source}`));
      }
      // Another column, outside the identity's index, may still take NULL.
      await s.write('0001_null', { dropNotNull: { table: 't', column: 'b' } });
      await s.xc.apply();
      expect((await s.db.columns('t')).find((c) => c.name === 'b')?.nullable).toBe(true);
    });

    it('a DEFERRABLE unique key over the column: its copy is a key of the same timing from expand on, so what the key allows goes on during dual-write, and it stays DEFERRABLE after contract', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL)`,
          `INSERT INTO t SELECT g, g, g FROM generate_series(1, 20) g`,
          `ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a) DEFERRABLE`,
          `ALTER TABLE t ADD CONSTRAINT t_ab_key UNIQUE (a, b) DEFERRABLE INITIALLY DEFERRED`,
        ],
        'xc_sc',
      );
      const timing = () => s.db.query(`SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'u' ORDER BY 1`);
      const before = await timing();
      await s.write('0001_alter', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
      await s.xc.apply();
      // Each row's new value equals the next row's old one until the statement ends: legal under the deferrable keys, over the shadow too.
      await s.db.query(`UPDATE t SET a = a + 1`);
      await s.db.query(`INSERT INTO t VALUES (100, 100, 100)`);
      await record(s.xc, '0001_alter');
      await s.xc.contract();
      expect(await timing()).toEqual(before);
      expect((await s.db.columns('t')).find((c) => c.name === 'a')?.type).toBe('bigint');
      await s.db.query(`UPDATE t SET a = a + 1`);
      await expect(s.db.query(`INSERT INTO t VALUES (101, 100 + 1, 5)`)).rejects.toThrow(/t_a_key/);
      expect(await s.db.count(`SELECT count(*) FROM t WHERE a = id + 2`)).toBe(20);
    });

    it('an exclusion constraint, a NULLS NOT DISTINCT unique key over the column: refused at plan, naming it, nothing done', async () => {
      const s = await setup(
        target,
        [
          `CREATE EXTENSION IF NOT EXISTS btree_gist`,
          `CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int, c int, d int)`,
          `INSERT INTO t SELECT g, g, g, g, g FROM generate_series(1, 20) g`,
          `ALTER TABLE t ADD CONSTRAINT t_excl EXCLUDE USING gist (a WITH =, c WITH =)`,
          `ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b) DEFERRABLE`,
          `ALTER TABLE t ADD CONSTRAINT t_d_key UNIQUE NULLS NOT DISTINCT (d)`,
        ],
        'xc_sc',
      );
      const cases: [string, RegExp][] = [
        ['a', /alterColumn\.column: exclusion constraint "t_excl" covers the column changed in place: .*cannot become an exclusion constraint at the cut-over; drop it first/],
        ['d', /alterColumn\.column: constraint "t_d_key" is NULLS NOT DISTINCT: its copy over the shadow column is built before the backfill, .*would fail there; drop it first/],
      ];
      for (const [column, message] of cases) {
        await s.write('0001_alter', { alterColumn: { table: 't', column, type: 'bigint' } });
        await refused(s, ['t'], new RegExp(`0001_alter\\.json: operations\\[0\\]\\.${message.source}`));
      }
      // The same change over a column under none of them goes through (c is in the exclusion constraint, but not changed).
      await s.write('0001_alter', { alterColumn: { table: 't', column: 'id', type: 'bigint' } }, { alterColumn: { table: 't', column: 'c', nullable: true } });
      await expect(s.xc.plan()).resolves.toBeDefined();
    });
  });
}

for (const target of targets.filter((t) => t.name === 'mysql')) {
  target.describe(`alterColumn in place: what an index copy keeps (${target.name})`, () => {
    it("an index's comment and its IGNORED (MySQL: INVISIBLE) come with its copy", async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int)`, `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`, `CREATE INDEX t_a ON t (a) COMMENT 'it''s the a index'`, `CREATE INDEX t_ab ON t (a, b)`], 'xc_sc');
      const maria = (await s.db.query<{ v: string }>(`SELECT VERSION() AS v`))[0]!.v.includes('MariaDB');
      await s.db.query(`ALTER TABLE t ALTER INDEX t_ab ${maria ? 'IGNORED' : 'INVISIBLE'}`);
      const read = async () =>
        (await s.db.query<{ name: string; comment: string; hidden: string }>(
          `SELECT DISTINCT INDEX_NAME AS name, INDEX_COMMENT AS comment, ${maria ? 'IGNORED' : "IF(IS_VISIBLE = 'NO', 'YES', 'NO')"} AS hidden FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' ORDER BY 1`,
        )).map((r) => [r.name, r.comment, r.hidden]);
      const before = await read();
      expect(before).toEqual([['PRIMARY', '', 'NO'], ['t_a', "it's the a index", 'NO'], ['t_ab', '', 'YES']]);
      await s.write('0001_alter', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
      await s.xc.apply();
      await record(s.xc, '0001_alter');
      await s.xc.contract();
      expect(await read()).toEqual(before);
      expect((await s.db.columns('t')).find((c) => c.name === 'a')?.type).toMatch(/^bigint/);
    });
  });
}
