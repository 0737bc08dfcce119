/**
 * PostgreSQL: the comments of a table's constraints and indexes across a
 * column's cut-over (Ddl.swapColumns). The cut-over drops the checks and
 * foreign keys over the column and adds them again, and replaces its indexes
 * by the copies built over the shadow: each comes back under its name, but
 * COMMENT ON CONSTRAINT / INDEX belongs to the object that was dropped. So do
 * the other tables' foreign keys that reference a key column cut over (added
 * again over it). First in the cut-over's transaction, every such comment is
 * kept by kind, table and name in a transaction-local setting; last, each
 * constraint or index of that name that has none gets it back.
 */
import type { Step } from '../../plan/index.js';
import { doBlock, quotePg as q } from './text.js';

type Tx = (sql: string, description: string, lock: string, tables: string[]) => Step;

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** The table's constraints and indexes and the foreign keys referencing it, by kind ('c' / 'i'), table and name, with their comments. */
const objects = (table: string) => {
  const reg = `${lit(q(table))}::regclass`;
  return (
    `SELECT 'c' AS kind, conrelid::regclass::text AS rel, conname::text AS name, oid, obj_description(oid, 'pg_constraint') AS comment FROM pg_constraint WHERE conrelid = ${reg} OR confrelid = ${reg} ` +
    `UNION ALL SELECT 'i', x.indrelid::regclass::text, c.relname::text, c.oid, obj_description(c.oid, 'pg_class') FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = ${reg}`
  );
};
const setting = `'xc.comment_' || md5(o.kind || o.rel || '.' || o.name)`;

export function saveComments(table: string, tx: Tx): Step {
  const sql = `SELECT count(set_config(${setting}, o.comment, true)) FROM (${objects(table)}) o WHERE o.comment IS NOT NULL`;
  return tx(sql, `remember the comments of the constraints and indexes of ${q(table)} (given back after the cut-over)`, 'none (reads the catalog)', [table]);
}

export function restoreComments(table: string, tx: Tx): Step {
  const kept = `NULLIF(current_setting(${setting}, true), '')`;
  const body =
    `DECLARE o record; BEGIN FOR o IN SELECT s.kind, s.rel, s.name, s.oid, ${kept.replace(/o\./g, 's.')} AS kept FROM (${objects(table)}) s WHERE s.comment IS NULL LOOP ` +
    `IF o.kept IS NOT NULL THEN IF o.kind = 'c' THEN EXECUTE format('COMMENT ON CONSTRAINT %I ON %s IS %L', o.name, o.rel, o.kept); ` +
    `ELSE EXECUTE format('COMMENT ON INDEX %s IS %L', o.oid::regclass, o.kept); END IF; END IF; END LOOP; END`;
  return tx(doBlock(body), `give the constraints and indexes of ${q(table)} that came back their comments`, 'none beyond the cut-over\'s (catalog only)', [table]);
}
