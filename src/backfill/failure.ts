/**
 * A batch that failed for another reason than a lock: a value the column
 * cannot take that only some rows give (`up: "name::int"` over a name that
 * is no number; a CHECK a computed value breaks), which plan could not know.
 * The row is found by halving the batch's rows, each try in a transaction
 * of its own that is rolled back, and named with the server's message. The
 * batch wrote nothing and the cursor stays before it: once the row is fixed
 * the same command resumes there; `xc rollback` undoes (and is the way to change the expression).
 */
import type { Driver, Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import { SqlFailedError, XcError } from '../errors.js';
import { sleep } from '../engine/context.js';
import type { BackfillSpec } from '../plan/index.js';
import { assignments, backfillTarget, keyColumns, keyOf, keyRange, walkKeyOf, withinRange, type Cursor, type KeyValue, type WalkKey } from './keyset.js';

/** The batch's rows searched at most: a batch is never larger (sizer.ts MAX_BATCH). */
const MAX_ROWS = 50_000;
/** Tries of one step of the search that meets a lock. */
const LOCK_TRIES = 5;

/**
 * The error to stop with for `err`, which converting the rows after `from`
 * up to `to` raised: naming the first row that fails alone where one does,
 * else (the error is not a row's) `err` with the batch's range.
 */
export async function batchFailure(driver: Driver, d: Dialect, opts: { migration: string; spec: BackfillSpec; lockTimeoutMs: number }, from: Cursor, to: Cursor, err: unknown): Promise<Error> {
  if (err instanceof XcError) return err;
  const { spec, migration } = opts;
  let row: FailingRow | null = null;
  try {
    row = await firstFailingRow(driver, d, spec.table, walkKeyOf(spec), from, to, (s, after, upTo) => tryRange(s, d, spec, opts.lockTimeoutMs, after, upTo));
  } catch {
    // The search itself failed (the connection, a lock): the batch's own error is still the news.
  }
  const where = row ? `at the row ${rowNamed(row)}` : 'in a batch';
  return new SqlFailedError(
    `backfill of "${spec.table}" stopped ${where}: ${serverWords(row?.error ?? err).replace(/\.+$/, '')}. Nothing of that batch was written; ` +
      // No row fails alone: the batch's error is not a row's (a lost connection, a server stopped) — campaign FF: "fix
      // the row" named none to fix.
      (row
        ? `fix the row and run the command again, which resumes there; to change the expression instead, \`xc rollback ${migration}\`, edit the file and apply it again (an applied migration's file is not edited: xc refuses the drift)`
        : `no row of it fails on its own, so the cause is not a row: once what the server says is mended (a lost connection or a server restarted: nothing to mend), run the command again, which resumes there`),
    { migration, table: spec.table, ...(row ? { row: row.shown } : {}), code: errorCode(row?.error) ?? errorCode(err) },
    { cause: row?.error ?? err },
  );
}

/** A row found failing: its key as the walk compares it, the same as the message shows it (by column), and its error. */
export interface FailingRow {
  key: KeyValue[];
  shown: Record<string, string>;
  error: unknown;
}

/** The row as messages name it: `id=5 name="a b"`. */
export const rowNamed = (row: FailingRow) => Object.entries(row.shown).map(([k, v]) => `${k}=${v}`).join(' ');

export const serverWords = (e: unknown) => (e as Error)?.message ?? String(e);
export const errorCode = (e: unknown) => (e as { code?: unknown } | undefined)?.code ?? null;

/** A key value as a message shows it: a plain word or number as is, other text quoted, bytes in hex. */
const shown = (v: KeyValue) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : /^[\w.:+-]+$/.test(v) ? v : JSON.stringify(v));

/** The batch's UPDATE over one key range, in a transaction rolled back: the error it raises, or null. */
async function tryRange(s: Session, d: Dialect, spec: BackfillSpec, lockTimeoutMs: number, after: Cursor, upTo: Cursor): Promise<unknown> {
  const range = keyRange(d, walkKeyOf(spec), after, upTo);
  try {
    await s.query('BEGIN');
    for (const q of d.backfillSession(lockTimeoutMs, spec.bypass ?? [], backfillTarget(spec))) await s.query(q);
    const within = withinRange(range, spec.where);
    await s.query(`UPDATE ${d.quote(spec.table)} SET ${assignments(d, spec)} WHERE ${within.sql}`, within.params);
    return null;
  } catch (err) {
    if (d.isLockTimeout(err)) throw err; // not the row's doing
    return err;
  } finally {
    await s.query('ROLLBACK').catch(() => undefined);
    for (const q of d.backfillSessionEnd(spec.bypass ?? [])) await s.query(q).catch(() => undefined);
  }
}

/**
 * The first row after `from` up to `to` for which `attempt` over the rows up to it fails, by halving (about 16
 * tries for 50,000 rows): its key, the key as the message shows it (an ENUM by its label, not the position the walk
 * compares), and the error. `attempt` returns the error of the rows after `after` up to `upTo`, or null.
 */
export async function firstFailingRow(
  driver: Driver,
  d: Dialect,
  table: string,
  key: WalkKey,
  from: Cursor,
  to: Cursor,
  attempt: (s: Session, after: Cursor, upTo: Cursor) => Promise<unknown>,
): Promise<FailingRow | null> {
  const s = await driver.acquire();
  // A try that waited on a lock past the lock timeout (an application's write of one of the rows) is made again: the
  // lock is the writer's, the search's answer is the row's (a writer updating every row made the search give up: "stopped in a batch").
  const step = async (after: Cursor, upTo: Cursor) => {
    for (let n = 1; ; n++) {
      try {
        return await attempt(s, after, upTo);
      } catch (err) {
        if (n >= LOCK_TRIES) throw err;
        await sleep(20 * n);
      }
    }
  };
  try {
    const range = keyRange(d, key, from, to);
    const order = key.columns.map((k) => d.quote(k)).join(', ');
    // A column with a form is read as its form's text: its label too, for the message (up to 50,000 rows, so only those).
    const labels = key.columns.map((k, i) => (key.forms?.[i] ? `, ${d.castText(d.quote(k))} AS t${i}` : '')).join('');
    const rows = await s.query<Record<string, unknown>>(`SELECT ${keyColumns(d, key)}${labels} FROM ${d.quote(table)} WHERE ${range.sql} ORDER BY ${order} LIMIT ${MAX_ROWS}`, range.params);
    const keys = rows.rows.map((r) => keyOf(r, key));
    if (keys.length === 0) return null;
    // Failing over no row (after the first key, up to it): the statement's own doing — a column gone, a name
    // mistyped — not a row's (a contract step's failure, read again by the check, named the first row).
    if ((await step(keys[0]!, keys[0]!)) !== null) return null;
    // keys[lo..hi] holds the first failing row; the rows before keys[lo] convert.
    let lo = 0;
    let hi = keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await step(lo === 0 ? from : keys[lo - 1]!, keys[mid]!)) !== null) hi = mid;
      else lo = mid + 1;
    }
    const error = await step(lo === 0 ? from : keys[lo - 1]!, keys[lo]!);
    const named = Object.fromEntries(key.columns.map((k, i) => [k, shown(key.forms?.[i] ? String(rows.rows[lo]![`t${i}`]) : keys[lo]![i]!)]));
    return error === null ? null : { key: keys[lo]!, shown: named, error };
  } finally {
    s.release();
  }
}
