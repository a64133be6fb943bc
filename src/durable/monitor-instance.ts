/**
 * The monitor instance as the watchdog and the HTTP API see it: start it unless it is alive (restarting a
 * Failed or Terminated one from its last published state, counts intact), and the tick each timer run hands it.
 */
import { durationMs } from '../core/duration';
import { policyOf } from '../core/monitor';
import { initialMonitorRecord } from '../core/monitor-step';
import { regionPlacesOf } from '../core/notifications';
import { statusIfAny, type DurableClient, type InstanceInfo } from '../durable/client';
import { emitEvent, LOG_EVENTS } from '../telemetry/events';
import {
  MONITOR_SIGNAL,
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
  /** Sees the monitor's status as read (undefined: none yet), e.g. for the heartbeat record. */
  seen: (status: InstanceInfo | undefined) => void = () => undefined,
): Promise<'alive' | 'started' | 'restarted'> {
  const instanceId = monitorInstanceId(plan.id);
  const status = await statusIfAny(client, instanceId);
  seen(status);
  if (status?.runtimeStatus && ALIVE.has(status.runtimeStatus)) return 'alive';
  // The failed execution's input: the whole state (the published status may be trimmed to fit 16 KB).
  const previous = status ? monitorOf(status) : undefined;
  // The plan's policy from the start (and on a restart, the plan's current one, as the next tick would bring).
  const policy = policyOf(plan);
  const probeIntervalMs = durationMs(plan.policy.probeInterval);
  const regions = regionPlacesOf(plan);
  const input: MonitorInput = previous?.state
    ? { ...previous, policy, probeIntervalMs, regions, executions: previous.executions ?? 0 }
    : initialMonitorRecord(plan.id, policy, probeIntervalMs, regions);
  try {
    await client.startNew(ORCHESTRATIONS.monitor, { instanceId, input });
  } catch (err) {
    const again = await statusIfAny(client, instanceId);
    if (again?.runtimeStatus && ALIVE.has(again.runtimeStatus)) return 'alive'; // Lost the race: someone else started it.
    throw err;
  }
  if (previous?.state)
    emitEvent(
      {
        event: LOG_EVENTS.monitorRestarted,
        planId: plan.id,
        was: status?.runtimeStatus,
        consecutiveFailures: previous.state.consecutiveFailures,
      },
      log,
    );
  log(
    previous?.state
      ? `monitor ${instanceId} was ${status?.runtimeStatus}: restarted with its counts (${previous.state.consecutiveFailures} failures)`
      : `monitor ${instanceId} started`,
  );
  return previous?.state ? 'restarted' : 'started';
}

/** What the tick hands the monitor besides the plan's policy (app settings the composition root read). */
export interface TickSettings {
  /** DR_DRIFT_CHECK_CYCLES: probe cycles between drift checks (0: off); absent: the monitor's default. */
  driftCheckCycles?: number;
}

export function tickSignal(
  plan: Plan,
  at: Date,
  settings: TickSettings = {},
): Extract<Signal, { kind: 'tick' }> {
  const second = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
  return {
    kind: 'tick',
    id: `tick-${second}`,
    at: second,
    policy: policyOf(plan),
    probeIntervalMs: durationMs(plan.policy.probeInterval),
    regions: regionPlacesOf(plan),
    ...(settings.driftCheckCycles !== undefined ? { driftCheckCycles: settings.driftCheckCycles } : {}),
  };
}

/** Poll steps while a just-started monitor has not shown the tick: quick first, then every 2 s. */
const ACK_STEPS_MS = [50, 100, 250, 500, 1_000, 2_000];

export interface TickOptions {
  log?: (msg: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /** How long to keep raising a tick a just-started monitor has not shown (default 20 s). */
  confirmMs?: number;
  /** Sees the monitor's status as read before the tick (undefined: none yet), e.g. for the heartbeat record. */
  seen?: (status: InstanceInfo | undefined) => void;
  /** Settings the tick carries to the monitor. */
  settings?: TickSettings;
}

/**
 * One watchdog run: make sure the monitor runs and hand it the tick. A monitor started (or restarted) moments
 * ago may not have stored its start yet, and Azure discards an event raised to it then ("No such instance"):
 * the first tick, and the probe it starts, would be lost until the next one. So after a start the
 * tick is raised again until the monitor shows it has had a tick since (ticks are idempotent: one probe per
 * cycle however many arrive), for at most confirmMs.
 */
export async function tickMonitor(
  client: Pick<DurableClient, 'getStatus' | 'startNew' | 'raiseEvent'>,
  plan: Plan,
  at: Date,
  options: TickOptions = {},
): Promise<'delivered' | 'unconfirmed'> {
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const instanceId = monitorInstanceId(plan.id);
  const started = await ensureMonitor(client, plan, log, options.seen);
  const tick = tickSignal(plan, at, options.settings);
  await client.raiseEvent(instanceId, MONITOR_SIGNAL, tick);
  if (started === 'alive') return 'delivered';
  const confirmMs = options.confirmMs ?? 20_000;
  for (let waited = 0, step = 0; waited < confirmMs; step++) {
    const delay = ACK_STEPS_MS[Math.min(step, ACK_STEPS_MS.length - 1)]!;
    await sleep(delay);
    waited += delay;
    const status = await statusIfAny(client, instanceId);
    // Tick ids carry their second (tick-<ISO>), so a later watchdog's tick counts as having had this one. The
    // ids, not the monitor's lastTickAt: that is orchestration time, which another machine's clock may not match.
    const seen = status ? monitorOf(status)?.lastTickId : undefined;
    if (seen !== undefined && seen >= tick.id) return 'delivered';
    await client.raiseEvent(instanceId, MONITOR_SIGNAL, tick);
  }
  log(
    `monitor ${instanceId} has not shown tick ${tick.id} within ${Math.round(confirmMs / 1000)} s of its start; the next tick will probe`,
  );
  return 'unconfirmed';
}
