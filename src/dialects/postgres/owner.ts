/**
 * Whether this session may run an operation's statements on a table:
 * PostgreSQL lets only its owner (or a role that inherits the owner's)
 * change a table, add triggers or indexes to it, or drop it — whatever else
 * was granted; and an object made by an unqualified name (xc's trigger
 * functions, the view keeping a renamed table's old name, a new table) goes
 * into the current schema, which asks CREATE on that schema (which
 * PostgreSQL 15 no longer grants on `public` to everyone). Without this
 * check, plan passed and apply failed at its first ALTER ("must be owner of
 * table t") or its first trigger function ("permission denied for schema
 * public"), leaving the migration `expanding` for a rollback to clear.
 */
import type { Session } from '../../db/driver.js';
import { quotePg } from './text.js';

const NAME = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
/** A statement making a function, view or table by an unqualified name: in the current schema. */
const MAKES_UNQUALIFIED = new RegExp(`^CREATE\\s+(?:OR\\s+REPLACE\\s+)?(FUNCTION|VIEW|TABLE)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${NAME}(?!\\s*\\.)`, 'i');
const WHAT: Record<string, string> = { FUNCTION: 'its trigger functions', VIEW: 'a view', TABLE: 'a table' };

export async function pgCannotAlter(s: Session, table: string, statements: string[]): Promise<string | null> {
  const made = [...new Set(statements.map((sql) => MAKES_UNQUALIFIED.exec(sql.trimStart())?.[1]?.toUpperCase()).filter((x) => x !== undefined))];
  const row = (await s.query<{ owner: string | null; me: string; may: boolean | null; schema: string | null; mayCreate: boolean | null }>(
    `SELECT pg_get_userbyid(c.relowner)::text AS owner, current_user::text AS me, pg_has_role(current_user, c.relowner, 'USAGE') AS may,
            current_schema()::text AS schema, has_schema_privilege(current_schema(), 'CREATE') AS "mayCreate"
       FROM (SELECT 1) one LEFT JOIN pg_class c ON c.oid = to_regclass(?)`,
    [quotePg(table)],
  )).rows[0]!;
  const me = quotePg(row.me);
  // A table the catalog does not have yet is one this migration creates: its owner will be this session.
  if (row.owner !== null && row.may === false) {
    const owner = quotePg(row.owner);
    return `table "${table}" is owned by ${owner}, and xc connects as ${me}, which is not that role nor a member of it: PostgreSQL lets only a table's owner change it — connect as ${owner}, or GRANT ${owner} TO ${me}`;
  }
  if (made.length > 0 && row.schema !== null && row.mayCreate === false) {
    const schema = quotePg(row.schema);
    return `xc connects as ${me}, which may not create objects in schema ${schema}, where this operation makes ${made.map((m) => WHAT[m]).join(' and ')} — GRANT CREATE ON SCHEMA ${schema} TO ${me}`;
  }
  return null;
}
