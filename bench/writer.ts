/**
 * An application stand-in on its own connection: alternately INSERTs a new
 * row and bumps a random existing row (`SET col = col + 1`), with a short
 * pause between writes, timing every statement. `column` is the one column
 * this application version knows; switching it models a deploy.
 */
import pg from 'pg';
import { percentile } from './report.js';

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
    private readonly client: pg.Client,
    private readonly table: string,
    /** Rows 1..baseRows exist; inserts use ids above them. */
    private readonly baseRows: number,
    private readonly pauseMs = 2,
  ) {}

  start(): this {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const insert = i % 2 === 0;
        const c = `"${this.column}"`;
        const [sql, params] = insert
          ? [`INSERT INTO ${this.table} (id, ${c}, pad) VALUES ($1, 1, 'writer')`, [this.baseRows + 1 + this.inserts]]
          : [`UPDATE ${this.table} SET ${c} = ${c} + 1 WHERE id = $1`, [1 + Math.floor(Math.random() * this.baseRows)]];
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
