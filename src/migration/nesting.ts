/**
 * How deep a YAML file nests, found without recursion, so a file nested
 * thousands deep is refused before the parser recurses into it.
 *
 * Why: the yaml package composes a document recursively. Nested past the
 * stack, it usually ends in a RangeError, which xc reports — but when the
 * overflow lands while V8 is compiling one of the parser's regular
 * expressions, V8 aborts the whole process ("RegExpCompiler Allocation
 * failed - process out of memory"), which no catch can see (the chaos
 * suite's input round hit it with an array nested 20,000 deep). Where the
 * stack runs out depends on how deep the caller already is, so the only
 * safe answer is not to go there: a migration or config file needs a
 * handful of levels, and MAX_NESTING leaves a wide margin above that.
 * JSON needs no such bound: JSON.parse does not recurse, and what reads the
 * value after it walks with loops (validate.ts), so its messages name the
 * path however deep the file goes.
 */
import type YAML from 'yaml';

export const MAX_NESTING = 64;

type Token = { type: string; offset?: number; value?: unknown; items?: { key?: unknown; value?: unknown }[] };
const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * The character offset of the first collection nested deeper than MAX_NESTING in YAML text, if any: read off
 * the parser's concrete syntax tree (the yaml package's Parser keeps its own stack, so it does not recurse),
 * walked with a stack of its own.
 */
export function yamlTooDeep(yaml: typeof YAML, text: string): number | undefined {
  for (const doc of new yaml.Parser().parse(text)) {
    const stack: [Token | undefined, number][] = [[doc as Token, 0]];
    while (stack.length) {
      const [token, depth] = stack.pop()!;
      if (!token || typeof token !== 'object') continue;
      const here = COLLECTIONS.has(token.type) ? depth + 1 : depth;
      if (here > MAX_NESTING) return token.offset ?? 0;
      if (token.type === 'document') stack.push([token.value as Token, here]);
      for (const item of token.items ?? []) stack.push([item.key as Token, here], [item.value as Token, here]);
    }
  }
  return undefined;
}
