/**
 * xc fleet's targets file (text, JSON, YAML; names, ${VAR}, knexfile
 * sections; what is refused) and the fleet's exit code from its targets'
 * (run on in-process PGlite databases and an unreachable server).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFleet } from '../../src/index.js';
import { readTargets } from '../../src/fleet/targets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'xc-fleet-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return name;
};
const refusal = (p: Promise<unknown>) => p.then(() => expect.fail('expected a refusal'), (e: { message: string; exitCode: number; code: string }) => e);

describe('the targets file', () => {
  it('text: URL or NAME URL a line, comments and blank lines skipped; an unnamed target is named without its user or password', async () => {
    const f = file('t.txt', '# tenants\n\npostgres://app:pw@db1:5432/acme\n  globex   postgres://db2/globex  \r\n');
    expect(await readTargets(f, dir, {})).toEqual([
      { name: 'db1:5432/acme', url: 'postgres://app:pw@db1:5432/acme' },
      { name: 'globex', url: 'postgres://db2/globex' },
    ]);
  });

  it('JSON and YAML: URLs, { name, url }, { name, knexEnv, knexfile } (relative to the file), a top-level { targets }', async () => {
    const json = file('t.json', JSON.stringify(['mysql://db/a', { name: 'b', url: 'mysql://db/b' }, { knexEnv: 'eu', knexfile: 'knex/knexfile.js' }]));
    expect(await readTargets(json, dir, {})).toEqual([
      { name: 'db/a', url: 'mysql://db/a' },
      { name: 'b', url: 'mysql://db/b' },
      { name: 'eu', knexEnv: 'eu', knexfile: path.join(dir, 'knex/knexfile.js') },
    ]);
    const yaml = file('t.yaml', 'targets:\n  - name: us\n    knexEnv: us\n  - url: ${DB_URL}\n    name: x\n');
    expect(await readTargets(yaml, dir, { DB_URL: 'postgres://u:secret@h/x' })).toEqual([{ name: 'us', knexEnv: 'us' }, { name: 'x', url: 'postgres://u:secret@h/x' }]);
  });

  it.each([
    ['an unset ${VAR}', 'u.txt', 'postgres://u:$PW@h/db\n', /u\.txt:1: \$PW is not set/],
    ['two targets of one name', 'd.txt', 'a postgres://h/1\na postgres://h/2\n', /two targets are named "a"/],
    ['no targets', 'e.txt', '# none\n', /no targets/],
    ['three words on a line', 'w.txt', 'a b c\n', /w\.txt:1: expected URL or NAME URL/],
    ['an unknown key', 'k.json', '[{"uri":"postgres://h/1"}]', /unknown key "uri"/],
    ['url and knexEnv both', 'b.yaml', '- url: postgres://h/1\n  knexEnv: eu\n', /give url or knexEnv, not both/],
    ['not a URL', 'n.txt', 'tenant not-a-url\n', /not a valid URL/],
    ['invalid YAML', 'y.yaml', '- [\n', /invalid YAML/],
  ])('refuses %s (exit 2, invalid_config, naming the file)', async (_what, name, text, message) => {
    const err = await refusal(readTargets(file(name, text), dir, {}));
    expect(err).toMatchObject({ exitCode: 2, code: 'invalid_config' });
    expect(err.message).toMatch(message);
  });

  it('an empty ${VAR} is refused as one that is set but empty, not as unset', async () => {
    const err = await refusal(readTargets(file('u.txt', 'postgres://u:${EMPTY}@h/db\n'), dir, { EMPTY: '' }));
    expect(err).toMatchObject({ exitCode: 2, code: 'invalid_config' });
    expect(err.message).toMatch(/u\.txt:1: \$EMPTY is set but empty/);
  });

  it('a missing file: exit 2 naming it', async () => {
    expect(await refusal(readTargets('missing.txt', dir, {}))).toMatchObject({ exitCode: 2, message: expect.stringContaining('missing.txt: ENOENT') });
  });
});

describe("the fleet's exit code", () => {
  const migrations = mkdtempSync(path.join(dir, 'm-'));
  writeFileSync(path.join(migrations, '0001_t.json'), JSON.stringify({ operations: [{ createTable: { table: 't', columns: [{ name: 'id', type: 'int', primaryKey: true }] } }] }));
  const pglite = (name: string) => ({ name, url: 'pglite://memory' });
  const unreachable = { name: 'down', url: 'postgres://u:pw@127.0.0.1:1/x' };

  it('0 when all are ok; a failed target does not stop the others; the shared code of the failed ones (1, 3), 1 when they differ; 130 when none started', async () => {
    const events: string[] = [];
    const ok = await createFleet({ targets: [pglite('a'), pglite('b')], dir: migrations, onEvent: (e) => events.push(`${e.name}:${e.exitCode}`) }).apply();
    expect(ok).toMatchObject({ ok: true, exitCode: 0, summary: { total: 2, ok: 2, failed: 0 } });
    expect(events.sort()).toEqual(['a:0', 'b:0']);

    const oneDown = await createFleet({ targets: [pglite('a'), unreachable, pglite('c')], dir: migrations, concurrency: 1, connectTimeoutMs: 2000 }).apply();
    expect(oneDown).toMatchObject({ ok: false, exitCode: 1, summary: { ok: 2, failed: 1, exitCodes: { 0: 2, 1: 1 } } });
    expect(oneDown.targets.map((t) => [t.name, t.exitCode])).toEqual([['a', 0], ['down', 1], ['c', 0]]);
    expect(oneDown.targets[1]).toMatchObject({ code: 'connect_failed' });
    expect(JSON.stringify(oneDown)).not.toContain('pw@');

    // contract on fresh databases: the phase order refuses on each (nothing applied): exit 3, the code they share.
    const refused = await createFleet({ targets: [pglite('a'), pglite('b')], dir: migrations }).contract({ id: '0001_t' });
    expect(refused).toMatchObject({ ok: false, exitCode: 3, summary: { failed: 2, exitCodes: { 3: 2 } } });
    const mixed = await createFleet({ targets: [pglite('a'), unreachable], dir: migrations, connectTimeoutMs: 2000 }).contract({ id: '0001_t' });
    expect(mixed).toMatchObject({ exitCode: 1, summary: { exitCodes: { 1: 1, 3: 1 } } });

    const stop = new AbortController();
    stop.abort('SIGINT');
    const interrupted = await createFleet({ targets: [pglite('a'), pglite('b')], dir: migrations, signal: stop.signal }).apply();
    expect(interrupted).toMatchObject({ ok: false, exitCode: 130, summary: { notStarted: 2 } });
    expect(interrupted.targets[0]).toMatchObject({ code: 'not_started', exitCode: 130 });
    // Seven PGlite databases, each starting its own WebAssembly PostgreSQL: over 120 s at a load of 14 on two cores.
  }, 300_000);
});
