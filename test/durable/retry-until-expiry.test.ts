/**
 * The retry loop the notification outbox and the request courier share (src/orchestrators/retry.ts), replayed
 * by durable-functions itself in the local host on virtual time: the backoff between attempts, the cap, the
 * last attempt at the deadline and the give-up there, and the attempt count carried across continueAsNew.
 */
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFunctionsHost, type FunctionsHost } from '../../local/host';
import { calls, resetCounters } from '../fixtures/functions-app/counters';
// Types only: the fixture registers functions, so only the host may load it.
import type { RetryUntilInput, Step } from '../fixtures/functions-app/retry-until';

const T0 = Date.parse('2025-03-01T00:00:00Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
let host: FunctionsHost | undefined;

/** The published status while waiting: `attempts` made, the last error from attempt `failed`, the next due at `nextMs`. */
const trying = (attempts: number, failed: number, nextMs: number) => ({
  state: 'trying',
  attempts,
  lastError: expect.stringContaining(`failure ${failed}`),
  nextAttemptAt: at(nextMs),
});

async function run(script: Step[], perExecution = 20): Promise<{ h: FunctionsHost; id: string }> {
  host = await startFunctionsHost({
    files: [path.resolve(__dirname, '../fixtures/functions-app/retry-until.ts')],
    checkDeterminism: true,
    startTime: T0,
  });
  const input: RetryUntilInput = { queuedAt: at(0), ttlMs: 14_000, attempts: 0, perExecution, script };
  const id = host.durable.startNew('retryUntil', { input });
  await host.runUntilIdle();
  return { h: host, id };
}

beforeEach(() => resetCounters());
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('retryUntilExpiry (replayed)', () => {
  test('waits 1, 2, 4, then 4 s (the cap), never past the deadline, and gives up after an attempt at it', async () => {
    const { h, id } = await run(['throw']);
    expect(h.durable.getStatus(id)?.customStatus).toEqual(trying(1, 1, 1_000));
    await h.clock.advanceBy(13_999);
    expect(calls.get('scripted')).toBe(5);
    expect(h.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    await h.clock.advanceBy(1);
    await h.runUntilIdle();
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    const expired = {
      state: 'expired',
      attempts: 6,
      lastError: expect.stringContaining('failure 6'),
      expiredAt: at(14_000),
    };
    expect(status.output).toEqual({ outcome: 'expired', status: expired });
    expect(status.customStatus).toEqual(expired);
    const fireAt = h.durable
      .history(id)!
      .filter((e) => e.EventType === 10)
      .map((e) => e.FireAt);
    expect(fireAt).toEqual([at(1_000), at(3_000), at(7_000), at(11_000), at(14_000)]);
  });

  test('a "not yet" answer keeps the last error and waits like a failure; a final answer settles it', async () => {
    const { h, id } = await run(['throw', 'notYet', 'done']);
    await h.clock.advanceBy(1_000);
    expect(h.durable.getStatus(id)?.customStatus).toEqual(trying(2, 1, 3_000));
    await h.clock.advanceBy(2_000);
    const status = h.durable.getStatus(id)!;
    expect(status.runtimeStatus).toBe('Completed');
    const done = { state: 'done', attempts: 3, doneAt: at(3_000) };
    expect(status.output).toEqual({ outcome: 'settled', status: done });
    expect(status.customStatus).toEqual(done);
    expect(calls.get('scripted')).toBe(3);
  });

  test('continuing as new every 2 attempts carries the count over: the same attempts, the same give-up', async () => {
    const { h, id } = await run(['throw'], 2);
    await h.clock.advanceBy(14_000);
    await h.runUntilIdle();
    const status = h.durable.getStatus(id)!;
    expect(status.output).toMatchObject({
      outcome: 'expired',
      status: { attempts: 6, expiredAt: at(14_000) },
    });
    expect(calls.get('scripted')).toBe(6);
    expect(h.stats().historyEventsByInstance[id]!.executions).toBe(3);
  });
});
