/**
 * What a migration in flight holds until its contract, beyond the projected
 * schema (schema/holds.ts, engine/held.ts): a column it changes in place
 * through a shadow (replaced at the cut-over) takes no new index, constraint
 * or foreign key, from the same migration or a later one; a key it makes
 * only at contract (a primary key) is referenced by no foreign key until
 * then. Refused at plan (exit 2, nothing done); accepted once contracted.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, setup } from '../helpers/scenario.js';

const T = [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL UNIQUE, b int)`, `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`, `CREATE TABLE o (id int PRIMARY KEY, t_a bigint)`];
const held = /replaces at its contract \(the column is dropped and its shadow, of the new type, renamed to its name\).*contract that migration first/;
/** The same, held by an earlier operation of the migration being planned. */
const heldHere = /replaces at its contract \(the column is dropped and its shadow, of the new type, renamed to its name\).*that is this migration, so the two cannot be in one: move this operation to a later migration/;

for (const target of targets) {
  target.describe(`holds until contract: shadowed columns and keys made at contract (${target.name})`, () => {
    it('a column changed in place through a shadow takes no new index, unique or check, nor a foreign key from or to it, until that contract', async () => {
      const s = await setup(target, T, 'xc_sh');
      await s.write('0001_alter', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
      // In the same migration, after the alterColumn.
      await s.write('0001_alter', { alterColumn: { table: 't', column: 'a', type: 'bigint' } }, { addIndex: { table: 't', name: 't_a_idx', columns: ['a'] } });
      await refused(s, ['t'], new RegExp(`0001_alter\\.json: operations\\[1\\]\\.addIndex: index or key "t_a_idx" is over "t"\\."a", which 0001_alter \\(operations\\[0\\]\\.alterColumn\\) ${heldHere.source}`));
      await s.write('0001_alter', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
      await s.xc.apply();
      const later: [object, RegExp][] = [
        [{ addIndex: { table: 't', name: 't_a_idx', columns: ['a'] } }, /operations\[0\]\.addIndex: index or key "t_a_idx" is over "t"\."a", which 0001_alter \(operations\[0\]\.alterColumn\)/],
        [{ createConstraint: { table: 't', name: 't_a_b_uq', type: 'unique', columns: ['a', 'b'] } }, /operations\[0\]\.createConstraint: index or key "t_a_b_uq" is over "t"\."a"/],
        [{ createConstraint: { table: 't', name: 't_a_ck', type: 'check', columns: ['a'], check: 'a > 0' } }, /operations\[0\]\.createConstraint: check "t_a_ck" is over "t"\."a"/],
        [{ createTable: { table: 'child', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 't_a', type: 'bigint', references: { table: 't', column: 'a' } }] } }, /operations\[0\]\.createTable: foreign key "\w+" of "child" is over "t"\."a"/],
        [{ createConstraint: { table: 'o', name: 'o_fk', type: 'foreign_key', columns: ['t_a'], references: { table: 't', columns: ['a'] } } }, /operations\[0\]\.createConstraint: foreign key "o_fk" of "o" is over "t"\."a"/],
      ];
      for (const [op, message] of later) {
        await s.write('0002_later', op);
        await refused(s, ['t', 'o'], new RegExp(`0002_later\\.json: ${message.source}.*${held.source}`));
      }
      // Made by a `sql` operation's own statements (campaigns BQ, BR: accepted, then that contract refused it, stuck until
      // dropped by hand): an index, a key, a foreign key from another table; its comments, strings and other tables aside.
      const pg = target.name === 'postgres';
      const [{ schema }] = await s.db.query<{ schema: string }>(pg ? 'SELECT current_schema() AS schema' : 'SELECT DATABASE() AS `schema`');
      const sqlHeld = new RegExp(`0002_later\\.json: operations\\[0\\]\\.sql: its SQL makes or changes an index, key, column or other object over "t"\\."a", which 0001_alter \\(operations\\[0\\]\\.alterColumn\\) ${held.source}`);
      const over = [
        '-- the lookup\nCREATE INDEX t_a_sql ON t (a)',
        'CREATE UNIQUE INDEX IF NOT EXISTS t_ab_sql ON t (b, a)',
        'ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0)',
        'CREATE TABLE kids (id int PRIMARY KEY, t_a int REFERENCES t (a))',
        ...(pg
          ? [
              "DO $$ BEGIN CREATE INDEX t_a_do ON t (b, (b::text || '--'), a); END $$",
              // Campaign BU: what else PostgreSQL keeps depending on the column, and SQL run from a literal.
              'CREATE TRIGGER t_tr BEFORE UPDATE OF b, a ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
              'CREATE POLICY t_p ON t USING (a > 0)',
              'CREATE STATISTICS t_st ON b, a FROM t',
              "DO $$ BEGIN EXECUTE 'CREATE INDEX t_a_ex ON t (a)'; END $$",
              `CREATE INDEX t_a_own ON "${schema}".t (a)`,
              // Campaign BW: a trigger's WHEN, and what an ALTER TABLE does to the column that the cut-over would lose.
              'CREATE TRIGGER t_tr2 BEFORE UPDATE ON t FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a) EXECUTE FUNCTION suppress_redundant_updates_trigger()',
              'ALTER TABLE t ALTER COLUMN a SET NOT NULL',
              "ALTER TABLE t ALTER COLUMN a SET DEFAULT 7",
            ]
          : ['CREATE OR REPLACE UNIQUE INDEX t_a_sql ON t (a)', 'ALTER ONLINE TABLE t ADD INDEX t_a_sql (a)', 'CREATE INDEX t_b_sql ON t (b /*!, a */)', "PREPARE s FROM 'CREATE INDEX t_a_p ON t (a)'", `CREATE INDEX t_a_own ON \`${schema}\`.t (a)`, "EXECUTE IMMEDIATE 'ALTER TABLE t ADD INDEX t_a_ei (a)'", 'ALTER TABLE t ALTER COLUMN a SET DEFAULT 7']),
      ];
      for (const sql of over) {
        await s.write('0002_later', { sql: { expand: sql, rollback: 'SELECT 1' } });
        await refused(s, ['t', 'o'], sqlHeld);
      }
      const harmless = [
        'CREATE INDEX t_b_sql ON t (b)',
        'CREATE INDEX o_ta_sql ON o (t_a)',
        pg ? "CREATE INDEX t_b_sql ON t (b) WHERE b <> 0 -- not a\n" : 'CREATE INDEX t_b_sql ON t (b) # not a\n',
        "ALTER TABLE t ADD COLUMN c int DEFAULT 0" + (pg ? '' : " COMMENT 'a copy'"),
        'ALTER TABLE o ADD CONSTRAINT o_fk FOREIGN KEY (id) REFERENCES t (id)',
        // Campaign BU: a statement only in a literal, and a table of the same name in another schema or database.
        pg ? "COMMENT ON COLUMN t.b IS 'CREATE INDEX x ON t (a)'" : "ALTER TABLE t COMMENT = 'CREATE INDEX x ON t (a)'",
        pg ? "DO $$ BEGIN RAISE NOTICE 'CREATE INDEX ON t (a)'; END $$" : "SELECT 'x;CREATE INDEX i ON t (a)'",
        'CREATE INDEX t_a_other ON other_ns.t (a)',
        // Campaign BW: an object named like the column is not over it.
        pg ? 'CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()' : 'CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW SET @x = 1',
        ...(pg ? ['CREATE STATISTICS a ON b, id FROM t'] : []),
      ];
      for (const sql of harmless) {
        await s.write('0002_later', { sql: { expand: sql, rollback: 'SELECT 1' } });
        expect(((await s.xc.plan()) as { ok: boolean }).ok, sql).toBe(true);
      }
      // Once contracted, the same objects go through and stay.
      await s.write('0002_later', { addIndex: { table: 't', name: 't_a_idx', columns: ['a'] } }, later[1]![0], later[3]![0]);
      await record(s.xc, '0001_alter');
      await s.xc.contract({ id: '0001_alter' });
      await s.xc.apply();
      await record(s.xc, '0002_later');
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted']);
      expect((await s.db.indexes('t')).map((i) => i.name)).toEqual(expect.arrayContaining(['t_a_idx', 't_a_b_uq']));
      expect((await s.db.columns('t')).find((c) => c.name === 'a')?.type).toMatch(/^bigint/);
    });

    it('a second column changed in place under an index over the first too: its index copy would go with the first column, so it waits for that contract', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL)`, `CREATE INDEX t_ab ON t (a, b)`, `INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)`], 'xc_sh');
      await s.write('0001_a', { alterColumn: { table: 't', column: 'a', type: 'bigint' } });
      await s.xc.apply();
      await s.write('0002_b', { alterColumn: { table: 't', column: 'b', type: 'bigint' } });
      await refused(s, ['t'], /0002_b\.json: operations\[0\]\.alterColumn: index "t_ab" is over "t"\."a" too, which 0001_a \(operations\[0\]\.alterColumn\) replaces at its contract .*contract that migration first/);
      await record(s.xc, '0001_a');
      await s.xc.contract({ id: '0001_a' });
      await s.xc.apply();
      await record(s.xc, '0002_b');
      await s.xc.contract();
      expect((await s.db.indexes('t')).map((i) => [i.name, i.columns])).toEqual(expect.arrayContaining([['t_ab', ['a', 'b']]]));
      expect((await s.db.columns('t')).filter((c) => c.type.startsWith('bigint')).map((c) => c.name).sort()).toEqual(['a', 'b']);
    });

    it('a column renamed after another was changed in place, under one unique index over both: refused (the index was lost at contract); renamed first, both go through and the index stays', async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, b varchar(20), x int NOT NULL DEFAULT 0)`, `CREATE UNIQUE INDEX t_bx ON t (b, x)`, `INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2)`], 'xc_sh');
      const inPlace = { alterColumn: { table: 't', column: 'x', type: 'bigint' } };
      const rename = { renameColumn: { table: 't', from: 'b', to: 'bb' } };
      // Before: PostgreSQL's contract dropped both copies of t_bx with the two old columns and exited 0; MariaDB's cut-over failed.
      await s.write('0001_both', inPlace, rename);
      await refused(s, ['t'], /operations\[1\]\.renameColumn: index "t_bx" is over "t"\."x" too, which 0001_both \(operations\[0\]\.alterColumn\) replaces at its contract .*rename or copy the column before changing the other in place/);
      await s.write('0001_both', rename, inPlace);
      await s.xc.apply();
      await record(s.xc, '0001_both');
      await s.xc.contract();
      expect((await s.db.indexes('t')).filter((i) => i.name === 't_bx')).toEqual([{ name: 't_bx', columns: ['bb', 'x'], unique: true }]);
      await expect(s.db.query(`INSERT INTO t (id, bb, x) VALUES (3, 'a', 1)`)).rejects.toThrow();
    });

    it("rows an in-flight change in place mends are not the later check's to name: the hold is told, the rows left alone; contracted, the check goes through", async () => {
      const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, name varchar(20))`, `INSERT INTO t VALUES (1, 'a'), (2, NULL)`], 'xc_sh');
      await s.write('0001_fill', { alterColumn: { table: 't', column: 'name', up: "COALESCE(name, 'none')", down: 'name' } });
      await s.xc.apply();
      // Before: "existing rows of "t" break the check … fix those rows first", naming id=2 — whose value the contract mends.
      await s.write('0002_check', { addCheck: { table: 't', name: 'named', expression: 'name IS NOT NULL' } });
      await refused(s, ['t'], new RegExp(`^(?![^]*break the check)[^]*0002_check\\.json: operations\\[0\\]\\.addCheck: check "named" is over "t"\\."name", which 0001_fill \\(operations\\[0\\]\\.alterColumn\\) ${held.source}`));
      expect(await s.db.query(`SELECT id, name FROM t ORDER BY id`)).toEqual([{ id: 1, name: 'a' }, { id: 2, name: null }]);
      await record(s.xc, '0001_fill');
      await s.xc.contract({ id: '0001_fill' });
      await s.xc.apply();
      await record(s.xc, '0002_check');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, name FROM t ORDER BY id`)).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'none' }]);
      await expect(s.db.query(`INSERT INTO t VALUES (3, NULL)`)).rejects.toThrow();
    });

    it('a primary key made at contract is referenced by no foreign key until then; after, it is', async () => {
      const s = await setup(target, [`CREATE TABLE p (id int, a int NOT NULL, b int NOT NULL)`, `INSERT INTO p VALUES (1, 1, 1)`], 'xc_sh');
      await s.write('0001_pk', { createConstraint: { table: 'p', name: 'p_a_b_key', type: 'primary_key', columns: ['a', 'b'] } });
      await s.xc.apply();
      const child = {
        createTable: {
          table: 'ch',
          columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'a', type: 'int' }, { name: 'b', type: 'int' }],
          constraints: [{ name: 'ch_fk', type: 'foreign_key', columns: ['a', 'b'], references: { table: 'p', columns: ['a', 'b'] } }],
        },
      };
      await s.write('0002_child', child);
      await refused(s, ['p'], /0002_child\.json: operations\[0\]\.createTable: foreign key "ch_fk" of "ch" references "a", "b" of "p", whose key "p_a_b_key" 0001_pk \(operations\[0\]\.createConstraint\) makes only at its contract .* contract that migration first/);
      await record(s.xc, '0001_pk');
      await s.xc.contract({ id: '0001_pk' });
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_pk', 'contracted'], ['0002_child', 'backfilled']]);
      await s.db.query(`INSERT INTO ch VALUES (1, 1, 1)`);
      await expect(s.db.query(`INSERT INTO ch VALUES (2, 1, 2)`)).rejects.toThrow(/foreign key/i);
    });
  });
}
