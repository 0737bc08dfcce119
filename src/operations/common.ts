/** Checks and helpers shared by the operations. */
import type { SchemaModel, TableModel } from '../schema/model.js';
import type { ExpressionCheck, ValidationIssue } from './types.js';

export function requireTable(model: SchemaModel, table: string, path: (string | number)[], issues: ValidationIssue[]): TableModel | undefined {
  const t = model.table(table);
  if (!t) issues.push({ path, message: `table "${table}" does not exist` });
  else if (t.kind !== 'table') issues.push({ path, message: `"${table}" is a view, not a table` });
  return t?.kind === 'table' ? t : undefined;
}

export function requireColumn(t: TableModel | undefined, column: string, path: (string | number)[], issues: ValidationIssue[]): void {
  if (t && !t.columns.some((c) => c.name === column)) issues.push({ path, message: `table "${t.name}" has no column "${column}"` });
}

export function requireNoColumn(t: TableModel | undefined, column: string, path: (string | number)[], issues: ValidationIssue[]): void {
  if (t && t.columns.some((c) => c.name === column)) issues.push({ path, message: `table "${t.name}" already has a column "${column}"` });
}

/** Columns xc cannot copy online: primary-key members, identity/generated columns, FK targets of other tables. */
export function refuseUncopyable(model: SchemaModel, t: TableModel | undefined, column: string, path: (string | number)[], issues: ValidationIssue[]): void {
  if (!t) return;
  const col = t.columns.find((c) => c.name === column);
  if (!col) return;
  if (t.primaryKey.includes(column)) issues.push({ path, message: `"${t.name}"."${column}" is part of the primary key; changing a key column online is not supported (add a new column and switch the key in a later migration)` });
  if (col.generated) issues.push({ path, message: `"${t.name}"."${column}" is an identity or generated column; it cannot be copied online` });
  for (const other of model.tables.values()) {
    for (const fk of other.foreignKeys) {
      if (fk.refTable === t.name && fk.refColumns.includes(column)) {
        issues.push({ path, message: `"${t.name}"."${column}" is referenced by foreign key "${fk.name}" of "${other.name}"; drop that key first` });
      }
    }
  }
}

export function columnsOf(t: TableModel | undefined, extra: { name: string; type: string }[] = []): { name: string; type: string }[] {
  return [...(t?.columns.map((c) => ({ name: c.name, type: c.type })) ?? []), ...extra];
}

/** An expression check, or none when the expression has no variant for this dialect (reported separately). */
export function exprCheck(path: (string | number)[], table: string, sql: string | undefined, columns: { name: string; type: string }[], castTo?: string): ExpressionCheck[] {
  return sql === undefined ? [] : [{ path, table, sql, columns, castTo }];
}

const doubleQuote = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** Replace a whole identifier (bare, double- or backtick-quoted), never inside string literals; writes it with `quote`. */
export function replaceIdentifier(sql: string, from: string, to: string, quote: (id: string) => string = doubleQuote): string {
  const out: string[] = [];
  const re = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_$]*|[\s\S]/g;
  const quoted = new Set([from, doubleQuote(from), `\`${from.replace(/`/g, '``')}\``]);
  for (const m of sql.match(re) ?? []) out.push(quoted.has(m) ? quote(to) : m);
  return out.join('');
}

/** A name for a copy of `name` that refers to `to` instead of `from`, within 63 characters. */
export function derivedName(name: string, from: string, to: string, fallback: string): string {
  const replaced = name.includes(from) ? name.split(from).join(to) : `${name}_${to}`;
  return replaced.length <= 63 && replaced !== name ? replaced : fallback;
}
