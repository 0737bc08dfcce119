/**
 * The clauses after a foreign key's REFERENCES (…), for both servers: what
 * the key does on delete and update of its parent, its MATCH type and when it
 * is checked. PostgreSQL takes all of them; MySQL/MariaDB have no DEFERRABLE
 * and ignore MATCH (validation refuses both there, with the reason,
 * before anything runs: BaseDialect.lacks).
 */
import { InvalidInputError } from '../errors.js';
import type { References } from '../migration/schema.js';
import type { PlannedForeignKey } from '../schema/planned.js';

/** The options of a foreign key beyond its columns. */
export type ReferenceOptions = Pick<PlannedForeignKey, 'onDelete' | 'onDeleteColumns' | 'onUpdate' | 'matchType' | 'deferrable' | 'initiallyDeferred'>;

/**
 * The parent a foreign key references, quoted, with its schema (MySQL: database) where it is not the child's own: a key
 * xc makes again from the catalog (carried to a new column, renamed, checked) named it bare, and so pointed at a
 * same-named table of the child's schema, or at none (campaign DZ: the contract failed, left `contracting`, the key gone).
 */
export function referencedTable(quote: (name: string) => string, k: { refTable: string; refSchema?: string }): string {
  return `${k.refSchema ? `${quote(k.refSchema)}.` : ''}${quote(k.refTable)}`;
}

/** The options a file's `references` (or a key the catalog shows) gives, without the ones left out. */
export function referenceOptions(ref: ReferenceOptions | Pick<References, 'onDelete' | 'onUpdate' | 'matchType' | 'deferrable' | 'initiallyDeferred'>): ReferenceOptions {
  const o: ReferenceOptions = { onDelete: ref.onDelete ?? null };
  if ('onDeleteColumns' in ref && ref.onDeleteColumns?.length) o.onDeleteColumns = ref.onDeleteColumns;
  if (ref.onUpdate) o.onUpdate = ref.onUpdate;
  if (ref.matchType && ref.matchType !== 'simple') o.matchType = ref.matchType;
  if (ref.deferrable || ref.initiallyDeferred) o.deferrable = true;
  if (ref.initiallyDeferred) o.initiallyDeferred = true;
  return o;
}

/** ` MATCH FULL ON DELETE … ON UPDATE … DEFERRABLE INITIALLY DEFERRED`, as far as `server` has them. */
export function referenceClauses(o: ReferenceOptions, server: 'postgres' | 'mysql'): string {
  const mysql = server === 'mysql';
  if (mysql && (o.deferrable || o.initiallyDeferred || (o.matchType && o.matchType !== 'simple'))) {
    throw new InvalidInputError('MySQL/MariaDB foreign keys cannot be DEFERRABLE or MATCH FULL/PARTIAL', {}, { code: 'invalid_migration' });
  }
  let s = '';
  if (o.matchType && o.matchType !== 'simple') s += ` MATCH ${o.matchType.toUpperCase()}`;
  if (o.onDelete) s += ` ON DELETE ${o.onDelete.toUpperCase()}`;
  // Only PostgreSQL's catalog shows a column list (15+), in its own quoting.
  if (o.onDelete && o.onDeleteColumns?.length && !mysql) s += ` (${o.onDeleteColumns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ')})`;
  if (o.onUpdate) s += ` ON UPDATE ${o.onUpdate.toUpperCase()}`;
  if (o.deferrable || o.initiallyDeferred) s += ' DEFERRABLE';
  if (o.initiallyDeferred) s += ' INITIALLY DEFERRED';
  return s;
}
