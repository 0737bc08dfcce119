/**
 * `xc lint` (SPEC §7): the `sql` operations of migration files, read offline
 * (no database is opened), against the rules of rules.ts. A file that cannot
 * be loaded or is no valid migration is reported as plan reports it.
 */
import { InvalidInputError } from '../errors.js';
import { listMigrations } from '../migration/files.js';
import { loadMigrationFile } from '../migration/load.js';
import { entryKind, type MigrationDefinition, type OperationSpec } from '../migration/schema.js';
import { commentsOf, DEFAULT_TEXT_DIALECT, isMysqlText, statementsOf, textReadingsOf, type TextDialect } from '../dialects/statementText.js';
import { keyword, type Token } from '../dialects/sqltext.js';
import { createdIndexOn, createdTable, lintStatement, nameKey, RULES, type RuleCode, type SqlField } from './rules.js';
import { outsideTransaction } from '../dialects/postgres/statements.js';

export type { RuleCode } from './rules.js';

export interface LintFinding {
  file: string;
  /** `operations[0].sql.expand` */
  path: string;
  rule: RuleCode;
  severity: 'error';
  message: string;
  /** The statement, its tokens joined by single spaces. */
  statement: string;
}

export interface LintResult {
  ok: boolean;
  findings: LintFinding[];
  /** The files that could not be loaded or are no valid migration, each with its message (exit 2). */
  invalid: { file: string; message: string }[];
  /**
   * With no dialect given: the files read as MySQL/MariaDB's for their backtick-quoted names, or as both servers'
   * where the two read a backtick apart (textReadingsOf); the others were read as PostgreSQL's.
   */
  readAs: { file: string; readings: TextDialect[] }[];
}

const FIELDS: SqlField[] = ['expand', 'contract', 'rollback'];
const word = keyword;

/** The raw SQL of a migration's `sql` operations, every field. */
function sqlTexts(definition: MigrationDefinition): string[] {
  return definition.operations.flatMap((entry) => {
    const { kind, spec } = entryKind(entry);
    return kind === 'sql' ? FIELDS.flatMap((field) => (spec as OperationSpec<'sql'>)[field] ?? []) : [];
  });
}

/** The statement's text for a finding: its tokens joined, cut at 200 characters. */
function statementText(st: Token[]): string {
  const text = st.map((t) => t.text).join(' ');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * Statements of a field that belong to a routine body split at its `;`s (PostgreSQL `BEGIN ATOMIC … END`,
 * MySQL `CREATE PROCEDURE … BEGIN … END`): their `END` (and what the body holds) is none of the field's own.
 */
function bodyDepthChange(st: Token[], depth: number): { inBody: boolean; depth: number } {
  const w = st.map(word);
  if (depth > 0) {
    const opens = w.filter((x, i) => x === 'begin' && i > 0).length + (w[0] === 'begin' ? 1 : 0);
    const closes = w[0] === 'end' ? 1 : 0;
    return { inBody: true, depth: depth + opens - closes };
  }
  if (w[0] === 'create') {
    const opens = w.filter((x, i) => x === 'begin' && i > 0).length;
    return { inBody: false, depth: opens };
  }
  return { inBody: false, depth: 0 };
}

/**
 * The rules a field's comments tell lint to pass over: `-- xc-lint ignore table-rewrite, blocking-index` (or in a
 * block comment) anywhere in the field — the author knows what lint cannot read (a catalog-only type change, a table
 * no one uses yet), as squawk's `squawk-ignore`. Names that are no rule come back to be reported.
 */
function ignoredIn(comments: string[]): { rules: Set<RuleCode>; unknown: string[] } {
  const rules = new Set<RuleCode>();
  const unknown: string[] = [];
  for (const text of comments) {
    // The first name always; after a comma, a word like a rule's (with a hyphen) — not a reason written beside it
    // ("ignore blocking-index, it is a new table": campaign BZ).
    for (const m of text.matchAll(/xc-lint\s*:?\s*ignore\b[ \t]*([\w-]+(?:[ \t]*,[ \t]*[\w]+-[\w-]*)*)?/gi)) {
      for (const name of (m[1] ?? '').split(',').map((x) => x.trim().toLowerCase())) {
        if ((RULES as readonly string[]).includes(name)) rules.add(name as RuleCode);
        else unknown.push(name);
      }
    }
  }
  return { rules, unknown };
}

/** Lint one migration's `sql` operations, read in `dialect` (default PostgreSQL). */
export function lintDefinition(file: string, definition: MigrationDefinition, dialect: TextDialect = DEFAULT_TEXT_DIALECT): LintFinding[] {
  const mysql = isMysqlText(dialect);
  const findings: LintFinding[] = [];
  // New (no one reads or writes it yet) only in the phase that made it: a table made at expand has the new version's
  // writes all through dual-write, so an index or a type change over it at contract blocks them (campaign BL).
  const created = { expand: new Set<string>(), contract: new Set<string>(), rollback: new Set<string>() };
  const createdIndexes = { expand: new Set<string>(), contract: new Set<string>(), rollback: new Set<string>() };
  definition.operations.forEach((entry, i) => {
    const { kind, spec } = entryKind(entry);
    // xc quotes the name it is given: PostgreSQL keeps its case.
    if (kind === 'createTable') created.expand.add(nameKey([(spec as OperationSpec<'createTable'>).table], mysql)!);
    if (kind !== 'sql') return;
    const sql = spec as OperationSpec<'sql'>;
    for (const field of FIELDS) {
      const text = sql[field];
      if (text === undefined) continue;
      let depth = 0;
      const statements = statementsOf(text, dialect);
      const ignore = ignoredIn(commentsOf(text, dialect));
      const path = `operations[${i}].sql.${field}`;
      for (const name of ignore.unknown) {
        const named = name === '' ? 'no rule' : `"${name}", which is no rule of lint's`;
        findings.push({ file, path, rule: 'unknown-rule', severity: 'error', message: `\`xc-lint ignore\` names ${named}: ${RULES.join(', ')}`, statement: `-- xc-lint ignore ${name}`.trim() });
      }
      const report = (f: LintFinding) => {
        if (!ignore.rules.has(f.rule)) findings.push(f);
      };
      // One PostgreSQL runs only outside a transaction block, among others: they run as one transaction (plan refuses it).
      const outside = mysql || statements.length < 2 ? undefined : statements.map((st) => ({ st, what: outsideTransaction(st) })).find((x) => x.what !== undefined);
      if (outside !== undefined) {
        const { st, what } = outside;
        report({
          file,
          path,
          rule: 'transaction-control',
          severity: 'error',
          message: `${what} among ${statements.length} statements of one field: PostgreSQL runs it only outside a transaction block, and several statements sent as one text run as one transaction, so it fails at apply; put it in a \`sql\` operation of its own (one statement in its field)`,
          statement: statementText(st),
        });
      }
      let own = 0;
      for (const st of statements) {
        const body = bodyDepthChange(st, depth);
        depth = body.depth;
        // MySQL/MariaDB get a field as one statement: a second of its own (a routine body's aside) fails at plan (campaign BM).
        if (mysql && !body.inBody && ++own === 2) {
          report({
            file,
            path,
            rule: 'several-statements',
            severity: 'error',
            message: 'several statements in one field: MySQL/MariaDB get each `sql` field as one statement, so plan refuses it as a syntax error; give each statement its own `sql` operation',
            statement: statementText(st),
          });
        }
        if (!body.inBody) {
          for (const h of lintStatement(st, { field, mysql, createdTables: created[field], createdIndexes: createdIndexes[field] })) {
            report({ file, path, ...h, statement: statementText(st) });
          }
        }
        if (field === 'rollback') continue;
        const table = createdTable(st, mysql);
        if (table !== undefined) created[field].add(table);
        const index = createdIndexOn(st, created[field], mysql);
        if (index !== undefined) createdIndexes[field].add(index);
      }
    }
  });
  return findings;
}

/**
 * Lint `files` (none: every migration of `dir`); invalid files are collected, not thrown, so the others are still linted.
 * `dialect` undefined (no URL named the server): PostgreSQL's, or MySQL's for a file that quotes names in backticks.
 */
export async function lintFiles(files: string[], dir: string, dialect?: TextDialect): Promise<LintResult> {
  const paths = files.length > 0 ? files : (await listMigrations(dir)).map((m) => m.file);
  const findings: LintFinding[] = [];
  const invalid: LintResult['invalid'] = [];
  const readAs: LintResult['readAs'] = [];
  for (const file of paths) {
    try {
      const { definition } = await loadMigrationFile(file);
      // No URL: PostgreSQL's, or MySQL's for a file that quotes names in backticks (campaign BB: a Prisma history
      // passed), or both where the two read them apart, each finding once.
      const readings = dialect ? [dialect] : textReadingsOf(sqlTexts(definition));
      if (dialect === undefined && readings.some((r) => r !== DEFAULT_TEXT_DIALECT)) readAs.push({ file, readings });
      const seen = new Set<string>();
      // Read both ways, a rule about what one server accepts at all (several statements to a field) is no safety
      // finding: plan says it to a MySQL team, and a PostgreSQL file failed on it (campaign BO: a `--x` comment).
      const findingsOf = (r: TextDialect) => lintDefinition(file, definition, r).filter((f) => readings.length === 1 || f.rule !== 'several-statements');
      for (const found of readings.flatMap(findingsOf)) {
        const key = `${found.path}\0${found.rule}\0${found.statement}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(found);
      }
    } catch (err) {
      if (err instanceof InvalidInputError) invalid.push({ file, message: err.message });
      else if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' || (err as NodeJS.ErrnoException)?.code === 'EISDIR' || (err as NodeJS.ErrnoException)?.code === 'EACCES') {
        invalid.push({ file, message: `${file}: cannot read: ${(err as Error).message}` });
      } else throw err;
    }
  }
  return { ok: findings.length === 0 && invalid.length === 0, findings, invalid, readAs };
}
