/**
 * alterColumn in place to a narrower type without `up` (Rails `change_column :sku, :string, limit: 10`, a float made
 * numeric(12,2)): rows the new type cannot hold passed plan, and apply stopped in the fill or the backfill, the
 * migration left half-way (campaign I). Plan now reads them and refuses, naming the rows, as it does for duplicates
 * under a new unique key; a widening reads nothing. And the plan's note says that a write the shadow cannot store
 * is refused from expand on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, InvalidInputError } from '../../src/index.js';
import { targets } from '../helpers/targets.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

for (const target of targets) {
  target.describe(`alterColumn to a narrower type, rows that do not fit (${target.name})`, () => {
    async function planned(ddl: string[], change: Record<string, unknown>) {
      const db = await target.create('xc_narrow');
      cleanups.push(() => db.drop());
      for (const sql of ddl) await db.query(sql);
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-narrow-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, '0001_narrow.json'), JSON.stringify({ operations: [{ alterColumn: { table: 'products', ...change } }] }));
      const xc = createXc({ url: db.url, dir });
      cleanups.push(() => xc.close());
      const before = await db.columns('products');
      return { db, xc, before, plan: await xc.plan().then((p) => p, (e: unknown) => e) };
    }
    const table = `CREATE TABLE products (id int PRIMARY KEY, sku varchar(40), price ${target.name === 'postgres' ? 'double precision' : 'double'}, qty bigint)`;
    const rows = `INSERT INTO products VALUES (1, 'SHORT', 1.5, 7), (2, 'A-SKU-TOO-LONG-17', 1e13, 3000000000), (3, 'TRAILING  ', NULL, NULL), (4, NULL, 99.999, -5)`;

    for (const [what, change, named] of [
      ['varchar(40) to varchar(10)', { column: 'sku', type: 'varchar(10)' }, /"products"\."sku" holds values that are not text of at most 10 characters[\s\S]*LEFT[\s\S]*id="2"/],
      ['a double to numeric(12,2)', { column: 'price', type: target.name === 'postgres' ? 'numeric(12,2)' : 'decimal(12,2)' }, /"products"\."price" holds values that are not a number (numeric|decimal)\(12,2\) can hold[\s\S]*id="2"/],
      ['bigint to int', { column: 'qty', type: 'int' }, /"products"\."qty" holds values that are not a number int can hold[\s\S]*id="2"/],
    ] as const) {
      it(`${what}: refused at plan, naming the row, nothing changed; fixed, applied and contracted`, async () => {
        const { db, xc, before, plan } = await planned([table, rows], change);
        expect(plan).toBeInstanceOf(InvalidInputError);
        expect((plan as Error).message).toMatch(named);
        // Only row 2 breaks it: trailing spaces are cut without an error, 99.999 rounds to 100.00.
        expect((plan as Error).message).not.toMatch(/id="[134]"/);
        expect(await db.columns('products')).toEqual(before);
        await db.query(`DELETE FROM products WHERE id = 2`);
        await xc.apply();
        await xc.deploy.record({ app: 'shop', version: 'v2' });
        await xc.contract();
        expect((await xc.status()).migrations[0]!.phase).toBe('contracted');
        expect(await db.count(`SELECT count(*) FROM products`)).toBe(3);
      }, 120_000);
    }

    it('a widening reads no rows: varchar(10) to varchar(40), int to bigint', async () => {
      const { plan } = await planned([`CREATE TABLE products (id int PRIMARY KEY, sku varchar(10), qty int)`, `INSERT INTO products VALUES (1, 'ABC', 2147483647)`], { column: 'qty', type: 'bigint' });
      expect(plan).toMatchObject({ ok: true });
    }, 60_000);

    it("the plan's note says a write the new type cannot store is refused from expand on", async () => {
      const { plan } = await planned([table, `INSERT INTO products VALUES (1, 'SHORT', 1.5, 7)`], { column: 'sku', type: 'varchar(10)' });
      expect((plan as { migrations: { notes?: string[] }[] }).migrations[0]!.notes?.join('\n')).toMatch(/until contract both versions see its old definition[\s\S]*from expand on, a write of either version that `up` cannot store as varchar\(10\) is refused/);
    }, 60_000);
  });
}
