/**
 * Who writes a table but reads what a trigger's expression reads otherwise than xc's role. PostgreSQL runs a trigger
 * function with the rights of the role whose INSERT or UPDATE fired it (xc's are SECURITY INVOKER: a definer's rights
 * would let any writer run the author's expression as xc's role), so an `up` reading a table, a column, a sequence or
 * a function an application role may not use fails that role's writes from expand on — "permission denied for table
 * secret" (campaign EK), though xc's own role, which plan checks it as, reads it. The same rights decide which rows a
 * table with row-level security shows the trigger (campaign EN: a lookup found none, and the row got NULL where the
 * backfill stored the value). MySQL/MariaDB run a trigger as its definer: there xc's role is the one that must read
 * it, and plan checks that already.
 */
import type { Session } from '../../db/driver.js';
import type { ExpressionCheck } from '../../plan/index.js';
import type { WriterReadIssue } from '../dialect.js';
import { quotePg } from './text.js';

const READS_VIEW = 'pg_temp.xc_expression_reads';

/**
 * What the expression reads, from the `pg_depend` entries of a view made of it (in a transaction rolled back: the
 * expression compiled, never run), and of the functions it calls that run with the caller's rights, as far as the
 * server records them: a SQL-standard body's (`BEGIN ATOMIC`) are, another body's are not (`unseen`). A table
 * read through a view is read with the view owner's rights, so not followed. Writers: roles, not superusers, that
 * may INSERT or UPDATE the table or a column of it (campaign EN: one writing by column grants was never asked).
 * `null` where the view cannot be made (a table this migration creates, say): no note.
 */
export async function pgDeniedToWriters(s: Session, check: ExpressionCheck, table: string): Promise<WriterReadIssue[] | null> {
  const cols = check.columns.length > 0 ? check.columns.map((c) => `NULL::${c.type} AS ${quotePg(c.name)}`).join(', ') : 'NULL AS _xc_none';
  await s.query('BEGIN');
  try {
    try {
      await s.query(`CREATE TEMP VIEW ${READS_VIEW} AS SELECT (${check.sql}) AS v FROM (SELECT ${cols}) AS ${quotePg(check.table)}`, undefined, { single: true });
    } catch {
      return null;
    }
    const r = await s.query<WriterReadIssue>(
      `WITH RECURSIVE reads AS (
         SELECT d.refclassid = 'pg_proc'::regclass AS fn, d.refobjid AS oid, d.refobjsubid AS col
           FROM pg_depend d JOIN pg_rewrite w ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
          WHERE w.ev_class = '${READS_VIEW}'::regclass AND d.refobjid <> w.ev_class
            AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
         UNION
         SELECT d.refclassid = 'pg_proc'::regclass, d.refobjid, d.refobjsubid
           FROM reads r JOIN pg_proc p ON r.fn AND p.oid = r.oid AND NOT p.prosecdef
           JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'n'
                           AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
       ), writers AS (
         SELECT oid, rolname, rolbypassrls FROM pg_roles
          WHERE NOT rolsuper AND rolname !~ '^pg_'
            AND (has_any_column_privilege(oid, to_regclass(?), 'INSERT') OR has_any_column_privilege(oid, to_regclass(?), 'UPDATE'))
       ), described AS (
         SELECT x.*, CASE
                  WHEN x.fn THEN 'function ' || x.oid::regprocedure::text
                  WHEN c.relkind = 'S' THEN 'sequence ' || x.oid::regclass::text
                  WHEN x.col > 0 THEN 'column ' || x.oid::regclass::text || '.' || quote_ident(a.attname)
                  ELSE 'table ' || x.oid::regclass::text END AS object,
                CASE
                  WHEN x.fn THEN 'EXECUTE ON FUNCTION ' || x.oid::regprocedure::text
                  WHEN c.relkind = 'S' THEN 'USAGE ON SEQUENCE ' || x.oid::regclass::text
                  WHEN x.col > 0 THEN 'SELECT (' || quote_ident(a.attname) || ') ON ' || x.oid::regclass::text
                  ELSE 'SELECT ON ' || x.oid::regclass::text END AS privilege,
                COALESCE(p.pronamespace, c.relnamespace) AS nsp, c.relkind,
                -- A body the server keeps as text (plpgsql, a quoted SQL body): what it reads is not recorded.
                x.fn AND NOT p.prosecdef AND to_jsonb(p) ->> 'prosqlbody' IS NULL
                  AND l.lanname NOT IN ('internal', 'c') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e') AS unseen,
                c.relkind IN ('r', 'p') AND c.relrowsecurity AS secured, c.relowner, c.relforcerowsecurity
           FROM reads x
           LEFT JOIN pg_proc p ON x.fn AND p.oid = x.oid
           LEFT JOIN pg_language l ON l.oid = p.prolang
           LEFT JOIN pg_namespace n ON n.oid = p.pronamespace
           LEFT JOIN pg_class c ON NOT x.fn AND c.oid = x.oid
           LEFT JOIN pg_attribute a ON NOT x.fn AND a.attrelid = x.oid AND a.attnum = x.col AND x.col > 0
       ), issues AS (
         SELECT CASE
                  WHEN NOT has_schema_privilege(w.oid, d.nsp, 'USAGE') OR NOT CASE
                    WHEN d.fn THEN has_function_privilege(w.oid, d.oid, 'EXECUTE')
                    WHEN d.relkind = 'S' THEN has_sequence_privilege(w.oid, d.oid, 'USAGE')
                    WHEN d.col > 0 THEN has_column_privilege(w.oid, d.oid, d.col::smallint, 'SELECT')
                    ELSE has_table_privilege(w.oid, d.oid, 'SELECT') END THEN 'denied'
                  -- A table's owner is shown every row unless FORCE ROW LEVEL SECURITY (one column read: the table's).
                  WHEN d.secured AND NOT w.rolbypassrls AND (d.relforcerowsecurity OR NOT pg_has_role(w.oid, d.relowner, 'USAGE'))
                    THEN 'rowSecurity'
                  WHEN d.unseen THEN 'unseen'
                END AS kind,
                d.object, 'table ' || d.oid::regclass::text AS whole, d.privilege, w.rolname
           FROM described d, writers w
       )
       -- Row security is the table's, whichever of its columns are read.
       SELECT kind, CASE kind WHEN 'rowSecurity' THEN whole ELSE object END AS object, min(privilege) AS privilege,
              array_agg(DISTINCT quote_ident(rolname)) AS roles
         FROM issues WHERE kind IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [table, table],
    );
    return r.rows;
  } finally {
    await s.query('ROLLBACK');
  }
}
