/** Activities that talk to the durable task hub through the durable client: start, signal, look up. */
import {
  MONITOR_SIGNAL,
  OPERATION_STOP,
  ORCHESTRATIONS,
  monitorInstanceId,
  operationInstanceId,
  type EntryResult,
  type OperationInput,
  type OperationLiveStatus,
  type OperationProgress,
  type OperationStop,
  type OperationRecord,
  type RequestSignal,
  type Signal,
  monitorOf,
} from '../durable/contracts';
import { isNotFound, statusIfAny, type DurableClient } from '../durable/client';
import { ensureMonitor } from '../durable/monitor-instance';
import { fencesLeftPending } from '../core/entry-gate';
import type { WorkflowTarget } from '../core/planner';
import { targetKey } from '../core/refs';
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
      return outcome !== undefined && outcome !== 'running'
        ? {
            finished: true,
            runtimeStatus,
            outcome,
            pendingFences: record?.pendingFences ?? [],
            pendingSwitches: record?.pendingSwitches ?? [],
            ...(record?.failingRegions?.length ? { failingRegions: record.failingRegions } : {}),
          }
        : { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    }
    // Crashed or terminated: no record says what was fenced, so nothing is assumed pending.
    if (runtimeStatus === 'Failed' || runtimeStatus === 'Terminated')
      return { finished: true, runtimeStatus, outcome: 'failed', pendingFences: [] };
    const pendingFences = await releasedFences(status?.customStatus, client);
    return {
      finished: false,
      ...(runtimeStatus ? { runtimeStatus } : {}),
      ...(pendingFences.length ? { pendingFences } : {}),
    };
  };

  /**
   * The fences a running operation is done with: those its finished groups released, and those of entries of
   * the running group whose sub-orchestration is over (it writes nothing of them again). A sub-orchestration
   * whose status cannot be read releases nothing yet.
   */
  const releasedFences = async (live: unknown, client: DurableClient): Promise<WorkflowTarget[]> => {
    const published = live as Partial<OperationLiveStatus> | null | undefined;
    const out = new Map<string, WorkflowTarget>();
    for (const t of Array.isArray(published?.released) ? published.released : []) out.set(targetKey(t), t);
    for (const id of Array.isArray(published?.working) ? published.working : []) {
      const sub = await statusIfAny(client, id);
      if (sub?.runtimeStatus !== 'Completed') continue;
      const results = (Array.isArray(sub.output) ? sub.output : [sub.output]) as (EntryResult | null)[];
      for (const r of results)
        if (r && Array.isArray(r.steps)) for (const t of fencesLeftPending(r.steps)) out.set(targetKey(t), t);
    }
    return [...out.values()];
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

  return { startOperation, signalMonitor, operationStatus, deliverRequest, cancelOperation };
}
