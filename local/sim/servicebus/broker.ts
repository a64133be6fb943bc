/**
 * A small AMQP 1.0 broker that the real `@azure/service-bus` SDK can talk to: claims-based security,
 * queues, topics with subscriptions, peek-lock settlement, dead-lettering, duplicate detection and a
 * fault switch. It stands in for a Service Bus namespace in tests and in `npm start`.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import {
  create_container,
  message as amqpMessage,
  string_to_uuid,
  uuid_to_string,
  type Connection,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { acceptSocket, acceptedState, linkInternals, modifiedState, rejectedState } from './rhea-internals';
import { parseAddress, stripHost, type ParsedAddress } from './addresses';
import { audiencePath, covers, verifyToken } from './cbs';
import {
  BATCH_MESSAGE_FORMAT,
  MalformedBatchError,
  decodeBatch,
  encodedSize,
  ensureMessageId,
  summarize,
  idLimitProblem,
  toDelivery,
} from './codec';
import {
  EntityStore,
  type BrokerMessage,
  type DeadLetterInfo,
  type EntityCounts,
  type MessageSource,
  type SendTarget,
  type StoreCounters,
} from './store';

export interface ServiceBusBrokerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  queues?: string[];
  topics?: { name: string; subscriptions: string[] }[];
  /** Drop a message whose messageId was seen on the same entity within this window; 0 disables. Default 10 min. */
  duplicateDetectionWindowMs?: number;
  /** Peek-lock duration; default 60 s (the Service Bus default). */
  lockDurationMs?: number;
  /** Failed deliveries after which a message is dead-lettered; default 10. */
  maxDeliveryCount?: number;
  /** Larger messages are rejected with amqp:link:message-size-exceeded; default 256 KiB (Standard tier). */
  maxMessageSizeBytes?: number;
  /** Serve AMQPS (what the SDK uses without UseDevelopmentEmulator) with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** SAS key the connection string carries and put-token signatures are checked against. */
  sharedAccessKeyName?: string;
  sharedAccessKey?: string;
  /** Decides JWTs from TokenCredentials; default: any non-empty token. */
  acceptJwt?: (token: string) => boolean;
  /** Clock for enqueue times, locks and duplicate windows; default Date.now. */
  now?: () => number;
}

/** A put-token the broker saw; the token value itself is never kept. */
export interface TokenRecord {
  audience: string;
  tokenType: string;
  accepted: boolean;
  at: Date;
}

export type DeadLetteredMessage = BrokerMessage & DeadLetterInfo & { deliveryCount: number };

export interface BrokerStats extends StoreCounters {
  connectionsAccepted: number;
  connectionsOpen: number;
  connectionsRejectedWhileDown: number;
  tokensAccepted: number;
  tokensRejected: number;
  linksRefused: number;
  messagesTooLarge: number;
  /** Receiving links attached to queues, subscriptions or dead-letter queues right now. */
  receiverLinks: number;
  /** Per queue / subscription: what is waiting, locked, deferred and dead-lettered right now. */
  entities: Record<string, EntityCounts>;
}

export type OutageMode = 'refuse' | 'hang';

export interface ServiceBusBroker {
  readonly host: string;
  readonly port: number;
  /** Connection string for the SDK (plain TCP via UseDevelopmentEmulator=true, or AMQPS when tls is set). */
  readonly connectionString: string;
  /** `host:port` to use as the fully-qualified namespace with a TokenCredential (TLS only). */
  readonly namespaceEndpoint: string;
  /** Every message a queue or topic (or a topic's subscription) ever accepted, duplicates excluded. */
  messages(entity: string): BrokerMessage[];
  /** What sits in the dead-letter queue of a queue or subscription now. */
  deadLetters(entity: string): DeadLetteredMessage[];
  /** Every put-token seen, in order: audience and type, never the token. */
  tokens(): TokenRecord[];
  stats(): BrokerStats;
  /**
   * Simulates an outage. `refuse` closes the listener and drops connections (clients see
   * ECONNREFUSED); `hang` accepts TCP but never speaks AMQP (clients time out). `false` restores.
   */
  setDown(down: boolean, mode?: OutageMode): Promise<void>;
  stop(): Promise<void>;
}

export class BrokerListenError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    super(`Local Service Bus broker could not listen on ${host}:${port}: ${String(cause)}`, { cause });
    this.name = 'BrokerListenError';
  }
}

const DEFAULT_KEY_NAME = 'RootManageSharedAccessKey';
const DEFAULT_KEY = 'local-broker-key';
const SB_STATUS_CODE = 'status-code';
const SB_STATUS_DESCRIPTION = 'status-description';

type Inbound =
  | { kind: 'cbs' }
  | { kind: 'management'; entityPath: string }
  | { kind: 'entity'; target: SendTarget<Message> };

type Outbound =
  { kind: 'reply' } | { kind: 'entity'; source: MessageSource<Message>; receiveAndDelete: boolean };

/** rhea passes non-standard formats through undecoded. */
interface RawTransferContext {
  format?: number;
  message?: Message | Buffer;
}

/** RFC 4122 byte order ⇄ .NET Guid byte order (the first three groups little-endian); an involution. */
function toGuidByteOrder(uuid: Buffer): Buffer {
  return Buffer.from([
    uuid[3]!,
    uuid[2]!,
    uuid[1]!,
    uuid[0]!,
    uuid[5]!,
    uuid[4]!,
    uuid[7]!,
    uuid[6]!,
    ...uuid.subarray(8),
  ]);
}

export async function startServiceBusBroker(
  options: ServiceBusBrokerOptions = {},
): Promise<ServiceBusBroker> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => Date.now());
  const maxMessageSize = options.maxMessageSizeBytes ?? 256 * 1024;
  const keyName = options.sharedAccessKeyName ?? DEFAULT_KEY_NAME;
  const key = options.sharedAccessKey ?? DEFAULT_KEY;
  const acceptJwt = options.acceptJwt ?? ((token: string) => token.length > 0);

  const consumers = new Map<MessageSource<Message>, Set<Sender>>();
  const inbound = new WeakMap<Receiver, Inbound>();
  const outbound = new Map<Sender, Outbound>();
  const lockedDeliveries = new WeakMap<Delivery, string>();
  const authorizedPaths = new WeakMap<Connection, Set<string>>();
  const tokenLog: TokenRecord[] = [];
  const counters = {
    connectionsAccepted: 0,
    connectionsRejectedWhileDown: 0,
    tokensAccepted: 0,
    tokensRejected: 0,
    linksRefused: 0,
    messagesTooLarge: 0,
  };
  const openConnections = new Set<Connection>();

  const store = new EntityStore<Message>({
    queues: options.queues ?? [],
    topics: options.topics ?? [],
    duplicateDetectionWindowMs: options.duplicateDetectionWindowMs ?? 10 * 60_000,
    lockDurationMs: options.lockDurationMs ?? 60_000,
    maxDeliveryCount: options.maxDeliveryCount ?? 10,
    now,
    onAvailable: (source) => pump(source),
  });

  const container = create_container({
    id: 'local-servicebus-broker',
    // We settle incoming transfers ourselves (accept, or reject when too large / unknown).
    autoaccept: false,
    // Abandon (modified, undeliverable_here=false) and defer (undeliverable_here=true) differ.
    treat_modified_as_released: false,
  });

  // ---- delivery to receivers ----------------------------------------------------------------

  function pump(source: MessageSource<Message>): void {
    const links = consumers.get(source);
    if (!links || links.size === 0) return;
    let progressed = true;
    // One message per link per round keeps competing receivers fair.
    while (progressed && source.available.length > 0) {
      progressed = false;
      for (const sender of links) {
        if (source.available.length === 0) break;
        if (!sender.is_open() || !sender.sendable()) continue;
        const link = outbound.get(sender);
        if (link?.kind !== 'entity') continue;
        deliver(sender, source, link.receiveAndDelete);
        progressed = true;
      }
    }
  }

  function deliver(sender: Sender, source: MessageSource<Message>, receiveAndDelete: boolean): void {
    const taken = store.take(source, receiveAndDelete ? 'receiveAndDelete' : 'peekLock');
    if (!taken) return;
    // The SDK reads the 16-byte delivery tag as a .NET Guid to get the lock token it shows and
    // later sends to $management as an AMQP uuid; so the tag carries the token in Guid byte order.
    const tag = taken.lockToken ? toGuidByteOrder(string_to_uuid(taken.lockToken)) : randomBytes(16);
    const delivery = sender.send(toDelivery(taken.copy), tag);
    if (taken.lockToken) lockedDeliveries.set(delivery, taken.lockToken);
  }

  function onSettlement(
    context: EventContext,
    outcome: 'accepted' | 'released' | 'modified' | 'rejected',
  ): void {
    const delivery = context.delivery;
    if (!delivery) return;
    const lockToken = lockedDeliveries.get(delivery);
    if (lockToken === undefined) return;
    lockedDeliveries.delete(delivery);
    const state = delivery.remote_state as
      { undeliverable_here?: boolean; error?: { info?: Record<string, unknown> } } | undefined;
    let result: 'settled' | 'lock-lost';
    // The final state echoes the receiver's outcome; rhea on the SDK side needs one to settle.
    let finalState: unknown;
    if (outcome === 'accepted') {
      result = store.settle(lockToken, { kind: 'complete' });
      finalState = acceptedState();
    } else if (outcome === 'rejected') {
      const info = state?.error?.info ?? {};
      const reason = typeof info.DeadLetterReason === 'string' ? info.DeadLetterReason : undefined;
      const description =
        typeof info.DeadLetterErrorDescription === 'string' ? info.DeadLetterErrorDescription : undefined;
      result = store.settle(lockToken, { kind: 'deadLetter', reason, description });
      finalState = rejectedState();
    } else if (outcome === 'modified' && state?.undeliverable_here) {
      result = store.settle(lockToken, { kind: 'defer' });
      finalState = modifiedState(true);
    } else {
      result = store.settle(lockToken, { kind: 'abandon' });
      finalState = modifiedState(false);
    }

    if (result === 'settled') delivery.update(true, finalState);
    else {
      delivery.update(
        true,
        rejectedState(
          'com.microsoft:message-lock-lost',
          `The lock on message ${lockToken} expired before it was settled.`,
        ),
      );
    }
  }

  // ---- links ---------------------------------------------------------------------------------

  function refuse(link: Sender | Receiver, condition: string, description: string): void {
    counters.linksRefused++;
    link.close({ condition, description });
  }

  function notFoundDescription(address: string): string {
    // The SDK recognises this wording and reports MessagingEntityNotFound.
    return `The messaging entity 'sb://${host}/${address}' could not be found. (local broker)`;
  }

  function isAuthorized(connection: Connection, path: string): boolean {
    const granted = authorizedPaths.get(connection);
    if (!granted) return false;
    for (const scope of granted) if (covers(scope, path)) return true;
    return false;
  }

  /** The peer attached a sending link: it will send messages, put-tokens or management requests. */
  function onPeerSenderAttached(receiver: Receiver): void {
    const address = receiver.target?.address ?? '';
    receiver.set_target({ address });
    linkInternals(receiver).local.attach.max_message_size = maxMessageSize;
    const parsed = parseAddress(address);
    if (parsed.kind === 'cbs') {
      inbound.set(receiver, { kind: 'cbs' });
      return;
    }
    if (!checkLinkAccess(receiver, parsed, address)) return;
    if (parsed.kind === 'management') {
      inbound.set(receiver, { kind: 'management', entityPath: parsed.entityPath });
      return;
    }
    const target = parsed.deadLetter ? undefined : store.sendTarget(parsed.entityPath);
    if (!target) {
      refuse(receiver, 'amqp:not-found', notFoundDescription(address));
      return;
    }
    inbound.set(receiver, { kind: 'entity', target });
  }

  /** The peer attached a receiving link: a consumer, or the reply side of $cbs / $management. */
  function onPeerReceiverAttached(sender: Sender): void {
    const address = sender.source?.address ?? '';
    sender.set_source({ address });
    const remoteTarget = sender.target?.address;
    if (remoteTarget) sender.set_target({ address: remoteTarget });
    const local = linkInternals(sender).local.attach;
    local.snd_settle_mode = sender.snd_settle_mode;
    local.rcv_settle_mode = sender.rcv_settle_mode;
    const parsed = parseAddress(address);
    if (parsed.kind === 'cbs' || parsed.kind === 'management') {
      if (parsed.kind === 'management' && !checkLinkAccess(sender, parsed, address)) return;
      outbound.set(sender, { kind: 'reply' });
      return;
    }
    if (!checkLinkAccess(sender, parsed, address)) return;
    const source = store.receiveSource(parsed.entityPath, parsed.deadLetter);
    if (!source) {
      refuse(sender, 'amqp:not-found', notFoundDescription(address));
      return;
    }
    // receiveAndDelete: the SDK asks for pre-settled deliveries (snd-settle-mode settled).
    outbound.set(sender, { kind: 'entity', source, receiveAndDelete: sender.snd_settle_mode === 1 });
    let links = consumers.get(source);
    if (!links) consumers.set(source, (links = new Set()));
    links.add(sender);
  }

  function checkLinkAccess(link: Sender | Receiver, parsed: ParsedAddress, address: string): boolean {
    const path = parsed.kind === 'cbs' ? '' : stripHost(address);
    if (isAuthorized(link.connection, path)) return true;
    refuse(
      link,
      'amqp:unauthorized-access',
      `Unauthorized access to '${address}': no accepted put-token covers it on this connection (local broker)`,
    );
    return false;
  }

  function forgetLink(link: Sender | Receiver | undefined): void {
    if (!link || !link.is_sender()) return;
    const sender = link as Sender;
    const entry = outbound.get(sender);
    outbound.delete(sender);
    if (entry?.kind === 'entity') consumers.get(entry.source)?.delete(sender);
  }

  function forgetConnection(connection: Connection): void {
    openConnections.delete(connection);
    for (const sender of [...outbound.keys()]) if (sender.connection === connection) forgetLink(sender);
  }

  // ---- inbound transfers ---------------------------------------------------------------------

  function onTransfer(context: EventContext): void {
    const receiver = context.receiver;
    const delivery = context.delivery;
    if (!receiver || !delivery) return;
    const link = inbound.get(receiver);
    if (!link) {
      delivery.update(true, rejectedState('amqp:not-allowed', 'This link is not attached to an entity'));
      return;
    }
    const raw = context as unknown as RawTransferContext;
    if (link.kind === 'cbs') return answerPutToken(context, delivery);
    if (link.kind === 'management') return answerManagement(context, delivery, link.entityPath);

    let messages: Message[];
    let size: number;
    try {
      if (raw.format === BATCH_MESSAGE_FORMAT && Buffer.isBuffer(raw.message)) {
        size = raw.message.length;
        messages = decodeBatch(raw.message);
      } else if (raw.message && !Buffer.isBuffer(raw.message)) {
        size = encodedSize(raw.message);
        messages = [raw.message];
      } else {
        return rejectDelivery(
          delivery,
          'amqp:not-implemented',
          `Message format ${raw.format} is not supported`,
        );
      }
    } catch (err) {
      if (err instanceof MalformedBatchError)
        return rejectDelivery(delivery, 'amqp:decode-error', err.message);
      throw err;
    }
    if (size > maxMessageSize) {
      counters.messagesTooLarge++;
      return rejectDelivery(
        delivery,
        'amqp:link:message-size-exceeded',
        `The received message (size ${size} bytes) exceeds the limit (${maxMessageSize} bytes) of '${link.target.name}'.`,
      );
    }
    // The SDK checks this before sending; the broker checks too, as the service does for any client.
    const idProblem = messages.map(idLimitProblem).find((p) => p !== undefined);
    if (idProblem) return rejectDelivery(delivery, 'com.microsoft:argument-out-of-range', idProblem);
    store.enqueue(
      link.target,
      messages.map((m) => {
        const message = ensureMessageId(m);
        return { summary: summarize(message), payload: message };
      }),
    );
    // Duplicates are accepted too: Service Bus acknowledges them and silently drops them.
    delivery.update(true, acceptedState());
  }

  function rejectDelivery(delivery: Delivery, condition: string, description: string): void {
    delivery.update(true, rejectedState(condition, description));
  }

  function reply(
    connection: Connection,
    request: Message,
    status: number,
    description: string,
    body?: unknown,
  ): void {
    const replyTo = request.reply_to;
    const sender = [...outbound.keys()].find(
      (s) => s.connection === connection && (s.target?.address === replyTo || s.name === replyTo),
    );
    if (!sender) return;
    const response: Message = {
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: { [SB_STATUS_CODE]: status, [SB_STATUS_DESCRIPTION]: description },
      body,
    };
    sender.send(response);
  }

  function answerPutToken(context: EventContext, delivery: Delivery): void {
    const request = context.message;
    delivery.update(true, acceptedState());
    if (!request) return;
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    if (props.operation !== 'put-token') {
      reply(context.connection, request, 501, `$cbs operation '${String(props.operation)}' is not supported`);
      return;
    }
    const audience = typeof props.name === 'string' ? props.name : '';
    const tokenType = typeof props.type === 'string' ? props.type : '';
    const verdict = verifyToken(
      { audience, tokenType, token: request.body },
      { sasKeys: new Map([[keyName, key]]), acceptJwt, nowMs: now() },
    );
    tokenLog.push({ audience, tokenType, accepted: verdict.ok, at: new Date(now()) });
    if (!verdict.ok) {
      counters.tokensRejected++;
      reply(context.connection, request, 401, verdict.description);
      return;
    }
    counters.tokensAccepted++;
    let granted = authorizedPaths.get(context.connection);
    if (!granted) authorizedPaths.set(context.connection, (granted = new Set()));
    granted.add(audiencePath(audience));
    reply(context.connection, request, 202, 'Accepted');
  }

  function answerManagement(context: EventContext, delivery: Delivery, entityPath: string): void {
    const request = context.message;
    delivery.update(true, acceptedState());
    if (!request) return;
    const operation = String(
      (request.application_properties as Record<string, unknown> | undefined)?.operation,
    );
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = parseAddress(entityPath);
    const source =
      parsed.kind === 'entity' ? store.receiveSource(parsed.entityPath, parsed.deadLetter) : undefined;
    if (operation === 'com.microsoft:renew-lock') {
      const tokens = Array.isArray(body['lock-tokens']) ? (body['lock-tokens'] as unknown[]) : [];
      const expirations: Date[] = [];
      for (const token of tokens) {
        const lockToken = Buffer.isBuffer(token) ? uuid_to_string(token) : String(token);
        const until = store.renewLock(lockToken);
        if (until === undefined) {
          reply(context.connection, request, 410, `The lock on message ${lockToken} is lost.`);
          return;
        }
        expirations.push(new Date(until));
      }
      reply(context.connection, request, 200, 'OK', { expirations });
      return;
    }
    if (operation === 'com.microsoft:peek-message' && source) {
      const from = Number(body['from-sequence-number'] ?? 0);
      const count = Number(body['message-count'] ?? 1);
      const copies = [...source.available, ...source.locked.values(), ...source.deferred]
        .filter((c) => c.message.sequenceNumber >= from)
        .sort((a, b) => a.message.sequenceNumber - b.message.sequenceNumber)
        .slice(0, count);
      if (copies.length === 0) {
        reply(context.connection, request, 204, 'No messages');
        return;
      }
      const messages = copies.map((c) => ({ message: amqpMessage.encode(toDelivery(c)) }));
      reply(context.connection, request, 200, 'OK', { messages });
      return;
    }
    reply(
      context.connection,
      request,
      501,
      `$management operation '${operation}' is not implemented by the local broker`,
    );
  }

  // ---- container events ----------------------------------------------------------------------

  container.on('connection_open', (context: EventContext) => {
    openConnections.add(context.connection);
  });
  container.on('receiver_open', (context: EventContext) => {
    if (context.receiver) onPeerSenderAttached(context.receiver);
  });
  container.on('sender_open', (context: EventContext) => {
    if (context.sender) onPeerReceiverAttached(context.sender);
  });
  container.on('message', onTransfer);
  container.on('sendable', (context: EventContext) => {
    const link = context.sender ? outbound.get(context.sender) : undefined;
    if (link?.kind === 'entity') pump(link.source);
  });
  container.on('sender_draining', (context: EventContext) => {
    const sender = context.sender;
    if (!sender) return;
    const link = outbound.get(sender);
    if (link?.kind === 'entity') pump(link.source);
    // Nothing more to send now: give the remaining credit back so the SDK's drain completes.
    sender.set_drained(true);
  });
  for (const outcome of ['accepted', 'released', 'modified', 'rejected'] as const) {
    container.on(outcome, (context: EventContext) => onSettlement(context, outcome));
  }
  container.on('sender_close', (context: EventContext) => forgetLink(context.sender));
  container.on('receiver_close', () => undefined);
  container.on('sender_error', (context: EventContext) => forgetLink(context.sender));
  container.on('receiver_error', () => undefined);
  container.on('session_close', (context: EventContext) => {
    for (const sender of [...outbound.keys()]) if (sender.session === context.session) forgetLink(sender);
  });
  container.on('connection_close', (context: EventContext) => forgetConnection(context.connection));
  container.on('disconnected', (context: EventContext) => forgetConnection(context.connection));
  container.on('connection_error', () => undefined);
  container.on('protocol_error', () => undefined);
  container.on('error', () => undefined);

  // ---- sockets, outage switch ------------------------------------------------------------------

  const sockets = new Set<net.Socket>();
  let outage: OutageMode | undefined;

  const server: net.Server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert })
    : net.createServer();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (outage) counters.connectionsRejectedWhileDown++;
    if (outage === 'refuse') socket.destroy();
  });
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    // While hanging, the socket stays open but nobody answers the AMQP header.
    if (outage) return;
    counters.connectionsAccepted++;
    socket.on('error', () => undefined);
    acceptSocket(container, `broker-conn-${counters.connectionsAccepted}`, socket);
  });
  server.on('tlsClientError', () => undefined);

  async function listen(port: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => reject(new BrokerListenError(host, port, err));
      server.once('error', onError);
      server.listen({ port, host }, () => {
        server.off('error', onError);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async function closeListener(): Promise<void> {
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  function dropSockets(): void {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    for (const connection of openConnections) forgetConnection(connection);
  }

  const port = await listen(options.port ?? 0);
  // With TLS the certificate names 'localhost'; the SDK uses the endpoint host as TLS server name.
  const endpointHost = options.tls ? `localhost:${port}` : `${host}:${port}`;
  const connectionString =
    `Endpoint=sb://${endpointHost};SharedAccessKeyName=${keyName};SharedAccessKey=${key}` +
    (options.tls ? '' : ';UseDevelopmentEmulator=true');

  return {
    host,
    port,
    connectionString,
    namespaceEndpoint: endpointHost,
    messages: (entity) => store.history(entity),
    deadLetters: (entity) => store.deadLetters(entity),
    tokens: () => tokenLog.map((t) => ({ ...t })),
    stats: () => ({
      ...store.counters,
      ...counters,
      connectionsOpen: openConnections.size,
      receiverLinks: [...outbound.values()].filter((l) => l.kind === 'entity').length,
      entities: store.counts(),
    }),
    async setDown(down, mode = 'refuse') {
      if (!down) {
        const wasRefusing = outage === 'refuse';
        outage = undefined;
        dropSockets(); // hung sockets go, so clients reconnect to a live broker
        if (wasRefusing && !server.listening) await listen(port);
        return;
      }
      outage = mode;
      dropSockets();
      if (mode === 'refuse') await closeListener();
    },
    async stop() {
      outage = 'refuse';
      dropSockets();
      store.dispose();
      await closeListener();
    },
  };
}
