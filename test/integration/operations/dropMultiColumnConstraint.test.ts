/**
 * dropMultiColumnConstraint (pgroll's drop_multicolumn_constraint): nothing at expand (old code may rely on it), dropped
 * at contract; a converting `up` refused; each column's `down` converts, until contract, a write that would break it.
 */
import { expect, it } from 'vitest';
import { describeOperation, rejects, rows } from '../../helpers/operations.js';
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
  {
    name: 'a unique constraint over two columns, down converting one: a duplicate from either version gets another zip until contract',
    setup: [...TICKETS, `ALTER TABLE tickets ADD CONSTRAINT unique_zip_name UNIQUE (sellers_name, sellers_zip)`],
    operations: [{ dropMultiColumnConstraint: { table: 'tickets', name: 'unique_zip_name', up: { sellers_zip: 'sellers_zip' }, down: { sellers_name: 'sellers_name', sellers_zip: 'sellers_zip + 1000' } } }],
    writes: { old: [`INSERT INTO tickets VALUES (3, 'alice', 0)`], new: [`INSERT INTO tickets VALUES (4, 'bob', 11)`, `UPDATE tickets SET sellers_zip = 11 WHERE id = 2`, `INSERT INTO tickets VALUES (5, 'carol', 0)`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, sellers_name AS n, sellers_zip AS z FROM tickets ORDER BY id`)).toEqual([
        { id: '1', n: 'alice', z: '0' }, { id: '2', n: 'bob', z: '1011' }, { id: '3', n: 'alice', z: '1000' }, { id: '4', n: 'bob', z: '11' }, { id: '5', n: 'carol', z: '0' },
      ]);
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
    },
    async afterComplete(db) {
      expect(await db.uniques('tickets')).toEqual([]);
      await db.query(`INSERT INTO tickets VALUES (6, 'alice', 0)`);
      expect(await db.count(`SELECT count(*) FROM tickets WHERE sellers_name = 'alice' AND sellers_zip = 0`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
      await rejects(db, `INSERT INTO tickets VALUES (6, 'alice', 0)`);
    },
  },
]);

for (const target of targets) {
  target.describe(`dropMultiColumnConstraint: what plan refuses (${target.name})`, () => {
    it('a constraint the table does not have; an up that converts, a down naming another column or reading a converted one', async () => {
      const s = await setup(target, [...TICKETS, `ALTER TABLE tickets ADD CONSTRAINT unique_zip_name UNIQUE (sellers_name, sellers_zip)`], 'xc_dmc');
      await s.write('0001_d', { dropMultiColumnConstraint: { table: 'tickets', name: 'nope' } });
      await refused(s, ['tickets'], /operations\[0\]\.dropMultiColumnConstraint\.name: table "tickets" has no constraint "nope"/);
      await s.write('0001_d', { dropMultiColumnConstraint: { table: 'tickets', name: 'unique_zip_name', up: { sellers_zip: 'sellers_zip + 1' }, down: { sellers_zip: 'sellers_zip + 1', id: 'id' } } });
      await refused(s, ['tickets'], /dropMultiColumnConstraint\.up\.sellers_zip: `up` converting "sellers_zip" is not supported here: xc keeps no copies.*\n.*dropMultiColumnConstraint\.down\.id: "id" is none of the constraint's columns \("sellers_name", "sellers_zip"\)/);
      await s.write('0001_d', { dropMultiColumnConstraint: { table: 'tickets', name: 'unique_zip_name', down: { sellers_zip: 'sellers_zip + 1', sellers_name: `CONCAT(sellers_name, sellers_zip)` } } });
      await refused(s, ['tickets'], /dropMultiColumnConstraint\.down\.sellers_name: `down` of "sellers_name" reads "sellers_zip", which `down` converts too/);
      expect(await s.db.uniques('tickets')).toEqual([['sellers_name', 'sellers_zip']]);
    });
  });
}
