/** Stored keyset cursors: every key value comes back as the value to bind, and cursors stored before the tags still read. */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/state/cursor.js';

const roundTrip = (values: unknown[]) => decodeCursor(encodeCursor(values));

describe('cursor encoding', () => {
  it('keeps bytes exactly, as a Buffer (what mysql2 binds as bytes), whatever they hold', () => {
    const uuid = Buffer.from('11ee8f0c9d3a4b6e80ff00c3a9e2ffff', 'hex');
    const odd = Buffer.from([0x00, 0xff, 0x80, 0xc3, 0x3f, 0x00]);
    const back = roundTrip([uuid, odd, Buffer.alloc(0)])!;
    for (const v of back) expect(Buffer.isBuffer(v)).toBe(true);
    expect(back).toEqual([uuid, odd, Buffer.alloc(0)]);
    // Stored as base64 under a tag: text JSON can hold.
    expect(JSON.parse(encodeCursor([odd]))).toEqual([{ t: 'b', v: odd.toString('base64') }]);
  });

  it('keeps the bytes of a bare Uint8Array (PGlite) and of a view into a larger buffer', () => {
    const whole = Buffer.from([9, 9, 1, 2, 3, 9]);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 2, 3);
    expect(roundTrip([new Uint8Array([0, 255]), view])).toEqual([Buffer.from([0, 255]), Buffer.from([1, 2, 3])]);
  });

  it('keeps bigints beyond 2^53 and dates, tagged', () => {
    const big = 9223372036854775807n;
    const at = new Date('2024-02-29T23:59:59.123Z');
    const back = roundTrip([big, -big - 1n, at])!;
    expect(back).toEqual([big, -big - 1n, at]);
    expect(back[2]).toBeInstanceOf(Date);
  });

  it('stores text, numbers, booleans and null as plain JSON', () => {
    const values = ['a', 'B', 'é', '', ' x', '{"t":"b","v":"AA=="}', '9223372036854775807', '2024-01-01 00:00:00.123456', 42, -1.5, true, null];
    expect(encodeCursor(values)).toBe(JSON.stringify(values));
    expect(roundTrip(values)).toEqual(values);
  });

  it('reads cursors stored before the tags (plain JSON arrays of text) as they were', () => {
    expect(decodeCursor('["17"]')).toEqual(['17']);
    expect(decodeCursor('["3","Bob"]')).toEqual(['3', 'Bob']);
    expect(decodeCursor('[]')).toEqual([]);
    expect(decodeCursor(null)).toBeNull();
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuses what it cannot read, rather than resuming from a wrong place', () => {
    expect(() => decodeCursor('{"t":"b"}')).toThrow(TypeError);
    expect(() => decodeCursor('[{"t":"x","v":"1"}]')).toThrow(/unreadable cursor value/);
    expect(() => decodeCursor('[{"t":"b"}]')).toThrow(/unreadable cursor value/);
    expect(() => encodeCursor([{ a: 1 }])).toThrow(TypeError);
  });
});
