/**
 * What `xc log` / `xc.log()` is asked for, checked before anything connects
 * (a bad value: exit 2 naming the flag). A time becomes ISO 8601 UTC text with
 * six fractional digits, the form state times are read in (Dialect.stateTime),
 * so the filter compares like with like on both dialects.
 */
import { InvalidInputError } from '../errors.js';
import { agoMs } from '../options.js';

/** A fixed point in time (UTC text), or a span back from the database's clock. */
export type Since = { at: string } | { agoMs: number };

// 2026-11-30, 2026-11-30T08:00, 2026-11-30 08:00:00.5, 2026-11-30T08:00:00Z, …+05:30
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d:?\d\d)?)?$/i;

const sinceError = (value: unknown) =>
  new InvalidInputError(
    `--since: expected an ISO 8601 date or time (2026-11-30, 2026-11-30T08:00:00Z; UTC unless it has an offset) or a span back (90m, 2h, 7d), got ${JSON.stringify(String(value))}`,
    {},
    { code: 'invalid_usage' },
  );

/** Whole seconds `ms` since the epoch as ISO 8601 UTC, with `micros` (six digits) for its fraction. */
function utcText(ms: number, micros: string): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
}

/** A JavaScript time (milliseconds) as UTC text of six fractional digits. */
const fromMillis = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

export function parseSince(value: unknown): Since {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw sinceError(value);
    return { at: fromMillis(value.getTime()) };
  }
  const text = typeof value === 'string' ? value.trim() : '';
  const span = agoMs(text);
  if (span !== null) return { agoMs: span };
  const m = DATE_TIME.exec(text);
  if (!m) throw sinceError(value);
  const parts = m.slice(1, 7).map((x) => Number(x ?? 0));
  const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(local);
  // Date.UTC rolls 2026-02-30 over to March and 08:60 to 09:00: a time that is not one is refused, not moved.
  const read = [back.getUTCFullYear(), back.getUTCMonth() + 1, back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes(), back.getUTCSeconds()];
  if (read.some((v, i) => v !== parts[i])) throw sinceError(value);
  const zone = m[8]?.toUpperCase();
  const offset = zone && zone !== 'Z' ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2))) : 0;
  return { at: utcText(local - offset * 60_000, (m[7] ?? '').padEnd(6, '0').slice(0, 6)) };
}

/** The time `since` stands for, as UTC text; `now`: the database's clock (a span is measured back from it, never the caller's). */
export function sinceCutoff(since: Since, now: string): string {
  if ('at' in since) return since.at;
  return fromMillis(Math.max(0, Date.parse(now) - since.agoMs)); // 1970 is before any event: a huge span means everything
}

export function parseLimit(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidInputError(`--limit: expected a whole number of events greater than 0, got ${JSON.stringify(typeof value === 'number' ? value : String(value))}`, {}, { code: 'invalid_usage' });
  }
  return n;
}
