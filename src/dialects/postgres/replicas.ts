/**
 * Replica lag on PostgreSQL (backfill/throttle/replicaLag.ts). The mark is
 * the primary's flushed WAL position, so xc writes nothing: a replica has
 * applied a mark once its replay LSN reached it — read on the replica
 * (pg_last_wal_replay_lsn) or, for the replicas the primary streams to, in
 * pg_stat_replication. An idle primary writes no WAL: replay equals the mark,
 * lag 0 (replay_lag would stay NULL or stale). Paused replay with WAL pending
 * leaves the mark unreached: the lag grows.
 */
import type { Session } from '../../db/driver.js';
import type { DiscoveredReplica, ReplicaHeartbeat, ReplicaState } from '../replicaProbe.js';

/** 'X/Y' (two hex halves) → a number that orders like the LSN. */
export function parseLsn(text: string | null | undefined): bigint | null {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text ?? '');
  return m ? (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`) : null;
}

export const pgReplicaHeartbeat: ReplicaHeartbeat = {
  async mark(primary: Session): Promise<bigint> {
    const r = await primary.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    return parseLsn(r.rows[0]?.lsn)!;
  },

  async discover(primary: Session): Promise<DiscoveredReplica[]> {
    const r = await primary.query<{ name: string | null; addr: string | null; state: string | null; replay: string | null }>(
      'SELECT application_name AS name, client_addr::text AS addr, state, replay_lsn::text AS replay FROM pg_stat_replication ORDER BY pid',
    );
    return r.rows.map((row) => {
      const applied = parseLsn(row.replay);
      const source = `${row.name || 'replica'}@${(row.addr ?? 'local').replace(/\/\d+$/, '')}`;
      // Without pg_monitor (or pg_read_all_stats) the LSN columns read NULL; a replica still starting has none yet either.
      const unknown = applied === null ? (row.state === null ? 'pg_stat_replication hides its replay position: grant pg_monitor to the user, or give --replica' : `no replay position yet (${row.state})`) : undefined;
      return { source, applied, unknown };
    });
  },

  async applied(replica: Session): Promise<ReplicaState> {
    const r = await replica.query<{ recovery: boolean; replay: string | null; paused: boolean | null }>(
      `SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replay,
              CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused`,
    );
    const row = r.rows[0]!;
    if (!row.recovery) return { position: null, stopped: 'not a replica: pg_is_in_recovery() is false' };
    return { position: parseLsn(row.replay), stopped: row.paused ? 'WAL replay paused' : undefined };
  },
};
