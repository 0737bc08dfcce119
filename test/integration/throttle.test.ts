/**
 * Health-aware throttling (SPEC §5) with the primary's signals, on real
 * servers: a backfill held by the WAL / redo rate gives up after
 * --throttle-timeout with exit 3 naming the signal, `xc status` run from
 * another process meanwhile names it, and a re-run resumes and converts every
 * row; on PostgreSQL a VACUUM running on the table holds the backfill until
 * it ends. (--max-load: locks.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runXc } from '../helpers/cli.js';
import { createXc, type XcEvent } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';

const ROWS = 3000;
const ALTER = { alterColumn: { table: 'users', column: 'v', to: 'v2', type: 'bigint', up: 'v', down: 'v2' } };

for (const target of targets) {
  target.describe(`throttle (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    async function setup(): Promise<{ db: Db; dir: string }> {
      const db = await target.create('xc_thr');
      cleanup.push(() => db.drop());
      await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50), v int)`);
      await db.seed('users', ['id', 'name', 'v'], Array.from({ length: ROWS }, (_, i) => [i + 1, `u${i}`, i]));
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-thr-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations: [ALTER] }));
      return { db, dir };
    }
    const unconverted = (db: Db) => db.count(`SELECT count(*) FROM users WHERE v2 IS NULL OR v2 <> v`);

    it(
      '--max-wal-rate holds the backfill while a writer fills the log; status names it; after --throttle-timeout exit 3, and a re-run resumes',
      async () => {
        const { db, dir } = await setup();
        await db.query(db.dialect === 'postgres' ? 'CREATE TABLE noise (id serial PRIMARY KEY, pad text)' : 'CREATE TABLE noise (id int AUTO_INCREMENT PRIMARY KEY, pad text)');
        const writer = new Writer(await db.connection(), () => ({ sql: 'INSERT INTO noise (pad) VALUES (?)', params: ['x'.repeat(4000)] }));
        cleanup.push(() => writer.stop());
        const common = ['--url', db.url, '--dir', dir, '--json'];

        const held = runXc(['apply', ...common, '--batch-size', '100', '--batch-delay', '200ms', '--max-wal-rate', '1kB', '--throttle-timeout', '15s']);
        let settled = false;
        void held.then(() => (settled = true));
        // The writer starts once a first batch is in, so there are batches before the hold for the re-run to go on
        // from (started at once, it held the first batch whenever xc's start-up outlasted the writer's first second).
        while (!settled && (await unconverted(db).catch(() => ROWS)) === ROWS) await new Promise((r) => setTimeout(r, 20));
        writer.start();
        // From another process while the backfill is held: status names the signal.
        let note: string | null = null;
        while (!settled && note === null) {
          const status = await runXc(['status', ...common]);
          const m = (JSON.parse(status.stdout.trim().split('\n').pop()!) as { migrations?: { lastError: string | null }[] }).migrations?.[0];
          if (m?.lastError?.startsWith('throttled: ')) note = m.lastError;
        }
        expect(note).toMatch(/^throttled: wal_rate [\d.]+(B|kB|MB|GB)\/s over the limit 1kB\/s \((fill|backfill) of "users" held since \d{4}-/);

        const first = await held;
        expect(first.code).toBe(3);
        const lines = first.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
        const throttled = lines.filter((e) => e.event === 'throttled');
        expect(throttled.length).toBeGreaterThan(0);
        expect(throttled[0]).toMatchObject({ table: 'users', signal: 'wal_rate', limit: 1024, unit: 'bytes/s' });
        expect(throttled.every((e) => e.signal === 'wal_rate' && e.value > 1024)).toBe(true);
        const result = lines.pop()!;
        expect(result).toMatchObject({ ok: false, error: { code: 'throttled', exitCode: 3, details: { signal: 'wal_rate', limit: 1024, unit: 'bytes/s' } } });
        expect(result.error.message).toMatch(/^(fill|backfill) of "users" held back for \d+s \(--throttle-timeout\) by wal_rate .* over the limit 1kB\/s; every batch before is committed: run the command again to resume/);

        // The batches before the hold are committed; the re-run goes on from them and converts every row.
        const after = JSON.parse((await runXc(['status', ...common])).stdout.trim().split('\n').pop()!) as { migrations: { backfill: { done: number }; lastError: string }[] };
        expect(after.migrations[0]!.backfill.done).toBeGreaterThan(0);
        expect(after.migrations[0]!.lastError).toMatch(/^(fill|backfill) of "users" held back/);
        expect(await unconverted(db)).toBeGreaterThan(0);
        await writer.stop();
        const rerun = await runXc(['apply', ...common]);
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(await unconverted(db)).toBe(0);
        expect(await db.count('SELECT count(*) FROM users')).toBe(ROWS);
      },
      120_000,
    );

    it('--max-rows-per-second bounds each batch to a second\'s share of its part: no burst at many times the cap before the first pause (campaign AO: 112,894 rows/s shown under 3,000)', async () => {
      const { db, dir } = await setup();
      const events: XcEvent[] = [];
      const xc = createXc({ url: db.url, dir, parallel: 2, maxRowsPerSecond: 1000, onEvent: (e) => events.push(e) });
      cleanup.push(() => xc.close());
      await xc.apply();
      const batches = events.flatMap((e) => (e.event === 'backfill' ? [e.batchSize] : []));
      expect(batches.length).toBeGreaterThan(2);
      expect(Math.max(...batches)).toBeLessThanOrEqual(500);
      expect(await unconverted(db)).toBe(0);
    }, 120_000);

    if (target.name === 'postgres') {
      it('a VACUUM running on the table holds the backfill (signal autovacuum) until it ends', async () => {
        const { db, dir } = await setup();
        const events: { at: number; e: XcEvent }[] = [];
        const xc = createXc({ url: db.url, dir, onEvent: (e) => events.push({ at: Date.now(), e }) });
        cleanup.push(() => xc.close());
        // Expanded first: a VACUUM's lock would hold the expand's DDL back, not the backfill.
        await xc.apply({ to: 'expand' });
        // Dead rows for the VACUUM to clean, and a cost limit that makes it crawl (sleeping after every page).
        await db.query('UPDATE users SET name = name');
        const vacuumer = await db.connection();
        await vacuumer.query(`SET vacuum_cost_delay = '40ms'`);
        await vacuumer.query('SET vacuum_cost_limit = 1');
        const vacuum = vacuumer.query('VACUUM users').then(() => Date.now());
        while ((await db.count(`SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = 'users'::regclass`)) === 0) await new Promise((r) => setTimeout(r, 20));

        events.length = 0;
        await xc.backfill();
        const vacuumEnded = await vacuum;
        const throttled = events.filter(({ e }) => e.event === 'throttled').map(({ e }) => e);
        expect(throttled[0]).toMatchObject({ event: 'throttled', table: 'users', signal: 'autovacuum', source: 'users', value: 1, limit: 0, unit: 'workers' });
        // No batch ran before the VACUUM was over.
        const batches = events.filter(({ e }) => e.event === 'backfill');
        expect(batches.length).toBeGreaterThan(0);
        expect(batches[0]!.at).toBeGreaterThanOrEqual(vacuumEnded - 50);
        expect(await unconverted(db)).toBe(0);
      }, 60_000);
    }
  });
}
