/**
 * Private PostgreSQL and MariaDB instances for the chaos suite, in a temp dir
 * on free ports: the suite restarts and reconfigures them at will, which it
 * must never do to the shared servers on 5432/3306.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Server {
  dialect: 'postgres' | 'mysql';
  /** Admin URL (database `postgres` / `mysql`). */
  url: string;
  /** URL of database `name` on this server. */
  urlOf(name: string): string;
  /** The server's log lines about cancelled statements (PostgreSQL logs the statement with them), to name what a timeout hit. */
  cancelled(): string[];
  /** Stop and start again (fast shutdown: sessions are cut, as in a crash-restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/**
 * `cmd` run without holding this process, to its exit code (and output). Both dialects' scenarios share this
 * process: a server restarted with spawnSync (pg_ctl restart -w takes seconds on a loaded box) froze the other
 * dialect's writers, whose statements then looked stalled by xc (chaos seed 1381550935).
 */
function exited(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ code: null, output: err.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function runAsync(cmd: string, args: string[]): Promise<void> {
  const r = await exited(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.output}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The PostgreSQL binaries' folder, and a command run as user postgres (initdb and pg_ctl refuse root). */
export const pgBindir = () => spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' }).stdout.trim();
export const asPostgres = (args: string[]) => run('runuser', ['-u', 'postgres', '--', ...args]);

/** A temp dir owned by user postgres. */
export function postgresOwnedDir(prefix: string): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim();
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim();
  chownSync(root, Number(uid), Number(gid));
  return root;
}

export async function startPostgres(): Promise<Server> {
  const bindir = pgBindir();
  const root = postgresOwnedDir('xc-chaos-pg-');
  const data = path.join(root, 'data');
  const port = await freePort();
  const asPg = asPostgres;
  asPg([`${bindir}/initdb`, '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const ctlArgs = (args: string[]) => [`${bindir}/pg_ctl`, '-D', data, '-l', path.join(root, 'log'), '-w', '-t', '60', ...args];
  const ctl = (...args: string[]) => asPg(ctlArgs(args));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  try {
    ctl('-o', opts, 'start');
  } catch (err) {
    cleanup();
    throw err;
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    dialect: 'postgres',
    url,
    urlOf: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    cancelled: () => {
      const log = path.join(root, 'log');
      const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
      return lines.flatMap((l, i) => (/canceling statement due to statement timeout/.test(l) ? [`${l.replace(/^.*ERROR:\s*/, '')} — ${(lines[i + 1] ?? '').replace(/^.*STATEMENT:\s*/, '')}`] : []));
    },
    // While the other dialect's writers run: not synchronously (see exited).
    restart: () => runAsync('runuser', ['-u', 'postgres', '--', ...ctlArgs(['-m', 'fast', '-o', opts, 'restart'])]),
    stop: async () => {
      try {
        ctl('-m', 'immediate', 'stop');
      } catch {
        // already down
      }
      cleanup();
    },
  };
}

/** `extraArgs`: more mariadbd options, given the port it listens on (replication: test/helpers/replicas.ts). */
export async function startMariadb(extraArgs: (port: number) => string[] = () => []): Promise<Server> {
  const root = mkdtempSync(path.join(tmpdir(), 'xc-chaos-my-'));
  const data = path.join(root, 'data');
  mkdirSync(data);
  // A temp dir of its own: at start-up mariadbd deletes every #sql* file in its tmpdir (tables left by a crash), and with
  // the default /tmp those are the live temporary tables of every other MariaDB on the machine — the shared one included
  // ("Error on delete of '/tmp/#sql-temptable-…'" in the shared server's queries while a test started a private one).
  const tmp = path.join(root, 'tmp');
  mkdirSync(tmp);
  const port = await freePort();
  const socket = path.join(root, 'mysqld.sock');
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  try {
    run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db']);
  } catch (err) {
    cleanup();
    throw err;
  }
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'mariadbd',
      ['--no-defaults', `--datadir=${data}`, `--port=${port}`, `--socket=${socket}`, '--user=root', '--bind-address=127.0.0.1', `--pid-file=${root}/mysqld.pid`, `--tmpdir=${tmp}`, '--innodb-flush-log-at-trx-commit=2', '--max-connections=300', `--log-error=${root}/error.log`, ...extraArgs(port)],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`mariadbd exited ${child.exitCode}; see ${root}/error.log`);
      // Also at a restart, while the other dialect's writers run: not synchronously (see exited).
      if ((await exited('mariadb-admin', ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-uroot', 'ping'])).code === 0) return;
      await sleep(100);
    }
    throw new Error('mariadbd did not come up');
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  try {
    await start();
  } catch (err) {
    await kill();
    cleanup();
    throw err;
  }
  return {
    dialect: 'mysql',
    url: `mysql://root@127.0.0.1:${port}/mysql`,
    urlOf: (name) => `mysql://root@127.0.0.1:${port}/${name}`,
    cancelled: () => [], // MariaDB does not log them
    // A crash, not a polite shutdown: InnoDB recovers at start.
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      cleanup();
    },
  };
}
