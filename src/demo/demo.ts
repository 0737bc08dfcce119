/**
 * `xc demo`: a rolling deploy of a small app ("shop") played step by step on
 * an embedded PostgreSQL (PGlite), through the library exactly as a pipeline
 * would drive the CLI. Each step says what happened — the equivalent `xc`
 * command line, what it answered (errors verbatim, with their exit code), the
 * SQL each application version sent — and what the rows look like after it.
 *
 * Everything it reports is deterministic (no timings), except what the
 * library itself embeds in a message (a blocker names when the deployment was
 * recorded), so a test can assert the text.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { CheckResult, Phase, RunResult, Xc, XcEvent } from '../api.js';
import { errorCodeOf, ExitCode, exitCodeOf, XcError, type ErrorCode } from '../errors.js';
import { createXc } from '../xc.js';

export const DEMO_APP = 'shop';
export const V1_LEVEL = '0001_create_users';
export const V2_LEVEL = '0002_rename_name';

/** The two migration files the demo writes, as `xc new --format json` would hold them. */
export const DEMO_MIGRATIONS: Record<string, object> = {
  [V1_LEVEL]: {
    description: 'Create users(id, name)',
    operations: [
      {
        createTable: {
          table: 'users',
          columns: [
            { name: 'id', type: 'bigserial', primaryKey: true },
            { name: 'name', type: 'text', nullable: false },
          ],
        },
      },
    ],
  },
  [V2_LEVEL]: {
    description: 'Rename users.name to users.full_name',
    operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }],
  },
};

export type Cell = string | number | boolean | null;

/** A small snapshot of a table (or of a catalog query), for printing. */
export interface DemoTable {
  title: string;
  columns: string[];
  rows: Cell[][];
}

/** One migration moved by an `xc` command: its phases in order and what each statement did. */
export interface DemoMigrationMove {
  id: string;
  /** from, then every phase it went through, e.g. pending → expanding → … → backfilled. */
  phases: Phase[];
  rows?: number;
  /** `phase: description` of each statement run (from the library's `step` events). */
  statements: string[];
}

export interface DemoAction {
  /** `xc`: a command of the pipeline; `sql`: a statement an application version sent. */
  kind: 'xc' | 'sql';
  /** For `sql`: which version of the app sent it. */
  by?: 'v1' | 'v2';
  /** The command line (`xc contract`) or the SQL. */
  command: string;
  ok: boolean;
  /** For `xc`: the exit code the CLI gives. */
  exitCode?: number;
  /** What it answered, one line each (an error's message verbatim). */
  output: string[];
  /** Migrations it moved. */
  migrations?: DemoMigrationMove[];
  /** The library's result, or `{message, exitCode, details}` of its error. */
  result?: unknown;
  error?: { message: string; exitCode: number; code: ErrorCode; details: Record<string, unknown> };
}

export interface DemoStep {
  n: number;
  title: string;
  /** Plain sentences: what this step is about and what to notice. */
  explain: string[];
  /** Migration files written in this step. */
  files: { name: string; content: string }[];
  actions: DemoAction[];
  tables: DemoTable[];
}

export interface DemoResult {
  ok: true;
  steps: DemoStep[];
}

export interface DemoOptions {
  /** A PGlite instance to play on (left open); default a new in-memory one (closed at the end). */
  connection?: PGlite;
  /** Folder to write the migration files into (kept); default a temporary folder (removed at the end). */
  dir?: string;
  /** Each step, as soon as it is done. */
  onStep?: (step: DemoStep) => void;
  /** The library's own events (phase, step, backfill, verify...). */
  onEvent?: (event: XcEvent) => void;
}

/** The step did not go as the story says: a bug in xc (or the demo), never the user's fault. */
export class DemoOffScriptError extends XcError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(`xc demo went off script: ${message}`, details);
  }
}

const sqlText = (value: string) => `'${value.replace(/'/g, "''")}'`;

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const ownDb = opts.connection === undefined;
  const ownDir = opts.dir === undefined;
  let db: PGlite | undefined = opts.connection;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'xc-demo-')));
  let xc: Xc | undefined;
  try {
    if (!db) {
      const { PGlite } = await import('@electric-sql/pglite');
      db = new PGlite();
      await db.waitReady;
    }
    let buffer: XcEvent[] = [];
    xc = createXc({
      connection: db,
      dir,
      actor: 'demo',
      onEvent: (e) => {
        buffer.push(e);
        opts.onEvent?.(e);
      },
    });
    const play = new Play(db, xc, dir, () => {
      const events = buffer;
      buffer = [];
      return events;
    });
    const steps: DemoStep[] = [];
    for (const step of STORY) {
      const s = await play.step(step.title, step.explain, step.run);
      steps.push(s);
      opts.onStep?.(s);
    }
    return { ok: true, steps };
  } finally {
    await xc?.close().catch(() => undefined);
    if (ownDb) await db?.close().catch(() => undefined);
    if (ownDir) await rm(dir, { recursive: true, force: true });
  }
}

/** What a step's body can do; every action is recorded in the step. */
class Play {
  private current!: DemoStep;
  private n = 0;

  constructor(
    private readonly db: PGlite,
    readonly xc: Xc,
    private readonly dir: string,
    private readonly takeEvents: () => XcEvent[],
  ) {}

  async step(title: string, explain: string[], run: (p: Play) => Promise<void>): Promise<DemoStep> {
    this.current = { n: ++this.n, title, explain, files: [], actions: [], tables: [] };
    await run(this);
    return this.current;
  }

  async writeMigration(id: string): Promise<void> {
    const name = `${id}.json`;
    const content = compactJson(DEMO_MIGRATIONS[id]);
    await writeFile(path.join(this.dir, name), content + '\n');
    this.current.files.push({ name, content });
  }

  /**
   * Run one library call as the pipeline would run `command`, and check it
   * ends the way the story says (`expect`: the exit code).
   */
  async xcCommand<T>(command: string, expect: number, call: () => Promise<T>, describe: (r: T) => string[] = () => []): Promise<DemoAction> {
    this.takeEvents();
    let action: DemoAction;
    try {
      const result = await call();
      action = { kind: 'xc', command, ok: true, exitCode: ExitCode.ok, output: describe(result), result };
      const moved = movesOf(result, this.takeEvents());
      if (moved) action.migrations = moved;
    } catch (err) {
      const exitCode = exitCodeOf(err);
      const message = err instanceof Error ? err.message : String(err);
      const details = err instanceof XcError ? err.details : {};
      action = { kind: 'xc', command, ok: false, exitCode, output: message.split('\n'), error: { message, exitCode, code: errorCodeOf(err), details } };
      this.takeEvents();
    }
    this.current.actions.push(action);
    if (action.exitCode !== expect) {
      throw new DemoOffScriptError(`\`${command}\` was expected to exit ${expect} but exited ${action.exitCode}: ${action.output.join(' / ')}`, { command });
    }
    return action;
  }

  /** A statement sent by a version of the application; `fails` when the story expects the database to refuse it. */
  async app(by: 'v1' | 'v2', sql: string, fails = false): Promise<void> {
    let action: DemoAction;
    try {
      const r = await this.db.query(sql);
      action = { kind: 'sql', by, command: sql, ok: true, output: [`${r.affectedRows ?? 0} row${r.affectedRows === 1 ? '' : 's'}`] };
    } catch (err) {
      action = { kind: 'sql', by, command: sql, ok: false, output: [`ERROR: ${err instanceof Error ? err.message : String(err)}`] };
    }
    this.current.actions.push(action);
    if (action.ok === fails) {
      throw new DemoOffScriptError(`${by}'s statement was expected to ${fails ? 'fail' : 'succeed'}: ${sql} → ${action.output.join(' ')}`);
    }
  }

  /** Silent set-up (rows already there before the story starts). */
  async seed(sql: string): Promise<void> {
    await this.db.query(sql);
  }

  async table(title: string, sql: string): Promise<void> {
    const r = await this.db.query<Record<string, unknown>>(sql);
    const columns = r.fields.map((f) => f.name);
    const rows = r.rows.map((row) => columns.map((c) => cell(row[c])));
    this.current.tables.push({ title, columns, rows });
  }

  async users(title = 'users'): Promise<void> {
    const cols = await this.db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position`,
    );
    const list = cols.rows.map((c) => `"${c.column_name}"`).join(', ');
    await this.table(title, `SELECT ${list} FROM users ORDER BY id`);
  }

  async deployments(): Promise<void> {
    const r = await this.xc.deploy.list();
    this.current.tables.push({
      title: 'xc deploy list (deployments)',
      columns: ['app@version', 'level', 'state'],
      rows: r.deployments.map((d) => [`${d.app}@${d.version}`, d.level, d.retiredAt ? 'retired' : 'live']),
    });
  }
}

/** JSON indented like JSON.stringify(v, null, 2), but with anything that fits in `width` columns kept on one line. */
export function compactJson(value: unknown, indent = '', used = indent.length, width = 88): string {
  const flat = flatJson(value);
  if (value === null || typeof value !== 'object' || used + flat.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, inner, inner.length, width)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).map(([k, v]) => {
    const prefix = `${inner}${JSON.stringify(k)}: `;
    return prefix + compactJson(v, inner, prefix.length, width);
  });
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** One-line JSON with a space after `:` and `,`, as people write it by hand. */
function flatJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flatJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${flatJson(v)}`).join(', ')} }`;
  return JSON.stringify(value) ?? 'null';
}

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/** For apply/contract results: each migration's phases (from the phase events) and statements. */
function movesOf(result: unknown, events: XcEvent[]): DemoMigrationMove[] | undefined {
  const migrations = (result as Partial<RunResult> & Partial<CheckResult>)?.migrations ?? (result as Partial<CheckResult>)?.applied;
  if (!Array.isArray(migrations)) return undefined;
  return migrations.map((m) => {
    const phases: Phase[] = [m.from];
    const statements: string[] = [];
    for (const e of events) {
      if (e.event === 'phase' && e.migration === m.id) phases.push(e.to);
      if (e.event === 'step' && e.migration === m.id) statements.push(`${e.phase}: ${e.description}`);
    }
    if (phases.at(-1) !== m.phase) phases.push(m.phase);
    return { id: m.id, phases, ...(m.rows !== undefined ? { rows: m.rows } : {}), statements };
  });
}

const recorded = (r: { deployment: { app: string; version: string; level: string | null } }) => [
  `recorded ${r.deployment.app}@${r.deployment.version} live at level ${r.deployment.level ?? 'unknown'}`,
];
const mayGoLive = (r: CheckResult) => [`${r.app}@${r.version} may go live (level ${r.level ?? 'none'})`];

interface StoryStep {
  title: string;
  explain: string[];
  run: (p: Play) => Promise<void>;
}

const CHECK_V2 = `xc check --app ${DEMO_APP} --version v2`;

/** The rolling deploy, step by step. */
const STORY: StoryStep[] = [
  {
    title: 'v1 is running',
    explain: [
      `Version v1 of the app "${DEMO_APP}" is built with one migration, ${V1_LEVEL}: that id is v1's schema level.`,
      'The pipeline applied it, recorded v1 as deployed, and contracted it (a new table has no old shape to remove).',
    ],
    async run(p) {
      await p.writeMigration(V1_LEVEL);
      await p.xcCommand('xc apply', 0, () => p.xc.apply() as Promise<RunResult>);
      await p.xcCommand(`xc deploy record --app ${DEMO_APP} --version v1 --level ${V1_LEVEL}`, 0, () => p.xc.deploy.record({ app: DEMO_APP, version: 'v1', level: V1_LEVEL }), recorded);
      await p.xcCommand('xc contract', 0, () => p.xc.contract());
      await p.seed(`INSERT INTO users (name) VALUES ('Ada Lovelace'), ('Grace Hopper'), ('Alan Turing')`);
      await p.app('v1', `INSERT INTO users (name) VALUES (${sqlText('Edsger Dijkstra')})`);
      await p.users();
      await p.deployments();
    },
  },
  {
    title: 'a new migration: rename users.name to users.full_name',
    explain: [
      `v2 of the app reads and writes "full_name". It ships with the migration ${V2_LEVEL}, so its level is ${V2_LEVEL}.`,
      'The pre-deploy stage asks xc whether v2 may go live: not yet, the migration it needs has not run.',
      '`xc apply` expands (adds full_name and a trigger that keeps both columns in sync, both ways) and backfills the existing rows.',
      'Nothing was removed: v1 keeps working. Now v2 may go live.',
    ],
    async run(p) {
      await p.writeMigration(V2_LEVEL);
      await p.xcCommand(CHECK_V2, ExitCode.refused, () => p.xc.check({ app: DEMO_APP, version: 'v2' }), mayGoLive);
      await p.xcCommand('xc apply', 0, () => p.xc.apply() as Promise<RunResult>);
      await p.xcCommand(CHECK_V2, 0, () => p.xc.check({ app: DEMO_APP, version: 'v2' }), mayGoLive);
      await p.users();
      await p.table(
        'triggers on users',
        `SELECT t.tgname AS trigger,
                'BEFORE ' || concat_ws(' OR ', CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' END, CASE WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' END) || ' FOR EACH ROW' AS fires,
                f.proname || '()' AS function
           FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
          WHERE t.tgrelid = 'users'::regclass AND NOT t.tgisinternal
          ORDER BY 1`,
      );
    },
  },
  {
    title: 'v2 deployed beside v1, both writing',
    explain: [
      'During a rolling deploy, v1 and v2 run at the same time against the same table.',
      'v1 writes only "name", v2 writes only "full_name"; the trigger fills in the other column, so every row agrees.',
    ],
    async run(p) {
      await p.xcCommand(`xc deploy record --app ${DEMO_APP} --version v2 --level ${V2_LEVEL}`, 0, () => p.xc.deploy.record({ app: DEMO_APP, version: 'v2', level: V2_LEVEL }), recorded);
      await p.app('v1', `INSERT INTO users (name) VALUES (${sqlText('Barbara Liskov')})`);
      await p.app('v2', `INSERT INTO users (full_name) VALUES (${sqlText('Margaret Hamilton')})`);
      await p.app('v2', `UPDATE users SET full_name = ${sqlText('Ada King')} WHERE id = 1`);
      await p.app('v1', `UPDATE users SET name = ${sqlText('Grace Brewster Hopper')} WHERE id = 2`);
      await p.table('users', `SELECT id, name, full_name, CASE WHEN name IS NOT DISTINCT FROM full_name THEN 'yes' ELSE 'NO' END AS "in sync" FROM users ORDER BY id`);
      await p.deployments();
    },
  },
  {
    title: 'contract refused while v1 lives',
    explain: [
      'Contract would drop "name", which v1 still uses.',
      `The deploy gate sees v1 recorded as live at a level below ${V2_LEVEL}, and refuses with exit 3: try again later. Nothing changed.`,
      `Besides recorded deployments, the gate counts instances heartbeating through the library and PostgreSQL sessions named "${DEMO_APP}@v1".`,
    ],
    async run(p) {
      await p.xcCommand('xc contract', ExitCode.refused, () => p.xc.contract());
      await p.users();
    },
  },
  {
    title: 'v1 retired, contract succeeds',
    explain: [
      'The rollout is over: the last v1 instance stopped and the pipeline retired v1.',
      'Now nothing live needs the old shape: contract checks that every row agrees, drops the trigger and "name", and carries NOT NULL over to "full_name".',
    ],
    async run(p) {
      await p.xcCommand(`xc deploy retire --app ${DEMO_APP} --version v1`, 0, () => p.xc.deploy.retire({ app: DEMO_APP, version: 'v1' }), () => [`retired ${DEMO_APP}@v1`]);
      await p.xcCommand('xc contract', 0, () => p.xc.contract());
      await p.users();
      await p.deployments();
    },
  },
  {
    title: 'a rollback deploy to v1 is refused',
    explain: [
      'Someone tries to roll back to v1. The pre-deploy check refuses it: v1 needs "name", and contract removed it.',
      'Without the gate, v1 would have gone live and failed on its first write:',
    ],
    async run(p) {
      await p.xcCommand(`xc check --app ${DEMO_APP} --version v1 --level ${V1_LEVEL}`, ExitCode.refused, () => p.xc.check({ app: DEMO_APP, version: 'v1', level: V1_LEVEL }), mayGoLive);
      await p.app('v1', `INSERT INTO users (name) VALUES (${sqlText('Donald Knuth')})`, true);
    },
  },
];
