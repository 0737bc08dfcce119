/**
 * An application version writing through the schema it was built with: inserts
 * (every column it knows, sometimes leaving a defaulted one out) and one-column
 * updates of the rows it owns. The old version owns even ids, the new version
 * odd ones, so their writes never touch the same row and the expected model
 * stays exact whatever the interleaving. Every write that succeeds is applied
 * to the model; every one that fails is an error (each is legal for its version).
 */
import type { Queryable } from '../helpers/writers.js';
import { columnsRead, type DataModel, type PhysTable, type Row } from './data.js';
import { isUnique, violation } from './enforced.js';
import { REFUSED_INT, type ColumnDef, type Dialect, type SchemaDef, type Value } from './model.js';

/** mulberry32: a small seeded PRNG, so rows and writes follow from the scenario's data seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['ab', 'cat', 'xyz', 'b', 'qrs', 'moon', 'kite', 'a'];

export function valueFor(c: ColumnDef, r: () => number, allowNull = true): Value {
  if (allowNull && c.nullable && r() < 0.15) return null;
  const n = (max: number) => 1 + Math.floor(r() * max);
  if (c.type === 'varchar(40)') return c.domain === 'digits' ? String(n(99)) : WORDS[Math.floor(r() * WORDS.length)]!;
  return c.domain === 'digits' ? n(99) : n(10);
}

export class VersionWriter {
  readonly errors: string[] = [];
  writes = 0;
  /** InnoDB deadlocks between the writers, each write retried (up to ten times, backed off). */
  deadlocksRetried = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    readonly label: string,
    private readonly conn: Queryable,
    private readonly dialect: Dialect,
    private readonly model: DataModel,
    private readonly view: SchemaDef,
    /** 0: the old version (even ids), 1: the new one (odd ids). */
    private readonly parity: 0 | 1,
    private readonly random: () => number,
    /** Migrations being expanded while this writer runs: what their links derive is soft. */
    private readonly racing: Set<number>,
  ) {}

  private q(id: string): string {
    return this.dialect === 'postgres' ? `"${id}"` : `\`${id}\``;
  }

  /**
   * What this version writes into a column: as it sees it, but until an in-place change of the column is contracted,
   * the old type, default and constraints (README, alterColumn in place) and its own NOT NULL if stricter.
   */
  private written(phys: PhysTable | undefined, c: ColumnDef): ColumnDef {
    const now = phys && this.model.inFlightColumn(phys, c.name);
    return now ? { ...now, nullable: now.nullable && c.nullable } : c;
  }

  /** One write; false when there was nothing to write to. */
  async one(): Promise<boolean> {
    const r = this.random;
    if (this.view.tables.length === 0) return false;
    const t = this.view.tables[Math.floor(r() * this.view.tables.length)]!;
    const phys = this.model.resolve(t.name);
    const owned = phys ? [...phys.rows.keys()].filter((id) => id % 2 === this.parity) : [];
    let sql: string;
    let params: unknown[];
    let id: number;
    let values: Record<string, Value>;
    // A column a unique constraint holds over gets a value no row has (never its default, which others may hold).
    const unique = (c: ColumnDef) => phys !== undefined && isUnique(this.model, phys, c.name, this.parity === 1);
    // A column under the schema's own foreign key takes only its parents' ids until that key's drop is contracted,
    // whatever this version sees; unique too, one no row holds (seed 235).
    const parent = (c: ColumnDef) => phys?.columns.get(c.name)?.ref ?? this.written(phys, c).ref;
    const draw = (c: ColumnDef): Value => {
      const def = this.written(phys, c);
      if (!unique(c)) return valueFor(def, r);
      const ref = parent(c);
      return ref === undefined ? this.fresh(def, r) : this.freeParent(phys!, c.name, ref, def, r);
    };
    if (owned.length === 0 || t.columns.length === 0 || r() < 0.4) {
      id = this.model.nextId(this.parity);
      values = { id };
      for (const c of t.columns) {
        const def = this.written(phys, c);
        const omit = def.default !== undefined && phys !== undefined && this.model.untouched(phys, c.name) && !unique(c) && r() < 0.2;
        if (!omit) values[c.name] = draw(c);
      }
      // A key a dropMultiColumnConstraint's `down` converts (README, dropConstraint's up and down) is written again on
      // purpose now and then: one of this version's own rows', which no other writer changes meanwhile.
      for (const e of phys ? this.model.multi : []) {
        if (e.table !== phys || e.kind !== 'unique' || !e.downs || this.racing.has(e.dropM!) || !e.columns.every((c) => c in values) || r() >= 0.3) continue;
        const usable = (row: Row) => e.columns.every((c) => !row.get(c)?.soft && (row.get(c)?.v ?? null) !== null && String(row.get(c)!.v).length < 8);
        const src = owned.map((o) => phys!.rows.get(o)!).find(usable);
        if (src) for (const c of e.columns) values[c] = src.get(c)!.v;
      }
      // A constraint in force refuses some values (README, createConstraint): the application writes ones it takes.
      for (let k = 0; k < 20 && phys && violation(this.model, phys, id, values, this.dialect, this.parity === 1, this.racing); k++) for (const c of t.columns) if (c.name in values) values[c.name] = draw(c);
      if (phys && violation(this.model, phys, id, values, this.dialect, this.parity === 1, this.racing)) return true;
      const cols = Object.keys(values);
      sql = `INSERT INTO ${this.q(t.name)} (${cols.map((c) => this.q(c)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
      params = Object.values(values);
    } else {
      id = owned[Math.floor(r() * owned.length)]!;
      // The new version sets a computed column itself when it changes what the column is computed from; it does not
      // touch those sources here, so whether the trigger recomputes is never ambiguous.
      const fillSources = new Set(this.model.links.flatMap((l) => (l.kind === 'fill' && l.up && l.table === phys ? columnsRead(l.up) : [])));
      const candidates = t.columns.filter((c) => this.parity === 0 || !fillSources.has(c.name));
      if (candidates.length === 0) return false;
      const c = candidates[Math.floor(r() * candidates.length)]!;
      values = { [c.name]: draw(c) };
      for (let k = 0; k < 20 && phys && violation(this.model, phys, id, values, this.dialect, this.parity === 1, this.racing); k++) values[c.name] = draw(c);
      if (phys && violation(this.model, phys, id, values, this.dialect, this.parity === 1, this.racing)) return true;
      sql = `UPDATE ${this.q(t.name)} SET ${this.q(c.name)} = ? WHERE id = ?`;
      params = [values[c.name], id];
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.conn.query(sql, params);
        this.writes++;
        if (phys) this.model.write(phys, id, values, this.racing);
      } catch (err) {
        // Two writers changing a unique key that an in-flight `down` converts both read it in xc's trigger, which
        // InnoDB does with shared locks: they may deadlock on each other, and the application retries, as it must
        // on InnoDB (README, dropConstraint). xc's own batches keep keys and read nothing for them (seed 217).
        if (attempt < 10 && (err as { errno?: number }).errno === 1213) {
          this.deadlocksRetried++;
          await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 20 * (attempt + 1)))); // backed off, as an application does
          continue;
        }
        this.errors.push(`${this.label}: ${sql} ${JSON.stringify(params)}: ${(err as Error).message}`);
      }
      return true;
    }
  }

  /**
   * A value no row holds: negative numbers (no domain of the generator's holds one), apart per version; small, as a
   * unique key's `up` multiplies them by 1000000 in an int.
   */
  private fresh(c: ColumnDef, r: () => number): Value {
    if (c.nullable && r() < 0.15) return null;
    let n = -(1 + 2 * this.model.freshCount++ + this.parity);
    // A schema's own check refuses one number (seed 206 drew it after 499 fresh values).
    if (n === REFUSED_INT) n = -(1 + 2 * this.model.freshCount++ + this.parity);
    return c.type === 'varchar(40)' ? (c.domain === 'digits' ? String(n) : `u${-n}`) : n;
  }

  /**
   * A seeded id of `refTable` that no row of `t` holds in `col`, of this writer's parity (the other writer never draws it),
   * for a column both unique and a foreign key; NULL (or a fresh value, which the key refuses: no write) if none is left.
   */
  private freeParent(t: PhysTable, col: string, refTable: string, c: ColumnDef, r: () => number): Value {
    const held = new Set([...t.rows.values()].map((row) => String(row.get(col)?.v ?? '')));
    // The seeded parents only (small ids: a unique key's `up` multiplies the value by 1000000 in an int).
    const free = [...(this.model.resolve(refTable)?.rows.keys() ?? [])].filter((id) => id < 1000 && id % 2 === this.parity && !held.has(String(id)));
    if (free.length === 0) return c.nullable ? null : this.fresh(c, r);
    return free[Math.floor(r() * free.length)]!;
  }

  async some(n: number): Promise<void> {
    for (let i = 0; i < n; i++) if (!(await this.one())) break;
  }

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        if (!(await this.one())) break;
        await new Promise((res) => setTimeout(res, 3));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
