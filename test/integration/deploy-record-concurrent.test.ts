/**
 * Deploy records of different apps at once (a pipeline deploying several
 * services in parallel): each is recorded, none fails. On MySQL/MariaDB the
 * record's UPDATE of a row not there yet takes a gap lock under REPEATABLE
 * READ, and two such transactions then deadlock on their INSERTs; the
 * record is retried as a whole, as a deadlock's victim should be. Seen in CI
 * (test/integration/state-creation-crash.test.ts, "first runs at once").
 * And one version recorded by several pipelines at once: on PostgreSQL both
 * find no row to update, and the second INSERT meets the first's key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type Xc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';

const APPS = 12;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/**
 * A fresh database with xc's state; `rounds` times, `xcs` xc instances record at once (`record(xc, i, round)`).
 * Every record must succeed; resolves to the number of deployment rows then.
 */
async function recordAtOnce(
  target: (typeof targets)[number],
  rounds: number,
  xcs: number,
  record: (xc: Xc, i: number, round: number) => Promise<unknown>,
  prepare: (db: Db) => Promise<unknown> = async () => undefined,
): Promise<number> {
  const db = await target.create('xc_deploys');
  cleanups.push(() => db.drop());
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-deploys-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const first = createXc({ url: db.url, dir });
  await first.init();
  await first.close();
  await prepare(db);
  for (let round = 0; round < rounds; round++) {
    const all = Array.from({ length: xcs }, () => createXc({ url: db.url, dir }));
    cleanups.push(() => Promise.all(all.map((x) => x.close())));
    const results = await Promise.allSettled(all.map((x, i) => record(x, i, round)));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  }
  const rows = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${target.name === 'postgres' ? 'xc.deployments' : 'xc_deployments'}`);
  return Number(rows[0]!.n);
}

for (const target of targets) {
  target.describe(`deploy records at once (${target.name})`, () => {
    it(`${APPS} apps recorded at the same moment, each by its own xc: all recorded, none fails`, async () => {
      expect(await recordAtOnce(target, 3, APPS, (x, i, round) => x.deploy.record({ app: `app${i}`, version: `v${round}` }))).toBe(APPS * 3);
    }, 120_000);

    it('one new version recorded by several pipelines at the same moment: each record succeeds, one row', async () => {
      expect(await recordAtOnce(target, 4, 6, (x, _i, round) => x.deploy.record({ app: 'web', version: `v${round}` }))).toBe(4);
    }, 120_000);

    it('on a state an older xc made (no build_level), records and heartbeats at once each add the column or find it added: all succeed', async () => {
      const state = (n: string) => (target.name === 'postgres' ? `xc.${n}` : `xc_${n}`);
      const dropped = async (db: Db) => {
        for (const t of ['deployments', 'instances']) await db.query(`ALTER TABLE ${state(t)} DROP COLUMN build_level`);
      };
      const beats: { stop(): Promise<void> }[] = [];
      cleanups.push(() => Promise.all(beats.map((b) => b.stop())));
      const record = (x: Xc, i: number) => (i % 3 === 2 ? x.startHeartbeat({ app: `app${i}`, version: 'v1', level: null }).then((b) => beats.push(b)) : x.deploy.record({ app: `app${i}`, version: 'v1' }));
      expect(await recordAtOnce(target, 1, 9, record, dropped)).toBe(6);
      expect(beats).toHaveLength(3);
    }, 120_000);
  });
}
