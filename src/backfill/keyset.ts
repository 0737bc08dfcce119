/** Keyset walking by a (possibly composite) row key: cursors are the key's values, as text or bytes (keyColumns). */
import { withSession, type Driver, type Session } from '../db/driver.js';
import type { BackfillTarget, Dialect } from '../dialects/dialect.js';
import type { BackfillSpec, KeyForms } from '../plan/index.js';

/** One key value as a cursor holds it: its exact text, or its bytes for a binary key. */
export type KeyValue = string | Buffer;
export type Cursor = KeyValue[] | null;

export interface KeyRange {
  /** SQL condition for rows after `after` and up to `upTo` (null: no bound). */
  sql: string;
  params: KeyValue[];
}

/** The columns a pass walks, and how each compares where not as its text (Dialect.keyForm). */
export interface WalkKey {
  columns: string[];
  forms?: KeyForms;
}

/** The key a backfill or verify walks, as its plan holds it. */
export function walkKeyOf(spec: { key?: string[]; keyForms?: KeyForms }): WalkKey {
  return { columns: spec.key ?? [], ...(spec.keyForms ? { forms: spec.keyForms } : {}) };
}

/**
 * The select list that reads a row's key: each column as exact text (`k0`,
 * …) and as the driver returns it (`r0`, …). Text carries every key type
 * exactly but bytes: a binary key's text is not its value (MySQL's CAST(…
 * AS CHAR) turns bytes that are not UTF-8 into '?'), so the walk would
 * restart from a wrong place. Where the driver returns bytes (mysql2 for
 * BINARY/VARBINARY, pg and PGlite for bytea) they are kept, and bound again
 * as bytes, so the server compares binary to binary. A column with a form
 * is read only as its form's text (a BIT's bytes would compare as text).
 */
export function keyColumns(d: Dialect, key: WalkKey): string {
  return key.columns
    .map((k, i) => {
      const form = key.forms?.[i];
      return form ? `${d.keyText(d.quote(k), form)} AS k${i}` : `${d.keyText(d.quote(k))} AS k${i}, ${d.quote(k)} AS r${i}`;
    })
    .join(', ');
}

/** A row read with keyColumns, as a cursor. */
export function keyOf(row: Record<string, unknown>, key: WalkKey): KeyValue[] {
  return key.columns.map((_, i) => {
    const raw = row[`r${i}`];
    // A Buffer whatever the driver gave (PGlite: a bare Uint8Array): mysql2 binds only a Buffer as bytes.
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    return String(row[`k${i}`]);
  });
}

/** An integer key's value (only those are split or walked by arithmetic): never bytes. */
export const integerOf = (v: KeyValue): bigint => BigInt(v as string);

export function keyRange(d: Dialect, key: WalkKey, after: Cursor, upTo: Cursor): KeyRange {
  const parts: string[] = [];
  const params: KeyValue[] = [];
  for (const [values, op] of [[after, '>'], [upTo, '<=']] as const) {
    if (!values) continue;
    const c = d.keyCondition(key.columns, op, key.forms);
    parts.push(`(${c.sql})`);
    params.push(...c.order.map((i) => values[i]!));
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1 = 1', params };
}

/**
 * `range` AND `cond`, with `cond` read only for the rows of `range`. PostgreSQL orders a WHERE's conditions by cost:
 * an `up` (a cast) cheaper than a list of keys was computed for every row of the table, and one row no cast takes
 * stopped every batch, named nowhere ("stopped in a batch"). A CASE is read in its order; the range stays a condition
 * of its own for the index.
 */
export function withinRange(range: KeyRange, cond: string | undefined): KeyRange {
  if (cond === undefined) return range;
  return { sql: `${range.sql} AND CASE WHEN ${range.sql} THEN (${cond}) ELSE FALSE END`, params: [...range.params, ...range.params] };
}

/**
 * The key of the `size`-th row after `after`, up to `upTo` (inclusive; null:
 * no bound): the inclusive end of the next chunk. Null when fewer rows remain
 * (the chunk then runs to `upTo`, or to the end).
 */
export async function chunkEnd(s: Session, d: Dialect, table: string, key: WalkKey, after: Cursor, size: number, upTo: Cursor = null): Promise<Cursor> {
  const range = keyRange(d, key, after, upTo);
  const order = key.columns.map((k) => d.quote(k)).join(', ');
  const r = await s.query<Record<string, unknown>>(
    `SELECT ${keyColumns(d, key)} FROM ${d.quote(table)} WHERE ${range.sql} ORDER BY ${order} LIMIT 1 OFFSET ${Math.max(0, Math.floor(size) - 1)}`,
    range.params,
  );
  const row = r.rows[0];
  return row ? keyOf(row, key) : null;
}

/** The table's largest key (one index lookup); null for an empty table. */
export async function lastKey(s: Session, d: Dialect, table: string, key: WalkKey): Promise<Cursor> {
  const order = key.columns.map((k) => `${d.quote(k)} DESC`).join(', ');
  const row = (await s.query<Record<string, unknown>>(`SELECT ${keyColumns(d, key)} FROM ${d.quote(table)} ORDER BY ${order} LIMIT 1`)).rows[0];
  return row ? keyOf(row, key) : null;
}

/**
 * The end of the chunk after `after`, looked up on a session of its own and
 * awaited later: the next chunk's boundary is found while the current chunk
 * is worked on (on this engine finding it is a walk over the chunk's rows).
 * Await it before acquiring the session for that chunk: with a single
 * connection (PGlite) the lookup needs it first.
 */
export function lookAhead(driver: Driver, d: Dialect, table: string, key: WalkKey, after: Cursor, size: number, upTo: Cursor): Lookahead {
  const end = withSession(driver, (s) => chunkEnd(s, d, table, key, after, size, upTo));
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
  const key = walkKeyOf(spec);
  const range = keyRange(d, key, key.columns.map(() => '?'), key.columns.map(() => '?'));
  return `UPDATE ${d.quote(spec.table)} SET ${assignments(d, spec)} WHERE ${withinRange(range, spec.where).sql}`;
}

/** The table a batch updates and the columns its SET list assigns (Dialect.backfillSession). */
export function backfillTarget(spec: BackfillSpec): BackfillTarget {
  return { table: spec.table, columns: [...Object.keys(spec.set), ...(spec.keep ?? [])] };
}

/** The SET list of a backfill batch: the new values, then the columns that must keep theirs. */
export function assignments(d: Dialect, spec: BackfillSpec): string {
  return [...Object.entries(spec.set).map(([c, e]) => `${d.quote(c)} = (${e})`), ...(spec.keep ?? []).map((c) => `${d.quote(c)} = ${d.quote(c)}`)].join(', ');
}

/** Rows of a table for progress: the planner's estimate, else counted. */
export async function estimateRows(s: Session, d: Dialect, table: string): Promise<number> {
  return (await d.estimateRows(s, table)) ?? (await countRows(s, d, table));
}
