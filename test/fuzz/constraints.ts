/**
 * Generated constraint operations: createConstraint of type check (with and
 * without a mending `up`), unique (one column, with and without `up`) and
 * foreign_key (an int column to a seeded parent's `id`), and alterColumn
 * carrying one of `check`, `unique`, `references` — in place (which is
 * createConstraint over the column, README "alterColumn in place") or with
 * `to` (refused at plan: the option changes the column in place, alone).
 * Their migration-file form and their projection onto the schema.
 *
 * What they do to the data (which writes they refuse, when plan must refuse
 * them) is in enforced.ts.
 */
import fc from 'fast-check';
import { column, exprJson, predSql, type ColumnDef, type ConstraintGen, type GenOp, type Pred, type SchemaDef, type TableDef } from './model.js';

type G = fc.GeneratorValue;
const int = (g: G, min: number, max: number): number => (max <= min ? min : g(fc.integer, { min, max }));
const pick = <T>(g: G, xs: readonly T[]): T => xs[int(g, 0, xs.length - 1)]!;
const chance = (g: G, pct: number): boolean => int(g, 0, 99) >= 100 - pct;

const isText = (c: ColumnDef) => c.type === 'varchar(40)';

/**
 * A check over the column that refuses some values of its domain or none (a loose bound lets every seeded row
 * through; a tight one refuses the rows holding the top value or a one-letter word, so plan must refuse it then).
 */
function predFor(g: G, c: ColumnDef): Pred {
  if (isText(c)) return { minLen: pick(g, [1, 2]) };
  return { le: c.domain === 'digits' ? pick(g, [99, 90]) : pick(g, [10, 9]) };
}

/**
 * One constraint over a column of `t`, or undefined. `cols`: the columns later operations may change; `start`: the
 * schema when this migration began (a constraint goes over a column that existed then: its rows are read at plan).
 */
export function genConstraint(g: G, s: SchemaDef, start: SchemaDef, t: TableDef, cols: ColumnDef[], name: (prefix: string) => string, alter: boolean): GenOp | undefined {
  const stable = cols.filter((c) => column(start, t.name, c.name)?.type === c.type);
  const type = pick(g, ['check', 'unique', 'foreign_key'] as const);
  let spec: ConstraintGen | undefined;
  if (type === 'check') {
    const options = stable.filter((c) => !c.unique);
    if (!options.length) return undefined;
    const c = pick(g, options);
    const pred = predFor(g, c);
    spec = { table: t.name, column: c.name, name: name(`${t.name}_cc`), type, pred };
    // An `up` that mends what the check refuses (README: a check's `up` converts through a shadow).
    if (chance(g, 40) && 'le' in pred) Object.assign(spec, { up: { clamp: { col: c.name }, n: pred.le }, domain: c.domain });
    else if (chance(g, 40) && c.domain === 'text') Object.assign(spec, { up: { suffix: { col: c.name }, s: 'zz' }, domain: c.domain });
  } else if (type === 'unique') {
    const options = stable.filter((c) => !c.bounded && !c.ref && !c.unique);
    if (!options.length) return undefined;
    const c = pick(g, options);
    spec = { table: t.name, column: c.name, name: name(`${t.name}_uq`), type };
    // Without `up`, rows sharing a value (most seeded columns) make plan refuse it; `up` keyed by id mends them.
    if (chance(g, 60)) Object.assign(spec, { up: { keyed: { col: c.name }, text: isText(c) }, domain: isText(c) ? 'text' : c.domain });
  } else {
    const c = stable.find((x) => x.type === 'int' && x.domain === 'int' && !x.ref && !x.unique);
    const parents = s.tables.filter((p) => p !== t && p.seeded);
    if (!c || !parents.length) return undefined;
    spec = { table: t.name, column: c.name, name: name(`${t.name}_cf`), type, refTable: pick(g, parents).name };
  }
  if (!alter) return { createConstraint: spec };
  // alterColumn's `references` takes no `up`; with `to` any option is refused at plan (rarely: it ends the scenario).
  if (spec.type === 'foreign_key') delete spec.up;
  return { alterConstraint: { ...spec, ...(chance(g, 10) ? { to: `${spec.column}_new` } : {}) } };
}

/** The migration-file form. */
export function constraintJson(op: Extract<GenOp, { createConstraint: unknown } | { alterConstraint: unknown }>): unknown {
  if ('createConstraint' in op) {
    const c = op.createConstraint;
    return {
      createConstraint: {
        table: c.table,
        name: c.name,
        type: c.type,
        columns: [c.column],
        ...(c.pred ? { check: predSql(c.column, c.pred) } : {}),
        ...(c.refTable ? { references: { table: c.refTable, columns: ['id'] } } : {}),
        ...(c.up ? { up: { [c.column]: exprJson(c.up) } } : {}),
      },
    };
  }
  const c = op.alterConstraint;
  const option = c.type === 'check' ? { check: { name: c.name, expression: predSql(c.column, c.pred!) } } : c.type === 'unique' ? { unique: { name: c.name } } : { references: { name: c.name, table: c.refTable!, column: 'id' } };
  return { alterColumn: { table: c.table, column: c.column, ...(c.to ? { to: c.to } : {}), ...option, ...(c.up ? { up: exprJson(c.up) } : {}) } };
}

/** The schema once the constraint is contracted (an alterColumn with `to` is refused: nothing). */
export function projectConstraint(t: TableDef, op: Extract<GenOp, { createConstraint: unknown } | { alterConstraint: unknown }>): void {
  const spec = 'createConstraint' in op ? op.createConstraint : op.alterConstraint;
  if ('alterConstraint' in op && op.alterConstraint.to) return;
  const c = t.columns.find((x) => x.name === spec.column);
  if (!c) return;
  if (spec.up && spec.domain) c.domain = spec.domain;
  if (spec.type === 'check') {
    t.checks.push({ name: spec.name, column: c.name, pred: spec.pred });
    c.bounded = true;
  } else if (spec.type === 'unique') {
    (t.uniques ??= []).push({ name: spec.name, column: c.name });
    c.unique = true;
  } else {
    t.fks.push({ name: spec.name, column: c.name, refTable: spec.refTable! });
    c.ref = spec.refTable;
  }
}
