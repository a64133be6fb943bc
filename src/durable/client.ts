/**
 * The one slice of the durable client the control plane uses (the watchdog, the HTTP API and the activities
 * that start, signal or look up instances): `df.getClient(context)` is one, and so is the local host's.
 */

/** An instance as the durable client returns it (getStatus gives Dates, getStatusBy gives strings). */
export interface InstanceInfo {
  name?: string;
  instanceId: string;
  createdTime: Date | string;
  lastUpdatedTime: Date | string;
  input?: unknown;
  output?: unknown;
  runtimeStatus: string;
  customStatus?: unknown;
}

export interface DurableClient {
  /** Throws when the instance does not exist (durable-functions 3.5.0 gives no error code: see isNotFound). */
  getStatus(instanceId: string): Promise<InstanceInfo>;
  getStatusBy(filter: { runtimeStatus?: string[]; createdTimeFrom?: Date }): Promise<InstanceInfo[]>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

/** durable-functions 3.5.0 throws a plain Error for a 404 status; its message is the only signal. */
export const isNotFound = (err: unknown): boolean => err instanceof Error && /\b404\b/.test(err.message);

/**
 * The instance's status, or undefined when there is none (getStatus throws on 404). Any other failure, e.g. a
 * store that does not answer, surfaces: taken for "no instance", it would start a fresh monitor over a live one.
 */
export async function statusIfAny(
  client: Pick<DurableClient, 'getStatus'>,
  instanceId: string,
): Promise<InstanceInfo | undefined> {
  try {
    return await client.getStatus(instanceId);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
