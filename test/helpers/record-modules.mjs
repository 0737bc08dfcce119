// Preloaded into a spawned xc (`node --import ./record-modules.mjs`): appends every module the
// process resolves, ESM (a resolve hook) and CommonJS (Module._resolveFilename), one per line,
// to the file XC_RECORD_MODULES names. Used by test/cli/startup-modules.test.ts.
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';

const out = process.env.XC_RECORD_MODULES;
if (out) {
  register('./record-modules-hooks.mjs', import.meta.url, { data: { out } });
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (...args) {
    const file = resolveFilename.apply(this, args);
    appendFileSync(out, `${file}\n`);
    return file;
  };
}
