/**
 * `xc demo`: the whole rolling deploy on an embedded PGlite. Once through the
 * real command line (`node bin/xc demo`, human and --json), once in-process
 * against a PGlite instance the test owns, to look at what the database holds
 * at the end.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Chalk } from 'chalk';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../src/demo/demo.js';
import { printDemoEnd, printDemoIntro, printDemoStep } from '../../src/demo/print.js';
import type { Printer } from '../../src/cli/output.js';
import { runXc, type Run } from '../helpers/cli.js';

const xc = (args: string[], cwd: string) => runXc(args, { cwd });


/** The lines of `text` from the one starting with `first`, `count` lines long. */
function block(text: string, first: string, count: number): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l === first);
  expect(at, `no line ${JSON.stringify(first)} in the output`).toBeGreaterThanOrEqual(0);
  return lines.slice(at, at + count).join('\n');
}

// `node bin/xc demo`, human and --json, run once for every test below.
let human: Run;
let json: Run;
beforeAll(async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'xc-demo-cli-'));
  try {
    [human, json] = await Promise.all([xc(['demo'], cwd), xc(['demo', '--json'], cwd)]);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});

describe('xc demo (the command)', () => {
  it('plays the six steps, exits 0, without colour under NO_COLOR', () => {
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).not.toMatch(/\x1b\[/);
    const titles = human.stdout.split('\n').filter((l) => l.startsWith('== '));
    expect(titles).toEqual([
      '== 1. v1 is running ==',
      '== 2. a new migration: rename users.name to users.full_name ==',
      '== 3. v2 deployed beside v1, both writing ==',
      '== 4. contract refused while v1 lives ==',
      '== 5. v1 retired, contract succeeds ==',
      '== 6. a rollback deploy to v1 is refused ==',
    ]);
  });

  it('step 1: v1 recorded at its level, v1 writes a row', () => {
    const out = human.stdout;
    expect(out).toContain('  $ xc deploy record --app shop --version v1 --level 0001_create_users\n      recorded shop@v1 live at level 0001_create_users\n');
    expect(out).toContain("  v1> INSERT INTO users (name) VALUES ('Edsger Dijkstra')\n      1 row\n");
    expect(block(out, '  users', 8)).toBe(
      ['  users', '   id | name', '  ----+-----------------', '    1 | Ada Lovelace', '    2 | Grace Hopper', '    3 | Alan Turing', '    4 | Edsger Dijkstra', '  (4 rows)'].join('\n'),
    );
  });

  it('step 2: check refuses before the backfill, apply expands and backfills, then check says yes', () => {
    const step = human.stdout.slice(human.stdout.indexOf('== 2.'), human.stdout.indexOf('== 3.'));
    expect(step).toContain('"operations": [\n        { "renameColumn": { "table": "users", "from": "name", "to": "full_name" } }\n      ]');
    expect(step).toContain(
      [
        '  $ xc check --app shop --version v2',
        '      xc: shop@v2 (level 0002_rename_name) cannot go live now:',
        '        - 0002_rename_name is pending: this build needs it at least backfilled (run `xc check --apply` or `xc apply`)',
        '      (exit 3: refused; safe to retry later)',
        '  $ xc apply',
        '      0002_rename_name  pending → expanding → dual_write → backfilling → backfilled  4 rows backfilled',
      ].join('\n'),
    );
    expect(step).toContain('  $ xc check --app shop --version v2\n      shop@v2 may go live (level 0002_rename_name)\n');
    expect(step).toContain('   id | name            | full_name\n');
    expect(step).toContain('    4 | Edsger Dijkstra | Edsger Dijkstra\n');
    expect(step).toMatch(/ xc_sync_\w+ \| BEFORE INSERT OR UPDATE FOR EACH ROW \| xc_sync_\w+\(\)\n/);
  });

  it('step 3: v1 and v2 both write and the rows agree', () => {
    const step = human.stdout.slice(human.stdout.indexOf('== 3.'), human.stdout.indexOf('== 4.'));
    expect(step).toContain("  v1> INSERT INTO users (name) VALUES ('Barbara Liskov')");
    expect(step).toContain("  v2> INSERT INTO users (full_name) VALUES ('Margaret Hamilton')");
    expect(step).toContain("  v2> UPDATE users SET full_name = 'Ada King' WHERE id = 1");
    expect(step).toContain("  v1> UPDATE users SET name = 'Grace Brewster Hopper' WHERE id = 2");
    expect(step).toContain('    1 | Ada King              | Ada King              | yes\n');
    expect(step).toContain('    5 | Barbara Liskov        | Barbara Liskov        | yes\n');
    expect(step).toContain('    6 | Margaret Hamilton     | Margaret Hamilton     | yes\n');
    expect(step).not.toMatch(/\| NO\n/);
    expect(step).toContain('   shop@v1     | 0001_create_users | live\n   shop@v2     | 0002_rename_name  | live\n');
  });

  it('step 4: contract refused with exit 3, the blocker listing shop@v1 as the library reports it', () => {
    const step = (human.stdout.slice(human.stdout.indexOf('== 4.'), human.stdout.indexOf('== 5.')));
    expect(step).toContain(
      [
        '  $ xc contract',
        '      xc: contract of 0002_rename_name refused: the old shape is still needed',
        '        - deployment shop@v1 is live at level 0001_create_users (recorded by demo)',
        '      (use --force --reason TEXT to override; it is logged)',
        '      (exit 3: refused; safe to retry later)',
      ].join('\n'),
    );
  });

  it('step 5: v1 retired, contract succeeds, only full_name is left', () => {
    const step = human.stdout.slice(human.stdout.indexOf('== 5.'), human.stdout.indexOf('== 6.'));
    expect(step).toContain('  $ xc deploy retire --app shop --version v1\n      retired shop@v1\n');
    expect(step).toContain('  $ xc contract\n      0002_rename_name  backfilled → contracting → contracted\n');
    expect(step).toContain('contracting: drop column "users"."name"');
    expect(block(step, '  users', 10)).toBe(
      [
        '  users',
        '   id | full_name',
        '  ----+-----------------------',
        '    1 | Ada King',
        '    2 | Grace Brewster Hopper',
        '    3 | Alan Turing',
        '    4 | Edsger Dijkstra',
        '    5 | Barbara Liskov',
        '    6 | Margaret Hamilton',
        '  (6 rows)',
      ].join('\n'),
    );
    expect(step).toContain('   shop@v1     | 0001_create_users | retired\n   shop@v2     | 0002_rename_name  | live\n');
  });

  it('step 6: a rollback deploy to v1 is refused (the column v1 needs is gone)', () => {
    const step = human.stdout.slice(human.stdout.indexOf('== 6.'));
    expect(step).toContain(
      [
        '  $ xc check --app shop --version v1 --level 0001_create_users',
        '      xc: shop@v1 (level 0001_create_users) cannot go live now:',
        '        - 0002_rename_name is contracted: it removed what it replaces, which this build (level 0001_create_users), older than it, may still use — a rollback deploy to it would break',
        '      (exit 3: refused; retrying will not help: a migration this build predates has been contracted)',
      ].join('\n'),
    );
    expect(step).toContain('      ERROR: column "name" of relation "users" does not exist\n');
    expect(step).toContain('Done: 6 steps');
  });

  it('--json: JSON lines only, library events and a line per step, then the result', () => {
    expect(json.code).toBe(0);
    const lines = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const result = lines.at(-1)!;
    expect(result.ok).toBe(true);
    expect(result.steps).toHaveLength(6);
    for (const l of lines.slice(0, -1)) expect(typeof l.event).toBe('string');
    expect(lines.filter((l) => l.event === 'demo_step').map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines).toContainEqual({ event: 'phase', migration: '0002_rename_name', from: 'contracting', to: 'contracted' });
    const refused = (result.steps[3].actions as any[]).find((a) => a.command === 'xc contract');
    expect(refused).toMatchObject({ ok: false, exitCode: 3 });
    expect(refused.error.details.blockers).toEqual([expect.objectContaining({ kind: 'deployment', app: 'shop', version: 'v1', level: '0001_create_users' })]);
    const rollback = (result.steps[5].actions as any[])[0];
    expect(rollback).toMatchObject({ command: 'xc check --app shop --version v1 --level 0001_create_users', ok: false, exitCode: 3 });
  });
});

describe('runDemo (the library runner) on a PGlite instance of ours', () => {
  let db: PGlite;
  let result: DemoResult;
  let dir: string;
  const q = async <T = Record<string, unknown>>(sql: string) => (await db.query<T>(sql)).rows;

  beforeAll(async () => {
    db = new PGlite();
    dir = await mkdtemp(path.join(os.tmpdir(), 'xc-demo-lib-'));
    try {
      result = await runDemo({ connection: db, dir });
    } catch (err) {
      await db.close();
      throw err;
    }
    return async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    };
  });

  it('leaves our instance open and writes the migrations into our folder', async () => {
    expect(result.ok).toBe(true);
    expect(await q('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(existsSync(path.join(dir, '0001_create_users.json'))).toBe(true);
    expect(existsSync(path.join(dir, '0002_rename_name.json'))).toBe(true);
  });

  it('users has full_name (NOT NULL), no name, no trigger left, and every row', async () => {
    expect(await q(`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position`)).toEqual([
      { column_name: 'id', is_nullable: 'NO' },
      { column_name: 'full_name', is_nullable: 'NO' },
    ]);
    expect((await q<{ full_name: string }>('SELECT full_name FROM users ORDER BY id')).map((r) => r.full_name)).toEqual([
      'Ada King',
      'Grace Brewster Hopper',
      'Alan Turing',
      'Edsger Dijkstra',
      'Barbara Liskov',
      'Margaret Hamilton',
    ]);
    expect(await q(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal`)).toEqual([]);
  });

  it('xc.migrations: both contracted', async () => {
    expect(await q('SELECT id, phase FROM xc.migrations ORDER BY id')).toEqual([
      { id: '0001_create_users', phase: 'contracted' },
      { id: '0002_rename_name', phase: 'contracted' },
    ]);
  });

  it('xc.deployments: v1 retired, v2 live, each at its level', async () => {
    const rows = await q<{ version: string; level: string; retired: boolean }>(`SELECT version, level, retired_at IS NOT NULL AS retired FROM xc.deployments WHERE app = 'shop' ORDER BY version`);
    expect(rows).toEqual([
      { version: 'v1', level: '0001_create_users', retired: true },
      { version: 'v2', level: '0002_rename_name', retired: false },
    ]);
  });

  it('xc.events: the deploys, the retirement and every phase, by "demo"; nothing forced', async () => {
    const events = await q<{ migration_id: string | null; actor: string; event: string; reason: string | null }>('SELECT migration_id, actor, event, reason FROM xc.events ORDER BY id');
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set(['demo']));
    expect(events.filter((e) => e.migration_id === null).map((e) => e.event)).toEqual(['deploy_record', 'deploy_record', 'deploy_retire']);
    expect(events.filter((e) => e.migration_id === '0002_rename_name').map((e) => e.event)).toEqual([
      'expanding',
      'dual_write',
      'backfilling',
      'backfilled',
      'contracting',
      'contracted',
    ]);
    expect(events.filter((e) => e.reason !== null)).toEqual([]);
    // The refused contract came before the retirement; the contract that went through, after it.
    const order = events.map((e) => `${e.migration_id ?? ''}:${e.event}`);
    expect(order.indexOf('0002_rename_name:contracting')).toBeGreaterThan(order.indexOf(':deploy_retire'));
  });

  it('prints, through the same printers, exactly what the command printed (but the recorded time)', async () => {
    const lines: string[] = [];
    const p: Printer = { c: new Chalk({ level: 0 }), line: (t = '') => void lines.push(t), phase: (x) => x };
    printDemoIntro(p);
    for (const s of result.steps) printDemoStep(p, s);
    printDemoEnd(p, result);
    expect(lines.join('\n') + '\n').toBe(human.stdout);
  });
});
