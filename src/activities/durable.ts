/** Activities that talk to the durable task hub through the durable client: start, signal, look up. */
import {
  MONITOR_SIGNAL,
  ORCHESTRATIONS,
  monitorInstanceId,
  operationInstanceId,
  type OperationInput,
  type OperationProgress,
  type OperationRecord,
  type RequestSignal,
  type Signal,
  monitorOf,
} from '../durable/contracts';
import { statusIfAny, type DurableClient } from '../durable/client';
import { ensureMonitor } from '../durable/monitor-instance';
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
   * what outcome, pending fences and pending switches? A status that cannot be read throws (the monitor asks again next cycle).
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
      return outcome === 'succeeded' || outcome === 'completed-with-errors' || outcome === 'failed'
        ? {
            finished: true,
            runtimeStatus,
            outcome,
            pendingFences: record?.pendingFences ?? [],
            pendingSwitches: record?.pendingSwitches ?? [],
          }
        : { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    }
    // Crashed or terminated: no record says what was fenced, so nothing is assumed pending.
    if (runtimeStatus === 'Failed' || runtimeStatus === 'Terminated')
      return { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    return { finished: false, ...(runtimeStatus ? { runtimeStatus } : {}) };
  };

  /**
   * A queued request's courier, one attempt: answered already (the monitor's kept answers have its id), or
   * raised again, to a monitor that is started (or restarted) first if it is not alive, as the watchdog would.
   */
  const deliverRequest = async (
    signal: RequestSignal,
    client: DurableClient,
  ): Promise<{ answered: boolean }> => {
    const instanceId = monitorInstanceId(plan.id);
    const status = await statusIfAny(client, instanceId);
    const monitor = status ? monitorOf(status) : undefined;
    if (monitor?.answers.some((a) => a.id === signal.id)) return { answered: true };
    await ensureMonitor(client, plan);
    await client.raiseEvent(instanceId, MONITOR_SIGNAL, signal);
    return { answered: false };
  };

  return { startOperation, signalMonitor, operationStatus, deliverRequest };
}
