// The local broker against the real @azure/service-bus client: what the notifier and `npm start` rely on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ServiceBusClient,
  isServiceBusError,
  type ServiceBusClientOptions,
  type ServiceBusReceivedMessage,
} from '@azure/service-bus';
import { startServiceBusBroker, type ServiceBusBroker } from '../../../local/sim/servicebus';
import { idLimitProblem } from '../../../local/sim/servicebus/codec';

const fastFail: ServiceBusClientOptions = { retryOptions: { maxRetries: 0, timeoutInMs: 3000 } };
// A v4 uuid read back in the right byte order (the version nibble lands in the third group).
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function expectServiceBusCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isServiceBusError(err), `expected a ServiceBusError, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return err as Error;
}

describe('local Service Bus broker with the real SDK', () => {
  let broker: ServiceBusBroker;
  let client: ServiceBusClient;

  beforeAll(async () => {
    broker = await startServiceBusBroker({
      queues: ['orders', 'batch', 'abandon', 'dlq', 'rad', 'drain', 'dupes', 'other', 'peek', 'maxdc'],
      topics: [{ name: 'failover', subscriptions: ['ops', 'audit'] }],
      maxDeliveryCount: 3,
    });
    client = new ServiceBusClient(broker.connectionString, fastFail);
  });

  afterAll(async () => {
    await client.close();
    await broker.stop();
  });

  it('honours the port in a UseDevelopmentEmulator connection string', () => {
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.connectionString).toContain(`Endpoint=sb://127.0.0.1:${broker.port};`);
    expect(broker.connectionString).toContain('UseDevelopmentEmulator=true');
  });

  it('delivers a sent message in peekLock with lock token, sequence number and times; complete removes it', async () => {
    const sender = client.createSender('orders');
    await sender.sendMessages({
      body: { order: 42 },
      messageId: 'order-42',
      subject: 'OrderPlaced',
      correlationId: 'op-1',
      contentType: 'application/json',
      applicationProperties: { region: 'westeurope', attempt: 2 },
    });
    const [stored] = broker.messages('orders');
    expect(stored).toMatchObject({
      entity: 'orders',
      messageId: 'order-42',
      subject: 'OrderPlaced',
      correlationId: 'op-1',
      contentType: 'application/json',
      applicationProperties: { region: 'westeurope', attempt: 2 },
      body: { order: 42 },
    });

    const receiver = client.createReceiver('orders');
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(msg).toBeDefined();
    const received = msg!;
    expect(received.body).toEqual({ order: 42 });
    expect(received.messageId).toBe('order-42');
    expect(received.subject).toBe('OrderPlaced');
    expect(received.applicationProperties).toEqual({ region: 'westeurope', attempt: 2 });
    expect(received.lockToken).toMatch(UUID_V4);
    expect(received.deliveryCount).toBe(0);
    expect(received.sequenceNumber?.toNumber()).toBe(stored!.sequenceNumber);
    expect(received.enqueuedTimeUtc?.getTime()).toBe(stored!.enqueuedTime.getTime());
    const lockMs = received.lockedUntilUtc!.getTime() - received.enqueuedTimeUtc!.getTime();
    expect(lockMs).toBeGreaterThanOrEqual(59_000);
    expect(lockMs).toBeLessThanOrEqual(61_000);
    expect(broker.stats().entities.orders).toMatchObject({ active: 0, locked: 1 });

    await receiver.completeMessage(received);
    expect(broker.stats().entities.orders).toMatchObject({ active: 0, locked: 0 });
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]);
    await receiver.close();
    await sender.close();
  });

  it('splits arrays and batches (format 0x80013700) into separate messages, in order', async () => {
    const sender = client.createSender('batch');
    await sender.sendMessages([
      { body: 'a', messageId: 'a' },
      { body: 'b', messageId: 'b' },
    ]);
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(256 * 1024);
    for (const id of ['c', 'd', 'e'])
      expect(batch.tryAddMessage({ body: id, messageId: id, subject: 'S' })).toBe(true);
    await sender.sendMessages(batch);

    expect(broker.messages('batch').map((m) => [m.messageId, m.body])).toEqual([
      ['a', 'a'],
      ['b', 'b'],
      ['c', 'c'],
      ['d', 'd'],
      ['e', 'e'],
    ]);
    const receiver = client.createReceiver('batch', { receiveMode: 'receiveAndDelete' });
    const got: ServiceBusReceivedMessage[] = [];
    while (got.length < 5)
      got.push(...(await receiver.receiveMessages(5 - got.length, { maxWaitTimeInMs: 1000 })));
    expect(got.map((m) => m.body as unknown)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(got.map((m) => m.subject)).toEqual([undefined, undefined, 'S', 'S', 'S']);
    await receiver.close();
    await sender.close();
  });

  it('abandon puts the message back with deliveryCount + 1', async () => {
    const sender = client.createSender('abandon');
    await sender.sendMessages({ body: 'retry me', messageId: 'ab-1' });
    const receiver = client.createReceiver('abandon');
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.abandonMessage(first!);
    const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(second?.messageId).toBe('ab-1');
    expect(second?.deliveryCount).toBe(1);
    expect(second?.lockToken).not.toBe(first?.lockToken);
    await receiver.completeMessage(second!);
    expect(broker.stats()).toMatchObject({ abandoned: 1 });
    await receiver.close();
    await sender.close();
  });

  it('dead-letters with reason and description; the SDK reads them back from the dead-letter sub-queue', async () => {
    const sender = client.createSender('dlq');
    await sender.sendMessages({ body: { bad: true }, messageId: 'poison' });
    const receiver = client.createReceiver('dlq');
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await receiver.deadLetterMessage(msg!, {
      deadLetterReason: 'Schema',
      deadLetterErrorDescription: 'no id field',
    });
    expect(broker.deadLetters('dlq')).toMatchObject([
      { messageId: 'poison', reason: 'Schema', description: 'no id field', source: 'dlq' },
    ]);
    expect(broker.stats().entities.dlq).toMatchObject({ active: 0, locked: 0, deadLetter: 1 });

    const dlqReceiver = client.createReceiver('dlq', { subQueueType: 'deadLetter' });
    const [dead] = await dlqReceiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(dead?.body).toEqual({ bad: true });
    expect(dead?.deadLetterReason).toBe('Schema');
    expect(dead?.deadLetterErrorDescription).toBe('no id field');
    expect(dead?.deadLetterSource).toBe('dlq');
    await dlqReceiver.completeMessage(dead!);
    expect(broker.stats().entities.dlq?.deadLetter).toBe(0);
    await dlqReceiver.close();
    await receiver.close();
    await sender.close();
  });

  it('dead-letters a message once it reaches the max delivery count', async () => {
    const sender = client.createSender('maxdc');
    await sender.sendMessages({ body: 'flaky', messageId: 'flaky' });
    const receiver = client.createReceiver('maxdc');
    for (let attempt = 0; attempt < 3; attempt++) {
      const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      expect(msg?.deliveryCount).toBe(attempt);
      await receiver.abandonMessage(msg!);
    }
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]);
    expect(broker.deadLetters('maxdc')).toMatchObject([
      { messageId: 'flaky', reason: 'MaxDeliveryCountExceeded', deliveryCount: 3 },
    ]);
    await receiver.close();
    await sender.close();
  });

  it('receiveAndDelete removes messages as they are delivered', async () => {
    const sender = client.createSender('rad');
    await sender.sendMessages([{ body: 1 }, { body: 2 }]);
    const receiver = client.createReceiver('rad', { receiveMode: 'receiveAndDelete' });
    const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2000 });
    expect(got.map((m) => m.body as unknown)).toEqual([1, 2]);
    expect(got[0]?.lockToken).toBeUndefined();
    expect(broker.stats().entities.rad).toMatchObject({ active: 0, locked: 0 });
    await receiver.close();
    await sender.close();
  });

  it('answers a drain so an empty receive returns and the link stays open', async () => {
    const receiver = client.createReceiver('drain');
    const started = Date.now();
    expect(await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
    // The SDK closes its link when a drain is not answered; ours must still be attached.
    expect(broker.stats().receiverLinks).toBe(1);
    const sender = client.createSender('drain');
    await sender.sendMessages({ body: 'late' });
    const [late] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(late?.body).toBe('late');
    await receiver.completeMessage(late!);
    await receiver.close();
    await sender.close();
  });

  it('drops a duplicate messageId on the same entity, but not on another entity', async () => {
    const before = broker.stats().duplicatesDropped;
    const dupes = client.createSender('dupes');
    const other = client.createSender('other');
    await dupes.sendMessages({ body: 'first', messageId: 'op-7/step-2' });
    await dupes.sendMessages({ body: 'retry', messageId: 'op-7/step-2' });
    await dupes.sendMessages([
      { body: 'again', messageId: 'op-7/step-2' },
      { body: 'next', messageId: 'op-7/step-3' },
    ]);
    await other.sendMessages({ body: 'elsewhere', messageId: 'op-7/step-2' });
    expect(broker.messages('dupes').map((m) => m.body)).toEqual(['first', 'next']);
    expect(broker.messages('other').map((m) => m.body)).toEqual(['elsewhere']);
    expect(broker.stats().duplicatesDropped - before).toBe(2);
    await dupes.close();
    await other.close();
  });

  it('fans a topic message out to every subscription; each settles independently', async () => {
    const sender = client.createSender('failover');
    await sender.sendMessages({ body: { step: 'promote' }, messageId: 'fo-1' });
    const ops = client.createReceiver('failover', 'ops');
    const audit = client.createReceiver('failover', 'audit');
    const [a] = await ops.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const [b] = await audit.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(a?.body).toEqual({ step: 'promote' });
    expect(b?.body).toEqual({ step: 'promote' });
    await ops.completeMessage(a!);
    await audit.abandonMessage(b!);
    expect(broker.stats().entities['failover/Subscriptions/ops']).toMatchObject({ active: 0, locked: 0 });
    expect(broker.stats().entities['failover/Subscriptions/audit']).toMatchObject({ active: 1, locked: 0 });
    expect(broker.messages('failover/Subscriptions/audit').map((m) => m.messageId)).toEqual(['fo-1']);
    await ops.close();
    await audit.close();
    await sender.close();
  });

  it('refuses links to unknown entities with amqp:not-found, which the SDK reports as MessagingEntityNotFound', async () => {
    const sender = client.createSender('no-such-queue');
    await expectServiceBusCode(sender.sendMessages({ body: 1 }), 'MessagingEntityNotFound');
    const receiver = client.createReceiver('no-such-topic', 'sub');
    await expectServiceBusCode(
      receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }),
      'MessagingEntityNotFound',
    );
    expect(() => broker.messages('no-such-queue')).toThrow(/no-such-queue/);
    await sender.close();
    await receiver.close();
  });

  it('records one put-token per link with the entity audience, never the token', async () => {
    const fresh = await startServiceBusBroker({
      queues: ['q'],
      topics: [{ name: 't', subscriptions: ['s'] }],
    });
    const c = new ServiceBusClient(fresh.connectionString, fastFail);
    try {
      await c.createSender('q').sendMessages({ body: 1 });
      await c.createSender('t').sendMessages({ body: 2 });
      await c.createReceiver('t', 's').receiveMessages(1, { maxWaitTimeInMs: 1000 });
      const base = `sb://127.0.0.1:${fresh.port}/`;
      expect(fresh.tokens().map((t) => [t.audience, t.tokenType, t.accepted])).toEqual([
        [`${base}q`, 'servicebus.windows.net:sastoken', true],
        [`${base}t`, 'servicebus.windows.net:sastoken', true],
        [`${base}t/Subscriptions/s`, 'servicebus.windows.net:sastoken', true],
      ]);
      expect(JSON.stringify(fresh.tokens())).not.toMatch(/SharedAccessSignature|sig=/);
    } finally {
      await c.close();
      await fresh.stop();
    }
  });

  it('rejects a SAS token signed with the wrong key (401 → UnauthorizedAccess) and refuses the link', async () => {
    const wrong = broker.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=not-the-key');
    const c = new ServiceBusClient(wrong, fastFail);
    const rejectedBefore = broker.stats().tokensRejected;
    try {
      const err = await expectServiceBusCode(
        c.createSender('orders').sendMessages({ body: 1 }),
        'UnauthorizedAccess',
      );
      expect(err.message).not.toContain('not-the-key');
      expect(broker.stats().tokensRejected).toBe(rejectedBefore + 1);
      expect(broker.tokens().at(-1)).toMatchObject({
        audience: expect.stringMatching(/\/orders$/),
        accepted: false,
      });
    } finally {
      await c.close();
    }
  });

  it('peeks through $management without locking, and renews a lock', async () => {
    const sender = client.createSender('peek');
    await sender.sendMessages([
      { body: 'p1', messageId: 'p1' },
      { body: 'p2', messageId: 'p2' },
    ]);
    const receiver = client.createReceiver('peek');
    const peeked = await receiver.peekMessages(10);
    expect(peeked.map((m) => m.body as unknown)).toEqual(['p1', 'p2']);
    expect(broker.stats().entities.peek).toMatchObject({ active: 2, locked: 0 });
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    const before = msg!.lockedUntilUtc!.getTime();
    await new Promise((r) => setTimeout(r, 20));
    const renewed = await receiver.renewMessageLock(msg!);
    expect(renewed.getTime()).toBeGreaterThan(before);
    await receiver.completeMessage(msg!);
    await receiver.close();
    await sender.close();
  });
});

describe('local broker: locks, limits and outages', () => {
  it('redelivers when a lock expires; settling the stale lock fails with MessageLockLost', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'], lockDurationMs: 300 });
    const client = new ServiceBusClient(broker.connectionString, fastFail);
    try {
      await client.createSender('q').sendMessages({ body: 'slow', messageId: 'slow' });
      const receiver = client.createReceiver('q', { maxAutoLockRenewalDurationInMs: 0 });
      const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      await new Promise((r) => setTimeout(r, 500));
      expect(broker.stats()).toMatchObject({ lockExpired: 1 });
      await expectServiceBusCode(receiver.completeMessage(first!), 'MessageLockLost');
      const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      expect(second?.messageId).toBe('slow');
      expect(second?.deliveryCount).toBe(1);
      await receiver.completeMessage(second!);
    } finally {
      await client.close();
      await broker.stop();
    }
  });

  it('rejects a message above the size limit with MessageSizeExceeded', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'], maxMessageSizeBytes: 2048 });
    const client = new ServiceBusClient(broker.connectionString, fastFail);
    try {
      const sender = client.createSender('q');
      await expectServiceBusCode(sender.sendMessages({ body: 'x'.repeat(4096) }), 'MessageSizeExceeded');
      await sender.sendMessages({ body: 'small' });
      expect(broker.messages('q').map((m) => m.body)).toEqual(['small']);
      expect(broker.stats().messagesTooLarge).toBe(1);
    } finally {
      await client.close();
      await broker.stop();
    }
  });

  it('refuses message ids over 128 characters: the SDK before sending, the broker for any other client', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'] });
    const client = new ServiceBusClient(broker.connectionString, fastFail);
    try {
      const sender = client.createSender('q');
      await expect(sender.sendMessages({ body: 'long', messageId: 'a'.repeat(129) })).rejects.toThrow(/128/);
      await sender.sendMessages({ body: 'fits', messageId: 'a'.repeat(128) });
      expect(broker.messages('q').map((m) => m.body)).toEqual(['fits']);
    } finally {
      await client.close();
      await broker.stop();
    }
    // What the broker checks on every transfer (a raw AMQP client skips the SDK's check).
    expect(idLimitProblem({ body: '', message_id: 'a'.repeat(128) })).toBeUndefined();
    expect(idLimitProblem({ body: '', message_id: 'a'.repeat(129) })).toMatch(
      /'MessageId' \(129 characters\)/,
    );
    expect(idLimitProblem({ body: '', message_id: 'ok', group_id: 's'.repeat(200) })).toMatch(/'SessionId'/);
  });

  it('setDown drops and refuses connections; setDown(false) restores the same port', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'] });
    const client = new ServiceBusClient(broker.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 1000 },
    });
    try {
      const sender = client.createSender('q');
      await sender.sendMessages({ body: 'before' });
      await broker.setDown(true);
      expect(broker.stats().connectionsOpen).toBe(0);
      // The link that was open when the socket died only fails on the SDK's operation timeout...
      const started = Date.now();
      await expectServiceBusCode(sender.sendMessages({ body: 'during' }), 'ServiceTimeout');
      expect(Date.now() - started).toBeLessThan(2500);
      // ...after which reconnecting hits the closed port at once.
      const refusedAt = Date.now();
      const refused = await sender.sendMessages({ body: 'during' }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(refused?.message).toContain('ECONNREFUSED');
      expect(Date.now() - refusedAt).toBeLessThan(500);

      await broker.setDown(false);
      await sender.sendMessages({ body: 'after' });
      expect(broker.messages('q').map((m) => m.body)).toEqual(['before', 'after']);
    } finally {
      await client.close();
      await broker.stop();
    }
  });
});
