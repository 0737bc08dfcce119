/**
 * A SIGINT that reaches xc after its work is done — while it closes its
 * connections or drains its output — ends it with the command's own exit
 * code. CI's chaos run (stop 56) saw `xc contract` die of the signal itself
 * (no exit code at all) when SIGINT came with its last phase: the handler had
 * been taken off before the pool was closed.
 *
 * A signal that lands while Node tears the process down after its exit code
 * is chosen still ends it by the signal (Node restores the default there);
 * the test tells that apart by the code xc printed it chose.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runXcKillingAt } from '../helpers/cli.js';
import { stateTable, targets } from '../helpers/targets.js';

const TRIES = 6;

for (const target of targets) {
  target.describe(`a signal as xc ends (${target.name})`, () => {
    it('SIGINT sent when the result line is printed: exit 0, the migration applied', { timeout: 240_000 }, async () => {
      const db = await target.create('xc_sig_end');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-sig-end-'));
      try {
        await mkdir(path.join(dir, 'migrations'));
        await db.query(`CREATE TABLE items (id int PRIMARY KEY, n int)`);
        await db.query(`INSERT INTO items VALUES (1, 1), (2, 2)`);
        for (let i = 1; i <= TRIES; i++) {
          const id = `000${i}_c${i}`;
          await writeFile(path.join(dir, 'migrations', `${id}.json`), JSON.stringify({ operations: [{ addColumn: { table: 'items', column: { name: `c${i}`, type: 'int' }, up: `n + ${i}` } }] }));
          const run = await runXcKillingAt(['apply', id, '--url', db.url, '--dir', path.join(dir, 'migrations')], (e) => 'ok' in e, 'SIGINT');
          // Ended by the signal only after xc chose exit 0 — in Node's own teardown, which no listener can cover.
          expect({ try: i, exit: run.code ?? run.chosen }, run.stderr).toEqual({ try: i, exit: 0 });
          const [row] = await db.query<{ phase: string }>(`SELECT phase FROM ${stateTable(db, 'migrations')} WHERE id = '${id}'`);
          expect(row?.phase).toBe('backfilled');
          expect(await db.query(`SELECT id, c${i} AS c FROM items ORDER BY id`)).toEqual([{ id: 1, c: 1 + i }, { id: 2, c: 2 + i }]);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.drop();
      }
    });
  });
}
