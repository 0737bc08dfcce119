/**
 * createXc: the library behind every command (SPEC §8). Each command loads
 * the migration files, reads the state, and — when it changes the database —
 * takes the advisory lock, creates the state tables if needed, and drives
 * each migration through its phases from wherever it stands.
 */
import os from 'node:os';
import type { CheckResult, GateBlocker, LogQuery, LogResult, MigrationOutcome, Phase, PlanResult, RunResult, StatusResult, Xc, XcOptions } from './api.js';
import type { XcEvent } from './plan/events.js';
import { withSession, type Driver } from './db/driver.js';
import { openDriver } from './db/connect.js';
import { scrub } from './db/redact.js';
import { withoutStatementLimit } from './db/statementLimit.js';
import { detectDialect } from './dialects/index.js';
import type { Dialect } from './dialects/dialect.js';
import { CannotSucceedError, InterruptedError, InvalidInputError, RefusedError } from './errors.js';
import { loadMigrations, loadRecordedFile, type MigrationFile } from './migration/load.js';
import { listMigrations, newestMigrationId } from './migration/files.js';
import { StateStore, type MigrationRow } from './state/store.js';
import { backfillProgress, type PlannedWalks } from './state/progress.js';
import { parseLimit, parseSince, sinceCutoff } from './state/logQuery.js';
import type { EngineContext } from './engine/context.js';
import { engineOptions, OPTIONS } from './options.js';
import { withAdvisoryLock } from './engine/lock.js';
import { asLockTimeout, asSqlFailed, ensureState } from './engine/retry.js';
import { awaitsContract, canBackfill, canContract, emptyPlan, isAtLeastBackfilled, isInFlight, isTerminal, isUnstarted, nextPhase, reached, type OperationPlan } from './plan/index.js';
import { blockerKey, blockersFor, gatherEvidence, rollbackBlockersFor, rollbackUnknownLevels, unseenByGate } from './gate/gate.js';
import type { Evidence } from './gate/evidence.js';
import { listDeployments, recordDeployment, retireDeployment, startHeartbeat } from './gate/deploy.js';
import { assertKnownLevel, defaultLevel, idsIfAny, levelOfBuild, missedByBuild, notReadyUpTo, removedUnder, takenAsSquashed, undoneSince, type KnownMigrations } from './gate/levels.js';
import { assertCanRollBack, assertNoDrift, assertNoMissingFiles, type DriftWays, type Loaded } from './engine/guards.js';
import type { EditableField } from './engine/editedSql.js';
import { heldByPending, madeByRawSql, madeLater, waitingNote, waitsForRawSql } from './engine/planHints.js';

type Engine = typeof import('./engine/planner.js') & typeof import('./engine/lifecycle.js') & typeof import('./engine/describe.js');
let engineLoaded: Promise<Engine> | undefined;
/**
 * The planner and the phase runner (every operation, the backfill, the DDL): loaded by the commands that plan or
 * change the database, with the dialect's DDL builders, not by status, check, level or deploy (start-up time).
 */
async function engine(dialect: Dialect): Promise<Engine> {
  engineLoaded ??= Promise.all([import('./engine/planner.js'), import('./engine/lifecycle.js'), import('./engine/describe.js')]).then(([p, l, d]) => ({ ...p, ...l, ...d }));
  // The dialect's DDL builders with it: the operations ask for its ddl() as they plan (dialects/<db>/core.ts).
  const [loaded] = await Promise.all([engineLoaded, dialect.loadDdl()]);
  return loaded;
}

/** The commands that write to the database: a standby or a read-only replica is refused for them (Dialect.notPrimary). */
const WRITING_COMMANDS = new Set(['init', 'apply', 'backfill', 'contract', 'rollback', 'deploy record', 'deploy retire', 'heartbeat']);
/** What moves a migration that is not yet backfilled on: finishing its rollback, or applying it. */
const nextStep = (row: Pick<MigrationRow, 'id' | 'phase'>) => (row.phase === 'rolling_back' ? `finish its rollback with \`xc rollback ${row.id}\`` : 'run `xc apply` first');

/**
 * The caller's onEvent. Events are sent between two statements (a step's before it runs, a batch's after it
 * committed), so a callback that throws stops the command there, as a stop asked for does (InterruptedError; the
 * test suites stop xc before any chosen step this way) — not as the step's SQL failure it was taken for, with the
 * step's statement in the message and the migration's last_error (campaign N).
 */
function reporter(onEvent: XcOptions['onEvent']): (e: XcEvent) => void {
  return (e) => {
    try {
      onEvent?.(e);
    } catch (err) {
      const why = scrub(err instanceof Error ? err.message : String(err));
      throw new InterruptedError(`stopped: the onEvent callback threw on a "${e.event}" event (${why}); nothing half done — run the command again to continue`, 'onEvent', err);
    }
  };
}

export function createXc(options: XcOptions = {}): Xc {
  return new XcImpl(options);
}

/** The walks a plan holds, by table: the expand's fills and the backfill phase's passes. */
function plannedPasses(plan: OperationPlan | undefined): PlannedWalks {
  const count = (tables: string[]) => tables.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map<string, number>());
  return { fill: count((plan?.expand ?? []).flatMap((st) => (st.fill ? [st.fill.table] : []))), backfill: count((plan?.backfill ?? []).map((b) => b.table)) };
}

/** The plans planPending made to wait for an earlier migration's raw SQL, with the refusal they stand for. */
const WAITING = new WeakMap<OperationPlan, unknown>();

class XcImpl implements Xc {
  private connected?: Promise<{ driver: Driver; dialect: Dialect; store: StateStore }>;
  private readonly engineOptions;
  private readonly dir: string;
  private readonly actor: string;

  constructor(private readonly options: XcOptions) {
    const o = options;
    this.engineOptions = engineOptions(o);
    this.dir = o.dir ?? process.env.XC_MIGRATIONS_DIR ?? OPTIONS.dir.default;
    this.actor = o.actor ?? process.env.XC_ACTOR ?? `${os.userInfo().username}@${os.hostname()}`;
  }

  /**
   * Opened by the first command (`command`), kept until close(). A pglite:// folder a command that changes nothing
   * found not created yet is an empty stand-in (Driver.notCreated), opened for real by the first command that writes.
   */
  private async connect(command: string) {
    const readOnly = !WRITING_COMMANDS.has(command);
    if (!readOnly && this.connected && (await this.connected.catch(() => undefined))?.driver.notCreated) {
      const standIn = await this.connected;
      this.connected = undefined;
      await standIn.driver.close();
    }
    this.connected ??= (async () => {
      // As the CLI does (SPEC §2), and as `dir` reads XC_MIGRATIONS_DIR: with no url, connection or knexfile given, the environment's URL.
      const given = this.options.url ?? this.options.connection ?? this.options.knexfile;
      const url = given === undefined ? process.env.XC_DATABASE_URL || process.env.DATABASE_URL || undefined : this.options.url;
      const opened = await openDriver({
        url,
        connection: this.options.connection,
        knexfile: this.options.knexfile,
        knexEnv: this.options.knexEnv,
        schema: this.options.schema,
        cwd: process.cwd(),
        connectTimeoutMs: this.options.connectTimeoutMs ?? OPTIONS.connectTimeout.default,
        // A pglite:// folder is xc's alone while open, read-only commands too (dialects/postgres/folderLock.ts): waited for like the advisory lock.
        waitLockMs: this.engineOptions.waitLockMs,
        onWaitLock: (holder) => reporter(this.options.onEvent)({ event: 'waiting_lock', holder }),
        purpose: `xc ${command}`,
        signal: this.options.signal,
        readOnly,
      });
      let dialect: Dialect;
      try {
        dialect = await detectDialect(opened, { schema: this.options.schema });
      } catch (err) {
        // close() cannot reach a driver whose connect failed: a pool xc opened (and its sessions) would stay open.
        await opened.close().catch(() => undefined);
        throw err;
      }
      // Every session xc takes works without the application's statement time limit, put back before it returns.
      // and no lock wait longer than --lock-retry-for (a MySQL statement's default is a day).
      const driver = withoutStatementLimit(opened, dialect, this.engineOptions.lockRetryForMs);
      return { driver, dialect, store: new StateStore(dialect) };
    })();
    return this.connected;
  }

  private async context(command: string): Promise<EngineContext> {
    const { driver, dialect, store } = await this.connect(command);
    // A --schema that is not there, or a state kept for other tables than these, is refused before anything is read or created.
    if (dialect.checkTarget) await withSession(driver, (s) => dialect.checkTarget!(s, { creating: command === 'init' }));
    // A command that writes is refused on a standby or a read-only replica, before anything is read or created there.
    const notPrimary = WRITING_COMMANDS.has(command) && dialect.notPrimary ? await withSession(driver, (s) => dialect.notPrimary!(s)) : null;
    if (notPrimary) throw new InvalidInputError(`xc ${command} writes to the database, and ${notPrimary} — give the primary's URL`, {}, { code: 'invalid_config' });
    return { driver, dialect, store, options: this.engineOptions, actor: this.actor, command, emit: reporter(this.options.onEvent), signal: this.options.signal, primaryUrl: this.primaryUrl() };
  }

  /** The URL connected with, if any (a knexfile or a connection object has none). */
  private primaryUrl(): string | undefined {
    return typeof this.options.connection === 'string' ? this.options.connection : this.options.connection === undefined ? this.options.url : undefined;
  }

  private async load(ctx: EngineContext, files?: MigrationFile[]): Promise<Loaded & { missing: string[] }> {
    files ??= await loadMigrations(this.dir);
    return { files, ...(await this.readState(ctx)) };
  }

  /** The state's migrations by id, and the state tables missing. */
  private async readState(ctx: EngineContext): Promise<{ rows: Map<string, MigrationRow>; missing: string[] }> {
    // A part-made state (missing tables) still has its migrations read: they are what the database has run.
    const { rows, missing } = await withSession(ctx.driver, async (s) => {
      const { present, missing } = await ctx.store.presence(s);
      return { rows: present.includes('migrations') ? await ctx.store.migrations(s) : [], missing };
    });
    return { rows: new Map(rows.map((r) => [r.id, r])), missing };
  }

  /**
   * A read-only command never creates (SPEC §4), so it cannot complete a
   * part-made state. Without a migration recorded it is a state not begun
   * (a first run killed while creating it): everything is pending. With
   * some, what the missing tables held cannot be shown: refused, naming the
   * command that completes it.
   */
  private assertReadable(loaded: { rows: ReadonlyMap<string, unknown>; missing: string[] }): void {
    if (loaded.missing.length === 0 || loaded.rows.size === 0) return;
    throw new RefusedError(
      `xc's state is incomplete: ${loaded.missing.join(', ')} ${loaded.missing.length > 1 ? 'are' : 'is'} missing (dropped, or left out by an interrupted creation); \`xc init\` (or any command that changes the database) creates ${loaded.missing.length > 1 ? 'them' : 'it'} again — nothing was done`,
      { missing: loaded.missing },
      { code: 'state_incomplete' },
    );
  }

  /**
   * Refused before anything runs: state migrations missing from --dir, and
   * (except for rollback, which runs only what the state recorded) edited files.
   */
  private async checkFiles(ctx: EngineContext, loaded: Loaded, command: string, takeAsked = false): Promise<void> {
    assertNoMissingFiles(loaded, this.dir, this.options.allowMissing === true);
    if (command !== 'rollback' && !this.engineOptions.allowDrift) await assertNoDrift(loaded, command, this.driftWays(ctx, takeAsked));
  }

  /** What a drift's message offers (guards.ts), each read only for a drifted file. */
  private driftWays(ctx: EngineContext, takeAsked: boolean): DriftWays {
    // The engine is loaded only for a drifted migration: `check` reads no more than it needs (startup).
    return {
      contractUndoable: async (row) => (await engine(ctx.dialect)).contractUndoable(ctx, row),
      editRefusal: async (row, file, field) => (await import('./engine/editedSql.js')).editRefusal(ctx, row, file, field),
      takeAsked,
    };
  }

  private targetId(loaded: Loaded, id: string | undefined): string | undefined {
    if (id !== undefined && !loaded.files.some((f) => f.id === id) && !loaded.rows.has(id)) {
      throw new InvalidInputError(`no migration "${id}" in ${this.dir} or in the database`, {}, { code: 'migration_missing' });
    }
    return id;
  }

  /**
   * Validate and plan every migration not yet started, in id order, against the schema as it will be. One refused only
   * for a table or type an earlier pending migration's raw SQL makes (waitsForRawSql) gets a plan of notes that waits:
   * `apply` plans it again once those are applied (`waitAllowed` false there: refused then is refused).
   */
  private async planPending(ctx: EngineContext, loaded: Loaded, upTo: string | undefined, waitAllowed = true): Promise<Map<string, OperationPlan>> {
    const { planMigration, project, inFlightOperations, runsFirst } = await engine(ctx.dialect);
    return withSession(ctx.driver, async (s) => {
      const model = await ctx.dialect.introspect(s);
      const inFlight = [...loaded.rows.values()].filter((row) => isInFlight(row.phase));
      for (const row of inFlight) {
        project(row.id, row.definition, model, ctx.dialect);
        model.settleUnsure(!isAtLeastBackfilled(row.phase));
        if (row.phase === 'expanding') runsFirst(model, row);
      }
      const held = inFlightOperations(inFlight);
      // Recorded with each plan: the state it goes into is for these tables, and says so (postgres/state.ts).
      const schema = (await ctx.dialect.targetSchema?.(s)) ?? undefined;
      const plans = new Map<string, OperationPlan>();
      for (const f of loaded.files) {
        if (upTo !== undefined && f.id > upTo) break;
        const row = loaded.rows.get(f.id);
        if (row && !isUnstarted(row.phase)) continue;
        const earlier = loaded.files.filter((p) => plans.has(p.id));
        const plan = await planMigration(f, model, ctx.dialect, s, held).catch((err) => {
          const told = madeLater(madeByRawSql(heldByPending(err, f.id, [...plans.keys()], (id) => loaded.rows.get(id)?.phase === 'rolled_back'), f, earlier), f, loaded.files.filter((p) => p.id > f.id));
          // A migration before it whose expand was cut short (a kill) is resumed by this apply before it: its raw SQL too.
          const resumed = loaded.files.filter((p) => p.id < f.id && loaded.rows.get(p.id)?.phase === 'expanding');
          const makers = waitAllowed ? waitsForRawSql(err, [...resumed, ...earlier]) : [];
          if (makers.length === 0) return Promise.reject(told);
          const waiting: OperationPlan = { ...emptyPlan(), notes: [waitingNote(makers, err)] };
          WAITING.set(waiting, told);
          return waiting;
        });
        plans.set(f.id, WAITING.has(plan) ? plan : { ...plan, ...(schema !== undefined ? { schema } : {}) });
      }
      return plans;
    });
  }

  /**
   * Under the advisory lock, with the state re-read. The state tables are
   * created only when `fn` is about to write (bad input leaves the database
   * exactly as it was): `fn` calls `ensureState()` first.
   */
  private async locked<T>(command: string, fn: (ctx: EngineContext, loaded: Loaded, ensureState: () => Promise<void>) => Promise<T>, take?: EditableField): Promise<T> {
    const ctx = await this.context(command);
    const files = await loadMigrations(this.dir); // invalid files fail before any lock or DDL
    return this.serverErrorsNamed(ctx, () => withAdvisoryLock(ctx, async () => {
      const loaded = await this.load(ctx, files);
      // --take-edited-sql: what it takes is no drift any more; what it leaves, the drift guard refuses, saying why. Every
      // started migration's edit it can take, not only those this command runs: the guard reads every file, and would
      // refuse the command for another one's edit (campaign CN).
      const edited = take !== undefined && loaded.missing.length === 0 ? await import('./engine/editedSql.js') : undefined;
      const taken = edited ? await edited.takeEditedSql(ctx, loaded.files, loaded.rows, take!) : [];
      await this.checkFiles(ctx, loaded, command, take !== undefined).catch((err: unknown) => {
        throw edited ? edited.withTaken(err, taken) : err;
      });
      // A part-made state is completed before anything else reads or writes it (contract and rollback create nothing else).
      if (loaded.missing.length > 0) await ensureState(ctx);
      return fn(ctx, loaded, async () => void (await ensureState(ctx)));
    }));
  }

  async init() {
    const ctx = await this.context('init');
    const created = await withAdvisoryLock(ctx, () => ensureState(ctx));
    return { ok: true as const, created };
  }

  async level() {
    return newestMigrationId(this.dir);
  }

  async plan(opts: { id?: string } = {}): Promise<PlanResult> {
    assertOptionsObject(opts, 'plan');
    const ctx = await this.context('plan');
    return this.serverErrorsNamed(ctx, () => this.planWith(ctx, opts));
  }

  /**
   * A read-only command's server errors as a writing one's are (locked): a lock not granted within --lock-retry-for is
   * exit 5 naming the holder (campaign EA: a table locked before `xc plan` began was exit 1, the server's words only).
   */
  private serverErrorsNamed<T>(ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
    return fn().catch(async (err: unknown) => {
      throw asSqlFailed(ctx, await asLockTimeout(ctx, err));
    });
  }

  private async planWith(ctx: EngineContext, opts: { id?: string }): Promise<PlanResult> {
    const loaded = await this.load(ctx);
    this.assertReadable(loaded);
    await this.checkFiles(ctx, loaded, 'apply');
    const upTo = this.targetId(loaded, opts.id);
    const plans = await this.planPending(ctx, loaded, upTo);
    const { describePlan } = await engine(ctx.dialect);
    const migrations = [];
    for (const f of loaded.files) {
      if (upTo !== undefined && f.id > upTo) break;
      const row = loaded.rows.get(f.id);
      const phase: Phase = row && !isUnstarted(row.phase) ? row.phase : 'pending';
      const plan = plans.get(f.id) ?? row?.plan;
      if (!plan || isTerminal(phase)) continue;
      migrations.push({ id: f.id, description: f.definition.description ?? null, phase, pending: describePlan(ctx.dialect, plan, phase), ...(plan.notes ? { notes: plan.notes } : {}) });
    }
    return { ok: true, migrations };
  }

  async apply(opts: { id?: string; to?: 'expand' | 'backfill'; dryRun?: boolean } = {}): Promise<RunResult | PlanResult> {
    assertOptionsObject(opts, 'apply');
    if (opts.dryRun) return { ...(await this.plan({ id: opts.id })), dryRun: true } as PlanResult;
    return this.locked('apply', async (ctx, loaded, ensureState) => {
      const upTo = this.targetId(loaded, opts.id);
      const plans = await this.planPending(ctx, loaded, upTo); // every file is valid before anything runs
      const { advance, begin } = await engine(ctx.dialect);
      await ensureState();
      const outcomes: MigrationOutcome[] = [];
      const warnings: string[] = [];
      for (const f of loaded.files) {
        if (upTo !== undefined && f.id > upTo) break;
        let row = loaded.rows.get(f.id);
        const from: Phase = row && !isUnstarted(row.phase) ? row.phase : 'pending';
        const shownFrom: Phase = row?.phase === 'rolled_back' ? 'rolled_back' : from;
        if (row?.phase === 'rolling_back') throw new RefusedError(`${f.id} is being rolled back; finish that with \`xc rollback ${f.id}\` first`);
        if (nextPhase(from, 'apply') === undefined) continue; // at least backfilled: contract moves it on
        // As pgroll and Flyway do, a file still in the folder is pending again: said, for a gate's `check --apply` that
        // re-applied one someone had undone on purpose (campaign ET).
        if (row?.phase === 'rolled_back') warnings.push(`${f.id} was rolled back; applied again, its file being in ${this.dir}: to keep it undone, take the file out of the build`);
        if (!row || isUnstarted(row.phase)) {
          // Planned again where an earlier migration of this run has changed the catalog since `plans`: its rows too,
          // which plan cannot foresee (a unique index over a column an earlier one filled with one default, campaign AD).
          const replanned = outcomes.length > 0 ? this.planPending(ctx, { files: [f], rows: loaded.rows }, f.id, false).catch((err: unknown) => { throw afterApplied(err, outcomes); }) : undefined;
          const plan = replanned ? (await replanned).get(f.id) : plans.get(f.id);
          if (plan && WAITING.has(plan)) throw afterApplied(WAITING.get(plan), outcomes);
          row = { ...(await begin(ctx, f, plan ?? plans.get(f.id)!, from)), checksum: f.checksum, description: null, definition: f.definition, lastError: null, updatedAt: null, expandedAt: null };
          loaded.rows.set(f.id, row);
        }
        const { rows, warning } = await advance(ctx, row, opts.to ?? 'backfill');
        if (warning) warnings.push(warning);
        // Applied again after a rollback, it says so (campaign BT: "pending → backfilled" read as a first apply).
        outcomes.push({ id: f.id, from: shownFrom, phase: row.phase, rows, ...(row.plan.notes?.length ? { notes: row.plan.notes } : {}) });
      }
      return { ok: true as const, migrations: outcomes, ...(warnings.length > 0 ? { warnings } : {}) };
    });
  }

  async backfill(opts: { id?: string } = {}): Promise<RunResult> {
    assertOptionsObject(opts, 'backfill');
    return this.locked('backfill', async (ctx, loaded) => {
      const upTo = this.targetId(loaded, opts.id);
      this.refuseUnstarted(loaded, upTo, 'backfill');
      const { advance, convertAgain } = await engine(ctx.dialect);
      const outcomes: MigrationOutcome[] = [];
      const warnings: string[] = [];
      for (const row of loaded.rows.values()) {
        if (upTo !== undefined && row.id > upTo) continue;
        const from = row.phase;
        // Named explicitly, a backfilled migration is converted again (the repair the verify's refusal points to); so is
        // one whose last contract attempt failed, by a plain `xc backfill` (campaign J: it said "nothing to backfill").
        // The phase is read after the run: the object's fields are evaluated in order.
        if (row.phase === 'backfilled' && (row.id === opts.id || (opts.id === undefined && row.lastError !== null))) {
          const rows = await convertAgain(ctx, row);
          outcomes.push({ id: row.id, from, phase: row.phase, rows });
        } else if (canBackfill(row.phase)) {
          const { rows, warning } = await advance(ctx, row, 'backfill');
          if (warning) warnings.push(warning);
          outcomes.push({ id: row.id, from, phase: row.phase, rows });
        }
      }
      return { ok: true as const, migrations: outcomes, ...(warnings.length > 0 ? { warnings } : {}) };
    });
  }

  /**
   * Asked for by name, a migration that has not started (or was rolled back) is not silently skipped: exit 3, run
   * `xc apply` first (campaign N2: `xc backfill ID` of a pending one said "nothing to backfill", exit 0).
   */
  private refuseUnstarted(loaded: Loaded, upTo: string | undefined, verb: 'backfill' | 'contract'): void {
    const named = upTo !== undefined ? loaded.rows.get(upTo) : undefined;
    if (upTo === undefined || (named && !isUnstarted(named.phase))) return;
    const what = named ? 'was rolled back' : 'has not started';
    if (!loaded.files.some((f) => f.id === upTo)) throw new CannotSucceedError(`${upTo} ${what} and ${this.dir} has no file for it: there is nothing to ${verb}`, { migration: upTo });
    throw new RefusedError(`${upTo} ${what}: run \`xc apply ${upTo}\` first${verb === 'contract' ? ', then contract it' : ' (it backfills too; `--to expand` stops before)'}`, { migration: upTo });
  }

  async contract(opts: { id?: string; force?: boolean; reason?: string; takeEditedSql?: boolean } = {}): Promise<RunResult> {
    assertOptionsObject(opts, 'contract');
    assertForceReason(opts, 'contract');
    return this.locked('contract', async (ctx, loaded) => {
      const upTo = this.targetId(loaded, opts.id);
      const { contract } = await engine(ctx.dialect);
      this.refuseUnstarted(loaded, upTo, 'contract');
      const outcomes: MigrationOutcome[] = [];
      const warnings = new Map<string, string>();
      const rows = [...loaded.rows.values()].filter((r) => isInFlight(r.phase) && (upTo === undefined || r.id <= upTo));
      // Nothing in flight (a database xc never changed has no state to read evidence from): nothing to ask the gate.
      const evidence = rows.length > 0 ? await this.evidence(ctx, loaded) : undefined;
      // Contract happens in id order: an earlier migration that is not ready stops everything after it.
      for (const row of rows) {
        if (!canContract(row.phase)) {
          if (upTo === undefined) break; // default: every backfilled migration, in order, up to the first that is not
          throw new RefusedError(`${row.id} is ${row.phase}; it must be backfilled before it (and anything after it) can be contracted — ${nextStep(row)}`, { migration: row.id });
        }
        const gated = await this.gatesContract(ctx, row);
        const resumed = gated && row.phase === 'contracting';
        const stays = resumed ? `\n${row.id} stays contracting, nothing of its old shape removed yet: \`xc contract\` again once no live version needs it, or \`xc rollback ${row.id}\`` : '';
        // A contract with nothing to run removes nothing, but it ends the way back (a contracted migration is not rolled
        // back): it waits for the gate all the same, and says so (campaign BT: "the old shape is still needed" of an index).
        const why = row.plan.contract.length === 0 ? 'its contract removes nothing, but it ends the way back (`xc rollback`), so it waits until no live version is below it' : 'the old shape is still needed';
        const refuse = (blockers: GateBlocker[], during = '') =>
          new RefusedError(`contract of ${row.id} refused: ${why}${during}\n${blockers.map((b) => `  - ${b.detail}`).join('\n')}${stays}\n(use --force --reason TEXT to override; it is logged)`, {
            migration: row.id,
            blockers,
            contracted: outcomes,
          }, { code: 'gate_refused' });
        const blockers = gated ? blockersFor(row.id, evidence!, row.expandedAt) : [];
        if (blockers.length > 0 && !opts.force) throw refuse(blockers);
        if (gated) for (const [key, w] of unseenByGate(row.id, evidence!, row.expandedAt)) if (!warnings.has(key)) warnings.set(key, w);
        // Asked again after the verify (what runs may have changed meanwhile), before anything is removed. --force
        // overrides the blockers it was shown (and logs them), not one that appeared during the verify.
        const overridden = new Set(opts.force ? blockers.map(blockerKey) : []);
        const again = async () => {
          const now = blockersFor(row.id, await this.evidence(ctx, loaded), row.expandedAt).filter((b) => !overridden.has(blockerKey(b)));
          if (now.length > 0) throw refuse(now, opts.force ? ' (these appeared while it verified: --force overrides only the blockers it was shown)' : '');
        };
        const from = row.phase;
        await contract(ctx, row, opts.force && blockers.length > 0 ? { reason: opts.reason!, blockers } : undefined, gated ? again : undefined);
        outcomes.push({ id: row.id, from, phase: row.phase });
      }
      const waiting = rows[outcomes.length];
      if (outcomes.length === 0 && waiting) {
        throw new RefusedError(`nothing to contract: the oldest migration in flight, ${waiting.id}, is ${waiting.phase} — ${nextStep(waiting)}`, { migration: waiting.id });
      }
      // Nothing in flight while files are not applied yet: a pipeline's contract stage run before its apply (campaign CK:
      // "nothing to contract" alone read as done). Several: plain `xc apply` may refuse them together (campaign FD).
      const unapplied = rows.length === 0 ? loaded.files.filter((f) => isUnstarted(loaded.rows.get(f.id)?.phase ?? 'pending')) : [];
      const note = unapplied.length > 0 ? `${unapplied.length} migration${unapplied.length > 1 ? 's are' : ' is'} not applied yet (${unapplied[0]!.id}${unapplied.length > 1 ? ', …' : ''}): \`xc apply\` first${unapplied.length > 1 ? ' — where it refuses them together, it names the one to apply on its own' : ''}` : undefined;
      return { ok: true as const, migrations: outcomes, ...(note ? { note } : {}), ...(warnings.size > 0 ? { warnings: [...warnings.values()] } : {}) };
    }, opts.takeEditedSql ? 'contract' : undefined);
  }

  async rollback(opts: { id?: string; force?: boolean; reason?: string; takeEditedSql?: boolean } = {}): Promise<RunResult> {
    assertOptionsObject(opts, 'rollback');
    assertForceReason(opts, 'rollback');
    return this.locked('rollback', async (ctx, loaded) => {
      const upTo = this.targetId(loaded, opts.id);
      const { contractUndoable, rollback } = await engine(ctx.dialect);
      const all = [...loaded.rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const undoable = async (row: MigrationRow | undefined) => row !== undefined && (await contractUndoable(ctx, row));
      if (upTo !== undefined) assertCanRollBack(upTo, loaded.rows.get(upTo), await undoable(loaded.rows.get(upTo))); // a rolled-back one: only what is after it
      // Without an id, the in-flight migration with the highest id — unless one above it was rolled back since it
      // started: that is what a run before this one did (killed after its last statement, or a pipeline's retry), and
      // a re-run converges instead of undoing this one too, naming it (campaign AG: each re-run stepped back one more).
      const highest = [...all].reverse().find((r) => isInFlight(r.phase));
      const time = (at: string | null) => Date.parse(at ?? '') || 0;
      const undone = highest && upTo === undefined ? all.find((r) => r.id > highest.id && r.phase === 'rolled_back' && time(r.updatedAt) >= time(highest.expandedAt)) : undefined;
      const target = upTo !== undefined ? loaded.rows.get(upTo) : undone ? undefined : highest;
      if (!target) {
        const note = undone && `${undone.id} is rolled back; ${highest!.id} is still ${highest!.phase}: to roll it back too, name it (xc rollback ${highest!.id})`;
        return { ok: true as const, migrations: [], ...(note ? { note } : {}) };
      }
      const rows = all.filter((r) => r.id >= target.id && isInFlight(r.phase)).reverse();
      for (const row of rows) assertCanRollBack(row.id, row, await undoable(row)); // every one, before any is touched
      // The gate, the other way: a version live at a level that has the migration writes its new shape, which a
      // rollback removes with what it wrote there. One already rolling back has passed it: finishing is always right —
      // unless it was stopped before any step, where the gate it asked on entering may not have answered (a kill
      // between the two): asked again, and taken back to the phase it left if refused.
      const { rollbackSparesNewVersion, rollbackUnbegun, takeBack } = await engine(ctx.dialect);
      const unbegun = new Map<string, MigrationRow['phase']>();
      for (const r of rows) {
        const left = await rollbackUnbegun(ctx, r);
        if (left) unbegun.set(r.id, left);
      }
      const asked = (r: MigrationRow) => r.phase !== 'rolling_back' || unbegun.has(r.id);
      const evidence = rows.some(asked) ? await this.evidence(ctx, loaded) : undefined;
      // Not for a migration whose rollback takes nothing the new version uses (an in-place change's shadow, a check).
      const gated = rows.filter((r) => asked(r) && !rollbackSparesNewVersion(r.definition));
      const blockers = new Map(gated.map((r) => [r.id, rollbackBlockersFor(r.id, evidence!, r.expandedAt)]));
      const refuse = (first: MigrationRow, list: GateBlocker[], during = '') => {
        // Named when it is not the one asked for: a rollback undoes the later migrations in flight first (campaign CH).
        const later = first.id !== target.id ? `rolling back ${target.id} rolls back the later ${rows.filter((r) => r.id > target.id).map((r) => r.id).join(', ')} first; ` : '';
        return new RefusedError(
          `${later}rollback of ${first.id} refused${during}: a live version has it and writes its new shape, which the rollback removes with what was written there\n${list.map((b) => `  - ${b.detail}`).join('\n')}\n` +
            '(deploy the version before it and `xc deploy retire` this one first; or use --force --reason TEXT to override; it is logged)',
          { migration: first.id, blockers: list },
          { code: 'gate_refused' },
        );
      };
      const first = rows.find((r) => (blockers.get(r.id) ?? []).length > 0);
      if (first && !opts.force) {
        for (const r of rows) if (unbegun.has(r.id)) await takeBack(ctx, r, unbegun.get(r.id)!);
        throw refuse(first, blockers.get(first.id)!);
      }
      // Asked again as each enters rolling_back (lifecycle.ts, gateOnEntry), for those not rolled back yet: a version
      // recorded meanwhile (campaign FF). --force overrides the blockers it was shown, not one that appeared since.
      const shown = new Set([...blockers.values()].flat().map(blockerKey));
      const again = async () => {
        const now = await this.evidence(ctx, loaded);
        for (const r of gated.filter((x) => x.phase !== 'rolled_back')) {
          const fresh = rollbackBlockersFor(r.id, now, r.expandedAt).filter((b) => !shown.has(blockerKey(b)));
          if (fresh.length > 0) throw refuse(r, fresh, ' (recorded as it began)');
        }
      };
      const outcomes: MigrationOutcome[] = [];
      for (const row of rows) {
        const from = row.phase;
        const held = blockers.get(row.id) ?? [];
        await rollback(ctx, row, opts.force && held.length > 0 ? { reason: opts.reason!, blockers: held } : undefined, gated.length > 0 ? again : undefined);
        outcomes.push({ id: row.id, from, phase: row.phase });
      }
      const warnings = evidence && gated.length > 0 ? rollbackUnknownLevels(gated.map((r) => r.id), evidence) : [];
      return { ok: true as const, migrations: outcomes, ...(warnings.length > 0 ? { warnings } : {}) };
    }, opts.takeEditedSql ? 'rollback' : undefined);
  }

  /** What runs, for the gate; a level that is no migration of --dir or the state counts as unknown. */
  private evidence(ctx: EngineContext, loaded: KnownMigrations): Promise<Evidence> {
    const known = new Set([...loaded.files.map((f) => f.id), ...loaded.rows.keys()]);
    return withSession(ctx.driver, (s) => gatherEvidence(s, ctx, known));
  }

  async check(opts: { app: string; version: string; level?: string; apply?: boolean }): Promise<CheckResult> {
    if (!opts.app?.trim() || !opts.version?.trim()) throw new InvalidInputError('check needs --app and --version', {}, { code: 'invalid_usage' });
    let ctx = await this.context('check');
    // The gate compares ids and phases: the files' names are enough (no parser, no validator); --apply validates them.
    const files = await listMigrations(this.dir);
    let loaded = { files, ...(await this.readState(ctx)) };
    if (opts.level !== undefined) assertKnownLevel(opts.level, loaded, this.dir);
    // An applied file edited since is refused as apply refuses it (SPEC §3, exit 2): the build expects the edited
    // shape, the database has the one recorded. Only started migrations' files are read (a pending one: by --apply).
    if (!this.engineOptions.allowDrift) {
      const started = (await withStartedRead(files, loaded.rows)).filter((f): f is MigrationFile => f.checksum !== undefined);
      await assertNoDrift({ files: started, rows: loaded.rows }, 'check', this.driftWays(ctx, false));
    }
    const level = opts.level ?? loaded.files.at(-1)?.id ?? null;
    // Reasons no later run removes — a contract above the build's level (a rollback deploy past it) — are read first:
    // with one, nothing is applied, since the build can never go live (campaign CF: --apply expanded, then refused).
    const past = await this.contractsPast(ctx, loaded, level);
    const lasting = past.some((p) => p.lasting);
    // Applied only where this build needs something: an older build (a rollback deploy, an overlapping pipeline) lacks
    // the newer files the state has, which apply refuses; the gate below answers for it.
    const pending = level !== null && files.some((f) => f.id <= level && !isAtLeastBackfilled(loaded.rows.get(f.id)?.phase ?? 'pending'));
    const applying = opts.apply === true && pending && !lasting;
    if (!applying) this.assertReadable(loaded); // an apply completes it
    const applied = applying ? ((await this.apply({ id: level! })) as RunResult).migrations : [];
    if (applied.length > 0) {
      ctx = await this.context('check'); // the database apply wrote to: a pglite:// folder not created before is now
      loaded = { files, ...(await this.readState(ctx)) };
    }
    const reasons: string[] = [];
    const own = new Set(files.map((f) => f.id));
    for (const id of [...new Set([...loaded.files.map((f) => f.id), ...loaded.rows.keys()])].sort()) {
      const phase: Phase = loaded.rows.get(id)?.phase ?? 'pending';
      // What the build needs is its own migrations: one the state has without its file was squashed away, rolled back
      // and removed, or merged after the build was cut.
      if (level !== null && id <= level && own.has(id) && !isAtLeastBackfilled(phase)) {
        const how = lasting ? 'not applied: this build cannot go live anyway, below' : opts.apply ? 'it could not be applied' : 'run `xc check --apply` or `xc apply`';
        reasons.push(`${id} is ${phase}: this build needs it at least backfilled (${how})`);
      }
      const p = past.find((x) => x.id === id);
      if (p) reasons.push(p.reason);
    }
    const who = `${opts.app}@${opts.version}`;
    if (reasons.length > 0) {
      throw new RefusedError(`${who} (level ${level ?? 'none'}) cannot go live now:\n${reasons.map((r) => `  - ${r}`).join('\n')}`, { reasons, level, ...(lasting ? { lasting: true } : {}) }, { code: 'gate_refused' });
    }
    // A build with no migration at all passes while nothing is contracted: true of a build older than every migration,
    // and of a --dir pointing at the wrong (empty) folder, which only the person reading this can tell apart.
    const ran = [...loaded.rows.values()].filter((r) => !isUnstarted(r.phase)).length;
    const empty = files.length === 0 && ran > 0 ? `${this.dir} holds no migration file while the database has run ${ran}: judged as a build older than every migration (level none); if that is the wrong folder, pass the right --dir` : undefined;
    const warning = [empty, this.squashed(loaded)].filter(Boolean).join('; ');
    return { ok: true, app: opts.app, version: opts.version, level, applied, ...(warning ? { warning } : {}) };
  }

  /** Under --allow-missing, the contracted migrations a build's folder lacks that the gate takes as squashed away, said. */
  private squashed(loaded: { files: readonly { id: string }[]; rows: ReadonlyMap<string, MigrationRow> }): string | undefined {
    return this.options.allowMissing === true ? takenAsSquashed(loaded.files, loaded.rows) : undefined;
  }

  /**
   * The migrations above a build's level (or merged after it was cut: missedByBuild) that are contracting or
   * contracted: a rollback deploy to that build would meet what they removed. Lasting, except a contract stopped before
   * it removed anything, which `xc rollback` still undoes (campaign CF: told "retrying will not help") — advised only
   * where no lasting reason stands beside it.
   */
  private async contractsPast(ctx: EngineContext, loaded: { files: readonly { id: string }[]; rows: ReadonlyMap<string, MigrationRow> }, level: string | null): Promise<{ id: string; reason: string; lasting: boolean }[]> {
    const missed = missedByBuild(loaded.files, loaded.rows, this.options.allowMissing === true);
    const undoable = this.driftWays(ctx, false).contractUndoable;
    const out: { id: string; reason: string; lasting: boolean }[] = [];
    for (const row of [...loaded.rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const { id, phase } = row;
      if (!((level === null || id > level || missed.has(id)) && reached(phase, 'contracting'))) continue;
      const build = `this build (level ${level ?? 'none'})`;
      const relation = missed.has(id) ? 'lacks it (merged after the build was cut)' : 'is older than it';
      if (phase === 'contracting' && (await undoable(row))) {
        out.push({ id, lasting: false, reason: `${id} is contracting, nothing of its old shape removed yet, and ${build} ${relation}: \`xc rollback ${id}\` undoes it (with --force --reason TEXT while a version that has it is live), or contract it and deploy a newer build` });
        continue;
      }
      const removed = phase === 'contracted' ? 'removed' : 'removes';
      // "may": the gate judges by level, not by what the contract did (a data-only `sql` one removes nothing; campaign AQ).
      // Where the recorded plan says its contract removes no old shape (an addIndex, an enum value added), it says so
      // rather than name a removal that never was (campaign CD).
      const removesNothing = row.plan.removalsMarked === true && !row.plan.contract.some((step) => step.removesOldShape);
      const why = removesNothing
        ? `its contract ${removed} no old shape, but the gate judges by level, and ${build} ${relation}`
        : missed.has(id)
          ? `this build lacks it (merged after the build was cut) and may still use what it ${removed} — a rollback deploy to it would break`
          : `it ${removed} what it replaces, which ${build}, older than it, may still use — a rollback deploy to it would break`;
      out.push({ id, lasting: true, reason: `${id} is ${phase}: ${why}` });
    }
    // Beside a lasting reason, undoing a stopped contract lets nothing go live: its advice would only cost the new shape.
    if (!out.some((p) => p.lasting)) return out;
    return out.map((p) => (p.lasting ? p : { ...p, reason: `${p.id} is contracting, nothing of its old shape removed yet (undoing it would not let this build go live: a contracted one here stays)` }));
  }

  readonly deploy = {
    record: async (o: { app: string; version: string; env?: string; level?: string }) => {
      // Checked before anything is written: a typo must not open the gate.
      const ctx = await this.context('deploy record');
      const loaded = { files: await idsIfAny(this.dir), ...(await this.readState(ctx)) };
      if (o.level !== undefined) assertKnownLevel(o.level, loaded, this.dir);
      const asked = o.level !== undefined ? { level: o.level, warning: undefined } : defaultLevel(loaded, this.dir);
      const built = levelOfBuild(asked.level, loaded.files, loaded.rows, this.options.allowMissing === true);
      const early = o.level !== undefined ? notReadyUpTo(o.level, loaded) : undefined;
      // Both levels kept: the lowered one for the contract gate, the build's own for the rollback gate (gate.ts).
      const recorded = await recordDeployment(ctx, { ...o, level: built.level, buildLevel: asked.level });
      // The phases read again once the record is written: a contract or rollback enters its phase, then asks the gate
      // (lifecycle.ts, gateOnEntry), so of the two the one or the other sees what the other wrote (campaign FF: a record
      // landing between a rollback's gate and its phase went unseen by both, the column the version writes dropped).
      const now = (await this.readState(ctx)).rows;
      const warning = [recorded.warning, asked.warning, early, built.warning, removedUnder(built.level, asked.level, loaded.files, now), undoneSince(asked.level, loaded.rows, now), this.squashed(loaded)].filter(Boolean).join('; ');
      return { ok: true as const, deployment: recorded.deployment, ...(warning ? { warning } : {}) };
    },
    retire: async (o: { app: string; version: string; env?: string }) => ({ ok: true as const, retired: await retireDeployment(await this.context('deploy retire'), o) }),
    list: async (o: { env?: string } = {}) => listDeployments(await this.context('deploy list'), o.env),
  };

  async startHeartbeat(o: { app: string; version: string; env?: string; level?: string | null; intervalMs?: number }) {
    // Without a level, the instance is at the level of the migrations it ships with, if it has them; either way no
    // higher than the newest it has every migration up to (levelOfBuild: a branch merged later with a lower id).
    const asked = o.level !== undefined ? o.level : await this.level().catch(() => null);
    const ctx = await this.context('heartbeat');
    const files = await idsIfAny(this.dir);
    const state = files.length > 0 && asked !== null ? await this.readState(ctx).catch(() => undefined) : undefined;
    const level = state ? levelOfBuild(asked, files, state.rows, this.options.allowMissing === true).level : asked;
    return startHeartbeat(ctx, { ...o, level, buildLevel: asked });
  }

  /**
   * Whether the gate holds the contract of `row`: until it enters contracting, and after, until a step removed part
   * of the old shape — then finishing it is the only way on. Stopped before that (killed between the gate and its
   * first removal), a version recorded since still needs the old shape (campaign S: the re-run dropped the column
   * under a live old version, exit 0).
   */
  private async gatesContract(ctx: EngineContext, row: MigrationRow): Promise<boolean> {
    if (awaitsContract(row.phase)) return true;
    return row.phase === 'contracting' && (await engine(ctx.dialect)).contractUndoable(ctx, row);
  }

  async status(): Promise<StatusResult> {
    const ctx = await this.context('status');
    return this.serverErrorsNamed(ctx, () => this.statusWith(ctx));
  }

  private async statusWith(ctx: EngineContext): Promise<StatusResult> {
    const loaded = await this.loadForStatus(ctx);
    this.assertReadable(loaded);
    const progress = loaded.rows.size > 0 ? await withSession(ctx.driver, (s) => ctx.store.allBackfills(s)) : new Map();
    const evidence = loaded.rows.size > 0 ? await this.evidence(ctx, loaded) : null;
    const gated = new Set<string>();
    for (const row of evidence ? loaded.rows.values() : []) if (await this.gatesContract(ctx, row)) gated.add(row.id);
    const blockers = (id: string): GateBlocker[] => (evidence && gated.has(id) ? blockersFor(id, evidence, loaded.rows.get(id)?.expandedAt) : []);
    const ids = [...new Set([...loaded.files.map((f) => f.id), ...loaded.rows.keys()])].sort();
    const files = new Map(loaded.files.map((f) => [f.id, f]));
    return {
      ok: true,
      migrations: ids.map((id) => {
        const row = loaded.rows.get(id);
        const file = files.get(id);
        return {
          id,
          description: file?.definition?.description ?? row?.description ?? null,
          phase: row?.phase ?? 'pending',
          ...(file ? {} : { missingFile: true }),
          ...(file && row && !isUnstarted(row.phase) && row.checksum !== file.checksum ? { drift: true } : {}),
          backfill: progress.has(id) ? backfillProgress(progress.get(id)!, plannedPasses(row?.plan)) : { done: 0, total: 0 },
          blockers: blockers(id),
          lastError: row?.lastError ?? null,
          updatedAt: row?.updatedAt ?? null,
        };
      }),
    };
  }

  /**
   * What status shows of --dir: every file's id, and the definition (for drift and the description) of those whose
   * migration has started — a file unchanged since is not validated again. A pending file is not read: plan, apply
   * and lint validate it (start-up time: no parser, no validator for a folder of pending migrations).
   */
  private async loadForStatus(ctx: EngineContext): Promise<{ files: (MigrationFile | { id: string; file: string; definition?: undefined; checksum?: undefined })[]; rows: Map<string, MigrationRow>; missing: string[] }> {
    const listed = await listMigrations(this.dir);
    const state = await this.readState(ctx);
    return { files: await withStartedRead(listed, state.rows), ...state };
  }

  async log(opts: LogQuery = {}): Promise<LogResult> {
    // Checked before connecting: a bad value touches nothing.
    const since = opts.since !== undefined ? parseSince(opts.since) : undefined;
    const limit = opts.limit !== undefined ? parseLimit(opts.limit) : undefined;
    const ctx = await this.context('log');
    // Read-only (SPEC §4): a part-made state is read as status reads it; no events table, no events.
    this.assertReadable(await this.load(ctx, []));
    const events = await withSession(ctx.driver, async (s) => {
      if (!(await ctx.dialect.stateTables(s)).includes('events')) return [];
      const cutoff = since && sinceCutoff(since, await ctx.store.now(s));
      return ctx.store.events(s, { migration: opts.migration, since: cutoff, limit });
    });
    return { ok: true, events };
  }

  async close() {
    // A connection that failed to open (the command already reported why) leaves nothing to close.
    const connected = await this.connected?.catch(() => undefined);
    this.connected = undefined;
    await connected?.driver.close();
  }
}

/** `--force` needs a reason (the override is logged with who and why); a reason alone overrides nothing: most likely --force was forgotten. */
/** A migration refused once the ones before it in this run were applied: the refusal says they stand. */
/** `listed` with the definitions of the files whose migration has started read (for drift); a pending file is not read. */
async function withStartedRead(listed: { id: string; file: string }[], rows: ReadonlyMap<string, MigrationRow>): Promise<(MigrationFile | { id: string; file: string; definition?: undefined; checksum?: undefined })[]> {
  const files = [];
  for (const f of listed) {
    const row = rows.get(f.id);
    files.push(row && !isUnstarted(row.phase) ? await loadRecordedFile(f.file, row.checksum) : f);
  }
  return files;
}

function afterApplied(err: unknown, applied: MigrationOutcome[]): unknown {
  if (!(err instanceof InvalidInputError)) return err;
  const done = applied.map((o) => `${o.id} (now ${o.phase})`).join(', ');
  return new InvalidInputError(`${err.message}\nApplied by this run before it, and left so: ${done}; nothing of the refused migration ran.`, { ...err.details, applied: applied.map((o) => o.id) }, { code: err.code, issues: [...err.issues] });
}

/**
 * From JavaScript, `xc.rollback('0002_b')` (the id alone, not `{ id }`) was read as no id: the newest migration in flight
 * rolled back instead of the one named (campaign AC). Refused, naming the form.
 */
function assertOptionsObject(opts: unknown, command: string): void {
  if (opts === undefined || (typeof opts === 'object' && opts !== null && !Array.isArray(opts))) return;
  throw new InvalidInputError(`${command}() takes an options object (\`{ id: ${JSON.stringify(String(opts))} }\`), not ${typeof opts === 'string' ? 'the id alone' : JSON.stringify(opts)}`, {}, { code: 'invalid_usage' });
}

function assertForceReason(opts: { force?: boolean; reason?: string }, command: 'contract' | 'rollback'): void {
  if (opts.force && !opts.reason?.trim()) throw new InvalidInputError(`--force needs --reason TEXT: a forced ${command} is logged with who and why`, {}, { code: 'invalid_usage' });
  if (!opts.force && opts.reason !== undefined) throw new InvalidInputError('--reason goes with --force: without it the deploy gate is not overridden and no reason is logged', {}, { code: 'invalid_usage' });
}
