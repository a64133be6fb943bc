/**
 * A cancel asked while the operation still reads the estate to plan (its ARM slow): the operation ends then,
 * before any entry makes a first attempt. Nothing is written to any workflow, and the record says so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  MONITOR_SIGNAL,
  monitorInstanceId,
  OPERATION_PREFIX,
} from '../../src/durable/contracts';
import { estatePerTest, stateOf } from '../support/estate';
import { eventOf } from '../support/notifications';

const PRIMARY = 'westeurope';
const SECONDARY = 'northeurope';
const estates = estatePerTest();

describe('a stop while planning', () => {
  it('a cancel that comes while the failover reads the estate ends it before any write', async () => {
    const e = await estates.start();
    await e.advance(2 * 60_000);
    const before = new Map(
      ['order-webhook', 'mailbox-poller', 'invoice-sync'].map((n) => [n, stateOf(e, SECONDARY, n)]),
    );
    // Every ARM request to the secondary now takes 8 s: planning is still reading when the cancel comes (the
    // monitor, which probes the primary, answers at once).
    e.outage(SECONDARY, { kind: 'slow', latencyMs: 8_000 });
    const caller = { by: 'oncall@contoso', reason: 'wrong button' };
    e.requestOperation('fo-1', {
      direction: 'failover',
      kind: 'planned',
      trigger: 'manual',
      caller,
      override: [],
    });
    // In real time, without moving the host's clock (it waits for running activities before it moves): the
    // operation starts and begins planning, and the cancel is asked while its reads are on the wire.
    const started = () => e.operations()[0];
    for (const deadline = Date.now() + 20_000; !started() && Date.now() < deadline;) await sleep(50);
    const instanceId = started()!.instanceId;
    const operationId = instanceId.slice(OPERATION_PREFIX(e.plan.id).length);
    // Raised again until answered, as the courier does: an event that reaches the monitor between two of its
    // executions is discarded, as in Azure (the request id makes a repeat harmless).
    const cancel = { kind: 'cancel-operation', id: 'cancel-1', operationId, caller } as const;
    const answered = () => e.monitor().answers.some((a) => a.id === 'cancel-1');
    for (const deadline = Date.now() + 10_000; !answered() && Date.now() < deadline; await sleep(200))
      e.host.durable.raiseEvent(monitorInstanceId(e.plan.id), MONITOR_SIGNAL, cancel);
    expect(e.monitor().answers.find((a) => a.id === 'cancel-1')).toMatchObject({ status: 'accepted' });
    const operation = () => e.operations().find((o) => o.instanceId === instanceId);
    for (
      const deadline = Date.now() + 40_000;
      operation()?.runtimeStatus !== 'Completed' && Date.now() < deadline;
    )
      await sleep(100);
    e.sim.restore(SECONDARY, 'slow');

    const op = operation()!.output!;
    expect(op.status).toBe('cancelled');
    expect(op.stopped).toMatchObject({ outcome: 'cancelled', caller, notRun: [] });
    expect(op.entries).toEqual([]);
    expect(op.timeline.map((t) => t.event)).toContain(
      'stopped while planning: the operation was cancelled by oncall@contoso (wrong button); nothing was applied',
    );
    // No write to any workflow in either region (listCallbackUrl and list are reads sent as POST).
    const writes = e.sim
      .requestLog()
      .filter((r) => r.listener === 'arm' && r.method !== 'GET')
      .filter((r) => /\/workflows\//.test(r.path) && !/\/list(CallbackUrl)?(\?|$)/.test(r.path));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    for (const [name, state] of before) expect(stateOf(e, SECONDARY, name), name).toBe(state);
    // The outbox delivers the closing notice; the monitor is free for the next request.
    await e.advance(60_000, 5_000);
    expect(
      e.broker
        .messages('failover-events')
        .filter((m) => m.subject === EVENT_TYPES.failoverCompleted)
        .map((m) => eventOf(m, EVENT_TYPES.failoverCompleted).data.outcome),
    ).toEqual(['cancelled']);
    expect(e.monitor().activeOperation).toBeUndefined();
  });
});
