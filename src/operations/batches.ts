/**
 * What a pass over a table's rows needs from the schema, completed by the
 * operation as it builds its backfill or its agreement check (the planner
 * patches nothing afterwards): the row key batches walk, whether arithmetic
 * can split it, and the columns each batch keeps as they were.
 */
import type { AgreementCheck, BackfillSpec, KeyForms } from '../plan/index.js';
import type { PlanContext } from './types.js';
import { serverStamped } from '../schema/model.js';

type Schema = Pick<PlanContext, 'model' | 'dialect'>;

/**
 * The key a pass over `table` walks, whether it can be split by arithmetic (a single integer column), and how
 * its columns compare where not as their text.
 */
export function walkKey({ model, dialect }: Schema, table: string): { key?: string[]; integerKey?: boolean; keyForms?: KeyForms } {
  const key = model.rowKey(table);
  const columns = (key ?? []).map((k) => model.column(table, k));
  const forms = columns.map((c) => (c ? (dialect.keyForm(c.type) ?? null) : null));
  return {
    key,
    ...(columns.length === 1 && columns[0] && dialect.isIntegerType(columns[0].type) ? { integerKey: true } : {}),
    ...(forms.some((f) => f !== null) ? { keyForms: forms } : {}),
  };
}

/** An agreement check with the key its chunks walk. */
export function keyedCheck(schema: Schema, check: AgreementCheck): AgreementCheck {
  return { ...check, ...walkKey(schema, check.table) };
}

/**
 * A backfill with the key its batches walk, and the columns each batch
 * assigns to themselves: those the database would otherwise set on every
 * UPDATE (MySQL `ON UPDATE CURRENT_TIMESTAMP`), so an `updated_at` stays.
 */
export function keyedBackfill(schema: Schema, spec: BackfillSpec): BackfillSpec {
  const keep = serverStamped(schema.model.table(spec.table), (c) => c in spec.set);
  return { ...spec, ...walkKey(schema, spec.table), ...(keep.length > 0 ? { keep } : {}) };
}
