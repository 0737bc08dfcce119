/**
 * Every operation xc implements has its table of cases run through the real
 * engine on both dialects (test/integration/operations/<op>.test.ts), and
 * nothing there names an operation xc does not have.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { operations } from '../../src/operations/index.js';

const DIR = fileURLToPath(new URL('../integration/operations/', import.meta.url));

it('each operation has a test file of its own, calling describeOperation with its name', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.test.ts'));
  expect(files.map((f) => f.replace(/\.test\.ts$/, '')).sort()).toEqual(Object.keys(operations).sort());
  for (const f of files) expect(readFileSync(`${DIR}${f}`, 'utf8'), f).toContain(`describeOperation('${f.replace(/\.test\.ts$/, '')}', [`);
});
