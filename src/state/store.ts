/**
 * xc's state inside the target database (SPEC §4): migrations and their
 * phases, the step journal, backfill cursors and the append-only event log.
 * Written in portable SQL with `?` placeholders; table names come from the
 * dialect. JSON is stored as text so both dialects read it the same way.
 */
import type { Session } from '../db/driver.js';
import { STATE_TABLES, type Dialect } from '../dialects/dialect.js';
import { assertTransition, type OperationPlan, type Stage, type Step, type StoredPhase } from '../plan/index.js';
import type { MigrationDefinition } from '../migration/schema.js';
import type { LogEvent } from '../api.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { PassRow } from './progress.js';
import { InvalidInputError } from '../errors.js';

type StateTable = (typeof STATE_TABLES)[number];
/**
 * Columns each state table has from its first version on (dialects' stateSchema): what tells it from another of its
 * name. Never one added later (Dialect.stateColumnsAdded): a state an older xc made must still count as xc's.
 */
const STATE_SIGNATURE: Record<StateTable, string[]> = {
  migrations: ['id', 'checksum', 'phase', 'definition'],
  steps: ['migration_id', 'phase', 'seq', 'statement'],
  backfill: ['migration_id', 'seq', 'table_name', 'position'],
  events: ['migration_id', 'actor', 'command', 'event'],
  deployments: ['app', 'version', 'level', 'retired_at'],
  instances: ['id', 'app', 'version', 'last_beat_at'],
};

/** An event's detail as written (JSON text); a row written by hand that is not JSON stays text. */
function parseDetail(v: unknown): unknown {
  if (v == null) return null;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    return String(v);
  }
}

export interface MigrationRow {
  id: string;
  checksum: string;
  description: string | null;
  phase: StoredPhase;
  definition: MigrationDefinition;
  plan: OperationPlan;
  lastError: string | null;
  updatedAt: string | null;
  /** When it last began expanding (UTC, the database's clock): a version whose level was set before cannot have it (gate.ts). */
  expandedAt: string | null;
}

/** The stages whose steps are journaled (the backfill keeps cursors instead). */
export type StepPhase = Exclude<Stage, 'backfill'>;

export interface StepRow {
  seq: number;
  status: 'pending' | 'running' | 'done';
}

/**
 * One part of a pass over a table: the rows after `cursor` up to `to`
 * (inclusive; null: to the end). A pass walked by one worker has one part.
 */
export interface BackfillRow {
  seq: number;
  part: number;
  table: string;
  cursor: unknown[] | null;
  to: unknown[] | null;
  done: number;
  total: number;
  batchSize: number | null;
  finished: boolean;
}

const PHASE_COLUMN: Record<StoredPhase, string> = {
  expanding: 'expanding_at',
  dual_write: 'dual_write_at',
  backfilling: 'backfilling_at',
  backfilled: 'backfilled_at',
  contracting: 'contracting_at',
  contracted: 'contracted_at',
  rolling_back: 'rolling_back_at',
  rolled_back: 'rolled_back_at',
};

export class StateStore {
  constructor(private readonly dialect: Dialect) {}

  private t(name: string): string {
    return this.dialect.stateTable(name);
  }

  /** Every state table is there, and xc's (a part-made state is not: the next command that writes completes it). */
  async exists(s: Session): Promise<boolean> {
    return (await this.presence(s)).present.length === STATE_TABLES.length;
  }

  /**
   * The state tables there, and those missing from a state begun but not
   * complete (qualified; [] when complete or not begun at all): a kill -9
   * during creation on MySQL, where each CREATE commits, or a hand.
   */
  async presence(s: Session): Promise<{ present: string[]; missing: string[] }> {
    const present = await this.dialect.stateTables(s);
    if (present.length > 0) await this.assertOwn(s, present);
    const missing = present.length === 0 ? [] : STATE_TABLES.filter((n) => !present.includes(n)).map((n) => this.t(n));
    return { present, missing };
  }

  /**
   * The state tables there are xc's, by columns of theirs (one round trip, reading no row): an application's own
   * schema `xc` or table `xc_events` would otherwise be read as xc's state, or written into, and every command fail
   * on a raw SQL error.
   */
  private async assertOwn(s: Session, present: string[]): Promise<void> {
    const probe = (tables: string[]) =>
      s.query(`SELECT 1 AS x FROM ${tables.map((n, i) => `(SELECT ${STATE_SIGNATURE[n as StateTable].join(', ')} FROM ${this.t(n)} WHERE 1 = 0) AS s${i}`).join(' CROSS JOIN ')}`);
    try {
      await probe(present);
    } catch (err) {
      // Only a column it lacks tells a table from xc's; anything else (the connection, a privilege) is the command's error.
      if (!this.dialect.isUndefinedColumn(err)) throw err;
      const foreign: string[] = [];
      for (const n of present) if (!(await this.hasColumns(s, n, STATE_SIGNATURE[n as StateTable]))) foreign.push(this.t(n));
      if (foreign.length === 0) throw err;
      throw new InvalidInputError(
        `${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not xc's: xc keeps its state under ${foreign.length > 1 ? 'these names' : 'this name'} in the target database, and found a table of other columns there — ` +
          'rename the application\'s own (or, on PostgreSQL, for tables outside public, name their schema with --schema: the state is then kept apart, in xc_<schema>); nothing was done',
        { tables: foreign },
        { code: 'state_foreign' },
      );
    }
  }

  /**
   * Adds the columns a state an older xc made lacks (Dialect.stateColumnsAdded), each only when missing: a probe
   * reading no row, then a plain ADD COLUMN (MySQL 8 has no ADD COLUMN IF NOT EXISTS), in autocommit. Another process
   * adding it at once (deploy records run in parallel) makes this one's ALTER fail, or wait and fail: the column is
   * there then, which is all that is asked. Run by the commands that write these columns; reads never change the state.
   */
  async addColumns(s: Session): Promise<void> {
    for (const c of this.dialect.stateColumnsAdded()) {
      if (await this.hasColumns(s, c.table, [c.column])) continue;
      try {
        await s.query(`ALTER TABLE ${this.t(c.table)} ADD COLUMN ${this.dialect.quote(c.column)} ${c.type}`);
      } catch (err) {
        if (!(await this.hasColumns(s, c.table, [c.column]))) throw err;
      }
    }
  }

  /** Whether state table `table` has these columns, reading no row; an error other than a column it lacks is thrown. */
  private hasColumns(s: Session, table: string, columns: readonly string[]): Promise<boolean> {
    return s.query(`SELECT ${columns.join(', ')} FROM ${this.t(table)} WHERE 1 = 0`).then(
      () => true,
      (err: unknown) => (this.dialect.isUndefinedColumn(err) ? false : Promise.reject(err)),
    );
  }

  async ensure(s: Session): Promise<boolean> {
    if (await this.exists(s)) return false;
    await this.create(s);
    return true;
  }

  /**
   * Every state table, each statement IF NOT EXISTS: finishes what an
   * interrupted creation began. Where DDL is transactional, all of it in
   * one transaction, so a kill -9 part-way leaves nothing half-made.
   */
  async create(s: Session): Promise<void> {
    try {
      await this.createTables(s);
    } catch (err) {
      // The server's "permission denied for database app" does not say that xc was making its own tables (campaign AH).
      if (err instanceof Error && !err.message.startsWith('creating xc')) {
        err.message = `creating xc's state tables (${this.t('migrations')} and the others, made once, by the first command that writes; the role needs CREATE where they go): ${err.message}`;
      }
      throw err;
    }
  }

  private async createTables(s: Session): Promise<void> {
    const statements = this.dialect.stateSchema();
    if (!this.dialect.transactionalDdl) {
      for (const sql of statements) await s.query(sql);
      return;
    }
    await s.query('BEGIN');
    try {
      for (const sql of statements) await s.query(sql);
      await s.query('COMMIT');
    } catch (err) {
      await s.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async migrations(s: Session): Promise<MigrationRow[]> {
    const r = await s.query<Record<string, unknown>>(
      `SELECT id, checksum, description, phase, definition, plan, last_error, ${this.dialect.stateTime('updated_at')} AS updated_at, ${this.dialect.stateTime('expanding_at')} AS expanding_at FROM ${this.t('migrations')}`,
    );
    // In id order as the files are ordered (code units): ORDER BY would use the database's collation (ICU puts `0003_b` before `0003-a`).
    const rows = r.rows.sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
    return rows.map((row) => ({
      id: String(row.id),
      checksum: String(row.checksum),
      description: (row.description as string | null) ?? null,
      phase: row.phase as MigrationRow['phase'],
      definition: JSON.parse(String(row.definition)) as MigrationDefinition,
      plan: JSON.parse(String(row.plan ?? 'null')) as OperationPlan,
      lastError: (row.last_error as string | null) ?? null,
      updatedAt: row.updated_at == null ? null : String(row.updated_at),
      expandedAt: row.expanding_at == null ? null : String(row.expanding_at),
    }));
  }

  /**
   * Start (or restart after a rollback) a migration: its row, its plan, its expand journal — in the caller's transaction.
   * Its earlier row, journal and cursors are deleted: allowed only where the phase machine allows a new start.
   */
  async begin(s: Session, m: { id: string; checksum: string; description: string | null; definition: MigrationDefinition; plan: OperationPlan }): Promise<void> {
    const earlier = await s.query<{ phase: StoredPhase }>(`SELECT phase FROM ${this.t('migrations')} WHERE id = ?`, [m.id]);
    assertTransition(earlier.rows[0]?.phase ?? 'pending', 'expanding');
    await s.query(`DELETE FROM ${this.t('steps')} WHERE migration_id = ?`, [m.id]);
    await s.query(`DELETE FROM ${this.t('backfill')} WHERE migration_id = ?`, [m.id]);
    await s.query(`DELETE FROM ${this.t('migrations')} WHERE id = ?`, [m.id]);
    const [definition, plan] = [JSON.stringify(m.definition), JSON.stringify(m.plan)];
    await s.query(
      `INSERT INTO ${this.t('migrations')} (id, checksum, description, phase, definition, plan, expanding_at, updated_at)
       VALUES (?, ?, ?, 'expanding', ?, ?, ${this.dialect.stateNow}, ${this.dialect.stateNow})`,
      [m.id, m.checksum, m.description, definition, plan],
    ).catch((err: unknown) => {
      // MySQL's max_allowed_packet caps a statement: the server's words name neither xc's state nor what to do (campaign AI-04).
      if (!/max_allowed_packet/i.test((err as Error).message ?? '')) throw err;
      const bytes = Buffer.byteLength(definition) + Buffer.byteLength(plan);
      throw new InvalidInputError(
        `${m.id}: xc keeps the migration and its plan (${bytes} bytes of JSON) in its state table before the first step, and the server refused a statement that long (max_allowed_packet): nothing of the migration ran — raise max_allowed_packet (SET GLOBAL max_allowed_packet = …, and in the server's configuration), or split the migration`,
        { migration: m.id, bytes },
        { code: 'invalid_config' },
      );
    });
    await this.journal(s, m.id, 'expand', m.plan.expand);
  }

  /** Move a migration on from `from`, the phase the caller read; a move the phase machine does not allow is a bug and throws. */
  async setPhase(s: Session, id: string, from: StoredPhase, phase: StoredPhase): Promise<void> {
    assertTransition(from, phase);
    await s.query(
      `UPDATE ${this.t('migrations')} SET phase = ?, ${PHASE_COLUMN[phase]} = ${this.dialect.stateNow}, updated_at = ${this.dialect.stateNow}, last_error = NULL WHERE id = ?`,
      [phase, id],
    );
  }

  /**
   * A phase just entered taken back, nothing of it run: the gate, asked once the phase was written (so that a deploy
   * record racing it sees the one or the other), refused it (engine/lifecycle.ts, gateOnEntry). Not a move of the
   * phase machine: the migration is where it was.
   */
  async revertEntry(s: Session, id: string, entered: StoredPhase, back: StoredPhase): Promise<void> {
    await s.query(`UPDATE ${this.t('migrations')} SET phase = ?, updated_at = ${this.dialect.stateNow} WHERE id = ? AND phase = ?`, [back, id, entered]);
  }

  async setError(s: Session, id: string, error: string | null): Promise<void> {
    await s.query(`UPDATE ${this.t('migrations')} SET last_error = ?, updated_at = ${this.dialect.stateNow} WHERE id = ?`, [error, id]);
  }

  /**
   * The throttle's note on the migration's row (`xc status` shows it): set
   * while a backfill is held back; null clears it, and only a note starting
   * with `prefix` (never another error).
   */
  async noteThrottle(s: Session, id: string, prefix: string, note: string | null): Promise<void> {
    if (note !== null) await s.query(`UPDATE ${this.t('migrations')} SET last_error = ? WHERE id = ?`, [note, id]);
    else await s.query(`UPDATE ${this.t('migrations')} SET last_error = NULL WHERE id = ? AND last_error LIKE ?`, [id, `${prefix}%`]);
  }

  /**
   * An edited `sql` text taken into a started migration (engine/editedSql.ts): its recorded definition, plan and
   * checksum, and the journal's statements of the steps edited (where that phase's journal is written already). A
   * step interrupted while it ran goes back to pending: the new text is what runs next.
   */
  async takeEdit(s: Session, id: string, m: { checksum: string; definition: MigrationDefinition; plan: OperationPlan }, phase: StepPhase, edits: { seq: number; text: string }[]): Promise<void> {
    await s.query(`UPDATE ${this.t('migrations')} SET checksum = ?, definition = ?, plan = ?, updated_at = ${this.dialect.stateNow} WHERE id = ?`, [m.checksum, JSON.stringify(m.definition), JSON.stringify(m.plan), id]);
    for (const e of edits) {
      await s.query(`UPDATE ${this.t('steps')} SET statement = ?, status = 'pending', started_at = NULL, done_at = NULL WHERE migration_id = ? AND phase = ? AND seq = ? AND status <> 'done'`, [e.text, id, phase, e.seq]);
    }
  }

  /** Write the steps of a phase as pending (idempotent: an existing journal is kept). */
  async journal(s: Session, id: string, phase: StepPhase, steps: Step[]): Promise<void> {
    const existing = await s.query(`SELECT 1 AS x FROM ${this.t('steps')} WHERE migration_id = ? AND phase = ?`, [id, phase]);
    if (existing.rows.length > 0) return;
    for (const [seq, step] of steps.entries()) {
      await s.query(`INSERT INTO ${this.t('steps')} (migration_id, phase, seq, description, statement, status) VALUES (?, ?, ?, ?, ?, 'pending')`, [
        id,
        phase,
        seq,
        step.description,
        step.sql,
      ]);
    }
  }

  async steps(s: Session, id: string, phase: StepPhase): Promise<StepRow[]> {
    const r = await s.query<{ seq: number; status: StepRow['status'] }>(
      `SELECT seq, status FROM ${this.t('steps')} WHERE migration_id = ? AND phase = ? ORDER BY seq`,
      [id, phase],
    );
    return r.rows.map((row) => ({ seq: Number(row.seq), status: row.status }));
  }

  /** Back to 'pending' (never attempted) when what the attempt met was not xc's (engine/ownership.ts). */
  async markStep(s: Session, id: string, phase: StepPhase, seq: number, status: StepRow['status']): Promise<void> {
    const at = { pending: 'started_at = NULL, done_at = NULL', running: `started_at = ${this.dialect.stateNow}`, done: `done_at = ${this.dialect.stateNow}` }[status];
    await s.query(`UPDATE ${this.t('steps')} SET status = ?, ${at} WHERE migration_id = ? AND phase = ? AND seq = ?`, [status, id, phase, seq]);
  }

  async backfills(s: Session, id: string): Promise<BackfillRow[]> {
    const r = await s.query<Record<string, unknown>>(
      `SELECT seq, part, table_name, position, upper_bound, done, total, batch_size, finished_at FROM ${this.t('backfill')} WHERE migration_id = ? ORDER BY seq, part`,
      [id],
    );
    const json = (v: unknown) => decodeCursor(v == null ? null : String(v));
    return r.rows.map((row) => ({
      seq: Number(row.seq),
      part: Number(row.part),
      table: String(row.table_name),
      cursor: json(row.position),
      to: json(row.upper_bound),
      done: Number(row.done),
      total: Number(row.total),
      batchSize: row.batch_size == null ? null : Number(row.batch_size),
      finished: row.finished_at != null,
    }));
  }

  /**
   * Every migration's passes, by table: what each did and its total. A part's total is an estimate until it is walked:
   * rows written meanwhile take it past it (status showed "14,651 of 13,779"), and a pass's estimate is split evenly
   * over parts of uneven key ranges. A part has at least what it did, and one not walked to its end at least one row
   * more (campaign BM: a killed fill showed "31,489/31,489 (100%)"). The expand phase's fills (negative seq) are
   * marked: backfillProgress shows them only while the expand fills.
   */
  async allBackfills(s: Session): Promise<Map<string, Map<string, PassRow[]>>> {
    const r = await s.query<{ migration_id: string; seq: number | string; table_name: string; done: string | number; total: string | number; open: string | number }>(
      `SELECT migration_id, seq, table_name, SUM(done) AS done, SUM(CASE WHEN finished_at IS NOT NULL THEN done WHEN done >= total THEN done + 1 ELSE total END) AS total, SUM(CASE WHEN finished_at IS NULL THEN 1 ELSE 0 END) AS open
       FROM ${this.t('backfill')} GROUP BY migration_id, seq, table_name ORDER BY seq`,
    );
    const passes = new Map<string, Map<string, PassRow[]>>();
    for (const row of r.rows) {
      const tables = passes.get(row.migration_id) ?? new Map<string, PassRow[]>();
      passes.set(row.migration_id, tables);
      const pass = { fill: Number(row.seq) < 0, open: Number(row.open) > 0, done: Number(row.done), total: Number(row.total) };
      tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), pass]);
    }
    return passes;
  }

  /** Forget the backfill phase's cursors (not the expand's fills), so its passes start over. */
  async resetBackfills(s: Session, id: string): Promise<void> {
    await s.query(`DELETE FROM ${this.t('backfill')} WHERE migration_id = ? AND seq >= 0`, [id]);
  }

  /** A pass's parts, all in one statement: a pass is split once, and a resumed one keeps its split. */
  async createBackfill(s: Session, id: string, seq: number, table: string, parts: { from: unknown[] | null; to: unknown[] | null; total: number }[]): Promise<void> {
    const json = (v: unknown[] | null) => (v === null ? null : encodeCursor(v));
    await s.query(
      `INSERT INTO ${this.t('backfill')} (migration_id, seq, part, table_name, position, upper_bound, total, updated_at) VALUES ${parts.map(() => `(?, ?, ?, ?, ?, ?, ?, ${this.dialect.stateNow})`).join(', ')}`,
      parts.flatMap((p, i) => [id, seq, i, table, json(p.from), json(p.to), p.total]),
    );
  }

  /** Advance a part's cursor: called in the same transaction as the batch it records. */
  async advanceBackfill(s: Session, id: string, seq: number, part: number, cursor: unknown[], rows: number, batchSize: number): Promise<void> {
    await s.query(
      `UPDATE ${this.t('backfill')} SET position = ?, done = done + ?, batch_size = ?, updated_at = ${this.dialect.stateNow} WHERE migration_id = ? AND seq = ? AND part = ?`,
      [encodeCursor(cursor), rows, batchSize, id, seq, part],
    );
  }

  /** A part's estimate raised (a resumed pass over a table grown since its split), by part. */
  async raiseBackfillTotals(s: Session, id: string, seq: number, totals: { part: number; total: number }[]): Promise<void> {
    for (const t of totals) await s.query(`UPDATE ${this.t('backfill')} SET total = ? WHERE migration_id = ? AND seq = ? AND part = ? AND total < ?`, [t.total, id, seq, t.part, t.total]);
  }

  /** The part is walked: its total becomes what it counted, no longer the estimate it started with. */
  async finishBackfill(s: Session, id: string, seq: number, part: number): Promise<void> {
    await s.query(`UPDATE ${this.t('backfill')} SET finished_at = ${this.dialect.stateNow}, total = done WHERE migration_id = ? AND seq = ? AND part = ?`, [id, seq, part]);
  }

  /**
   * The event log, oldest first (in the order written). `since`: ISO 8601
   * UTC text of six fractional digits, compared with the times as stateTime
   * writes them — one fixed format, so text order is time order on both
   * dialects. `limit`: the newest N.
   */
  async events(s: Session, f: { migration?: string; since?: string; limit?: number }): Promise<LogEvent[]> {
    const at = this.dialect.stateTime('at');
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.migration !== undefined) {
      where.push('migration_id = ?');
      params.push(f.migration);
    }
    if (f.since !== undefined) {
      where.push(`${at} >= ?`);
      params.push(f.since);
    }
    if (f.limit !== undefined) params.push(f.limit);
    const r = await s.query<Record<string, unknown>>(
      `SELECT ${at} AS at, actor, command, event, migration_id, reason, detail FROM ${this.t('events')}` +
        `${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${f.limit !== undefined ? 'DESC LIMIT ?' : ''}`,
      params,
    );
    const rows = r.rows.map((row) => ({
      at: String(row.at),
      actor: String(row.actor),
      command: String(row.command),
      event: String(row.event),
      migration: (row.migration_id as string | null) ?? null,
      reason: (row.reason as string | null) ?? null,
      detail: parseDetail(row.detail),
    }));
    return f.limit !== undefined ? rows.reverse() : rows;
  }

  /** The database's clock, ISO 8601 UTC (what event times are compared with). */
  async now(s: Session): Promise<string> {
    const r = await s.query<{ now: string }>(`SELECT ${this.dialect.stateTime(this.dialect.stateNow)} AS now`);
    return String(r.rows[0]!.now);
  }

  async log(s: Session, e: { migration: string | null; actor: string; command: string; event: string; reason?: string | null; detail?: unknown }): Promise<void> {
    await s.query(`INSERT INTO ${this.t('events')} (migration_id, actor, command, event, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?, ${this.dialect.stateNow})`, [
      e.migration,
      e.actor,
      e.command,
      e.event,
      e.reason ?? null,
      e.detail === undefined ? null : JSON.stringify(e.detail),
    ]);
  }
}
