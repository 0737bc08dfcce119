/** Which defaults addColumn adds with the column in one statement (no row written), without a database. */
import { describe, expect, it } from 'vitest';
import { isConstantDefault } from '../../src/operations/addColumn.js';

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
