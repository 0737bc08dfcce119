/**
 * A copy's rollback (renameColumn, alterColumn with `to`) removes the sync trigger, then the new column. A
 * new-version writer still running (its version never recorded, so the gate could not see it) wrote the new column
 * only: on MariaDB, whose DDL statements commit one by one, an insert between the two kept the new column's value
 * and left the old one NULL — lost with the column (campaign EM, forty-third session: 215 of 2,643 inserts).
 * PostgreSQL runs both in one transaction. Now MariaDB runs them under LOCK TABLES as the contract does: such a
 * writer waits, then is refused (the column is gone), and every insert it was told succeeded keeps its value.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';

const ROWS = 5_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const cases = [
  { name: 'renameColumn', operation: { renameColumn: { table: 'c', from: 'name', to: 'full_name' } }, value: (id: number) => `w${id}`, expected: (id: number) => `w${id}` },
  {
    name: 'alterColumn with to',
    operation: { alterColumn: { table: 'c', column: 'name', to: 'name_upper', up: 'upper(name)', down: 'lower(name_upper)' } },
    value: (id: number) => `W${id}`,
    expected: (id: number) => `w${id}`,
  },
];

for (const target of targets) {
  target.describe(`a copy's rollback under an unrecorded new-version writer (${target.name})`, () => {
    for (const c of cases) {
      it(`${c.name}: every insert told it succeeded keeps its value in the old column`, async () => {
        const db: Db = await target.create('xc_rbwriter');
        cleanups.push(() => db.drop());
        await db.query(`CREATE TABLE c (id int PRIMARY KEY, name varchar(100))`);
        await db.seed('c', ['id', 'name'], Array.from({ length: ROWS }, (_, i) => [i + 1, `s${i + 1}`]));
        const dir = await mkdtemp(path.join(tmpdir(), 'xc-rbwriter-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        await writeFile(path.join(dir, '0001_change.json'), JSON.stringify({ operations: [c.operation] }));
        const xc = createXc({ url: db.url, dir });
        cleanups.push(() => xc.close());
        await xc.apply();
        const column = Object.values(c.operation)[0]!.to;
        // Two new-version writers, back to back; and an old-version one, which must lose nothing either.
        const started = await Promise.all([100_000, 200_000].map(async (base) => new Writer(await db.connection(), (i) => ({ sql: `INSERT INTO c (id, ${column}) VALUES (?, ?)`, params: [base + i, c.value(base + i)] }), 0).start()));
        const old = new Writer(await db.connection(), (i) => ({ sql: `INSERT INTO c (id, name) VALUES (?, ?)`, params: [300_000 + i, `w${300_000 + i}`] }), 0).start();
        cleanups.push(() => Promise.all([...started, old].map((w) => w.stop())));
        // Let them write through the trigger a while first.
        await new Promise((r) => setTimeout(r, 500));
        await xc.rollback();
        await new Promise((r) => setTimeout(r, 200));
        await Promise.all([...started, old].map((w) => w.stop()));

        expect(old.errors).toEqual([]);
        for (const w of started) {
          expect(w.writes).toBeGreaterThan(0);
          // After the rollback the column is gone: the writer is refused, never silently dropped.
          for (const e of w.errors) expect(e).toMatch(/column/i);
        }
        const rows = await db.query<{ id: number; name: string | null }>(`SELECT id, name FROM c WHERE id > ${ROWS} ORDER BY id`);
        expect(rows.length).toBe(started.reduce((n, w) => n + w.writes, 0) + old.writes);
        const wrong = rows.filter((r) => r.name !== c.expected(Number(r.id)));
        expect(wrong.slice(0, 5)).toEqual([]);
        expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      });
    }
  });
}
