/**
 * What else needs a table or a column on PostgreSQL, for plan to name before
 * a contract drops it: read from pg_depend where the server records the
 * dependency, from a trigger function's text where it does not.
 */
import type { Session } from '../../db/driver.js';
import type { Dependent } from '../dialect.js';
import { escapeRegExp } from '../names.js';
import { literal, pgSegments, quotePg } from './text.js';

/**
 * A function body as code: comments each a space and, with `dropStrings`, its string literals (quoted, E'…', dollar-quoted)
 * too — a word there is no code (campaign AE). Read by the tokenizer the rest of xc uses, so a `--` or `/*` inside a
 * string, an E'…\'…' string or a $tag$ body ends where PostgreSQL ends it (campaign AF-3, AF-5: a regex over the
 * text erased the code after one). Dynamic SQL lives in strings: kept where a hole costs more than a refusal.
 */
function bodyCode(body: string, dropStrings: boolean): string {
  return pgSegments(body)
    .map((p) => (p.code || p.text.startsWith('"') || (!dropStrings && !p.text.startsWith('--') && !p.text.startsWith('/*')) ? p.text : ' '))
    .join('');
}

const NOT_IN_WORD = '(?![A-Za-z0-9_$])';

/**
 * `name` as a body names it: quoted, or unquoted where PostgreSQL's folding to lower case gives it (a table "Orders" is
 * only ever named quoted; campaign AF-3). Matched case-insensitively, so a quoted "orders" counts for "Orders" too: a
 * refusal, never a hole.
 */
const nameOf = (name: string) => `(?:"${escapeRegExp(name.replace(/"/g, '""'))}"${/^[a-z_][a-z0-9_$]*$/.test(name) ? `|${escapeRegExp(name)}${NOT_IN_WORD}` : ''})`;

/**
 * A statement of a function body reading, writing or locking `table`, unqualified or qualified by the current schema
 * (another schema's table of that name is not it): after FROM, JOIN, UPDATE, INTO, ONLY, TABLE (TABLE t, LOCK TABLE,
 * TRUNCATE TABLE), LOCK or a comma (a join); as `t%ROWTYPE`; or as a variable's type in a DECLARE section (`r t;`).
 */
function readsOrWrites(body: string, table: string, schema: string, qualified: boolean): boolean {
  if (holdsName(body, table, schema, qualified)) return true;
  const code = bodyCode(body, false);
  const name = `(?:${nameOf(schema)}\\s*\\.\\s*)${qualified ? '' : '?'}${nameOf(table)}`;
  const statement = new RegExp(`(?:(?<![A-Za-z0-9_$])(?:from|join|update|into|only|table|lock|truncate)|,)\\s*${name}|(?<![A-Za-z0-9_$]|[."]\\s*)${name}\\s*%\\s*rowtype${NOT_IN_WORD}`, 'i');
  if (statement.test(code)) return true;
  const declared = new RegExp(`[A-Za-z0-9_$"]\\s+${name}\\s*(?:;|:=|=|\\[|default${NOT_IN_WORD}|not\\s+null${NOT_IN_WORD})`, 'i');
  for (const section of code.match(/(?<![A-Za-z0-9_$])declare(?![A-Za-z0-9_$])[^]*?(?<![A-Za-z0-9_$])begin(?![A-Za-z0-9_$])/gi) ?? []) {
    if (declared.test(section)) return true;
  }
  return false;
}

/**
 * A string that is `table`'s name alone, maybe qualified by `schema` or quoted: what dynamic SQL is built around
 * (`format('DELETE FROM %I', 'orders')`, `'orders'::regclass`, `TG_TABLE_NAME = 'orders'`), which no rename follows.
 * Exact, case included: `'Orders'` is read as the table "Orders" would be by `%I`.
 */
function holdsName(body: string, table: string, schema: string, qualified: boolean): boolean {
  const name = (n: string) => `(?:"${escapeRegExp(n.replace(/"/g, '""'))}"|${escapeRegExp(n)})`;
  const whole = new RegExp(`^\\s*(?:${name(schema)}\\s*\\.\\s*)${qualified ? '' : '?'}${name(table)}\\s*$`);
  const content = (text: string) => (text.startsWith("'") ? text.slice(1, -1).replace(/''/g, "'") : text.replace(/^(\$[^$]*\$)([^]*)\1$/, '$2'));
  return pgSegments(body).some((p) => !p.code && (p.text.startsWith("'") || p.text.startsWith('$')) && whole.test(content(p.text)));
}

/**
 * The user's functions with a body of text (PL/pgSQL, SQL) that may read `table`, and `also` holds of: not a trigger's,
 * an extension's nor xc's own. Another schema's that pins a search_path without this schema is `qualified`: its
 * unqualified names resolve there.
 */
const functionBodies = (table: string, also = 'true') =>
  `SELECT 'function' AS kind, CASE WHEN n.nspname = current_schema() THEN p.proname::text ELSE n.nspname || '.' || p.proname END AS name, NULL AS holder, p.prosrc AS body,
          current_schema()::text AS schema,
          n.nspname <> current_schema() AND EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%'
            AND NOT current_schema() = ANY (string_to_array(replace(replace(substr(c, 13), '"', ''), ' ', ''), ','))) AS qualified
     FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND l.lanname IN ('plpgsql', 'sql') AND p.proname NOT LIKE 'xc\\_%'
      AND ${mayName('p.prosrc', table)} AND (${also}) AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;

/** Bodies of functions that may read `table`: any naming it at all, read properly in readsOrWrites. */
const mayName = (src: string, table: string) => `position(lower(${literal(table)}) in lower(${src})) > 0`;

/** A body and the schema `table` is in; `qualified`: another schema's function whose unqualified names are its own (a pinned search_path). */
type BodyRow = { kind: string; name: string; holder: string | null; body: string; schema: string; qualified?: boolean };

/** The rows whose body reads or writes `table`, as dependents. */
function readingBodies(rows: BodyRow[], table: string): Dependent[] {
  return rows.filter((r) => readsOrWrites(r.body, table, r.schema, r.qualified === true)).map(({ kind, name, holder }) => (holder === null ? { kind, name } : { kind, name, of: holder }));
}

export async function pgDependents(s: Session, table: string, column?: string, keepsName = false): Promise<Dependent[]> {
  const rel = literal(quotePg(table));
  // The column's number, or 0 for the whole table (then only other relations' views and foreign keys count).
  const attnum = column === undefined ? '0' : `(SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(${rel}) AND attname = ${literal(column)} AND NOT attisdropped)`;
  const onIt = `d.refclassid = 'pg_class'::regclass AND d.refobjid = to_regclass(${rel}) AND (${attnum} = 0 OR d.refobjsubid = ${attnum})`;
  const word = (name: string) => literal(`\\m${name.replace(/[^A-Za-z0-9_]/g, '.')}\\M`);
  // Another table's trigger whose function writes or reads this table and names the column: it fails once they are gone.
  // And a function with a body of text that runs a statement on the table and names the column (as MySQL/MariaDB's
  // routines are read; campaign Y: `SELECT name FROM users WHERE id = i` failed from the contract on), unless the
  // column keeps its name.
  const namedElsewhere = `SELECT 'trigger' AS kind, t.tgname::text AS name, t.tgrelid::regclass::text AS holder, f.prosrc AS body, current_schema()::text AS schema, false AS qualified
       FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
      WHERE t.tgrelid <> to_regclass(${rel}) AND NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%' AND ${mayName('f.prosrc', table)}${column === undefined ? '' : ` AND f.prosrc ~* ${word(column)}`}
     ${column === undefined || keepsName ? '' : `UNION ALL ${functionBodies(table, `p.prosrc ~* ${word(column)}`)}`}`;
  // The table's row type, its array, and domains over either: a column of another table (or a composite type) storing
  // its rows keeps their fields by position — a column dropped, copied or changed through a shadow is NULL or gone in
  // every stored row, silently (campaign T) — and a function taking or returning them keeps the table from a drop.
  const rowTypes = `(SELECT t.oid FROM pg_type t JOIN pg_class c ON c.oid = to_regclass(${rel}) WHERE t.oid IN (c.reltype, (SELECT typarray FROM pg_type WHERE oid = c.reltype))
                        OR t.typtype = 'd' AND t.typbasetype IN (c.reltype, (SELECT typarray FROM pg_type WHERE oid = c.reltype)))`;
  const sql = [
    `SELECT CASE WHEN c.relkind = 'c' THEN 'row-typed attribute' ELSE 'row-typed column' END, a.attname::text, CASE WHEN c.relkind = 'c' THEN format('type %s', c.relname) ELSE c.relname::text END
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.oid <> to_regclass(${rel}) AND c.relkind IN ('r', 'p', 'f', 'c') AND a.atttypid IN ${rowTypes}`,
    ...(column === undefined ? [`SELECT 'function', p.oid::regprocedure::text, NULL FROM pg_proc p WHERE p.prorettype IN ${rowTypes} OR p.proargtypes::oid[] && ARRAY${rowTypes}`] : []),
    // Another schema's view under its qualified name: not taken for xc's own view of a renamed table's old name (campaign V).
    // A rule of another table reading it is that table's rule, not a view (campaign EA: "view \"ea_chk\"").
    `SELECT DISTINCT CASE WHEN v.relkind = 'm' THEN 'materialized view' WHEN v.relkind = 'v' THEN 'view' ELSE 'rule' END,
            CASE WHEN v.relkind NOT IN ('v', 'm') THEN r.rulename::text WHEN v.relnamespace = to_regnamespace(current_schema()) THEN v.relname::text ELSE format('%s.%s', v.relnamespace::regnamespace, v.relname) END,
            CASE WHEN v.relkind IN ('v', 'm') THEN NULL::text ELSE v.oid::regclass::text END
       FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid JOIN pg_class v ON v.oid = r.ev_class
      WHERE ${onIt} AND v.oid <> d.refobjid`,
    // Another table's policy reading it in a subquery (a tenant check through a lookup table): its drop fails there
    // (campaign EA: a policy over xc's old-name view stopped a renameTable's rollback half-way).
    ...(column === undefined
      ? [`SELECT 'policy', p.polname::text, p.polrelid::regclass::text FROM pg_depend d JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid WHERE ${onIt} AND p.polrelid <> to_regclass(${rel})`]
      : []),
    // A function whose SQL body (BEGIN ATOMIC) reads it: PostgreSQL refuses the drop.
    `SELECT 'function', p.proname::text, NULL FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid WHERE ${onIt}`,
    // Another schema's foreign key: the model (current_schema() only) cannot carry it, and the column's or table's drop fails on it.
    `SELECT 'foreign key', k.conname::text, format('%s.%s', kn.nspname, kt.relname)
       FROM pg_depend d JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND d.objid = k.oid AND k.contype = 'f'
       JOIN pg_class kt ON kt.oid = k.conrelid JOIN pg_namespace kn ON kn.oid = kt.relnamespace
      WHERE ${onIt} AND kn.nspname <> current_schema()`,
    ...(column === undefined
      ? []
      : [
          `SELECT 'generated column', a.attname::text, NULL FROM pg_depend d JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
             JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum WHERE ${onIt} AND a.attgenerated <> '' AND a.attnum <> ${attnum}`,
          // A foreign key referencing a unique key whose index carries the column in its INCLUDE list: the column's
          // drop takes the index, which the key needs (campaign T: the contract failed there, left `contracting`).
          `SELECT 'foreign key', k.conname::text, k.conrelid::regclass::text FROM pg_constraint k JOIN pg_index i ON i.indexrelid = k.conindid
            WHERE k.contype = 'f' AND i.indrelid = to_regclass(${rel}) AND ${attnum} = ANY ((i.indkey::int2[])[i.indnkeyatts:i.indnatts - 1])`,
          // Another table's policy reading it in a subquery is named with its table (campaign CP: ALTER POLICY needs it).
          `SELECT 'policy', p.polname::text, CASE WHEN p.polrelid <> to_regclass(${rel}) THEN p.polrelid::regclass::text END FROM pg_depend d JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid WHERE ${onIt}`,
          // A trigger of the table whose function names it, takes it as an argument (a C function: moddatetime(updated_at),
          // tsvector_update_trigger(tsv, cfg, title)), or fires on it (WHEN, UPDATE OF: recorded in pg_depend). A column
          // keeping its name is in a body's way only as a name the body's statements are planned over (ownTriggers).
          `SELECT 'trigger', t.tgname::text, NULL FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
            WHERE t.tgrelid = to_regclass(${rel}) AND NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%'
              AND (${keepsName ? 'false' : `f.prosrc ~* ${word(column)}`} OR ${literal(column)} = ANY (string_to_array(encode(t.tgargs, 'escape'), '\\000'))
                   OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_trigger'::regclass AND d.objid = t.oid AND ${onIt}))`,
          // A rule of the table itself (CREATE RULE … ON UPDATE TO t DO ALSO …), a publication's column list, a statistics
          // object: the drop fails on the first two, and silently takes the last along.
          `SELECT 'rule', r.rulename::text, NULL FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            WHERE ${onIt} AND r.ev_class = d.refobjid`,
          `SELECT 'publication', pb.pubname::text, NULL FROM pg_depend d JOIN pg_publication_rel pr ON d.classid = 'pg_publication_rel'::regclass AND d.objid = pr.oid
             JOIN pg_publication pb ON pb.oid = pr.prpubid WHERE ${onIt}`,
          `SELECT 'statistics object', st.stxname::text, NULL FROM pg_depend d JOIN pg_statistic_ext st ON d.classid = 'pg_statistic_ext'::regclass AND d.objid = st.oid WHERE ${onIt}`,
        ]),
  ].join('\nUNION\n');
  const rows = (await s.query<{ kind: string; name: string; holder: string | null }>(`SELECT kind, name, holder FROM (${sql}) AS x(kind, name, holder)`)).rows;
  const recorded: Dependent[] = rows.map(({ holder, ...d }) => (holder === null ? d : { ...d, of: holder }));
  const elsewhere = readingBodies((await s.query<BodyRow>(namedElsewhere)).rows, table);
  const own = column !== undefined && keepsName ? await ownTriggersNaming(s, rel, column, word(column)) : [];
  const helpers = column === undefined ? [] : await rowHelpers(s, rel, rowTypes, column, keepsName, word(column));
  const more = [...elsewhere, ...own, ...helpers];
  return [...recorded, ...more.filter((d) => !recorded.some((r) => r.kind === d.kind && r.name === d.name && r.of === d.of))];
}

/**
 * Functions of text taking or returning the table's rows that name the column (a trigger's helper, `f(NEW)`): a
 * compiled plan holds the column's type and place — after an in-place change the sessions that ran it fail ("type of
 * parameter … does not match") or read NULL, after a rename or drop it fails (campaign CQ). So does a PL/pgSQL helper
 * taking `record` or a polymorphic type that the table's triggers reach by name (`h(`), directly or through other
 * functions (campaigns CS: 3,904 failed writes; CY: `trg` → `mid(NEW)` → `h(r record)` was not read); an SQL one is
 * planned at each call. Any table's function of that kind would be too many. For a column that keeps its name, a name
 * in a literal is no reference (`to_jsonb(r) ->> 'status'`, as for the table's own triggers: campaign CY).
 */
async function rowHelpers(s: Session, rel: string, rowTypes: string, column: string, keepsName: boolean, word: string): Promise<Dependent[]> {
  // Functions a trigger of the table calls by name, then those they call, and so on (UNION: a cycle ends).
  const reached = `WITH RECURSIVE reached(oid, src) AS (
      SELECT f.oid, f.prosrc FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid WHERE t.tgrelid = to_regclass(${rel}) AND NOT t.tgisinternal
      UNION
      SELECT q.oid, q.prosrc FROM reached r JOIN pg_proc q ON q.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        AND q.proname ~ '^[A-Za-z_][A-Za-z0-9_]*$' AND r.src ~* ('(^|[^A-Za-z0-9_$."])"?' || q.proname || '"?\\s*\\('))
    SELECT oid FROM reached`;
  const rows = (await s.query<{ name: string; body: string }>(
    `SELECT p.oid::regprocedure::text AS name, p.prosrc AS body FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
      WHERE l.lanname IN ('plpgsql', 'sql') AND (p.prorettype IN ${rowTypes} OR p.proargtypes::oid[] && ARRAY${rowTypes}) AND p.prosrc ~* ${word}
     UNION
     SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
      WHERE l.lanname = 'plpgsql' AND p.proargtypes::oid[] && ARRAY['record'::regtype, 'anyelement'::regtype, 'anynonarray'::regtype, 'anycompatible'::regtype, 'anycompatiblenonarray'::regtype]::oid[]
        AND p.prosrc ~* ${word} AND p.oid IN (${reached})`,
  )).rows;
  return rows.filter((r) => !keepsName || namedInBody(r.body, column)).map((r) => ({ kind: 'function', name: r.name }));
}

/**
 * The table's own triggers whose function names `column` outside its literals and comments, for a column that keeps
 * its name (an in-place change): a body's statements are planned over the column's type, and fail once it changes
 * ("type of parameter … does not match that when preparing the plan"). A name in a literal is no such reference —
 * `to_jsonb(NEW) ->> 'status'` reads the column by name, whatever its type (campaign CL: refused, no way past) —
 * unless the body runs dynamic SQL (EXECUTE), whose text may hold it. A column that goes or changes its name is in
 * the way however named (a JSON key that reads it silently gives NULL after): read in the query above.
 */
async function ownTriggersNaming(s: Session, rel: string, column: string, word: string): Promise<Dependent[]> {
  const rows = (await s.query<{ name: string; body: string }>(
    `SELECT t.tgname::text AS name, f.prosrc AS body FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
      WHERE t.tgrelid = to_regclass(${rel}) AND NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%' AND f.prosrc ~* ${word}`,
  )).rows;
  return rows.filter((r) => namedInBody(r.body, column)).map((r) => ({ kind: 'trigger', name: r.name }));
}

function namedInBody(body: string, column: string): boolean {
  const code = bodyCode(body, true);
  return new RegExp(`(?<![A-Za-z0-9_$])(?:execute${NOT_IN_WORD}|${nameOf(column)})`, 'i').test(code);
}

/**
 * Objects reaching `table` by its name in a body of text, which follows no rename: any table's trigger whose function
 * reads or writes it, and the other functions doing so (PL/pgSQL or SQL with a string body; a `BEGIN ATOMIC` body,
 * like a view, holds the table itself): by any name, but for another schema's function pinning a search_path without
 * this schema (`SET search_path = reporting`), whose unqualified names are tables of its own, as in a schema per
 * tenant: only qualified. Not an extension's, nor xc's own.
 */
export async function pgNameDependents(s: Session, table: string): Promise<Dependent[]> {
  const sql = `SELECT 'trigger' AS kind, t.tgname::text AS name, t.tgrelid::regclass::text AS holder, f.prosrc AS body, current_schema()::text AS schema,
                      false AS qualified
                 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                WHERE NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%' AND ${mayName('f.prosrc', table)}
               UNION ALL
               ${functionBodies(table)}`;
  const found = readingBodies((await s.query<BodyRow>(sql)).rows, table);
  // One trigger function can serve several triggers, each its own dependent; UNION used to fold equal rows.
  return found.filter((d, i) => found.findIndex((x) => x.kind === d.kind && x.name === d.name && x.of === d.of) === i);
}

/**
 * The user's BEFORE INSERT/UPDATE row triggers on `table` that PostgreSQL fires after `trigger` (same timing and
 * event fire in name order, byte by byte) and that may change the row: any but a PL/pgSQL body that plainly only
 * reads it — one that assigns to NEW (`NEW.x :=`, `NEW :=`), reads INTO it (`SELECT … INTO NEW.x`, `EXECUTE … INTO`)
 * or returns anything but NEW, OLD or NULL (a record built from NEW) may; a function in another language
 * (moddatetime, tsvector_update_trigger, plpython …) cannot be read. Read without comments and strings; what it
 * cannot tell apart it refuses. A trigger of the user's named `xc_…` is one too: only xc's own names (`xc_<purpose>_<hash>`) are not.
 */
export async function pgTriggersFiringAfter(s: Session, table: string, trigger: string): Promise<string[]> {
  // NEW, "new", NEW.x, NEW."x", NEW.x[1], NEW.meta['k'] … assigned: by `:=` anywhere; by `=` (PL/pgSQL takes it too)
  // only where a statement starts, since elsewhere it compares (IF NEW.status = 'locked').
  // Read without comments and strings (`RAISE NOTICE 'NEW.x := %'` assigns nothing); NEW.a.city is a field too, and
  // `r ALIAS FOR new` makes every r.x := an assignment to the row (campaign AE).
  const word = (w: string) => `(?<![A-Za-z0-9_$])${w}(?![A-Za-z0-9_$])`;
  const target = `"?${word('new')}"?\\s*(\\.\\s*("([^"]|"")+"|[A-Za-z0-9_$]+)\\s*)*(\\[[^\\]]*\\]\\s*)*`;
  const assigns = new RegExp(
    `${target}:=|(^|;|${word('(begin|loop)')})\\s*${target}=|${word('into')}\\s+(strict\\s+)?"?${word('new')}|${word('alias')}\\s+for\\s+"?${word('new')}|${word('return')}(?!\\s*(new|old|null)\\s*;)`,
    'i',
  );
  // After THEN or ELSE, `NEW.x = …` starts a statement of an IF or a CASE statement, or is a branch of a CASE
  // expression (`CASE WHEN … ELSE NEW.x = 1 END`), which compares.
  const afterBranch = new RegExp(`${word('(then|else)')}\\s*${target}=`, 'gi');
  const changesRow = (code: string) => assigns.test(code) || [...code.matchAll(afterBranch)].some((m) => !endsAsExpression(code.slice(m.index + m[0].length)));
  const rows = await s.query<{ name: string; language: string; body: string }>(
    `SELECT t.tgname::text AS name, l.lanname::text AS language, f.prosrc AS body FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid JOIN pg_language l ON l.oid = f.prolang
      WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
        AND t.tgname !~ '^xc_[a-z0-9_]+_[0-9a-f]{10}$' AND t.tgname::text COLLATE "C" > ?::text COLLATE "C"
        -- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 16 UPDATE
        AND t.tgtype & 3 = 3 AND t.tgtype & 20 <> 0
      ORDER BY 1`,
    [quotePg(table), trigger],
  );
  return rows.rows.filter((r) => r.language !== 'plpgsql' || changesRow(bodyCode(r.body, true))).map((r) => r.name);
}

/**
 * Whether the code after a branch's `NEW.x =` ends as an expression: a `)`, or WHEN, THEN, ELSE, END or LOOP outside
 * any parenthesis or CASE of its own, before the `;` that would end it as a statement. Anything else (the body's end
 * included) reads as the statement PL/pgSQL takes for an assignment: a refusal, never a hole.
 */
function endsAsExpression(rest: string): boolean {
  let depth = 0;
  for (const [token] of rest.matchAll(/[A-Za-z_][A-Za-z0-9_$]*|[();]/g)) {
    const t = token.toLowerCase();
    if (t === ';' && depth === 0) return false;
    if (t === '(' || t === 'case') depth++;
    else if ((t === ')' || t === 'end') && depth > 0) depth--;
    else if (depth === 0 && [')', 'when', 'then', 'else', 'end', 'loop'].includes(t)) return true;
  }
  return false;
}
