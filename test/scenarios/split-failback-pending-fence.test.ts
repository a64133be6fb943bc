/**
 * The soak's one nightly-settlement slot run in both regions (issue 22 §2). After a failover that deferred the
 * primary's fences (its region down), the secondary takes every slot of a split entry; when the primary comes
 * back, its copy runs its half again until its pending fence is applied. A failback accepted in that window (a
 * forced one, before the next probe cycle applied the fence) held every pending fence for as long as it ran,
 * and a failback of a split entry first waits for the next slot boundary: that slot, one of the primary's,
 * ran in both regions. The monitor now applies its pending fences before a failback starts.
 */
import { describe, expect, it } from 'vitest';
import { MONITOR_SIGNAL, monitorInstanceId, type Signal } from '../../src/durable/contracts';
import { estatePerTest } from '../support/estate';
import { checkInvariants } from '../support/invariants';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const estates = estatePerTest();

describe('split entry at failback with a fence still pending', () => {
  it('a failback right after the primary returns: no nightly-settlement slot runs in both regions', async () => {
    const e = await estates.start();
    await e.advance(5 * MIN);
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    await e.advance(10 * MIN);
    const [failover] = e.operations().map((o) => o.output);
    expect(failover?.status).toBe('succeeded');
    expect(e.monitor().pendingFences.map((t) => t.label)).toContain('primary:nightly-settlement');

    // The primary returns; an operator fails back at once (forced), before a probe cycle fenced anything.
    await e.restore(PRIMARY);
    const failback: Signal = {
      kind: 'request-operation',
      id: 'failback-now',
      request: {
        direction: 'failback',
        kind: 'planned',
        trigger: 'manual',
        caller: { by: 'oncall@contoso', reason: 'primary is back' },
        override: [],
        force: true,
      },
    };
    e.host.durable.raiseEvent(monitorInstanceId(e.plan.id), MONITOR_SIGNAL, failback);
    await e.advance(90 * MIN, 10_000);

    const records = e.operations().map((o) => o.output);
    expect(records.map((r) => r?.request.direction)).toEqual(['failover', 'failback']);
    expect(records[1]?.status).toBe('succeeded');
    // Each nightly-settlement slot ran exactly once, in one region.
    const slots = new Map<string, string[]>();
    for (const r of e.sim
      .runs()
      .filter((x) => x.workflowName === 'nightly-settlement' && x.origin === 'recurrence'))
      slots.set(r.slotTime, [...(slots.get(r.slotTime) ?? []), r.region]);
    const twice = [...slots].filter(([, regions]) => regions.length > 1);
    expect(twice).toEqual([]);
    expect(checkInvariants(e, { detectedAt: Date.parse(failover!.timeline[0]!.at) })).toEqual([]);
  });
});
