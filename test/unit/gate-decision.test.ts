/**
 * The deploy gate's decision over evidence alone (SPEC §6), with no
 * database: whatever reported a live version, one below the migration
 * blocks, an unknown or bogus level blocks, and only a version the pipeline
 * recorded as rolled out at or above the migration opens the gate. Then the
 * sessions source on a stand-in context: a session's level is its version's
 * recorded one, strangers are ignored.
 */
import { describe, expect, it } from 'vitest';
import { blockersFor } from '../../src/gate/gate.js';
import type { EvidenceContext, LiveVersion } from '../../src/gate/evidence.js';
import { sessionsSource } from '../../src/gate/sources/sessions.js';
import type { DeploymentRow } from '../../src/state/deployments.js';

const V1 = '0001_a';
const V2 = '0002_b';
const V3 = '0003_c';
const known = new Set([V1, V2, V3]);

/** A live version as any source could report it; `describe` echoes the gate's words for the level. */
const seen = (v: Partial<LiveVersion> & Pick<LiveVersion, 'level'>): LiveVersion => ({ kind: 'instance', app: 'shop', version: 'v', describe: (level) => `seen at ${level}`, ...v });
const rolledOut = (level: string | null) => seen({ kind: 'deployment', version: `at-${level}`, level, provesRollout: true });
const decide = (id: string, ...live: LiveVersion[]) => blockersFor(id, { live, listed: {}, knownLevels: known });
const kinds = (id: string, ...live: LiveVersion[]) => decide(id, ...live).map((b) => `${b.kind}${b.version ? ` ${b.version}` : ''}`);

describe('the gate decides over live versions, not over where they were seen', () => {
  it.each([
    ['one below the migration blocks', [rolledOut(V2), seen({ level: V1 })], ['instance v']],
    ['one at the migration does not', [rolledOut(V2), seen({ level: V2 })], []],
    ['one above the migration does not', [rolledOut(V2), seen({ level: V3 })], []],
    ['an unknown level blocks', [rolledOut(V2), seen({ level: null })], ['instance v']],
    ['a level that is no known migration blocks, however high it compares', [rolledOut(V2), seen({ level: '0099_bogus' })], ['instance v']],
    ['nothing live at all: fails closed', [], ['no_deployment']],
    ['a version not recorded as rolled out never opens the gate', [seen({ level: V3 })], ['no_deployment']],
    ['a rolled-out version below the migration blocks, and proves nothing', [rolledOut(V1)], ['deployment at-0001_a', 'no_deployment']],
    ['a rolled-out version at a bogus level blocks, and proves nothing', [rolledOut('0099_bogus')], ['deployment at-0099_bogus', 'no_deployment']],
    ['blockers come in the order the versions were reported', [seen({ kind: 'session', version: 's', level: null }), rolledOut(V2), seen({ version: 'i', level: V1 })], ['session s', 'instance i']],
  ])('%s', (_, live, expected) => {
    expect(kinds(V2, ...live)).toEqual(expected);
  });

  it('a blocker carries what the source reported, with the level in the gate\'s words', () => {
    const [deployment, instance, session, bogus, none] = decide(
      V2,
      seen({ kind: 'deployment', version: 'v1', env: 'prod', level: V1, since: '2024-01-01T00:00:00.000Z', provesRollout: true }),
      seen({ version: 'v1', env: null, level: null }),
      seen({ kind: 'session', version: 'v0', level: null }),
      seen({ version: 'v9', env: null, level: '0099_bogus' }),
    );
    // Exactly these keys, in this order: the JSON of contract, status and --json output.
    expect(Object.keys(deployment!)).toEqual(['kind', 'app', 'version', 'env', 'level', 'detail', 'since']);
    expect(deployment).toEqual({ kind: 'deployment', app: 'shop', version: 'v1', env: 'prod', level: V1, detail: `seen at level ${V1}`, since: '2024-01-01T00:00:00.000Z' });
    expect(instance).toEqual({ kind: 'instance', app: 'shop', version: 'v1', env: null, level: null, detail: 'seen at an unknown level' });
    expect(Object.keys(session!)).toEqual(['kind', 'app', 'version', 'level', 'detail']); // a source with no notion of env: no env
    expect(bogus).toMatchObject({ level: '0099_bogus', detail: 'seen at level 0099_bogus, which is no migration of --dir or the state (counted as unknown)' });
    expect(none).toEqual({ kind: 'no_deployment', level: null, detail: `no live deployment at or above ${V2} has been recorded (run \`xc deploy record --app A --version V\` once the new version is out)` });
  });
});

describe('the sessions source', () => {
  const recorded = (app: string, version: string, env: string, level: string | null, retired = false): DeploymentRow => ({ app, version, env, level, recordedAt: '2024-01-01', retiredAt: retired ? '2024-01-02' : null, actor: null });
  const gather = (names: string[], deployments: DeploymentRow[], earlier: LiveVersion[] = []) => {
    // What the sessions source reads, and nothing else: the dialect's session names and the recorded deployments.
    const ctx: Partial<EvidenceContext> = { session: {} as never, dialect: { applicationSessions: async () => names, sessionNameShown: (n: string) => n } as never, knownLevels: known, recorded: async () => deployments };
    return sessionsSource.gather(ctx as EvidenceContext, earlier);
  };

  it('a session counts at its version\'s recorded level, retired or not; unknown when never recorded, or when any record is', async () => {
    const deployments = [recorded('shop', 'v1', '', V1, true), recorded('shop', 'v2', 'eu', V2), recorded('shop', 'v2', 'us', V3), recorded('shop', 'v3', 'eu', V3), recorded('shop', 'v3', 'us', '0099_bogus')];
    const { live, listed } = await gather(['shop@v1', 'shop@v2', 'shop@v3', 'shop@v4', 'shop@v1'], deployments);
    expect(live.map((v) => [v.version, v.level])).toEqual([['v1', V1], ['v2', V3], ['v3', null], ['v4', null]]);
    expect(live.map((v) => v.describe('(level)'))).toEqual([
      'database session "shop@v1" is connected at (level)',
      'database session "shop@v2" is connected at (level)',
      'database session "shop@v3" is connected at (level)',
      'database session "shop@v4" is connected at an unknown level (that version was never recorded)',
    ]);
    expect(listed).toEqual(['v1', 'v2', 'v3', 'v4', 'v1'].map((version) => ({ app: 'shop', version }))); // deploy list shows every one
  });

  it('counts only apps a deployment or an earlier source names; names without app@version are no sessions', async () => {
    const { live, listed } = await gather(['billing@7', 'shop@v1', 'pod@x', '@scope/shop@v2', 'noat', 'trailing@'], [recorded('shop', 'v1', '', V1)], [seen({ app: 'pod', level: V1 })]);
    expect(live.map((v) => `${v.app}@${v.version}`)).toEqual(['shop@v1', 'pod@x']);
    expect(listed).toEqual([{ app: 'billing', version: '7' }, { app: 'shop', version: 'v1' }, { app: 'pod', version: 'x' }, { app: '@scope/shop', version: 'v2' }]);
  });
});
