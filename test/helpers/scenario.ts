/**
 * A scenario against one test database: a migrations folder, an xc on it, and
 * the checks the plan-safety and generated-findings suites share — refused
 * with exit 2 leaving everything as it was, contracted with the build at a
 * level the only one live, rolled back under an old-version writer.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import { targets, type Db } from './targets.js';
import { Writer, type Query } from './writers.js';

export interface Setup {
  db: Db;
  dir: string;
  xc: Xc;
  write(id: string, ...operations: unknown[]): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
/** Run `c` after the current test, before the scenario's database is dropped. */
export const onCleanup = (c: () => Promise<void>) => void cleanups.push(c);

export async function setup(target: (typeof targets)[number], ddl: string[], prefix = 'xc_plan'): Promise<Setup> {
  const db = await target.create(prefix);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-plan-'));
  const xc = createXc({ url: db.url, dir });
  cleanups.push(async () => {
    await xc.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });
  for (const sql of ddl) await db.query(sql);
  return { db, dir, xc, write: (id, ...operations) => writeFile(path.join(dir, `${id}.json`), JSON.stringify({ operations })) };
}

export async function rejection(p: Promise<unknown>): Promise<Error & { exitCode: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { exitCode: number };
  }
  throw new Error('expected a rejection');
}

/** Tables, columns, indexes, checks and triggers, to compare before and after a refusal. */
export async function dump(db: Db, tables: string[]): Promise<unknown> {
  const out: Record<string, unknown> = { triggers: await db.triggers() };
  for (const t of tables) out[t] = { columns: await db.columns(t), indexes: await db.indexes(t), checks: await db.checks(t) };
  out.state = db.dialect === 'postgres' ? await db.query(`SELECT to_regclass('xc.migrations') IS NOT NULL AS e`) : await db.query(`SHOW TABLES LIKE 'xc\\_%'`);
  return out;
}

/** Exit 2, a message matching `message`, and nothing changed: by plan and by apply alike. */
export async function refused(s: Setup, tables: string[], message: RegExp, run: () => Promise<unknown> = () => s.xc.apply()): Promise<void> {
  const before = await dump(s.db, tables);
  for (const attempt of [() => s.xc.plan(), run]) {
    const err = await rejection(attempt());
    expect(err.exitCode, err.message).toBe(2);
    expect(err.message).toMatch(message);
  }
  expect(await dump(s.db, tables)).toEqual(before);
}

/** The build at `level` is the only one live: recorded, and every earlier version retired. */
export async function record(xc: Xc, level: string): Promise<void> {
  for (const d of (await xc.deploy.list()).deployments.filter((x) => x.retiredAt === null)) await xc.deploy.retire({ app: d.app, version: d.version });
  await xc.deploy.record({ app: 'shop', version: level, level });
}

/** A rollback deploy done: the version before is back and every live one retired, so the gate lets `xc rollback` run. */
export async function retireLive(xc: Xc): Promise<void> {
  for (const d of (await xc.deploy.list()).deployments.filter((x) => x.retiredAt === null)) await xc.deploy.retire({ app: d.app, version: d.version, ...(d.env ? { env: d.env } : {}) });
}

/** Apply, record the build at `level` as the only one live, contract. */
export async function toContracted(s: Setup, level: string): Promise<void> {
  await s.xc.apply();
  await record(s.xc, level);
  await s.xc.contract();
}

/** Roll back while an old-version writer writes back to back; the writer, stopped, for its errors and count. */
export async function rollbackWhileWriting(s: Setup, next: (i: number) => Query): Promise<Writer> {
  const writer = new Writer(await s.db.connection(), next, 0).start();
  await new Promise((r) => setTimeout(r, 50));
  await s.xc.rollback();
  await writer.stop();
  return writer;
}
