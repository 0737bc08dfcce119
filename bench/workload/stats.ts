/**
 * What one workload run leaves behind, whatever drove it (pgbench on PostgreSQL, the Node driver on
 * MariaDB): every query with its start (epoch ms), latency and outcome, and the summaries the section
 * reports over a time span (a condition's whole run, or one phase of xc's lifecycle).
 */
import { percentile } from '../report.js';

export type Op = 'select' | 'update' | 'insert';
export const OPS: Op[] = ['select', 'update', 'insert'];
/** The mix: point SELECT 60 %, UPDATE 30 %, INSERT 10 %. */
export const WEIGHTS: Record<Op, number> = { select: 60, update: 30, insert: 10 };
export const CONNECTIONS = 16;

export interface Query {
  /** Epoch ms when the query (pgbench: its transaction) started. */
  at: number;
  ms: number;
  op: Op;
  ok: boolean;
}

export interface WorkloadRun {
  queries: Query[];
  /** Failures without a query of their own (a pgbench client that aborted), with when they were seen. */
  aborts: { at: number; message: string }[];
  /** First few failure messages, for the report. */
  errors: string[];
  /** Epoch ms: the workload's first and last moment. */
  from: number;
  to: number;
  /** Successful writes, for the data checks. */
  inserts: number;
  updates: number;
}

export interface Summary {
  queries: number;
  perSec: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  /** Epoch ms when the slowest query started. */
  maxAt: number;
  seconds: number;
}

/** Queries that started in [from, to); failures include aborts seen then. */
export function summarize(run: WorkloadRun, from = run.from, to = run.to): Summary {
  const qs = run.queries.filter((q) => q.at >= from && q.at < to);
  const ok = qs.filter((q) => q.ok);
  const lat = ok.map((q) => q.ms);
  let max = 0;
  let maxAt = from;
  for (const q of ok) if (q.ms > max) (max = q.ms), (maxAt = q.at);
  const seconds = Math.max(0.001, (to - from) / 1000);
  const failed = qs.length - ok.length + run.aborts.filter((a) => a.at >= from && a.at < to).length;
  return { queries: qs.length, perSec: ok.length / seconds, failed, p50: percentile(lat, 50), p99: percentile(lat, 99), max, maxAt, seconds };
}

/** Pick an operation by WEIGHTS from a number in [0, 100). */
export function opOf(r: number): Op {
  return r < WEIGHTS.select ? 'select' : r < WEIGHTS.select + WEIGHTS.update ? 'update' : 'insert';
}

export interface Span {
  label: string;
  from: number;
  to: number;
}

/** What the driver lets the migration side do while the workload runs. */
export interface WorkloadControl {
  /** Share of queries (0..100) that run the new version (amount_big) from now on. */
  setNewPct(pct: number): Promise<void>;
  /** Resolves once no query of the old version is running or can still start (after setNewPct(100)). */
  drainOld(): Promise<void>;
}
