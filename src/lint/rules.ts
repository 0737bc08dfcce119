/**
 * The rules of `xc lint` (SPEC §7): each reads one statement of a `sql`
 * operation's field by its tokens (never a regular expression over the text,
 * which would take a keyword inside a literal or a comment for one) and says
 * what to write instead, preferably the xc operation that does it without
 * downtime.
 */
import { keyword, type Token } from '../dialects/sqltext.js';
import { transactionControl } from '../dialects/postgres/statements.js';

export type RuleCode = 'transaction-control' | 'several-statements' | 'blocking-index' | 'table-rewrite' | 'set-not-null' | 'validating-constraint' | 'breaks-old-version' | 'long-lock' | 'unknown-rule';

/** The rules a field's `-- xc-lint ignore RULE` comment may name ('unknown-rule' is the finding for one it may not). */
export const RULES: readonly RuleCode[] = ['transaction-control', 'several-statements', 'blocking-index', 'table-rewrite', 'set-not-null', 'validating-constraint', 'breaks-old-version', 'long-lock'];
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
  /** Tables this migration creates before the statement, by nameKey: new, so nothing reads them yet. */
  createdTables: ReadonlySet<string>;
  /** Indexes made before the statement over those tables, by nameKey (in the table's schema): dropping one blocks no one. */
  createdIndexes?: ReadonlySet<string>;
}

const word = keyword;

/** A name token's value: a bare name lower-cased, a quoted one as written. */
function nameOf(t: Token | undefined): string | undefined {
  if (t?.kind === 'word') return t.text.toLowerCase();
  if (t?.kind === 'quoted') return t.text.slice(1, -1);
  return undefined;
}

/**
 * A possibly qualified name from `i`: its last part, each part (`parts`, read as nameOf reads them), the whole as
 * written (for messages), and the index after it.
 */
function qualifiedName(st: Token[], i: number): { name: string | undefined; parts: (string | undefined)[]; shown: string | undefined; end: number } {
  const parts = [nameOf(st[i])];
  let j = i + 1;
  while (st[j]?.text === '.' && st[j + 1]) {
    parts.push(nameOf(st[j + 1]));
    j += 2;
  }
  const name = parts.at(-1);
  return { name, parts, shown: name === undefined ? undefined : st.slice(i, j).map((t) => t.text).join(''), end: j };
}

/**
 * A name as the server tells names apart, qualified as written: PostgreSQL folds a bare name to lower case and keeps a
 * quoted one (`"I"` is no `i`: campaign BD); MySQL/MariaDB, in any case (lower_case_table_names may be either). `s.i`
 * and `i` stay two names: an index is made in its table's schema, which a name left unqualified may not be.
 */
export const nameKey = (parts: (string | undefined)[], mysql: boolean): string | undefined =>
  parts.some((p) => p === undefined) ? undefined : parts.map((p) => (mysql ? p!.toLowerCase() : p!)).join('.');

/** `ALTER [ONLINE|IGNORE] TABLE [IF EXISTS] [ONLY] name [*] action, action …`: the table and each action's tokens. */
export function alterTableActions(st: Token[]): { table: (string | undefined)[]; shown: string | undefined; actions: Token[][] } | undefined {
  const w = st.map(word);
  if (w[0] !== 'alter') return undefined;
  let i = 1;
  while (w[i] === 'online' || w[i] === 'ignore') i++;
  if (w[i] !== 'table') return undefined;
  i++;
  if (w[i] === 'if' && w[i + 1] === 'exists') i += 2;
  if (w[i] === 'only') i++;
  const { parts, shown, end } = qualifiedName(st, i);
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
  return { table: parts, shown, actions: actions.filter((a) => a.length > 0) };
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

/** 2. CREATE [UNIQUE] INDEX or REINDEX without CONCURRENTLY on an existing table blocks its writes for the whole build; DROP INDEX queues every query (PostgreSQL). */
function blockingIndex(st: Token[], ctx: StatementContext): RuleHit | undefined {
  if (ctx.mysql) return undefined;
  const w = st.map(word);
  if (w[0] === 'reindex' && (w[1] === 'index' || w[1] === 'table') && w[2] !== 'concurrently') {
    return hit('blocking-index', `REINDEX ${w[1].toUpperCase()} without CONCURRENTLY blocks every write to the table while it rebuilds; use REINDEX ${w[1].toUpperCase()} CONCURRENTLY as the only statement of its field`);
  }
  if (w[0] === 'drop' && w[1] === 'index' && w[2] !== 'concurrently') {
    // DROP INDEX a, s.b: each named must be one made over a table the field created.
    const made: boolean[] = [];
    for (let i = w[2] === 'if' && w[3] === 'exists' ? 4 : 2; ; ) {
      const { parts, end } = qualifiedName(st, i);
      made.push(madeHere(ctx.createdIndexes, parts, false));
      if (st[end]?.text !== ',') break;
      i = end + 1;
    }
    if (made.every((m) => m)) return undefined;
    return hit('blocking-index', 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table: it waits for every query running on it, and every read and write queues behind it meanwhile; use the dropIndex operation, or DROP INDEX CONCURRENTLY as the only statement of its field');
  }
  let i = w[1] === 'unique' ? 2 : 1;
  if (w[0] !== 'create' || w[i] !== 'index') return undefined;
  i++;
  if (w[i] === 'concurrently') return undefined;
  const on = w.indexOf('on', i);
  if (on < 0) return undefined;
  let j = on + 1;
  if (w[j] === 'only') j++;
  const { parts, shown } = qualifiedName(st, j);
  if (isCreated(parts, ctx)) return undefined;
  return hit(
    'blocking-index',
    `CREATE INDEX on ${shown ?? 'a table'} without CONCURRENTLY blocks every write to the table while the index builds; ` +
      'use the addIndex operation, or CREATE INDEX CONCURRENTLY as the only statement of its field',
  );
}

/** 3–6 over ALTER TABLE's actions. */
function alterTableRules(st: Token[], ctx: StatementContext): RuleHit[] {
  const alter = alterTableActions(st);
  if (!alter) return [];
  const out: RuleHit[] = [];
  const table = alter.shown ?? 'the table';
  const isNew = isCreated(alter.table, ctx);
  for (const action of alter.actions) {
    const w = action.map(word);
    if (ctx.mysql) {
      // CHANGE [COLUMN] [IF EXISTS] old new type: a rename where the names differ (Sequelize's renameColumn on MariaDB,
      // campaign BI) — at expand it breaks the old version; elsewhere it is MODIFY's table copy still (campaign BL).
      let c = w[1] === 'column' ? 2 : 1;
      if (w[c] === 'if' && w[c + 1] === 'exists') c += 2;
      const renames = w[0] === 'change' && nameOf(action[c]) !== undefined && nameOf(action[c])!.toLowerCase() !== nameOf(action[c + 1])?.toLowerCase();
      if (!isNew && renames && ctx.field === 'expand') {
        out.push(hit('breaks-old-version', `ALTER TABLE ${table} CHANGE renames a column at expand: the old version still runs during expand and uses the old name; use the renameColumn operation (alterColumn with \`to\` for a new type too)`));
      } else if (!isNew && (w[0] === 'modify' || w[0] === 'change')) {
        out.push(hit('table-rewrite', `ALTER TABLE ${table} ${w[0].toUpperCase()} changes a column in place (a table copy on most changes, the table locked meanwhile, old readers broken); use the alterColumn operation`));
      }
    } else if (w[0] === 'alter' && !isNew) {
      // ALTER [COLUMN] c { [SET DATA] TYPE … | SET NOT NULL | … }
      const c = w[1] === 'column' ? 2 : 1;
      const rest = w.slice(c + 1);
      if (rest[0] === 'type' || (rest[0] === 'set' && rest[1] === 'data' && rest[2] === 'type')) {
        // To text or a varchar, PostgreSQL changes only the catalog where the column is text-like already and no shorter
        // (campaign BX): lint reads no catalog, so it says so, and how to say "I know" (`-- xc-lint ignore table-rewrite`).
        const to = w[rest[0] === 'type' ? c + 2 : c + 4];
        const textLike = to === 'text' || to === 'varchar' || to === 'citext' || (to === 'character' && w.includes('varying'));
        const unless = textLike ? ` (unless the column is text or a varchar no longer than this already: then only the catalog changes, which lint cannot read — alterColumn reads it, and \`-- xc-lint ignore table-rewrite\` in the field says you know)` : '';
        out.push(hit('table-rewrite', `ALTER TABLE ${table} ALTER COLUMN … TYPE rewrites the table under an ACCESS EXCLUSIVE lock and breaks the old version's reads and writes${unless}; use the alterColumn operation`));
      } else if (rest[0] === 'set' && rest[1] === 'not' && rest[2] === 'null') {
        out.push(hit('set-not-null', `ALTER TABLE ${table} ALTER COLUMN … SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock and refuses the old version's NULLs; use the setNotNull operation`));
      }
    }
    // PostgreSQL rewrites (or copies) the whole table under ACCESS EXCLUSIVE for these (SET LOGGED also writes it all to the WAL).
    if (!ctx.mysql && !isNew && w[0] === 'set' && (w[1] === 'logged' || w[1] === 'unlogged' || w[1] === 'tablespace' || (w[1] === 'access' && w[2] === 'method'))) {
      const what = w[1] === 'access' ? 'SET ACCESS METHOD' : `SET ${w[1]!.toUpperCase()}`;
      out.push(hit('table-rewrite', `ALTER TABLE ${table} ${what} rewrites the whole table under an ACCESS EXCLUSIVE lock: every read and write of it waits until it is done; run it in a maintenance window, outside the migration`));
    }
    if (w[0] === 'add' && !isNew) out.push(...addActionRules(action, ctx, table));
    // MariaDB/MySQL drop a primary key only with a table copy (1846: "not allowed without also adding a new primary key") (campaign BK).
    if (ctx.mysql && !isNew && w[0] === 'drop' && w[1] === 'primary' && !alter.actions.some((a) => word(a[0]!) === 'add' && word(a[1]!) === 'primary')) {
      out.push(hit('table-rewrite', `ALTER TABLE ${table} DROP PRIMARY KEY copies the table (the server refuses it online unless a new primary key is added in the same statement), writes blocked meanwhile; change the key with createConstraint and dropConstraint, or in a maintenance window`));
    }
    if (ctx.mysql && !isNew && w[0] === 'convert' && w[1] === 'to') {
      out.push(hit('table-rewrite', `ALTER TABLE ${table} CONVERT TO CHARACTER SET rewrites every text column (a table copy, writes blocked meanwhile); change each column with the alterColumn operation`));
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

/** Functions whose value differs per row: as a new column's DEFAULT they make PostgreSQL rewrite the table. */
const MYSQL_VOLATILE = new Set(['uuid', 'uuid_short', 'rand', 'sys_guid', 'sysdate']);
const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

/** ALTER TABLE's ADD on an existing table: a key, a constraint, or a column with what makes it costly. */
function addActionRules(action: Token[], ctx: StatementContext, table: string): RuleHit[] {
  const w = action.map(word);
  const out: RuleHit[] = [];
  const k = w[1] === 'constraint' ? 3 : 1; // ADD [CONSTRAINT name] …
  const notValid = w.some((x, i) => x === 'not' && w[i + 1] === 'valid');
  const constraint = w[k] === 'foreign' ? 'FOREIGN KEY' : w[k] === 'check' ? 'CHECK' : undefined;
  const operation = (kind: string) => (kind === 'CHECK' ? 'addCheck' : 'addForeignKey');
  if (constraint !== undefined) {
    // MySQL/MariaDB have no NOT VALID: the key is checked over every row (a foreign key added with checks on copies the table).
    // One written NOT VALID is PostgreSQL's (a syntax error to MySQL), met when a file is read both ways.
    if (ctx.mysql && !notValid) out.push(hit('validating-constraint', `ADD CONSTRAINT … ${constraint} checks every row of ${table} as it is added (no NOT VALID here)${constraint === 'FOREIGN KEY' ? ', a foreign key by copying the table' : ''}; use the ${operation(constraint)} (or createConstraint) operation`));
    else if (!notValid) out.push(hit('validating-constraint', `ADD CONSTRAINT … ${constraint} without NOT VALID checks every row of ${table} while holding a lock that blocks writes; use the ${operation(constraint)} (or createConstraint) operation, or add it NOT VALID and VALIDATE CONSTRAINT in a later field`));
    return out;
  }
  if (w[k] === 'unique' || w[k] === 'primary') {
    // PostgreSQL builds its index under ACCESS EXCLUSIVE, unless it takes one built CONCURRENTLY (USING INDEX).
    if (!ctx.mysql && !w.includes('using')) out.push(hit('blocking-index', `ADD ${w[k] === 'unique' ? 'UNIQUE' : 'PRIMARY KEY'} on ${table} builds its index while every read and write of the table waits; use the createConstraint operation, or CREATE UNIQUE INDEX CONCURRENTLY and then ADD CONSTRAINT … USING INDEX`));
    return out;
  }
  if (['constraint', 'index', 'key', 'fulltext', 'spatial', 'partition'].includes(w[1] ?? '')) return out;
  // MySQL's ADD [COLUMN] (definition, …): each definition read as an ADD of its own (campaign AW: the list was not read).
  let list = w[1] === 'column' ? 2 : 1;
  if (w[list] === 'if' && w[list + 1] === 'not' && w[list + 2] === 'exists') list += 3; // MariaDB's ADD IF NOT EXISTS (…) (campaign BD)
  if (action[list]?.text === '(') return columnList(action.slice(list)).flatMap((def) => addActionRules([action[0]!, ...def], ctx, table));
  // ADD [COLUMN] [IF NOT EXISTS] name type … : a column definition.
  const inlineKey = w.includes('references') ? 'FOREIGN KEY' : w.includes('check') ? 'CHECK' : undefined;
  if (inlineKey !== undefined) {
    out.push(hit('validating-constraint', `ADD COLUMN … ${inlineKey === 'CHECK' ? 'CHECK' : 'REFERENCES'} on ${table} validates the new key over every row as it is added (it cannot be NOT VALID inline); add the column with addColumn, then the key with the ${operation(inlineKey)} operation`));
  }
  // PostgreSQL: a key declared with the column builds its index under ACCESS EXCLUSIVE, as ADD UNIQUE does (campaign BX:
  // Rails' `add_column … unique` pasted into `execute`).
  // The first token outside parentheses (a CHECK's or a default's own words aside) that `test` accepts, or -1.
  const topLevel = (test: (i: number) => boolean) => {
    let depth = 0;
    return action.findIndex((t, i) => {
      depth += t.text === '(' ? 1 : t.text === ')' ? -1 : 0;
      return depth === 0 && test(i);
    });
  };
  const keyAt = ctx.mysql ? -1 : topLevel((i) => w[i] === 'unique' || (w[i] === 'primary' && w[i + 1] === 'key') || w[i] === 'exclude');
  if (keyAt >= 0) {
    const key = w[keyAt] === 'primary' ? 'PRIMARY KEY' : w[keyAt]!.toUpperCase();
    out.push(hit('blocking-index', `ADD COLUMN … ${key} on ${table} builds the key's index while every read and write of the table waits; add the column with addColumn, then the key with the createConstraint operation (its index built CONCURRENTLY)`));
  }
  // PostgreSQL types with no equality operator: the running version's SELECT DISTINCT * (or UNION, GROUP BY over the
  // whole row) fails as soon as the table has such a column (strong_migrations' add_column :json; campaign CF: the others).
  let name = w[1] === 'column' ? 2 : 1;
  if (w[name] === 'if' && w[name + 1] === 'not' && w[name + 2] === 'exists') name += 3;
  const type = !ctx.mysql && ctx.field !== 'rollback' ? typeName(action, name + 1) : undefined;
  if (type !== undefined && NO_EQUALITY.has(type)) {
    out.push(hit('breaks-old-version', `ADD COLUMN … ${type} on ${table}: ${type} has no equality operator, so the running version's SELECT DISTINCT over whole rows (and UNION, GROUP BY of them) fails once the column exists${type === 'json' ? '; use jsonb' : ''}`));
  }
  const stored = (w.includes('generated') || w.includes('as')) && (w.includes('stored') || w.includes('persistent'));
  // NOT NULL with nothing to fill it: the old version's inserts leave the column out (campaign AV: passed lint).
  const notNull = topLevel((i) => w[i] === 'not' && w[i + 1] === 'null' && w[i - 1] !== 'is') >= 0;
  // A value for rows that leave it out: a DEFAULT other than NULL (not ON DELETE SET DEFAULT), or one the server computes.
  const defaulted = w.some((x, i) => x === 'default' && w[i - 1] !== 'set' && w[i + 1] !== 'null');
  const filled = defaulted || w.includes('generated') || w.includes('auto_increment') || w.some((x, i) => x === 'as' && action[i + 1]?.text === '(') || w.some((x) => x !== undefined && /^(small|big)?serial[248]?$/.test(x));
  if (notNull && !filled && ctx.field !== 'rollback') {
    out.push(hit('breaks-old-version', `ADD COLUMN … NOT NULL without a default on ${table}: the inserts that leave the column out (the old version's) fail${ctx.mysql ? '' : ', and PostgreSQL refuses it on a table with rows'}; use the addColumn operation with \`up\` (NOT NULL from its contract on), or give it a default`));
  }
  if (stored) out.push(hit('table-rewrite', `ADD COLUMN … GENERATED … STORED on ${table} computes and stores the value in every row as it is added (a table rewrite, writes blocked meanwhile); add a plain column with addColumn and its \`up\` instead`));
  const d = w.indexOf('default');
  const volatile = d >= 0 ? w.slice(d + 1).find((x, i) => x !== undefined && VOLATILE.has(x) && action[d + 2 + i]?.text === '(') : undefined;
  if (!ctx.mysql && volatile !== undefined) out.push(hit('table-rewrite', `ADD COLUMN … DEFAULT ${volatile}() on ${table}: a volatile default is computed for every row as it is added (a table rewrite under ACCESS EXCLUSIVE); use the addColumn operation with \`up\`: ${volatile}() fills the rows in batches`));
  // MySQL/MariaDB: a default expression the server must compute per row (UUID(), RAND()), in parentheses or not (MariaDB
  // takes `DEFAULT UUID()`, campaign BL), is added only by a table copy (1845) (campaign BK).
  const myVolatile = ctx.mysql && d >= 0 ? w.slice(d + 1).find((x, i) => x !== undefined && MYSQL_VOLATILE.has(x) && action[d + 2 + i]?.text === '(') : undefined;
  if (myVolatile !== undefined) out.push(hit('table-rewrite', `ADD COLUMN … DEFAULT ${myVolatile.toUpperCase()}() on ${table}: a default computed per row is added only by copying the table (the server refuses it online), writes blocked meanwhile; use the addColumn operation with \`up\`: ${myVolatile.toUpperCase()}() fills the rows in batches`));
  // AUTO_INCREMENT numbers every row as it is added: only with the table's writes blocked (1846: LOCK=SHARED) (campaign BL).
  if (ctx.mysql && w.includes('auto_increment')) out.push(hit('table-rewrite', `ADD COLUMN … AUTO_INCREMENT on ${table} numbers every row as it is added, with the table's writes blocked for the whole rebuild (the server refuses it with LOCK=NONE); add a nullable column with addColumn and fill it with a \`sql\` backfill, or add it in a maintenance window`));
  // serial and identity columns: an implicit nextval() default, the same rewrite.
  const serial = w.find((x) => x !== undefined && /^(small|big)?serial[248]?$/.test(x)) ?? (w.includes('identity') ? 'GENERATED … AS IDENTITY' : undefined);
  if (!ctx.mysql && volatile === undefined && serial !== undefined) out.push(hit('table-rewrite', `ADD COLUMN … ${serial} on ${table}: its sequence's nextval() is computed for every row as it is added (a table rewrite under ACCESS EXCLUSIVE); add a nullable column with addColumn and an \`up\` of nextval(…), or a \`sql\` backfill, then setNotNull`));
  return out;
}

/** PostgreSQL's types without an `=` (checked on 15: "could not identify an equality operator for type …"). */
const NO_EQUALITY = new Set(['json', 'xml', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'txid_snapshot', 'pg_snapshot']);

/** A column definition's type name at `i`: bare or quoted, `pg_catalog.` before it read past. */
function typeName(action: Token[], i: number): string | undefined {
  if (keyword(action[i]) === 'pg_catalog' && action[i + 1]?.text === '.') i += 2;
  const t = action[i];
  return t?.kind === 'quoted' ? t.text.slice(1, -1) : keyword(t);
}

/** The definitions of a parenthesised list (`(a int NOT NULL, b int)`): split at its own commas, not at those inside them. */
function columnList(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' && depth++ === 0) continue;
    if (t.text === ')' && --depth === 0) break;
    if (t.text === ',' && depth === 1) parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts.filter((p) => p.length > 0);
}

/** 6. DROP TABLE / RENAME TABLE at expand. */
function breaksOldVersion(st: Token[], ctx: StatementContext): RuleHit | undefined {
  if (ctx.field !== 'expand') return undefined;
  const w = st.map(word);
  if (w[0] === 'drop' && (w[1] === 'table' || (w[1] === 'temporary' && w[2] === 'table'))) {
    if (w[1] === 'temporary') return undefined;
    let i = 2;
    if (w[i] === 'if' && w[i + 1] === 'exists') i += 2;
    const { parts, shown } = qualifiedName(st, i);
    if (isCreated(parts, ctx)) return undefined;
    return hit('breaks-old-version', `DROP TABLE at expand: the old version still runs during expand and uses ${shown ?? 'the table'}; use the dropTable operation, or put the drop in \`contract\``);
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
  else if (!ctx.mysql && w[0] === 'refresh' && w[1] === 'materialized' && w[2] === 'view' && w[3] !== 'concurrently' && !w.slice(-3).join(' ').endsWith('with no data')) what = 'REFRESH MATERIALIZED VIEW without CONCURRENTLY';
  if (what === undefined) return undefined;
  return hit('long-lock', `${what} at ${ctx.field} holds a lock that blocks the running version's reads or writes for as long as it takes; run it outside the migration, off-peak, or (TRUNCATE) delete in batches with a \`sql\` backfill${what.startsWith('REFRESH') ? ' (a materialized view with a unique index refreshes CONCURRENTLY, reads going on, as the only statement of its field)' : ''}`);
}

/**
 * 8. An UPDATE of every row of an existing table, in one statement: each row stays locked against the running version's
 * writes until it commits, however long a large table takes (strong_migrations: backfill in batches, outside the
 * migration's transaction). So one choosing its rows by reading its own table again — a dedupe, through a subquery or
 * a join of the table with itself — which reads the whole table in that statement, and on MySQL/MariaDB locks each
 * row it scans (campaign EB: 4 of the application's writes died in deadlocks). Any other UPDATE with a WHERE or a
 * LIMIT, of several tables, or inside a WITH is not judged.
 */
function unbatchedUpdate(statement: Token[], ctx: StatementContext): RuleHit | undefined {
  const st = updateOf(statement);
  if (st === undefined) return undefined;
  const w = st.map(word);
  let i = 1;
  while (['only', 'low_priority', 'ignore'].includes(w[i] ?? '')) i++;
  const { parts, shown, end } = qualifiedName(st, i);
  if (isCreated(parts, ctx)) return undefined;
  const own = nameKey(parts.slice(-1), ctx.mysql);
  // Named again after FROM or JOIN, unqualified (a schema-qualified name may be another schema's table of that name).
  const rest = st.slice(end).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const readsItself = own !== undefined && rest.some((t, k) => k > 0 && ['from', 'join'].includes(word(rest[k - 1]!) ?? '') && nameKey([nameOf(t)], ctx.mysql) === own && rest[k + 1]?.text !== '.');
  if (readsItself) {
    return hit('long-lock', `UPDATE of ${shown ?? 'the table'} choosing its rows by reading ${shown ?? 'it'} again (a dedupe) at ${ctx.field}, in one statement: it reads the whole table${ctx.mysql ? ' and locks every row it scans' : ''} until it commits, for as long as the table takes, against the running version's writes; use the \`sql\` operation's \`backfill: {table, set, where}\` (batched, resumable) with that condition as its \`where\``);
  }
  const top = topWords(st);
  if (top.some((x) => x === 'where' || x === 'limit' || x === 'join')) return undefined;
  // `UPDATE a, b SET …` (MySQL's several tables), or an alias then a comma.
  const set = top.indexOf('set');
  if (set < 0 || st.slice(end, set).some((t) => t.text === ',')) return undefined;
  return hit('long-lock', `UPDATE of every row of ${shown ?? 'the table'} at ${ctx.field} in one statement: each row it writes stays locked against the running version's writes until it commits, for as long as the whole table takes; use the \`sql\` operation's \`backfill: {table, set, where}\` (batched, resumable), or the addColumn / alterColumn operation's \`up\``);
}

/**
 * The UPDATE a statement runs as its main statement, from its UPDATE on: itself, after `EXPLAIN ANALYZE` (which runs
 * it), or after a WITH's list of CTEs (campaign CF); an UPDATE inside a CTE is not read.
 */
function updateOf(st: Token[]): Token[] | undefined {
  const top = topWords(st);
  const main = top.findIndex((x, i) => i > 0 && (x === 'update' || x === 'select' || x === 'insert' || x === 'delete' || x === 'merge'));
  if (top[0] === 'update') return st;
  const runs = top[0] === 'with' || (top[0] === 'explain' && st.slice(0, main < 0 ? undefined : main).some((t) => word(t) === 'analyze'));
  return runs && main > 0 && top[main] === 'update' ? st.slice(main) : undefined;
}

/** Each token's keyword where it stands outside every parenthesis (a subquery's, a call's), else undefined. */
function topWords(st: Token[]): (string | undefined)[] {
  let depth = 0;
  return st.map((t) => {
    depth += t.text === '(' ? 1 : t.text === ')' ? -1 : 0;
    return depth === 0 ? word(t) : undefined;
  });
}

/** Every rule's finding on one statement (its significant tokens). */
export function lintStatement(st: Token[], ctx: StatementContext): RuleHit[] {
  return [transactionControlRule(st), blockingIndex(st, ctx), ...alterTableRules(st, ctx), breaksOldVersion(st, ctx), longLock(st, ctx), unbatchedUpdate(st, ctx)].filter((h): h is RuleHit => h !== undefined);
}

/**
 * Whether `set` holds the name `parts` gives: as written, or — qualified — made unqualified, in the schema the session
 * was in (`CREATE TABLE t`, then `ON public.t`). Made qualified (`s.i`), it is that name alone.
 */
function madeHere(set: ReadonlySet<string> | undefined, parts: (string | undefined)[], mysql: boolean): boolean {
  const key = nameKey(parts, mysql);
  if (key === undefined || set === undefined) return false;
  return set.has(key) || (parts.length > 1 && set.has(nameKey(parts.slice(-1), mysql)!));
}

/** Whether the table named by `parts` is one the field (or the migration) created. */
const isCreated = (parts: (string | undefined)[], ctx: StatementContext): boolean => madeHere(ctx.createdTables, parts, ctx.mysql);

/**
 * The index a `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON table` makes over one of `tables`, by
 * nameKey in its table's schema (`ON s.t` makes `s.name`), else undefined.
 */
export function createdIndexOn(st: Token[], tables: ReadonlySet<string>, mysql: boolean): string | undefined {
  const w = st.map(word);
  let i = w[1] === 'unique' ? 2 : 1;
  if (w[0] !== 'create' || w[i] !== 'index') return undefined;
  i++;
  if (w[i] === 'concurrently') i++;
  if (w[i] === 'if' && w[i + 1] === 'not' && w[i + 2] === 'exists') i += 3;
  const index = w[i] === 'on' ? undefined : qualifiedName(st, i).name;
  const on = w.indexOf('on', i);
  const table = on < 0 ? undefined : qualifiedName(st, w[on + 1] === 'only' ? on + 2 : on + 1).parts;
  return index !== undefined && table !== undefined && madeHere(tables, table, mysql) ? nameKey([...table.slice(0, -1), index], mysql) : undefined;
}

/**
 * The table a `CREATE [TEMP…|UNLOGGED] TABLE name` makes, by nameKey, else undefined; a `CREATE MATERIALIZED VIEW`
 * too: no one reads it before it exists, so its index blocks no one (campaign BC). Not one made `IF NOT EXISTS`: it may
 * be there already, rows, readers and all (campaign BD: an index built over it passed).
 */
export function createdTable(st: Token[], mysql: boolean): string | undefined {
  const w = st.map(word);
  if (w[0] !== 'create') return undefined;
  let i = 1;
  if (w[i] === 'or' && w[i + 1] === 'replace') i += 2;
  while (['global', 'local', 'temp', 'temporary', 'unlogged'].includes(w[i] ?? '')) i++;
  if (w[i] === 'materialized' && w[i + 1] === 'view') i += 2;
  else if (w[i] === 'table') i++;
  else return undefined;
  if (w[i] === 'if' && w[i + 1] === 'not' && w[i + 2] === 'exists') return undefined;
  return nameKey(qualifiedName(st, i).parts, mysql);
}
