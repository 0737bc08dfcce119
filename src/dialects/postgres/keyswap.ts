/**
 * PostgreSQL: what a column's cut-over (Ddl.swapColumns) carries beyond the
 * column itself when it is a key or numbered by a sequence — all catalog
 * changes inside the cut-over's one transaction:
 *
 * - a serial column's sequence (its default `nextval('seq'::regclass)`): the
 *   sequence is owned by the column, so dropping the column would drop it;
 *   it is let go first (OWNED BY NONE), then widened to the new integer type
 *   (AS bigint: a default maximum becomes the new type's) and owned by the
 *   new column. The default itself is on the shadow since before the cut-over.
 *   A sequence the column draws from but does not own (one another table's
 *   column owns, shared) is left as it is: decided in the transaction, from
 *   the catalog.
 * - an identity column: its sequence goes with the column (an identity
 *   sequence cannot change owner). Before the drop, the kind (ALWAYS / BY
 *   DEFAULT), the sequence's name, increment, cache, CYCLE and any bound
 *   stated otherwise than its type's default, and the next value (after the
 *   last one handed out; past the furthest id given explicitly) are kept in
 *   transaction-local settings; after the rename the new column becomes an
 *   identity under that name starting there. ADD GENERATED … AS IDENTITY
 *   reads no row (the column is NOT NULL already, without default).
 */
import type { ColumnModel } from '../../schema/model.js';
import type { ShadowKeyIssue, ShadowKeySpec } from '../dialect.js';
import type { Step } from '../../plan/index.js';
import { doBlock } from './text.js';

const INTEGER = /^(smallint|integer|int|int2|int4|int8|bigint)$/i;
export const isIntegerTypeName = (type: string) => INTEGER.test(type.trim());

/** The sequence a serial column's default draws from, as written inside nextval('…'). */
export function serialSequence(column: Pick<ColumnModel, 'default'>): string | undefined {
  return /^nextval\('((?:[^']|'')+)'::regclass\)$/.exec(column.default?.trim() ?? '')?.[1]?.replace(/''/g, "'");
}

/** An identity column (PostgreSQL marks a stored generated column filled after triggers; an identity is filled before them). */
export const isIdentity = (column: ColumnModel) => column.generated === true && !column.filledAfterTriggers;

export function pgShadowKeyIssues(spec: ShadowKeySpec): ShadowKeyIssue[] {
  const { column, type } = spec;
  if (isIdentity(column) && !INTEGER.test(type.trim())) {
    return [{ code: 'generated_column', message: `"${spec.table}"."${column.name}" is an identity column, and an identity needs an integer type, not ${type}: keep an integer type` }];
  }
  return [];
}

type Tx = (sql: string, description: string, lock: string, tables: string[]) => Step;
interface KeyswapHelpers {
  tx: Tx;
  q: (id: string) => string;
  literal: (s: string) => string;
  instant: (mode: string, ...tables: string[]) => string;
}

/** The settings one column's identity, or its owning its sequence, is kept in between the drop and the rename. */
const setting = (i: number) => `xc.identity${i}`;
const owned = (i: number) => `xc.owned${i}`;

/** Before the column is dropped: its sequence let go of, or its identity remembered. */
export function beforeDrop(h: KeyswapHelpers, table: string, column: ColumnModel, i: number): Step[] {
  const seq = serialSequence(column);
  if (seq !== undefined) {
    const body =
      `BEGIN IF pg_get_serial_sequence(${h.literal(h.q(table))}, ${h.literal(column.name)})::regclass = ${h.literal(seq)}::regclass THEN ` +
      `ALTER SEQUENCE ${seq} OWNED BY NONE; PERFORM set_config(${h.literal(owned(i))}, 'on', true); END IF; END`;
    return [h.tx(doBlock(body), `let sequence ${seq} outlive ${h.q(table)}.${h.q(column.name)}, where the column owns it (owned by the new column after the swap)`, `${h.instant('ACCESS EXCLUSIVE', table)}`, [table])];
  }
  if (!isIdentity(column)) return [];
  const col = h.q(column.name);
  // A bound at its type's default for the direction is left out, to become the new type's (int → bigint widens an
  // exhausted identity); one stated otherwise is kept, as are the sequence's name and CYCLE.
  const typeBound = (min: boolean) =>
    `CASE s.seqtypid WHEN 'int2'::regtype THEN ${min ? '-32768' : '32767'} WHEN 'int4'::regtype THEN ${min ? '-2147483648' : '2147483647'} ELSE ${min ? '-9223372036854775808' : '9223372036854775807'} END`;
  // The next value: after the last one handed out (to any session's cache too), past the furthest id given explicitly
  // (BY DEFAULT takes them; read from the key's index, no scan). Read, not drawn with nextval: an exhausted sequence is
  // what an int → bigint change of an identity is for.
  const next = `COALESCE(p.last_value::numeric + s.seqincrement, s.seqstart)`;
  const sequence =
    `SELECT a.attidentity, s.seqincrement AS inc, s.seqcache, s.seqcycle, s.seqmin, s.seqmax, format('%I.%I', p.schemaname, p.sequencename) AS name, ` +
    `s.seqmin <> CASE WHEN s.seqincrement > 0 THEN 1 ELSE ${typeBound(true)} END AS min_stated, ` +
    `s.seqmax <> CASE WHEN s.seqincrement > 0 THEN ${typeBound(false)} ELSE -1 END AS max_stated, ` +
    `CASE WHEN s.seqincrement > 0 THEN GREATEST(${next}, (SELECT max(${col}) FROM ${h.q(table)}) + s.seqincrement) ` +
    `ELSE LEAST(${next}, (SELECT min(${col}) FROM ${h.q(table)}) + s.seqincrement) END AS furthest ` +
    `FROM pg_attribute a JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence(${h.literal(h.q(table))}, ${h.literal(column.name)})::regclass ` +
    `JOIN pg_sequences p ON format('%I.%I', p.schemaname, p.sequencename)::regclass = s.seqrelid ` +
    `WHERE a.attrelid = ${h.literal(h.q(table))}::regclass AND a.attname = ${h.literal(column.name)}`;
  // Past a stated bound, a sequence that cycles starts again at the other end.
  const start =
    `CASE WHEN seqcycle AND inc > 0 AND max_stated AND furthest > seqmax THEN seqmin ` +
    `WHEN seqcycle AND inc < 0 AND min_stated AND furthest < seqmin THEN seqmax ELSE furthest END`;
  const sql =
    `SELECT set_config(${h.literal(setting(i))}, format('%s AS IDENTITY (SEQUENCE NAME %s INCREMENT BY %s CACHE %s%s%s%s START WITH %s)', ` +
    `CASE attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, name, inc, seqcache, ` +
    `CASE WHEN min_stated THEN ' MINVALUE ' || seqmin ELSE '' END, CASE WHEN max_stated THEN ' MAXVALUE ' || seqmax ELSE '' END, ` +
    `CASE WHEN seqcycle THEN ' CYCLE' ELSE '' END, ${start}), true) FROM (${sequence}) identity`;
  return [h.tx(sql, `remember the identity of ${h.q(table)}.${h.q(column.name)}: its sequence's name, options and next value`, 'none (reads the catalog)', [table])];
}

/** After the shadow took the column's name: the sequence owned by it and widened, or the identity given back. */
export function afterRename(h: KeyswapHelpers, table: string, old: ColumnModel, type: string, i: number): Step[] {
  const c = `${h.q(table)}.${h.q(old.name)}`;
  const seq = serialSequence(old);
  if (seq !== undefined) {
    // Only where the column owned it (beforeDrop): a shared sequence keeps its owner and its type, which its other column needs.
    const widen = INTEGER.test(type.trim()) ? `ALTER SEQUENCE ${seq} AS ${type}; ` : '';
    const body = `BEGIN IF current_setting(${h.literal(owned(i))}, true) = 'on' THEN ${widen}ALTER SEQUENCE ${seq} OWNED BY ${c}; END IF; END`;
    return [h.tx(doBlock(body), `sequence ${seq}${widen ? ` numbering ${type} values (a default maximum becomes the type's),` : ''} owned by the new ${c}, where the old one owned it`, h.instant('ACCESS EXCLUSIVE', table), [table])];
  }
  if (!isIdentity(old)) return [];
  const body = `BEGIN EXECUTE format('ALTER TABLE %s ALTER COLUMN %I ADD GENERATED %s', ${h.literal(h.q(table))}, ${h.literal(old.name)}, current_setting(${h.literal(setting(i))})); END`;
  return [h.tx(doBlock(body), `${c} an identity again, continuing where the old one stopped (no row read: NOT NULL already)`, h.instant('ACCESS EXCLUSIVE', table), [table])];
}

/**
 * A column copy's contract (columnCopy.ts), once the new column has its
 * default and before the old column's drop: the sequence the old column owns
 * (serial), which that drop would take along — and fail on, the new default
 * drawing from it — owned by the new column instead, and widened for a
 * bigint. Decided at run time from the catalog: a sequence the old column
 * does not own, or the new default does not use, is left alone.
 */
export function handOverSequence(h: KeyswapHelpers, table: string, from: ColumnModel, to: string, type: string): Step[] {
  const seq = serialSequence(from);
  if (seq === undefined) return [];
  const t = h.literal(h.q(table));
  const widen = /^(bigint|int8)$/i.test(type.trim()) ? `EXECUTE format('ALTER SEQUENCE %s AS bigint', s); ` : '';
  const usedByNew =
    `EXISTS (SELECT 1 FROM pg_depend d JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid ` +
    `JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum ` +
    `WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = s AND ad.adrelid = ${t}::regclass AND a.attname = ${h.literal(to)})`;
  const body =
    `DECLARE s regclass := pg_get_serial_sequence(${t}, ${h.literal(from.name)})::regclass; ` +
    `BEGIN IF s IS NOT NULL AND ${usedByNew} THEN ${widen}EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', s, ${t}, ${h.literal(to)}); END IF; END`;
  const c = `${h.q(table)}.${h.q(to)}`;
  return [h.tx(doBlock(body), `sequence ${seq} owned by ${c}, whose default draws from it (the drop of ${h.q(table)}.${h.q(from.name)} would take it)`, h.instant('ACCESS EXCLUSIVE', table), [table])];
}
