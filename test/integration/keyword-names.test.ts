/**
 * Columns named by SQL key words, as Rails, Django and Laravel apps have them (campaign EL), through the engine on
 * both databases: a bare key word in an expression is what it reserves, not the column of its name; a word before a
 * literal is its type. Each was read as the column: MariaDB's trigger stored the column where the backfill computed
 * CURRENT_DATE (values differing for good, contract passing); a rename of `desc` copied an index `(type DESC)` over
 * the new column (PostgreSQL: apply failed; MariaDB: a duplicate index left); a check with `date '…'` was refused at
 * plan (PostgreSQL) where the table had a column `date`.
 */
import { expect } from 'vitest';
import { describeOperation, rejects, rows } from '../helpers/operations.js';
import type { Db } from '../helpers/targets.js';

const q = (db: Db, id: string) => (db.dialect === 'postgres' ? `"${id}"` : `\`${id}\``);
/** The table's indexes by name, its primary key's left out. */
const indexNames = async (db: Db, table: string) =>
  (db.dialect === 'postgres'
    ? await db.query<{ n: string }>(`SELECT indexname AS n FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? ORDER BY 1`, [table])
    : await db.query<{ n: string }>(`SELECT DISTINCT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY 1`, [table])
  )
    .map((r) => r.n)
    .filter((n) => !/^(PRIMARY|notes_pkey)$/.test(n));

describeOperation('addColumn', [
  {
    name: 'up `current_date` on a table with a column `current_date`: every row gets the date, the old version\'s writes too',
    setup: {
      postgres: [`CREATE TABLE visits (id int PRIMARY KEY, "current_date" date)`, `INSERT INTO visits VALUES (1, '2000-01-01'), (2, '2001-01-01')`],
      mysql: ['CREATE TABLE visits (id int PRIMARY KEY, `current_date` date)', `INSERT INTO visits VALUES (1, '2000-01-01'), (2, '2001-01-01')`],
    },
    operations: [{ addColumn: { table: 'visits', column: { name: 'seen', type: 'date' }, up: 'current_date' } }],
    writes: {
      old: {
        postgres: [`INSERT INTO visits (id, "current_date") VALUES (3, '1999-09-09')`, `UPDATE visits SET "current_date" = '1990-01-01' WHERE id = 1`],
        mysql: ["INSERT INTO visits (id, `current_date`) VALUES (3, '1999-09-09')", "UPDATE visits SET `current_date` = '1990-01-01' WHERE id = 1"],
      },
      new: [`INSERT INTO visits VALUES (4, '1998-01-01', '2030-01-01')`],
    },
    async afterStart(db) {
      // CURRENT_DATE is after 2020 whenever this runs; the column's values are all before.
      expect(await rows(db, `SELECT id FROM visits WHERE seen IS NULL OR seen < DATE '2020-01-01' ORDER BY id`)).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM visits`)).toBe(4);
    },
    async afterComplete(db) {
      expect(await rows(db, `SELECT id FROM visits WHERE seen IS NULL OR seen < DATE '2020-01-01' ORDER BY id`)).toEqual([]);
      expect(await rows(db, `SELECT id, CAST(${q(db, 'current_date')} AS char(10)) AS d FROM visits ORDER BY id`)).toEqual([
        { id: '1', d: '1990-01-01' },
        { id: '2', d: '2001-01-01' },
        { id: '3', d: '1999-09-09' },
        { id: '4', d: '1998-01-01' },
      ]);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, CAST(${q(db, 'current_date')} AS char(10)) AS d FROM visits ORDER BY id`)).toEqual([
        { id: '1', d: '1990-01-01' },
        { id: '2', d: '2001-01-01' },
        { id: '3', d: '1999-09-09' },
        { id: '4', d: '1998-01-01' },
      ]);
    },
  },
]);

describeOperation('renameColumn', [
  {
    name: 'rename `desc` where an index orders another column DESC: that index is not the column\'s, and is left alone',
    setup: {
      postgres: [`CREATE TABLE notes (id int PRIMARY KEY, type varchar(20), "desc" varchar(20))`, `CREATE INDEX notes_type_desc ON notes (type DESC)`, `INSERT INTO notes VALUES (1, 'a', 'x')`],
      mysql: ['CREATE TABLE notes (id int PRIMARY KEY, type varchar(20), `desc` varchar(20))', `CREATE INDEX notes_type_desc ON notes (type DESC)`, `INSERT INTO notes VALUES (1, 'a', 'x')`],
    },
    operations: [{ renameColumn: { table: 'notes', from: 'desc', to: 'description' } }],
    writes: {
      old: { postgres: [`INSERT INTO notes (id, type, "desc") VALUES (2, 'b', 'y')`], mysql: ['INSERT INTO notes (id, type, `desc`) VALUES (2, \'b\', \'y\')'] },
      new: [`INSERT INTO notes (id, type, description) VALUES (3, 'c', 'z')`],
    },
    async afterStart(db) {
      expect(await indexNames(db, 'notes')).toEqual(['notes_type_desc']);
    },
    async afterComplete(db) {
      expect(await indexNames(db, 'notes')).toEqual(['notes_type_desc']);
      expect(await rows(db, `SELECT id, type, description FROM notes ORDER BY id`)).toEqual([
        { id: '1', type: 'a', description: 'x' },
        { id: '2', type: 'b', description: 'y' },
        { id: '3', type: 'c', description: 'z' },
      ]);
    },
    async afterRollback(db) {
      expect(await indexNames(db, 'notes')).toEqual(['notes_type_desc']);
      expect(await rows(db, `SELECT id, ${q(db, 'desc')} AS d FROM notes ORDER BY id`)).toEqual([
        { id: '1', d: 'x' },
        { id: '2', d: 'y' },
        { id: '3', d: 'z' },
      ]);
    },
  },
]);

describeOperation('createConstraint', [
  {
    name: 'a check with a typed literal `DATE \'…\'` on a table with a column `date`: the literal is no column',
    setup: {
      postgres: [`CREATE TABLE events (id int PRIMARY KEY, "date" date, starts date)`, `INSERT INTO events VALUES (1, '2001-01-01', '2001-01-01')`],
      mysql: ['CREATE TABLE events (id int PRIMARY KEY, `date` date, starts date)', `INSERT INTO events VALUES (1, '2001-01-01', '2001-01-01')`],
    },
    operations: [{ createConstraint: { table: 'events', name: 'events_starts_check', type: 'check', columns: ['starts'], check: `starts > DATE '2000-01-01'` } }],
    writes: { old: [`INSERT INTO events VALUES (2, '2002-01-01', '2002-01-01')`], new: [`INSERT INTO events VALUES (3, '2003-01-01', '2003-01-01')`] },
    async afterStart(db) {
      expect(await db.count(`SELECT count(*) FROM events`)).toBe(3);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO events VALUES (4, '2004-01-01', '1999-01-01')`);
      await db.query(`INSERT INTO events VALUES (4, '2004-01-01', '2004-01-01')`);
    },
    async afterRollback(db) {
      expect(await db.count(`SELECT count(*) FROM events`)).toBe(3);
    },
  },
]);
