import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownSecrets, redactSecrets, redactUrl, scrub, passwordOf } from '../../src/db/redact.js';
import { quoteQuestionOperators, toDollarParams } from '../../src/dialects/postgres/text.js';
import { openDriver } from '../../src/db/connect.js';
import { withSession } from '../../src/db/driver.js';
import { InvalidInputError } from '../../src/errors.js';

describe('redactUrl', () => {
  it('hides the password and password parameters', () => {
    expect(redactUrl('postgres://u:s3cret@host:5432/db')).toBe('postgres://u:***@host:5432/db');
    expect(redactUrl('mysql://root@127.0.0.1:3306/test')).toBe('mysql://root@127.0.0.1:3306/test');
    expect(redactUrl('postgres://u:p%40ss@h/db?sslmode=require&password=x1&application_name=a'))
      .toBe('postgres://u:***@h/db?sslmode=require&password=***&application_name=a');
    expect(redactUrl('postgres://u:a@b@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('pglite://memory')).toBe('pglite://memory');
    expect(passwordOf('postgres://u:p%40ss@h/db')).toBe('p@ss');
  });

  it('redactSecrets replaces raw and encoded forms', () => {
    expect(redactSecrets('pw p@ss/1 or p%40ss%2F1 here', ['p@ss/1'])).toBe('pw *** or *** here');
  });

  it('scrub redacts URLs and known secrets in any text', () => {
    knownSecrets.add('hunter22');
    expect(scrub('failed: mysql://a:zz9@h/db and hunter22')).toBe('failed: mysql://a:***@h/db and ***');
    // A sentence's punctuation after a URL stays (campaign D: a ?password= URL's error lost its colon).
    expect(scrub('cannot connect to postgres://u@h/db?password=pw1: database "db" does not exist')).toBe('cannot connect to postgres://u@h/db?password=***: database "db" does not exist');
    expect(scrub('see (postgres://u:pw2@h/db).')).toBe('see (postgres://u:***@h/db).');
  });
});

describe('toDollarParams', () => {
  const cases: Array<[string, string]> = [
    ['SELECT ? , ?', 'SELECT $1 , $2'],
    ["SELECT '?', ?", "SELECT '?', $1"],
    ["SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"],
    ["SELECT E'\\'?', ?", "SELECT E'\\'?', $1"],
    ['SELECT "a?b" FROM t WHERE x = ?', 'SELECT "a?b" FROM t WHERE x = $1'],
    ['SELECT 1 -- what?\n, ?', 'SELECT 1 -- what?\n, $1'],
    ['SELECT /* a ? /* nested ? */ ? */ ?', 'SELECT /* a ? /* nested ? */ ? */ $1'],
    ['DO $$ BEGIN PERFORM ?; END $$; SELECT ?', 'DO $$ BEGIN PERFORM ?; END $$; SELECT $1'],
    ['SELECT $fn$ ? $fn$, ?', 'SELECT $fn$ ? $fn$, $1'],
    ['SELECT a$b, ?', 'SELECT a$b, $1'],
    ['SELECT ?::int, ?::text', 'SELECT $1::int, $2::text'],
    ["SELECT a OPERATOR(?) 'k', ?, b OPERATOR ( pg_catalog.?| ) ?", "SELECT a OPERATOR(?) 'k', $1, b OPERATOR ( pg_catalog.?| ) $2"],
    ['SELECT myoperator(?)', 'SELECT myoperator($1)'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => expect(toDollarParams(input)).toBe(expected));
  }
});

describe('quoteQuestionOperators', () => {
  const cases: Array<[string, string]> = [
    ["doc ? 'k'", "doc  OPERATOR(?)  'k'"],
    ["doc?'k' AND doc ?| array['a'] OR doc?&b", "doc OPERATOR(?) 'k' AND doc  OPERATOR(?|)  array['a'] OR doc OPERATOR(?&) b"],
    ["doc @? '$.a ? (@ > 1)'", "doc  OPERATOR(@?)  '$.a ? (@ > 1)'"],
    ['"a?" || \'?\' -- ?\n/* ? */', '"a?" || \'?\' -- ?\n/* ? */'],
    ["doc OPERATOR(pg_catalog.?) 'k'", "doc OPERATOR(pg_catalog.?) 'k'"],
    ['a @> b', 'a @> b'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => expect(quoteQuestionOperators(input)).toBe(expected));
  }
  it('leaves nothing for toDollarParams to number', () => expect(toDollarParams(quoteQuestionOperators("d ? 'k' AND d ?| x"))).not.toMatch(/\$\d/));
});

describe('openDriver', () => {
  it('never shows the password of a failing connection', async () => {
    const d = await openDriver({ url: 'postgres://u:s3cret@127.0.0.1:1/db' });
    expect(d.label).toBe('postgres://u:***@127.0.0.1:1/db');
    expect(d.label).not.toContain('s3cret');
    const err = (await withSession(d, (s) => s.query('SELECT 1')).catch((e: unknown) => e)) as Error;
    await d.close();
    expect(err).toBeInstanceOf(Error);
    expect(scrub(err.message)).not.toContain('s3cret');
    expect(err.message).not.toContain('s3cret');
    expect(scrub(`${err.message} ${err.stack} postgres://u:s3cret@127.0.0.1:1/db`)).not.toContain('s3cret');
    expect(knownSecrets.has('s3cret')).toBe(true);
  });

  it('refuses an unknown scheme and no configuration, saying how to connect', async () => {
    await expect(openDriver({ url: 'oracle://u:pw12@h/db' })).rejects.toThrow(InvalidInputError);
    const e = (await openDriver({ url: 'oracle://u:pw12@h/db' }).catch((x: unknown) => x)) as Error;
    expect(e.message).not.toContain('pw12');
    await expect(openDriver({})).rejects.toThrow(/--url.*XC_DATABASE_URL.*DATABASE_URL.*--knexfile/);
  });

  it('refuses an unknown connection object', async () => {
    await expect(openDriver({ connection: { hello: 1 } })).rejects.toThrow(InvalidInputError);
  });
});

describe('a password with raw # / ? in it (issue 11, item 9)', () => {
  const urls = ['postgres://u:pa#ss/w?rd@127.0.0.1:5432/postgres', 'mysql://root:se#cr/et?x@127.0.0.1:3306/test', 'mariadb://root:a/b#c@127.0.0.1:3306/test'];

  it('is redacted from a URL that does not parse', () => {
    expect(redactUrl(urls[0]!)).toBe('postgres://u:***@127.0.0.1:5432/postgres');
    expect(scrub(`failed: ${urls[1]} (Invalid URL)`)).toBe('failed: mysql://root:***@127.0.0.1:3306/test (Invalid URL)');
  });

  it.each(urls)('%s: exit 2 before any connection, and no field of the error holds the password', async (url) => {
    const err = await openDriver({ url }).then(
      () => undefined,
      (e: unknown) => e as InvalidInputError,
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toMatch(/is not a valid URL: in a user name or password, write # \/ \? @ : as %23 %2F %3F %40 %3A/);
    const everything = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err!.stack);
    for (const secret of ['pa#ss', 'w?rd', 'se#cr', 'et?x', 'a/b#c']) expect(everything).not.toContain(secret);
  });
});

describe('a % that starts no escape (campaign V: "URI malformed", exit 1)', () => {
  it.each([
    ['mysql://u:S3cr%zz@127.0.0.1:3306/db', /user name or password holds a % that starts no %XX escape/],
    ['postgres://u:S3cr%zz@127.0.0.1:5432/db', /user name or password holds a % that starts no %XX escape/],
    ['mysql://root@127.0.0.1:3306/te%st', /its path holds a % that starts no %XX escape/],
    ['pglite:///tmp/xc-no-such%zz', /the path holds a % that starts no %XX escape/],
  ])('%s: exit 2 before any connection, naming the part, the password in no field', async (url, message) => {
    const err = await openDriver({ url }).then(() => undefined, (e: unknown) => e as InvalidInputError);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toMatch(message);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err!.stack)).not.toContain('S3cr');
  });
});

describe('connection strings without "//" and knexfile URLs (the chaos suite\'s input corpus)', () => {
  const everything = (err: unknown) => JSON.stringify(err, Object.getOwnPropertyNames(err)) + String((err as Error).stack);
  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as InvalidInputError);

  it.each(['postgres:/u:Zq7%23pw%2Fx@127.0.0.1:5432/db', 'mysql:/u:Zq7%23pw%2Fx@127.0.0.1:3306/db', 'u:Zq7%23pw%2Fx@127.0.0.1:5432/db', 'postgres:u:Zq7#pw/x@127.0.0.1/db'])(
    '%s: exit 2 before any connection, the password in no field of the error',
    async (url) => {
      expect(redactUrl(url)).not.toMatch(/Zq7/);
      const err = await refusal(openDriver({ url }));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err!.message).toMatch(/is not a valid URL: expected scheme:\/\/user:password@host:port\/database/);
      expect(everything(err)).not.toMatch(/Zq7/);
      expect(scrub(`echo ${url}`)).not.toMatch(/Zq7/);
    },
  );

  it.each([
    ['pg', 'postgres://u:Zq7#pw/x?y@127.0.0.1:5432/db'],
    ['mysql2', 'mysql://u:Zq7#pw/x?y@127.0.0.1:3306/db'],
    ['mysql2', 'mysql:/u:Zq7%23pw@127.0.0.1:3306/db'],
  ])('a knexfile (%s) with %s: exit 2 naming the knexfile, the password in no field of the error', async (client, url) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-knexfile-'));
    try {
      const file = path.join(dir, 'knexfile.mjs');
      await writeFile(file, `export default { client: '${client}', connection: ${JSON.stringify(url)} };\n`);
      const err = await refusal(openDriver({ knexfile: file }));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err!.message).toMatch(/^knexfile .*knexfile\.mjs: .* is not a valid URL/);
      expect(everything(err)).not.toMatch(/Zq7/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
