/** `xc log --since/--limit`: every accepted form becomes the UTC text state times are compared in; anything else is exit 2 naming the flag. */
import { describe, expect, it } from 'vitest';
import { parseLimit, parseSince, sinceCutoff } from '../../src/state/logQuery.js';

describe('parseSince', () => {
  it.each([
    ['2026-11-30', '2026-11-30T00:00:00.000000Z'],
    ['2026-11-30T08:00', '2026-11-30T08:00:00.000000Z'],
    ['2026-11-30 08:00:00.5', '2026-11-30T08:00:00.500000Z'],
    ['2026-11-30T08:00:00.1234567z', '2026-11-30T08:00:00.123456Z'],
    ['2026-11-30T02:00:00+05:30', '2026-11-29T20:30:00.000000Z'],
    ['2026-12-31T23:00:00-0200', '2027-01-01T01:00:00.000000Z'],
  ])('%s is %s', (given, utc) => expect(parseSince(given)).toEqual({ at: utc }));

  it('a span back, days included, is measured from the clock it is given (the database\'s)', () => {
    expect(parseSince('7d')).toEqual({ agoMs: 7 * 86_400_000 });
    expect(parseSince(' 1.5h ')).toEqual({ agoMs: 5_400_000 });
    expect(sinceCutoff(parseSince('2h'), '2026-11-30T08:00:00.123456Z')).toBe('2026-11-30T06:00:00.123000Z');
    expect(sinceCutoff(parseSince('99999999d'), '2026-11-30T08:00:00Z')).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('a Date keeps its milliseconds', () => expect(parseSince(new Date('2026-01-01T00:00:00.123Z'))).toEqual({ at: '2026-01-01T00:00:00.123000Z' }));

  it.each(['yesterday', '', '5', '2026-02-30', '2026-13-01', '2026-11-30T24:00', '2026-11-30T08:60', '2026-11-30T08:00:60', '2026-11-30Z', '7w', '-2h'])('%j is exit 2 naming --since', (bad) => {
    expect(() => parseSince(bad)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/^--since: expected .* got /) }));
  });
  it('an invalid Date is refused', () => expect(() => parseSince(new Date(NaN))).toThrow(/^--since/));
});

describe('parseLimit', () => {
  it('a whole number greater than 0, as a number or text', () => {
    expect(parseLimit(3)).toBe(3);
    expect(parseLimit(' 20 ')).toBe(20);
  });
  it.each([0, -1, 1.5, '0', 'ten', '2e3', ''])('%j is exit 2 naming --limit', (bad) => {
    expect(() => parseLimit(bad)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/^--limit: expected/) }));
  });
});
