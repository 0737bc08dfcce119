/**
 * A table renamed and its constraints renamed after it, in one migration (Prisma's `@@map`, Rails' `rename_table`,
 * which renames the primary key's index too): refused, "the contract steps of … renameTable name the table and may
 * name its constraints" — but renameTable's contract only drops the old name's view (campaign B, seventeenth
 * session). Taken now, and the old name keeps working for the old version until contract.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, retireLive, setup } from '../helpers/scenario.js';

const TABLES = [
  `CREATE TABLE author (id int PRIMARY KEY)`,
  `INSERT INTO author VALUES (1), (2)`,
  `CREATE TABLE post (id int PRIMARY KEY, author_id int, CONSTRAINT post_author_fkey FOREIGN KEY (author_id) REFERENCES author (id))`,
  `INSERT INTO post VALUES (1, 1)`,
];

for (const target of targets) {
  const pg = target.name === 'postgres';
  const renames = [
    { renameTable: { from: 'post', to: 'article' } },
    ...(pg ? [{ renameConstraint: { table: 'article', from: 'post_pkey', to: 'article_pkey' } }] : []),
    { renameConstraint: { table: 'article', from: 'post_author_fkey', to: 'article_author_fkey' } },
  ];
  /** The constraints of `table` by name, sorted (the primary key's is PRIMARY on MySQL/MariaDB). */
  const constraintNames = async (db: Awaited<ReturnType<typeof setup>>['db'], table: string) =>
    (
      await db.query<{ n: string }>(
        pg ? `SELECT conname AS n FROM pg_constraint WHERE conrelid = to_regclass(?)` : `SELECT CONSTRAINT_NAME AS n FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
        [table],
      )
    )
      .map((r) => r.n)
      .sort();

  target.describe(`renameTable and its constraints renamed in one migration (${target.name})`, () => {
    it('applied; both names take writes meanwhile, the key still holds; contracted, the constraints have their new names', async () => {
      const s = await setup(target, TABLES, 'xc_rtc');
      await s.write('0001_map', ...renames);
      await s.xc.apply();
      await s.db.query(`INSERT INTO post (id, author_id) VALUES (2, 2)`);
      await s.db.query(`INSERT INTO article (id, author_id) VALUES (3, 1)`);
      await expect(s.db.query(`INSERT INTO article (id, author_id) VALUES (4, 9)`)).rejects.toThrow();
      await record(s.xc, '0001_map');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, author_id FROM article ORDER BY id`)).toEqual([{ id: 1, author_id: 1 }, { id: 2, author_id: 2 }, { id: 3, author_id: 1 }]);
      expect(await constraintNames(s.db, 'article')).toEqual(pg ? ['article_author_fkey', 'article_pkey'] : ['PRIMARY', 'article_author_fkey'].sort());
      await expect(s.db.query(`INSERT INTO article (id, author_id) VALUES (4, 9)`)).rejects.toThrow();
    });

    it('rolled back: the table and its constraints have their old names again, rows kept', async () => {
      const s = await setup(target, TABLES, 'xc_rtc');
      await s.write('0001_map', ...renames);
      await s.xc.apply();
      await s.db.query(`INSERT INTO post (id, author_id) VALUES (2, 2)`);
      await retireLive(s.xc);
      await s.xc.rollback();
      expect(await constraintNames(s.db, 'post')).toEqual(pg ? ['post_author_fkey', 'post_pkey'] : ['PRIMARY', 'post_author_fkey'].sort());
      expect(await s.db.count(`SELECT count(*) FROM post`)).toBe(2);
    });
  });
}
