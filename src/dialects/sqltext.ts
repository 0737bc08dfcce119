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
  /** Bare words (lower-cased) that never name a column unqualified: reserved words, and those that mean a value (CURRENT_DATE). */
  reserved?: ReadonlySet<string>;
}

const significant = (t: Token) => t.kind !== 'space' && t.kind !== 'comment';

/** The index of the significant token `step` places after (1) or before (-1) position `i`, or -1. */
function nearAt(tokens: Token[], i: number, step: 1 | -1): number {
  for (let j = i + step; j >= 0 && j < tokens.length; j += step) if (significant(tokens[j]!)) return j;
  return -1;
}

/** The significant token `step` places after (1) or before (-1) position `i`, if any. */
function near(tokens: Token[], i: number, step: 1 | -1): Token | undefined {
  return tokens[nearAt(tokens, i, step)];
}

const isName = (t: Token | undefined) => t?.kind === 'word' || t?.kind === 'quoted';

/**
 * Where the reference to `column` at token `i` starts, or -1 where token `i` refers to no column of the row of
 * `table`. A reference is an identifier of that name, bare or qualified by the table's name (`t.col`, and
 * `schema.t.col`, from its first part), that is not a function (a bare word before `(`), not a qualifier itself, not
 * another table's column (`p.col`), not a type (after `::` or AS, or before a literal) nor a collation (after COLLATE),
 * nor, bare, a word the dialect reserves. `t.col` inside a subquery that reads `t` again, or aliases another table
 * `t`, names that subquery's row: plan refuses it (`subqueryAmbiguities`, `shadowed`).
 */
function referenceAt(tokens: Token[], i: number, column: string, rules: IdentifierRules, table: string): number {
  const t = tokens[i]!;
  if (!isName(t) || !rules.names(t, column)) return -1;
  const after = near(tokens, i, 1)?.text;
  const before = nearAt(tokens, i, -1);
  if ((t.kind === 'word' && after === '(') || after === '.' || tokens[before]?.text === '::') return -1;
  if (tokens[before]?.text !== '.') {
    // Bare: a reserved word is what it reserves (`DESC`, `current_date`), and a word before a string is its type
    // (`interval '1 year'`, `DATE '2000-01-01'`) — neither the column of that name (campaign EL).
    if (t.kind === 'word' && (rules.reserved?.has(t.text.toLowerCase()) || near(tokens, i, 1)?.kind === 'string')) return -1;
    return /^(as|collate)$/i.test(tokens[before]?.text ?? '') ? -1 : i;
  }
  let start = nearAt(tokens, before, -1);
  if (!isName(tokens[start]) || !rules.names(tokens[start]!, table)) return -1;
  for (let dot = nearAt(tokens, start, -1); tokens[dot]?.text === '.' && isName(near(tokens, dot, -1)); dot = nearAt(tokens, start, -1)) start = nearAt(tokens, dot, -1);
  return start;
}

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

/** Which of `columns` of the row of `table` the text refers to, outside literals and comments. */
export function columnsNamed(tokens: Token[], columns: string[], rules: IdentifierRules, table: string): string[] {
  return columns.filter((c) => tokens.some((_, i) => referenceAt(tokens, i, c, rules, table) >= 0));
}

/** The text with every reference to column `from` of the row of `table` written as `to`, quoted (a qualifier kept). */
export function replaceIdentifier(tokens: Token[], from: string, to: string, rules: IdentifierRules, table: string): string {
  return tokens.map((t, i) => (referenceAt(tokens, i, from, rules, table) >= 0 ? rules.quote(to) : t.text)).join('');
}

/**
 * The text with the row's table `from`, where it qualifies a column (`from.col`, `schema.from.col`), named `to`,
 * quoted: the expression over the table renamed (a MySQL check trigger's text keeps the name it was made under).
 */
export function requalify(tokens: Token[], from: string, to: string, rules: IdentifierRules): string {
  return tokens
    .map((t, i) => {
      const dot = nearAt(tokens, i, 1);
      const column = nearAt(tokens, dot, 1);
      const qualifies = isName(t) && rules.names(t, from) && tokens[dot]?.text === '.' && isName(tokens[column]) && !['.', '('].includes(near(tokens, column, 1)?.text ?? '');
      return qualifies ? rules.quote(to) : t.text;
    })
    .join('');
}

/** The text with each reference to `column` of the row of `table`, its qualifier included, replaced by `value` (SQL, parenthesised here). */
export function substituteColumn(tokens: Token[], column: string, value: string, rules: IdentifierRules, table: string): string {
  const out = tokens.map((t) => t.text);
  tokens.forEach((_, i) => {
    const start = referenceAt(tokens, i, column, rules, table);
    if (start >= 0) out.splice(start, i - start + 1, `(${value})`, ...Array<string>(i - start).fill(''));
  });
  return out.join('');
}

/** Why an expression ending inside `what` (a literal or comment) cannot be embedded: `rest`, the expression from where it opens. */
export const unclosedIssue = (what: string, rest: string) =>
  `ends inside ${what} that is never closed (${JSON.stringify(rest.slice(0, 24))}…), which would take in the SQL xc writes after the expression`;

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

/** A parenthesised group: a subquery (SELECT, WITH) and what its FROM reads, or any other (a call, a list). */
interface Group {
  subquery: boolean;
  read: Set<string>;
  /** It reads something whose columns are not known: a derived table, a table the model does not have. */
  unseen: boolean;
  /** It names a table as the row's is named: the row's own table read again without an alias, or any table so aliased (`FROM posts t`). */
  rebindsRow: boolean;
}

/**
 * Where a subquery of an expression over one row reads a name otherwise than the statements that evaluate it agree
 * on. The backfill's UPDATE names the row by its table and SQL reads a bare name in a subquery from the subquery's
 * tables first; a MySQL/MariaDB trigger has the row's columns rewritten to NEW.`c`, bare ones in subqueries included.
 * In a subquery:
 * - `bare`: a bare name that is a column of the row and of a table the subquery reads — SQL reads the subquery's,
 *   a MySQL trigger the row's, and which one the author meant cannot be told (a Rails counter cache's
 *   `p.user_id = id` counted the posts whose user_id is their own id, exit 0);
 * - `unseen`: a bare name of the row's in a subquery reading what xc cannot see the columns of (a derived table,
 *   another schema's or database's table): the same, unknown (campaign AD: MariaDB's rows disagreed);
 * - `shadowed`: `users.col` inside a subquery that reads the row's table `users` again without an alias, or another
 *   table aliased `users` (campaign AL: `FROM posts t` … `t.a` was rewritten by a rename of the row's `a`): that names
 *   the subquery's own row there.
 * `tableColumns` gives the columns of the table a token names, if the model has it.
 */
export function subqueryAmbiguities(tokens: Token[], row: { table: string; columns: string[] }, tableColumns: (token: Token) => string[] | undefined, rules: IdentifierRules): { bare: string[]; unseen: string[]; shadowed: boolean } {
  const sig = tokens.filter(significant);
  const stack: Group[] = [];
  /** The groups each token lies in, innermost last: read once the whole text is (a SELECT list comes before its FROM). */
  const within: Group[][] = [];
  /** Tokens that name no value: tables, aliases, USING's columns. */
  const notValue = new Set<number>();
  let fromListAt = -1;
  const top = () => stack.at(-1);
  /** Reads the table at `j` (a FROM or JOIN item, or one after a comma in a FROM list); returns the last index it took. */
  const readTable = (j: number): number => {
    const g = top()!;
    if (sig[j]?.text === '(') {
      g.unseen = true; // a derived table (read by the loop as a group of its own)
      return j - 1;
    }
    if (!isName(sig[j])) return j - 1;
    let name = j;
    while (sig[name + 1]?.text === '.' && isName(sig[name + 2])) name += 2;
    for (let k = j; k <= name; k++) notValue.add(k);
    // Qualified, read as the table of that name here: the schema's own (public.posts); another's of that name alike.
    const columns = tableColumns(sig[name]!);
    if (columns === undefined) g.unseen = true;
    for (const c of columns ?? []) g.read.add(c.toLowerCase());
    let k = name + 1;
    if (keyword(sig[k]) === 'as') k++;
    const alias = (sig[k]?.kind === 'word' && !NOT_ALIAS.has(keyword(sig[k])!)) || sig[k]?.kind === 'quoted';
    if (alias) notValue.add(k);
    if (alias ? rules.names(sig[k]!, row.table) : name === j && rules.names(sig[name]!, row.table)) g.rebindsRow = true;
    return alias ? k : name;
  };
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    within[i] = [...stack];
    // The row's table's name standing alone in a subquery, not followed by an alias: an alias of a derived table or a
    // parenthesised join (`(SELECT 5 AS a) t`, `(p t)`; campaign AN), which readTable does not see.
    const next = sig[i + 1];
    const aliased = keyword(next) === 'as' || (next?.kind === 'word' && !NOT_ALIAS.has(keyword(next)!)) || next?.kind === 'quoted';
    if (isName(t) && rules.names(t, row.table) && next?.text !== '.' && sig[i - 1]?.text !== '.' && !aliased) {
      const query = stack.filter((g) => g.subquery).at(-1);
      if (query) query.rebindsRow = true;
    }
    if (t.text === '(') {
      stack.push({ subquery: ['select', 'with'].includes(keyword(sig[i + 1]) ?? ''), read: new Set(), unseen: false, rebindsRow: false });
      if (keyword(sig[i - 1]) === 'using') for (let k = i + 1; k < sig.length && sig[k]!.text !== ')'; k++) notValue.add(k);
    } else if (t.text === ')') {
      stack.pop();
      if (fromListAt > stack.length) fromListAt = -1;
    } else if (!top()?.subquery) continue; // FROM in a call (EXTRACT(YEAR FROM d), SUBSTRING(s FROM 2)) reads no table
    else if (keyword(t) === 'from' || keyword(t) === 'join') {
      i = readTable(i + 1);
      fromListAt = stack.length;
    } else if (t.text === ',' && fromListAt === stack.length) i = readTable(i + 1);
    else if (FROM_LIST_END.has(keyword(t) ?? '') && fromListAt === stack.length) fromListAt = -1;
  }
  const inQuery = (i: number) => (within[i] ?? []).filter((g) => g.subquery);
  const value = (t: Token, i: number) =>
    !notValue.has(i) && isName(t) && sig[i - 1]?.text !== '.' && sig[i + 1]?.text !== '.' && !(t.kind === 'word' && sig[i + 1]?.text === '(') && !/^(as|collate|::)$/i.test(sig[i - 1]?.text ?? '');
  const uses = (c: string, seen: (groups: Group[]) => boolean) => sig.some((t, i) => value(t, i) && rules.names(t, c) && inQuery(i).length > 0 && seen(inQuery(i)));
  const bare = row.columns.filter((c) => uses(c, (gs) => gs.some((g) => g.read.has(c.toLowerCase()))));
  const unseen = row.columns.filter((c) => !bare.includes(c) && uses(c, (gs) => gs.some((g) => g.unseen)));
  const shadowed = sig.some((t, i) => !notValue.has(i) && isName(t) && rules.names(t, row.table) && sig[i + 1]?.text === '.' && sig[i - 1]?.text !== '.' && inQuery(i).some((g) => g.rebindsRow));
  return { bare, unseen, shadowed };
}
