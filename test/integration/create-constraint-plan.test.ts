/**
 * createConstraint: what plan refuses (rows that break the constraint, a second primary key, a name in use, options
 * the server lacks, conversions it cannot make) and what the plan holds (PostgreSQL: no long ACCESS EXCLUSIVE lock at
 * expand); a MySQL/MariaDB primary key stopped at contract by a duplicate. The per-operation cases are in
 * operations/createConstraint.test.ts.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { rejects } from '../helpers/operations.js';
import { targets } from '../helpers/targets.js';
import { refused, rejection, retireLive, setup } from '../helpers/scenario.js';
import { constraints, primaryKey } from '../helpers/constraint-catalog.js';
import { MigrationSchema } from '../../src/migration/schema.js';

const SELLERS = [`CREATE TABLE sellers (name varchar(20), zip int, PRIMARY KEY (name, zip))`, `INSERT INTO sellers VALUES ('alice', 0), ('bob', 10), ('bob', 20)`];

it('the file format: the fields each type takes', () => {
  const issues = (op: unknown) => {
    const r = MigrationSchema.safeParse({ operations: [{ createConstraint: op }] });
    return r.success ? [] : r.error.issues.map((i) => [i.path.slice(3).join('.'), i.message]);
  };
  const base = { table: 't', name: 'c', columns: ['a'] };
  expect(issues({ ...base, type: 'check' })).toEqual([['check', 'a check constraint needs `check`, its expression']]);
  expect(issues({ ...base, type: 'unique', check: 'a > 0' })).toEqual([['check', '`check` belongs to type check, not unique']]);
  expect(issues({ ...base, type: 'foreign_key' })).toEqual([['references', 'a foreign key needs `references`: the table (and columns) it points at']]);
  expect(issues({ ...base, type: 'check', check: 'a > 0', nullsNotDistinct: true, include: ['b'], deferrable: true })).toEqual([
    ['nullsNotDistinct', '`nullsNotDistinct` belongs to type unique, not check'],
    ['include', '`include` belongs to types unique and primary_key, not check'],
    ['deferrable', 'a check constraint cannot be deferrable'],
  ]);
  expect(issues({ ...base, type: 'unique', columns: ['a', 'a'], include: ['a'] })).toEqual([
    ['columns.1', 'column "a" is named twice'],
    ['include.0', 'column "a" is a key column already; `include` adds columns outside the key'],
  ]);
  expect(issues({ ...base, type: 'foreign_key', references: { table: 'p', name: 'x' } })).toEqual([['references.name', "the foreign key is named by the constraint's own `name`"]]);
  expect(issues({ ...base, type: 'unique' })).toEqual([]);
});

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`createConstraint: what plan refuses (${target.name})`, () => {
    it('rows that break it: duplicates, NULLs in a primary key, a failing check, orphans — named, nothing done', async () => {
      const s = await setup(target, [...SELLERS, `CREATE TABLE t (id int, a int, b varchar(20), z int)`, `INSERT INTO t VALUES (1, 5, 'x', 0), (2, 5, 'y', 0), (NULL, 6, 'carol', 7)`], 'xc_cc');
      const op = (o: object) => ({ createConstraint: { table: 't', name: 't_c', ...o } });
      await s.write('0001_c', op({ type: 'unique', columns: ['a'] }));
      await refused(s, ['t'], /operations\[0\]\.createConstraint\.columns: existing rows of "t" share their values of "a", which the unique constraint's index would refuse at expand; remove or change the duplicates first; for example:\n.*a="5"\n.*a="5"$/);
      await s.write('0001_c', op({ type: 'primary_key', columns: ['id'] }));
      await refused(s, ['t'], /createConstraint\.columns: existing rows of "t" hold NULL in "id", which a primary key refuses .*for example:\n  id=NULL$/);
      await s.write('0001_c', op({ type: 'check', columns: ['a'], check: 'a > 5' }));
      await refused(s, ['t'], /createConstraint\.check: existing rows of "t" break the check.*for example:\n.*a="5"\n.*a="5"$/);
      await s.write('0001_c', op({ type: 'foreign_key', columns: ['b', 'z'], references: { table: 'sellers', columns: ['name', 'zip'] } }));
      await refused(s, ['t'], /createConstraint\.columns: existing rows of "t" reference no row of "sellers".*for example:\n  b="x" z="0"\n  b="y" z="0"\n  b="carol" z="7"$/);
      // Once the rows are fixed, the same files go through.
      await s.db.query(`UPDATE t SET a = 4 WHERE id = 1`);
      await s.write('0001_c', op({ type: 'unique', columns: ['a'] }));
      await s.xc.apply();
      expect((await s.db.indexes('t')).map((i) => [i.name, i.unique])).toEqual([['t_c', true]]);
    });

    it('a dedupe backfill reading its table after a backfill that cleans it, then a unique key: noted, not refused, and one apply runs all three (campaign EQ)', async () => {
      const s = await setup(target, [`CREATE TABLE authors (id int PRIMARY KEY, email varchar(40))`, `INSERT INTO authors VALUES (1, '  dup0@b.com'), (2, ' dup0@b.com'), (3, 'x@y')`], 'xc_cc');
      await s.write('0001_clean', { sql: { backfill: { table: 'authors', set: { email: 'lower(trim(email))' }, where: 'email <> lower(trim(email))' } } });
      await s.write('0002_dedupe', { sql: { backfill: { table: 'authors', set: { email: 'NULL' }, where: 'EXISTS (SELECT 1 FROM authors a2 WHERE a2.email = authors.email AND a2.id < authors.id)' } } });
      await s.write('0003_unique', { createConstraint: { table: 'authors', name: 'authors_email_key', type: 'unique', columns: ['email'] } });
      const planned = (await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] };
      // MariaDB: plan cannot read the rows as planned there (not checked); PostgreSQL reads them, and notes them.
      if (pg) expect(planned.migrations.find((m) => m.id === '0003_unique')?.notes).toContainEqual(expect.stringMatching(/share their values of "email".* — but the `sql` backfill of "authors" before it, whose subquery reads "authors" as it is now \(not as the fills planned before it leave it\), applied first, changes rows of "authors": `xc apply` reads them again/));
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, email FROM authors ORDER BY id`)).toEqual([{ id: 1, email: 'dup0@b.com' }, { id: 2, email: null }, { id: 3, email: 'x@y' }]);
      expect((await s.db.indexes('authors')).filter((i) => i.unique).map((i) => i.name)).toContain('authors_email_key');
    });

    it('the same chain with a dedupe that leaves a duplicate: apply stops at the key (exit 2) once the backfills before it ran, which apply reads as done; with the key in the cleanup\'s own migration, plan refuses (campaign ER)', async () => {
      const s = await setup(target, [`CREATE TABLE authors (id int PRIMARY KEY, email varchar(40))`, `INSERT INTO authors VALUES (1, '  dup0@b.com'), (2, ' dup0@b.com'), (3, 'x@y'), (4, ' x@y')`], 'xc_cc');
      const clean = { sql: { backfill: { table: 'authors', set: { email: 'lower(trim(email))' }, where: 'email <> lower(trim(email))' } } };
      const dedupe = { sql: { backfill: { table: 'authors', set: { email: 'NULL' }, where: 'EXISTS (SELECT 1 FROM authors a2 WHERE a2.email = authors.email AND a2.id < authors.id) AND authors.id <> 4' } } };
      const unique = { createConstraint: { table: 'authors', name: 'authors_email_key', type: 'unique', columns: ['email'] } };
      // In one migration the key's index is built at expand, before its backfills: refused, as the rows are now.
      await s.write('0001_all', clean, dedupe, unique);
      await refused(s, ['authors'], /operations\[2\]\.createConstraint\.columns: existing rows of "authors" share their values of "email"/);
      await rm(path.join(s.dir, '0001_all.json'));
      await s.write('0001_clean', clean);
      await s.write('0002_dedupe', dedupe);
      await s.write('0003_unique', unique);
      const err = await rejection(s.xc.apply());
      expect(err.exitCode, err.message).toBe(2);
      expect(err.message).toMatch(/0003_unique\.json: operations\[0\]\.createConstraint\.columns: existing rows of "authors" share their values of "email".*\n.*email="x@y"/);
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_clean', 'backfilled'], ['0002_dedupe', 'backfilled'], ['0003_unique', 'pending']]);
      expect((await s.db.indexes('authors')).map((i) => i.name)).not.toContain('authors_email_key');
      // Fixed, the same apply goes on.
      await s.db.query(`UPDATE authors SET email = NULL WHERE id = 4`);
      await s.xc.apply();
      expect((await s.db.indexes('authors')).map((i) => i.name)).toContain('authors_email_key');
    });

    it('a check whose rows plan cannot read in time (XC_PLAN_ROW_READ_MS) is noted, not waited for: the backfill that removes the duplicates, then the key, in one run (campaign DL: plan ran past 10 minutes)', async () => {
      const s = await setup(target, [`CREATE TABLE customers (id int PRIMARY KEY, email varchar(60) NOT NULL)`], 'xc_cc');
      await s.db.seed('customers', ['id', 'email'], Array.from({ length: 4000 }, (_, i) => [i + 1, `u${i % 3900}@x`]));
      await s.write('0001_dedup', { sql: { backfill: { table: 'customers', set: { email: "CONCAT('d', id, '-', email)" }, where: 'EXISTS (SELECT 1 FROM customers c2 WHERE c2.email = customers.email AND c2.id < customers.id)' } } });
      await s.write('0002_unique', { createConstraint: { table: 'customers', name: 'customers_email_unique', type: 'unique', columns: ['email'] } });
      const notesOf = async () => ((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations.find((m) => m.id === '0002_unique')!.notes ?? [];
      // Read in time: nothing to say (the backfill before it removes the duplicates).
      expect((await notesOf()).join('\n')).not.toMatch(/not read within/);
      process.env.XC_PLAN_ROW_READ_MS = '1';
      try {
        expect(await notesOf()).toContainEqual(expect.stringMatching(/^operations\[0\]\.createConstraint: columns: the rows of "customers" were not read within 0\.001 s \(XC_PLAN_ROW_READ_MS\), so this was not checked: existing rows of "customers" share their values of "email"/));
        await s.xc.apply();
      } finally {
        delete process.env.XC_PLAN_ROW_READ_MS;
      }
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled']);
      expect(await s.db.count(`SELECT count(*) FROM (SELECT email FROM customers GROUP BY email HAVING count(*) > 1) d`)).toBe(0);
      expect(await s.db.count(`SELECT count(*) FROM customers WHERE email LIKE 'd%'`)).toBe(100);
    });

    it('addCheck over a row that breaks it, not read at plan (XC_PLAN_ROW_READ_MS): contract refuses before it starts, naming the row; fixed, it goes through (campaign DO: the server named none, the migration left contracting)', async () => {
      const s = await setup(target, [`CREATE TABLE tc (id int PRIMARY KEY, n int NOT NULL)`], 'xc_cc');
      // The breaking row last: the read stops at the first it finds. MariaDB's statement timer fires late on a loaded box:
      // 1,500 rows, then 40,000 rows, were read within its "1 ms" now and then (a clean-clone run) — 200,000 are not.
      await s.db.seed('tc', ['id', 'n'], Array.from({ length: 200_000 }, (_, i) => [i + 1, i === 199_990 ? -3 : i + 1]));
      await s.write('0001_pos', { addCheck: { table: 'tc', name: 'tc_n_pos', expression: 'n > 0' } });
      process.env.XC_PLAN_ROW_READ_MS = '1';
      try {
        await s.xc.apply();
      } finally {
        delete process.env.XC_PLAN_ROW_READ_MS;
      }
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      const err = await rejection(s.xc.contract());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/id="?199991/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      await s.db.query(`UPDATE tc SET n = 3 WHERE id = 199991`);
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      await expect(s.db.query(`INSERT INTO tc VALUES (9001, -1)`)).rejects.toThrow();
    });

    it('duplicates a migration before it cleans up in its `sql` expand, in one release: noted, not refused, applied in one run; still there when apply reaches it, refused there, the cleanup applied (campaign DD: the whole folder refused)', async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, email varchar(60) NOT NULL)`, `INSERT INTO users VALUES (1, 'a@x'), (2, 'A@X'), (3, 'b@x'), (4, 'c@x'), (5, 'c@x')`], 'xc_cc');
      const unique = { createConstraint: { table: 'users', name: 'users_email_unique', type: 'unique', columns: ['email'] } };
      const dupes = /existing rows of "users" share their values of "email"/;
      // A cleanup that leaves duplicates behind (4 and 5; MariaDB's 1 and 2, equal in its collation, it mends): noted at
      // plan, refused when apply reaches the key.
      await s.write('0001_cleanup', { sql: { expand: `UPDATE users SET email = 'z@x' WHERE id = 2`, rollback: 'SELECT 1' } });
      await s.write('0002_unique', unique);
      const notes = ((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations.find((m) => m.id === '0002_unique')!.notes ?? [];
      expect(notes).toEqual([expect.stringMatching(/^operations\[0\]\.createConstraint: columns: existing rows of "users" share their values of "email"[^]* — but 0001_cleanup \(operations\[0\]\), applied first, changes rows of "users": `xc apply` reads them again when it reaches this migration/)]);
      const err = await rejection(s.xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(dupes);
      expect((await s.xc.status()).migrations.map((m) => [m.id, m.phase])).toEqual([['0001_cleanup', 'backfilled'], ['0002_unique', 'pending']]);
      // A cleanup that removes them, before the key: one run. On PostgreSQL as TypeORM users write it, a data-modifying
      // WITH (campaign DS: read as changing no row, the folder was refused).
      const cleanup = target.name === 'postgres' ? `WITH d AS (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY email ORDER BY id) rn FROM users) s WHERE rn > 1) DELETE FROM ONLY public.users WHERE id IN (SELECT id FROM d)` : `DELETE FROM users WHERE id = 5`;
      await s.write('0002_unique', { sql: { expand: cleanup, rollback: 'SELECT 1' } });
      await s.write('0003_unique', unique);
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled', 'backfilled']);
      expect(await s.db.query(`SELECT id, email FROM users ORDER BY id`)).toEqual([{ id: 1, email: 'a@x' }, { id: 2, email: 'z@x' }, { id: 3, email: 'b@x' }, { id: 4, email: 'c@x' }]);
      await expect(s.db.query(`INSERT INTO users VALUES (9, 'b@x')`)).rejects.toThrow();
    });

    it('a second primary key, a name in use, an unknown column, a parent key that is not unique; up and down that convert', async () => {
      const s = await setup(target, [...SELLERS, `CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(20), z int)`, `CREATE INDEX t_a_idx ON t (a)`, `ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0)`], 'xc_cc');
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_pk2', type: 'primary_key', columns: ['a'] } });
      await refused(s, ['t'], /createConstraint\.type: table "t" already has a primary key \("(t_pkey|PRIMARY)" over "id"\); drop it first/);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_a_check', type: 'unique', columns: ['a'] } });
      await refused(s, ['t'], /createConstraint\.name: table "t" already has a constraint "t_a_check"/);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_a_idx', type: 'unique', columns: ['a'] } });
      await refused(s, ['t'], /createConstraint\.name: index "t_a_idx" on "t" already exists; give the constraint another name/);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_u', type: 'unique', columns: ['a', 'nope'] } });
      await refused(s, ['t'], /createConstraint\.columns\[1\]: table "t" has no column "nope"/);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_fk', type: 'foreign_key', columns: ['z'], references: { table: 'sellers', columns: ['zip'] } } });
      await refused(s, ['t'], /createConstraint\.references\.columns: columns "zip" of "sellers" are not its primary key or a unique index/);
      // A check's `up` converts through a shadow column: not a key column's, and the rows must meet the check as converted.
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_ck', type: 'check', columns: ['id'], check: 'id > 0', up: { id: 'abs(id)' } } });
      await refused(s, ['t'], /createConstraint\.up\.id: "t"\."id" is part of the primary key; changing a key column online is not supported/);
      await s.db.query(`INSERT INTO t (id, a) VALUES (1, 5), (2, 5), (3, 9)`);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_ck', type: 'check', columns: ['a'], check: 'a > 5', up: { a: 'a - 1' } } });
      await refused(s, ['t'], /createConstraint\.up: existing rows of "t" break the check even as `up` converts them, so the backfill would stop on them; make `up` give values that meet it, or fix those rows first; for example:\n  id="?1"? a="?5"?\n  id="?2"? a="?5"?$/);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_u', type: 'unique', columns: ['a'], up: { a: 'a - (a % 5)' } } });
      await refused(s, ['t'], /createConstraint\.up\.a: existing rows of "t" share the value `up` gives them, which the unique constraint would refuse as the backfill converts them.*; for example:\n  id="?1"? a="?5"?\n  id="?2"? a="?5"?\n  id="?3"? a="?9"?$/);
      await s.write('0001_c', { createConstraint: { table: 't', name: 't_u', type: 'unique', columns: ['a', 'b'], up: { a: 'a + 1', z: 'z' }, down: { a: 'a - 1' } } });
      await refused(
        s,
        ['t'],
        /createConstraint\.up\.a: `up` converting "a" is not supported here: a unique constraint over several columns converts nothing here \(only a check, or a unique constraint over one column, does.*Give `a` itself \(no conversion\) or leave `up` out.*\n.*createConstraint\.up\.z: "z" is none of the constraint's columns \("a", "b"\); `up` names only those\n.*createConstraint\.down\.a: `down` converting "a" is not supported here: no version writes a copy of "a"/,
      );
    });

    it('a primary key over NOT NULL columns: a duplicate written during dual-write is refused at once (PostgreSQL) or stops the contract, changing nothing, until removed (MySQL/MariaDB)', async () => {
      const s = await setup(target, [`CREATE TABLE m (org int NOT NULL, member int NOT NULL)`, `INSERT INTO m VALUES (1, 1), (1, 2)`], 'xc_cc');
      await s.write('0001_pk', { createConstraint: { table: 'm', name: 'm_pk', type: 'primary_key', columns: ['org', 'member'] } });
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      if (pg) {
        await rejects(s.db, `INSERT INTO m VALUES (1, 2)`);
      } else {
        await s.db.query(`INSERT INTO m VALUES (1, 2)`);
        const err = await s.xc.contract().then(() => null, (e: Error) => e);
        expect(err?.message).toMatch(/Duplicate entry '1-2'/);
        expect(await primaryKey(s.db, 'm')).toEqual([]);
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracting']);
        await s.db.query(`DELETE FROM m WHERE org = 1 AND member = 2 LIMIT 1`);
      }
      await s.xc.contract();
      expect(await primaryKey(s.db, 'm')).toEqual(['org', 'member']);
      expect(await s.db.count(`SELECT count(*) FROM m`)).toBe(2);
    });

    if (!pg) {
      it('MySQL/MariaDB: a contract stopped by a duplicate primary key can still be rolled back, leaving the table as it was', async () => {
        const s = await setup(target, [`CREATE TABLE m (org int NOT NULL, member int NOT NULL)`, `INSERT INTO m VALUES (1, 1), (1, 2)`], 'xc_cc');
        await s.write('0001_pk', { createConstraint: { table: 'm', name: 'm_pk', type: 'primary_key', columns: ['org', 'member'] } });
        await s.xc.apply();
        await s.xc.deploy.record({ app: 'shop', version: 'v2' });
        await s.db.query(`INSERT INTO m VALUES (1, 2)`);
        await expect(s.xc.contract()).rejects.toThrow(/Duplicate entry '1-2'/);
        await retireLive(s.xc);
        await s.xc.rollback();
        expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
        expect(await primaryKey(s.db, 'm')).toEqual([]);
        expect(await s.db.indexes('m')).toEqual([]);
        expect(await s.db.count(`SELECT count(*) FROM m`)).toBe(3);
      });
    }

    it(pg ? 'PostgreSQL: include and nullsNotDistinct pass; the expand takes no long ACCESS EXCLUSIVE lock' : 'MySQL/MariaDB: include, nullsNotDistinct, deferrable and match full are refused, saying why', async () => {
      const s = await setup(target, [...SELLERS, `CREATE TABLE t (id int, a int, b varchar(20), z int)`], 'xc_cc');
      const ops = [
        { createConstraint: { table: 't', name: 't_u', type: 'unique', columns: ['a'], include: ['id'], nullsNotDistinct: true } },
        { createConstraint: { table: 't', name: 't_fk', type: 'foreign_key', columns: ['b', 'z'], references: { table: 'sellers', matchType: 'full', deferrable: true } } },
        { createConstraint: { table: 't', name: 't_ck', type: 'check', columns: ['a'], check: 'a > 0' } },
        { createConstraint: { table: 't', name: 't_pkey', type: 'primary_key', columns: ['id'] } },
      ];
      await s.write('0001_c', ...ops);
      if (!pg) {
        await refused(
          s,
          ['t'],
          new RegExp(
            [
              /operations\[0\]\.createConstraint\.include: include is not available on this database: MySQL\/MariaDB indexes have no INCLUDE columns/,
              /operations\[0\]\.createConstraint\.nullsNotDistinct: nullsNotDistinct is not available on this database: MySQL\/MariaDB unique keys always treat NULLs as distinct/,
              /operations\[1\]\.createConstraint\.references\.deferrable: deferrable is not available on this database: .*none is DEFERRABLE/,
              /operations\[1\]\.createConstraint\.references\.matchType: matchType full is not available on this database: MySQL\/MariaDB parse MATCH FULL\/PARTIAL and ignore it/,
            ]
              .map((r) => r.source)
              .join('(.|\\n)*'),
          ),
        );
        return;
      }
      const plan = await s.xc.plan();
      const expand = plan.migrations[0]!.pending.find((p) => p.phase === 'expand')!.steps;
      expect(expand.map((st) => st.description)).toEqual([
        'build unique index "t_u" on "t"',
        'add foreign key "t_fk" on "t" for new writes (not validated yet)',
        'add check "t_ck" on "t" for new writes (not validated yet)',
        expect.stringMatching(/^check "t"\."id" IS NOT NULL for new writes/),
        'build unique index "t_pkey" on "t"',
      ]);
      // Index builds take SHARE UPDATE EXCLUSIVE (writes go on); an ACCESS EXCLUSIVE lock only for a catalog change.
      for (const st of expand) expect(st.lock).toMatch(/^SHARE UPDATE EXCLUSIVE .*reads and writes continue|^(ACCESS EXCLUSIVE|SHARE ROW EXCLUSIVE) on .*\(catalog only, instant\)$/);
      expect(expand.filter((st) => /^SHARE UPDATE EXCLUSIVE/.test(st.lock)).map((st) => st.sql)).toEqual([
        'CREATE UNIQUE INDEX CONCURRENTLY "t_u" ON "t" ("a") INCLUDE ("id") NULLS NOT DISTINCT',
        'CREATE UNIQUE INDEX CONCURRENTLY "t_pkey" ON "t" ("id")',
      ]);
      const contract = plan.migrations[0]!.pending.find((p) => p.phase === 'contract')!.steps.map((st) => st.sql);
      expect(contract).toContain('ALTER TABLE "t" ADD CONSTRAINT "t_u" UNIQUE USING INDEX "t_u"');
      expect(contract.at(-1)).toBe('ALTER TABLE "t" ADD CONSTRAINT "t_pkey" PRIMARY KEY USING INDEX "t_pkey"');
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      await s.xc.contract();
      expect(await constraints(s.db, 't')).toEqual([
        't_ck CHECK ((a > 0))',
        't_fk FOREIGN KEY (b, z) REFERENCES sellers(name, zip) MATCH FULL DEFERRABLE',
        't_pkey PRIMARY KEY (id)',
        't_u UNIQUE NULLS NOT DISTINCT (a) INCLUDE (id)',
      ]);
    });
  });
}
