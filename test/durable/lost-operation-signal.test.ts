/**
 * The operation's `operation-finished` signal is sent once. If it reaches the monitor while the monitor is in the
 * middle of handling another signal, continueAsNew drops it (as the real extension does); the monitor must still
 * learn that the operation is over from the operation's own status, or it would refuse everything for ever.
 */
import { describe, expect, it } from 'vitest';
import {
  MONITOR_SIGNAL,
  monitorInstanceId,
  operationInstanceId,
  type Signal,
} from '../../src/durable/contracts';
import { estatePerTest, type Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';

const estates = estatePerTest();

const MIN = 60_000;
const PRIMARY = 'westeurope';

const request = (
  id: string,
  direction: 'failover' | 'failback',
  kind: 'emergency' | 'planned' = direction === 'failover' ? 'emergency' : 'planned',
): Signal => ({
  kind: 'request-operation',
  id,
  request: {
    direction,
    kind,
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
    const e = await estates.start();
    const monitorId = monitorInstanceId(e.plan.id);
    await e.advance(MIN);
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    // A planned failover waits for the next schedule slot, so it is still running when the monitor is held.
    e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, request('failover-1', 'failover', 'planned'));
    await e.host.runUntilIdle();
    const opId = e.monitor().activeOperation!.operationId;
    const opInstance = operationInstanceId(e.plan.id, opId);
    expect(e.host.durable.getStatus(opInstance)?.runtimeStatus).toBe('Running');

    // The monitor is busy (held, as a lagging partition is): a pause is queued first, then the operation ends
    // and its one operation-finished signal queues behind it. Released, both land in one episode: the
    // monitor handles the pause and continueAsNew drops the signal, as the extension does.
    e.host.durable.hold(monitorId);
    e.host.durable.raiseEvent(monitorId, MONITOR_SIGNAL, {
      kind: 'pause',
      id: 'pause-1',
      until: new Date(e.host.clock.now() + 6 * 60 * MIN).toISOString(),
      caller: { by: 'ops@contoso', reason: 'keeps the monitor busy' },
    } satisfies Signal);
    const opOver = () => e.host.durable.getStatus(opInstance)?.runtimeStatus === 'Completed';
    // The planned failover waits for a slot boundary of the hourly split schedule: at most a few hours.
    for (let i = 0; i < 6 * 60 && !opOver(); i++) await e.advance(MIN, 10_000);
    e.host.durable.release(monitorId);
    await e.host.runUntilIdle();

    // The drop happened: the operation is over and the monitor handled the pause, yet it still thinks the
    // operation runs (no probe cycle has reconciled yet).
    expect(e.host.durable.getStatus(opInstance)?.runtimeStatus).toBe('Completed');
    const pendingInRecord = e.operations()[0]!.output!.pendingFences.map((t) => t.label);
    expect(pendingInRecord).toContain('primary:order-webhook');
    expect(e.monitor().answers.find((a) => a.id === 'pause-1')?.status).toBe('applied');
    expect(e.monitor().activeOperation?.operationId).toBe(opId);

    // The next probe cycle reconciles: exactly what the signal would have done.
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
    await e.advance(MIN, 10_000);
    expect(e.monitor().answers.find((a) => a.id === 'failback-1')?.status).toBe('accepted');
    // A planned failback waits for a slot boundary too.
    for (let i = 0; i < 6 * 60 && !e.operations()[1]?.output; i++) await e.advance(MIN, 10_000);
    expect(e.operations().map((o) => [o.output?.request.direction, o.output?.status])).toEqual([
      ['failover', 'succeeded'],
      ['failback', 'succeeded'],
    ]);
    expect(e.monitor().state).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });
    expect(stateOf(e, PRIMARY, 'order-webhook')).toBe('Enabled');
    expect(stateOf(e, 'northeurope', 'order-webhook')).toBe('Disabled');
    // A planned failover leaves the primary its slots until the flip; with the primary down those are lost to
    // the outage the operator chose to ride out. From the flip on, every slot runs exactly once.
    const failover = e.operations()[0]!.output!;
    expect(checkInvariants(e, { detectedAt: Date.parse(failover.timeline.at(-1)!.at) })).toEqual([]);

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
