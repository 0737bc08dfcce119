/**
 * What the CLI prints on a terminal and into a closed pipe: the progress line
 * fits an 80-column terminal (a wrapped line cannot be redrawn in place, it
 * stacked 138 lines for one backfill); NO_COLOR and FORCE_COLOR; `xc status`
 * into a pipe closed early exits 0 without a stack trace; the status table
 * keeps one line per migration and says the deploy hint once; `deploy list`
 * columns fit their data.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, runXc, xcEnv, type Run } from '../helpers/cli.js';
import { COLOUR_CODE, runXcInPty, visible } from '../helpers/pty.js';
import { createPgDatabase, describePg, type TestDb } from '../helpers/servers.js';

const LONG_ID = '0002_a_migration_whose_name_alone_is_longer_than_half_of_an_eighty_column_terminal';
const ROWS = 3000;

describePg('terminal output', () => {
  let t: TestDb;
  let db: pg.Client;
  let dir: string;
  const env = () => ({ XC_DATABASE_URL: t.url });
  const run = (args: string[], extra: Record<string, string> = {}): Promise<Run> => runXc(args, { cwd: dir, env: { ...env(), ...extra } });
  const pty = (args: string[], extra: Record<string, string> = {}) => runXcInPty(args, { cwd: dir, columns: 80, env: { ...env(), ...extra } });

  beforeAll(async () => {
    t = await createPgDatabase('xc_out_tty');
    db = await t.client();
    dir = await mkdtemp(path.join(os.tmpdir(), 'xc-out-tty-'));
    await mkdir(path.join(dir, 'migrations'));
    const write = (id: string, op: unknown) => writeFile(path.join(dir, 'migrations', `${id}.json`), JSON.stringify({ operations: [op] }));
    await write('0001_users', { createTable: { table: 'users_with_a_long_table_name', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'name', type: 'text' }] } });
    await write(LONG_ID, { addColumn: { table: 'users_with_a_long_table_name', column: { name: 'shout', type: 'text' }, up: 'upper(name)' } });
    await write('0003_email', { addColumn: { table: 'users_with_a_long_table_name', column: { name: 'email', type: 'text' } } });
    expect((await run(['apply', '0001_users'])).code).toBe(0);
    await db.query(`INSERT INTO users_with_a_long_table_name SELECT g, 'n' || g FROM generate_series(1, ${ROWS}) g`);
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the progress line fits 80 columns: never wraps, a few lines in all, ends at the full count', { timeout: 180_000 }, async () => {
    const r = await pty(['apply', '--batch-size', '100', '--batch-delay', '20ms']);
    expect(r.code, r.stdout).toBe(0);
    const screen = visible(r.stdout);
    // Each redraw of the progress line is the text after a \r: at most 79 visible characters.
    const redraws = screen.split('\n').flatMap((line) => line.split('\r')).filter((s) => s.startsWith('backfill '));
    expect(redraws.length).toBeGreaterThan(3);
    for (const s of redraws) expect(s.length, s).toBeLessThanOrEqual(79);
    expect(redraws.at(-1)).toMatch(/ 3,000\/3,000 rows \(100%\)/);
    expect(screen.split('\n').length).toBeLessThan(25);
  });

  it('colour: on a terminal, off with NO_COLOR (not when empty); FORCE_COLOR turns it on when piped and beats NO_COLOR, 0 turns it off', { timeout: 180_000 }, async () => {
    const [tty, noColor, emptyNoColor, forcedOff] = await Promise.all([
      pty(['status']),
      pty(['status'], { NO_COLOR: '1' }),
      pty(['status'], { NO_COLOR: '' }),
      pty(['status'], { FORCE_COLOR: '0' }),
    ]);
    for (const r of [tty, noColor, emptyNoColor, forcedOff]) expect(visible(r.stdout), r.stdout).toContain('0001_users');
    expect(tty.stdout).toMatch(COLOUR_CODE);
    expect(noColor.stdout).not.toMatch(COLOUR_CODE);
    expect(emptyNoColor.stdout).toMatch(COLOUR_CODE);
    expect(forcedOff.stdout).not.toMatch(COLOUR_CODE);

    const [piped, forced, forcedOverNoColor] = await Promise.all([run(['status']), run(['status'], { FORCE_COLOR: '1' }), run(['status'], { FORCE_COLOR: '1', NO_COLOR: '1' })]);
    expect(piped.stdout).not.toMatch(COLOUR_CODE);
    expect(forced.stdout).toMatch(COLOUR_CODE);
    expect(forcedOverNoColor.stdout).toMatch(COLOUR_CODE);
  });

  it('xc status and xc plan into a pipe closed early: exit 0, nothing on stderr', { timeout: 120_000 }, async () => {
    for (const args of [['status'], ['plan']]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: xcEnv(env()) });
        child.stdout.destroy(); // the reader is gone before xc writes (`xc status | head -0`)
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(r, args.join(' ')).toEqual({ code: 0, stderr: '' });
    }
  });

  it('status: one line per migration with a multi-line last error, the deploy hint said once; deploy list aligned on long names', { timeout: 180_000 }, async () => {
    expect((await run(['apply', '0003_email'])).code).toBe(0);
    await db.query(`UPDATE xc.migrations SET last_error = $1 WHERE id = '0003_email'`, ['lock timeout on "users"\nDETAIL: blocked by pid 42\nCONTEXT: SQL statement "ALTER TABLE users"']);
    const status = await run(['status']);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    const rows = lines.filter((l) => /^\d{4}_/.test(l));
    expect(rows.map((l) => l.split(' ')[0])).toEqual(['0001_users', LONG_ID, '0003_email']);
    expect(lines).toHaveLength(1 + 3 + 1); // header, a line per migration, the hint
    expect(rows[2]).toContain('lock timeout on "users" […]');
    expect(status.stdout.match(/xc deploy record/g)).toHaveLength(1);
    expect(rows.filter((l) => l.includes('no live deployment at or above'))).toHaveLength(3);
    // The columns line up: PHASE starts at the same place on every line.
    const phaseAt = lines[0]!.indexOf('PHASE');
    for (const l of rows) expect(l.slice(phaseAt)).toMatch(/^(pending|backfilled|expanding|dual_write) /);
    const json = JSON.parse((await run(['status', '--json'])).stdout.trim().split('\n').at(-1)!);
    expect(json.migrations[2].lastError).toContain('\nCONTEXT: SQL statement');

    const longApp = 'an-application-with-a-very-long-name';
    expect((await run(['deploy', 'record', '--app', longApp, '--version', '2026.11.30-build-123456789', '--level', '0001_users'])).code).toBe(0);
    expect((await run(['deploy', 'record', '--app', 'web', '--version', '1', '--level', '0001_users'])).code).toBe(0);
    const list = (await run(['deploy', 'list'])).stdout.trimEnd().split('\n');
    expect(list).toHaveLength(2);
    const levelAt = list.map((l) => l.indexOf('level 0001_users'));
    expect(levelAt[0]).toBeGreaterThan(`deployment  ${longApp}@2026.11.30-build-123456789`.length);
    expect(levelAt[1]).toBe(levelAt[0]);
  });
});
