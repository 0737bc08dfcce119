/**
 * What every dialect has in common, written once (kysely's base adapter):
 * naming, expression analysis over the dialect's tokens, the type facts the
 * engine asks about, and error classes both servers report alike. A dialect
 * states its facts (name rules, tokenizer, identifier case rules, integer
 * types) and overrides only what differs.
 */
import type { ConversionIssue } from './narrowing.js';
import type { Session } from '../db/driver.js';
import type { Expr } from '../migration/schema.js';
import type { KeyForm } from '../plan/index.js';
import type { IndexModel, SchemaModel } from '../schema/model.js';
import { constraintName, derivedName, freeKeyName, nameTaken, type NameRules } from './names.js';
import { calledFunctions, columnsNamed, replaceIdentifier, requalify, subqueryAmbiguities, substituteColumn, type IdentifierRules, type Token } from './sqltext.js';

/** The key of a dialect's variant in a per-dialect expression (`{ postgres: …, mysql: … }`). */
export type ExprVariant = keyof Exclude<Expr, string>;

/** The variant of an author expression a dialect runs, or undefined when it has none. */
export function resolveExpr(e: Expr, variant: ExprVariant): string | undefined {
  return typeof e === 'string' ? e : e[variant];
}

/** Options of the file format only some servers have (see BaseDialect.lacks). */
export type ServerFeature = 'deferrable' | 'matchFull' | 'exclude' | 'nullsNotDistinct' | 'include' | 'storageParameters' | 'identityAlways' | 'replicaIdentity' | 'renamePrimaryKey' | 'indexMethod' | 'opclass' | 'nullsOrder' | 'indexCollate' | 'expressionIndex' | 'partialIndex' | 'generatedNotNull';

/** Dialect.ddl before Dialect.loadDdl: a programming error, not the user's. */
export function ddlNotLoaded(): never {
  throw new Error('the dialect\'s DDL builders are not loaded: await dialect.loadDdl() before dialect.ddl()');
}

/** xc's own lock on a database (SPEC §4: one xc at a time), the server's way (postgres/sessions.ts, mysql/sessions.ts). */
export interface AdvisoryLock {
  tryTake(s: Session, key: string): Promise<boolean>;
  holds(s: Session, key: string): Promise<boolean>;
  release(s: Session, key: string): Promise<void>;
  /** Who holds it, in words, or null when no one does. */
  holder(s: Session, key: string): Promise<string | null>;
}

export abstract class BaseDialect {
  /** Why this server lacks each feature it lacks, in words: a validation issue (code 'unsupported') names the option and this. */
  protected readonly lacking: Partial<Record<ServerFeature, string>> = {};

  /** An identity column gets its value only after BEFORE triggers ran (MySQL AUTO_INCREMENT); PostgreSQL's comes with the row's defaults. */
  readonly identityFilledAfterTriggers: boolean = false;

  /**
   * A column a migration adds and fills (a copy's new column, an addColumn's `up`) holds its values from expand on
   * (MySQL: Ddl.fillBeforeTriggers, then the rows written meanwhile); PostgreSQL's get theirs from the backfill.
   */
  readonly filledAtExpand: boolean = false;

  /** Why this server lacks `feature`, or undefined when it has it. */
  lacks(feature: ServerFeature): string | undefined {
    return this.lacking[feature];
  }

  /**
   * Renaming a foreign key renames an index of the key's old name with it
   * (MySQL/MariaDB, where the server made that index for the key: mysql/renames.ts).
   */
  readonly foreignKeyIndexFollowsRename: boolean = false;

  /** Which variant of a per-dialect expression this dialect runs. */
  abstract readonly exprVariant: ExprVariant;
  /** How long names may be on this server, and which objects share a namespace. */
  abstract readonly names: NameRules;
  /** Whether a bare or quoted identifier token names a column, and how to quote one. */
  protected abstract readonly identifiers: IdentifierRules;

  abstract quote(identifier: string): string;
  /** The server's tokens of an SQL text (literals, quoted identifiers and comments as it reads them). */
  abstract tokens(sql: string): Token[];
  /** An integer type as this server's catalog spells it (`integer`, `int(11) unsigned`): a key of one is split by arithmetic. */
  abstract isIntegerType(type: string): boolean;

  /** A key's text compares in its index's order (MySQL overrides). */
  keyForm(_type: string): KeyForm | undefined {
    return undefined;
  }

  keyText(column: string, _form?: KeyForm | null): string {
    return this.castText(column);
  }

  keyParam(_form?: KeyForm | null): string {
    return '?';
  }

  abstract castText(expr: string): string;

  shownText(expr: string): string {
    return this.castText(expr);
  }

  indexKeyOf(_index: IndexModel, _column: string, value: string): string {
    return value;
  }

  /** This dialect's text of an author expression, or undefined when it has none. */
  resolveExpr(e: Expr): string | undefined {
    return resolveExpr(e, this.exprVariant);
  }

  /** Storing the column converts it as comparing it does: no conversion of its own (MySQL overrides). */
  defaultConversion(column: string, _from: string, _to: string): string {
    return column;
  }

  conversionIssue(_column: string, _from: string, _to: string): ConversionIssue | undefined {
    return undefined;
  }

  sequencePastType(_table: string, _column: string, _type: string): string | undefined {
    return undefined;
  }

  /** The type a column declared as `type` has in the catalog (PostgreSQL `serial` is `integer`): none but the server's own shorthands differ. */
  storedType(type: string): string {
    return type;
  }

  /** MySQL/MariaDB have no row value an expression could read: never. */
  readsRowWhole(_expr: string, _table: string, _columns?: string[]): boolean {
    return false;
  }

  /** Which of `columns` an expression over a row of `table` refers to, bare or as `table.col` (never inside literals or comments). */
  columnsNamed(sql: string, table: string, columns: string[]): string[] {
    return columnsNamed(this.tokens(sql), columns, this.identifiers, table);
  }

  /** The expression over a row of `table` with its column `from` written as `to`. */
  replaceIdentifier(sql: string, table: string, from: string, to: string): string {
    return replaceIdentifier(this.tokens(sql), from, to, this.identifiers, table);
  }

  /** The expression over a row of table `from`, renamed `to`: `from.col` written `to`.`col`. */
  requalify(sql: string, from: string, to: string): string {
    return requalify(this.tokens(sql), from, to, this.identifiers);
  }

  /** `sql`, over a row of `table`, with every reference to `column` replaced by the expression `value`: a check over the value a row will get. */
  substituteColumn(sql: string, table: string, column: string, value: string): string {
    return substituteColumn(this.tokens(sql), column, value, this.identifiers, table);
  }

  /** What a subquery of an expression over a row of `table` reads otherwise than its trigger would (sqltext.ts), the tables it reads looked up in `model`. */
  /** `also`: columns a table has besides the model's (ones the database still has that a contract in flight takes away). */
  subqueryAmbiguities(sql: string, table: string, columns: string[], model: SchemaModel, also: (table: string) => string[] = () => []): ReturnType<typeof subqueryAmbiguities> {
    const names = [...model.tables.keys()];
    const tableColumns = (t: Token) => {
      const name = names.find((n) => this.identifiers.names(t, n));
      const found = name === undefined ? undefined : model.table(name);
      return found && [...found.columns.map((c) => c.name), ...also(found.name)];
    };
    return subqueryAmbiguities(this.tokens(sql), { table, columns }, tableColumns, this.identifiers);
  }

  /** Functions an expression calls (lower-cased), and the standard time keywords it uses. */
  calledFunctions(sql: string): string[] {
    return calledFunctions(this.tokens(sql));
  }

  /** `<table>_<columns>_<suffix>`, hashed to fit: a default index or foreign-key name. */
  derivedName(table: string, columns: string[], suffix: string): string {
    return derivedName(table, columns, suffix, this.names);
  }

  /** The name of an unnamed constraint (`<table>_<column>_<label>`; PostgreSQL's own naming). */
  constraintName(table: string, column: string | null, label: string): string {
    return constraintName(table, column, label, this.names);
  }

  /** The name of an unnamed unique (`key`) or primary key (`pkey`, `column` null): PostgreSQL's own choice, `…_key`, `…_key1`, … the first free (names.ts). */
  keyName(model: SchemaModel, table: string, column: string | null, label: 'key' | 'pkey', also: string[] = []): string {
    return freeKeyName(model, this.names, table, column, label, also);
  }

  /** What holds `name` where a new table (or a new index on `table`) would take it, in words; undefined when free. */
  nameTaken(model: SchemaModel, kind: 'table' | 'index', name: string, table?: string): string | undefined {
    return nameTaken(model, this.names, kind, name, table);
  }

  /**
   * Tables or views a renameTable from `from` to `to` creates for a moment
   * under names of its own (MySQL: a placeholder and parked views, as MySQL
   * keeps a view's table by name); plan refuses the rename while one is taken.
   */
  renameTableTemporaries(_from: string, _to: string): string[] {
    return [];
  }

  protected abstract readonly advisory: AdvisoryLock;

  tryAdvisoryLock(s: Session, key: string): Promise<boolean> {
    return this.advisory.tryTake(s, key);
  }

  holdsAdvisoryLock(s: Session, key: string): Promise<boolean> {
    return this.advisory.holds(s, key);
  }

  releaseAdvisoryLock(s: Session, key: string): Promise<void> {
    return this.advisory.release(s, key);
  }

  advisoryLockHolder(s: Session, key: string): Promise<string | null> {
    return this.advisory.holder(s, key);
  }

  /** A write refused by a read-only transaction: SQLSTATE 25006, as PostgreSQL and MySQL both report it. */
  isReadOnlyRefusal(err: unknown): boolean {
    const e = err as { code?: unknown; sqlState?: unknown };
    return e.code === '25006' || e.sqlState === '25006';
  }
}
