/**
 * Piped (CI) output ends each pass with the count it reached, in rows: the
 * backfill's last progress line and "N rows backfilled", and the verify's
 * last "N rows checked", all equal the table's rows. The table's keys have
 * gaps (every other id), which a walk by key arithmetic counted as rows
 * (14,297 for 7,149); and the last throttled progress line was dropped
 * (verify printed "3,574 rows checked", its first of two parts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runXc, runXcKillingAt, type Run } from '../helpers/cli.js';
import { stateTable, targets } from '../helpers/targets.js';

const ROWS = 7149;

const lastMatch = (text: string, re: RegExp) => [...text.matchAll(new RegExp(re, re.flags + 'g'))].at(-1)?.[1];

for (const target of targets) {
  target.describe(`piped output counts rows (${target.name})`, () => {
    /** A database and a folder of the test's own for `body`, both removed after. */
    const scratch = async (name: string, body: (db: Awaited<ReturnType<typeof target.create>>, dir: string) => Promise<void>) => {
      const db = await target.create(`xc_out_${name}`);
      const dir = await mkdtemp(path.join(os.tmpdir(), `xc-out-${name}-`));
      try {
        await body(db, dir);
      } finally {
        await db.drop();
        await rm(dir, { recursive: true, force: true });
      }
    };

    it('backfill and verify print their final count, equal to the rows of a table whose key has gaps', { timeout: 180_000 }, async () =>
      scratch('counts', async (db, dir) => {
        await mkdir(path.join(dir, 'migrations'));
        const write = (id: string, op: unknown) => writeFile(path.join(dir, 'migrations', `${id}.json`), JSON.stringify({ operations: [op] }));
        await write('0001_users', { createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } });
        await write('0002_shout', { addColumn: { table: 'users', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } });
        const run = (...args: string[]): Promise<Run> => runXc(args, { cwd: dir, env: { XC_DATABASE_URL: db.url } });
        expect((await run('apply', '0001_users')).code).toBe(0);
        await db.seed('users', ['id', 'name'], Array.from({ length: ROWS }, (_, i) => [2 * (i + 1), `n${i}`]));
        await db.query(target.name === 'postgres' ? 'ANALYZE users' : 'ANALYZE TABLE users');

        // Batches of 100 with a pause: several progress lines, the last ones within the 2 s a piped line waits.
        const apply = await run('apply', '--batch-size', '100', '--batch-delay', '20ms');
        expect(apply.code, apply.stderr).toBe(0);
        expect(lastMatch(apply.stderr, /^backfill 0002_shout users {2}([\d,]+\/[\d,]+) rows/m)).toBe('7,149/7,149');
        expect(apply.stdout).toContain('0002_shout  pending → backfilled  7,149 rows backfilled');
        // The plan's notes, as `xc plan` shows them: a pipeline runs `apply` or `check --apply`, never plan (campaign CZ);
        // on stderr, as every note and warning (campaign DE: stdout is the result a pipeline parses).
        expect(apply.stderr).toMatch(/^0002_shout: note: operations\[0\]\.addColumn: until contract, an UPDATE that changes "name"/m);
        expect(apply.stdout).not.toMatch(/note:|warning:/);
        const status = await run('status', '--json');
        expect(JSON.parse(status.stdout.trim().split('\n').at(-1)!).migrations.find((m: { id: string }) => m.id === '0002_shout').backfill).toEqual({ done: ROWS, total: ROWS });

        expect((await run('deploy', 'record', '--app', 'web', '--version', '1')).code).toBe(0);
        const contract = await run('contract');
        expect(contract.code, contract.stderr).toBe(0);
        expect(lastMatch(contract.stderr, /^verify 0002_shout users {2}([\d,]+) rows checked/m)).toBe('7,149');
      }));

    it('status counts a part at least what it did and one more while open: a walk killed while its estimate was short shows neither more than 100% nor 100% (campaign BM)', { timeout: 180_000 }, async () =>
      scratch('status', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text)`);
        await db.seed('users', ['id', 'name'], Array.from({ length: 3000 }, (_, i) => [i + 1, `n${i}`]));
        await writeFile(path.join(dir, '0001_shout.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } }] }));
        const killed = await runXcKillingAt(['apply', '--url', db.url, '--dir', dir, '--batch-size', '100', '--batch-delay', '50ms'], (e) => e.event === 'backfill' && e.pass === 'backfill' && Number(e.done) >= 300);
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        // The estimate a part starts with (the server's statistics) short of what the walk has met: rows written meanwhile.
        await db.query(`UPDATE ${stateTable(db, 'backfill')} SET total = 10 WHERE seq >= 0`);
        const status = await runXc(['status', '--url', db.url, '--dir', dir, '--json']);
        const { backfill } = JSON.parse(status.stdout.trim().split('\n').at(-1)!).migrations[0] as { backfill: { done: number; total: number } };
        expect(backfill.done).toBeGreaterThanOrEqual(300);
        // Each open part: what it did, and at least one row more (it was not walked to its end).
        const open = await db.count(`SELECT count(*) FROM ${stateTable(db, 'backfill')} WHERE seq >= 0 AND finished_at IS NULL`);
        expect(open).toBeGreaterThan(0);
        expect(backfill.total).toBe(backfill.done + open);
        const text = (await runXc(['status', '--url', db.url, '--dir', dir])).stdout;
        expect(text).toContain(`${backfill.done.toLocaleString('en-US')}/${(backfill.done + open).toLocaleString('en-US')} (9`);
        expect(text).not.toContain('(100%)');
        // The run that resumes does the rest, and says its count is its own (campaign CR: read as rows skipped).
        const resumed = await runXc(['apply', '--url', db.url, '--dir', dir]);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stdout).toMatch(/0001_shout {2}backfilling → backfilled {2}[\d,]+ rows backfilled by this run \(it resumed; `xc status` counts the whole pass\)/);
        expect(await db.count(`SELECT count(*) FROM users WHERE shout IS NULL OR shout <> upper(name)`)).toBe(0);
      }));

    it.runIf(target.name === 'mysql')('a resumed fill over a grown table keeps the rows of its key range: the rows added since are the catch-up\'s (campaign DJ: 40,000/99,900, then 40,000/40,000)', { timeout: 180_000 }, async () =>
      scratch('fill', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, n int NOT NULL)`);
        await db.seed('users', ['id', 'n'], Array.from({ length: 3000 }, (_, i) => [i + 1, i]));
        await db.query('ANALYZE TABLE users');
        await writeFile(path.join(dir, '0001_big.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'users', column: 'n', to: 'n_big', type: 'bigint', up: 'n', down: 'n_big' } }] }));
        const killed = await runXcKillingAt(['apply', '--url', db.url, '--dir', dir, '--batch-size', '100', '--batch-delay', '50ms'], (e) => e.event === 'backfill' && e.pass === 'fill' && Number(e.done) >= 300);
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        await db.seed('users', ['id', 'n'], Array.from({ length: 20_000 }, (_, i) => [3001 + i, i]));
        await db.query('ANALYZE TABLE users');
        const resumed = await runXc(['apply', '--url', db.url, '--dir', dir, '--json', '--batch-size', '1000']);
        expect(resumed.code, resumed.stderr).toBe(0);
        const fill = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; pass?: string; done?: number; total?: number }).filter((e) => e.event === 'backfill' && e.pass === 'fill');
        expect(fill.length).toBeGreaterThan(0);
        for (const e of fill) expect(Number(e.total)).toBeLessThan(3000 * 1.2);
        expect(await db.count(`SELECT count(*) FROM users WHERE n_big IS NULL OR n_big <> n`)).toBe(0);
      }));

    it('a later migration\'s pass over a table an earlier one updated totals its rows, counted: not the estimate the earlier updates inflated (campaign DP: 24,952/121,246, then 60,494/60,494)', { timeout: 180_000 }, async () =>
      scratch('later', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text)`);
        await db.seed('users', ['id', 'name'], Array.from({ length: 4000 }, (_, i) => [i + 1, `n${i}`]));
        await db.query(target.name === 'postgres' ? 'VACUUM ANALYZE users' : 'ANALYZE TABLE users');
        // Its estimate past the size counted at once, as an earlier migration's updates take a table's (campaign DQ):
        // the server's live count still says it is small.
        // PostgreSQL: 150,000 rows as the last ANALYZE counted them over the pages there are now — once 0001's updates
        // double the pages, the estimate reads 300,000.
        if (target.name === 'postgres') await db.query(`UPDATE pg_class SET reltuples = 150000, relpages = pg_relation_size(oid) / 8192 WHERE oid = 'users'::regclass`);
        await writeFile(path.join(dir, '0001_a.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'a', type: 'text' }, up: 'upper(name)' } }] }));
        await writeFile(path.join(dir, '0002_b.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'b', type: 'text' }, up: 'lower(name)' } }] }));
        const apply = await runXc(['apply', '--url', db.url, '--dir', dir, '--json']);
        expect(apply.code, apply.stderr).toBe(0);
        const totals = apply.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; pass?: string; migration?: string; total?: number }).filter((e) => e.event === 'backfill' && e.pass === 'backfill');
        expect(totals.some((e) => e.migration === '0002_b')).toBe(true);
        for (const e of totals) expect(Number(e.total), e.migration).toBe(4000);
      }));

    it('two passes over one table count its rows once in status, as apply does (campaign DD: 120,324 for about 60,000 rows)', { timeout: 180_000 }, async () =>
      scratch('twice', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text, email text)`);
        await db.seed('users', ['id', 'name', 'email'], Array.from({ length: 3000 }, (_, i) => [i + 1, `n${i}`, `E${i}`]));
        await db.query(target.name === 'postgres' ? 'VACUUM ANALYZE users' : 'ANALYZE TABLE users');
        await writeFile(path.join(dir, '0001_two.json'), JSON.stringify({ operations: [
          { addColumn: { table: 'users', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } },
          { alterColumn: { table: 'users', column: 'email', to: 'email_lower', up: 'lower(email)', down: 'email_lower' } },
        ] }));
        const apply = await runXc(['apply', '--url', db.url, '--dir', dir, '--json']);
        expect(apply.code, apply.stderr).toBe(0);
        expect(JSON.parse(apply.stdout.trim().split('\n').at(-1)!).migrations[0].rows).toBe(3000);
        // The second pass's total: the rows the first counted, not the planner's estimate its updates inflated (campaign DM: 7,000/135,980 for 60,000 rows).
        for (const t of passTotals(apply.stdout)) expect(t).toBeLessThan(3000 * 1.2);
        const passes = await db.count(`SELECT count(DISTINCT seq) FROM ${stateTable(db, 'backfill')} WHERE seq >= 0`);
        expect(passes).toBe(2);
        const status = JSON.parse((await runXc(['status', '--url', db.url, '--dir', dir, '--json'])).stdout.trim().split('\n').at(-1)!).migrations[0] as { backfill: { done: number; total: number } };
        expect(status.backfill).toEqual({ done: 3000, total: 3000, passes: { begun: 2, planned: 2, current: { done: 3000, total: 3000 } } });
        // Each pass's count starts again, and says which pass it is (campaign DR: 93%, then 7%, read as a count falling).
        const places = apply.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; pass?: string; tablePass?: unknown }).filter((e) => e.event === 'backfill' && e.pass === 'backfill').map((e) => JSON.stringify(e.tablePass));
        expect([...new Set(places)]).toEqual([JSON.stringify({ index: 1, of: 2 }), JSON.stringify({ index: 2, of: 2 })]);
        await runXc(['rollback', '--url', db.url, '--dir', dir]);
        const piped = await runXc(['apply', '--url', db.url, '--dir', dir]);
        expect(piped.stderr).toMatch(/backfill 0001_two users {2}pass 1 of 2 {2}3,000\/3,000 rows \(100%\)/);
        expect(piped.stderr).toMatch(/backfill 0001_two users {2}pass 2 of 2 {2}3,000\/3,000 rows \(100%\)/);
      }));

    it('two copies of one table\'s columns: each walk says which of the table\'s walks it is, the expand\'s fills (MySQL/MariaDB) and the backfill\'s passes alike (campaign DU: a fill read 100%, then 6%)', { timeout: 180_000 }, async () =>
      scratch('walks', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name varchar(40), email varchar(40))`);
        await db.seed('users', ['id', 'name', 'email'], Array.from({ length: 2000 }, (_, i) => [i + 1, `n${i}`, `E${i}`]));
        await writeFile(path.join(dir, '0001_copies.json'), JSON.stringify({ operations: [
          { alterColumn: { table: 'users', column: 'email', to: 'email_lower', type: 'varchar(60)', up: 'lower(email)', down: 'email_lower' } },
          { alterColumn: { table: 'users', column: 'name', to: 'full_name', type: 'varchar(60)', up: 'name', down: 'full_name' } },
        ] }));
        const apply = await runXc(['apply', '--url', db.url, '--dir', dir, '--json']);
        expect(apply.code, apply.stderr).toBe(0);
        const events = apply.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; pass?: string; done?: number; total?: number; tablePass?: { index: number; of: number } }).filter((e) => e.event === 'backfill');
        const fills = events.filter((e) => e.pass === 'fill');
        expect(fills.length > 0).toBe(target.name === 'mysql');
        for (const kind of ['fill', 'backfill']) {
          const walk = events.filter((e) => e.pass === kind);
          if (walk.length === 0) continue;
          expect([...new Set(walk.map((e) => JSON.stringify(e.tablePass)))], kind).toEqual([JSON.stringify({ index: 1, of: 2 }), JSON.stringify({ index: 2, of: 2 })]);
          for (const e of walk) expect(e.done!).toBeLessThanOrEqual(e.total!);
        }
        expect(await db.count(`SELECT count(*) FROM users WHERE email_lower = lower(email) AND full_name = name`)).toBe(2000);
      }));

    /** The totals of the backfill pass's progress events in a --json run's output. */
    const passTotals = (stdout: string) =>
      stdout.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; pass?: string; total?: number }).filter((e) => e.event === 'backfill' && e.pass === 'backfill').map((e) => Number(e.total));

    it('a resumed pass over a table that did not grow keeps its rows: not the planner\'s estimate, which the backfill\'s own updates inflate (campaign DI: 19,000/37,432 for 20,000 rows)', { timeout: 180_000 }, async () =>
      scratch('same', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text)`);
        await db.seed('users', ['id', 'name'], Array.from({ length: 6000 }, (_, i) => [i + 1, `n${i}`]));
        await db.query(target.name === 'postgres' ? 'VACUUM ANALYZE users' : 'ANALYZE TABLE users');
        await writeFile(path.join(dir, '0001_shout.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } }] }));
        const killed = await runXcKillingAt(['apply', '--url', db.url, '--dir', dir, '--batch-size', '500', '--batch-delay', '50ms'], (e) => e.event === 'backfill' && e.pass === 'backfill' && Number(e.done) >= 4000);
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        const resumed = await runXc(['apply', '--url', db.url, '--dir', dir, '--json']);
        expect(resumed.code, resumed.stderr).toBe(0);
        const totals = passTotals(resumed.stdout);
        expect(totals.length).toBeGreaterThan(0);
        for (const t of totals) expect(t).toBeLessThan(6000 * 1.2);
      }));

    it('a resumed pass over a table grown since its split counts the rows it has now (campaign DE: 10,500/10,500 read for 60,000 rows)', { timeout: 180_000 }, async () =>
      scratch('grown', async (db, dir) => {
        await db.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text)`);
        await db.seed('users', ['id', 'name'], Array.from({ length: 2000 }, (_, i) => [i + 1, `n${i}`]));
        await db.query(target.name === 'postgres' ? 'ANALYZE users' : 'ANALYZE TABLE users');
        await writeFile(path.join(dir, '0001_shout.json'), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } }] }));
        const killed = await runXcKillingAt(['apply', '--url', db.url, '--dir', dir, '--batch-size', '100', '--batch-delay', '50ms'], (e) => e.event === 'backfill' && e.pass === 'backfill' && Number(e.done) >= 300);
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        await db.seed('users', ['id', 'name'], Array.from({ length: 20_000 }, (_, i) => [2001 + i, `m${i}`]));
        await db.query(target.name === 'postgres' ? 'ANALYZE users' : 'ANALYZE TABLE users');
        const resumed = await runXc(['apply', '--url', db.url, '--dir', dir, '--json', '--batch-size', '1000']);
        expect(resumed.code, resumed.stderr).toBe(0);
        const totals = passTotals(resumed.stdout);
        expect(totals.length).toBeGreaterThan(0);
        // The server's estimate, not the split's 2,000 (an estimate: within a tenth of the rows).
        expect(totals[0]).toBeGreaterThan(20_000);
        const status = JSON.parse((await runXc(['status', '--url', db.url, '--dir', dir, '--json'])).stdout.trim().split('\n').at(-1)!).migrations[0] as { backfill: { done: number; total: number } };
        expect(status.backfill.done).toBe(status.backfill.total);
        expect(status.backfill.done).toBeGreaterThanOrEqual(22_000);
        expect(await db.count(`SELECT count(*) FROM users WHERE shout IS NULL OR shout <> upper(name)`)).toBe(0);
      }));
  });
}
