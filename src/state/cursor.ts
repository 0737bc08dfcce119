/**
 * How a keyset cursor (the key values of the last row a batch reached) is
 * stored: JSON text, each value exactly as it must be bound again. A string,
 * number, boolean or null is plain JSON; a value JSON cannot hold is a tagged
 * object — bytes (a binary key: MySQL BINARY/VARBINARY, PostgreSQL bytea) as
 * base64, a bigint as its digits, a Date as its ISO text. A value without a
 * tag reads as itself, so cursors stored before the tags (plain JSON arrays
 * of text) still resume.
 */

/** A stored value that JSON cannot hold: bytes, bigint, date. */
type Tagged = { t: 'b'; v: string } | { t: 'i'; v: string } | { t: 'd'; v: string };

function encodeValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return { t: 'b', v: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } satisfies Tagged;
  if (typeof v === 'bigint') return { t: 'i', v: String(v) } satisfies Tagged;
  if (v instanceof Date) return { t: 'd', v: v.toISOString() } satisfies Tagged;
  if (v === undefined) return null;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new TypeError(`a key value of type ${typeof v} cannot be stored in a cursor`);
}

function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const { t, v: text } = v as { t?: unknown; v?: unknown };
  if (typeof text !== 'string') throw new TypeError(`unreadable cursor value ${JSON.stringify(v)}`);
  // A Buffer, not a bare Uint8Array: mysql2 binds only a Buffer as bytes (X'..').
  if (t === 'b') return Buffer.from(text, 'base64');
  if (t === 'i') return BigInt(text);
  if (t === 'd') return new Date(text);
  throw new TypeError(`unreadable cursor value ${JSON.stringify(v)}`);
}

/** The cursor as stored text. */
export function encodeCursor(values: readonly unknown[]): string {
  return JSON.stringify(values.map(encodeValue));
}

/** A stored cursor back to its values; null (no cursor) stays null. */
export function decodeCursor(text: string | null | undefined): unknown[] | null {
  if (text == null) return null;
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) throw new TypeError(`unreadable cursor ${text}`);
  return parsed.map(decodeValue);
}
