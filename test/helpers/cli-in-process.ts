import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** The CLI in this process (a spawned one would not have the test's source registered): exit code and the last --json line. */
export async function cliInProcess(...args: string[]): Promise<{ code: number; last: Record<string, any> }> {
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  try {
    const code = await main(['node', 'xc', ...args, '--json']);
    return { code, last: JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as Record<string, any> };
  } finally {
    write.mockRestore();
  }
}
