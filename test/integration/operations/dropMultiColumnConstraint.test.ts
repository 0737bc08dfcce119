/**
 * dropMultiColumnConstraint (pgroll's drop_multicolumn_constraint): nothing at expand (old code may rely on it), dropped
 * at contract; a converting `up` refused; each column's `down` converts, until contract, a write that would break it.
 */
import { expect, it } from 'vitest';
import { describeOperation, rejects, rows } from '../../helpers/operations.js';
import { targets } from '../../helpers/targets.js';
import { refused, setup } from '../../helpers/scenario.js';
import { Writer } from '../../helpers/writers.js';
import { createXc } from '../../../src/index.js';

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

for (const target of targets) {
  target.describe(`dropMultiColumnConstraint: a converting down in flight and another migration's backfill (${target.name})`, () => {
    it("the backfill's writes keep the key and read nothing for it: an application's writes of the key never deadlock with a batch (fuzz seed 217)", { timeout: 180_000 }, async () => {
      const s = await setup(target, [`CREATE TABLE tickets (id int PRIMARY KEY, sellers_name varchar(20), sellers_zip int, note varchar(20))`], 'xc_dmc');
      // Some keys partly NULL (no unique entry to match exactly), as the fuzz's were.
      await s.db.seed('tickets', ['id', 'sellers_name', 'sellers_zip', 'note'], Array.from({ length: 3000 }, (_, i) => [i + 1, i % 3 ? `s${i % 50}` : null, i % 5 ? i : null, `n${i}`]));
      await s.db.query(`ALTER TABLE tickets ADD CONSTRAINT unique_zip_name UNIQUE (sellers_name, sellers_zip)`);
      await s.write('0001_d', { dropMultiColumnConstraint: { table: 'tickets', name: 'unique_zip_name', down: { sellers_zip: 'sellers_zip + 100000' } } });
      await s.xc.apply();
      await s.write('0002_n', { alterColumn: { table: 'tickets', column: 'note', to: 'label', type: 'varchar(40)', up: 'UPPER(note)', down: 'LOWER(label)' } });
      // One writer moving rows' keys back and forth through the whole table while the batches pass (no second writer: two writers of the same key may deadlock on each other, README).
      const writer = new Writer(await s.db.connection(), (i) => ({ sql: `UPDATE tickets SET sellers_zip = ? WHERE id = ?`, params: [-1 - ((i * 104729) % 5000), 1 + ((i * 7919) % 3000)] }), 0);
      writer.start();
      const xc = createXc({ url: s.db.url, dir: s.dir, batchSize: 20 });
      try {
        await xc.apply();
      } finally {
        await writer.stop();
        await xc.close();
      }
      expect(writer.errors).toEqual([]);
      expect(writer.writes).toBeGreaterThan(50);
      expect(await s.db.count(`SELECT count(*) FROM tickets WHERE label = UPPER(note)`)).toBe(3000);
      // What a batch of 100 rows keeping their keys locks: those rows and the next (the range's next-key lock), and none
      // of the key's entries, which the trigger's read used to lock (shared; 158 here) — what an application's write
      // of a key then waited on while the batch waited on its row.
      if (target.name !== 'mysql') return;
      const batch = await s.db.connection();
      const [[{ id }]] = (await batch.query('SELECT CONNECTION_ID() AS id')) as [[{ id: number }]];
      await batch.query('BEGIN');
      await batch.query(`UPDATE tickets SET label = CONCAT(label, '') WHERE id BETWEEN 1001 AND 1100`);
      // InnoDB refreshes INNODB_TRX at most every 0.1 s: a read just after another may not list the transaction yet.
      let locked: number | undefined;
      for (let tries = 0; locked === undefined && tries < 50; tries++) {
        const [row] = await s.db.query<{ n: number }>(`SELECT trx_rows_locked AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ?`, [id]);
        if (row) locked = Number(row.n);
        else await new Promise((r) => setTimeout(r, 150));
      }
      await batch.query('ROLLBACK');
      expect(locked).toBe(101);
    });
  });
}
