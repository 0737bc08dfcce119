/**
 * Vitest global setup (SPEC §9): for each of XC_TEST_PG_URL / XC_TEST_MYSQL_URL
 * that is unset, where a Docker engine answers, start that server in a
 * container with testcontainers and set the variable. It runs in vitest's main
 * process before any worker starts, and workers (and the CLIs tests spawn)
 * inherit process.env. With both URLs set nothing is probed and testcontainers
 * is never imported, so `npm test` against your own servers pays nothing.
 * Servers the tests start themselves (chaos, kill tests) are unaffected.
 */
import type { Wait, WaitStrategy } from 'testcontainers';
import {
  TEST_SERVERS,
  planTestServers,
  type DockerProbe,
  type DockerStatus,
  type TestServer,
} from './helpers/test-servers-decision.js';

/** A started server: the URL the tests use, and how to stop it. */
export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export interface TestServerDeps {
  probe: DockerProbe;
  start(server: TestServer): Promise<RunningServer>;
  log(line: string): void;
}

/** A socket that exists but never answers must not hold up the run. */
const DOCKER_PROBE_TIMEOUT_MS = 5000;

/** Asks the engine itself (testcontainers pings it), not just for a `docker` binary. */
export const dockerProbe: DockerProbe = async () => {
  let testcontainers: typeof import('testcontainers');
  try {
    // Loading it is slow under load and blocks timers: the timeout starts after.
    testcontainers = await import('testcontainers');
  } catch (e) {
    return { answers: false, why: `testcontainers did not load: ${(e as Error).message}` };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DockerStatus>((resolve) => {
    timer = setTimeout(
      () => resolve({ answers: false, why: `no answer within ${DOCKER_PROBE_TIMEOUT_MS}ms` }),
      DOCKER_PROBE_TIMEOUT_MS,
    );
    timer.unref();
  });
  const ask = testcontainers.getContainerRuntimeClient().then(
    (): DockerStatus => ({ answers: true }),
    (e: Error): DockerStatus => ({ answers: false, why: e.message }),
  );
  try {
    return await Promise.race([ask, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Same shape as the machine's servers (.ci/run): trust / empty root password,
 * databases `postgres` and `test`. More connections than the defaults because
 * a laptop runs more test workers in parallel than CI's 2 cores.
 */
const CONTAINERS: Record<TestServer['name'], ContainerSpec> = {
  postgres: {
    port: 5432,
    env: { POSTGRES_HOST_AUTH_METHOD: 'trust' },
    command: ['postgres', '-c', 'max_connections=300'],
    // The image's init runs a temporary server first: ready twice means the real one.
    ready: (wait) => wait.forLogMessage(/database system is ready to accept connections/, 2),
    url: (host, port) => `postgres://postgres@${host}:${port}/postgres`,
  },
  mariadb: {
    port: 3306,
    env: { MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: '1', MARIADB_DATABASE: 'test' },
    command: ['--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci', '--max-connections=500'],
    // Init's temporary server skips networking, so the port listens only for the real one.
    ready: (wait) => wait.forListeningPorts(),
    url: (host, port) => `mysql://root@${host}:${port}/test`,
  },
};

interface ContainerSpec {
  port: number;
  env: Record<string, string>;
  command: string[];
  ready(wait: typeof Wait): WaitStrategy;
  url(host: string, port: number): string;
}

async function startContainer(server: TestServer): Promise<RunningServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const spec = CONTAINERS[server.name];
  const started = await new GenericContainer(server.image)
    .withEnvironment(spec.env)
    .withCommand(spec.command)
    .withExposedPorts(spec.port)
    .withWaitStrategy(spec.ready(Wait))
    .withStartupTimeout(180_000) // a loaded laptop, two servers initialising at once
    .start();
  return {
    url: spec.url(started.getHost(), started.getMappedPort(spec.port)),
    stop: async () => void (await started.stop()),
  };
}

const realDeps: TestServerDeps = { probe: dockerProbe, start: startContainer, log: (line) => console.log(line) };

/**
 * Plans every server, starts the containers the plan asks for (in parallel),
 * writes their URLs into `env`, and returns the teardown that stops them.
 * Skip/fail is left to test/helpers/servers.ts, per suite.
 */
export async function startTestServers(
  env: Record<string, string | undefined>,
  deps: TestServerDeps = realDeps,
): Promise<() => Promise<void>> {
  const plans = await planTestServers(env, deps.probe);
  const wanted = TEST_SERVERS.filter((s) => plans[s.name].kind === 'container');
  for (const s of TEST_SERVERS) {
    const plan = plans[s.name];
    // Once here: the probe's answer is known only in this process.
    if (plan.kind === 'skip' || plan.kind === 'fail') deps.log(plan.reason);
  }
  if (wanted.length > 0) {
    deps.log(`testcontainers: starting ${wanted.map((s) => s.image).join(' and ')} (the first run pulls the images)`);
  }
  const results = await Promise.allSettled(wanted.map((s) => deps.start(s)));
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async () => {
    await Promise.allSettled(running.map((r) => r.stop()));
  };
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    await stopAll();
    const server = wanted[failed]!;
    const error = (results[failed] as PromiseRejectedResult).reason as Error;
    throw new Error(
      `could not start ${server.image} for the ${server.what} tests: ${error.message}; ` +
        `set ${server.envVar} (e.g. ${server.example}) to use your own server instead`,
    );
  }
  wanted.forEach((server, i) => {
    env[server.envVar] = running[i]!.url;
    deps.log(`testcontainers: ${server.what} tests use ${server.image} at ${running[i]!.url}`);
  });
  return stopAll;
}

export function setup(): Promise<() => Promise<void>> {
  return startTestServers(process.env);
}
