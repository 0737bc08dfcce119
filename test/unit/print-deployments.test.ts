/** `xc deploy list`'s human form: deployments, then live instances with the TTL each beats for, then sessions; and `xc status`'s table. */
import { Chalk } from 'chalk';
import { expect, it } from 'vitest';
import type { DeployListResult, StatusMigration, StatusResult } from '../../src/api.js';
import type { Printer } from '../../src/cli/output.js';
import { printDeployments, printStatus } from '../../src/cli/tables.js';

const print = (r: Omit<DeployListResult, 'ok'>) => {
  const lines: string[] = [];
  const p: Printer = { c: new Chalk({ level: 0 }), line: (t = '') => void lines.push(t), phase: (x) => x };
  printDeployments(p, { ok: true, ...r });
  return lines.map((l) => l.trimEnd());
};

it('nothing recorded', () => expect(print({ deployments: [], instances: [], sessions: [] })).toEqual(['nothing recorded']));

it("an instance shows the TTL it beats for (a gate counts it live that long, or its own TTL if longer); one written by an older xc shows none", () => {
  const instance = { id: 'i', app: 'shop', env: null, level: '0002_b', host: 'web-1', pid: 42, lastBeatSecondsAgo: 7 };
  expect(print({
    deployments: [{ app: 'shop', version: 'v1', env: 'prod', level: '0001_a', recordedAt: '2026-12-02T08:00:00Z', retiredAt: null } as DeployListResult['deployments'][number]],
    instances: [{ ...instance, version: 'v2', ttlMs: 20_000 }, { ...instance, version: 'v3', ttlMs: 1500 }, { ...instance, version: 'v4', ttlMs: null }],
    sessions: [{ app: 'shop', version: 'v2' }],
  })).toEqual([
    'deployment  shop@v1  prod  level 0001_a  live',
    'instance    shop@v2  -     level 0002_b  web-1 pid 42, beat 7s ago, TTL 20s',
    'instance    shop@v3  -     level 0002_b  web-1 pid 42, beat 7s ago, TTL 2s',
    'instance    shop@v4  -     level 0002_b  web-1 pid 42, beat 7s ago',
    'session     shop@v2',
  ]);
});

it("xc status's table shows no backfill progress for a rolled-back migration, whose walk was undone with it (campaign AY: read as done)", () => {
  const lines: string[] = [];
  const p: Printer = { c: new Chalk({ level: 0 }), line: (t = '') => void lines.push(t), phase: (x) => x };
  const m = (id: string, phase: StatusMigration['phase'], done: number) => ({ id, description: null, phase, backfill: { done, total: 3786 }, blockers: [] }) as unknown as StatusMigration;
  printStatus(p, { ok: true, migrations: [m('0001_a', 'backfilled', 3786), m('0002_b', 'rolled_back', 3786)] } as StatusResult);
  expect(lines.map((l) => l.trimEnd())).toEqual([
    'ID      PHASE        BACKFILL            LAST ERROR / NOTES',
    '0001_a  backfilled   3,786/3,786 (100%)',
    '0002_b  rolled_back  -',
  ]);
});
