/**
 * The `fleet` section (issue 15.2): time to apply one alterColumn across 20
 * and 100 small PostgreSQL databases with `xc fleet apply` at concurrency 1,
 * 4 and 8, against the same number of sequential `xc apply` processes (one
 * per database, as a loop in a pipeline would run them). From the build
 * (`npm run build` first), `node bin/xc`, no shell.
 *
 * Each run (a way, in a round) gets its own table in every database and its
 * own migration; its folder holds the earlier runs' migrations too
 * (backfilled already: xc reads them and has nothing to do), so each run
 * applies exactly one alterColumn per database.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { secs, type Section } from './report.js';

const ROWS = 1000;
const CONCURRENCIES = [1, 4, 8];
/** Each way is timed this many times, in rounds of every way (the second round in reverse order): a load spike of a busy machine falls on all alike; the best run is reported. */
const ROUNDS = 2;

interface Way {
  label: string;
  /** Runs it on `urls`, with `dir` as the migrations folder; resolves with the exit codes. */
  run(urls: string[], dir: string, targetsFile: string): Promise<number[]>;
}

function exitOf(args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`xc ${args.slice(1).join(' ')} exited ${code}: ${stderr.slice(-500)}`))));
  });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function fleetSection(o: { pgUrl: string; root: string; sizes?: number[] }, log: (line: string) => void): Promise<Section & { server: string }> {
  const sizes = o.sizes ?? [20, 100];
  log('fleet: npm run build (the section times dist/, as installed)');
  execFileSync('npm', ['run', 'build'], { cwd: o.root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(path.join(o.root, 'dist/cli/main.js'))) throw new Error('fleet: npm run build left no dist/cli/main.js');
  const bin = path.join(o.root, 'bin/xc');
  const ways: Way[] = [
    {
      label: `sequential \`xc apply\` processes`,
      run: async (urls, dir) => {
        const codes: number[] = [];
        for (const url of urls) codes.push(await exitOf([bin, 'apply', '--dir', dir, '--url', url], o.root));
        return codes;
      },
    },
    ...CONCURRENCIES.map((n): Way => ({
      label: `\`xc fleet apply --concurrency ${n}\``,
      run: async (_urls, dir, targetsFile) => [await exitOf([bin, 'fleet', 'apply', '--dir', dir, '--targets', targetsFile, '--concurrency', String(n)], o.root)],
    })),
  ];
  const server = await withClient(o.pgUrl, async (c) => String((await c.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v));
  const rows: (string | number)[][] = [];
  /** Per size, each way's best time. */
  const timesBySize = new Map<number, number[]>();
  // Every run in order: round 1 way by way, round 2 in reverse.
  const order = Array.from({ length: ROUNDS }, (_, r) => (r % 2 === 0 ? ways.map((_, w) => w) : ways.map((_, w) => ways.length - 1 - w))).flat();
  let failed = false;
  const work = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-fleet-'));
  try {
    for (const size of sizes) {
      const prefix = `xc_bench_fleet_${Math.random().toString(16).slice(2, 8)}_`;
      const urls: string[] = [];
      log(`fleet: creating ${size} databases, ${order.length} tables of ${ROWS} rows each`);
      try {
        for (let i = 0; i < size; i++) {
          const name = `${prefix}${i}`;
          await withClient(o.pgUrl, (c) => c.query(`CREATE DATABASE ${name}`));
          const u = new URL(o.pgUrl);
          u.pathname = `/${name}`;
          urls.push(u.toString());
          await withClient(u.toString(), async (c) => {
            for (let t = 0; t < order.length; t++) {
              await c.query(`CREATE TABLE accounts_${t} (id int PRIMARY KEY, balance int NOT NULL)`);
              await c.query(`INSERT INTO accounts_${t} SELECT i, i % 1000 FROM generate_series(1, $1::int) i`, [ROWS]);
            }
          });
        }
        const targetsFile = path.join(work, `targets-${size}.txt`);
        await writeFile(targetsFile, urls.join('\n') + '\n');
        const runs: number[][] = ways.map(() => []);
        for (const [t, w] of order.entries()) {
          const way = ways[w]!;
          // This run's folder: every earlier run's migration (already applied) and its own.
          const dir = path.join(work, `m-${size}-${t}`);
          await mkdir(dir);
          for (let k = 0; k <= t; k++) {
            await writeFile(path.join(dir, `000${k + 1}_balance_cents_${k}.json`), JSON.stringify({
              operations: [{ alterColumn: { table: `accounts_${k}`, column: 'balance', to: 'balance_cents', type: 'bigint', up: 'balance * 100', down: 'CAST(balance_cents / 100 AS integer)' } }],
            }));
          }
          log(`fleet: ${size} databases, ${way.label}`);
          const t0 = performance.now();
          await way.run(urls, dir, targetsFile);
          runs[w]!.push(performance.now() - t0);
          // Every database's table converted, row for row.
          let converted = 0;
          for (const url of urls) converted += await withClient(url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM accounts_${t} WHERE balance_cents = balance * 100`)).rows[0].n));
          if (converted !== size * ROWS) {
            failed = true;
            log(`fleet: ${way.label} on ${size} databases converted ${converted} of ${size * ROWS} rows`);
          }
        }
        const times = runs.map((r) => Math.min(...r));
        timesBySize.set(size, times);
        for (const [w, way] of ways.entries()) {
          const ms = times[w]!;
          rows.push([size, way.label, secs(ms), runs[w]!.map(secs).join(', '), ((ms / size) | 0).toString(), `${(times[0]! / ms).toFixed(2)}×`]);
        }
      } finally {
        log(`fleet: dropping ${urls.length} databases`);
        await withClient(o.pgUrl, async (c) => {
          for (let i = 0; i < size; i++) await c.query(`DROP DATABASE IF EXISTS ${prefix}${i} WITH (FORCE)`);
        });
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const best = (size: number) => {
    const t = timesBySize.get(size)!;
    const i = t.indexOf(Math.min(...t.slice(1)));
    return { label: ways[i]!.label, speedup: t[0]! / t[i]! };
  };
  return {
    title: 'Fleet: one migration across many databases',
    server: `PostgreSQL (fleet): ${server}`,
    intro: [
      `One \`alterColumn\` (int → bigint \`balance_cents\`, \`up: balance * 100\`) applied to a ${ROWS.toLocaleString('en-US')}-row table in each of ${sizes.join(' and ')} PostgreSQL databases on the one server, expand and backfill (\`apply\`), from the build (\`npm run build\` first; \`node bin/xc\`, no shell). ` +
        'Sequential: one `xc apply --url` process per database, one after another, as a pipeline loop runs them. Fleet: one `xc fleet apply` process over a targets file of the same URLs. Wall time of the whole run, best of the rounds of every way (the second in reverse order); every table is checked converted row for row afterwards. ' +
        'The machine is shared (2 cores, the database server on them, other work running): the runs of each way show how much a figure moves.',
    ],
    tables: [
      {
        title: 'Wall time (s), best of the rounds',
        head: ['databases', 'how', 'best (s)', `each run (s), ${ROUNDS} rounds`, 'per database (ms)', 'speed-up vs sequential processes'],
        rows,
        notes: ['Each xc opens its own connections (a backfill walks in 2 parts), so concurrency 8 holds up to ~24 server connections at once.'],
      },
    ],
    conclusions: [
      ...sizes.map((size) => `${size} databases: fastest ${best(size).label}, ${best(size).speedup.toFixed(1)}× the sequential processes.`),
      'At concurrency 1 the gain is the start-up of one process instead of one per database (Node, the CLI, the library and the driver, loaded once); above it the databases are worked on side by side, until the machine\'s cores (2 here, shared with the server) are the limit.',
    ],
    failed,
  };
}
