/** Where CLI commands write; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

/** The binary's io: bin/dr.js, the CLI's composition root, passes its `process` (streams and environment). */
export function processIo(proc: Pick<NodeJS.Process, 'stdout' | 'stderr' | 'env'>): CliIo {
  return {
    out: (text) => proc.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => proc.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    env: proc.env,
  };
}

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  /** The command ran and the answer is "no" (e.g. `ready` found the estate not ready). */
  notOk: 1,
  /** The user's input is wrong: arguments, plan, files. Nothing was changed. */
  usage: 2,
  /** The estate could not be read (no ARM token, workflows ARM did not show): no answer was given. */
  unreadable: 3,
  /** A bug or an unexpected failure; the message says what. */
  internal: 70,
} as const;

/** A mistake of the user's: printed as one clear message, never as a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * What the command needed to read could not be read: printed as one line, exit 3. A report built from
 * unread states would be a guess.
 */
export class EstateUnreadableError extends Error {
  override name = 'EstateUnreadableError';
  constructor(
    message: string,
    /** What failed underneath (shown with DR_DEBUG=1). */
    readonly detail?: unknown,
  ) {
    super(message);
  }
}
