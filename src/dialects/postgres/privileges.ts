/**
 * PostgreSQL privileges that must follow what xc moves: a column copied or
 * changed in place through a shadow (the old column's column-level grants),
 * and a renamed table's old name, kept by a view (the table's grants, and
 * its row-level security). Each is one `DO` block run in the step's
 * transaction, reading the ACL when it runs and granting each entry again,
 * to the same grantee (oid 0: PUBLIC) with its grant option. The grantor is
 * whoever runs xc (the table's owner, or a member of its role).
 */
import { doBlock, literal, quotePg } from './text.js';

const GRANTEE = `CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END`;
const OPTION = `CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END`;
/** What a view takes of a table's privileges (a table's MAINTAIN, PostgreSQL 17, is not one). */
const VIEW_PRIVILEGES = `('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')`;

/** Each row of `acl` (privilege_type, grantee, is_grantable[, attname]) granted again by `grant`, a format() string and its arguments. */
const regrant = (acl: string, grant: string) => `  FOR g IN ${acl} LOOP\n    EXECUTE format(${grant}, ${GRANTEE}, ${OPTION});\n  END LOOP;`;

const grantBlock = (lines: string[]) => doBlock([' DECLARE g record;', 'BEGIN', ...lines, 'END '].join('\n'));

/**
 * The old column's own grants (pg_attribute.attacl: table-level ones cover every column already) on the new column.
 * `replace`: the new column's own grants revoked first, so it has exactly the old column's as they are now — at an
 * in-place change's cut-over, where a GRANT or REVOKE on the column since expand must hold for the column from then on.
 */
export function carryColumnGrants(table: string, from: string, to: string, opts: { replace?: boolean } = {}): string {
  const aclOf = (column: string) => `SELECT DISTINCT x.privilege_type, x.grantee, x.is_grantable FROM pg_attribute a, aclexplode(a.attacl) x
    WHERE a.attrelid = to_regclass(${literal(quotePg(table))}) AND a.attname = ${literal(column)} AND NOT a.attisdropped`;
  const revoke = `  FOR g IN ${aclOf(to)} LOOP\n    EXECUTE format('REVOKE %s (%I) ON %s FROM %s CASCADE', g.privilege_type, ${literal(to)}, ${literal(quotePg(table))}, ${GRANTEE});\n  END LOOP;`;
  return grantBlock([...(opts.replace ? [revoke] : []), regrant(aclOf(from), `'GRANT %s (%I) ON %s TO %s%s', g.privilege_type, ${literal(to)}, ${literal(quotePg(table))}`)]);
}

/**
 * The view under a renamed table's old name, used as the table was: the privileges granted on the table and its
 * columns granted on the view too (the application's role, not the owner, is who old code runs as). A table with
 * row-level security gets a `security_invoker` view (PostgreSQL 15+), so its policies apply to whoever reads through
 * the view, not to its owner, who would bypass them; before 15 such a table is refused here (the rename's transaction
 * fails, nothing done). Any other table's view runs with its owner's rights on the table, as views do: an invoker's
 * view reads every column of the table as the invoker, so a role granted some columns only was refused all of them.
 */
export function viewAsTable(view: string, table: string): string {
  const v = literal(quotePg(view));
  const t = `${literal(quotePg(table))}::regclass`;
  // The table's owner included (its privileges are implicit while the ACL is NULL: acldefault), when another role
  // runs xc: old code may run as that owner. The view's own owner (xc's role) has them already.
  const tableAcl = `SELECT DISTINCT x.privilege_type, x.grantee, x.is_grantable FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x
    WHERE c.oid = ${t} AND x.grantee <> (SELECT relowner FROM pg_class WHERE oid = ${v}::regclass) AND x.privilege_type IN ${VIEW_PRIVILEGES}`;
  const columnAcl = `SELECT DISTINCT a.attname, x.privilege_type, x.grantee, x.is_grantable FROM pg_attribute a, aclexplode(a.attacl) x
    WHERE a.attrelid = ${t} AND a.attnum > 0 AND NOT a.attisdropped AND x.privilege_type IN ${VIEW_PRIVILEGES}`;
  return grantBlock([
    `  IF (SELECT relrowsecurity FROM pg_class WHERE oid = ${t}) THEN`,
    `    IF current_setting('server_version_num')::int < 150000 THEN`,
    `      RAISE EXCEPTION 'table % has row-level security, which a view under its old name would bypass before PostgreSQL 15 (no security_invoker): rename it in a release where old code no longer uses the old name, or upgrade', ${v};`,
    '    END IF;',
    `    EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', ${v});`,
    '  END IF;',
    regrant(tableAcl, `'GRANT %s ON %s TO %s%s', g.privilege_type, ${v}`),
    regrant(columnAcl, `'GRANT %s (%I) ON %s TO %s%s', g.privilege_type, g.attname, ${v}`),
  ]);
}
