/**
 * Validates migrations against the schema as it will be, and plans them.
 *
 * The live catalog is projected forward through every in-flight migration
 * (their contract is already decided) and then through each pending one in
 * id order, so a migration may use a column an earlier pending one adds, and
 * may not use one an in-flight one will drop.
 */
import { createHash } from 'node:crypto';
import type { Session } from '../db/driver.js';
import { compileExpression, resolveExpr, type Dialect } from '../dialects/dialect.js';
import { InvalidInputError } from '../errors.js';
import type { MigrationFile } from '../migration/load.js';
import { entryKind, type Expr, type MigrationDefinition } from '../migration/schema.js';
import { operation } from '../operations/index.js';
import { backfillStatement } from '../backfill/keyset.js';
import { emptyPlan, type OperationPlan, type PlanContext, type ValidateContext } from '../operations/types.js';
import type { SchemaModel } from '../schema/model.js';

/** A short, stable name for an object xc creates, unique per migration and operation. */
export function objectName(migrationId: string, opIndex: number, purpose: string): string {
  const hash = createHash('sha256').update(`${migrationId}:${opIndex}`).digest('hex').slice(0, 10);
  return `xc_${purpose}_${hash}`;
}

/** An integer type as either catalog spells it (`integer`, `bigint`, `int(11) unsigned`). */
const INTEGER_TYPE = /^(tinyint|smallint|mediumint|int|integer|bigint|int2|int4|int8|smallserial|serial|bigserial)\b/i;

/** The key a pass over `table` walks, and whether it can be split by arithmetic: a single integer column. */
function walkKey(model: SchemaModel, table: string): { key?: string[]; integerKey?: boolean } {
  const key = model.rowKey(table);
  const column = key?.length === 1 ? model.table(table)?.columns.find((c) => c.name === key[0]) : undefined;
  return { key, ...(column && INTEGER_TYPE.test(column.type) ? { integerKey: true } : {}) };
}

function validateContext(dialect: Dialect, model: SchemaModel): ValidateContext {
  return { dialect, model, expr: (e: Expr) => resolveExpr(e, dialect.name) };
}

/** Change `model` into the shape after `definition` is contracted; tolerant of a partly-applied catalog. */
export function project(definition: MigrationDefinition, model: SchemaModel): void {
  for (const entry of definition.operations) {
    const { kind, spec } = entryKind(entry);
    operation(kind).project(spec as never, model);
  }
}

function where(file: string, opIndex: number, kind: string, path: (string | number)[]): string {
  return `${file}: operations[${opIndex}].${kind}${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
}

/**
 * Validate one migration against `model` (which is advanced past it) and
 * return its plan. With a session, author expressions are compiled against
 * the database too (read-only). Throws InvalidInputError listing every problem.
 */
export async function planMigration(
  file: Pick<MigrationFile, 'id' | 'file' | 'definition'>,
  model: SchemaModel,
  dialect: Dialect,
  session: Session | null,
): Promise<OperationPlan> {
  const problems: string[] = [];
  const plan = emptyPlan();
  // One vocabulary for the whole migration: it reads `model`, which advances past each operation.
  const ddl = dialect.ddl(model);
  for (const [opIndex, entry] of file.definition.operations.entries()) {
    const { kind, spec } = entryKind(entry);
    const op = operation(kind);
    const vctx = validateContext(dialect, model);
    const issues = op.validate(spec as never, vctx);
    for (const issue of issues) problems.push(`${where(file.file, opIndex, kind, issue.path)}: ${issue.message}`);
    if (issues.length > 0) continue;
    for (const table of op.backfillTables?.(spec as never) ?? []) {
      if (!model.rowKey(table)) {
        problems.push(`${where(file.file, opIndex, kind, [])}: table "${table}" has no primary key or unique key over NOT NULL columns; its rows cannot be backfilled in batches`);
      }
    }
    if (session) {
      for (const check of op.expressions?.(spec as never, vctx) ?? []) {
        const error = await compileExpression(session, dialect, check);
        if (error) problems.push(`${where(file.file, opIndex, kind, check.path)}: ${error}`);
      }
    }
    if (problems.length > 0) continue;
    const ctx: PlanContext = {
      dialect,
      ddl,
      model,
      migrationId: file.id,
      opIndex,
      name: (purpose) => objectName(file.id, opIndex, purpose),
      expr: (e) => {
        const sql = resolveExpr(e, dialect.name);
        if (sql === undefined) throw new InvalidInputError(`${where(file.file, opIndex, kind, [])}: an expression has no variant for ${dialect.name}`);
        return sql;
      },
    };
    const p = op.plan(spec as never, ctx);
    const fills = p.expand.filter((st) => st.fill);
    for (const v of p.verify) Object.assign(v, walkKey(model, v.table));
    for (const b of [...p.backfill, ...fills.map((st) => st.fill!)]) {
      Object.assign(b, walkKey(model, b.table));
      const keep = model.table(b.table)?.columns.filter((c) => c.autoUpdated && !(c.name in b.set)).map((c) => c.name) ?? [];
      if (keep.length > 0) b.keep = keep;
    }
    for (const step of fills) step.sql = backfillStatement(dialect, step.fill!);
    plan.expand.push(...p.expand);
    plan.backfill.push(...p.backfill);
    plan.verify.push(...p.verify);
    plan.contract.push(...p.contract);
    // Undo in reverse: the last operation's expand is undone first.
    plan.rollback.unshift(...p.rollback);
    op.project(spec as never, model);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(`${file.file} is not valid against the database:\n  ${problems.join('\n  ')}`, { migration: file.id, problems });
  }
  return plan;
}
