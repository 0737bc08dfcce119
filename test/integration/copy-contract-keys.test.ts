/**
 * A column copy's foreign keys and checks at contract (a campaign finding):
 * the old column's drop takes them along, and the new column must have them
 * from that moment, not several steps later. Between the two, the new
 * version's writes went unchecked — an orphan accepted, an ON DELETE CASCADE
 * not cascading — and the contract then failed for good (old column gone).
 *
 * The window is made certain as the finding's repros did: once an old column
 * is gone, a session holds a lock the contract's next steps wait for
 * (PostgreSQL: SHARE UPDATE EXCLUSIVE, as autovacuum or ANALYZE take;
 * MariaDB: a metadata lock, as any open transaction that read the table),
 * and the new version writes meanwhile.
 */
import { expect, it } from 'vitest';
import { targets, type Db } from '../helpers/targets.js';
import type { Queryable } from '../helpers/writers.js';
import { Writer } from '../helpers/writers.js';
import { runXcKillingAt } from '../helpers/cli.js';
import { record, setup, type Setup } from '../helpers/scenario.js';

const AUTHORS = 400;
const POSTS = 4000;

for (const target of targets) {
  target.describe(`a copied column's keys and checks at contract (${target.name})`, () => {
    const pg = target.name === 'postgres';

    /** `checkFirst`: the checked column's copy is contracted first (each gap shows on its own: the first one stopped the contract). */
    async function scenario(checkFirst = false): Promise<Setup> {
      const s = await setup(
        target,
        pg
          ? [
              `CREATE TABLE authors (id int PRIMARY KEY)`,
              `CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL, views int NOT NULL DEFAULT 0,
                 CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) ON DELETE CASCADE,
                 CONSTRAINT posts_views_check CHECK (views >= 0))`,
              `CREATE INDEX posts_author_idx ON posts (author_id)`,
              `INSERT INTO authors SELECT g FROM generate_series(1, ${AUTHORS}) g`,
              `INSERT INTO posts SELECT g, 1 + g % ${AUTHORS}, g % 7 FROM generate_series(1, ${POSTS}) g`,
            ]
          : [
              `CREATE TABLE authors (id int PRIMARY KEY)`,
              `CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL, views int NOT NULL DEFAULT 0, INDEX posts_author_idx (author_id),
                 CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) ON DELETE CASCADE,
                 CONSTRAINT posts_views_check CHECK (views >= 0))`,
              `INSERT INTO authors SELECT seq FROM seq_1_to_${AUTHORS}`,
              `INSERT INTO posts SELECT seq, 1 + seq % ${AUTHORS}, seq % 7 FROM seq_1_to_${POSTS}`,
            ],
        'xc_copykeys',
      );
      const renames = [{ renameColumn: { table: 'posts', from: 'author_id', to: 'writer_id' } }, { renameColumn: { table: 'posts', from: 'views', to: 'hits' } }];
      await s.write('0001_rename', ...(checkFirst ? renames.reverse() : renames));
      return s;
    }

    const gone = async (db: Db, column: string) =>
      (await db.count(
        pg ? `SELECT count(*) FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attname = ? AND NOT attisdropped` : `SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'posts' AND column_name = ?`,
        [column],
      )) === 0;

    /** What the new version tries while the contract runs: each refused or accepted. */
    async function tryBreaking(app: Queryable, db: Db, n: number): Promise<Record<string, string | number>> {
      const outcome = async (sql: string, params: unknown[]) => app.query(sql, params).then(() => 'accepted', () => 'refused');
      const deleted = 10 + n;
      await app.query(`DELETE FROM authors WHERE id = ?`, [deleted]);
      return {
        orphanInsert: await outcome(`INSERT INTO posts (id, writer_id, hits) VALUES (?, 999999, 1)`, [900000 + 10 * n]),
        checkInsert: await outcome(`INSERT INTO posts (id, writer_id, hits) VALUES (?, 1, -5)`, [900001 + 10 * n]),
        orphanUpdate: await outcome(`UPDATE posts SET writer_id = 999999 WHERE id = ?`, [100 + n]),
        checkUpdate: await outcome(`UPDATE posts SET hits = -1 WHERE id = ?`, [200 + n]),
        notCascaded: await db.count(`SELECT count(*) FROM posts WHERE writer_id = ?`, [deleted]),
      };
    }

    /**
     * Once `column` is gone: hold the lock the contract's next step waits for, for `holdMs`, and let the new version
     * write meanwhile. Returns what it could do.
     */
    async function windowAfterDropOf(db: Db, column: string, n: number, ended: () => boolean, holdMs = 3000): Promise<Record<string, string | number>> {
      const holder = await db.connection();
      const app = await db.connection();
      while (!(await gone(db, column))) {
        if (ended()) return { [column]: 'the contract ended with the column still there' };
        await new Promise((r) => setTimeout(r, 2));
      }
      await holder.query(pg ? 'BEGIN' : 'START TRANSACTION');
      await holder.query(pg ? 'LOCK TABLE posts IN SHARE UPDATE EXCLUSIVE MODE' : 'SELECT 1 FROM posts LIMIT 1');
      const seen = await tryBreaking(app, db, n);
      await new Promise((r) => setTimeout(r, holdMs));
      await holder.query('COMMIT');
      return seen;
    }

    const refusedAll = { orphanInsert: 'refused', checkInsert: 'refused', orphanUpdate: 'refused', checkUpdate: 'refused', notCascaded: 0 };

    async function expectFinalShape(s: Setup): Promise<void> {
      const { db } = s;
      // No orphan, no row breaking the check, whoever wrote it.
      expect(await db.count(`SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM authors a WHERE a.id = p.writer_id)`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM posts WHERE hits < 0`)).toBe(0);
      if (pg) {
        const rows = await db.query<{ name: string; def: string; validated: boolean }>(
          `SELECT conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS validated FROM pg_constraint WHERE conrelid = 'posts'::regclass AND contype IN ('f', 'c') ORDER BY conname`,
        );
        expect(rows).toEqual([
          { name: 'posts_author_fk', def: 'FOREIGN KEY (writer_id) REFERENCES authors(id) ON DELETE CASCADE', validated: true },
          { name: 'posts_views_check', def: 'CHECK ((hits >= 0))', validated: true },
        ]);
      } else {
        const keys = await db.query<Record<string, string>>(
          `SELECT r.constraint_name AS name, k.column_name AS col, r.referenced_table_name AS parent, r.delete_rule AS on_delete, r.update_rule AS on_update
             FROM information_schema.referential_constraints r JOIN information_schema.key_column_usage k ON k.constraint_schema = r.constraint_schema AND k.constraint_name = r.constraint_name AND k.table_name = r.table_name
            WHERE r.constraint_schema = DATABASE() AND r.table_name = 'posts'`,
        );
        expect(keys).toEqual([{ name: 'posts_author_fk', col: 'writer_id', parent: 'authors', on_delete: 'CASCADE', on_update: 'RESTRICT' }]);
        // The check, as xc enforces it here: one trigger pair under its own name, no temporary one left.
        const checks = await db.checks('posts');
        expect(checks).toHaveLength(1);
        expect(checks[0]).toMatch(/`hits` >= 0[\s\S]*posts_views_check/);
        expect((await db.triggers()).filter((t) => t.startsWith('xc_'))).toHaveLength(2);
      }
      await expect(db.query(`INSERT INTO posts (id, writer_id, hits) VALUES (990001, 999999, 0)`)).rejects.toThrow(/posts_author_fk/);
      await expect(db.query(`INSERT INTO posts (id, writer_id, hits) VALUES (990002, 1, -1)`)).rejects.toThrow(/posts_views_check/);
    }

    it.each([
      ['the key', false],
      ['the check', true],
    ])('no write of the new version escapes the foreign key or the check while the contract carries them over (%s first)', async (_, checkFirst) => {
      const s = await scenario(checkFirst);
      await s.xc.apply();
      await record(s.xc, '0001_rename');

      // The new version keeps trying throughout: orphans, rows breaking the check, parents deleted, and rows that are fine.
      const writer = new Writer(await s.db.connection(), (i) => {
        const id = 1_000_000 + i;
        switch (i % 4) {
          case 0:
            return { sql: `INSERT INTO posts (id, writer_id, hits) VALUES (?, 999999, 1)`, params: [id] };
          case 1:
            return { sql: `INSERT INTO posts (id, writer_id, hits) VALUES (?, 1, -5)`, params: [id] };
          case 2:
            return { sql: `DELETE FROM authors WHERE id = ?`, params: [300 + ((i >> 2) % 100)] };
          default:
            return { sql: `INSERT INTO posts (id, writer_id, hits) VALUES (?, 2, 1)`, params: [id] };
        }
      }).start();
      let contracted: unknown;
      const ended = () => contracted !== undefined;
      const columns = checkFirst ? ['views', 'author_id'] : ['author_id', 'views'];
      const windows = (async () => [await windowAfterDropOf(s.db, columns[0]!, 0, ended), await windowAfterDropOf(s.db, columns[1]!, 1, ended)])();
      try {
        await s.xc.contract();
        contracted = true;
      } catch (err) {
        contracted = (err as Error).message;
      }
      const seen = await windows;
      await writer.stop();

      expect(seen).toEqual([refusedAll, refusedAll]);
      expect(contracted).toBe(true);
      // Every orphan and every row breaking the check was refused; the rows that were fine went in.
      expect(await s.db.count(`SELECT count(*) FROM posts WHERE id >= 1000000 AND (id - 1000000) % 4 IN (0, 1)`)).toBe(0);
      expect(await s.db.count(`SELECT count(*) FROM posts WHERE id >= 1000000 AND (id - 1000000) % 4 = 3`)).toBeGreaterThan(0);
      await expectFinalShape(s);
    });

    it('a contract killed between the key over the new column and its rename converges when run again, enforcing the key meanwhile', async () => {
      const s = await scenario();
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const args = ['contract', '--url', s.db.url, '--dir', s.dir];
      // MySQL/MariaDB: after the key under its temporary name, before its rename (the old column's drop, under one lock
      // with the trigger's removal); PostgreSQL: before its validation.
      const at = pg ? /^validate constraint "posts_author_fk"/ : /drop column `posts`\.`author_id`/;
      const killed = await runXcKillingAt(args, (e) => e.event === 'step' && at.test(String(e.description)));
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      // Meanwhile the new version: an orphan and a parent delete.
      await expect(s.db.query(`INSERT INTO posts (id, writer_id, hits) VALUES (900001, 999999, 0)`)).rejects.toThrow();
      await s.db.query(`DELETE FROM authors WHERE id = 9`);
      expect(await s.db.count(`SELECT count(*) FROM posts WHERE writer_id = 9`)).toBe(0);
      const again = await runXcKillingAt(args);
      expect(again.code, again.stderr).toBe(0);
      expect((await s.xc.status()).migrations.find((m) => m.id === '0001_rename')?.phase).toBe('contracted');
      await expectFinalShape(s);
    });
  });
}
