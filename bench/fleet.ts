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
import mysql from 'mysql2/promise';
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

/** What the section needs of a server: a database made and dropped, statements run, a count read; each on a short-lived connection (100 databases must not hold 100 connections). */
interface Server {
  name: 'PostgreSQL' | 'MariaDB';
  adminUrl: string;
  /** The alterColumn's `down`, in the server's SQL. */
  down: string;
  query(url: string, sql: string): Promise<Record<string, unknown>[]>;
  urlOf(database: string): string;
  /** `rows` rows of (id, balance) into `table`. */
  fill(table: string, rows: number): string;
  dropDatabase(name: string): string;
}

const withUrl = (adminUrl: string, database: string) => {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
};

export const POSTGRES = (adminUrl: string): Server => ({
  name: 'PostgreSQL',
  adminUrl,
  down: 'CAST(balance_cents / 100 AS integer)',
  async query(url, sql) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  },
  urlOf: (database) => withUrl(adminUrl, database),
  fill: (table, rows) => `INSERT INTO ${table} SELECT i, i % 1000 FROM generate_series(1, ${rows}) i`,
  dropDatabase: (name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`,
});

export const MARIADB = (adminUrl: string): Server => ({
  name: 'MariaDB',
  adminUrl,
  down: 'CAST(balance_cents DIV 100 AS SIGNED)',
  async query(url, sql) {
    const c = await mysql.createConnection({ uri: url });
    try {
      const [rows] = await c.query(sql);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    } finally {
      await c.end();
    }
  },
  urlOf: (database) => withUrl(adminUrl, database),
  // MariaDB's Sequence engine: seq_1_to_N is a table of 1..N.
  fill: (table, rows) => `INSERT INTO ${table} SELECT seq, seq % 1000 FROM seq_1_to_${rows}`,
  dropDatabase: (name) => `DROP DATABASE IF EXISTS ${name}`,
});

/** The PostgreSQL half (20 and 100 databases) and, when a MariaDB server answers, the MariaDB half (20). */
export async function fleetSection(o: { pgUrl: string; myUrl: string | null; root: string }, log: (line: string) => void): Promise<Section & { server: string }> {
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
  const halves: Array<{ server: Server; sizes: number[] }> = [{ server: POSTGRES(o.pgUrl), sizes: [20, 100] }, ...(o.myUrl ? [{ server: MARIADB(o.myUrl), sizes: [20] }] : [])];
  const versions: string[] = [];
  const rows: (string | number)[][] = [];
  /** Per size, each way's best time. */
  const timesBySize = new Map<string, number[]>();
  // Every run in order: round 1 way by way, round 2 in reverse.
  const order = Array.from({ length: ROUNDS }, (_, r) => (r % 2 === 0 ? ways.map((_, w) => w) : ways.map((_, w) => ways.length - 1 - w))).flat();
  let failed = false;
  const work = await mkdtemp(path.join(os.tmpdir(), 'xc-bench-fleet-'));
  try {
    for (const { server, sizes } of halves) {
      versions.push(`${server.name}: ${String(Object.values((await server.query(server.adminUrl, 'SELECT version() AS v'))[0]!)[0])}`);
      for (const size of sizes) {
        const prefix = `xc_bench_fleet_${Math.random().toString(16).slice(2, 8)}_`;
        const urls: string[] = [];
        log(`fleet: ${server.name}: creating ${size} databases, ${order.length} tables of ${ROWS} rows each`);
        try {
          for (let i = 0; i < size; i++) {
            const name = `${prefix}${i}`;
            await server.query(server.adminUrl, `CREATE DATABASE ${name}`);
            const url = server.urlOf(name);
            urls.push(url);
            for (let t = 0; t < order.length; t++) {
              await server.query(url, `CREATE TABLE accounts_${t} (id int PRIMARY KEY, balance int NOT NULL)`);
              await server.query(url, server.fill(`accounts_${t}`, ROWS));
            }
          }
          const targetsFile = path.join(work, `targets-${server.name}-${size}.txt`);
          await writeFile(targetsFile, urls.join('\n') + '\n');
          const runs: number[][] = ways.map(() => []);
          for (const [t, w] of order.entries()) {
            const way = ways[w]!;
            // This run's folder: every earlier run's migration (already applied) and its own.
            const dir = path.join(work, `m-${server.name}-${size}-${t}`);
            await mkdir(dir);
            for (let k = 0; k <= t; k++) {
              await writeFile(path.join(dir, `000${k + 1}_balance_cents_${k}.json`), JSON.stringify({
                operations: [{ alterColumn: { table: `accounts_${k}`, column: 'balance', to: 'balance_cents', type: 'bigint', up: 'balance * 100', down: server.down } }],
              }));
            }
            log(`fleet: ${server.name}: ${size} databases, ${way.label}`);
            const t0 = performance.now();
            await way.run(urls, dir, targetsFile);
            runs[w]!.push(performance.now() - t0);
            // Every database's table converted, row for row.
            let converted = 0;
            for (const url of urls) converted += Number((await server.query(url, `SELECT count(*) AS n FROM accounts_${t} WHERE balance_cents = balance * 100`))[0]!.n);
            if (converted !== size * ROWS) {
              failed = true;
              log(`fleet: ${way.label} on ${size} databases converted ${converted} of ${size * ROWS} rows`);
            }
          }
          const times = runs.map((r) => Math.min(...r));
          timesBySize.set(`${server.name} ${size}`, times);
          for (const [w, way] of ways.entries()) {
            const ms = times[w]!;
            rows.push([server.name, size, way.label, secs(ms), runs[w]!.map(secs).join(', '), ((ms / size) | 0).toString(), `${(times[0]! / ms).toFixed(2)}×`]);
          }
        } finally {
          log(`fleet: ${server.name}: dropping ${urls.length} databases`);
          for (let i = 0; i < size; i++) await server.query(server.adminUrl, server.dropDatabase(`${prefix}${i}`));
        }
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const best = (key: string) => {
    const t = timesBySize.get(key)!;
    const i = t.indexOf(Math.min(...t.slice(1)));
    return { label: ways[i]!.label, speedup: t[0]! / t[i]! };
  };
  return {
    title: 'Fleet: one migration across many databases',
    server: `fleet: ${versions.join('; ')}`,
    intro: [
      `One \`alterColumn\` (int → bigint \`balance_cents\`, \`up: balance * 100\`) applied to a ${ROWS.toLocaleString('en-US')}-row table in each of ${halves.map((h) => `${h.sizes.join(' and ')} ${h.server.name}`).join(', and ')} databases on the one server, expand and backfill (\`apply\`), from the build (\`npm run build\` first; \`node bin/xc\`, no shell). ` +
        'Sequential: one `xc apply --url` process per database, one after another, as a pipeline loop runs them. Fleet: one `xc fleet apply` process over a targets file of the same URLs. Wall time of the whole run, best of the rounds of every way (the second in reverse order); every table is checked converted row for row afterwards. ' +
        'The machine is shared (2 cores, the database server on them, other work running): the runs of each way show how much a figure moves.',
    ],
    tables: [
      {
        title: 'Wall time (s), best of the rounds',
        head: ['server', 'databases', 'how', 'best (s)', `each run (s), ${ROUNDS} rounds`, 'per database (ms)', 'speed-up vs sequential processes'],
        rows,
        notes: ['Each xc opens its own connections (a backfill walks in 2 parts), so concurrency 8 holds up to ~24 server connections at once.'],
      },
    ],
    conclusions: [
      ...[...timesBySize.keys()].map((key) => `${key} databases: fastest ${best(key).label}, ${best(key).speedup.toFixed(1)}× the sequential processes.`),
      'At concurrency 1 the gain is the start-up of one process instead of one per database (Node, the CLI, the library and the driver, loaded once); above it the databases are worked on side by side, until the machine\'s cores (2 here, shared with the server) are the limit.',
    ],
    failed,
  };
}
