// The CloudEvents notifier over the real SDK, against the local broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceBusClient, ServiceBusError, type ServiceBusErrorCode } from '@azure/service-bus';
import {
  BREAKER_OPEN_MS,
  CLOUDEVENTS_CONTENT_TYPE,
  NotifierConfigError,
  NotifyTerminalError,
  NotifyTransientError,
  classifyNotifyError,
  createServiceBusNotifier,
  type CloudEvent,
  type Notifier,
} from '../../../src/adapters/servicebus';
import { startServiceBusBroker, type ServiceBusBroker } from '../../../local/sim/servicebus';

function failoverEvent(step: string, data: unknown = { step }): CloudEvent {
  return {
    specversion: '1.0',
    id: `op-123/${step}`,
    source: '/dr/logic-apps-failover',
    type: 'com.contoso.dr.failover.step',
    time: '2026-03-01T10:00:00.000Z',
    subject: 'orders-workflow',
    datacontenttype: 'application/json',
    data,
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error(`expected a rejection, got ${String(err)}`);
  return err;
}

describe('Service Bus notifier', () => {
  let broker: ServiceBusBroker;
  const notifiers: Notifier[] = [];
  const notifier = (...args: Parameters<typeof createServiceBusNotifier>): Notifier => {
    const n = createServiceBusNotifier(...args);
    notifiers.push(n);
    return n;
  };

  beforeAll(async () => {
    broker = await startServiceBusBroker({
      queues: ['dr-events', 'retried', 'small'],
      topics: [{ name: 'dr-fanout', subscriptions: ['pager', 'audit'] }],
    });
  });

  afterAll(async () => {
    await Promise.all(notifiers.map((n) => n.close()));
    await broker.stop();
  });

  it('sends the whole CloudEvent as the body with subject, correlationId, messageId and content type', async () => {
    const n = notifier({ connectionString: broker.connectionString, queue: 'dr-events' });
    const event = failoverEvent('promote-secondary', { workflow: 'orders', region: 'northeurope' });
    await n.send(event, { messageId: 'op-123:promote-secondary', correlationId: 'op-123' });

    expect(broker.messages('dr-events')).toMatchObject([
      {
        messageId: 'op-123:promote-secondary',
        correlationId: 'op-123',
        subject: 'com.contoso.dr.failover.step',
        contentType: CLOUDEVENTS_CONTENT_TYPE,
        body: event,
      },
    ]);
    // What a consumer using the SDK sees on the wire.
    const client = new ServiceBusClient(broker.connectionString);
    try {
      const receiver = client.createReceiver('dr-events', { receiveMode: 'receiveAndDelete' });
      const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
      expect(msg?.contentType).toBe('application/cloudevents+json; charset=utf-8');
      expect(msg?.subject).toBe(event.type);
      expect(msg?.correlationId).toBe('op-123');
      expect(msg?.body).toEqual(event);
    } finally {
      await client.close();
    }
  });

  it('a retried send with the same messageId is dropped by duplicate detection', async () => {
    const n = notifier({ connectionString: broker.connectionString, queue: 'retried' });
    const ids = { messageId: 'op-9:disable-primary', correlationId: 'op-9' };
    await n.send(failoverEvent('disable-primary'), ids);
    await n.send(failoverEvent('disable-primary'), ids);
    await n.send(failoverEvent('enable-secondary'), {
      messageId: 'op-9:enable-secondary',
      correlationId: 'op-9',
    });
    expect(broker.messages('retried').map((m) => m.messageId)).toEqual([
      'op-9:disable-primary',
      'op-9:enable-secondary',
    ]);
    expect(broker.stats().duplicatesDropped).toBeGreaterThanOrEqual(1);
  });

  it('publishes to a topic and every subscription gets the event', async () => {
    const n = notifier({ connectionString: broker.connectionString, topic: 'dr-fanout' });
    await n.send(failoverEvent('failover-complete'), { messageId: 'op-5:done', correlationId: 'op-5' });
    expect(broker.stats().entities['dr-fanout/Subscriptions/pager']?.active).toBe(1);
    expect(broker.stats().entities['dr-fanout/Subscriptions/audit']?.active).toBe(1);
  });

  it('authenticates per entity through $cbs', async () => {
    const n = notifier({ connectionString: broker.connectionString, queue: 'dr-events' });
    await n.send(failoverEvent('cbs'), { messageId: 'op-cbs:1', correlationId: 'op-cbs' });
    expect(broker.tokens().map((t) => t.audience)).toContain(`sb://127.0.0.1:${broker.port}/dr-events`);
  });

  it('an unknown queue is a terminal MessagingEntityNotFound error naming the queue', async () => {
    const n = notifier({ connectionString: broker.connectionString, queue: 'typo-queue' });
    const err = await failure(n.send(failoverEvent('x'), { messageId: 'm', correlationId: 'c' }));
    expect(err).toBeInstanceOf(NotifyTerminalError);
    expect(err).toMatchObject({ code: 'MessagingEntityNotFound', transient: false });
    expect(err.message).toContain("queue 'typo-queue' on 127.0.0.1:");
  });

  it('a wrong key is a terminal UnauthorizedAccess error that never shows the key', async () => {
    const wrong = broker.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=S3cretWr0ngKey');
    const n = notifier({ connectionString: wrong, queue: 'dr-events' });
    const err = await failure(n.send(failoverEvent('x'), { messageId: 'm', correlationId: 'c' }));
    expect(err).toBeInstanceOf(NotifyTerminalError);
    expect((err as NotifyTerminalError).code).toBe('UnauthorizedAccess');
    expect(`${err.message} ${String(err.stack)}`).not.toContain('S3cretWr0ngKey');
  });

  it('a message above the entity limit is a terminal MessageSizeExceeded error', async () => {
    const n = notifier({ connectionString: broker.connectionString, queue: 'small' });
    const err = await failure(
      n.send(failoverEvent('big', { blob: 'x'.repeat(300 * 1024) }), {
        messageId: 'big',
        correlationId: 'c',
      }),
    );
    expect(err).toMatchObject({ name: 'NotifyTerminalError', code: 'MessageSizeExceeded' });
  });

  it('rejects a malformed CloudEvent before sending', async () => {
    const n = notifier({ connectionString: broker.connectionString, queue: 'dr-events' });
    const bad = { ...failoverEvent('x'), type: '' };
    const err = await failure(n.send(bad, { messageId: 'm', correlationId: 'c' }));
    expect(err).toMatchObject({ name: 'NotifyTerminalError', code: 'InvalidEvent' });
    expect(err.message).toContain('type');
  });

  it('refuses invalid targets at construction', () => {
    const cs = broker.connectionString;
    expect(() => createServiceBusNotifier({ connectionString: cs })).toThrow(NotifierConfigError);
    expect(() => createServiceBusNotifier({ connectionString: cs, queue: 'a', topic: 'b' })).toThrow(
      /exactly one/,
    );
    expect(() => createServiceBusNotifier({ namespace: 'x.servicebus.windows.net', queue: 'a' })).toThrow(
      /needs a credential/,
    );
    expect(() =>
      createServiceBusNotifier({ connectionString: 'Endpoint=;SharedAccessKey=Zz9', queue: 'a' }),
    ).toThrow(NotifierConfigError);
    let message = '';
    try {
      createServiceBusNotifier({ connectionString: 'SharedAccessKey=Zz9Secret', queue: 'a' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toContain('Zz9Secret');
  });

  it('close() is idempotent and later sends fail terminally', async () => {
    const n = createServiceBusNotifier({ connectionString: broker.connectionString, queue: 'dr-events' });
    await n.send(failoverEvent('before-close'), { messageId: 'bc', correlationId: 'c' });
    await n.close();
    await n.close();
    const err = await failure(n.send(failoverEvent('x'), { messageId: 'm', correlationId: 'c' }));
    expect(err).toMatchObject({ name: 'NotifyTerminalError', code: 'NotifierClosed' });
  });
});

describe('Service Bus notifier during a broker outage', () => {
  it('a refused connection is a transient error, well within the timeout; it recovers when the broker is back', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'] });
    const n = createServiceBusNotifier(
      { connectionString: broker.connectionString, queue: 'q' },
      { timeoutMs: 3000 },
    );
    try {
      await broker.setDown(true);
      const started = Date.now();
      const err = await failure(n.send(failoverEvent('a'), { messageId: 'a', correlationId: 'c' }));
      expect(err).toBeInstanceOf(NotifyTransientError);
      expect((err as NotifyTransientError).code).toBe('ECONNREFUSED');
      expect(Date.now() - started).toBeLessThan(1000);

      await broker.setDown(false);
      await n.send(failoverEvent('a'), { messageId: 'a', correlationId: 'c' });
      expect(broker.messages('q')).toHaveLength(1);
    } finally {
      await n.close();
      await broker.stop();
    }
  });

  it('a broker that accepts TCP but never answers gives a transient Timeout at the configured bound', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'] });
    const n = createServiceBusNotifier(
      { connectionString: broker.connectionString, queue: 'q' },
      { timeoutMs: 600 },
    );
    try {
      await broker.setDown(true, 'hang');
      const started = Date.now();
      const err = await failure(n.send(failoverEvent('a'), { messageId: 'a', correlationId: 'c' }));
      const elapsed = Date.now() - started;
      expect(err).toMatchObject({ name: 'NotifyTransientError', code: 'Timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(550);
      expect(elapsed).toBeLessThan(1500);
      expect(broker.stats().connectionsRejectedWhileDown).toBeGreaterThanOrEqual(1);
    } finally {
      const closing = Date.now();
      await n.close();
      expect(Date.now() - closing).toBeLessThan(1500);
      await broker.stop();
    }
  });
});

describe('Service Bus notifier circuit breaker', () => {
  it('after three failures in a row sends fail at once, one trial send goes through after the pause, and success closes it', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'] });
    let clock = 1_000_000;
    const n = createServiceBusNotifier(
      { connectionString: broker.connectionString, queue: 'q' },
      { timeoutMs: 400, now: () => clock },
    );
    const send = (id: string) => n.send(failoverEvent(id), { messageId: id, correlationId: 'c' });
    try {
      await broker.setDown(true, 'hang');
      for (const id of ['a', 'b', 'c']) expect(await failure(send(id))).toMatchObject({ code: 'Timeout' });
      // Open: no worker waits for the namespace any more.
      const started = Date.now();
      const open = await failure(send('d'));
      expect(open).toMatchObject({ name: 'NotifyTransientError', code: 'CircuitOpen' });
      expect(open.message).toMatch(/3 sends in a row failed/);
      expect(Date.now() - started).toBeLessThan(100);

      await broker.setDown(false);
      clock += BREAKER_OPEN_MS - 1;
      expect(await failure(send('e'))).toMatchObject({ code: 'CircuitOpen' });
      clock += 1;
      // Half open: the first send tries the namespace, a concurrent one still fails fast.
      const [, other] = await Promise.allSettled([send('f'), send('g')]);
      expect(other).toMatchObject({ status: 'rejected', reason: { code: 'CircuitOpen' } });
      // The SDK may need a failed attempt to notice its old connection is gone: each failed trial reopens
      // the breaker for another pause, and a later one gets through.
      const sent = broker.messages('q').length ? ['f'] : [];
      for (let i = 0; !sent.length && i < 5; i++) {
        clock += BREAKER_OPEN_MS;
        await send(`t${i}`).then(
          () => sent.push(`t${i}`),
          (err: unknown) => expect(err).toBeInstanceOf(NotifyTransientError),
        );
      }
      // Closed again: the next send goes straight through.
      await send('h');
      sent.push('h');
      expect(broker.messages('q').map((m) => m.messageId)).toEqual(sent);
    } finally {
      await n.close();
      await broker.stop();
    }
  });

  it('a terminal failure does not open it', async () => {
    const broker = await startServiceBusBroker({ queues: ['q'] });
    const n = createServiceBusNotifier({ connectionString: broker.connectionString, queue: 'missing' });
    try {
      for (const id of ['a', 'b', 'c', 'd'])
        expect(await failure(n.send(failoverEvent(id), { messageId: id, correlationId: 'c' }))).toMatchObject(
          { code: 'MessagingEntityNotFound' },
        );
    } finally {
      await n.close();
      await broker.stop();
    }
  });
});

describe('classifyNotifyError', () => {
  const where = "queue 'q' on ns";
  const sbError = (code: ServiceBusErrorCode, retryable?: boolean): ServiceBusError => {
    const e = new ServiceBusError(`sdk says ${code}`, code);
    if (retryable !== undefined) e.retryable = retryable;
    return e;
  };

  it.each([
    ['UnauthorizedAccess', true, false],
    ['MessagingEntityNotFound', false, false],
    ['MessageSizeExceeded', false, false],
    ['MessagingEntityDisabled', false, false],
    ['ServiceTimeout', false, true],
    ['ServiceBusy', false, true],
    ['ServiceCommunicationProblem', false, true],
    ['GeneralError', true, true],
    ['GeneralError', false, false],
  ] as const)('ServiceBusError %s (retryable=%s) → transient=%s', (code, retryable, transient) => {
    const err = classifyNotifyError(sbError(code, retryable), where);
    expect(err.transient).toBe(transient);
    expect(err).toBeInstanceOf(transient ? NotifyTransientError : NotifyTerminalError);
    expect(err.code).toBe(code);
    expect(err.message).toContain(where);
    expect(err.cause).toBeInstanceOf(ServiceBusError);
  });

  it('treats socket failures as transient even when the SDK marks them non-retryable, untrusted certificates as terminal', () => {
    const refused = Object.assign(new Error('ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:5671'), {
      code: 'GeneralError',
      retryable: false,
    });
    expect(classifyNotifyError(refused, where)).toMatchObject({ transient: true, code: 'ECONNREFUSED' });
    const untrusted = Object.assign(new Error('self-signed certificate'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(classifyNotifyError(untrusted, where)).toMatchObject({
      transient: false,
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyNotifyError(reset, where)).toMatchObject({ transient: true, code: 'ECONNRESET' });
  });

  it('maps aborts to Timeout, programming errors to terminal, and redacts secrets', () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(classifyNotifyError(abort, where)).toMatchObject({ transient: true, code: 'Timeout' });
    expect(classifyNotifyError(new TypeError('bad'), where)).toMatchObject({
      transient: false,
      code: 'InvalidRequest',
    });
    const leaky = classifyNotifyError(new Error('key=abc123 leaked'), where, (t) =>
      t.replace('abc123', '***'),
    );
    expect(leaky.message).not.toContain('abc123');
  });
});
