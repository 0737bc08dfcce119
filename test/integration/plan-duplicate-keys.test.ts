/**
 * Plan's duplicate-key row checks (operations/common.ts, sharedKeyViolation): every key is computed once, grouped in
 * a derived table the server materializes. Written as `(k) IN (SELECT k FROM t GROUP BY k HAVING count(*) > 1)`,
 * MariaDB ran an `up` key as a dependent subquery, computing it N² times: a Prisma-style slug on 3,000 rows took
 * 35 s, and a plan on a real table sat for minutes (campaign AA). Shown by the query plan, not by a time.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, setup } from '../helpers/scenario.js';
import { operation } from '../../src/operations/index.js';
import { PostgresDialect } from '../../src/dialects/postgres/index.js';
import { MysqlDialect } from '../../src/dialects/mysql/index.js';
import { SchemaModel } from '../../src/schema/model.js';
import type { Dialect } from '../../src/dialects/dialect.js';

for (const target of targets) {
  target.describe(`duplicate keys found at plan (${target.name})`, () => {
    it('a unique column filled by an expression `up`: its duplicates named, each row\'s key computed once (no dependent subquery), `posts.title` naming the grouped row inside', async () => {
      const pg = target.name === 'postgres';
      const s = await setup(target, [`CREATE TABLE posts (id int PRIMARY KEY, title varchar(100) NOT NULL)`], 'xc_dupkeys');
      await s.db.query(pg ? `INSERT INTO posts SELECT g, 'Seed title ' || g || ' Hello' FROM generate_series(1, 3000) g` : `INSERT INTO posts SELECT seq, concat('Seed title ', seq, ' Hello') FROM seq_1_to_3000`);
      await s.db.query(`INSERT INTO posts VALUES (3001, 'Seed  title 7 hello'), (3002, 'x')`);
      const up = pg ? `lower(regexp_replace(posts.title, '[^a-zA-Z0-9]+', '-', 'g'))` : `lower(regexp_replace(posts.title, '[^a-zA-Z0-9]+', '-'))`;
      const spec = { table: 'posts', column: { name: 'slug', type: 'varchar(120)', nullable: false, unique: true }, up };
      await s.write('0001_slug', { addColumn: spec });
      // The rows are shown by the column `up` reads, named through its table as bare.
      await refused(s, ['posts'], /operations\[0\]\.addColumn\.up: `up` gives existing rows of "posts" the same value[^]*id="7" title="Seed title 7 Hello"\n  id="3001" title="Seed  title 7 hello"$/);

      const dialect: Dialect = pg ? new PostgresDialect({ concurrentIndexes: true }) : new MysqlDialect('10.11.0-MariaDB');
      const model = SchemaModel.of([{ name: 'posts', kind: 'table', columns: [{ name: 'id', type: 'int', nullable: false }, { name: 'title', type: 'varchar(100)', nullable: false }], indexes: [], constraints: [] }] as never);
      const check = operation('addColumn').rowChecks!(spec as never, { dialect, model, expr: (e) => dialect.resolveExpr(e) }).find((c) => c.message.includes('the same value'));
      const plan = await s.db.query<Record<string, unknown>>(`EXPLAIN SELECT id FROM posts WHERE ${check!.violation}`);
      const text = plan.map((r) => Object.values(r).join(' ')).join('\n');
      expect(text).not.toMatch(/DEPENDENT SUBQUERY|(?<!hashed )SubPlan/);
    });

    it('campaign AO: the rows shown for duplicates come beside the rows they clash with (were: the first five by the server\'s order, none of their twins)', async () => {
      const s = await setup(target, [`CREATE TABLE tags (id int PRIMARY KEY, name varchar(20) NOT NULL)`, ...Array.from({ length: 8 }, (_, i) => `INSERT INTO tags VALUES (${i + 1}, 't${i + 1}'), (${i + 1001}, 't${8 - i}')`)], 'xc_dupkeys');
      const pairs = /id="1" name="t1"\n  id="1008" name="t1"\n  id="2" name="t2"\n  id="1007" name="t2"\n  id="3" name="t3"$/;
      await s.write('0001_ix', { addIndex: { table: 'tags', name: 'tags_name', columns: ['name'], unique: true } });
      await refused(s, ['tags'], new RegExp(`operations\\[0\\]\\.addIndex\\.columns: existing rows of "tags" share their values of "name"[^]*${pairs.source}`));
      await s.write('0001_ix', { createConstraint: { table: 'tags', name: 'tags_name', type: 'unique', columns: ['name'] } });
      await refused(s, ['tags'], new RegExp(`operations\\[0\\]\\.createConstraint\\.columns: existing rows of "tags" share their values of "name"[^]*${pairs.source}`));
    });
  });

    it("a NOT NULL change whose `up` gives rows of a unique column one value (`COALESCE(nickname, 'anon')`): refused at plan naming them, not at the index's copy half-way through apply (campaign EF); distinct values apply", async () => {
      const pg = target.name === 'postgres';
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, nickname varchar(40), CONSTRAINT users_nick UNIQUE (nickname))`, `INSERT INTO users VALUES (1, 'ada'), (2, NULL), (3, NULL), (4, 'anon-9')`], 'xc_dupkeys');
      await s.write('0001_nick', { alterColumn: { table: 'users', column: 'nickname', nullable: false, default: "'anon'", up: "COALESCE(nickname, 'anon')" } });
      await refused(s, ['users'], /operations\[0\]\.alterColumn\.up: `up` gives existing rows of "users" the same key of unique index "users_nick"[^]*id="2"[^]*id="3"/);
      const up = pg ? `COALESCE(nickname, 'anon-' || id)` : `COALESCE(nickname, CONCAT('anon-', id))`;
      await s.write('0001_nick', { alterColumn: { table: 'users', column: 'nickname', nullable: false, default: "'anon'", up } });
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2' });
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, nickname FROM users ORDER BY id`)).toEqual([
        { id: 1, nickname: 'ada' },
        { id: 2, nickname: 'anon-2' },
        { id: 3, nickname: 'anon-3' },
        { id: 4, nickname: 'anon-9' },
      ]);
      const dup = await s.db.query(`INSERT INTO users (id, nickname) VALUES (5, 'ada')`).then(() => null, (e: Error) => e.message);
      expect(dup).toMatch(/duplicate|Duplicate/);
    });

    it.runIf(target.name !== 'postgres')('MySQL/MariaDB: a prefix unique key (`nick`(3)) is checked over the prefix: `anon2` and `anon3` share "ano" (campaign EG: planned, then the copy failed at apply)', async () => {
      const s = await setup(target, [`CREATE TABLE c (id int PRIMARY KEY, nick varchar(50) NULL, UNIQUE KEY uqp (nick(3)))`, `INSERT INTO c VALUES (1, 'alice'), (2, NULL), (3, NULL)`], 'xc_dupkeys');
      await s.write('0001_nick', { alterColumn: { table: 'c', column: 'nick', nullable: false, default: "'x'", up: "COALESCE(nick, CONCAT('anon', id))" } });
      await refused(s, ['c'], /alterColumn\.up: `up` gives existing rows of "c" the same key of unique index "uqp"[^]*id="2"[^]*id="3"/);
      await s.write('0001_nick', { alterColumn: { table: 'c', column: 'nick', nullable: false, default: "'x'", up: "COALESCE(nick, CONCAT(id, 'anon'))" } });
      expect((await s.xc.plan()).migrations).toHaveLength(1);
      // Another column's prefix: `zz1` and `zz5` share "zz" in (a(2), c) once `up` makes c equal (campaign EI).
      await s.db.query(`CREATE TABLE p1 (id int PRIMARY KEY, a varchar(10), c int, UNIQUE KEY uc (a(2), c))`);
      await s.db.query(`INSERT INTO p1 VALUES (1, 'zz1', 1), (5, 'zz5', 2)`);
      await s.write('0001_nick', { alterColumn: { table: 'p1', column: 'c', type: 'bigint', up: 'IF(id = 5, 1, c)' } });
      await refused(s, ['p1'], /alterColumn\.type: existing rows of "p1" share a key of unique index "uc"[^]*id="1" a="zz1"[^]*id="5" a="zz5"/);
    });
}
