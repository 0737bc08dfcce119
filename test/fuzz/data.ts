/**
 * The expected database: every physical table (under its real name, with the
 * old name an in-flight renameTable keeps working), its physical columns, and
 * the value every cell must hold — derived the way SPEC §3 and the README say
 * the dual-write triggers behave, from the writes that succeeded.
 *
 * A cell derived through a link its migration's backfill has not yet covered
 * is `soft` (unchecked): a write racing the expand may have left it anything.
 * Once the migration is backfilled every soft cell is set from its link and
 * checked exactly from then on.
 */
import { contractEnforced, enforce, rollbackEnforced, type Enforced } from './enforced.js';
import { castTo, evalEx, inPlaceResult, type ColumnDef, type Dialect, type Ex, type GenOp, type SchemaDef, type Value } from './model.js';

export interface Cell {
  v: Value;
  soft: boolean;
}
export type Row = Map<string, Cell>;

export interface PhysTable {
  name: string;
  /** The old name an in-flight renameTable keeps working (a view). */
  alias?: string;
  columns: Map<string, ColumnDef>;
  rows: Map<number, Row>;
  /** The drawn schema's foreign keys, name → column: a column's `ref` holds until its key's drop is contracted. */
  fks?: Map<string, string>;
}

/** What an in-flight operation makes the triggers do. `m`: the migration's index. */
export type Link =
  | { m: number; kind: 'copy'; table: PhysTable; from: string; to: string; up: Ex; down: Ex; fromDefault?: Value }
  | { m: number; kind: 'fill'; table: PhysTable; col: string; up?: Ex; default?: Value }
  | { m: number; kind: 'dropfill'; table: PhysTable; col: string; down?: Ex; lifted: boolean }
  | { m: number; kind: 'notnull'; table: PhysTable; col: string; up?: Ex }
  /** A dropNotNull: the column takes NULLs from expand on (catalog only); its rollback makes it NOT NULL again. */
  | { m: number; kind: 'nullable'; table: PhysTable; col: string }
  /** An in-place alterColumn: the column stays what it was for both versions until contract, which converts it. */
  | { m: number; kind: 'inplace'; table: PhysTable; col: string; change: Extract<GenOp, { alterInPlace: unknown }>['alterInPlace'] };

/**
 * A constraint over several columns of the drawn schema, until its dropMultiColumnConstraint is contracted. `downs`
 * (from that migration's expand until its contract or rollback): a write that would break it is stored with these
 * columns set to their `down` of the row as written, instead of being refused (README, dropConstraint's up and down).
 */
export interface MultiEnf {
  name: string;
  table: PhysTable;
  kind: 'check' | 'unique';
  columns: string[];
  sum?: number;
  /** The migration dropping it (its expand ran). */
  dropM?: number;
  downs?: Record<string, Ex>;
}

/** Equal as a unique index compares them: MariaDB's default collation ignores case. */
export const keyOf = (v: Value, d: Dialect) => (v === null ? null : d === 'mysql' ? String(v).toLowerCase() : String(v));

/** Whether the row breaks the multi-column constraint (a NULL in the key, or in the check's sum, passes). */
export function multiBreaks(e: MultiEnf, t: PhysTable, id: number, row: Record<string, Value>, d: Dialect): boolean {
  const vals = e.columns.map((c) => row[c] ?? null);
  if (vals.some((v) => v === null)) return false;
  if (e.kind === 'check') return vals.reduce<number>((a, v) => a + Number(v), 0) > e.sum!;
  const key = vals.map((v) => keyOf(v, d)).join('\u0000');
  return [...t.rows].some(([other, r]) => other !== id && e.columns.map((c) => keyOf(r.get(c)?.v ?? null, d)).join('\u0000') === key && e.columns.every((c) => (r.get(c)?.v ?? null) !== null));
}

export const plain = (row: Row): Record<string, Value> => Object.fromEntries([...row].map(([k, c]) => [k, c.v]));

export class DataModel {
  tables: PhysTable[] = [];
  links: Link[] = [];
  /** The constraints xc enforces on writes that the model can evaluate (enforced.ts). */
  enforced: Enforced[] = [];
  /** The drawn schema's constraints over several columns, while they hold. */
  multi: MultiEnf[] = [];
  /** Fresh values handed out for unique columns (writers.ts). */
  freshCount = 0;
  /** Ids inserted so far per version parity, so writers never reuse one. */
  private inserted = [0, 0];

  /** A fresh id: the old version's are even, the new version's odd. */
  nextId(parity: 0 | 1): number {
    return 100000 + parity + 2 * this.inserted[parity]!++;
  }

  constructor(
    schema: SchemaDef,
    rows: Map<string, Record<string, Value>[]>,
    readonly dialect: Dialect = 'postgres',
  ) {
    for (const t of schema.tables) {
      const table: PhysTable = { name: t.name, columns: new Map([['id', { name: 'id', type: 'int', domain: 'int', nullable: false }], ...t.columns.map((c) => [c.name, structuredClone(c)] as const)]), rows: new Map(), fks: new Map(t.fks.map((k) => [k.name, k.column])) };
      for (const r of rows.get(t.name) ?? []) table.rows.set(Number(r.id), new Map(Object.entries(r).map(([k, v]) => [k, { v, soft: false }])));
      this.tables.push(table);
      for (const k of t.multi ?? []) this.multi.push({ name: k.name, table, kind: k.kind, columns: [...k.columns], sum: k.sum });
    }
  }

  /** The physical table a version reaches under `name` (its own name or an old name kept working). */
  resolve(name: string): PhysTable | undefined {
    return this.tables.find((t) => t.name === name) ?? this.tables.find((t) => t.alias === name);
  }

  /**
   * A successful write: `values` are the columns the statement set. Links of migrations in `racing` (being expanded
   * by a command running at the same time) may or may not have fired: what they derive is soft.
   */
  write(t: PhysTable, id: number, values: Record<string, Value>, racing: Set<number>): void {
    t.rows.set(id, this.rowAfter(t, id, values, racing));
  }

  /** The row a write would leave (what write() records), without recording it. */
  rowAfter(t: PhysTable, id: number, values: Record<string, Value>, racing: ReadonlySet<number>, convert = true): Row {
    const insert = !t.rows.has(id);
    const row: Row = new Map(t.rows.get(id) ?? []);
    const before = plain(row);
    const links = this.links.filter((l) => l.table === t);
    // On INSERT the trigger cannot tell an explicit NULL in the new column from "not given" (README, Dual-write
    // triggers): the same. The old column keeps its default, so a NULL written there is NULL. The same holds for a
    // column an in-flight addColumn fills from `up`, or a dropColumn from `down`.
    const filled = (l: Link) => (l.kind === 'copy' ? [l.to] : (l.kind === 'fill' && l.up) || (l.kind === 'dropfill' && l.down) ? [l.col] : []);
    const copied = new Set(links.flatMap(filled));
    const set = new Set(Object.keys(values).filter((k) => !(insert && values[k] === null && copied.has(k))));
    const wasSoft = new Set([...row].flatMap(([k, c]) => (c.soft ? [k] : [])));
    for (const [k, v] of Object.entries(values)) row.set(k, { v, soft: false });
    const derive = (l: Link, col: string, v: Value, unsure = false) => {
      const prev = row.get(col);
      row.set(col, { v, soft: unsure || racing.has(l.m) || (!insert && !!prev?.soft && !set.has(col)) });
      set.add(col);
    };
    // On UPDATE a sync trigger sees which side changed (OLD against NEW), not which the statement named: a side set
    // to the value it held changes nothing. Unsure when that value was itself unsure.
    const unsure = (k: string) => !insert && wasSoft.has(k) && before[k] === row.get(k)?.v;
    // A value computed from an unsure one is unsure too.
    const softIn = (e: Ex | undefined) => !!e && columnsRead(e).some((c) => !!row.get(c)?.soft);
    const changed = (k: string) => set.has(k) && (insert || before[k] !== row.get(k)?.v || wasSoft.has(k));
    // Copy links in both directions until nothing changes: chained in-flight renames keep every shape equal.
    for (let more = true; more; ) {
      more = false;
      for (const l of links) {
        if (l.kind !== 'copy') continue;
        if (changed(l.from) && !set.has(l.to)) derive(l, l.to, evalEx(l.up, plain(row)), unsure(l.from) || softIn(l.up));
        else if (changed(l.to) && !set.has(l.from)) derive(l, l.from, evalEx(l.down, plain(row)), unsure(l.to) || softIn(l.down));
        else continue;
        more = true;
      }
    }
    if (insert) {
      for (const l of links) {
        if (l.kind === 'copy' && !set.has(l.from)) {
          // Neither side given: the old column's default, the new is up of it.
          derive(l, l.from, l.fromDefault ?? null);
          derive(l, l.to, evalEx(l.up, plain(row)), softIn(l.up));
        }
      }
      for (const [name, c] of t.columns) if (!row.has(name)) row.set(name, { v: c.default ?? null, soft: false });
    }
    // A write racing the cut-over of an in-place change lands before it (converted) or after it (stored as given).
    for (const l of links) if (l.kind === 'inplace' && racing.has(l.m) && (insert || set.has(l.col))) row.set(l.col, { v: row.get(l.col)?.v ?? null, soft: true });
    const isNull = (col: string) => (row.get(col)?.v ?? null) === null;
    for (const l of links) {
      if (l.kind === 'fill' && l.up) {
        // Filled whenever a write leaves it NULL; computed again when an UPDATE changes what `up` reads without setting it.
        const inputChanged = !insert && !set.has(l.col) && columnsRead(l.up).some((c) => set.has(c) && before[c] !== row.get(c)!.v);
        if (isNull(l.col) || inputChanged) derive(l, l.col, evalEx(l.up, plain(row)) ?? l.default ?? null, softIn(l.up));
      }
      // setNotNull's `up` fills NULLs whenever a write leaves one; dropColumn's `down` only on an INSERT.
      if (l.kind === 'dropfill' && l.down && insert && isNull(l.col)) derive(l, l.col, evalEx(l.down, plain(row)), softIn(l.down));
      if (l.kind === 'notnull' && l.up && isNull(l.col)) derive(l, l.col, evalEx(l.up, plain(row)), softIn(l.up));
    }
    // dropMultiColumnConstraint's `down`s: a row breaking the constraint has those columns converted, each from the
    // row as written. Unsure when what the test reads is.
    for (const e of convert ? this.multi : []) {
      if (e.table !== t || !e.downs || !multiBreaks(e, t, id, plain(row), this.dialect)) continue;
      const asWritten = plain(row);
      const soft = e.columns.some((c) => !!row.get(c)?.soft) || (e.dropM !== undefined && racing.has(e.dropM));
      for (const [c, down] of Object.entries(e.downs)) row.set(c, { v: evalEx(down, asWritten), soft: soft || columnsRead(down).some((x) => !!row.get(x)?.soft) });
    }
    return row;
  }

  /** Expand of migration `m` begins: its new columns and links exist from now on (values soft until backfilled). */
  expand(m: number, ops: GenOp[]): void {
    enforce(this, m, ops, true);
    for (const op of ops) {
      if ('dropMulti' in op) {
        const t = this.resolve(op.dropMulti.table);
        const e = this.multi.find((x) => x.table === t && x.name === op.dropMulti.name);
        // A `down` that is the column itself converts nothing.
        const downs = Object.entries(op.dropMulti.down ?? {}).filter(([c, d]) => !('col' in d && d.col === c));
        if (e) Object.assign(e, { dropM: m, ...(downs.length ? { downs: Object.fromEntries(downs) } : {}) });
      } else if ('sql' in op) {
        const g = op.sql;
        if (g.form === 'side') this.tables.push({ name: g.table, columns: new Map([['id', { name: 'id', type: 'int', domain: 'int', nullable: false }], ['v', { name: 'v', type: 'int', domain: 'int', nullable: true }]]), rows: new Map() });
        const side = g.form === 'sideRow' ? this.tables.find((x) => x.name === g.table) : undefined;
        if (side && g.form === 'sideRow') side.rows.set(g.id, new Map([['id', { v: g.id, soft: false }], ['v', { v: g.v, soft: false }]]));
      } else if ('createTable' in op) {
        const s = op.createTable;
        this.tables.push({ name: s.table, columns: new Map([['id', { name: 'id', type: 'int', domain: 'int', nullable: false }], ...s.columns.map((c) => [c.name, structuredClone(c)] as const)]), rows: new Map() });
      } else if ('renameTable' in op) {
        const t = this.resolve(op.renameTable.from);
        if (t) Object.assign(t, { name: op.renameTable.to, alias: op.renameTable.from });
      } else if ('addColumn' in op) {
        const s = op.addColumn;
        const t = this.resolve(s.table)!;
        t.columns.set(s.column.name, { ...structuredClone(s.column), nullable: true, default: s.up ? undefined : s.column.default });
        const link: Link = { m, kind: 'fill', table: t, col: s.column.name, up: s.up, default: s.column.default ?? undefined };
        this.links.push(link);
        for (const row of t.rows.values()) row.set(link.col, { v: (s.up ? evalEx(s.up, plain(row)) : null) ?? s.column.default ?? null, soft: !!s.up });
      } else if ('renameColumn' in op || 'alterColumn' in op) {
        const a = 'renameColumn' in op ? { table: op.renameColumn.table, column: op.renameColumn.from, to: op.renameColumn.to, up: { col: op.renameColumn.from } as Ex, down: { col: op.renameColumn.to } as Ex } : op.alterColumn;
        const t = this.resolve(a.table)!;
        const old = t.columns.get(a.column);
        if (!old) continue;
        const type = 'type' in a && a.type ? a.type : old.type;
        t.columns.set(a.to, { ...old, name: a.to, type, domain: 'domain' in a ? a.domain : old.domain, nullable: true, default: undefined });
        const link: Link = { m, kind: 'copy', table: t, from: a.column, to: a.to, up: a.up, down: a.down, fromDefault: old.default };
        this.links.push(link);
        for (const row of t.rows.values()) row.set(a.to, { v: evalEx(a.up, plain(row)), soft: true });
      } else if ('dropColumn' in op) {
        const t = this.resolve(op.dropColumn.table)!;
        const c = t.columns.get(op.dropColumn.column);
        // With neither `down` nor a default, NOT NULL is lifted so new writers can omit the column.
        const lifted = !!c && !op.dropColumn.down && !c.nullable && c.default === undefined;
        if (lifted) c.nullable = true;
        this.links.push({ m, kind: 'dropfill', table: t, col: op.dropColumn.column, down: op.dropColumn.down, lifted });
        // A NULL written while the trigger was being installed may have been filled from `down` (see write()).
        if (op.dropColumn.down) for (const row of t.rows.values()) if (row.get(op.dropColumn.column)?.v === null) row.set(op.dropColumn.column, { v: null, soft: true });
      } else if ('dropNotNull' in op) {
        const t = this.resolve(op.dropNotNull.table)!;
        const c = t.columns.get(op.dropNotNull.column);
        if (c && !c.nullable) {
          c.nullable = true;
          this.links.push({ m, kind: 'nullable', table: t, col: c.name });
        }
      } else if ('alterInPlace' in op) {
        const t = this.resolve(op.alterInPlace.table)!;
        this.links.push({ m, kind: 'inplace', table: t, col: op.alterInPlace.column, change: op.alterInPlace });
      } else if ('createConstraint' in op || 'alterConstraint' in op) {
        // A converting `up` goes through a shadow, as an in-place change: the column is converted at contract.
        const c = 'createConstraint' in op ? op.createConstraint : op.alterConstraint;
        const t = this.resolve(c.table);
        const old = t?.columns.get(c.column);
        if (t && old && c.up && !('alterConstraint' in op && op.alterConstraint.to)) this.links.push({ m, kind: 'inplace', table: t, col: c.column, change: { table: c.table, column: c.column, domain: c.domain ?? old.domain, up: c.up } });
      } else if ('setNotNull' in op) {
        const s = op.setNotNull;
        const t = this.resolve(s.table)!;
        this.links.push({ m, kind: 'notnull', table: t, col: s.column, up: s.up });
        if (s.up) for (const row of t.rows.values()) if (row.get(s.column)?.v === null) row.set(s.column, { v: evalEx(s.up, plain(row)), soft: true });
      }
    }
  }

  /** Migration `m` is backfilled: every cell its links derive holds exactly what they derive. */
  backfilled(m: number): void {
    for (const l of this.links.filter((x) => x.m === m)) {
      for (const row of l.table.rows.values()) {
        const r = () => plain(row);
        // The backfill computes what the link derives; from an unsure input that is unsure still.
        const sure = (e: Ex) => !columnsRead(e).some((c) => !!row.get(c)?.soft);
        if (l.kind === 'copy' && row.get(l.to)?.soft && sure(l.up)) row.set(l.to, { v: evalEx(l.up, r()), soft: false });
        // Only `up` makes a fill soft; without it a soft cell is another link's (a dropColumn's `down` of the same column).
        if (l.kind === 'fill' && l.up && row.get(l.col)?.soft && sure(l.up)) row.set(l.col, { v: evalEx(l.up, r()) ?? l.default ?? null, soft: false });
        // The backfill fills NULLs only: a soft cell of another value (a copy's trigger racing its contract may or may
        // not have set it) may hold that value still.
        if (l.kind === 'notnull' && l.up && row.get(l.col)?.soft && sure(l.up)) {
          const v = evalEx(l.up, r());
          if ([null, v].includes(row.get(l.col)!.v)) row.set(l.col, { v, soft: false });
        }
      }
    }
  }

  /** Contract of migration `m`: the old shape goes. */
  contract(m: number, ops: GenOp[]): void {
    contractEnforced(this, m, ops);
    for (const l of this.links.filter((x) => x.m === m)) {
      if (l.kind === 'copy') {
        const c = l.table.columns.get(l.to)!;
        // Of this link's table: one migration may give columns of one name to several tables.
        const op = ops.find((o) => ('renameColumn' in o && o.renameColumn.to === l.to && this.resolve(o.renameColumn.table) === l.table) || ('alterColumn' in o && o.alterColumn.to === l.to && this.resolve(o.alterColumn.table) === l.table));
        const old = l.table.columns.get(l.from);
        const alter = op && 'alterColumn' in op ? op.alterColumn : undefined;
        c.nullable = alter?.nullable ?? old?.nullable ?? c.nullable;
        c.default = alter?.default !== undefined ? (alter.default ?? undefined) : l.fromDefault;
        dropColumn(l.table, l.from);
        // The contract carries the old column's foreign keys over to the new one.
        for (const [name, col] of l.table.fks ?? []) if (col === l.from) l.table.fks!.set(name, l.to);
      }
      if (l.kind === 'fill') {
        const c = l.table.columns.get(l.col)!;
        const op = ops.find((o) => 'addColumn' in o && o.addColumn.column.name === l.col && this.resolve(o.addColumn.table) === l.table);
        if (op && 'addColumn' in op) Object.assign(c, { nullable: op.addColumn.column.nullable, default: op.addColumn.column.default });
      }
      if (l.kind === 'dropfill') dropColumn(l.table, l.col);
      if (l.kind === 'notnull') l.table.columns.get(l.col)!.nullable = false;
      if (l.kind === 'inplace') {
        const old = l.table.columns.get(l.col)!;
        const now = inPlaceResult(old, l.change);
        l.table.columns.set(l.col, now);
        const { up } = l.change;
        for (const row of l.table.rows.values()) {
          const cell = row.get(l.col);
          const soft = !!cell?.soft || (!!up && columnsRead(up).some((c) => !!row.get(c)?.soft));
          row.set(l.col, { v: up ? evalEx(up, plain(row)) : castTo(now.type, cell?.v ?? null), soft });
        }
      }
    }
    this.links = this.links.filter((x) => x.m !== m);
    this.multi = this.multi.filter((e) => e.dropM !== m);
    for (const op of ops) {
      if ('dropConstraint' in op) {
        const t = this.resolve(op.dropConstraint.table);
        const col = t?.fks?.get(op.dropConstraint.name);
        if (col !== undefined) {
          delete t!.columns.get(col)?.ref;
          t!.fks!.delete(op.dropConstraint.name);
        }
      }
      if ('renameConstraint' in op) {
        const t = this.resolve(op.renameConstraint.table);
        const col = t?.fks?.get(op.renameConstraint.from);
        if (col !== undefined) {
          t!.fks!.delete(op.renameConstraint.from);
          t!.fks!.set(op.renameConstraint.to, col);
        }
      }
      if ('sql' in op && op.sql.form === 'contractSide') this.tables.push({ name: op.sql.table, columns: new Map([['id', { name: 'id', type: 'int', domain: 'int', nullable: false }], ['v', { name: 'v', type: 'int', domain: 'int', nullable: true }]]), rows: new Map() });
      if ('dropTable' in op) {
        const t = this.resolve(op.dropTable.table);
        this.multi = this.multi.filter((e) => e.table !== t);
      }
      if ('dropTable' in op) this.tables = this.tables.filter((t) => t !== this.resolve(op.dropTable.table));
      if ('renameTable' in op) {
        const t = this.resolve(op.renameTable.to);
        if (t) delete t.alias;
      }
    }
  }

  /** Rollback of migration `m` (before contract): what its expand added goes, the old shape is whole again. */
  rollback(m: number, ops: GenOp[]): void {
    rollbackEnforced(this, m, ops);
    for (const l of this.links.filter((x) => x.m === m)) {
      if (l.kind === 'copy') dropColumn(l.table, l.to);
      if (l.kind === 'fill') dropColumn(l.table, l.col);
      if (l.kind === 'dropfill' && l.lifted) l.table.columns.get(l.col)!.nullable = false;
      if (l.kind === 'nullable') {
        const c = l.table.columns.get(l.col);
        if (c) c.nullable = false;
      }
    }
    this.links = this.links.filter((x) => x.m !== m);
    // The converting trigger goes; the constraint stays, with the values converted meanwhile.
    for (const e of this.multi) {
      if (e.dropM !== m) continue;
      delete e.dropM;
      delete e.downs;
    }
    for (const op of [...ops].reverse()) {
      if ('sql' in op && op.sql.form === 'side') this.tables = this.tables.filter((t) => t.name !== op.sql.table);
      if ('createTable' in op) this.tables = this.tables.filter((t) => t.name !== op.createTable.table);
      if ('renameTable' in op) {
        const t = this.resolve(op.renameTable.to);
        if (t) {
          t.name = op.renameTable.from;
          delete t.alias;
        }
      }
    }
  }

  /** Columns whose value a write may omit and get the default without any trigger involved (an in-place change's shadow is computed from the column, default or not). */
  untouched(t: PhysTable, col: string): boolean {
    return !this.links.some((l) => l.table === t && l.kind !== 'inplace' && l.kind !== 'nullable' && (l.kind === 'copy' ? l.from === col || l.to === col : l.col === col));
  }

  /** The column as it is until an in-flight in-place change of it is contracted: what both versions may write. */
  inFlightColumn(t: PhysTable, col: string): ColumnDef | undefined {
    return this.links.some((l) => l.table === t && l.kind === 'inplace' && l.col === col) ? t.columns.get(col) : undefined;
  }

  /** Whether an in-place change of `t` is in flight (its shadow column, named by xc, exists or may). */
  shadowed(t: PhysTable): boolean {
    return this.links.some((l) => l.table === t && l.kind === 'inplace');
  }
}

function dropColumn(t: PhysTable, col: string): void {
  t.columns.delete(col);
  for (const row of t.rows.values()) row.delete(col);
}

export function columnsRead(e: Ex): string[] {
  if ('col' in e) return [e.col];
  if ('lit' in e) return [];
  if ('concat' in e) return e.concat.flatMap(columnsRead);
  if ('add' in e) return columnsRead(e.add);
  if ('upper' in e) return columnsRead(e.upper);
  if ('lower' in e) return columnsRead(e.lower);
  if ('coalesce' in e) return columnsRead(e.coalesce);
  if ('toText' in e) return columnsRead(e.toText);
  if ('clamp' in e) return columnsRead(e.clamp);
  if ('suffix' in e) return columnsRead(e.suffix);
  if ('keyed' in e) return [...columnsRead(e.keyed), 'id'];
  return columnsRead(e.toInt);
}
