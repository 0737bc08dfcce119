/**
 * Expression analysis over a dialect's tokens, written once: which columns an
 * SQL text names, the same text with one column renamed, the functions it
 * calls. Each dialect brings its tokenizer (its quotes, strings, comments)
 * and its rule for when an identifier names a column (its case rules).
 */

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'comment' | 'space' | 'other';

/** One token of an SQL text; a text's tokens joined give the text back. */
export interface Token {
  kind: TokenKind;
  text: string;
}

/** How a dialect reads identifiers. */
export interface IdentifierRules {
  /** A bare word or a quoted identifier names `column` (the server's case rules). */
  names(token: Token, column: string): boolean;
  quote(identifier: string): string;
}

const significant = (t: Token) => t.kind !== 'space' && t.kind !== 'comment';

/** The significant token `step` places after (1) or before (-1) position `i`, if any. */
function near(tokens: Token[], i: number, step: 1 | -1): Token | undefined {
  for (let j = i + step; j >= 0 && j < tokens.length; j += step) if (significant(tokens[j]!)) return tokens[j];
  return undefined;
}

/**
 * Token `i` refers to `column`: an identifier of that name that is not a
 * function (a bare word before `(`), a part of a qualified name, a type
 * (after `::` or AS) or a collation (after COLLATE).
 */
function refersTo(tokens: Token[], i: number, column: string, rules: IdentifierRules): boolean {
  const t = tokens[i]!;
  if ((t.kind !== 'word' && t.kind !== 'quoted') || !rules.names(t, column)) return false;
  const after = near(tokens, i, 1)?.text;
  const before = near(tokens, i, -1)?.text;
  if ((t.kind === 'word' && after === '(') || after === '.' || before === '.' || before === '::') return false;
  return !/^(as|collate)$/i.test(before ?? '');
}

/** Which of `columns` the text refers to, outside literals and comments. */
/** A bare word, lower-cased (a keyword); a quoted name or a literal is no keyword. */
export const keyword = (t: Token | undefined): string | undefined => (t?.kind === 'word' ? t.text.toLowerCase() : undefined);

/** Tokens split into statements at each `;` (a token outside literals, names and comments), each as its significant tokens; empty ones dropped. */
export function splitStatements(tokens: Iterable<Token>): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'space' || t.kind === 'comment') continue;
    if (t.kind === 'other' && t.text === ';') out.push([]);
    else out[out.length - 1]!.push(t);
  }
  return out.filter((st) => st.length > 0);
}

export function columnsNamed(tokens: Token[], columns: string[], rules: IdentifierRules): string[] {
  return columns.filter((c) => tokens.some((_, i) => refersTo(tokens, i, c, rules)));
}

/** The text with every reference to column `from` written as `to`, quoted. */
export function replaceIdentifier(tokens: Token[], from: string, to: string, rules: IdentifierRules): string {
  return tokens.map((t, i) => (refersTo(tokens, i, from, rules) ? rules.quote(to) : t.text)).join('');
}

/** The text with each reference to `column` replaced by `value` (SQL, parenthesised here). */
export function substituteColumn(tokens: Token[], column: string, value: string, rules: IdentifierRules): string {
  return tokens.map((t, i) => (refersTo(tokens, i, column, rules) ? `(${value})` : t.text)).join('');
}

/** SQL-standard niladic functions, written without parentheses, whose value changes from one transaction to the next. */
const TIME_KEYWORDS = new Set(['current_timestamp', 'current_date', 'current_time', 'localtime', 'localtimestamp']);

/** Functions the text calls (lower-cased bare words before a `(`), and the standard time keywords it uses. */
export function calledFunctions(tokens: Token[]): string[] {
  const names = tokens.flatMap((t, i) => (t.kind === 'word' && (near(tokens, i, 1)?.text === '(' || TIME_KEYWORDS.has(t.text.toLowerCase())) ? [t.text.toLowerCase()] : []));
  return [...new Set(names)];
}
