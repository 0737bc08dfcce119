/**
 * PostgreSQL trigger bodies read an `up`/`down` that is only one of the row's columns straight off NEW
 * (a plpgsql simple expression, not a query per written row); anything else, and a bare word that
 * means a keyword, is still evaluated over the row. Without a database: the generated function text.
 */
import { describe, expect, it } from 'vitest';
import { pgFillTrigger, pgSyncTrigger, readsSessionSettings } from '../../src/dialects/postgres/triggers.js';
import { hasValueEquality, quotePg as q, valuesDiffer } from '../../src/dialects/postgres/text.js';

const fnOf = (steps: { create: { sql: string }[] }) => steps.create[0]!.sql;
const sync = (up: string, down: string, columns = ['id', 'amount', 'amount_new', 'user']) =>
  fnOf(pgSyncTrigger(q, { name: 'xc_t', table: 't', oldColumn: 'amount', newColumn: 'amount_new', up, down, oldDefault: null, columns }));

describe('PostgreSQL trigger bodies: a column as up/down', () => {
  it('reads a quoted or bare lower-case column off NEW, with no query over the row', () => {
    for (const [up, down] of [['"amount"', '"amount_new"'], ['amount', 'amount_new'], [' amount ', '"amount_new"']]) {
      const sql = sync(up!, down!);
      expect(sql).toContain('NEW."amount_new" := NEW."amount";');
      expect(sql).toContain('NEW."amount" := NEW."amount_new";');
      expect(sql).not.toContain('SELECT NEW.*');
    }
  });
  it('keeps the query over the row for expressions, keywords, other case and names not in the row', () => {
    expect(sync('amount * 2', 'amount_new / 2')).toContain('NEW."amount_new" := (SELECT (amount * 2) FROM (SELECT NEW.*) AS "t");');
    // A column named "user" exists, but bare `user` means the current user.
    expect(sync('user', '"amount_new"')).toContain('NEW."amount_new" := (SELECT (user) FROM (SELECT NEW.*) AS "t");');
    expect(sync('"user"', '"amount_new"')).toContain('NEW."amount_new" := NEW."user";');
    // Unquoted names fold to lower case: `Amount` is column amount only through the query.
    expect(sync('Amount', '"amount_new"')).toContain('(SELECT (Amount) FROM (SELECT NEW.*) AS "t")');
    expect(sync('"other"', '"amount_new"')).toContain('(SELECT ("other") FROM (SELECT NEW.*) AS "t")');
  });
  it('reads a CAST of a column off NEW too, and keeps the query for any other CAST', () => {
    expect(sync('"amount"', 'CAST(amount_new AS int)')).toContain('NEW."amount" := CAST(NEW."amount_new" AS int);');
    expect(sync('"amount"', 'cast("amount_new" as numeric(10, 2))')).toContain('NEW."amount" := CAST(NEW."amount_new" AS numeric(10, 2));');
    expect(sync('"amount"', 'CAST(amount_new AS double precision)')).toContain('NEW."amount" := CAST(NEW."amount_new" AS double precision);');
    expect(sync('"amount"', 'CAST(user AS text)')).toContain('(SELECT (CAST(user AS text)) FROM (SELECT NEW.*) AS "t")');
    expect(sync('"amount"', 'CAST(amount_new + 1 AS int)')).toContain('(SELECT (CAST(amount_new + 1 AS int)) FROM (SELECT NEW.*) AS "t")');
    expect(sync('"amount"', 'CAST(amount_new AS int) + 1')).toContain('(SELECT (CAST(amount_new AS int) + 1) FROM (SELECT NEW.*) AS "t")');
  });
  it('does the same for fill triggers (an in-place shadow column)', () => {
    const fill = fnOf(pgFillTrigger(q, { name: 'xc_s', table: 't', column: 'xc_shadow0', expr: '"amount"', columns: ['id', 'amount', 'xc_shadow0'], always: true }));
    expect(fill).toContain('NEW."xc_shadow0" := NEW."amount";');
  });
});

describe('PostgreSQL: how a change of a value is told', () => {
  it('by IS DISTINCT FROM where = is sameness; strings under "C", floats by their bytes, any other type by its text (json, point, box, interval, enums)', () => {
    for (const t of ['integer', 'bigint', 'numeric(10,2)', 'timestamp with time zone', 'uuid', 'integer[]', 'boolean']) expect(hasValueEquality(t), t).toBe(true);
    // '1 mon' = '30 days', 1.0 = 1.000 (no scale), 0 = -0, and 'bob' = 'BOB' under a nondeterministic collation.
    for (const t of ['json', 'jsonb', 'point', 'box', 'circle', 'xml', 'json[]', 'mood', 'public.my_domain', 'interval', 'numeric', 'double precision', 'real', 'character varying(40)', 'text COLLATE "C"', undefined]) {
      expect(hasValueEquality(t), String(t)).toBe(false);
    }
    expect(valuesDiffer('a', 'b', 'json')).toBe('CAST(a AS text) COLLATE "C" IS DISTINCT FROM CAST(b AS text) COLLATE "C"');
    expect(valuesDiffer('a', 'b', 'bigint')).toBe('a IS DISTINCT FROM b');
    expect(valuesDiffer('a', 'b', 'varchar(40)')).toBe('(a) COLLATE "C" IS DISTINCT FROM (b) COLLATE "C"');
    expect(valuesDiffer('a', 'b', 'float8')).toBe('float8send(a) IS DISTINCT FROM float8send(b)');
  });
  it('in the sync trigger, per column', () => {
    const sql = fnOf(pgSyncTrigger(q, { name: 'xc_t', table: 't', oldColumn: 'body', newColumn: 'n', up: 'body', down: 'n', oldDefault: null, columns: ['id', 'body', 'n'], oldType: 'json', newType: 'integer' }));
    expect(sql).toContain('(CAST(NEW."body" AS text) COLLATE "C" IS DISTINCT FROM CAST(OLD."body" AS text) COLLATE "C")');
    expect(sql).toContain('(NEW."n" IS DISTINCT FROM OLD."n")');
  });
  it('pins the settings values read as text depend on only where a date or time, a float, bytea or money is converted, or a value is told changed by its text', () => {
    expect(readsSessionSettings(['timestamp without time zone', 'timestamp with time zone'], ['happened_at'])).toBe(true);
    expect(readsSessionSettings(['text', 'text'], ["to_char(n, '999')"])).toBe(true);
    expect(readsSessionSettings(['integer', 'bigint'], ['amount'])).toBe(false);
    // A float kept as it is is told changed by its bytes; converted to text, its text reads extra_float_digits.
    expect(readsSessionSettings(['double precision', 'double precision'], ['x'])).toBe(false);
    expect(readsSessionSettings(['double precision', 'text'], ['x'])).toBe(true);
    expect(readsSessionSettings(['bytea', 'text'], ['b'])).toBe(true);
    expect(readsSessionSettings(['text COLLATE "C"', 'text COLLATE "C"'], ['s'])).toBe(false);
    // Told changed by their text: a float array, a point, a domain.
    for (const t of ['double precision[]', 'point', 'dfloat']) expect(readsSessionSettings([t, t], ['c']), t).toBe(true);
    // A value the expression makes whose text a call formats (campaign DC: `concat(tag, sqrt(id), make_date(…))` kept
    // each old writer's DateStyle and extra_float_digits): any call but those that format nothing, and a cast to such a type.
    for (const e of ["concat(tag, '/', sqrt(id))", "concat(tag, make_date(2020, 1, 2))", "format('%s', make_interval(secs => id))", "encode(sha256(tag::bytea), 'hex')", 'tag || sqrt(id)', 'myschema.f(x)', '"F"(x)', "tag || 1.5::float8", "concat(tag, date_trunc('day', now()))", "(|/ n) || ''", "(||/ n)::text", "(2 ^ n) || ''", "(SELECT o.ts FROM other o WHERE o.id = t.oid) || ''", '((n / 3.0)::dm_flt)::text', '(ROW(n / 3.0)::dm_comp)::text', '(ARRAY[n / 3.0]::dm_flt[])::text', "(n * '1.5'::dm_flt)::text", "('[2020-01-01,2020-01-05)'::daterange)::text", 'CAST(n AS s.dm_flt)::text', 'CAST(n AS "Dm")::text']) {
      expect(readsSessionSettings(['text', 'text'], [e]), e).toBe(true);
    }
    for (const e of ["first_name || ' ' || last_name", 'amount * 2', 'CAST(amount_big AS int)', 'amount::bigint::text', 'name::citext', 'lower(name)', "coalesce(nullif(trim(code), ''), 'none')", "CASE WHEN a IN (1, 2) THEN 'x' ELSE upper(substr(b, 1, 3)) END", "'sqrt(1)'"]) {
      expect(readsSessionSettings(['text', 'text'], [e]), e).toBe(false);
    }
    const spec = { name: 'xc_t', table: 't', oldColumn: 'a', newColumn: 'b', up: 'a', down: 'b', oldDefault: null, columns: ['a', 'b'] };
    expect(fnOf(pgSyncTrigger(q, spec, true))).toContain(
      ' SET TimeZone FROM CURRENT SET DateStyle FROM CURRENT SET IntervalStyle FROM CURRENT SET extra_float_digits FROM CURRENT SET bytea_output FROM CURRENT SET lc_monetary FROM CURRENT AS ',
    );
    expect(fnOf(pgSyncTrigger(q, spec))).not.toContain('SET TimeZone');
  });
});

describe("PostgreSQL trigger steps: the lock plan shows", () => {
  it('DROP TRIGGER, before a CREATE or at contract, locks the table ACCESS EXCLUSIVE (campaign T: the expand said SHARE ROW EXCLUSIVE)', () => {
    const steps = pgSyncTrigger(q, { name: 'xc_t', table: 't', oldColumn: 'amount', newColumn: 'amount_new', up: 'amount', down: 'amount_new', oldDefault: null, columns: ['id', 'amount', 'amount_new'] });
    for (const st of [...steps.create, ...steps.drop].filter((x) => x.sql.startsWith('DROP TRIGGER'))) expect(st.lock).toBe('ACCESS EXCLUSIVE on "t" (instant)');
    expect(steps.create.find((x) => x.sql.startsWith('CREATE TRIGGER'))!.lock).toBe('SHARE ROW EXCLUSIVE on "t" (instant)');
  });
});

describe('PostgreSQL trigger bodies: a row not filled yet whose update leaves up\'s inputs as they were', () => {
  const fill = (expr: string) => fnOf(pgFillTrigger(q, { name: 'xc_f', table: 't', column: 'n', expr, columns: ['id', 'payload', 'note', 'n'], recomputeOn: [] }));
  it("tolerates up's data errors there only, testing the columns it reads (campaign BN)", () => {
    const sql = fill("nullif(payload, '')::int");
    expect(sql).toContain(`ELSE IF OLD."n" IS NULL AND NOT (CAST(NEW."payload" AS text) COLLATE "C" IS DISTINCT FROM CAST(OLD."payload" AS text) COLLATE "C") THEN`);
    expect(sql).toContain(`IF TG_OP = 'INSERT' THEN NEW."n" := (SELECT (nullif(payload, '')::int) FROM (SELECT NEW.*) AS "t");`);
    expect(sql).toContain('EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN NULL; END;');
  });
  it('not where up reads the row whole, whose columns it does not name (campaign BO: a bad value got in)', () => {
    for (const expr of ["nullif(to_jsonb(t)->>'payload', '')::int", "(t).payload::int", "f(t.*)", 'f("t")']) expect(fill(expr), expr).not.toContain('EXCEPTION');
    // A column qualified by the table is a column.
    expect(fill('t.payload::int')).toContain('EXCEPTION');
  });
});
