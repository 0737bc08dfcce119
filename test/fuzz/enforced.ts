/**
 * The constraints the generated createConstraint and alterColumn `check` /
 * `unique` / `references` put on the data, as the model sees them: which
 * writes they refuse (so the writers write only values they take), whether
 * plan must refuse the migration for the rows already there, and how they
 * follow the column through renames, copies, drops and rollbacks.
 *
 * README (createConstraint): built at expand and enforced for both versions'
 * writes from then on; existing rows that break it refused at plan. A
 * converting `up` (a check's, a one-column unique's) judges every row as
 * `up` converts it until contract, whose cut-over puts the converted column
 * in its place with the constraint.
 */
import { columnsRead, multiBreaks, plain, type DataModel, type PhysTable, type Row } from './data.js';
import { evalEx, predHolds, type ConstraintGen, type Dialect, type Ex, type GenOp, type Pred, type Value } from './model.js';

export interface Enforced {
  m: number;
  name: string;
  table: PhysTable;
  col: string;
  kind: 'check' | 'unique' | 'foreign_key';
  pred?: Pred;
  refTable?: PhysTable;
  /** Until contract, the constraint judges `up` of the row (a shadow column), not the column. */
  up?: Ex;
}

/** The constraint an operation creates, if it is one the model follows (an alterColumn with `to` is refused at plan). */
export function constraintOf(op: GenOp): ConstraintGen | undefined {
  if ('createConstraint' in op) return op.createConstraint;
  if ('alterConstraint' in op && !op.alterConstraint.to) return op.alterConstraint;
  return undefined;
}

/**
 * Migration `m`'s constraints are (about to be) in force: writers keep to them from the start of the command that
 * applies it (a write racing the build would otherwise fail it). Those on a table or column the migration itself
 * makes are known once it is expanded (`expanded`).
 */
export function enforce(model: DataModel, m: number, ops: GenOp[], expanded: boolean): void {
  for (const op of ops) {
    const c = constraintOf(op);
    if (!c) continue;
    const t = model.resolve(c.table);
    if (!t || !t.columns.has(c.column) || model.enforced.some((e) => e.m === m && e.name === c.name && e.table === t)) continue;
    const refTable = c.refTable ? model.resolve(c.refTable) : undefined;
    model.enforced.push({ m, name: c.name, table: t, col: c.column, kind: c.type, pred: c.pred, refTable, up: c.up });
  }
  if (!expanded) return;
  for (const op of ops) {
    if (!('renameConstraint' in op)) continue;
    const t = model.resolve(op.renameConstraint.table);
    for (const e of model.enforced) if (e.table === t && e.name === op.renameConstraint.from) e.name = op.renameConstraint.to;
  }
}

/** A refused migration: nothing of it holds. */
export function cancel(model: DataModel, m: number): void {
  model.enforced = model.enforced.filter((e) => e.m !== m);
}

export function contractEnforced(model: DataModel, m: number, ops: GenOp[]): void {
  for (const e of model.enforced) if (e.m === m) delete e.up;
  for (const l of model.links.filter((x) => x.m === m)) {
    // A copy's contract carries the old column's constraints over to the new one, under their names.
    if (l.kind === 'copy') for (const e of model.enforced) if (e.table === l.table && e.col === l.from) e.col = l.to;
    if (l.kind === 'dropfill') model.enforced = model.enforced.filter((e) => !(e.table === l.table && e.col === l.col));
  }
  for (const op of ops) {
    if ('dropConstraint' in op) {
      const t = model.resolve(op.dropConstraint.table);
      model.enforced = model.enforced.filter((e) => !(e.table === t && e.name === op.dropConstraint.name));
    }
    if ('dropTable' in op) {
      const t = model.resolve(op.dropTable.table);
      model.enforced = model.enforced.filter((e) => e.table !== t);
    }
  }
}

export function rollbackEnforced(model: DataModel, m: number, ops: GenOp[]): void {
  cancel(model, m);
  for (const op of [...ops].reverse()) {
    if (!('renameConstraint' in op)) continue;
    const t = model.resolve(op.renameConstraint.table);
    for (const e of model.enforced) if (e.table === t && e.name === op.renameConstraint.to) e.name = op.renameConstraint.from;
  }
}

/** The value the constraint judges in a row: the column, or until contract `up` of the row. */
const judged = (e: Enforced, row: Row): Value => (e.up ? evalEx(e.up, plain(row)) : (row.get(e.col)?.v ?? null));
const unsure = (e: Enforced, row: Row) => (e.up ? columnsRead(e.up) : [e.col]).some((c) => !!row.get(c)?.soft);
/** Equal as a unique index compares them: MariaDB's default collation ignores case. */
const key = (v: Value, d: Dialect) => (v === null ? null : d === 'mysql' ? String(v).toLowerCase() : String(v));

/**
 * Why the write would be refused by a constraint the model follows, or undefined. `strict` (the new version, which
 * writes during the contract): a converting check's cut-over may come between its write and the next, so the value
 * must meet the check both as `up` converts it and as it is.
 */
export function violation(model: DataModel, t: PhysTable, id: number, values: Record<string, Value>, d: Dialect, strict: boolean, racing: ReadonlySet<number> = new Set()): string | undefined {
  // The schema's own foreign keys, until their drop is contracted (a column's `ref`): a unique column under one whose
  // seeded parents are all taken gets a fresh value, which the key refuses; the application does not write it (seed 324).
  for (const [col, v] of Object.entries(values)) {
    const ref = v === null ? undefined : t.columns.get(col)?.ref;
    const parent = ref === undefined ? undefined : model.resolve(ref);
    if (parent && !parent.rows.has(Number(v))) return `${col}: no parent ${v} in ${ref}`;
  }
  const cons = model.enforced.filter((e) => e.table === t);
  const multi = model.multi.filter((e) => e.table === t);
  if (!cons.length && !multi.length) return undefined;
  const row = model.rowAfter(t, id, values, new Set());
  // A constraint over several columns refuses what breaks it, but while its drop's `down`s convert (not while the
  // command installing or removing them runs: the write may meet the constraint without the trigger).
  const raw = multi.length ? plain(model.rowAfter(t, id, values, new Set(), false)) : {};
  for (const e of multi) {
    if (e.downs && !racing.has(e.dropM!)) continue;
    if (multiBreaks(e, t, id, raw, d)) return `${e.name}: (${e.columns.map((c) => row.get(c)?.v).join(', ')})`;
  }
  for (const e of cons) {
    const v = judged(e, row);
    if (v === null) continue;
    // Until contract `up` of the write is stored in a column of the constraint's column's type: where it cannot hold
    // it, the write fails, as one `up` cannot convert does (README), and the application does not make it. A unique
    // key's `up` multiplies an int by 1000000, past int's range once a long run's fresh values pass 2147 (seed 268).
    if (e.up && typeof v === 'number' && t.columns.get(e.col)?.type === 'int' && Math.abs(v) > 2147483647) return `${e.name}: up gives ${v}, past int`;
    if (e.kind === 'check' && e.pred && !predHolds(e.pred, v)) return `${e.name}: ${v}`;
    if (e.kind === 'check' && e.pred && e.up && strict && !predHolds(e.pred, row.get(e.col)?.v ?? null)) return `${e.name} (after its cut-over): ${row.get(e.col)?.v}`;
    if (e.kind === 'unique' && [...t.rows].some(([other, r]) => other !== id && key(judged(e, r), d) === key(v, d))) return `${e.name}: ${v} taken`;
    if (e.kind === 'foreign_key' && e.refTable && !e.refTable.rows.has(Number(v))) return `${e.name}: no parent ${v}`;
  }
  return undefined;
}

/**
 * Whether a unique constraint holds over the column now (or a copy of one being kept in step with it). `strict`
 * (the new version, which writes during the contract): also one that holds over `up` of it until its cut-over,
 * after which the column itself is unique.
 */
export function isUnique(model: DataModel, t: PhysTable, col: string, strict: boolean): boolean {
  const direct = (c: string) => model.enforced.some((e) => e.table === t && e.kind === 'unique' && e.col === c && (!e.up || strict));
  if (model.multi.some((e) => e.table === t && e.kind === 'unique' && e.columns.includes(col))) return true;
  return direct(col) || model.links.some((l) => l.kind === 'copy' && l.table === t && ((l.to === col && direct(l.from)) || (l.from === col && direct(l.to))));
}

/**
 * What plan must answer for the constraints a migration creates, from the rows there now: 'refuse' (exit 2) when a
 * row surely breaks one (or the operation is one xc does not take), 'pass' when none can, 'either' when a row's value
 * is not known exactly.
 */
export function verdict(model: DataModel, ops: GenOp[], d: Dialect): 'refuse' | 'pass' | 'either' {
  let answer: 'pass' | 'either' = 'pass';
  // The rows as earlier operations of the migration leave them: a setNotNull's `up` fills the NULLs, which plan reads
  // (plannedReads.ts; seed 481: NULLs all filled with one constant, then a unique key over the column).
  const filled = new Map<PhysTable, Row[]>();
  for (const op of ops) {
    if ('setNotNull' in op && op.setNotNull.up) {
      const up = op.setNotNull.up;
      const t = model.resolve(op.setNotNull.table);
      if (t?.columns.has(op.setNotNull.column)) {
        const col = op.setNotNull.column;
        const soft = (row: Row) => columnsRead(up).some((c) => !!row.get(c)?.soft);
        filled.set(t, (filled.get(t) ?? [...t.rows.values()]).map((row) => (row.get(col)?.v ?? null) !== null ? row : new Map([...row, [col, { v: evalEx(up, plain(row)), soft: soft(row) || !!row.get(col)?.soft }]])));
      }
      continue;
    }
    // README (alterColumn, schema): a constraint option changes the column in place, alone: with `to` it is refused.
    if ('alterConstraint' in op && op.alterConstraint.to) return 'refuse';
    // README: dropMultiColumnConstraint's `up` converting is refused; MySQL/MariaDB have no replica identity.
    if ('dropMulti' in op && Object.entries(op.dropMulti.up ?? {}).some(([c, e]) => !('col' in e && e.col === c))) return 'refuse';
    if ('setReplicaIdentity' in op && d === 'mysql') return 'refuse';
    const c = constraintOf(op);
    const t = c && model.resolve(c.table);
    if (!c || !t || !t.columns.has(c.column)) continue;
    const e: Enforced = { m: -1, name: c.name, table: t, col: c.column, kind: c.type, pred: c.pred, up: c.up, refTable: c.refTable ? model.resolve(c.refTable) : undefined };
    const rows = filled.get(t) ?? [...t.rows.values()];
    const breaks = (row: Row): boolean => {
      const v = judged(e, row);
      if (v === null) return false;
      if (e.kind === 'check') return !predHolds(e.pred!, v);
      if (e.kind === 'foreign_key') return !!e.refTable && !e.refTable.rows.has(Number(v));
      return rows.some((r) => r !== row && key(judged(e, r), d) === key(v, d));
    };
    if (rows.some((r) => !unsure(e, r) && breaks(r) && (e.kind !== 'unique' || rows.some((o) => o !== r && !unsure(e, o) && key(judged(e, o), d) === key(judged(e, r), d))))) return 'refuse';
    if (rows.some((r) => unsure(e, r))) answer = 'either';
  }
  return answer;
}
