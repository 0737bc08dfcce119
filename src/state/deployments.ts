/**
 * The deploy gate's evidence in the state tables: deployments recorded by the
 * pipeline and instances heartbeating through the library. Times are the
 * database's, never the callers' clocks, in microseconds (MySQL's bare
 * CURRENT_TIMESTAMP is whole seconds), and written as Dialect.stateNow.
 */
import type { Session } from '../db/driver.js';
import type { Dialect } from '../dialects/dialect.js';
import type { DeploymentInfo } from '../api.js';

export type DeploymentRow = DeploymentInfo;

export interface InstanceRow {
  id: string;
  app: string;
  version: string;
  /** null: recorded without --env. */
  env: string | null;
  level: string | null;
  /** The level its build asked for, when `level` was lowered below it (as DeploymentInfo.buildLevel). */
  buildLevel?: string;
  host: string | null;
  pid: number | null;
  /**
   * The TTL it beats for (its own xc's --instance-ttl, which its beat interval comes from); null: a row an older xc
   * wrote, or a state whose table lacks the column — the reader's TTL then. The gate judges by the larger of the two.
   */
  ttlMs: number | null;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  ageMs: number;
  /** Its first heartbeat (UTC, the database's clock). */
  startedAt: string;
}

// Times come as ISO 8601 UTC text (Dialect.stateTime); no environment is null, alike in deployments, instances and blockers.
const iso = (v: unknown) => (v == null ? null : String(v));
const millis = (v: unknown) => new Date(String(v)).getTime();
const envOf = (v: unknown) => (v == null || v === '' ? null : String(v));
/**
 * `build_level` when above `level` (which `levelOfBuild` lowered), else nothing: the gate then reads `level` alike for
 * both. Null or missing (a row an older xc wrote, a state whose table lacks the column: rows are read with `*`) is
 * nothing too, as is a build level not above an unknown or higher `level` (one an older xc wrote over it).
 */
function buildLevelOf(row: Record<string, unknown>): { buildLevel?: string } {
  const level = row.level == null ? null : String(row.level);
  const build = row.build_level == null ? null : String(row.build_level);
  return level !== null && build !== null && build > level ? { buildLevel: build } : {};
}

/** A stored TTL, when it is one (a positive number of milliseconds); anything else is none: the reader's TTL then. */
function ttlOf(v: unknown): number | null {
  const n = v == null ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

export class DeploymentStore {
  constructor(private readonly dialect: Dialect) {}

  private t(name: string) {
    return this.dialect.stateTable(name);
  }

  /**
   * `buildLevel`: the level the build asked for, before levelOfBuild lowered it to `level`. A record again moves
   * `recorded_at` (when its level was set: the gate's remedy for a level set before a migration began expanding) and
   * keeps `first_recorded_at` (when the version was first known: unseenByGate). Both columns must be there
   * (StateStore.addColumns); `first_recorded_at` is the ISO text reads return, as they read it with `d.*`.
   */
  async record(s: Session, d: { app: string; env: string; version: string; level: string | null; buildLevel: string | null; actor: string }): Promise<void> {
    const updated = await s.query(
      // first_recorded_at first: MySQL's SET reads the values assigned before it (a row an older xc wrote keeps its own time).
      `UPDATE ${this.t('deployments')} SET first_recorded_at = COALESCE(first_recorded_at, ${this.dialect.stateTime('recorded_at')}), level = ?, build_level = ?, recorded_at = ${this.dialect.stateNow}, retired_at = NULL, actor = ? WHERE app = ? AND env = ? AND version = ?`,
      [d.level, d.buildLevel, d.actor, d.app, d.env, d.version],
    );
    if (updated.rowCount === 0) {
      await s.query(`INSERT INTO ${this.t('deployments')} (app, env, version, level, build_level, actor, recorded_at, first_recorded_at) VALUES (?, ?, ?, ?, ?, ?, ${this.dialect.stateNow}, ${this.dialect.stateTime(this.dialect.stateNow)})`, [
        d.app,
        d.env,
        d.version,
        d.level,
        d.buildLevel,
        d.actor,
      ]);
    }
  }

  async retire(s: Session, d: { app: string; env: string; version: string }): Promise<number> {
    const r = await s.query(`UPDATE ${this.t('deployments')} SET retired_at = ${this.dialect.stateNow} WHERE app = ? AND env = ? AND version = ? AND retired_at IS NULL`, [d.app, d.env, d.version]);
    return r.rowCount;
  }

  async deployments(s: Session): Promise<DeploymentRow[]> {
    // `d.*`: build_level where the table has it (a state an older xc made lacks it until a deploy record adds it).
    const r = await s.query<Record<string, unknown>>(
      `SELECT d.*, ${this.dialect.stateTime('d.recorded_at')} AS recorded_utc, ${this.dialect.stateTime('d.retired_at')} AS retired_utc FROM ${this.t('deployments')} d ORDER BY d.app, d.env, d.recorded_at, d.version`,
    );
    return r.rows.map((row) => ({
      app: String(row.app),
      env: envOf(row.env),
      version: String(row.version),
      level: (row.level as string | null) ?? null,
      ...buildLevelOf(row),
      recordedAt: iso(row.recorded_utc)!,
      // Null: a row an older xc wrote, or a state whose table lacks the column (recorded before it came).
      ...(row.first_recorded_at != null ? { firstRecordedAt: String(row.first_recorded_at) } : {}),
      retiredAt: iso(row.retired_utc),
      actor: (row.actor as string | null) ?? null,
    }));
  }

  /** `ttlMs`: the TTL it beats for (the columns must be there: StateStore.addColumns). */
  async startInstance(s: Session, i: { id: string; app: string; version: string; env: string; level: string | null; buildLevel: string | null; host: string; pid: number; ttlMs: number }): Promise<void> {
    await s.query(
      `INSERT INTO ${this.t('instances')} (id, app, version, env, level, build_level, host, pid, ttl_ms, started_at, last_beat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${this.dialect.stateNow}, ${this.dialect.stateNow})`,
      [i.id, i.app, i.version, i.env, i.level, i.buildLevel, i.host, i.pid, i.ttlMs],
    );
  }

  async beat(s: Session, id: string): Promise<void> {
    await s.query(`UPDATE ${this.t('instances')} SET last_beat_at = ${this.dialect.stateNow} WHERE id = ? AND stopped_at IS NULL`, [id]);
  }

  async stopInstance(s: Session, id: string): Promise<void> {
    await s.query(`UPDATE ${this.t('instances')} SET stopped_at = ${this.dialect.stateNow} WHERE id = ?`, [id]);
  }

  /** Instances not stopped, with the age of their last beat and the TTL each beats for (the caller applies the TTL). */
  async instances(s: Session): Promise<InstanceRow[]> {
    const r = await s.query<Record<string, unknown>>(
      `SELECT i.*, ${this.dialect.stateTime('i.last_beat_at')} AS last_beat_utc, ${this.dialect.stateTime('i.started_at')} AS started_utc, ${this.dialect.stateTime(this.dialect.stateNow)} AS now_utc FROM ${this.t('instances')} i WHERE i.stopped_at IS NULL ORDER BY i.app, i.version`,
    );
    return r.rows.map((row) => ({
      id: String(row.id),
      app: String(row.app),
      version: String(row.version),
      env: envOf(row.env),
      level: (row.level as string | null) ?? null,
      ...buildLevelOf(row),
      host: (row.host as string | null) ?? null,
      pid: row.pid == null ? null : Number(row.pid),
      // `i.*`: ttl_ms where the table has it (a state an older xc made lacks it until a heartbeat adds it).
      ttlMs: ttlOf(row.ttl_ms),
      ageMs: millis(row.now_utc) - millis(row.last_beat_utc),
      startedAt: String(row.started_utc),
    }));
  }
}
