/**
 * The `startup` section: how long the `xc` command takes to start and finish
 * a quick command, from the build (dist/, rebuilt first so it is never
 * stale), against `node -e 0` in the same run. Targets (issue 14.1): `level`
 * within 2× of bare Node, `status` and `check` against PostgreSQL within 4×.
 * hyperfine when installed, else a loop of spawns here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createBenchDb } from './pg.js';
import { millis, ratio, type Section } from './report.js';

interface Timing {
  meanMs: number;
  stddevMs: number;
  minMs: number;
  /** CPU time in user mode (hyperfine only): less swayed by a busy machine than wall time. */
  userMs: number | null;
}

interface Case {
  label: string;
  args: string[];
  /** Its mean over `node -e 0`'s must be at most this. */
  target?: number;
}

function hyperfineAvailable(): boolean {
  return spawnSync('hyperfine', ['--version']).status === 0;
}

/** Rounds each command's runs are split into, all commands in each: a load spike on a busy machine then falls on every command alike, not on one. */
const ROUNDS = 4;

function timing(timesMs: number[], userMs: number | null): Timing {
  const mean = timesMs.reduce((a, b) => a + b, 0) / timesMs.length;
  const stddev = Math.sqrt(timesMs.reduce((a, b) => a + (b - mean) ** 2, 0) / timesMs.length);
  return { meanMs: mean, stddevMs: stddev, minMs: Math.min(...timesMs), userMs };
}

/** One round: each command line (argv) `runs` times after `warmup` unmeasured runs; wall times (ms) and mean user CPU (ms, hyperfine only). */
async function round(commands: string[][], runs: number, warmup: number, cwd: string): Promise<{ times: number[]; userMs: number | null }[]> {
  if (hyperfineAvailable()) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-startup-'));
    try {
      const json = path.join(dir, 'hyperfine.json');
      // -N: no shell in between (its start-up would be counted); no argument here holds a space.
      execFileSync('hyperfine', ['-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', json, ...commands.map((c) => c.join(' '))], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: { times: number[]; user: number }[] };
      return results.map((r) => ({ times: r.times.map((t) => t * 1000), userMs: r.user * 1000 }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return commands.map(([cmd, ...args]) => {
    const times: number[] = [];
    for (let i = 0; i < runs + warmup; i++) {
      const t = performance.now();
      const r = spawnSync(cmd!, args, { cwd, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status}`);
      if (i >= warmup) times.push(performance.now() - t);
    }
    return { times, userMs: null };
  });
}

/** Each command line `runs` times in all (3 warm-ups first), over ROUNDS rounds. */
async function measure(commands: string[][], runs: number, cwd: string): Promise<Timing[]> {
  const per = Math.max(1, Math.ceil(runs / ROUNDS));
  const rounds: { times: number[]; userMs: number | null }[][] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(commands, per, r === 0 ? 3 : 1, cwd));
  return commands.map((_, i) => {
    const user = rounds.map((r) => r[i]!.userMs);
    return timing(rounds.flatMap((r) => r[i]!.times), user.includes(null) ? null : (user as number[]).reduce((a, b) => a + b, 0) / user.length);
  });
}

export async function startupSection(o: { pgUrl: string; runs: number; root: string }, log: (line: string) => void): Promise<Section & { server: string }> {
  log('startup: npm run build (the section times dist/, as installed)');
  execFileSync('npm', ['run', 'build'], { cwd: o.root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(path.join(o.root, 'dist/cli/main.js'))) throw new Error('startup: npm run build left no dist/cli/main.js');
  const db = await createBenchDb(o.pgUrl);
  try {
    const server = String((await db.client.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v);
    const node = process.execPath;
    const xc = [node, path.join(o.root, 'bin/xc')];
    const dir = path.join(o.root, 'migrations-examples');
    // status and check read a state that has its migrations applied (the gate then lets the build through: exit 0).
    execFileSync(node, [...xc.slice(1), 'apply', '--dir', dir, '--url', db.url], { cwd: o.root, stdio: 'ignore' });
    const cases: Case[] = [
      { label: '`node -e 0`', args: [node, '-e', '0'] },
      { label: '`xc --version`', args: [...xc, '--version'] },
      { label: '`xc --help`', args: [...xc, '--help'] },
      { label: '`xc level`', args: [...xc, 'level', '--dir', dir], target: 2 },
      { label: '`xc status` (PostgreSQL)', args: [...xc, 'status', '--dir', dir, '--url', db.url], target: 4 },
      { label: '`xc check --app a --version v` (PostgreSQL)', args: [...xc, 'check', '--app', 'a', '--version', 'v', '--dir', dir, '--url', db.url], target: 4 },
    ];
    log(`startup: ${cases.length} commands × ${o.runs} runs${hyperfineAvailable() ? ' (hyperfine)' : ' (hyperfine not installed: spawned here)'}`);
    const timings = await measure(cases.map((c) => c.args), o.runs, o.root);
    const base = timings[0]!;
    const rows = cases.map((c, i) => {
      const t = timings[i]!;
      const met = c.target === undefined ? '—' : t.meanMs / base.meanMs <= c.target ? `yes (≤ ${c.target}×)` : `**no** (> ${c.target}×)`;
      return [c.label, millis(t.meanMs), millis(t.stddevMs), millis(t.minMs), t.userMs === null ? '—' : millis(t.userMs), ratio(t.meanMs, base.meanMs), ratio(t.minMs, base.minMs), met];
    });
    const missed = cases.filter((c, i) => c.target !== undefined && timings[i]!.meanMs / base.meanMs > c.target);
    return {
      title: 'Start-up',
      server: `PostgreSQL (start-up): ${server}`,
      intro: [
        `Each command run ${Math.max(1, Math.ceil(o.runs / ROUNDS)) * ROUNDS} times${timings[0]!.userMs !== null ? ' by `hyperfine -N`' : ''}, in ${ROUNDS} rounds of every command (a load spike of a busy machine falls on all alike), from the build (\`npm run build\` first; \`node bin/xc\`, no shell), in the same run as \`node -e 0\`. The ratio of the fastest runs (min) is the steadiest figure; the targets are judged on the means.`,
        '`level` reads `migrations-examples/` (8 files); `status` and `check` read the same folder and a PostgreSQL database the bench creates, with those migrations applied (check exits 0).',
      ],
      tables: [
        {
          title: 'Mean wall time (ms) against bare Node',
          head: ['command', 'mean', '± σ', 'min', 'user CPU', 'mean vs `node -e 0`', 'min vs `node -e 0`', 'target met'],
          rows,
          notes: [
            'What each loads: `--version`/`--help` commander and the options registry only; `level` the file names of `--dir` (no driver, no validator); `status`/`check` the library with the one driver of the URL\'s scheme (pg here; mysql2 for mysql://) and the core of its dialect (state, sessions, gate queries: its DDL builders and schema reader load only for a command that plans); `check` the file names of `--dir` alone (no parser, no validator); `status` the files of started migrations (here all 8: yaml for the YAML ones, jiti for the TS one) for drift, without zod when unchanged since applied.',
          ],
        },
      ],
      conclusions: [
        missed.length === 0
          ? 'Every target met in this run.'
          : `Not met in this run: ${missed.map((c) => `${c.label} (target ${c.target}×)`).join(', ')}. ` +
            'Their time is loading code, compiled afresh on every run (Node 20 has no compile cache): the library (~73 modules of dist/: every command registered, the dialect\'s core; a TS migration\'s `import … from \'expand-contract\'` loads the library entry, the fleet with it), commander, pg, and for status yaml and jiti to read the applied YAML and TS files for drift; the database round trips are a small part.',
      ],
      failed: false,
    };
  } finally {
    await db.drop();
  }
}
