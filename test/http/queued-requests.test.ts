/**
 * Requests answered 503 "queued" are handled (issue 22 §5): the real functions on the in-process host, the ARM
 * simulator with the primary's health check hanging, so the monitor waits on a probe while requests arrive and
 * whatever reaches it meanwhile is dropped at its continueAsNew. A courier raises each queued request again
 * until the monitor has answered it; the monitor answers an id once, and keeps answers a day, not fifty.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EventType } from '../../local/host/durable/history';
import { ACTIVITIES, EVENT_TYPES, monitorInstanceId } from '../../src/durable/contracts';
import type { Plan } from '../../src/plan/schema';
import { auditLines, inFuture, MIN, startApiEstate, type ApiEstate } from './support';

let estate: ApiEstate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

const TOPIC = 'failover-events';
const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The probe's timeout outlasts the API's wait for an answer (15 s of polls, raising again at 1, 2, 4 and 8 s;
 * longer in real time when a dozen requests poll at once), so every request sent while it hangs is answered
 * 503: the monitor hears none of them before its continueAsNew.
 */
const hangFor = (timeout: string) => ({
  planPatch: (p: Plan): Plan => ({ ...p, healthCheck: { ...p.healthCheck, timeout } }),
});

/** Starts the next probe cycle with the primary's health check hanging; `cycle` resolves once the probe gave up. */
async function hangingProbe(e: ApiEstate): Promise<{ cycle: Promise<void> }> {
  e.sim.outage('westeurope', { kind: 'down', mode: 'hang' });
  // One cycle hangs; the next ones probe a primary that answers again (each hang costs real seconds).
  const cycle = e.advance(30_000).then(() => e.sim.restore('westeurope'));
  // Until the monitor has scheduled the probe (and so waits on it): the tick is in.
  const probing = () =>
    (e.host.durable.history(monitorInstanceId(e.plan.id)) ?? []).some(
      (h) => h.EventType === EventType.TaskScheduled && h.Name === ACTIVITIES.probe,
    );
  for (let i = 0; i < 200 && !probing(); i++) await realSleep(25);
  expect(probing(), 'the probe runs').toBe(true);
  return { cycle }; // not the promise itself: an async function's caller would wait for it
}

describe('a request answered "queued" is handled', () => {
  it('12 pauses sent while the probe hangs are all applied, each once, without being sent again', async () => {
    const e = (estate = await startApiEstate(hangFor('PT40S')));
    await e.advance(MIN);
    const { cycle } = await hangingProbe(e);
    const until = inFuture(e, 2 * 60 * MIN);
    const keys = Array.from({ length: 12 }, (_, i) => `maint-${i}`);
    const replies = await Promise.all(
      keys.map((k) => e.call('POST', 'pause', { body: { reason: `pause ${k}`, until }, idempotencyKey: k })),
    );
    await cycle;
    const queued = replies.filter((r) => r.status === 503);
    expect(queued, 'every request waits out the hanging probe').toHaveLength(12);
    for (const r of queued) expect(r.body.error).toContain('the request is queued and will be handled once');

    // Nobody sends anything again: the couriers do, and the monitor answers each request once.
    await e.advance(2 * MIN);
    const answers = e.monitor().answers;
    for (const k of keys)
      expect(
        answers.filter((a) => a.id === `http-pause-${k}`),
        k,
      ).toEqual([expect.objectContaining({ status: 'applied' })]);
    const paused = e.broker
      .messages(TOPIC)
      .filter((m) => (m.body as { type?: string }).type === EVENT_TYPES.paused);
    expect(paused).toHaveLength(12);

    // Each key repeated: its first answer, read back, nothing decided again.
    for (const k of keys) {
      const again = await e.call('POST', 'pause', {
        body: { reason: `pause ${k}`, until },
        idempotencyKey: k,
      });
      expect(again.status, again.text).toBe(200);
    }
    expect(
      auditLines(e.logs)
        .filter((a) => keys.includes(a.idempotencyKey as string) && a.replayed === true)
        .map((a) => a.idempotencyKey),
    ).toHaveLength(12);
    await e.host.runUntilIdle();
    expect(
      e.broker.messages(TOPIC).filter((m) => (m.body as { type?: string }).type === EVENT_TYPES.paused),
    ).toHaveLength(12);
  }, 120_000);

  it('a failover answered 503 starts by itself; repeating its key later returns that failover, never a second', async () => {
    const e = (estate = await startApiEstate(hangFor('PT25S')));
    await e.advance(MIN);
    const { cycle } = await hangingProbe(e);
    const first = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'emergency' },
      idempotencyKey: 'drill-queued',
    });
    await cycle;
    expect(first.status, first.text).toBe(503);
    expect(first.body.idempotencyKey).toBe('drill-queued');

    await e.advance(MIN);
    // Started without being asked again.
    const operations = e.operations();
    expect(operations).toHaveLength(1);
    const accepted = e.monitor().answers.find((a) => a.id === 'http-failover-drill-queued');
    expect(accepted).toMatchObject({ status: 'accepted' });

    await e.advance(10 * MIN);
    const later = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'emergency' },
      idempotencyKey: 'drill-queued',
    });
    expect(later.status, later.text).toBe(202);
    expect(later.body.operationId).toBe(operations[0]!.instanceId.split('-').slice(-3).join('-'));
    expect(e.operations()).toHaveLength(1);
  }, 120_000);
});

describe('answers are kept by age, not by count', () => {
  it('after a storm of 200 requests the first key still gets its first answer, and no second operation starts', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const first = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'planned' },
      idempotencyKey: 'storm-first',
    });
    expect(first.status, first.text).toBe(202);
    for (let batch = 0; batch < 10; batch++)
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const r = await e.call('POST', 'failover', {
            body: { reason: `storm ${batch}-${i}`, kind: 'emergency' },
            idempotencyKey: `storm-${batch}-${i}`,
          });
          expect([409, 503]).toContain(r.status);
        }),
      );
    await e.advance(MIN);
    expect(e.monitor().answers.length).toBeGreaterThan(200);
    const again = await e.call('POST', 'failover', {
      body: { reason: 'region drill', kind: 'planned' },
      idempotencyKey: 'storm-first',
    });
    expect(again.status, again.text).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(e.operations()).toHaveLength(1);
    // A hang guard, not a speed target: 201 requests through the monitor took 151 s in CI on 2 cores.
  }, 300_000);
});
