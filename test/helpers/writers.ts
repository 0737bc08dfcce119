/** Application stand-ins: a loop of writes through one connection, recording errors and the worst latency. */
export interface Query {
  sql: string;
  params?: unknown[];
}

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export class Writer {
  readonly errors: string[] = [];
  writes = 0;
  maxLatencyMs = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly conn: Queryable,
    private readonly next: (i: number) => Query,
    private readonly pauseMs = 2,
  ) {}

  start(): this {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const q = this.next(i);
        const t0 = performance.now();
        try {
          await this.conn.query(q.sql, q.params);
          this.writes++;
        } catch (err) {
          this.errors.push(`${q.sql} ${JSON.stringify(q.params ?? [])}: ${(err as Error).message}`);
        }
        this.maxLatencyMs = Math.max(this.maxLatencyMs, performance.now() - t0);
        await new Promise((r) => setTimeout(r, this.pauseMs));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
