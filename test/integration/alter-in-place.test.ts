/**
 * alterColumn without `to`, what `plan` says and what it refuses, on both
 * databases: a change the catalog alone makes is one ALTER at contract, said
 * so in its step, with no shadow, trigger or backfill; any other goes
 * through a shadow column; a column other tables' foreign keys reference,
 * and an operation changing nothing, are refused (exit 2) before any DDL.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import type { PlanResult } from '../../src/api.js';
import { targets, type Db, type Target } from '../helpers/targets.js';

const cleanups: (() => Promise<unknown>)[] = [];
/** Each test database's migration directory. */
const dirs = new Map<string, string>();
const latestDir = async (db: Db) => dirs.get(db.url)!;
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(target: Target, statements: string[], operations: unknown[]): Promise<{ db: Db; xc: Xc }> {
  const db = await target.create('xc_inplace');
  cleanups.push(() => db.drop());
  for (const sql of statements) await db.query(sql);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-inplace-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, '0001_change.json'), JSON.stringify({ operations }));
  dirs.set(db.url, dir);
  const xc = createXc({ url: db.url, dir });
  cleanups.push(() => xc.close());
  return { db, xc };
}

const phase = (plan: PlanResult, stage: string) => plan.migrations[0]!.pending.find((p) => p.phase === stage);
const descriptions = (plan: PlanResult, stage: string) => (phase(plan, stage)?.steps ?? []).map((s) => s.description);

async function rejection(p: Promise<unknown>): Promise<Error & { exitCode?: number; issues?: { code: string; path: unknown[]; message: string }[] }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { exitCode?: number };
  }
  throw new Error('expected a rejection');
}

for (const target of targets) {
  target.describe(`alterColumn in place: plan and refusals (${target.name})`, () => {
    it('a varchar widened is catalog only: one ALTER at contract, said so; no shadow, trigger or backfill', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, label varchar(10))`], [{ alterColumn: { table: 't', column: 'label', type: 'varchar(40)' } }]);
      const plan = await xc.plan();
      expect(descriptions(plan, 'expand')).toEqual([]);
      expect(phase(plan, 'backfill')?.backfill ?? []).toEqual([]);
      const contract = descriptions(plan, 'contract');
      expect(contract).toHaveLength(1);
      expect(contract[0]).toMatch(/catalog only: no row rewritten/);
      expect(contract[0]).toContain('varchar(40)');
      // The plan says when the new definition reaches the application (campaign C: "(nothing)" at expand said nothing).
      expect(plan.migrations[0]!.notes).toEqual([expect.stringMatching(/^operations\[0\]\.alterColumn: "t"\."label" is changed in place: until contract both versions see its old definition \(\w.*\(10\); varchar\(40\) after contract\)/)]);
    });

    it('a varchar widened in a table a pending migration creates: catalog only in plan too, so a unique key after it is planned with it (campaign CX: MariaDB planned a shadow, and refused the key)', async () => {
      const { db, xc } = await setup(target, [], [{ createTable: { table: 't', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'email', type: 'varchar(100)' }] } }]);
      const dir = await latestDir(db);
      await writeFile(path.join(dir, '0002_widen.json'), JSON.stringify({ operations: [{ alterColumn: { table: 't', column: 'email', type: 'varchar(255)' } }] }));
      await writeFile(path.join(dir, '0003_unique.json'), JSON.stringify({ operations: [{ createConstraint: { table: 't', name: 't_email_key', type: 'unique', columns: ['email'] } }] }));
      const plan = await xc.plan();
      const widen = plan.migrations.find((m) => m.id === '0002_widen')!;
      expect(widen.pending.find((p) => p.phase === 'expand')?.steps ?? []).toEqual([]);
      expect(widen.pending.find((p) => p.phase === 'contract')!.steps.map((st) => st.description).join('\n')).toMatch(/catalog only: no row rewritten/);
      await xc.apply();
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled', 'backfilled', 'backfilled']);
      await db.query(`INSERT INTO t (id, email) VALUES (1, 'a@x')`);
      await expect(db.query(`INSERT INTO t (id, email) VALUES (2, 'a@x')`)).rejects.toThrow(/duplicate|unique/i);
    });

    it('a varchar widened under a CHECK: PostgreSQL through a shadow (ALTER … TYPE would validate the check again under its lock), MySQL/MariaDB catalog only', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, label varchar(10), CONSTRAINT t_label_check CHECK (label <> ''))`], [{ alterColumn: { table: 't', column: 'label', type: 'varchar(40)' } }]);
      const plan = await xc.plan();
      const expand = descriptions(plan, 'expand').join('\n');
      if (target.name === 'postgres') expect(expand).toMatch(/add column .*xc_shadow/);
      else expect(descriptions(plan, 'contract').join('\n')).toMatch(/catalog only: no row rewritten/);
      if (target.name === 'mysql') expect(expand).toBe('');
    });

    it('int → bigint goes through a shadow: added and synced at expand, backfilled, cut over at contract', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`, `CREATE INDEX t_n_idx ON t (n)`], [{ alterColumn: { table: 't', column: 'n', type: 'bigint' } }]);
      const plan = await xc.plan();
      const expand = descriptions(plan, 'expand').join('\n');
      expect(expand).toMatch(/add column .*xc_shadow/);
      expect(expand).toMatch(/keeps xc_shadow\w* computed from the row on every write/);
      expect(expand).toMatch(/copy of .*t_n_idx/);
      expect(phase(plan, 'backfill')?.backfill?.map((b) => b.table)).toEqual(['t']);
      expect(descriptions(plan, 'contract').join('\n')).toMatch(/cut over|takes the place and name of/);
      expect(plan.migrations[0]!.notes).toEqual([expect.stringMatching(/"t"\."n" is changed in place: until contract both versions see its old definition \(int[^;]*; bigint after contract\) — the new version may rely on the new one only after `xc contract`, in sessions that prepare their statements after it/)]);
    });

    it('the note names a NOT NULL kept until contract (campaign DD: a `nullable: true` change read as taking NULL from apply on)', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, nick varchar(50) NOT NULL)`], [{ alterColumn: { table: 't', column: 'nick', type: 'varchar(100)', nullable: true } }]);
      const notes = ((await xc.plan()).migrations[0] as { notes?: string[] }).notes ?? [];
      expect(notes).toContainEqual(expect.stringMatching(/"t"\."nick" is changed in place: until contract both versions see its old definition \(\w[^;]*\(50\) NOT NULL; varchar\(100\) NULL after contract\) — the new version may rely on the new one only after `xc contract`(?!, in sessions)/));
    });

    // PostgreSQL carries all three (alter-in-place-keys.test.ts); MariaDB refuses them at plan, saying why and what to do.
    it.runIf(target.name === 'mysql')('MariaDB refuses, before any DDL: a referenced int made bigint under int children, a primary key, an AUTO_INCREMENT column', async () => {
      const { db, xc } = await setup(
        target,
        [
          `CREATE TABLE p (id int PRIMARY KEY, code int NOT NULL, n int AUTO_INCREMENT, UNIQUE (code), UNIQUE (n))`,
          `CREATE TABLE c (id int PRIMARY KEY, code int, CONSTRAINT c_code_fkey FOREIGN KEY (code) REFERENCES p (code))`,
          `CREATE TABLE q (id int PRIMARY KEY)`,
          `CREATE TABLE r (id int PRIMARY KEY, q_id int, CONSTRAINT r_q_fkey FOREIGN KEY (q_id) REFERENCES q (id))`,
        ],
        [
          { alterColumn: { table: 'p', column: 'code', type: 'bigint' } },
          { alterColumn: { table: 'p', column: 'id', type: 'bigint' } },
          { alterColumn: { table: 'p', column: 'n', type: 'bigint' } },
          { alterColumn: { table: 'q', column: 'id', type: 'bigint' } },
        ],
      );
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.issues?.map((i) => [i.path.join('.'), i.code])).toEqual([
        ['operations.0.alterColumn.column', 'referenced'],
        ['operations.1.alterColumn.column', 'key_column'],
        ['operations.2.alterColumn.column', 'generated_column'],
        // A primary key's column referenced by another table: the key alone is said — no way past it through the
        // foreign key (campaign AX: "drop the key, change both columns" was followed, then refused for the key).
        ['operations.3.alterColumn.column', 'key_column'],
      ]);
      expect(err.message).not.toMatch(/r_q_fkey/);
      expect(err.message).toMatch(/referenced by foreign key "c_code_fkey" of "c" \(its column "code" int\(11\)\), which InnoDB would not accept over bigint/);
      expect(err.message).toMatch(/Drop the key, change both columns in place/);
      expect(err.message).toMatch(/"p"."id" is part of the primary key, which InnoDB clusters the rows by/);
      expect(err.message).toMatch(/"p"."n" is a generated or AUTO_INCREMENT column, which the server fills only after BEFORE triggers run/);
      expect((await db.columns('p')).map((c) => c.name)).toEqual(['id', 'code', 'n']);
      expect(await db.triggers()).toEqual([]);
    });

    it('a column a foreign key sets NULL, made NOT NULL (in place, copied, setNotNull): MySQL/MariaDB refuse before any DDL; PostgreSQL, which takes such a key, goes through (campaign DJ: the cut-over dropped the key and could not add it back)', async () => {
      const { db, xc } = await setup(
        target,
        [
          `CREATE TABLE parent (id int PRIMARY KEY)`,
          `INSERT INTO parent VALUES (1), (2)`,
          `CREATE TABLE c2 (id int PRIMARY KEY, pid int NULL, qid int NULL, rid int NULL, CONSTRAINT c2_fk FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE SET NULL, CONSTRAINT c2_q FOREIGN KEY (qid) REFERENCES parent (id) ON UPDATE SET NULL, CONSTRAINT c2_r FOREIGN KEY (rid) REFERENCES parent (id) ON DELETE SET NULL)`,
          `INSERT INTO c2 VALUES (1, 1, 1, 1), (2, NULL, 2, 2)`,
        ],
        [
          { alterColumn: { table: 'c2', column: 'pid', nullable: false, up: 'coalesce(pid, 1)' } },
          { alterColumn: { table: 'c2', column: 'qid', to: 'q_id', nullable: false, up: 'qid', down: 'q_id' } },
          { setNotNull: { table: 'c2', column: 'rid' } },
        ],
      );
      if (target.name === 'mysql') {
        const err = await rejection(xc.apply());
        expect(err.exitCode).toBe(2);
        expect(err.issues?.filter((i) => /sets "c2"/.test(i.message)).map((i) => i.path.join('.'))).toEqual(['operations.0.alterColumn.nullable', 'operations.1.alterColumn.nullable', 'operations.2.setNotNull.column']);
        expect(err.message).toMatch(/foreign key "c2_fk" sets "c2"."pid" to NULL \(ON DELETE SET NULL\), which the server refuses over a NOT NULL column/);
        expect(err.message).toMatch(/foreign key "c2_q" sets "c2"."qid" to NULL \(ON UPDATE SET NULL\)/);
        expect((await db.columns('c2')).map((c) => c.name)).toEqual(['id', 'pid', 'qid', 'rid']);
        expect(await db.triggers()).toEqual([]);
        return;
      }
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: '1' });
      await xc.contract();
      expect(await db.query(`SELECT id, pid, q_id, rid FROM c2 ORDER BY id`)).toEqual([{ id: 1, pid: 1, q_id: 1, rid: 1 }, { id: 2, pid: 1, q_id: 2, rid: 2 }]);
    });

    it.runIf(target.name === 'postgres')('a referenced key changed in place holds the referencing tables\' names until its contract (its cut-over adds their keys again)', async () => {
      const { db, xc } = await setup(
        target,
        [`CREATE TABLE p (id int PRIMARY KEY)`, `CREATE TABLE c (id int PRIMARY KEY, p_id int, CONSTRAINT c_p_fkey FOREIGN KEY (p_id) REFERENCES p (id))`],
        [{ alterColumn: { table: 'p', column: 'id', type: 'bigint' } }],
      );
      await xc.apply({ to: 'expand' });
      await writeFile(path.join(await latestDir(db), '0002_rename.json'), JSON.stringify({ operations: [{ renameTable: { from: 'c', to: 'kids' } }] }));
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/table "c" is named by .*0001_change.* until it is contracted/);
    });

    it('refuses NULL allowed in a primary-key column, with a type change or without, before any DDL', async () => {
      const { db, xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`], [{ alterColumn: { table: 't', column: 'id', type: 'bigint', nullable: true } }, { alterColumn: { table: 't', column: 'id', nullable: true } }]);
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.issues?.filter((i) => i.path.at(-1) === 'nullable').map((i) => [i.path.join('.'), i.code])).toEqual([
        ['operations.0.alterColumn.nullable', 'key_column'],
        ['operations.1.alterColumn.nullable', 'key_column'],
      ]);
      expect(err.message).toMatch(/"t"."id" is part of the primary key, which never takes NULL/);
      expect((await db.columns('t')).map((c) => c.name)).toEqual(['id', 'n']);
    });

    it('refuses NOT NULL over existing NULLs at plan, naming the rows, unless up converts them', async () => {
      const { db, xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`, `INSERT INTO t VALUES (1, 5), (2, NULL)`], [{ alterColumn: { table: 't', column: 'n', nullable: false } }]);
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/alterColumn\.nullable/);
      expect(err.message).toMatch(/holds NULL in existing rows/);
      expect(await db.triggers()).toEqual([]);
    });

    it('references changes the column by itself: with a type, refused naming it; unique and check ride on the shadow (no refusal)', async () => {
      const { xc } = await setup(
        target,
        [`CREATE TABLE p (id bigint PRIMARY KEY)`, `CREATE TABLE t (id int PRIMARY KEY, n int)`],
        [{ alterColumn: { table: 't', column: 'n', type: 'bigint', references: { table: 'p', column: 'id' } } }],
      );
      const err = await rejection(xc.plan());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/alterColumn\.references: `references` changes the column by itself/);
      const ok = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`], [{ alterColumn: { table: 't', column: 'n', type: 'bigint', unique: true, check: { name: 'n_pos', expression: 'n > 0' } } }]);
      const expand = descriptions(await ok.xc.plan(), 'expand').join('\n');
      expect(expand).toMatch(/xc_shadow/);
      expect(expand).toMatch(/n_pos/);
    });

    it('a unique option over existing duplicates is refused at plan, as createConstraint refuses it', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`, `INSERT INTO t VALUES (1, 5), (2, 5)`], [{ alterColumn: { table: 't', column: 'n', unique: { name: 't_n_unique' } } }]);
      const err = await rejection(xc.plan());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/alterColumn/);
    });

    it('refuses an in-place change that changes nothing', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`], [{ alterColumn: { table: 't', column: 'n' } }]);
      const err = await rejection(xc.plan());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/give at least one of `type`, `nullable`, `default`, `comment`, `up`, `unique`, `check`, `references`/);
    });

    it('`unique` and `check` with no change of the column: told to give each alone, as each works (campaign Z: the message named neither)', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, n int)`], [{ alterColumn: { table: 't', column: 'n', unique: true, check: { name: 'n_pos', expression: 'n > 0' } } }]);
      const err = await rejection(xc.plan());
      expect([err.exitCode, err.message]).toEqual([2, expect.stringMatching(/operations\[0\]\.alterColumn: `unique` and `check` without a change of the column: give each in an alterColumn of its own/)]);
    });

    it.runIf(target.name === 'mysql')('MariaDB: a column made json in place reads back as json (its check keeps the name the shadow had)', async () => {
      const { db, xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, body text)`], [{ alterColumn: { table: 't', column: 'body', type: 'json' } }]);
      await xc.apply();
      await xc.deploy.record({ app: 'shop', version: 'v1' });
      await xc.contract();
      expect(await db.checks('t')).toEqual(['json_valid(`body`)']);
      // Asked for json again: nothing to do, as the column already is json to xc.
      await writeFile(path.join(await latestDir(db), '0002_again.json'), JSON.stringify({ operations: [{ alterColumn: { table: 't', column: 'body', type: 'json' } }] }));
      const plan = await xc.plan();
      expect(plan.migrations.map((m) => m.id)).toEqual(['0002_again']);
      expect(plan.migrations[0]!.pending.flatMap((p) => p.steps)).toEqual([]);
    });

    // MySQL/MariaDB convert every type to every other on assignment; a value that does not convert stops the backfill at its row.
    it.runIf(target.name === 'postgres')('refuses a conversion the server makes only by CAST (text → jsonb) until up gives it', async () => {
      const { xc } = await setup(target, [`CREATE TABLE t (id int PRIMARY KEY, body text)`], [{ alterColumn: { table: 't', column: 'body', type: 'jsonb' } }]);
      const err = await rejection(xc.plan());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/up/);
      expect(err.message).toMatch(/jsonb/);
    });
  });
}
