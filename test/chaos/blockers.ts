/**
 * An application session that holds a lock xc's next step needs, for a
 * while, then lets go: the `blocker` fault. Every kind of lock an
 * application takes in practice, per dialect. xc must wait it out (exit 0)
 * or give up naming this session (exit 5), and never queue the application's
 * writes behind its own waiting DDL longer than its lock timeout.
 */
import { OLD_BASE } from './catalogue.js';
import { connect, type Conn, type Dialect } from './db.js';
import { loopGaps } from './lag.js';

export const HOLD_MODES = {
  postgres: [
    'read', // an open transaction that read the table (ACCESS SHARE), idle in transaction
    'row', // an open transaction that updated a row (ROW EXCLUSIVE + the row's lock)
    'share', // LOCK TABLE … IN SHARE MODE
    'exclusive', // LOCK TABLE … IN ACCESS EXCLUSIVE MODE
    'snapshot', // idle in a REPEATABLE READ transaction: no table lock, an old snapshot (what CREATE INDEX CONCURRENTLY waits for)
    'sleep', // a long SELECT pg_sleep over the table
  ],
  mysql: [
    'read', // an open transaction that read the table (its metadata lock)
    'row', // an open transaction with a row lock (SELECT … FOR UPDATE or an uncommitted UPDATE)
    'lock-read', // LOCK TABLES t READ
    'lock-write', // LOCK TABLES t WRITE
    'ftwrl', // FLUSH TABLES WITH READ LOCK
    'sleep', // a long SELECT SLEEP over the table
  ],
} as const;
export type HoldMode = (typeof HOLD_MODES)[Dialect][number];

/** Modes that stop the application's own writes: a writer waiting inside the hold waits for the holder, not for xc. */
export const BLOCKS_WRITERS: ReadonlySet<HoldMode> = new Set(['share', 'exclusive', 'lock-read', 'lock-write', 'ftwrl']);

export interface Hold {
  mode: HoldMode;
  table?: string;
  /** The holder's session: PostgreSQL pid, MySQL connection id. */
  session?: number;
  /** When it asked for the lock: a request waiting in the lock queue already holds back the writes queued after it. */
  requestedAt?: number;
  acquiredAt?: number;
  releasedAt?: number;
  /** The hold could not be taken (its table vanished, …): no fault was injected. */
  error?: string;
  /** Resolves once the lock is held (or could not be; `sleep`: once its statement only waits for the clock). */
  acquired: Promise<void>;
  /** Resolves once it is released and the session closed. */
  released: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Open a session on `url`, take `mode` on `table` (else on one of `others` that is a table now), hold it `holdMs` from
 * when it is held and `clock` has resolved (a lock taken before xc starts counts from xc's first line: xc takes seconds
 * to load on a busy box), release.
 */
export function holdLock(
  dialect: Dialect,
  url: string,
  mode: HoldMode,
  table: string | undefined,
  others: string[],
  holdMs: number,
  rnd: () => number,
  clock: Promise<unknown> = Promise.resolve(),
): Hold {
  let acquired!: () => void;
  const hold: Hold = { mode, acquired: new Promise<void>((r) => (acquired = r)), released: Promise.resolve() };
  hold.released = (async () => {
    let c: Conn | undefined;
    try {
      c = await connect(dialect, url);
      const pg = dialect === 'postgres';
      hold.session = Number((await c.query<{ id: number }>(pg ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id'))[0]!.id);
      const candidates = table ? [table, ...others] : others;
      const existing = await c.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${pg ? 'current_schema()' : 'DATABASE()'} AND table_type = 'BASE TABLE' AND table_name IN (${candidates.map(() => '?').join(', ')})`,
        candidates,
      );
      const names = existing.map((r) => r.name).sort();
      if (!names.length) throw new Error(`none of ${candidates.join(', ')} is a table now`);
      const t = table && names.includes(table) ? table : names[Math.floor(rnd() * names.length)]!;
      hold.table = t;
      // A seeded row a little way in (the backfill's first batches meet it). A table with none (one the migration
      // creates) gets a read instead: locking a missing key locks its gap — on MySQL, of an empty table, every
      // insert — and a writer's own row stops that writer: the holder's doing either way, not xc's.
      const offset = Math.floor(rnd() * 100);
      const row = (await c.query<{ id: number }>(`SELECT id FROM ${t} WHERE id < ? ORDER BY id LIMIT 1 OFFSET ${offset}`, [OLD_BASE]))[0]?.id;
      const read = [pg ? 'BEGIN' : 'START TRANSACTION', `SELECT * FROM ${t} LIMIT 1`];
      const take: Record<HoldMode, string[]> = {
        read,
        row:
          row === undefined ? read
          : pg || rnd() < 0.5 ? [pg ? 'BEGIN' : 'START TRANSACTION', `UPDATE ${t} SET id = id WHERE id = ${Number(row)}`]
          : ['START TRANSACTION', `SELECT id FROM ${t} WHERE id = ${Number(row)} FOR UPDATE`],
        share: ['BEGIN', `LOCK TABLE ${t} IN SHARE MODE`],
        exclusive: ['BEGIN', `LOCK TABLE ${t} IN ACCESS EXCLUSIVE MODE`],
        snapshot: ['BEGIN ISOLATION LEVEL REPEATABLE READ', 'SELECT 1'],
        'lock-read': [`LOCK TABLES ${t} READ`],
        'lock-write': [`LOCK TABLES ${t} WRITE`],
        ftwrl: ['FLUSH TABLES WITH READ LOCK'],
        sleep: [],
      };
      const release = mode === 'lock-read' || mode === 'lock-write' || mode === 'ftwrl' ? 'UNLOCK TABLES' : 'ROLLBACK';
      if (mode === 'sleep') {
        // The statement holds its lock on the table while it runs: it starts with the clock.
        acquired();
        await clock;
        hold.requestedAt = hold.acquiredAt = Date.now();
        const seconds = Math.max(1, Math.round(holdMs / 1000));
        await c.query(`SELECT ${pg ? `pg_sleep(${seconds})` : `SLEEP(${seconds})`} FROM (SELECT COUNT(*) AS n FROM ${t} WHERE id = 0) x`);
        hold.releasedAt = Date.now();
        return;
      }
      hold.requestedAt = Date.now();
      for (const sql of take[mode]) await c.query(sql);
      hold.acquiredAt = Date.now();
      acquired();
      await clock;
      await sleep(holdMs);
      await c.query(release);
      hold.releasedAt = Date.now();
    } catch (err) {
      hold.error = (err as Error).message;
      hold.releasedAt ??= hold.acquiredAt === undefined ? undefined : Date.now();
    } finally {
      acquired();
      await c?.end();
    }
  })();
  return hold;
}

/**
 * The table xc works on next from event line `from` of a run (its DDL's SQL, or the table its backfill walks), among
 * `tables`: where a held lock is in xc's way. Undefined when no later line names one.
 */
export function tableAhead(events: Record<string, unknown>[], from: number, tables: string[]): string | undefined {
  for (const e of events.slice(Math.max(0, from))) {
    if (typeof e.table === 'string' && tables.includes(e.table)) return e.table;
    const sql = typeof e.sql === 'string' ? e.sql : '';
    const named = tables.find((t) => new RegExp(`["\`]${t}["\`]`).test(sql));
    if (named) return named;
  }
  return undefined;
}

/** The length of the union of `intervals` (each already within one statement). */
function covered(intervals: [number, number][]): number {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/**
 * The longest time a writer statement waited for something other than the
 * holder — its duration, less the part of it inside the hold when the hold
 * stops writes itself, and less the gaps when this process could not run
 * (`gaps`, lag.ts: the statement's end was seen late): what xc (its own
 * waiting DDL, or anything else of xc's) cost the application. `during`:
 * statements that overlapped the hold (from the lock's request on);
 * `outside`: the others, the scenario's baseline; `lag`: the most gap time
 * taken off one statement.
 */
export function stallNotOwedToHolder(
  timings: [number, number][],
  hold: Hold | undefined,
  gaps: (from: number, to: number) => [number, number][] = loopGaps,
): { during: number; outside: number; lag: number } {
  const worst = { during: 0, outside: 0, lag: 0 };
  const [h0, h1] = [hold?.acquiredAt === undefined ? undefined : hold.requestedAt, hold?.releasedAt ?? Date.now()];
  for (const [s, e] of timings) {
    const overlaps = h0 !== undefined && s < h1 && e > h0;
    const inside: [number, number][] = overlaps && BLOCKS_WRITERS.has(hold!.mode) ? [[Math.max(s, h0), Math.min(e, h1)]] : [];
    const lagged = gaps(s, e);
    const which = overlaps ? 'during' : 'outside';
    worst[which] = Math.max(worst[which], e - s - covered([...inside, ...lagged]));
    worst.lag = Math.max(worst.lag, covered(lagged));
  }
  return worst;
}
