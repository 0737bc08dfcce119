/**
 * Dual-write triggers for PostgreSQL. They look only at the row (NEW/OLD),
 * never at the writer's session state: a body that names a type, a function
 * or a table runs under the search_path xc created it under (SET ... FROM
 * CURRENT), so it behaves the same behind PgBouncer in transaction mode
 * (pgroll #829) and for a writer whose search_path is empty.
 *
 * Author expressions name the row's columns bare (`upper(name)`), or by its
 * table (`users.id`, in a correlated subquery); inside the trigger they are
 * evaluated over `(SELECT NEW.*) AS "users"`, so no expression rewriting is
 * needed.
 *
 * The WHEN clause lets the backfill of the trigger's own migration (which
 * `SET LOCAL xc.bypass = '<trigger names>'` and writes both shapes itself)
 * skip it: the backfill then costs what a plain UPDATE costs. Triggers of
 * other migrations on the same table still fire. The setting is
 * transaction-local and set only by xc.
 */
import type { ConstraintTest, ConvertTriggerSpec, FillTriggerSpec, SyncTriggerSpec, TriggerSteps } from '../dialect.js';
import type { Step } from '../../plan/index.js';
import { columnsNamed } from '../sqltext.js';
import { referencedTable } from '../references.js';
import { BYPASS_SETTING, dollarTag, PG_IDENTIFIERS, pgTokens, readsWholeRow, valuesDiffer } from './text.js';

/** In text.ts (the dialect's core uses them too); exported here as before. */
export { BYPASS_SETTING, dollarTag };

type Quote = (id: string) => string;

/** Named by its table, as the backfill's UPDATE names it: a correlated subquery reads the row as `users.id` in both. */
function overRow(q: Quote, expr: string, table: string): string {
  return `(SELECT (${expr}) FROM (SELECT NEW.*) AS ${q(table)})`;
}

/** Keywords a bare word means as an expression, even where a column has that name (created quoted). */
const VALUE_KEYWORDS = new Set(['true', 'false', 'null', 'default', 'user', 'current_user', 'session_user', 'system_user', 'current_role', 'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'current_catalog', 'current_schema']);

/**
 * `expr` over the row. An expression that is only one of the row's columns (`"amount"`, or `amount`
 * unquoted in lower case; renameColumn's up/down, alterColumn's default up), or a CAST of one, is read off NEW:
 * plpgsql evaluates that as a simple expression, where the query over the row goes through the executor
 * for every row written (a rename's sync trigger cost 13 µs per updated row, 6 µs without the query).
 */
function rowValue(q: Quote, expr: string, columns: string[], table: string): string {
  const column = rowColumn(expr, columns);
  if (column !== undefined) return `NEW.${q(column)}`;
  // `CAST(col AS type)` (alterColumn's usual down) likewise; the type is a plain name, with a modifier or [].
  const cast = /^\s*CAST\s*\(\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s+AS\s+([A-Za-z_][A-Za-z0-9_ ]*(?:\(\s*\d+\s*(?:,\s*\d+\s*)?\))?(?:\[\])?)\s*\)\s*$/i.exec(expr);
  const castColumn = cast ? rowColumn(cast[1]!, columns) : undefined;
  return castColumn !== undefined ? `CAST(NEW.${q(castColumn)} AS ${cast![2]!.trim()})` : overRow(q, expr, table);
}

/** The row's column `expr` is, when it is only that. */
function rowColumn(expr: string, columns: string[]): string | undefined {
  const e = expr.trim();
  const quoted = /^"((?:[^"]|"")+)"$/.exec(e)?.[1]?.replace(/""/g, '"');
  const bare = /^[a-z_][a-z0-9_$]*$/.test(e) && !VALUE_KEYWORDS.has(e) ? e : undefined;
  const column = quoted ?? bare;
  return column !== undefined && columns.includes(column) ? column : undefined;
}

/** A type name PostgreSQL finds in pg_catalog whatever the session's search_path (searched first unless listed). */
const BUILTIN_TYPE =
  /^(smallint|integer|int|int2|int4|int8|bigint|real|float4|float8|float|double precision|numeric|decimal|text|varchar|character varying|char|character|bpchar|boolean|bool|date|time|timetz|timestamp|timestamptz|time(?:stamp)? with(?:out)? time zone|interval|uuid|json|jsonb|bytea|money|inet|cidr|macaddr|bit|bit varying|varbit)\s*(?:\(\s*\d+\s*(?:,\s*\d+\s*)?\))?(?:\[\])?$/i;

/**
 * Whether `expr` names nothing the session's search_path could find: one of the row's columns, a CAST of one to a
 * built-in type, NULL, a number, or a string literal (cast to a built-in type or not). Anything else — a function,
 * an operator, a user's type, a sequence's regclass in a default — is found through the search_path, which must
 * then be xc's (the one the plan compiled the expression under), never the writer's.
 */
function pathFree(expr: string, columns: string[]): boolean {
  const e = expr.trim();
  if (rowColumn(e, columns) !== undefined || /^(null|-?\d+(\.\d+)?)$/i.test(e)) return true;
  const literal = /^'(?:[^']|'')*'(?:::\s*(.+))?$/.exec(e);
  if (literal) return literal[1] === undefined || BUILTIN_TYPE.test(literal[1].trim());
  // A column or a constant cast to a built-in type: a carried default is `CAST((0) AS integer)` (campaign N1: that
  // pinned the search_path of every copy of a column with a constant default).
  const cast = /^CAST\s*\((.+)\s+AS\s+([^()]+(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])?)\)$/is.exec(e);
  if (cast === null || !BUILTIN_TYPE.test(cast[2]!.trim())) return false;
  const operand = unwrapped(cast[1]!);
  return rowColumn(operand, columns) !== undefined || (!/^CAST\b/i.test(operand) && pathFree(operand, columns));
}

/** `e` without the parentheses around all of it: `((0))` is `0`. */
function unwrapped(e: string): string {
  let t = e.trim();
  while (t.startsWith('(') && t.endsWith(')') && !/[()]/.test(t.slice(1, -1))) t = t.slice(1, -1).trim();
  return t;
}

/**
 * Unchanged by this UPDATE, as valuesDiffer tells a change of its type: a float by its bytes (by its text, 0.3 and
 * 0.30000000000000004 were one value in a writer's session at extra_float_digits = 0, and a derived column went
 * stale), a string under "C" (a nondeterministic collation would call 'bob' → 'BOB' no change), a type with no `=`
 * (json) by its text.
 */
const unchanged = (q: Quote, c: string, type: string | undefined) => `NOT (${valuesDiffer(`NEW.${q(c)}`, `OLD.${q(c)}`, type)})`;

/**
 * `assign` (which computes `column` from `expr`) on an UPDATE, where a data error (class 22 or 23: bad JSON, a
 * division by zero, a domain's check) leaves the row as it was when the row is not filled yet (`column` NULL before
 * the write) and the write left every column `expr` reads as it was. Such a write did not make the value `expr`
 * cannot convert: failing it failed an old version's update of another column of that row from expand on (campaign
 * BN: one row of bad JSON, every update of it refused). The backfill still stops at that row and names it. Only
 * there: a block with EXCEPTION costs a subtransaction, and a filled row takes the plain assignment.
 */
function toleratedOnUpdate(q: Quote, assign: string, column: string, expr: string, s: { table: string; columns: string[] }, typeOf: (c: string) => string | undefined): string {
  // The row read whole (`to_jsonb(t)`, `(t).a`, `f(t)`) hides which columns it reads: then a failing `up` fails the
  // write, as before (campaign BO: an old version's bad value got in, the contract failing on it unnamed).
  if (readsWholeRow(expr, s.table, s.columns)) return assign;
  const reads = columnsNamed(pgTokens(expr), s.columns, PG_IDENTIFIERS, s.table).filter((c) => c !== column);
  const untouched = [`OLD.${q(column)} IS NULL`, ...reads.map((c) => unchanged(q, c, typeOf(c)))].join(' AND ');
  return `IF ${untouched} THEN
      BEGIN ${assign} EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN NULL; END;
    ELSE ${assign} END IF;`;
}

/** Types whose conversions read the session's TimeZone, DateStyle or IntervalStyle, and SQL that does. */
const TEMPORAL_TYPE = /\b(date|time|timetz|timestamp|timestamptz|interval)\b/i;
/**
 * Types whose text reads another setting: floats and the geometric types made of them (extra_float_digits), bytea
 * (bytea_output), money (lc_monetary). A type not in BUILTIN_TYPE (a domain, a composite, an array of them) may hold
 * one. A trigger converting such a value to text, or telling its change by its text, in a writer's session at
 * extra_float_digits = 0 or bytea_output = 'escape' got another answer than the backfill and the verify: a contract
 * refused while such writers ran (the type campaign).
 */
const FORMATTED_TYPE = /\b(real|float[48]?|double precision|bytea|money|point|line|lseg|box|path|polygon|circle)\b/i;
// Not inside a word, `_` aside: `make_date`, `date_trunc` (campaign DC: `\bdate\b` missed them).
const TEMPORAL_SQL = /(?<![A-Za-z0-9$])(date|time|timetz|timestamp|timestamptz|interval|now|current_date|current_time|current_timestamp|localtime|localtimestamp|to_char|to_date|to_timestamp|zone)(?![A-Za-z0-9$])/i;
const FORMATTED_SQL = /(?<![A-Za-z0-9_$])(real|float[48]?|double\s+precision|bytea|money|point|line|lseg|box|path|polygon|circle)(?![A-Za-z0-9_$])/i;
/**
 * Calls (and SQL's words before a parenthesis) whose result reads no session setting given arguments that read none:
 * any other call may make a date, a float or bytea whose text a conversion or a builder then reads (campaign DC:
 * `concat(tag, sqrt(id), make_date(2020, 1, 2), sha256(tag::bytea))` kept each old writer's DateStyle,
 * extra_float_digits and bytea_output, and the verify, comparing through a `down` that gave the old value back, passed).
 */
const NEUTRAL_CALLS = new Set([
  'cast', 'coalesce', 'nullif', 'greatest', 'least', 'lower', 'upper', 'initcap', 'trim', 'btrim', 'ltrim', 'rtrim', 'substr', 'substring', 'left', 'right',
  'length', 'char_length', 'character_length', 'octet_length', 'replace', 'split_part', 'strpos', 'position', 'reverse', 'repeat', 'lpad', 'rpad', 'md5',
  'abs', 'round', 'trunc', 'floor', 'ceil', 'ceiling', 'sign', 'mod', 'div',
  'case', 'when', 'then', 'else', 'and', 'or', 'not', 'in', 'any', 'all', 'some', 'exists', 'array', 'row', 'values', 'is', 'between', 'like', 'ilike', 'similar', 'distinct', 'from', 'as',
]);

/**
 * Operators that make a float of any operands (`|/` square root, `||/` cube root, `^` power of integers, `<->`
 * distance), and a subquery, which reads another table's columns, of types not weighed here (campaign DJ:
 * `(|/ n) || ''` and a joined timestamptz kept old writers' extra_float_digits and TimeZone, 771 rows).
 */
const FLOAT_OPERATORS = /\|\|?\/|\^|<->/;
const SUBQUERY = /(?<![A-Za-z0-9_$])select(?![A-Za-z0-9_$])/i;
/** Ranges of dates and times, whose text is their bounds' (TEMPORAL_SQL's `date` stops at a letter after it). */
const TEMPORAL_RANGE = /(?<![A-Za-z0-9_$])(daterange|tsrange|tstzrange|datemultirange|tsmultirange|tstzmultirange)(?![A-Za-z0-9_$])/i;
/**
 * The types a cast may name whose text reads no setting (the date, time, float, bytea and money ones are found by
 * TEMPORAL_SQL and FORMATTED_SQL; a multi-word name by its first word). Any other — a domain over float8, a
 * composite with a float field, an enum — may (campaign DM: `((n / 3.0)::dm_flt)::text` kept each writer's
 * extra_float_digits); a cast to it pins the settings, which costs only time where it reads none.
 */
const NEUTRAL_CAST = /^(smallint|integer|int|int2|int4|int8|bigint|numeric|decimal|text|varchar|character|char|bpchar|boolean|bool|uuid|json|jsonb|inet|cidr|macaddr|macaddr8|bit|varbit|name|citext|int4range|int8range|numrange|double|real|float|float4|float8|bytea|money|date|time|timetz|timestamp|timestamptz|interval)$/i;
const CASTS = /(?:::|\bAS)\s*(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))(\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?/gi;
const castsToOther = (code: string) => [...code.matchAll(CASTS)].some((m) => m[1] !== undefined || m[3] !== undefined || !NEUTRAL_CAST.test(m[2]!));

/** Whether `expr` makes a value whose text depends on the session's settings (see NEUTRAL_CALLS), literals aside. */
function exprReadsSettings(expr: string): boolean {
  const code = expr.replace(/'(?:[^']|'')*'/g, "''");
  if (TEMPORAL_SQL.test(code) || FORMATTED_SQL.test(code) || TEMPORAL_RANGE.test(code) || FLOAT_OPERATORS.test(code) || SUBQUERY.test(code) || castsToOther(code)) return true;
  return [...code.matchAll(/(?<![A-Za-z0-9_$])(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))\s*\(/g)].some((m) => m[1] !== undefined || !NEUTRAL_CALLS.has(m[2]!.toLowerCase()));
}

/**
 * Whether a trigger converting between these types with these expressions gives what it gives under the writer's
 * session settings (timestamp → timestamptz in the writer's TimeZone): then it runs under xc's own, the ones its
 * backfill and verify convert under. Only then: a function's SET clauses cost 3–5 µs a row (measured here, 200k rows).
 */
export function readsSessionSettings(types: (string | undefined)[], exprs: string[]): boolean {
  const spelled = types.filter((t) => t !== undefined).map((t) => t.replace(/\s+collate\s[\s\S]*$/i, '').trim());
  // A float, bytea or money column kept as it is (a rename) is compared by value or bytes: only a conversion reads its text.
  const converts = new Set(spelled.map((t) => t.toLowerCase())).size > 1;
  // Told changed by its text (valuesDiffer): a type BUILTIN_TYPE does not know (point, a domain, a composite), an array of floats.
  const textCompared = (t: string) => !BUILTIN_TYPE.test(t) || (/\[\]$/.test(t) && FORMATTED_TYPE.test(t));
  return spelled.some((t) => TEMPORAL_TYPE.test(t) || textCompared(t) || (converts && FORMATTED_TYPE.test(t))) || exprs.some(exprReadsSettings);
}

const PINNED_SETTINGS = ['TimeZone', 'DateStyle', 'IntervalStyle', 'extra_float_digits', 'bytea_output', 'lc_monetary'].map((s) => ` SET ${s} FROM CURRENT`).join('');

/**
 * `pinPath`: the body names tables, types or functions, found through the search_path xc created it under (and
 * compiled the author's expressions under), never the writer's. Only then: the SET clause costs 3–5 µs a row.
 * `pinSettings`: its conversions run under the TimeZone, DateStyle and IntervalStyle xc created it under (readsSessionSettings).
 */
function triggerSteps(q: Quote, name: string, table: string, body: string, what: string, declare = '', pinPath = false, pinSettings = false): TriggerSteps {
  const fn = q(name);
  const source = `${declare ? `DECLARE\n  ${declare}\n` : ''}BEGIN\n${body}\n  RETURN NEW;\nEND`;
  const tag = dollarTag(source);
  const create: Step[] = [
    {
      sql: `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql${pinPath ? ' SET search_path FROM CURRENT' : ''}${pinSettings ? PINNED_SETTINGS : ''} AS ${tag}\n${source}\n${tag}`,
      description: `create trigger function ${name} (${what})`,
      lock: 'none',
      transactional: true,
      tables: [],
    },
    {
      sql: `DROP TRIGGER IF EXISTS ${fn} ON ${q(table)}`,
      description: `remove any earlier trigger ${name}`,
      // DROP TRIGGER locks the table ACCESS EXCLUSIVE, the trigger there or not (the relation is locked before the lookup).
      lock: `ACCESS EXCLUSIVE on ${q(table)} (instant)`,
      transactional: true,
      tables: [table],
    },
    {
      sql:
        `CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON ${q(table)} FOR EACH ROW ` +
        `WHEN (strpos(coalesce(current_setting('${BYPASS_SETTING}', true), ''), '${name}') = 0) EXECUTE FUNCTION ${fn}()`,
      description: `install trigger ${name} on ${table} (${what})`,
      lock: `SHARE ROW EXCLUSIVE on ${q(table)} (instant)`,
      transactional: true,
      tables: [table],
      installs: name,
    },
    {
      // A session in `session_replication_role = replica` (a bulk loader, pglogical, an application that sets it)
      // skips ordinary triggers: its writes would reach one shape only, and a backfill would then carry the stale
      // side over the other. ALWAYS fires in every mode; xc's own batches stand aside by the WHEN above.
      sql: `ALTER TABLE ${q(table)} ENABLE ALWAYS TRIGGER ${fn}`,
      description: `fire trigger ${name} in every session_replication_role`,
      lock: `SHARE ROW EXCLUSIVE on ${q(table)} (instant)`,
      transactional: true,
      tables: [table],
    },
  ];
  const drop: Step[] = [
    {
      sql: `DROP TRIGGER IF EXISTS ${fn} ON ${q(table)}`,
      description: `remove trigger ${name} from ${table}`,
      lock: `ACCESS EXCLUSIVE on ${q(table)} (instant)`,
      transactional: true,
      tables: [table],
    },
    { sql: `DROP FUNCTION IF EXISTS ${fn}()`, description: `remove trigger function ${name}`, lock: 'none', transactional: true, tables: [] },
  ];
  return { create, drop };
}

/**
 * Two-way sync of an old and a new column. Which side a write came from is
 * read off the row, and `up`/`down` convert NULL like any other value:
 *
 * - INSERT with one side NULL: it is computed from the other (`up` old → new,
 *   `down` new → old); with both set where the old column keeps its default,
 *   the new side wins (only the new version names the new column; the old
 *   one got its default) — if the old side holds that default, where that can
 *   be told; otherwise both are kept as written. With both NULL (a default that moved into the
 *   trigger applied first), the row is
 *   read as the new version writing NULL (old := down) unless the new column
 *   may not hold NULL or down gives NULL too, then as the old version writing
 *   NULL (new := up). Either way one side is the conversion of the other.
 * - UPDATE: the side that changed wins, a change to NULL included. When
 *   neither changed and the new side is NULL, it is filled from `up` unless
 *   the row already agrees (old = down(NULL), e.g. a NULL the new version
 *   wrote) and the new column may hold NULL; the backfill and the verify use
 *   the same test.
 *
 * A side a writer set to a value is never overwritten, except on an UPDATE
 * that changes both sides to values that disagree and leaves the new one
 * NULL.
 */
export function pgSyncTrigger(q: Quote, s: SyncTriggerSpec, pinSettings = false, typeOf: (column: string) => string | undefined = () => undefined): TriggerSteps {
  const o = `NEW.${q(s.oldColumn)}`;
  const n = `NEW.${q(s.newColumn)}`;
  const up = `${n} := ${rowValue(q, s.up, s.columns, s.table)};`;
  const types = (c: string) => (c === s.oldColumn ? s.oldType : c === s.newColumn ? s.newType : typeOf(c));
  const fillUp = toleratedOnUpdate(q, up, s.newColumn, s.up, s, types);
  const down = `${o} := ${rowValue(q, s.down, s.columns, s.table)};`;
  const applyDefault = s.oldDefault === null || s.oldKeepsDefault ? '' : `\n    IF ${o} IS NULL AND ${n} IS NULL THEN ${o} := ${s.oldDefault}; END IF;`;
  // The old column applies its own default: only the new version names the new column, which then wins — where the
  // old side holds that default, when it can be told (SyncTriggerSpec.oldDefaultTestable).
  const oldIsDefault = s.oldDefaultStored !== undefined ? `NOT ${valuesDiffer(o, s.oldDefaultStored, s.oldType)}` : undefined;
  const bothSet = s.oldKeepsDefault && s.oldDefault !== null ? (oldIsDefault ? `\n    ELSIF ${oldIsDefault} THEN ${down}` : `\n    ELSE ${down}`) : '';
  const bothNull = s.newNullable === false ? up : `${down} IF ${o} IS NULL THEN ${up} END IF;`;
  // down(row) assigned to a copy of the row takes the old column's type, as the backfill's CAST does.
  const agrees = `_xc_conv := NEW; _xc_conv.${q(s.oldColumn)} := ${rowValue(q, s.down, s.columns, s.table)};\n    IF ${valuesDiffer(o, `_xc_conv.${q(s.oldColumn)}`, s.oldType)} THEN ${fillUp} END IF;`;
  const oldChanged = `(${valuesDiffer(o, `OLD.${q(s.oldColumn)}`, s.oldType)})`;
  const newChanged = `(${valuesDiffer(n, `OLD.${q(s.newColumn)}`, s.newType)})`;
  const body = `  IF TG_OP = 'INSERT' THEN${applyDefault}
    IF ${o} IS NULL AND ${n} IS NULL THEN ${bothNull}
    ELSIF ${n} IS NULL THEN ${up}
    ELSIF ${o} IS NULL THEN ${down}${bothSet}
    END IF;
  ELSIF ${oldChanged} AND NOT ${newChanged} THEN ${up}
  ELSIF ${newChanged} AND NOT ${oldChanged} THEN ${down}
  ELSIF ${n} IS NULL THEN
    ${s.newNullable === false ? fillUp : agrees}
  END IF;`;
  const pinPath = ![s.up, s.down, s.oldDefault ?? 'null', s.oldDefaultStored ?? 'null'].every((e) => pathFree(e, s.columns));
  return triggerSteps(q, s.name, s.table, body, `keeps ${s.oldColumn} and ${s.newColumn} in sync`, '_xc_conv record;', pinPath, pinSettings);
}

/**
 * Fill one column from an expression whenever a write leaves it NULL; with
 * `recomputeOn`, also compute it again when an UPDATE changes a column the
 * expression reads and leaves this one as it was (a write that sets the
 * column itself keeps its value).
 */
export function pgFillTrigger(q: Quote, s: FillTriggerSpec, pinSettings = false, typeOf: (column: string) => string | undefined = () => undefined): TriggerSteps {
  const c = `NEW.${q(s.column)}`;
  // Read whole, the row holds the column itself: computed with it NULL, as the backfill computes it (campaign DJ:
  // `row_to_json(t)::text` nested each value in the next).
  const fill = `${readsWholeRow(s.expr, s.table, s.columns) ? `${c} := NULL; ` : ''}${c} := ${rowValue(q, s.expr, s.columns, s.table)};`;
  const fillRow = `IF TG_OP = 'INSERT' THEN ${fill}\n    ELSE ${toleratedOnUpdate(q, fill, s.column, s.expr, s, typeOf)} END IF;`;
  // An expression reading the row whole (`(t).b`, `t::text`) names no column: any of them is an input (campaign DI:
  // never recomputed, the contract keeping the first fill's value). Only for a fill that recomputes (`recomputeOn`
  // given, addColumn's): setNotNull's `up` fills NULLs alone.
  const reads = (s.recomputeOn !== undefined && readsWholeRow(s.expr, s.table, s.columns) ? s.columns : (s.recomputeOn ?? [])).filter((col) => col !== s.column);
  const recompute = reads.length === 0 ? '' : `\n  ELSIF TG_OP = 'UPDATE' THEN\n    IF ${unchanged(q, s.column, s.type ?? typeOf(s.column))} AND NOT (${reads.map((col) => unchanged(q, col, typeOf(col))).join(' AND ')}) THEN ${fill} END IF;`;
  const pinPath = !pathFree(s.expr, s.columns);
  if (s.always) return triggerSteps(q, s.name, s.table, `  ${fillRow}`, `keeps ${s.column} computed from the row on every write`, '', pinPath, pinSettings);
  const body = s.insertOnly ? `  IF TG_OP = 'INSERT' AND ${c} IS NULL THEN ${fill} END IF;` : `  IF ${c} IS NULL THEN\n    ${fillRow}${recompute}\n  END IF;`;
  return triggerSteps(q, s.name, s.table, body, reads.length ? `fills ${s.column} when a write leaves it NULL, recomputes it when ${reads.join(', ')} ${reads.length === 1 ? 'changes' : 'change'}` : `fills ${s.column} when a write leaves it NULL`, '', pinPath, pinSettings);
}

/** SQL true when the row being written (NEW; OLD on UPDATE, NULL on INSERT) would break the constraint. */
function pgBreaks(q: Quote, table: string, t: ConstraintTest): string {
  if (t.kind === 'check') return `NOT COALESCE(${overRow(q, t.expression, table)}, TRUE)`;
  const keyed = t.columns.map((c) => `NEW.${q(c)} IS NOT NULL`).join(' AND ');
  if (t.kind === 'foreignKey') {
    const match = t.columns.map((c, i) => `_xc_parent.${q(t.refColumns[i]!)} = NEW.${q(c)}`).join(' AND ');
    return `${keyed} AND NOT EXISTS (SELECT 1 FROM ${referencedTable(q, t)} AS _xc_parent WHERE ${match})`;
  }
  // Another row: the row's own old version has the old key, which no other row held (the constraint holds); a row
  // with the written row's value of another key is the one an upsert (ON CONFLICT on that key) is about to update.
  const notSelf = (t.rowKeys ?? []).map((key) => ` AND COALESCE(NOT (${key.map((c) => `_xc_other.${q(c)} = NEW.${q(c)}`).join(' AND ')}), TRUE)`).join('');
  if (t.nullsNotDistinct) {
    const same = t.columns.map((c) => `_xc_other.${q(c)} IS NOT DISTINCT FROM NEW.${q(c)}`).join(' AND ');
    const wasKey = t.columns.map((c) => `_xc_other.${q(c)} IS NOT DISTINCT FROM OLD.${q(c)}`).join(' AND ');
    return `EXISTS (SELECT 1 FROM ${q(table)} AS _xc_other WHERE ${same} AND (TG_OP = 'INSERT' OR NOT (${wasKey}))${notSelf})`;
  }
  const same = t.columns.map((c) => `_xc_other.${q(c)} = NEW.${q(c)}`).join(' AND ');
  const wasKey = t.columns.map((c) => `_xc_other.${q(c)} = OLD.${q(c)}`).join(' AND ');
  return `${keyed} AND EXISTS (SELECT 1 FROM ${q(table)} AS _xc_other WHERE ${same} AND COALESCE(NOT (${wasKey}), TRUE)${notSelf})`;
}

/** A write that would break the constraint gets its columns converted instead (ConvertTriggerSpec). */
export function pgConvertTrigger(q: Quote, s: ConvertTriggerSpec): TriggerSteps {
  const set = s.set.map((x) => `NEW.${q(x.column)} := ${overRow(q, x.expr, s.table)};`).join(' ');
  const body = `  IF ${pgBreaks(q, s.table, s.test)} THEN ${set} END IF;`;
  return triggerSteps(q, s.name, s.table, body, `converts writes that would break ${s.constraint}`, '', true);
}
