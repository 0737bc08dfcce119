/** Human lines of `xc fleet`: one per target as it finishes, then the summary (and, for status, the phases across the fleet). */
import type { CheckResult, DeploymentInfo, PlanResult, RunResult, StatusResult } from '../api.js';
import type { FleetEvent, FleetResult, FleetStatusResult } from '../fleet/api.js';
import { count, type Output, type Printer } from './output.js';

/** What one target's result says, in a few words. */
function outcome(p: Printer, command: string, result: unknown): string {
  if (command === 'status') {
    const ms = (result as StatusResult).migrations;
    const byPhase = new Map<string, number>();
    for (const m of ms) byPhase.set(m.phase, (byPhase.get(m.phase) ?? 0) + 1);
    return ms.length === 0 ? 'no migrations' : [...byPhase].map(([phase, n]) => `${n} ${p.phase(phase)}`).join(', ');
  }
  if (command === 'deploy record') {
    const d = (result as { deployment: DeploymentInfo }).deployment;
    return `recorded ${d.app}@${d.version}${d.env ? ` (${d.env})` : ''} at level ${d.level ?? p.c.red('unknown')}`;
  }
  if (command === 'deploy retire') return 'retired';
  if (command === 'check') {
    const r = result as CheckResult;
    return p.c.green(`may go live (level ${r.level ?? 'none'})`);
  }
  const r = result as RunResult | PlanResult;
  // A dry run's plan: its migrations carry what is pending.
  if (r.migrations.some((m) => 'pending' in m)) return `${r.migrations.length} migrations to run`;
  if (r.migrations.length === 0) return p.c.dim(`nothing to ${command}`);
  const moved = (r as RunResult).migrations;
  // Many migrations on one line would wrap: say how many reached which phase, and the rows.
  if (moved.length > 2) {
    const rows = moved.reduce((n, m) => n + (m.rows ?? 0), 0);
    return `${moved.length} migrations → ${[...new Set(moved.map((m) => m.phase))].map((ph) => p.phase(ph)).join(', ')} (${count(rows)} rows)`;
  }
  return moved
    .map((m) => `${m.id} ${p.phase(m.from)} → ${p.phase(m.phase)}${m.rows !== undefined ? ` (${count(m.rows)} rows)` : ''}`)
    .join(', ');
}

/** Lines of a target's message shown beyond its first. */
const MAX_LINES = 8;

export function printFleetTarget(p: Printer, e: FleetEvent): void {
  const where = `[${e.done}/${e.total}] ${p.c.bold(e.name)}`;
  if (e.ok) {
    p.line(`${p.c.green('ok'.padEnd(7))} ${where}  ${outcome(p, e.command, e.result)}`);
    // deploy record's warning (a level it could not tell, a shape a contract removed): the gate's business too.
    const warning = (e.result as { warning?: unknown } | undefined)?.warning;
    if (typeof warning === 'string') p.line(`        ${p.c.yellow('warning')}: ${warning}`);
    return;
  }
  // A multi-line message (the gate's reasons, a migration's issues): its lines under the target, a few at most;
  // --json has it whole.
  const [first, ...rest] = (e.message ?? '').split('\n');
  // Exit 3 is an answer (the gate or the phase order said not now), not a breakage.
  const label = e.exitCode === 3 ? p.c.yellow('refused') : p.c.red('failed '.padEnd(7));
  p.line(`${label} ${where}  exit ${e.exitCode} ${e.code ?? ''}: ${first}`);
  for (const line of rest.slice(0, MAX_LINES)) p.line(`        ${line.trim()}`);
  if (rest.length > MAX_LINES) p.line(`        … ${rest.length - MAX_LINES} more (--json has them all)`);
}

export function printFleetResult(p: Printer, r: FleetResult<unknown>): void {
  if ('phases' in r) printPhases(p, r as FleetStatusResult);
  const s = r.summary;
  const codes = Object.entries(s.exitCodes).filter(([code]) => code !== '0').map(([code, n]) => `exit ${code}: ${n}`);
  const tail = [
    `${s.ok} ok`,
    ...(s.failed ? [p.c.red(`${s.failed} failed`) + (codes.length ? ` (${codes.join(', ')})` : '')] : []),
    ...(s.notStarted ? [`${s.notStarted} not started`] : []),
  ];
  p.line(`${r.command} on ${s.total} target${s.total === 1 ? '' : 's'}: ${tail.join(', ')}`);
  if (r.command === 'check') p.line(r.ok ? p.c.green('may go live on every target') : p.c.red('may not go live: not on every target'));
}

function printPhases(p: Printer, r: FleetStatusResult): void {
  const ids = Object.keys(r.phases);
  if (ids.length === 0) return p.line(p.c.dim('no migrations on any target'));
  const width = Math.max(...ids.map((id) => id.length));
  for (const id of ids) {
    p.line(`${p.c.bold(id.padEnd(width))}  ${Object.entries(r.phases[id]!).map(([phase, n]) => `${p.phase(phase)} ${n}`).join(', ')}`);
  }
}

/**
 * The plans' notes of what the fleet applied, and the runs' warnings, on stderr as a single database's are (campaign
 * DG: dropped in human output): each once, with how many targets said it. In --json, in each target's result.
 */
export function noteFleet(out: Output, r: FleetResult<unknown>): void {
  const said = new Map<string, number>();
  for (const t of r.targets) {
    const result = t.result as { migrations?: { id: string; notes?: string[] }[]; applied?: { id: string; notes?: string[] }[]; warnings?: string[] } | undefined;
    const lines = [
      ...[...(result?.migrations ?? []), ...(result?.applied ?? [])].flatMap((m) => (m.notes ?? []).map((n) => `${m.id}: note: ${n}`)),
      ...(result?.warnings ?? []).map((w) => `warning: ${w}`),
    ];
    for (const line of new Set(lines)) said.set(line, (said.get(line) ?? 0) + 1);
  }
  for (const [line, n] of said) out.note(`${line} (${n} of ${r.targets.length} target${r.targets.length === 1 ? '' : 's'})`);
}
