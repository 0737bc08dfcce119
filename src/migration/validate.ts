/**
 * Validating a migration's raw value against the file format (SPEC §3), with
 * messages that name the file and each issue's path. Its own module: it loads
 * zod, which only the commands that validate a file pay for (start-up time).
 */
import type { z } from 'zod';
import { InvalidInputError, type MigrationIssue } from '../errors.js';
import { MigrationSchema, OperationSchemas, type MigrationDefinition } from './schema.js';

/** Paths of the strings (keys included) in `raw` that hold a NUL character. A loop, not recursion: a file may nest 200 000 deep. */
function nulPaths(raw: unknown): (string | number)[][] {
  type At = { key: string | number; up: At } | null; // a linked path: no copy per level
  const pathOf = (at: At, last: (string | number)[] = []) => {
    const p = [...last];
    for (let a = at; a; a = a.up) p.unshift(a.key);
    return p;
  };
  const out: (string | number)[][] = [];
  const todo: [unknown, At][] = [[raw, null]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [v, at] = next;
    if (typeof v === 'string') {
      if (v.includes('\0')) out.push(pathOf(at));
    } else if (v !== null && typeof v === 'object') {
      const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      for (const [k] of entries) if (typeof k === 'string' && k.includes('\0')) out.push(pathOf(at, [k]));
      for (const [k, x] of entries.reverse()) todo.push([x, { key: k, up: at }]);
    }
  }
  return out;
}

/** Validate a raw value as a migration; the error names the file and each issue's path. */
export function validateMigration(raw: unknown, file: string): MigrationDefinition {
  // Neither database stores a NUL in a name, text or state row: refused here, not half-way through apply.
  const nul = nulPaths(raw);
  if (nul.length > 0) {
    const issues = nul.map((path): MigrationIssue => ({ code: 'invalid_format', file, path, message: 'holds a NUL character (\\u0000), which neither database can store' }));
    throw new InvalidInputError(issues.map((i) => `${file}: ${formatPath(i.path) || 'the migration'}: ${i.message}`).join('\n'), { file }, { code: 'invalid_migration', issues });
  }
  const parsed = MigrationSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = formatIssues(parsed.error.issues).map((l) => `${file}: ${l}`);
  const issues = parsed.error.issues.map((i): MigrationIssue => ({ code: 'invalid_format', file, path: i.path.map((k) => (typeof k === 'number' ? k : String(k))), message: issueText(i) }));
  throw new InvalidInputError(lines.join('\n'), { file, issues: parsed.error.issues }, { code: 'invalid_migration', issues });
}

// ---- validation messages -------------------------------------------------

/** `operations[0].renameColumn.from` */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out;
}

/** Through optional, nullable and refined wrappers; not into an array (zod's `unwrap` of one is its element). */
const unwrap = (s: unknown): unknown => {
  let cur = s as { unwrap?: () => unknown; shape?: unknown; element?: unknown };
  while (cur && !cur.shape && !cur.element && typeof cur.unwrap === 'function') cur = cur.unwrap() as typeof cur;
  return cur;
};

/** The schema at `p` of an operation (or the file's top level), when known. */
function schemaAt(p: readonly PropertyKey[]): unknown {
  if (p.length === 0) return MigrationSchema;
  if (p[0] !== 'operations' || typeof p[2] !== 'string') return undefined;
  let schema: unknown = (OperationSchemas as Record<string, unknown>)[p[2]];
  for (const k of p.slice(3)) {
    const s = unwrap(schema) as { shape?: Record<string, unknown>; element?: unknown; valueType?: unknown };
    if (typeof k === 'number') schema = s?.element ?? s?.valueType;
    else schema = s?.shape?.[k as string] ?? s?.valueType;
  }
  return schema;
}

/** The keys the schema allows at `p`, when known (for "unknown key" messages). */
function allowedKeys(p: readonly PropertyKey[]): string[] | null {
  const shape = (unwrap(schemaAt(p)) as { shape?: Record<string, unknown> })?.shape;
  return shape ? Object.keys(shape) : null;
}

/** The objects a union at `p` takes, by their keys (`{ expression } or { identity }`), when each is one (campaign FH: "expected object or object"). */
function objectAlternatives(p: readonly PropertyKey[]): string | null {
  const options = (unwrap(schemaAt(p)) as { options?: unknown[] })?.options;
  const shapes = options?.map((o) => (unwrap(o) as { shape?: Record<string, unknown> })?.shape);
  if (!shapes || shapes.length === 0 || shapes.some((x) => !x)) return null;
  return shapes.map((x) => `{ ${Object.keys(x!).join(', ')} }`).join(' or ');
}

function issueText(issue: z.core.$ZodIssue): string {
  const msg = issue.message.replace(/^Invalid (input|option): /, '');
  switch (issue.code) {
    case 'invalid_type':
      return /received undefined$/.test(msg) ? `required: expected ${issue.expected}` : msg;
    case 'unrecognized_keys': {
      const allowed = allowedKeys(issue.path);
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${allowed ? `; expected only: ${allowed.join(', ')}` : ''}`;
    }
    case 'invalid_union': {
      const alts = issue.errors.map((branch) => branch.map((i) => issueText(i)).join('; '));
      const types = issue.errors.map((b) => (b[0]?.code === 'invalid_type' && b[0].path.length === 0 ? b[0] : null));
      if (types.every((t) => t)) {
        const received = /received (\w+)/.exec(types[0]!.message)?.[1];
        const expected = [...new Set(types.map((t) => (t as { expected: string }).expected))];
        const objects = expected.length === 1 && expected[0] === 'object' ? objectAlternatives(issue.path) : null;
        return `expected ${objects ?? expected.join(' or ')}${received ? `, received ${received}` : ''}`;
      }
      return `expected one of: ${alts.join(' | ')}`;
    }
    default:
      return msg;
  }
}

/** One readable line per issue: `path: what was expected`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const where = formatPath(i.path);
    return where ? `${where}: ${issueText(i)}` : issueText(i);
  });
}

