/**
 * Before a contract removes anything: the indexes, constraints and triggers
 * its expand built are still there. One dropped by hand since (a copy
 * `xc_idx…` that looked like debris) would not be missed by the contract: the
 * old column takes the original index with it, and the rename that gives the
 * copy its name finds nothing to rename — a unique key lost, exit 0. A sync
 * trigger dropped lets the two shapes drift apart after the verify passed,
 * and the old column's drop then loses what old code wrote. Read from the
 * catalog once, before the verify; a contract resumed after a crash has
 * renamed or dropped some already and is not read again.
 */
import { withSession } from '../db/driver.js';
import { DataMismatchError } from '../errors.js';
import type { SchemaObject, Step } from '../plan/index.js';
import type { MigrationRow } from '../state/store.js';
import type { EngineContext } from './context.js';
import { describeObject } from './ownership.js';

const key = (o: Pick<SchemaObject, 'kind' | 'name'>) => `${o.kind}\0${o.name}`;

/**
 * Indexes and constraints the expand creates, does not remove again itself, and the contract names (renames a
 * copy, validates a check): one the contract leaves alone (addIndex's) may go its own way meanwhile — a later
 * migration may rename or drop it.
 */
function built(expand: Step[], contract: Step[]): SchemaObject[] {
  return expand.flatMap((step, seq) =>
    (step.creates ?? []).filter(
      (o) => (o.kind === 'index' || o.kind === 'constraint') && !expand.slice(seq + 1).some((later) => later.removes && key(later.removes) === key(o)) && contract.some((c) => c.sql.includes(o.name)),
    ),
  );
}

/** Triggers the expand installs and does not drop again itself. */
function installed(expand: Step[]): string[] {
  return expand.flatMap((step, seq) => (step.installs !== undefined && !expand.slice(seq + 1).some((later) => /^DROP TRIGGER/i.test(later.sql) && later.sql.includes(step.installs!)) ? [step.installs] : []));
}

export async function requireExpandIntact(ctx: EngineContext, row: Pick<MigrationRow, 'id' | 'plan'>): Promise<void> {
  const expected = built(row.plan.expand, row.plan.contract);
  const triggers = installed(row.plan.expand);
  if (expected.length === 0 && triggers.length === 0) return;
  const { model, present: triggersThere } = await withSession(ctx.driver, async (s) => ({ model: await ctx.dialect.introspect(s), present: await ctx.dialect.triggersPresent(s, triggers) }));
  // By name across tables: a table renamed since by a later migration keeps its indexes and constraints.
  const present = new Set<string>();
  for (const t of model.tables.values()) {
    for (const i of t.indexes) {
      present.add(key({ kind: 'index', name: i.name }));
      if (i.constraint) present.add(key({ kind: 'constraint', name: i.constraint }));
    }
    for (const k of [...t.checks, ...t.foreignKeys]) present.add(key({ kind: 'constraint', name: k.name }));
  }
  const missing = [...expected.filter((o) => !present.has(key(o))).map(describeObject), ...triggers.filter((t) => !triggersThere.has(t)).map((t) => `trigger "${t}"`)];
  if (missing.length === 0) return;
  const them = missing.length === 1 ? 'it' : 'them';
  throw new DataMismatchError(
    `contract refused: ${missing.join(', ')}, which the expand of ${row.id} built, ${missing.length === 1 ? 'is' : 'are'} gone (dropped since, not by xc); ` +
      `the contract relies on ${them} (a copy takes the original's name once the old column is gone; a trigger keeps the two shapes equal until then). Nothing was changed. ` +
      `Roll the migration back (\`xc rollback ${row.id}\`) and apply it again, which builds ${them} anew.`,
    { migration: row.id, missing },
    { code: 'expand_undone' },
  );
}
