/**
 * The adaptive section's writers and its two databases behind one small
 * interface (bench/adaptive.ts). The writers are connected once; `run(n)`
 * sets how many of them write, so the doubling costs no connection set-up.
 */
import type mysql from 'mysql2/promise';
import type { AdaptiveDb } from './adaptive.js';
import type { BenchDb } from './pg.js';
import type { MyBenchDb } from './my.js';

export interface Sample {
  /** performance.now() when the write started. */
  at: number;
  ms: number;
  /** An UPDATE of a loaded row may wait on a batch's row locks; an INSERT of a new key never does. */
  insert: boolean;
}

/** One reading of the wait sampler: what each writer running a statement was waiting on ('CPU': on nothing). */
export interface WaitTick {
  at: number;
  waits: string[];
}
/** The sampler's period: short against a batch (~200 ms), long against one query of pg_stat_activity. */
export const WAIT_TICK_MS = 10;
const WRITER_APP = 'xc-bench-writer';

type Exec = (sql: string, params: unknown[]) => Promise<number>;

/** Writer connections; each, while running, alternates an UPDATE of a random row with an INSERT of a new one. */
export class Load {
  private readonly samples: Sample[] = [];
  private readonly errors: string[] = [];
  private inserts = 0;
  private updated = 0;
  private wanted = 0;
  private readonly loops: (Promise<void> | null)[];
  private readonly nextId: number[];

  private constructor(
    private readonly execs: Exec[],
    private readonly table: string,
    private readonly rows: number,
    private readonly pauseMs: number,
  ) {
    this.loops = execs.map(() => null);
    // Each writer inserts in a key range of its own, above the loaded rows.
    this.nextId = execs.map((_, i) => rows + 1 + i * 10_000_000);
  }

  static async open(db: AdaptiveDb, table: string, rows: number, connections: number, pauseMs: number): Promise<Load> {
    const execs = await Promise.all(Array.from({ length: connections }, () => db.writerConnection()));
    return new Load(execs, db.dialect === 'mysql' ? `\`${table}\`` : `"${table}"`, rows, pauseMs);
  }

  /** n writers from now on (0: stop them all); resolves once the ones stopped have finished their write. */
  run(n: number): Promise<void> {
    this.wanted = n;
    for (let i = 0; i < n; i++) this.loops[i] ??= this.loop(i);
    const ending = this.loops.slice(n).filter((l): l is Promise<void> => l !== null);
    return Promise.all(ending).then(() => undefined);
  }

  private async loop(i: number): Promise<void> {
    const exec = this.execs[i]!;
    const param = this.table.startsWith('`') ? ['?', '?'] : ['$1', '$2'];
    for (let k = 0; i < this.wanted; k++) {
      const insert = k % 2 === 1;
      const [sql, params] = insert
        ? [`INSERT INTO ${this.table} (id, amount, pad) VALUES (${param[0]}, 1, 'writer')`, [this.nextId[i]!]]
        : [`UPDATE ${this.table} SET amount = amount + 1 WHERE id = ${param[0]}`, [1 + Math.floor(Math.random() * this.rows)]];
      const t0 = performance.now();
      try {
        const changed = await exec(sql, params);
        if (insert) this.inserts++, this.nextId[i]!++;
        else this.updated += changed;
      } catch (err) {
        this.errors.push(`${sql}: ${(err as Error).message}`);
      }
      this.samples.push({ at: t0, ms: performance.now() - t0, insert });
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
    this.loops[i] = null;
  }

  samplesBetween(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }

  totals(): { inserts: number; updated: number; errors: string[] } {
    return { inserts: this.inserts, updated: this.updated, errors: this.errors };
  }

  async close(): Promise<void> {
    await this.run(0);
  }
}

export async function pgDb(url: string, create: (url: string) => Promise<BenchDb>, load: (db: BenchDb, t: string, rows: number) => Promise<void>): Promise<AdaptiveDb> {
  const db = await create(url);
  const version = (await db.client.query('SELECT version() AS v')).rows[0].v as string;
  return {
    dialect: 'postgres',
    url: db.url,
    server: version.replace(/ on .*/, ''),
    writerConnection: async () => {
      const c = await db.connect();
      await c.query(`SET application_name = '${WRITER_APP}'`); // how the wait sampler finds the writers
      return async (sql, params) => (await c.query(sql, params)).rowCount ?? 0;
    },
    waitSampler: async () => {
      const c = await db.connect();
      const ticks: WaitTick[] = [];
      let on = true;
      const loop = (async () => {
        while (on) {
          const at = performance.now();
          const r = await c.query(
            `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`,
            [WRITER_APP],
          );
          ticks.push({ at, waits: r.rows.map((x: { w: string }) => x.w) });
          await new Promise((res) => setTimeout(res, WAIT_TICK_MS));
        }
      })();
      let stopped: Promise<WaitTick[]> | undefined;
      // Idempotent: the section stops it after apply(), and again, harmlessly, if apply() threw first.
      return () =>
        (stopped ??= (async () => {
          on = false;
          await loop;
          await c.end();
          return ticks;
        })());
    },
    one: async (sql) => Number(Object.values((await db.client.query(sql)).rows[0] as Record<string, unknown>)[0]),
    load: (t, rows) => load(db, t, rows),
    settle: async () => {
      await db.client.query('CHECKPOINT');
    },
    lockWaits: async () => null,
    exec: async (sql) => {
      await db.client.query(sql);
    },
    dropXc: async () => {
      await db.client.query('DROP SCHEMA IF EXISTS xc CASCADE');
    },
    drop: () => db.drop(),
  };
}

export async function myDb(
  url: string,
  create: (url: string) => Promise<MyBenchDb>,
  load: (db: MyBenchDb, t: string, rows: number) => Promise<void>,
  settle: (db: MyBenchDb, t?: string) => Promise<void>,
  dropXc: (db: MyBenchDb) => Promise<void>,
): Promise<AdaptiveDb> {
  const db = await create(url);
  const one = async (sql: string) => {
    const [rows] = await db.conn.query(sql);
    return Number(Object.values((rows as Record<string, unknown>[])[0]!)[0]);
  };
  const [v] = await db.conn.query('SELECT VERSION() AS v');
  const version = String((v as { v: string }[])[0]!.v);
  return {
    dialect: 'mysql',
    url: db.url,
    server: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`,
    writerConnection: async () => {
      const c = await db.connect();
      return async (sql, params) => ((await c.query(sql, params))[0] as mysql.ResultSetHeader).affectedRows;
    },
    one,
    load: (t, rows) => load(db, t, rows),
    settle: (t) => settle(db, t),
    waitSampler: async () => null, // a session's wait events need performance_schema, off by default on MariaDB
    lockWaits: () => one(`SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_WAITS'`),
    exec: async (sql) => {
      await db.conn.query(sql);
    },
    dropXc: () => dropXc(db),
    drop: () => db.drop(),
  };
}
