/**
 * Sends failover notifications as CloudEvents 1.0 (structured JSON mode) to a Service Bus queue or
 * topic. Thin on purpose: one SDK sender, one message shape, every failure classified in errors.ts.
 */
import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusMessage,
  type ServiceBusSender,
  type TokenCredential,
} from '@azure/service-bus';
import { NotifyTerminalError, NotifyTransientError, classifyNotifyError } from './errors';

/** A CloudEvent whose `type` decides its `data` (the control plane's own events: app/cloudevents.ts). */
export interface CloudEvent<T = unknown, Type extends string = string> {
  specversion: '1.0';
  id: string;
  source: string;
  type: Type;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  data: T;
}

/** Where notifications go: a namespace (with a credential) or a connection string, and a queue or topic. */
export interface NotificationTarget {
  /** Fully-qualified namespace, e.g. `contoso-dr.servicebus.windows.net`; needs `deps.credential`. */
  namespace?: string;
  connectionString?: string;
  queue?: string;
  topic?: string;
}

export interface Notifier {
  /**
   * Sends one event. `messageId` must be deterministic (operation id + step) so that a retried send
   * is dropped by the entity's duplicate detection; `correlationId` is the operation id.
   * Rejects with NotifyTransientError (retry later) or NotifyTerminalError (do not retry).
   */
  send(event: CloudEvent, opts: { messageId: string; correlationId: string }): Promise<void>;
  close(): Promise<void>;
}

export interface NotifierDeps {
  credential?: TokenCredential;
  clientOptions?: ServiceBusClientOptions;
  /** Upper bound for one send, connection included; default 10 s. */
  timeoutMs?: number;
  /** The breaker's clock (tests on virtual time pass theirs); default Date.now. */
  now?: () => number;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
/** After this many transient failures in a row the breaker opens: sends fail at once, holding no worker. */
export const BREAKER_FAILURES = 3;
/** How long it stays open before one send may try the namespace again. */
export const BREAKER_OPEN_MS = 30_000;

export class NotifierConfigError extends Error {
  constructor(detail: string) {
    super(`Service Bus notification target is invalid: ${detail}`);
    this.name = 'NotifierConfigError';
  }
}

/** The Service Bus message for an event: the whole CloudEvent is the body (structured mode). */
export function toServiceBusMessage(
  event: CloudEvent,
  opts: { messageId: string; correlationId: string },
): ServiceBusMessage {
  return {
    body: Buffer.from(JSON.stringify(event), 'utf8'),
    contentType: CLOUDEVENTS_CONTENT_TYPE,
    messageId: opts.messageId,
    correlationId: opts.correlationId,
    subject: event.type,
  };
}

/** Names the namespace host and entity for error messages; never the key or signature. */
export function describeTarget(target: NotificationTarget): string {
  const entity = target.queue !== undefined ? `queue '${target.queue}'` : `topic '${target.topic ?? '?'}'`;
  const endpoint = /Endpoint=sb:\/\/([^/;]+)/i.exec(target.connectionString ?? '')?.[1];
  return `${entity} on ${target.namespace ?? endpoint ?? 'an unnamed namespace'}`;
}

function checkTarget(target: NotificationTarget, credential: TokenCredential | undefined): string {
  const entity = target.queue ?? target.topic;
  if ((target.queue === undefined) === (target.topic === undefined) || !entity) {
    throw new NotifierConfigError('set exactly one of queue or topic');
  }
  if ((target.namespace === undefined) === (target.connectionString === undefined)) {
    throw new NotifierConfigError('set exactly one of namespace or connectionString');
  }
  if (target.namespace !== undefined && !credential) {
    throw new NotifierConfigError(
      `namespace '${target.namespace}' needs a credential (e.g. a managed identity)`,
    );
  }
  return entity;
}

/** Removes the shared access key / signature of a connection string from any text. */
function secretRedactor(connectionString: string | undefined): (text: string) => string {
  const secrets = [
    ...(connectionString ?? '').matchAll(/(?:SharedAccessKey|SharedAccessSignature)=([^;]+)/gi),
  ]
    .map((m) => m[1])
    .filter((v): v is string => Boolean(v));
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}

function checkEvent(event: CloudEvent, where: string): void {
  const missing = (['id', 'source', 'type', 'time'] as const).filter((k) => !event[k]);
  if (event.specversion !== '1.0') missing.push('specversion' as never);
  if (missing.length > 0) {
    throw new NotifyTerminalError('InvalidEvent', where, `CloudEvent lacks ${missing.join(', ')}`);
  }
}

export function createServiceBusNotifier(target: NotificationTarget, deps: NotifierDeps = {}): Notifier {
  const entity = checkTarget(target, deps.credential);
  const where = describeTarget(target);
  const timeoutMs = deps.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  // Our orchestration owns the retry policy: the SDK tries once, within our timeout.
  const clientOptions: ServiceBusClientOptions = {
    ...deps.clientOptions,
    retryOptions: { maxRetries: 0, timeoutInMs: timeoutMs, ...deps.clientOptions?.retryOptions },
  };
  const redact = secretRedactor(target.connectionString);
  let client: ServiceBusClient | undefined;
  try {
    client =
      target.connectionString !== undefined
        ? new ServiceBusClient(target.connectionString, clientOptions)
        : new ServiceBusClient(target.namespace ?? '', deps.credential as TokenCredential, clientOptions);
  } catch (err) {
    // The SDK's constructors throw only for what they were given (connection string, namespace): a config error.
    throw new NotifierConfigError(`${where}: ${redact(err instanceof Error ? err.message : String(err))}`);
  }
  // The SDK connects lazily, on the first send.
  const sender: ServiceBusSender = client.createSender(entity);
  let closed = false;
  // A hanging namespace would otherwise keep every delivery's activity busy for the full timeout, and those
  // workers are the ones a failover's ARM writes need.
  const now = deps.now ?? Date.now;
  let failuresInRow = 0;
  let openUntil = 0;
  let trial = false;

  return {
    async send(event, opts) {
      if (closed) throw new NotifyTerminalError('NotifierClosed', where, 'send after close()');
      checkEvent(event, where);
      const message = toServiceBusMessage(event, opts);
      if (failuresInRow >= BREAKER_FAILURES && (now() < openUntil || trial))
        throw new NotifyTransientError(
          'CircuitOpen',
          where,
          `${failuresInRow} sends in a row failed; not trying again before ${new Date(openUntil).toISOString()}`,
        );
      const isTrial = failuresInRow >= BREAKER_FAILURES;
      trial = isTrial;
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new NotifyTransientError('Timeout', where, `no acknowledgement within ${timeoutMs} ms`));
          abort.abort(); // after rejecting, so the timeout (not the SDK's AbortError) is what callers see
        }, timeoutMs);
      });
      try {
        await Promise.race([sender.sendMessages(message, { abortSignal: abort.signal }), deadline]);
        failuresInRow = 0;
      } catch (err) {
        const failure = classifyNotifyError(err, where, redact);
        if (failure.transient && ++failuresInRow >= BREAKER_FAILURES) openUntil = now() + BREAKER_OPEN_MS;
        throw failure;
      } finally {
        clearTimeout(timer);
        if (isTrial) trial = false;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      const closing = client?.close();
      client = undefined;
      if (!closing) return;
      // A hung connection must not hang shutdown either, and a failed close leaves nothing to undo: ignored.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closing.catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
  };
}
