/**
 * What the migration being planned adds before the catalog shows it: facts
 * of the model (SchemaModel.planned) that a later request of the same plan
 * reads. A dialect whose statements depend on what a column carries (MySQL
 * restates whole columns and drops a column's keys, checks and indexes
 * itself) needs them between one operation's expand and its own rollback or
 * contract, before the planner projects the operation, and from one
 * operation to the next, where the projection holds only what a contract
 * leaves (not a temporary index copy, a check enforcing NOT NULL, or the
 * index MySQL makes for a foreign key).
 *
 * The dialect's vocabulary writes each fact as it compiles the request that
 * adds the object (dialects/mysql/ddl.ts); the planner starts every
 * migration with none, as each migration's contract and rollback concern
 * only what that migration added.
 */

/** An index this plan builds: its plain columns. */
export interface PlannedIndex {
  table: string;
  name: string;
  columns: string[];
}

/** A foreign key this plan adds (the DDL vocabulary's ForeignKeySpec). */
export interface PlannedForeignKey {
  table: string;
  name: string;
  columns: string[];
  refTable: string;
  /** ForeignKeyModel.refSchema: the parent's schema (MySQL: database) where it is not the table's own. */
  refSchema?: string;
  refColumns: string[];
  onDelete?: string | null;
  /** ForeignKeyModel.onDeleteColumns. */
  onDeleteColumns?: string[];
  onUpdate?: string | null;
  /** 'full' (PostgreSQL); absent or 'simple': the servers' default. */
  matchType?: string | null;
  deferrable?: boolean;
  initiallyDeferred?: boolean;
  /** ForeignKeyModel.validated: a key carried as it was stays NOT VALID. */
  validated?: false;
}

const key = (table: string, name: string) => `${table}\0${name}`;

export class PlannedObjects {
  /** Columns added, by table. */
  private readonly columns = new Map<string, Set<string>>();
  /** Columns added NOT NULL with a placeholder default (MySQL), and the placeholder: no NOT NULL is left to enforce at contract. */
  private readonly placeholders = new Map<string, string>();
  private readonly foreignKeys = new Map<string, PlannedForeignKey>();
  /** Foreign keys added together with an index of their own name (MySQL makes one where no index serves the key). */
  private readonly keysWithOwnIndex = new Set<string>();
  /** Columns added hidden (Ddl.addColumn's `hidden`, MySQL INVISIBLE): a restatement keeps them so. */
  private readonly hiddenColumns = new Set<string>();
  /** Check expressions, by table and name. */
  private readonly checks = new Map<string, string>();
  /** The base name of the trigger pair a check got in this plan (MySQL: dialects/mysql/compiler.ts), by table and name. */
  private readonly checkTriggers = new Map<string, string>();
  private readonly indexes = new Map<string, PlannedIndex>();
  /** (table, new column) → the old column that has a default only while the sync trigger between them is removed. */
  private readonly syncDefaults = new Map<string, string>();
  /** Columns this migration adds and its backfill fills (a copy's new column, an addColumn's with `up`). */
  private readonly backfilled = new Set<string>();
  /** Triggers the expand of the operations planned so far installs, in the order it does (Step.installs). */
  private readonly expandTriggers: string[] = [];

  clone(): PlannedObjects {
    const p = new PlannedObjects();
    for (const [t, cs] of this.columns) p.columns.set(t, new Set(cs));
    for (const [k, v] of this.placeholders) p.placeholders.set(k, v);
    for (const k of this.hiddenColumns) p.hiddenColumns.add(k);
    for (const [k, v] of this.foreignKeys) p.foreignKeys.set(k, structuredClone(v));
    for (const k of this.keysWithOwnIndex) p.keysWithOwnIndex.add(k);
    for (const [k, v] of this.checks) p.checks.set(k, v);
    for (const [k, v] of this.checkTriggers) p.checkTriggers.set(k, v);
    for (const [k, v] of this.indexes) p.indexes.set(k, structuredClone(v));
    for (const [k, v] of this.syncDefaults) p.syncDefaults.set(k, v);
    for (const k of this.backfilled) p.backfilled.add(k);
    p.expandTriggers.push(...this.expandTriggers);
    return p;
  }

  /** `column` of `table`, added by this migration, gets the values of existing rows from its backfill. */
  fillByBackfill(table: string, column: string): void {
    this.backfilled.add(key(table, column));
  }

  filledByBackfill(table: string, column: string): boolean {
    return this.backfilled.has(key(table, column));
  }

  /** `column` is added to `table`; with `placeholder`, NOT NULL, every row holding the placeholder until filled; `hidden`: INVISIBLE. */
  addColumn(table: string, column: string, placeholder?: string, hidden = false): void {
    this.columns.set(table, new Set([...(this.columns.get(table) ?? []), column]));
    if (placeholder !== undefined) this.placeholders.set(key(table, column), placeholder);
    if (hidden) this.hiddenColumns.add(key(table, column));
  }

  hidden(table: string, column: string): boolean {
    return this.hiddenColumns.has(key(table, column));
  }

  addedColumns(table: string): string[] {
    return [...(this.columns.get(table) ?? [])];
  }

  /** The placeholder of a column added NOT NULL with one, else undefined. */
  placeholder(table: string, column: string): string | undefined {
    return this.placeholders.get(key(table, column));
  }

  addIndex(index: PlannedIndex): void {
    this.indexes.set(key(index.table, index.name), index);
  }

  index(table: string, name: string): PlannedIndex | undefined {
    return this.indexes.get(key(table, name));
  }

  indexesOf(table: string): PlannedIndex[] {
    return [...this.indexes.values()].filter((i) => i.table === table);
  }

  /** A foreign key is added; `ownIndex`: with an index of its name (also recorded as an index). */
  addForeignKey(fk: PlannedForeignKey, ownIndex: boolean): void {
    this.foreignKeys.set(key(fk.table, fk.name), fk);
    if (!ownIndex) return;
    this.keysWithOwnIndex.add(key(fk.table, fk.name));
    this.addIndex({ table: fk.table, name: fk.name, columns: fk.columns });
  }

  foreignKey(table: string, name: string): PlannedForeignKey | undefined {
    return this.foreignKeys.get(key(table, name));
  }

  foreignKeysOf(table: string): PlannedForeignKey[] {
    return [...this.foreignKeys.values()].filter((k) => k.table === table);
  }

  /** The foreign key was added with an index of its own name, which dropping the key leaves behind. */
  hasOwnIndex(table: string, name: string): boolean {
    return this.keysWithOwnIndex.has(key(table, name));
  }

  /**
   * An operation's expand installs these triggers (the planner tells, operation by operation): a later trigger of
   * the same expand may be ordered before one of them, which a check made only at contract cannot be (MySQL's
   * PRECEDES names a trigger that exists).
   */
  installAtExpand(triggers: string[]): void {
    this.expandTriggers.push(...triggers);
  }

  /** Where in the expand so far `trigger` is installed (0: first), or -1. */
  expandOrder(trigger: string): number {
    return this.expandTriggers.indexOf(trigger);
  }

  addCheck(table: string, name: string, expression: string): void {
    this.checks.set(key(table, name), expression);
  }

  check(table: string, name: string): string | undefined {
    return this.checks.get(key(table, name));
  }

  addCheckTrigger(table: string, name: string, base: string): void {
    this.checkTriggers.set(key(table, name), base);
  }

  checkTrigger(table: string, name: string): string | undefined {
    return this.checkTriggers.get(key(table, name));
  }

  /** Every check given a trigger pair in this plan: table, name, the pair's base name. */
  checkTriggersMade(): { table: string; name: string; base: string }[] {
    return [...this.checkTriggers].map(([k, base]) => {
      const [table, name] = k.split('\0') as [string, string];
      return { table, name, base };
    });
  }

  checksOf(table: string): { name: string; expression: string }[] {
    return [...this.checks].filter(([k]) => k.startsWith(`${table}\0`)).map(([k, expression]) => ({ name: k.slice(table.length + 1), expression }));
  }

  /** `oldColumn` gets a default while the sync trigger that fills it from `newColumn` is removed. */
  addSyncDefault(table: string, newColumn: string, oldColumn: string): void {
    this.syncDefaults.set(key(table, newColumn), oldColumn);
  }

  /** The old column whose default stands in for the sync trigger from `newColumn`, if any. */
  syncDefault(table: string, newColumn: string): string | undefined {
    return this.syncDefaults.get(key(table, newColumn));
  }

  /** `newColumn` is dropped: the default that stood in for its trigger is dropped with it, once. */
  dropSyncDefault(table: string, newColumn: string): void {
    this.syncDefaults.delete(key(table, newColumn));
  }
}
