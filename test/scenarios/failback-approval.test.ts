/**
 * Failback gated by both a healthy soak and an operator's approval (issue 22 §6): the primary fails, is failed
 * over, comes back and stays healthy past the soak; the monitor never fails back by itself, says it waits for
 * an operator, refuses an operator before the soak, and fails back when asked after it.
 */
import { describe, expect, it } from 'vitest';
import { MONITOR_SIGNAL, monitorInstanceId, type Signal } from '../../src/durable/contracts';
import { estatePerTest } from '../support/estate';

const MIN = 60_000;
const PRIMARY = 'westeurope';
const estates = estatePerTest();

const failbackRequest = (id: string): Signal => ({
  kind: 'request-operation',
  id,
  request: {
    direction: 'failback',
    kind: 'planned',
    trigger: 'manual',
    caller: { by: 'ops@contoso', reason: 'primary healthy again' },
    override: [],
  },
});

describe('failback with soak and approval', () => {
  it('waits for both: no automatic failback after the soak, refused before it, done when approved after it', async () => {
    const estate = await estates.start({
      planPatch: (plan) => ({
        ...plan,
        policy: { ...plan.policy, failback: { soak: 'PT10M', approval: 'required' } },
      }),
    });
    const ask = async (id: string) => {
      estate.host.durable.raiseEvent(monitorInstanceId(estate.plan.id), MONITOR_SIGNAL, failbackRequest(id));
      await estate.host.runUntilIdle();
      return estate.monitor().answers.find((a) => a.id === id);
    };
    await estate.advance(2 * MIN);
    estate.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
    await estate.advance(4 * MIN);
    expect(estate.monitor().state.mode).toBe('failed-over');
    await estate.restore(PRIMARY);
    await estate.advance(4 * MIN); // recoveryThreshold healthy probes, soak not over
    expect(await ask('early')).toMatchObject({ status: 'refused', reason: expect.stringMatching(/soak/) });
    expect(estate.monitor().lastCycle?.reason).toMatch(
      /soak until .*, then failback waits for an operator's approval$/,
    );

    await estate.advance(20 * MIN); // well past the soak: still failed over, waiting for an operator
    expect(estate.monitor().state.mode).toBe('failed-over');
    expect(estate.operations().filter((o) => o.instanceId.includes('failback'))).toEqual([]);
    expect(estate.monitor().lastCycle?.reason).toMatch(
      /healthy for the soak: failback waits for an operator's approval$/,
    );

    expect(await ask('approved')).toMatchObject({ status: 'accepted' });
    const failedBack = () =>
      estate.operations().find((o) => o.output?.request.direction === 'failback')?.output;
    for (let i = 0; i < 70 && failedBack()?.status !== 'succeeded'; i++) await estate.advance(MIN, 10_000);
    expect(failedBack()?.status).toBe('succeeded');
    expect(estate.monitor().state).toMatchObject({ mode: 'monitoring', activeRegion: 'primary' });
  }, 240_000);
});
