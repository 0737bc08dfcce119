/**
 * alterColumn to a narrower type without `up` (Rails `change_column :sku, :string, limit: 10`): the rows the new
 * type cannot hold, found at plan, where the fill or the backfill otherwise failed half-way through an apply (campaign
 * I). Text into a shorter CHAR or VARCHAR — both servers cut trailing spaces without an error, so only the rest
 * counts — and a number into an integer or DECIMAL type of a smaller range.
 */
/** Rows a conversion cannot store (SQL true for one), what they should hold, an `up` to suggest and what it gives them. */
export interface ConversionIssue {
  violation: string;
  what: string;
  up: string;
  /** What the suggested `up` makes of those rows: 'NULL there' where it does not say. */
  upGives?: string;
}

export interface NumberTypes {
  /** The least and greatest value of the type as SQL numbers; undefined where unbounded or not a number type. */
  range(type: string): [string, string] | undefined;
  isNumber(type: string): boolean;
  /** The column (quoted) as an exact number ROUND takes with a scale. */
  exact(column: string): string;
}

/** The range of a signed integer of `bits` bits, as SQL numbers. */
export const signedRange = (bits: number): [string, string] => [(-(2n ** BigInt(bits - 1))).toString(), (2n ** BigInt(bits - 1) - 1n).toString()];

/** The greatest value of DECIMAL(p, s), as an SQL number: p - s nines, then s after the point. */
export const decimalMax = (p: number, s: number): string => `${'9'.repeat(Math.max(p - s, 0)) || '0'}${s > 0 ? `.${'9'.repeat(s)}` : ''}`;

const TEXT = /^\s*(varchar|character varying|char|character|nchar|nvarchar|bpchar|text|tinytext|mediumtext|longtext|citext)\b/i;
const LENGTH = /^\s*(?:varchar|character varying|char|character|nchar|nvarchar|bpchar)\s*\(\s*(\d+)\s*\)/i;

/** Rows `column` of type `from` holds that `to` cannot (SQL true for one), what they should be, and an `up` to suggest. */
export function narrowingIssue(column: string, from: string, to: string, numbers: NumberTypes): ConversionIssue | undefined {
  const length = Number(LENGTH.exec(to)?.[1] ?? NaN);
  if (length >= 0 && TEXT.test(from)) {
    const before = Number(LENGTH.exec(from)?.[1] ?? Infinity);
    if (before <= length) return undefined;
    return { violation: `${column} IS NOT NULL AND CHAR_LENGTH(RTRIM(${column})) > ${length}`, what: `text of at most ${length} characters`, up: `LEFT(${column}, ${length})`, upGives: `their first ${length} characters` };
  }
  const bounds = numbers.range(to);
  if (!bounds || !numbers.isNumber(from)) return undefined;
  const before = numbers.range(from);
  if (before && Number(before[0]) >= Number(bounds[0]) && Number(before[1]) <= Number(bounds[1])) return undefined;
  const scale = /,\s*(\d+)\s*\)/.exec(to)?.[1] ?? '0';
  const fits = `ROUND(${numbers.exact(column)}, ${scale}) BETWEEN ${bounds[0]} AND ${bounds[1]}`;
  return { violation: `${column} IS NOT NULL AND NOT (${fits})`, what: `a number ${to} can hold`, up: `CASE WHEN ${fits} THEN ${column} END` };
}
