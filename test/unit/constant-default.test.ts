/** Which defaults addColumn adds with the column in one statement (no row written), without a database. */
import { describe, expect, it } from 'vitest';
import { isConstantDefault, isNullDefault } from '../../src/operations/addColumn.js';
import { PostgresDialect } from '../../src/dialects/postgres/index.js';
import { SchemaModel } from '../../src/schema/model.js';

describe('isConstantDefault', () => {
  it('takes literals, optionally cast', () => {
    for (const d of ['5', '-1.5', '1e3', `'import'`, `'it''s'`, 'TRUE', 'false', `'a'::text`, `'x'::character varying(20)`, `0::numeric(10, 2)`, `'{}'::int[]`]) {
      expect([d, isConstantDefault(d)]).toEqual([d, true]);
    }
  });
  it('leaves everything else to the backfill path: calls, time words, NULL, backslashes, expressions', () => {
    for (const d of ['now()', 'CURRENT_TIMESTAMP', `'now'::timestamptz`, `'today'::date`, 'random()', `nextval('s')`, 'NULL', `'a\\b'`, '1 + 1', `'a' || 'b'`, `CAST(5 AS int)`]) {
      expect([d, isConstantDefault(d)]).toEqual([d, false]);
    }
  });
});

describe('isNullDefault', () => {
  it('takes NULL bracketed or cast as PostgreSQL keeps it, nothing that could give a value', () => {
    for (const d of ['NULL', 'null', 'NULL::character varying', 'NULL::character varying(3)', '(NULL::text)::integer', 'NULL::numeric(10,2)', 'NULL::public.mood', 'NULL::"My Type"', 'NULL::int[]']) {
      expect([d, isNullDefault(d)]).toEqual([d, true]);
    }
    for (const d of [`'NULL'`, `NULL::text || 'x'`, '(- NULL::integer)', 'nullif(1, 1)', 'NULLS']) {
      expect([d, isNullDefault(d)]).toEqual([d, false]);
    }
  });
});

describe('a default carried to a new type (PostgreSQL convertedDefault)', () => {
  const ddl = new PostgresDialect({ concurrentIndexes: true }).ddl(new SchemaModel());
  it('a text literal as the new type reads it (campaign CR: Prisma writes \'DRAFT\'::"PostStatus")', () => {
    expect(ddl.convertedDefault(`'DRAFT'::text`, '"PostStatus"')).toBe(`'DRAFT'::"PostStatus"`);
    expect(ddl.convertedDefault(`'7'::character varying`, 'integer')).toBe(`'7'::integer`);
    // To text: the literal alone (no dependency on the old type).
    expect(ddl.convertedDefault(`'USER'::"Role"`, 'text')).toBe(`'USER'`);
  });
  it('cast on each insert where the literal reads the clock or the search path when made, or the old type changes it (bpchar, a bounded varchar)', () => {
    expect(ddl.convertedDefault(`'now'::text`, 'timestamptz')).toBe(`CAST(('now'::text) AS timestamptz)`);
    expect(ddl.convertedDefault(`'users'::text`, 'regclass')).toBe(`CAST(('users'::text) AS regclass)`);
    expect(ddl.convertedDefault(`'ab '::bpchar`, '"Code"')).toBe(`CAST(('ab '::bpchar) AS "Code")`);
    expect(ddl.convertedDefault(`'abcdef'::character varying(3)`, '"Code"')).toBe(`CAST(('abcdef'::character varying(3)) AS "Code")`);
  });
});
