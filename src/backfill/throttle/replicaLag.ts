/**
 * Replica lag (SPEC §5, `--max-replica-lag`): the replicas given with
 * `--replica URL`, or else those the primary lists (PostgreSQL
 * pg_stat_replication, MySQL/MariaDB SHOW SLAVE HOSTS), each one reading.
 *
 * Measured with a heartbeat log: at each reading (at most every
 * MARK_EVERY_MS) xc marks the primary's position (Dialect.replicaHeartbeat)
 * and notes when, by its own clock; a replica's lag is the time since the
 * first mark it has not applied, 0 when it has applied them all. One clock
 * times both ends, so clock skew between servers cannot enter it, and an idle
 * primary reads 0 where replay timestamps would say "minutes behind". A
 * replica already behind when xc starts is timed from xc's first mark.
 *
 * Fail closed: a given replica that cannot be read (within READ_TIMEOUT_MS)
 * or is not applying changes (replay paused, SQL thread stopped) reads as
 * over, the reason in `source`. A discovered one that cannot be read is
 * reported once (event `replica_skipped`) and left out: the primary may list
 * replicas xc cannot reach (other networks), which must not stop every backfill.
 */
import { performance } from 'node:perf_hooks';
import type { Driver } from '../../db/driver.js';
import { withSession } from '../../db/driver.js';
import { driverFromUrl } from '../../db/connect.js';
import { redactUrl, scrub } from '../../db/redact.js';
import type { DiscoveredReplica, ReplicaHeartbeat, ReplicaState } from '../../dialects/replicaProbe.js';
import type { HealthReading, HealthSignal, SignalContext, SignalFactory } from './signal.js';

const MARK_EVERY_MS = 250;
const READ_TIMEOUT_MS = 3000;

/** The primary's marks not yet applied by every replica, with when xc made them. */
export class HeartbeatLog {
  private marks: { position: bigint; at: number }[] = [];

  add(position: bigint, at: number): void {
    const last = this.marks[this.marks.length - 1];
    if (!last || position > last.position) this.marks.push({ position, at });
  }

  /** Time since the first mark past `applied`; 0 when there is none. */
  lagMs(applied: bigint, now: number): number {
    const first = this.marks.find((m) => m.position > applied);
    return first ? Math.max(0, Math.round(now - first.at)) : 0;
  }

  /** Forget the marks every replica has applied. */
  applied(lowest: bigint): void {
    this.marks = this.marks.filter((m) => m.position > lowest);
  }
}

/** host:port of a URL, for messages. */
function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return redactUrl(url);
  }
}

/** The primary's URL, pointing at another server: a discovered replica, reached with the primary's credentials and database. */
export function siblingUrl(primaryUrl: string, host: string, port: number): string {
  const u = new URL(primaryUrl);
  u.hostname = host;
  u.port = String(port);
  return u.toString();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000}s (${what})`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const reasonOf = (err: unknown) => scrub(String((err as Error)?.message ?? err).split('\n')[0]!);

class ReplicaLagSignal implements HealthSignal {
  readonly name = 'replica_lag';
  private readonly log = new HeartbeatLog();
  private lastMark = -Infinity;
  private readonly drivers = new Map<string, Promise<Driver>>();
  private readonly skipped = new Set<string>();

  constructor(
    private readonly c: SignalContext,
    private readonly heartbeat: ReplicaHeartbeat,
    private readonly given: string[],
  ) {}

  async read(): Promise<HealthReading[]> {
    const { ctx } = this.c;
    const now0 = performance.now();
    const discovered = await withSession(ctx.driver, async (s) => {
      if (now0 - this.lastMark >= MARK_EVERY_MS) {
        // Timed before the query: a mark may include writes made while it ran, so lag errs long, never short.
        this.log.add(await this.heartbeat.mark(s), now0);
        this.lastMark = now0;
      }
      return this.given.length ? [] : discover(this.heartbeat, s);
    });
    const states: { source: string; state: ReplicaState | Error; given: boolean }[] = [];
    for (const url of this.given) states.push({ source: serverOf(url), state: await this.readReplica(url).catch((e: Error) => e), given: true });
    for (const r of discovered) {
      if (r.applied !== undefined) {
        states.push({ source: r.source, state: r.applied === null ? new Error(r.unknown ?? 'no replay position') : { position: r.applied }, given: false });
        continue;
      }
      if (this.skipped.has(r.source)) continue;
      const url = r.host && ctx.primaryUrl ? siblingUrl(ctx.primaryUrl, r.host, r.port ?? 3306) : undefined;
      const state = url ? await this.readReplica(url).catch((e: Error) => e) : new Error('xc has no URL to reach it with (connected without one): give --replica');
      states.push({ source: r.source, state, given: false });
    }
    const now = performance.now();
    const limit = ctx.options.maxReplicaLagMs;
    const readings: HealthReading[] = [];
    for (const { source, state, given } of states) {
      if (state instanceof Error) {
        if (given) readings.push({ signal: this.name, source: `${source} (${reasonOf(state)})`, value: 0, limit, unit: 'ms', over: true });
        else this.skip(source, reasonOf(state));
        continue;
      }
      const value = state.position !== null ? this.log.lagMs(state.position, now) : state.estimateMs;
      if (value === null || value === undefined) {
        readings.push({ signal: this.name, source: `${source} (${state.stopped ?? 'its lag is unknown'})`, value: 0, limit, unit: 'ms', over: true });
        continue;
      }
      const how = state.position === null ? (state.estimateFrom ?? 'the server\'s estimate') : undefined;
      const note = [state.stopped, how].filter(Boolean).join('; ');
      readings.push({ signal: this.name, source: note ? `${source} (${note})` : source, value, limit, unit: 'ms', over: value > limit || !!state.stopped });
    }
    const positions = states.flatMap((s) => (s.state instanceof Error || s.state.position === null ? [] : [s.state.position]));
    if (positions.length) this.log.applied(positions.reduce((a, b) => (a < b ? a : b)));
    return readings;
  }

  private skip(source: string, reason: string): void {
    if (this.skipped.has(source)) return;
    this.skipped.add(source);
    this.c.ctx.emit({ event: 'replica_skipped', migration: this.c.migration, table: this.c.table, replica: source, reason });
  }

  private readReplica(url: string): Promise<ReplicaState> {
    let driver = this.drivers.get(url);
    if (!driver) {
      driver = driverFromUrl(url, process.cwd(), undefined, READ_TIMEOUT_MS);
      driver.catch(() => this.drivers.delete(url)); // retried at the next reading
      this.drivers.set(url, driver);
    }
    const read = driver.then((d) => withSession(d, (s) => this.heartbeat.applied(s)));
    return withTimeout(read, READ_TIMEOUT_MS, serverOf(url));
  }

  async close(): Promise<void> {
    const drivers = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(drivers.map((d) => d.then((x) => x.close()).catch(() => undefined)));
  }
}

/** The primary's list; none when it will not show it (MySQL without the privilege for SHOW SLAVE HOSTS). */
function discover(heartbeat: ReplicaHeartbeat, s: Parameters<ReplicaHeartbeat['discover']>[0]): Promise<DiscoveredReplica[]> {
  return heartbeat.discover(s).catch(() => []);
}

export const replicaLag: SignalFactory = async (c) => {
  const { ctx } = c;
  const given = ctx.options.replicas ?? [];
  if (ctx.driver.singleConnection) return undefined; // PGlite: no replicas
  return withSession(ctx.driver, async (s) => {
    const probe = await ctx.dialect.replicaHeartbeat(s);
    // Without --replica, on only while the primary lists a replica.
    if (!given.length && (await discover(probe, s)).length === 0) return undefined;
    return new ReplicaLagSignal(c, probe, given);
  });
};
