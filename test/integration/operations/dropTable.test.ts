/** dropTable: nothing at expand (the old version keeps writing it); dropped at contract; nothing to undo at rollback. */
import { expect } from 'vitest';
import { describeOperation, rejects, rows } from '../../helpers/operations.js';

describeOperation('dropTable', [
  {
    name: 'with a foreign key of its own: the old version writes it until contract, the table it references stays',
    setup: [
      `CREATE TABLE users (id int PRIMARY KEY)`,
      `CREATE TABLE legacy_notes (id int PRIMARY KEY, user_id int REFERENCES users (id), note varchar(20) NOT NULL DEFAULT 'n')`,
      `CREATE INDEX legacy_notes_note ON legacy_notes (note)`,
      `INSERT INTO users VALUES (1), (2)`,
      `INSERT INTO legacy_notes VALUES (1, 1, 'a')`,
    ],
    operations: [{ dropTable: { table: 'legacy_notes' } }],
    writes: { old: [`INSERT INTO legacy_notes (id, user_id) VALUES (2, 2)`, `UPDATE legacy_notes SET note = 'b' WHERE id = 1`], new: [`INSERT INTO users VALUES (3)`] },
    async afterStart(db) {
      expect(await rows(db, `SELECT id, user_id, note FROM legacy_notes ORDER BY id`)).toEqual([
        { id: '1', user_id: '1', note: 'b' },
        { id: '2', user_id: '2', note: 'n' },
      ]);
      await rejects(db, `INSERT INTO legacy_notes (id, user_id) VALUES (3, 99)`);
    },
    async afterComplete(db) {
      await rejects(db, `SELECT count(*) FROM legacy_notes`);
      // Nothing points at users any more: a user goes without a note in the way.
      await db.query(`DELETE FROM users WHERE id = 1`);
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await rows(db, `SELECT id, user_id, note FROM legacy_notes ORDER BY id`)).toEqual([
        { id: '1', user_id: '1', note: 'b' },
        { id: '2', user_id: '2', note: 'n' },
      ]);
      await rejects(db, `DELETE FROM users WHERE id = 1`);
    },
  },
]);
