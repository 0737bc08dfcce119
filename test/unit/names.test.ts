import { describe, expect, it } from 'vitest';
import { defaultConstraintName } from '../../src/schema/names.js';

describe('defaultConstraintName', () => {
  it('is PostgreSQL’s <table>_<column>_<label> while it fits', () => {
    expect(defaultConstraintName('users', 'email', 'key')).toBe('users_email_key');
    expect(defaultConstraintName('users', null, 'pkey')).toBe('users_pkey');
  });

  it('fits 63 bytes, not characters, shortening the longer part a whole character at a time', () => {
    const name = defaultConstraintName('é'.repeat(40), 'c'.repeat(10), 'check');
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name.endsWith('_cccccccccc_check')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });
});
