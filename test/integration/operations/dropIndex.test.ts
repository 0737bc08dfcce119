/** dropIndex: nothing at expand (the old version may rely on it); dropped at contract without blocking writes; nothing to undo at rollback. */
import { expect } from 'vitest';
import { describeOperation, rejects } from '../../helpers/operations.js';

describeOperation('dropIndex', [
  {
    name: 'a unique index the old version relies on: enforced until contract',
    // MySQL/MariaDB list every unique index as a constraint too: dropIndex drops it there as on PostgreSQL.
    setup: [`CREATE TABLE users (id int PRIMARY KEY, email varchar(50))`, `CREATE UNIQUE INDEX users_email_uq ON users (email)`, `INSERT INTO users VALUES (1, 'a@x')`],
    operations: [{ dropIndex: { table: 'users', name: 'users_email_uq' } }],
    writes: { old: [`INSERT INTO users VALUES (2, 'b@x')`], new: [`INSERT INTO users VALUES (3, 'c@x')`] },
    async afterStart(db) {
      expect(await db.indexes('users')).toEqual([{ name: 'users_email_uq', columns: ['email'], unique: true }]);
      await rejects(db, `INSERT INTO users VALUES (4, 'a@x')`);
    },
    async afterComplete(db) {
      expect(await db.indexes('users')).toEqual([]);
      await db.query(`INSERT INTO users VALUES (4, 'a@x')`);
      expect(await db.count(`SELECT count(*) FROM users WHERE email = 'a@x'`)).toBe(2);
    },
    async afterRollback(db) {
      await rejects(db, `INSERT INTO users VALUES (4, 'a@x')`);
      expect(await db.count(`SELECT count(*) FROM users`)).toBe(3);
    },
  },
  {
    name: 'a plain index on two columns',
    setup: [`CREATE TABLE events (id int PRIMARY KEY, kind varchar(10), at_day int)`, `CREATE INDEX events_kind_day ON events (kind, at_day)`, `INSERT INTO events VALUES (1, 'a', 1)`],
    operations: [{ dropIndex: { table: 'events', name: 'events_kind_day' } }],
    writes: { old: [`INSERT INTO events VALUES (2, 'a', 1)`], new: [`UPDATE events SET at_day = 2 WHERE id = 1`] },
    async afterStart(db) {
      expect((await db.indexes('events')).map((i) => i.name)).toEqual(['events_kind_day']);
    },
    async afterComplete(db) {
      expect(await db.indexes('events')).toEqual([]);
      expect(await db.count(`SELECT count(*) FROM events WHERE kind = 'a'`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await db.indexes('events')).toEqual([{ name: 'events_kind_day', columns: ['kind', 'at_day'], unique: false }]);
    },
  },
]);
