/**
 * Before contract: every row must agree between the old and the new shape.
 * Walked in key-ordered chunks, in parts at once (parts.ts, --parallel),
 * each chunk its own short read, so a large table is checked without one
 * long-running query.
 */
import type { AgreementCheck } from '../plan/index.js';
import { DataMismatchError } from '../errors.js';
import { sleep, type EngineContext } from '../engine/context.js';
import { withSession } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import { keyRange, walkKeyOf } from './keyset.js';
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
    const { chunk, bad, rows, share } = await withSession(ctx.driver, async (s) => {
      const chunk = await chunks.next(s, cursor, CHUNK);
      const range = keyRange(d, key, cursor, chunk.end);
      // One read of the chunk, filtered to the rows that disagree (none, normally): their first few are the examples.
      const bad = (await s.query<Record<string, unknown>>(`SELECT ${shown(d, check)} FROM ${t} WHERE ${range.sql} AND ${disagrees} LIMIT ${EXAMPLES}`, range.params)).rows;
      const rows = bad.length > 0 ? 0 : await chunks.rowsIn(s, cursor, chunk);
      return { chunk, bad, rows, share: bad.length > 0 ? 0 : await shareOfBatch(ctx, s, workers) };
    });
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
  const remedy = check.remedy ?? `Rows changed where no trigger saw it (on MySQL: by a foreign-key cascade) are converted again by \`xc backfill ${migration}\`.`;
  // A trigger returning NULL or a DO INSTEAD rule of the application's cancels the backfill's UPDATE of a row: no re-run mends it.
  const cancelled = command === 'contract' && remedy.includes('xc backfill') ? `\nIf \`xc backfill ${migration}\` leaves them as they are, a trigger or rule of the application cancels its UPDATE of those rows (a BEFORE UPDATE trigger returning NULL, a DO INSTEAD rule): let it pass xc's batches (README, Backfill: \`xc.bypass\`), then backfill again.` : '';
  return new DataMismatchError(`${command} refused: not every row of "${check.table}" meets what it needs (${check.description}); rows that do not, for example:\n${formatRows(bad)}\n${remedy}${cancelled}`, {
    migration,
    table: check.table,
    examples: bad,
  });
}

/** A select list showing an example row: `key` first, then `show`, each as text under its own name. */
export function exampleColumns(d: Dialect, key: string[], show: string[]): string {
  return [...new Set([...key, ...show])].map((c) => `${d.castText(d.quote(c))} AS ${d.quote(c)}`).join(', ');
}

/** The columns shown for an example row that disagrees: its key, then the two shapes. */
const shown = (d: Dialect, check: AgreementCheck) => exampleColumns(d, check.key ?? [], check.show);
