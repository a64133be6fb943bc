/**
 * GET /api/health, the dead-man's switch: anonymous, 200 only while the watchdog ticks and the monitor finishes
 * probe cycles (within 3 probe intervals), 503 with the reason otherwise, and never a plan, region or workflow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MONITOR_SIGNAL, monitorInstanceId } from '../../src/durable/contracts';
import { tickSignal } from '../../src/durable/monitor-instance';
import { healthVerdict } from '../../src/http/health';
import { MIN, startApiEstate, type ApiEstate } from './support';

let estate: ApiEstate | undefined;
afterEach(async () => {
  await estate?.stop();
  estate = undefined;
});

/** Nothing in the answer may name the estate: no plan id, region, resource group or workflow. */
function revealsNothing(e: ApiEstate, text: string): void {
  const secrets = [
    e.plan.id,
    e.plan.primary.location,
    e.plan.secondary.location,
    e.plan.primary.resourceGroup,
    e.plan.secondary.resourceGroup,
    ...e.plan.workflows.map((w) => w.name),
  ];
  for (const s of secrets) expect(text).not.toContain(s);
}

describe('GET /api/health', () => {
  it('is anonymous: 503 "monitor not started" before the first tick, 200 once the monitor cycles', async () => {
    const e = (estate = await startApiEstate());
    const before = await e.call('GET', 'health', { key: null });
    expect(before.status).toBe(503);
    expect(before.body).toEqual({ status: 'unhealthy', reason: 'monitor not started' });
    revealsNothing(e, before.text);

    await e.advance(MIN);
    const after = await e.call('GET', 'health', { key: null });
    expect(after.status).toBe(200);
    expect(after.body.status).toBe('healthy');
    expect(after.body.lastCycleAgeSeconds).toBeLessThanOrEqual(30);
    expect(after.headers.get('cache-control')).toBe('no-store');
    revealsNothing(e, after.text);
  });

  it('503 "last cycle N min ago" when the monitor stops taking ticks, and 200 again when it resumes', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const id = monitorInstanceId(e.plan.id);
    // A monitor stuck as a lagging partition leaves it: ticks queue, no cycle completes.
    e.host.durable.hold(id);
    await e.advance(60_000);
    expect((await e.call('GET', 'health', { key: null })).status).toBe(200); // 2 intervals: not yet
    await e.advance(3 * MIN);
    const stale = await e.call('GET', 'health', { key: null });
    expect(stale.status).toBe(503);
    expect(stale.body.reason).toMatch(/^last cycle [34] min ago; last watchdog tick [34] min ago$/);
    revealsNothing(e, stale.text);

    e.host.durable.release(id);
    await e.advance(MIN);
    expect((await e.call('GET', 'health', { key: null })).status).toBe(200);
  });

  it('503 "monitor Failed" while the monitor is crashed, until the watchdog restarts it', async () => {
    const e = (estate = await startApiEstate());
    await e.advance(MIN);
    const id = monitorInstanceId(e.plan.id);
    e.host.durable.raiseEvent(id, MONITOR_SIGNAL, {
      ...tickSignal(e.plan, new Date(e.host.clock.now())),
      policy: null,
      probeIntervalMs: 1,
    });
    await e.host.runUntilIdle();
    const failed = await e.call('GET', 'health', { key: null });
    expect(failed.status).toBe(503);
    expect(failed.body.reason).toBe('monitor Failed');
    await e.advance(MIN);
    expect((await e.call('GET', 'health', { key: null })).status).toBe(200);
  });

  it('the verdict: a cycle within 3 probe intervals is alive, one beyond is not', () => {
    const now = new Date('2026-03-02T08:10:00Z');
    const monitor = (cycleAt: string) => ({
      instanceId: 'm',
      runtimeStatus: 'Running',
      createdTime: now,
      lastUpdatedTime: now,
      input: {
        planId: 'p',
        state: {},
        answers: [],
        pendingFences: [],
        operationSeq: 0,
        executions: 0,
        lastTickAt: cycleAt,
        lastCycle: { at: cycleAt, reason: 'x' },
      },
    });
    expect(healthVerdict(monitor('2026-03-02T08:08:30Z'), 30_000, now).healthy).toBe(true);
    expect(healthVerdict(monitor('2026-03-02T08:08:29Z'), 30_000, now)).toMatchObject({
      healthy: false,
      reason: 'last cycle 91 s ago; last watchdog tick 91 s ago',
    });
    expect(healthVerdict(monitor('2026-03-02T08:06:00Z'), 30_000, now).reason).toMatch(
      /^last cycle 4 min ago/,
    );
  });
});
