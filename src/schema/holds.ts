/**
 * What migrations that are expanded but not yet contracted still hold in the
 * database, beyond the schema they project to. The planner advances a model
 * through every migration in flight and every pending one (planner.ts); the
 * projected schema alone hides what makes a later operation unsafe:
 *
 * - **Names removed only at contract.** A dropped or renamed-away column,
 *   table, index or constraint still exists until its migration's contract.
 *   An operation that creates the same name meanwhile finds it taken (`ADD
 *   COLUMN IF NOT EXISTS` does nothing) and then loses it, data and all, to
 *   that contract. Such a reuse is refused until the holder is contracted.
 * - **Tables a contract step will name.** Renaming one at expand (renameTable)
 *   would leave that step naming the compatibility view, where it fails: the
 *   rename waits until those migrations are contracted.
 * - **Columns under a dual-write trigger.** Two xc triggers race where one
 *   writes a column the other reads or writes: which one runs first decides
 *   the value (PostgreSQL orders triggers by name, MySQL by creation). Such a
 *   second one is refused until the first is contracted; two that only read
 *   a column (`id` in two `up`s) do not race.
 * - **Columns a contract makes NOT NULL.** Dropped or renamed away before
 *   that contract, they would reject every write that omits them from then on.
 * - **Columns replaced by a shadow at contract** (alterColumn in place,
 *   createConstraint converting): that contract drops the column and renames
 *   its shadow to its name. An index, constraint or foreign key made over
 *   the column (or referencing it) meanwhile would go with the old column
 *   (PostgreSQL), or keep the drop from happening (a foreign key; MySQL's
 *   copies): refused until that contract.
 * - **Defaults changed only at contract** (alterColumn in place): until then
 *   the column keeps the default it has, which the server puts in an insert
 *   that omits the column before any trigger runs — a dropColumn's `down`
 *   meanwhile would never run.
 * - **Keys made only at contract** (createConstraint primary_key, or a
 *   deferrable unique key): a foreign key referencing their columns before
 *   finds no key to reference (MySQL errno 150), or one that then changes
 *   under it.
 */
/** Operation.synced: the columns a dual-write trigger reads or writes, and which of them it writes (all where not given). */
export interface SyncedColumns {
  table: string;
  columns: string[];
  writes?: string[];
}

/** Who holds something, in words: `0003_rename (operations[0].renameColumn)`. */
export type Holder = string;

export class Holds {
  private readonly names = new Map<string, Holder>();
  private readonly synced = new Map<string, { by: Holder; writes: boolean }>();
  private readonly contracting = new Map<string, Holder>();
  /** Of those, the tables whose constraints a contract step may name (validate, drop, attach). */
  private readonly constraintsNamed = new Map<string, Holder>();
  private readonly madeNotNull = new Map<string, Holder>();
  private readonly shadowed = new Map<string, Holder>();
  private readonly defaults = new Map<string, Holder>();
  private readonly retyped = new Map<string, { table: string; column: string; by: Holder }>();
  private readonly keys: { table: string; name: string; columns: string[]; holder: Holder }[] = [];

  clone(): Holds {
    const h = new Holds();
    for (const [k, v] of this.names) h.names.set(k, v);
    for (const [k, v] of this.synced) h.synced.set(k, v);
    for (const [k, v] of this.contracting) h.contracting.set(k, v);
    for (const [k, v] of this.constraintsNamed) h.constraintsNamed.set(k, v);
    for (const [k, v] of this.madeNotNull) h.madeNotNull.set(k, v);
    for (const [k, v] of this.shadowed) h.shadowed.set(k, v);
    for (const [k, v] of this.defaults) h.defaults.set(k, v);
    for (const [k, v] of this.retyped) h.retyped.set(k, v);
    h.keys.push(...this.keys.map((k) => ({ ...k, columns: [...k.columns] })));
    return h;
  }

  /** `holder`'s contract replaces these columns by their shadows (drops each, renames its shadow to its name). */
  shadow(table: string, columns: string[], holder: Holder): void {
    for (const c of columns) if (!this.shadowed.has(`${table}\0${c}`)) this.shadowed.set(`${table}\0${c}`, holder);
  }

  /** The migration in flight whose contract replaces the column by its shadow, if any. */
  shadowedBy(table: string, column: string): Holder | undefined {
    return this.shadowed.get(`${table}\0${column}`);
  }

  /** `holder`'s contract changes the default of `column`. */
  defaultAtContract(table: string, column: string, holder: Holder): void {
    if (!this.defaults.has(`${table}\0${column}`)) this.defaults.set(`${table}\0${column}`, holder);
  }

  /** The migration in flight whose contract changes the column's default, if any: until then it has its old one. */
  defaultChangedBy(table: string, column: string): Holder | undefined {
    return this.defaults.get(`${table}\0${column}`);
  }

  /** `holder`'s contract changes the type of `column` in the catalog alone (a varchar widened): it keeps its name. */
  retypeAtContract(table: string, column: string, holder: Holder): void {
    if (!this.retyped.has(`${table}\0${column}`)) this.retyped.set(`${table}\0${column}`, { table, column, by: holder });
  }

  /** The columns whose type a contract in flight changes in the catalog, each with that migration. */
  retypedAtContract(): { table: string; column: string; by: Holder }[] {
    return [...this.retyped.values()];
  }

  /** `holder` makes the key `name` over `columns` of `table` only at its contract. */
  keyAtContract(table: string, name: string, columns: string[], holder: Holder): void {
    this.keys.push({ table, name, columns: [...columns], holder });
  }

  /** A key over exactly `columns` of `table` (in any order) made only at a contract in flight. */
  keyMadeAtContract(table: string, columns: string[]): { name: string; holder: Holder } | undefined {
    const same = (a: string[]) => a.length === columns.length && a.every((c) => columns.includes(c));
    return this.keys.find((k) => k.table === table && same(k.columns));
  }

  /** `holder`'s contract makes these columns NOT NULL. */
  notNullAtContract(table: string, columns: string[], holder: Holder): void {
    for (const c of columns) if (!this.madeNotNull.has(`column\0${table}\0${c}`)) this.madeNotNull.set(`column\0${table}\0${c}`, holder);
  }

  /** `holder` has contract steps that name `table` (and, unless `constraints` is false, may name its constraints). */
  contractsOn(tables: string[], holder: Holder, constraints = true): void {
    for (const t of tables) {
      if (!this.contracting.has(t)) this.contracting.set(t, holder);
      if (constraints && !this.constraintsNamed.has(t)) this.constraintsNamed.set(t, holder);
    }
  }

  /** Problems for renaming `table` at expand while a contract step still names it. */
  rename(table: string): string[] {
    const by = this.contracting.get(table);
    return by ? [`table "${table}" is named by ${by} until it is contracted (by its contract steps, or by the view that keeps an old name working); renaming it before would leave them naming the wrong relation — contract that migration first`] : [];
  }

  /**
   * Record what one operation's projection changed (`before` → `after`,
   * from SchemaModel.names): names it removes are held by `holder` until its contract.
   * Returns a problem for each name it creates that another holds, names
   * compared as the server does (`fold`: a column's, index's or
   * constraint's name as dialects/names.ts nameKey gives it).
   */
  advance(before: Map<string, string>, after: Map<string, string>, holder: Holder, fold: (name: string) => string = (n) => n): string[] {
    const problems: string[] = [];
    // `kind\0table\0name` (a column, index or constraint) folded; a table's `table\0name` stays exact.
    const same = (key: string) => {
      const [kind, table, name] = key.split('\0');
      return name === undefined ? key : `${kind}\0${table}\0${fold(name)}`;
    };
    const had = new Set([...before.keys()].map(same));
    // A table's name held: said once, not again for each of its columns and indexes (campaign M).
    const heldTables = new Set<string>();
    for (const [key, what] of after) {
      const by = had.has(same(key)) ? undefined : this.names.get(same(key));
      const [kind, table] = key.split('\0');
      if (kind !== 'table' && heldTables.has(table!)) continue;
      if (by && kind === 'table') heldTables.add(table!);
      if (by) {
        problems.push(
          `${what} still exists until ${by} is contracted (it is removed only then); reusing the name before would lose it to that contract — contract that migration first, then reuse the name in a later migration`,
        );
      }
    }
    for (const [key, what] of before) {
      if (after.has(key)) continue;
      this.names.set(same(key), holder);
      // Dropped or renamed away, its table staying, before a contract makes it NOT NULL: new writers omitting it would
      // fail from that contract on. (A dropped table's columns go with it at its own, later, contract.)
      const by = this.madeNotNull.get(key);
      const tableStays = after.has(`table\0${key.split('\0')[1]}`);
      if (by && by !== holder && tableStays) problems.push(`${what} is made (or kept) NOT NULL by ${by} at its contract, which restates the column; removing it before would make every write that omits it fail from then on — contract that migration first`);
    }
    return problems;
  }

  /**
   * Whether a migration in flight removes an index or constraint named `name` only at its contract: on `table`, or
   * on any table (or a relation of that name) where `table` is undefined; names compared as `fold` gives them.
   */
  holdsObject(name: string, table: string | undefined, fold: (n: string) => string = (n) => n): boolean {
    for (const key of this.names.keys()) {
      const [kind, on, object] = key.split('\0');
      if (kind === 'object' && fold(object!) === fold(name) && (table === undefined || on === table)) return true;
      if (kind === 'table' && table === undefined && fold(on!) === fold(name)) return true;
    }
    return false;
  }

  /** The migration in flight whose contract makes the column NOT NULL, if any. */
  /** The migration in flight that renames or drops `column` of `table` away (it stays in the database until that contract). */
  removedBy(table: string, column: string, fold: (name: string) => string = (n) => n): Holder | undefined {
    return this.names.get(`column\0${table}\0${fold(column)}`);
  }

  makesNotNull(table: string, column: string): Holder | undefined {
    return this.madeNotNull.get(`column\0${table}\0${column}`);
  }

  /** Problems for renaming a constraint of `table` at expand while a contract step names the table: it may name the constraint (VALIDATE, a drop). */
  renameConstraint(table: string): string[] {
    const by = this.constraintsNamed.get(table);
    return by ? [`the contract steps of ${by} name "${table}" and may name its constraints (validating or dropping one) until it is contracted; renaming one before would leave them naming a constraint that is gone — contract that migration first`] : [];
  }

  /**
   * Problems for a new dual-write trigger over `columns` of `table` (Operation.synced), which then become held too:
   * a column one trigger writes that another reads or writes. Two triggers that only read a column do not race.
   */
  sync({ table, columns, writes = columns }: SyncedColumns, holder: Holder): string[] {
    const problems: string[] = [];
    for (const c of new Set(columns)) {
      const key = `${table}\0${c}`;
      const held = this.synced.get(key);
      const writes_ = writes.includes(c);
      if (held && (held.writes || writes_)) {
        // Said as it is: the first trigger writes the column (keeps it in step), or only reads it (campaign G: a trigger
        // computing another column from it was said to keep it in step).
        problems.push(`"${table}"."${c}" is ${held.writes ? 'kept in step' : 'read'} by a trigger of ${held.by} until it is contracted; a second trigger ${writes_ ? 'writing' : 'reading'} it would race the first — contract that migration first`);
      } else if (!held || writes_) this.synced.set(key, { by: holder, writes: writes_ });
    }
    return problems;
  }
}
