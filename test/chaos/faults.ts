/**
 * The faults, each injected into one scenario (SPEC §4: every command is safe
 * to re-run after a crash at any point; §5: no step stalls the application
 * longer than the lock timeout). All but `timeouts` land at a point of the
 * command picked among its parts (expand/contract/rollback DDL, backfill,
 * verify, phase changes) and then among that part's event lines:
 * - kill9: SIGKILL of xc;
 * - signal: SIGINT or SIGTERM (exit 130/143 required, or 0 if it had finished; a signal landing in Node's teardown,
 *   after xc chose its code, is judged by that code);
 * - restart: the server restarts (PostgreSQL fast shutdown, MariaDB SIGKILL);
 * - lock-lost: xc's advisory-lock session is terminated (exit 4, or 0 if no change was left);
 * - timeouts: server-wide statement and idle timeouts for the whole scenario (xc still finishes first time);
 * - blocker: an application session holds a lock xc needs, from that point or from before
 *   the command, for 2–6 s against `--lock-retry-for 3s` (exit 0 or exit 5 naming that session).
 */
import type { ChildProcess } from 'node:child_process';
import { holdLock, HOLD_MODES, stallNotOwedToHolder, tableAhead, type Hold } from './blockers.js';
import type { ChaosMigration, Flow } from './catalogue.js';
import { once } from './db.js';
import { compare, converge, createDb, MIGRATION, pickPoint, pointOf, startNewWriterAtDualWrite, type Command, type References } from './scenario.js';
import type { Server } from './servers.js';
import { AppWriter } from './writers.js';
import { RUN_LIMIT_MS, xc, type Hook } from './xc.js';

export const KINDS = ['kill9', 'signal', 'restart', 'lock-lost', 'timeouts', 'blocker'] as const;
export type Kind = (typeof KINDS)[number];

/** The blocker kind's first run: a short lock timeout, and a retry budget some holds outlast. */
export const LOCK_TIMEOUT_MS = 1000;
const LOCK_RETRY_FOR = '3s';
const HOLDS_MS = [2000, 3500, 6000];
/** What a loaded box adds to a writer's statement beyond xc's lock timeout before a stall counts as xc's (time this process could not run is taken off first: lag.ts). */
export const STALL_MARGIN_MS = 1000;

export interface Outcome {
  kind: Kind;
  migration: string;
  flow: Flow;
  command: Command;
  /** Where the fault landed: `<part> #<n>`, `before the command`, `whole run`. */
  point: string;
  injected: boolean;
  /** How the faulted run ended: `SIGKILL`, `exit 143`, … */
  ended: string;
  /** Kind-specific: the held lock, its table and time; whether MariaDB had lock information. */
  detail: string;
  runs: number;
  rowsChecked: number;
  writes: number;
  disconnects: number;
  /** The longest writer statement, less any wait inside a hold that stops writes itself. */
  stallMs: number;
  /** The same, over the statements that overlapped a held lock only (blocker). */
  holdStallMs?: number;
  /** The most time taken off one statement because this process could not run then (lag.ts). */
  lagMs: number;
  /** Blocker: the lock mode held. */
  mode?: string;
  problems: string[];
}

async function terminateLockSession(server: Server, db: string): Promise<void> {
  if (server.dialect === 'postgres') {
    await once(server.dialect, server.url, `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = ?`, [db]);
  } else {
    const [r] = await once<{ id: number | null }>(server.dialect, server.url, `SELECT IS_USED_LOCK(?) AS id`, [`xc:${db}:expand-contract`]);
    // 1094: the holder ended between the read and the KILL (xc finished): nothing left to terminate, as when PostgreSQL's finds none.
    if (r?.id) await once(server.dialect, server.url, `KILL ${Number(r.id)}`).catch((err: { errno?: number }) => {
      if (err?.errno !== 1094) throw err;
    });
  }
}

async function serverTimeouts(server: Server, on: boolean): Promise<void> {
  const q = (sql: string) => once(server.dialect, server.url, sql);
  if (server.dialect === 'postgres') {
    if (on) {
      await q(`ALTER SYSTEM SET statement_timeout = '50ms'`);
      await q(`ALTER SYSTEM SET idle_session_timeout = '2s'`);
      await q(`ALTER SYSTEM SET idle_in_transaction_session_timeout = '1s'`);
    } else await q(`ALTER SYSTEM RESET ALL`);
    await q(`SELECT pg_reload_conf()`);
  } else {
    await q(`SET GLOBAL max_statement_time = ${on ? 0.05 : 0}`);
    await q(`SET GLOBAL wait_timeout = ${on ? 2 : 28800}`);
  }
}

/** MariaDB finds the exact holders of a table's metadata locks only with this plugin; without it xc falls back to old transactions. */
async function metadataLockInfo(server: Server, on: boolean): Promise<void> {
  await once(server.dialect, server.url, on ? `INSTALL SONAME 'metadata_lock_info'` : `UNINSTALL SONAME 'metadata_lock_info'`).catch(() => undefined);
}

/** `command`: which command takes the fault; rounds cycle through all three so every kind meets apply, contract and rollback. */
export async function runFault(server: Server, kind: Kind, command: Command, m: ChaosMigration, refs: References, rnd: () => number, name: string, seed: number, rows: number): Promise<Outcome> {
  const flow: Flow = command === 'apply' ? (rnd() < 0.5 ? 'contract' : 'rollback') : command;
  const ref = await refs.get(m, flow).catch((err: Error) => err);
  if (ref instanceof Error) return { kind, migration: m.name, flow, command, point: '', injected: false, ended: '', detail: '', runs: 0, rowsChecked: 0, writes: 0, disconnects: 0, stallMs: 0, lagMs: 0, problems: [ref.message] };
  const point = pickPoint(ref.events[command] ?? [], rnd);
  const signal: NodeJS.Signals = rnd() < 0.5 ? 'SIGINT' : 'SIGTERM';
  const modes = HOLD_MODES[server.dialect];
  const mode = modes[Math.floor(rnd() * modes.length)]!;
  const holdMs = HOLDS_MS[Math.floor(rnd() * HOLDS_MS.length)]!;
  const holdBefore = rnd() < 1 / 3;
  const lockInfo = server.dialect === 'mysql' && rnd() < 0.5;
  const out: Outcome = {
    ...{ kind, migration: m.name, flow, command, injected: false, ended: '', detail: '', runs: 0, rowsChecked: 0, writes: 0, disconnects: 0, stallMs: 0, lagMs: 0, problems: [] },
    point: kind === 'timeouts' ? 'whole run' : kind === 'blocker' && holdBefore ? 'before the command' : point ? `${point.part} #${point.nth}` : 'nowhere',
  };
  const pending: Promise<unknown>[] = [];
  let hold: Hold | undefined;
  let startClock = () => {};
  const clock = new Promise<void>((r) => (startClock = r));
  // Settling follows a run's end: a hold taken before the command whose xc printed no line (it waited on the hold from
  // its first statement, then gave up or was killed) counts its time from there, or it would wait for a line forever.
  const settle = () => (startClock(), Promise.all(pending));
  const takeHold = () => {
    // The table of xc's next step in the reference run: a lock there is in its way.
    const ahead = tableAhead(ref.events[command] ?? [], holdBefore ? 0 : (point?.index ?? 0) + 1, m.lockable);
    hold = holdLock(server.dialect, server.urlOf(name), mode, ahead, m.lockable, holdMs, rnd, holdBefore ? clock : undefined);
    pending.push(hold.released);
  };
  let seen = 0;
  const due = (e: Record<string, unknown>) => point !== undefined && pointOf(e) === point.part && ++seen >= point.nth;
  const inject: Hook = (e, _i, child: ChildProcess) => {
    if (!due(e)) return false;
    if (kind === 'kill9') child.kill('SIGKILL');
    if (kind === 'signal') child.kill(signal);
    if (kind === 'restart') pending.push(server.restart());
    if (kind === 'lock-lost') pending.push(terminateLockSession(server, name));
    if (kind === 'blocker') takeHold();
    return true;
  };
  // A lock taken before the command: its time runs from xc's first line, once xc is loaded and at work.
  const clockStarts: Hook = () => (startClock(), true);
  const hook = kind === 'timeouts' ? undefined : kind === 'blocker' && holdBefore ? clockStarts : inject;

  const db = await createDb(server, name, m, seed, rows);
  let old: AppWriter | undefined;
  let neu: AppWriter | undefined;
  const poll = startNewWriterAtDualWrite(db, m);
  try {
    if (kind === 'timeouts') await serverTimeouts(server, true);
    if (kind === 'blocker' && server.dialect === 'mysql') await metadataLockInfo(server, lockInfo);
    old = new AppWriter(db.dialect, db.url, 'old', m).start();
    let firstEnded = 0;
    const step = async (c: Command) => {
      const faulted = c === command;
      if (faulted && kind === 'blocker' && holdBefore) {
        takeHold();
        await hold!.acquired;
      }
      const extra = faulted && kind === 'blocker' ? ['--lock-timeout', `${LOCK_TIMEOUT_MS}ms`, '--lock-retry-for', LOCK_RETRY_FOR] : [];
      const r = await converge(db, c, faulted ? hook : undefined, settle, extra);
      await settle();
      if (faulted) {
        out.injected = r.first.fired || kind === 'timeouts' || (kind === 'blocker' && holdBefore);
        out.ended = r.first.signal ?? `exit ${r.first.code}`;
        // A SIGINT/SIGTERM that lands after xc chose its exit code ends the process in Node's teardown, by the signal
        // itself (Node restores the default there): judged by the code xc chose.
        if (kind === 'signal' && r.first.signal && r.first.chosen !== undefined) out.ended = `exit ${r.first.chosen} (then ${r.first.signal} in Node's teardown)`;
        firstEnded = r.first.endedAt;
        if (kind === 'blocker' && r.first.code === 5) {
          const named = ((r.first.events.at(-1)?.error as { details?: { blockers?: { session: number }[] } })?.details?.blockers ?? []).map((b) => b.session);
          const said = String((r.first.events.at(-1)?.error as { message?: string })?.message ?? '').slice(0, 800);
          if (hold?.session !== undefined && !named.includes(hold.session)) out.problems.push(`exit 5 without naming the holder (session ${hold.session}); named: ${JSON.stringify(named)}; xc said: ${said}`);
        }
      }
      out.runs += r.runs;
      if (r.first.hung || r.last.hung) out.problems.push(`${c}: a run was still going after ${RUN_LIMIT_MS / 1000} s, killed by the harness; its last lines: ${JSON.stringify((r.first.hung ? r.first : r.last).events.slice(-3))}`);
      if (r.last.code !== 0) throw new Error(`${c} did not converge in ${r.runs} runs: exit ${r.last.code} ${r.last.stderr.slice(0, 300)} ${JSON.stringify(r.last.events.at(-1))}`);
      if (kind === 'timeouts' && r.runs > 1) out.problems.push(`${c} under server-wide timeouts needed ${r.runs} runs; the first ended: ${JSON.stringify(r.first.events.slice(-3))}`);
    };
    const cancelledBefore = server.cancelled().length;
    let cancelled: string[] = [];
    await step('apply');
    neu = await poll.writer; // the migration is backfilled now: the poll sees it at once
    if (flow === 'contract') {
      const rec = await xc(['deploy', 'record', '--app', 'shop', '--version', 'v2', '--level', MIGRATION, ...db.args, '--wait-lock', '10']);
      if (rec.code !== 0) out.problems.push(`deploy record: exit ${rec.code} ${rec.stderr}`);
      await old.stop(); // the old version is retired before contract
      await step('contract');
      await neu?.stop();
    } else {
      await neu?.stop(); // the new version is gone before rollback
      await step('rollback');
      await old.stop();
    }
    if (kind === 'timeouts') {
      await serverTimeouts(server, false);
      // Name the statements the server cancelled (the writers lift the limit for themselves, so these are xc's): a retried one is no failure, but tells which failed.
      cancelled = server.cancelled().slice(cancelledBefore);
    }
    if (hold) {
      out.mode = mode;
      // A hold that was never taken, or taken only after xc's run had ended, blocked nothing.
      out.injected = hold.acquiredAt !== undefined && hold.acquiredAt < firstEnded;
      const held = hold.acquiredAt !== undefined && hold.releasedAt !== undefined ? `${((hold.releasedAt - hold.acquiredAt) / 1000).toFixed(1)} s` : 'not held';
      out.detail = `${mode} on ${hold.table ?? '?'} (session ${hold.session ?? '?'}), ${held}${server.dialect === 'mysql' ? `, lock info ${lockInfo ? 'on' : 'off'}` : ''}${hold.error ? `; holder: ${hold.error}` : ''}`;
    }
    // The faulted run's own ending: what each kind must produce when it landed.
    if (out.injected) {
      const ok: Record<Kind, (s: string) => boolean> = {
        kill9: (s) => s === 'SIGKILL',
        signal: (s) => new RegExp(`^exit (${signal === 'SIGINT' ? 130 : 143}|0)\\b`).test(s),
        restart: () => true,
        'lock-lost': (s) => s === 'exit 4' || s === 'exit 0',
        timeouts: (s) => s === 'exit 0',
        blocker: (s) => s === 'exit 0' || s === 'exit 5',
      };
      if (!ok[kind](out.ended)) out.problems.push(`${command} ended with ${out.ended} after ${kind === 'signal' ? signal : kind}`);
    }
    const writers = { old, ...(neu ? { new: neu } : {}) };
    for (const w of Object.values(writers)) {
      out.writes += w.writes;
      out.disconnects += w.disconnects;
      const stall = stallNotOwedToHolder(w.timings, hold);
      out.stallMs = Math.max(out.stallMs, stall.during, stall.outside);
      out.lagMs = Math.max(out.lagMs, stall.lag);
      if (hold) out.holdStallMs = Math.max(out.holdStallMs ?? 0, stall.during);
      if (w.errors.length) out.problems.push(`${w.version}-version writer: ${w.errors.length} errors, first: ${w.errors[0]}`);
    }
    if (kind !== 'restart' && out.disconnects) out.problems.push(`writers lost their connection ${out.disconnects} times without a server restart`);
    if (kind === 'blocker' && out.stallMs > LOCK_TIMEOUT_MS + STALL_MARGIN_MS) {
      out.problems.push(`a writer waited ${out.stallMs} ms beyond what the held lock itself cost it and the time the harness could not run (xc's lock timeout ${LOCK_TIMEOUT_MS} ms + ${STALL_MARGIN_MS} ms margin)`);
    }
    const check = await compare(db, m, flow, ref.snap, writers);
    out.rowsChecked = check.rowsChecked;
    out.problems.push(...check.problems);
    if (out.problems.length && cancelled.length) out.problems.push(`statements the server-wide timeout cancelled: ${[...new Set(cancelled)].slice(0, 5).join(' | ')}`);
  } catch (err) {
    out.problems.push(`${(err as Error).message}`);
  } finally {
    poll.stop();
    await old?.stop();
    await neu?.stop();
    await settle().catch(() => undefined);
    if (kind === 'timeouts') await serverTimeouts(server, false).catch(() => undefined);
    if (kind === 'blocker' && lockInfo) await metadataLockInfo(server, false);
    await db.drop();
  }
  return out;
}
