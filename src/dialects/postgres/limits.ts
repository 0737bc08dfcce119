/**
 * What an expand's new columns (its own, and the copies it keeps during a change) take a PostgreSQL table past
 * (Dialect.tableGrowthIssue), read from the catalog, changing nothing (campaign AI-02, AI-03):
 *
 * - 1600 columns, the dropped ones counted until the table is rewritten: the ADD COLUMN past that failed the expand.
 * - A row of fixed-width columns longer than a heap page holds (8160 bytes): a TOASTable value can move out of the
 *   row, an int8 cannot. Once the copy column exists — and after it is dropped again, a rollback's, a contract's —
 *   every row written carries a null bitmap of one bit per column ever added (a dropped column reads as NULL), so
 *   rows that fitted fail to be written ("row is too big"), for good. Sized as PostgreSQL lays a row out: a 23-byte
 *   header, the bitmap, then each column at its alignment; a variable-width column counted at its shortest (1 byte).
 */
import type { Session } from '../../db/driver.js';
import { quotePg } from './text.js';

const MAX_COLUMNS = 1600;
/** MaxHeapTupleSize on 8 KiB pages: the page less its header and one line pointer. */
const MAX_ROW_BYTES = 8160;
const ALIGN: Record<string, number> = { c: 1, s: 2, i: 4, d: 8 };
const align = (offset: number, to: number) => Math.ceil(offset / to) * to;

interface Attribute { len: number; align: string; dropped: boolean }

/** The shortest row of `columns` (attnum order), its null bitmap `bits` long: PostgreSQL's heap layout. */
function shortestRow(columns: Attribute[], bits: number): number {
  let offset = align(23 + Math.ceil(bits / 8), 8);
  for (const c of columns) {
    if (c.dropped) continue;
    offset = align(offset, ALIGN[c.align] ?? 1) + (c.len > 0 ? c.len : 1);
  }
  return offset;
}

export async function pgTableGrowthIssue(s: Session, table: string, alters: string[]): Promise<string | null> {
  // The type as xc wrote it (format_type's spelling), without the clauses after it: to_regtype reads a type only.
  const added = alters.flatMap((sql) => [...sql.matchAll(/\bADD\s+COLUMN\s+("(?:[^"]|"")+")\s+([^]*?)(?=\s+(?:NOT\s+NULL|NULL|DEFAULT|COLLATE|GENERATED|CONSTRAINT|CHECK|REFERENCES|PRIMARY|UNIQUE)\b|,\s*ADD\s|$)/gi)].map((m) => m[2]!.trim()));
  if (added.length === 0) return null;
  const attributes = (await s.query<Attribute>(
    'SELECT attlen::int AS len, attalign::text AS align, attisdropped AS dropped FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 ORDER BY attnum',
    [quotePg(table)],
  )).rows;
  if (attributes.length === 0) return null; // a table this plan creates
  const what = `what this migration adds to "${table}" (${added.length} column${added.length === 1 ? '' : 's'}, its own and the copies it keeps during a change)`;
  const dropped = attributes.filter((a) => a.dropped).length;
  if (attributes.length + added.length > MAX_COLUMNS) {
    return `${what} takes it past the ${MAX_COLUMNS} columns a PostgreSQL table has: it has ${attributes.length}${dropped > 0 ? `, ${dropped} of them dropped ones, which count until the table is rewritten (VACUUM FULL)` : ''}`;
  }
  const types: Attribute[] = [];
  for (const type of added) {
    // One at a time: a type to_regtype cannot read (a syntax it does not take) is left out, not the whole estimate.
    const row = await s.query<Attribute>(`SELECT typlen::int AS len, typalign::text AS align, false AS dropped FROM pg_type WHERE oid = to_regtype(?)`, [type]).then((r) => r.rows[0], () => undefined);
    if (row) types.push(row);
  }
  const before = shortestRow(attributes, 0);
  const after = shortestRow([...attributes, ...types], attributes.length + added.length);
  if (after <= MAX_ROW_BYTES || before > MAX_ROW_BYTES) return null;
  return `${what} takes its rows past the ${MAX_ROW_BYTES} bytes a PostgreSQL row of fixed-width values has (a page's): the shortest row would be ${after} bytes, now ${before} — with the copy there, and after it is dropped again (every row then carries a bit per column ever added), writes of its rows would fail ("row is too big"); make room first (fewer fixed-width columns, or some of them variable-width)`;
}
