/**
 * Before contract: every row must agree between the old and the new shape.
 * Walked in key-ordered chunks, in parts at once (parts.ts, --parallel),
 * each chunk its own short read, so a large table is checked without one
 * long-running query.
 */
import type { AgreementCheck } from '../plan/index.js';
import { DataMismatchError, XcError } from '../errors.js';
import { sleep, type EngineContext } from '../engine/context.js';
import { withSession, type Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import { keyRange, walkKeyOf, withinRange, type Cursor } from './keyset.js';
import { errorCode, firstFailingRow, rowNamed, serverWords } from './failure.js';
import { ChunkFinder } from './chunks.js';
import { forEachPart, partsAtOnce, planWalk, type KeySpan } from './parts.js';
import { Throttle } from './throttle/throttle.js';
import { shareOfBatch } from './share.js';

const CHUNK = 50_000;
const EXAMPLES = 5;

/** `command`: what the rows hold back, for the message. */
export async function verifyAgreement(ctx: EngineContext, migration: string, checks: AgreementCheck[], command: 'contract' | 'rollback' = 'contract'): Promise<void> {
  const parallel = partsAtOnce(ctx);
  for (const check of checks) {
    if (!check.key) {
      // A table without a row key (only checks that need no backfill have one): one read of the whole table.
      const bad = await withSession(ctx.driver, async (s) => (await s.query<Record<string, unknown>>(`SELECT ${shown(ctx.dialect, check)} FROM ${ctx.dialect.quote(check.table)} WHERE ${disagreeing(check)} LIMIT ${EXAMPLES}`)).rows);
      if (bad.length > 0) throw mismatch(migration, check, bad, command);
      continue;
    }
    const plan = await withSession(ctx.driver, (s) => planWalk(s, ctx.dialect, check.table, check.key!, check.integerKey, parallel));
    const progress = { checked: 0 };
    // Read-only, but it loads the server as a backfill does: held back by the same signals (pt-osc throttles its checksums too).
    const throttle = await Throttle.open(ctx, migration, check.table, 'verify');
    try {
      const workers = Math.min(parallel, plan.spans.length);
      await forEachPart(plan.spans, parallel, (span, stopped) => verifyPart(ctx, migration, check, span, plan.arithmetic, progress, throttle, workers, stopped, command));
    } finally {
      await throttle.close();
    }
  }
}

async function verifyPart(ctx: EngineContext, migration: string, check: AgreementCheck, span: KeySpan, arithmetic: boolean, progress: { checked: number }, throttle: Throttle, workers: number, stopped: () => boolean, command: 'contract' | 'rollback'): Promise<void> {
  const d = ctx.dialect;
  const t = d.quote(check.table);
  const disagrees = disagreeing(check);
  const key = walkKeyOf(check);
  const chunks = new ChunkFinder(ctx.driver, d, check.table, key, arithmetic, span);
  let cursor = span.from;
  while (!stopped()) {
    await throttle.wait();
    await chunks.ready();
    const t0 = Date.now();
    const read = await withSession(ctx.driver, async (s) => {
      const chunk = await chunks.next(s, cursor, CHUNK);
      const range = keyRange(d, key, cursor, chunk.end);
      // One read of the chunk, filtered to the rows that disagree (none, normally): their first few are the examples.
      let bad: Record<string, unknown>[];
      try {
        const within = withinRange(range, disagrees);
        bad = (await s.query<Record<string, unknown>>(`SELECT ${shown(d, check)} FROM ${t} WHERE ${within.sql} LIMIT ${EXAMPLES}`, within.params)).rows;
      } catch (err) {
        return { chunk, failed: err };
      }
      const rows = bad.length > 0 ? 0 : await chunks.rowsIn(s, cursor, chunk);
      return { chunk, bad, rows, share: bad.length > 0 ? 0 : await shareOfBatch(ctx, s, workers) };
    });
    if ('failed' in read) throw await unreadable(ctx, migration, check, cursor, read.chunk.end, read.failed, command);
    const { chunk, bad, rows, share } = read;
    if (bad.length > 0) throw mismatch(migration, check, bad, command);
    progress.checked += rows;
    ctx.emit({ event: 'verify', migration, table: check.table, checked: progress.checked, total: progress.checked });
    if (chunk.last) return;
    cursor = chunk.end;
    if (share > 0) await sleep((Date.now() - t0) * share);
  }
}

const disagreeing = (check: AgreementCheck) => `NOT COALESCE((${check.agrees}), FALSE)`;

/** Example rows as `  key=value ...` lines. */
export function formatRows(rows: Record<string, unknown>[]): string {
  return rows.map((r) => '  ' + Object.entries(r).map(([k, v]) => `${k}=${v === null ? 'NULL' : JSON.stringify(v)}`).join(' ')).join('\n');
}

function mismatch(migration: string, check: AgreementCheck, bad: Record<string, unknown>[], command: 'contract' | 'rollback'): DataMismatchError {
  const remedy = check.remedy ?? `Rows changed where no trigger saw it (on MySQL: by a foreign-key cascade, or during the fill before the triggers, their key moved since) are converted again by \`xc backfill ${migration}\`.`;
  // A trigger returning NULL or a DO INSTEAD rule of the application's cancels the backfill's UPDATE of a row: no re-run mends it.
  const cancelled = command === 'contract' && remedy.includes('xc backfill') ? `\nIf \`xc backfill ${migration}\` leaves them as they are, a trigger or rule of the application cancels its UPDATE of those rows (a BEFORE UPDATE trigger returning NULL, a DO INSTEAD rule): let it pass xc's batches (README, Backfill: \`xc.bypass\`), then backfill again.` : '';
  return new DataMismatchError(`${command} refused: not every row of "${check.table}" meets what it needs (${check.description}); rows that do not, for example:\n${formatRows(bad)}\n${remedy}${cancelled}`, {
    migration,
    table: check.table,
    examples: bad,
  });
}

/**
 * The read of a chunk failed: where one row's own check fails alone (an `up` that cannot convert a value written
 * where no trigger saw it, a failing `down`), that row is named — the server's words alone ("invalid input syntax
 * for type integer") said neither which row nor what to do. Any other failure (the connection, a lock) is `err` as it was.
 */
async function unreadable(ctx: EngineContext, migration: string, check: AgreementCheck, from: Cursor, to: Cursor, err: unknown, command: 'contract' | 'rollback'): Promise<unknown> {
  if (err instanceof XcError || ctx.dialect.isLockTimeout(err)) return err;
  const d = ctx.dialect;
  const count = (s: Session, after: Cursor, upTo: Cursor) => {
    const within = withinRange(keyRange(d, walkKeyOf(check), after, upTo), disagreeing(check));
    return s.query(`SELECT count(*) FROM ${d.quote(check.table)} WHERE ${within.sql}`, within.params).then(() => null, (e: unknown) => (d.isLockTimeout(e) ? Promise.reject(e) : e));
  };
  const row = await firstFailingRow(ctx.driver, d, check.table, walkKeyOf(check), from, to, count).catch(() => null);
  if (!row) return err;
  const next = command === 'contract' ? `fix that row (what the old version reads), run \`xc backfill ${migration}\` to convert it again, then \`xc contract ${migration}\`` : `fix that row, then run \`xc rollback ${migration}\` again`;
  return new DataMismatchError(`${command} refused: the check of "${check.table}" (${check.description}) failed at the row ${rowNamed(row)}: ${serverWords(row.error)}. Nothing was changed; ${next}.`, {
    migration,
    table: check.table,
    row: row.shown,
    code: errorCode(row.error),
  }, { cause: row.error });
}

/** A select list showing an example row: `key` first, then `show`, each as text under its own name. */
export function exampleColumns(d: Dialect, key: string[], show: string[]): string {
  return [...new Set([...key, ...show])].map((c) => `${d.shownText(d.quote(c))} AS ${d.quote(c)}`).join(', ');
}

/** The columns shown for an example row that disagrees: its key, then the two shapes. */
const shown = (d: Dialect, check: AgreementCheck) => exampleColumns(d, check.key ?? [], check.show);
