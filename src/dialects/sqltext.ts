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

/** Words after a table in FROM or JOIN that are not its alias. */
const NOT_ALIAS = new Set(['where', 'join', 'inner', 'left', 'right', 'full', 'outer', 'cross', 'natural', 'straight_join', 'on', 'using', 'group', 'order', 'limit', 'having', 'union', 'except', 'intersect', 'window', 'for', 'lateral', 'tablesample', 'partition', 'use', 'ignore', 'force', 'offset', 'fetch', 'into', 'returning']);
/** Keywords that end a FROM list at its level. */
const FROM_LIST_END = new Set(['where', 'group', 'order', 'limit', 'having', 'union', 'except', 'intersect', 'window', 'for', 'on', 'using', 'offset', 'fetch']);

/**
 * Where a subquery of an expression over one row reads a name otherwise than the statements that evaluate it agree
 * on. The backfill's UPDATE names the row by its table; a trigger reads it as NEW (MySQL/MariaDB rewrite the row's
 * columns to NEW.`c`, bare ones inside a subquery included). So, in a subquery:
 * - `bare`: a bare name that is a column of the row and of a table the subquery reads — SQL reads the subquery's, a
 *   MySQL trigger the row's, and which one the author meant cannot be told (a Rails counter cache's `p.user_id = id`
 *   counted the posts whose user_id is their own id, exit 0);
 * - `shadowed`: the row's table read again without an alias while the row is named by it (`users.id`): that names
 *   the subquery's own row there.
 * `tableColumns` gives the columns of the table a token names, if the model has it.
 */
export function subqueryAmbiguities(tokens: Token[], row: { table: string; columns: string[] }, tableColumns: (token: Token) => string[] | undefined, rules: IdentifierRules): { bare: string[]; shadowed: boolean } {
  const sig = tokens.filter(significant);
  const inSubquery: boolean[] = [];
  /** Subquery stack, per token: true where a token lies inside a parenthesised SELECT. */
  const depthOf: boolean[] = [];
  const tableAt = new Set<number>();
  const read = new Set<string>();
  let readsRowUnaliased = false;
  let fromListAt = -1;
  const readTable = (j: number): number => {
    if (sig[j]?.text === '(' || (sig[j]?.kind !== 'word' && sig[j]?.kind !== 'quoted')) return j;
    let name = j;
    if (sig[j + 1]?.text === '.' && (sig[j + 2]?.kind === 'word' || sig[j + 2]?.kind === 'quoted')) name = j + 2;
    for (let k = j; k <= name; k++) tableAt.add(k);
    for (const c of tableColumns(sig[name]!) ?? []) read.add(c.toLowerCase());
    let k = name + 1;
    if (keyword(sig[k]) === 'as') k++;
    const alias = (sig[k]?.kind === 'word' && !NOT_ALIAS.has(keyword(sig[k])!)) || sig[k]?.kind === 'quoted';
    if (alias) tableAt.add(k);
    else if (rules.names(sig[name]!, row.table)) readsRowUnaliased = true;
    return alias ? k : name;
  };
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    depthOf[i] = inSubquery.some(Boolean);
    if (t.text === '(') inSubquery.push(['select', 'with'].includes(keyword(sig[i + 1]) ?? ''));
    else if (t.text === ')') {
      inSubquery.pop();
      if (fromListAt > inSubquery.length) fromListAt = -1;
    } else if (keyword(t) === 'from' || keyword(t) === 'join') {
      i = readTable(i + 1);
      fromListAt = inSubquery.length;
    } else if (t.text === ',' && fromListAt === inSubquery.length) i = readTable(i + 1);
    else if (FROM_LIST_END.has(keyword(t) ?? '') && fromListAt === inSubquery.length) fromListAt = -1;
  }
  const bare = row.columns.filter((c) =>
    read.has(c.toLowerCase()) &&
    sig.some((t, i) => depthOf[i] && !tableAt.has(i) && (t.kind === 'word' || t.kind === 'quoted') && rules.names(t, c) &&
      sig[i - 1]?.text !== '.' && sig[i + 1]?.text !== '.' && !(t.kind === 'word' && sig[i + 1]?.text === '(') && !/^(as|collate|::)$/i.test(sig[i - 1]?.text ?? '')),
  );
  const shadowed = readsRowUnaliased && sig.some((t, i) => depthOf[i] && !tableAt.has(i) && rules.names(t, row.table) && sig[i + 1]?.text === '.');
  return { bare, shadowed };
}
