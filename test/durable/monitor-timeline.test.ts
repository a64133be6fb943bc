import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MONITOR_SIGNAL, monitorInstanceId } from '../../src/durable/contracts';
import { tickSignal } from '../../src/durable/monitor-instance';
import { estatePerTest, type Estate } from '../support/estate';

const estates = estatePerTest();
let estate: Estate | undefined;

const MIN = 60_000;

describe('watchdog + monitor on virtual time (real functions/, replayed by durable-functions)', () => {
  it('healthy for hours: one probe per cycle, no action, history stays bounded', async () => {
    estate = await estates.start();
    await estate.advance(3 * 60 * MIN);
    const m = estate.monitor();
    expect(m.state.mode).toBe('monitoring');
    expect(m.state.probes).toBe(360);
    expect(m.state.consecutiveFailures).toBe(0);
    expect(estate.operations()).toEqual([]);
    const current = estate.host.stats().historyEventsByInstance[monitorInstanceId(estate.plan.id)]!.current;
    expect(current).toBeLessThan(30);
  });

  it('failures below the threshold, then success: the count resets and nothing fails over', async () => {
    estate = await estates.start();
    await estate.advance(MIN);
    estate.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await estate.advance(MIN); // 2 failed probes (threshold 3)
    expect(estate.monitor().state).toMatchObject({ mode: 'degraded', consecutiveFailures: 2 });
    estate.sim.restore('westeurope');
    await estate.advance(30_000);
    expect(estate.monitor().state.consecutiveFailures).toBe(0);
    await estate.advance(10 * MIN);
    expect(estate.monitor().state.mode).toBe('monitoring');
    expect(estate.operations()).toEqual([]);
  });

  it('threshold reached: exactly one failover starts, however long the outage lasts', async () => {
    estate = await estates.start();
    await estate.advance(MIN);
    estate.sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    await estate.advance(20 * MIN);
    const ops = estate.operations();
    expect(ops).toHaveLength(1);
    expect(ops[0]!.output?.request).toMatchObject({ direction: 'failover', trigger: 'automatic' });
    expect(estate.monitor().state.mode).toBe('failed-over');
  });

  it('a host restart mid-count keeps the count (histories reloaded from the store)', async () => {
    estate = await estates.start({ storeDir: mkdtempSync(join(tmpdir(), 'dr-store-')) });
    await estate.advance(MIN);
    estate.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await estate.advance(MIN);
    expect(estate.monitor().state.consecutiveFailures).toBe(2);
    await estate.restartHost();
    expect(estate.monitor().state.consecutiveFailures).toBe(2);
    await estate.advance(30_000);
    expect(estate.operations()).toHaveLength(1);
  });

  it('duplicate and late ticks never probe twice in one cycle', async () => {
    estate = await estates.start();
    await estate.advance(MIN);
    const before = estate.monitor().state.probes;
    const id = monitorInstanceId(estate.plan.id);
    const tick = tickSignal(estate.plan, new Date(estate.host.clock.now()));
    for (let i = 0; i < 3; i++) estate.host.durable.raiseEvent(id, MONITOR_SIGNAL, tick);
    estate.host.durable.raiseEvent(
      id,
      MONITOR_SIGNAL,
      tickSignal(estate.plan, new Date(estate.host.clock.now() - 90_000)),
    );
    await estate.host.runUntilIdle();
    expect(estate.monitor().state.probes).toBe(before);
    await estate.advance(30_000);
    expect(estate.monitor().state.probes).toBe(before + 1);
  });

  it('a monitor that was terminated is restarted by the watchdog with its counts intact', async () => {
    estate = await estates.start();
    await estate.advance(MIN);
    estate.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await estate.advance(30_000);
    expect(estate.monitor().state.consecutiveFailures).toBe(1);
    estate.host.durable.terminate(monitorInstanceId(estate.plan.id), 'test');
    await estate.advance(MIN);
    expect(estate.host.durable.getStatus(monitorInstanceId(estate.plan.id))?.runtimeStatus).toBe('Running');
    expect(estate.operations()).toHaveLength(1); // 1 + 2 more failures = threshold 3
  });

  it('pause: no automatic failover until the pause expires, then exactly one', async () => {
    estate = await estates.start();
    await estate.advance(MIN);
    const id = monitorInstanceId(estate.plan.id);
    const until = new Date(estate.host.clock.now() + 10 * MIN).toISOString();
    estate.host.durable.raiseEvent(id, MONITOR_SIGNAL, {
      kind: 'pause',
      id: 'p1',
      until,
      caller: { by: 'ops@contoso', reason: 'maintenance' },
    });
    await estate.host.runUntilIdle();
    expect(estate.monitor().state.pause?.until).toBe(until);
    estate.sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    await estate.advance(9 * MIN);
    expect(estate.operations()).toEqual([]);
    await estate.advance(2 * MIN);
    expect(estate.operations()).toHaveLength(1);
  });
});
