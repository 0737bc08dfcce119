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
 * expression compiled, never run), and of what it runs with the caller's rights, as far as the server records them:
 * a SECURITY INVOKER function's SQL-standard body (`BEGIN ATOMIC`; another body is not recorded: `unseen`), an
 * operator's function, a domain's CHECK, a `security_invoker` view's query. A table read through another view is
 * read with the view owner's rights, so not followed. Writers: roles, not superusers, that may INSERT or UPDATE the
 * table or a column of it (campaign EN: one writing by column grants was never asked), and PUBLIC where it may.
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
      `WITH RECURSIVE reads(cls, oid, col) AS (
         SELECT d.refclassid, d.refobjid, d.refobjsubid
           FROM pg_depend d JOIN pg_rewrite w ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
          WHERE w.ev_class = '${READS_VIEW}'::regclass AND d.refobjid <> w.ev_class
         UNION
         -- What runs with the caller's rights, followed: a SECURITY INVOKER function's SQL-standard body, an operator's
         -- function, a domain's CHECK (and the domain under it), a security_invoker view's query (campaign EP).
         SELECT d.refclassid, d.refobjid, d.refobjsubid
           FROM reads r JOIN pg_depend d ON d.deptype = 'n' AND d.refobjid <> r.oid AND (
                  (r.cls = 'pg_proc'::regclass AND d.classid = r.cls AND d.objid = r.oid AND NOT (SELECT prosecdef FROM pg_proc WHERE oid = r.oid))
               OR (r.cls IN ('pg_operator'::regclass, 'pg_type'::regclass) AND d.classid = r.cls AND d.objid = r.oid)
               OR (r.cls = 'pg_type'::regclass AND d.classid = 'pg_constraint'::regclass AND d.objid IN (SELECT oid FROM pg_constraint WHERE contypid = r.oid))
               OR (r.cls = 'pg_class'::regclass AND d.classid = 'pg_rewrite'::regclass AND d.objid IN (
                     SELECT w.oid FROM pg_rewrite w JOIN pg_class v ON v.oid = w.ev_class
                      WHERE w.ev_class = r.oid AND v.relkind = 'v' AND EXISTS (SELECT 1 FROM unnest(v.reloptions) o WHERE o ~* '^security_invoker=(true|on|yes|1)$'))))
       ), writers AS (
         SELECT oid, rolname::text, rolbypassrls FROM pg_roles
          WHERE NOT rolsuper AND rolname !~ '^pg_'
            AND (has_any_column_privilege(oid, to_regclass(?), 'INSERT') OR has_any_column_privilege(oid, to_regclass(?), 'UPDATE'))
         -- PUBLIC writing it: every role does, one created later too (campaign EP: the note named each role there was).
         UNION ALL
         SELECT NULL, 'public', false
          WHERE has_any_column_privilege('public', to_regclass(?), 'INSERT') OR has_any_column_privilege('public', to_regclass(?), 'UPDATE')
       ), described AS (
         SELECT x.oid, x.col, x.cls = 'pg_proc'::regclass AS fn, CASE
                  WHEN x.cls = 'pg_proc'::regclass THEN 'function ' || x.oid::regprocedure::text
                  WHEN c.relkind = 'S' THEN 'sequence ' || x.oid::regclass::text
                  WHEN x.col > 0 THEN 'column ' || x.oid::regclass::text || '.' || quote_ident(a.attname)
                  ELSE 'table ' || x.oid::regclass::text END AS object,
                CASE
                  WHEN x.cls = 'pg_proc'::regclass THEN 'EXECUTE ON FUNCTION ' || x.oid::regprocedure::text
                  WHEN c.relkind = 'S' THEN 'USAGE ON SEQUENCE ' || x.oid::regclass::text
                  WHEN x.col > 0 THEN 'SELECT (' || quote_ident(a.attname) || ') ON ' || x.oid::regclass::text
                  ELSE 'SELECT ON ' || x.oid::regclass::text END AS privilege,
                n.oid AS nsp, n.nspname, c.relkind,
                -- A body the server keeps as text (plpgsql, a quoted SQL body): what it reads is not recorded.
                x.cls = 'pg_proc'::regclass AND NOT p.prosecdef AND to_jsonb(p) ->> 'prosqlbody' IS NULL
                  AND l.lanname NOT IN ('internal', 'c') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e') AS unseen,
                c.relkind IN ('r', 'p') AND c.relrowsecurity AS secured, c.relowner, c.relforcerowsecurity
           FROM reads x
           LEFT JOIN pg_proc p ON x.cls = 'pg_proc'::regclass AND p.oid = x.oid
           LEFT JOIN pg_language l ON l.oid = p.prolang
           LEFT JOIN pg_class c ON x.cls = 'pg_class'::regclass AND c.oid = x.oid
           LEFT JOIN pg_namespace n ON n.oid = COALESCE(p.pronamespace, c.relnamespace)
           LEFT JOIN pg_attribute a ON c.oid IS NOT NULL AND a.attrelid = x.oid AND a.attnum = x.col AND x.col > 0
          WHERE x.cls IN ('pg_proc'::regclass, 'pg_class'::regclass)
       ), pairs AS (
         SELECT d.*, w.oid AS role, w.rolname, w.rolbypassrls, has_schema_privilege(w.rolname, d.nsp, 'USAGE') AS usable
           FROM described d, writers w
       ), issues AS (
         SELECT CASE
                  WHEN NOT d.usable THEN 'denied'
                  WHEN NOT CASE
                    WHEN d.fn THEN has_function_privilege(d.rolname, d.oid, 'EXECUTE')
                    WHEN d.relkind = 'S' THEN has_sequence_privilege(d.rolname, d.oid, 'USAGE')
                    WHEN d.col > 0 THEN has_column_privilege(d.rolname, d.oid, d.col::smallint, 'SELECT')
                    ELSE has_table_privilege(d.rolname, d.oid, 'SELECT') END THEN 'denied'
                  -- A table's owner is shown every row unless FORCE ROW LEVEL SECURITY (one column read: the table's).
                  WHEN d.secured AND NOT d.rolbypassrls AND (d.relforcerowsecurity OR d.role IS NULL OR NOT pg_has_role(d.role, d.relowner, 'USAGE'))
                    THEN 'rowSecurity'
                  WHEN d.unseen THEN 'unseen'
                END AS kind,
                -- Without the schema's USAGE, that is what to grant (campaign EP: the note gave an EXECUTE the role had).
                CASE WHEN d.usable THEN d.object ELSE 'schema ' || quote_ident(d.nspname) END AS object,
                CASE WHEN d.usable THEN d.privilege ELSE 'USAGE ON SCHEMA ' || quote_ident(d.nspname) END AS privilege,
                'table ' || d.oid::regclass::text AS whole, d.rolname
           FROM pairs d
       )
       -- Row security is the table's, whichever of its columns are read.
       SELECT kind, CASE kind WHEN 'rowSecurity' THEN whole ELSE object END AS object, min(privilege) AS privilege,
              -- What PUBLIC lacks, granted to PUBLIC, every role has.
              CASE WHEN bool_or(rolname = 'public') THEN ARRAY['PUBLIC'] ELSE array_agg(DISTINCT quote_ident(rolname)) END AS roles
         FROM issues WHERE kind IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [table, table, table, table],
    );
    return r.rows;
  } finally {
    await s.query('ROLLBACK');
  }
}
