/**
 * alterColumn, two ways:
 *
 * - with `to`: a new column of that name with the new definition; `up`
 *   computes it from the old shape and `down` the old column from the new
 *   one, both ways, until contract drops `column` (columnCopy.ts);
 * - without `to`: the column is changed in place and keeps its name. Until
 *   contract it is the old column, old type and all, for both versions;
 *   contract switches it to the new definition. A change the server makes
 *   in its catalog alone (a varchar widened, a default, a comment, NULL
 *   allowed) is one short ALTER at contract; anything else goes through a
 *   shadow column kept equal to `up` of the column (shadow.ts). `down` is
 *   not used in place: rollback never has to convert anything back.
 *   `unique`, `check`, `references`: one alone is createConstraint over the
 *   column; unique and check with other changes ride on the shadow
 *   (alterColumnConstraint.ts, planWithConstraints).
 */
import { referencedColumn, type ColumnModel, type SchemaModel } from '../schema/model.js';
import type { Ddl, Dialect } from '../dialects/dialect.js';
import type { Expr, OperationSpec } from '../migration/schema.js';
import { defaultForTypeIssue } from '../migration/schema.js';
import { emptyPlan, type ExpressionCheck, type RowCheck } from '../plan/index.js';
import type { Operation, ValidateContext, ValidationIssue } from './types.js';
import { clusterKeyIssues, columnsOf, copiedExclusionIssues, copiedUniqueIndexIssues, domainDefaultIssue, exprCheck, indexesNaming, inheritedColumnIssue, refuseUncopyable, replicaIdentityIssue, requireColumn, requireNoColumn, requireTable, setNullKeyIssues, sharedKeyViolation, triggerColumns, uniqueIndexIssues, nullabilityIssues } from './common.js';
import { indexModel } from './addIndex.js';
import { carriedKeyRowChecks, carriedType, changesType, copiedDefault, copyContractTables, planColumnCopy, projectColumnCopy, readCopyInPlan, readUpInPlan } from './columnCopy.js';
import { keyedCheck } from './batches.js';
import { planShadowColumns, shadowIssues } from './shadow.js';
import { referencingKeys, shadowKeyIssues } from './shadowKeys.js';
import { asConstraint, combinationIssues, constraintIssues, constraintOption, constraintOptions, delegated, nameIssues, placed, shadowConstraints } from './alterColumnConstraint.js';
import { createConstraint } from './createConstraint.js';
import { isConstantDefault } from './addColumn.js';

type Spec = OperationSpec<'alterColumn'>;

/**
 * The in-place change needs a shadow column: a conversion (`up`), or a type
 * the catalog alone cannot change — nor one of a foreign key's columns, whose
 * key MySQL will not let change type under it (the shadow re-creates it).
 */
export function needsShadow(spec: Spec, old: ColumnModel, ddl: Pick<Ddl, 'changesTypeInCatalog'>, model: SchemaModel, dialect: Pick<Dialect, 'quote'>): boolean {
  // Constraints given with other changes ride on the shadow (planWithConstraints).
  if (spec.up !== undefined && !upIsColumn(spec, dialect)) return true;
  if (shadowConstraints(spec).length > 0) return true;
  if (!changesType(spec.type, old)) return false;
  // A foreign key's column, or one other tables reference: the shadow carries the keys (shadowKeys.ts). A primary
  // key's alone is changed in the catalog where the type allows, its index kept as it is (campaign AW: an ENUM
  // given a member was refused on one, for the reasons a shadow would have).
  const keyed = model.table(spec.table)?.foreignKeys.some((k) => k.columns.includes(spec.column)) ?? false;
  return keyed || referencingKeys({ model }, spec.table, [spec.column]).length > 0 || !ddl.changesTypeInCatalog(spec.table, old, spec.type);
}

/** `up` is the column itself, for every dialect (pgroll's examples write it so): no conversion asked. */
function upIsColumn(spec: Spec, dialect: Pick<Dialect, 'quote'>): boolean {
  const variants = typeof spec.up === 'string' ? [spec.up] : Object.values(spec.up ?? {});
  return variants.length > 0 && variants.every((e) => e !== undefined && [spec.column, dialect.quote(spec.column)].includes(e.trim()));
}
const oldColumn = (model: SchemaModel, spec: Spec) => model.table(spec.table)?.columns.find((c) => c.name === spec.column);
const shadowed = (spec: Spec, { model, dialect }: Pick<ValidateContext, 'model' | 'dialect'>) => {
  const old = oldColumn(model, spec);
  return spec.to === undefined && old !== undefined && needsShadow(spec, old, dialect.ddl(model), model, dialect);
};
/**
 * The new value in place: `up`, else (or `up` the bare column) the column converted as the dialect's fill, trigger,
 * backfill and verify all convert it alike (MySQL: a FLOAT into text by CAST, not by assignment; conversions.ts).
 */
function upOf(spec: Spec, expr: (e: NonNullable<Spec['up']>) => string | undefined, dialect: Dialect, model: SchemaModel): string | undefined {
  if (spec.up !== undefined && !upIsColumn(spec, dialect)) return expr(spec.up);
  const old = oldColumn(model, spec);
  const column = dialect.quote(spec.column);
  return old && changesType(spec.type, old) ? dialect.defaultConversion(column, old.type, spec.type!) : column;
}
/**
 * With `to`: `up` defaults to the old column, `down` to the new one, each converted to the other's type as the
 * dialect converts without an expression (upOf), so the trigger, the backfill and the verify agree.
 */
function copyExprs(spec: Spec & { to: string }, expr: (e: NonNullable<Spec['up']>) => string | undefined, dialect: Dialect, model: SchemaModel) {
  const old = oldColumn(model, spec);
  const converted = (column: string, from: string | undefined, to: string | undefined) => (from !== undefined && to !== undefined && old && changesType(spec.type, old) ? dialect.defaultConversion(dialect.quote(column), from, to) : dialect.quote(column));
  return {
    up: spec.up === undefined ? converted(spec.column, old?.type, spec.type) : expr(spec.up),
    down: spec.down === undefined ? converted(spec.to, spec.type, old?.type) : expr(spec.down),
  };
}

/**
 * A copy's `up` over the new column and not the old one, or its `down` over the old one and not the new: each is the
 * other's slip (campaign O: `down: "priority"` for `priority` → `prio` left every new value NULL on PostgreSQL, the
 * check before contract, `old = down(row)`, compared the old column with itself, and the contract dropped it —
 * every value lost without a word). `down` computes the old column from the new one for the new version's writes.
 */
function crossedConversions(spec: OperationSpec<'alterColumn'> & { to: string }, columns: string[], { expr, dialect }: ValidateContext): ValidationIssue[] {
  const names = [...columns, spec.to];
  const crossed = (e: Expr | undefined, from: string, to: string) => {
    const sql = e === undefined ? undefined : expr(e);
    const reads = sql === undefined ? [] : dialect.columnsNamed(sql, spec.table, names);
    return reads.includes(to) && !reads.includes(from);
  };
  const issues: ValidationIssue[] = [];
  if (crossed(spec.up, spec.column, spec.to)) {
    issues.push({ path: ['up'], code: 'invalid_expression', message: `\`up\` reads "${spec.to}", the new column, and not "${spec.column}": it computes the new column from the old one (for the old version's writes and the backfill) — write it over "${spec.column}"` });
  }
  if (crossed(spec.down, spec.to, spec.column)) {
    issues.push({ path: ['down'], code: 'invalid_expression', message: `\`down\` reads "${spec.column}", the old column, and not "${spec.to}": it computes the old column from the new one (for the new version's writes), so the new version's values would never reach the old version, and the check before contract, old = down(row), could not tell a row that disagrees — write it over "${spec.to}"` });
  }
  return issues;
}

export const alterColumn: Operation<'alterColumn'> = {
  // In place, both versions write the column as it is until the cut-over: a rollback drops only xc's shadow.
  rollbackSparesNewVersion: (spec) => spec.to === undefined && spec.unique === undefined && spec.references === undefined,
  kind: 'alterColumn',
  validate(spec, ctx) {
    if (delegated(spec)) return constraintIssues(spec, ctx);
    const { model, expr, dialect } = ctx;
    const issues: ReturnType<Operation['validate']> = [];
    const t = requireTable(model, spec.table, ['table'], issues);
    requireColumn(t, spec.column, ['column'], issues);
    const old = t?.columns.find((c) => c.name === spec.column);
    if (spec.to !== undefined) {
      requireNoColumn(t, spec.to, ['to'], issues, dialect.names, spec.column);
      refuseUncopyable(model, t, spec.column, ['column'], issues);
      issues.push(...copiedExclusionIssues(t, spec.column, ['column']));
      issues.push(...domainDefaultIssue(t, spec.column, ['column']));
      if (old) issues.push(...copiedUniqueIndexIssues(dialect, t, spec.column, spec.type ?? old.type, ['column']));
      issues.push(...clusterKeyIssues(dialect, t, (i) => i.columns.includes(spec.column), `alterColumn copies "${spec.column}" to "${spec.to}" and drops it at contract, with`, ['column']));
      if (spec.comment !== undefined) issues.push({ path: ['comment'], code: 'unsupported', message: '`comment` is for a column changed in place (without `to`); comment the new column in a later migration' });
      if (t) issues.push(...crossedConversions(spec as typeof spec & { to: string }, t.columns.map((c) => c.name), ctx));
    }
    // A default given alone, for the column's type as it is (one given with `type` is checked where it is read).
    const defaultIssue = spec.type === undefined && spec.default != null && old ? defaultForTypeIssue(old.type, spec.default) : undefined;
    if (defaultIssue !== undefined) issues.push({ path: ['default'], code: 'invalid_expression', message: defaultIssue });
    if (constraintOption(spec)) issues.push(...combinationIssues(spec), ...nameIssues(spec, ctx));
    if (spec.to === undefined) {
      const changes = spec.type !== undefined || spec.nullable !== undefined || spec.default !== undefined || spec.comment !== undefined || spec.up !== undefined;
      const options = constraintOptions(spec);
      // Two constraint options and nothing else to carry them: each alone is a createConstraint (campaign Z: the
      // message named none of them, where the README says they work alone).
      if (!changes && options.length > 1) issues.push({ path: [], code: 'nothing_to_change', message: `${options.map((o) => `\`${o}\``).join(' and ')} without a change of the column: give each in an alterColumn of its own (one alone is a constraint over the column, made online), or together with \`type\`, \`nullable\`, \`default\`, \`comment\` or \`up\`` });
      else if (!changes && options.length === 0) issues.push({ path: [], code: 'nothing_to_change', message: 'give at least one of `type`, `nullable`, `default`, `comment`, `up`, `unique`, `check`, `references` (or `to` for a new column)' });
      const identity = spec.nullable === true && old && !old.nullable ? replicaIdentityIssue(t, spec.column, ['nullable']) : null;
      if (identity) issues.push(identity);
      if (spec.nullable === true && old && !old.nullable) issues.push(...clusterKeyIssues(dialect, t, (i) => i.columns.includes(spec.column), `\`nullable: true\` on "${spec.column}" takes away`, ['nullable']));
      // A primary key's column is NOT NULL for good (the server refuses DROP NOT NULL; a shadow could not become the key).
      if (spec.nullable === true && t?.primaryKey.includes(spec.column)) {
        issues.push({ path: ['nullable'], code: 'key_column', table: spec.table, column: spec.column, message: `"${spec.table}"."${spec.column}" is part of the primary key, which never takes NULL: drop \`nullable: true\`` });
      }
      if (old && shadowed(spec, ctx)) {
        issues.push(...shadowKeyIssues(ctx, spec.table, spec.column, spec.type ?? old.type, ['column']));
        const type = spec.type ?? old.type;
        issues.push(...shadowIssues(ctx, spec.table, [spec.column], ['column'], { [spec.column]: type }, { [spec.column]: spec.default }));
        // A unique key given with the other changes is built over the shadow, of the new type.
        for (const c of shadowConstraints(spec, dialect).filter((k) => k.type === 'unique')) {
          issues.push(...uniqueIndexIssues(dialect, t, indexModel({ name: c.name, columns: [spec.column], unique: true }), { [spec.column]: type }, ['unique'], `unique constraint "${c.name}"`));
        }
      } else if (old) {
        // Catalog only: nothing synced or backfilled, so an inheritance tree is refused only where the change reaches past the table.
        const typed = changesType(spec.type, old);
        const reaching = [typed ? 'the type change' : '', spec.nullable === true && !old.nullable ? 'DROP NOT NULL' : ''].filter(Boolean).join(' and ');
        const inherited = reaching ? inheritedColumnIssue(model, t, spec.column, reaching, ['table']) : null;
        if (inherited) issues.push(inherited);
        // Catalog only, yet the foreign keys of other tables over it would have to change type with it (MySQL refuses; PostgreSQL re-checks them all).
        if (typed) refuseUncopyable(model, t, spec.column, ['column'], issues, true);
      }
    }
    // The foreign keys of the column come over to the new one at contract: its new type must suit them now, not then.
    for (const fk of spec.type ? (t?.foreignKeys ?? []).filter((k) => k.columns.includes(spec.column)) : []) {
      const parent = referencedColumn(model, fk, fk.columns.indexOf(spec.column));
      const problem = parent && dialect.foreignKeyTypeIssue(spec.type!, parent.type);
      if (problem) issues.push({ path: ['type'], code: 'type_mismatch', table: spec.table, column: spec.column, refTable: fk.refTable, refColumn: parent.name, message: `foreign key "${fk.name}" of "${spec.column}" references ${fk.refSchema ? `"${fk.refSchema}".` : ''}"${fk.refTable}"."${parent.name}": ${problem}` });
    }
    if (old) {
      // NOT NULL set on the column, its copy or its shadow (contract), or taken away in the catalog: online, or refused now.
      const finalNullable = spec.nullable ?? old.nullable;
      const type = spec.type ?? old.type;
      const copied = spec.to !== undefined || shadowed(spec, ctx);
      const path = spec.nullable !== undefined ? ['nullable'] : ['column'];
      // A copy or shadow of a NOT NULL column that stays so is added NOT NULL from the start where the dialect can.
      if (!finalNullable && (copied || old.nullable)) issues.push(...nullabilityIssues(dialect, t, spec.to ?? spec.column, type, true, 'its contract (NOT NULL)', path, copied && !old.nullable));
      // The column's foreign keys come over to a copy or shadow at contract (a copy's, over its new name).
      if (!finalNullable && old.nullable) issues.push(...setNullKeyIssues(dialect, t, spec.column, path));
      else if (finalNullable && !old.nullable && !copied) issues.push(...nullabilityIssues(dialect, t, spec.column, type, false, 'its contract (NULL allowed)', path));
    }
    if (spec.up !== undefined && expr(spec.up) === undefined) issues.push({ path: ['up'], code: 'no_variant', message: 'no expression for this database' });
    if (spec.down !== undefined && expr(spec.down) === undefined) issues.push({ path: ['down'], code: 'no_variant', message: 'no expression for this database' });
    return issues;
  },
  expressions(spec, ctx) {
    if (delegated(spec)) return placed(spec, createConstraint.expressions?.(asConstraint(spec, ctx.dialect), ctx) ?? []);
    const { model, expr, dialect } = ctx;
    const t = model.table(spec.table);
    const old = t?.columns.find((c) => c.name === spec.column);
    if (!t || !old) return [];
    const type = spec.type ?? old.type;
    const target = spec.to ?? spec.column;
    // up and down are computed again by the verify before contract: they must be deterministic.
    const conversions =
      spec.to !== undefined
        ? [
            ...exprCheck(['up'], spec.table, copyExprs({ ...spec, to: spec.to }, expr, dialect, model).up, columnsOf(t), type),
            ...exprCheck(['down'], spec.table, copyExprs({ ...spec, to: spec.to }, expr, dialect, model).down, columnsOf(t, [{ name: spec.to, type }]), old.type),
          ]
        : shadowed(spec, ctx)
          ? exprCheck(['up'], spec.table, upOf(spec, expr, dialect, model), columnsOf(t), type)
          : [];
    // The column's checks hold over the new one at contract: they must apply to its type now.
    const newColumns = spec.to !== undefined ? columnsOf(t, [{ name: spec.to, type }]) : columnsOf(t).map((c) => (c.name === spec.column ? { ...c, type } : c));
    const checks = t.checks
      .filter((k) => k.columns.includes(spec.column))
      .map((k): ExpressionCheck => ({
        path: ['type'],
        table: spec.table,
        sql: spec.to !== undefined ? dialect.replaceIdentifier(k.expression, spec.table, spec.column, spec.to) : k.expression,
        columns: newColumns,
        boolean: true,
        declared: 'addedCheck',
        explain: (error) => `check "${k.name}" of "${spec.column}" cannot apply to the new type ${type}: ${error}`,
      }));
    const defaults = defaultCheck({ ...spec, target }, old, type, columnsOf(t), dialect.ddl(model));
    // A check given with other changes holds over the column of the new type (the shadow).
    const given: ExpressionCheck[] = spec.check && spec.to === undefined ? [{ path: ['check', 'expression'], table: spec.table, sql: spec.check.expression, columns: newColumns, boolean: true, declared: 'addedCheck' }] : [];
    return [...conversions.map((c) => ({ ...c, deterministic: true })), ...defaults, ...checks, ...given];
  },
  indexBuilds(spec, ctx) {
    const t = ctx.model.table(spec.table);
    const old = t?.columns.find((c) => c.name === spec.column);
    if (delegated(spec) || !t || !old || !changesType(spec.type, old) || (spec.to === undefined && !shadowed(spec, ctx))) return [];
    // Each index naming the column is built again over its copy or shadow, of the new type, at expand.
    const type = carriedType(spec.type, old);
    const columns = columnsOf(t).map((c) => (c.name === spec.column ? { ...c, type } : c));
    return indexesNaming(ctx.dialect, t, [spec.column]).map((index) => ({
      path: ['type'],
      table: spec.table,
      index,
      columns,
      explain: (error: string) =>
        `index "${index.name}" of "${spec.table}" is built again at expand over "${spec.column}" as ${spec.type}, and the server would refuse it: ${error} — drop it before this expand, with a \`sql\` operation of an earlier migration applied on its own first (\`xc apply <its id>\`; \`dropIndex\` drops only at its own contract), and add one the new type takes after this migration is contracted`,
    }));
  },
  carriedDefaults(spec, { model, expr, dialect }) {
    const t = model.table(spec.table);
    const old = t?.columns.find((c) => c.name === spec.column);
    if (delegated(spec) || !t || !old || spec.default !== undefined || old.default === null || !changesType(spec.type, old) || !isConstantDefault(old.default)) return [];
    const up = spec.to !== undefined ? copyExprs({ ...spec, to: spec.to }, expr, dialect, model).up : upOf(spec, expr, dialect, model);
    // Only an `up` over the column alone can be computed for its default; one reading other columns depends on the row.
    const others = t.columns.map((c) => c.name).filter((c) => c !== spec.column);
    if (up === undefined || dialect.columnsNamed(up, spec.table, others).length > 0) return [];
    const carried = copiedDefault({ type: spec.type, default: spec.default }, old, dialect.ddl(model));
    return carried === null ? [] : [{ path: ['default'], table: spec.table, column: spec.column, oldType: old.type, oldDefault: old.default, newType: spec.type!, up, carried }];
  },
  rowChecks(spec, ctx) {
    if (delegated(spec)) return placed(spec, createConstraint.rowChecks?.(asConstraint(spec, ctx.dialect), ctx) ?? []);
    // Existing rows, as `up` converts them, must meet the constraints the shadow carries (duplicates, a failing check).
    const constraints = spec.to === undefined ? shadowConstraints(spec, ctx.dialect).flatMap((c) => placed(spec, createConstraint.rowChecks?.(c, ctx) ?? [], c.type === 'check' ? 'check' : 'unique')) : [];
    const carried = spec.to !== undefined ? carriedKeyRowChecks(ctx, spec.table, spec.column, ['column']) : [];
    return [...constraints, ...conversionRowChecks(spec, ctx), ...sequenceRowChecks(spec, ctx), ...columnRowChecks(spec, ctx), ...carried, ...uniqueUnderNewType(spec, ctx)];
  },
  types: (spec) => (spec.type === undefined ? [] : [{ path: ['type'], type: spec.type }]),
  synced(spec, ctx) {
    if (delegated(spec)) return createConstraint.synced?.(asConstraint(spec, ctx.dialect), ctx) ?? { table: spec.table, columns: [] };
    if (spec.to !== undefined) {
      const { up, down } = copyExprs({ ...spec, to: spec.to }, ctx.expr, ctx.dialect, ctx.model);
      return triggerColumns(ctx, spec.table, [spec.column, spec.to], [up, down]);
    }
    return shadowed(spec, ctx) ? triggerColumns(ctx, spec.table, [spec.column], [upOf(spec, ctx.expr, ctx.dialect, ctx.model)]) : { table: spec.table, columns: [] };
  },
  // A change the catalog alone makes (a comment, a default, a varchar widened) backfills nothing: it runs on a table without a key too.
  backfillTables: (spec, ctx) => (delegated(spec) ? (createConstraint.backfillTables?.(asConstraint(spec), ctx) ?? []) : spec.to !== undefined || shadowed(spec, ctx) ? [spec.table] : []),
  // In place too: a view over the column keeps PostgreSQL from changing its type, as from dropping it. A default, a
  // comment or nullability alone leaves the column itself (campaign V: a view refused them).
  addsColumns: (spec) => (spec.to !== undefined && !delegated(spec) ? [{ path: ['to'], table: spec.table, column: spec.to, grantsFrom: spec.column }] : []),
  removesAtContract: (spec, ctx) =>
    delegated(spec)
      ? placed(spec, createConstraint.removesAtContract?.(asConstraint(spec)) ?? [])
      : spec.to !== undefined || spec.type !== undefined || spec.up !== undefined || shadowConstraints(spec).length > 0
        ? [{ path: ['column'], table: spec.table, column: spec.column, ...(spec.to === undefined ? { keepsName: true, ...(ctx && oldColumn(ctx.model, spec) && !shadowed(spec, ctx) ? { inCatalog: true } : {}) } : {}) }]
        : [],
  // The column is NOT NULL from contract on when asked, or when it keeps (or, with `to`, carries over) its NOT NULL.
  notNullAtContract: (spec, model) => {
    if (delegated(spec)) return createConstraint.notNullAtContract?.(asConstraint(spec), model) ?? { table: spec.table, columns: [] };
    const old = oldColumn(model, spec);
    return { table: spec.table, columns: (spec.nullable ?? old?.nullable ?? true) ? [] : [spec.to ?? spec.column] };
  },
  defaultAtContract: (spec) => (!delegated(spec) && spec.to === undefined && spec.default !== undefined ? { table: spec.table, column: spec.column } : undefined),
  contractTables: (spec, model) => {
    if (delegated(spec)) return createConstraint.contractTables?.(asConstraint(spec), model) ?? [spec.table];
    // In place and no type change (a default, a comment, NULL allowed): one ALTER of the table, no key carried
    // (fuzz seed 195: its foreign key's parent held by name, a renameTable of it refused).
    const old = spec.to === undefined ? oldColumn(model, spec) : undefined;
    if (old && spec.up === undefined && shadowConstraints(spec).length === 0 && !changesType(spec.type, old)) return [spec.table];
    // Else the cut-over drops and adds again the column's keys and those of the tables referencing it (shadowKeys.ts).
    return [...copyContractTables(model, spec.table, spec.column), ...(spec.to === undefined ? referencingKeys({ model }, spec.table, [spec.column]).map((k) => k.table) : [])];
  },
  project(spec, model, dialect) {
    if (delegated(spec)) return createConstraint.project(asConstraint(spec, dialect), model, dialect);
    if (spec.to !== undefined) {
      if (spec.up === undefined || upIsColumn(spec, dialect)) readCopyInPlan({ table: spec.table, from: spec.column, to: spec.to, type: spec.type }, model, dialect);
      else {
        // No variant for this server: plan refuses the operation (PlanContext.expr), nothing to read.
        const up = dialect.resolveExpr(spec.up);
        if (up !== undefined) readUpInPlan({ table: spec.table, from: spec.column, to: spec.to, type: spec.type, up: dialect.embedExpression(up) }, model, dialect);
      }
      projectColumnCopy({ table: spec.table, from: spec.column, to: spec.to, type: spec.type, nullable: spec.nullable, default: spec.default, up: '', down: '' }, model, dialect);
      return;
    }
    const col = oldColumn(model, spec);
    if (!col) return;
    // The type as asked; `collation` stays, for the next change to carry (as the catalog reads a PostgreSQL column).
    if (spec.type !== undefined) col.type = spec.type;
    if (spec.nullable !== undefined) col.nullable = spec.nullable;
    if (spec.default !== undefined) col.default = spec.default;
    // '' for none: a copy or shadow restating the column must not take the old one back from the catalog's (MySQL keeps
    // it among `extra`; PostgreSQL's COMMENT IS '' is none).
    if (spec.comment !== undefined) col.comment = spec.comment ?? '';
    for (const c of shadowConstraints(spec, dialect)) createConstraint.project(c, model, dialect);
  },
  plan(spec, ctx) {
    if (delegated(spec)) return createConstraint.plan(asConstraint(spec, ctx.dialect), ctx);
    const old = oldColumn(ctx.model, spec)!;
    // The default conversion (no `up`) where the server converts in each writer's session (MySQL's TIMESTAMP, campaign P).
    const zoned = spec.up === undefined && changesType(spec.type, old) ? ctx.ddl.conversionNote?.(old.type, spec.type!) : undefined;
    if (spec.to !== undefined) {
      const { up, down } = copyExprs({ ...spec, to: spec.to }, ctx.expr, ctx.dialect, ctx.model);
      const copy = planColumnCopy({ table: spec.table, from: spec.column, to: spec.to, type: spec.type, nullable: spec.nullable, default: spec.default, up: up!, down: down! }, ctx);
      return zoned ? { ...copy, notes: [...(copy.notes ?? []), zoned] } : copy;
    }
    const type = spec.type === undefined ? old.type : carriedType(spec.type, old);
    const nullable = spec.nullable ?? old.nullable;
    // Its NOT NULL or NULL too (campaign DD: a nullable: true change read as taking NULL from apply on).
    const shown = (t: string, n: boolean) => `${t}${nullable !== old.nullable ? (n ? ' NULL' : ' NOT NULL') : ''}`;
    const changed = changesType(spec.type, old) || nullable !== old.nullable;
    // A prepared statement keeps its parameters' base type (campaign DF: an int made bigint refused 2³¹ until prepared
    // again); a varchar widened takes its longer values as it is.
    const prepared = ctx.ddl.preparedKeepOldTypes && baseType(type) !== baseType(old.type) ? ', in sessions that prepare their statements after it (one prepared before keeps the old type for its parameters)' : '';
    const note = `"${spec.table}"."${spec.column}" is changed in place: until contract both versions see its old definition${changed ? ` (${shown(old.type, old.nullable)}; ${shown(type, nullable)} after contract)` : ''} — the new version may rely on the new one only after \`xc contract\`${prepared}`;
    if (needsShadow(spec, old, ctx.ddl, ctx.model, ctx.dialect)) {
      const def = copiedDefault({ type: spec.type, default: spec.default }, old, ctx.ddl);
      const shadow = { column: spec.column, type, nullable, default: def, comment: spec.comment, up: upOf(spec, ctx.expr, ctx.dialect, ctx.model)! };
      // The trigger stores each write in the shadow too: one its conversion cannot store is refused (campaign I: the
      // note said only that both versions see the old definition).
      const refused = changesType(spec.type, old) ? `; from expand on, a write of either version that \`up\` cannot store as ${type} is refused${uniqueOver(ctx.model, spec)}` : '';
      return { ...(shadowConstraints(spec).length > 0 ? planWithConstraints(spec, shadow, ctx) : planShadowColumns(ctx, spec.table, [shadow])), notes: [note + refused, ...(zoned ? [zoned] : [])] };
    }
    const plan = planInCatalog(spec, old, ctx);
    return plan.contract.length > 0 ? { ...plan, notes: [note] } : plan;
  },
};

/**
 * The unique keys over the column are copied over the shadow at expand, so they judge each write's converted value
 * from then on: two values the new type takes as equal (`A@x.io` and `a@x.io` as citext) are refused as duplicates,
 * under the copy's name — as the contract would refuse them (campaign AO: the note said only "old definition").
 */
function uniqueOver(model: SchemaModel, spec: Spec): string {
  const keys = (model.table(spec.table)?.indexes ?? []).filter((i) => (i.unique || i.primary) && i.columns.includes(spec.column));
  if (keys.length === 0) return '';
  const names = keys.map((i) => `"${i.name}"`).join(', ');
  return `, and its unique ${keys.length === 1 ? 'key' : 'keys'} (${names}) judge${keys.length === 1 ? 's' : ''} each write as ${spec.type} compares values: two writes equal as ${spec.type} are refused as duplicates, under the name of the key's copy over the hidden column`;
}

/**
 * A shadow carrying the constraints given with the other changes (pgroll's
 * 35): handed to the shadow machinery as if the column had them already —
 * a unique key's index copied over the shadow at expand and given the
 * constraint's name at the cut-over; a check over the shadow from expand
 * (each write judged as `up` converts it), dropped by the cut-over and added
 * again over the column, then validated — as createConstraint converts
 * (constraintConversion.ts).
 */
function planWithConstraints(spec: Spec, shadow: Parameters<typeof planShadowColumns>[2][number], ctx: Parameters<Operation['plan']>[1]) {
  const constraints = shadowConstraints(spec, ctx.dialect);
  const names = ctx.model.table(spec.table)!.columns.map((c) => c.name);
  const withThem = ctx.model.clone();
  const t = withThem.table(spec.table)!;
  for (const c of constraints) {
    if (c.type === 'unique') t.indexes.push({ name: c.name, columns: [spec.column], unique: true, primary: false, constraint: c.name });
    else t.checks.push({ name: c.name, expression: c.check!, columns: ctx.dialect.columnsNamed(c.check!, spec.table, names) });
  }
  const plan = planShadowColumns({ ...ctx, model: withThem }, spec.table, [shadow], constraints.filter((c) => c.type === 'check').map((c) => c.name));
  const added = plan.expand.flatMap((st) => st.creates ?? []).find((o) => o.kind === 'column' && o.table === spec.table)?.name;
  if (added === undefined) throw new Error(`alterColumn ${spec.table}.${spec.column}: the plan adds no shadow column`);
  for (const c of constraints.filter((x) => x.type === 'check')) {
    plan.expand.push(...ctx.ddl.addCheck(spec.table, c.name, ctx.dialect.replaceIdentifier(c.check!, spec.table, spec.column, added)));
    // First in the rollback: it names the shadow the rest drops.
    plan.rollback.unshift(...ctx.ddl.dropConstraint(spec.table, c.name));
  }
  return plan;
}

/**
 * Without `up` (in place or copied): rows the conversion cannot store (MySQL: text that is not a number, or out of range, into a
 * number), which the fill, the trigger or the backfill would fail on half-way through an apply.
 */
function conversionRowChecks(spec: Spec, ctx: ValidateContext): RowCheck[] {
  const { model, dialect } = ctx;
  const old = oldColumn(model, spec);
  if (!old || !changesType(spec.type, old) || (spec.up !== undefined && !upIsColumn(spec, dialect)) || (spec.to === undefined && !shadowed(spec, ctx))) return [];
  const issue = dialect.conversionIssue(dialect.quote(spec.column), old.type, spec.type!);
  if (!issue) return [];
  const message = `"${spec.table}"."${spec.column}" holds values that are not ${issue.what} in existing rows, which converting it to ${spec.type} would fail on; give \`up\` for them (for ${issue.upGives ?? 'NULL there'}: ${JSON.stringify(issue.up)}), or fix those rows first`;
  return [{ path: ['type'], table: spec.table, violation: issue.violation, message, show: [spec.column] }];
}

/** A key's sequence past the new type (an identity narrowed): a fact of the table, read once (an empty table's too). */
function sequenceRowChecks(spec: Spec, ctx: ValidateContext): RowCheck[] {
  const old = oldColumn(ctx.model, spec);
  if (!old || !changesType(spec.type, old)) return [];
  const violation = ctx.dialect.sequencePastType(spec.table, spec.column, spec.type!);
  if (!violation) return [];
  const message = `the sequence feeding "${spec.table}"."${spec.column}" has handed out values ${spec.type} cannot hold: rows added from now on would get keys the column could not store (and the contract's cut-over would fail); keep a type that holds them`;
  return [{ path: ['type'], table: spec.table, violation, message, show: [], wholeTable: true }];
}

/** The NULLs NOT NULL would meet at contract, from the rows as they are or as `up` converts them. */
function columnRowChecks(spec: Spec, ctx: ValidateContext): RowCheck[] {
  const { model, expr, dialect } = ctx;
  const old = oldColumn(model, spec);
  if (!old || (spec.nullable ?? old.nullable)) return [];
  if (spec.to === undefined && !shadowed(spec, ctx)) {
    if (!old.nullable) return [];
    const message = `"${spec.table}"."${spec.column}" holds NULL in existing rows, which NOT NULL would reject at contract; give \`up\` to convert them, or fix those rows first`;
    return [{ path: ['nullable'], table: spec.table, violation: `${dialect.quote(spec.column)} IS NULL`, message, show: [spec.column] }];
  }
  const up = spec.to !== undefined ? copyExprs({ ...spec, to: spec.to }, expr, dialect, model).up : upOf(spec, expr, dialect, model);
  if (up === undefined) return [];
  const message = `\`up\` gives NULL for existing rows, which the NOT NULL column "${spec.to ?? spec.column}" would reject at contract; make \`up\` give a value for them`;
  // `= TRUE`: MariaDB reads `date_column IS NULL` in a WHERE as "is the zero date" where the column is NOT NULL.
  return [{ path: ['up'], table: spec.table, violation: `((${up}) IS NULL) = TRUE`, message, show: [spec.column] }];
}

/**
 * Rows sharing a key of a unique index over the column once `up` is stored as the new type (`citext`, a
 * case-insensitive collation, a narrower number), or once `up` changes the values (`COALESCE(nickname, 'anon')`
 * for a NOT NULL shadow, campaign EF): the index's copy onto the new or shadow column would fail as it is built at
 * expand, half-way through an apply. Plain column keys only: partial and expression indexes are left to the build.
 */
function uniqueUnderNewType(spec: Spec, ctx: ValidateContext): RowCheck[] {
  const { model, expr, dialect } = ctx;
  const old = oldColumn(model, spec);
  const retyped = old !== undefined && changesType(spec.type, old);
  if (!old || (!retyped && spec.up === undefined) || (spec.to === undefined && !shadowed(spec, ctx))) return [];
  const up = spec.to !== undefined ? copyExprs({ ...spec, to: spec.to }, expr, dialect, model).up : upOf(spec, expr, dialect, model);
  if (up === undefined) return [];
  const type = retyped ? carriedType(spec.type!, old) : old.type;
  const q = (c: string) => dialect.quote(c);
  const unique = model.table(spec.table)?.indexes.filter((i) => i.unique && i.columns.includes(spec.column) && i.where === undefined && !i.keys && !i.include?.length) ?? [];
  return unique.map((i) => {
    // Each column as the key takes it: another column's prefix makes two rows collide too (campaign EI).
    const key = i.columns.map((c) => dialect.indexKeyOf(i, c, c === spec.column ? dialect.storedAs(up, type) : q(c)));
    return {
      path: [retyped ? 'type' : 'up'],
      table: spec.table,
      violation: sharedKeyViolation(q, spec.table, key),
      // Every column of the key: the others make two rows collide as much as the changed one (campaign EG).
      show: i.columns,
      order: key,
      message: retyped
        ? `existing rows of "${spec.table}" share a key of unique index "${i.name}" once stored as ${type}, which its copy would refuse as it is built at expand; remove or change the duplicates first`
        : `\`up\` gives existing rows of "${spec.table}" the same key of unique index "${i.name}", which its copy would refuse as it is built at expand; make \`up\` give them different values, or change those rows first`,
    };
  });
}

/**
 * The change the catalog alone makes, at contract: before it the column is
 * the old one for both versions (nothing to roll back); NOT NULL, which
 * needs every row read, through an unvalidated check validated without a
 * write lock (setNotNull's way), the rows checked by the verify first.
 */
function planInCatalog(spec: Spec, old: ColumnModel, ctx: Parameters<Operation['plan']>[1]) {
  const { ddl } = ctx;
  const plan = emptyPlan();
  const change = {
    ...(changesType(spec.type, old) ? { type: carriedType(spec.type!, old) } : {}),
    ...(spec.nullable === true && !old.nullable ? { nullable: true as const } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
  };
  if (Object.keys(change).length > 0) plan.contract.push(...ddl.alterColumnInCatalog(spec.table, old, change));
  // The column as it is after each step: MySQL restates it whole (the comment last, after any restatement of NOT NULL).
  const now: ColumnModel = { ...old, type: spec.type === undefined ? old.type : carriedType(spec.type, old), nullable: spec.nullable ?? old.nullable, default: spec.default === undefined ? old.default : spec.default };
  if (spec.nullable === false && old.nullable) {
    const col: ColumnModel = { ...now, nullable: false };
    const check = ctx.name('nn');
    plan.verify.push(
      keyedCheck(ctx, {
        table: spec.table,
        description: `"${spec.column}" holds no NULL`,
        agrees: `${ctx.dialect.quote(spec.column)} IS NOT NULL`,
        show: [spec.column],
        remedy: `Give those rows a value (an UPDATE), then run \`xc contract\` again; or \`xc rollback ${ctx.migrationId}\`.`,
      }),
    );
    plan.contract.push(...ddl.addNotNullCheck(spec.table, col, check), ...ddl.enforceNotNull(spec.table, col, check));
    plan.rollback.push(...ddl.dropConstraint(spec.table, check));
  }
  if (spec.comment !== undefined) plan.contract.push(...ddl.alterColumnInCatalog(spec.table, now, { comment: spec.comment }));
  return plan;
}

/**
 * Contract sets the new default; one that fails there would leave the
 * migration stuck half-contracted. So it is computed now, converted to the
 * new type: a default carried over through a type change must convert (an
 * expression that writes, like nextval, cannot be proven and is refused); a
 * default given must be a value of the new type.
 */
function defaultCheck(
  spec: { table: string; column: string; target: string; type?: string; default?: string | null },
  old: ColumnModel,
  type: string,
  columns: { name: string; type: string }[],
  ddl: Parameters<typeof copiedDefault>[2],
): ExpressionCheck[] {
  const sql = copiedDefault(spec, old, ddl);
  if (sql === null) return [];
  if (spec.default === undefined) {
    if (!changesType(spec.type, old)) return [];
    // One that writes (draws from a sequence) is refused by the read-only evaluation: said so, not the server's words (campaign J).
    const explain = (error: string) =>
      `the default of "${spec.table}"."${spec.column}", ${old.default}, is carried over to "${spec.target}" converted to ${type}, and it cannot be: ${/read[- ]only transaction/i.test(error) ? 'it writes (it draws from a sequence), and xc does not run a write to see what it converts to' : error}. ` +
      'Give `default` for the new column (or `default: null` for none)';
    // In place, a default the dialect carries unchanged (PostgreSQL: a serial's nextval, whose sequence the cut-over carries) cannot be evaluated read-only.
    const evaluate = spec.target === spec.column && sql === old.default ? 'unlessWrites' : 'required';
    return [{ path: ['default'], table: spec.table, sql, columns, castTo: type, columnDefault: true, evaluate, explain }];
  }
  const explain = (error: string) => `${spec.default} is not a default for a column of type ${type}: ${error}`;
  return [{ path: ['default'], table: spec.table, sql, columns, castTo: type, columnDefault: true, evaluate: 'unlessWrites', explain }];
}

const TYPE_ALIASES: Record<string, string> = { 'character varying': 'varchar', character: 'char', integer: 'int', int4: 'int', int8: 'bigint', int2: 'smallint', 'timestamp without time zone': 'timestamp', 'timestamp with time zone': 'timestamptz', 'double precision': 'float8', decimal: 'numeric' };
/** A type without its modifiers, as one spelling (`character varying(50)` and `varchar(100)` are both varchar). */
function baseType(type: string): string {
  const bare = type.replace(/\([^)]*\)/g, '').replace(/\s+collate\s[\s\S]*$/i, '').replace(/\s+/g, ' ').trim().toLowerCase();
  return TYPE_ALIASES[bare] ?? bare;
}
