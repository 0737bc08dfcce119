/**
 * Keys of a column changed in place through a shadow (shadow.ts): its
 * primary key and the foreign keys of other tables referencing it.
 *
 * The shadow gets a unique copy of the primary key's index at expand (built
 * online, like the other copies), and NOT NULL before the cut-over; the
 * cut-over (Ddl.swapColumns) drops the referencing keys, swaps the column
 * (its primary key goes with it), makes the copy the primary key under its
 * old name, and adds the referencing keys again without reading a row; they
 * are validated after it, without a write lock. The verify proves first that
 * every child row finds its parent through the shadow, so that validation
 * cannot fail. Whether the server can do it (MariaDB: no primary key, no
 * AUTO_INCREMENT, children's types still compatible) is the dialect's answer
 * (Ddl.shadowKeyIssues), refused at plan otherwise.
 */
import type { ForeignKeyModel, IndexModel } from '../schema/model.js';
import type { AgreementCheck } from '../plan/index.js';
import type { ForeignKeySpec } from '../dialects/dialect.js';
import type { PlanContext, ValidateContext, ValidationIssue } from './types.js';
import { keyedCheck } from './batches.js';

type Schema = Pick<ValidateContext, 'model' | 'dialect'>;

/** Other tables' foreign keys over any of `columns` of `table`, as specs of their own tables. */
export function referencingKeys({ model }: Pick<ValidateContext, 'model'>, table: string, columns: string[]): ForeignKeySpec[] {
  return [...model.tables.values()].flatMap((other) =>
    other.name === table ? [] : other.foreignKeys.filter((k) => k.refTable === table && k.refColumns.some((c) => columns.includes(c))).map((k: ForeignKeyModel): ForeignKeySpec => ({ ...k, table: other.name })),
  );
}

/** The primary key's index, when it covers one of `columns`. */
export function primaryIndexOver({ model }: Pick<ValidateContext, 'model'>, table: string, columns: string[]): IndexModel | undefined {
  return model.table(table)?.indexes.find((i) => i.primary && i.columns.some((c) => columns.includes(c)));
}

/**
 * What an in-place change of `column` to `type` through a shadow cannot
 * carry, as issues at `path`: a generated column (not an identity the
 * server can give back), and whatever the dialect refuses of its keys.
 */
export function shadowKeyIssues(ctx: Schema, table: string, column: string, type: string, path: (string | number)[]): ValidationIssue[] {
  const t = ctx.model.table(table);
  const col = t?.columns.find((c) => c.name === column);
  if (!t || !col) return [];
  const issues: ValidationIssue[] = [];
  // A generated column's value is the server's, filled after the triggers a shadow lives by (an identity on PostgreSQL is filled before them).
  if (col.generated && col.filledAfterTriggers) {
    issues.push({ path, code: 'generated_column', table, column, message: `"${table}"."${column}" is a generated or AUTO_INCREMENT column, which the server fills only after BEFORE triggers run: a shadow column cannot follow it in place` });
  }
  // A key of the table itself (parent_id → id): the swap would have to drop and re-add it over both new columns at once.
  for (const k of t.foreignKeys.filter((x) => x.refTable === table && x.refColumns.includes(column))) {
    issues.push({ path, code: 'referenced', table, column, foreignKey: k.name, referencing: table, message: `"${table}"."${column}" is referenced by foreign key "${k.name}" of its own table: not carried in place; drop the key, change the column, add the key again` });
  }
  // A partitioned table's key (and its clone on each partition) cannot be added again NOT VALID: PostgreSQL would check every partition's rows under the cut-over's lock, or refuse.
  for (const k of referencingKeys(ctx, table, [column])) {
    const child = ctx.model.table(k.table);
    const parent = child?.partitionOf === undefined ? undefined : ctx.model.table(child.partitionOf);
    if (parent?.foreignKeys.some((p) => p.name === k.name && p.refTable === table)) continue; // the partitioned table's key, named below
    if (!child?.partitioned && !parent) continue;
    const which = child!.partitioned ? `partitioned table "${k.table}"` : `"${k.table}", a partition of "${child!.partitionOf}"`;
    issues.push({
      path, code: 'referenced', table, column, foreignKey: k.name, referencing: k.table,
      message: `"${table}"."${column}" is referenced by foreign key "${k.name}" of ${which}, which the cut-over cannot add again without reading every partition's rows under its lock (no NOT VALID on a partitioned table): drop the key (a \`sql\` operation), change the column, then add the key again`,
    });
  }
  const referencing = referencingKeys(ctx, table, [column]).map((k) => ({ table: k.table, name: k.name, column: ctx.model.column(k.table, k.columns[k.refColumns.indexOf(column)]!)! }));
  const reasons = ctx.dialect.ddl(ctx.model).shadowKeyIssues({ table, column: col, type, primary: t.primaryKey.includes(column), referencing: referencing.filter((r) => r.column) });
  for (const r of reasons) issues.push(r.code === 'referenced' ? { path, table, column, ...r } : { path, table, column, code: r.code, message: r.message });
  return issues;
}

/**
 * The verify's proof that the referencing keys, added again over the new
 * column without reading a row, hold: every child row's key is found among
 * the parents' shadows (MATCH SIMPLE: a NULL in the key is not checked).
 * A key left NOT VALID (PostgreSQL) may have rows that found no parent
 * before: it comes back NOT VALID, and only rows `up` would orphan count.
 */
export function childrenAgree(ctx: Pick<PlanContext, 'model' | 'dialect'>, table: string, shadows: Map<string, string>): AgreementCheck[] {
  const q = (id: string) => ctx.dialect.quote(id);
  return referencingKeys(ctx, table, [...shadows.keys()]).map((k) => {
    const child = (c: string) => `${q(k.table)}.${q(c)}`;
    const match = k.columns.map((c, i) => `xc_parent.${q(shadows.get(k.refColumns[i]!) ?? k.refColumns[i]!)} = ${child(c)}`).join(' AND ');
    const nulls = k.columns.map((c) => `${child(c)} IS NULL`).join(' OR ');
    const before = k.columns.map((c, i) => `xc_parent.${q(k.refColumns[i]!)} = ${child(c)}`).join(' AND ');
    const orphanBefore = k.validated === false ? ` OR NOT EXISTS (SELECT 1 FROM ${q(table)} xc_parent WHERE ${before})` : '';
    return keyedCheck(ctx, {
      table: k.table,
      description: `rows of ${k.table}: each finds its parent through the new ${table}.${k.refColumns.join(', ')} (foreign key ${k.name}, added again at contract)`,
      agrees: `(${nulls}) OR EXISTS (SELECT 1 FROM ${q(table)} xc_parent WHERE ${match})${orphanBefore}`,
      show: k.columns,
      remedy: `these rows of ${k.table} reference no row of ${table} once converted: \`up\` changes values they reference, or they referenced none to begin with (written with the key's checks off); fix those rows (or \`up\`), then run \`xc contract\` again; or roll back.`,
    });
  });
}
