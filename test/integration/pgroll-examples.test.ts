/**
 * Issue 13: pgroll's own example migrations (xataio/pgroll examples/*.yaml), translated to xc in
 * migrations-examples/pgroll/, run in order on a fresh database — each one applied then contracted, as pgroll's
 * start then complete; a sample also rolled back first, which must leave the schema exactly as it was — and the
 * final schema compared, through the catalog, with the one pgroll's examples make, written by hand in
 * pgroll-examples.expected.ts. On MySQL/MariaDB the same, with the variants and skips of the mapping
 * (test/helpers/pgroll-examples.ts). An example whose feature has not landed is skipped visibly, by the mapping.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import { shapeOf, type SchemaShape } from '../helpers/catalog.js';
import { filesOf, PGROLL_EXAMPLES, skipReason } from '../helpers/pgroll-examples.js';
import { targets, type Db } from '../helpers/targets.js';
import { EXPECTED, TOUCHES } from './pgroll-examples.expected.js';

const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../../migrations-examples/pgroll');

/** Rolled back once before being applied for good: one of each kind of operation the examples use. */
const ROLLBACK_SAMPLE = new Set([
  '0001_create_tables', '0003_add_column', '0004_rename_table', '0005_sql', '0009_drop_column', '0013_rename_column', '0015_set_column_unique',
  '0018_change_column_type', '0021_add_foreign_key_constraint', '0029_set_replica_identity', '0032_sql_on_complete', '0033_rename_check_constraint',
  '0035_alter_column_multiple', '0038_create_hash_index_with_fillfactor', '0044_add_table_unique_constraint', '0047_add_table_foreign_key_constraint',
  '0048_drop_tickets_check', '0051_create_table_with_table_foreign_key_constraint', '0055_add_primary_key_constraint_to_table',
]);

const phaseOf = async (xc: Xc, id: string) => (await xc.status()).migrations.find((m) => m.id === id)?.phase;

/**
 * A check as a CHECK constraint or as xc's trigger pair is the same check: on MySQL/MariaDB renameConstraint enforces a
 * check under its new name by triggers (a CHECK can only be added by copying the table), and so under its old name
 * again on rollback (dialects/mysql/renames.ts).
 */
const sameChecks = (shape: SchemaShape): SchemaShape =>
  JSON.parse(JSON.stringify(shape, (_, v: unknown) => (typeof v === 'string' ? v.replace(/ \[trigger\]$/, '') : v))) as SchemaShape;

/**
 * After a failure: the migration rolled back and its file taken out, so that the next examples run on their own (they
 * then fail only where they need what it makes). A file that does not parse fails every command, status included: it
 * goes first. One that cannot be rolled back any more (contracting) stays, and so does its failure.
 */
async function setAside(xc: Xc, id: string, file: string): Promise<void> {
  const phase = await phaseOf(xc, id).catch(() => undefined);
  if (phase === 'contracting' || phase === 'contracted') return;
  if (phase && phase !== 'rolled_back' && phase !== 'pending') await xc.rollback({ id });
  await rm(file);
}

/** Drop from a schema what an example that did not run would have made or changed (TOUCHES: `table`, `table.columns.c`, …). */
function without(shape: SchemaShape, ids: string[]): SchemaShape {
  const copy = structuredClone(shape);
  for (const id of ids) {
    for (const p of TOUCHES[id] ?? []) {
      const [table, part, name] = p.split('.') as [string, 'columns' | 'constraints' | 'indexes' | 'comment' | 'replicaIdentity' | undefined, string | undefined];
      if (table === 'types') delete copy.types?.[part!];
      else if (!part) delete copy.tables[table];
      else if (part === 'comment' || part === 'replicaIdentity') delete copy.tables[table]?.[part];
      else if (name) delete copy.tables[table]?.[part as 'columns']?.[name];
    }
  }
  return copy;
}

it('migrations-examples/pgroll holds one file per example of the mapping, and its README states the mapping', async () => {
  const files = (await readdir(EXAMPLES_DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
  expect(files).toEqual(PGROLL_EXAMPLES.flatMap(filesOf));
  const variants = (await readdir(path.join(EXAMPLES_DIR, 'mysql'))).map((f) => f.slice(0, -5));
  // A variant replaces some files of its example (the others run as they are), and only a variant has files there.
  for (const e of PGROLL_EXAMPLES) expect(filesOf(e).some((f) => variants.includes(f)), e.id).toBe(e.mysql.kind === 'variant');
  expect(variants.filter((v) => !PGROLL_EXAMPLES.some((e) => filesOf(e).includes(v)))).toEqual([]);
  // What each example leaves in the final schema is written down for every one, so a pending one is left out exactly.
  expect(Object.keys(TOUCHES)).toEqual(PGROLL_EXAMPLES.map((e) => e.id));
  const readme = await readFile(path.join(EXAMPLES_DIR, 'README.md'), 'utf8');
  for (const e of PGROLL_EXAMPLES) {
    const row = readme.split('\n').find((l) => l.startsWith(`| ${e.id} |`));
    expect(row, e.id).toBeDefined();
    expect(row).toContain(e.pending ? `pending: ${e.pending}` : e.translation.kind);
    expect(row).toContain(e.mysql.kind);
  }
});

for (const target of targets) {
  target.describe(`pgroll's examples, in order (${target.name})`, () => {
    let db: Db;
    let dir: string;
    let xc: Xc;
    const skipped: string[] = [];

    beforeAll(async () => {
      db = await target.create('xc_pgroll');
      dir = await mkdtemp(path.join(tmpdir(), 'xc-pgroll-'));
      xc = createXc({ url: db.url, dir, batchSize: 100, batchDelayMs: 0 });
    });
    afterAll(async () => {
      await xc?.close();
      await db?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    for (const e of PGROLL_EXAMPLES) {
      const reason = skipReason(e, target.name);
      if (reason) {
        skipped.push(e.id);
        it.skip(`${e.id} — ${reason}`, () => undefined);
        continue;
      }
      it(`${e.id}: apply, then contract${ROLLBACK_SAMPLE.has(e.id) ? ' (rolled back once first)' : ''}`, async () => {
        for (const id of filesOf(e)) {
          // Files are added one by one, as a project's history grows; one that fails is rolled back and taken out, so
          // that the next examples run on their own (they then fail only where they need what it makes).
          const variant = path.join(EXAMPLES_DIR, 'mysql', `${id}.yaml`);
          const source = target.name === 'mysql' && e.mysql.kind === 'variant' && existsSync(variant) ? variant : path.join(EXAMPLES_DIR, `${id}.yaml`);
          const file = path.join(dir, `${id}.yaml`);
          await copyFile(source, file);
          try {
            if (ROLLBACK_SAMPLE.has(e.id)) {
              const before = await shapeOf(db);
              await xc.apply({ id });
              expect(await phaseOf(xc, id)).toBe('backfilled');
              await xc.rollback({ id });
              expect(await phaseOf(xc, id)).toBe('rolled_back');
              expect(sameChecks(await shapeOf(db))).toEqual(sameChecks(before));
            }
            await xc.apply({ id });
            expect(await phaseOf(xc, id)).toBe('backfilled');
            await xc.contract({ id, force: true, reason: 'pgroll examples: no application is deployed' });
            expect(await phaseOf(xc, id)).toBe('contracted');
          } catch (err) {
            await setAside(xc, id, file).catch(() => undefined);
            throw err;
          }
        }
      }, 240_000); // a loaded 2-core box, other suites holding locks on the shared servers: allow minutes
    }

    it(`the final schema is the one pgroll's examples make${skipped.length ? ` (leaving out what ${skipped.join(', ')} would make)` : ''}`, async () => {
      const actual = await shapeOf(db);
      // XC_PGROLL_DUMP=<path prefix> writes what the catalog shows, to compare at length with the expectation (vitest cuts long diffs).
      if (process.env.XC_PGROLL_DUMP) writeFileSync(`${process.env.XC_PGROLL_DUMP}.${target.name}.json`, JSON.stringify(actual, null, 1));
      // A pending example is left out of both sides; a MySQL skip is already absent from the MySQL expectation.
      const pending = PGROLL_EXAMPLES.filter((e) => e.pending && skipReason(e, target.name)).map((e) => e.id);
      expect(without(actual, pending)).toEqual(without(EXPECTED[target.name], pending));
    });
  });
}
