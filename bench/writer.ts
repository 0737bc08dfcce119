/**
 * An application stand-in on its own connection: alternately INSERTs a new
 * row and bumps a random existing row (`SET col = col + 1`), with a short
 * pause between writes, timing every statement. `column` is the one column
 * this application version knows; switching it models a deploy. The same
 * writer runs on PostgreSQL (a pg.Client, `$1`, "col") and on MySQL/MariaDB
 * (a mysql2 promise connection, `?`, `col`).
 */
import { percentile } from './report.js';

/** What the writer needs of a connection: pg.Client and mysql2's promise Connection both fit. */
export interface WriterConnection {
  query(sql: string, params: unknown[]): Promise<unknown>;
}

export type WriterDialect = 'postgres' | 'mysql';

export interface WriterStats {
  writes: number;
  inserts: number;
  updates: number;
  worstMs: number;
  /** performance.now() when the worst write started. */
  worstAt: number;
  p99Ms: number;
  errors: string[];
}

export class Writer {
  column = 'amount';
  private readonly latencies: number[] = [];
  private worst = { ms: 0, at: 0 };
  private readonly errors: string[] = [];
  private inserts = 0;
  private updates = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly client: WriterConnection,
    private readonly table: string,
    /** Rows 1..baseRows exist; inserts use ids above them. */
    private readonly baseRows: number,
    private readonly pauseMs = 2,
    private readonly dialect: WriterDialect = 'postgres',
  ) {}

  start(): this {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const insert = i % 2 === 0;
        const my = this.dialect === 'mysql';
        const c = my ? `\`${this.column}\`` : `"${this.column}"`;
        const p = my ? '?' : '$1';
        const [sql, params] = insert
          ? [`INSERT INTO ${this.table} (id, ${c}, pad) VALUES (${p}, 1, 'writer')`, [this.baseRows + 1 + this.inserts]]
          : [`UPDATE ${this.table} SET ${c} = ${c} + 1 WHERE id = ${p}`, [1 + Math.floor(Math.random() * this.baseRows)]];
        const t0 = performance.now();
        try {
          await this.client.query(sql, params);
          if (insert) this.inserts++;
          else this.updates++;
        } catch (err) {
          this.errors.push(`${sql}: ${(err as Error).message}`);
        }
        const ms = performance.now() - t0;
        this.latencies.push(ms);
        if (ms > this.worst.ms) this.worst = { ms, at: t0 };
        await new Promise((r) => setTimeout(r, this.pauseMs));
      }
    })();
    return this;
  }

  async stop(): Promise<WriterStats> {
    this.stopped = true;
    await this.loop;
    return {
      writes: this.inserts + this.updates,
      inserts: this.inserts,
      updates: this.updates,
      worstMs: this.worst.ms,
      worstAt: this.worst.at,
      p99Ms: percentile(this.latencies, 99),
      errors: this.errors,
    };
  }
}
