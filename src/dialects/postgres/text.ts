/**
 * PostgreSQL's SQL text, read one way for every use: its names (how long,
 * how quoted, how compared); the parts no placeholder or identifier can be
 * in (literals, quoted identifiers, dollar-quoted bodies, comments); the
 * tokens expression analysis works on (sqltext.ts); and xc's `?`
 * placeholders told apart from PostgreSQL's own `?` operators.
 */
import { PG_RESERVED } from './reserved.js';
import type { NameRules } from '../names.js';
import type { IdentifierRules, Token } from '../sqltext.js';

/** 63 bytes (NAMEDATALEN - 1; a longer name is cut, silently); tables, views and indexes are all relations, named in one namespace. */
export const PG_NAMES: NameRules = { maxLength: 63, unit: 'bytes', indexNamespace: 'schema', caseInsensitive: false, foreignKeyNamespace: 'table' };

export function quotePg(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** How PostgreSQL reads identifiers: a bare name is folded to lower case, a quoted one taken exactly. */
export const PG_IDENTIFIERS: IdentifierRules = {
  names: (t, column) => (t.kind === 'quoted' ? t.text.slice(1, -1).replace(/""/g, '"') : t.text.toLowerCase()) === column,
  quote: quotePg,
  reserved: PG_RESERVED,
};

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Split PostgreSQL text into code and the parts no placeholder can be in:
 * '...' / E'...' strings, "..." identifiers, $tag$...$tag$ bodies, -- and
 * (nested) block comments. Joining the parts gives back the text.
 */
export function pgSegments(sql: string): { code: boolean; text: string }[] {
  const parts: { code: boolean; text: string }[] = [];
  let code = '';
  const literal = (text: string) => {
    if (code) parts.push({ code: true, text: code });
    code = '';
    parts.push({ code: false, text });
  };
  let i = 0;
  const len = sql.length;
  while (i < len) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'") {
      // E'..' strings allow backslash escapes; '' is an escaped quote in both.
      const prev = sql[i - 1];
      const escapes = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(sql[i - 2] ?? ' ');
      let j = i + 1;
      while (j < len) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      end = Math.min(j + 1, len);
    } else if (c === '"') {
      let j = i + 1;
      while (j < len) {
        if (sql[j] === '"' && sql[j + 1] === '"') j += 2;
        else if (sql[j] === '"') break;
        else j++;
      }
      end = Math.min(j + 1, len);
    } else if (c === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      end = j < 0 ? len : j;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < len && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth++, (j += 2));
        else if (sql[j] === '*' && sql[j + 1] === '/') (depth--, (j += 2));
        else j++;
      }
      end = j;
    } else if (c === '$' && !IDENT_CHAR.test(sql[i - 1] ?? ' ')) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        end = close < 0 ? len : close + m[0].length;
      }
    }
    if (end < 0) {
      code += c;
      i++;
    } else {
      literal(sql.slice(i, end));
      i = end;
    }
  }
  if (code) parts.push({ code: true, text: code });
  return parts;
}

/** Bare words (identifiers and keywords), numbers, `::`, whitespace, any other character: the code between literals. */
const CODE_TOKEN = /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|::|\s+|[\s\S]/g;
/** Letters glued to the literal after them: E'…' (escapes), B'…' and X'…' (bit strings), N'…'. */
const STRING_PREFIX = /^[EeBbXxNn]$/;

/** The tokens of PostgreSQL text (joined, they give the text back). */
export function pgTokens(sql: string): Token[] {
  const out: Token[] = [];
  for (const part of pgSegments(sql)) {
    if (part.code) {
      for (const text of part.text.match(CODE_TOKEN) ?? []) {
        const kind = /^\s/.test(text) ? 'space' : /^\d/.test(text) ? 'number' : /^[A-Za-z_\u0080-\uffff]/.test(text) ? 'word' : 'other';
        out.push({ kind, text });
      }
      continue;
    }
    const kind = part.text.startsWith('"') ? 'quoted' : part.text.startsWith('--') || part.text.startsWith('/*') ? 'comment' : 'string';
    // A prefix right before the quote is part of the literal or identifier: U&'…' and U&"…" (Unicode escapes), E'…' and the like.
    let text = part.text;
    const last = out[out.length - 1];
    const before = out[out.length - 2];
    if (last?.text === '&' && before?.kind === 'word' && /^[Uu]$/.test(before.text)) text = out.splice(-2).map((t) => t.text).join('') + text;
    else if (kind === 'string' && last?.kind === 'word' && STRING_PREFIX.test(last.text)) text = out.pop()!.text + text;
    out.push({ kind, text });
  }
  return out;
}

/** `OPERATOR(...)`, which names an operator and never holds a placeholder. */
const OPERATOR_CALL = /(?<![A-Za-z0-9_$\u0080-\uffff])OPERATOR\s*\([^)]*\)/iy;
/** A run of operator characters holding a `?`: jsonb `?`, `?|`, `?&`, jsonpath `@?`, geometric `?-|`, ... */
const QUESTION_OPERATOR = /[+\-*/<>=~!@#%^&|`?]*\?[+\-*/<>=~!@#%^&|`?]*/y;

/** Rewrite the code parts of `sql` at each `OPERATOR(...)` (kept as is) and each other `?`-match of `other`. */
function rewriteCode(sql: string, other: RegExp, replace: (match: string) => string): string {
  return pgSegments(sql)
    .map((part) => {
      if (!part.code) return part.text;
      let out = '';
      for (let i = 0; i < part.text.length; ) {
        OPERATOR_CALL.lastIndex = i;
        other.lastIndex = i;
        const kept = OPERATOR_CALL.exec(part.text);
        const hit = kept ? null : other.exec(part.text);
        if (kept) out += kept[0];
        else if (hit && hit[0].length > 0) out += replace(hit[0]);
        else out += part.text[i];
        i += kept?.[0].length || hit?.[0].length || 1;
      }
      return out;
    })
    .join('');
}

/**
 * Rewrite `?` placeholders to `$1..$n`, outside literals, comments and
 * `OPERATOR(...)`.
 */
export function toDollarParams(sql: string): string {
  let n = 0;
  return rewriteCode(sql, /\?/y, () => `$${++n}`);
}

/**
 * An author's expression made safe to embed in a statement that also binds
 * `?` parameters: each operator spelled with `?` (jsonb `data ? 'k'`) becomes
 * `OPERATOR(?)`, the same operator at the same precedence, which
 * toDollarParams leaves alone. Without it, the batch UPDATE of a backfill
 * would read the author's `?` as a placeholder.
 */
export function quoteQuestionOperators(expr: string): string {
  // Spaced, so `doc?'k'` does not become the identifier `docOPERATOR`.
  return rewriteCode(expr, QUESTION_OPERATOR, (op) => ` OPERATOR(${op}) `);
}

/** An SQL string literal. */
export function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A dollar-quote tag that does not occur in `body` (a column or an expression may hold `$xc$`). */
export function dollarTag(body: string): string {
  let tag = '$xc$';
  for (let n = 1; body.includes(tag); n++) tag = `$xc${n}$`;
  return tag;
}

/** `DO` with `body` (PL/pgSQL) quoted by a tag it does not hold: a name in it (a table `t$xc$`) cannot end it early. */
export function doBlock(body: string): string {
  const tag = dollarTag(body);
  return `DO ${tag} ${body} ${tag}`;
}

/** The transaction-local setting naming the migrations whose triggers a backfill bypasses (triggers.ts). */
export const BYPASS_SETTING = 'xc.bypass';

/**
 * How a change of a value of each type is told (`valuesDiffer`). `IS DISTINCT FROM` where `=` is sameness;
 * strings under the "C" collation (a nondeterministic one calls 'bob' and 'BOB' equal); floats by their
 * binary form (0 = -0); any other type by its text form: json, point, xml and others have no `=` at all (an
 * UPDATE of such a row would fail), box or circle one that compares areas, interval one that calls '1 mon'
 * and '30 days' equal, numeric without a scale one that calls 1.0 and 1.000 equal (jsonb too, inside). Enums and
 * domains are compared as text too: correct, a little slower.
 */
const VALUE_EQUALITY =
  /^(smallint|integer|int|int2|int4|int8|bigint|numeric\(.*\)|decimal\(.*\)|boolean|bool|bytea|date|time|timetz|timestamp|timestamptz|time with(out)? time zone|timestamp with(out)? time zone|uuid|inet|cidr|macaddr|macaddr8|money|bit|bit varying|varbit|oid)$/;
const STRINGS = /^(text|varchar|character varying|character|char|bpchar|name)$/;
const FLOATS = /^(real|float4|float8|double precision|float)$/;

function comparison(type: string | undefined): 'value' | 'string' | 'float' | 'text' {
  if (type === undefined) return 'text';
  const spelled = type
    .toLowerCase()
    .replace(/\s+collate\s[\s\S]*$/, '')
    .replace(/(\[\d*\])+$/, '')
    .replace(/^pg_catalog\./, '')
    .replace(/\s+/g, ' ')
    .trim();
  // A scale fixes how a numeric is written; other typmods (lengths, precisions) do not change how `=` compares.
  const base = /^(numeric|decimal)\s*\(\s*\d+\s*,\s*\d+\s*\)$/.test(spelled) ? spelled : spelled.replace(/\s*\(\s*\d+\s*(,\s*\d+\s*)?\)/g, '');
  if (VALUE_EQUALITY.test(base)) return 'value';
  if (STRINGS.test(base)) return 'string';
  if (FLOATS.test(base) && !/\[/.test(type)) return 'float';
  return 'text';
}

/** Whether `IS DISTINCT FROM` alone tells a change of a value of `type`, as it is (no collation, cast or text form needed). */
export function hasValueEquality(type: string | undefined): boolean {
  return comparison(type) === 'value';
}

/** SQL true when `a` and `b`, both of `type`, differ (NULL against a value included). */
export function valuesDiffer(a: string, b: string, type: string | undefined): string {
  switch (comparison(type)) {
    case 'value':
      return `${a} IS DISTINCT FROM ${b}`;
    case 'string':
      return `(${a}) COLLATE "C" IS DISTINCT FROM (${b}) COLLATE "C"`;
    case 'float':
      return `float8send(${a}) IS DISTINCT FROM float8send(${b})`;
    default:
      return `CAST(${a} AS text) COLLATE "C" IS DISTINCT FROM CAST(${b} AS text) COLLATE "C"`;
  }
}

/** `expr` names the table other than as a column's qualifier (`t.a`): its row as a value (`t`, `t.*`). */
export function readsWholeRow(expr: string, table: string, columns: string[] = []): boolean {
  // A column named as its table is what the name reads (PostgreSQL looks for a column first; campaign EL: "order" of "order").
  if (columns.includes(table)) return false;
  const sig = pgTokens(expr).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const isTable = (t: (typeof sig)[number]) => (t.kind === 'word' ? t.text.toLowerCase() === table : t.kind === 'quoted' && t.text === `"${table.replace(/"/g, '""')}"`);
  return sig.some((t, i) => isTable(t) && sig[i - 1]?.text !== '.' && (sig[i + 1]?.text !== '.' || sig[i + 2]?.text === '*'));
}
