/**
 * Passwords must never reach any output, log, error or state row (SPEC §2).
 * URLs are redacted where they are shown; on top of that every password xc
 * opened a connection with is registered in `knownSecrets`, and `scrub`
 * removes them from any text the CLI prints (e.g. a driver's error message).
 */

import { escapeRegExp } from '../dialects/names.js';

/** Passwords of every connection opened by this process. Others may add to it. */
export const knownSecrets = new Set<string>();

/** Query parameters whose values are secrets. */
const SECRET_PARAM = /passw(or)?d|^pass$|^pwd$|secret|token/i;

/** Shorter secrets are only redacted inside URLs: replacing them in free text would garble it. */
export const MIN_FREE_TEXT_SECRET = 3;

/** Register the password of a connection (raw and decoded forms). */
export function addSecret(secret: string | null | undefined): void {
  if (!secret) return;
  knownSecrets.add(secret);
  try {
    const decoded = decodeURIComponent(secret);
    if (decoded) knownSecrets.add(decoded);
  } catch {
    // not percent-encoded: the raw form is enough
  }
}

/** The password part of a URL, decoded, or null. Splits the authority the way WHATWG URL does. */
export function passwordOf(url: string, loose = false): string | null {
  const parts = splitUrl(url, loose);
  if (!parts || parts.password === null) return null;
  try {
    return decodeURIComponent(parts.password);
  } catch {
    return parts.password;
  }
}

interface UrlParts {
  scheme: string; // "postgres://"
  user: string | null;
  password: string | null;
  rest: string; // host and everything after
}

/**
 * Scheme, user, password and the rest. `loose`: the user part runs to the last `@` of the whole string, not to
 * the first `/`, `?` or `#`, so a password holding those raw (a malformed URL) is still found, to redact it.
 */
function splitUrl(url: string, loose = false): UrlParts | null {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url);
  if (!m) return splitNoAuthority(url);
  const scheme = m[1]!;
  const after = url.slice(scheme.length);
  const end = loose ? -1 : after.search(/[/?#]/);
  const authority = end < 0 ? after : after.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return { scheme, user: null, password: null, rest: after };
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  return {
    scheme,
    user: colon < 0 ? userinfo : userinfo.slice(0, colon),
    password: colon < 0 ? null : userinfo.slice(colon + 1),
    rest: after.slice(at + 1),
  };
}

/**
 * A connection string without `//` after its scheme (`postgres:/u:p@h/db`) or without a scheme (`u:p@h/db`):
 * no URL, but a driver may still read a user and password in it, so everything up to the last `@` is taken
 * as `user:password`, to redact it.
 */
function splitNoAuthority(url: string): UrlParts | null {
  const scheme = /^(?:postgres(?:ql)?|mysql|mariadb):\/?/i.exec(url)?.[0] ?? '';
  const after = url.slice(scheme.length);
  const at = after.lastIndexOf('@');
  if (at < 0) return null;
  const userinfo = after.slice(0, at);
  const colon = userinfo.indexOf(':');
  return { scheme, user: colon < 0 ? userinfo : userinfo.slice(0, colon), password: colon < 0 ? null : userinfo.slice(colon + 1), rest: after.slice(at + 1) };
}

/** A connection given as an object, shown as a URL without its password: `scheme://user:***@host:port/database`. */
export function connectionLabel(scheme: string, c: { host?: string; port?: number | string; user?: string; password?: string; database?: string }): string {
  const auth = c.user ? `${c.user}${c.password ? ':***' : ''}@` : '';
  return `${scheme}://${auth}${c.host ?? 'localhost'}${c.port ? `:${c.port}` : ''}/${c.database ?? ''}`;
}

/** The URL with its password (and any `?password=` style parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  const parts = splitUrl(url, true);
  if (!parts) return url;
  let out = parts.scheme;
  if (parts.user !== null) out += parts.user + (parts.password !== null ? ':***' : '') + '@';
  out += parts.rest.replace(/([?&;])([^=&;#]+)=([^&;#]*)/g, (all, sep: string, key: string) =>
    SECRET_PARAM.test(safeDecode(key)) ? `${sep}${key}=***` : all,
  );
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Why `url` cannot be read as its driver would: a password with a raw `#`, `/`, `?` or `@` moves the host
 * (WHATWG URL parsing), so the driver would connect elsewhere or echo the URL in its error. Null when fine.
 */
export function malformedUrlProblem(url: string): string | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return `${redactUrl(url)} is not a valid URL: expected scheme://user:password@host:port/database`;
  const strict = splitUrl(url);
  const loose = splitUrl(url, true);
  if (!strict || !loose) return null;
  if (strict.password !== loose.password || strict.user !== loose.user) {
    return `${redactUrl(url)} is not a valid URL: in a user name or password, write # / ? @ : as %23 %2F %3F %40 %3A`;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${redactUrl(url)} is not a valid URL`;
  }
  // The drivers decode each part: a `%` not starting an escape (`%zz`, a bare `%`) would fail there as "URI malformed".
  for (const [part, text] of [['user name or password', `${u.username}${u.password}`], ['host', u.hostname], ['path', u.pathname]] as const) {
    try {
      decodeURIComponent(text);
    } catch {
      return `${redactUrl(url)} is not a valid URL: its ${part} holds a % that starts no %XX escape (write a % itself as %25)`;
    }
  }
  return null;
}

/** Replace every occurrence of each secret (and its URL-encoded forms) in `text` by `***`. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < MIN_FREE_TEXT_SECRET) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(encodeURI(s));
  }
  // Longest first so a secret containing another is replaced whole.
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  let out = text;
  for (const f of sorted) out = out.replace(new RegExp(escapeRegExp(f), 'g'), '***');
  return out;
}

/** Redact every URL found in `text`, then every known secret. Pass anything printed through it. */
export function scrub(text: string): string {
  // The punctuation a sentence puts after a URL is not part of it: `…?password=***: database "x" does not exist`
  // lost its colon to the redacted parameter (campaign D).
  const urls = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]+/gi, (u) => {
    const tail = /[:;,.)\]]+$/.exec(u)?.[0] ?? '';
    return redactUrl(u.slice(0, u.length - tail.length)) + tail;
  });
  return redactSecrets(urls, knownSecrets);
}
