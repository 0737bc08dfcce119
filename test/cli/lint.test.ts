import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runXc } from '../helpers/cli.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xc-lint-'));
  made.push(dir);
  mkdirSync(path.join(dir, 'migrations'));
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, 'migrations', name), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

const clean = { operations: [{ sql: { expand: "CREATE INDEX CONCURRENTLY i ON users (email) -- COMMIT", rollback: 'DROP INDEX CONCURRENTLY i' } }] };
const bad = { operations: [{ sql: { expand: "SELECT 'x'; DROP TABLE users", contract: 'DROP TABLE old' } }] };

describe('xc lint', () => {
  it('exits 0 on clean migrations and creates nothing', async () => {
    const dir = project({ '0001_clean.json': clean });
    const r = await runXc(['lint', '--url', `pglite://${dir}/db`], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no findings');
    expect(existsSync(path.join(dir, 'db'))).toBe(false);
  });

  it('exits 1 with a finding naming file, path and rule; --json gives the findings', async () => {
    const dir = project({ '0001_clean.json': clean, '0002_bad.json': bad });
    const r = await runXc(['lint', '--url', `pglite://${dir}/db`], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${path.join('migrations', '0002_bad.json')}: operations[0].sql.expand: [breaks-old-version]`);
    expect(r.stdout).not.toContain('0001_clean');
    expect(r.stderr).not.toContain('no --url');
    // Without a URL the rules are PostgreSQL's, and said so (campaign P: a MySQL team's CI step read MODIFY unflagged).
    const plain = await runXc(['lint', 'migrations/0002_bad.json'], { cwd: dir, env: { XC_DATABASE_URL: '', DATABASE_URL: '' } });
    expect(plain.stderr).toContain("lint: no --url (XC_DATABASE_URL): statements read as PostgreSQL's (a file quoting names in backticks as MySQL/MariaDB's, or as both where the two read its backticks apart); give a mysql:// URL for MySQL/MariaDB's rules");
    expect(plain.stderr).not.toContain('read as MySQL');
    const j = await runXc(['lint', '--json', 'migrations/0002_bad.json'], { cwd: dir });
    expect(j.code).toBe(1);
    const last = JSON.parse(j.stdout.trim().split('\n').at(-1)!) as { ok: boolean; findings: Record<string, string>[] };
    expect(last.ok).toBe(false);
    expect(last.findings).toHaveLength(1);
    expect(Object.keys(last.findings[0]!).sort()).toEqual(['file', 'message', 'path', 'rule', 'severity', 'statement']);
    expect(last.findings[0]).toMatchObject({ file: 'migrations/0002_bad.json', path: 'operations[0].sql.expand', rule: 'breaks-old-version', severity: 'error', statement: 'DROP TABLE users' });
    expect(existsSync(path.join(dir, 'db'))).toBe(false);
  });

  it('without a URL, a file quoting names in backticks is read by MySQL/MariaDB\'s rules, and said so (campaign BB)', async () => {
    const prisma = { operations: [{ sql: { expand: 'ALTER TABLE `Post` ADD COLUMN `views` INTEGER NOT NULL DEFAULT 0, MODIFY `content` MEDIUMTEXT NULL' } }] };
    const dollar = { operations: [{ sql: { expand: "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '`x`' $$; ALTER TABLE users ALTER COLUMN a SET NOT NULL" } }] };
    // Campaign BL: PostgreSQL's nested comment hides a backtick from PostgreSQL, not from MySQL's tokens — read both ways.
    const nested = { operations: [{ sql: { expand: 'ALTER TABLE users ALTER COLUMN y TYPE bigint; /* note /* nested */ see `users` */' } }] };
    // Read both ways, several statements in a field (MySQL's syntax rule, not a safety one) are no finding (campaign BO).
    const dashes = { operations: [{ sql: { expand: "--backfill `legacy` flags\nUPDATE accounts SET flag = true WHERE flag IS NULL;\nUPDATE accounts SET kind = 'std' WHERE kind IS NULL;", rollback: 'SELECT 1' } }] };
    const dir = project({ '0001_prisma.json': prisma, '0002_pg.json': dollar, '0003_nested.json': nested, '0004_dashes.json': dashes });
    const r = await runXc(['lint'], { cwd: dir, env: { XC_DATABASE_URL: '', DATABASE_URL: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`lint: ${path.join('migrations', '0001_prisma.json')}: read as MySQL/MariaDB's (it quotes names in backticks)`);
    expect(r.stderr).not.toContain('0002_pg.json: read as');
    expect(r.stderr).toContain(`lint: ${path.join('migrations', '0003_nested.json')}: read as PostgreSQL's and as MySQL/MariaDB's (their tokens read a backtick in it apart`);
    expect(r.stdout).toContain(`${path.join('migrations', '0003_nested.json')}: operations[0].sql.expand: [table-rewrite]`);
    expect(r.stderr).toContain(`lint: ${path.join('migrations', '0004_dashes.json')}: read as PostgreSQL's and as MySQL/MariaDB's`);
    expect(r.stdout).not.toContain('0004_dashes.json');
    // MODIFY read by MySQL's rules; the backtick in a dollar-quoted body leaves 0002 PostgreSQL's (SET NOT NULL: a scan).
    expect(r.stdout).toContain(`${path.join('migrations', '0001_prisma.json')}: operations[0].sql.expand: [table-rewrite]`);
    expect(r.stdout).toContain(`${path.join('migrations', '0002_pg.json')}: operations[0].sql.expand: [`);
    // A URL decides: PostgreSQL's rules pass MODIFY unread, as the server would refuse it.
    const pg = await runXc(['lint', '--url', `pglite://${dir}/db`, 'migrations/0001_prisma.json'], { cwd: dir });
    expect(pg.stderr).not.toContain('read as MySQL');
  });

  it('exits 2 on an invalid or missing file, naming the file and the field', async () => {
    const dir = project({ '0001_clean.json': clean, '0002_invalid.json': { operations: [{ sql: { expnd: 'SELECT 1' } }] } });
    const r = await runXc(['lint', '--url', `pglite://${dir}/db`], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('0002_invalid.json: operations[0].sql');
    expect(r.stderr).toContain('expnd');
    const missing = await runXc(['lint', 'migrations/nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json');
    expect(existsSync(path.join(dir, 'db'))).toBe(false);
  });

  it('reads MODIFY as MySQL when the URL is MySQL', async () => {
    const dir = project({ '0001_m.json': { operations: [{ sql: { expand: 'ALTER TABLE users MODIFY age bigint' } }] } });
    const pg = await runXc(['lint'], { cwd: dir });
    expect(pg.code).toBe(0);
    const my = await runXc(['lint', '--url', 'mysql://root@127.0.0.1:1/none'], { cwd: dir });
    expect(my.code).toBe(1);
    expect(my.stdout).toContain('[table-rewrite]');
  });
});
