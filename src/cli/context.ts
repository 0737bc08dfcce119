/**
 * What main.ts hands each command file (commands/*.ts). Kept apart from
 * main.ts, which imports every command file: the commands import this, never
 * main, so the CLI has no import cycle.
 */
import type { Xc } from '../api.js';
import type { ResolvedOptions } from '../config.js';
import type { Output } from './output.js';

/** What a command handler gets: the resolved settings, the output, and the library (connected on first use). */
export interface CommandContext {
  options: ResolvedOptions;
  out: Output;
  xc: Xc;
  /** Aborted by SIGINT / SIGTERM (the library gets it too): finish the batch under way, then stop. */
  signal: AbortSignal;
}

/** What a command that needs no database gets (`level`, `new`, `demo`): the library is not even loaded (start-up time). */
export type LocalContext = Omit<CommandContext, 'xc'>;

/**
 * Wraps a command handler for commander's `.action()`: resolves settings
 * (flags > env > config), opens the library (unless `{ library: false }`),
 * always closes it. The last argument commander passes is the Command itself.
 */
export interface Action {
  <A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<void>): (...args: unknown[]) => Promise<void>;
  /** A handler may return the exit code, when its outcome is not an error it throws (xc fleet). */
  <A extends unknown[]>(handler: (ctx: LocalContext, ...args: A) => Promise<void | number>, use: { library: false }): (...args: unknown[]) => Promise<void>;
}
