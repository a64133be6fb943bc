/**
 * Failover scenarios end to end: the real functions on the in-process host, the ARM simulator, the AMQP broker.
 * Every scenario ends with the invariant checker over the simulator's own logs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogicManagementClient } from '@azure/arm-logic';
import {
  EVENT_TYPES,
  MONITOR_SIGNAL,
  monitorInstanceId,
  type OperationRecord,
  type Signal,
} from '../../src/durable/contracts';
import { armClientOptionsFor, simTokenCredential } from '../../src/sim/arm';
import { startEstate, type Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';

const MIN = 60_000;
let estate: Estate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

const PRIMARY = 'westeurope';
const topicMessages = (e: Estate) => e.broker.messages('failover-events');
const cloudEvent = (m: { body: unknown }) =>
  (typeof m.body === 'string'
    ? JSON.parse(m.body)
    : Buffer.isBuffer(m.body)
      ? JSON.parse(m.body.toString('utf8'))
      : m.body) as { specversion: string; type: string; data: Record<string, any> };

function onlyOperation(e: Estate): OperationRecord {
  const ops = e.operations();
  expect(ops.map((o) => o.runtimeStatus)).toEqual(['Completed']);
  return ops[0]!.output!;
}
const detectedAt = (op: OperationRecord) => Date.parse(op.timeline[0]!.at);
const stepStatuses = (op: OperationRecord) =>
  op.entries.flatMap((e) => e.steps.map((s) => `${s.action.op}:${s.action.target.label}:${s.status}`));
const stateOf = (e: Estate, region: string, name: string) =>
  e.sim.workflows().find((w) => w.region === region && w.name === name)?.state;

describe('failover scenarios', () => {
  it('primary region fully down: secondary takes over, fences wait, and are applied when the region returns', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await estate.advance(30 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(op.request).toMatchObject({ direction: 'failover', trigger: 'automatic', kind: 'emergency' });
    expect(op.pendingFences.map((t) => t.label)).toContain('primary:order-webhook');
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Enabled');
    expect(estate.monitor().state).toMatchObject({ mode: 'failed-over', activeRegion: 'secondary' });
    const types = topicMessages(estate).map((m) => m.subject);
    expect(types).toEqual(
      expect.arrayContaining([
        EVENT_TYPES.healthDegraded,
        EVENT_TYPES.failoverStarted,
        EVENT_TYPES.failoverCompleted,
      ]),
    );
    const completed = topicMessages(estate).find((m) => m.subject === EVENT_TYPES.failoverCompleted)!;
    expect(completed.correlationId).toBe(op.operationId);
    expect(cloudEvent(completed)).toMatchObject({
      specversion: '1.0',
      type: EVENT_TYPES.failoverCompleted,
      data: { outcome: 'succeeded', evidence: { consecutiveFailures: 3 } },
    });

    await estate.restore(PRIMARY);
    await estate.advance(2 * MIN);
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Disabled');
    expect(stateOf(estate, PRIMARY, 'split-report-even')).toBe('Disabled');
    expect(estate.monitor().pendingFences).toEqual([]);
    expect(topicMessages(estate).map((m) => m.subject)).toContain(EVENT_TYPES.fenceApplied);
    await estate.advance(60 * MIN);
    expect(estate.operations()).toHaveLength(1); // primary workflows are never re-enabled except by a failback
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('primary ARM up but health failing: every fence is applied before the activation it protects', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(30 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(op.pendingFences).toEqual([]);
    const changes = estate.sim.stateChanges().filter((c) => c.cause !== 'seed' && c.cause !== 'create');
    for (const name of ['order-webhook', 'mailbox-poller']) {
      const fence = changes.find(
        (c) => c.workflowName === name && c.region === PRIMARY && c.to === 'Disabled',
      )!;
      const activate = changes.find(
        (c) => c.workflowName === name && c.region === 'northeurope' && c.to === 'Enabled',
      )!;
      expect(fence.seq).toBeLessThan(activate.seq);
    }
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('30 % transient ARM faults: retried with backoff on durable timers, nothing lost, nothing doubled', async () => {
    estate = await startEstate({ faultSeed: 7 });
    await estate.advance(5 * MIN);
    estate.outage('northeurope', { kind: 'errors', rate: 0.3 });
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(30 * MIN, 5_000);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    const errors = estate.sim.requestLog().filter((r) => r.status === 500 || r.status === 503);
    expect(errors.length).toBeGreaterThan(0);
    expect(stepStatuses(op).filter((s) => s.endsWith(':failed'))).toEqual([]);
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('throttling: 429s are retried and the failover completes', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    estate.sim.configureThrottle({
      writes: { capacity: 2, refillPerSecond: 1_000 },
      reads: { capacity: 3, refillPerSecond: 1_000 },
    });
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await estate.advance(30 * MIN, 5_000);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('one secondary workflow missing: completed with errors, the others done, and notified', async () => {
    estate = await startEstate();
    const client = new LogicManagementClient(
      simTokenCredential,
      estate.plan.secondary.subscriptionId,
      armClientOptionsFor(estate.sim),
    );
    await client.workflows.delete(estate.plan.secondary.resourceGroup, 'mailbox-poller');
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await estate.advance(30 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('completed-with-errors');
    expect(stepStatuses(op)).toContain('missing:secondary:mailbox-poller:missing');
    expect(stepStatuses(op)).toContain('enable:secondary:order-webhook:done');
    const completed = topicMessages(estate).find((m) => m.subject === EVENT_TYPES.failoverCompleted)!;
    expect(cloudEvent(completed).data.outcome).toBe('completed-with-errors');
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('Service Bus down during failover: the failover completes and the record says undelivered', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    await estate.broker.setDown(true);
    estate.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await estate.advance(30 * MIN, 5_000);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(op.notifications.map((n) => [n.type, n.delivered])).toEqual([
      [EVENT_TYPES.failoverStarted, false],
      [EVENT_TYPES.failoverCompleted, false],
    ]);
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Enabled');
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('host restart in the middle of the fan-out: no action lost, no duplicate event', async () => {
    estate = await startEstate({ storeDir: mkdtempSync(join(tmpdir(), 'dr-store-')) });
    await estate.advance(5 * MIN);
    // A planned switchover: split entries wait for their slot boundary (durable timers) inside the fan-out.
    const request: Signal = {
      kind: 'request-operation',
      id: 'switchover-1',
      request: {
        direction: 'failover',
        kind: 'planned',
        trigger: 'manual',
        caller: { by: 'ops@contoso', reason: 'region evacuation drill' },
        override: [],
      },
    };
    estate.host.durable.raiseEvent(monitorInstanceId(estate.plan.id), MONITOR_SIGNAL, request);
    await estate.advance(2 * MIN);
    const running = estate.operations();
    expect(running.map((o) => o.runtimeStatus)).toEqual(['Running']);
    await estate.restartHost();
    await estate.advance(90 * MIN);
    const op = onlyOperation(estate);
    expect(op.status).toBe('succeeded');
    expect(stepStatuses(op).filter((s) => !s.endsWith(':done') && !s.endsWith(':noop'))).toEqual([]);
    const ids = topicMessages(estate).map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(checkInvariants(estate, { detectedAt: detectedAt(op) })).toEqual([]);
  });

  it('a manual failover racing the automatic one: exactly one failover', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(MIN); // two failures: the next probe reaches the threshold
    const manual: Signal = {
      kind: 'request-operation',
      id: 'manual-1',
      request: {
        direction: 'failover',
        kind: 'emergency',
        trigger: 'manual',
        caller: { by: 'ops@contoso', reason: 'primary looks sick' },
        override: [],
      },
    };
    estate.host.durable.raiseEvent(monitorInstanceId(estate.plan.id), MONITOR_SIGNAL, manual);
    await estate.advance(30 * MIN);
    expect(estate.operations()).toHaveLength(1);
    const answer = estate.monitor().answers.find((a) => a.id === 'manual-1')!;
    const op = onlyOperation(estate);
    // Whichever reached the monitor first won; the other was answered, not started.
    if (answer.status === 'accepted') expect(op.request.trigger).toBe('manual');
    else {
      expect(op.request.trigger).toBe('automatic');
      expect(['conflict', 'refused']).toContain(answer.status);
    }
    expect(checkInvariants(estate, { detectedAt: detectedAt(onlyOperation(estate)) })).toEqual([]);
  });

  it('failback after recovery: split schedules restored at a slot boundary, no slot twice or skipped', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(20 * MIN);
    const failover = onlyOperation(estate);
    await estate.restore(PRIMARY);
    await estate.advance(5 * MIN); // recoveryThreshold 5 healthy probes
    const request: Signal = {
      kind: 'request-operation',
      id: 'failback-1',
      request: {
        direction: 'failback',
        kind: 'planned',
        trigger: 'manual',
        caller: { by: 'ops@contoso', reason: 'primary healthy again' },
        override: [],
      },
    };
    estate.host.durable.raiseEvent(monitorInstanceId(estate.plan.id), MONITOR_SIGNAL, request);
    await estate.advance(2 * 60 * MIN, 10_000);
    expect(estate.monitor().answers.find((a) => a.id === 'failback-1')?.status).toBe('accepted');
    const back = estate.operations().find((o) => o.output?.request.direction === 'failback')!.output!;
    expect(back.status).toBe('succeeded');
    expect(estate.monitor().state).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });
    expect(stateOf(estate, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Disabled');
    expect(stateOf(estate, 'northeurope', 'split-report-even')).toBe('Disabled');
    expect(checkInvariants(estate, { detectedAt: detectedAt(failover) })).toEqual([]);
  });

  it('a fence that keeps failing blocks the activation it protects, until an operator overrides (recorded)', async () => {
    estate = await startEstate();
    await estate.advance(5 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    estate.outage(PRIMARY, { kind: 'errors', rate: 1 }); // ARM answers, but every write fails
    await estate.advance(30 * MIN, 5_000);
    const op = onlyOperation(estate);
    expect(op.status).toBe('completed-with-errors');
    const webhook = op.entries.find((e) => e.entry === 'order-webhook')!;
    expect(webhook.steps.map((s) => s.status)).toEqual(['failed', 'blocked']);
    expect(webhook.blocked).toMatch(/could run in both regions.*override \["no-dual-active"\]/);
    expect(op.entries.find((e) => e.entry === 'orders-api')!.steps.map((s) => s.status)).toEqual([
      'failed',
      'noop',
    ]); // active-active: never blocked
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Disabled');

    // The operator decides the primary is gone for good and breaks the glass.
    const breakGlass: Signal = {
      kind: 'request-operation',
      id: 'break-glass',
      request: {
        direction: 'failover',
        kind: 'emergency',
        trigger: 'manual',
        caller: { by: 'oncall@contoso', reason: 'primary ARM broken, accept the risk' },
        override: ['no-dual-active'],
      },
    };
    estate.host.durable.raiseEvent(monitorInstanceId(estate.plan.id), MONITOR_SIGNAL, breakGlass);
    await estate.advance(20 * MIN, 5_000);
    const second = estate
      .operations()
      .map((o) => o.output!)
      .find((o) => o.request.caller.by === 'oncall@contoso')!;
    expect(second.entries.find((e) => e.entry === 'order-webhook')!.overrideUsed).toMatch(
      /^no-dual-active: activated secondary:order-webhook/,
    );
    expect(stateOf(estate, 'northeurope', 'order-webhook')).toBe('Enabled');
    expect(
      topicMessages(estate).some(
        (m) => m.subject === EVENT_TYPES.overrideAccepted && m.correlationId === second.operationId,
      ),
    ).toBe(true);
  });

  it('the checker itself catches a passive twin left enabled (a double-run) and dual-active workflows', async () => {
    estate = await startEstate();
    const client = new LogicManagementClient(
      simTokenCredential,
      estate.plan.secondary.subscriptionId,
      armClientOptionsFor(estate.sim),
    );
    await estate.advance(5 * MIN);
    await client.workflows.enable(estate.plan.secondary.resourceGroup, 'split-report-even');
    await client.workflows.enable(estate.plan.secondary.resourceGroup, 'order-webhook');
    await estate.advance(30 * MIN);
    const problems = checkInvariants(estate, { detectedAt: Date.parse('2026-03-02T08:00:00Z') });
    expect(problems.some((p) => /split-report: slot .* ran 2 times/.test(p))).toBe(true);
    expect(problems.some((p) => /order-webhook.*enabled in both regions/.test(p))).toBe(true);
  });
});
