/**
 * The property, run with fast-check on one dialect: every generated scenario
 * runs on a database of its own and must keep every invariant. Settings come
 * from the environment so `npm test` and `npm run fuzz` share it:
 *   XC_FUZZ_RUNS   scenarios per dialect
 *   XC_FUZZ_SEED   fast-check seed (default: random, printed)
 *   XC_FUZZ_PATH   replay path printed with a failure (with the same seed)
 *   XC_FUZZ_AVOID  comma list: "conflicts" (only plausible operations) and/or operation kinds never to generate
 *   XC_FUZZ_SHRINK_MS  stop shrinking after this long (default 120000)
 * A failure prints the seed, the path and the shrunk scenario with its
 * migrations as JSON files, ready to be turned into a regression test.
 */
import fc from 'fast-check';
import type { Target } from '../helpers/targets.js';
import { scenarioArbitrary, type Scenario } from './generator.js';
import { migrationJson, type Dialect } from './model.js';
import { FuzzFailure, idOf, runScenario, type Stats } from './runner.js';

export interface FuzzOptions {
  runs: number;
  seed: number;
  path?: string;
  avoidConflicts: boolean;
  /** Operation kinds not generated (to look past a known defect); the committed default generates all. */
  avoidKinds: string[];
  shrinkMs: number;
}

/** Settings from the environment; without XC_FUZZ_SEED, `defaultSeed` or else a random one. */
export function optionsFromEnv(defaultRuns: number, defaultSeed?: number): FuzzOptions {
  const env = process.env;
  return {
    runs: Number(env.XC_FUZZ_RUNS ?? defaultRuns),
    seed: env.XC_FUZZ_SEED !== undefined ? Number(env.XC_FUZZ_SEED) : (defaultSeed ?? Math.floor(Math.random() * 2 ** 31)),
    path: env.XC_FUZZ_PATH || undefined,
    avoidConflicts: (env.XC_FUZZ_AVOID ?? '').split(',').includes('conflicts'),
    avoidKinds: (env.XC_FUZZ_AVOID ?? '').split(',').filter((k) => k && k !== 'conflicts'),
    shrinkMs: Number(env.XC_FUZZ_SHRINK_MS ?? 120000),
  };
}

export interface FuzzResult {
  stats: Stats;
  /** The report of a failure (seed, path, shrunk scenario), or undefined when every scenario held. */
  failure?: string;
}

export async function fuzz(target: Target, opts: FuzzOptions, log: (line: string) => void = console.log): Promise<FuzzResult> {
  const stats: Stats = { sequences: 0, commands: 0, rowsChecked: 0, writes: 0, refused: 0, refusals: {}, notes: [] };
  let lastError: unknown;
  let firstFailureAt: number | undefined;
  const property = fc.asyncProperty(scenarioArbitrary({ conflicts: !opts.avoidConflicts, avoid: new Set(opts.avoidKinds), dialect: target.name }), async (sc) => {
    // Shrinking runs whole scenarios against the servers: past its budget every candidate "passes", which ends it.
    if (firstFailureAt !== undefined && Date.now() - firstFailureAt > opts.shrinkMs) return;
    const db = await target.create('xc_fuzz');
    try {
      await runScenario(db, sc, stats);
    } catch (err) {
      lastError = err;
      firstFailureAt ??= Date.now();
      throw err;
    } finally {
      await db.drop().catch(() => undefined);
    }
  });
  log(`[fuzz ${target.name}] seed ${opts.seed}, ${opts.runs} scenarios${opts.path ? `, replaying path ${opts.path}` : ''}${opts.avoidConflicts ? ', plausible operations only' : ''}${opts.avoidKinds.length ? `, never ${opts.avoidKinds.join('/')}` : ''}`);
  const details = await fc.check(property, { numRuns: opts.runs, seed: opts.seed, ...(opts.path ? { path: opts.path } : {}) });
  log(`[fuzz ${target.name}] seed ${opts.seed}: ${stats.sequences} sequences held, ${stats.commands} commands, ${stats.rowsChecked} rows checked, ${stats.writes} writes${stats.deadlocksRetried ? ` (${stats.deadlocksRetried} deadlocks between writers retried)` : ''}, ${stats.refused} refused migrations`);
  for (const note of stats.notes) log(`[fuzz ${target.name}] note: ${note}`);
  if (stats.applied) log(`[fuzz ${target.name}] operations that passed plan: ${Object.entries(stats.applied).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const [reason, n] of Object.entries(stats.refusals).sort((a, b) => b[1] - a[1])) log(`[fuzz ${target.name}] refused ${n} time(s): ${reason}`);
  if (!details.failed) return { stats };
  const sc = details.counterexample?.[0] as Scenario | undefined;
  const err = details.errorInstance ?? lastError;
  const report = [
    `[fuzz ${target.name}] FAILED after ${details.numRuns} scenarios (${details.numShrinks} shrinks)`,
    `  replay: XC_FUZZ_SEED=${details.seed} XC_FUZZ_PATH=${details.counterexamplePath} XC_FUZZ_RUNS=1 npm run fuzz`,
    `  what broke: ${err instanceof FuzzFailure ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    sc ? describeScenario(sc, target.name) : '  (no counterexample)',
  ].join('\n');
  log(report);
  return { stats, failure: report };
}

/** The scenario as a reader needs it to write a regression test: tables, rows' seed, schedule, each migration file. */
export function describeScenario(sc: Scenario, dialect: Dialect): string {
  const lines = ['  starting schema (each table: id int PRIMARY KEY, 12-20 seeded rows):'];
  for (const t of sc.schema.tables) {
    const cols = t.columns.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}${c.default !== undefined ? ` DEFAULT ${JSON.stringify(c.default)}` : ''}${c.ref ? ` REFERENCES ${c.ref}` : ''}`);
    const extra = [...t.indexes.map((i) => `index ${i.name}(${i.columns})`), ...(t.multi ?? []).map((k) => `${k.kind} ${k.name}(${k.columns})${k.sum ? ` sum <= ${k.sum}` : ''}`), ...t.checks.map((k) => `check ${k.name}(${k.column})`), ...t.fks.map((k) => `fk ${k.name}`)];
    lines.push(`    ${t.name}(${cols.join(', ')})${extra.length ? ` + ${extra.join(', ')}` : ''}`);
  }
  lines.push(`  data seed ${sc.dataSeed}; end: ${sc.end.rollback ? `rollback after ${idOf(sc.end.at)}${sc.end.atExpand ? ' (expanded only)' : ''}` : 'contract everything'}`);
  sc.migrations.forEach((m, i) => {
    const s = sc.schedule[i]!;
    lines.push(`  ${idOf(i)}.json (${s.expandFirst ? 'expand, then apply' : 'apply'}; then contract ${s.contractAfter} in flight${m.conflict ? '; colliding on purpose' : ''}):`);
    lines.push(`    ${JSON.stringify(migrationJson(m, `fuzz migration ${i + 1}`, dialect))}`);
  });
  return lines.join('\n');
}
