/** What the chaos run prints: a line per scenario, then per dialect and kind the totals, and where the faults landed per migration. */
import { CATALOGUE } from './catalogue.js';
import type { Kind, Outcome } from './faults.js';

export function faultLine(o: Outcome): string {
  return (
    `${o.kind} in ${o.command} (${o.flow}) of ${o.migration} at ${o.point}${o.detail ? ` [${o.detail}]` : ''}: ${o.injected ? 'injected' : 'not injected'}, ended ${o.ended}, ` +
    `${o.runs} runs, ${o.rowsChecked} rows checked, ${o.writes} writes, ${o.disconnects} disconnects, max stall ${o.stallMs} ms${o.holdStallMs !== undefined ? ` (${o.holdStallMs} ms while the lock was held)` : ''}${o.lagMs ? `, harness lag taken off up to ${o.lagMs} ms` : ''}`
  );
}

type Result = Outcome & { dialect: string };

export function faultSummary(results: Result[], dialects: string[], kinds: Kind[]): string[] {
  const lines = ['dialect   kind       scenarios  injected  failed  rows checked  writes  disconnects  max stall ms  ended'];
  for (const dialect of dialects) {
    for (const kind of kinds) {
      const rs = results.filter((r) => r.dialect === dialect && r.kind === kind);
      if (!rs.length) continue;
      const ended = new Map<string, number>();
      for (const r of rs) ended.set(`${r.command}:${r.ended}`, (ended.get(`${r.command}:${r.ended}`) ?? 0) + 1);
      const sum = (f: (r: Outcome) => number) => rs.reduce((a, r) => a + f(r), 0);
      const cells = [
        dialect.padEnd(9),
        kind.padEnd(10),
        String(rs.length).padStart(9),
        String(sum((r) => +r.injected)).padStart(9),
        String(sum((r) => +(r.problems.length > 0))).padStart(7),
        String(sum((r) => r.rowsChecked)).padStart(13),
        String(sum((r) => r.writes)).padStart(7),
        String(sum((r) => r.disconnects)).padStart(12),
        String(Math.max(...rs.map((r) => r.stallMs))).padStart(13),
      ];
      lines.push([...cells, ' ' + [...ended].map(([k, n]) => `${k}×${n}`).join(', ')].join(' '));
    }
  }
  // Per lock held: how xc ended, and the longest writer stall not owed to the holder while it held.
  const held = results.filter((r) => r.mode && r.injected);
  if (held.length) {
    lines.push('', 'blocker: per dialect and lock held, how the blocked command ended and the longest writer stall xc caused while it was held');
    for (const dialect of dialects) {
      const modes = [...new Set(held.filter((r) => r.dialect === dialect).map((r) => r.mode!))].sort();
      for (const mode of modes) {
        const rs = held.filter((r) => r.dialect === dialect && r.mode === mode);
        const ended = new Map<string, number>();
        for (const r of rs) ended.set(r.ended, (ended.get(r.ended) ?? 0) + 1);
        lines.push(`  ${dialect.padEnd(9)} ${mode.padEnd(10)} ${String(rs.length).padStart(3)}×  ${[...ended].map(([k, n]) => `${k}×${n}`).join(', ').padEnd(22)} max stall ${Math.max(...rs.map((r) => r.holdStallMs ?? 0))} ms`);
      }
    }
  }
  // Every operation in every part of every command: the faults that landed, per catalogue entry and point.
  const injected = results.filter((r) => r.injected);
  if (injected.length) {
    lines.push('', 'faults injected per migration (operations) and point');
    for (const m of CATALOGUE) {
      const mine = injected.filter((r) => r.migration === m.name);
      if (!mine.length) continue;
      const at = new Map<string, number>();
      for (const r of mine) {
        const where = `${r.command}@${r.point.replace(/ #\d+$/, '')}`;
        at.set(where, (at.get(where) ?? 0) + 1);
      }
      lines.push(`  ${m.name} (${m.covers.join(', ')}): ${[...at].sort().map(([k, n]) => `${k}×${n}`).join(', ')}`);
    }
  }
  return lines;
}
