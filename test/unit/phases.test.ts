/**
 * The phase machine (src/plan/phases.ts) against SPEC §4, and each predicate
 * against the phase sets the commands spelled out before it existed (xc.ts
 * IN_FLIGHT, gate/levels.ts READY, engine/describe.ts REMAINING...), so that
 * replacing them changed nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  PHASES,
  IllegalTransitionError,
  assertTransition,
  awaitsContract,
  canBackfill,
  canContract,
  canMove,
  canRollBack,
  isAtLeastBackfilled,
  isInFlight,
  isTerminal,
  isUnstarted,
  nextPhase,
  phaseRunning,
  stagesAhead,
  type Phase,
} from '../../src/plan/index.js';
import { StateStore } from '../../src/state/store.js';
import type { Dialect } from '../../src/dialects/dialect.js';
import type { Session } from '../../src/db/driver.js';

const ALL = Object.keys(PHASES) as Phase[];

describe('the transition table', () => {
  it('holds the phases of SPEC §4', () => {
    expect([...ALL].sort()).toEqual(['backfilled', 'backfilling', 'contracted', 'contracting', 'dual_write', 'expanding', 'pending', 'rolled_back', 'rolling_back']);
  });

  it('is SPEC §4: the main line forward, and rollback from any phase before contracting (or one whose contract removed nothing)', () => {
    const moves = ALL.flatMap((from) => Object.entries(PHASES[from].next).map(([command, to]) => `${from} -${command}-> ${to}`)).sort();
    expect(moves).toEqual(
      [
        'pending -apply-> expanding',
        'expanding -apply-> dual_write',
        'dual_write -apply-> backfilling',
        'dual_write -backfill-> backfilling',
        'backfilling -apply-> backfilled',
        'backfilling -backfill-> backfilled',
        'backfilled -contract-> contracting',
        'contracting -contract-> contracted',
        'expanding -rollback-> rolling_back',
        'dual_write -rollback-> rolling_back',
        'backfilling -rollback-> rolling_back',
        'backfilled -rollback-> rolling_back',
        'contracting -rollback-> rolling_back',
        'rolling_back -rollback-> rolled_back',
        'rolled_back -apply-> expanding',
      ].sort(),
    );
  });

  it('leaves no state without a way out: from every phase in flight, contract or rollback reaches a terminal phase', () => {
    const reachable = (from: Phase): Set<Phase> => {
      const seen = new Set<Phase>([from]);
      for (const p of seen) for (const to of Object.values(PHASES[p].next)) seen.add(to);
      return seen;
    };
    for (const p of ALL.filter(isInFlight)) expect([...reachable(p)].some(isTerminal), p).toBe(true);
    for (const p of ALL) expect(reachable('pending').has(p), p).toBe(true);
  });

  it('refuses, as a bug, a move the table does not hold', () => {
    expect(() => assertTransition('contracted', 'rolling_back')).toThrow(IllegalTransitionError);
    expect(() => assertTransition('pending', 'backfilled')).toThrow(/cannot move from pending to backfilled/);
    expect(() => assertTransition('backfilled', 'expanding')).toThrow(IllegalTransitionError);
    expect(() => assertTransition('backfilled', 'contracting')).not.toThrow();
    expect(canMove('rolled_back', 'expanding')).toBe(true);
    expect(nextPhase('backfilled', 'apply')).toBeUndefined();
  });
});

describe('its predicates, equal to the sets they replaced', () => {
  // One row per phase: the value each predicate had as an ad hoc set before src/plan/ existed.
  const table: Array<[Phase, { inFlight: boolean; terminal: boolean; unstarted: boolean; gate: boolean; ready: boolean; backfill: boolean; contract: boolean; rollback: boolean; ahead: string[] }]> = [
    ['pending', { inFlight: false, terminal: false, unstarted: true, gate: false, ready: false, backfill: false, contract: false, rollback: false, ahead: ['expand', 'backfill', 'contract'] }],
    ['expanding', { inFlight: true, terminal: false, unstarted: false, gate: true, ready: false, backfill: false, contract: false, rollback: true, ahead: ['expand', 'backfill', 'contract'] }],
    ['dual_write', { inFlight: true, terminal: false, unstarted: false, gate: true, ready: false, backfill: true, contract: false, rollback: true, ahead: ['backfill', 'contract'] }],
    ['backfilling', { inFlight: true, terminal: false, unstarted: false, gate: true, ready: false, backfill: true, contract: false, rollback: true, ahead: ['backfill', 'contract'] }],
    ['backfilled', { inFlight: true, terminal: false, unstarted: false, gate: true, ready: true, backfill: false, contract: true, rollback: true, ahead: ['contract'] }],
    ['contracting', { inFlight: true, terminal: false, unstarted: false, gate: false, ready: true, backfill: false, contract: true, rollback: false, ahead: ['contract'] }],
    ['contracted', { inFlight: false, terminal: true, unstarted: false, gate: false, ready: true, backfill: false, contract: false, rollback: false, ahead: [] }],
    ['rolling_back', { inFlight: true, terminal: false, unstarted: false, gate: false, ready: false, backfill: false, contract: false, rollback: true, ahead: ['rollback'] }],
    ['rolled_back', { inFlight: false, terminal: true, unstarted: true, gate: false, ready: false, backfill: false, contract: false, rollback: false, ahead: [] }],
  ];

  it.each(table)('%s', (phase, want) => {
    expect({
      inFlight: isInFlight(phase),
      terminal: isTerminal(phase),
      unstarted: isUnstarted(phase),
      gate: awaitsContract(phase),
      ready: isAtLeastBackfilled(phase),
      backfill: canBackfill(phase),
      contract: canContract(phase),
      rollback: canRollBack(phase),
      ahead: stagesAhead(phase),
    }).toEqual(want);
  });

  it('covers every phase', () => {
    expect(table.map(([p]) => p).sort()).toEqual([...ALL].sort());
  });

  it('lets a contracting migration roll back only while its contract removed nothing', () => {
    expect(canRollBack('contracting', true)).toBe(true);
    expect(canRollBack('contracting', false)).toBe(false);
    expect(canRollBack('contracted', true)).toBe(false);
  });

  it('names the phase each stage runs in (the phase of its step events)', () => {
    expect((['expand', 'backfill', 'contract', 'rollback'] as const).map(phaseRunning)).toEqual(['expanding', 'backfilling', 'contracting', 'rolling_back']);
  });
});

describe('the state store', () => {
  /** A session answering the store's read of a migration's phase; every statement recorded. */
  const fakeSession = (phase: string | null) => {
    const statements: string[] = [];
    const s = {
      query: async (sql: string) => {
        statements.push(sql);
        return { rows: sql.startsWith('SELECT phase') && phase ? [{ phase }] : [], rowCount: 0 };
      },
      release: () => undefined,
    } as unknown as Session;
    return { s, statements };
  };
  const store = new StateStore({ stateTable: (name: string) => `xc.${name}` } as unknown as Dialect);
  const migration = { id: '0001_a', checksum: 'c', description: null, definition: { operations: [] } as never, plan: { expand: [], backfill: [], verify: [], contract: [], rollback: [] } };

  it('refuses a phase change the table does not hold, before writing anything', async () => {
    const { s, statements } = fakeSession(null);
    await expect(store.setPhase(s, '0001_a', 'contracted', 'rolling_back')).rejects.toThrow(IllegalTransitionError);
    await expect(store.setPhase(s, '0001_a', 'expanding', 'backfilled')).rejects.toThrow(IllegalTransitionError);
    expect(statements).toEqual([]);
    await store.setPhase(s, '0001_a', 'expanding', 'dual_write');
    expect(statements).toHaveLength(1);
  });

  it('starts a migration only where it has no row or was rolled back: it would delete the journal of one in flight', async () => {
    for (const phase of ['backfilled', 'contracting', 'contracted', 'rolling_back']) {
      const { s, statements } = fakeSession(phase);
      await expect(store.begin(s, migration), phase).rejects.toThrow(IllegalTransitionError);
      expect(statements.some((q) => q.startsWith('DELETE')), phase).toBe(false);
    }
    for (const phase of [null, 'rolled_back']) {
      const { s, statements } = fakeSession(phase);
      await store.begin(s, migration);
      expect(statements.some((q) => q.startsWith('INSERT INTO xc.migrations')), String(phase)).toBe(true);
    }
  });
});
