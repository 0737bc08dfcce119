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
      expect(plan.migrations[0]!.notes).toEqual([expect.stringMatching(/"t"\."n" is changed in place: until contract both versions see its old definition \(int[^;]*; bigint after contract\) — the new version may rely on the new one only after `xc contract`/)]);
      // PostgreSQL's prepared statements keep their parameters' old type; MySQL/MariaDB's prepare again by themselves (campaign FD).
      expect(plan.migrations[0]!.notes![0]!.includes('in sessions that prepare their statements after it')).toBe(target.name === 'postgres');
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

    // Campaign DJ: MariaDB's cut-over dropped the key and could not add it back. Campaign DR: PostgreSQL takes such a
    // key, and after the contract 5,673 deletes of parents failed. Campaign DT: the way the refusal named failed as written.
    it('a column a foreign key sets NULL, made NOT NULL (in place, copied, setNotNull): refused before any DDL; the statements the refusal names, applied first, let it through', async () => {
      const { db, xc } = await setup(
        target,
        [
          `CREATE TABLE parent (id int PRIMARY KEY)`,
          `INSERT INTO parent VALUES (1), (2), (3)`,
          `CREATE TABLE c2 (id int PRIMARY KEY, pid int NULL, qid int NULL, rid int NULL, CONSTRAINT c2_fk FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE SET NULL, CONSTRAINT c2_q FOREIGN KEY (qid) REFERENCES parent (id) ON UPDATE SET NULL, CONSTRAINT c2_r FOREIGN KEY (rid) REFERENCES parent (id) ON DELETE SET NULL)`,
          `INSERT INTO c2 VALUES (1, 1, 1, 1), (2, NULL, 2, 2)`,
        ],
        [
          { alterColumn: { table: 'c2', column: 'pid', nullable: false, up: 'coalesce(pid, 1)' } },
          { alterColumn: { table: 'c2', column: 'qid', to: 'q_id', nullable: false, up: 'qid', down: 'q_id' } },
          { setNotNull: { table: 'c2', column: 'rid' } },
        ],
      );
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      const issues = err.issues?.filter((i) => /sets "c2"/.test(i.message)) ?? [];
      expect(issues.map((i) => i.path.join('.'))).toEqual(['operations.0.alterColumn.nullable', 'operations.1.alterColumn.nullable', 'operations.2.setNotNull.column']);
      expect(err.message).toMatch(
        target.name === 'mysql'
          ? /foreign key "c2_fk" sets "c2"."pid" to NULL \(ON DELETE SET NULL\), which the server refuses over a NOT NULL column/
          : /foreign key "c2_fk" sets "c2"."pid" to NULL \(ON DELETE SET NULL\), which fails over a NOT NULL column: once it is NOT NULL, every delete of a "parent" row that rows here reference fails/,
      );
      expect(err.message).toMatch(/foreign key "c2_q" sets "c2"."qid" to NULL \(ON UPDATE SET NULL\)/);
      expect((await db.columns('c2')).map((c) => c.name)).toEqual(['id', 'pid', 'qid', 'rid']);
      expect(await db.triggers()).toEqual([]);
      // The way, as written: each statement the refusals name, a `sql` operation of an earlier migration applied first.
      const statements = issues.flatMap((i) => i.message.split('\n').slice(1).map((line) => line.trim()));
      expect(statements.length).toBeGreaterThanOrEqual(3);
      await writeFile(path.join(await latestDir(db), '0000_keys.json'), JSON.stringify({ operations: statements.map((expand) => ({ sql: { expand } })) }));
      await xc.apply({ id: '0000_keys' });
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: '1' });
      await xc.contract();
      expect(await db.query(`SELECT id, pid, q_id, rid FROM c2 ORDER BY id`)).toEqual([{ id: 1, pid: 1, q_id: 1, rid: 1 }, { id: 2, pid: 1, q_id: 2, rid: 2 }]);
      // The keys are there and enforced: a referenced parent is not deleted, an unreferenced one is, and no row points nowhere.
      await expect(db.query(`DELETE FROM parent WHERE id = 1`)).rejects.toThrow(/foreign key/i);
      await db.query(`DELETE FROM parent WHERE id = 3`);
      await expect(db.query(`INSERT INTO c2 VALUES (3, 9, 1, 1)`)).rejects.toThrow(/foreign key/i);
      expect(await db.count(`SELECT count(*) FROM c2 WHERE pid NOT IN (SELECT id FROM parent) OR q_id NOT IN (SELECT id FROM parent) OR rid NOT IN (SELECT id FROM parent)`)).toBe(0);
    });

    // Campaign DU: the statements named a parent of another schema by its name alone, which found another table of that name.
    it('the way for a SET NULL key to a table of another schema (database) names that table with its schema', async () => {
      const mysql = target.name === 'mysql';
      const { db, xc } = await setup(target, [`CREATE TABLE p3 (id int PRIMARY KEY)`, `INSERT INTO p3 VALUES (1)`], [{ setNotNull: { table: 'c3', column: 'c', up: 'coalesce(c, 1)' } }]);
      const other = mysql ? `${new URL(db.url).pathname.slice(1)}_o` : 'other';
      if (mysql) cleanups.push(() => db.query(`DROP TABLE IF EXISTS c3`).then(() => db.query(`DROP DATABASE IF EXISTS \`${other}\``)).then(() => undefined));
      const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
      await db.query(mysql ? `CREATE DATABASE ${q(other)}` : `CREATE SCHEMA ${q(other)}`);
      await db.query(`CREATE TABLE ${q(other)}.p3 (id int PRIMARY KEY)`);
      await db.query(`INSERT INTO ${q(other)}.p3 VALUES (1), (2)`);
      await db.query(`CREATE TABLE c3 (id int PRIMARY KEY, c int, CONSTRAINT c3_fk FOREIGN KEY (c) REFERENCES ${q(other)}.p3 (id) ON UPDATE SET NULL ON DELETE SET NULL)`);
      await db.query(`INSERT INTO c3 VALUES (1, 2), (2, NULL)`);
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/foreign key "c3_fk" sets "c3"."c" to NULL \(ON DELETE SET NULL, ON UPDATE SET NULL\)/);
      const statements = (err.issues ?? []).filter((i) => /sets "c3"/.test(i.message)).flatMap((i) => i.message.split('\n').slice(1).map((line) => line.trim()));
      expect(statements.join('\n')).toContain(`REFERENCES ${q(other)}.${q('p3')}`);
      await writeFile(path.join(await latestDir(db), '0000_keys.json'), JSON.stringify({ operations: statements.map((expand) => ({ sql: { expand } })) }));
      await xc.apply({ id: '0000_keys' });
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: '1' });
      await xc.contract();
      expect(await db.query(`SELECT id, c FROM c3 ORDER BY id`)).toEqual([{ id: 1, c: 2 }, { id: 2, c: 1 }]);
      // The key is the other schema's table's: its row 2 is referenced, and the current schema's p3 has no row 2.
      await expect(db.query(`DELETE FROM ${q(other)}.p3 WHERE id = 2`)).rejects.toThrow(/foreign key/i);
      await expect(db.query(`INSERT INTO c3 VALUES (3, 5)`)).rejects.toThrow(/foreign key/i);
    });

    // Campaign DZ: the cut-over made the key again naming the parent bare. MariaDB: "Table '<db>.p4' doesn't exist", the
    // migration left contracting with the key gone and 4,726 rows orphaned under writers; PostgreSQL: refused for ever.
    it('a foreign key to a table of another schema (database) is made again there by the cut-over, and by renameConstraint, under a writer', async () => {
      const mysql = target.name === 'mysql';
      const { db, xc } = await setup(
        target,
        // A table of the same name in the current schema, holding only parent 1: a key made again bare would point at it.
        [`CREATE TABLE p4 (id int PRIMARY KEY)`, `INSERT INTO p4 VALUES (1)`],
        // MySQL takes no bigint key column over an int parent: NOT NULL alone (a copy too, through up).
        [{ alterColumn: { table: 'c4', column: 'pa', ...(mysql ? {} : { type: 'bigint' }), nullable: false, up: 'COALESCE(pa, 1)', down: mysql ? 'pa' : 'CAST(pa AS integer)' } }],
      );
      const other = mysql ? `${new URL(db.url).pathname.slice(1)}_o` : 'other';
      if (mysql) cleanups.push(() => db.query(`DROP TABLE IF EXISTS c4`).then(() => db.query(`DROP DATABASE IF EXISTS \`${other}\``)).then(() => undefined));
      const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
      await db.query(mysql ? `CREATE DATABASE ${q(other)}` : `CREATE SCHEMA ${q(other)}`);
      await db.query(`CREATE TABLE ${q(other)}.p4 (id int PRIMARY KEY)`);
      await db.query(`INSERT INTO ${q(other)}.p4 SELECT n FROM (${mysql ? 'SELECT seq AS n FROM seq_1_to_60' : 'SELECT generate_series(1, 60) AS n'}) x`);
      await db.query(`CREATE TABLE c4 (id int PRIMARY KEY, pa int, CONSTRAINT c4_fk FOREIGN KEY (pa) REFERENCES ${q(other)}.p4 (id))`);
      await db.query(`INSERT INTO c4 SELECT n, CASE WHEN n % 7 = 0 THEN NULL ELSE n % 60 + 1 END FROM (${mysql ? 'SELECT seq AS n FROM seq_1_to_3000' : 'SELECT generate_series(1, 3000) AS n'}) x`);
      // One writer through apply and contract: inserts of children of the other schema's parents only, and deletes.
      const w = await db.connection();
      let stop = false;
      let next = 100_000;
      const errors: string[] = [];
      const inserted: number[] = [];
      const writer = (async () => {
        while (!stop) {
          const id = next++;
          try {
            await w.query(`INSERT INTO c4 (id, pa) VALUES (${id}, ${2 + (id % 59)})`);
            inserted.push(id);
            if (id % 5 === 0) await w.query(`DELETE FROM c4 WHERE id = ${id - 50}`);
          } catch (err) {
            errors.push((err as Error).message);
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        await xc.apply();
        await xc.deploy.record({ app: 'web', version: '2' });
        await xc.contract();
        await writeFile(path.join(await latestDir(db), '0002_rename.json'), JSON.stringify({ operations: [{ renameConstraint: { table: 'c4', from: 'c4_fk', to: 'c4_parent_fk' } }] }));
        await xc.apply();
        await xc.deploy.record({ app: 'web', version: '3' });
        await xc.deploy.retire({ app: 'web', version: '2' });
        await xc.contract();
      } finally {
        stop = true;
        await writer;
      }
      expect(errors).toEqual([]);
      expect(inserted.length).toBeGreaterThan(0);
      const refs = mysql
        ? await db.query<{ s: string; t: string }>(`SELECT UNIQUE_CONSTRAINT_SCHEMA AS s, REFERENCED_TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'c4' AND CONSTRAINT_NAME = 'c4_parent_fk'`).then((r) => r.map((x) => ({ s: x.s, t: x.t })))
        : await db.query<{ s: string; t: string }>(`SELECT n.nspname AS s, r.relname AS t FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE c.conname = 'c4_parent_fk' AND c.convalidated`);
      expect(refs).toEqual([{ s: other, t: 'p4' }]);
      // Enforced against the other schema's parents: none orphaned, a referenced one kept, an orphan refused; NULLs filled by up.
      expect(await db.count(`SELECT count(*) FROM c4 WHERE pa NOT IN (SELECT id FROM ${q(other)}.p4) OR pa IS NULL`)).toBe(0);
      expect(await db.count(`SELECT count(*) FROM c4 WHERE id % 7 = 0 AND id < 3000 AND pa <> 1`)).toBe(0);
      await expect(db.query(`DELETE FROM ${q(other)}.p4 WHERE id = 5`)).rejects.toThrow(/foreign key/i);
      await expect(db.query(`INSERT INTO c4 VALUES (50000, 61)`)).rejects.toThrow(/foreign key/i);
      // Every row the writer inserted and did not delete is there.
      const deleted = new Set(inserted.filter((id) => id % 5 === 0).map((id) => id - 50));
      expect(await db.count(`SELECT count(*) FROM c4 WHERE id >= 100000`)).toBe(inserted.filter((id) => !deleted.has(id)).length);
    }, 120_000);

    // Campaign EA: plan's read of rows with no parent read the current schema's table of the parent's name.
    it('a copy of a key column whose parent is another schema\'s (database\'s) table: plan reads the parent there, not a same-named table here', async () => {
      const mysql = target.name === 'mysql';
      const { db, xc } = await setup(target, [`CREATE TABLE p5 (id int PRIMARY KEY)`, `INSERT INTO p5 VALUES (1)`], [{ alterColumn: { table: 'c5', column: 'pid', to: 'parent_id', up: 'pid', down: 'parent_id' } }]);
      const other = mysql ? `${new URL(db.url).pathname.slice(1)}_o` : 'other';
      if (mysql) cleanups.push(() => db.query(`DROP TABLE IF EXISTS c5`).then(() => db.query(`DROP DATABASE IF EXISTS \`${other}\``)).then(() => undefined));
      const q = (n: string) => (mysql ? `\`${n}\`` : `"${n}"`);
      await db.query(mysql ? `CREATE DATABASE ${q(other)}` : `CREATE SCHEMA ${q(other)}`);
      await db.query(`CREATE TABLE ${q(other)}.p5 (id int PRIMARY KEY)`);
      await db.query(`INSERT INTO ${q(other)}.p5 VALUES (1), (2), (3)`);
      await db.query(`CREATE TABLE c5 (id int PRIMARY KEY, pid int, CONSTRAINT c5_fk FOREIGN KEY (pid) REFERENCES ${q(other)}.p5 (id))`);
      await db.query(`INSERT INTO c5 VALUES (1, 1), (2, 2), (3, 3)`);
      await xc.plan();
      if (!mysql) return; // PostgreSQL's keys hold no such row: plan reads none
      // A row with no parent there (written with the key's checks off) is named, with the parent's database.
      await db.query(`SET SESSION foreign_key_checks = 0`);
      await db.query(`INSERT INTO c5 VALUES (4, 9)`);
      await db.query(`SET SESSION foreign_key_checks = 1`);
      const err = await rejection(xc.plan());
      expect(err.message).toMatch(new RegExp(`existing rows of "c5" reference no row of "${other}"\\."p5" through foreign key "c5_fk"[^]*id="4"`));
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
      // The key the rename moves is said to be made again at that contract by its table's old name (campaign EB: "made
      // before … add it in a later migration", written for a key the migration adds).
      expect(err.message).toMatch(/foreign key "c_p_fkey" of "kids" is over "p"\."id", which 0001_change[^\n]* replaces at its contract [^\n]*, making foreign key "c_p_fkey" of "kids" again then by its table's name "c"; renamed before that, the contract would not find the table — contract that migration first, then rename "c" in a later migration/);
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
      const { db, xc } = await setup(
        target,
        [`CREATE TABLE p (id bigint PRIMARY KEY)`, `CREATE TABLE t (id int PRIMARY KEY, n int)`],
        [{ alterColumn: { table: 't', column: 'n', type: 'bigint', references: { table: 'p', column: 'id' } } }],
      );
      const err = await rejection(xc.plan());
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(/alterColumn\.references: `references` changes the column by itself: give the other changes in an alterColumn operation of their own — a type change in a migration before this one, contracted first/);
      // The way, as said (campaign DV: the message said "before or after this one", and one migration was refused again).
      const dir = await latestDir(db);
      await writeFile(path.join(dir, '0001_change.json'), JSON.stringify({ operations: [{ alterColumn: { table: 't', column: 'n', type: 'bigint' } }] }));
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: '1' });
      await xc.contract();
      // The next release.
      await writeFile(path.join(dir, '0002_key.json'), JSON.stringify({ operations: [{ alterColumn: { table: 't', column: 'n', references: { table: 'p', column: 'id' } } }] }));
      await xc.apply();
      await xc.deploy.record({ app: 'web', version: '2' });
      await xc.deploy.retire({ app: 'web', version: '1' });
      await xc.contract();
      await db.query(`INSERT INTO p VALUES (5000000000)`);
      await db.query(`INSERT INTO t VALUES (1, 5000000000)`);
      await expect(db.query(`INSERT INTO t VALUES (2, 7)`)).rejects.toThrow(/foreign key/i);
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
