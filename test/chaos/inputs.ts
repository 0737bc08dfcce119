/**
 * The `input` kind of the chaos suite (issue 11, "keep the campaign"): per
 * round and dialect, a seeded corpus of bad input fed to xc against a
 * database on the private server —
 *
 * - `file`: malformed migration folders (inputs/files.ts): exit 2 naming the
 *   file and the path inside it, nothing created, not even the state tables;
 * - `hostile`: hostile names, types and expressions in well-formed files
 *   (inputs/hostile.ts): `plan` changes nothing, ever; `apply` does exactly
 *   what the file says (names round-trip into the catalog, rolled back
 *   cleanly) or exits 2 having changed nothing; the canary table is intact;
 * - `url`: a real user whose password holds every special character
 *   (inputs/urls.ts), in raw, encoded, wrong and malformed URLs given by
 *   flag, environment, config file and knexfile: the password never shows.
 *
 * Most inputs run in-process through createXc (a spawn costs about a second);
 * a seeded sample of each class also runs through the real CLI, which checks
 * exit codes and that --json prints nothing but JSON. The same seed gives
 * the same corpus; a violation prints the line that replays that one input.
 */
import type { Dialect } from './db.js';
import type { Attempt, InputClass } from './inputs/common.js';
import { runFileInputs } from './inputs/files.js';
import { runHostileInputs } from './inputs/hostile.js';
import { runUrlInputs } from './inputs/urls.js';
import { prng } from './scenario.js';
import type { Server } from './servers.js';

export const INPUT_KIND = 'input';

/**
 * Open findings of this corpus outside input handling, each described in RELIABILITY.md ("Chaos"): an input
 * whose only violation is one of these — its apply failing with this message, and the state that left — is
 * counted as known and printed in one line, not failed, so the kind stays a gate for anything new. Delete an
 * entry when its fix lands.
 */
const KNOWN: { dialects: Dialect[]; finding: string; match: RegExp }[] = [
  // None open: the six this corpus found (a subquery or a type's clause in a default, values a type does not take,
  // expressions that change their session, `?` in a default, names held by what plan did not look at) are refused
  // at plan since — but a value only some rows break, which stops the backfill naming the row (inputs/hostile.ts
  // takes that, rolled back) — test/integration/plan-checks.test.ts.
];

function knownFinding(dialect: Dialect, a: Attempt): string | undefined {
  const k = KNOWN.find((k) => k.dialects.includes(dialect) && a.problems.some((p) => k.match.test(p)));
  return k && a.problems.every((p) => k.match.test(p) || /^apply \(exit (1|internal)\)/.test(p)) ? k.finding : undefined;
}

/** Inputs per round and dialect, and how many of them also go through the CLI (`url` tries every form by every source: 104). */
const SIZE = { file: { n: 100, cli: 4 }, hostile: { n: 70, cli: 2 }, url: { cli: 6 } };
const CLASSES: InputClass[] = ['file', 'hostile', 'url'];

export interface InputRound {
  dialect: Dialect;
  round: number;
  attempts: Attempt[];
  seconds: number;
  /** Per class, how long it took. */
  classSeconds: Partial<Record<InputClass, number>>;
}

/**
 * One round of every class on `server`. `only` (`ROUND:CLASS:INDEX`, from a
 * replay line) runs that one input and skips the other rounds.
 */
export async function runInputs(server: Server, o: { seed: number; round: number; only?: string }): Promise<InputRound> {
  const t0 = Date.now();
  const attempts: Attempt[] = [];
  const classSeconds: InputRound['classSeconds'] = {};
  const [onlyRound, onlyClass, onlyIndex] = o.only?.split(':') ?? [];
  if (o.only === undefined || Number(onlyRound) === o.round) {
    for (const cls of CLASSES) {
      if (onlyClass !== undefined && onlyClass !== cls) continue;
      const ctx = {
        server,
        dialect: server.dialect,
        rnd: prng(`${o.seed}:${o.round}:input:${cls}`),
        round: o.round,
        only: onlyIndex === undefined ? undefined : Number(onlyIndex),
        record: (a: Attempt) => void attempts.push({ ...a, known: a.problems.length ? knownFinding(server.dialect, a) : undefined }),
        starting: (index: number, what: string) => {
          if (process.env.XC_CHAOS_TRACE) process.stderr.write(`[chaos ${server.dialect}] starting ${o.round}:${cls}:${index} (${what})\n`);
        },
      };
      const c0 = Date.now();
      try {
        if (cls === 'file') await runFileInputs(ctx, SIZE.file.n, SIZE.file.cli);
        if (cls === 'hostile') await runHostileInputs(ctx, SIZE.hostile.n, SIZE.hostile.cli);
        if (cls === 'url') await runUrlInputs(ctx, SIZE.url.cli);
      } catch (err) {
        // The class itself broke (its database, a server error): one violation, replayed with the class's first input.
        attempts.push({ cls, index: -1, what: `the ${cls} class`, outcome: 'crashed', problems: [String((err as Error)?.stack ?? err)], cli: false });
      }
      classSeconds[cls] = (Date.now() - c0) / 1000;
    }
  }
  return { dialect: server.dialect, round: o.round, attempts, seconds: (Date.now() - t0) / 1000, classSeconds };
}

/** `outcome ×count, …`, most frequent first. */
function outcomes(attempts: Attempt[]): string {
  const counts = new Map<string, number>();
  for (const a of attempts) counts.set(a.outcome, (counts.get(a.outcome) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join('; ');
}

/** The lines a round prints: per class the inputs and outcomes; per violation what went wrong and its replay line. */
export function inputLines(r: InputRound, replay: (only: string) => string): string[] {
  const lines: string[] = [];
  for (const cls of CLASSES) {
    const as = r.attempts.filter((a) => a.cls === cls);
    if (!as.length) continue;
    const bad = as.filter(violated);
    const known = as.filter((a) => a.known);
    lines.push(
      `[chaos ${r.dialect}] round ${r.round} input ${cls}: ${as.length} inputs (${as.filter((a) => a.cli).length} also by the CLI) in ${Math.round(r.classSeconds[cls] ?? 0)} s, ${bad.length} violations, ${known.length} known: ${outcomes(as)}`,
    );
    for (const a of known) lines.push(`    ${cls} #${a.index} (${a.what}): known — ${a.known}; replay: ${replay(`${r.round}:${cls}:${a.index}`)}`);
    for (const a of bad) {
      lines.push(`    ${cls} #${a.index} (${a.what}):`);
      for (const p of a.problems) lines.push(`      ${p.replace(/\n/g, '\n      ')}`);
      lines.push(`      replay: ${replay(`${r.round}:${cls}:${Math.max(0, a.index)}`)}`);
    }
  }
  lines.push(`[chaos ${r.dialect}] round ${r.round} input: ${Math.round(r.seconds)} s`);
  return lines;
}

/** The summary table's rows for the `input` kind: per dialect and class, inputs tried, by the CLI, violations, outcomes. */
export function inputSummary(rounds: InputRound[]): string[] {
  if (!rounds.length) return [];
  const lines = ['dialect   input     tried  by CLI  violations  known  outcomes'];
  for (const dialect of [...new Set(rounds.map((r) => r.dialect))]) {
    for (const cls of CLASSES) {
      const as = rounds.filter((r) => r.dialect === dialect).flatMap((r) => r.attempts.filter((a) => a.cls === cls));
      if (!as.length) continue;
      const cells = [dialect.padEnd(9), cls.padEnd(9), String(as.length).padStart(5), String(as.filter((a) => a.cli).length).padStart(7), String(as.filter(violated).length).padStart(11)];
      lines.push([...cells, String(as.filter((a) => a.known).length).padStart(6), ` ${outcomes(as)}`].join(' '));
    }
  }
  return lines;
}

const violated = (a: Attempt) => a.problems.length > 0 && !a.known;
export const inputFailed = (r: InputRound) => r.attempts.some(violated);
