/**
 * A copy's contract and rollback (renameColumn, alterColumn with `to`) stopped right before their locked group —
 * as a kill -9 stops them — then an out-of-date writer's insert, then the command again (campaign EZ).
 *
 * On MariaDB the contract set the new column's default (and restated an ON UPDATE column) as steps of their own,
 * before the LOCK TABLES that removes the sync trigger with the old column. Between the two, the new column no longer
 * held the placeholder the INSERT trigger reads as "not given": an old writer's insert got the new column's default,
 * which the trigger took for the new version's value — over the old writer's (an expression default) or beside it
 * (a constant) — and the contract run again dropped the old column with exit 0: the value was lost. Those steps now
 * run inside the lock. The rollback's steps before its lock (the old column's default back, the placeholder read as
 * "not given" again) leave no such window: checked the same way. PostgreSQL runs each group in one transaction.
 */
import { expect, it } from 'vitest';
import type { XcEvent } from '../../src/index.js';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { record, rejection, retireLive, setup } from '../helpers/scenario.js';

/** Throws on the step that removes the sync trigger: the command stops before that step runs anything. */
const stopAtTriggerRemoval = (e: XcEvent) => {
  if (e.event === 'step' && /remove trigger/.test(e.description)) throw new Error('stopped here by the test');
};

for (const target of targets) {
  target.describe(`a copy stopped right before its locked group (${target.name})`, () => {
    const pg = target.name === 'postgres';
    /** A column's value as text, alike on both servers (a timestamp included). */
    const text = (column: string) => `CAST(${column} AS ${pg ? 'text' : 'CHAR(40)'})`;
    const cases = [
      { name: 'an expression default', column: `note varchar(40) DEFAULT ${pg ? `lower('ABC')` : `(lower('ABC'))`}`, value: `'by-old'`, omitted: 'abc' },
      { name: 'a constant default', column: `note varchar(40) DEFAULT 'abc'`, value: `'by-old'`, omitted: 'abc' },
      ...(pg ? [] : [{ name: 'ON UPDATE', column: `note timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)`, value: `'2001-02-03 04:05:06.000000'`, omitted: undefined }]),
    ];
    for (const c of cases) {
      it(`contract, ${c.name}: an old writer's insert in between keeps its value`, async () => {
        const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, ${c.column})`, `INSERT INTO t (id) VALUES (1)`], 'xc_stoplock');
        await s.write('0001_rename', { renameColumn: { table: 't', from: 'note', to: 'note2' } });
        await s.xc.apply();
        await record(s.xc, '0001_rename');
        const stopping = createXc({ url: s.db.url, dir: s.dir, onEvent: stopAtTriggerRemoval });
        expect((await rejection(stopping.contract().finally(() => stopping.close()))).message).toMatch(/stopped here by the test/);

        await s.db.query(`INSERT INTO t (id, note) VALUES (2, ${c.value})`);
        await s.db.query(`INSERT INTO t (id) VALUES (3)`);
        const before = await s.db.query<Record<string, unknown>>(`SELECT id, ${text('note')} AS v FROM t ORDER BY id`);
        await s.xc.contract();

        const after = await s.db.query<Record<string, unknown>>(`SELECT id, ${text('note2')} AS v FROM t ORDER BY id`);
        expect(after).toEqual(before);
        expect(after.find((r) => Number(r.id) === 2)!.v).toMatch(/^(by-old|2001-02-03 04:05:06)/);
        if (c.omitted) expect(after.find((r) => Number(r.id) === 3)!.v).toBe(c.omitted);
      });
    }

    const rollbackCases = [
      ...cases,
      { name: 'NOT NULL with a constant default', column: `note varchar(40) NOT NULL DEFAULT 'abc'`, value: `'by-old'`, omitted: 'abc' },
    ];
    for (const c of rollbackCases) {
      it(`rollback, ${c.name}: a new writer's insert in between keeps its value in the old column`, async () => {
        const s = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, ${c.column})`, `INSERT INTO t (id) VALUES (1)`], 'xc_stoplock');
        await s.write('0001_rename', { renameColumn: { table: 't', from: 'note', to: 'note2' } });
        await s.xc.apply();
        await retireLive(s.xc);
        const stopping = createXc({ url: s.db.url, dir: s.dir, onEvent: stopAtTriggerRemoval });
        expect((await rejection(stopping.rollback().finally(() => stopping.close()))).message).toMatch(/stopped here by the test/);

        // A new version whose record the gate never saw, and an old one, each naming its own column or neither.
        await s.db.query(`INSERT INTO t (id, note2) VALUES (2, ${c.value.replace('old', 'new')})`);
        await s.db.query(`INSERT INTO t (id, note) VALUES (3, ${c.value})`);
        await s.db.query(`INSERT INTO t (id) VALUES (4)`);
        const before = await s.db.query<Record<string, unknown>>(`SELECT id, ${text('note2')} AS v FROM t WHERE id < 3 UNION ALL SELECT id, ${text('note')} FROM t WHERE id >= 3 ORDER BY id`);
        await s.xc.rollback();

        const after = await s.db.query<Record<string, unknown>>(`SELECT id, ${text('note')} AS v FROM t ORDER BY id`);
        expect(after.slice(1)).toEqual(before.slice(1));
        if (c.omitted) expect(after.find((r) => Number(r.id) === 4)!.v).toBe(c.omitted);
      });
    }
  });
}
