/** Which defaults addColumn adds with the column in one statement (no row written), without a database. */
import { describe, expect, it } from 'vitest';
import { isConstantDefault, isNullDefault } from '../../src/operations/addColumn.js';

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
