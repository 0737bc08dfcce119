/**
 * pgroll's own test cases (`pkg/migrations/*_test.go`), translated by two helpers of the sixteenth session (campaigns
 * pgrollA and pgrollB): the sequences among them xc got wrong, each a regression test shown to fail before its fix.
 * (A table renamed earlier in the plan: renamed-in-plan.test.ts.)
 *
 * A check over two columns, both renamed (pgroll's duplicate_test "multi-column check constraint with multiple
 * columns duplicated"), or one renamed and the other changed: the first copy's projection moved the check's columns
 * to the new name but not its text, so the second carried `name <> nickname` — its contract failed after the old
 * column was dropped, the migration left `contracting` with its rollback refused; the change of type was refused
 * at plan ("column lo does not exist").
 */
import { expect } from 'vitest';
import { describeCases, rejects, rows } from '../helpers/operations.js';

const PEOPLE = [`CREATE TABLE people (id int PRIMARY KEY, name varchar(50), nick varchar(50), CONSTRAINT different_nick CHECK (name <> nick))`, `INSERT INTO people VALUES (1, 'ann', 'a')`];
const RANGES = [`CREATE TABLE ranges (id int PRIMARY KEY, lo int, hi int, CONSTRAINT lo_le_hi CHECK (lo <= hi))`, `INSERT INTO ranges VALUES (1, 1, 2)`];

describeCases('pgroll test cases: a check over two columns, both changed', [
  {
    name: 'both columns of a check renamed in one migration: the check holds under the new names, data kept',
    setup: PEOPLE,
    operations: [{ renameColumn: { table: 'people', from: 'name', to: 'first_name' } }, { renameColumn: { table: 'people', from: 'nick', to: 'nickname' } }],
    writes: { old: [`INSERT INTO people (id, name, nick) VALUES (2, 'bob', 'b')`, `UPDATE people SET nick = 'bobby' WHERE id = 2`], new: [`INSERT INTO people (id, first_name, nickname) VALUES (3, 'cy', 'c')`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO people (id, first_name, nickname) VALUES (4, 'dee', 'dee')`);
      await rejects(db, `INSERT INTO people (id, name, nick) VALUES (4, 'dee', 'dee')`);
    },
    async afterComplete(db) {
      expect(await rows(db, `SELECT id, first_name, nickname FROM people ORDER BY id`)).toEqual([
        { id: '1', first_name: 'ann', nickname: 'a' },
        { id: '2', first_name: 'bob', nickname: 'bobby' },
        { id: '3', first_name: 'cy', nickname: 'c' },
      ]);
      await rejects(db, `INSERT INTO people (id, first_name, nickname) VALUES (4, 'dee', 'dee')`);
      await rejects(db, `UPDATE people SET nickname = first_name WHERE id = 1`);
      expect((await db.columns('people')).map((c) => c.name).sort()).toEqual(['first_name', 'id', 'nickname']);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, name, nick FROM people ORDER BY id`)).toEqual([
        { id: '1', name: 'ann', nick: 'a' },
        { id: '2', name: 'bob', nick: 'bobby' },
        { id: '3', name: 'cy', nick: 'c' },
      ]);
    },
  },
  {
    name: 'both columns of a check renamed by two migrations in flight: each contract holds the check',
    setup: RANGES,
    migrations: [[{ renameColumn: { table: 'ranges', from: 'lo', to: 'low' } }], [{ renameColumn: { table: 'ranges', from: 'hi', to: 'high' } }]],
    writes: { old: [`INSERT INTO ranges (id, lo, hi) VALUES (2, 3, 4)`], new: [`INSERT INTO ranges (id, low, high) VALUES (3, 5, 6)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO ranges (id, low, high) VALUES (4, 9, 8)`);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO ranges (id, low, high) VALUES (4, 9, 8)`);
      expect(await rows(db, `SELECT id, low, high FROM ranges ORDER BY id`)).toEqual([
        { id: '1', low: '1', high: '2' },
        { id: '2', low: '3', high: '4' },
        { id: '3', low: '5', high: '6' },
      ]);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, lo, hi FROM ranges ORDER BY id`)).toEqual([
        { id: '1', lo: '1', hi: '2' },
        { id: '2', lo: '3', hi: '4' },
        { id: '3', lo: '5', hi: '6' },
      ]);
    },
  },
  {
    name: 'one column of a check renamed, the other changed in place: planned (was refused: "column lo does not exist"), the check holds',
    setup: RANGES,
    operations: [{ renameColumn: { table: 'ranges', from: 'lo', to: 'low' } }, { alterColumn: { table: 'ranges', column: 'hi', type: 'bigint' } }],
    writes: { old: [`INSERT INTO ranges (id, lo, hi) VALUES (2, 3, 4)`], new: [`INSERT INTO ranges (id, low, hi) VALUES (3, 5, 6)`] },
    async afterStart(db) {
      await rejects(db, `INSERT INTO ranges (id, low, hi) VALUES (4, 9, 8)`);
    },
    async afterComplete(db) {
      await rejects(db, `INSERT INTO ranges (id, low, hi) VALUES (4, 9, 8)`);
      await db.query(`INSERT INTO ranges (id, low, hi) VALUES (4, 1, 5000000000)`);
      expect(await rows(db, `SELECT id, low, hi FROM ranges ORDER BY id`)).toEqual([
        { id: '1', low: '1', hi: '2' },
        { id: '2', low: '3', hi: '4' },
        { id: '3', low: '5', hi: '6' },
        { id: '4', low: '1', hi: '5000000000' },
      ]);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, lo, hi FROM ranges ORDER BY id`)).toEqual([
        { id: '1', lo: '1', hi: '2' },
        { id: '2', lo: '3', hi: '4' },
        { id: '3', lo: '5', hi: '6' },
      ]);
    },
  },
]);
