/**
 * What the dialect adapter answers for the engine and the operations (base.ts
 * and each dialect's facts): which columns an expression names and renaming
 * one, read with the server's own tokens and case rules; the functions it
 * calls; the type facts; the expression variant.
 */
import { describe, expect, it } from 'vitest';
import { PostgresDialect } from '../../src/dialects/postgres/index.js';
import { MysqlDialect } from '../../src/dialects/mysql/index.js';
import type { Dialect } from '../../src/dialects/dialect.js';
import { pgTokens } from '../../src/dialects/postgres/text.js';
import { mysqlTokens } from '../../src/dialects/mysql/expr.js';
import { SchemaModel } from '../../src/schema/model.js';

const pg = new PostgresDialect({ concurrentIndexes: true });
const my = new MysqlDialect('8.0.36');

describe('tokens', () => {
  it('give the text back, and read literals, quoted names and comments as each server does', () => {
    const pgText = `E'it\\'s name' || $q$ name $q$ || "Name" -- name\n || U&"n\\0061me" || /* a /* nested */ name */ x::name`;
    expect(pgTokens(pgText).map((t) => t.text).join('')).toBe(pgText);
    expect(pgTokens(pgText).filter((t) => t.kind === 'string').map((t) => t.text)).toEqual([`E'it\\'s name'`, '$q$ name $q$']);
    expect(pgTokens(pgText).filter((t) => t.kind === 'comment')).toHaveLength(2);
    const myText = "_utf8mb4'name' || x'0A' || `na``me` # name\n || \"name\"";
    expect(mysqlTokens(myText).map((t) => t.text).join('')).toBe(myText);
    expect(mysqlTokens(myText).filter((t) => t.kind === 'string').map((t) => t.text)).toEqual(["_utf8mb4'name'", "x'0A'"]);
    expect(mysqlTokens(myText).filter((t) => t.kind === 'quoted').map((t) => t.text)).toEqual(['`na``me`', '"name"']);
  });
});

describe('names a subquery reads otherwise than a trigger would', () => {
  const model = SchemaModel.of([
    { name: 'users', kind: 'table', columns: [{ name: 'id' }, { name: 'handle' }, { name: 'deleted' }] },
    { name: 'posts', kind: 'table', columns: [{ name: 'id' }, { name: 'user_id' }, { name: 'deleted' }] },
    { name: 'countries', kind: 'table', columns: [{ name: 'name' }, { name: 'code' }] },
  ] as never);
  const cols = ['id', 'handle', 'deleted'];
  for (const d of [pg, my]) {
    it(`${d.name}: a bare name both the row and a table the subquery reads have; the row's table read again unaliased`, () => {
      const amb = (sql: string) => d.subqueryAmbiguities(sql, 'users', cols, model);
      expect(amb('(SELECT COUNT(*) FROM posts p WHERE p.user_id = id)')).toEqual({ bare: ['id'], unseen: [], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM posts AS p WHERE p.user_id = users.id AND NOT p.deleted)')).toEqual({ bare: [], unseen: [], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM public.posts WHERE user_id = users.id AND deleted = 0)')).toEqual({ bare: ['deleted'], unseen: [], shadowed: false });
      expect(amb('EXISTS (SELECT 1 FROM users u2 WHERE u2.handle = handle AND u2.id < users.id)')).toEqual({ bare: ['handle'], unseen: [], shadowed: false });
      expect(amb('EXISTS (SELECT 1 FROM users WHERE handle = users.handle)')).toEqual({ bare: ['handle'], unseen: [], shadowed: true });
      // Another table aliased as the row's table (campaign AL: a rename of the row's `id` rewrote `users.id` there).
      expect(amb('(SELECT COUNT(*) FROM posts users WHERE users.id = 1)')).toEqual({ bare: [], unseen: [], shadowed: true });
      expect(amb('(SELECT COUNT(*) FROM posts AS "users" WHERE "users".id = 1)')).toEqual({ bare: [], unseen: [], shadowed: true });
      // A derived table or a parenthesised join aliased so (campaign AN); the table aliased otherwise is hidden, its name the row's again.
      expect(amb('users.id > (SELECT min(users.a) - 100 FROM (SELECT 5 AS a) users)').shadowed).toBe(true);
      expect(amb('(SELECT 1 FROM posts p LEFT JOIN (posts users) ON true WHERE users.id = 1)').shadowed).toBe(true);
      expect(amb('(SELECT COUNT(*) FROM users u2 WHERE u2.handle < users.handle)').shadowed).toBe(false);
      expect(amb('(SELECT c.name FROM countries c, posts q WHERE c.code = handle AND q.id = 1)')).toEqual({ bare: [], unseen: [], shadowed: false });
      expect(amb('(SELECT c.name FROM countries c, posts q WHERE c.code = handle AND q.id = id)')).toEqual({ bare: ['id'], unseen: [], shadowed: false });
      // Outside a subquery, and in function calls or literals, nothing is ambiguous.
      expect(amb("upper(handle) || 'FROM posts' || coalesce(id, 0)")).toEqual({ bare: [], unseen: [], shadowed: false });
      // Campaign AD: FROM inside a call reads no table; a derived table's or another database's columns are unseen;
      // USING's names name no value; `users.` is shadowed only in the subquery that reads users unaliased.
      expect(amb('(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id AND EXTRACT(YEAR FROM deleted) = 2020)')).toEqual({ bare: ['deleted'], unseen: [], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM (SELECT q.id, q.user_id FROM posts q) x WHERE x.user_id = id)')).toEqual({ bare: [], unseen: ['id'], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM arch.old_posts o WHERE o.user_id = handle)')).toEqual({ bare: [], unseen: ['handle'], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM posts p JOIN posts q USING (deleted) WHERE p.user_id = users.id)')).toEqual({ bare: [], unseen: [], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.id) + (SELECT COUNT(*) FROM users)')).toEqual({ bare: [], unseen: [], shadowed: false });
      expect(amb('(SELECT COUNT(*) FROM users WHERE users.id < 3)')).toEqual({ bare: [], unseen: [], shadowed: true });
    });
  }
});

describe('which columns an expression names', () => {
  const columns = ['name', 'Mail', 'e', 'x'];

  it('PostgreSQL: bare names fold to lower case, quoted ones are exact; never literals, comments, functions, casts or another table\'s columns', () => {
    expect(pg.columnsNamed(`upper(NAME) || "Mail"`, 'users', columns)).toEqual(['name', 'Mail']);
    expect(pg.columnsNamed(`mail || "name"`, 'users', columns)).toEqual(['name']);
    expect(pg.columnsNamed(`E'x' || $$name$$ || 'e' -- x\n`, 'users', columns)).toEqual([]);
    expect(pg.columnsNamed(`name(1) || t.x || x.y || 1::name || y COLLATE "x"`, 'users', columns)).toEqual([]);
  });

  it('a column named through the row\'s table (`t.x`, `public.t.x`, `"T".x`) is named; through another table, or as a qualifier, it is not', () => {
    expect(pg.columnsNamed(`t.x + 1`, 't', columns)).toEqual(['x']);
    expect(pg.columnsNamed(`public.t.name || T."Mail"`, 't', columns)).toEqual(['name', 'Mail']);
    expect(pg.columnsNamed(`"T".x`, 't', columns)).toEqual([]);
    expect(pg.columnsNamed(`"T".x`, 'T', columns)).toEqual(['x']);
    expect(pg.columnsNamed(`p.x || x.e || t(x)`, 't', columns)).toEqual(['x']);
    expect(my.columnsNamed('`T`.`X` > 0 AND db.t.e', 't', columns)).toEqual(['e', 'x']);
    expect(pg.columnsNamed(`(SELECT count(*) FROM posts p WHERE p.user_id = users.e)`, 'users', columns)).toEqual(['e']);
  });

  it('MySQL/MariaDB: any spelling, case-insensitively', () => {
    expect(my.columnsNamed('upper(NAME) || `mail` || "X"', 'users', columns)).toEqual(['name', 'Mail', 'x']);
    expect(my.columnsNamed("x'0A' || _utf8mb4'name' || 'e' # x\n", 'users', columns)).toEqual([]);
    expect(my.columnsNamed('CAST(1 AS name) || t.x', 'users', columns)).toEqual([]);
  });

  it('a reserved word bare is what it reserves, and a word before a literal its type: never the column of that name (campaign EL)', () => {
    const named = ['current_date', 'desc', 'interval', 'date', 'type', 'rank', 'offset'];
    // Bare `current_date` is the function, `DESC` an index key's order, `interval '…'` / `DATE '…'` typed literals.
    expect(pg.columnsNamed(`current_date + "interval" < x AND type DESC AND x < interval '1 year' AND date '2000-01-01' < "date"`, 't', [...named, 'x'])).toEqual(['interval', 'date', 'type', 'x']);
    expect(my.columnsNamed("current_date < `current_date` AND type DESC AND DATE '2000-01-01' < `date` AND rank > 0 AND offset > 0", 't', named)).toEqual(['current_date', 'date', 'type', 'rank', 'offset']);
    // Qualified, a reserved word is a name again (`t.desc`).
    expect(pg.columnsNamed(`t.desc || t.current_date`, 't', named)).toEqual(['current_date', 'desc']);
    expect(pg.replaceIdentifier(`"type" DESC, "desc"`, 't', 'desc', 'description')).toBe(`"type" DESC, "description"`);
    // A column named as its table is what the name reads, not the row (PostgreSQL looks for a column first).
    expect(pg.readsRowWhole(`"order" * 100`, 'order', ['id', 'order'])).toBe(false);
    expect(pg.readsRowWhole(`"order"::text`, 'order', ['id', 'x'])).toBe(true);
  });

  it('rename a column where the expression refers to it, quoted, and nowhere else; a qualifier by the row\'s table stays', () => {
    expect(pg.replaceIdentifier(`lower(name) <> 'name' AND "name" IS NOT NULL AND t.name = name::text`, 'users', 'name', 'full name')).toBe(
      `lower("full name") <> 'name' AND "full name" IS NOT NULL AND t.name = "full name"::text`,
    );
    expect(pg.replaceIdentifier(`t.name = 'x' AND public.t.name <> p.name`, 't', 'name', 'nm')).toBe(`t."nm" = 'x' AND public.t."nm" <> p.name`);
    expect(my.replaceIdentifier("year(created) > 2000 AND `Year` > 0 AND YEAR <> 'year'", 'users', 'year', 'yr')).toBe("year(created) > 2000 AND `yr` > 0 AND `yr` <> 'year'");
  });

  it('name the row by a renamed table where it qualifies a column, and nowhere else', () => {
    expect(my.requalify("products.price >= 0 AND `products`.`list` > db.products.price AND products = 'products.x' AND products.f(1)", 'products', 'items')).toBe(
      "`items`.price >= 0 AND `items`.`list` > db.`items`.price AND products = 'products.x' AND products.f(1)",
    );
    expect(pg.requalify(`t.a > 0 AND "T".a > 0 AND public.t.a > 0 AND t.s.a`, 't', 'u')).toBe(`"u".a > 0 AND "T".a > 0 AND public."u".a > 0 AND t.s.a`);
  });

  it('substitute a value for a column, its qualifier included', () => {
    expect(pg.substituteColumn(`t.x > 0 AND public . t . x < x + p.x`, 't', 'x', '5')).toBe(`(5) > 0 AND (5) < (5) + p.x`);
  });

  it('find the functions called, and the time keywords', () => {
    expect(pg.calledFunctions(`random() + coalesce(x, 1) -- now()\n || current_timestamp`)).toEqual(['random', 'coalesce', 'current_timestamp']);
    expect(my.calledFunctions(`RAND () + "now"() + 'uuid()'`)).toEqual(['rand']);
  });
});

describe('type facts', () => {
  it('integer types as each catalog spells them', () => {
    for (const t of ['integer', 'bigint', 'smallint', 'int4', 'bigserial']) expect(pg.isIntegerType(t), t).toBe(true);
    for (const t of ['int(11) unsigned', 'bigint(20)', 'tinyint', 'mediumint', 'INT']) expect(my.isIntegerType(t), t).toBe(true);
    for (const t of ['numeric(10,0)', 'text', 'interval']) expect(pg.isIntegerType(t), t).toBe(false);
    for (const t of ['decimal(10,0)', 'point', 'varchar(10)']) expect(my.isIntegerType(t), t).toBe(false);
  });

  it('serial: an integer with a sequence on PostgreSQL, BIGINT UNSIGNED on MySQL/MariaDB', () => {
    expect(pg.storedType('serial')).toBe('integer');
    expect(pg.storedType('BIGSERIAL')).toBe('bigint');
    expect(pg.storedType('text')).toBe('text');
    expect(my.storedType('serial')).toBe('bigint unsigned');
    expect(my.storedType('bigserial')).toBe('bigserial'); // no such type there: the server says so at plan
  });
});

describe('expression variants', () => {
  it('each dialect runs its own', () => {
    const e = { postgres: 'a::text', mysql: 'CAST(a AS CHAR)' };
    expect(pg.resolveExpr(e)).toBe('a::text');
    expect(my.resolveExpr(e)).toBe('CAST(a AS CHAR)');
    expect(my.resolveExpr({ postgres: 'x' })).toBeUndefined();
    expect(pg.resolveExpr('x + 1')).toBe('x + 1');
  });
});

describe('failure hints', () => {
  const my = new MysqlDialect('10.11.19-MariaDB');
  it('MySQL 1799 (an online rebuild outgrew innodb_online_alter_log_max_size) says nothing changed and what to do; other errors get none', () => {
    const err = Object.assign(new Error("Creating index 'PRIMARY' required more than 'innodb_online_alter_log_max_size' bytes of modification log. Please try again"), { errno: 1799 });
    expect(my.failureHint(err)).toMatch(/rolled back, nothing changed: run it again when the table is less busy, or raise innodb_online_alter_log_max_size/);
    expect(my.failureHint(Object.assign(new Error('lock wait'), { errno: 1205 }))).toBeNull();
    // 1845 on an instant change: the hidden FTS_DOC_ID a dropped FULLTEXT index leaves (campaign EJ); on another algorithm, none.
    expect(my.failureHint(Object.assign(new Error('ALGORITHM=INSTANT is not supported for this operation. Try ALGORITHM=INPLACE'), { errno: 1845 }))).toMatch(/nothing of this step ran; .*hidden FTS_DOC_ID .*ALTER TABLE … FORCE, ALGORITHM=INPLACE, LOCK=NONE/);
    expect(my.failureHint(Object.assign(new Error('LOCK=NONE is not supported. Reason: xyz. Try LOCK=SHARED'), { errno: 1845 }))).toBeNull();
    expect(my.failureHint(new Error('no errno'))).toBeNull();
    // PostgreSQL: FORCE ROW LEVEL SECURITY hiding rows from xc's role (row_security is off on its connections), and nothing else.
    expect(pg.failureHint!(Object.assign(new Error('query would be affected by row-level security policy for table "t"'), { code: '42501' }))).toMatch(/BYPASSRLS/);
    expect(pg.failureHint!(Object.assign(new Error('permission denied for table t'), { code: '42501' }))).toBeNull();
  });
});
