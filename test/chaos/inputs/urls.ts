/**
 * Connection URLs around a real password that holds every special
 * character: a user on the private server (PostgreSQL: SCRAM, asked for by a
 * pg_hba line of its own; MariaDB: IDENTIFIED BY), and that password raw,
 * percent-encoded, wrong, or in a malformed URL, given by --url,
 * XC_DATABASE_URL, DATABASE_URL, xc.config.json/.mjs or a knexfile (URL or
 * connection object). Malformed: exit 2; wrong password: a connection error
 * (exit 1); the encoded password: the migration applies. And the password —
 * raw, encoded, or any of the random runs of letters it is built around —
 * never appears in stdout, stderr, --json lines, the library's error (any
 * field of it), its events, or xc's state rows.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveOptions, type Flags } from '../../../src/config.js';
import { once, type Dialect } from '../db.js';
import type { Server } from '../servers.js';
import { call, inputDb, jsonProblems, runXc, sample, tempDir, withXc, type ClassContext } from './common.js';

export const PW_USER = 'xc_in_pw';
const SPECIALS = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~é€';

/** A password of every special character around runs of random letters, and those runs (a leak of any of them is a leak). */
export function password(rnd: () => number): { pw: string; runs: string[] } {
  const alnum = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const runs = Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => alnum[Math.floor(rnd() * alnum.length)]).join(''));
  const chunk = Math.ceil(SPECIALS.length / 5);
  let pw = runs[0]!;
  for (let i = 1; i < runs.length; i++) pw += SPECIALS.slice((i - 1) * chunk, i * chunk) + runs[i];
  return { pw, runs };
}

/** The user, with `pw`, allowed into `db`; on PostgreSQL, made to give a password (the private server trusts everyone else). */
async function createUser(server: Server, pw: string): Promise<void> {
  const q = (sql: string, params?: unknown[]) => once(server.dialect, server.url, sql, params);
  if (server.dialect === 'postgres') {
    // Utility statements take no parameters: the literal is written out (standard_conforming_strings is on).
    const lit = `'${pw.replace(/'/g, "''")}'`;
    if (!(await q(`SELECT 1 FROM pg_roles WHERE rolname = ?`, [PW_USER])).length) await q(`CREATE ROLE ${PW_USER} LOGIN`);
    await q(`ALTER ROLE ${PW_USER} LOGIN PASSWORD ${lit}`);
    const [hba] = (await q(`SHOW hba_file`)) as { hba_file: string }[];
    const lines = ['local all all trust', `host all ${PW_USER} 127.0.0.1/32 scram-sha-256`, 'host all all 127.0.0.1/32 trust', 'host all all ::1/128 trust'];
    await q(`COPY (SELECT unnest(ARRAY[${lines.map((l) => `'${l}'`).join(', ')}])) TO '${hba!.hba_file.replace(/'/g, "''")}'`);
    await q(`SELECT pg_reload_conf()`);
    await new Promise((r) => setTimeout(r, 300));
  } else {
    for (const host of ['%', 'localhost', '127.0.0.1']) {
      await q(`CREATE USER IF NOT EXISTS '${PW_USER}'@'${host}' IDENTIFIED BY ?`, [pw]);
      await q(`ALTER USER '${PW_USER}'@'${host}' IDENTIFIED BY ?`, [pw]);
    }
  }
}

async function grant(server: Server, db: string): Promise<void> {
  if (server.dialect === 'mysql') for (const host of ['%', 'localhost', '127.0.0.1']) await once(server.dialect, server.url, `GRANT ALL ON \`${db}\`.* TO '${PW_USER}'@'${host}'`);
}

type Expected = 'ok' | 'malformed' | 'refused' | 'ok or refused' | 'malformed or refused' | 'ok or malformed';
type Source = 'flag' | 'XC_DATABASE_URL' | 'DATABASE_URL' | 'xc.config.json' | 'xc.config.mjs' | 'knexfile' | 'knexfile object';
const URL_SOURCES: Source[] = ['flag', 'XC_DATABASE_URL', 'DATABASE_URL', 'xc.config.json', 'xc.config.mjs', 'knexfile'];

interface UrlInput {
  what: string;
  source: Source;
  /** The URL, or for `knexfile object` the password put in the object. */
  url: string;
  password: string;
  expected: Expected;
}

function corpus(dialect: Dialect, hostPort: string, db: string, pw: string, wrong: string): UrlInput[] {
  const scheme = dialect === 'postgres' ? 'postgres' : 'mysql';
  const [host, port] = hostPort.split(':');
  const enc = encodeURIComponent;
  const u = (p: string, rest = `@${hostPort}/${db}`) => `${scheme}://${PW_USER}:${p}${rest}`;
  const forms: [string, string, Expected][] = [
    ['the password encoded', u(enc(pw)), 'ok'],
    ['the password raw', u(pw), 'malformed'],
    ['a wrong password encoded', u(enc(wrong)), 'refused'],
    ['a wrong password raw', u(wrong), 'malformed'],
    ['the password as a ?password= parameter', `${scheme}://${PW_USER}@${hostPort}/${db}?password=${enc(pw)}`, 'ok or refused'],
    ['the password only half encoded (# / ? @ :)', u(pw.replace(/[%#/?@:]/g, (c) => enc(c))), 'ok or refused'],
    ['no host', u(enc(pw), `@/${db}`), 'malformed'],
    ['an empty host and a port', u(enc(pw), `@:${port}/${db}`), 'malformed'],
    ['port 99999', u(enc(pw), `@${host}:99999/${db}`), 'malformed'],
    ['a port that is no number', u(enc(pw), `@${host}:p0rt/${db}`), 'malformed'],
    ['two ports', u(enc(pw), `@${hostPort}:1/${db}`), 'malformed'],
    ['an unknown scheme', `oracle://${PW_USER}:${enc(pw)}@${hostPort}/${db}`, 'malformed'],
    ['one slash after the scheme', `${scheme}:/${PW_USER}:${enc(pw)}@${hostPort}/${db}`, 'malformed'],
    ['no scheme', `${PW_USER}:${enc(pw)}@${hostPort}/${db}`, 'malformed'],
    ['a stray @ before the host', u(enc(pw), `@@${hostPort}/${db}`), 'malformed or refused'],
    ['a space in the host', u(enc(pw), `@127.0.0 .1:${port}/${db}`), 'malformed'],
    ['an unclosed IPv6 bracket', u(enc(pw), `@[::1:${port}/${db}`), 'malformed'],
  ];
  const out: UrlInput[] = [];
  for (const [what, url, expected] of forms) {
    for (const source of URL_SOURCES) {
      // A knexfile's `client` picks the driver, which reads any scheme: the scheme of its URL is not xc's to judge.
      const e = source === 'knexfile' && url.startsWith('oracle:') ? 'ok or malformed' : expected;
      out.push({ what: `${what}, by ${source}`, source, url, password: pw, expected: e });
    }
  }
  out.push({ what: 'the password in a knexfile connection object', source: 'knexfile object', url: '', password: pw, expected: 'ok' });
  out.push({ what: 'a wrong password in a knexfile connection object', source: 'knexfile object', url: '', password: wrong, expected: 'refused' });
  return out;
}

/** Where the input's setting goes: flags and environment for the library, files in `cwd`, and the CLI's arguments. */
async function place(input: UrlInput, cwd: string, dialect: Dialect, hostPort: string, db: string): Promise<{ flags: Flags; env: Record<string, string>; args: string[] }> {
  const dir = path.join(cwd, 'migrations');
  const flags: Flags = { dir };
  const env: Record<string, string> = {};
  const args = ['--dir', dir];
  const client = dialect === 'postgres' ? 'pg' : 'mysql2';
  const [host, port] = hostPort.split(':');
  switch (input.source) {
    case 'flag':
      flags.url = input.url;
      args.push('--url', input.url);
      break;
    case 'XC_DATABASE_URL':
    case 'DATABASE_URL':
      env[input.source] = input.url;
      break;
    case 'xc.config.json':
      await writeFile(path.join(cwd, input.source), JSON.stringify({ url: input.url }));
      break;
    case 'xc.config.mjs':
      await writeFile(path.join(cwd, input.source), `export default { url: ${JSON.stringify(input.url)} };\n`);
      break;
    case 'knexfile':
    case 'knexfile object': {
      const connection = input.source === 'knexfile' ? input.url : { host, port: Number(port), user: PW_USER, password: input.password, database: db };
      const file = path.join(cwd, 'knexfile.mjs');
      await writeFile(file, `export default { client: '${client}', connection: ${JSON.stringify(connection)} };\n`);
      flags.knexfile = file;
      args.push('--knexfile', file);
    }
  }
  return { flags, env, args };
}

/** Every string in `v`: own properties, enumerable or not (message, stack, cause, a driver's `input`), nested. */
function strings(v: unknown, seen = new Set<unknown>(), depth = 0): string[] {
  if (typeof v === 'string') return [v];
  if (v === null || typeof v !== 'object' || seen.has(v) || depth > 6) return [];
  seen.add(v);
  return Object.getOwnPropertyNames(v).flatMap((k) => strings((v as Record<string, unknown>)[k], seen, depth + 1));
}

const codesOf: Record<Expected, number[]> = { ok: [0], malformed: [2], refused: [1], 'ok or refused': [0, 1], 'malformed or refused': [1, 2], 'ok or malformed': [0, 2] };

export async function runUrlInputs(ctx: ClassContext, cliCount: number): Promise<void> {
  const { pw, runs } = password(ctx.rnd);
  const wrongPw = password(ctx.rnd);
  const dbName = `xc_in_url_${ctx.round}`;
  await createUser(ctx.server, pw);
  const db = await inputDb(ctx.server, dbName, [], ctx.dialect === 'postgres' ? PW_USER : undefined);
  await grant(ctx.server, dbName);
  const hostPort = new URL(ctx.server.url).host;
  const inputs = corpus(ctx.dialect, hostPort, dbName, pw, wrongPw.pw);
  const viaCli = sample(ctx.rnd, inputs.length, cliCount);
  const secrets = [pw, encodeURIComponent(pw), encodeURI(pw), ...runs, wrongPw.pw, encodeURIComponent(wrongPw.pw), ...wrongPw.runs];
  const leaks = (where: string, text: string) => secrets.filter((s) => text.includes(s)).map((s) => `${where} holds ${s === pw ? 'the password' : s === wrongPw.pw ? 'the wrong password' : `"${s}" of the password`}: …${text.slice(Math.max(0, text.indexOf(s) - 100), text.indexOf(s) + s.length + 40)}…`);
  try {
    for (const [index, input] of inputs.entries()) {
      if (ctx.only !== undefined && index !== ctx.only) continue;
      ctx.starting(index, input.what);
      const t = await tempDir('xc-in-url-');
      const problems: string[] = [];
      let outcome = '';
      try {
        const { flags, env, args } = await place(input, t.dir, ctx.dialect, hostPort, dbName);
        await mkdir(flags.dir as string);
        await writeFile(path.join(flags.dir as string, '0001_url.json'), JSON.stringify({ operations: [{ createTable: { table: 'made_by_url', columns: [{ name: 'id', type: 'int', primaryKey: true, nullable: false }] } }] }));
        const events: string[] = [];
        const r = await call(async () => {
          const options = await resolveOptions(flags, env, t.dir);
          await withXc({ ...options, onEvent: (e) => void events.push(JSON.stringify(e)) }, (xc) => xc.apply());
        });
        outcome = `${input.expected}: ${r.code}`;
        if (!codesOf[input.expected].includes(r.code as number)) problems.push(`library: exit ${r.code}, expected ${input.expected} (${codesOf[input.expected].join(' or ')}): ${r.message.slice(0, 300)}`);
        problems.push(...leaks('the library\'s error', strings(r.error).join('\n')), ...leaks('an event', events.join('\n')));
        if (viaCli.has(index)) {
          const json = index % 2 === 0;
          const c = await runXc(['apply', ...args, ...(json ? ['--json'] : [])], { cwd: t.dir, env });
          outcome += `, cli ${c.code}`;
          if (c.code !== r.code) problems.push(`cli apply${json ? ' --json' : ''}: exit ${c.code} where the library gave ${r.code}: ${(c.stdout + c.stderr).slice(0, 300)}`);
          if (json) problems.push(...jsonProblems(c, c.code === 0));
          problems.push(...leaks('stdout', c.stdout), ...leaks('stderr', c.stderr));
        }
      } finally {
        await t.remove();
      }
      problems.push(...leaks("xc's state rows", (await db.catalog()).state));
      ctx.record({ cls: 'url', index, what: input.what, outcome, problems, cli: viaCli.has(index) });
    }
  } finally {
    await db.drop();
  }
}
