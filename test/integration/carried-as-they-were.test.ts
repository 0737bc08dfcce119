/**
 * What a copied column carries, as it was (adversarial campaigns of
 * 2026-12-01): a constraint left NOT VALID stays so (rows breaking a check,
 * which stop a backfill that rewrites them, are named at plan), a key MySQL never
 * checked (foreign_key_checks=0) is named at plan, a DEFERRABLE unique key
 * keeps its timing during dual-write and after, a NOT NULL datetime holding
 * MariaDB's zero date is no NULL, a narrowing in place verifies as stored, a
 * widening's default is carried as declared; and a column another table's key
 * references is not dropped from under it.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, rejection, retireLive, setup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`carried as they were (${target.name})`, () => {
    const pg = target.name === 'postgres';

    it('a foreign key over a renamed column with rows breaking it: kept NOT VALID (PostgreSQL), named at plan where the server never checked them (MySQL)', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE op (id int PRIMARY KEY)`,
          `CREATE TABLE oc (id int PRIMARY KEY, pid int, qty int)`,
          `INSERT INTO op VALUES (1), (2)`,
          `INSERT INTO oc VALUES (1, 1, 1), (2, 2, 1), (3, 7, 1)`,
          ...(pg
            ? [`ALTER TABLE oc ADD CONSTRAINT oc_fk FOREIGN KEY (pid) REFERENCES op (id) NOT VALID`, `ALTER TABLE oc ADD CONSTRAINT oc_qty CHECK (qty > 0) NOT VALID`]
            : [`SET foreign_key_checks = 0`, `ALTER TABLE oc ADD CONSTRAINT oc_fk FOREIGN KEY (pid) REFERENCES op (id)`, `SET foreign_key_checks = 1`]),
        ],
        'xc_carried',
      );
      await s.write('0001_rename', { renameColumn: { table: 'oc', from: 'pid', to: 'parent_id' } }, ...(pg ? [{ renameColumn: { table: 'oc', from: 'qty', to: 'quantity' } }] : []));
      if (!pg) {
        await refused(s, ['op', 'oc'], /renameColumn\.from: existing rows of "oc" reference no row of "op" through foreign key "oc_fk"[\s\S]*pid="7"/);
        return;
      }
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      expect(await s.db.query(`SELECT conname AS name, convalidated AS valid FROM pg_constraint WHERE conrelid = 'oc'::regclass AND contype IN ('f', 'c') ORDER BY conname`)).toEqual([
        { name: 'oc_fk', valid: false },
        { name: 'oc_qty', valid: false },
      ]);
      // Enforced for new writes, as before.
      await expect(s.db.query(`INSERT INTO oc VALUES (4, 9, 1)`)).rejects.toThrow(/oc_fk/);
      await expect(s.db.query(`INSERT INTO oc VALUES (4, 1, 0)`)).rejects.toThrow(/oc_qty/);
    });

    it('rows breaking a NOT VALID check that a backfill would rewrite are named at plan; rows it does not rewrite, or fixes, are not (PostgreSQL)', async () => {
      if (!pg) return; // MariaDB has no NOT VALID: its checks hold for every row
      const s = await setup(
        target,
        [
          `CREATE TABLE nv (id int PRIMARY KEY, qty int, note text, tag text)`,
          `INSERT INTO nv VALUES (1, 1, 'a', 'x'), (2, 0, 'b', 'y'), (3, 5, NULL, NULL)`,
          `ALTER TABLE nv ADD CONSTRAINT nv_qty CHECK (qty > 0) NOT VALID`,
          `ALTER TABLE nv ADD CONSTRAINT nv_tag CHECK (tag IS NOT NULL) NOT VALID`,
        ],
        'xc_carried',
      );
      // Before: plan passed, and the backfill stopped at row 2 (exit 1).
      await s.write('0001_rename', { renameColumn: { table: 'nv', from: 'note', to: 'body' } });
      await refused(s, ['nv'], /renameColumn: existing rows of "nv" break its check "nv_qty", which was added NOT VALID[\s\S]*id="2" qty="0"/);
      // setNotNull rewrites only the rows whose column is NULL (row 3: qty 5), and the check over its own column holds once `up` filled it.
      await s.write('0001_rename', { setNotNull: { table: 'nv', column: 'tag', up: "'none'" } });
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, tag FROM nv ORDER BY id`)).toEqual([{ id: 1, tag: 'x' }, { id: 2, tag: 'y' }, { id: 3, tag: 'none' }]);
    });

    it('an index copy the expand built, dropped by hand before contract: contract refused, nothing changed; rolled back and applied again, the index is whole', async () => {
      const s = await setup(target, [`CREATE TABLE cp (id int PRIMARY KEY, a int NOT NULL, b varchar(10))`, `CREATE UNIQUE INDEX cp_ab ON cp (a, b)`, `INSERT INTO cp VALUES (1, 1, 'x'), (2, 2, 'y')`], 'xc_carried');
      await s.write('0001_rename', { renameColumn: { table: 'cp', from: 'a', to: 'aa' } });
      await s.xc.apply();
      const copy = (await s.db.indexes('cp')).find((i) => i.name.startsWith('xc_'))!;
      await s.db.query(pg ? `DROP INDEX "${copy.name}"` : `DROP INDEX \`${copy.name}\` ON cp`);
      await record(s.xc, '0001_rename');
      // Before: the contract exited 0 and cp_ab was gone (the old column took it; the copy's rename found nothing).
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      expect(err.message).toContain(`contract refused: index "${copy.name}" on "cp", which the expand of 0001_rename built, is gone`);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      expect((await s.db.columns('cp')).map((c) => c.name)).toEqual(['id', 'a', 'b', 'aa']);
      await retireLive(s.xc);
      await s.xc.rollback();
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      expect((await s.db.indexes('cp')).filter((i) => i.name === 'cp_ab').map((i) => ({ ...i, columns: i.columns.sort() }))).toEqual([{ name: 'cp_ab', columns: ['aa', 'b'], unique: true }]);
      await expect(s.db.query(`INSERT INTO cp (id, aa, b) VALUES (3, 1, 'x')`)).rejects.toThrow();
    });

    it('an index addIndex built, renamed by a later migration before its contract: the contract, which leaves it alone, goes through', async () => {
      const s = await setup(target, [`CREATE TABLE ix (id int PRIMARY KEY, a int)`], 'xc_carried');
      await s.write('0001_ix', { addIndex: { table: 'ix', columns: ['a'], name: 'ix_a' } });
      await s.xc.apply();
      const rename = pg ? { expand: 'ALTER INDEX ix_a RENAME TO ix_a2', rollback: 'ALTER INDEX ix_a2 RENAME TO ix_a' } : { expand: 'ALTER TABLE ix RENAME INDEX ix_a TO ix_a2', rollback: 'ALTER TABLE ix RENAME INDEX ix_a2 TO ix_a' };
      await s.write('0002_rename', { sql: rename });
      await s.xc.apply();
      await record(s.xc, '0002_rename');
      // Before: refused, "index ix_a … is gone", even with --force.
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted']);
      expect((await s.db.indexes('ix')).map((i) => i.name)).toContain('ix_a2');
    });

    it('a sync trigger the expand installed, dropped by hand: contract refused before the verify, naming it; rolled back and applied again, it goes through', async () => {
      const s = await setup(target, [`CREATE TABLE tr (id int PRIMARY KEY, a int)`, `INSERT INTO tr VALUES (1, 1), (2, 2)`], 'xc_carried');
      await s.write('0001_rename', { renameColumn: { table: 'tr', from: 'a', to: 'aa' } });
      await s.xc.apply();
      const triggers = pg
        ? (await s.db.query<{ name: string }>(`SELECT tgname::text AS name FROM pg_trigger WHERE tgrelid = 'tr'::regclass AND NOT tgisinternal`)).map((r) => r.name)
        : (await s.db.query<{ name: string }>(`SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'tr' ORDER BY 1`)).map((r) => r.name);
      const gone = triggers[triggers.length - 1]!;
      await s.db.query(pg ? `DROP TRIGGER "${gone}" ON tr` : `DROP TRIGGER \`${gone}\``);
      await record(s.xc, '0001_rename');
      // Before: the verify passed (nothing had drifted yet), and old code's writes after it would have been lost with "a".
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      expect(err.message).toContain(`contract refused: trigger "${gone}", which the expand of 0001_rename built, is gone`);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      await retireLive(s.xc);
      await s.xc.rollback();
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, aa FROM tr ORDER BY id`)).toEqual([{ id: 1, aa: 1 }, { id: 2, aa: 2 }]);
    });

    it('a default carried through a type change that is not what `up` gives for it is refused at plan; one that is, or given, goes', async () => {
      const s = await setup(target, [`CREATE TABLE pr (id int PRIMARY KEY, price numeric(10,2) NOT NULL DEFAULT 1.50, note varchar(20))`, `INSERT INTO pr (id) VALUES (1)`], 'xc_carried');
      const cents = { table: 'pr', column: 'price', type: 'bigint', up: 'round(price * 100)', down: 'price_cents / 100.0' };
      // Before: the new version got 150 during dual-write (the trigger computes up over the old default) and 2 after contract.
      await s.write('0001_cents', { alterColumn: { ...cents, to: 'price_cents' } });
      await refused(s, ['pr'], /alterColumn\.default: the default of "pr"\."price", 1\.50?, carried over as bigint, gives 2, where `up` gives 150 for it[\s\S]*give `default` for the new column \(150/);
      // In place too (up without to).
      await s.write('0001_cents', { alterColumn: { table: 'pr', column: 'price', type: 'bigint', up: 'round(price * 100)' } });
      await refused(s, ['pr'], /gives 2, where `up` gives 150/);
      // An up that converts the default as the cast does passes.
      await s.write('0001_cents', { alterColumn: { table: 'pr', column: 'price', type: 'numeric(12,3)', up: 'price' } });
      await s.xc.plan();
      await s.write('0001_cents', { alterColumn: { ...cents, to: 'price_cents', default: '150' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO pr (id, note) VALUES (2, 'v2')`);
      await record(s.xc, '0001_cents');
      await s.xc.contract();
      await s.db.query(`INSERT INTO pr (id, note) VALUES (3, 'after')`);
      expect((await s.db.query<{ c: unknown }>(`SELECT price_cents AS c FROM pr ORDER BY id`)).map((r) => Number(r.c))).toEqual([150, 150, 150]);
    });

    it('a widening of a column with a default, without `up` or with one that only converts: plans, and the default is carried as declared', async () => {
      const [real, double, narrow, wide] = pg ? ['real', 'double precision', 'numeric(10,2)', 'numeric'] : ['float', 'double', 'decimal(10,2)', 'decimal(14,4)'];
      const s = await setup(target, [`CREATE TABLE w (id int PRIMARY KEY, f ${real} DEFAULT 0.1, g ${real} DEFAULT 0.1, p ${narrow} DEFAULT 1.5, note varchar(20))`, `INSERT INTO w (id) VALUES (1)`], 'xc_carried');
      // Before (PostgreSQL): default_disagrees, "carried over as double precision, gives 0.1, where `up` gives 0.10000000149011612".
      await s.write(
        '0001_widen',
        { alterColumn: { table: 'w', column: 'f', type: double } },
        { alterColumn: { table: 'w', column: 'g', to: 'g2', type: double, up: `CAST(g AS ${double})` } },
        { alterColumn: { table: 'w', column: 'p', to: 'p2', type: wide } },
      );
      await s.xc.apply();
      await s.db.query(`INSERT INTO w (id, note) VALUES (2, 'v2')`);
      await record(s.xc, '0001_widen');
      await s.xc.contract();
      await s.db.query(`INSERT INTO w (id, note) VALUES (3, 'after')`);
      // What the old column stored, widened, until contract; the declared default after.
      const text = (c: string) => (pg ? `${c}::text` : `CAST(${c} AS char)`);
      expect(await s.db.query(`SELECT id, ${text('f')} AS f, ${text('g2')} AS g, ${text('p2')} AS p FROM w ORDER BY id`)).toEqual([
        { id: 1, f: '0.10000000149011612', g: '0.10000000149011612', p: pg ? '1.50' : '1.5000' },
        { id: 2, f: '0.10000000149011612', g: '0.10000000149011612', p: pg ? '1.50' : '1.5000' },
        { id: 3, f: '0.1', g: '0.1', p: pg ? '1.5' : '1.5000' },
      ]);
    });

    it('dropping a column another table references is refused at plan (its contract would fail on the key), and goes once the key is dropped', async () => {
      const s = await setup(
        target,
        [`CREATE TABLE pa (id int PRIMARY KEY, code varchar(10) UNIQUE)`, `CREATE TABLE ch (id int PRIMARY KEY, code varchar(10), CONSTRAINT ch_code_fk FOREIGN KEY (code) REFERENCES pa (code))`, `INSERT INTO pa VALUES (1, 'a')`, `INSERT INTO ch VALUES (1, 'a')`],
        'xc_carried',
      );
      await s.write('0001_drop', { dropColumn: { table: 'pa', column: 'code' } });
      await refused(s, ['pa', 'ch'], /dropColumn\.column: "pa"\."code" is referenced by foreign key "ch_code_fk" of "ch": drop that key first/);
      await s.write('0001_drop', { dropConstraint: { table: 'ch', name: 'ch_code_fk' } }, { dropColumn: { table: 'pa', column: 'code' } });
      await s.xc.apply();
      await record(s.xc, '0001_drop');
      await s.xc.contract();
      expect((await s.db.columns('pa')).map((c) => c.name)).toEqual(['id']);
    });

    it('a unique key whose rows collide once stored as the new type (citext, a case-insensitive collation) is refused at plan, in place and copied', async () => {
      const s = await setup(
        target,
        [
          ...(pg ? [`CREATE EXTENSION IF NOT EXISTS citext`, `CREATE TABLE u (id int PRIMARY KEY, email varchar(100) COLLATE "C")`] : [`CREATE TABLE u (id int PRIMARY KEY, email varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin)`]),
          `CREATE UNIQUE INDEX u_email_key ON u (email)`,
          `INSERT INTO u VALUES (1, 'Bob@x.com'), (2, 'bob@x.com'), (3, 'ann@x.com')`,
        ],
        'xc_carried',
      );
      const type = pg ? 'citext' : 'varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci';
      for (const to of [undefined, 'email_ci']) {
        await s.write('0001_ci', { alterColumn: { table: 'u', column: 'email', type, ...(to ? { to } : {}) } });
        await refused(s, ['u'], /alterColumn\.type: existing rows of "u" share a key of unique index "u_email_key" once stored as[\s\S]*email="(Bob|bob)@x\.com"/);
      }
      await s.db.query(`DELETE FROM u WHERE id = 2`);
      await s.xc.apply();
      await record(s.xc, '0001_ci');
      await s.xc.contract();
      await expect(s.db.query(`INSERT INTO u VALUES (4, 'BOB@x.com')`)).rejects.toThrow(/duplicate|Duplicate/);
    });

    it.skipIf(!pg)('ON DELETE SET NULL (a column list) comes back with its list: after the parent key changes type, and after the child column is renamed', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE p (tenant int, id int, PRIMARY KEY (tenant, id))`,
          `CREATE TABLE c (id int PRIMARY KEY, tenant int NOT NULL, pid int, CONSTRAINT c_fk FOREIGN KEY (tenant, pid) REFERENCES p (tenant, id) ON DELETE SET NULL (pid) ON UPDATE CASCADE)`,
          `INSERT INTO p VALUES (1, 7), (1, 8), (1, 9)`,
          `INSERT INTO c VALUES (1, 1, 7), (2, 1, 8), (3, 1, 9)`,
        ],
        'xc_carried',
      );
      const definition = async () => (await s.db.query<{ d: string }>(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'c_fk'`))[0]!.d;
      await s.write('0001_bigint', { alterColumn: { table: 'p', column: 'id', type: 'bigint' } });
      await s.xc.apply();
      await record(s.xc, '0001_bigint');
      await s.xc.contract();
      expect(await definition()).toMatch(/ON DELETE SET NULL \(pid\)/);
      await s.db.query(`DELETE FROM p WHERE id = 7`); // sets pid only: tenant is NOT NULL
      await s.write('0002_rename', { renameColumn: { table: 'c', from: 'pid', to: 'parent_id' } });
      await s.xc.apply();
      await record(s.xc, '0002_rename');
      await s.xc.contract();
      expect(await definition()).toMatch(/ON DELETE SET NULL \(parent_id\)/);
      await s.db.query(`DELETE FROM p WHERE id = 8`);
      expect(await s.db.query(`SELECT id, tenant, parent_id FROM c ORDER BY id`)).toEqual([
        { id: 1, tenant: 1, parent_id: null },
        { id: 2, tenant: 1, parent_id: null },
        { id: 3, tenant: 1, parent_id: 9 },
      ]);
    });

    it.skipIf(!pg)('a DEFERRABLE unique key over a renamed column: a statement that swaps keys works for both versions during dual-write, and the key stays DEFERRABLE', async () => {
      const s = await setup(
        target,
        [`CREATE TABLE item (id int PRIMARY KEY, pos int NOT NULL, CONSTRAINT item_pos_key UNIQUE (pos) DEFERRABLE INITIALLY IMMEDIATE)`, `INSERT INTO item SELECT g, g FROM generate_series(1, 20) g`],
        'xc_carried',
      );
      await s.write('0001_rename', { renameColumn: { table: 'item', from: 'pos', to: 'position' } });
      await s.xc.apply();
      await s.db.query(`UPDATE item SET pos = pos + 1`); // the old version
      await s.db.query(`UPDATE item SET position = position + 1`); // the new version
      expect(await s.db.query(`SELECT min(pos) AS lo, max(position) AS hi, count(*) FILTER (WHERE pos <> position) AS off FROM item`)).toEqual([{ lo: 3, hi: 22, off: '0' }]);
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      await s.db.query(`UPDATE item SET position = position + 1`);
      expect(await s.db.query(`SELECT conname AS name, condeferrable AS deferrable FROM pg_constraint WHERE conrelid = 'item'::regclass AND contype = 'u'`)).toEqual([{ name: 'item_pos_key', deferrable: true }]);
    });

    it.skipIf(!pg)('a copy made NOT NULL whose `up` gives NULL for a row an old writer wrote: contract says so, and goes on once the row is fixed', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, x text NOT NULL)`, `INSERT INTO t SELECT g, g::text FROM generate_series(1, 30) g`], 'xc_carried');
      await s.write('0001_int', { alterColumn: { table: 't', column: 'x', to: 'xi', type: 'int', nullable: false, up: "CASE WHEN x ~ '^[0-9]+$' THEN x::int END", down: 'xi::text' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO t (id, x) VALUES (31, 'abc')`); // the old version
      await record(s.xc, '0001_int');
      const err = await rejection(s.xc.contract());
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(/where xi is NULL, `up` gives NULL for the row, which the NOT NULL xi cannot hold: fix the row/);
      await s.db.query(`UPDATE t SET x = '31' WHERE id = 31`);
      await s.xc.contract();
      expect(await s.db.query(`SELECT xi FROM t WHERE id = 31`)).toEqual([{ xi: 31 }]);
    });

    it.skipIf(pg)('narrowing changes that round, truncate or normalise verify as the column stores them, and contract', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE t (id int PRIMARY KEY, code varchar(10), amt decimal(12,4), ts datetime(6), r double, st varchar(10), d decimal(10,4))`,
          `INSERT INTO t VALUES (1, 'ab ', 1.2345, '2024-01-01 10:00:00.654321', 0.1, 'NEW', 1.2345), (2, 'x', 2.5, '2024-01-02 00:00:00', 1.5, 'paid', 2)`,
        ],
        'xc_carried',
      );
      await s.write(
        '0001_narrow',
        { alterColumn: { table: 't', column: 'amt', type: 'decimal(8,2)' } },
        { alterColumn: { table: 't', column: 'ts', type: 'datetime' } },
        { alterColumn: { table: 't', column: 'r', type: 'float' } },
        { alterColumn: { table: 't', column: 'code', type: 'char(10)' } },
        { alterColumn: { table: 't', column: 'st', type: "enum('new','paid')" } },
        { alterColumn: { table: 't', column: 'd', to: 'd2', type: 'double(10,2)' } },
      );
      await s.xc.apply();
      await record(s.xc, '0001_narrow');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, code, CAST(amt AS CHAR) AS amt, CAST(ts AS CHAR) AS ts, r = CAST(0.1 AS FLOAT) OR r = 1.5 AS r, st, CAST(d2 AS CHAR) AS d2 FROM t ORDER BY id`)).toEqual([
        { id: 1, code: 'ab', amt: '1.23', ts: '2024-01-01 10:00:00', r: 1, st: 'new', d2: '1.23' },
        { id: 2, code: 'x', amt: '2.50', ts: '2024-01-02 00:00:00', r: 1, st: 'paid', d2: '2.00' },
      ]);
    });

    it.skipIf(pg)('a NOT NULL datetime holding the zero date is no NULL: a copy to another precision plans, and keeps it', async () => {
      const s = await setup(
        target,
        [`SET SESSION sql_mode = ''`, `CREATE TABLE t2 (id int PRIMARY KEY, ts datetime NOT NULL DEFAULT '0000-00-00 00:00:00')`, `INSERT INTO t2 VALUES (1, '0000-00-00 00:00:00'), (2, '2024-01-01 10:00:00')`],
        'xc_carried',
      );
      await s.write('0001_precise', { alterColumn: { table: 't2', column: 'ts', to: 'ts3', type: 'datetime(3)' } });
      await s.xc.apply();
      await record(s.xc, '0001_precise');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, CAST(ts3 AS CHAR) AS ts3 FROM t2 ORDER BY id`)).toEqual([
        { id: 1, ts3: '0000-00-00 00:00:00.000' },
        { id: 2, ts3: '2024-01-01 10:00:00.000' },
      ]);
    });
  });
}
