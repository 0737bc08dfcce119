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
  host: string | null;
  pid: number | null;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  ageMs: number;
  /** Its first heartbeat (UTC, the database's clock). */
  startedAt: string;
}

// Times come as ISO 8601 UTC text (Dialect.stateTime); no environment is null, alike in deployments, instances and blockers.
const iso = (v: unknown) => (v == null ? null : String(v));
const millis = (v: unknown) => new Date(String(v)).getTime();
const envOf = (v: unknown) => (v == null || v === '' ? null : String(v));

export class DeploymentStore {
  constructor(private readonly dialect: Dialect) {}

  private t(name: string) {
    return this.dialect.stateTable(name);
  }

  async record(s: Session, d: { app: string; env: string; version: string; level: string | null; actor: string }): Promise<void> {
    const updated = await s.query(
      `UPDATE ${this.t('deployments')} SET level = ?, recorded_at = ${this.dialect.stateNow}, retired_at = NULL, actor = ? WHERE app = ? AND env = ? AND version = ?`,
      [d.level, d.actor, d.app, d.env, d.version],
    );
    if (updated.rowCount === 0) {
      await s.query(`INSERT INTO ${this.t('deployments')} (app, env, version, level, actor, recorded_at) VALUES (?, ?, ?, ?, ?, ${this.dialect.stateNow})`, [d.app, d.env, d.version, d.level, d.actor]);
    }
  }

  async retire(s: Session, d: { app: string; env: string; version: string }): Promise<number> {
    const r = await s.query(`UPDATE ${this.t('deployments')} SET retired_at = ${this.dialect.stateNow} WHERE app = ? AND env = ? AND version = ? AND retired_at IS NULL`, [d.app, d.env, d.version]);
    return r.rowCount;
  }

  async deployments(s: Session): Promise<DeploymentRow[]> {
    const r = await s.query<Record<string, unknown>>(`SELECT app, env, version, level, ${this.dialect.stateTime('recorded_at')} AS recorded_at, ${this.dialect.stateTime('retired_at')} AS retired_at, actor FROM ${this.t('deployments')} ORDER BY app, env, recorded_at, version`);
    return r.rows.map((row) => ({
      app: String(row.app),
      env: envOf(row.env),
      version: String(row.version),
      level: (row.level as string | null) ?? null,
      recordedAt: iso(row.recorded_at)!,
      retiredAt: iso(row.retired_at),
      actor: (row.actor as string | null) ?? null,
    }));
  }

  async startInstance(s: Session, i: { id: string; app: string; version: string; env: string; level: string | null; host: string; pid: number }): Promise<void> {
    await s.query(`INSERT INTO ${this.t('instances')} (id, app, version, env, level, host, pid, started_at, last_beat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ${this.dialect.stateNow}, ${this.dialect.stateNow})`, [i.id, i.app, i.version, i.env, i.level, i.host, i.pid]);
  }

  async beat(s: Session, id: string): Promise<void> {
    await s.query(`UPDATE ${this.t('instances')} SET last_beat_at = ${this.dialect.stateNow} WHERE id = ? AND stopped_at IS NULL`, [id]);
  }

  async stopInstance(s: Session, id: string): Promise<void> {
    await s.query(`UPDATE ${this.t('instances')} SET stopped_at = ${this.dialect.stateNow} WHERE id = ?`, [id]);
  }

  /** Instances not stopped, with the age of their last beat (the caller applies the TTL). */
  async instances(s: Session): Promise<InstanceRow[]> {
    const r = await s.query<Record<string, unknown>>(
      `SELECT id, app, version, env, level, host, pid, ${this.dialect.stateTime('last_beat_at')} AS last_beat_at, ${this.dialect.stateTime('started_at')} AS started_at, ${this.dialect.stateTime(this.dialect.stateNow)} AS now_at FROM ${this.t('instances')} WHERE stopped_at IS NULL ORDER BY app, version`,
    );
    return r.rows.map((row) => ({
      id: String(row.id),
      app: String(row.app),
      version: String(row.version),
      env: envOf(row.env),
      level: (row.level as string | null) ?? null,
      host: (row.host as string | null) ?? null,
      pid: row.pid == null ? null : Number(row.pid),
      ageMs: millis(row.now_at) - millis(row.last_beat_at),
      startedAt: String(row.started_at),
    }));
  }
}
