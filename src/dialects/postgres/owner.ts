/**
 * Whether this session may ALTER a table: PostgreSQL lets only its owner (or
 * a role that inherits the owner's) change a table, add triggers or indexes
 * to it, or drop it — whatever else was granted. Without this check, plan
 * passed and apply failed at its first ALTER ("must be owner of table t"),
 * leaving the migration `expanding` for a rollback to clear.
 */
import type { Session } from '../../db/driver.js';
import { quotePg } from './text.js';

export async function pgCannotAlter(s: Session, table: string): Promise<string | null> {
  const row = (await s.query<{ owner: string; me: string; may: boolean }>(
    `SELECT pg_get_userbyid(c.relowner)::text AS owner, current_user::text AS me, pg_has_role(current_user, c.relowner, 'USAGE') AS may
       FROM pg_class c WHERE c.oid = to_regclass(?)`,
    [quotePg(table)],
  )).rows[0];
  // A table the catalog does not have yet is one this migration creates: its owner will be this session.
  if (!row || row.may) return null;
  const [owner, me] = [quotePg(row.owner), quotePg(row.me)];
  return `table "${table}" is owned by ${owner}, and xc connects as ${me}, which is not that role nor a member of it: PostgreSQL lets only a table's owner change it — connect as ${owner}, or GRANT ${owner} TO ${me}`;
}
