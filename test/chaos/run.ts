/**
 * `npm run chaos -- [--runs N] [--seed S] [--dialect postgres|mysql] [--kind kill9,signal,restart,lock-lost,timeouts,blocker,input] [--rows R] [--migration NAME,…] [--input ROUND:CLASS:INDEX]`:
 * starts private PostgreSQL and MariaDB instances (temp dir, free ports),
 * runs N rounds of every fault kind per dialect, each on a migration of the
 * catalogue (`--migration` narrows it), against the reference run of the
 * same migration on the same seed data, and prints per kind the faults
 * injected, how the faulted runs ended, the re-runs and the rows checked.
 * The `input` kind feeds a seeded bad-input corpus instead (inputs.ts); its
 * replay line names the one input (`--input ROUND:CLASS:INDEX`); with
 * XC_CHAOS_TRACE=1 each input is named on stderr before it runs, for a crash
 * that takes the process down before any replay line is printed.
 * Exit 1 when a scenario failed; its replay line is printed.
 */
import { migrationFor } from './catalogue.js';
import { KINDS, runFault, type Kind, type Outcome } from './faults.js';
import { INPUT_KIND, inputFailed, inputLines, inputSummary, runInputs, type InputRound } from './inputs.js';
import { faultLine, faultSummary } from './report.js';
import { prng, References, type Command } from './scenario.js';
import { startMariadb, startPostgres, type Server } from './servers.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(flag('runs') ?? 3);
const seed = Number(flag('seed') ?? Math.floor(Math.random() * 2 ** 31));
const rows = Number(flag('rows') ?? 20_000);
const kinds = (flag('kind')?.split(',') ?? [...KINDS, INPUT_KIND]) as (Kind | typeof INPUT_KIND)[];
// The bad-input corpus (`--input ROUND:CLASS:INDEX` replays one input) needs no reference run.
const faultKinds = kinds.filter((k): k is Kind => k !== INPUT_KIND);
const inputRounds: InputRound[] = [];
const dialects = (flag('dialect')?.split(',') ?? ['postgres', 'mysql']) as ('postgres' | 'mysql')[];

const COMMANDS: Command[] = ['apply', 'contract', 'rollback'];
const servers: Server[] = [];
const stopAll = async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void stopAll().then(() => process.exit(130)));
}

const started = Date.now();
const results: (Outcome & { dialect: string; round: number })[] = [];
/** What each dialect is running now: named if the whole run outlasts its limit. */
const running = new Map<string, string>();
// A run that outlasts this is a hang (a held lock and an xc waiting on each other hung CI past its limit once):
// it fails, naming what was running, instead of taking the whole CI run's time. Rounds × kinds take ~6 min per round.
const limitMs = Number(process.env.XC_CHAOS_LIMIT_MS) || runs * 20 * 60_000;
setTimeout(() => {
  console.log(`[chaos] still running after ${Math.round(limitMs / 1000)} s (XC_CHAOS_LIMIT_MS), given up: ${[...running].map(([d, what]) => `${d}: ${what}`).join('; ')}`);
  void stopAll().then(() => process.exit(1));
}, limitMs).unref();
/** Each dialect on its own private server, both at once: they share nothing but the CPU. */
async function runDialect(dialect: 'postgres' | 'mysql'): Promise<void> {
  const server = dialect === 'postgres' ? await startPostgres() : await startMariadb();
  servers.push(server);
  console.log(`[chaos ${dialect}] private server at ${server.url}; seed ${seed}, ${rows} rows`);
  // Each catalogue entry's uninterrupted run, made when a scenario first needs it (`--kind input` alone makes none).
  const refs = new References(server, seed, rows);
  for (let round = 0; round < runs; round++) {
    for (const kind of kinds) {
      if (kind === INPUT_KIND) {
        running.set(dialect, `round ${round} input`);
        const o = await runInputs(server, { seed, round, only: flag('input') });
        inputRounds.push(o);
        for (const l of inputLines(o, (only) => `npm run chaos -- --dialect ${dialect} --seed ${seed} --runs ${round + 1} --kind input --input ${only}`)) console.log(l);
        continue;
      }
      // The seed, the round and the kind alone decide the fault's point: a failure replays with the same flags.
      running.set(dialect, `round ${round} ${kind} (replay: npm run chaos -- --dialect ${dialect} --seed ${seed} --rows ${rows} --runs ${round + 1} --kind ${kind})`);
      const rnd = prng(`${seed}:${round}:${kind}`);
      const command = COMMANDS[(round + KINDS.indexOf(kind)) % COMMANDS.length]!;
      const t0 = Date.now();
      const migration = migrationFor(seed, round, KINDS.indexOf(kind), flag('migration')?.split(','));
      const o = await runFault(server, kind, command, migration, refs, rnd, `xc_chaos_${round}_${kind.replace('-', '_')}`, seed, rows);
      results.push({ ...o, dialect, round });
      console.log(`[chaos ${dialect}] round ${round} ${faultLine(o)}, ${Math.round((Date.now() - t0) / 1000)} s: ${o.problems.length ? 'FAIL' : 'ok'}`);
      for (const p of o.problems) console.log(`    ${p}`);
      const only = flag('migration') ? ` --migration ${flag('migration')}` : '';
      if (o.problems.length) console.log(`    replay: npm run chaos -- --dialect ${dialect} --seed ${seed} --rows ${rows} --runs ${round + 1} --kind ${kind}${only}`);
    }
  }
}

try {
  await Promise.all(dialects.map(runDialect));
} finally {
  await stopAll();
}

console.log(`\n[chaos] seed ${seed}, ${runs} rounds, ${rows} seeded rows, ${Math.round((Date.now() - started) / 1000)} s`);
if (faultKinds.length) for (const l of faultSummary(results, dialects, faultKinds)) console.log(l);
for (const l of inputSummary(inputRounds)) console.log(l);
process.exit(results.some((r) => r.problems.length) || inputRounds.some(inputFailed) ? 1 : 0);
