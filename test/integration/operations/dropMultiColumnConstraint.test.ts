/** dropMultiColumnConstraint (pgroll's drop_multicolumn_constraint): nothing at expand (old code may rely on it), dropped at contract; `up`/`down` refused. */
import { expect, it } from 'vitest';
import { describeOperation, rejects } from '../../helpers/operations.js';
import { targets } from '../../helpers/targets.js';
import { refused, setup } from '../../helpers/scenario.js';

const TICKETS = [`CREATE TABLE tickets (id int PRIMARY KEY, sellers_name varchar(20), sellers_zip int)`, `INSERT INTO tickets VALUES (1, 'alice', 0), (2, 'bob', 10)`];

describeOperation('dropMultiColumnConstraint', [
  {
    name: 'a unique constraint over two columns: enforced until contract, then gone',
    setup: [...TICKETS, `ALTER TABLE tickets ADD CONSTRAINT unique_zip_name UNIQUE (sellers_name, sellers_zip)`],
    operations: [{ dropMultiColumnConstraint: { table: 'tickets', name: 'unique_zip_name' } }],
    writes: { old: [`INSERT INTO tickets VALUES (3, 'alice', 1)`], new: [`INSERT INTO tickets VALUES (4, 'bob', 11)`] },
    async afterStart(db) {
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
      await rejects(db, `INSERT INTO tickets VALUES (5, 'alice', 0)`);
    },
    async afterComplete(db) {
      expect(await db.uniques('tickets')).toEqual([]);
      expect(await db.indexes('tickets')).toEqual([]);
      await db.query(`INSERT INTO tickets VALUES (5, 'alice', 0)`);
      expect(await db.count(`SELECT count(*) FROM tickets WHERE sellers_name = 'alice' AND sellers_zip = 0`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
      await rejects(db, `INSERT INTO tickets VALUES (5, 'alice', 0)`);
    },
  },
  {
    // pgroll's 48_drop_tickets_check as written: its up/down are the columns themselves (no conversion).
    name: 'a check over two columns, up and down the columns themselves',
    setup: [...TICKETS, `ALTER TABLE tickets ADD CONSTRAINT check_zip_name CHECK (sellers_name = 'alice' OR sellers_zip > 0)`],
    operations: [
      {
        dropMultiColumnConstraint: {
          table: 'tickets', name: 'check_zip_name',
          up: { sellers_name: 'sellers_name', sellers_zip: 'sellers_zip' }, down: { sellers_name: 'sellers_name', sellers_zip: 'sellers_zip' },
        },
      },
    ],
    writes: { old: [`INSERT INTO tickets VALUES (3, 'alice', -1)`], new: [`INSERT INTO tickets VALUES (4, 'bob', 1)`] },
    async afterStart(db) {
      expect(await db.checks('tickets')).toHaveLength(1);
      await rejects(db, `INSERT INTO tickets VALUES (5, 'bob', 0)`);
    },
    async afterComplete(db) {
      expect(await db.checks('tickets')).toEqual([]);
      await db.query(`INSERT INTO tickets VALUES (5, 'bob', 0)`);
    },
    async afterRollback(db) {
      expect(await db.checks('tickets')).toHaveLength(1);
      await rejects(db, `INSERT INTO tickets VALUES (5, 'bob', 0)`);
    },
  },
]);

for (const target of targets) {
  target.describe(`dropMultiColumnConstraint: what plan refuses (${target.name})`, () => {
    it('a constraint the table does not have; up and down that convert, not supported', async () => {
      const s = await setup(target, [...TICKETS, `ALTER TABLE tickets ADD CONSTRAINT unique_zip_name UNIQUE (sellers_name, sellers_zip)`], 'xc_dmc');
      await s.write('0001_d', { dropMultiColumnConstraint: { table: 'tickets', name: 'nope' } });
      await refused(s, ['tickets'], /operations\[0\]\.dropMultiColumnConstraint\.name: table "tickets" has no constraint "nope"/);
      await s.write('0001_d', { dropMultiColumnConstraint: { table: 'tickets', name: 'unique_zip_name', up: { sellers_zip: 'sellers_zip' }, down: { sellers_zip: 'sellers_zip + 1', id: 'id' } } });
      await refused(s, ['tickets'], /dropMultiColumnConstraint\.down\.sellers_zip: `down` converting "sellers_zip" is not supported here: no version writes a copy.*\n.*dropMultiColumnConstraint\.down\.id: "id" is none of the constraint's columns \("sellers_name", "sellers_zip"\)/);
      expect(await s.db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
    });
  });
}
