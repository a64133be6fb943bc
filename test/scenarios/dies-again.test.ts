/**
 * Never withhold a failover from a region that is down (issue 22 §4): the primary fails, is failed over, comes
 * back, is failed back, and dies again inside the cooldown. The cooldown may double detection, never more.
 */
import { describe, expect, it } from 'vitest';
import { durationMs } from '../../src/core/duration';
import { MONITOR_SIGNAL, monitorInstanceId, type Signal } from '../../src/durable/contracts';
import { estatePerTest } from '../support/estate';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const estates = estatePerTest();

describe('the primary dies again right after a failback', () => {
  it('is failed over again within twice the detection bound, inside the cooldown', async () => {
    // A failback switches split entries at their next hourly slot boundary: a cooldown of 3 hours keeps the
    // second outage inside it.
    const estate = await estates.start({
      planPatch: (plan) => ({ ...plan, policy: { ...plan.policy, cooldown: 'PT3H' } }),
    });
    const { probeInterval, failureThreshold } = estate.plan.policy;
    const detectionMs = (failureThreshold ?? 0) * durationMs(probeInterval);
    expect(detectionMs).toBe(90_000);
    await estate.advance(2 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(4 * MIN);
    await estate.restore(PRIMARY);
    await estate.advance(4 * MIN); // recoveryThreshold healthy probes
    const failback: Signal = {
      kind: 'request-operation',
      id: 'failback-1',
      request: {
        direction: 'failback',
        kind: 'emergency',
        trigger: 'manual',
        force: true,
        caller: { by: 'ops@contoso', reason: 'primary healthy again' },
        override: [],
      },
    };
    estate.host.durable.raiseEvent(monitorInstanceId(estate.plan.id), MONITOR_SIGNAL, failback);
    const failedBack = () =>
      estate.operations().find((o) => o.output?.request.direction === 'failback')?.output;
    for (let i = 0; i < 70 && failedBack()?.status !== 'succeeded'; i++) await estate.advance(MIN, 10_000);
    const firstFailover = estate
      .operations()
      .find((o) => o.output?.request.direction === 'failover')!.output!;
    expect(failedBack()?.status).toBe('succeeded');
    expect(estate.monitor().state).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });

    const diesAt = estate.host.clock.now();
    // Still inside the cooldown of the first failover, by far.
    expect(diesAt - Date.parse(firstFailover.timeline[0]!.at)).toBeLessThan(90 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(6 * MIN);
    const failovers = estate
      .operations()
      .map((o) => o.output)
      .filter((o) => o?.request.direction === 'failover');
    expect(failovers).toHaveLength(2);
    const again = failovers[1]!;
    // The outage begins between two probes: at most one probe interval passes before the first failed one.
    expect(Date.parse(again.timeline[0]!.at) - diesAt).toBeLessThanOrEqual(2 * detectionMs + 30_000);
  });
});
