/**
 * Fence on return (issue 5): while failed over, whenever the primary's ARM answers again its pending fences are
 * applied first, at the next probe cycle, even though the primary's health check still fails.
 */
import { describe, expect, it } from 'vitest';
import { durationMs } from '../../src/core/duration';
import { EVENT_TYPES } from '../../src/durable/contracts';
import { estatePerTest } from '../support/estate';
import { checkInvariants } from '../support/invariants';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const estates = estatePerTest();

describe('fence on return', () => {
  it('primary ARM back but its health check still failing: pending fences applied within one probe interval', async () => {
    const e = await estates.start();
    await e.advance(5 * MIN);
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    e.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await e.advance(30 * MIN);
    const [op] = e.operations();
    expect(op?.output?.status).toBe('succeeded');
    const pending = e.monitor().pendingFences.map((t) => t.label);
    expect(pending).toEqual(expect.arrayContaining(['primary:order-webhook', 'primary:mailbox-poller']));
    await e.advance(5 * MIN); // retried every cycle while the region stays down: nothing changes
    expect(e.monitor().pendingFences.map((t) => t.label)).toEqual(pending);

    // Only the ARM outage ends: the health-check workflow keeps answering 500.
    e.sim.restore(PRIMARY, 'down');
    await e.sim.settle();
    const returnedAt = e.host.clock.now();
    for (const f of e.faults)
      if (f.region === PRIMARY && f.kind === 'down' && f.to === undefined) f.to = returnedAt;
    const labelOf = (w: { site?: string; name: string }) => `primary:${w.site ? `${w.site}/` : ''}${w.name}`;
    const enabledAtReturn = e.sim
      .workflows()
      .filter((w) => w.region === PRIMARY && w.state === 'Enabled' && pending.includes(labelOf(w)));
    expect(enabledAtReturn.map(labelOf)).toContain('primary:order-webhook');

    const interval = durationMs(e.plan.policy.probeInterval);
    await e.advance(interval);
    const m = e.monitor();
    expect(m.state.recentProbes.at(-1)).toMatchObject({ healthy: false, status: 500 });
    expect(m.pendingFences).toEqual([]);
    for (const w of enabledAtReturn) {
      const fence = e.sim
        .stateChanges()
        .find((c) => c.workflowId === w.id && c.to === 'Disabled' && Date.parse(c.virtualTime) >= returnedAt);
      expect(fence, `${labelOf(w)} fenced after the ARM returned`).toBeDefined();
      expect(Date.parse(fence!.virtualTime) - returnedAt).toBeLessThanOrEqual(interval);
    }
    const primaryEnabled = e.sim
      .workflows()
      .filter((w) => w.region === PRIMARY && w.state === 'Enabled' && pending.includes(labelOf(w)));
    expect(primaryEnabled).toEqual([]);
    expect(e.broker.messages('failover-events').map((x) => x.subject)).toContain(EVENT_TYPES.fenceApplied);

    // Still failed over, still one operation: fenced workflows are never re-enabled except by a failback.
    await e.advance(10 * MIN);
    expect(e.monitor().state).toMatchObject({ mode: 'failed-over', activeRegion: 'secondary' });
    expect(e.operations()).toHaveLength(1);
    expect(checkInvariants(e, { detectedAt: Date.parse(op!.output!.timeline[0]!.at) })).toEqual([]);
  });
});
