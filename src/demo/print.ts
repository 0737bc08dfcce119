/**
 * Human printing of `xc demo`: each step as it completes, through the CLI's
 * Printer (same colour rules as every command: chalk, NO_COLOR, TTY only).
 */
import { exitMeaning, type Printer } from '../cli/output.js';
import { DEMO_APP, type Cell, type DemoAction, type DemoResult, type DemoStep, type DemoTable } from './demo.js';

export function printDemoIntro(p: Printer): void {
  p.line(p.c.bold(`xc demo: a rolling deploy of the app "${DEMO_APP}", step by step, on an embedded PostgreSQL (PGlite, in memory)`));
  p.line(p.c.dim('Lines starting with `$ xc` are what a deploy pipeline runs (and their answers);'));
  p.line(p.c.dim('lines starting with `v1>` or `v2>` are SQL sent by the two versions of the app.'));
}

export function printDemoStep(p: Printer, step: DemoStep): void {
  p.line();
  p.line(p.c.bold.cyan(`== ${step.n}. ${step.title} ==`));
  for (const text of step.explain) p.line(text);
  for (const f of step.files) {
    p.line();
    p.line(`  ${p.c.bold(`new migration ${f.name}:`)}`);
    for (const l of f.content.split('\n')) p.line(`    ${p.c.dim(l)}`);
  }
  p.line();
  for (const a of step.actions) printAction(p, a);
  for (const t of step.tables) {
    p.line();
    printTable(p, t);
  }
}

export function printDemoEnd(p: Printer, result: DemoResult): void {
  p.line();
  p.line(p.c.green.bold(`Done: ${result.steps.length} steps, one rename shipped with no downtime and no broken version.`));
  p.line('In a real pipeline the same commands run as stages: see "xc in your pipeline" in the README,');
  p.line('and migrations-examples/pipelines/ for GitHub Actions, Kubernetes (Argo CD) and plain shell.');
}

function printAction(p: Printer, a: DemoAction): void {
  if (a.kind === 'sql') {
    p.line(`  ${p.c.yellow(`${a.by}>`)} ${a.command}`);
    for (const l of a.output) p.line(`      ${a.ok ? p.c.dim(l) : p.c.red(l)}`);
    return;
  }
  p.line(`  ${p.c.bold(`$ ${a.command}`)}`);
  for (const m of a.migrations ?? []) {
    const rows = m.rows !== undefined && m.rows > 0 ? p.c.dim(`  ${m.rows} rows backfilled`) : '';
    p.line(`      ${p.c.bold(m.id)}  ${m.phases.map((ph) => p.phase(ph)).join(' → ')}${rows}`);
    for (const s of m.statements) p.line(`        ${p.c.dim(s)}`);
  }
  if (a.ok) {
    for (const l of a.output) p.line(`      ${p.c.green(l)}`);
    return;
  }
  // As `xc` prints an error: the library's message verbatim, then the exit code and its meaning.
  a.output.forEach((l, i) => p.line(`      ${i === 0 ? `${p.c.red('xc:')} ${l}` : l}`));
  p.line(`      ${p.c.dim(`(exit ${a.exitCode}: ${exitMeaning(a.exitCode ?? 1, a.error?.details)})`)}`);
}

const show = (v: Cell) => (v === null ? 'NULL' : String(v));

/** psql-like: header, rule, rows; numbers right-aligned. */
function printTable(p: Printer, t: DemoTable): void {
  p.line(`  ${p.c.bold(t.title)}`);
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => show(r[i] ?? null).length)));
  p.line(`   ${t.columns.map((c, i) => c.padEnd(widths[i]!)).join(' | ')}`.trimEnd());
  p.line(`  -${widths.map((w) => '-'.repeat(w)).join('-+-')}-`);
  for (const r of t.rows) {
    const cells = r.map((v, i) => {
      const text = typeof v === 'number' ? show(v).padStart(widths[i]!) : show(v).padEnd(widths[i]!);
      return v === null ? p.c.dim(text) : text;
    });
    p.line(`   ${cells.join(' | ')}`.trimEnd());
  }
  p.line(p.c.dim(`  (${t.rows.length} row${t.rows.length === 1 ? '' : 's'})`));
}
