/**
 * `npm run fuzz -- --runs N [--seed S] [--path P] [--dialect postgres|mysql] [--avoid conflicts,renameTable,...]`:
 * the generated-sequence property run longer than in `npm test`, on both
 * dialects by default; prints the seed, the counts and any failure's replay
 * line and shrunk scenario. Exit 1 when a scenario failed.
 */
import { targets } from '../helpers/targets.js';
import { fuzz, optionsFromEnv } from './property.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const opts = optionsFromEnv(100);
if (flag('runs')) opts.runs = Number(flag('runs'));
if (flag('seed')) opts.seed = Number(flag('seed'));
if (flag('path')) opts.path = flag('path');
const avoid = flag('avoid')?.split(',') ?? [];
if (avoid.includes('conflicts')) opts.avoidConflicts = true;
opts.avoidKinds.push(...avoid.filter((k) => k && k !== 'conflicts'));
const only = flag('dialect');
const env = { postgres: process.env.XC_TEST_PG_URL, mysql: process.env.XC_TEST_MYSQL_URL };

let failed = false;
const totals = { sequences: 0, commands: 0, rowsChecked: 0, writes: 0 };
const started = Date.now();
for (const target of targets) {
  if (only && only !== target.name) continue;
  if (!env[target.name]) {
    console.log(`[fuzz ${target.name}] skipped: set ${target.name === 'postgres' ? 'XC_TEST_PG_URL' : 'XC_TEST_MYSQL_URL'}`);
    continue;
  }
  const result = await fuzz(target, opts);
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += result.stats[k];
  failed ||= result.failure !== undefined;
}
console.log(
  `[fuzz] seed ${opts.seed}, ${opts.runs} scenarios per dialect: ${totals.sequences} sequences, ${totals.commands} commands, ${totals.rowsChecked} rows checked, ${totals.writes} writes in ${Math.round((Date.now() - started) / 1000)} s`,
);
process.exit(failed ? 1 : 0);
