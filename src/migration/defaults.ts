/**
 * The defaults validation fills in (schema.ts: ColumnSchema's `nullable: true`), put in without zod. With them, a
 * file unchanged since it was applied has the checksum its state row recorded, so status recognises it without
 * loading the validator (load.ts, loadRecordedFile). Mirrors every `.default(...)` of schema.ts, at exactly those
 * places: one missed only costs the validator's load; one too many could hide an edit (test/unit/load-recorded.test.ts).
 */
type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A column as ColumnSchema outputs it: `nullable` true when not given. */
const column = (c: unknown): unknown => (isObject(c) && c.nullable === undefined ? { ...c, nullable: true } : c);

/** Every operation that holds ColumnSchema columns: createTable's `columns`, addColumn's `column`. */
function operation(entry: unknown): unknown {
  if (!isObject(entry)) return entry;
  const { createTable, addColumn } = entry;
  if (isObject(createTable) && Array.isArray(createTable.columns)) return { ...entry, createTable: { ...createTable, columns: createTable.columns.map(column) } };
  if (isObject(addColumn) && 'column' in addColumn) return { ...entry, addColumn: { ...addColumn, column: column(addColumn.column) } };
  return entry;
}

/** `raw` (a migration file's value) with the schema's defaults filled in; not validated. */
export function withSchemaDefaults(raw: unknown): unknown {
  if (!isObject(raw) || !Array.isArray(raw.operations)) return raw;
  return { ...raw, operations: raw.operations.map(operation) };
}
