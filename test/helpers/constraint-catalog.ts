/** Catalog reads of constraints for the createConstraint tests: every constraint by name and definition, the primary key's columns. */
import type { Db } from './targets.js';

/** Constraints of a table as `name definition` (PostgreSQL: pg_get_constraintdef), sorted. */
export async function constraints(db: Db, table: string): Promise<string[]> {
  if (db.dialect === 'postgres') {
    return (await db.query<{ d: string }>(`SELECT conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = to_regclass(?) ORDER BY 1`, [`"${table}"`])).map((r) => r.d);
  }
  const r = await db.query<{ d: string }>(
    `SELECT CONCAT(c.constraint_name, ' ', c.constraint_type, ' (', GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position SEPARATOR ', '), ')') AS d
       FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
      WHERE c.constraint_schema = DATABASE() AND c.table_name = ? GROUP BY c.constraint_name, c.constraint_type ORDER BY 1`,
    [table],
  );
  return r.map((x) => x.d);
}

/** The primary key's columns, as the catalog has them. */
export async function primaryKey(db: Db, table: string): Promise<string[]> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT a.attname AS c FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`
      : `SELECT column_name AS c FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position`;
  return (await db.query<{ c: string }>(sql, [db.dialect === 'postgres' ? `"${table}"` : table])).map((r) => r.c);
}
