/**
 * The generator that finds the next defect (issue 10): random schemas and
 * sequences of 1–4 migrations, run through the library on both databases with
 * an old and a new version writing, every invariant checked after every
 * command. A bounded run here (XC_FUZZ_RUNS per dialect, default below);
 * `npm run fuzz -- --runs N [--seed S]` runs longer.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { fuzz, optionsFromEnv } from './property.js';

/** Scenarios per dialect in `npm test`, measured to keep both dialects near 5 minutes on a busy 2-core machine. */
const DEFAULT_RUNS = 25;
/**
 * A fixed seed: `npm test` replays the same scenarios every time, so CI says whether a change broke one of them,
 * never whether it drew an unlucky sequence. New sequences come from `npm run fuzz`, whose seed is random.
 */
const DEFAULT_SEED = 20261129;

for (const target of targets) {
  target.describe(`generated migration sequences (${target.name})`, () => {
    it('keep every invariant after every command', { timeout: 30 * 60_000 }, async () => {
      const result = await fuzz(target, optionsFromEnv(DEFAULT_RUNS, DEFAULT_SEED));
      expect(result.failure).toBeUndefined();
      expect(result.stats.commands).toBeGreaterThan(0);
    });
  });
}
