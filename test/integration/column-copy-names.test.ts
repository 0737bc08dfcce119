/**
 * renameColumn and alterColumn copy a column; what the old one had keeps its
 * name (check, foreign key, unique constraint, index) and its comment after
 * contract, still enforced, so later migrations can name them. A default
 * carried through a type change is converted to the new type and proven at
 * plan time: one that cannot convert is refused (exit 2) before any DDL.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';

/** The next migration file of `dir`: 0001_m.json, 0002_m.json, … */
async function migration(dir: string, operations: unknown[]): Promise<void> {
  const n = (await readdir(dir)).length + 1;
  await writeFile(path.join(dir, `${String(n).padStart(4, '0')}_m.json`), JSON.stringify({ operations }));
}

/** Apply everything pending, deploy `version` in place of the one before, contract. */
async function throughContract(xc: Xc, version: string, previous?: string): Promise<void> {
  await xc.apply();
  await xc.deploy.record({ app: 'shop', version });
  if (previous) await xc.deploy.retire({ app: 'shop', version: previous });
  await xc.contract();
  expect((await xc.status()).migrations.every((m) => m.phase === 'contracted')).toBe(true);
}

/** The error a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { exitCode?: number };
  }
  throw new Error('expected a rejection');
}

/** Constraint names by kind (check, foreign, unique) and index names, as the server shows them. */
async function names(db: Db, table: string): Promise<{ checks: string[]; foreign: string[]; unique: string[]; indexes: string[] }> {
  if (db.dialect === 'postgres') {
    const cons = await db.query<{ name: string; type: string }>(`SELECT conname AS name, contype::text AS type FROM pg_constraint WHERE conrelid = to_regclass(?) ORDER BY 1`, [table]);
    const of = (t: string) => cons.filter((c) => c.type === t).map((c) => c.name);
    return { checks: of('c'), foreign: of('f'), unique: of('u'), indexes: (await db.indexes(table)).map((i) => i.name).sort() };
  }
  const cons = await db.query<{ name: string; type: string }>(
    `SELECT CONSTRAINT_NAME AS name, CONSTRAINT_TYPE AS type FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY 1`,
    [table],
  );
  const of = (t: string) => cons.filter((c) => c.type === t).map((c) => c.name);
  // A check xc added is a trigger pair whose error names the check: read the names from the INSERT triggers.
  const triggered = await db.query<{ body: string }>(
    `SELECT ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? AND TRIGGER_NAME LIKE 'xc\\_ck\\_%\\_i'`,
    [table],
  );
  const checkNames = [...of('CHECK'), ...triggered.flatMap((t) => /CONSTRAINT `([^`]+)` failed/.exec(t.body)?.[1] ?? [])].sort();
  return { checks: checkNames, foreign: of('FOREIGN KEY'), unique: of('UNIQUE'), indexes: (await db.indexes(table)).map((i) => i.name).sort() };
}

async function comment(db: Db, table: string, column: string): Promise<string | null> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT col_description(to_regclass(?), (SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = ?)) AS c`
      : `SELECT NULLIF(COLUMN_COMMENT, '') AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`;
  const params = db.dialect === 'postgres' ? [table, table, column] : [table, column];
  return (await db.query<{ c: string | null }>(sql, params))[0]?.c ?? null;
}

/** Everything a refused migration must leave as it was. */
async function snapshot(db: Db, table: string): Promise<unknown> {
  return { columns: await db.columns(table), names: await names(db, table), triggers: await db.triggers() };
}

for (const target of targets) {
  target.describe(`column copies keep names, comments and defaults (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    async function setup(prefix: string): Promise<{ db: Db; dir: string; xc: Xc }> {
      const db = await target.create(prefix);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-names-'));
      const xc = createXc({ url: db.url, dir });
      cleanup.push(() => db.drop(), () => xc.close());
      return { db, dir, xc };
    }

    const operations = {
      renameColumn: { renameColumn: { table: 'items', from: 'code', to: 'category_code' } },
      alterColumn: { alterColumn: { table: 'items', column: 'code', to: 'category_code', type: 'varchar(40)', up: 'code', down: 'category_code' } },
    };
    /** A table whose column `code` has a named check, foreign key, unique constraint, index and comment; its names. */
    async function itemsTable(db: Db): Promise<Awaited<ReturnType<typeof names>>> {
      const commentClause = db.dialect === 'mysql' ? ` COMMENT 'the category, by code'` : '';
      await db.query(`CREATE TABLE categories (code varchar(20) PRIMARY KEY)`);
      await db.query(
        `CREATE TABLE items (id int PRIMARY KEY, code varchar(20) NOT NULL${commentClause},
           CONSTRAINT code_length CHECK (char_length(code) >= 2),
           CONSTRAINT fk_category FOREIGN KEY (code) REFERENCES categories (code),
           CONSTRAINT code_unique UNIQUE (code))`,
      );
      if (db.dialect === 'postgres') await db.query(`COMMENT ON COLUMN items.code IS 'the category, by code'`);
      await db.query(`CREATE INDEX code_idx ON items (code)`);
      await db.seed('categories', ['code'], [['aa'], ['bb'], ['cc'], ['dd']]);
      await db.seed('items', ['id', 'code'], [[1, 'aa'], [2, 'bb']]);
      const before = await names(db, 'items');
      expect(before).toMatchObject({ checks: ['code_length'], foreign: ['fk_category'], unique: ['code_unique'] });
      expect(before.indexes).toEqual(expect.arrayContaining(['code_idx', 'code_unique']));
      return before;
    }

    for (const [kind, op] of Object.entries(operations)) {
      it(`${kind}: rollback after backfill leaves every name as it was, no copy behind`, async () => {
        const { db, dir, xc } = await setup('xc_names');
        const before = await itemsTable(db);
        await migration(dir, [op]);
        await xc.apply();
        expect((await names(db, 'items')).indexes.some((n) => n.startsWith('xc_idx'))).toBe(true);
        await xc.rollback({ id: '0001_m' });
        expect(await names(db, 'items')).toEqual(before);
        expect((await db.indexes('items')).filter((i) => i.name === 'code_idx' || i.name === 'code_unique').map((i) => i.columns)).toEqual([['code'], ['code']]);
        expect(await comment(db, 'items', 'code')).toBe('the category, by code');
      });

      it(`${kind}: the check, foreign key, unique constraint, index and comment keep their names and still enforce`, async () => {
        const { db, dir, xc } = await setup('xc_names');
        const before = await itemsTable(db);

        await migration(dir, [op]);
        await throughContract(xc, 'v2');

        expect(await names(db, 'items')).toEqual(before);
        expect((await db.indexes('items')).filter((i) => i.name === 'code_idx' || i.name === 'code_unique').map((i) => i.columns)).toEqual([['category_code'], ['category_code']]);
        expect(await comment(db, 'items', 'category_code')).toBe('the category, by code');
        // Still enforced, and a violation names the constraint as the user wrote it.
        await expect(db.query(`INSERT INTO items (id, category_code) VALUES (10, 'x')`)).rejects.toThrow(/code_length/);
        await expect(db.query(`INSERT INTO items (id, category_code) VALUES (11, 'zz')`)).rejects.toThrow(/fk_category|foreign key/i);
        await expect(db.query(`INSERT INTO items (id, category_code) VALUES (12, 'aa')`)).rejects.toThrow(/code_unique|duplicate/i);
        await db.query(`INSERT INTO items (id, category_code) VALUES (13, 'cc')`);
        expect(await db.count(`SELECT count(*) FROM items`)).toBe(3);

        // A later migration names them as they were named: it validates and runs.
        await migration(dir, [
          { dropConstraint: { table: 'items', name: 'fk_category' } },
          { dropConstraint: { table: 'items', name: 'code_length' } },
          { dropConstraint: { table: 'items', name: 'code_unique' } },
          { dropIndex: { table: 'items', name: 'code_idx' } },
        ]);
        await throughContract(xc, 'v3', 'v2');
        expect(await names(db, 'items')).toEqual({ checks: [], foreign: [], unique: [], indexes: [] });
        await db.query(`INSERT INTO items (id, category_code) VALUES (14, 'x'), (15, 'aa')`);
        expect(await db.count(`SELECT count(*) FROM items`)).toBe(5);
      });
    }

    const castInt = target.name === 'postgres' ? 'CAST(v AS integer)' : 'CAST(v AS SIGNED)';
    const castText = target.name === 'postgres' ? 'CAST(v_int AS varchar(10))' : 'CAST(v_int AS CHAR)';
    const toInteger = (extra: Record<string, unknown> = {}) => ({ alterColumn: { table: 'settings', column: 'v', to: 'v_int', type: 'integer', up: castInt, down: castText, ...extra } });

    it(`a text default carried through a change to integer is converted: inserts omitting the column get 42`, async () => {
      const { db, dir, xc } = await setup('xc_default');
      await db.query(`CREATE TABLE settings (id int PRIMARY KEY, v varchar(10) DEFAULT '42')`);
      await db.seed('settings', ['id', 'v'], [[1, '7'], [2, null]]);
      await migration(dir, [toInteger()]);
      await throughContract(xc, 'v2');
      const column = (await db.columns('settings')).find((c) => c.name === 'v_int')!;
      expect(column.type).toBe(db.dialect === 'postgres' ? 'integer' : 'int');
      expect(column.default).toContain('42');
      await db.query(`INSERT INTO settings (id) VALUES (3)`);
      expect(await db.query(`SELECT id, v_int FROM settings ORDER BY id`)).toEqual([
        { id: 1, v_int: 7 },
        { id: 2, v_int: null },
        { id: 3, v_int: 42 },
      ]);
    });

    it(`a default that cannot convert is refused at plan and at apply (exit 2), naming it; nothing changes`, async () => {
      const { db, dir, xc } = await setup('xc_default');
      await db.query(`CREATE TABLE settings (id int PRIMARY KEY, v varchar(10) DEFAULT 'abc')`);
      await db.seed('settings', ['id', 'v'], [[1, '7']]);
      const before = await snapshot(db, 'settings');

      await migration(dir, [toInteger()]);
      for (const attempt of [() => xc.plan(), () => xc.apply()]) {
        const err = await rejection(attempt());
        expect(err.exitCode).toBe(2);
        expect(err.message).toContain('0001_m.json: operations[0].alterColumn.default');
        expect(err.message).toContain(`'abc'`);
        expect(err.message).toContain('integer');
        expect(err.message).toContain('Give `default`');
      }
      expect(await snapshot(db, 'settings')).toEqual(before);
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['pending']);

      // A default given that is no integer is refused the same way.
      await writeFile(path.join(dir, '0001_m.json'), JSON.stringify({ operations: [toInteger({ default: "'x1'" })] }));
      const err = await rejection(xc.apply());
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('operations[0].alterColumn.default');
      expect(await snapshot(db, 'settings')).toEqual(before);

      // Giving a default that is one lets the migration through.
      await writeFile(path.join(dir, '0001_m.json'), JSON.stringify({ operations: [toInteger({ default: '5' })] }));
      await throughContract(xc, 'v2');
      await db.query(`INSERT INTO settings (id) VALUES (2)`);
      expect(await db.query(`SELECT id, v_int FROM settings ORDER BY id`)).toEqual([
        { id: 1, v_int: 7 },
        { id: 2, v_int: 5 },
      ]);
    });

    it(`a default that writes (a sequence) is refused when it would have to be converted, accepted when given`, async () => {
      const { db, dir, xc } = await setup('xc_default');
      const next = db.dialect === 'postgres' ? `nextval('counter')` : `nextval(counter)`;
      await db.query(`CREATE SEQUENCE counter`);
      await db.query(`CREATE TABLE tickets (id int PRIMARY KEY, n int DEFAULT ${db.dialect === 'postgres' ? next : `(${next})`})`);
      await db.seed('tickets', ['id', 'n'], [[1, 100]]);
      const before = await snapshot(db, 'tickets');
      const toBig = (extra: Record<string, unknown> = {}) => ({ alterColumn: { table: 'tickets', column: 'n', to: 'n_big', type: 'bigint', up: 'n', down: 'n_big', ...extra } });

      await migration(dir, [toBig()]);
      const err = await rejection(xc.plan());
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('operations[0].alterColumn.default');
      expect(err.message).toContain('Give `default`');
      expect(err.message).toContain('it writes (it draws from a sequence)');
      expect(err.message).not.toMatch(/read[- ]only/i);
      expect(await snapshot(db, 'tickets')).toEqual(before);

      await writeFile(path.join(dir, '0001_m.json'), JSON.stringify({ operations: [toBig({ default: next })] }));
      await throughContract(xc, 'v2');
      await db.query(`INSERT INTO tickets (id) VALUES (2), (3)`);
      const rows = await db.query<{ n_big: string | number }>(`SELECT n_big FROM tickets ORDER BY id`);
      const values = rows.map((r) => Number(r.n_big));
      expect(values[0]).toBe(100);
      expect(values[2]! - values[1]!).toBe(1);
    });
  });
}
