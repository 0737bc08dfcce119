/**
 * What MariaDB 10.11 will not change online (no table copy, no write lock), established by hand on the server, so
 * plan refuses it rather than apply, contract or a rollback meeting it: NULL ↔ NOT NULL (Dialect.nullabilityIssue)
 * and adding, dropping or rebuilding columns (Dialect.alterIssue) on tables with a STORED generated column, an indexed
 * VIRTUAL column, a FULLTEXT or a SPATIAL index, or of a TIMESTAMP column.
 */
import type { TableModel } from '../../schema/model.js';
import { placeholderFor } from './expr.js';

/** What keeps MariaDB from changing `table`'s columns online: an indexed VIRTUAL column, a FULLTEXT or a SPATIAL index. */
function onlineBlocker(table: TableModel): { kind: 'VIRTUAL' | 'FULLTEXT' | 'SPATIAL'; what: string } | undefined {
  const indexedVirtual = table.columns.find((c) => c.storage === 'virtual' && table.indexes.some((i) => i.columns.includes(c.name)));
  if (indexedVirtual) {
    const index = table.indexes.find((i) => i.columns.includes(indexedVirtual.name))!;
    return { kind: 'VIRTUAL', what: `the indexed VIRTUAL column "${indexedVirtual.name}" (index "${index.name}")` };
  }
  const locking = table.indexes.find((i) => /^\s*CREATE\s+(FULLTEXT|SPATIAL)\s/i.test(i.definition ?? ''));
  if (!locking) return undefined;
  const kind = /^\s*CREATE\s+FULLTEXT\s/i.test(locking.definition ?? '') ? 'FULLTEXT' : 'SPATIAL';
  return { kind, what: `the ${kind} index "${locking.name}"` };
}

/**
 * MariaDB 10.11 refuses MODIFY … NOT NULL with ALGORITHM=INPLACE (asking for ALGORITHM=COPY) on a table with a
 * STORED generated column, and for a TIMESTAMP column (whose NULL it would turn into the current time: "cannot
 * convert NULL to non-constant DEFAULT", whatever its default); and any online rebuild of a table with an indexed
 * VIRTUAL column, a FULLTEXT or a SPATIAL index, either way, with LOCK=NONE (asking for LOCK=SHARED). A virtual
 * column without an index, a column's other expression defaults, DATETIME, foreign keys and checks do not matter.
 */
export function mariadbNullabilityIssue(table: TableModel, column: string, type: string, toNotNull: boolean, addedNotNull = false): string | null {
  // Added NOT NULL with a placeholder (columns.ts addColumn): no MODIFY ever makes it so (in-place timestamp(3) → (6)).
  if (addedNotNull && placeholderFor(type) !== undefined) return null;
  const ref = `"${table.name}"."${column}"`;
  const stored = table.columns.find((c) => c.storage === 'stored');
  const what = toNotNull ? `made NOT NULL` : `made to allow NULL`;
  if (toNotNull && /^\s*timestamp\b/i.test(type)) {
    return `${ref} is a TIMESTAMP column, which MariaDB refuses to make NOT NULL online (ALGORITHM=INPLACE: "cannot convert NULL to non-constant DEFAULT"; only a table copy under a write lock does it) — make it DATETIME, or change it with \`sql\` operations`;
  }
  if (toNotNull && stored) {
    return `"${table.name}" has the STORED generated column "${stored.name}": MariaDB refuses to make a column of it NOT NULL online (ALGORITHM=INPLACE; only a table copy under a write lock does it), so ${ref} cannot be ${what} — make "${stored.name}" VIRTUAL first, or change the table with \`sql\` operations`;
  }
  const blocker = onlineBlocker(table);
  if (blocker) {
    return `"${table.name}" has ${blocker.what}: MariaDB rebuilds such a table only under a write lock (LOCK=SHARED, not LOCK=NONE), so ${ref} cannot be ${what} online — drop that index first, or change the table with \`sql\` operations`;
  }
  return null;
}
/**
 * MariaDB 10.11 (found by hand, each form alone on such a table): with a FULLTEXT index or an indexed VIRTUAL column,
 * no ADD COLUMN or DROP COLUMN runs without a table copy or a write lock (INSTANT and NOCOPY: "not supported … Try
 * ALGORITHM=INPLACE"; INPLACE, LOCK=NONE: "Try LOCK=SHARED"; with an indexed virtual column DROP COLUMN asks for
 * ALGORITHM=COPY), nor any rebuild (ADD COLUMN … FORCE, MODIFY … ALGORITHM=INPLACE, ADD PRIMARY KEY); with a SPATIAL
 * index only the rebuilds fail ("Do not support online operation on table with GIS index"), an instant ADD or DROP
 * COLUMN runs. The rest xc emits runs on all three: CREATE / ADD INDEX and foreign keys (INPLACE, LOCK=NONE), RENAME /
 * CHANGE COLUMN in place (INSTANT, NOCOPY), SET / DROP DEFAULT, DROP INDEX, DROP FOREIGN KEY / CONSTRAINT. An
 * unindexed VIRTUAL or a STORED generated column changes none of this. (MySQL: not established here; the dialect asks only MariaDB.)
 */
export function mariadbAlterIssue(table: TableModel, sql: string): string | null {
  if (!/^\s*(SET\s+STATEMENT\b.*?\bFOR\s+)?ALTER\s+TABLE\b/is.test(sql)) return null;
  // ROW_FORMAT=COMPRESSED (campaign AD): ADD / DROP COLUMN … ALGORITHM=INSTANT or NOCOPY fails ("Try ALGORITHM=INPLACE"),
  // after the steps before it ran; renaming a column or widening a varchar in place still runs instantly.
  if (table.compressed && /\bALGORITHM\s*=\s*(INSTANT|NOCOPY)\b/i.test(sql) && /\b(ADD|DROP)\s+COLUMN\b/i.test(sql)) {
    return `"${table.name}" is ROW_FORMAT=COMPRESSED: MariaDB adds or drops a column of such a table only by rebuilding it, not instantly as this step does — make it ROW_FORMAT=DYNAMIC first (an online rebuild: \`ALTER TABLE … ROW_FORMAT=DYNAMIC, ALGORITHM=INPLACE, LOCK=NONE\`), or change it with \`sql\` operations`;
  }
  if (table.hiddenFtsDocId && /\bALGORITHM\s*=\s*(INSTANT|NOCOPY)\b/i.test(sql) && /\b(ADD|DROP)\s+COLUMN\b/i.test(sql)) {
    return `"${table.name}" keeps InnoDB's hidden FTS_DOC_ID column from a FULLTEXT index dropped since: MariaDB adds or drops no column of it instantly, as this step does, until the table is rebuilt — rebuild it online first (\`ALTER TABLE … FORCE, ALGORITHM=INPLACE, LOCK=NONE\`, which drops the hidden column), or change it with \`sql\` operations`;
  }
  const blocker = onlineBlocker(table);
  if (!blocker) return null;
  const rebuild = /,\s*FORCE\s*,/i.test(sql) || /\bADD\s+PRIMARY\s+KEY\b/i.test(sql) || (/\bMODIFY\s+COLUMN\b/i.test(sql) && /\bALGORITHM\s*=\s*INPLACE\b/i.test(sql));
  const adds = /\bADD\s+COLUMN\b/i.test(sql);
  const drops = /\bDROP\s+COLUMN\b/i.test(sql);
  const refused = rebuild || (blocker.kind !== 'SPATIAL' && (adds || drops));
  if (!refused) return null;
  const what = rebuild ? 'rebuilds it online (ALGORITHM=INPLACE, LOCK=NONE)' : adds ? 'adds a column to it' : 'drops a column of it';
  const how = blocker.kind === 'SPATIAL' ? 'rebuilds such a table only under a write lock (LOCK=SHARED)' : 'adds, drops or rebuilds columns of such a table only under a write lock (LOCK=SHARED) or by copying it (ALGORITHM=COPY)';
  return `"${table.name}" has ${blocker.what}: MariaDB ${how}, and xc takes neither; this step ${what} — drop that ${blocker.kind === 'VIRTUAL' ? "column's index" : 'index'} first (dropIndex, in an earlier migration), or change the table with \`sql\` operations`;
}
