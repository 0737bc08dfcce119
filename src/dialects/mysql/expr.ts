/**
 * Pure SQL-text helpers for MySQL / MariaDB: quoting, a small tokenizer,
 * rewriting author expressions for triggers, index definitions, defaults and
 * CAST targets. Author expressions are trusted SQL; only identifiers are
 * rewritten, never string literals, comments or function names.
 */
import { fitName as fitRules, type NameRules } from '../names.js';
import { columnsNamed, type IdentifierRules, type Token, type TokenKind } from '../sqltext.js';
import { MUST_STAY_QUOTED, NEVER_A_BARE_COLUMN } from './reserved.js';

export function quoteMy(identifier: string): string {
  return `\`${identifier.replace(/`/g, '``')}\``;
}

/** A string literal safe under any sql_mode (backslashes doubled too, unless NO_BACKSLASH_ESCAPES changes their meaning: both spellings agree). */
export function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** MySQL/MariaDB names: at most 64 characters; an index name is its table's own. */
export const MYSQL_NAMES: NameRules = { maxLength: 64, unit: 'characters', indexNamespace: 'table', caseInsensitive: true, foreignKeyNamespace: 'schema' };

/** A name of at most 64 characters: kept when it fits, else cut and made unique by a short hash. */
export function fitName(name: string, suffix = ''): string {
  return fitRules(name, suffix, MYSQL_NAMES);
}

/**
 * The names a renameTable takes for a moment (tables.ts): the view made for the old name and the new name's
 * placeholder (expand), the old name's view parked by a rollback. Plan refuses the rename while one is taken.
 */
export function renameTableNames(from: string, to: string): { view: string; placeholder: string; parked: string } {
  return { view: fitName(`xc_new_${from}`), placeholder: fitName(`xc_stub_${to}`), parked: fitName(`xc_old_${from}`) };
}

/**
 * Tokens: comments, strings ('…', "…"), backtick identifiers, numbers, words, whitespace, any other character. As
 * the server reads them (campaign AH): `--` starts a comment only before a space or the end (`a--b` is a - -b); an
 * executable comment's opener (`/*!50000`, `/*M!`) is a token of its own, what it holds code; 0x1F and 0b101 are
 * numbers, and a name may start with digits (`2abc`).
 */
const TOKEN =
  /--(?=\s|$)[^\n]*|#[^\n]*|\/\*M?!\d*|\/\*[\s\S]*?\*\/|'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"|`(?:[^`]|``)*`|0x[0-9A-Fa-f]+(?![\w$\u0080-\uffff])|0b[01]+(?![\w$\u0080-\uffff])|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w$\u0080-\uffff])|[\w$\u0080-\uffff]*[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*|\s+|[\s\S]/g;

export function tokens(sql: string): string[] {
  return sql.match(TOKEN) ?? [];
}

/**
 * The same tokens, classified for expression analysis (sqltext.ts). A
 * double-quoted text counts as an identifier (ANSI_QUOTES reads it so): when
 * in doubt, an expression names one column more. A character set introducer
 * or x/b/n prefix is part of the literal after it (_utf8mb4'…', x'0A').
 */
export function mysqlTokens(sql: string): Token[] {
  const out: Token[] = [];
  for (const text of tokens(sql)) {
    const kind: TokenKind = /^\s/.test(text)
      ? 'space'
      : insignificant(text)
        ? 'comment'
        : text.startsWith("'")
          ? 'string'
          : text.startsWith('`') || text.startsWith('"')
            ? 'quoted'
            : isWord(text)
              ? 'word'
              : /^\d/.test(text)
                ? 'number'
                : 'other';
    const last = out[out.length - 1];
    if (kind === 'string' && last?.kind === 'word' && /^(_\w+|[xbn])$/i.test(last.text)) out[out.length - 1] = { kind, text: last.text + text };
    else out.push({ kind, text });
  }
  return out;
}

/** How MySQL/MariaDB read identifiers: column names are case-insensitive however they are quoted. */
export const MYSQL_IDENTIFIERS: IdentifierRules = {
  names: (t, column) => (t.kind === 'quoted' ? unquote(t.text, t.text[0]!) : t.text).toLowerCase() === column.toLowerCase(),
  quote: quoteMy,
  reserved: NEVER_A_BARE_COLUMN,
};

const insignificant = (t: string) => /^\s/.test(t) || t.startsWith('--') || t.startsWith('#') || (t.startsWith('/*') && !/^\/\*M?!/.test(t));
const isWord = (t: string) => /^[\w$\u0080-\uffff]/.test(t) && !/^\d+(\.\d+)?([eE][+-]?\d+)?$|^0x|^0b/.test(t);
const unquote = (t: string, q: string) => t.slice(1, -1).split(q + q).join(q);
const nameOf = (t: string) => (t.startsWith('`') ? unquote(t, '`') : isWord(t) ? t : undefined);
const UNITS = /^(microsecond|second|minute|hour|day|week|month|quarter|year|[a-z]+_(second|minute|hour|day|month|microsecond))$/i;

/**
 * Rewrite the columns an expression names (bare or backticked) as `prefix` + backticked name, e.g. NEW.`name`. Names
 * are case-insensitive as in MySQL. Not rewritten: a word followed by `(` (a function), preceded or followed by `.`
 * (qualified), followed by a quote (a literal prefix such as x'..' or _utf8mb4'..', or a type: DATE '…'), in a
 * keyword position (after AS, USING, COLLATE; an INTERVAL unit), or a reserved word written bare. With `table`, a
 * column named by it (`users`.`id`, as the backfill's UPDATE names the row) is rewritten too. Exact only where
 * `rewritesExactly` says so: `rowValue` picks.
 */
export function rewriteColumns(expr: string, columns: string[], prefix: string, table?: string): string {
  const byLower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  const toks = tokens(expr);
  /** Index of the n-th significant token before (-1) or after (1) position `from`. */
  const sigAt = (from: number, step: 1 | -1, n = 1): number => {
    for (let i = from + step; i >= 0 && i < toks.length; i += step) if (!insignificant(toks[i]!) && --n === 0) return i;
    return -1;
  };
  const sig = (from: number, step: 1 | -1, n = 1): string | undefined => toks[sigAt(from, step, n)];
  /** Tokens of a `table.column` already written as the column: the dot, the name and what lies between. */
  let skipTo = -1;
  return toks
    .map((t, i) => {
      if (i <= skipTo) return '';
      if (table !== undefined && nameOf(t)?.toLowerCase() === table.toLowerCase() && sig(i, 1) === '.' && sig(i, -1) !== '.') {
        const at = sigAt(i, 1, 2);
        const named = at < 0 ? undefined : nameOf(toks[at]!);
        const column = named === undefined ? undefined : byLower.get(named.toLowerCase());
        if (column !== undefined && sig(at, 1) !== '.' && sig(at, 1) !== '(') {
          skipTo = at;
          return prefix + quoteMy(column);
        }
      }
      const name = nameOf(t);
      const column = name === undefined ? undefined : byLower.get(name.toLowerCase());
      if (column === undefined) return t;
      const before = sig(i, -1);
      const after = sig(i, 1);
      if (after === '(' || after === '.' || before === '.' || /^['"]/.test(toks[i + 1] ?? '')) return t;
      if (isWord(t) && /^(as|using|collate)$/i.test(before ?? '')) return t;
      // Bare, a reserved word is what it reserves (`current_date` the function), not the column named so (campaign EL).
      if (isWord(t) && NEVER_A_BARE_COLUMN.has(t.toLowerCase())) return t;
      // A word before a literal, spaced or not, is its type (`DATE '2000-01-01'`).
      if (isWord(t) && /^['"]/.test(after ?? '')) return t;
      if (isWord(t) && UNITS.test(t) && /^interval$/i.test(sig(i, -1, 2) ?? '')) return t;
      return prefix + quoteMy(column);
    })
    .join('');
}

/**
 * Functions whose value over a trigger's NEW.`col` is their value over the column. MariaDB treats a real column
 * argument specially in places — comparisons with a constant convert the constant to the column's type (YEAR = 99,
 * a BIGINT BETWEEN strings), FIND_IN_SET over a SET column gives the member's position, DEFAULT(col) reads the
 * column's default — so only calls and operators without such a case are rewritten (campaign AH).
 */
const PLAIN_FUNCTIONS = /^(cast|coalesce|ifnull|upper|lower|ucase|lcase|trim|ltrim|rtrim|concat|concat_ws|left|right|substring|substr|lpad|rpad|replace|reverse|repeat|length|char_length|character_length|round|floor|ceil|ceiling|abs|truncate|md5|sha1|sha2|hex)$/i;
/**
 * Words MariaDB may read as a keyword inside an expression's calls (EXTRACT(YEAR …), TIMESTAMPDIFF(DAY, …),
 * CAST(… AS CHAR …)): a column so named is left to the derived row.
 */
const KEYWORD_LIKE = /^(date|time|datetime|timestamp|char|character|charset|binary|signed|unsigned|integer|decimal|double|float|json|nchar|national|inet4|inet6|uuid|sql_tsi_\w+)$/i;

/**
 * Whether `rewriteColumns` gives, over NEW, exactly what the expression gives over the row in the backfill's UPDATE.
 * Only for the plainest expressions, which most conversions are (`amount`, `CAST(x AS SIGNED)`, `price * 100`,
 * `upper(name)`, `CONCAT(first, ' ', last)`): columns, numbers, strings, arithmetic and the calls of
 * PLAIN_FUNCTIONS. Anything else — a comparison, a subquery, EXTRACT(YEAR FROM col), a double-quoted text, a
 * `@variable`, a comment the server executes — goes to the derived row (`rowValue`): campaigns AE and AH found a
 * text rewrite giving old writers' rows other values than the backfill's, or failing every old-version write.
 */
export function rewritesExactly(expr: string, columns: string[]): boolean {
  const byLower = new Set(columns.map((c) => c.toLowerCase()));
  const sig = mysqlTokens(expr).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  return sig.every((t, i) => {
    const before = sig[i - 1];
    const after = sig[i + 1];
    switch (t.kind) {
      case 'number':
      case 'string':
        return true;
      case 'quoted':
        return t.text.startsWith('`');
      case 'other':
        return ['(', ')', ',', '+', '-', '*', '/', '%', '.'].includes(t.text);
      case 'word': {
        if (byLower.has(t.text.toLowerCase())) return !KEYWORD_LIKE.test(t.text) && !UNITS.test(t.text) && after?.text !== '(';
        if (after?.text === '.') return true; // users.col: the row named by its table (plan compiles it over the table so named)
        // The type of CAST(x AS …): SIGNED, UNSIGNED [INTEGER], CHAR(10), DECIMAL(10, 2), DATETIME(6).
        if (/^as$/i.test(before?.text ?? '') || (/^(signed|unsigned)$/i.test(before?.text ?? '') && /^integer$/i.test(t.text))) return true;
        if (after?.text === '(') return PLAIN_FUNCTIONS.test(t.text);
        return /^(div|mod|null|true|false|as)$/i.test(t.text);
      }
      default:
        return false;
    }
  });
}

/**
 * An author expression evaluated over the row a MySQL trigger writes. Where the rewrite to NEW.`col` is exact
 * (`rewritesExactly`, the common case and the cheapest) it is used; otherwise the expression runs unchanged over a
 * one-row derived table of NEW's values named like the table, so the server resolves every name as it does in the
 * backfill's UPDATE (PostgreSQL's triggers do the same with `(SELECT NEW.*) AS table`). That costs the server a
 * derived table per evaluation (a few microseconds; a subquery reading a table costs more anyway). It lists only
 * the columns the text names, so a later change to another column leaves the trigger working.
 */
export function rowValue(expr: string, columns: string[], table: string): string {
  if (rewritesExactly(expr, columns)) return rewriteColumns(expr, columns, 'NEW.', table);
  // The columns it reads as the row's: not a qualifier, another source's column (`x.a`) nor an alias (`AS a`), each of
  // which listed NEW.`a` and failed every write once `a` was renamed or the table renamed like it (campaigns AL, AN).
  const reads = new Set(columnsNamed(mysqlTokens(expr), columns, MYSQL_IDENTIFIERS, table).map((c) => c.toLowerCase()));
  // Once each: a column listed twice (a check's columns and its backticked names) is a duplicate column, error 1060 on every write (campaign AH).
  const named = columns.filter((c, i) => reads.has(c.toLowerCase()) && columns.findIndex((d) => d.toLowerCase() === c.toLowerCase()) === i);
  if (named.length === 0) return expr;
  return `(SELECT ${expr} FROM (SELECT ${named.map((c) => `NEW.${quoteMy(c)} AS ${quoteMy(c)}`).join(', ')}) AS ${quoteMy(table)})`;
}

/**
 * The columns a check trigger over `expr` lists: the table's (`known`), and each backticked name of the text but a
 * qualifier (`t`.`x`: campaign AJ, NEW.`t` failed every write) — a column the catalog does not know yet, maybe.
 */
export function checkColumns(expr: string, known: string[]): string[] {
  const sig = mysqlTokens(expr).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  return [...known, ...sig.filter((t, i) => t.text.startsWith('`') && sig[i + 1]?.text !== '.').map((t) => unquote(t.text, '`'))];
}

/** `rowValue`'s derived form: the expression (1) and the name its row goes by (2). */
const DERIVED_ROW = /^\(SELECT ([\s\S]*) FROM \(SELECT NEW\.`(?:[^`]|``)*` AS `(?:[^`]|``)*`(?:, NEW\.`(?:[^`]|``)*` AS `(?:[^`]|``)*`)*\) AS `((?:[^`]|``)*)`\)$/;

/** The name `rowValue`'s derived row goes by (the table's when the trigger was made), or undefined for a rewrite to NEW. */
export function derivedRowName(sql: string): string | undefined {
  return DERIVED_ROW.exec(sql)?.[2]?.replace(/``/g, '`');
}

/** The expression `rowValue` was given, read back from what it made. */
export function fromRowValue(sql: string): string {
  const derived = DERIVED_ROW.exec(sql);
  return derived ? derived[1]! : sql.replace(/\bNEW\.(`(?:[^`]|``)*`)/g, '$1');
}

/**
 * Backticked simple identifiers made bare (`name` → name), so catalog text reads like author SQL — but never a word
 * that bare is no longer the name (MUST_STAY_QUOTED): the text is run again as a check's trigger and verify.
 */
export function unquoteSimple(sql: string): string {
  const bare = (name: string) => /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) && !MUST_STAY_QUOTED.has(name.toLowerCase());
  return tokens(sql)
    .map((t) => (t.startsWith('`') && bare(unquote(t, '`')) ? unquote(t, '`') : t))
    .join('');
}

/** Columns of `columns` an expression over a row of `table` names (case-insensitive; bare, backticked or double-quoted, or as `table.col`). */
export function mentioned(expr: string, table: string, columns: string[]): string[] {
  return columnsNamed(mysqlTokens(expr), columns, MYSQL_IDENTIFIERS, table);
}

/** A default as the DEFAULT clause needs it: literals bare, anything else in parentheses (MySQL 8.0.13+ expression defaults). */
export function defaultClause(expr: string): string {
  return isLiteralDefault(expr) ? expr.trim() : `(${expr.trim()})`;
}

/**
 * A value of a fixed-width type, to store a new column in every row before
 * the backfill writes the real one; undefined where width varies anyway.
 */
export function placeholderFor(type: string): string | undefined {
  const t = type.trim().toLowerCase();
  // With the aliases a migration may spell (BOOLEAN, DEC, FIXED, INT1…INT8, MIDDLEINT, FLOAT4/8), which the server stores as one of these.
  if (/^(tinyint|smallint|mediumint|middleint|int|integer|int[1-48]|bigint|bool|boolean|decimal|dec|fixed|numeric|float|float4|float8|double|real|bit|year)\b/.test(t)) return '0';
  if (/^date\b/.test(t)) return "'1970-01-01'";
  if (/^(datetime|timestamp)\b/.test(t)) return "'1970-01-02 00:00:00'";
  if (/^time\b/.test(t)) return "'00:00:00'";
  return undefined;
}

/** A constant of each spatial type, built by its constructors (a default may be an expression; WKT text may not be). */
const RING = 'LineString(POINT(0,0),POINT(0,0),POINT(0,0),POINT(0,0))';
const SPATIAL: Record<string, string> = {
  geometry: '(POINT(0,0))',
  point: '(POINT(0,0))',
  linestring: '(LineString(POINT(0,0),POINT(0,0)))',
  polygon: `(Polygon(${RING}))`,
  multipoint: '(MultiPoint(POINT(0,0)))',
  multilinestring: '(MultiLineString(LineString(POINT(0,0),POINT(0,0))))',
  multipolygon: `(MultiPolygon(Polygon(${RING})))`,
  geometrycollection: '(GeometryCollection(POINT(0,0)))',
};

/** A constant of a spatial `type`, as a default (undefined for another type). */
export function spatialConstant(type: string): string | undefined {
  return SPATIAL[/^\s*(\w+)/.exec(type)?.[1]?.toLowerCase() ?? ''];
}

/**
 * The default of a column no application writes (an in-place change's shadow), which a trigger sets on every write:
 * what writers omitting it get in between. It must have one while it is INVISIBLE and NOT NULL (MariaDB 4108), and
 * while no trigger sets it (the cut-over). Undefined for types without an obvious value (spatial).
 */
export function hiddenColumnDefault(type: string): string | undefined {
  const firstMember = /^enum\s*\(\s*('(?:[^'\\]|''|\\.)*')/i.exec(type.trim())?.[1];
  if (firstMember !== undefined) return firstMember;
  if (/^set\b/i.test(type.trim())) return "''";
  if (/^json\b/i.test(type.trim())) return "'null'";
  const fixed = { uuid: "'00000000-0000-0000-0000-000000000000'", inet6: "'::'", inet4: "'0.0.0.0'" }[/^(uuid|inet6|inet4)\b/i.exec(type.trim())?.[1]?.toLowerCase() ?? ''];
  if (fixed !== undefined) return fixed;
  return placeholderFor(type) ?? (/char|text|blob|binary/i.test(type) ? "''" : undefined);
}

export function isLiteralDefault(expr: string): boolean {
  const e = expr.trim();
  return (
    /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(e) ||
    /^(null|true|false)$/i.test(e) ||
    /^(_[a-z0-9]+)?'(?:[^'\\]|\\[\s\S]|'')*'$/i.test(e) ||
    /^[xb]'[0-9a-f]*'$/i.test(e) ||
    /^(current_timestamp|now|localtime|localtimestamp)(\s*\(\s*\d*\s*\))?$/i.test(e)
  );
}

/**
 * The CAST target for a column type, or undefined when MySQL's CAST cannot
 * express it (ENUM, SET, BIT, YEAR, spatial; JSON on MariaDB).
 */
export function castTarget(type: string, mariadb: boolean): string | undefined {
  const t = type.trim().toLowerCase();
  const m = /^([a-z]+)\s*(\([^)]*\))?\s*(unsigned)?/.exec(t);
  if (!m) return undefined;
  const [, base, args = '', unsigned] = m;
  if (/^(tinyint|smallint|mediumint|int|integer|bigint|serial)$/.test(base!)) return unsigned || base === 'serial' ? 'UNSIGNED' : 'SIGNED';
  if (/^(decimal|numeric|dec|fixed)$/.test(base!)) return `DECIMAL${args}`;
  if (/^(float|double|real)$/.test(base!)) return 'DOUBLE';
  if (/^(char|varchar|nchar|nvarchar)$/.test(base!)) return `CHAR${args}`;
  if (/^(tinytext|text|mediumtext|longtext)$/.test(base!)) return 'CHAR';
  // CAST(… AS BINARY(n)) pads to n bytes, as a BINARY(n) column stores it; a VARBINARY stores the bytes as they are
  // (padded, a copy's values never compared equal at the verify: left unable to contract, campaign EI).
  if (base === 'binary') return `BINARY${args}`;
  if (base === 'varbinary') return 'BINARY';
  if (/^(tinyblob|blob|mediumblob|longblob)$/.test(base!)) return 'BINARY';
  if (base === 'date') return 'DATE';
  if (base === 'datetime' || base === 'timestamp') return `DATETIME${args}`;
  if (base === 'time') return `TIME${args}`;
  if (base === 'json') return mariadb ? undefined : 'JSON';
  return undefined;
}

/** Character types: compared byte-exactly in verification (a case-insensitive collation would hide 'Bob' vs 'bob'). */
export function isTextType(type: string): boolean {
  return /^\s*(n?var)?char|^\s*(tiny|medium|long)?text|^\s*enum|^\s*set\b/i.test(type);
}

export interface IndexDefinition {
  kind: '' | 'UNIQUE' | 'FULLTEXT' | 'SPATIAL';
  /** Key parts as SQL: `name`, `name`(10) DESC, or an expression in parentheses. */
  parts: string[];
  /** What follows the key parts (`COMMENT '…'`, `IGNORED`/`INVISIBLE`), carried to a copy; '' for none. */
  options: string;
}

/**
 * Read an index definition: xc's own MySQL spelling
 * (CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX `n` ON `t` (parts)), or any other
 * whose first parenthesis after ON is the key list (… USING btree ("a", b) …).
 * Undefined for an index the model only holds as facts (projected: no text).
 */
export function parseIndexDefinition(definition: string | undefined): IndexDefinition | undefined {
  if (definition === undefined) return undefined;
  const kind = (/^\s*CREATE\s+(UNIQUE|FULLTEXT|SPATIAL)\s/i.exec(definition)?.[1]?.toUpperCase() ?? '') as IndexDefinition['kind'];
  const toks = tokens(definition);
  const on = toks.findIndex((t) => /^on$/i.test(t));
  const open = toks.indexOf('(', on + 1);
  if (on < 0 || open < 0) return undefined;
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  let close = toks.length;
  for (const [i, t] of toks.slice(open + 1).entries()) {
    if (t === '(') depth++;
    if (t === ')' && depth-- === 0) {
      close = open + 1 + i;
      break;
    }
    if (t === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += t;
  }
  if (current.trim()) parts.push(current.trim());
  // Only the options xc's spelling writes (catalog.ts); anything else after the parts (a projected PostgreSQL-style text's) is not carried.
  const rest = toks.slice(close + 1).filter((t) => !/^\s+$/.test(t));
  const comment = rest.findIndex((t, i) => /^comment$/i.test(t) && /^'/.test(rest[i + 1] ?? ''));
  const options = [...(comment >= 0 ? [`COMMENT ${rest[comment + 1]}`] : []), ...rest.filter((t) => /^(ignored|invisible)$/i.test(t)).map((t) => t.toUpperCase())];
  return { kind, parts: parts.map(normalizePart), options: options.join(' ') };
}

/** A key part with its column re-quoted with backticks ("a" and a, as other modules write them, become `a`). */
function normalizePart(part: string): string {
  const toks = tokens(part.trim());
  const i = toks.findIndex((t) => !insignificant(t));
  const head = toks[i] ?? '';
  const next = toks.slice(i + 1).find((t) => !insignificant(t));
  if (head.startsWith('`') || head.startsWith('"')) toks[i] = quoteMy(unquote(head, head[0]!));
  else if (isWord(head) && next !== '(') toks[i] = quoteMy(head);
  return toks.join('');
}

/** The column a key part names (undefined for expression parts). */
export function partColumn(part: string): string | undefined {
  const m = /^`((?:[^`]|``)*)`/.exec(part.trim());
  return m ? m[1]!.replace(/``/g, '`') : undefined;
}

/** Key parts with `from` replaced by `to` (column parts by name, case-insensitive; expression parts through rewriteColumns). */
export function replaceInParts(parts: string[], from: string, to: string): string[] {
  return parts.map((p) => {
    const col = partColumn(p);
    if (col !== undefined) return col.toLowerCase() === from.toLowerCase() ? quoteMy(to) + p.trim().slice(quoteMy(col).length) : p;
    return rewriteColumns(p, [from], '').split(quoteMy(from)).join(quoteMy(to));
  });
}

/** The attributes of `extra` with the COMMENT replaced by `comment` (null or '': none; undefined: kept). */
export function withComment(extra: string | undefined, comment: string | null | undefined): string | undefined {
  if (comment === undefined) return extra;
  const rest = (extra ?? '').replace(/COMMENT\s+'(?:[^'\\]|\\.|'')*'/i, '').trim();
  const added = comment === null || comment === '' ? '' : `COMMENT ${literal(comment)}`;
  return [rest, added].filter(Boolean).join(' ') || undefined;
}
