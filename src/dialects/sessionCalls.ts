/**
 * Calls in an author expression that would change the session it runs on
 * (a setting, a session lock, a connection of its own), found in a
 * dialect's tokens: each dialect brings its list of such functions.
 */
import type { Token } from './sqltext.js';

const significant = (t: Token) => t.kind !== 'space' && t.kind !== 'comment';

/**
 * Each call in `tokens` of a function `reason` knows, as `name(), which
 * <reason>`, once. A call is a name before `(` — bare or quoted, qualified
 * by a schema or not; `nameOf` reads a token as the server does (undefined:
 * no function name).
 */
export function sessionCalls(tokens: Token[], nameOf: (t: Token) => string | undefined, reason: (name: string) => string | undefined): string[] {
  const found = new Map<string, string>();
  const code = tokens.filter(significant);
  code.forEach((t, i) => {
    const name = code[i + 1]?.text === '(' ? nameOf(t) : undefined;
    const why = name === undefined ? undefined : reason(name);
    if (why !== undefined && !found.has(name!)) found.set(name!, `${name}(), which ${why}`);
  });
  return [...found.values()];
}
