/**
 * `npm run chaos -- [--runs N] [--seed S] [--dialect postgres|mysql] [--kind kill9,signal,restart,lock,timeouts] [--rows R]`:
 * starts private PostgreSQL and MariaDB instances (temp dir, free ports),
 * runs N rounds of every fault kind per dialect against the reference run of
 * the same migration on the same seed data, and prints per kind the faults
 * injected, how the faulted runs ended, the re-runs and the rows checked.
 * Exit 1 when a scenario failed; its replay line is printed.
 */
import { KINDS, runFault, type Kind, type Outcome, type Refs } from './faults.js';
import { prng, reference, type Command } from './scenario.js';
import { startMariadb, startPostgres, type Server } from './servers.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(flag('runs') ?? 3);
const seed = Number(flag('seed') ?? Math.floor(Math.random() * 2 ** 31));
const rows = Number(flag('rows') ?? 20_000);
const kinds = (flag('kind')?.split(',') ?? [...KINDS]) as Kind[];
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
/** Each dialect on its own private server, both at once: they share nothing but the CPU. */
async function runDialect(dialect: 'postgres' | 'mysql'): Promise<void> {
  const server = dialect === 'postgres' ? await startPostgres() : await startMariadb();
  servers.push(server);
  console.log(`[chaos ${dialect}] private server at ${server.url}; seed ${seed}, ${rows} rows`);
  const [c, r] = await Promise.all([reference(server, 'contract', seed, rows), reference(server, 'rollback', seed, rows)]);
  const refs: Refs = { snap: { contract: c.snap, rollback: r.snap }, events: { contract: c.events, rollback: r.events } };
  for (let round = 0; round < runs; round++) {
    for (const kind of kinds) {
      // The seed, the round and the kind alone decide the fault's point: a failure replays with the same flags.
      const rnd = prng(`${seed}:${round}:${kind}`);
      const command = COMMANDS[(round + KINDS.indexOf(kind)) % COMMANDS.length]!;
      const t0 = Date.now();
      const o = await runFault(server, kind, command, refs, rnd, `xc_chaos_${round}_${kind}`, seed, rows);
      results.push({ ...o, dialect, round });
      const status = o.problems.length ? 'FAIL' : 'ok';
      console.log(
        `[chaos ${dialect}] round ${round} ${kind} in ${o.command} (${o.flow}): ${o.injected ? 'injected' : 'not injected'}, ended ${o.ended}, ${o.runs} runs, ${o.rowsChecked} rows checked, ${o.writes} writes, ${o.disconnects} disconnects, ${Math.round((Date.now() - t0) / 1000)} s: ${status}`,
      );
      for (const p of o.problems) console.log(`    ${p}`);
      if (o.problems.length) console.log(`    replay: npm run chaos -- --dialect ${dialect} --seed ${seed} --rows ${rows} --runs ${round + 1} --kind ${kind}`);
    }
  }
}

try {
  await Promise.all(dialects.map(runDialect));
} finally {
  await stopAll();
}

console.log(`\n[chaos] seed ${seed}, ${runs} rounds, ${rows} seeded rows, ${Math.round((Date.now() - started) / 1000)} s`);
console.log('dialect   kind      scenarios  injected  failed  rows checked  writes  disconnects  ended');
for (const dialect of dialects) {
  for (const kind of kinds) {
    const rs = results.filter((r) => r.dialect === dialect && r.kind === kind);
    if (!rs.length) continue;
    const ended = new Map<string, number>();
    for (const r of rs) ended.set(`${r.command}:${r.ended}`, (ended.get(`${r.command}:${r.ended}`) ?? 0) + 1);
    const sum = (f: (r: Outcome) => number) => rs.reduce((a, r) => a + f(r), 0);
    console.log(
      [dialect.padEnd(9), kind.padEnd(9), String(rs.length).padStart(9), String(sum((r) => +r.injected)).padStart(9), String(sum((r) => +(r.problems.length > 0))).padStart(7), String(sum((r) => r.rowsChecked)).padStart(13), String(sum((r) => r.writes)).padStart(7), String(sum((r) => r.disconnects)).padStart(12), ' ' + [...ended].map(([k, n]) => `${k}×${n}`).join(', ')].join(' '),
    );
  }
}
process.exit(results.some((r) => r.problems.length) ? 1 : 0);
