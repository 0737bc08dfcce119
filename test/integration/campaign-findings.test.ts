/**
 * Issue 11: what the adversarial campaign found beyond hostile input, one
 * regression test each, on every database it applies to.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, setup, toContracted } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`campaign findings (${target.name})`, () => {
    const pg = target.name === 'postgres';

    it('item 7: an up that reads a value the server fills after triggers (AUTO_INCREMENT, generated) is refused; other columns are fine', async () => {
      const schema = pg
        ? [`CREATE TABLE items (id int PRIMARY KEY, name text, doubled int GENERATED ALWAYS AS (id * 2) STORED)`, `INSERT INTO items (id, name) VALUES (1, 'one')`]
        : [`CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40))`, `INSERT INTO items (name) VALUES ('one')`];
      const s = await setup(target, schema, 'xc_campaign');
      const late = pg ? 'doubled' : 'id';
      const concat = (col: string) => (pg ? `'c' || ${col}` : `CONCAT('c', ${col})`);
      await s.write('0001_code', { addColumn: { table: 'items', column: { name: 'code', type: 'varchar(40)' }, up: concat(late) } });
      await refused(s, ['items'], new RegExp(`operations\\[0\\]\\.addColumn: "items"\\."${late}" gets its value from the server only after triggers run`));
      await s.write('0001_code', { addColumn: { table: 'items', column: { name: 'code', type: 'varchar(40)' }, up: concat('name') } });
      await toContracted(s, '0001_code');
      expect(await s.db.query(`SELECT id, code FROM items ORDER BY id`)).toEqual([{ id: 1, code: 'cone' }]);
    });
  });
}
