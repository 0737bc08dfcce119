/**
 * A column copied (renameColumn) while an earlier migration in flight still finishes something on it at its
 * contract: the copy is planned from the catalog, which shows that migration's expand, not its contract. The
 * copies came out as the catalog showed them, after both contracts exited 0 (pgroll's test cases, translated:
 * campaign A, seventeenth session): a check or foreign key validated by the first contract NOT VALID over the new
 * column (PostgreSQL); a unique constraint attached by it an index only — `ON CONFLICT ON CONSTRAINT` and a later
 * dropConstraint failed (PostgreSQL), and an added column's (addColumn `unique`) left a second unique index behind;
 * a comment given by it lost, or an old one back (MariaDB). The projection now shows each as that contract leaves it.
 */
import { expect, it } from 'vitest';
import { targets, type Db } from '../helpers/targets.js';
import { record, setup, type Setup } from '../helpers/scenario.js';
import { Writer } from '../helpers/writers.js';

const RENAME = { renameColumn: { table: 't', from: 'v', to: 'w' } };

/** The first applied, then the rename planned with it in flight and applied; `meanwhile` writes; both contracted in order. */
async function applyAndContract(s: Setup, first: unknown, meanwhile: () => Promise<void>): Promise<void> {
  await s.write('0001_first', first);
  await s.xc.apply();
  await s.write('0002_rename', RENAME);
  await s.xc.apply();
  await meanwhile();
  await record(s.xc, '0001_first');
  await s.xc.contract({ id: '0001_first' });
  await record(s.xc, '0002_rename');
  await s.xc.contract();
  expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted']);
}

/** With an old- and a new-version writer on their own connections meanwhile: every row they wrote kept, in `w`. */
async function applyWriteContract(s: Setup, first: unknown): Promise<void> {
  const writers: Writer[] = [];
  await applyAndContract(s, first, async () => {
    writers.push(new Writer(await s.db.connection(), (n) => ({ sql: `INSERT INTO t (id, v) VALUES (?, ?)`, params: [1000 + n, 1 + (n % 2)] })).start());
    writers.push(new Writer(await s.db.connection(), (n) => ({ sql: `INSERT INTO t (id, w) VALUES (?, ?)`, params: [5000 + n, 1 + (n % 2)] })).start());
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all(writers.map((w) => w.stop()));
    expect(writers.flatMap((w) => w.errors)).toEqual([]);
  });
  expect(await s.db.count(`SELECT count(*) FROM t WHERE w IN (1, 2)`)).toBe(1 + writers.reduce((n, w) => n + w.writes, 0));
}

const TABLES = [`CREATE TABLE p (id int PRIMARY KEY)`, `INSERT INTO p VALUES (1), (2)`, `CREATE TABLE t (id int PRIMARY KEY, v int COMMENT 'orig')`, `INSERT INTO t VALUES (1, 1)`];

const pg = targets.find((t) => t.name === 'postgres');
if (pg) {
  pg.describe(`a copy planned while an earlier contract is to come: constraints as that contract leaves them (${pg.name})`, () => {
    const constraints = (db: Db) => db.query<{ n: string; t: string; v: boolean; d: string }>(`SELECT conname AS n, contype AS t, convalidated AS v, pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 't'::regclass AND contype <> 'p' ORDER BY 1`);
    const PG_TABLES = TABLES.map((sql) => sql.replace(` COMMENT 'orig'`, ''));
    const CASES: [string, unknown, { n: string; t: string; v: boolean; d: string }][] = [
      ['addCheck', { addCheck: { table: 't', name: 'v_pos', expression: 'v > 0' } }, { n: 'v_pos', t: 'c', v: true, d: 'CHECK ((w > 0))' }],
      ['addForeignKey', { addForeignKey: { table: 't', name: 'v_fk', columns: ['v'], references: { table: 'p', columns: ['id'] } } }, { n: 'v_fk', t: 'f', v: true, d: 'FOREIGN KEY (w) REFERENCES p(id)' }],
      ['createConstraint foreign_key', { createConstraint: { table: 't', name: 'v_fk', type: 'foreign_key', columns: ['v'], references: { table: 'p', columns: ['id'] } } }, { n: 'v_fk', t: 'f', v: true, d: 'FOREIGN KEY (w) REFERENCES p(id)' }],
      ['alterColumn unique', { alterColumn: { table: 't', column: 'v', unique: { name: 't_v_unique' } } }, { n: 't_v_unique', t: 'u', v: true, d: 'UNIQUE (w)' }],
      ['createConstraint unique', { createConstraint: { table: 't', name: 'v_uq', type: 'unique', columns: ['v'] } }, { n: 'v_uq', t: 'u', v: true, d: 'UNIQUE (w)' }],
    ];
    for (const [label, first, want] of CASES) {
      it(`${label}, then renameColumn v → w: the constraint over w is ${want.t === 'u' ? 'a unique constraint' : 'validated'}`, async () => {
        const s = await setup(pg, PG_TABLES, 'xc_ifc');
        if (want.t === 'u') {
          // A unique key: one row of each version (the writers' repeated values would collide with it).
          await applyAndContract(s, first, async () => {
            await s.db.query(`INSERT INTO t (id, v) VALUES (2, 2)`);
            await s.db.query(`INSERT INTO t (id, w) VALUES (3, 3)`);
          });
          await s.db.query(`INSERT INTO t (id, w) VALUES (4, 3) ON CONFLICT ON CONSTRAINT ${want.n} DO NOTHING`);
          expect(await s.db.query(`SELECT id, w FROM t ORDER BY id`)).toEqual([{ id: 1, w: 1 }, { id: 2, w: 2 }, { id: 3, w: 3 }]);
        } else {
          await applyWriteContract(s, first);
        }
        expect(await constraints(s.db)).toEqual([want]);
      });
    }
  });
}

const my = targets.find((t) => t.name === 'mysql');
if (my) {
  my.describe(`a copy planned while an earlier contract is to come: the comment that contract gives (${my.name})`, () => {
    const comment = async (db: Db) => (await db.query<{ c: string }>(`SELECT COLUMN_COMMENT AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'w'`))[0]?.c;
    const CASES: [string, string | null, string][] = [
      ['a new comment', 'hello', 'hello'],
      ['no comment', null, ''],
    ];
    for (const [label, given, want] of CASES) {
      it(`alterColumn gives ${label}, then renameColumn v → w: w has ${want === '' ? 'none' : `"${want}"`}, not the old one`, async () => {
        const s = await setup(my, TABLES, 'xc_ifc');
        await applyWriteContract(s, { alterColumn: { table: 't', column: 'v', comment: given } });
        expect(await comment(s.db)).toBe(want);
      });
    }
    it('a comment given where there was none, then renameColumn: kept', async () => {
      const s = await setup(my, TABLES.map((sql) => sql.replace(` COMMENT 'orig'`, '')), 'xc_ifc');
      await applyWriteContract(s, { alterColumn: { table: 't', column: 'v', comment: 'hello' } });
      expect(await comment(s.db)).toBe('hello');
    });
  });
}

for (const target of targets) {
  target.describe(`a column added with its keys, renamed while that contract is to come (${target.name})`, () => {
    it('addColumn unique + references + check, then renameColumn: one unique key, the foreign key validated, the check enforced, writes of both versions kept', async () => {
      const s = await setup(target, [`CREATE TABLE p (id int PRIMARY KEY)`, `INSERT INTO p VALUES (1), (2), (3)`, `CREATE TABLE t (id int PRIMARY KEY, v int)`, `INSERT INTO t VALUES (1, 1)`], 'xc_ifc');
      await s.write('0001_add', { addColumn: { table: 't', column: { name: 'c', type: 'int', unique: true, references: { table: 'p', column: 'id' }, check: { name: 'c_pos', expression: 'c > 0' } } } });
      await s.xc.apply();
      await s.write('0002_rename', { renameColumn: { table: 't', from: 'c', to: 'w' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO t (id, c) VALUES (2, 2)`);
      await s.db.query(`INSERT INTO t (id, w) VALUES (3, 3)`);
      await record(s.xc, '0002_rename');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, w FROM t ORDER BY id`)).toEqual([{ id: 1, w: null }, { id: 2, w: 2 }, { id: 3, w: 3 }]);
      // Before: PostgreSQL kept xc's index of 0001's expand, copied, beside the key it became.
      expect(await s.db.indexes('t')).toEqual([{ name: 't_c_key', columns: ['w'], unique: true }]);
      for (const bad of [`INSERT INTO t (id, w) VALUES (4, 3)`, `INSERT INTO t (id, w) VALUES (4, 9)`, `INSERT INTO t (id, w) VALUES (4, -1)`]) await expect(s.db.query(bad), bad).rejects.toThrow();
      if (target.name === 'postgres') {
        const keys = await s.db.query(`SELECT conname AS n, convalidated AS v FROM pg_constraint WHERE conrelid = 't'::regclass AND contype IN ('f', 'u', 'c') ORDER BY 1`);
        expect(keys).toEqual([{ n: 'c_pos', v: true }, { n: 't_c_fkey', v: true }, { n: 't_c_key', v: true }]);
      }
    });
  });
}
