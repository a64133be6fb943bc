/**
 * Pending fences do not wait for the operation to end (issue 22 §6): a fence deferred because its region was
 * down is applied at the first probe cycle after the region's ARM answers, while the operation that deferred it
 * still runs other entries, once that operation is done with the fence's entry. Here a planned failover waits
 * for nightly-settlement's slot boundary (up to an hour) after split-report has switched; on main the
 * split-report twins stayed enabled in both regions until the whole operation ended.
 */
import { describe, expect, it } from 'vitest';
import { durationMs } from '../../src/core/duration';
import { EVENT_TYPES, MONITOR_SIGNAL, monitorInstanceId, type Signal } from '../../src/durable/contracts';
import { estatePerTest, type Estate } from '../support/estate';
import { checkInvariants } from '../support/invariants';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const SECONDARY = 'northeurope';
const estates = estatePerTest();

const stateOf = (e: Estate, region: string, name: string) =>
  e.sim.workflows().find((w) => w.region === region && w.name === name)?.state;

describe('pending fences during an operation', () => {
  it('the primary returns while a planned failover waits for another entry: the split twin is fenced within a probe interval, not at the end', async () => {
    const e = await estates.start();
    await e.advance(5 * MIN);
    // The primary's ARM goes away just as an operator asks for a planned failover (its health check has not
    // failed yet): planning finds the primary silent and defers every fence of it.
    e.outage(PRIMARY, { kind: 'down', mode: 'refused' });
    const planned: Signal = {
      kind: 'request-operation',
      id: 'planned-move',
      request: {
        direction: 'failover',
        kind: 'planned',
        trigger: 'manual',
        caller: { by: 'oncall@contoso', reason: 'move to North Europe' },
        override: [],
      },
    };
    e.host.durable.raiseEvent(monitorInstanceId(e.plan.id), MONITOR_SIGNAL, planned);

    // split-report switches right after its next 10-minute slot; nightly-settlement waits for its hourly one.
    await e.advance(5_000, 5_000);
    const op = () => e.operations()[0]!;
    const splitReport = () => e.host.durable.getStatus(`${op().instanceId}-g0-e0`)?.runtimeStatus;
    for (let i = 0; i < 200 && splitReport() !== 'Completed'; i++) await e.advance(5_000, 5_000);
    expect(splitReport()).toBe('Completed');
    expect(stateOf(e, SECONDARY, 'split-report-even')).toBe('Enabled');
    expect(stateOf(e, PRIMARY, 'split-report-even')).toBe('Enabled'); // its fence deferred: the ARM was down

    // The primary's ARM answers again while the failover still waits for nightly-settlement.
    e.sim.restore(PRIMARY, 'down');
    await e.sim.settle();
    const returnedAt = e.host.clock.now();
    for (const f of e.faults)
      if (f.region === PRIMARY && f.kind === 'down' && f.to === undefined) f.to = returnedAt;
    const interval = durationMs(e.plan.policy.probeInterval);
    await e.advance(interval + 5_000, 5_000);

    expect(op().runtimeStatus).toBe('Running'); // the operation is not over
    expect(stateOf(e, PRIMARY, 'split-report-even')).toBe('Disabled');
    const fence = e.sim
      .stateChanges()
      .find(
        (c) =>
          c.region === PRIMARY &&
          c.workflowName === 'split-report-even' &&
          c.to === 'Disabled' &&
          Date.parse(c.virtualTime) >= returnedAt,
      );
    expect(fence).toBeDefined();
    expect(Date.parse(fence!.virtualTime) - returnedAt).toBeLessThanOrEqual(interval);
    // Said, and shown: the fence.applied notice; nothing of it left pending.
    const subjects = e.broker.messages('failover-events').map((m) => m.subject);
    expect(subjects).toContain(EVENT_TYPES.fenceApplied);
    const m = e.monitor();
    expect(m.activeOperation?.operationId).toBeDefined();
    expect(m.operationFences?.applied.length).toBeGreaterThan(0);
    // nightly-settlement's primary copy is still the operation's (it waits for its slot): never touched.
    expect(m.operationFences?.pending.map((t) => t.label) ?? []).not.toContain('primary:nightly-settlement');

    // The operation ends: the fence it left pending and the monitor applied is not handed over again.
    await e.advance(40 * MIN, 10_000);
    const [record] = e.operations().map((o) => o.output);
    expect(record?.status).toBeDefined();
    expect(record!.pendingFences.map((t) => t.label)).toContain('primary:split-report-even');
    expect(e.monitor().pendingFences.map((t) => t.label)).not.toContain('primary:split-report-even');
    expect(e.monitor().operationFences).toBeUndefined();
    const fences = e.sim
      .stateChanges()
      .filter((c) => c.region === PRIMARY && c.workflowName === 'split-report-even' && c.to === 'Disabled');
    expect(fences).toHaveLength(1);
    expect(checkInvariants(e, { detectedAt: Date.parse(record!.timeline[0]!.at) })).toEqual([]);
  });
});
