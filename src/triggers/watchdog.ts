/**
 * The watchdog: on every timer tick, make sure the plan's monitor orchestration is running (restarting a
 * Failed or Terminated one from its last published state, counts intact) and hand it the tick.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { durationMs } from '../core/duration';
import { initialMonitorState, type MonitorPolicy } from '../core/monitor';
import {
  MONITOR_SIGNAL,
  ORCHESTRATIONS,
  monitorInstanceId,
  type MonitorInput,
  type MonitorStatus,
  type Signal,
} from '../durable/contracts';
import type { Plan } from '../plan/schema';

/** The slice of the durable client the watchdog and the HTTP API use. */
export interface MonitorClient {
  getStatus(instanceId: string): Promise<{ runtimeStatus?: string; customStatus?: unknown } | undefined>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

const ALIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

export const policyOf = (plan: Plan): MonitorPolicy => ({
  ...(plan.policy.failureThreshold !== undefined ? { failureThreshold: plan.policy.failureThreshold } : {}),
  ...(plan.policy.window ? { window: plan.policy.window } : {}),
  recoveryThreshold: plan.policy.recoveryThreshold,
  automaticFailover: plan.policy.automaticFailover,
  failback: plan.policy.failback,
  cooldown: plan.policy.cooldown,
  maxPause: plan.policy.maxPause,
});

/** getStatus throws on 404 (and on transient errors): either way there is no status to act on. */
async function statusOf(client: MonitorClient, instanceId: string) {
  try {
    return await client.getStatus(instanceId);
  } catch {
    return undefined;
  }
}

/**
 * Starts the monitor unless it is alive. Two watchdogs racing both try to start: the loser's startNew is
 * refused (the instance exists and runs), which is fine: exactly one monitor runs.
 */
export async function ensureMonitor(
  client: MonitorClient,
  plan: Plan,
  log: (msg: string) => void = () => undefined,
): Promise<'alive' | 'started' | 'restarted'> {
  const instanceId = monitorInstanceId(plan.id);
  const status = await statusOf(client, instanceId);
  if (status?.runtimeStatus && ALIVE.has(status.runtimeStatus)) return 'alive';
  const previous = status?.customStatus as MonitorStatus | undefined;
  const input: MonitorInput = previous?.state
    ? { ...previous, executions: previous.executions ?? 0 }
    : {
        planId: plan.id,
        state: initialMonitorState(),
        pendingFences: [],
        answers: [],
        operationSeq: 0,
        executions: 0,
      };
  try {
    await client.startNew(ORCHESTRATIONS.monitor, { instanceId, input });
  } catch (err) {
    const again = await statusOf(client, instanceId);
    if (again?.runtimeStatus && ALIVE.has(again.runtimeStatus)) return 'alive'; // Lost the race: someone else started it.
    throw err;
  }
  log(
    previous?.state
      ? `monitor ${instanceId} was ${status?.runtimeStatus}: restarted with its counts (${previous.state.consecutiveFailures} failures)`
      : `monitor ${instanceId} started`,
  );
  return previous?.state ? 'restarted' : 'started';
}

export function tickSignal(plan: Plan, at: Date): Signal {
  const second = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
  return {
    kind: 'tick',
    id: `tick-${second}`,
    at: second,
    policy: policyOf(plan),
    probeIntervalMs: durationMs(plan.policy.probeInterval),
  };
}

export function createWatchdogHandler(getPlan: () => Plan, now: () => Date = () => new Date()) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const plan = getPlan();
    const client = df.getClient(context) as unknown as MonitorClient;
    await ensureMonitor(client, plan, (m) => context.log(m));
    await client.raiseEvent(monitorInstanceId(plan.id), MONITOR_SIGNAL, tickSignal(plan, now()));
  };
}
