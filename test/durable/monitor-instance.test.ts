/**
 * A store that does not answer is not a missing instance: the watchdog, the HTTP API and the activities that
 * look an instance up let that failure surface instead of starting over what may be running. The clients
 * here throw what durable-functions 3.5.0's client throws for each HTTP status of the extension.
 */
import { describe, expect, it } from 'vitest';
import { durableActivities } from '../../src/activities/durable';
import type { DurableClient, InstanceInfo } from '../../src/durable/client';
import { monitorInstanceId } from '../../src/durable/contracts';
import { ensureMonitor } from '../../src/durable/monitor-instance';
import { examplePlan } from '../support/plans';

const plan = examplePlan();

/** df's DurableClient.getStatus: a 404 and a 500 are distinguishable only by their messages. */
const notFound = (id: string) =>
  new Error(
    `DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${id}.`,
  );
const storeDown = () =>
  new Error(
    'The operation failed with an unexpected status code: 500. Details: {"Message":"Storage account unreachable"}',
  );

function client(answer: (id: string) => InstanceInfo | Error) {
  const started: string[] = [];
  const c: Pick<DurableClient, 'getStatus' | 'startNew'> = {
    async getStatus(id) {
      const a = answer(id);
      if (a instanceof Error) throw a;
      return a;
    },
    async startNew(_name, { instanceId }) {
      started.push(instanceId);
      return instanceId;
    },
  };
  return { client: c, started };
}

describe('looking up an instance in a store that does not answer', () => {
  it('the watchdog surfaces the failure and starts no fresh monitor over one it could not read', async () => {
    const { client: c, started } = client(() => storeDown());
    await expect(ensureMonitor(c, plan)).rejects.toThrow(/unexpected status code: 500/);
    expect(started).toEqual([]);
  });

  it('the watchdog still starts a monitor the store says does not exist (404)', async () => {
    const { client: c, started } = client((id) => notFound(id));
    expect(await ensureMonitor(c, plan)).toBe('started');
    expect(started).toEqual([monitorInstanceId(plan.id)]);
  });

  it('starting an operation surfaces the failure (the activity is retried) instead of starting blind', async () => {
    const { client: c, started } = client(() => storeDown());
    const { startOperation } = durableActivities({ plan } as unknown as Parameters<
      typeof durableActivities
    >[0]);
    const input = { planId: plan.id, operationId: 'op-1' } as Parameters<typeof startOperation>[0];
    await expect(startOperation(input, c as DurableClient)).rejects.toThrow(/unexpected status code: 500/);
    expect(started).toEqual([]);
  });
});
