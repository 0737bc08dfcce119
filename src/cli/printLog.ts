/** `xc log` for people: one line per event, aligned columns, what a forced step overrode and why. */
import type { LogEvent, LogResult } from '../api.js';
import type { Printer } from './output.js';

type Detail = Record<string, unknown>;

const isObject = (v: unknown): v is Detail => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The blockers a forced contract overrode, as the gate described them. */
function overridden(detail: Detail): string[] {
  return Array.isArray(detail.blockers) ? detail.blockers.map((b) => (isObject(b) && typeof b.detail === 'string' ? b.detail : JSON.stringify(b))) : [];
}

/** What an event carries, in a few words: the known shapes spelt out, anything else as its JSON. */
function describe(e: LogEvent): string {
  const d = e.detail;
  const reason = e.reason !== null ? `reason: ${e.reason}` : '';
  if (!isObject(d)) return [reason, d === null ? '' : JSON.stringify(d)].filter(Boolean).join('; ');
  if (d.forced === true) return [`FORCED, ${reason || 'no reason'}`, ...overridden(d).map((b) => `overrode: ${b}`)].join('; ');
  switch (e.event) {
    case 'failed':
      return `error: ${String(d.error)}${d.exitCode !== undefined ? ` (exit ${String(d.exitCode)})` : ''}`;
    case 'step_skipped':
      return `skipped ${String(d.description)}: ${String(d.reason)}`;
    case 'deploy_record':
      return `${String(d.app)}@${String(d.version)}${d.env ? ` (${String(d.env)})` : ''} live at level ${d.level == null ? 'unknown' : String(d.level)}${d.buildLevel != null ? ` (build ${String(d.buildLevel)})` : ''}`;
    case 'dual_write':
      if (Array.isArray(d.over)) return `${(d.over as unknown[][]).reduce((n, x) => n + x.length, 0)} index(es), check(s) and foreign key(s) over what the contract removes, as the expand left them`;
      break;
    case 'sql_edited':
      return `took the edited ${String(d.field)} text of ${Array.isArray(d.operations) ? d.operations.map((i) => `operations[${String(i)}]`).join(', ') : '?'} (--take-edited-sql)`;
    case 'deploy_retire':
      return `${String(d.app)}@${String(d.version)}${d.env ? ` (${String(d.env)})` : ''} retired`;
  }
  return [reason, JSON.stringify(d)].filter(Boolean).join('; ');
}

/** An error's message may span lines (a refusal lists its blockers): an event stays one line. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

export function printLog(p: Printer, result: LogResult): void {
  if (result.events.length === 0) return p.line('no events');
  const rows = result.events.map((e) => ({ at: e.at, actor: e.actor, command: e.command, migration: e.migration ?? '-', event: e.event, note: oneLine(describe(e)), forced: isObject(e.detail) && e.detail.forced === true }));
  const header = { at: 'AT', actor: 'ACTOR', command: 'COMMAND', migration: 'MIGRATION', event: 'EVENT' };
  const keys = ['at', 'actor', 'command', 'migration', 'event'] as const;
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(header[k].length, ...rows.map((r) => r[k].length))])) as Record<(typeof keys)[number], number>;
  // Padding is computed on the plain text, then coloured, so colour codes do not break alignment.
  const cells = (r: Record<(typeof keys)[number], string>) => keys.map((k) => r[k].padEnd(width[k]));
  p.line(p.c.bold(`${cells(header).join('  ')}  DETAIL`));
  for (const r of rows) {
    const [at, actor, command, migration, event] = cells(r);
    const phase = p.phase(r.event) + event!.slice(r.event.length);
    p.line(`${p.c.dim(at!)}  ${actor}  ${command}  ${migration}  ${phase}  ${r.forced || r.event === 'failed' ? p.c.red(r.note) : r.note}`.trimEnd());
  }
}
