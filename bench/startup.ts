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

/** Mean and spread of each command line (argv arrays), run `runs` times after 3 warm-ups. */
async function measure(commands: string[][], runs: number, cwd: string): Promise<Timing[]> {
  if (hyperfineAvailable()) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-startup-'));
    try {
      const json = path.join(dir, 'hyperfine.json');
      // -N: no shell in between (its start-up would be counted); no argument here holds a space.
      execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', json, ...commands.map((c) => c.join(' '))], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
      const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: { mean: number; stddev: number; min: number; user: number }[] };
      return results.map((r) => ({ meanMs: r.mean * 1000, stddevMs: r.stddev * 1000, minMs: r.min * 1000, userMs: r.user * 1000 }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return commands.map(([cmd, ...args]) => {
    const times: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t = performance.now();
      const r = spawnSync(cmd!, args, { cwd, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status}`);
      if (i >= 3) times.push(performance.now() - t);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const stddev = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / times.length);
    return { meanMs: mean, stddevMs: stddev, minMs: Math.min(...times), userMs: null };
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
      return [c.label, millis(t.meanMs), millis(t.stddevMs), millis(t.minMs), t.userMs === null ? '—' : millis(t.userMs), ratio(t.meanMs, base.meanMs), met];
    });
    const missed = cases.filter((c, i) => c.target !== undefined && timings[i]!.meanMs / base.meanMs > c.target);
    return {
      title: 'Start-up',
      server: `PostgreSQL (start-up): ${server}`,
      intro: [
        `Each command run ${o.runs} times after 3 warm-ups${timings[0]!.userMs !== null ? ' by `hyperfine -N`' : ''}, from the build (\`npm run build\` first; \`node bin/xc\`, no shell), in the same run as \`node -e 0\`.`,
        '`level` reads `migrations-examples/` (8 files); `status` and `check` read the same folder and a PostgreSQL database the bench creates, with those migrations applied (check exits 0).',
      ],
      tables: [
        {
          title: 'Mean wall time (ms) against bare Node',
          head: ['command', 'mean', '± σ', 'min', 'user CPU', 'vs `node -e 0`', 'target met'],
          rows,
          notes: [
            'What each loads: `--version`/`--help` commander and the options registry only; `level` the file names of `--dir` (no driver, no validator); `status`/`check` the library with the one driver and dialect of the URL\'s scheme (pg here; mysql2 for mysql://), zod to validate the migrations, yaml and jiti only for YAML and TS files.',
          ],
        },
      ],
      conclusions: [
        missed.length === 0
          ? 'Every target met in this run.'
          : `Not met in this run: ${missed.map((c) => `${c.label} (target ${c.target}×)`).join(', ')}. ` +
            'Their time is loading code, compiled afresh on every run (Node 20 has no compile cache): the library (~200 modules of dist/), zod (~95 files, 64 of them locales) and pg; the database round trips are a small part.',
      ],
      failed: false,
    };
  } finally {
    await db.drop();
  }
}
