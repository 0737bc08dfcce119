/**
 * A private primary with one streaming replica, per dialect, for the
 * replica-lag tests and bench (never the shared servers: replication needs
 * settings and restarts of its own). PostgreSQL: the primary of
 * test/chaos/servers.ts (initdb's defaults: wal_level=replica, 10 WAL
 * senders, replication allowed from 127.0.0.1) and a `pg_basebackup -R` copy
 * started with pg_ctl; MariaDB: two mariadbd, the primary with a binary log,
 * the replica reporting its host and port (SHOW SLAVE HOSTS) and replicating
 * by GTID. `stop()` kills both and removes their folders.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { asPostgres, freePort, pgBindir, postgresOwnedDir, startMariadb, startPostgres, type Server } from '../chaos/servers.js';

export interface ReplicatedPair {
  dialect: 'postgres' | 'mysql';
  primary: Server;
  /** The replica's URL of database `name`. */
  replicaUrlOf(name: string): string;
  /** Stop applying changes on the replica (PostgreSQL: pg_wal_replay_pause(); MariaDB: STOP SLAVE SQL_THREAD), and start again. */
  pause(): void;
  resume(): void;
  /** A statement's first value on the replica (its command-line client). */
  replicaValue(db: string, sql: string): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

export async function startPostgresPair(): Promise<ReplicatedPair> {
  const primary = await startPostgres();
  const primaryPort = new URL(primary.url).port;
  const bindir = pgBindir();
  const root = postgresOwnedDir('xc-replica-pg-');
  const data = path.join(root, 'data');
  const port = await freePort();
  const ctl = (...args: string[]) => asPostgres([`${bindir}/pg_ctl`, '-D', data, '-l', path.join(root, 'log'), '-w', '-t', '60', ...args]);
  try {
    asPostgres([`${bindir}/pg_basebackup`, '-h', '127.0.0.1', '-p', primaryPort, '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync']);
    ctl('-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c hot_standby_feedback=on`, 'start');
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    await primary.stop();
    throw err;
  }
  const psql = (db: string, sql: string) => run(`${bindir}/psql`, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-XAtc', sql]);
  return {
    dialect: 'postgres',
    primary,
    replicaUrlOf: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    pause: () => void psql('postgres', 'SELECT pg_wal_replay_pause()'),
    resume: () => void psql('postgres', 'SELECT pg_wal_replay_resume()'),
    replicaValue: (db, sql) => psql(db, sql),
    stop: async () => {
      try {
        ctl('-m', 'immediate', 'stop');
      } catch {
        // already down
      }
      rmSync(root, { recursive: true, force: true });
      await primary.stop();
    },
  };
}

export async function startMariadbPair(): Promise<ReplicatedPair> {
  const primary = await startMariadb(() => ['--log-bin=primary-bin', '--server-id=1', '--binlog-format=ROW']);
  let replica: Server;
  try {
    replica = await startMariadb((port) => ['--server-id=2', '--report-host=127.0.0.1', `--report-port=${port}`, '--relay-log=replica-relay']);
  } catch (err) {
    await primary.stop();
    throw err;
  }
  const port = new URL(replica.url).port;
  const sql = (db: string, text: string) => run('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', port, '-uroot', '-N', '-B', '-D', db, '-e', text]);
  try {
    sql('mysql', `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${new URL(primary.url).port}, MASTER_USER='root', MASTER_USE_GTID=slave_pos; START SLAVE`);
  } catch (err) {
    await replica.stop();
    await primary.stop();
    throw err;
  }
  return {
    dialect: 'mysql',
    primary,
    replicaUrlOf: (name) => replica.urlOf(name),
    pause: () => void sql('mysql', 'STOP SLAVE SQL_THREAD'),
    resume: () => void sql('mysql', 'START SLAVE SQL_THREAD'),
    replicaValue: (db, text) => sql(db, text),
    stop: async () => {
      await replica.stop();
      await primary.stop();
    },
  };
}
