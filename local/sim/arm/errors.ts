/** An ARM-style failure: the simulator answers it as `{ "error": { "code", "message" } }` with `status`. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ArmError';
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** A seed, option or control request the simulator cannot accept; `where` names the offending field. */
export class SimInputError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'SimInputError';
  }
}

/** Something about the simulator's own lifecycle went wrong (e.g. used after stop). */
export class SimStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimStateError';
  }
}
