/**
 * The monitor instance as the watchdog and the HTTP API see it: start it unless it is alive (restarting a
 * Failed or Terminated one from its last published state, counts intact), and the tick each timer run hands it.
 */
import { durationMs } from '../core/duration';
import { policyOf } from '../core/monitor';
import { initialMonitorRecord } from '../core/monitor-step';
import { statusIfAny, type DurableClient } from '../durable/client';
import {
  ORCHESTRATIONS,
  monitorInstanceId,
  type MonitorInput,
  type Signal,
  monitorOf,
} from '../durable/contracts';
import type { Plan } from '../plan/schema';

const ALIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * Starts the monitor unless it is alive. Two watchdogs racing both try to start: the loser's startNew is
 * refused (the instance exists and runs), which is fine: exactly one monitor runs.
 */
export async function ensureMonitor(
  client: Pick<DurableClient, 'getStatus' | 'startNew'>,
  plan: Plan,
  log: (msg: string) => void = () => undefined,
): Promise<'alive' | 'started' | 'restarted'> {
  const instanceId = monitorInstanceId(plan.id);
  const status = await statusIfAny(client, instanceId);
  if (status?.runtimeStatus && ALIVE.has(status.runtimeStatus)) return 'alive';
  // The failed execution's input: the whole state (the published status may be trimmed to fit 16 KB).
  const previous = status ? monitorOf(status) : undefined;
  // The plan's policy from the start (and on a restart, the plan's current one, as the next tick would bring).
  const policy = policyOf(plan);
  const probeIntervalMs = durationMs(plan.policy.probeInterval);
  const input: MonitorInput = previous?.state
    ? { ...previous, policy, probeIntervalMs, executions: previous.executions ?? 0 }
    : initialMonitorRecord(plan.id, policy, probeIntervalMs);
  try {
    await client.startNew(ORCHESTRATIONS.monitor, { instanceId, input });
  } catch (err) {
    const again = await statusIfAny(client, instanceId);
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
