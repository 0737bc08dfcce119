/**
 * Before contract: every row must agree between the old and the new shape.
 * Walked in key-ordered chunks, each its own short read, so a large table is
 * checked without one long-running query.
 */
import type { AgreementCheck } from '../operations/types.js';
import { DataMismatchError } from '../errors.js';
import type { EngineContext } from '../engine/context.js';
import { chunkEnd, countRows, keyRange, lookAhead, type Cursor, type Lookahead } from './keyset.js';

const CHUNK = 50_000;
const EXAMPLES = 5;

export async function verifyAgreement(ctx: EngineContext, migration: string, checks: AgreementCheck[]): Promise<void> {
  const d = ctx.dialect;
  for (const check of checks) {
    const key = check.key!;
    const cols = [...new Set([...key, ...check.show])].map((c) => `${d.castText(d.quote(c))} AS ${d.quote(c)}`).join(', ');
    let cursor: Cursor = null;
    let checked = 0;
    /** This chunk's end, looked up while the chunk before it was checked. */
    let ahead: Lookahead | null = null;
    for (;;) {
      const known: Cursor | undefined = ahead ? await ahead.end : undefined;
      const s = await ctx.driver.acquire();
      let end: Cursor;
      let bad: Record<string, unknown>[];
      let rows: number;
      try {
        end = known !== undefined ? known : await chunkEnd(s, d, check.table, key, cursor, CHUNK);
        ahead = end ? lookAhead(ctx.driver, d, check.table, key, end, CHUNK) : null;
        const range = keyRange(d, key, cursor, end);
        rows = end ? CHUNK : await countRows(s, d, check.table, range);
        bad = (
          await s.query<Record<string, unknown>>(
            `SELECT ${cols} FROM ${d.quote(check.table)} WHERE ${range.sql} AND NOT COALESCE((${check.agrees}), FALSE) LIMIT ${EXAMPLES}`,
            range.params,
          )
        ).rows;
      } finally {
        s.release();
      }
      if (bad.length > 0) {
        const examples = bad.map((r) => '  ' + Object.entries(r).map(([k, v]) => `${k}=${v === null ? 'NULL' : JSON.stringify(v)}`).join(' ')).join('\n');
        throw new DataMismatchError(
          `contract refused: not every row of "${check.table}" agrees (${check.description}); for example:\n${examples}\n` +
            `Rows changed where no trigger saw it (on MySQL: by a foreign-key cascade) are converted again by \`xc backfill ${migration}\`.`,
          { migration, table: check.table, examples: bad },
        );
      }
      checked += rows;
      ctx.emit({ event: 'verify', migration, table: check.table, checked, total: checked });
      if (!end) break;
      cursor = end;
    }
  }
}
