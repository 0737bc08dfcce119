/**
 * What else needs a table or a column on PostgreSQL, for plan to name before
 * a contract drops it: read from pg_depend where the server records the
 * dependency, from a trigger function's text where it does not.
 */
import type { Session } from '../../db/driver.js';
import type { Dependent } from '../dialect.js';
import { literal, quotePg } from './text.js';

/** A name as a regex, any character but a letter, digit or underscore matched by `.` (not escaped). */
const pattern = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '.');

/**
 * A function body's text without its comments (line and block) and, with `strings`, its string literals, each a space:
 * a word there is no code (campaign AE). Dynamic SQL lives in strings: left in where a hole costs more than a refusal.
 */
const code = (src: string, strings = false) =>
  `regexp_replace(${src}, ${literal(`--[^\n]*|/\\*([^*]|\\*+[^*/])*\\*+/${strings ? `|'([^']|'')*'` : ''}`)}, ' ', 'g')`;

/**
 * A statement of a function body reading or writing `table` — after FROM, JOIN, UPDATE, INTO, ONLY or a comma (a
 * join), or as `table%ROWTYPE` — unqualified or qualified by the current schema (another schema's table of that name
 * is not it). A pattern built in SQL, around current_schema(); matched against `code(prosrc)`.
 */
const statementOn = (table: string) => {
  const name = pattern(table);
  return `(${literal('(\\m(from|join|update|into|only)|,)\\s*("?')} || regexp_replace(current_schema(), '[^A-Za-z0-9_]', '.', 'g') || ${literal(`"?\\s*\\.\\s*)?"?${name}("|\\M)|\\m${name}"?\\s*%\\s*rowtype\\M`)})`;
};

export async function pgDependents(s: Session, table: string, column?: string): Promise<Dependent[]> {
  const rel = literal(quotePg(table));
  // The column's number, or 0 for the whole table (then only other relations' views and foreign keys count).
  const attnum = column === undefined ? '0' : `(SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(${rel}) AND attname = ${literal(column)} AND NOT attisdropped)`;
  const onIt = `d.refclassid = 'pg_class'::regclass AND d.refobjid = to_regclass(${rel}) AND (${attnum} = 0 OR d.refobjsubid = ${attnum})`;
  const word = (name: string) => literal(`\\m${pattern(name)}\\M`);
  // Another table's trigger whose function writes or reads this table and names the column: it fails once they are gone.
  const namedElsewhere = `SELECT 'trigger', t.tgname::text, t.tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
            WHERE t.tgrelid <> to_regclass(${rel}) AND NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%' AND ${code('f.prosrc')} ~* ${statementOn(table)}${column === undefined ? '' : ` AND f.prosrc ~* ${word(column)}`}`;
  const sql = [
    `SELECT DISTINCT CASE WHEN v.relkind = 'm' THEN 'materialized view' ELSE 'view' END, v.relname::text, NULL::text
       FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid JOIN pg_class v ON v.oid = r.ev_class
      WHERE ${onIt} AND v.oid <> d.refobjid`,
    // A function whose SQL body (BEGIN ATOMIC) reads it: PostgreSQL refuses the drop.
    `SELECT 'function', p.proname::text, NULL FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid WHERE ${onIt}`,
    namedElsewhere,
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
          `SELECT 'policy', p.polname::text, NULL FROM pg_depend d JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid WHERE ${onIt}`,
          // A trigger of the table whose function names it, takes it as an argument (a C function: moddatetime(updated_at),
          // tsvector_update_trigger(tsv, cfg, title)), or fires on it (WHEN, UPDATE OF: recorded in pg_depend).
          `SELECT 'trigger', t.tgname::text, NULL FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
            WHERE t.tgrelid = to_regclass(${rel}) AND NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%'
              AND (f.prosrc ~* ${word(column)} OR ${literal(column)} = ANY (string_to_array(encode(t.tgargs, 'escape'), '\\000'))
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
  return rows.map(({ holder, ...d }) => (holder === null ? d : { ...d, of: holder }));
}

/**
 * Objects reaching `table` by its name in a body of text, which follows no rename: any table's trigger whose function
 * reads or writes it, and the current schema's other functions doing so (PL/pgSQL or SQL with a string body; a
 * `BEGIN ATOMIC` body, like a view, holds the table itself). Not an extension's, nor xc's own.
 */
export async function pgNameDependents(s: Session, table: string): Promise<Dependent[]> {
  const sql = `SELECT 'trigger' AS kind, t.tgname::text AS name, t.tgrelid::regclass::text AS holder FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                WHERE NOT t.tgisinternal AND t.tgname NOT LIKE 'xc\\_%' AND ${code('f.prosrc')} ~* ${statementOn(table)}
               UNION
               SELECT 'function', p.proname::text, NULL FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                WHERE p.pronamespace = current_schema()::regnamespace AND l.lanname IN ('plpgsql', 'sql') AND p.proname NOT LIKE 'xc\\_%'
                  AND ${code('p.prosrc')} ~* ${statementOn(table)} AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`;
  const rows = (await s.query<{ kind: string; name: string; holder: string | null }>(sql)).rows;
  return rows.map(({ holder, ...d }) => (holder === null ? d : { ...d, of: holder }));
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
  const target = '"?\\mnew\\M"?\\s*(\\.\\s*("([^"]|"")+"|[[:alnum:]_$]+)\\s*)*(\\[[^]]*\\]\\s*)*';
  const changesRow = literal(
    `${target}:=|(^|;|\\m(begin|then|else|loop)\\M)\\s*${target}=|\\minto\\s+(strict\\s+)?"?new\\M|\\malias\\s+for\\s+"?new\\M|\\mreturn\\M(?!\\s*(new|old|null)\\s*;)`,
  );
  const rows = await s.query<{ name: string }>(
    `SELECT t.tgname::text AS name FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid JOIN pg_language l ON l.oid = f.prolang
      WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
        AND t.tgname !~ '^xc_[a-z0-9_]+_[0-9a-f]{10}$' AND t.tgname::text COLLATE "C" > ?::text COLLATE "C"
        -- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 16 UPDATE
        AND t.tgtype & 3 = 3 AND t.tgtype & 20 <> 0
        AND (l.lanname <> 'plpgsql' OR ${code('f.prosrc', true)} ~* ${changesRow})
      ORDER BY 1`,
    [quotePg(table), trigger],
  );
  return rows.rows.map((r) => r.name);
}
