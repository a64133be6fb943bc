/** Errors raised by the in-process Functions + Durable host. Each names what is wrong and where. */

export class HostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A function file could not be loaded or registered something the host cannot run. */
export class RegistrationError extends HostError {}

/** An NCRONTAB expression (timer trigger schedule) is malformed. */
export class NcrontabError extends HostError {}

/** A `%SETTING%` placeholder in binding metadata names a setting that is not defined. */
export class MissingSettingError extends HostError {}

/** No registered function has the name asked for (or it has another trigger type). */
export class UnknownFunctionError extends HostError {}

/** No orchestration instance has the id asked for. */
export class InstanceNotFoundError extends HostError {}

/** startNew named an instance id whose instance is still Pending or Running. */
export class InstanceAlreadyRunningError extends HostError {}

/**
 * Replaying an orchestration produced other actions than the history recorded: the orchestrator reads the
 * clock, randomness, a global or I/O instead of yielding through `context.df`.
 */
export class NonDeterminismError extends HostError {
  constructor(
    readonly instanceId: string,
    readonly orchestration: string,
    detail: string,
  ) {
    super(`Non-deterministic orchestrator '${orchestration}' (instance '${instanceId}'): ${detail}`);
  }
}

/** The orchestrator used a Durable feature this host does not implement (entities, durable HTTP). */
export class UnsupportedDurableFeatureError extends HostError {}

/** The store directory holds a file that is not a valid instance record. */
export class StoreCorruptError extends HostError {}
