/**
 * The watchdog's guarantees on the real engine: two watchdogs racing to start the monitor make one monitor, and
 * a monitor that Failed is restarted from its last published state, counts intact.
 */
import { describe, expect, it } from 'vitest';
import { MONITOR_SIGNAL, ORCHESTRATIONS, monitorInstanceId } from '../../src/durable/contracts';
import { ensureMonitor, tickSignal } from '../../src/durable/monitor-instance';
import type { DurableClient } from '../../src/durable/client';
import type { HostLogEntry } from '../../local/host';
import { estatePerTest, type Estate } from '../support/estate';

const estates = estatePerTest();

const MIN = 60_000;

/**
 * The engine's own client operations, shaped like df.getClient's (getStatus throws on 404). `held` makes every
 * startNew wait until that many getStatus calls have answered: two watchdogs both check before either starts.
 */
function engineClient(e: Estate, held: number) {
  let answered = 0;
  let release!: () => void;
  const bothChecked = new Promise<void>((resolve) => (release = resolve));
  const starts: ('started' | 'refused')[] = [];
  const client: Pick<DurableClient, 'getStatus' | 'startNew' | 'raiseEvent'> = {
    async getStatus(instanceId) {
      const status = e.host.durable.getStatus(instanceId);
      if (++answered >= held) release();
      if (!status) throw new Error(`HTTP 404: no instance ${instanceId}`);
      return status;
    },
    async startNew(name, options) {
      await bothChecked;
      try {
        const id = e.host.durable.startNew(name, options);
        starts.push('started');
        return id;
      } catch (err) {
        starts.push('refused');
        throw err;
      }
    },
    async raiseEvent(instanceId, eventName, data) {
      e.host.durable.raiseEvent(instanceId, eventName, data);
    },
  };
  return { client, starts };
}

describe('watchdog', () => {
  it('two watchdogs racing to start the monitor: one starts it, the other is refused and finds it alive', async () => {
    const e = await estates.start();
    const id = monitorInstanceId(e.plan.id);
    expect(e.host.durable.getStatus(id)).toBeUndefined(); // no watchdog has run yet
    const { client, starts } = engineClient(e, 2);
    const logs: string[] = [];
    const results = await Promise.all([
      ensureMonitor(client, e.plan, (m) => logs.push(m)),
      ensureMonitor(client, e.plan, (m) => logs.push(m)),
    ]);
    expect(starts.sort()).toEqual(['refused', 'started']);
    expect(results.sort()).toEqual(['alive', 'started']);
    expect(logs).toEqual([`monitor ${id} started`]);
    expect(e.host.durable.list().filter((s) => s.name === ORCHESTRATIONS.monitor)).toHaveLength(1);

    // The one monitor then runs normally: ticks are probed once per cycle.
    await e.advance(MIN);
    expect(e.monitor().state.probes).toBe(2);
  });

  it('a monitor that Failed is restarted by the watchdog with its counts intact', async () => {
    const logs: HostLogEntry[] = [];
    const e = await estates.start({ log: (l) => logs.push(l) });
    const id = monitorInstanceId(e.plan.id);
    await e.advance(MIN);
    e.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await e.advance(30_000);
    expect(e.monitor().state.consecutiveFailures).toBe(1);

    // A tick it cannot handle (no policy) crashes the execution, as a bug would.
    e.host.durable.raiseEvent(id, MONITOR_SIGNAL, {
      ...tickSignal(e.plan, new Date(e.host.clock.now())),
      policy: null,
      probeIntervalMs: 1,
    });
    await e.host.runUntilIdle();
    expect(e.host.durable.getStatus(id)?.runtimeStatus).toBe('Failed');
    expect(e.monitor().state.consecutiveFailures).toBe(1); // the last published state survives the crash

    await e.advance(MIN);
    expect(e.host.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    expect(
      logs.some((l) =>
        l.message.includes(`monitor ${id} was Failed: restarted with its counts (1 failures)`),
      ),
    ).toBe(true);
    expect(e.operations()).toHaveLength(1); // 1 + 2 more failures = threshold 3
  });
});
