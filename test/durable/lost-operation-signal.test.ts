/**
 * The operation's `operation-finished` signal is sent once. If it reaches the monitor while the monitor is in the
 * middle of handling another signal, continueAsNew drops it (as the real extension does); the monitor must still
 * learn that the operation is over from the operation's own status, or it would refuse everything for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  MONITOR_SIGNAL,
  monitorInstanceId,
  operationInstanceId,
  type Signal,
} from '../../src/durable/contracts';
import { startEstate, type Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';

let estate: Estate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

const MIN = 60_000;
const PRIMARY = 'westeurope';

const request = (id: string, direction: 'failover' | 'failback'): Signal => ({
  kind: 'request-operation',
  id,
  request: {
    direction,
    kind: direction === 'failover' ? 'emergency' : 'planned',
    trigger: 'manual',
    caller: { by: 'ops@contoso', reason: 'test' },
    override: [],
    ...(direction === 'failback' ? { force: true } : {}),
  },
});
const stateOf = (e: Estate, region: string, name: string) =>
  e.sim.workflows().find((w) => w.region === region && w.name === name)?.state;

describe('a lost operation-finished signal', () => {
  it('is reconciled from the operation status: pending fences apply and a later failback is accepted', async () => {
    const e = (estate = await startEstate());
    const monitorId = monitorInstanceId(e.plan.id);
    await e.advance(MIN);
    // Service Bus down: every notification retries on durable timers (about 14 s), in the monitor too.
    await e.broker.setDown(true);
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, request('failover-1', 'failover'));
    await e.host.runUntilIdle();
    const opId = e.monitor().activeOperation!.operationId;
    const opInstance = operationInstanceId(e.plan.id, opId);

    // Wait until the operation has decided its outcome; it then spends ~22 s retrying "completed" before it
    // signals the monitor. A pause now keeps the monitor busy (its own notification retries) over that moment.
    const decided = () =>
      (
        e.host.durable.getStatus(opInstance)?.customStatus as { timeline?: { event: string }[] } | null
      )?.timeline?.some((t) => t.event === 'failover succeeded') ?? false;
    for (let i = 0; i < 120 && !decided(); i++) await e.advance(1_000, 1_000);
    expect(decided()).toBe(true);
    e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, {
      kind: 'pause',
      id: 'pause-1',
      until: new Date(e.host.clock.now() + 2 * MIN).toISOString(),
      caller: { by: 'ops@contoso', reason: 'keeps the monitor busy' },
    } satisfies Signal);
    const opOver = () => e.host.durable.getStatus(opInstance)?.runtimeStatus === 'Completed';
    const pauseHandled = () => e.monitor().answers.some((a) => a.id === 'pause-1');
    for (let i = 0; i < 60 && !(opOver() && pauseHandled()); i++) await e.advance(1_000, 1_000);

    // The drop happened: the operation is over and the monitor handled the pause, yet it still thinks the
    // operation runs (no probe cycle has reconciled yet).
    expect(e.host.durable.getStatus(opInstance)?.runtimeStatus).toBe('Completed');
    const pendingInRecord = e.operations()[0]!.output!.pendingFences.map((t) => t.label);
    expect(pendingInRecord).toContain('primary:order-webhook');
    expect(e.monitor().answers.find((a) => a.id === 'pause-1')?.status).toBe('applied');
    expect(e.monitor().activeOperation?.operationId).toBe(opId);

    // The next probe cycle reconciles: exactly what the signal would have done.
    await e.broker.setDown(false);
    await e.advance(30_000);
    const m = e.monitor();
    expect(m.activeOperation).toBeUndefined();
    expect(m.lastOperation).toMatchObject({ operationId: opId, outcome: 'succeeded' });
    expect(m.state).toMatchObject({ mode: 'failed-over', activeRegion: 'secondary' });
    expect(m.pendingFences.map((t) => t.label).sort()).toEqual([...pendingInRecord].sort());

    // The primary's ARM returns: its pending fences are applied, then a failback is accepted and runs.
    await e.restore(PRIMARY);
    await e.advance(30_000);
    expect(e.monitor().pendingFences).toEqual([]);
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Disabled');
    e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, request('failback-1', 'failback'));
    await e.advance(40 * MIN, 10_000);
    expect(e.monitor().answers.find((a) => a.id === 'failback-1')?.status).toBe('accepted');
    expect(e.operations().map((o) => [o.output?.request.direction, o.output?.status])).toEqual([
      ['failover', 'succeeded'],
      ['failback', 'succeeded'],
    ]);
    expect(e.monitor().state).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(e, 'northeurope', 'order-webhook')).toBe('Disabled');
    const failover = e.operations()[0]!.output!;
    expect(checkInvariants(e, { detectedAt: Date.parse(failover.timeline[0]!.at) })).toEqual([]);

    // The real signal, arriving late, changes nothing.
    const before = e.monitor();
    e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, {
      kind: 'operation-finished',
      id: `${opId}:finished`,
      operationId: opId,
      direction: 'failover',
      outcome: 'succeeded',
      pendingFences: [],
    } satisfies Signal);
    await e.host.runUntilIdle();
    expect(e.monitor()).toMatchObject({ state: before.state, lastOperation: before.lastOperation });
  });
});
