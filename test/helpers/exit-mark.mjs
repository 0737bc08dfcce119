// Loaded into a spawned xc with --import by tests that send it SIGINT/SIGTERM: marks on stderr the exit code xc chose.
// A signal that comes after this line (while Node tears the process down) ends the process by the signal itself, which
// no JavaScript can prevent; the line tells such an ending apart from one where xc had no say.
import { writeSync } from 'node:fs';

process.on('exit', (code) => writeSync(2, `\nxc-test-exit ${code}\n`));
