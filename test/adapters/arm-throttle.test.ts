/**
 * The client-side ARM limiter as a pipeline policy, on a fake clock: how long each request is held back,
 * given what ARM's `x-ms-ratelimit-remaining-subscription-*` and Retry-After headers said.
 */
import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { ArmThrottle, type Clock } from '../../src/adapters/arm/throttle';

const SUB_A = '11111111-1111-1111-1111-111111111111';
const SUB_B = '22222222-2222-2222-2222-222222222222';

/** Virtual time: sleeping advances it at once, and every sleep is recorded. */
function fakeClock(): Clock & { slept: number[]; at: () => number } {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
    at: () => t,
  };
}

function setup(
  specs = { reads: { capacity: 3, refillPerSecond: 10 }, writes: { capacity: 2, refillPerSecond: 10 } },
) {
  const clock = fakeClock();
  const throttle = new ArmThrottle(specs, clock);
  const policy = throttle.policy();
  /** Sends one request through the policy; ARM answers `status` with `headers`. Returns when it was sent. */
  const send = async (
    method: string,
    subscription: string,
    answer: { status?: number; headers?: Record<string, string>; latencyMs?: number } = {},
  ): Promise<number> => {
    let sentAt = -1;
    const request = createPipelineRequest({
      url: `https://management.azure.com/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.Logic/workflows/w?api-version=2019-05-01`,
      method: method as PipelineRequest['method'],
    });
    await policy.sendRequest(request, async (req): Promise<PipelineResponse> => {
      sentAt = clock.now();
      if (answer.latencyMs) await clock.sleep(answer.latencyMs); // ARM taking its time to answer
      return Promise.resolve({
        request: req,
        status: answer.status ?? 200,
        headers: createHttpHeaders(answer.headers ?? {}),
      });
    });
    return sentAt;
  };
  return { clock, throttle, send };
}

describe('ArmThrottle (client-side pacing per subscription)', () => {
  it('lets a burst up to the bucket through at once, then paces at the refill rate', async () => {
    const { clock, send } = setup();
    expect(await Promise.all([send('GET', SUB_A), send('GET', SUB_A), send('GET', SUB_A)])).toEqual([
      0, 0, 0,
    ]);
    expect(clock.slept).toEqual([]);
    // The fourth read waits for one token at 10/s: 100 ms.
    expect(await send('GET', SUB_A)).toBeCloseTo(100, 6);
    // Writes have their own bucket: untouched by the reads.
    expect(await send('POST', SUB_A)).toBeCloseTo(100, 6);
  });

  it('never believes it has more tokens than ARM says remain (x-ms-ratelimit-remaining-subscription-writes)', async () => {
    const { throttle, send } = setup({
      reads: { capacity: 250, refillPerSecond: 25 },
      writes: { capacity: 200, refillPerSecond: 10 },
    });
    // Our bucket holds 199 after this write, but ARM says none remain (other clients share the subscription).
    await send('POST', SUB_A, { headers: { 'x-ms-ratelimit-remaining-subscription-writes': '0' } });
    expect(await send('POST', SUB_A)).toBeCloseTo(100, 6);
    expect(throttle.stats.lowestRemaining).toEqual({ writes: 0 });
    // A generous header does not raise our own count above what the bucket allows.
    const { send: send2 } = setup();
    await send2('POST', SUB_A, { headers: { 'x-ms-ratelimit-remaining-subscription-writes': '500' } });
    await send2('POST', SUB_A);
    expect(await send2('POST', SUB_A)).toBeCloseTo(100, 6);
  });

  it('only the header of the request kind counts: a reads header does not touch the writes bucket', async () => {
    const { throttle, send } = setup();
    await send('GET', SUB_A, {
      headers: { 'x-ms-ratelimit-remaining-subscription-reads': '0' },
    });
    expect(await send('POST', SUB_A)).toBe(0);
    expect(await send('GET', SUB_A)).toBeCloseTo(100, 6);
    expect(throttle.stats.lowestRemaining).toEqual({ reads: 0 });
  });

  it('observes how long ARM takes to answer: the slowest of the last 50 answers', async () => {
    const { throttle, send } = setup({
      reads: { capacity: 100, refillPerSecond: 10 },
      writes: { capacity: 100, refillPerSecond: 10 },
    });
    expect(throttle.observedLatencyMs()).toBeUndefined();
    await send('GET', SUB_A, { latencyMs: 400 });
    await send('POST', SUB_B, { latencyMs: 120 });
    expect(throttle.observedLatencyMs()).toBe(400);
    for (let i = 0; i < 50; i++) await send('GET', SUB_A, { latencyMs: 90 });
    expect(throttle.observedLatencyMs()).toBe(90); // the 400 ms answer left the window
  });

  it('a 429 blocks that subscription and kind for Retry-After, and nothing else', async () => {
    const { throttle, send } = setup();
    const refusedAt = await send('POST', SUB_A, { status: 429, headers: { 'retry-after': '3' } });
    expect(throttle.stats.throttled).toBe(1);
    expect(await send('GET', SUB_A)).toBe(refusedAt); // reads of the subscription go on
    expect(await send('POST', SUB_B)).toBe(refusedAt); // other subscriptions go on
    expect(await send('POST', SUB_A)).toBeGreaterThanOrEqual(refusedAt + 3000);
  });

  it('a 429 with an HTTP-date Retry-After, or none, still holds the next request back', async () => {
    const { clock, send } = setup();
    await send('POST', SUB_A, { status: 429 });
    expect(await send('POST', SUB_A)).toBeGreaterThanOrEqual(1000);
    const from = clock.at();
    const date = new Date(Date.now() + 5_000).toUTCString();
    await send('POST', SUB_B, { status: 429, headers: { 'retry-after': date } });
    expect((await send('POST', SUB_B)) - from).toBeGreaterThanOrEqual(3_000);
  });

  it('serves waiters in arrival order', async () => {
    const { send } = setup({
      reads: { capacity: 1, refillPerSecond: 10 },
      writes: { capacity: 1, refillPerSecond: 10 },
    });
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await send('GET', SUB_A);
        order.push(i);
      }),
    );
    expect(order).toEqual([0, 1, 2, 3]);
  });
});
