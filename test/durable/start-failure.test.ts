/**
 * The monitor survives a failed start of an operation (issue 19 §6): when the start activity fails after its
 * retries (here: the task hub refuses to start drOperation, which this host does not have), the failed effect
 * is an input to the step like any other. The monitor stays Running, says why, keeps the operation active (so
 * nothing else starts and no fence is applied meanwhile), and starts the same operation on the next cycle.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monitorInstanceId, operationInstanceId } from '../../src/durable/contracts';
import { estatePerTest } from '../support/estate';

const estates = estatePerTest();
const MIN = 60_000;

describe('a failed start of an operation', () => {
  it('leaves the monitor running, recorded, and the same operation starts on a later cycle', async () => {
    const e = await estates.start({
      storeDir: mkdtempSync(join(tmpdir(), 'dr-store-')),
      withoutFunctions: ['operation.ts'],
    });
    const monitorId = monitorInstanceId(e.plan.id);
    await e.advance(MIN);
    e.outage('westeurope', { kind: 'down', mode: 'refused' });
    // Three failed probes (threshold 3), then the start's retries (1 + 2 + 4 + 8 s), then more cycles.
    await e.advance(4 * MIN);

    expect(e.host.durable.getStatus(monitorId)?.runtimeStatus).toBe('Running');
    const m = e.monitor();
    const opId = m.activeOperation?.operationId;
    expect(opId).toMatch(/^failover-1-/);
    expect(m.state.mode).toBe('failing-over');
    expect(m.unstarted).toMatchObject({ input: { operationId: opId, request: { trigger: 'automatic' } } });
    expect(m.unstarted!.failedAttempts).toBeGreaterThanOrEqual(2); // tried again on the cycles after
    expect(m.unstarted!.error).toContain('drOperation');
    expect(m.lastCycle?.reason).toContain(`the failover ${opId} could not be started`);
    expect(e.operations()).toEqual([]);

    // The orchestration is back (a redeployment): the next cycle starts the same operation, once.
    await e.restartHost();
    await e.advance(MIN);
    expect(e.operations().map((o) => o.instanceId)).toEqual([operationInstanceId(e.plan.id, opId!)]);
    expect(e.monitor().unstarted).toBeUndefined();
    await e.advance(5 * MIN);
    expect(e.operations()[0]!.output?.status).toBe('succeeded');
    expect(e.monitor()).toMatchObject({
      state: { mode: 'failed-over', activeRegion: 'secondary' },
      lastOperation: { operationId: opId, outcome: 'succeeded' },
    });
    expect(e.host.durable.getStatus(monitorId)?.runtimeStatus).toBe('Running');
  });
});
