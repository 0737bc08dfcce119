/**
 * alterColumn in place without `up` (or with `up` the bare column) on MySQL/MariaDB. The fill, the sync trigger and
 * the backfill store `up` by assignment; the backfill's "already converted?" test and the verify compare the shadow
 * with it through MysqlDialect.sameValue (CAST / CONVERT). For the pairs below the two disagree on the bare column
 * (a FLOAT assigned to VARCHAR is '0.10000000149011612', CONVERTed '0.1'; a BIT assigned is '5', CONVERTed the byte
 * 0x05), or the comparison itself raises in a strict-mode UPDATE (CAST('1.5' AS SIGNED)): the explicit conversion
 * here is `up` for all four, and gives what ALTER TABLE … MODIFY gives. A row no conversion can store is refused at
 * plan (conversionIssue).
 */
import { castTarget, isTextType } from './expr.js';
import { decimalMax, narrowingIssue, signedRange, type ConversionIssue, type NumberTypes } from '../narrowing.js';

const base = (type: string) => /^\s*([a-z]+)/i.exec(type)?.[1]?.toLowerCase() ?? '';
/** CHAR, VARCHAR, TEXT (not ENUM, SET: those compare as their members). */
const isPlainText = (type: string) => isTextType(type) && !/^(enum|set)$/.test(base(type));
const isApproximate = (type: string) => /^(float|double|real)$/.test(base(type));
const isInteger = (type: string) => /^(tinyint|smallint|mediumint|int|integer|bigint|serial)$/.test(base(type));
const isDecimal = (type: string) => /^(decimal|numeric|dec|fixed)$/.test(base(type));

/** A number as MySQL reads one from a string, whole (no '0x10', no '12abc', no ''): anything else raises in a strict UPDATE. */
export const NUMBER_PATTERN = '^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$';
/** Exact, for every integer and DECIMAL(65, 30)'s 35 digits (a string's 1.5 rounds to 2 as assignment rounds it). */
const EXACT = 'DECIMAL(65,30)';

/** The conversion `up` defaults to in place, from the column (quoted) of type `from` to `to`. */
export function mysqlDefaultUp(column: string, from: string, to: string): string {
  // CAST(… AS CHAR) is the text MODIFY gives and CONVERT compares: '0.1' of a FLOAT, '0000' of YEAR 0.
  if (isPlainText(to) && (isApproximate(from) || base(from) === 'year')) return `CAST(${column} AS CHAR)`;
  // A BIT's number, as MODIFY converts it ('5', TIME 00:00:05), not its bytes (CAST(b AS CHAR) is 0x05).
  if (base(from) === 'bit' && base(to) !== 'bit' && (isPlainText(to) || castTarget(to, true) !== undefined)) return isPlainText(to) ? `CAST(${column} + 0 AS CHAR)` : `(${column} + 0)`;
  // Text to an integer: exact and rounding as assignment does ('1.5' → 2, '1e3' → 1000), and CAST AS SIGNED of a
  // DECIMAL does not raise where CAST('1.5' AS SIGNED) does ("Truncated incorrect INTEGER value").
  if (isPlainText(from) && isInteger(to)) return `CAST(${column} AS ${EXACT})`;
  return column;
}

/** The least and greatest value of an integer or DECIMAL type, as SQL numbers. */
function range(type: string): [string, string] | undefined {
  const t = type.toLowerCase();
  const unsigned = /\bunsigned\b/.test(t) || base(t) === 'serial';
  const bits = { tinyint: 8, smallint: 16, mediumint: 24, int: 32, integer: 32, bigint: 64, serial: 64 }[base(t)];
  if (bits !== undefined) return unsigned ? ['0', (2n ** BigInt(bits) - 1n).toString()] : signedRange(bits);
  // FLOAT(M,D) and DOUBLE(M,D) take what DECIMAL(M,D) takes (rounded to D places, M digits in all).
  if (!isDecimal(t) && !(isApproximate(t) && /\(\s*\d+\s*,/.test(t))) return undefined;
  const [, m = '10', d = '0'] = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(t) ?? [];
  const max = decimalMax(Number(m), Number(d));
  return [unsigned ? '0' : `-${max}`, max];
}

const NUMBERS: NumberTypes = { range, isNumber: (t) => isInteger(t) || isDecimal(t) || isApproximate(t), exact: (column) => `CAST(${column} AS ${EXACT})` };

/**
 * Rows whose column no conversion can store as `to` (the fill, the trigger or the backfill would raise in strict
 * mode half-way through an apply): text that is not a number, or a number out of the type's range, into a numeric
 * type; text too long, or a number out of range, for a narrower type (narrowing.ts). SQL true for such a row, and
 * an `up` to suggest; undefined where every value converts.
 */
export function mysqlConversionIssue(column: string, from: string, to: string): ConversionIssue | undefined {
  if (base(to) === 'enum' && (isPlainText(from) || base(from) === 'enum')) return enumIssue(column, from, to);
  if (!isPlainText(from) || !(isInteger(to) || isDecimal(to) || isApproximate(to))) return narrowingIssue(column, from, to, NUMBERS);
  const bounds = range(to);
  const scale = /,\s*(\d+)\s*\)/.exec(to)?.[1] ?? '0';
  // An unsigned type takes no negative value, not even one that rounds to 0 ('-0.4': the DECIMAL assigned is refused).
  const unsigned = /\bunsigned\b/i.test(to) ? ` AND CAST(${column} AS ${EXACT}) >= 0` : '';
  // FLOAT and DOUBLE: CAST clamps a value past their range to its end ('1e400' → 1.797…e308) where storing it fails.
  const approximate = isApproximate(to) ? ` AND ABS(CAST(${column} AS DOUBLE)) < ${/^\s*float\b/i.test(to) && !/\(\s*\d+\s*,/.test(to) ? '3.402823466e38' : '1.7976931348623157e308'}` : '';
  // AND stops at the pattern: the CAST never reads a string that is not a number (a warning, an error in an UPDATE).
  const inRange = `${bounds ? ` AND ROUND(CAST(${column} AS ${EXACT}), ${scale}) BETWEEN ${bounds[0]} AND ${bounds[1]}` : ''}${unsigned}${approximate}`;
  const converts = `${column} REGEXP '${NUMBER_PATTERN}'${inRange}`;
  return {
    violation: `${column} IS NOT NULL AND NOT (${converts})`,
    what: bounds ? `a number ${to} can hold` : 'a number',
    up: `CASE WHEN ${converts} THEN ${mysqlDefaultUp(column, from, to)} END`,
  };
}

/** The members of a SET (or ENUM: `kind`) type as SQL literals, in its order; undefined for another type. */
export function setMembers(type: string, kind: 'set' | 'enum' = 'set'): string[] | undefined {
  const m = new RegExp(`^\\s*${kind}\\s*\\(([\\s\\S]*)\\)`, 'i').exec(type);
  return m ? [...m[1]!.matchAll(/'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"/g)].map((x) => x[0]) : undefined;
}

/**
 * Text or an ENUM into an ENUM: a value none of its members matches (a member removed, `'b'` of ENUM('a','b') into
 * ENUM('a','c')) is refused by a strict-mode store, and the backfill stopped at the first such row, "Data truncated"
 * (campaign AQ: an Alembic enum change passed plan). Matched as the column compares them (its collation): none read
 * where every old member is among the new ones, spelled alike.
 */
function enumIssue(column: string, from: string, to: string): ConversionIssue | undefined {
  const members = setMembers(to, 'enum');
  if (members === undefined || members.length === 0) return undefined;
  const had = setMembers(from, 'enum');
  // Spelled alike (a case-insensitive collation would match more: then the rows are read, and pass).
  if (had !== undefined && had.every((m) => members.includes(m))) return undefined;
  const among = `${column} IN (${members.join(', ')})`;
  return { violation: `${column} IS NOT NULL AND NOT (${among})`, what: `one of ${to}'s members`, up: `CASE WHEN ${among} THEN ${column} END` };
}

/**
 * `expr` as a SET column of `type` spells it: its members in the type's order ('y,x' of SET('x','y') stored in
 * SET('y','x') is 'y,x'; text 'y,x' stored in SET('x','y') is 'x,y'), matched as the column matches them; the text
 * itself for another type.
 */
export function setSpelling(expr: string, type: string): string {
  const members = setMembers(type);
  if (members === undefined || members.length === 0) return expr;
  const each = members.map((m) => `IF(FIND_IN_SET(${m}, (${expr})) > 0, ${m}, NULL)`).join(', ');
  return `IF((${expr}) IS NULL, NULL, CONCAT_WS(',', ${each}))`;
}
