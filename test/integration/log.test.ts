/**
 * `xc log` on every dialect: the event log oldest first — who ran what and
 * when, a forced contract with its reason and the blockers it overrode —
 * filtered by --migration, --since (a time with an offset, a span back in
 * days) and --limit; read-only: a database xc never touched gets "no events"
 * and keeps nothing, a part-made state is refused as status refuses it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc, type LogEvent } from '../../src/index.js';
import { rejection, runXc, type Run } from '../helpers/cli.js';
import { everything, stateTable as state, targets, type Db } from '../helpers/targets.js';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const V1 = '0001_users';
const V2 = '0002_email';
const REASON = 'hotfix 42: web v1 is drained';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const lastJson = (r: Run) => JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Record<string, any>;
/** The same instant written in India's time (+05:30), microseconds kept. */
const inKolkata = (at: string) => `${new Date(Date.parse(at) + 330 * 60_000).toISOString().slice(0, 19)}.${at.slice(20, 26)}+05:30`;
const key = (e: LogEvent) => `${e.command}/${e.event}/${e.migration ?? '-'}`;

for (const target of targets) {
  target.describe(`xc log (${target.name})`, () => {
    it('a database xc never touched: no events, nothing created', { timeout: 60_000 }, async () => {
      const db = await target.create('xc_log');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-log-'));
      cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
      const before = await everything(db);
      const json = await runXc(['log', '--json'], { cwd: dir, env: { XC_DATABASE_URL: db.url } });
      const human = await runXc(['log', '--since', '7d'], { cwd: dir, env: { XC_DATABASE_URL: db.url } });
      expect(json.code, json.stderr).toBe(0);
      expect(lastJson(json)).toEqual({ ok: true, events: [] });
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toBe('no events\n');
      expect(await everything(db)).toEqual(before);
    });

    it('apply, deploy record, a forced contract: in order, with actor, reason and the overridden blockers; filtered by --migration, --since, --limit', { timeout: 240_000 }, async () => {
      const db = await target.create('xc_log');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-log-'));
      cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } }] }));
      await writeFile(path.join(dir, `${V2}.json`), JSON.stringify({ operations: [{ addColumn: { table: 'users', column: { name: 'email', type: 'text' } } }] }));
      const ci = createXc({ url: db.url, dir, actor: 'ann@ci' });
      const bob = createXc({ url: db.url, dir, actor: 'bob@laptop' });
      cleanup.push(() => ci.close(), () => bob.close());
      await ci.apply({ id: V1 });
      await ci.deploy.record({ app: 'web', version: '1', level: V1 });
      await ci.apply();
      expect((await rejection(ci.contract())).exitCode).toBe(3); // web@1 at level 0001 still needs the old shape
      await bob.contract({ force: true, reason: REASON });

      // Far from UTC: a time read or given as local would be 5.5 hours off.
      const xc = (...args: string[]) => runXc(args, { cwd: dir, env: { XC_DATABASE_URL: db.url, TZ: 'Asia/Kolkata' } });
      const all = await xc('log', '--json');
      expect(all.code, all.stderr).toBe(0);
      const events = lastJson(all).events as LogEvent[];
      for (const e of events) expect(e.at).toMatch(ISO_UTC);
      expect(events.map((e) => e.at)).toEqual(events.map((e) => e.at).sort());
      const order = [`apply/expanding/${V1}`, `apply/backfilled/${V1}`, 'deploy record/deploy_record/-', `apply/expanding/${V2}`, `apply/backfilled/${V2}`, `contract/contracting/${V2}`, `contract/contracted/${V2}`];
      const at = order.map((k) => events.findIndex((e) => key(e) === k));
      expect(at.every((i) => i >= 0), `${order} in ${events.map(key)}`).toBe(true);
      expect(at).toEqual([...at].sort((a, b) => a - b));
      expect(events.at(-1)).toMatchObject({ command: 'contract', event: 'contracted', migration: V2, actor: 'bob@laptop' });
      expect(events.find((e) => e.event === 'deploy_record')).toMatchObject({ actor: 'ann@ci', detail: { app: 'web', version: '1', env: null, level: V1 } });
      expect(new Set(events.filter((e) => e.command === 'apply').map((e) => e.actor))).toEqual(new Set(['ann@ci']));
      const forced = events[at[5]!]!;
      expect(forced).toMatchObject({ actor: 'bob@laptop', reason: REASON, detail: { forced: true, blockers: [{ kind: 'deployment', app: 'web', version: '1', level: V1 }, { kind: 'no_deployment' }] } });

      const byMigration = await xc('log', '--json', '--migration', V2);
      expect(byMigration.code, byMigration.stderr).toBe(0);
      expect(lastJson(byMigration).events).toEqual(events.filter((e) => e.migration === V2));

      // From V2's first event, written with an offset: the deploy record and V1's events are before it.
      const from = at[3]!;
      const since = await xc('log', '--json', '--since', inKolkata(events[from]!.at));
      expect(since.code, since.stderr).toBe(0);
      expect(lastJson(since).events).toEqual(events.slice(from));

      expect((await ci.log({ since: new Date(Date.parse(events[from]!.at)) })).events.map(key)).toEqual(events.slice(from).map(key)); // the library takes a Date

      const human = await xc('log');
      expect(human.code, human.stderr).toBe(0);
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(events.length + 1);
      expect(lines[0]).toMatch(/^AT\s+ACTOR\s+COMMAND\s+MIGRATION\s+EVENT\s+DETAIL$/);
      const forcedLine = lines[at[5]! + 1]!;
      expect(forcedLine).toContain(events[at[5]!]!.at);
      expect(forcedLine).toContain(`reason: ${REASON}`);
      for (const b of (forced.detail as { blockers: { detail: string }[] }).blockers) expect(forcedLine).toContain(`overrode: ${b.detail}`);
      expect(forcedLine).toContain('web@1');
      // Columns line up: each line's MIGRATION column starts where the header's does.
      const col = lines[0]!.indexOf('MIGRATION');
      for (const [i, e] of events.entries()) expect(lines[i + 1]!.slice(col).startsWith(e.migration ?? '-'), lines[i + 1]).toBe(true);

      // A span back from the database's clock, in days: V1's events moved two days into the past drop out of --since 1d.
      await db.query(db.dialect === 'postgres' ? `UPDATE ${state(db, 'events')} SET at = at - interval '2 days' WHERE migration_id = ?` : `UPDATE ${state(db, 'events')} SET at = at - INTERVAL 2 DAY WHERE migration_id = ?`, [V1]);
      const lastDay = await xc('log', '--json', '--since', '1d');
      expect(lastDay.code, lastDay.stderr).toBe(0);
      expect(lastJson(lastDay).events.map(key)).toEqual(events.filter((e) => e.migration !== V1).map(key));
      expect((await ci.log({ since: '3d' })).events.map(key)).toEqual(events.map(key));
      expect((await ci.log({ limit: 2 })).events).toEqual(events.slice(-2));
      expect((await ci.log({ migration: V1, limit: 1 })).events.map(key)).toEqual([events.filter((e) => e.migration === V1).map(key).at(-1)]);

      for (const bad of [['--since', 'yesterday'], ['--since', '2026-02-30'], ['--limit', '0']]) {
        const r = await xc('log', ...bad);
        expect(r.code, bad.join(' ')).toBe(2);
        expect(r.stderr).toContain(`${bad[0]}: expected`);
      }
    });

    it('a part-made state with migrations recorded is refused as status refuses it, and not completed', { timeout: 60_000 }, async () => {
      const db = await target.create('xc_log');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'xc-log-'));
      cleanup.push(() => db.drop(), () => rm(dir, { recursive: true, force: true }));
      await writeFile(path.join(dir, `${V1}.json`), JSON.stringify({ operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }] } }] }));
      const xc = createXc({ url: db.url, dir });
      cleanup.push(() => xc.close());
      await xc.apply();
      expect((await xc.log()).events.map(key)).toContain(`apply/expanding/${V1}`);
      await db.query(`DROP TABLE ${state(db, 'steps')}`);
      const before = await everything(db);
      const err = await rejection(xc.log());
      expect(err).toMatchObject({ exitCode: 3, code: 'state_incomplete' });
      expect(err.message).toMatch(/state is incomplete: \S*steps\S* is missing/);
      expect(await everything(db)).toEqual(before);
    });
  });
}
