/**
 * Where the test servers come from (SPEC §9), without Docker: the per-server
 * decision with the engine probe stubbed, and the global setup's wiring with
 * the container start stubbed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  TEST_SERVERS,
  planServer,
  planTestServers,
  type DockerStatus,
  type TestServer,
} from '../helpers/test-servers-decision.js';
import { dockerProbe, setup, startTestServers, type RunningServer } from '../global-setup.js';

// Counts real imports of testcontainers (the global setup imports it dynamically).
const testcontainers = vi.hoisted(() => ({ imports: 0 }));
vi.mock('testcontainers', () => {
  testcontainers.imports++;
  return { getContainerRuntimeClient: () => Promise.reject(new Error('mocked: no engine')) };
});

const PG = 'postgres://postgres@db.example:5432/postgres';
const MY = 'mysql://root@db.example:3306/test';
const answers: DockerStatus = { answers: true };
const silent: DockerStatus = { answers: false, why: 'connect ENOENT /var/run/docker.sock' };

afterEach(() => vi.unstubAllEnvs());

describe('planTestServers', () => {
  // [PG URL set, MySQL URL set, Docker answers, CI=true] → [postgres, mariadb]
  const table: [boolean, boolean, boolean, boolean, string, string][] = [
    [true, true, false, false, 'url', 'url'],
    [true, true, true, false, 'url', 'url'],
    [true, true, false, true, 'url', 'url'],
    [true, true, true, true, 'url', 'url'],
    [true, false, true, false, 'url', 'container'],
    [true, false, true, true, 'url', 'container'],
    [true, false, false, false, 'url', 'skip'],
    [true, false, false, true, 'url', 'fail'],
    [false, true, true, false, 'container', 'url'],
    [false, true, true, true, 'container', 'url'],
    [false, true, false, false, 'skip', 'url'],
    [false, true, false, true, 'fail', 'url'],
    [false, false, true, false, 'container', 'container'],
    [false, false, true, true, 'container', 'container'],
    [false, false, false, false, 'skip', 'skip'],
    [false, false, false, true, 'fail', 'fail'],
  ];
  it.each(table)('PG %s, MySQL %s, Docker %s, CI %s → %s, %s', async (pg, my, docker, ci, pgKind, myKind) => {
    const env = { XC_TEST_PG_URL: pg ? PG : undefined, XC_TEST_MYSQL_URL: my ? MY : undefined, CI: ci ? 'true' : undefined };
    const probe = vi.fn(async () => (docker ? answers : silent));
    const plans = await planTestServers(env, probe);
    expect([plans.postgres.kind, plans.mariadb.kind]).toEqual([pgKind, myKind]);
    // Asked once when some URL is unset, never when both are set.
    expect(probe).toHaveBeenCalledTimes(pg && my ? 0 : 1);
    if (pg) expect(plans.postgres).toEqual({ kind: 'url', url: PG });
    if (my) expect(plans.mariadb).toEqual({ kind: 'url', url: MY });
  });

  it('treats an empty URL as unset', async () => {
    const plans = await planTestServers({ XC_TEST_PG_URL: '', XC_TEST_MYSQL_URL: MY }, async () => answers);
    expect(plans.postgres).toEqual({ kind: 'container' });
  });

  it('says what to do: set the URL or start Docker, with the probe’s answer', async () => {
    const skip = await planTestServers({}, async () => silent);
    expect(skip.postgres).toEqual({
      kind: 'skip',
      reason:
        'skipping PostgreSQL tests: XC_TEST_PG_URL is not set and no Docker engine answers ' +
        '(connect ENOENT /var/run/docker.sock); set XC_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) ' +
        'or start a Docker engine, so the test setup starts postgres:15 with testcontainers',
    });
    const fail = await planTestServers({ CI: 'true' }, async () => silent);
    expect(fail.mariadb.kind).toBe('fail');
    expect((fail.mariadb as { reason: string }).reason).toBe(
      'MySQL/MariaDB tests cannot run under CI=true: XC_TEST_MYSQL_URL is not set and no Docker engine answers ' +
        '(connect ENOENT /var/run/docker.sock); set XC_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306/test) ' +
        'or start a Docker engine, so the test setup starts mariadb:10.11 with testcontainers',
    );
  });

  it('in a test worker (no probe): an unset URL means no container was started', () => {
    const pg = TEST_SERVERS.find((s) => s.name === 'postgres')!;
    expect(planServer(pg, {})).toMatchObject({ kind: 'skip', reason: expect.stringContaining('XC_TEST_PG_URL is not set and no container was started for it; set XC_TEST_PG_URL') });
    expect(planServer(pg, { CI: 'true' }).kind).toBe('fail');
    expect(planServer(pg, { XC_TEST_PG_URL: PG })).toEqual({ kind: 'url', url: PG });
  });
});

describe('global setup', () => {
  function fakeStart(stopped: string[]) {
    return vi.fn(async (server: TestServer): Promise<RunningServer> => {
      if (server.name === 'postgres') throw new Error('pull access denied');
      return { url: `mysql://root@localhost:49153/test`, stop: async () => void stopped.push(server.name) };
    });
  }

  it('with both URLs set, never probes, never starts, leaves the URLs alone', async () => {
    const env = { XC_TEST_PG_URL: PG, XC_TEST_MYSQL_URL: MY };
    const probe = vi.fn(async () => answers);
    const start = vi.fn();
    const teardown = await startTestServers(env, { probe, start, log: () => undefined });
    await teardown();
    expect(probe).not.toHaveBeenCalled();
    expect(start).not.toHaveBeenCalled();
    expect(env).toEqual({ XC_TEST_PG_URL: PG, XC_TEST_MYSQL_URL: MY });
  });

  it('starts only the server whose URL is unset, exports its URL, and stops it on teardown', async () => {
    const env: Record<string, string | undefined> = { XC_TEST_PG_URL: PG };
    const stopped: string[] = [];
    const start = vi.fn(async (server: TestServer): Promise<RunningServer> => ({
      url: 'mysql://root@localhost:49153/test',
      stop: async () => void stopped.push(server.name),
    }));
    const lines: string[] = [];
    const teardown = await startTestServers(env, { probe: async () => answers, start, log: (l) => lines.push(l) });
    expect(start.mock.calls.map(([s]) => s.name)).toEqual(['mariadb']);
    expect(env).toEqual({ XC_TEST_PG_URL: PG, XC_TEST_MYSQL_URL: 'mysql://root@localhost:49153/test' });
    expect(lines).toContain('testcontainers: MySQL/MariaDB tests use mariadb:10.11 at mysql://root@localhost:49153/test');
    expect(stopped).toEqual([]);
    await teardown();
    expect(stopped).toEqual(['mariadb']);
  });

  it('a container that fails to start fails the setup, says how to use your own server, and stops the others', async () => {
    const env: Record<string, string | undefined> = {};
    const stopped: string[] = [];
    await expect(
      startTestServers(env, { probe: async () => answers, start: fakeStart(stopped), log: () => undefined }),
    ).rejects.toThrow(
      'could not start postgres:15 for the PostgreSQL tests: pull access denied; ' +
        'set XC_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to use your own server instead',
    );
    expect(stopped).toEqual(['mariadb']);
    expect(env).toEqual({});
  });

  it('without Docker, prints each skip reason once and starts nothing', async () => {
    const lines: string[] = [];
    const start = vi.fn();
    await startTestServers({ XC_TEST_MYSQL_URL: MY }, { probe: async () => silent, start, log: (l) => lines.push(l) });
    expect(start).not.toHaveBeenCalled();
    expect(lines).toEqual([expect.stringMatching(/^skipping PostgreSQL tests: .*no Docker engine answers \(connect ENOENT/)]);
  });

  // These two run in this order: the first must see testcontainers never imported.
  it('vitest’s setup() with both URLs set does not import testcontainers', async () => {
    vi.stubEnv('XC_TEST_PG_URL', PG);
    vi.stubEnv('XC_TEST_MYSQL_URL', MY);
    const teardown = await setup();
    await teardown();
    expect(testcontainers.imports).toBe(0);
    expect([process.env.XC_TEST_PG_URL, process.env.XC_TEST_MYSQL_URL]).toEqual([PG, MY]);
  });

  it('control: the real probe imports testcontainers and reports an engine that does not answer', async () => {
    await expect(dockerProbe()).resolves.toEqual({ answers: false, why: 'mocked: no engine' });
    expect(testcontainers.imports).toBe(1);
  });
});
