/**
 * Events raised to an instance whose start is not stored yet are discarded, as the Durable Task Framework
 * does in Azure ("No such instance"), and the control plane does not lose the watchdog's first tick or an
 * HTTP request to that: both raise again until the monitor shows it heard them.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startFunctionsHost, type FunctionsHost, type HostLogEntry } from '../../local/host';
import { ensureMonitor, tickMonitor, tickSignal } from '../../src/durable/monitor-instance';
import type { DurableClient } from '../../src/durable/client';
import { MONITOR_SIGNAL, monitorInstanceId, monitorOf, type Signal } from '../../src/durable/contracts';
import { askMonitor } from '../../src/http/monitor-requests';
import { estatePerTest, type Estate } from '../support/estate';

const app = path.resolve(__dirname, '../fixtures/functions-app');
let host: FunctionsHost | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('local host: an event for an instance whose start is not stored yet', () => {
  test('is discarded with a warning (the client was told it was accepted); once the start is stored it is kept', async () => {
    const logs: HostLogEntry[] = [];
    host = await startFunctionsHost({
      files: [path.join(app, 'timers.ts')],
      startTime: '2025-03-01T00:00:00Z',
      log: (l) => logs.push(l),
    });
    const id = host.durable.startNew('approval');
    expect(host.durable.raiseEvent(id, 'Approval', 'too early')).toBe('accepted');
    await host.runUntilIdle();
    expect(host.durable.getStatus(id)?.runtimeStatus).toBe('Running');
    expect(host.stats().eventsDiscarded).toBe(1);
    expect(logs.map((l) => l.message)).toContain(
      `Event 'Approval' for instance ${id} discarded: No such instance (its start is not stored yet)`,
    );
    expect(host.durable.raiseEvent(id, 'Approval', 'yes')).toBe('accepted');
    await host.runUntilIdle();
    expect(host.durable.getStatus(id)).toMatchObject({
      runtimeStatus: 'Completed',
      output: { approved: 'yes' },
    });
  });
});

const estates = estatePerTest();

/** The engine's own client operations, shaped like df.getClient's, with no delay between start and raise. */
function engineClient(e: Estate): Pick<DurableClient, 'getStatus' | 'startNew' | 'raiseEvent'> {
  return {
    async getStatus(instanceId) {
      const status = e.host.durable.getStatus(instanceId);
      if (!status) throw new Error(`HTTP 404: no instance ${instanceId}`);
      return status;
    },
    async startNew(name, options) {
      return e.host.durable.startNew(name, options);
    },
    async raiseEvent(instanceId, eventName, data) {
      e.host.durable.raiseEvent(instanceId, eventName, data);
    },
  };
}

/** A "sleep" that lets the host run whatever is due instead of waiting. */
const hostTurn = (e: Estate) => async () => e.host.runUntilIdle();

describe('the watchdog and the HTTP API racing a monitor start', () => {
  test('a single raise right after the start is lost: the new monitor never hears the first tick', async () => {
    const e = await estates.start();
    const client = engineClient(e);
    expect(await ensureMonitor(client, e.plan)).toBe('started');
    await client.raiseEvent(
      monitorInstanceId(e.plan.id),
      MONITOR_SIGNAL,
      tickSignal(e.plan, new Date(e.host.clock.now())),
    );
    await e.host.runUntilIdle();
    expect(e.host.stats().eventsDiscarded).toBe(1);
    expect(e.monitor().lastTickAt).toBeUndefined();
    expect(e.monitor().state.probes).toBe(0);
  });

  test("the watchdog's first tick reaches the monitor it has just started: raised again until the monitor shows it", async () => {
    const e = await estates.start();
    const logs: string[] = [];
    const result = await tickMonitor(engineClient(e), e.plan, new Date(e.host.clock.now()), {
      log: (m) => logs.push(m),
      sleep: hostTurn(e),
    });
    expect(result).toBe('delivered');
    expect(e.host.stats().eventsDiscarded).toBe(1); // the first raise was lost, as in Azure
    const monitor = e.monitor();
    expect(monitor.lastTickAt).toBeDefined();
    expect(monitor.state.probes).toBe(1); // one probe for the cycle, however many raises
    expect(logs).toEqual([`monitor ${monitorInstanceId(e.plan.id)} started`]);
    // A running monitor: one raise, nothing to confirm.
    await e.advance(30_000);
    expect(e.monitor().state.probes).toBe(2);
  });

  test("the first tick is confirmed by its id: a watchdog whose clock differs from the monitor's does not wait out confirmMs", async () => {
    const e = await estates.start();
    const logs: string[] = [];
    // The watchdog's machine is an hour ahead of orchestration time (on the local host: real time vs virtual).
    const result = await tickMonitor(engineClient(e), e.plan, new Date(e.host.clock.now() + 3_600_000), {
      log: (m) => logs.push(m),
      sleep: hostTurn(e),
      confirmMs: 5_000,
    });
    expect(result).toBe('delivered');
    expect(e.monitor().lastTickId).toMatch(/^tick-/);
    expect(logs.some((l) => l.includes('has not shown tick'))).toBe(false);
  });

  test('an HTTP request that starts the monitor is answered, not left queued forever', async () => {
    const e = await estates.start();
    const signal: Signal = {
      kind: 'resume',
      id: 'http-resume-race',
      caller: { by: 'oncall', reason: 'race' },
    };
    const asked = await askMonitor(engineClient(e), e.plan, signal, {
      waitMs: 15_000,
      sleep: hostTurn(e),
      idempotencyKey: 'race',
    });
    expect(e.host.stats().eventsDiscarded).toBe(1);
    expect(asked.answer.id).toBe('http-resume-race');
    expect(asked.replayed).toBe(false);
    const status = e.host.durable.getStatus(monitorInstanceId(e.plan.id))!;
    // Answered once, however often it was raised.
    expect(monitorOf(status)!.answers.filter((a) => a.id === 'http-resume-race')).toHaveLength(1);
  });
});
