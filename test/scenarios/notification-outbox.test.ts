/**
 * The outbox end to end: a Service Bus outage of any kind never delays a failover, and every event the
 * monitor and the operation hand over reaches the topic exactly once when the broker comes back.
 */
import { describe, expect, it } from 'vitest';
import {
  DELIVERY_PREFIX,
  EVENT_TYPES,
  type DeliveryStatus,
  type OperationRecord,
} from '../../src/durable/contracts';
import type { OutageMode } from '../../local/sim/servicebus';
import { notificationsView } from '../../src/http/status-view';
import type { HostLogEntry } from '../../local/host/host';
import { estatePerTest, type Estate, type EstateOptions } from '../support/estate';
import { checkInvariants } from '../support/invariants';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const estates = estatePerTest();
let estate: Estate | undefined;

const topicMessages = (e: Estate) => e.broker.messages('failover-events');
const deliveries = (e: Estate) =>
  e.host.durable
    .list()
    .filter((s) => s.instanceId.startsWith(DELIVERY_PREFIX(e.plan.id)))
    .map((s) => s.customStatus as DeliveryStatus | undefined);

interface Run {
  /** From the outage to the failover's last read-back, on the host's clock. */
  failoverMs: number;
  op: OperationRecord;
  /** Probe cycles the monitor ran during the outage window. */
  probes: number;
}

const outbox = (e: Estate) => notificationsView(e.plan.id, { instances: e.host.durable.list() })!;

async function failOver(broker: OutageMode | 'up', options: EstateOptions = {}): Promise<Run> {
  estate = await estates.start(options);
  await estate.advance(5 * MIN, 5_000);
  if (broker !== 'up') await estate.broker.setDown(true, broker);
  const outageAt = estate.host.clock.now();
  estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
  const e = estate;
  for (let waited = 0; waited < 20 * MIN; waited += 5_000) {
    await e.advance(5_000, 5_000);
    if (e.operations()[0]?.runtimeStatus === 'Completed') break;
  }
  const ops = e.operations();
  expect(ops.map((o) => o.runtimeStatus)).toEqual(['Completed']);
  const op = ops[0]!.output!;
  expect(op.status).toBe('succeeded');
  const probes = e.monitor().state.recentProbes.filter((p) => Date.parse(p.at) >= outageAt).length;
  return { failoverMs: Date.parse(op.rto.to!) - outageAt, op, probes };
}

describe('Service Bus outage during a failover', () => {
  it('broker up: every event is on the topic once, and the record says queued', async () => {
    const up = await failOver('up');
    expect(up.op.notifications.map((n) => [n.type, n.queued])).toEqual([
      [EVENT_TYPES.failoverStarted, true],
      [EVENT_TYPES.failoverCompleted, true],
    ]);
    await estate!.advance(1 * MIN, 5_000);
    const ids = topicMessages(estate!).map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const n of up.op.notifications) expect(ids).toContain(n.messageId);
    expect(deliveries(estate!).every((d) => d?.state === 'delivered')).toBe(true);
  });

  for (const mode of ['hang', 'refuse'] as const) {
    it(`broker ${mode === 'hang' ? 'hanging' : 'refusing'}: the failover takes as long as with it up, and every event arrives once when it returns`, async () => {
      const up = await failOver('up');
      const sentWhenUp = topicMessages(estate!).map((m) => m.subject);
      await estate!.stop();
      estate = undefined;

      const down = await failOver(mode);
      expect(Math.abs(down.failoverMs - up.failoverMs)).toBeLessThanOrEqual(up.failoverMs * 0.1);
      // The monitor kept probing on schedule: no cycle was spent waiting on the broker.
      expect(down.probes).toBeGreaterThanOrEqual(up.probes);
      expect(topicMessages(estate!)).toEqual([]);
      expect(down.op.notifications.map((n) => [n.type, n.queued])).toEqual([
        [EVENT_TYPES.failoverStarted, true],
        [EVENT_TYPES.failoverCompleted, true],
      ]);
      const pending = deliveries(estate!);
      expect(pending.length).toBeGreaterThan(0);
      expect(pending.every((d) => d?.state === 'pending' && d.attempts >= 1)).toBe(true);
      // One line, no stack, no server path.
      for (const d of pending) expect(d!.lastError).not.toMatch(/\n|\s+at\s|node_modules|\/work\//);
      expect(outbox(estate!)).toMatchObject({ pending: pending.length, delivered: 0, droppedCount: 0 });

      // Ten minutes of outage later the broker returns: the retries (at most 5 min apart) deliver everything.
      await estate!.advance(10 * MIN, 30_000);
      await estate!.broker.setDown(false);
      await estate!.advance(10 * MIN, 30_000);
      expect(deliveries(estate!).map((d) => d?.state)).toEqual(pending.map(() => 'delivered'));
      expect(outbox(estate!)).toMatchObject({ pending: 0, delivered: pending.length, dropped: [] });
      const ids = topicMessages(estate!).map((m) => m.messageId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const n of down.op.notifications) expect(ids.filter((id) => id === n.messageId)).toHaveLength(1);
      // The same events as with the broker up (the monitor's alerts included), each once.
      const subjects = topicMessages(estate!).map((m) => m.subject);
      for (const s of new Set(sentWhenUp)) expect(subjects).toContain(s);
      expect(checkInvariants(estate!, { detectedAt: Date.parse(down.op.timeline[0]!.at) })).toEqual([]);
    });
  }

  it('an outage longer than DR_NOTIFY_TTL: each event is dropped with an ALERT line and listed in the status', async () => {
    const logs: HostLogEntry[] = [];
    await failOver('refuse', { notificationTtlMs: 15 * MIN, log: (l) => logs.push(l) });
    await estate!.advance(30 * MIN, 30_000);
    const view = outbox(estate!);
    expect(view.pending).toBe(0);
    expect(view.droppedCount).toBeGreaterThanOrEqual(2);
    expect(view.dropped.map((d) => d.type)).toEqual(
      expect.arrayContaining([EVENT_TYPES.failoverStarted, EVENT_TYPES.failoverCompleted]),
    );
    for (const d of view.dropped) {
      expect(Date.parse(d.droppedAt) - Date.parse(d.queuedAt)).toBeGreaterThanOrEqual(15 * MIN);
      expect(Date.parse(d.droppedAt) - Date.parse(d.queuedAt)).toBeLessThan(16 * MIN);
      expect(d.lastError).toMatch(/ECONNREFUSED|CircuitOpen/);
    }
    const alerts = logs.filter(
      (l) => l.level === 'error' && l.message.startsWith('ALERT notification dropped'),
    );
    expect(alerts.map((l) => l.message.split(' ')[3])).toEqual(
      expect.arrayContaining(view.dropped.map((d) => d.type)),
    );
    // Nothing is sent once dropped, even when the broker returns.
    await estate!.broker.setDown(false);
    await estate!.advance(10 * MIN, 30_000);
    expect(topicMessages(estate!)).toEqual([]);
  });
});
