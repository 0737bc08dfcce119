/** Keyset walking by a (possibly composite) row key: cursors are the key's values as text. */
import { withSession, type Driver, type Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { BackfillSpec } from '../operations/types.js';

export type Cursor = string[] | null;

export interface KeyRange {
  /** SQL condition for rows after `after` and up to `upTo` (null: no bound). */
  sql: string;
  params: string[];
}

export function keyRange(d: Dialect, key: string[], after: Cursor, upTo: Cursor): KeyRange {
  const parts: string[] = [];
  const params: string[] = [];
  for (const [values, op] of [[after, '>'], [upTo, '<=']] as const) {
    if (!values) continue;
    const c = d.keyCondition(key, op);
    parts.push(`(${c.sql})`);
    params.push(...c.order.map((i) => values[i]!));
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1 = 1', params };
}

/**
 * The key of the `size`-th row after `after`: the inclusive end of the next
 * chunk. Null when fewer rows remain (the chunk then runs to the end).
 */
export async function chunkEnd(s: Session, d: Dialect, table: string, key: string[], after: Cursor, size: number): Promise<Cursor> {
  const range = keyRange(d, key, after, null);
  const cols = key.map((k, i) => `${d.castText(d.quote(k))} AS k${i}`).join(', ');
  const order = key.map((k) => d.quote(k)).join(', ');
  const r = await s.query<Record<string, string>>(
    `SELECT ${cols} FROM ${d.quote(table)} WHERE ${range.sql} ORDER BY ${order} LIMIT 1 OFFSET ${Math.max(0, Math.floor(size) - 1)}`,
    range.params,
  );
  const row = r.rows[0];
  return row ? key.map((_, i) => String(row[`k${i}`])) : null;
}

/**
 * The end of the chunk after `after`, looked up on a session of its own and
 * awaited later: the next chunk's boundary is found while the current chunk
 * is worked on (on this engine finding it is a walk over the chunk's rows).
 * Await it before acquiring the session for that chunk: with a single
 * connection (PGlite) the lookup needs it first.
 */
export function lookAhead(driver: Driver, d: Dialect, table: string, key: string[], after: Cursor, size: number): Lookahead {
  const end = withSession(driver, (s) => chunkEnd(s, d, table, key, after, size));
  end.catch(() => undefined); // dropped unawaited when the batch before it fails
  return { size, end };
}

/** A chunk's end being looked up, and the chunk size it was looked up for. */
export interface Lookahead {
  size: number;
  end: Promise<Cursor>;
}

export async function countRows(s: Session, d: Dialect, table: string, range?: KeyRange): Promise<number> {
  const r = await s.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${d.quote(table)} WHERE ${range?.sql ?? '1 = 1'}`, range?.params ?? []);
  return Number(r.rows[0]!.n);
}

/** One batch of a backfill as SQL, its key bounds as placeholders: what `plan` shows and the journal records. */
export function backfillStatement(d: Dialect, spec: BackfillSpec): string {
  const key = spec.key ?? [];
  const range = keyRange(d, key, key.map(() => '?'), key.map(() => '?'));
  return `UPDATE ${d.quote(spec.table)} SET ${assignments(d, spec)} WHERE ${range.sql}${spec.where ? ` AND (${spec.where})` : ''}`;
}

/** The SET list of a backfill batch: the new values, then the columns that must keep theirs. */
export function assignments(d: Dialect, spec: BackfillSpec): string {
  return [...Object.entries(spec.set).map(([c, e]) => `${d.quote(c)} = (${e})`), ...(spec.keep ?? []).map((c) => `${d.quote(c)} = ${d.quote(c)}`)].join(', ');
}

/** Rows of a table for progress: the planner's estimate, else counted. */
export async function estimateRows(s: Session, d: Dialect, table: string): Promise<number> {
  return (await d.estimateRows(s, table)) ?? (await countRows(s, d, table));
}
