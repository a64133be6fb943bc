/** Activities that talk to the durable task hub through the durable client: start, signal, look up. */
import {
  MONITOR_SIGNAL,
  OPERATION_STOP,
  ORCHESTRATIONS,
  monitorInstanceId,
  operationInstanceId,
  type OperationInput,
  type OperationProgress,
  type OperationStop,
  type OperationRecord,
  type Signal,
} from '../durable/contracts';
import { isNotFound, statusIfAny, type DurableClient } from '../durable/client';
import { queryAllInstances } from '../durable/instance-query';
import type { ActivityContext } from './context';

export function durableActivities({ plan }: ActivityContext) {
  const startOperation = async (
    input: OperationInput,
    client: DurableClient,
  ): Promise<{ instanceId: string; started: boolean }> => {
    const instanceId = operationInstanceId(input.planId, input.operationId);
    // Idempotent: a retried activity finds the instance it started the first time.
    const existing = await statusIfAny(client, instanceId);
    if (existing?.runtimeStatus) return { instanceId, started: false };
    await client.startNew(ORCHESTRATIONS.operation, { instanceId, input });
    return { instanceId, started: true };
  };

  const signalMonitor = async (signal: Signal, client: DurableClient): Promise<void> => {
    await client.raiseEvent(monitorInstanceId(plan.id), MONITOR_SIGNAL, signal);
  };

  /**
   * The monitor's fallback for a lost `operation-finished` signal: is the operation instance over, and with
   * what outcome and pending fences? A status that cannot be read throws (the monitor asks again next cycle).
   */
  const operationStatus = async (
    input: { planId: string; operationId: string },
    client: DurableClient,
  ): Promise<OperationProgress> => {
    const status = await client.getStatus(operationInstanceId(input.planId, input.operationId));
    const runtimeStatus = status?.runtimeStatus;
    if (runtimeStatus === 'Completed') {
      const record = status?.output as Partial<OperationRecord> | null | undefined;
      const outcome = record?.status;
      return outcome !== undefined && outcome !== 'running'
        ? {
            finished: true,
            runtimeStatus,
            outcome,
            pendingFences: record?.pendingFences ?? [],
            ...(record?.failingRegions?.length ? { failingRegions: record.failingRegions } : {}),
          }
        : { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    }
    // Crashed or terminated: no record says what was fenced, so nothing is assumed pending.
    if (runtimeStatus === 'Failed' || runtimeStatus === 'Terminated')
      return { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    return { finished: false, ...(runtimeStatus ? { runtimeStatus } : {}) };
  };

  /**
   * Tells an operation to stop at its next step boundary: the operation instance and every sub-orchestration of
   * it still running (its entries, which cut a retrying fence short). Raising again is harmless: each instance
   * takes the first. An operation that does not exist (yet) throws, so the monitor tells it again next cycle.
   */
  const cancelOperation = async (
    input: { planId: string; operationId: string; stop: OperationStop },
    client: DurableClient,
  ): Promise<{ told: number }> => {
    const instanceId = operationInstanceId(input.planId, input.operationId);
    await client.raiseEvent(instanceId, OPERATION_STOP, input.stop);
    const { instances } = await queryAllInstances(
      client,
      { instanceIdPrefix: `${instanceId}-`, runtimeStatus: ['Running', 'Pending'], showInput: false },
      10,
    );
    let told = 1;
    for (const child of instances) {
      try {
        await client.raiseEvent(child.instanceId, OPERATION_STOP, input.stop);
        told++;
      } catch (err) {
        if (!isNotFound(err)) throw err; // ended and purged since the query: nothing to stop
      }
    }
    return { told };
  };

  return { startOperation, signalMonitor, operationStatus, cancelOperation };
}
