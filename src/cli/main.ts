/** `dr`: the operator CLI. Each command lives in its own module; this file only dispatches. */
import { checkCommand } from './commands/check';
import { classifyCommand } from './commands/classify';
import { scheduleCommand } from './commands/schedule';
import { readyCommand } from './commands/ready';
import { whatifCommand } from './commands/whatif';
import { statusCommand } from './commands/status';
import { failoverCommand } from './commands/failover';
import { failbackCommand } from './commands/failback';
import { pauseCommand } from './commands/pause';
import { resumeCommand } from './commands/resume';
import type { Command } from './command';
import { EXIT, UsageError, type CliIo } from './io';
import { PlanError } from '../plan/validate';
import { ScheduleError } from '../core/schedule';
import { RecurrenceError } from '../core/recurrence';
import { DurationError } from '../core/duration';
import { ClassificationInputError } from '../core/classify';

/** Errors caused by what the user typed or wrote: one clear message, exit 2, no stack trace. */
const INPUT_ERRORS = [PlanError, ScheduleError, RecurrenceError, DurationError, ClassificationInputError];

export const COMMANDS: Record<string, Command> = {
  check: checkCommand,
  classify: classifyCommand,
  schedule: scheduleCommand,
  ready: readyCommand,
  whatif: whatifCommand,
  status: statusCommand,
  failover: failoverCommand,
  failback: failbackCommand,
  pause: pauseCommand,
  resume: resumeCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'dr: operate logic-apps-failover',
    '',
    'Usage: dr <command> [options]   (dr <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 the answer is no (e.g. not ready), 2 invalid input (nothing changed), 70 internal error.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`dr: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`dr ${name}: ${err.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    if (INPUT_ERRORS.some((type) => err instanceof type)) {
      io.err(err instanceof PlanError ? err.message : `dr ${name}: ${(err as Error).message}`);
      return EXIT.usage;
    }
    const e = err as Error;
    io.err(
      `dr ${name}: unexpected error: ${e.message}${io.env.DR_DEBUG ? `\n${e.stack}` : ' (set DR_DEBUG=1 for details)'}`,
    );
    return EXIT.internal;
  }
}
