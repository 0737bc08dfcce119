/**
 * What a dialect gives the replica-lag signal (backfill/throttle/replicaLag.ts):
 * a position on the primary that grows with every change sent to the
 * replicas, and the position each replica has applied. The signal turns the
 * two into a time (xc's heartbeat log), so no two servers' clocks are compared.
 */
import type { Session } from '../db/driver.js';

/** A replica as the primary lists it. */
export interface DiscoveredReplica {
  /** For messages: host:port, or the name the replica gave; never a password. */
  source: string;
  /** Where to connect to it (MySQL/MariaDB: the primary cannot tell what it applied). */
  host?: string;
  port?: number;
  /** The position it has applied, when the primary can tell (PostgreSQL); null: the primary will not say (why in `unknown`). */
  applied?: bigint | null;
  /** Why `applied` is null. */
  unknown?: string;
}

/** A replica's own account of itself. */
export interface ReplicaState {
  /** The primary position it has applied; null: not known (see secondsBehind). */
  position: bigint | null;
  /** The server's own lag estimate in ms (MySQL Seconds_Behind_Master), used only when `position` is null; null: none. */
  estimateMs?: number | null;
  /** Where `estimateMs` comes from, for messages. */
  estimateFrom?: string;
  /** It is not applying changes (replay paused, SQL thread stopped, not a replica): it reads as over whatever its lag. */
  stopped?: string;
}

export interface ReplicaHeartbeat {
  /** Mark where the primary is now (PostgreSQL: its flushed WAL position; MySQL/MariaDB: the counter in xc's heartbeat row, advanced). */
  mark(primary: Session): Promise<bigint>;
  /** The replicas the primary knows of. */
  discover(primary: Session): Promise<DiscoveredReplica[]>;
  /** Read on a replica: what it has applied of the primary's marks. */
  applied(replica: Session): Promise<ReplicaState>;
}
