/**
 * Old- and new-version application writers whose every row is predictable:
 * writer w inserts id base+k (balance 0) and later sets it to value(id), so
 * after any fault the expected content of each of its rows is known exactly —
 * up to the statements whose connection died before the answer ("uncertain").
 */
import { connect, isConnectionError, type Conn, type Dialect } from './db.js';

export const OLD_BASE = 1_000_000;
export const NEW_BASE = 2_000_000;
export const value = (id: number) => (id * 7919) % 1_000_003;

export interface WriterRow {
  id: number;
  /** Expected values (in the final shape's names); `either` lists the alternatives of uncertain statements. */
  balance: number[];
  note: (string | null)[];
  owner: string;
  tag: string;
  /** The insert's fate is unknown: the row may be missing. */
  maybe: boolean;
}

export class AppWriter {
  readonly errors: string[] = [];
  disconnects = 0;
  writes = 0;
  readonly rows = new Map<number, WriterRow>();
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly dialect: Dialect,
    private readonly url: string,
    readonly version: 'old' | 'new',
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  private async open(): Promise<Conn | undefined> {
    try {
      const c = await connect(this.dialect, this.url);
      // The application's own settings: a server-wide timeout injected as a fault is aimed at xc, not at it.
      await c.query(this.dialect === 'postgres' ? 'SET statement_timeout = 0' : 'SET SESSION max_statement_time = 0');
      return c;
    } catch (err) {
      if (!isConnectionError(err)) this.errors.push(`connect: ${(err as Error).message}`);
      else this.disconnects++;
      return undefined;
    }
  }

  private async run(): Promise<void> {
    const base = this.version === 'old' ? OLD_BASE : NEW_BASE;
    const col = this.version === 'old' ? 'balance' : 'balance_big';
    let conn: Conn | undefined;
    for (let k = 0; !this.stopped; k++) {
      conn ??= await this.open();
      if (!conn) {
        await new Promise((r) => setTimeout(r, 100));
        k--;
        continue;
      }
      const id = base + (k >> 1);
      let sql: string;
      let params: unknown[];
      let apply: (certain: boolean) => void;
      if (k % 2 === 0) {
        const note = this.version === 'old' && id % 3 === 0 ? null : `${this.version[0]}${id}`;
        sql = `INSERT INTO accounts (id, ${col}, owner, tag, note) VALUES (?, 0, ?, ?, ?)`;
        params = [id, `w${id}`, `t${id % 10}`, note];
        apply = (certain) => this.rows.set(id, { id, balance: [0], note: [note], owner: `w${id}`, tag: `t${id % 10}`, maybe: !certain });
      } else {
        // Update a row inserted a few writes ago (it may not exist if that insert failed: then nothing changes).
        const target = base + Math.max(0, (k >> 1) - 3);
        sql = `UPDATE accounts SET ${col} = ? WHERE id = ?`;
        params = [value(target), target];
        apply = (certain) => {
          const r = this.rows.get(target);
          if (r) r.balance = certain ? [value(target)] : [...new Set([...r.balance, value(target)])];
        };
      }
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
      await new Promise((r) => setTimeout(r, 3));
    }
    await conn?.end();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
