/**
 * The embedded PGlite database (the quickstart's backend): the whole example
 * history through expand, backfill and contract, with data written by old
 * and new shapes in between. PGlite has one connection and no CONCURRENTLY;
 * xc must still work end to end.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../migrations-examples');

describe('PGlite', () => {
  it('runs the example history end to end, old and new shapes writing in between', async () => {
    const db = new PGlite();
    const xc = createXc({ connection: db, dir: EXAMPLES });
    try {
      await xc.apply({ id: '0002_create_orders' });
      await db.exec(`INSERT INTO users (email, legacy_flag) VALUES ('Ann@Example.com', true), ('BOB@example.com', false)`);
      await db.exec(`INSERT INTO orders (user_id, amount) SELECT id, 100 * id FROM users`);

      await xc.apply({ to: 'expand' });
      // v1 (old shape) and v2 (new shape) write side by side.
      await db.exec(`INSERT INTO users (email, name) VALUES ('old@example.com', 'Old Writer')`);
      await db.exec(`INSERT INTO users (email, full_name, email_lower) VALUES ('New@Example.com', 'New Writer', 'new@example.com')`);
      await db.exec(`INSERT INTO orders (user_id, amount) VALUES (1, 7)`);
      await db.exec(`INSERT INTO orders (user_id, amount_cents, status) VALUES (2, 900000, 'paid')`);
      await xc.apply();
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(Array(8).fill('backfilled'));

      await xc.deploy.record({ app: 'shop', version: '2.0.0' });
      await xc.contract();
      expect((await xc.status()).migrations.every((m) => m.phase === 'contracted')).toBe(true);
      const users = await db.query<Record<string, unknown>>(`SELECT email, full_name, email_lower FROM users ORDER BY id`);
      expect(users.rows).toEqual([
        { email: 'Ann@Example.com', full_name: 'anonymous', email_lower: 'ann@example.com' },
        { email: 'BOB@example.com', full_name: 'anonymous', email_lower: 'bob@example.com' },
        { email: 'old@example.com', full_name: 'Old Writer', email_lower: 'old@example.com' },
        { email: 'New@Example.com', full_name: 'New Writer', email_lower: 'new@example.com' },
      ]);
      const orders = await db.query<Record<string, unknown>>(`SELECT amount_cents::text AS cents, status FROM orders ORDER BY id`);
      expect(orders.rows).toEqual([
        { cents: '100', status: 'new' },
        { cents: '200', status: 'new' },
        { cents: '7', status: 'new' },
        { cents: '900000', status: 'paid' },
      ]);
      const cols = await db.query<{ c: string }>(`SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`);
      expect(cols.rows.map((r) => r.c)).toEqual(['orders.amount_cents', 'orders.id', 'orders.status', 'orders.user_id', 'users.created_at', 'users.email', 'users.email_lower', 'users.full_name', 'users.id']);
    } finally {
      await xc.close();
      await db.close();
    }
  });

  it('a command given the id alone, not `{ id }` (from JavaScript), is refused, naming the form (campaign AC: rollback read it as no id)', async () => {
    const xc = createXc({ url: 'pglite://memory', dir: EXAMPLES });
    try {
      for (const call of [() => xc.rollback('0001_create_users' as never), () => xc.contract('0001_create_users' as never), () => xc.apply('0001_create_users' as never)]) {
        const err = (await call().catch((e: unknown) => e)) as { exitCode: number; message: string };
        expect([err.exitCode, err.message]).toEqual([2, expect.stringMatching(/^\w+\(\) takes an options object \(`\{ id: "0001_create_users" \}`\), not the id alone$/)]);
      }
      expect((await xc.status()).migrations.every((m) => m.phase === 'pending')).toBe(true);
    } finally {
      await xc.close();
    }
  });

  it('keeps its data in a folder across runs (pglite://PATH)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-pglite-'));
    const url = `pglite://${path.join(dir, 'db')}`;
    const first = createXc({ url, dir: EXAMPLES });
    await first.apply({ id: '0001_create_users', to: 'expand' });
    await first.close();
    const second = createXc({ url, dir: EXAMPLES });
    const status = await second.status();
    await second.close();
    expect(status.migrations[0]).toMatchObject({ id: '0001_create_users', phase: 'dual_write' });
    expect(status.migrations[1]).toMatchObject({ id: '0002_create_orders', phase: 'pending' });
  });

  it('a folder not created yet: commands that change nothing read it as empty and create nothing; the first that writes creates it, in the same session too; a missing parent folder is exit 2 (campaign AC: status created it; the parent was exit 4, "another xc holds the lock")', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-pglite-'));
    const folder = path.join(dir, 'db');
    const xc = createXc({ url: `pglite://${folder}`, dir: EXAMPLES });
    try {
      expect((await xc.status()).migrations.map((m) => m.phase)).toEqual(Array(8).fill('pending'));
      expect((await xc.plan()).migrations).toHaveLength(8);
      expect(await xc.check({ app: 'shop', version: '1' }).then((r) => r.ok, (e: { exitCode: number }) => e.exitCode)).toBe(3);
      expect((await xc.deploy.list()).deployments).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
      await xc.apply({ id: '0001_create_users' });
      expect((await xc.status()).migrations[0]).toMatchObject({ phase: 'backfilled' });
    } finally {
      await xc.close();
    }
    expect(await readdir(dir)).toEqual(['db']);
    const again = createXc({ url: `pglite://${folder}`, dir: EXAMPLES });
    expect((await again.status()).migrations[0]).toMatchObject({ phase: 'backfilled' });
    await again.close();
    const missing = createXc({ url: `pglite://${path.join(dir, 'no', 'db')}`, dir: EXAMPLES });
    const err = (await missing.status().catch((e: unknown) => e)) as { exitCode: number; message: string };
    await missing.close();
    expect([err.exitCode, err.message]).toEqual([2, `pglite://${path.join(dir, 'no', 'db')}: the folder ${path.join(dir, 'no')} does not exist — PGlite makes the database's own folder, not the folders above it: create it, or fix the path`]);
    // One slash, or none: malformed, said so (campaign DW: a folder "pglite:" under the current one was looked for).
    for (const url of [`pglite:${folder}`, 'pglite:db']) {
      const bad = createXc({ url, dir: EXAMPLES });
      const said = (await bad.status().catch((e: unknown) => e)) as { exitCode: number; message: string };
      await bad.close();
      expect([said.exitCode, said.message]).toEqual([2, `${url}: a PGlite URL is pglite://PATH (pglite:///abs/path for an absolute folder) or pglite://memory`]);
    }
    expect(await readdir(dir)).toEqual(['db']);
  });
});
