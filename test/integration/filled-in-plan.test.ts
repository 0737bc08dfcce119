/**
 * Values an earlier operation of the plan gives existing rows, read by the later ones' row checks. A setNotNull with
 * `up` fills the NULLs, an addColumn with `up` (or a default) fills every row; plan read the column as the database
 * has it now (NULLs, or no column at all), so a unique key or check over those values later in the plan passed — and
 * apply stopped: the backfill at the second row `up` gave one value, or the index build (fuzz seed 481 on MariaDB:
 * the NULLs all filled with 'dflt', then a unique key over the column). Plan reads the column as the backfill will
 * leave it. An addColumn's own unique key over `up`'s values is checked the same way.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, setup, toContracted } from '../helpers/scenario.js';

const USERS = [`CREATE TABLE users (id int PRIMARY KEY, gamma varchar(40))`, `INSERT INTO users VALUES (1, NULL), (2, NULL), (3, 'b')`];
const NOTE = /\("gamma" as this plan's earlier operations leave it: not in the database yet\)/;

/** The operations, what plan must say (the row and the path), in one migration. */
const CASES: [string, unknown[], RegExp][] = [
  ['setNotNull filling one constant, then a unique key', [{ setNotNull: { table: 'users', column: 'gamma', up: "'dflt'" } }, { alterColumn: { table: 'users', column: 'gamma', unique: { name: 'users_gamma_key' } } }], /operations\[1\]\.alterColumn[^]*id="1" gamma="dflt"[^]*id="2" gamma="dflt"/],
  ['setNotNull, then a check its value breaks', [{ setNotNull: { table: 'users', column: 'gamma', up: "'a'" } }, { addCheck: { table: 'users', name: 'gamma_not_a', expression: "gamma <> 'a'" } }], /operations\[1\]\.addCheck[^]*id="1" gamma="a"/],
  ['addColumn filled with one constant, then a unique index', [{ addColumn: { table: 'users', column: { name: 'slug', type: 'varchar(40)' }, up: "'x'" } }, { addIndex: { table: 'users', columns: ['slug'], unique: true, name: 'users_slug_key' } }], /operations\[1\]\.addIndex[^]*id="1" slug="x"[^]*\("slug" as this plan's earlier/],
  ['addColumn with a default only, then a unique index', [{ addColumn: { table: 'users', column: { name: 'slug', type: 'varchar(40)', default: "'d'" } } }, { addIndex: { table: 'users', columns: ['slug'], unique: true, name: 'users_slug_key' } }], /operations\[1\]\.addIndex[^]*id="1" slug="d"/],
  // Fuzz seed 532: a column the plan adds, then its setNotNull: the read named the column, which is not there yet, so
  // every later row check failed to read and judged nothing — a check the rows broke passed plan.
  ['addColumn, its setNotNull, then a check over another column the rows break', [{ addColumn: { table: 'users', column: { name: 'iota', type: 'int' } } }, { setNotNull: { table: 'users', column: 'iota', up: '3' } }, { addCheck: { table: 'users', name: 'gamma_long', expression: 'char_length(gamma) >= 2' } }], /operations\[2\]\.addCheck[^]*id="3" gamma="b"/],
  ['addColumn with a default, its setNotNull, then a check its value breaks', [{ addColumn: { table: 'users', column: { name: 'iota', type: 'int', default: '7' } } }, { setNotNull: { table: 'users', column: 'iota', up: '3' } }, { addCheck: { table: 'users', name: 'iota_small', expression: 'iota < 5' } }], /operations\[2\]\.addCheck[^]*id="1" iota="7"/],
  // Campaign AI: no `up`, no default — every row NULL until the new version writes it; plan passed, the contract failed.
  ['addColumn without `up` or default, then its setNotNull', [{ addColumn: { table: 'users', column: { name: 'iota', type: 'int' } } }, { setNotNull: { table: 'users', column: 'iota' } }], /operations\[1\]\.setNotNull[^]*id="1"/],
  ['a unique addColumn whose `up` gives one value', [{ addColumn: { table: 'users', column: { name: 'slug', type: 'varchar(40)', unique: true }, up: "'x'" } }], /operations\[0\]\.addColumn\.up: `up` gives existing rows of "users" the same value[^]*id="1"/],
];

for (const target of targets) {
  target.describe(`plan reads the values earlier operations fill in (${target.name})`, () => {
    for (const [label, ops, message] of CASES) {
      it(`${label}: refused at plan naming the rows, nothing changed`, async () => {
        const s = await setup(target, USERS, 'xc_fip');
        await s.write('0001_fill', ...ops);
        await refused(s, ['users'], message);
      });
    }

    it("a data migration's batched backfill (`sql`), then NOT NULL over what it filled: planned and applied at once, as one by one (campaign O: refused, \"holds NULL\")", async () => {
      const s = await setup(target, USERS, 'xc_fip');
      await s.write('0001_fill', { sql: { backfill: { table: 'users', set: { gamma: "'free'" }, where: 'gamma IS NULL' } } });
      await s.write('0002_nn', { setNotNull: { table: 'users', column: 'gamma' } });
      await s.xc.plan();
      await toContracted(s, '0002_nn');
      expect((await s.db.query<Record<string, unknown>>(`SELECT id, gamma FROM users ORDER BY id`)).map((r) => [Number(r.id), r.gamma])).toEqual([[1, 'free'], [2, 'free'], [3, 'b']]);
      // The same fill giving one value to every row, then a unique key: refused at plan, as the backfill would leave them.
      await s.write('0003_all', { sql: { backfill: { table: 'users', set: { gamma: "'same'" } } } });
      await s.write('0004_uq', { alterColumn: { table: 'users', column: 'gamma', unique: { name: 'users_gamma_key' } } });
      await refused(s, ['users'], /0004_uq\.json: operations\[0\][^]*gamma="same"[^]*gamma="same"/);
    });

    it('the fill in one migration, the unique key in the next of the same apply: refused at plan, with the note', async () => {
      const s = await setup(target, USERS, 'xc_fip');
      await s.write('0001_fill', { setNotNull: { table: 'users', column: 'gamma', up: "'dflt'" } });
      await s.write('0002_unique', { alterColumn: { table: 'users', column: 'gamma', unique: { name: 'users_gamma_key' } } });
      await refused(s, ['users'], new RegExp(`0002_unique\\.json: operations\\[0\\][^]*id="2" gamma="dflt"[^]*${NOTE.source}`));
    });

    it('fills that give each row its own value: planned, applied and contracted, the rows as `up` made them', async () => {
      const s = await setup(target, USERS, 'xc_fip');
      await s.write(
        '0001_fill',
        { setNotNull: { table: 'users', column: 'gamma', up: "concat('g', id)" } },
        { alterColumn: { table: 'users', column: 'gamma', unique: { name: 'users_gamma_key' } } },
        { addColumn: { table: 'users', column: { name: 'slug', type: 'varchar(40)', nullable: false, unique: true }, up: "concat('s', id)" } },
        { addIndex: { table: 'users', columns: ['slug', 'gamma'], unique: true, name: 'users_slug_gamma' } },
        { addCheck: { table: 'users', name: 'gamma_set', expression: "gamma <> ''" } },
      );
      await s.xc.plan();
      await toContracted(s, '0001_fill');
      const rows = (await s.db.query<Record<string, unknown>>(`SELECT id, gamma, slug FROM users ORDER BY id`)).map((r) => [Number(r.id), r.gamma, r.slug]);
      expect(rows).toEqual([
        [1, 'g1', 's1'],
        [2, 'g2', 's2'],
        [3, 'b', 's3'],
      ]);
      // The keys hold: a second 'b' is refused.
      await expect(s.db.query(`INSERT INTO users (id, gamma, slug) VALUES (4, 'b', 's4')`)).rejects.toThrow();
    });
  });
}
