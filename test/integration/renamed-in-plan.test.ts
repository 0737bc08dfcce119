/**
 * A table renamed earlier in the same plan (a renameTable before, in the same migration or an earlier one of the
 * same apply) is not renamed in the database yet: plan's reads of its rows — the existing rows a unique key, a
 * check, a foreign key or NOT NULL would refuse, what depends on a column the migration drops — looked for it by
 * its new name, found no table, and let the migration through. Apply expanded it; the contract then failed on
 * those rows, the migration left `contracting` with its rollback refused (pgroll's test cases, translated:
 * campaign pgrollA, sixteenth session). Plan reads such a table by the name it has now. Likewise a column renamed
 * earlier in the plan: its rows' values are read from the column they are in now (on MariaDB a check or key left
 * `contracting`, its rollback refused; on PostgreSQL the backfill stopped at the first such row). So too a column
 * alterColumn gives a new name (`to`) without an `up`: read from the old one, converted where the type changes; and
 * with an `up`: read as `up` of the row as it is now, stored as the new type.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, setup, toContracted } from '../helpers/scenario.js';

const ITEMS = [`CREATE TABLE items (id int PRIMARY KEY, name varchar(50), n int)`, `INSERT INTO items VALUES (1, 'apple', 99), (2, 'apple', NULL), (3, NULL, NULL)`];

/** Each operation on the renamed table, what its rows break, and the row plan must name. */
const CASES: [string, unknown, RegExp][] = [
  ['addCheck', { addCheck: { table: 'products', name: 'long_name', expression: 'length(name) > 5' } }, /id="1"/],
  ['unique', { alterColumn: { table: 'products', column: 'name', unique: { name: 'products_name_unique' } } }, /id="1"/],
  ['addForeignKey', { addForeignKey: { table: 'products', columns: ['n'], references: { table: 'products', columns: ['id'] } } }, /id="1"/],
  ['setNotNull', { setNotNull: { table: 'products', column: 'name' } }, /id="3"/],
];

for (const target of targets) {
  target.describe(`plan reads a table renamed earlier in the plan by the name it has now (${target.name})`, () => {
    for (const [label, op, row] of CASES) {
      it(`${label} after a renameTable in the same migration, and in an earlier one: refused at plan naming the rows, nothing changed`, async () => {
        const s = await setup(target, ITEMS, 'xc_rip');
        await s.write('0001_rename', { renameTable: { from: 'items', to: 'products' } }, op);
        await refused(s, ['items'], new RegExp(`0001_rename\\.json: operations\\[1\\][^]*${row.source}`));
        await s.write('0001_rename', { renameTable: { from: 'items', to: 'products' } });
        await s.write('0002_then', op);
        await refused(s, ['items'], new RegExp(`0002_then\\.json: operations\\[0\\][^]*${row.source}`));
        // The rows mended, the same sequence goes through.
        await s.db.query(`UPDATE items SET name = CASE id WHEN 1 THEN 'apples' WHEN 2 THEN 'bananas' ELSE 'cherries' END, n = NULL`);
        await toContracted(s, '0002_then');
        expect(await s.db.count(`SELECT count(*) FROM products`)).toBe(3);
      });
    }

    const COLUMN_CASES: [string, unknown, unknown, RegExp][] = [
      ['addCheck', { renameColumn: { table: 'items', from: 'name', to: 'title' } }, { addCheck: { table: 'items', name: 'long_title', expression: 'length(title) > 5' } }, /id="1"/],
      ['unique', { renameColumn: { table: 'items', from: 'name', to: 'title' } }, { alterColumn: { table: 'items', column: 'title', unique: { name: 'items_title_unique' } } }, /id="1"/],
      ['addForeignKey', { renameColumn: { table: 'items', from: 'n', to: 'n2' } }, { addForeignKey: { table: 'items', columns: ['n2'], references: { table: 'items', columns: ['id'] } } }, /id="1"/],
      ['setNotNull', { renameColumn: { table: 'items', from: 'name', to: 'title' } }, { setNotNull: { table: 'items', column: 'title' } }, /id="3"/],
      // alterColumn's `to` without `up`: the new column's values are the old one's, converted where the type changes.
      ['addCheck (alterColumn to)', { alterColumn: { table: 'items', column: 'name', to: 'title' } }, { addCheck: { table: 'items', name: 'long_title', expression: 'length(title) > 5' } }, /id="1"/],
      ['unique (alterColumn to, a new type)', { alterColumn: { table: 'items', column: 'name', to: 'title', type: 'varchar(80)' } }, { alterColumn: { table: 'items', column: 'title', unique: { name: 'items_title_unique' } } }, /id="1"/],
      ['setNotNull (alterColumn to, a new type)', { alterColumn: { table: 'items', column: 'name', to: 'title', type: 'varchar(90)' } }, { setNotNull: { table: 'items', column: 'title' } }, /id="3"/],
      // With `up`: the values the backfill will write, `up` over the row as it is now (stop 41's campaign: plan passed, apply refused after the backfill).
      ['addCheck (alterColumn to with up)', { alterColumn: { table: 'items', column: 'name', to: 'title', up: 'upper(name)', down: 'lower(title)' } }, { addCheck: { table: 'items', name: 'not_shouted', expression: "title <> 'APPLE'" } }, /id="1"/],
      ['unique (alterColumn to with up, a new type)', { alterColumn: { table: 'items', column: 'name', to: 'title', type: 'varchar(80)', up: 'upper(name)', down: 'lower(title)' } }, { alterColumn: { table: 'items', column: 'title', unique: { name: 'items_title_unique' } } }, /id="1"/],
      ['setNotNull (alterColumn to with up)', { alterColumn: { table: 'items', column: 'name', to: 'title', up: 'upper(name)', down: 'lower(title)' } }, { setNotNull: { table: 'items', column: 'title' } }, /id="3"/],
    ];
    for (const [label, rename, op, row] of COLUMN_CASES) {
      it(`${label} over a column renamed earlier in the same migration: refused at plan naming the rows, nothing changed; mended, the lifecycle runs`, async () => {
        const s = await setup(target, ITEMS, 'xc_rip');
        await s.write('0001_rename', rename, op);
        await refused(s, ['items'], new RegExp(`0001_rename\\.json: operations\\[1\\][^]*${row.source}`));
        await s.db.query(`UPDATE items SET name = CASE id WHEN 1 THEN 'apples' WHEN 2 THEN 'bananas' ELSE 'cherries' END, n = NULL`);
        await toContracted(s, '0001_rename');
        expect(await s.db.count(`SELECT count(*) FROM items`)).toBe(3);
      });
    }

    it.runIf(target.name === 'postgres')('a column a view depends on, dropped after a renameTable in the same migration: refused at plan naming the view', async () => {
      const s = await setup(target, [...ITEMS, `CREATE VIEW named AS SELECT id, name FROM items`], 'xc_rip');
      await s.write('0001_rename', { renameTable: { from: 'items', to: 'products' } }, { dropColumn: { table: 'products', column: 'name' } });
      await refused(s, ['items'], /operations\[1\]\.dropColumn[^]*view "named" depends on "products"\."name"/);
    });
  });
}
