/**
 * The broker's in-memory entities: queues, topics with subscriptions, dead-letter queues, peek-locks and
 * duplicate detection. No AMQP here: the wire payload is an opaque `P` carried along for redelivery.
 */
import { randomUUID } from 'node:crypto';
import { entityKey, parseSubscriptionPath } from './addresses';

/** What the inspection API shows of a message that the broker accepted. */
export interface BrokerMessage {
  /** Queue or topic the message was sent to, as configured. */
  entity: string;
  sequenceNumber: number;
  enqueuedTime: Date;
  messageId: string | undefined;
  subject: string | undefined;
  correlationId: string | undefined;
  contentType: string | undefined;
  applicationProperties: Record<string, unknown>;
  /** A data section is JSON-parsed when it is JSON (as the SDK does), else kept as a Buffer. */
  body: unknown;
}

export type MessageSummary = Omit<BrokerMessage, 'entity' | 'sequenceNumber' | 'enqueuedTime'>;

export interface DeadLetterInfo {
  reason: string | undefined;
  description: string | undefined;
  /** The queue or subscription the message was dead-lettered from. */
  source: string;
}

export interface StoredCopy<P> {
  readonly message: BrokerMessage;
  readonly payload: P;
  /** Failed delivery attempts so far (abandon or lock expiry); the SDK shows it as `deliveryCount`. */
  deliveryCount: number;
  lockToken?: string;
  lockedUntil?: number;
  lockTimer?: NodeJS.Timeout;
  deadLetter?: DeadLetterInfo;
}

/** A queue, a subscription or a dead-letter queue: something a receiver link drains. */
export class MessageSource<P> {
  readonly available: StoredCopy<P>[] = [];
  readonly locked = new Map<string, StoredCopy<P>>();
  readonly deferred: StoredCopy<P>[] = [];

  constructor(
    readonly path: string,
    readonly deadLetterQueue: MessageSource<P> | undefined,
  ) {}

  /** Keeps FIFO by sequence number when abandoned or expired messages come back. */
  makeAvailable(copy: StoredCopy<P>): void {
    const at = this.available.findIndex((c) => c.message.sequenceNumber > copy.message.sequenceNumber);
    if (at < 0) this.available.push(copy);
    else this.available.splice(at, 0, copy);
  }
}

export interface SendTarget<P> {
  readonly name: string;
  readonly kind: 'queue' | 'topic';
  /** The queue itself, or every subscription of the topic (fan-out). */
  readonly sources: MessageSource<P>[];
  readonly history: BrokerMessage[];
  /** messageId → enqueue time, for duplicate detection. */
  readonly seenMessageIds: Map<string, number>;
  duplicatesDropped: number;
}

export interface EntityStoreOptions<P> {
  queues: readonly string[];
  topics: readonly { name: string; subscriptions: readonly string[] }[];
  /** 0 disables duplicate detection. */
  duplicateDetectionWindowMs: number;
  lockDurationMs: number;
  maxDeliveryCount: number;
  now: () => number;
  /** Called whenever a source gains available messages, so links with credit can be served. */
  onAvailable: (source: MessageSource<P>) => void;
}

export type Settlement =
  | { kind: 'complete' }
  | { kind: 'abandon' }
  | { kind: 'defer' }
  | { kind: 'deadLetter'; reason: string | undefined; description: string | undefined };

export interface StoreCounters {
  enqueued: number;
  duplicatesDropped: number;
  delivered: number;
  completed: number;
  abandoned: number;
  deferred: number;
  deadLettered: number;
  lockExpired: number;
  receivedAndDeleted: number;
}

export interface EntityCounts {
  active: number;
  locked: number;
  deferred: number;
  deadLetter: number;
}

export class EntityNotFoundError extends Error {
  constructor(readonly entityPath: string) {
    super(`Service Bus entity '${entityPath}' does not exist on the local broker`);
    this.name = 'EntityNotFoundError';
  }
}

export class EntityStore<P> {
  private readonly targets = new Map<string, SendTarget<P>>();
  private readonly sources = new Map<string, MessageSource<P>>();
  private readonly locks = new Map<string, { source: MessageSource<P>; copy: StoredCopy<P> }>();
  private nextSequenceNumber = 1;
  readonly counters: StoreCounters = {
    enqueued: 0,
    duplicatesDropped: 0,
    delivered: 0,
    completed: 0,
    abandoned: 0,
    deferred: 0,
    deadLettered: 0,
    lockExpired: 0,
    receivedAndDeleted: 0,
  };

  constructor(private readonly options: EntityStoreOptions<P>) {
    for (const queue of options.queues) {
      const source = this.addSource(queue);
      this.addTarget(queue, 'queue', [source]);
    }
    for (const topic of options.topics) {
      const sources = topic.subscriptions.map((sub) => this.addSource(`${topic.name}/Subscriptions/${sub}`));
      this.addTarget(topic.name, 'topic', sources);
    }
  }

  sendTarget(entityPath: string): SendTarget<P> | undefined {
    return this.targets.get(entityKey(entityPath));
  }

  receiveSource(entityPath: string, deadLetter: boolean): MessageSource<P> | undefined {
    const source = this.sources.get(entityKey(entityPath));
    return deadLetter ? source?.deadLetterQueue : source;
  }

  /** Stores the messages (dropping duplicates by messageId within the window) and fans topics out. */
  enqueue(
    target: SendTarget<P>,
    items: readonly { summary: MessageSummary; payload: P }[],
  ): { enqueued: number; duplicates: number } {
    const now = this.options.now();
    let enqueued = 0;
    let duplicates = 0;
    for (const item of items) {
      if (this.isDuplicate(target, item.summary.messageId, now)) {
        duplicates++;
        continue;
      }
      const message: BrokerMessage = {
        ...item.summary,
        entity: target.name,
        sequenceNumber: this.nextSequenceNumber++,
        enqueuedTime: new Date(now),
      };
      target.history.push(message);
      for (const source of target.sources) {
        source.makeAvailable({ message, payload: item.payload, deliveryCount: 0 });
      }
      enqueued++;
    }
    target.duplicatesDropped += duplicates;
    this.counters.enqueued += enqueued;
    this.counters.duplicatesDropped += duplicates;
    if (enqueued > 0) for (const source of target.sources) this.options.onAvailable(source);
    return { enqueued, duplicates };
  }

  /** Hands out the next message: locked until settled (peekLock) or removed at once (receiveAndDelete). */
  take(
    source: MessageSource<P>,
    mode: 'peekLock' | 'receiveAndDelete',
  ): { copy: StoredCopy<P>; lockToken: string | undefined } | undefined {
    const copy = source.available.shift();
    if (!copy) return undefined;
    this.counters.delivered++;
    if (mode === 'receiveAndDelete') {
      this.counters.receivedAndDeleted++;
      return { copy, lockToken: undefined };
    }
    const lockToken = randomUUID();
    copy.lockToken = lockToken;
    source.locked.set(lockToken, copy);
    this.locks.set(lockToken, { source, copy });
    this.armLock(lockToken, copy);
    return { copy, lockToken };
  }

  /** Applies a settlement; `lock-lost` when the lock expired or was already settled. */
  settle(lockToken: string, settlement: Settlement): 'settled' | 'lock-lost' {
    const held = this.locks.get(lockToken);
    if (!held) return 'lock-lost';
    const { source, copy } = held;
    this.releaseLock(lockToken, source, copy);
    switch (settlement.kind) {
      case 'complete':
        this.counters.completed++;
        break;
      case 'abandon':
        this.counters.abandoned++;
        this.redeliver(source, copy);
        break;
      case 'defer':
        this.counters.deferred++;
        source.deferred.push(copy);
        break;
      case 'deadLetter':
        this.moveToDeadLetter(source, copy, settlement.reason, settlement.description);
        break;
    }
    return 'settled';
  }

  /** Extends a lock by the lock duration; undefined when the lock is gone. */
  renewLock(lockToken: string): number | undefined {
    const held = this.locks.get(lockToken);
    if (!held) return undefined;
    this.armLock(lockToken, held.copy);
    return held.copy.lockedUntil;
  }

  /** Every message ever accepted by a queue or topic (or fanned out to a subscription). */
  history(entityPath: string): BrokerMessage[] {
    const target = this.sendTarget(entityPath);
    if (target) return [...target.history];
    const sub = parseSubscriptionPath(entityPath);
    const topic = sub ? this.sendTarget(sub.topic) : undefined;
    if (topic && this.sources.has(entityKey(entityPath))) return [...topic.history];
    throw new EntityNotFoundError(entityPath);
  }

  deadLetters(entityPath: string): (BrokerMessage & DeadLetterInfo & { deliveryCount: number })[] {
    const dlq = this.receiveSource(entityPath, true);
    if (!dlq) throw new EntityNotFoundError(entityPath);
    return [...dlq.available, ...dlq.locked.values()].map((c) => ({
      ...c.message,
      reason: c.deadLetter?.reason,
      description: c.deadLetter?.description,
      source: c.deadLetter?.source ?? entityPath,
      deliveryCount: c.deliveryCount,
    }));
  }

  counts(): Record<string, EntityCounts> {
    const out: Record<string, EntityCounts> = {};
    for (const source of this.sources.values()) {
      out[source.path] = {
        active: source.available.length,
        locked: source.locked.size,
        deferred: source.deferred.length,
        deadLetter:
          (source.deadLetterQueue?.available.length ?? 0) + (source.deadLetterQueue?.locked.size ?? 0),
      };
    }
    return out;
  }

  targetNames(): { queues: string[]; topics: string[] } {
    const all = [...this.targets.values()];
    return {
      queues: all.filter((t) => t.kind === 'queue').map((t) => t.name),
      topics: all.filter((t) => t.kind === 'topic').map((t) => t.name),
    };
  }

  dispose(): void {
    for (const { copy } of this.locks.values()) clearTimeout(copy.lockTimer);
    this.locks.clear();
  }

  private addSource(path: string): MessageSource<P> {
    const key = entityKey(path);
    if (this.sources.has(key)) throw new Error(`Service Bus entity '${path}' is declared twice`);
    const source = new MessageSource<P>(path, new MessageSource<P>(`${path}/$DeadLetterQueue`, undefined));
    this.sources.set(key, source);
    return source;
  }

  private addTarget(name: string, kind: 'queue' | 'topic', sources: MessageSource<P>[]): void {
    const key = entityKey(name);
    if (this.targets.has(key)) throw new Error(`Service Bus entity '${name}' is declared twice`);
    this.targets.set(key, {
      name,
      kind,
      sources,
      history: [],
      seenMessageIds: new Map(),
      duplicatesDropped: 0,
    });
  }

  private isDuplicate(target: SendTarget<P>, messageId: string | undefined, now: number): boolean {
    const window = this.options.duplicateDetectionWindowMs;
    if (window <= 0 || messageId === undefined) return false;
    const seenAt = target.seenMessageIds.get(messageId);
    if (seenAt !== undefined && now - seenAt < window) return true;
    target.seenMessageIds.set(messageId, now);
    return false;
  }

  private armLock(lockToken: string, copy: StoredCopy<P>): void {
    clearTimeout(copy.lockTimer);
    copy.lockedUntil = this.options.now() + this.options.lockDurationMs;
    copy.lockTimer = setTimeout(() => this.expireLock(lockToken), this.options.lockDurationMs);
    copy.lockTimer.unref();
  }

  private expireLock(lockToken: string): void {
    const held = this.locks.get(lockToken);
    if (!held) return;
    this.counters.lockExpired++;
    this.releaseLock(lockToken, held.source, held.copy);
    this.redeliver(held.source, held.copy);
  }

  private releaseLock(lockToken: string, source: MessageSource<P>, copy: StoredCopy<P>): void {
    clearTimeout(copy.lockTimer);
    copy.lockTimer = undefined;
    copy.lockToken = undefined;
    copy.lockedUntil = undefined;
    source.locked.delete(lockToken);
    this.locks.delete(lockToken);
  }

  /** A failed attempt: back in line, or to the dead-letter queue once the delivery limit is reached. */
  private redeliver(source: MessageSource<P>, copy: StoredCopy<P>): void {
    copy.deliveryCount++;
    if (source.deadLetterQueue && copy.deliveryCount >= this.options.maxDeliveryCount) {
      this.moveToDeadLetter(
        source,
        copy,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${copy.deliveryCount} delivery attempts.`,
      );
      return;
    }
    source.makeAvailable(copy);
    this.options.onAvailable(source);
  }

  private moveToDeadLetter(
    source: MessageSource<P>,
    copy: StoredCopy<P>,
    reason: string | undefined,
    description: string | undefined,
  ): void {
    // Dead-lettering from a dead-letter queue is a no-op in Service Bus; the message just goes away.
    const dlq = source.deadLetterQueue;
    if (!dlq) return;
    this.counters.deadLettered++;
    copy.deadLetter = { reason, description, source: source.path };
    dlq.makeAvailable(copy);
    this.options.onAvailable(dlq);
  }
}
