/**
 * Where each test server comes from (SPEC §9), decided per server:
 * its URL variable is set → use it; else a Docker engine answers → the
 * global setup starts a container; else skip its tests, or fail them under
 * CI=true. Pure: the Docker probe is passed in, so this is tested without
 * Docker, and it is asked at most once and only when some URL is unset.
 */

export interface TestServer {
  name: 'postgres' | 'mariadb';
  /** For messages: "PostgreSQL tests". */
  what: string;
  envVar: 'XC_TEST_PG_URL' | 'XC_TEST_MYSQL_URL';
  /** A URL of the form the tests expect, for messages. */
  example: string;
  /** The image test/global-setup.ts starts. */
  image: string;
}

export const TEST_SERVERS: readonly TestServer[] = [
  {
    name: 'postgres',
    what: 'PostgreSQL',
    envVar: 'XC_TEST_PG_URL',
    example: 'postgres://postgres@127.0.0.1:5432/postgres',
    image: 'postgres:15',
  },
  {
    name: 'mariadb',
    what: 'MySQL/MariaDB',
    envVar: 'XC_TEST_MYSQL_URL',
    example: 'mysql://root@127.0.0.1:3306/test',
    image: 'mariadb:10.11',
  },
];

export type DockerStatus = { answers: true } | { answers: false; why: string };
export type DockerProbe = () => Promise<DockerStatus>;

export type ServerPlan =
  | { kind: 'url'; url: string }
  | { kind: 'container' }
  | { kind: 'skip'; reason: string }
  | { kind: 'fail'; reason: string };

type Env = Record<string, string | undefined>;

/**
 * One server's plan. `docker` is what the probe said; without it (in a test
 * worker, after the global setup) an unset URL means no container was started.
 */
export function planServer(server: TestServer, env: Env, docker?: DockerStatus): ServerPlan {
  const url = env[server.envVar];
  if (url) return { kind: 'url', url };
  if (docker?.answers) return { kind: 'container' };
  const why = docker ? `no Docker engine answers (${docker.why})` : 'no container was started for it';
  const todo =
    `set ${server.envVar} (e.g. ${server.example}) or start a Docker engine, ` +
    `so the test setup starts ${server.image} with testcontainers`;
  if (env.CI === 'true') {
    return { kind: 'fail', reason: `${server.what} tests cannot run under CI=true: ${server.envVar} is not set and ${why}; ${todo}` };
  }
  return { kind: 'skip', reason: `skipping ${server.what} tests: ${server.envVar} is not set and ${why}; ${todo}` };
}

/** Every server's plan; the probe runs only if some URL is unset. */
export async function planTestServers(
  env: Env,
  probe: DockerProbe,
): Promise<Record<TestServer['name'], ServerPlan>> {
  const needsDocker = TEST_SERVERS.some((s) => !env[s.envVar]);
  const docker = needsDocker ? await probe() : undefined;
  const plans = {} as Record<TestServer['name'], ServerPlan>;
  for (const server of TEST_SERVERS) plans[server.name] = planServer(server, env, docker);
  return plans;
}
