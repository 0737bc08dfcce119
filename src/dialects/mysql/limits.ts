/**
 * What an expand adds to a MySQL/MariaDB table (its columns, the copies it keeps during a change, the indexes it
 * builds) that takes the table past a limit of the server (Dialect.tableGrowthIssue), tried on an empty temporary
 * copy of the table; changes nothing. PostgreSQL's counterpart is postgres/limits.ts.
 */
import type { Session } from '../../db/driver.js';
import { quoteMy } from './expr.js';

/** The server's limits a table grows past, by errno, in words. */
const GROWTH_LIMITS: Record<number, string> = {
  1118: 'its rows past the longest InnoDB keeps', // ER_TOO_BIG_ROWSIZE (8126 bytes on 16 KiB pages; 65535 for any table)
  1117: 'it past the most columns a table has', // ER_TOO_MANY_FIELDS
  1069: 'it past the most indexes a table has (64)', // ER_TOO_MANY_KEYS
  1070: 'an index past the most parts a key has', // ER_TOO_MANY_KEY_PARTS
  1071: 'an index past the longest key InnoDB keeps', // ER_TOO_LONG_KEY
  1709: "an index's column past the longest InnoDB keys in this row format (767 bytes: COMPACT, REDUNDANT)", // ER_INDEX_COLUMN_TOO_LONG (campaign AF-8)
};

/**
 * Why what `alters` (an expand's `ALTER TABLE … ADD COLUMN / ADD INDEX …, ALGORITHM=…` statements) adds to `table`
 * takes it past a limit of the server (GROWTH_LIMITS), or null. An INSTANT ADD COLUMN does not check the row size,
 * every later ALTER of the table does: a copy column on such a table was added, and its contract's and rollback's
 * DROP COLUMN then failed for good, while the triggers' copies failed the application's writes of long rows
 * (campaign AI-01, AI-05); a 65th index copy failed the expand half-way (AI-03). Tried on an empty temporary copy
 * of the table (CREATE … LIKE), whose ALTER checks as a rebuild does, in strict mode whatever the server's; any
 * other refusal there (a privilege, a feature a temporary table lacks) says nothing of the limits, and nothing is refused.
 */
export async function mysqlTableGrowthIssue(s: Session, table: string, alters: string[], mariadb: boolean): Promise<string | null> {
  const adds = alters.flatMap((sql) => /^ALTER TABLE `(?:[^`]|``)*` (ADD [^]*?)(?:, FORCE)?(?:, ALGORITHM=\w+(?:, LOCK=\w+)?)?$/i.exec(sql.trim())?.[1] ?? []);
  if (adds.length === 0) return null;
  const copy = quoteMy('xc_growth_check');
  try {
    await s.query(`DROP TEMPORARY TABLE IF EXISTS ${copy}`);
    await s.query(`CREATE TEMPORARY TABLE ${copy} LIKE ${quoteMy(table)}`);
    const alter = `ALTER TABLE ${copy} ${adds.join(', ')}`;
    await s.query(mariadb ? `SET STATEMENT innodb_strict_mode=1 FOR ${alter}` : alter, undefined, { single: true });
    return null;
  } catch (err) {
    const limit = GROWTH_LIMITS[(err as { errno?: number }).errno ?? 0];
    if (limit === undefined) return null;
    return `what this migration adds to "${table}" (its own columns and indexes, and the copies it keeps during a change) takes ${limit}: ${(err as Error).message} — the server would refuse it half-way through the expand, or (a row too long) every later ALTER of the table, the contract's and rollback's DROP COLUMN among them, and the application's writes of long rows; make room first (fewer or shorter columns, ROW_FORMAT=DYNAMIC, long columns TEXT, fewer indexes)`;
  } finally {
    await s.query(`DROP TEMPORARY TABLE IF EXISTS ${copy}`).catch(() => undefined);
  }
}
