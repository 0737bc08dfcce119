/**
 * CPU accounting for a benchmark run on this machine, from /proc: who used
 * the cores while a change ran beside a writer. Read before and after the run:
 * - the machine: /proc/stat's first line (busy = all but idle and iowait);
 * - the server: mysqld's /proc/<pid>/stat utime + stime (all its threads, ended
 *   ones included), and the writer's connection thread
 *   (/proc/<pid>/task/<TID>/stat, TID from information_schema.PROCESSLIST —
 *   one OS thread per connection, as thread_handling is checked to be);
 * - the bench process itself (process.cpuUsage) and its reaped children
 *   (/proc/self/stat cutime + cstime: the xc CLI processes, pt-osc's perl).
 * Only meaningful when the server runs on this machine; otherwise `open`
 * answers why not.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type mysql from 'mysql2/promise';
import { median, type Table } from './report.js';

/** Clock ticks per second of the /proc times. */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of a /proc/…/stat line after the `(comm)`, numbered as in proc(5) (field 3 = state). */
function statFields(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return ['', '', ...text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/)];
}
const field = (f: string[], n: number) => Number(f[n - 1] ?? NaN);

function machine(): { busy: number; idle: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest is already in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v.map((x) => x || 0);
  return { busy: user! + nice! + system! + irq! + softirq! + steal!, idle: idle! + iowait! };
}

/** One reading, in seconds (core-seconds for the CPU times). */
export interface CpuMark {
  at: number;
  machineBusy: number;
  machineIdle: number;
  server: number;
  writerThread: number;
  writerTid: number;
  self: number;
  children: number;
}

/** Core-seconds used over one run, and by whom. */
export interface CpuUse {
  wallS: number;
  machineBusy: number;
  machineIdle: number;
  /** The writer's server thread. */
  writerServer: number;
  /** The bench process (the writer's client loop, plus the bench's own monitoring and event parsing). */
  writerClient: number;
  /** The change's processes (xc's three CLI processes, or pt-osc's perl). */
  changeClient: number;
  /** mysqld less the writer's thread: the change's statements, its background work (purge, flushing), the bench's monitoring reads. */
  changeServer: number;
  /** Machine busy time used by none of the above: other processes on the machine. */
  other: number;
  /** The writer's connection changed OS thread during the run (its server share is then unknown). */
  threadChanged: boolean;
}

export const writerCpu = (u: CpuUse) => u.writerServer + u.writerClient;
export const changeCpu = (u: CpuUse) => u.changeClient + u.changeServer;

export class CpuMeter {
  private constructor(private readonly pid: number) {}

  /** A meter for the server behind `conn`, or why none can be had (server not on this machine, no /proc). */
  static async open(conn: mysql.Connection): Promise<CpuMeter | string> {
    try {
      const [[h]] = (await conn.query(`SELECT @@thread_handling AS handling, @@pid_file AS pidFile`)) as unknown as [{ handling: string; pidFile: string }[]];
      if (h!.handling !== 'one-thread-per-connection') return `thread_handling is ${h!.handling}: a connection has no thread of its own`;
      let pid = NaN;
      try {
        pid = Number(readFileSync(h!.pidFile, 'utf8').trim());
      } catch {
        pid = Number(execFileSync('pidof', ['mariadbd', 'mysqld'], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
      }
      if (!/mysqld|mariadbd/.test(readFileSync(`/proc/${pid}/comm`, 'utf8'))) return `pid ${pid} is not mysqld`;
      return new CpuMeter(pid);
    } catch (err) {
      return `the server's process is not readable here (${(err as Error).message.split('\n')[0]})`;
    }
  }

  /** The OS thread of `conn`'s connection. */
  static async threadOf(conn: mysql.Connection): Promise<number> {
    const [[r]] = (await conn.query(`SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()`)) as unknown as [{ tid: number }[]];
    return Number(r!.tid);
  }

  mark(writerTid: number): CpuMark {
    const m = machine();
    const server = statFields(`/proc/${this.pid}/stat`);
    const thread = statFields(`/proc/${this.pid}/task/${writerTid}/stat`);
    const self = statFields('/proc/self/stat');
    const cpu = process.cpuUsage();
    return {
      at: performance.now(),
      machineBusy: m.busy / TICKS,
      machineIdle: m.idle / TICKS,
      server: (field(server, 14) + field(server, 15)) / TICKS,
      writerThread: (field(thread, 14) + field(thread, 15)) / TICKS,
      writerTid,
      self: (cpu.user + cpu.system) / 1e6,
      children: (field(self, 16) + field(self, 17)) / TICKS,
    };
  }

  static use(a: CpuMark, b: CpuMark): CpuUse {
    const writerServer = b.writerThread - a.writerThread;
    const changeServer = b.server - a.server - writerServer;
    const writerClient = b.self - a.self;
    const changeClient = b.children - a.children;
    const machineBusy = b.machineBusy - a.machineBusy;
    return {
      wallS: (b.at - a.at) / 1000,
      machineBusy,
      machineIdle: b.machineIdle - a.machineIdle,
      writerServer,
      writerClient,
      changeClient,
      changeServer,
      other: machineBusy - writerServer - writerClient - changeClient - changeServer,
      threadChanged: a.writerTid !== b.writerTid,
    };
  }
}

/** One change's runs under one writer, for the CPU table. */
export interface CpuGroup {
  writer: string;
  change: string;
  runs: { ms: number; writes: number; cpu?: CpuUse }[];
}

const cs = (x: number) => x.toFixed(2);
const medOf = (g: CpuGroup, f: (u: CpuUse) => number) => median(g.runs.filter((r) => r.cpu).map((r) => f(r.cpu!)));

export function cpuTable(groups: CpuGroup[], unavailable?: string): Table {
  const cores = os.cpus().length;
  return {
    title: 'Who used the CPU (core-seconds over the run, median over rounds)',
    head: ['writer', 'change', 'wall (s)', 'writes done', 'writer: server thread + client', "change: its process(es) + server less the writer's thread", 'machine busy', 'of which other processes', 'machine idle'],
    rows: unavailable
      ? []
      : groups.map((g) => [g.writer, g.change, cs(median(g.runs.map((r) => r.ms)) / 1000), median(g.runs.map((r) => r.writes)),
          `${cs(medOf(g, writerCpu))} (${cs(medOf(g, (u) => u.writerServer))} + ${cs(medOf(g, (u) => u.writerClient))})`,
          `${cs(medOf(g, changeCpu))} (${cs(medOf(g, (u) => u.changeClient))} + ${cs(medOf(g, (u) => u.changeServer))})`,
          cs(medOf(g, (u) => u.machineBusy)), cs(medOf(g, (u) => u.other)), cs(medOf(g, (u) => u.machineIdle))]),
    notes: [
      ...(unavailable ? [`Not measured: ${unavailable}.`] : []),
      `From /proc, read just before the change starts and just after it ends (${cores} cores: the machine has ${cores} core-seconds per second of wall time). Machine busy / idle: /proc/stat (idle includes iowait). ` +
        "Writer: its connection's mysqld thread (PROCESSLIST.TID → /proc/<mysqld>/task/<TID>/stat utime + stime) plus the bench process's own CPU (process.cpuUsage: the writer's client loop, and the bench's small monitoring and event parsing). " +
        "Change: the CPU of the bench's reaped children (/proc/self/stat cutime + cstime: xc's three CLI processes, or pt-osc's perl) plus mysqld's whole CPU less the writer's thread (the tool's statements and triggers, InnoDB's background purge and flushing, the bench's status reads). " +
        "The dual-write triggers (xc's and pt-osc's) run inside the writer's own statements, so their cost is counted in the writer's server thread, not in the change's. " +
        'Other processes: machine busy less both — the rest of the machine (other jobs sharing it), which competes for the same cores.',
    ],
  };
}

/** The conclusion on one writer: the change's CPU against its wall time, xc against pt-osc. */
export function cpuConclusion(label: string, xc: CpuGroup, pt: CpuGroup): string {
  if (!xc.runs.some((r) => r.cpu) || !pt.runs.some((r) => r.cpu)) return `${label}: CPU not measured.`;
  const pairs = xc.runs.map((r, i) => [r, pt.runs[i]!] as const).filter(([a, b]) => a.cpu && b.cpu);
  const wallRatio = median(pairs.map(([a, b]) => a.ms / b.ms));
  const changeRatio = median(pairs.map(([a, b]) => changeCpu(a.cpu!) / changeCpu(b.cpu!)));
  const [cx, cp] = [medOf(xc, changeCpu), medOf(pt, changeCpu)];
  const [wx, wp] = [medOf(xc, writerCpu), medOf(pt, writerCpu)];
  const share = (g: CpuGroup, f: (u: CpuUse) => number) => Math.round(median(g.runs.filter((r) => r.cpu).map((r) => (f(r.cpu!) * 100) / (r.cpu!.machineBusy + r.cpu!.machineIdle))));
  // The extra core-seconds of xc's run that are the runs' own (other processes left out: they are the shared
  // machine's noise): how much is the writer running faster, how much is xc's change costing more.
  const dChange = cx - cp;
  const dWriter = wx - wp;
  const writerPart = dWriter > 0 ? Math.round((dWriter * 100) / (Math.max(dChange, 0) + dWriter)) : 0;
  const cores = os.cpus().length;
  const floorS = cx / cores;
  const ptWall = median(pt.runs.map((r) => r.ms)) / 1000;
  const split =
    `Of the ${cs(Math.max(dChange, 0) + Math.max(dWriter, 0))} more core-s the two runs' own work took under xc, the writer's faster pace is ${cs(dWriter)} (${writerPart}%) and xc's change doing more work ${cs(dChange)} (${100 - writerPart}%). ` +
    `The runs' own work (change + writer) filled ${share(xc, (u) => changeCpu(u) + writerCpu(u))}% of the machine's capacity under xc, ${share(pt, (u) => changeCpu(u) + writerCpu(u))}% under pt-osc (${100 / cores}% is one core); the cores were ${100 - share(xc, (u) => u.machineIdle)}% / ${100 - share(pt, (u) => u.machineIdle)}% busy in all. ` +
    `With the ${cores} cores to itself, no writer and no other process, xc's change could take no less than ${cs(cx)} / ${cores} = ${cs(floorS)} s against pt-osc's ${cs(ptWall)} s here (${(floorS / ptWall).toFixed(2)}×). `;
  // The hypothesis: the wall-time gap is the writer's CPU, not xc doing more work. It holds when xc's change costs about
  // what pt-osc's does (≤ 1.2×); it fails when most of the extra core-seconds are xc's change's own.
  const verdict = changeRatio <= 1.2
    ? "**holds**: xc's change costs about the CPU pt-osc's does; its longer wall time is the cores it shares with a writer running at full speed (and other processes)"
    : writerPart < 25
      ? `**does not hold**: xc's change itself costs ${changeRatio.toFixed(2)}× pt-osc's CPU, most of the extra core-seconds — xc does more work`
      : `**holds in part**: the writer's CPU is ${writerPart}% of the extra core-seconds, but xc's change itself costs ${changeRatio.toFixed(2)}× pt-osc's CPU — xc also does more work`;
  return (
    `${label}: xc's change used ${cs(cx)} core-s against pt-osc's ${cs(cp)} (${changeRatio.toFixed(2)}×, median of per-round ratios) next to a wall-time ratio of ${wallRatio.toFixed(2)}× (xc: its processes ${cs(medOf(xc, (u) => u.changeClient))} + server ${cs(medOf(xc, (u) => u.changeServer))}; pt-osc: perl ${cs(medOf(pt, (u) => u.changeClient))} + server ${cs(medOf(pt, (u) => u.changeServer))}); ` +
    `the writer used ${cs(wx)} core-s during xc (${share(xc, writerCpu)}% of the machine's capacity over the run) against ${cs(wp)} during pt-osc (${share(pt, writerCpu)}%); ` +
    `other processes took ${share(xc, (u) => u.other)}% / ${share(pt, (u) => u.other)}% and the cores sat idle ${share(xc, (u) => u.machineIdle)}% / ${share(pt, (u) => u.machineIdle)}%. ` +
    split +
    `Hypothesis "the wall-time gap is the application's writes' CPU, not xc doing more work": ${verdict}.`
  );
}
