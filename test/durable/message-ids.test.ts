import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_ID_LENGTH, deliveryInstanceId, messageIdOf } from '../../src/durable/contracts';

describe('message ids', () => {
  it('short ids stay readable; long parts (a 100-character Idempotency-Key) are hashed to fit 128 characters', () => {
    expect(messageIdOf('plan', 'pause:http-abc')).toBe('plan:pause:http-abc');
    const long = messageIdOf('contoso-orders-dr', `pause:http-${'k'.repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(MAX_MESSAGE_ID_LENGTH);
    expect(long.startsWith('contoso-orders-dr:pause:http-kkk')).toBe(true);
    // Deterministic (a re-sent event keeps its id) and distinct for distinct inputs.
    expect(messageIdOf('contoso-orders-dr', `pause:http-${'k'.repeat(100)}`)).toBe(long);
    expect(messageIdOf('contoso-orders-dr', `pause:http-${'k'.repeat(99)}j`)).not.toBe(long);
  });

  it('one delivery instance per message id', () => {
    expect(deliveryInstanceId('p', 'a:started')).toBe(deliveryInstanceId('p', 'a:started'));
    expect(deliveryInstanceId('p', 'a:started')).not.toBe(deliveryInstanceId('p', 'a:completed'));
    expect(deliveryInstanceId('p', 'a:started')).toMatch(/^dr-n-p-[0-9a-f]{32}$/);
  });
});
