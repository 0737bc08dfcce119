/**
 * A new source of evidence is one file and one registration line (SPEC §6,
 * src/gate/evidence.ts): a test-only source of "pods", registered in the
 * list the gate asks, blocks contract (exit 3, library and CLI) and shows in
 * status and in `deploy list` exactly as the built-in ones do, on every
 * dialect — with nothing else of xc told about it. `check` judges the
 * build's migrations, not what runs, so it stays as it was.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { rejection } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';
import { createXc, type Xc } from '../../src/index.js';
import { cliInProcess } from '../helpers/cli-in-process.js';
import type { EvidenceKind, EvidenceSource } from '../../src/gate/evidence.js';
import { evidenceSources } from '../../src/gate/sources/index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A list's keys but its `warning`, which a server that cannot show idle sessions adds (gate.test.ts). */
const shape = (list: object) => Object.keys(list).filter((k) => k !== 'warning');

const V1 = '0001_create_users';
const V2 = '0002_rename_name';

/** Pods as a cluster would report them: the test moves them from one level to another. */
const pods: { name: string; app: string; version: string; level: string | null; node: string }[] = [];

/** The whole of a new source. A real one would add 'pod' to GateBlocker['kind'] (api.ts), which users read; here the kind is cast. */
const podsSource: EvidenceSource = {
  name: 'pods',
  async gather() {
    return {
      live: pods.map((p) => ({ kind: 'pod' as EvidenceKind, app: p.app, version: p.version, env: 'k8s', level: p.level, describe: (level: string) => `pod ${p.name} (${p.app}@${p.version}) on ${p.node} runs at ${level}` })),
      listed: pods.map((p) => ({ ...p })),
    };
  },
};

/** V1 contracted, V2 (a rename) backfilled; shop@v2 recorded at V2, shop@v1 retired: the built-in sources see nothing in the way. */
async function setup(target: (typeof targets)[number]): Promise<{ db: Db; dir: string; xc: Xc }> {
  const db = await target.create('xc_gsrc');
  await db.query(`CREATE TABLE users (id int PRIMARY KEY, name varchar(50))`);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-gsrc-'));
  await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ sql: { expand: 'SELECT 1' } }] }));
  await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
  const xc = createXc({ url: db.url, dir });
  cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }), () => xc.close());
  await xc.apply({ id: V1 });
  await xc.deploy.record({ app: 'shop', version: 'v1', level: V1 });
  await xc.contract({ id: V1 });
  await xc.apply();
  await xc.deploy.record({ app: 'shop', version: 'v2', level: V2 });
  await xc.deploy.retire({ app: 'shop', version: 'v1' });
  return { db, dir, xc };
}

const cli = cliInProcess;

for (const target of targets) {
target.describe(`a new source of evidence (${target.name})`, () => {
  it('registered in one line, its live version below the level blocks contract (exit 3, naming it) and shows in status and deploy list', async () => {
    const { db, dir, xc } = await setup(target);
    const builtIn = await xc.deploy.list();
    evidenceSources.push(podsSource); // the registration line
    cleanup.push(async () => void evidenceSources.splice(evidenceSources.indexOf(podsSource), 1));
    pods.splice(0, pods.length, { name: 'shop-7f9c', app: 'shop', version: 'v1', level: V1, node: 'node-3' });

    const err = await rejection(xc.contract());
    expect(err.exitCode).toBe(3);
    expect(err.details.blockers).toEqual([{ kind: 'pod', app: 'shop', version: 'v1', env: 'k8s', level: V1, detail: `pod shop-7f9c (shop@v1) on node-3 runs at level ${V1}` }]);
    expect(err.message).toContain(`  - pod shop-7f9c (shop@v1) on node-3 runs at level ${V1}`);
    const run = await cli('contract', '--url', db.url, '--dir', dir);
    expect(run.code).toBe(3);
    expect(run.last.error.details.blockers).toEqual(err.details.blockers);
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers).toEqual(err.details.blockers);
    // deploy list: every source under its name, the built-in ones first and as they were.
    expect(await xc.deploy.list()).toEqual({ ...builtIn, pods: [{ name: 'shop-7f9c', app: 'shop', version: 'v1', level: V1, node: 'node-3' }] });
    expect(shape(await xc.deploy.list())).toEqual(['ok', 'deployments', 'instances', 'sessions', 'pods']);
    // check asks whether a build may go live (its migrations), not what runs: unchanged by any source.
    expect(await xc.check({ app: 'shop', version: 'v2' })).toMatchObject({ ok: true, level: V2 });

    // An unknown level blocks as well; a pod at the level does not.
    pods[0]!.level = null;
    expect((await rejection(xc.contract())).details.blockers).toEqual([expect.objectContaining({ kind: 'pod', level: null, detail: 'pod shop-7f9c (shop@v1) on node-3 runs at an unknown level' })]);
    pods[0] = { ...pods[0]!, version: 'v2', level: V2 };
    expect((await xc.status()).migrations.find((m) => m.id === V2)!.blockers).toEqual([]);
    const done = await cli('contract', '--url', db.url, '--dir', dir);
    expect(done).toMatchObject({ code: 0, last: { ok: true, migrations: [{ id: V2, phase: 'contracted' }] } });
    expect((await db.columns('users')).map((c) => c.name).sort()).toEqual(['full_name', 'id']);
  });

  it('the built-in sources: each blocker and deploy list entry in its shape', async () => {
    const { xc } = await setup(target);
    await xc.deploy.record({ app: 'shop', version: 'v1.9', level: V1 });
    const hb = await xc.startHeartbeat({ app: 'shop', version: 'v1', level: V1 });
    cleanup.push(() => hb.stop());
    const [deployment, instance, ...rest] = (await rejection(xc.contract())).details.blockers;
    expect(rest).toEqual([]);
    expect(Object.keys(deployment)).toEqual(['kind', 'app', 'version', 'env', 'level', 'detail', 'since']);
    expect(deployment).toEqual({ kind: 'deployment', app: 'shop', version: 'v1.9', env: null, level: V1, detail: expect.stringMatching(new RegExp(`^deployment shop@v1\\.9 is live at level ${V1} \\(recorded by .+@.+\\)$`)), since: expect.any(String) });
    expect(Object.keys(instance)).toEqual(['kind', 'app', 'version', 'env', 'level', 'detail']);
    expect(instance).toEqual({ kind: 'instance', app: 'shop', version: 'v1', env: null, level: V1, detail: expect.stringMatching(new RegExp(`^instance shop@v1 on .+ pid ${process.pid} is live at level ${V1} \\(last heartbeat \\d+s ago\\)$`)) });

    const list = await xc.deploy.list();
    expect(shape(list)).toEqual(['ok', 'deployments', 'instances', 'sessions']);
    expect(list.deployments.map((d) => [d.version, d.level, d.retiredAt === null])).toEqual([['v1', V1, false], ['v2', V2, true], ['v1.9', V1, true]]);
    expect(Object.keys(list.deployments[0]!)).toEqual(['app', 'env', 'version', 'level', 'recordedAt', 'firstRecordedAt', 'retiredAt', 'actor']);
    expect(list.deployments[2]!.recordedAt).toBe(deployment.since);
    expect(list.instances).toEqual([{ id: hb.id, app: 'shop', version: 'v1', env: null, level: V1, host: expect.any(String), pid: process.pid, ttlMs: 60_000, lastBeatSecondsAgo: expect.any(Number) }]);
    expect(Object.keys(list.instances[0]!)).toEqual(['id', 'app', 'version', 'env', 'level', 'host', 'pid', 'ttlMs', 'lastBeatSecondsAgo']);
    expect(list.sessions).toEqual([]);
  });
});
}
