// The broker's rules without the network: addresses, put-token verification, duplicate windows.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../../local/sim/servicebus/addresses';
import { covers, verifyToken, type TokenPolicy } from '../../../local/sim/servicebus/cbs';
import { EntityStore, type MessageSummary } from '../../../local/sim/servicebus/store';

describe('link addresses', () => {
  it.each([
    ['$cbs', { kind: 'cbs' }],
    ['orders', { kind: 'entity', entityPath: 'orders', deadLetter: false }],
    ['orders/$DeadLetterQueue', { kind: 'entity', entityPath: 'orders', deadLetter: true }],
    [
      't/Subscriptions/s/$DeadLetterQueue',
      { kind: 'entity', entityPath: 't/Subscriptions/s', deadLetter: true },
    ],
    ['t/Subscriptions/s/$management', { kind: 'management', entityPath: 't/Subscriptions/s' }],
    ['amqps://ns.servicebus.windows.net/orders', { kind: 'entity', entityPath: 'orders', deadLetter: false }],
  ])('%s', (address, parsed) => {
    expect(parseAddress(address)).toEqual(parsed);
  });
});

describe('put-token verification', () => {
  const key = 'k3y';
  const policy = (nowMs: number): TokenPolicy => ({
    sasKeys: new Map([['Root', key]]),
    acceptJwt: (t) => t.length > 0,
    nowMs,
  });
  // Built the way the SDK builds it: sign the URL-encoded resource and the expiry.
  const sas = (resource: string, expirySeconds: number, signingKey = key): string => {
    const sr = encodeURIComponent(resource);
    const sig = encodeURIComponent(
      createHmac('sha256', signingKey).update(`${sr}\n${expirySeconds}`).digest('base64'),
    );
    return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${expirySeconds}&skn=Root`;
  };
  const type = 'servicebus.windows.net:sastoken';
  const audience = 'sb://ns/orders';

  it('accepts a valid entity or namespace-wide SAS token', () => {
    expect(verifyToken({ audience, tokenType: type, token: sas(audience, 2000) }, policy(1_000_000))).toEqual(
      {
        ok: true,
      },
    );
    expect(
      verifyToken({ audience, tokenType: type, token: sas('sb://ns/', 2000) }, policy(1_000_000)).ok,
    ).toBe(true);
  });

  it.each([
    ['expired', sas(audience, 999), /expired/],
    ['signed with another key', sas(audience, 2000, 'other'), /does not match/],
    ['scoped to another entity', sas('sb://ns/invoices', 2000), /does not cover/],
    ['empty', '', /empty token/],
  ])('rejects a token that is %s', (_label, token, why) => {
    const verdict = verifyToken({ audience, tokenType: type, token }, policy(1_000_000));
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.description).toMatch(why);
  });

  it('scopes cover their own path and paths below, case-insensitively, and nothing beside', () => {
    expect(covers('', 'orders')).toBe(true);
    expect(covers('Orders', 'orders/$management')).toBe(true);
    expect(covers('t', 't/Subscriptions/s')).toBe(true);
    expect(covers('order', 'orders')).toBe(false);
  });
});

describe('duplicate detection window', () => {
  const summary = (messageId: string): MessageSummary => ({
    messageId,
    subject: undefined,
    correlationId: undefined,
    contentType: undefined,
    applicationProperties: {},
    body: messageId,
  });

  it('drops a repeated messageId inside the window and accepts it again after the window', () => {
    let clock = 0;
    const store = new EntityStore<string>({
      queues: ['q'],
      topics: [],
      duplicateDetectionWindowMs: 1000,
      lockDurationMs: 60_000,
      maxDeliveryCount: 10,
      now: () => clock,
      onAvailable: () => undefined,
    });
    const q = store.sendTarget('Q')!;
    expect(store.enqueue(q, [{ summary: summary('a'), payload: 'a' }])).toEqual({
      enqueued: 1,
      duplicates: 0,
    });
    clock = 999;
    expect(store.enqueue(q, [{ summary: summary('a'), payload: 'a' }])).toEqual({
      enqueued: 0,
      duplicates: 1,
    });
    clock = 1000;
    expect(store.enqueue(q, [{ summary: summary('a'), payload: 'a' }])).toEqual({
      enqueued: 1,
      duplicates: 0,
    });
    expect(store.history('q').map((m) => m.enqueuedTime.getTime())).toEqual([0, 1000]);
    store.dispose();
  });

  it('with a zero window keeps every message', () => {
    const store = new EntityStore<string>({
      queues: ['q'],
      topics: [],
      duplicateDetectionWindowMs: 0,
      lockDurationMs: 60_000,
      maxDeliveryCount: 10,
      now: () => 0,
      onAvailable: () => undefined,
    });
    const q = store.sendTarget('q')!;
    store.enqueue(q, [
      { summary: summary('a'), payload: 'a' },
      { summary: summary('a'), payload: 'a' },
    ]);
    expect(store.history('q')).toHaveLength(2);
    store.dispose();
  });
});
