/** `dr`: the operator CLI. Each command lives in its own module; this file only dispatches. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
import { cancelCommand } from './commands/cancel';
import { historyCommand } from './commands/history';
import { operationCommand } from './commands/operation';
import type { Command } from './command';
import { EstateUnreadableError, EXIT, UsageError, type CliIo } from './io';
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
  cancel: cancelCommand,
  history: historyCommand,
  operation: operationCommand,
};

/** The package's version, from the package.json above this file (sources and dist/ alike). */
function version(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'logic-apps-failover') return pkg.version ?? 'unknown';
    } catch {
      // not here: look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'dr: operate logic-apps-failover',
    '',
    'Usage: dr <command> [options]   (dr <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 the answer is no (e.g. not ready), 2 invalid input (nothing changed), 3 the estate could',
    'not be read (no answer was given), 70 internal error.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`dr (logic-apps-failover) ${version()}`);
    return EXIT.ok;
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
    if (err instanceof EstateUnreadableError) {
      const detail = err.detail instanceof Error ? err.detail.message : JSON.stringify(err.detail);
      io.err(`dr ${name}: ${err.message}${io.env.DR_DEBUG && detail ? `\n${detail}` : ''}`);
      return EXIT.unreadable;
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
