/**
 * Dual-write triggers for PostgreSQL. They look only at the row (NEW/OLD),
 * never at session state such as search_path, so they behave the same behind
 * PgBouncer in transaction mode (pgroll #829).
 *
 * Author expressions name the row's columns bare (`upper(name)`); inside the
 * trigger they are evaluated over `(SELECT NEW.*)`, so no expression
 * rewriting is needed.
 *
 * The WHEN clause lets the backfill of the trigger's own migration (which
 * `SET LOCAL xc.bypass = '<trigger names>'` and writes both shapes itself)
 * skip it: the backfill then costs what a plain UPDATE costs. Triggers of
 * other migrations on the same table still fire. The setting is
 * transaction-local and set only by xc.
 */
import type { FillTriggerSpec, SyncTriggerSpec, TriggerSteps } from '../dialect.js';
import type { Step } from '../../operations/types.js';

export const BYPASS_SETTING = 'xc.bypass';

type Quote = (id: string) => string;

function overRow(expr: string): string {
  return `(SELECT (${expr}) FROM (SELECT NEW.*) AS _xc_row)`;
}

function triggerSteps(q: Quote, name: string, table: string, body: string, what: string): TriggerSteps {
  const fn = q(name);
  const create: Step[] = [
    {
      sql: `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $xc$\nBEGIN\n${body}\n  RETURN NEW;\nEND\n$xc$`,
      description: `create trigger function ${name} (${what})`,
      lock: 'none',
      transactional: true,
      tables: [],
    },
    {
      sql: `DROP TRIGGER IF EXISTS ${fn} ON ${q(table)}`,
      description: `remove any earlier trigger ${name}`,
      lock: `SHARE ROW EXCLUSIVE on ${q(table)} (instant)`,
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
 * read off the row: on INSERT, the side left NULL is computed from the other;
 * on UPDATE, the side that changed wins. The old column's default is applied
 * here (it was removed from the column) so it never overwrites a value the
 * new version wrote.
 */
export function pgSyncTrigger(q: Quote, s: SyncTriggerSpec): TriggerSteps {
  const o = `NEW.${q(s.oldColumn)}`;
  const n = `NEW.${q(s.newColumn)}`;
  const up = `${n} := ${overRow(s.up)};`;
  const down = `${o} := ${overRow(s.down)};`;
  const applyDefault = s.oldDefault === null ? '' : `\n    IF ${o} IS NULL AND ${n} IS NULL THEN ${o} := ${s.oldDefault}; END IF;`;
  const body = `  IF TG_OP = 'INSERT' THEN${applyDefault}
    IF ${n} IS NULL THEN ${up}
    ELSIF ${o} IS NULL THEN ${down}
    END IF;
  ELSIF ${o} IS DISTINCT FROM OLD.${q(s.oldColumn)} AND ${n} IS NOT DISTINCT FROM OLD.${q(s.newColumn)} THEN ${up}
  ELSIF ${n} IS DISTINCT FROM OLD.${q(s.newColumn)} AND ${o} IS NOT DISTINCT FROM OLD.${q(s.oldColumn)} THEN ${down}
  ELSIF ${n} IS NULL THEN ${up}
  END IF;`;
  return triggerSteps(q, s.name, s.table, body, `keeps ${s.oldColumn} and ${s.newColumn} in sync`);
}

/** Fill one column from an expression whenever a write leaves it NULL. */
export function pgFillTrigger(q: Quote, s: FillTriggerSpec): TriggerSteps {
  const c = `NEW.${q(s.column)}`;
  const body = `  IF ${c} IS NULL THEN ${c} := ${overRow(s.expr)}; END IF;`;
  return triggerSteps(q, s.name, s.table, body, `fills ${s.column} when a write leaves it NULL`);
}
