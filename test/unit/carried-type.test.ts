/** A copied column's type carries the old column's collation, unless the type says its character set itself. */
import { describe, expect, it } from 'vitest';
import { carriedType } from '../../src/operations/columnCopy.js';
import type { ColumnModel } from '../../src/schema/model.js';

const old = (collation?: string): ColumnModel => ({ name: 's', type: 'varchar(20)', nullable: true, default: null, ...(collation ? { collation } : {}) });

describe('carriedType', () => {
  it('appends the old collation to a character type naming none', () => {
    expect(carriedType('varchar(60)', old('COLLATE public.ci'))).toBe('varchar(60) COLLATE public.ci');
    expect(carriedType('text', old('CHARACTER SET latin1 COLLATE latin1_bin'))).toBe('text CHARACTER SET latin1 COLLATE latin1_bin');
  });
  it('leaves a type that names its character set or collation, a non-character type, and a column without one', () => {
    for (const t of ['nvarchar(40)', 'national varchar(40)', 'nchar(4)', 'varchar(40) ASCII', 'varchar(40) UNICODE', 'char(4) BYTE', 'varchar(40) COLLATE utf8mb4_bin', 'varchar(40) CHARACTER SET utf8mb4', 'int']) {
      expect(carriedType(t, old('CHARACTER SET latin1 COLLATE latin1_bin')), t).toBe(t);
    }
    expect(carriedType('varchar(60)', old())).toBe('varchar(60)');
  });
});
