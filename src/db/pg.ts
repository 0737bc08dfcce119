/**
 * PostgreSQL over node-postgres. xc writes `?` placeholders everywhere; they
 * are rewritten to `$n` here, and only when params are given, so raw SQL
 * without params (e.g. a migration's `sql` operation using the jsonb `?`
 * operator) passes through untouched.
 */
import pg from 'pg';
import type { Driver, QueryOptions, QueryResult, Session } from './driver.js';
import { SqlFailedError } from '../errors.js';
import { redactUrl, scrub } from './redact.js';

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Split PostgreSQL text into code and the parts no placeholder can be in:
 * '...' / E'...' strings, "..." identifiers, $tag$...$tag$ bodies, -- and
 * (nested) block comments. Joining the parts gives back the text.
 */
export function pgSegments(sql: string): { code: boolean; text: string }[] {
  const parts: { code: boolean; text: string }[] = [];
  let code = '';
  const literal = (text: string) => {
    if (code) parts.push({ code: true, text: code });
    code = '';
    parts.push({ code: false, text });
  };
  let i = 0;
  const len = sql.length;
  while (i < len) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'") {
      // E'..' strings allow backslash escapes; '' is an escaped quote in both.
      const prev = sql[i - 1];
      const escapes = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(sql[i - 2] ?? ' ');
      let j = i + 1;
      while (j < len) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      end = Math.min(j + 1, len);
    } else if (c === '"') {
      let j = i + 1;
      while (j < len) {
        if (sql[j] === '"' && sql[j + 1] === '"') j += 2;
        else if (sql[j] === '"') break;
        else j++;
      }
      end = Math.min(j + 1, len);
    } else if (c === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      end = j < 0 ? len : j;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < len && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth++, (j += 2));
        else if (sql[j] === '*' && sql[j + 1] === '/') (depth--, (j += 2));
        else j++;
      }
      end = j;
    } else if (c === '$' && !IDENT_CHAR.test(sql[i - 1] ?? ' ')) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        end = close < 0 ? len : close + m[0].length;
      }
    }
    if (end < 0) {
      code += c;
      i++;
    } else {
      literal(sql.slice(i, end));
      i = end;
    }
  }
  if (code) parts.push({ code: true, text: code });
  return parts;
}

/** `OPERATOR(...)`, which names an operator and never holds a placeholder. */
const OPERATOR_CALL = /(?<![A-Za-z0-9_$\u0080-\uffff])OPERATOR\s*\([^)]*\)/iy;
/** A run of operator characters holding a `?`: jsonb `?`, `?|`, `?&`, jsonpath `@?`, geometric `?-|`, ... */
const QUESTION_OPERATOR = /[+\-*/<>=~!@#%^&|`?]*\?[+\-*/<>=~!@#%^&|`?]*/y;

/** Rewrite the code parts of `sql` at each `OPERATOR(...)` (kept as is) and each other `?`-match of `other`. */
function rewriteCode(sql: string, other: RegExp, replace: (match: string) => string): string {
  return pgSegments(sql)
    .map((part) => {
      if (!part.code) return part.text;
      let out = '';
      for (let i = 0; i < part.text.length; ) {
        OPERATOR_CALL.lastIndex = i;
        other.lastIndex = i;
        const kept = OPERATOR_CALL.exec(part.text);
        const hit = kept ? null : other.exec(part.text);
        if (kept) out += kept[0];
        else if (hit && hit[0].length > 0) out += replace(hit[0]);
        else out += part.text[i];
        i += kept?.[0].length || hit?.[0].length || 1;
      }
      return out;
    })
    .join('');
}

/**
 * Rewrite `?` placeholders to `$1..$n`, outside literals, comments and
 * `OPERATOR(...)`.
 */
export function toDollarParams(sql: string): string {
  let n = 0;
  return rewriteCode(sql, /\?/y, () => `$${++n}`);
}

/**
 * An author's expression made safe to embed in a statement that also binds
 * `?` parameters: each operator spelled with `?` (jsonb `data ? 'k'`) becomes
 * `OPERATOR(?)`, the same operator at the same precedence, which
 * toDollarParams leaves alone. Without it, the batch UPDATE of a backfill
 * would read the author's `?` as a placeholder.
 */
export function quoteQuestionOperators(expr: string): string {
  // Spaced, so `doc?'k'` does not become the identifier `docOPERATOR`.
  return rewriteCode(expr, QUESTION_OPERATOR, (op) => ` OPERATOR(${op}) `);
}

/** What a pg session needs from a client (pg.Client, pg.PoolClient, or a knex-held pg client). */
export interface PgQueryable {
  query(config: { text: string; values?: unknown[]; queryMode?: 'extended' }): Promise<pg.QueryResult | pg.QueryResult[]>;
}

const guarded = new WeakSet<object>();

/** Swallow 'error' events of a checked-out client: the next query fails instead of the process crashing. */
export function guardErrors(emitter: { on(ev: 'error', fn: (e: Error) => void): unknown }): void {
  if (guarded.has(emitter)) return;
  guarded.add(emitter);
  emitter.on('error', () => undefined);
}

/** A Session over one pg client. Shared with the knex driver. */
export function pgSession(client: PgQueryable, release: (destroy?: boolean) => void): Session {
  let released = false;
  return {
    async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      const withParams = params !== undefined && params.length > 0;
      const res = await client.query(
        withParams ? { text: toDollarParams(sql), values: [...params] } : opts?.single ? { text: sql, values: [], queryMode: 'extended' } : { text: sql },
      );
      // A multi-statement simple query yields one result per statement: report the last.
      const last = Array.isArray(res) ? res[res.length - 1] : res;
      const rows = (last?.rows ?? []) as T[];
      return { rows, rowCount: last?.rowCount ?? rows.length };
    },
    release(destroy?: boolean) {
      if (released) return;
      released = true;
      release(destroy);
    },
  };
}

export interface PgDriverOptions {
  /** Shown instead of the URL. */
  label?: string;
  /** Close the pool on `close()` (true when we created it). */
  owned?: boolean;
}

/** A Driver over a pg.Pool: created from a URL or config, or wrapping a given pool. */
export function createPgDriver(source: string | pg.PoolConfig | pg.Pool, opts: PgDriverOptions = {}): Driver {
  let pool: pg.Pool;
  let owned: boolean;
  let label: string;
  if (source instanceof pg.Pool) {
    pool = source;
    owned = opts.owned ?? false;
    label = opts.label ?? 'pg.Pool';
  } else {
    const config: pg.PoolConfig = typeof source === 'string' ? { connectionString: source } : source;
    // A name in the URL (application_name=...) wins over this default.
    pool = new pg.Pool({ max: 10, application_name: 'xc', ...config });
    owned = opts.owned ?? true;
    label = opts.label ?? (typeof source === 'string' ? redactUrl(source) : 'postgres');
  }
  // An idle client dying (server restart, pg_terminate_backend) must not crash the process.
  guardErrors(pool);
  return {
    singleConnection: false,
    label,
    async acquire() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw connectError(label, err);
      }
      guardErrors(client);
      return pgSession(client, (destroy) => client.release(destroy ? true : undefined));
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

/** A connection failure, naming the redacted target and never the password. */
export function connectError(label: string, err: unknown): SqlFailedError {
  const e = err as { message?: string; code?: string };
  const msg = scrub(String(e?.message ?? err));
  const out = new SqlFailedError(`cannot connect to ${label}: ${msg}`, { code: e?.code ?? null }, { code: 'connect_failed', cause: err });
  return out;
}
