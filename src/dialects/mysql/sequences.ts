/**
 * MariaDB: the sequences a table's column defaults draw from, which a step
 * holding LOCK TABLES on the table would have to lock too — and may not.
 *
 * The server opens those sequences with the table, and under LOCK TABLES a
 * statement may open only what is locked: the cut-over's ALTER was refused
 * ("Table 'ids' was not locked with LOCK TABLES") every run. Measured on
 * MariaDB 10.11, with the table and its sequences locked WRITE:
 *  - a sequence drawn by one default of the table: ALTER and INSERT run;
 *  - a sequence drawn by two defaults of one table: still refused, even an
 *    INSERT, whatever aliases the sequence is locked under as well;
 *  - a statement naming a sequence itself (SET DEFAULT nextval(s), a CHANGE
 *    COLUMN restating such a default): refused, whatever is locked.
 * So a step either locks each sequence once, or cannot hold the lock at all.
 *
 * And it must not: an ALTER of such a table under LOCK TABLES (its sequence
 * locked with it), on a table with a trigger, crashed MariaDB 10.11.19 —
 * signal 11 in Item_func_nextval::val_int, an INSERT of another session
 * evaluating the default after the UNLOCK (campaign FB; 5 crashes in 5 runs
 * of twelve such ALTERs under two writers; none with the same ALTERs unlocked,
 * nor with LOCK TABLES and no ALTER). So no step holds LOCK TABLES over a
 * table whose default draws from a sequence: sequenceLockIssue says why, and
 * such steps run apart, or are refused at plan (the in-place cut-over).
 */
import { quoteMy as q } from './expr.js';
import type { MysqlCompiler } from './compiler.js';

const IDENT = '(?:`(?:[^`]|``)+`|[\\w$]+)';
const NAME = `(${IDENT}(?:\\s*\\.\\s*${IDENT})?)`;
const DRAWS = new RegExp(`\\b(?:nextval|lastval|setval)\\s*\\(\\s*${NAME}|\\b(?:next|previous)\\s+value\\s+for\\s+${NAME}`, 'gi');

/** The sequence names `sql` draws from, as written (`db`.`s`, s). */
export function sequencesIn(sql: string): string[] {
  return [...sql.matchAll(DRAWS)].map((m) => (m[1] ?? m[2])!);
}

/** The name without its database or quotes: what tells two defaults' sequences apart within one database. */
const bare = (name: string) => name.match(new RegExp(IDENT, 'g'))!.at(-1)!.replace(/^`|`$/g, '').replace(/``/g, '`');

/**
 * Why no LOCK TABLES may hold `tables` for `statements`, or null: a
 * statement naming a sequence, or a table whose default draws from one
 * (above). `added`: defaults of `tables[0]` the catalog does not show yet
 * (a column the plan adds).
 */
export function sequenceLockIssue(c: MysqlCompiler, tables: string[], statements: string[], added: { column: string; default: string }[] = []): string | null {
  const named = statements.flatMap(sequencesIn);
  if (named.length > 0) return `a default drawing from sequence ${named[0]} would be set under the lock, which MariaDB refuses whatever is locked`;
  for (const [i, table] of tables.entries()) {
    const defaults = [...(c.tableOf(table)?.columns.map((col) => ({ column: col.name, default: col.default ?? '' })) ?? []), ...(i === 0 ? added : [])];
    const drawing = new Map<string, { name: string; columns: string[] }>();
    for (const d of defaults) {
      for (const name of sequencesIn(d.default)) {
        const entry = drawing.get(bare(name)) ?? { name, columns: [] };
        drawing.set(bare(name), { name: entry.name, columns: [...entry.columns, d.column] });
      }
    }
    for (const { name, columns } of drawing.values()) {
      return columns.length > 1
        ? `the defaults of ${columns.map((x) => q(x)).join(' and ')} of ${q(table)} draw from one sequence, ${name}, and MariaDB cannot open such a table under LOCK TABLES (even an INSERT is refused there)`
        : `the default of ${q(columns[0]!)} of ${q(table)} draws from sequence ${name}, and an ALTER of such a table under LOCK TABLES crashed MariaDB 10.11 for the inserts that came after it (signal 11 in Item_func_nextval)`;
    }
  }
  return null;
}
