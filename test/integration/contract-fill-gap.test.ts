/**
 * An `addColumn` NOT NULL with `up`: its contract dropped the trigger that fills the column, then added the guard
 * against NULL. A write leaving the column to the trigger in between stored NULL, which no backfill comes to fill
 * again; the contract's validation then failed on it, every retry the same — left `contracting` (campaign B,
 * seventeenth session: a Rails/Django-style `email_lower`; MariaDB, whose DDL statements commit one by one, 26–54
 * such rows a run, every run; PostgreSQL 2 runs of 6). The guard now comes first, while the trigger still fills:
 * such a write is filled until the trigger goes, and refused after. So too a copy's NOT NULL (renameColumn of a
 * NOT NULL column): a write naming neither column between the old column's drop and the guard stored NULL.
 * And the old column's own constraints between the trigger's removal and the column's (MariaDB, fuzz seed 401): a
 * new-version insert left it its default, and a second broke its unique index (a dropped column's check likewise).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { Writer, type Query } from '../helpers/writers.js';

const ROWS = 20_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * `c` made by `ddl` and seeded, `operation` applied and the new version recorded; then contracted while two writers
 * run `insert` back to back (ids from 100,000 and 200,000). The contract must finish.
 */
async function contractUnderWriters(target: (typeof targets)[number], ddl: string, operation: unknown, insert: (id: number) => Query): Promise<{ db: Db; writers: Writer[] }> {
  const db: Db = await target.create('xc_fillgap');
  cleanups.push(() => db.drop());
  await db.query(ddl);
  await db.seed('c', ['id', 'email'], Array.from({ length: ROWS }, (_, i) => [i + 1, `User${i}@Example.com`]));
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-fillgap-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, '0001_change.json'), JSON.stringify({ operations: [operation] }));
  const xc = createXc({ url: db.url, dir });
  cleanups.push(() => xc.close());
  await xc.apply();
  await xc.deploy.record({ app: 'shop', version: 'v2' });
  const writers: Writer[] = [];
  for (const base of [100_000, 200_000]) writers.push(new Writer(await db.connection(), (i) => insert(base + i), 0).start());
  cleanups.push(() => Promise.all(writers.map((w) => w.stop())));
  await xc.contract();
  await Promise.all(writers.map((w) => w.stop()));
  expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
  expect(await db.count(`SELECT count(*) FROM c`)).toBe(ROWS + writers.reduce((n, w) => n + w.writes, 0));
  return { db, writers };
}

for (const target of targets) {
  target.describe(`addColumn NOT NULL with up: writes omitting it during the contract (${target.name})`, () => {
    it('the contract finishes; every row has its value, each such write filled or refused, none stored NULL', async () => {
      // Writers that leave the column to the trigger (an application relying on it, as the README says it may until contract).
      const { db, writers } = await contractUnderWriters(
        target,
        `CREATE TABLE c (id int PRIMARY KEY, email varchar(200) NOT NULL)`,
        { addColumn: { table: 'c', column: { name: 'email_lower', type: 'varchar(200)', nullable: false }, up: 'lower(email)' } },
        (id) => ({ sql: `INSERT INTO c (id, email) VALUES (?, ?)`, params: [id, `Writer${id}@X.com`] }),
      );
      expect(await db.count(`SELECT count(*) FROM c WHERE email_lower IS NULL OR email_lower <> lower(email)`)).toBe(0);
      expect(writers.reduce((n, w) => n + w.writes, 0)).toBeGreaterThan(0);
      // A refused write is refused for the NULL, nothing else.
      for (const e of writers.flatMap((w) => w.errors)) expect(e).toMatch(/null|xc_nn|email_lower|doesn't have a default|cannot be null|CONSTRAINT/i);
    });
  });

  target.describe(`renameColumn of a NOT NULL column: writes omitting the new column during the contract (${target.name})`, () => {
    it('the contract finishes; no row is stored without a value, each such write refused', async () => {
      // A faulty writer of the new version: it names neither column, which is NOT NULL before and after.
      const { db } = await contractUnderWriters(
        target,
        `CREATE TABLE c (id int PRIMARY KEY, email varchar(200) NOT NULL, note int)`,
        { renameColumn: { table: 'c', from: 'email', to: 'address' } },
        (id) => ({ sql: `INSERT INTO c (id, note) VALUES (?, 1)`, params: [id] }),
      );
      expect(await db.count(`SELECT count(*) FROM c WHERE address IS NULL`)).toBe(0);
    });
  });

  target.describe(`renameColumn of a unique column with a default: new-version writes during the contract (${target.name})`, () => {
    it('no write fails: the old column, left its default between the trigger and its drop, no longer holds the key (fuzz seed 401)', async () => {
      const { db, writers } = await contractUnderWriters(
        target,
        `CREATE TABLE c (id int PRIMARY KEY, email varchar(200) DEFAULT 'none', CONSTRAINT c_email_uq UNIQUE (email))`,
        { renameColumn: { table: 'c', from: 'email', to: 'address' } },
        (id) => ({ sql: `INSERT INTO c (id, address) VALUES (?, ?)`, params: [id, `writer${id}@x.com`] }),
      );
      expect(writers.flatMap((w) => w.errors)).toEqual([]);
      expect(writers.reduce((n, w) => n + w.writes, 0)).toBeGreaterThan(0);
      expect(await db.count(`SELECT count(*) FROM c WHERE address IS NULL OR address = 'none'`)).toBe(0);
      // The key holds over the new column, under its old name.
      const dup = await db.query(`INSERT INTO c (id, address) VALUES (1000000, 'writer100001@x.com')`).then(() => null, (e: Error) => e.message);
      expect(dup).toMatch(/c_email_uq|duplicate/i);
    });
  });

  target.describe(`dropColumn with down of a column a check needs: new-version writes during the contract (${target.name})`, () => {
    it('no write fails: the check goes before the trigger that fills the column', async () => {
      const { writers } = await contractUnderWriters(
        target,
        `CREATE TABLE c (id int PRIMARY KEY, email varchar(200) NOT NULL, legacy varchar(20), CONSTRAINT c_legacy_ck CHECK (legacy IS NOT NULL OR id <= ${ROWS}))`,
        { dropColumn: { table: 'c', column: 'legacy', down: "'gone'" } },
        (id) => ({ sql: `INSERT INTO c (id, email) VALUES (?, ?)`, params: [id, `writer${id}@x.com`] }),
      );
      expect(writers.flatMap((w) => w.errors)).toEqual([]);
      expect(writers.reduce((n, w) => n + w.writes, 0)).toBeGreaterThan(0);
    });
  });
}
