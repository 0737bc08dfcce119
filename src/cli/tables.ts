/**
 * The tables the CLI prints (`status`, `deploy list`): columns as wide as
 * their widest cell, one line per row whatever a cell holds.
 */
import type { DeployListResult, StatusResult } from '../api.js';
import { noDeploymentText, RECORD_HINT } from '../gate/hints.js';
import { count, percent, type Printer } from './output.js';

/** A cell: its text, and how to colour it once padded (padding is measured on the plain text, so colour cannot misalign). */
export type Cell = string | { text: string; style: (s: string) => string };

/** A multi-line text (an error with its SQL, say) as one line: its first, marked as cut; the whole is in --json. */
export function firstLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines.length > 1 ? `${lines[0]!.trimEnd()} […]` : lines[0]!;
}

/** Rows as aligned lines, two spaces between columns; the last column is not padded. */
export function tableLines(rows: Cell[][]): string[] {
  const plain = rows.map((r) => r.map((c) => (typeof c === 'string' ? c : c.text).replace(/\s*\r?\n\s*/g, ' ')));
  // Rows may be shorter than others (deploy list's sessions): every column's width is over all rows that have it.
  const widths: number[] = [];
  for (const r of plain) r.forEach((t, i) => (widths[i] = Math.max(widths[i] ?? 0, t.length)));
  return rows.map((r, ri) =>
    r
      .map((c, i) => {
        const text = plain[ri]![i]!;
        const padded = i === r.length - 1 ? text : text.padEnd(widths[i]!);
        return typeof c === 'string' ? padded : c.style(text) + padded.slice(text.length);
      })
      .join('  ')
      .trimEnd(),
  );
}

export function printStatus(p: Printer, result: StatusResult): void {
  if (result.migrations.length === 0) return p.line('no migrations');
  let hint = false;
  const rows: Cell[][] = result.migrations.map((m) => {
    const { done, total, passes } = m.backfill;
    const marks = [m.missingFile ? 'file missing' : '', m.drift ? 'file changed' : ''];
    // The hint a no_deployment blocker carries is the same on every row: said once below the table.
    const blockers = m.blockers.map((b) => (b.kind === 'no_deployment' ? ((hint = true), noDeploymentText(m.id)) : b.detail));
    const note = [...marks, m.lastError ? firstLine(m.lastError) : '', ...blockers].filter(Boolean).join('; ');
    // A rolled-back migration's walk is undone with it: its last progress would read as work done (campaign AY). JSON keeps it.
    const walked = total > 0 && m.phase !== 'rolled_back';
    return [m.id, { text: m.phase, style: p.phase }, walked ? `${count(done)}/${count(total)} (${percent(done, total)}%${passes ? ` of all ${passes.planned} ${passes.fill ? 'fills' : 'passes'}; ${passes.fill ? 'fill' : 'pass'} ${passes.begun} of ${passes.planned}${passes.current ? `: ${count(passes.current.done)}/${count(passes.current.total)}` : ''}` : ''})` : '-', note ? { text: note, style: p.c.red } : ''];
  });
  const [header, ...lines] = tableLines([['ID', 'PHASE', 'BACKFILL', 'LAST ERROR / NOTES'], ...rows]);
  p.line(p.c.bold(header!));
  for (const line of lines) p.line(line);
  if (hint) p.line(p.c.dim(`(no live deployment at or above those migrations: ${RECORD_HINT})`));
}

/** `level L`, and the build's own level where L was lowered below it (a migration merged later that the build lacks). */
const levelCell = (x: { level: string | null; buildLevel?: string }) => `level ${x.level ?? 'unknown'}${x.buildLevel !== undefined ? ` (build ${x.buildLevel})` : ''}`;

export function printDeployments(p: Printer, r: DeployListResult): void {
  if (r.deployments.length + r.instances.length + r.sessions.length === 0) return p.line('nothing recorded');
  const rows: Cell[][] = [
    ...r.deployments.map((d) => [
      'deployment',
      `${d.app}@${d.version}`,
      d.env || '-',
      levelCell(d),
      d.retiredAt ? { text: `retired ${d.retiredAt}`, style: p.c.dim } : { text: 'live', style: p.c.green },
    ]),
    ...r.instances.map((i) => ['instance', `${i.app}@${i.version}`, i.env || '-', levelCell(i), `${i.host ?? ''} pid ${i.pid ?? '?'}, beat ${i.lastBeatSecondsAgo}s ago${i.ttlMs !== null ? `, TTL ${Math.ceil(i.ttlMs / 1000)}s` : ''}`.trim()]),
    ...r.sessions.map((s) => ['session', `${s.app}@${s.version}`]),
  ];
  for (const line of tableLines(rows)) p.line(line);
}
