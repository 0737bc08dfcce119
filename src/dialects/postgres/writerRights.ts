/**
 * Who writes a table but may not read what a trigger's expression reads. PostgreSQL runs a trigger function with
 * the rights of the role whose INSERT or UPDATE fired it (xc's are SECURITY INVOKER: a definer's rights would let any
 * writer run the author's expression as xc's role), so an `up` reading a table, a column, a sequence or a function
 * an application role may not use fails that role's writes from expand on — "permission denied for table secret"
 * (campaign EK), though xc's own role, which plan checks it as, reads it. MySQL/MariaDB run a trigger as its
 * definer: there xc's role is the one that must read it, and plan checks that already.
 */
import type { Session } from '../../db/driver.js';
import type { ExpressionCheck } from '../../plan/index.js';
import { quotePg } from './text.js';

/** What one expression reads that roles writing its table may not: each object, described, with those roles. */
export interface DeniedToWriters {
  object: string;
  /** The privilege that would do, as GRANT takes it: `SELECT ON secret`, `EXECUTE ON FUNCTION f(integer)`. */
  privilege: string;
  roles: string[];
}

const READS_VIEW = 'pg_temp.xc_expression_reads';

/**
 * The view made of the expression only records what it reads (pg_depend): made in a transaction rolled back, the
 * expression compiled, never run. `null` where it cannot be made (a table this migration creates, say): no note.
 */
export async function pgDeniedToWriters(s: Session, check: ExpressionCheck, table: string): Promise<DeniedToWriters[] | null> {
  const cols = check.columns.length > 0 ? check.columns.map((c) => `NULL::${c.type} AS ${quotePg(c.name)}`).join(', ') : 'NULL AS _xc_none';
  await s.query('BEGIN');
  try {
    try {
      await s.query(`CREATE TEMP VIEW ${READS_VIEW} AS SELECT (${check.sql}) AS v FROM (SELECT ${cols}) AS ${quotePg(check.table)}`, undefined, { single: true });
    } catch {
      return null;
    }
    const r = await s.query<DeniedToWriters>(
      `WITH reads AS (
         SELECT DISTINCT d.refclassid = 'pg_proc'::regclass AS fn, d.refobjid AS oid, d.refobjsubid AS col
           FROM pg_depend d JOIN pg_rewrite w ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
          WHERE w.ev_class = '${READS_VIEW}'::regclass AND d.refobjid <> w.ev_class
            AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass)
       ), writers AS (
         SELECT oid, rolname FROM pg_roles
          WHERE NOT rolsuper AND rolname !~ '^pg_'
            AND (has_table_privilege(oid, to_regclass(?), 'INSERT') OR has_table_privilege(oid, to_regclass(?), 'UPDATE'))
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
                COALESCE(p.pronamespace, c.relnamespace) AS nsp, c.relkind
           FROM reads x
           LEFT JOIN pg_proc p ON x.fn AND p.oid = x.oid
           LEFT JOIN pg_class c ON NOT x.fn AND c.oid = x.oid
           LEFT JOIN pg_attribute a ON NOT x.fn AND a.attrelid = x.oid AND a.attnum = x.col AND x.col > 0
       )
       SELECT d.object, d.privilege, array_agg(quote_ident(w.rolname) ORDER BY w.rolname) AS roles
         FROM described d, writers w
        WHERE NOT has_schema_privilege(w.oid, d.nsp, 'USAGE')
           OR NOT CASE
                WHEN d.fn THEN has_function_privilege(w.oid, d.oid, 'EXECUTE')
                WHEN d.relkind = 'S' THEN has_sequence_privilege(w.oid, d.oid, 'USAGE')
                WHEN d.col > 0 THEN has_column_privilege(w.oid, d.oid, d.col::smallint, 'SELECT')
                ELSE has_table_privilege(w.oid, d.oid, 'SELECT') END
        GROUP BY d.object, d.privilege ORDER BY d.object`,
      [table, table],
    );
    return r.rows;
  } finally {
    await s.query('ROLLBACK');
  }
}
