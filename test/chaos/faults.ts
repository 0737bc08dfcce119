/**
 * The faults, each injected into one scenario (SPEC §4: every command is safe
 * to re-run after a crash at any point): SIGKILL and SIGINT/SIGTERM of xc at
 * a random event of apply, contract or rollback; a server restart during the
 * backfill or the contract; the termination of xc's advisory-lock session
 * (exit 4); server-wide statement and idle timeouts (xc still finishes).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from './db.js';
import { compare, converge, createDb, MIGRATION, startNewWriterAtDualWrite, type Command, type Flow, type Snapshot } from './scenario.js';
import type { Server } from './servers.js';
import { AppWriter } from './writers.js';
import { xc, type Hook } from './xc.js';

export const KINDS = ['kill9', 'signal', 'restart', 'lock', 'timeouts'] as const;
export type Kind = (typeof KINDS)[number];

export interface Outcome {
  kind: Kind;
  flow: Flow;
  command: Command;
  injected: boolean;
  /** How the faulted run ended: `SIGKILL`, `exit 143`, … */
  ended: string;
  runs: number;
  rowsChecked: number;
  writes: number;
  disconnects: number;
  problems: string[];
}

export interface Refs {
  snap: Record<Flow, Snapshot>;
  events: Record<Flow, Record<Command, number>>;
}

async function terminateLockSession(server: Server, db: string): Promise<void> {
  if (server.dialect === 'postgres') {
    await once(server.dialect, server.url, `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = ?`, [db]);
  } else {
    const [r] = await once<{ id: number | null }>(server.dialect, server.url, `SELECT IS_USED_LOCK(?) AS id`, [`xc:${db}:expand-contract`]);
    if (r?.id) await once(server.dialect, server.url, `KILL ${Number(r.id)}`);
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

/** `command`: which command takes the fault; rounds cycle through all three so every kind meets apply, contract and rollback. */
export async function runFault(server: Server, kind: Kind, command: Command, refs: Refs, rnd: () => number, name: string, seed: number, rows: number): Promise<Outcome> {
  const flow: Flow = command === 'apply' ? (rnd() < 0.5 ? 'contract' : 'rollback') : command;
  const at = 1 + Math.floor(rnd() * Math.max(1, refs.events[flow][command] - 1));
  const nthBackfill = 1 + Math.floor(rnd() * 3);
  const signal: NodeJS.Signals = rnd() < 0.5 ? 'SIGINT' : 'SIGTERM';
  const out: Outcome = { kind, flow, command, injected: false, ended: '', runs: 0, rowsChecked: 0, writes: 0, disconnects: 0, problems: [] };
  const pending: Promise<unknown>[] = [];
  const settle = () => Promise.all(pending);
  let backfills = 0;
  // Where in the command the fault lands: a random event line; server faults in apply land in the backfill.
  const due = (e: Record<string, unknown>, i: number) => {
    if ((kind === 'restart' || kind === 'lock') && command === 'apply') return e.event === 'backfill' && ++backfills >= nthBackfill;
    return i >= at;
  };
  const hook: Hook | undefined =
    kind === 'timeouts'
      ? undefined
      : (e, i, child: ChildProcess) => {
          if (!due(e, i)) return false;
          if (kind === 'kill9') child.kill('SIGKILL');
          if (kind === 'signal') child.kill(signal);
          if (kind === 'restart') pending.push(server.restart());
          if (kind === 'lock') pending.push(terminateLockSession(server, name));
          return true;
        };

  const db = await createDb(server, name, seed, rows);
  let old: AppWriter | undefined;
  let neu: AppWriter | undefined;
  const poll = startNewWriterAtDualWrite(db);
  try {
    if (kind === 'timeouts') await serverTimeouts(server, true);
    old = new AppWriter(db.dialect, db.url, 'old').start();
    const step = async (c: Command) => {
      const r = await converge(db, c, c === command ? hook : undefined, settle);
      await settle();
      if (c === command) {
        out.injected = r.first.fired || kind === 'timeouts';
        out.ended = r.first.signal ?? `exit ${r.first.code}`;
      }
      out.runs += r.runs;
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
    // The faulted run's own ending: what each kind must produce when it landed.
    if (out.injected) {
      const ok: Record<Kind, (s: string) => boolean> = {
        kill9: (s) => s === 'SIGKILL',
        signal: (s) => s === (signal === 'SIGINT' ? 'exit 130' : 'exit 143') || s === 'exit 0',
        restart: () => true,
        lock: (s) => s === 'exit 4' || s === 'exit 0',
        timeouts: (s) => s === 'exit 0',
      };
      if (!ok[kind](out.ended)) out.problems.push(`${command} ended with ${out.ended} after ${kind === 'signal' ? signal : kind}`);
    }
    const writers = [old, neu].filter((w): w is AppWriter => w !== undefined);
    for (const w of writers) {
      out.writes += w.writes;
      out.disconnects += w.disconnects;
      if (w.errors.length) out.problems.push(`${w.version}-version writer: ${w.errors.length} errors, first: ${w.errors[0]}`);
    }
    if (kind !== 'restart' && out.disconnects) out.problems.push(`writers lost their connection ${out.disconnects} times without a server restart`);
    const check = await compare(db, flow, refs.snap[flow], writers);
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
    await db.drop();
  }
  return out;
}
