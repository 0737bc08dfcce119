/** `xc log`'s human form: one line per event, columns aligned, a forced step's reason and what it overrode, a failure's message on its line. */
import { Chalk } from 'chalk';
import { expect, it } from 'vitest';
import type { LogEvent } from '../../src/api.js';
import type { Printer } from '../../src/cli/output.js';
import { printLog } from '../../src/cli/printLog.js';

const print = (events: LogEvent[]) => {
  const lines: string[] = [];
  const p: Printer = { c: new Chalk({ level: 0 }), line: (t = '') => void lines.push(t), phase: (x) => x };
  printLog(p, { ok: true, events });
  return lines;
};
const event = (e: Partial<LogEvent>): LogEvent => ({ at: '2026-11-30T08:00:00.000000Z', actor: 'ann@ci', command: 'apply', event: 'expanding', migration: '0001_users', reason: null, detail: null, ...e });

it('no events', () => expect(print([])).toEqual(['no events']));

it('one aligned line per event: a forced contract shows its reason and each blocker it overrode; a multi-line error stays on its line', () => {
  const lines = print([
    event({}),
    event({ command: 'deploy record', event: 'deploy_record', migration: null, detail: { app: 'web', version: '1', env: 'prod', level: '0001_users' } }),
    event({ actor: 'bob', command: 'contract', event: 'contracting', migration: '0002_email', reason: 'hotfix 42', detail: { forced: true, blockers: [{ kind: 'deployment', detail: 'deployment web@1 is live at level 0001_users' }, { kind: 'no_deployment', detail: 'no live deployment at or above 0002_email' }] } }),
    event({ command: 'backfill', event: 'failed', migration: '0003_x', detail: { error: 'refused:\n  - one\n  - two', exitCode: 3 } }),
    event({ command: 'apply', event: 'step_skipped', detail: { description: 'create index i', reason: 'already there' } }),
  ]);
  expect(lines).toEqual([
    'AT                           ACTOR   COMMAND        MIGRATION   EVENT          DETAIL',
    '2026-11-30T08:00:00.000000Z  ann@ci  apply          0001_users  expanding',
    '2026-11-30T08:00:00.000000Z  ann@ci  deploy record  -           deploy_record  web@1 (prod) live at level 0001_users',
    '2026-11-30T08:00:00.000000Z  bob     contract       0002_email  contracting    FORCED, reason: hotfix 42; overrode: deployment web@1 is live at level 0001_users; overrode: no live deployment at or above 0002_email',
    '2026-11-30T08:00:00.000000Z  ann@ci  backfill       0003_x      failed         error: refused: - one - two (exit 3)',
    '2026-11-30T08:00:00.000000Z  ann@ci  apply          0001_users  step_skipped   skipped create index i: already there',
  ]);
});
