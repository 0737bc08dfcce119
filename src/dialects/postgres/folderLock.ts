/**
 * One xc process at a time on a pglite:// folder (SPEC §4). PGlite's
 * advisory locks live in each process's own PGlite, so they keep out nothing
 * of another process's — and two processes with one data folder open corrupt
 * it ("could not open file base/5/…", a finished migration gone from the
 * state). So while xc has a folder open it holds a lock file beside it,
 * `<folder>.xc-lock` (not inside: initdb wants the folder empty), created
 * with O_EXCL and holding the pid, this boot and the process's start time.
 *
 * Every command takes it, the read-only ones (status, plan, check, log…)
 * too: PGlite writes to its folder even to read (WAL replay at start, a
 * checkpoint on close), so a reader beside a writer corrupts it just the
 * same. A second xc gets exit 4 at once naming the holder, or waits with
 * --wait-lock, as for the advisory lock.
 *
 * A lock file outlives a kill -9: one whose process is gone (no such pid, a
 * pid now someone else's — another start time —, or another boot) is taken
 * over. Only under a second O_EXCL file (`.takeover`), and only if it is
 * still the dead holder's when read again under it, so two xc finding the
 * same stale file cannot both remove it and both go in.
 *
 * Only folders xc opens itself: a PGlite instance an application hands in
 * is the application's, and so is its folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InterruptedError, LockHeldError } from '../../errors.js';

export interface FolderLock {
  /** The lock file. */
  readonly file: string;
  /** Remove the lock file, if it is still this one (sync: also run at process exit). */
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id: a pid from an earlier boot is no one's. */
  boot?: string;
  /** The process's start time since boot in clock ticks (/proc/PID/stat): a pid reused by another process starts later. */
  started?: string;
  since: string;
  purpose: string;
  token: string;
}

/** A lock file with no content (its writer died between creating and writing it) is stale once this old. */
const UNWRITTEN_STALE_MS = 10_000;

/** The lock file of a folder: beside it, named after it. */
export function folderLockFile(folder: string): string {
  // One folder reached by two paths (a symlink) must be one lock: the real path, where it exists.
  let real = folder;
  try {
    real = fs.realpathSync(folder);
  } catch {
    try {
      real = path.join(fs.realpathSync(path.dirname(folder)), path.basename(folder));
    } catch {
      // Neither exists yet: PGlite creates the folder (and fails on a missing parent, as before).
    }
  }
  return `${real}.xc-lock`;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

const bootId = (): string | undefined => readText('sys/kernel/random/boot_id')?.trim() || undefined;

/** Field 22 of /proc/PID/stat (starttime), after the command name, which may hold spaces and parentheses. */
function startTicks(pid: number): string | undefined {
  const stat = readText(`${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function parse(raw: string): Holder | undefined {
  try {
    const h = JSON.parse(raw) as Holder;
    return typeof h?.pid === 'number' && typeof h.token === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `raw` is gone; never for one on another host (its pids cannot be checked from here). */
function isStale(raw: string, file: string): boolean {
  const h = parse(raw);
  if (!h) {
    try {
      return Date.now() - fs.statSync(file).mtimeMs > UNWRITTEN_STALE_MS;
    } catch {
      return false; // gone meanwhile: the next try creates it
    }
  }
  if (h.host !== os.hostname()) return false;
  const boot = bootId();
  if (h.boot && boot && h.boot !== boot) return true;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    // EPERM: alive, another user's.
  }
  const started = startTicks(h.pid);
  return h.started !== undefined && started !== undefined && started !== h.started;
}

/** The holder in words, for the message and the waiting_lock event. */
function describe(raw: string | undefined): string {
  const h = raw === undefined ? undefined : parse(raw);
  if (!h) return 'a process that is still writing the lock file';
  const here = h.host === os.hostname();
  const who = h.pid === process.pid && here ? `this process (pid ${h.pid})` : `pid ${h.pid}${here ? '' : ` on ${h.host}`}`;
  return `${h.purpose}, ${who}, since ${h.since}${here ? '' : ' (another host: if no xc runs there, remove the lock file)'}`;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Create `file` holding `content`, or false when it exists. */
function create(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

const unlink = (file: string) => {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
};

/** Remove the lock file `stale` was read from, if it still holds exactly that; false when another xc is at it. */
function takeOver(file: string, stale: string, mine: string): boolean {
  const guard = `${file}.takeover`;
  if (!create(guard, mine)) {
    // Another xc is taking it over; or died doing so (its guard then stale the same way).
    const other = read(guard);
    if (other !== undefined && isStale(other, guard)) unlink(guard);
    return false;
  }
  try {
    if (read(file) === stale) unlink(file);
  } finally {
    unlink(guard);
  }
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Take `folder`'s lock: at once, or within `waitMs`, else LockHeldError (exit 4) naming the holder.
 * `purpose` says who takes it (`xc apply`).
 */
export async function lockFolder(folder: string, o: { purpose: string; waitMs?: number; onWait?: (holder: string) => void; signal?: AbortSignal }): Promise<FolderLock> {
  const file = folderLockFile(folder);
  const token = randomUUID();
  const started = startTicks(process.pid);
  const boot = bootId();
  const content = JSON.stringify({ pid: process.pid, host: os.hostname(), ...(boot ? { boot } : {}), ...(started ? { started } : {}), since: new Date().toISOString(), purpose: o.purpose, token } satisfies Holder);
  const deadline = Date.now() + (o.waitMs ?? 0);
  let announced = false;
  for (;;) {
    let created: boolean;
    try {
      created = create(file, content);
    } catch (err) {
      throw new LockHeldError(
        `cannot create ${file}, the lock that keeps other xc processes out of the PGlite folder ${folder} while this one has it open: ${(err as Error).message}`,
        { holder: null, lockFile: file },
        { cause: err },
      );
    }
    if (created) break;
    const raw = read(file);
    if (raw === undefined) continue; // released meanwhile
    if (isStale(raw, file)) {
      if (!takeOver(file, raw, content)) await sleep(10);
      continue;
    }
    const holder = describe(raw);
    if (Date.now() >= deadline) {
      throw new LockHeldError(
        `another xc has this PGlite folder open: ${holder} — lock file ${file}${o.waitMs ? '' : ' (use --wait-lock SECONDS to wait for it)'}`,
        { holder, lockFile: file },
      );
    }
    if (o.signal?.aborted) throw new InterruptedError(`stopped (${String(o.signal.reason ?? 'stop requested')}) while waiting for ${file}; nothing was done`, String(o.signal.reason ?? 'stop requested'));
    if (!announced) o.onWait?.(holder);
    announced = true;
    await sleep(Math.min(250, Math.max(10, deadline - Date.now())));
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      // Only if it is still this one: never another's that took over a lock thought stale.
      if (read(file) === content) unlink(file);
    } catch {
      // A lock file that cannot be removed is stale once this process ends.
    }
  };
  // process.exit (a second Ctrl-C) skips close(): the file goes with the process. A kill -9 leaves it, stale.
  process.on('exit', release);
  return { file, release };
}
