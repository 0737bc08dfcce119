/**
 * What the CLI prints (SPEC §7). Human mode: colour, tables, a progress line
 * on stderr. JSON mode: stdout carries JSON lines only, the last one being the
 * result (`"ok"`). Every string printed goes through `scrub()` so no password
 * can leak, whatever an error or a driver put in its message.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { MigrationPlanResult, Phase, PlanResult, RunResult, StatusResult, XcEvent } from '../api.js';
import { errorCodeOf, ExitCode, exitCodeOf, InvalidInputError, XcError, type ErrorCode, type MigrationIssue } from '../errors.js';
import { scrub } from '../db/redact.js';

/** Colour only when the stream is a terminal, unless FORCE_COLOR asks for it (chalk already honours NO_COLOR). */
function paletteFor(stream: NodeJS.WriteStream): ChalkInstance {
  const base = new Chalk();
  const forced = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0';
  return new Chalk({ level: stream.isTTY || forced ? base.level : 0 });
}

const EXIT_MEANING: Record<number, string> = {
  [ExitCode.failed]: 'failed',
  [ExitCode.invalidInput]: 'invalid input, or a request that can never succeed; nothing was executed',
  [ExitCode.refused]: 'refused; safe to retry later',
  [ExitCode.lockHeld]: 'another xc holds the lock',
  [ExitCode.lockTimeout]: 'gave up waiting for database locks',
  [ExitCode.interrupted]: 'stopped by SIGINT; run it again to continue',
  [ExitCode.terminated]: 'stopped by SIGTERM; run it again to continue',
};

/** Every string inside a value, scrubbed (before JSON escaping could hide a secret from `scrub`). */
function scrubDeep(value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(scrubDeep);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v)]));
  }
  return value;
}

/** What `--json` adds to message, exitCode and details: the code, a migration's issues, and what the error wraps. */
function jsonErrorFields(e: unknown): { code: ErrorCode; issues?: readonly MigrationIssue[]; cause?: { name: string; message: string; code?: unknown } } {
  const issues = e instanceof InvalidInputError && e.issues.length > 0 ? e.issues : undefined;
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined;
  const causeCode = (cause as { code?: unknown } | undefined)?.code;
  return {
    code: errorCodeOf(e),
    ...(issues ? { issues } : {}),
    ...(cause ? { cause: { name: cause.name, message: cause.message, ...(causeCode !== undefined ? { code: causeCode } : {}) } } : {}),
  };
}

const count = (n: number) => n.toLocaleString('en-US');
const percent = (done: number, total: number) => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100);

export interface Output {
  readonly json: boolean;
  /** Library events: a JSON line each, or progress and notes on stderr. */
  event(e: XcEvent): void;
  /** A human note on stderr (silent in JSON mode). */
  note(text: string): void;
  /** The command's result: the last JSON line, or `human()` printed to stdout. */
  result(value: object, human: (p: Printer) => void): void;
  /** Report an error and return the exit code. */
  error(err: unknown): number;
}

/** What the human printers of each command get. */
export interface Printer {
  c: ChalkInstance;
  line(text?: string): void;
  phase(p: Phase | string): string;
}

const PHASE_STYLE: Record<string, (c: ChalkInstance) => ChalkInstance> = {
  pending: (c) => c.gray,
  expanding: (c) => c.yellow,
  dual_write: (c) => c.cyan,
  backfilling: (c) => c.blue,
  backfilled: (c) => c.green,
  contracting: (c) => c.magenta,
  contracted: (c) => c.green.bold,
  rolling_back: (c) => c.red,
  rolled_back: (c) => c.gray,
  expand: (c) => c.yellow,
  backfill: (c) => c.blue,
  contract: (c) => c.magenta,
  rollback: (c) => c.red,
};

export function createOutput(opts: { json: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream }): Output {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const out = paletteFor(stdout);
  const err = paletteFor(stderr);
  const styled = (c: ChalkInstance, p: string) => (PHASE_STYLE[p]?.(c) ?? c.reset)(p);
  const progress = new ProgressLine(stderr);
  const writeErr = (text: string) => {
    progress.clear();
    stderr.write(scrub(text) + '\n');
  };
  const jsonLine = (value: unknown) => stdout.write(scrub(JSON.stringify(scrubDeep(value))) + '\n');

  return {
    json: opts.json,
    event(e) {
      if (opts.json) return void jsonLine(e);
      switch (e.event) {
        case 'phase':
          return writeErr(`${err.bold(e.migration)}: ${styled(err, e.from)} → ${styled(err, e.to)}`);
        case 'step':
          return writeErr(err.dim(`  ${e.phase}: ${e.description}`));
        case 'step_skipped':
          return writeErr(err.yellow(`  ${e.phase}: skipped ${e.description}: ${e.reason}`));
        case 'lock_retry':
          return writeErr(err.yellow(`  ${e.description}: lock not granted, retry ${e.attempt} in ${e.waitMs} ms` +
            (e.blockers.length ? `; blocked by ${e.blockers.map((b) => `pid ${b.session}${b.application ? ` (${b.application})` : ''}`).join(', ')}` : '')));
        case 'waiting_lock':
          return writeErr(err.yellow(`waiting for another xc${e.holder ? ` (${e.holder})` : ''} to release the lock`));
        case 'backfill':
          return progress.show(scrub(
            `${e.pass} ${e.migration} ${e.table}  ${count(e.done)}/${count(e.total)} rows (${percent(e.done, e.total)}%)  ` +
            `${count(e.rowsPerSecond)} rows/s  ETA ${e.etaSeconds === null ? '?' : `${e.etaSeconds}s`}  batch ${e.batchSize}`,
          ), `${e.pass} ${e.migration} ${e.table} ${e.done}`, e.done >= e.total);
        case 'throttled':
          return progress.show(scrub(`throttled ${e.migration} ${e.table}  ${e.load} sessions running (max ${e.maxLoad}), waiting`), `throttled ${e.migration} ${e.table} ${e.load}`, false);
        case 'verify':
          return progress.show(scrub(`verify ${e.migration} ${e.table}  ${count(e.checked)} rows checked`), `verify ${e.migration} ${e.table} ${e.checked}`, false);
      }
    },
    note(text) {
      if (!opts.json) writeErr(err.dim(text));
    },
    result(value, human) {
      progress.clear();
      if (opts.json) return void jsonLine(value);
      human({ c: out, line: (text = '') => stdout.write(scrub(text) + '\n'), phase: (p) => styled(out, p) });
    },
    error(e) {
      progress.clear();
      const code = exitCodeOf(e);
      const message = e instanceof Error ? e.message : String(e);
      if (opts.json) {
        const details = e instanceof XcError ? e.details : {};
        jsonLine({ ok: false, error: { message, exitCode: code, details, ...jsonErrorFields(e) } });
      } else {
        writeErr(`${err.red('xc:')} ${message}`);
        writeErr(err.dim(`(exit ${code}: ${EXIT_MEANING[code] ?? 'failed'})`));
      }
      return code;
    },
  };
}

/** One line on stderr: rewritten in place on a terminal, else printed every ~2 s at most. */
class ProgressLine {
  private shown = false;
  private lastPrinted = 0;
  private lastKey = '';
  constructor(private readonly stream: NodeJS.WriteStream) {}

  /** `key` names the position (e.g. rows done): the same position is not printed twice when not a TTY. */
  show(text: string, key: string, final: boolean): void {
    const now = Date.now();
    if (this.stream.isTTY) {
      if (!final && this.shown && now - this.lastPrinted < 100) return; // ~10 redraws a second is plenty
      this.stream.write(`\r\x1b[2K${text}`);
      this.shown = true;
      this.lastPrinted = now;
      return;
    }
    if (key !== this.lastKey && (final || now - this.lastPrinted >= 2000)) {
      this.stream.write(text + '\n');
      this.lastPrinted = now;
      this.lastKey = key;
    }
  }

  /** End the in-place line so the next output starts on a line of its own. */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\n');
    this.shown = false;
  }
}

// ---- human printers of the results ---------------------------------------

export function printPlan(p: Printer, result: PlanResult): void {
  if (result.migrations.length === 0) return p.line('nothing to do: every migration is contracted');
  for (const m of result.migrations) printMigrationPlan(p, m);
}

function printMigrationPlan(p: Printer, m: MigrationPlanResult): void {
  p.line(`${p.c.bold(m.id)}  ${p.phase(m.phase)}${m.description ? `  ${p.c.dim(m.description)}` : ''}`);
  for (const phase of m.pending) {
    p.line(`  ${p.phase(phase.phase)}`);
    if (phase.phase === 'backfill') {
      if (!phase.backfill?.length) p.line(p.c.dim('    (no rows to convert)'));
      for (const b of phase.backfill ?? []) {
        p.line(`    ${p.c.dim(`-- per batch of ${b.table}, walking key (${b.key.join(', ')})`)}`);
        p.line(`    ${b.statement};`);
      }
      continue;
    }
    if (phase.steps.length === 0) p.line(p.c.dim('    (nothing)'));
    for (const step of phase.steps) {
      p.line(`    ${p.c.dim(`-- ${step.description}; lock: ${step.lock}`)}`);
      p.line(`    ${step.sql.trim().replace(/;?$/, ';').replace(/\n/g, '\n    ')}`);
    }
  }
  p.line();
}

export function printRun(p: Printer, result: RunResult, verb: string): void {
  if (result.migrations.length === 0) return p.line(`nothing to ${verb}`);
  for (const m of result.migrations) {
    const rows = m.rows !== undefined ? p.c.dim(`  ${count(m.rows)} rows backfilled`) : '';
    p.line(`${p.c.bold(m.id)}  ${p.phase(m.from)} → ${p.phase(m.phase)}${rows}`);
  }
}

export function printStatus(p: Printer, result: StatusResult): void {
  if (result.migrations.length === 0) return p.line('no migrations');
  const rows = result.migrations.map((m) => {
    const { done, total } = m.backfill;
    const marks = [m.missingFile ? 'file missing' : '', m.drift ? 'file changed' : ''].filter(Boolean).join(', ');
    return {
      id: m.id,
      phase: m.phase,
      backfill: total > 0 ? `${count(done)}/${count(total)} (${percent(done, total)}%)` : '-',
      note: [marks, m.lastError ?? '', m.blockers.map((b) => b.detail).join('; ')].filter(Boolean).join('; '),
    };
  });
  const header = { id: 'ID', phase: 'PHASE', backfill: 'BACKFILL', note: 'LAST ERROR / NOTES' };
  const width = (k: 'id' | 'phase' | 'backfill') => Math.max(header[k].length, ...rows.map((r) => r[k].length));
  const [wi, wp, wb] = [width('id'), width('phase'), width('backfill')];
  // Padding is computed on the plain text, then coloured, so colour codes do not break alignment.
  p.line(p.c.bold(`${header.id.padEnd(wi)}  ${header.phase.padEnd(wp)}  ${header.backfill.padEnd(wb)}  ${header.note}`));
  for (const r of rows) {
    const phase = p.phase(r.phase) + ' '.repeat(wp - r.phase.length);
    p.line(`${r.id.padEnd(wi)}  ${phase}  ${r.backfill.padEnd(wb)}  ${r.note ? p.c.red(r.note) : ''}`.trimEnd());
  }
}
