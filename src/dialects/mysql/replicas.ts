/**
 * Replica lag on MySQL/MariaDB (backfill/throttle/replicaLag.ts), pt-heartbeat
 * style: xc keeps one row in `xc_heartbeat` (created here on first use, in the
 * migrated database; not one of the state tables) whose counter it advances on
 * the primary at each reading; a replica has applied a mark once it shows that
 * counter. The row also holds the primary's NOW(6), for people and other tools;
 * xc times the marks with its own clock. Where the table does not reach the
 * replica (a replication filter), Seconds_Behind_Master stands in.
 */
import type { Session } from '../../db/driver.js';
import type { DiscoveredReplica, ReplicaHeartbeat, ReplicaState } from '../replicaProbe.js';
import { quoteMy } from './expr.js';

export const HEARTBEAT_TABLE = 'xc_heartbeat';
const NO_SUCH_TABLE = 1146;
const UNKNOWN_STATEMENT = [1064, 1149]; // a server without SHOW REPLICAS / SHOW REPLICA STATUS

/** The first statement of `alternatives` this server knows (MySQL 8.4 dropped SLAVE; MariaDB and older MySQL lack REPLICAS). */
async function showFirst(s: Session, alternatives: string[]): Promise<Record<string, unknown>[]> {
  for (const [i, sql] of alternatives.entries()) {
    try {
      return (await s.query<Record<string, unknown>>(sql)).rows;
    } catch (err) {
      if (i === alternatives.length - 1 || !UNKNOWN_STATEMENT.includes((err as { errno?: number }).errno ?? 0)) throw err;
    }
  }
  return [];
}

const field = (row: Record<string, unknown>, ...names: string[]) => names.map((n) => row[n]).find((v) => v !== undefined);

export async function mysqlReplicaHeartbeat(primary: Session): Promise<ReplicaHeartbeat> {
  const db = (await primary.query<{ db: string | null }>('SELECT DATABASE() AS db')).rows[0]?.db;
  if (!db) throw new Error('replica lag: the connection names no database to keep xc_heartbeat in');
  const table = `${quoteMy(db)}.${quoteMy(HEARTBEAT_TABLE)}`;
  let created = false;
  return {
    async mark(s: Session): Promise<bigint> {
      // Created at the first mark, not before: only where there is a replica to read it.
      if (!created) {
        await s.query(
          `CREATE TABLE IF NOT EXISTS ${table} (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, seq BIGINT UNSIGNED NOT NULL, ts DATETIME(6) NOT NULL) ENGINE=InnoDB COMMENT='xc replica-lag heartbeat'`,
        );
        created = true;
      }
      // LAST_INSERT_ID(expr) hands this session the value it wrote, whoever else advances the counter meanwhile.
      await s.query(`INSERT INTO ${table} (id, seq, ts) VALUES (1, LAST_INSERT_ID(1), NOW(6)) ON DUPLICATE KEY UPDATE seq = LAST_INSERT_ID(seq + 1), ts = NOW(6)`);
      const r = await s.query<{ seq: number | string }>('SELECT LAST_INSERT_ID() AS seq');
      return BigInt(r.rows[0]!.seq);
    },

    async discover(s: Session): Promise<DiscoveredReplica[]> {
      // Listed only when the replica sets report_host (and report_port, else 3306).
      const rows = await showFirst(s, ['SHOW REPLICAS', 'SHOW SLAVE HOSTS']);
      return rows.map((row) => {
        const host = String(field(row, 'Host') ?? '');
        const port = Number(field(row, 'Port') ?? 3306) || 3306;
        return { source: `${host}:${port}`, host, port };
      });
    },

    async applied(replica: Session): Promise<ReplicaState> {
      // A replica without the privilege to show its status (REPLICATION CLIENT / SLAVE MONITOR) is measured by the heartbeat alone.
      const status = await showFirst(replica, ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']).catch(() => undefined);
      let stopped: string | undefined;
      let estimateMs: number | null = null;
      if (status && status.length === 0) stopped = 'not a replica: SHOW SLAVE STATUS is empty';
      const row = status?.[0];
      if (row) {
        const sql = field(row, 'Replica_SQL_Running', 'Slave_SQL_Running');
        const io = field(row, 'Replica_IO_Running', 'Slave_IO_Running');
        if (sql !== 'Yes') stopped = 'replication SQL thread stopped';
        else if (io !== 'Yes') stopped = `replication IO thread ${io === 'Connecting' ? 'connecting' : 'stopped'}`;
        const behind = field(row, 'Seconds_Behind_Source', 'Seconds_Behind_Master');
        estimateMs = behind === null || behind === undefined ? null : Number(behind) * 1000;
      }
      try {
        const r = await replica.query<{ seq: number | string }>(`SELECT seq FROM ${table} WHERE id = 1`);
        return { position: r.rows[0] ? BigInt(r.rows[0].seq) : 0n, stopped };
      } catch (err) {
        if ((err as { errno?: number }).errno !== NO_SUCH_TABLE) throw err;
        return { position: null, estimateMs, estimateFrom: 'Seconds_Behind_Master: no xc_heartbeat there', stopped };
      }
    },
  };
}
