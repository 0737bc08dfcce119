/**
 * PostgreSQL's CREATE TABLE for createTable: columns (identity, generated,
 * checks, references, comments), the primary key, table-level constraints
 * (unique, check, primary key, foreign key, exclusion: with DEFERRABLE, NULLS
 * NOT DISTINCT, INCLUDE and storage parameters) and the comments, which
 * PostgreSQL keeps apart (COMMENT ON, run in the same transaction).
 */
import type { TableSpec } from '../dialect.js';
import type { TableConstraint } from '../../migration/schema.js';
import { referenceClauses, referenceOptions } from '../references.js';

/** An SQL string literal. */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** ` DEFERRABLE [INITIALLY DEFERRED]`, or nothing for a constraint checked at each statement. */
const timing = (t: { deferrable?: boolean; initiallyDeferred?: boolean }) => (t.deferrable || t.initiallyDeferred ? ` DEFERRABLE${t.initiallyDeferred ? ' INITIALLY DEFERRED' : ''}` : '');

export function pgCreateTable(q: (id: string) => string, spec: TableSpec): { create: string; comments: string[]; referenced: string[] } {
  const cols = (names: string[]) => names.map(q).join(', ');
  const { table } = spec;

  const column = (c: TableSpec['columns'][number]): string => {
    const parts = [q(c.name), c.type];
    const g = c.generated;
    if (g && 'identity' in g) parts.push(`GENERATED ${g.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
    if (g && 'expression' in g) parts.push(`GENERATED ALWAYS AS (${g.expression}) STORED`);
    if (!c.nullable) parts.push('NOT NULL');
    if (c.default !== undefined) parts.push(`DEFAULT ${c.default}`);
    if (c.unique) parts.push(`${c.uniqueName ? `CONSTRAINT ${q(c.uniqueName)} ` : ''}UNIQUE`);
    if (c.check) parts.push(`${c.check.name ? `CONSTRAINT ${q(c.check.name)} ` : ''}CHECK (${c.check.expression})`);
    if (c.references) {
      const r = c.references;
      const refCols = r.columns ?? (r.column ? [r.column] : []);
      if (r.name) parts.push(`CONSTRAINT ${q(r.name)}`);
      parts.push(`REFERENCES ${q(r.table)}${refCols.length ? ` (${cols(refCols)})` : ''}${referenceClauses(referenceOptions(r), 'postgres')}`);
    }
    return parts.join(' ');
  };

  /** What follows a unique, primary key or exclusion constraint's key: its index's INCLUDE columns and storage parameters. */
  const indexParameters = (k: TableConstraint) => `${k.include ? ` INCLUDE (${cols(k.include)})` : ''}${k.storageParameters ? ` WITH (${k.storageParameters})` : ''}`;

  const constraint = (k: TableConstraint): string => {
    const head = `CONSTRAINT ${q(k.name)} `;
    switch (k.type) {
      case 'check':
        return `${head}CHECK (${k.check})`;
      case 'unique':
        return `${head}UNIQUE${k.nullsNotDistinct ? ' NULLS NOT DISTINCT' : ''} (${cols(k.columns!)})${indexParameters(k)}${timing(k)}`;
      case 'primary_key':
        return `${head}PRIMARY KEY (${cols(k.columns!)})${indexParameters(k)}${timing(k)}`;
      case 'foreign_key': {
        const r = k.references!;
        return `${head}FOREIGN KEY (${cols(k.columns!)}) REFERENCES ${q(r.table)} (${cols(r.columns)})${referenceClauses(referenceOptions({ ...r, deferrable: k.deferrable, initiallyDeferred: k.initiallyDeferred }), 'postgres')}`;
      }
      case 'exclude': {
        const x = k.exclude!;
        return `${head}EXCLUDE USING ${x.method ?? 'gist'} (${x.elements})${indexParameters(k)}${x.where ? ` WHERE (${x.where})` : ''}${timing(k)}`;
      }
    }
  };

  const lines = spec.columns.map(column);
  const pk = spec.primaryKey;
  if (pk.columns.length > 0) lines.push(`${pk.name ? `CONSTRAINT ${q(pk.name)} ` : ''}PRIMARY KEY (${cols(pk.columns)})`);
  lines.push(...spec.constraints.map(constraint));

  const comments = [
    ...(spec.comment !== undefined ? [`COMMENT ON TABLE ${q(table)} IS ${literal(spec.comment)}`] : []),
    ...spec.columns.flatMap((c) => (c.comment !== undefined ? [`COMMENT ON COLUMN ${q(table)}.${q(c.name)} IS ${literal(c.comment)}`] : [])),
  ];
  const referenced = [
    ...spec.columns.flatMap((c) => (c.references ? [c.references.table] : [])),
    ...spec.constraints.flatMap((k) => (k.references ? [k.references.table] : [])),
  ].filter((t) => t !== table);
  return { create: `CREATE TABLE ${q(table)} (\n  ${lines.join(',\n  ')}\n)`, comments, referenced: [...new Set(referenced)] };
}
