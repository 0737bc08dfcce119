/**
 * createFleet: one command of the library run on every target, `concurrency`
 * at a time. Each target is its own createXc (its own state, lock and
 * connections); a failing target is reported and does not stop the others.
 * The signal stops starting targets; the running ones get it too and stop
 * after their batch, resumable as a single `xc` is.
 */
import type { Xc } from '../api.js';
import { createXc } from '../xc.js';
import { RETIRE } from '../gate/deploy.js';
import { errorCodeOf, ExitCode, exitCodeOf, InvalidInputError, XcError } from '../errors.js';
import type { Fleet, FleetOptions, FleetResult, FleetStatusResult, FleetSummary, FleetTarget, TargetResult } from './api.js';

export const DEFAULT_CONCURRENCY = 4;

export function createFleet(options: FleetOptions): Fleet {
  const { targets, concurrency = DEFAULT_CONCURRENCY, onEvent, ...shared } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidInputError(`concurrency: expected a whole number greater than 0, got ${JSON.stringify(concurrency)}`, {}, { code: 'invalid_usage' });
  }
  if (targets.length === 0) throw new InvalidInputError('a fleet needs at least one target', {}, { code: 'invalid_config' });

  const xcOf = (t: FleetTarget): Xc =>
    createXc({ ...shared, ...('url' in t ? { url: t.url, knexfile: undefined } : { knexEnv: t.knexEnv, knexfile: t.knexfile ?? shared.knexfile }) });

  async function run<R>(command: FleetResult<R>['command'], work: (xc: Xc) => Promise<R>): Promise<FleetResult<R>> {
    const results: Array<TargetResult<R> | undefined> = new Array(targets.length);
    let next = 0;
    let done = 0;
    const one = async (t: FleetTarget): Promise<TargetResult<R>> => {
      const xc = xcOf(t);
      try {
        return { name: t.name, ok: true, exitCode: ExitCode.ok, result: await work(xc) };
      } catch (err) {
        const details = err instanceof XcError && Object.keys(err.details).length ? { details: err.details } : {};
        return { name: t.name, ok: false, exitCode: exitCodeOf(err), code: errorCodeOf(err), message: err instanceof Error ? err.message : String(err), ...details };
      } finally {
        await xc.close().catch(() => undefined);
      }
    };
    const worker = async () => {
      while (next < targets.length && !shared.signal?.aborted) {
        const i = next++;
        const result = await one(targets[i]!);
        results[i] = result;
        onEvent?.({ event: 'fleet_target', command, done: ++done, total: targets.length, ...result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    const stoppedBy = shared.signal?.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
    const all = targets.map((t, i): TargetResult<R> =>
      results[i] ?? { name: t.name, ok: false, exitCode: stoppedBy, code: 'not_started', message: 'not started: the fleet was interrupted; run it again to continue' });
    const summary = summarise(all);
    return { ok: summary.failed === 0, command, exitCode: fleetExitCode(all, summary, stoppedBy), targets: all, summary };
  }

  return {
    apply: (opts = {}) => run('apply', (xc) => xc.apply(opts)),
    contract: (opts = {}) => run('contract', (xc) => xc.contract(opts)),
    check: (opts) => run('check', (xc) => xc.check(opts)),
    deploy: {
      // A misspelt record is taken back on every target by the fleet's retire, not one database's (campaign CU).
      record: (opts) => run('deploy record', async (xc) => {
        const r = await xc.deploy.record(opts);
        return r.warning ? { ...r, warning: r.warning.replaceAll(`\`${RETIRE} `, `\`xc fleet deploy retire `) } : r;
      }),
      retire: (opts) => run('deploy retire', (xc) => xc.deploy.retire(opts)),
    },
    async status(): Promise<FleetStatusResult> {
      const result = await run('status', (xc) => xc.status());
      return { ...result, phases: phaseCounts(result) };
    },
  };
}

function summarise(all: TargetResult<unknown>[]): FleetSummary {
  const exitCodes: Record<string, number> = {};
  for (const r of all) exitCodes[r.exitCode] = (exitCodes[r.exitCode] ?? 0) + 1;
  const ok = all.filter((r) => r.ok).length;
  return { total: all.length, ok, failed: all.length - ok, notStarted: all.filter((r) => r.code === 'not_started').length, exitCodes };
}

/** 0 all ok; interrupted before every target started: 130/143; else the failed targets' shared code, or 1 when they differ. */
function fleetExitCode(all: TargetResult<unknown>[], summary: FleetSummary, stoppedBy: number): number {
  if (summary.failed === 0) return ExitCode.ok;
  if (summary.notStarted > 0) return stoppedBy;
  const codes = new Set(all.filter((r) => !r.ok).map((r) => r.exitCode));
  return codes.size === 1 ? [...codes][0]! : ExitCode.failed;
}

function phaseCounts(result: FleetResult<import('../api.js').StatusResult>): Record<string, Record<string, number>> {
  const phases: Record<string, Record<string, number>> = {};
  const add = (id: string, phase: string) => {
    const counts = (phases[id] ??= {});
    counts[phase] = (counts[phase] ?? 0) + 1;
  };
  const ids = new Set(result.targets.flatMap((t) => t.result?.migrations.map((m) => m.id) ?? []));
  for (const t of result.targets) {
    const known = new Map(t.result?.migrations.map((m) => [m.id, m.phase]) ?? []);
    for (const id of ids) add(id, t.result ? (known.get(id) ?? 'pending') : 'unknown');
  }
  return Object.fromEntries([...ids].sort().map((id) => [id, phases[id]!]));
}
