/**
 * Raw SQL checked for syntax on MySQL/MariaDB without running it: the
 * server's own parser, through a prepared statement (PREPARE parses and
 * resolves names, never executes). What it found, on MariaDB 10.11:
 * - no side effect: nothing is created or changed, and a PREPARE inside a
 *   transaction does not commit it (DDL only commits when executed);
 * - DDL is prepared without opening its tables: no metadata lock at all;
 * - DML and view definitions open their tables for name resolution, under
 *   the weakest metadata lock (shared), released when PREPARE returns (an
 *   ALTER runs while the prepared statement is still allocated). Such a lock
 *   still queues behind a pending exclusive one (an ALTER waiting for a long
 *   transaction): hence the short lock_wait_timeout around it. Syntax errors
 *   are raised by the parser before any table is opened, so giving up on
 *   that wait loses nothing;
 * - a prepared statement is one statement: text holding several is a parse
 *   error, exactly as it fails when xc sends it (one statement per call).
 *   So every statement that would run at apply has been parsed at plan.
 */
import type { Session } from '../../db/driver.js';
import { tokens } from './expr.js';

/** ER_PARSE_ERROR, ER_EMPTY_QUERY, ER_SYNTAX_ERROR: the parser's refusals. Anything else (unknown table or column, a lock wait, ER_UNSUPPORTED_PS 1295) is not a syntax error: that text meets the server at apply. */
const SYNTAX_ERRORS = new Set([1064, 1065, 1149]);

/** Seconds the check waits for a table's shared metadata lock (see above). */
const LOCK_WAIT_SECONDS = 1;

/** The text holds a `;` followed by more SQL (comments and whitespace aside). */
function severalStatements(sql: string): boolean {
  const significant = tokens(sql).filter((t) => !/^\s/.test(t) && !t.startsWith('--') && !t.startsWith('#') && !t.startsWith('/*'));
  const semicolon = significant.indexOf(';');
  return semicolon >= 0 && semicolon < significant.length - 1;
}

export async function mysqlSyntaxIssue(s: Session, sql: string): Promise<string | null> {
  // The text reaches the server as a hex literal: no quoting to get wrong, whatever sql_mode (NO_BACKSLASH_ESCAPES) says.
  const hex = Buffer.from(sql, 'utf8').toString('hex');
  try {
    // The session's own lock_wait_timeout is kept by value (the pool may be the application's) and put back below.
    await s.query(`SET @xc_syntax_lwt = @@SESSION.lock_wait_timeout, SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
    await s.query(`SET @xc_syntax_check = CONVERT(X'${hex}' USING utf8mb4)`);
    await s.query('PREPARE xc_syntax_check FROM @xc_syntax_check');
    await s.query('DEALLOCATE PREPARE xc_syntax_check');
    return null;
  } catch (err) {
    const e = err as { errno?: number; message?: string };
    if (!SYNTAX_ERRORS.has(e.errno ?? 0)) return null;
    const hint = severalStatements(sql)
      ? ' — if this is several statements: MySQL/MariaDB get each `sql` field as one statement, so give each its own `sql` operation'
      : '';
    return `${e.message ?? String(err)}${hint}`;
  } finally {
    await s
      .query('SET SESSION lock_wait_timeout = COALESCE(@xc_syntax_lwt, @@SESSION.lock_wait_timeout), @xc_syntax_lwt = NULL, @xc_syntax_check = NULL')
      .catch(() => undefined);
  }
}
