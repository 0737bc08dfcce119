/**
 * The migration file format of SPEC §3, as zod schemas. Every file is parsed
 * through `MigrationSchema` before anything runs; the inferred types are the
 * ones operations work with.
 */
import { createRequire } from 'node:module';
import type { z as Z } from 'zod';
import { nameLength, PORTABLE_NAMES } from '../dialects/names.js';

// zod's CommonJS build: the same code as its ES modules, loaded ~25 ms sooner (Node links ~100 ES modules one by one): start-up time.
const { z } = createRequire(import.meta.url)('zod') as { z: typeof Z };

/**
 * PostgreSQL keeps the first 63 *bytes* of a name and silently drops the rest, so a longer name can land on another
 * one (issue 11); MySQL allows 64 characters. A file holds to the stricter of the two (PORTABLE_NAMES), so it works on both — and
 * so to MySQL/MariaDB's other limits too, which would otherwise fail half-way through apply: no name ends with
 * whitespace, and none holds a character outside the Basic Multilingual Plane (names are 3-byte UTF-8 there).
 */
const ident = z
  .string()
  .min(1, 'must be a non-empty name')
  .superRefine((s, ctx) => {
    const bytes = nameLength(s, PORTABLE_NAMES);
    if (bytes > PORTABLE_NAMES.maxLength) {
      ctx.addIssue({ code: 'custom', message: `names are at most ${PORTABLE_NAMES.maxLength} bytes in UTF-8 (PostgreSQL cuts longer ones, which can then name something else; a file keeps to that on MySQL/MariaDB too, so it works on both); this one is ${bytes} — an existing longer name (MySQL allows 64 characters) is reached by a \`sql\` operation, e.g. one renaming it to a shorter name first` });
    }
    if (/\s$/u.test(s)) ctx.addIssue({ code: 'custom', message: `names cannot end with whitespace (MySQL/MariaDB refuse them): ${JSON.stringify(s)}` });
    const astral = /[\u{10000}-\u{10FFFF}]/u.exec(s);
    if (astral) ctx.addIssue({ code: 'custom', message: `names cannot hold ${astral[0]} (U+${astral[0].codePointAt(0)!.toString(16).toUpperCase()}) or any character past U+FFFF: MySQL/MariaDB store names in 3-byte UTF-8` });
  });

/** An SQL expression over the row's own columns, or one per dialect. Trusted SQL from the migration author. */
export const ExprSchema = z.union([
  z.string().min(1, 'must be a non-empty SQL expression'),
  z
    .object({ postgres: z.string().min(1).optional(), mysql: z.string().min(1).optional() })
    .strict()
    .refine((e) => e.postgres !== undefined || e.mysql !== undefined, 'give at least one of "postgres" or "mysql"'),
]);
export type Expr = Z.infer<typeof ExprSchema>;

/**
 * What a foreign key does to its rows when the parent row is deleted or its key updated. In any case, as SQL and
 * pgroll (`"CASCADE"`) write it, and with `_` for the space (`SET_NULL`, as ORMs name it): campaign AA.
 */
const REFERENTIAL_ACTIONS = ['cascade', 'restrict', 'set null', 'set default', 'no action'] as const;
type ReferentialAction = (typeof REFERENTIAL_ACTIONS)[number];
export const ReferentialActionSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase().replace(/[\s_]+/g, ' ') : v),
  z.enum(REFERENTIAL_ACTIONS),
) as unknown as Z.ZodType<ReferentialAction, ReferentialAction | Uppercase<ReferentialAction>>;

export const ReferencesSchema = z
  .object({
    /** The foreign key's name; default `<table>_<column>_fkey` (createTable) or xc's own (addColumn). */
    name: ident.optional(),
    table: ident,
    columns: z.array(ident).min(1).optional(),
    column: ident.optional(),
    onDelete: ReferentialActionSchema.optional(),
    onUpdate: ReferentialActionSchema.optional(),
    /** PostgreSQL's MATCH; MySQL/MariaDB parse it and ignore it, so only 'simple' (their behaviour) is taken there. */
    matchType: z.enum(['simple', 'full', 'partial']).optional(),
    deferrable: z.boolean().optional(),
    initiallyDeferred: z.boolean().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // PostgreSQL refuses INITIALLY DEFERRED on a constraint declared NOT DEFERRABLE.
    if (r.initiallyDeferred && r.deferrable === false) ctx.addIssue({ code: 'custom', path: ['initiallyDeferred'], message: 'a constraint checked at commit (initiallyDeferred) must be deferrable' });
    // PostgreSQL has not implemented MATCH PARTIAL.
    if (r.matchType === 'partial') ctx.addIssue({ code: 'custom', path: ['matchType'], message: "MATCH PARTIAL is not implemented by PostgreSQL (nor MySQL/MariaDB); use 'simple' or 'full'" });
  });
export type References = Z.infer<typeof ReferencesSchema>;

/**
 * A default is SQL text (`"0"`, `"'free'"`, `"now()"`). A JSON or YAML number or boolean is taken as the literal it
 * prints as — `default: 0` means what Liquibase's `defaultValueNumeric` does — with what the parser already did to it
 * (`1.10` is `1.1`, YAML's `007` is `7`: a text column's value is quoted). An integer past 2^53, or a fraction past 15
 * digits, may have lost digits in the parser already: refused.
 */
const SqlDefault = z.union([z.string().min(1), z.number(), z.boolean()]).transform((v, ctx) => {
  // Past 2^53, a whole number the parser read may not be the one written — unless it is short once written back
  // (1e20, 3.4e38 for a float column: what was written is what the double holds; campaign BU).
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && significantDigits(v) > 15) {
    ctx.addIssue({ code: 'custom', message: `${v} (as the parser read it) is past what a JSON or YAML number holds exactly (2^53 - 1), so digits may be lost: write the default as a string of its digits` });
    return z.NEVER;
  }
  // A fraction a double holds only to 15–17 digits: past 15, what was written may be lost already (campaign BK).
  if (typeof v === 'number' && !Number.isInteger(v) && significantDigits(v) > 15) {
    ctx.addIssue({ code: 'custom', message: `${v} (as the parser read it) has more digits than a JSON or YAML number holds exactly (15), so digits may be lost: write the default as a string of its digits` });
    return z.NEVER;
  }
  return String(v);
});

/** The significant digits of a number as JavaScript writes it back (its shortest exact form): 1e20 has 1, 0.000123 has 3. */
function significantDigits(v: number): number {
  return String(v).replace(/e.*$/i, '').replace(/[^0-9]/g, '').replace(/^0+/, '').replace(/0+$/, '').length;
}

/** The digits after the point a number written as `v` needs (`1.230` 2, `1e-7` 7, `12e2` 0); undefined for no number. */
function decimalPlaces(v: string): number | undefined {
  const m = /^\s*[-+]?(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?\s*$/i.exec(v);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (/^0*$/.test(`${m[1]}${fraction}`)) return 0;
  return Math.max(0, fraction.length - Number(m[3] ?? 0));
}

const NUMBER_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$/i;
const INTEGER_TYPE = /^\s*((tinyint|smallint|mediumint|int|integer|bigint|int2|int4|int8|smallserial|serial|bigserial|serial2|serial4|serial8)\b(?!\s*\(\s*1\s*\))|(numeric|decimal)\s*\(\s*\d+\s*(,\s*0\s*)?\))/i;
const TIME_TYPE = /^\s*(date|time|timetz|timestamp|timestamptz|datetime|interval)\b/i;
const TEXT_LIKE_TYPE = /^\s*(n?char|character|n?varchar|character varying|bpchar|(tiny|medium|long)?text|citext|json|jsonb|uuid|enum|set)\b/i;

/**
 * A default the two servers would store apart, or that the server changes silently, for the column's `type`
 * (campaign BL): a fraction for an integer (rounded), a number for a date or time (MariaDB's 0.5 is '0000-00-00'),
 * TRUE/FALSE for a text, JSON or ENUM column (PostgreSQL stores 'true', MariaDB '1'), and a number for an ENUM or SET
 * (MariaDB reads it as a member's position, PostgreSQL refuses it).
 */
export function defaultForTypeIssue(type: string, value: string): string | undefined {
  const v = value.trim();
  const kind = type.trim().split(/\s*\(/)[0]!.toUpperCase();
  const a = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
  if (/^(enum|set)\b/i.test(type.trim()) && NUMBER_TEXT.test(v)) {
    return `${v} for ${a(kind)} is the member at that position on MySQL/MariaDB, not the member '${v}': give the member as a quoted SQL string ("'${v}'")`;
  }
  if (INTEGER_TYPE.test(type) && NUMBER_TEXT.test(v) && !Number.isInteger(Number(v))) return `${v} is no whole number, and ${kind} keeps only whole numbers: the server rounds the default to one; give a whole number`;
  const scale = /^\s*(?:numeric|decimal)\s*\(\s*\d+\s*,\s*(\d+)\s*\)/i.exec(type)?.[1];
  const places = decimalPlaces(v);
  if (scale !== undefined && places !== undefined && places > Number(scale)) {
    return `${v} has ${places} digits after the point, and ${type.trim()} keeps ${scale}: the server rounds the default; give it with ${scale} at most`;
  }
  if (TIME_TYPE.test(type) && NUMBER_TEXT.test(v)) return `${v} is a number, which the servers read as ${a(kind.toLowerCase())} apart (MariaDB makes 0.5 the date '0000-00-00'); give the value as a quoted SQL string ("'2024-01-31'") or an expression such as now()`;
  if (TEXT_LIKE_TYPE.test(type) && /^(true|false)$/i.test(v)) return `${v} for ${kind} is stored as '${v.toLowerCase()}' by PostgreSQL and as '${v.toLowerCase() === 'true' ? 1 : 0}' by MySQL/MariaDB: give the text as a quoted SQL string ("'${v.toLowerCase()}'")`;
  return undefined;
}

export const ColumnSchema = z
  .object({
    name: ident,
    type: z.string().min(1, 'must be an SQL type such as "text" or "bigint"'),
    nullable: z.boolean().default(true), // a default: defaults.ts puts it in without zod too
    default: SqlDefault.optional(),
    unique: z.boolean().optional(),
    primaryKey: z.boolean().optional(),
    references: ReferencesSchema.optional(),
    /** A check on the row (named `<table>_<column>_check` unless `name` is given). */
    check: z.object({ name: ident.optional(), expression: z.string().min(1, 'must be a non-empty SQL condition') }).strict().optional(),
    comment: z.string().optional(),
    /** Computed by the server: from an expression over the row (STORED), or an identity (PostgreSQL; MySQL AUTO_INCREMENT). */
    generated: z
      .union([z.object({ expression: z.string().min(1, 'must be a non-empty SQL expression') }).strict(), z.object({ identity: z.enum(['always', 'byDefault']) }).strict()])
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.generated && c.default !== undefined) ctx.addIssue({ code: 'custom', path: ['default'], message: 'a generated column has no default: the server computes its value' });
    const issue = c.default === undefined ? undefined : defaultForTypeIssue(c.type, c.default);
    if (issue !== undefined) ctx.addIssue({ code: 'custom', path: ['default'], message: issue });
  });
export type Column = Z.infer<typeof ColumnSchema>;

/** A table-level constraint of createTable (pgroll's `constraints`); each `type` takes its own fields (tableConstraintShape). */
export const TableConstraintSchema = z
  .object({
    name: ident,
    type: z.enum(['unique', 'check', 'primary_key', 'foreign_key', 'exclude']),
    columns: z.array(ident).min(1).optional(),
    check: z.string().min(1).optional(),
    references: z
      .object({ table: ident, columns: z.array(ident).min(1), onDelete: ReferentialActionSchema.optional(), onUpdate: ReferentialActionSchema.optional(), matchType: z.enum(['simple', 'full', 'partial']).optional() })
      .strict()
      .optional(),
    deferrable: z.boolean().optional(),
    initiallyDeferred: z.boolean().optional(),
    nullsNotDistinct: z.boolean().optional(),
    include: z.array(ident).min(1).optional(),
    /** WITH (…) of the constraint's index: name=value pairs, as addIndex's. */
    storageParameters: z
      .string()
      .regex(/^\s*[A-Za-z_][\w.]*\s*=\s*[\w.'-]+\s*(,\s*[A-Za-z_][\w.]*\s*=\s*[\w.'-]+\s*)*$/, 'must be name=value pairs separated by commas, such as "fillfactor=70"')
      .optional(),
    exclude: z.object({ method: z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'an index method such as gist or btree').optional(), elements: z.string().min(1), where: z.string().min(1).optional() }).strict().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const keyed = c.type === 'unique' || c.type === 'primary_key' || c.type === 'foreign_key';
    if (keyed && !c.columns) issue('columns', `a ${c.type} constraint needs \`columns\``);
    if (!keyed && c.columns) issue('columns', `\`columns\` belongs to types unique, primary_key and foreign_key, not ${c.type}`);
    if ((c.type === 'check') !== (c.check !== undefined)) issue('check', c.type === 'check' ? 'a check constraint needs `check`, its expression' : `\`check\` belongs to type check, not ${c.type}`);
    if ((c.type === 'foreign_key') !== (c.references !== undefined)) issue('references', c.type === 'foreign_key' ? 'a foreign key needs `references`' : `\`references\` belongs to type foreign_key, not ${c.type}`);
    if ((c.type === 'exclude') !== (c.exclude !== undefined)) issue('exclude', c.type === 'exclude' ? 'an exclusion constraint needs `exclude`: { elements }' : `\`exclude\` belongs to type exclude, not ${c.type}`);
    if (c.nullsNotDistinct !== undefined && c.type !== 'unique') issue('nullsNotDistinct', `\`nullsNotDistinct\` belongs to type unique, not ${c.type}`);
    const indexed = c.type === 'unique' || c.type === 'primary_key' || c.type === 'exclude';
    if (c.include && !indexed) issue('include', `\`include\` belongs to types unique, primary_key and exclude, not ${c.type}`);
    if (c.storageParameters && !indexed) issue('storageParameters', `\`storageParameters\` belongs to types unique, primary_key and exclude (their index), not ${c.type}`);
    // PostgreSQL's checks are always immediate.
    if (c.type === 'check' && (c.deferrable || c.initiallyDeferred)) issue('deferrable', 'a check constraint cannot be deferrable');
    if (c.initiallyDeferred && c.deferrable === false) issue('initiallyDeferred', 'a constraint checked at commit (initiallyDeferred) must be deferrable');
    if (c.references?.matchType === 'partial') ctx.addIssue({ code: 'custom', path: ['references', 'matchType'], message: "MATCH PARTIAL is not implemented by PostgreSQL (nor MySQL/MariaDB); use 'simple' or 'full'" });
    c.include?.forEach((col, i) => {
      if (c.columns?.includes(col)) ctx.addIssue({ code: 'custom', path: ['include', i], message: `column "${col}" is a key column already; \`include\` adds columns outside the key` });
    });
  });
export type TableConstraint = Z.infer<typeof TableConstraintSchema>;

const onDelete = ReferentialActionSchema;

/** createConstraint: the fields each `type` takes (the rest is checked against the schema, operations/createConstraint.ts). */
function createConstraintShape(
  c: { type: string; columns: string[]; check?: string; references?: { name?: string }; deferrable?: boolean; initiallyDeferred?: boolean; nullsNotDistinct?: boolean; include?: string[] },
  ctx: Z.RefinementCtx,
): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (c.type === 'check' && c.check === undefined) issue('check', 'a check constraint needs `check`, its expression');
  if (c.type !== 'check' && c.check !== undefined) issue('check', `\`check\` belongs to type check, not ${c.type}`);
  if (c.type === 'foreign_key' && c.references === undefined) issue('references', 'a foreign key needs `references`: the table (and columns) it points at');
  if (c.type !== 'foreign_key' && c.references !== undefined) issue('references', `\`references\` belongs to type foreign_key, not ${c.type}`);
  if (c.references?.name !== undefined) ctx.addIssue({ code: 'custom', path: ['references', 'name'], message: 'the foreign key is named by the constraint\'s own `name`' });
  if (c.nullsNotDistinct !== undefined && c.type !== 'unique') issue('nullsNotDistinct', `\`nullsNotDistinct\` belongs to type unique, not ${c.type}`);
  if (c.include !== undefined && c.type !== 'unique' && c.type !== 'primary_key') issue('include', `\`include\` belongs to types unique and primary_key, not ${c.type}`);
  // PostgreSQL's checks are always immediate.
  if (c.type === 'check' && (c.deferrable || c.initiallyDeferred)) issue('deferrable', 'a check constraint cannot be deferrable');
  if (c.initiallyDeferred && c.deferrable === false) issue('initiallyDeferred', 'a constraint checked at commit (initiallyDeferred) must be deferrable');
  c.columns.forEach((col, i) => {
    if (c.columns.indexOf(col) !== i) ctx.addIssue({ code: 'custom', path: ['columns', i], message: `column "${col}" is named twice` });
  });
  c.include?.forEach((col, i) => {
    if (c.columns.includes(col)) ctx.addIssue({ code: 'custom', path: ['include', i], message: `column "${col}" is a key column already; \`include\` adds columns outside the key` });
  });
}

/** One key of addIndex: a column by name, or a string of one, or an expression; with its options (PostgreSQL but `sort`). */
const IndexColumnSchema = z.union([
  ident,
  z
    .object({
      name: ident.optional(),
      expression: z.string().min(1).optional(),
      opclass: z.string().regex(/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/, 'must be an operator class name, such as "text_pattern_ops"').optional(),
      sort: z.enum(['asc', 'desc']).optional(),
      nulls: z.enum(['first', 'last']).optional(),
      collate: ident.optional(),
    })
    .strict()
    .refine((k) => (k.name === undefined) !== (k.expression === undefined), 'give exactly one of `name` (a column) and `expression`'),
]);
export type IndexColumn = Z.infer<typeof IndexColumnSchema>;

export const OperationSchemas = {
  createTable: z
    .object({
      table: ident,
      columns: z.array(ColumnSchema).min(1, 'a table needs at least one column'),
      primaryKey: z.union([z.array(ident).min(1), z.object({ name: ident.optional(), columns: z.array(ident).min(1) }).strict()]).optional(),
      constraints: z.array(TableConstraintSchema).optional(),
      comment: z.string().optional(),
    })
    .strict()
    .superRefine((t, ctx) => {
      // MySQL/MariaDB column names ignore case: two that differ only in it are one column there.
      const seen = new Map<string, number>();
      t.columns.forEach((c, i) => {
        const first = seen.get(c.name.toLowerCase());
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['columns', i, 'name'], message: `"${c.name}" is the name of columns[${first}] up to case, the same column on MySQL/MariaDB` });
        else seen.set(c.name.toLowerCase(), i);
      });
    }),
  dropTable: z.object({ table: ident }).strict(),
  renameTable: z.object({ from: ident, to: ident }).strict(),
  addColumn: z.object({ table: ident, column: ColumnSchema, up: ExprSchema.optional() }).strict(),
  dropColumn: z.object({ table: ident, column: ident, down: ExprSchema.optional() }).strict(),
  renameColumn: z.object({ table: ident, from: ident, to: ident }).strict(),
  alterColumn: z
    .object({
      table: ident,
      column: ident,
      /** A new column of that name (copied both ways until contract); absent: the column is changed in place (operations/shadow.ts). */
      to: ident.optional(),
      type: z.string().min(1).optional(),
      nullable: z.boolean().optional(),
      default: SqlDefault.nullable().optional(),
      comment: z.string().nullable().optional(),
      /** In place, one at a time and alone: the column gets the constraint as createConstraint over it gives it. */
      unique: z.union([z.boolean(), z.object({ name: ident }).strict()]).optional(),
      check: z.object({ name: ident, expression: z.string().min(1) }).strict().optional(),
      references: ReferencesSchema.optional(),
      /** The new value from the row; default: the column itself, converted as storing it converts. */
      up: ExprSchema.optional(),
      /** With `to`: the old value from the new column (default: the new column). In place: unused (rollback needs none). */
      down: ExprSchema.optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      // The type given beside it; a default alone is checked against the column's type at plan (alterColumn.ts).
      const issue = o.type === undefined || o.default == null ? undefined : defaultForTypeIssue(o.type, o.default);
      if (issue !== undefined) ctx.addIssue({ code: 'custom', path: ['default'], message: issue });
    }),
  setNotNull: z.object({ table: ident, column: ident, up: ExprSchema.optional() }).strict(),
  dropNotNull: z.object({ table: ident, column: ident }).strict(),
  addIndex: z
    .object({
      table: ident,
      columns: z.array(IndexColumnSchema).min(1),
      name: ident.optional(),
      unique: z.boolean().optional(),
      where: z.string().min(1).optional(),
      method: z.enum(['btree', 'hash', 'gin', 'gist', 'brin', 'spgist']).optional(),
      /** PostgreSQL's WITH (…) of the index: `fillfactor=70`, `fastupdate=off, gin_pending_list_limit=128`. */
      storageParameters: z
        .string()
        .regex(/^\s*[A-Za-z_][\w.]*\s*=\s*[\w.'-]+\s*(,\s*[A-Za-z_][\w.]*\s*=\s*[\w.'-]+\s*)*$/, 'must be name=value pairs separated by commas, such as "fillfactor=70"')
        .optional(),
      include: z.array(ident).min(1).optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      // A derived name is made of column names: an expression has none.
      if (o.name === undefined && o.columns.some((c) => typeof c !== 'string' && c.expression !== undefined)) ctx.addIssue({ code: 'custom', path: ['name'], message: 'an index over an expression needs a `name`' });
    }),
  dropIndex: z.object({ table: ident, name: ident }).strict(),
  renameConstraint: z.object({ table: ident, from: ident, to: ident }).strict(),
  setReplicaIdentity: z
    .object({
      table: ident,
      identity: z.object({ type: z.enum(['nothing', 'default', 'full', 'index']), index: ident.optional() }).strict(),
    })
    .strict()
    .superRefine((o, ctx) => {
      if (o.identity.type === 'index' && o.identity.index === undefined) ctx.addIssue({ code: 'custom', path: ['identity', 'index'], message: "type 'index' needs `index`: the unique index whose columns identify a row" });
      if (o.identity.type !== 'index' && o.identity.index !== undefined) ctx.addIssue({ code: 'custom', path: ['identity', 'index'], message: `\`index\` belongs to type 'index', not '${o.identity.type}'` });
    }),
  addForeignKey: z
    .object({
      table: ident,
      columns: z.array(ident).min(1),
      references: z.object({ table: ident, columns: z.array(ident).min(1) }).strict(),
      onDelete: onDelete.optional(),
      // TypeORM's and knex's keys say it (`ON UPDATE NO ACTION`); createConstraint takes it in `references` (campaign CZ).
      onUpdate: onDelete.optional(),
      name: ident.optional(),
    })
    .strict(),
  addCheck: z.object({ table: ident, name: ident, expression: z.string().min(1) }).strict(),
  // up/down: pgroll's; `down` converts a write the constraint would refuse until contract (operations/dropConstraint.ts).
  dropConstraint: z.object({ table: ident, name: ident, up: ExprSchema.optional(), down: ExprSchema.optional() }).strict(),
  createConstraint: z
    .object({
      table: ident,
      name: ident,
      type: z.enum(['unique', 'check', 'foreign_key', 'primary_key']),
      columns: z.array(ident).min(1),
      /** type check: the expression. */
      check: z.string().min(1).optional(),
      /** type foreign_key: the parent table and columns (default: its primary key) and the key's options. */
      references: ReferencesSchema.optional(),
      deferrable: z.boolean().optional(),
      initiallyDeferred: z.boolean().optional(),
      /** type unique (PostgreSQL 15+): NULLs are equal to each other. */
      nullsNotDistinct: z.boolean().optional(),
      /** type unique or primary_key (PostgreSQL): columns stored in the index, not part of the key. */
      include: z.array(ident).min(1).optional(),
      up: z.record(ident, ExprSchema).optional(),
      down: z.record(ident, ExprSchema).optional(),
    })
    .strict()
    .superRefine(createConstraintShape),
  dropMultiColumnConstraint: z
    .object({ table: ident, name: ident, up: z.record(ident, ExprSchema).optional(), down: z.record(ident, ExprSchema).optional() })
    .strict(),
  sql: z
    .object({
      // Optional when `contract` is given: statements run only once the old version is gone (pgroll's onComplete).
      expand: z.string().min(1).optional(),
      contract: z.string().min(1).optional(),
      rollback: z.string().min(1).optional(),
      backfill: z
        .object({ table: ident, set: z.record(ident, ExprSchema), where: z.string().min(1).optional() })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      // `backfill` alone is a data migration (Django RunPython, a Rails data migration): batched, resumable.
      if (o.expand === undefined && o.contract === undefined && o.backfill === undefined) ctx.addIssue({ code: 'custom', path: ['expand'], message: 'give `expand`, `contract` or `backfill`: the statements to run at expand or at contract, or the rows to update in batches' });
    }),
} as const;

export type OperationKind = keyof typeof OperationSchemas;
export const operationKinds = Object.keys(OperationSchemas) as OperationKind[];
export type OperationSpec<K extends OperationKind = OperationKind> = Z.infer<(typeof OperationSchemas)[K]>;

/** One entry of `operations`: an object with exactly one key naming the operation. */
export type OperationEntry = { [K in OperationKind]: { [P in K]: OperationSpec<K> } }[OperationKind];

/** Parsed with its operation's schema, so defaults (e.g. `nullable: true`) are filled in. */
const OperationEntrySchema = z.unknown().transform((value, ctx): OperationEntry => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `expected an object with one key, one of: ${operationKinds.join(', ')}` });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `expected exactly one key naming the operation (one of: ${operationKinds.join(', ')}), got ${keys.length === 0 ? 'none' : keys.join(', ')}` });
    return z.NEVER;
  }
  const kind = keys[0]!;
  // Own keys only: `constructor` or `toString` must not find Object.prototype's.
  const schema = Object.hasOwn(OperationSchemas, kind) ? (OperationSchemas as Record<string, Z.ZodType>)[kind] : undefined;
  if (!schema) {
    ctx.addIssue({ code: 'custom', path: [kind], message: `unknown operation "${kind}"; expected one of: ${operationKinds.join(', ')}` });
    return z.NEVER;
  }
  const parsed = schema.safeParse((value as Record<string, unknown>)[kind]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [kind, ...issue.path] } as never);
    return z.NEVER;
  }
  return { [kind]: parsed.data } as OperationEntry;
});

export const MigrationSchema = z
  .object({
    description: z.string().optional(),
    operations: z.array(OperationEntrySchema).min(1, 'empty: a migration needs at least one operation; add one (README, section Operations)'),
  })
  .strict();
export type MigrationDefinition = Z.output<typeof MigrationSchema>;

/**
 * One entry as an author writes it: exactly one operation key, its spec typed
 * from the schema's *input* (defaults may be omitted), so an unknown
 * operation, a misspelled field or a wrong type fails to compile.
 */
export type OperationInput = {
  [K in OperationKind]: { [P in K]: Z.input<(typeof OperationSchemas)[K]> } & { [P in Exclude<OperationKind, K>]?: never };
}[OperationKind];

/** What an author writes (defaults may be omitted). */
export type MigrationInput = Omit<Z.input<typeof MigrationSchema>, 'operations'> & { operations: OperationInput[] };

// defineMigration, the helper that types a TS migration: define.ts (it must load without zod).

/** Split an entry into its kind and spec. */
export function entryKind(entry: OperationEntry): { kind: OperationKind; spec: OperationSpec } {
  const kind = Object.keys(entry)[0] as OperationKind;
  return { kind, spec: (entry as Record<string, OperationSpec>)[kind]! };
}
