import { buildProgram } from '../src/cli/main.ts';
const p = buildProgram(((h: any) => async (...args: any[]) => { const cmd = args.at(-1); console.log(cmd.name(), JSON.stringify(args.slice(0, -1)), JSON.stringify(cmd.optsWithGlobals())); }) as any);
await p.parseAsync(['node', 'xc', 'deploy', 'record', '--app', 'shop', '--version', 'abc', '--env', 'production']);
const p2 = buildProgram(((h: any) => async (...args: any[]) => { const cmd = args.at(-1); console.log(cmd.name(), JSON.stringify(args.slice(0, -1)), JSON.stringify(cmd.optsWithGlobals())); }) as any);
await p2.parseAsync(['node', 'xc', 'check', '--app', 'shop', '--version', 'abc', '--apply', '--json']);
