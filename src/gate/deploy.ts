/**
 * Recording what runs: deployments (from the pipeline) and instances (from
 * the application, through the library). Neither takes xc's advisory lock: a
 * deploy must be recordable while a long backfill holds it.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { DeployListResult, DeploymentInfo, Heartbeat } from '../api.js';
import { withSession } from '../db/driver.js';
import { InvalidInputError } from '../errors.js';
import { sleep, type EngineContext } from '../engine/context.js';
import { DeploymentStore, type DeploymentRow } from '../state/deployments.js';
import { gatherEvidence } from './gate.js';
import { evidenceSources } from './sources/index.js';

/** Create the state tables if missing; a concurrent creator may win the race, so one retry. */
export async function ensureState(ctx: EngineContext): Promise<void> {
  await withSession(ctx.driver, async (s) => {
    try {
      await ctx.store.ensure(s);
    } catch {
      await ctx.store.ensure(s);
    }
  });
}

/**
 * The longest app, version or environment name: the state's key columns on MySQL/MariaDB (VARCHAR(191), the most a
 * utf8mb4 key of 767 bytes holds), on every database alike, so a name is refused the same everywhere.
 */
const MAX_DEPLOY_NAME = 191;

/** An app, version or environment name as stored: trimmed (as compared: MariaDB ignores trailing spaces), within the limit. */
function deployName(value: string | undefined, flag: string): string {
  const name = (value ?? '').trim();
  if ([...name].length > MAX_DEPLOY_NAME) {
    throw new InvalidInputError(`${flag} is ${[...name].length} characters long; at most ${MAX_DEPLOY_NAME} are kept (the state's key)`, {}, { code: 'invalid_usage' });
  }
  return name;
}

function required(value: string | undefined, flag: string): string {
  const name = deployName(value, flag);
  if (!name) throw new InvalidInputError(`${flag} is required`, {}, { code: 'invalid_usage' });
  return name;
}

/**
 * The state tables, with every column a deploy record or a heartbeat writes: a state an older xc made lacks the later
 * ones (`build_level`, `ttl_ms`), added here — each idempotent and safe when several records run at once (StateStore.addColumns).
 */
async function ensureDeployState(ctx: EngineContext): Promise<void> {
  await ensureState(ctx);
  await withSession(ctx.driver, (s) => ctx.store.addColumns(s));
}

/**
 * `level`: what the gate reads for contracts (lowered by levelOfBuild below a migration the build lacks); `buildLevel`:
 * the level the build asked for, before that (the rollback gate's; null: unknown, or the same).
 */
export async function recordDeployment(ctx: EngineContext, o: { app?: string; version?: string; env?: string; level: string | null; buildLevel?: string | null }): Promise<{ deployment: DeploymentInfo; warning?: string }> {
  const d = { app: required(o.app, '--app (or XC_APP, config key app)'), version: required(o.version, '--version'), env: deployName(o.env, '--env'), level: o.level, buildLevel: o.buildLevel ?? o.level, actor: ctx.actor };
  await ensureDeployState(ctx);
  const store = new DeploymentStore(ctx.dialect);
  // Deploy records take no xc lock: a pipeline records several apps at once. On MySQL/MariaDB the record's UPDATE of a
  // row not there yet takes a gap lock (REPEATABLE READ), and two such transactions deadlock on their INSERTs (9 of 12
  // records at once failed so): the victim, rolled back whole, is run again. On PostgreSQL two records of the same new
  // version both find no row to UPDATE, and the second INSERT meets the first's key: run again, its UPDATE finds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await withSession(ctx.driver, async (s) => {
        await s.query('BEGIN');
        let warning: string | undefined;
        try {
          warning = firstOfItsName(await store.deployments(s), d);
          await store.record(s, d);
          await ctx.store.log(s, { migration: null, actor: ctx.actor, command: ctx.command, event: 'deploy_record', detail: { app: d.app, version: d.version, env: d.env || null, level: d.level, ...(d.buildLevel !== d.level ? { buildLevel: d.buildLevel } : {}) } });
          await s.query('COMMIT');
        } catch (err) {
          await s.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        const deployment = (await store.deployments(s)).find((x) => x.app === d.app && (x.env ?? '') === d.env && x.version === d.version)!;
        return { deployment, ...(warning ? { warning } : {}) };
      });
    } catch (err) {
      if (attempt >= RECORD_ATTEMPTS || !(ctx.dialect.isLockTimeout(err) || ctx.dialect.isDuplicateKey(err))) throw err;
      await sleep(Math.random() * 20 * attempt);
    }
  }
}

/** The command a record's warning names to take it back; `xc fleet` names its own (fleet.ts, campaign CU). */
export const RETIRE = 'xc deploy retire';

/**
 * The first live record of an app, or of an app in an environment, where others are live: a misspelt `--app wbe` is another
 * application, and its record at the new level is evidence the fail-closed contract gate reads (campaign CT: said
 * nothing). Said, not refused: a new app or environment is recorded the same way.
 */
function firstOfItsName(recorded: DeploymentRow[], d: { app: string; env: string; version: string }): string | undefined {
  // Live records only: a misspelt record taken back (retired) as the warning says must not make the name known (campaign CU).
  const known = recorded.filter((x) => !x.retiredAt);
  const apps = [...new Set(known.map((x) => x.app))];
  const envs = [...new Set(known.filter((x) => x.app === d.app).map((x) => x.env ?? ''))];
  const back = `if it is misspelt, \`${RETIRE} --app ${d.app} --version ${d.version}${d.env ? ` --env ${d.env}` : ''}\` takes this record back`;
  if (apps.length > 0 && !apps.includes(d.app)) return `app ${d.app} has no other live version recorded (apps live here: ${apps.join(', ')}); a misspelt --app counts as another application, whose record the contract gate reads as the new version being out — ${back}`;
  if (envs.length > 0 && !envs.includes(d.env)) return `${d.app} has no other live version recorded in ${d.env ? `environment ${d.env}` : 'the default environment'} (its environments here: ${envs.map((e) => e || '(default)').join(', ')}); a misspelt --env counts as another environment — ${back}`;
  // `--version V4` beside a live v4 (campaign ES): compared exactly, it is another version, recorded as out.
  const lower = d.version.toLowerCase();
  const cased = known.find((x) => x.app === d.app && (x.env ?? '') === d.env && x.version !== d.version && x.version.toLowerCase() === lower);
  if (cased) return `version ${d.version} differs only in case from ${d.app}'s live version ${cased.version}; versions are compared exactly, so it counts as another version, whose record the contract gate reads as that version being out — ${back}`;
  return undefined;
}

/** How often a deploy record that lost a deadlock (or a lock wait) is run again before its error is the command's. */
const RECORD_ATTEMPTS = 10;

/**
 * Retiring what is not live exits 2, never silently 0: a typo in --version or
 * --env would leave the real one live. Already retired is refused too (the
 * details say when), so a script can tell it from a typo.
 */
export async function retireDeployment(ctx: EngineContext, o: { app?: string; version?: string; env?: string }): Promise<number> {
  const d = { app: required(o.app, '--app (or XC_APP, config key app)'), version: required(o.version, '--version'), env: deployName(o.env, '--env') };
  const store = new DeploymentStore(ctx.dialect);
  const name = `${d.app}@${d.version}${d.env ? ` (env ${d.env})` : ''}`;
  // A part-made state (a kill -9 while creating it) is completed, so what it holds is read, not taken for nothing.
  if ((await withSession(ctx.driver, (s) => ctx.store.presence(s))).missing.length > 0) await ensureState(ctx);
  await withSession(ctx.driver, async (s) => {
    const ofApp = (await ctx.store.exists(s)) ? (await store.deployments(s)).filter((x) => x.app === d.app) : [];
    const all = ofApp.filter((x) => (x.env ?? '') === d.env);
    const found = all.find((x) => x.version === d.version);
    if (!found) {
      const live = all.filter((x) => x.retiredAt === null).map((x) => x.version);
      const where = d.env ? ` in ${d.env}` : ' without an environment';
      // Recorded in another environment (an --env left out, or mistyped): said so, or the message would call a live version gone.
      const elsewhere = [...new Set(ofApp.filter((x) => x.version === d.version && x.retiredAt === null).map((x) => x.env ?? ''))].map((e) => (e ? `--env ${e}` : 'no --env'));
      const hint = elsewhere.length ? ` — ${d.app}@${d.version} is live with ${elsewhere.join(', ')}: retire it with that` : '';
      throw new InvalidInputError(`${name} was never recorded${d.env ? '' : ' without an environment'}, so there is nothing to retire; ${live.length ? `live versions of ${d.app}${where}: ${live.join(', ')}` : `no version of ${d.app}${where} is live`}${hint}`, { ...d, recorded: false }, { code: 'deployment_missing' });
    }
    if (found.retiredAt !== null) throw new InvalidInputError(`${name} is already retired (since ${found.retiredAt}); nothing to do`, { ...d, recorded: true, retiredAt: found.retiredAt }, { code: 'deployment_retired' });
  });
  return withSession(ctx.driver, async (s) => {
    const n = await store.retire(s, d);
    await ctx.store.log(s, { migration: null, actor: ctx.actor, command: ctx.command, event: 'deploy_retire', detail: { ...d, retired: n } });
    return n;
  });
}

export async function listDeployments(ctx: EngineContext, env?: string): Promise<DeployListResult> {
  return withSession(ctx.driver, async (s) => {
    // What every source lists, under its name (deployments, instances, sessions: the shape DeployListResult spells out).
    const listed = (await ctx.store.exists(s)) ? (await gatherEvidence(s, ctx, new Set())).listed : Object.fromEntries(evidenceSources.map((source) => [source.name, []]));
    const gap = (await ctx.dialect.sessionEvidenceGap?.(s)) ?? null;
    const warning = gap === null ? {} : { warning: `sessions: ${gap}` };
    if (env === undefined) return { ok: true, ...listed, ...warning } as DeployListResult;
    const trimmed = env.trim();
    // Only that environment's; what has no environment (a session) is listed whatever it is.
    const inEnv = (x: object) => !('env' in x) || ((x.env as string | null) ?? '') === trimmed;
    return { ok: true, ...Object.fromEntries(Object.entries(listed).map(([name, items]) => [name, items.filter(inEnv)])), ...warning } as DeployListResult;
  });
}

/** The longest delay setInterval keeps (a longer one fires every millisecond). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How often an instance beats for TTL `ttlMs`: `intervalMs` when given — refused (exit 2) unless below the TTL, since
 * between two beats the instance would count as gone — else every TTL/3, at most once a second (every TTL/2 for a TTL
 * under 2 s, so a beat always comes well within it).
 */
export function beatInterval(ttlMs: number, intervalMs: number | undefined): number {
  if (intervalMs === undefined) return Math.min(MAX_TIMER_MS, ttlMs >= 2000 ? Math.max(1000, Math.floor(ttlMs / 3)) : Math.max(1, Math.floor(ttlMs / 2)));
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs >= ttlMs || intervalMs > MAX_TIMER_MS) {
    throw new InvalidInputError(
      `startHeartbeat: intervalMs ${String(intervalMs)} must be a positive number of milliseconds below the instance TTL (instanceTtlMs ${ttlMs})` +
        `${intervalMs > MAX_TIMER_MS ? ` and at most ${MAX_TIMER_MS}` : ''}: an instance counts as live only while its last beat is younger than its TTL, so a beat not due within it leaves the instance taken for gone while it runs — ` +
        'beat more often, or give the xc a longer instanceTtlMs (--instance-ttl); nothing was recorded',
      { intervalMs, ttlMs },
      { code: 'invalid_usage' },
    );
  }
  return intervalMs;
}

/**
 * `level` and `buildLevel` as for recordDeployment. The instance's TTL is its xc's (instanceTtlMs), stored with it: the
 * gate of an xc with a shorter TTL still counts it live while its beat is younger than this one (instancesSource).
 */
export async function startHeartbeat(ctx: EngineContext, o: { app: string; version: string; env?: string; level?: string | null; buildLevel?: string | null; intervalMs?: number }): Promise<Heartbeat> {
  const app = required(o.app, 'app');
  const version = required(o.version, 'version');
  const ttlMs = ctx.options.instanceTtlMs;
  const every = beatInterval(ttlMs, o.intervalMs);
  await ensureDeployState(ctx);
  const store = new DeploymentStore(ctx.dialect);
  const id = randomUUID();
  await withSession(ctx.driver, (s) => store.startInstance(s, { id, app, version, env: deployName(o.env, 'env'), level: o.level ?? null, buildLevel: o.buildLevel ?? o.level ?? null, host: os.hostname(), pid: process.pid, ttlMs: Math.ceil(ttlMs) }));
  let beating: Promise<void> = Promise.resolve();
  // A missed beat is not fatal: the instance just ages until the next one succeeds.
  const timer = setInterval(() => {
    beating = withSession(ctx.driver, (s) => store.beat(s, id)).catch(() => undefined);
  }, every);
  timer.unref();
  let stopped = false;
  return {
    id,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await beating;
      await withSession(ctx.driver, (s) => store.stopInstance(s, id));
    },
  };
}
