/**
 * The layering issue 12 asks for, held by reading the import statements of
 * src/ (type-only imports and re-exports count: a cycle of types is still a
 * cycle to read through):
 * - no import cycle anywhere in src/;
 * - src/plan/ imports nothing outside itself (everything else imports it);
 * - no database's name, error code or SQL dialect outside src/dialects/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * Every module `text` names: `import … from`, `import type`, `export … from`,
 * `import '…'`, `import('…')`, read by TypeScript's own scanner (comments and
 * strings that merely look like imports are not).
 */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The src/ file a relative specifier names (NodeNext: written `.js`, the source is `.ts`); null for packages and builtins. */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const target = path.resolve(path.dirname(from), spec);
  for (const candidate of [target.replace(/\.js$/, '.ts'), `${target}.ts`, path.join(target, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${path.relative(ROOT, from)} imports ${spec}, which names no file`);
}

function importGraph(files: string[]): Graph {
  return new Map(files.map((f) => [f, importSpecifiers(readFileSync(f, 'utf8')).flatMap((s) => resolve(f, s) ?? [])]));
}

/** Every import cycle, one per strongly connected component (Tarjan), each as a path that returns to its start. */
export function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(pathWithin(graph, new Set(component), v));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A shortest way from `start` back to itself inside one component (breadth first), to show the cycle. */
function pathWithin(graph: Graph, component: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const way = [v];
        while (way[0] !== start) way.unshift(cameFrom.get(way[0]!)!);
        return [...way, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const rel = (f: string) => path.relative(SRC, f);

describe('the import checker itself', () => {
  it('finds every form of import and re-export, and none in comments', () => {
    const text = [
      "import { a } from './a.js';",
      "import type {\n  B,\n  C,\n} from '../b.js';",
      "export * from './c.js';",
      "export type * from './d.js';",
      "export { e } from './e.js';",
      "import './f.js';",
      "const g = await import('./g.js');",
      "// import { h } from './h.js';",
      "/** import { i } from './i.js'; */",
      "const sql = `import { j } from './j.js'`;",
      "import { Command } from 'commander';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js', './g.js', 'commander']);
  });

  it('finds a cycle, a type-only one included, and names its path', () => {
    const graph: Graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c', 'a'], ['e', 'e']]);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });
});

describe('architecture of src/ (issue 12)', () => {
  const files = sourceFiles(SRC);
  const graph = importGraph(files);

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.map(rel).join(' → '))).toEqual([]);
  });

  it('src/plan/ imports nothing outside itself, not even a package', () => {
    const plan = path.join(SRC, 'plan') + path.sep;
    const planFiles = files.filter((f) => f.startsWith(plan));
    expect(planFiles.length).toBeGreaterThan(0);
    const outside = planFiles.flatMap((f) =>
      importSpecifiers(readFileSync(f, 'utf8'))
        .filter((spec) => !(resolve(f, spec) ?? '').startsWith(plan))
        .map((spec) => `${rel(f)} imports ${spec}`),
    );
    expect(outside).toEqual([]);
  });

  // Issue 12's grep: what one server calls things stays behind the dialect adapter.
  it('names no database, error code or server-specific SQL outside src/dialects/', () => {
    expect(dialectLeaks(files)).toEqual([]);
  });
});

/** Lines outside src/dialects/ that issue 12's `grep -rnE "40P01|1213|'postgres'|'mysql'|USING btree" src --exclude-dir=dialects` finds. */
export function dialectLeaks(files: string[]): string[] {
  const dialects = path.join(SRC, 'dialects') + path.sep;
  return files
    .filter((f) => !f.startsWith(dialects))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (/40P01|1213|'postgres'|'mysql'|USING btree/.test(line) ? [`${rel(f)}:${i + 1}: ${line.trim()}`] : [])));
}
