/**
 * A pass ends even when the application inserts faster than it walks: the
 * part open above stops at the table's largest key when its walk began, and
 * rows inserted above it later keep their value through the triggers. Before,
 * it ran on to each new largest key it met and, walking slower than the
 * inserts (here: 2 rows a batch at 100 rows a second, against a writer adding
 * rows above the largest key back to back), never ended (fuzz seed 268 walked
 * 4 keys a batch behind its writers for minutes). Both ways of finding chunks
 * are walked: by arithmetic on an integer key, by lookup on a text one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import { ChunkFinder } from '../../src/backfill/chunks.js';
import type { Cursor } from '../../src/backfill/keyset.js';
import { driverFromUrl } from '../../src/db/connect.js';
import { withSession } from '../../src/db/driver.js';
import { detectDialect } from '../../src/dialects/index.js';
import { targets, type Db } from '../helpers/targets.js';

const ROWS = 200;
/** apply walks ROWS at 100 rows a second, a second or two each pass: far under this unless the walk chases the writer. */
const DEADLINE_MS = 90_000;

/** Inserts 20 rows a statement above every key there is, back to back, until stopped. */
class Inserter {
  inserted = 0;
  private stopped = false;
  private loop?: Promise<void>;
  constructor(
    private readonly db: Db,
    /** Where its keys start: above every key there is. */
    private readonly from: number,
    private readonly table: string,
    private readonly key: (n: number) => string | number,
    /** The new version: writes `w` itself. */
    private readonly newVersion = false,
  ) {}
  start(): this {
    this.loop = (async () => {
      const conn = await this.db.connection();
      while (!this.stopped) {
        const rows = Array.from({ length: 20 }, (_, i) => this.from + this.inserted + i + 1).map((n) => (this.newVersion ? [this.key(n), n, n + 1] : [this.key(n), n]));
        const columns = this.newVersion ? 'k, v, w' : 'k, v';
        await conn.query(`INSERT INTO ${this.table} (${columns}) VALUES ${rows.map((r) => `(${r.map(() => '?').join(', ')})`).join(', ')}`, rows.flat());
        this.inserted += rows.length;
      }
    })();
    return this;
  }
  async stop(): Promise<number> {
    this.stopped = true;
    if (!this.loop) throw new Error('the writer never started');
    await this.loop;
    return this.inserted;
  }
}

/** `p`, or a failure naming what was still running once the deadline passed. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still running after ${DEADLINE_MS / 1000}s`)), DEADLINE_MS)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const target of targets) {
  target.describe(`a pass the application's inserts outpace (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    const keys = [
      { name: 'an integer key (chunks by arithmetic)', type: 'bigint', key: (n: number) => n },
      { name: 'a text key (chunks by lookup)', type: 'varchar(20)', key: (n: number) => `k${String(n).padStart(9, '0')}` },
    ];
    for (const { name, type, key } of keys) {
      it(`${name}: apply and contract end, and every row, those inserted meanwhile too, holds its value`, { timeout: DEADLINE_MS * 3 }, async () => {
        const db = await target.create('xc_outpaced');
        cleanup.push(() => db.drop());
        await db.query(`CREATE TABLE t (k ${type} PRIMARY KEY, v int NOT NULL)`);
        await db.seed('t', ['k', 'v'], Array.from({ length: ROWS }, (_, i) => [key(i + 1), i + 1]));
        const dir = await mkdtemp(path.join(tmpdir(), 'xc-outpaced-'));
        cleanup.push(() => rm(dir, { recursive: true, force: true }));
        await writeFile(path.join(dir, '0001_w.json'), JSON.stringify({ operations: [{ addColumn: { table: 't', column: { name: 'w', type: 'int' }, up: 'v + 1' } }] }));
        // The old version inserts from the start of the backfill pass on (its split sees the ROWS), the new one
        // (writing `w` itself) through the contract's verify.
        const old = new Inserter(db, ROWS, 't', key);
        cleanup.push(async () => void (await old.stop().catch(() => undefined)));
        const xc: Xc = createXc({ url: db.url, dir, batchSize: 2, maxRowsPerSecond: 100, onEvent: (e) => void (e.event === 'phase' && e.to === 'backfilling' && old.start()) });
        cleanup.push(() => xc.close());
        await within(xc.apply(), 'apply');
        const oldInserted = await old.stop();
        await xc.deploy.record({ app: 'a', version: '2' });
        const next = new Inserter(db, ROWS + oldInserted, 't', key, true).start();
        cleanup.push(async () => void (await next.stop().catch(() => undefined)));
        await within(xc.contract(), 'contract');
        const newInserted = await next.stop();
        // The old version's writer outran the walk: apply could not have ended by catching up with it.
        expect(oldInserted).toBeGreaterThan(ROWS);
        expect(await db.count(`SELECT count(*) FROM t`)).toBe(ROWS + oldInserted + newInserted);
        expect(await db.count(`SELECT count(*) FROM t WHERE w IS NULL OR w <> v + 1`)).toBe(0);
      });
    }

    it('a gap past what the split saw (a row inserted far above every key): the walk by arithmetic jumps it, one lookup, instead of crawling it (fuzz seed 268)', async () => {
      const db = await target.create('xc_outpaced');
      cleanup.push(() => db.drop());
      await db.query(`CREATE TABLE t (k bigint PRIMARY KEY, v int NOT NULL)`);
      await db.seed('t', ['k', 'v'], [...Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1]), [1_000_000_000_000, 7]]);
      const driver = await driverFromUrl(db.url);
      cleanup.push(() => driver.close());
      const d = await detectDialect(driver);
      // The last part of a split that saw keys up to 100, open above, walked by arithmetic 10 keys a chunk, as a pass
      // walks it (its rows counted after each chunk): its end, read as the walk begins, is 10^12.
      const chunks = new ChunkFinder(driver, d, 't', { columns: ['k'] }, true, { from: ['100'], to: null });
      const walked: string[] = [];
      let cursor: Cursor = ['100'];
      await withSession(driver, async (s) => {
        for (let n = 0; n < 100; n++) {
          const chunk = await chunks.next(s, cursor, 10);
          await chunks.rowsIn(s, cursor, chunk);
          walked.push(String(chunk.end?.[0]));
          if (chunk.last) return;
          cursor = chunk.end;
        }
      });
      // 101–110 … 191–200, an empty chunk, then a jump to the far key: a dozen chunks, not 10^11.
      expect(walked.length).toBeLessThan(20);
      expect(walked.at(-1)).toBe('1000000000000');
    });
  });
}
