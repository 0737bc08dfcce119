/**
 * `renameTable` killed part-way through its expand, with a later migration pending (campaign C, a Liquibase
 * history): on MySQL/MariaDB the expand is several statements — a placeholder under the new name, a view for the
 * old name made over it, one RENAME TABLE, the placeholder dropped. Killed after the view, the re-run planned the
 * pending migration against that state: the placeholder stood for the table, and xc's own view counted as the
 * user's, depending on the column the pending migration drops — refused (exit 2), left `expanding`.
 * And a row written under the new name while the apply is killed (new code run early): on MariaDB the
 * placeholder took it, and the re-run's RENAME moved it aside with the placeholder — lost (campaign K).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runXcKillingAt } from '../helpers/cli.js';
import { targets } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';

const ROWS = 2000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

for (const target of targets) {
  target.describe(`renameTable killed during its expand, a migration pending after it (${target.name})`, () => {
    // Each k: killed when the k-th step of the apply is announced, then run again to the end.
    for (const k of [1, 2, 3, 4]) {
      it(`killed at step ${k}: the re-run plans the pending migration against the renamed table and finishes; no write lost`, async () => {
        const db = await target.create('xc_rtkill');
        cleanups.push(() => db.drop());
        await db.query(`CREATE TABLE person (id int PRIMARY KEY, first_name varchar(50) NOT NULL, full_name varchar(100))`);
        await db.seed('person', ['id', 'first_name', 'full_name'], Array.from({ length: ROWS }, (_, i) => [i + 1, `F${i}`, `F${i} L${i}`]));
        const dir = await mkdtemp(path.join(tmpdir(), 'xc-rtkill-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        await writeFile(path.join(dir, '0001_rename_people.json'), JSON.stringify({ operations: [{ renameTable: { from: 'person', to: 'people' } }] }));
        await writeFile(path.join(dir, '0002_drop_first_name.json'), JSON.stringify({ operations: [{ dropColumn: { table: 'people', column: 'first_name' } }] }));
        // The old version writes through the old name all along.
        const writer = new Writer(await db.connection(), (i) => ({ sql: `INSERT INTO person (id, first_name, full_name) VALUES (?, 'W', 'W X')`, params: [100_000 + i] })).start();
        cleanups.push(() => writer.stop());
        const args = ['apply', '--url', db.url, '--dir', dir];
        let steps = 0;
        const killed = await runXcKillingAt(args, (e) => e.event === 'step' && ++steps >= k);
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        // New code run before its migration is applied (values the placeholder's int columns take): refused, or kept — never taken and lost.
        const early = await db.query(`INSERT INTO people (id) VALUES (900001)`).then(() => true, () => false);
        const done = await runXcKillingAt(args);
        expect(done.code, done.stderr).toBe(0);
        await writer.stop();
        expect(writer.errors).toEqual([]);
        expect(writer.writes).toBeGreaterThan(0);
        expect(await db.count(`SELECT count(*) FROM people WHERE id <> 900001`)).toBe(ROWS + writer.writes);
        expect(await db.count(`SELECT count(*) FROM people WHERE id = 900001`)).toBe(early ? 1 : 0);
        expect((await db.columns('people')).map((c) => c.name).sort()).toEqual(['first_name', 'full_name', 'id']);
        // The column's type is the table's, not the placeholder's.
        expect((await db.columns('people')).find((c) => c.name === 'first_name')!.type).toMatch(/char/i);
      }, 240_000);
    }
  });
}
