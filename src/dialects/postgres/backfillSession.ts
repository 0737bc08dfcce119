/**
 * The statement that opens a PostgreSQL backfill batch's transaction.
 *
 * Besides its settings (lock_timeout, the bypass of xc's triggers,
 * synchronous_commit off), it runs the batch with `session_replication_role =
 * replica` where that changes nothing but the cost: PostgreSQL then skips
 * every ordinary trigger without calling it or evaluating its WHEN — the
 * foreign keys'; xc's own are enabled ALWAYS (triggers.ts), so they still
 * stand aside by their WHEN, as in the normal mode. Measured before that
 * here, one UPDATE of a column over 1M fresh rows, 3 runs each: 8.9–9.7 s with
 * xc's sync trigger standing aside by its WHEN, 8.3–8.7 s in replica mode,
 * 7.0–7.5 s with no trigger on the table. The rest of the gap stays: for any
 * BEFORE UPDATE row trigger PostgreSQL fetches and locks the old row before
 * it looks at the triggers (a second Heap/LOCK WAL record per row).
 *
 * Only where nothing would have run anyway: every trigger of the table that
 * may fire is one this batch bypasses, or a foreign key's (internal) trigger
 * whose columns the batch does not write (the key check is then a no-op); no
 * rule; no child table (whose own triggers the check does not read). Any
 * other trigger — the user's audit trigger, another migration's sync
 * trigger, a deferred unique check — keeps the batch in the normal mode, as
 * does a role that may not set the parameter (superuser, or PostgreSQL 15's
 * GRANT SET ON PARAMETER). The table is locked first in the mode the UPDATE
 * takes anyway, so a trigger created meanwhile is seen (CREATE TRIGGER waits
 * for the batch, or the check sees it). The setting is transaction-local.
 */
import type { BackfillTarget } from '../dialect.js';
import { doBlock, literal, quotePg } from './text.js';

export function pgBackfillSession(settings: string, bypass: string[], target: BackfillTarget): string {
  const rel = literal(quotePg(target.table));
  const names = `ARRAY[${bypass.map(literal).join(', ')}]::name[]`;
  const columns = `ARRAY(SELECT attnum FROM pg_attribute WHERE attrelid = rel AND attname = ANY (ARRAY[${target.columns.map(literal).join(', ')}]::name[]))`;
  const untouchedKey = `EXISTS (SELECT 1 FROM pg_constraint c WHERE c.oid = tg.tgconstraint AND c.contype = 'f'
        AND NOT (c.conrelid = rel AND c.conkey && cols) AND NOT (c.confrelid = rel AND c.confkey && cols))`;
  const nothingElseFires = `NOT EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = rel AND tg.tgenabled <> 'D' AND tg.tgname <> ALL (${names})
        AND NOT (tg.tgisinternal AND ${untouchedKey}))
      AND NOT EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_class = rel)
      AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = rel)`;
  const body = ` DECLARE rel regclass := to_regclass(${rel}); may boolean := current_setting('is_superuser') = 'on'; cols int2[]; BEGIN
  PERFORM ${settings};
  IF rel IS NULL THEN RETURN; END IF;
  -- has_parameter_privilege is PostgreSQL 15's: PL/pgSQL parses it only where this branch runs.
  IF NOT may AND current_setting('server_version_num')::int >= 150000 THEN may := has_parameter_privilege('session_replication_role', 'SET'); END IF;
  IF NOT may THEN RETURN; END IF;
  LOCK TABLE ${quotePg(target.table)} IN ROW EXCLUSIVE MODE;
  cols := ${columns};
  IF ${nothingElseFires} THEN
    PERFORM set_config('session_replication_role', 'replica', true);
  END IF;
END `;
  return doBlock(body);
}
