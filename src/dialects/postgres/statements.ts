/**
 * An author's raw SQL (the `sql` operation), read by its tokens — never by a
 * regular expression over the text, which would take a word inside a string
 * literal, a quoted name or a comment (`'refreshed concurrently'`) for a
 * keyword: which statements it holds, which of them PostgreSQL runs only
 * outside a transaction block (so xc cannot commit them with their journal
 * row), and the index a `CREATE INDEX CONCURRENTLY` builds.
 */
import { keyword, splitStatements, type Token } from '../sqltext.js';
import { pgTokens } from './text.js';

/**
 * The statements of `sql`, split at each `;` outside literals, quoted names,
 * dollar-quoted bodies and comments, each as its significant tokens (no
 * whitespace, no comments); empty statements dropped. A SQL-standard function
 * body (`BEGIN ATOMIC … END`) is split too: only the number of statements and
 * how each begins are read from this, and no statement such a body can hold
 * begins like one run outside a transaction.
 */
export function pgStatements(sql: string): Token[][] {
  return splitStatements(pgTokens(sql));
}

const word = keyword;

/** The value of a name token: a bare name folded to lower case, a quoted one as written. */
function identifier(t: Token | undefined): string | undefined {
  if (t?.kind === 'word') return t.text.toLowerCase();
  if (t?.kind === 'quoted' && t.text.startsWith('"')) return t.text.slice(1, -1).replace(/""/g, '"');
  return undefined;
}

/**
 * What the statement is, when PostgreSQL refuses to run it inside a
 * transaction block ("cannot run inside a transaction block"); undefined for
 * every other statement.
 */
export function outsideTransaction(st: Token[]): string | undefined {
  const w = st.map(word);
  const [a, b, c, d] = w;
  if (a === 'vacuum') return 'VACUUM';
  if (a === 'create' && ((b === 'index' && c === 'concurrently') || (b === 'unique' && c === 'index' && d === 'concurrently'))) return 'CREATE INDEX CONCURRENTLY';
  if (a === 'drop' && b === 'index' && c === 'concurrently') return 'DROP INDEX CONCURRENTLY';
  if (a === 'reindex') {
    // REINDEX [ ( option, … ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
    let i = 1;
    if (st[1]?.text === '(') {
      let depth = 0;
      for (; i < st.length; i++) {
        if (st[i]!.text === '(') depth++;
        else if (st[i]!.text === ')' && --depth === 0) break;
      }
      i++;
    }
    const kind = w[i];
    if (w[i + 1] === 'concurrently' || kind === 'schema' || kind === 'database' || kind === 'system') return `REINDEX ${kind?.toUpperCase() ?? ''}${w[i + 1] === 'concurrently' ? ' CONCURRENTLY' : ''}`.trim();
  }
  if (a === 'alter' && b === 'system') return 'ALTER SYSTEM';
  if ((a === 'create' || a === 'drop') && (b === 'database' || b === 'tablespace' || b === 'subscription')) return `${a.toUpperCase()} ${b.toUpperCase()}`;
  if (a === 'alter' && b === 'database' && w[3] === 'set' && w[4] === 'tablespace') return 'ALTER DATABASE … SET TABLESPACE';
  if (a === 'alter' && b === 'subscription' && w.includes('refresh')) return 'ALTER SUBSCRIPTION … REFRESH';
  if (a === 'alter' && b === 'table' && w.includes('detach') && w[w.length - 1] === 'concurrently') return 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY';
  return undefined;
}

/** A ROLLBACK's words (`w[0]`) go on `[WORK | TRANSACTION] TO …`: to a savepoint, no end of the transaction. */
const rollsBackToSavepoint = (w: (string | undefined)[]): boolean => (w[1] === 'work' || w[1] === 'transaction' ? w[2] : w[1]) === 'to';

/**
 * `sql` as PL/pgSQL's parser can read it (the syntax check compiles it as a function body): a `ROLLBACK [WORK |
 * TRANSACTION] TO [SAVEPOINT] name`, which SQL has and PL/pgSQL's own ROLLBACK statement (no TO) has not, read as
 * `NULL`. Everything else, comments and literals included, as written.
 */
export function forPlpgsqlParser(sql: string): string {
  const out: string[] = [];
  let statement: Token[] = [];
  const flush = () => {
    const w = splitStatements(statement)[0]?.map(word) ?? [];
    out.push(w[0] === 'rollback' && rollsBackToSavepoint(w) ? ' NULL' : statement.map((t) => t.text).join(''));
    statement = [];
  };
  for (const t of pgTokens(sql)) {
    if (t.kind === 'other' && t.text === ';') {
      flush();
      out.push(';');
    } else statement.push(t);
  }
  flush();
  return out.join('');
}

/**
 * BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (not ROLLBACK [WORK | TRANSACTION] TO a savepoint), ABORT, PREPARE
 * TRANSACTION: what opens or ends a transaction block (the same words on MySQL/MariaDB). Its words only: the `END` of a
 * function body split off as a statement of its own is the caller's to tell apart.
 */
export function transactionControl(st: Token[]): string | undefined {
  const w = st.map(word);
  const [a, b] = w;
  if (a === 'begin' || a === 'commit' || a === 'end' || a === 'abort') return a.toUpperCase();
  if (a === 'start' && b === 'transaction') return 'START TRANSACTION';
  if (a === 'rollback' && !rollsBackToSavepoint(w)) return 'ROLLBACK';
  if (a === 'prepare' && b === 'transaction') return 'PREPARE TRANSACTION';
  return undefined;
}

/** The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table …` builds. */
export interface ConcurrentIndexBuild {
  /** As the catalog names it; absent when the statement leaves the name to PostgreSQL. */
  name?: string;
  /** The table as written (qualified, quoted), for to_regclass. */
  table: string;
  /** The table's own name when written unqualified, for naming blockers. */
  tableName?: string;
  ifNotExists: boolean;
}

export function concurrentIndexBuild(st: Token[]): ConcurrentIndexBuild | undefined {
  if (outsideTransaction(st) !== 'CREATE INDEX CONCURRENTLY') return undefined;
  const w = st.map(word);
  let i = w[1] === 'unique' ? 4 : 3;
  const ifNotExists = w[i] === 'if' && w[i + 1] === 'not' && w[i + 2] === 'exists';
  if (ifNotExists) i += 3;
  let name: string | undefined;
  // A name, unless ON comes at once (an index named "on" is written quoted, or followed by ON itself).
  if (!(w[i] === 'on' && w[i + 1] !== 'on')) {
    name = identifier(st[i]);
    if (name === undefined) return undefined;
    i++;
  }
  if (w[i] !== 'on') return undefined;
  i++;
  if (w[i] === 'only') i++;
  const parts: Token[] = [];
  for (; i < st.length && st[i]!.text !== '(' && w[i] !== 'using'; i++) parts.push(st[i]!);
  if (parts.length === 0) return undefined;
  const tableName = parts.length === 1 ? identifier(parts[0]) : undefined;
  return { ...(name !== undefined ? { name } : {}), table: parts.map((t) => t.text).join(''), ...(tableName !== undefined ? { tableName } : {}), ifNotExists };
}

/**
 * Why `sql` cannot run as one field of a `sql` operation, or undefined: a
 * statement PostgreSQL runs only outside a transaction block among others,
 * which PostgreSQL runs as one implicit transaction — it would fail at apply.
 */
export function pgRawSqlIssue(sql: string): string | undefined {
  const statements = pgStatements(sql);
  // A SQL-standard function body (BEGIN ATOMIC … END;) is split into statements too: its END closes no transaction.
  const atomic = statements.some((st) => st.some((t, i) => word(t) === 'begin' && word(st[i + 1]) === 'atomic'));
  const control = statements.map(transactionControl).find((k) => k !== undefined && !(atomic && k === 'END'));
  if (control !== undefined) {
    return (
      `holds ${control}: xc runs each field in a transaction with its journal row, so that a crash or a failure leaves both or neither and a re-run never runs a completed statement again — ` +
      `the author's ${control} breaks that (what it commits would run again on a re-run). Leave transaction control out; split the work into \`sql\` operations instead`
    );
  }
  if (statements.length < 2) return undefined;
  const outside = statements.map(outsideTransaction).find((k) => k !== undefined);
  if (outside === undefined) return undefined;
  return (
    `holds ${statements.length} statements, one of them ${outside}, which PostgreSQL runs only outside a transaction block — ` +
    `several statements sent as one text run as one transaction, so it would fail at apply ("cannot run inside a transaction block"). ` +
    `Put the ${outside} statement in a \`sql\` operation of its own (one statement in its field), and the other statements in another`
  );
}
