/** `xc fleet`'s human output says the plans' notes and the runs' warnings once each, on stderr, with how many targets said them (campaign DG: dropped). */
import { describe, expect, it } from 'vitest';
import { noteFleet } from '../../src/cli/printFleet.js';
import type { Output } from '../../src/cli/output.js';
import type { FleetResult } from '../../src/fleet/api.js';

describe('noteFleet', () => {
  it('each note and warning once, counted over the targets; a target without them says nothing', () => {
    const notes: string[] = [];
    const out = { note: (t: string) => notes.push(t) } as unknown as Output;
    const applied = (warnings?: string[]) => ({ ok: true, migrations: [{ id: '0001_a', from: 'pending', phase: 'backfilled', rows: 3, notes: ['"t"."n" is changed in place'] }], ...(warnings ? { warnings } : {}) });
    const result = {
      ok: true,
      command: 'apply',
      exitCode: 0,
      targets: [
        { name: 'a', ok: true, exitCode: 0, result: applied(['rows still disagree']) },
        { name: 'b', ok: true, exitCode: 0, result: applied() },
        { name: 'c', ok: true, exitCode: 0, result: { ok: true, migrations: [] } },
        { name: 'd', ok: false, exitCode: 1, code: 'failed', message: 'down' },
      ],
      summary: { total: 4, ok: 3, failed: 1, notStarted: 0, exitCodes: { 0: 3, 1: 1 } },
    } as unknown as FleetResult<unknown>;
    noteFleet(out, result);
    expect(notes).toEqual(['0001_a: note: "t"."n" is changed in place (2 of 4 targets)', 'warning: rows still disagree (1 of 4 targets)']);
    // check --apply's outcomes are `applied`.
    notes.length = 0;
    noteFleet(out, { ...result, command: 'check', targets: [{ name: 'a', ok: true, exitCode: 0, result: { ok: true, applied: applied().migrations } }] } as unknown as FleetResult<unknown>);
    expect(notes).toEqual(['0001_a: note: "t"."n" is changed in place (1 of 1 target)']);
  });
});
