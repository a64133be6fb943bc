import type { CliIo } from './io';

/** One `dr` subcommand: main.ts dispatches to it, and it imports nothing from main.ts. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
