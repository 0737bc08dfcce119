/**
 * Old- and new-version application writers whose every row is predictable:
 * per table it writes (its targets, from the catalogue), writer w inserts id
 * base+k and later updates it to values that follow from the id alone, so
 * after any fault the expected content of each of its rows is known exactly —
 * up to the statements whose connection died before the answer ("uncertain").
 * Each statement's start and end are kept, to tell how long xc stalled it.
 */
import { NEW_BASE, OLD_BASE, type ChaosMigration, type Target, type Value, type Version, type WriterRow } from './catalogue.js';
import { connect, isConnectionError, type Conn, type Dialect } from './db.js';

export class AppWriter {
  readonly errors: string[] = [];
  disconnects = 0;
  writes = 0;
  /** Per target (same index as the catalogue's), the rows written, by id. */
  readonly rows: Map<number, WriterRow>[];
  /** Each statement's [start, end] in ms since the epoch. */
  readonly timings: [number, number][] = [];
  private readonly targets: Target[];
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly dialect: Dialect,
    private readonly url: string,
    readonly version: Version,
    private readonly migration: ChaosMigration,
  ) {
    this.targets = migration.writers[version];
    this.rows = this.targets.map(() => new Map());
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  private async open(): Promise<Conn | undefined> {
    try {
      const c = await connect(this.dialect, this.url);
      // The application's own settings: a server-wide timeout injected as a fault is aimed at xc, not at it. The idle
      // limit too: on a loaded box the harness's event loop can stall past the 2 s one between two writes (CI saw 2.5 s).
      if (this.dialect === 'postgres') await c.query('SET statement_timeout = 0; SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0');
      else await c.query('SET SESSION max_statement_time = 0, wait_timeout = 31536000');
      return c;
    } catch (err) {
      if (!isConnectionError(err)) this.errors.push(`connect: ${(err as Error).message}`);
      else this.disconnects++;
      return undefined;
    }
  }

  private async run(): Promise<void> {
    const base = this.version === 'old' ? OLD_BASE : NEW_BASE;
    const steps = this.targets.map(() => 0);
    let conn: Conn | undefined;
    for (let n = 0; !this.stopped; n++) {
      conn ??= await this.open();
      if (!conn) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      // Round-robin over the targets; per target: insert, update, insert, update, …
      const t = n % this.targets.length;
      const target = this.targets[t]!;
      const rows = this.rows[t]!;
      const k = steps[t]!;
      const id = base + (k >> 1);
      let sql: string;
      let params: Value[];
      let apply: (certain: boolean) => void;
      if (k % 2 === 0) {
        const values = target.insert(id);
        sql = `INSERT INTO ${target.table} (${Object.keys(values).join(', ')}) VALUES (${Object.keys(values).map(() => '?').join(', ')})`;
        params = Object.values(values);
        apply = (certain) => rows.set(id, { id, cols: Object.fromEntries(Object.entries(values).map(([c, v]) => [c, [v]])), maybe: !certain });
      } else {
        // Update a row inserted a few writes ago (it may not exist if that insert failed: then nothing changes).
        const row = base + Math.max(0, (k >> 1) - 3);
        const values = target.update(row);
        sql = `UPDATE ${target.table} SET ${Object.keys(values).map((c) => `${c} = ?`).join(', ')} WHERE id = ?`;
        params = [...Object.values(values), row];
        apply = (certain) => {
          const r = rows.get(row);
          if (!r) return;
          for (const [c, v] of Object.entries(values)) r.cols[c] = certain ? [v] : [...new Set([...(r.cols[c] ?? []), v])];
        };
      }
      const t0 = Date.now();
      try {
        await conn.query(sql, params);
        this.writes++;
        apply(true);
      } catch (err) {
        if (isConnectionError(err)) {
          this.disconnects++;
          apply(false);
          await conn.end();
          conn = undefined;
        } else {
          this.errors.push(`${sql} ${JSON.stringify(params)}: ${(err as Error).message}`);
        }
      }
      this.timings.push([t0, Date.now()]);
      steps[t]!++;
      await new Promise((r) => setTimeout(r, 3));
    }
    await conn?.end();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
