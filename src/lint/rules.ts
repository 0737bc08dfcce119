/**
 * The rules of `xc lint` (SPEC §7): each reads one statement of a `sql`
 * operation's field by its tokens (never a regular expression over the text,
 * which would take a keyword inside a literal or a comment for one) and says
 * what to write instead, preferably the xc operation that does it without
 * downtime.
 */
import { keyword, type Token } from '../dialects/sqltext.js';
import { transactionControl } from '../dialects/postgres/statements.js';

export type RuleCode = 'transaction-control' | 'blocking-index' | 'table-rewrite' | 'set-not-null' | 'validating-constraint' | 'breaks-old-version' | 'long-lock';
export type SqlField = 'expand' | 'contract' | 'rollback';

export interface RuleHit {
  rule: RuleCode;
  severity: 'error';
  message: string;
}

/** Where the statement stands. */
export interface StatementContext {
  field: SqlField;
  /** Read as MySQL / MariaDB (else PostgreSQL). */
  mysql: boolean;
  /** Tables (lower case, unqualified) this migration creates before the statement: new, so nothing reads them yet. */
  createdTables: ReadonlySet<string>;
}

const word = keyword;

/** A name token's value: a bare name lower-cased, a quoted one as written. */
function nameOf(t: Token | undefined): string | undefined {
  if (t?.kind === 'word') return t.text.toLowerCase();
  if (t?.kind === 'quoted') return t.text.slice(1, -1);
  return undefined;
}

/** A possibly qualified name from `i`: its last part and the index after it. */
function qualifiedName(st: Token[], i: number): { name: string | undefined; end: number } {
  let name = nameOf(st[i]);
  let j = i + 1;
  while (st[j]?.text === '.' && st[j + 1]) {
    name = nameOf(st[j + 1]);
    j += 2;
  }
  return { name, end: j };
}

/** `ALTER [ONLINE|IGNORE] TABLE [IF EXISTS] [ONLY] name [*] action, action …`: the table and each action's tokens. */
export function alterTableActions(st: Token[]): { table: string | undefined; actions: Token[][] } | undefined {
  const w = st.map(word);
  if (w[0] !== 'alter') return undefined;
  let i = 1;
  while (w[i] === 'online' || w[i] === 'ignore') i++;
  if (w[i] !== 'table') return undefined;
  i++;
  if (w[i] === 'if' && w[i + 1] === 'exists') i += 2;
  if (w[i] === 'only') i++;
  const { name, end } = qualifiedName(st, i);
  i = end;
  if (st[i]?.text === '*') i++;
  const actions: Token[][] = [[]];
  let depth = 0;
  for (; i < st.length; i++) {
    const t = st[i]!.text;
    if (t === '(') depth++;
    else if (t === ')') depth--;
    if (depth === 0 && t === ',') actions.push([]);
    else actions[actions.length - 1]!.push(st[i]!);
  }
  return { table: name, actions: actions.filter((a) => a.length > 0) };
}

const hit = (rule: RuleCode, message: string): RuleHit => ({ rule, severity: 'error', message });

/** 1. The author's own transaction control: xc commits each field with its journal row (plan refuses it on PostgreSQL). */
function transactionControlRule(st: Token[]): RuleHit | undefined {
  const what = transactionControl(st);
  if (what === undefined) return undefined;
  return hit(
    'transaction-control',
    `${what}: xc runs each field in a transaction it commits together with its journal row; a COMMIT or ROLLBACK of the author's splits that, ` +
      'and a re-run after a failure or crash runs the committed part again. Remove it (use SAVEPOINT / ROLLBACK TO SAVEPOINT inside a field), and split the work into several `sql` operations instead',
  );
}

/** 2. CREATE [UNIQUE] INDEX without CONCURRENTLY on an existing table blocks its writes for the whole build (PostgreSQL). */
function blockingIndex(st: Token[], ctx: StatementContext): RuleHit | undefined {
  if (ctx.mysql) return undefined;
  const w = st.map(word);
  let i = w[1] === 'unique' ? 2 : 1;
  if (w[0] !== 'create' || w[i] !== 'index') return undefined;
  i++;
  if (w[i] === 'concurrently') return undefined;
  const on = w.indexOf('on', i);
  if (on < 0) return undefined;
  let j = on + 1;
  if (w[j] === 'only') j++;
  const table = qualifiedName(st, j).name;
  if (table !== undefined && ctx.createdTables.has(table.toLowerCase())) return undefined;
  return hit(
    'blocking-index',
    `CREATE INDEX on ${table ?? 'a table'} without CONCURRENTLY blocks every write to the table while the index builds; ` +
      'use the addIndex operation, or CREATE INDEX CONCURRENTLY as the only statement of its field',
  );
}

/** 3–6 over ALTER TABLE's actions. */
function alterTableRules(st: Token[], ctx: StatementContext): RuleHit[] {
  const alter = alterTableActions(st);
  if (!alter) return [];
  const out: RuleHit[] = [];
  const table = alter.table ?? 'the table';
  const isNew = alter.table !== undefined && ctx.createdTables.has(alter.table.toLowerCase());
  for (const action of alter.actions) {
    const w = action.map(word);
    if (ctx.mysql) {
      if (!isNew && (w[0] === 'modify' || w[0] === 'change')) {
        out.push(hit('table-rewrite', `ALTER TABLE ${table} ${w[0].toUpperCase()} changes a column in place (a table copy on most changes, the table locked meanwhile, old readers broken); use the alterColumn operation`));
      }
    } else if (w[0] === 'alter' && !isNew) {
      // ALTER [COLUMN] c { [SET DATA] TYPE … | SET NOT NULL | … }
      const c = w[1] === 'column' ? 2 : 1;
      const rest = w.slice(c + 1);
      if (rest[0] === 'type' || (rest[0] === 'set' && rest[1] === 'data' && rest[2] === 'type')) {
        out.push(hit('table-rewrite', `ALTER TABLE ${table} ALTER COLUMN … TYPE rewrites the table under an ACCESS EXCLUSIVE lock and breaks the old version's reads and writes; use the alterColumn operation`));
      } else if (rest[0] === 'set' && rest[1] === 'not' && rest[2] === 'null') {
        out.push(hit('set-not-null', `ALTER TABLE ${table} ALTER COLUMN … SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock and refuses the old version's NULLs; use the setNotNull operation`));
      }
    }
    if (!ctx.mysql && w[0] === 'add' && !isNew) {
      // ADD [CONSTRAINT name] { FOREIGN KEY | CHECK } … [NOT VALID]
      const k = w[1] === 'constraint' ? 3 : 1;
      const kind = w[k] === 'foreign' ? 'FOREIGN KEY' : w[k] === 'check' ? 'CHECK' : undefined;
      const notValid = w.some((x, i) => x === 'not' && w[i + 1] === 'valid');
      if (kind !== undefined && !notValid) {
        out.push(hit('validating-constraint', `ADD CONSTRAINT … ${kind} without NOT VALID checks every row of ${table} while holding a lock that blocks writes; use the ${kind === 'CHECK' ? 'addCheck' : 'addForeignKey'} (or createConstraint) operation, or add it NOT VALID and VALIDATE CONSTRAINT in a later field`));
      }
    }
    if (ctx.field === 'expand' && !isNew) {
      if (w[0] === 'drop' && !['constraint', 'index', 'key', 'primary', 'foreign', 'check', 'partition'].includes(w[1] ?? '')) {
        out.push(hit('breaks-old-version', `ALTER TABLE ${table} DROP COLUMN at expand: the old version still runs during expand and reads that column; use the dropColumn operation, or put the drop in \`contract\``));
      } else if (w[0] === 'rename' && !['constraint', 'index', 'key'].includes(w[1] ?? '')) {
        const what = w[1] === 'to' || w[1] === 'as' ? 'renameTable' : 'renameColumn';
        out.push(hit('breaks-old-version', `ALTER TABLE ${table} RENAME at expand: the old version still runs during expand and uses the old name; use the ${what} operation`));
      }
    }
  }
  return out;
}

/** 6. DROP TABLE / RENAME TABLE at expand. */
function breaksOldVersion(st: Token[], ctx: StatementContext): RuleHit | undefined {
  if (ctx.field !== 'expand') return undefined;
  const w = st.map(word);
  if (w[0] === 'drop' && (w[1] === 'table' || (w[1] === 'temporary' && w[2] === 'table'))) {
    if (w[1] === 'temporary') return undefined;
    let i = 2;
    if (w[i] === 'if' && w[i + 1] === 'exists') i += 2;
    const table = qualifiedName(st, i).name;
    if (table !== undefined && ctx.createdTables.has(table.toLowerCase())) return undefined;
    return hit('breaks-old-version', `DROP TABLE at expand: the old version still runs during expand and uses ${table ?? 'the table'}; use the dropTable operation, or put the drop in \`contract\``);
  }
  if (w[0] === 'rename' && w[1] === 'table') {
    return hit('breaks-old-version', 'RENAME TABLE at expand: the old version still runs during expand and uses the old name; use the renameTable operation');
  }
  return undefined;
}

/** 7. Statements that hold a lock blocking reads or writes for as long as the table takes. */
function longLock(st: Token[], ctx: StatementContext): RuleHit | undefined {
  if (ctx.field === 'contract') return undefined;
  const w = st.map(word);
  let what: string | undefined;
  if (w[0] === 'lock' && (w[1] === 'table' || w[1] === 'tables' || (!ctx.mysql && w[1] !== undefined))) what = 'LOCK TABLE';
  else if (w[0] === 'vacuum' && (w[1] === 'full' || (st[1]?.text === '(' && w.slice(2, st.findIndex((t) => t.text === ')')).includes('full')))) what = 'VACUUM FULL';
  else if (w[0] === 'cluster') what = 'CLUSTER';
  else if (w[0] === 'truncate') what = 'TRUNCATE';
  if (what === undefined) return undefined;
  return hit('long-lock', `${what} at ${ctx.field} holds a lock that blocks the running version's reads or writes for as long as it takes; run it outside the migration, off-peak, or (TRUNCATE) delete in batches with a \`sql\` backfill`);
}

/** Every rule's finding on one statement (its significant tokens). */
export function lintStatement(st: Token[], ctx: StatementContext): RuleHit[] {
  return [transactionControlRule(st), blockingIndex(st, ctx), ...alterTableRules(st, ctx), breaksOldVersion(st, ctx), longLock(st, ctx)].filter((h): h is RuleHit => h !== undefined);
}

/** The table a `CREATE [TEMP…|UNLOGGED] TABLE [IF NOT EXISTS] name` creates (lower case, unqualified), else undefined. */
export function createdTable(st: Token[]): string | undefined {
  const w = st.map(word);
  if (w[0] !== 'create') return undefined;
  let i = 1;
  if (w[i] === 'or' && w[i + 1] === 'replace') i += 2;
  while (['global', 'local', 'temp', 'temporary', 'unlogged'].includes(w[i] ?? '')) i++;
  if (w[i] !== 'table') return undefined;
  i++;
  if (w[i] === 'if' && w[i + 1] === 'not' && w[i + 2] === 'exists') i += 3;
  return qualifiedName(st, i).name?.toLowerCase();
}
