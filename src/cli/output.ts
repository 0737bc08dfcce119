/**
 * What the CLI prints (SPEC §7). Human mode: colour, tables, a progress line
 * on stderr. JSON mode: stdout carries JSON lines only, the last one being the
 * result (`"ok"`). Every string printed goes through `scrub()` so no password
 * can leak, whatever an error or a driver put in its message.
 */
import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance } from 'chalk';
import type { MigrationOutcome, MigrationPlanResult, Phase, PlanResult, RunResult, XcEvent } from '../api.js';
import { errorCodeOf, ExitCode, exitCodeOf, InvalidInputError, XcError, type ErrorCode, type MigrationIssue } from '../errors.js';
import { scrub } from '../db/redact.js';
import { ProgressLine, type Field } from './progress.js';
import { describeReadings } from '../backfill/throttle/describe.js';

/**
 * Colour on a terminal, unless NO_COLOR is set and not empty (no-color.org);
 * FORCE_COLOR beats it, turning colour on even when piped, or off with 0 or
 * false (as supports-color reads it). Chalk itself does not read NO_COLOR.
 */
export function colourLevel(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  // What the terminal supports (TERM, CI, FORCE_COLOR's level), as chalk detects it for that stream.
  const detected = (stream === process.stderr ? supportsColorStderr : supportsColor) || { level: 0 as const };
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' ? 0 : Math.max(1, detected.level) as 1 | 2 | 3;
  if (env.NO_COLOR) return 0;
  return stream.isTTY ? detected.level : 0;
}

const paletteFor = (stream: NodeJS.WriteStream): ChalkInstance => new Chalk({ level: colourLevel(stream) });

/**
 * What an exit code means, as printed after an error. A gate refusal marked `lasting` (a rollback deploy past a
 * contracted migration: SPEC §6 gives it exit 3 with the gate's other refusals) is not "safe to retry later": no
 * later run lets that build go live.
 */
export function exitMeaning(code: number, details?: Record<string, unknown>, errorCode?: string): string {
  if (code === ExitCode.refused && details?.lasting === true) return 'refused; retrying will not help: a migration this build predates has been contracted';
  // A file refused as the database stands now may pass once the way the message gives has run (campaign DH: "can
  // never succeed" read as final by a pipeline); a request that cannot, as asked, says so.
  if (code === ExitCode.invalidInput && errorCode === 'cannot_succeed') return 'a request that can never succeed as asked; nothing was executed';
  if (details && Array.isArray(details.applied) && details.applied.length > 0) return 'invalid input; the migrations applied before it stand';
  if (code === ExitCode.invalidInput && details && Array.isArray(details.taken) && details.taken.length > 0) return 'invalid input; nothing was executed but the edits taken before it (said above)';
  return EXIT_MEANING[code] ?? 'failed';
}

const EXIT_MEANING: Record<number, string> = {
  [ExitCode.failed]: 'failed',
  [ExitCode.invalidInput]: 'invalid input, as the files and the database stand; nothing was executed',
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

export const count = (n: number) => n.toLocaleString('en-US');
const scrubbed = (fields: Field[]): Field[] => fields.map((f) => ({ ...f, text: scrub(f.text) }));
export const percent = (done: number, total: number) => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100);

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
          return writeErr(e.busy === undefined ? err.dim(`  ${e.phase}: ${e.description}`) : err.yellow(`  ${e.phase}: ${e.description}: ${e.busy}`));
        case 'step_skipped':
          return writeErr(err.yellow(`  ${e.phase}: skipped ${e.description}: ${e.reason}`));
        case 'lock_retry':
          return writeErr(err.yellow(`  ${e.description}: lock not granted, retry ${e.attempt} in ${e.waitMs} ms` +
            (e.blockers.length ? `; blocked by ${e.blockers.map((b) => `pid ${b.session}${b.application ? ` (${b.application})` : ''}`).join(', ')}` : '')));
        case 'replica_skipped':
          return writeErr(err.yellow(`  ${e.table}: replica ${e.replica} not watched for lag: ${e.reason}`));
        case 'sql_edited':
          return writeErr(err.yellow(`${e.migration}: took the edited ${e.field} text of ${e.operations.map((i) => `operations[${i}]`).join(', ')} (--take-edited-sql)`));
        case 'waiting_lock':
          return writeErr(err.yellow(`waiting for another xc${e.holder ? ` (${e.holder})` : ''} to release the lock`));
        case 'backfill':
          // Fields by importance: the batch size goes first when the terminal is narrow, then rows/s, ETA, the table.
          return progress.show({
            pass: `${e.pass} ${e.migration} ${e.table} ${e.tablePass?.index ?? ''}`,
            key: `${e.pass} ${e.migration} ${e.table} ${e.tablePass?.index ?? ''} ${e.done}/${e.total}`,
            fields: scrubbed([
              { text: `${e.pass} ${e.migration}`, drop: 0, shrink: true },
              { text: e.table, drop: 4, sep: ' ' },
              ...(e.tablePass ? [{ text: `pass ${e.tablePass.index} of ${e.tablePass.of}`, drop: 0 }] : []),
              { text: `${count(e.done)}/${count(e.total)} rows (${percent(e.done, e.total)}%)`, drop: 0 },
              { text: `${count(e.rowsPerSecond)} rows/s`, drop: 2 },
              { text: `ETA ${e.etaSeconds === null ? '?' : `${e.etaSeconds}s`}`, drop: 3 },
              { text: `batch ${e.batchSize}`, drop: 1 },
            ]),
          });
        case 'throttled':
          return progress.show({
            key: `throttled ${e.migration} ${e.table} ${e.signal} ${e.source ?? ''} ${e.value}`,
            fields: scrubbed([{ text: `throttled ${e.migration}`, drop: 0, shrink: true }, { text: e.table, drop: 2, sep: ' ' }, { text: `${describeReadings([e])}, waiting`, drop: 0 }]),
          });
        case 'verify':
          return progress.show({
            pass: `verify ${e.migration} ${e.table}`,
            key: `verify ${e.migration} ${e.table} ${e.checked}`,
            fields: scrubbed([{ text: `verify ${e.migration}`, drop: 0, shrink: true }, { text: e.table, drop: 1, sep: ' ' }, { text: `${count(e.checked)} rows checked`, drop: 0 }]),
          });
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
        writeErr(err.dim(`(exit ${code}: ${exitMeaning(code, e instanceof XcError ? e.details : undefined, errorCodeOf(e))})`));
      }
      return code;
    },
  };
}

// ---- human printers of the results ---------------------------------------

export function printPlan(p: Printer, result: PlanResult): void {
  if (result.migrations.length === 0) return p.line('nothing to do: every migration is contracted');
  for (const m of result.migrations) printMigrationPlan(p, m);
}

function printMigrationPlan(p: Printer, m: MigrationPlanResult): void {
  p.line(`${p.c.bold(m.id)}  ${p.phase(m.phase)}${m.description ? `  ${p.c.dim(m.description)}` : ''}`);
  for (const note of m.notes ?? []) p.line(`  ${p.c.yellow('note:')} ${note}`);
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
      // What ends the step on its session (UNLOCK TABLES after a cut-over's LOCK TABLES), run even when a statement fails.
      if (step.release) p.line(`    ${step.release};`);
      if (step.ifBusy) {
        p.line(`    ${p.c.dim(`-- or, if the table's writes outpace the rebuild (its log of them too long to apply within the lock timeout, or over --max-rebuild-write-rate): ${step.ifBusy.description}; lock: ${step.ifBusy.lock}`)}`);
        p.line(`    ${step.ifBusy.sql.trim().replace(/;?$/, ';')}`);
      }
    }
  }
  p.line();
}

/** A migration a run moved on. */
export function printOutcome(p: Printer, m: MigrationOutcome, after = ''): void {
  p.line(`${p.c.bold(m.id)}  ${p.phase(m.from)} → ${p.phase(m.phase)}${after}`);
}

/**
 * The plans' notes of the migrations a run moved on (MigrationOutcome.notes), and its warnings: on stderr, as every
 * command's notes and warnings are (campaign DE: on stdout, in a pipeline's parsed result). In --json, in the result.
 */
export function noteOutcomes(out: Output, migrations: readonly MigrationOutcome[], warnings: readonly string[] = []): void {
  for (const m of migrations) for (const note of m.notes ?? []) out.note(`${m.id}: note: ${note}`);
  for (const w of warnings) out.note(`warning: ${w}`);
}

/** A run's result on stdout, its notes and warnings on stderr. */
export function reportRun(out: Output, result: RunResult, verb: string): void {
  out.result(result, (p) => printRun(p, result, verb));
  noteOutcomes(out, result.migrations, result.warnings);
}

export function printRun(p: Printer, result: RunResult, verb: string): void {
  if (result.migrations.length === 0) return p.line(`nothing to ${verb}${result.note ? `: ${result.note}` : ''}`);
  for (const m of result.migrations) {
    // A run that resumed did part of the pass: said, so its count is not read as rows skipped (campaign CR).
    const resumed = m.from === 'expanding' || m.from === 'dual_write' || m.from === 'backfilling' ? ' by this run (it resumed; `xc status` counts the whole pass)' : '';
    const rows = m.rows !== undefined ? p.c.dim(`  ${count(m.rows)} rows backfilled${resumed}`) : '';
    printOutcome(p, m, rows);
  }
}
