/**
 * The dead-man's switch behind `GET /api/health`: healthy while the watchdog keeps ticking the monitor and the
 * monitor keeps finishing probe cycles. Pure over the monitor instance as the durable client reads it, so the
 * availability test and the heartbeat alert mean the same thing. The answer names no plan, region or workflow:
 * the route is anonymous.
 */
import type { InstanceInfo } from '../durable/client';
import { monitorOf } from '../durable/contracts';

/** How many probe intervals without a finished cycle (or a tick) before the control plane counts as dead. */
export const STALE_INTERVALS = 3;

export interface HealthVerdict {
  healthy: boolean;
  /** Why not, in a few words (`monitor not started`, `last cycle 4 min ago`, `monitor Failed`). */
  reason?: string;
  /** Seconds since the monitor last finished a probe cycle, when it has. */
  lastCycleAgeSeconds?: number;
  /** Seconds since the monitor last received a watchdog tick, when it has. */
  lastTickAgeSeconds?: number;
}

const ALIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/** `4 min ago`, `90 s ago`, `2 h ago`: coarse on purpose (the exact times are in /api/status). */
export function agoText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

export function healthVerdict(
  monitor: InstanceInfo | undefined,
  probeIntervalMs: number,
  now: Date,
): HealthVerdict {
  if (!monitor) return { healthy: false, reason: 'monitor not started' };
  if (!ALIVE.has(monitor.runtimeStatus))
    return { healthy: false, reason: `monitor ${monitor.runtimeStatus}` };
  const state = monitorOf(monitor);
  const limitMs = STALE_INTERVALS * probeIntervalMs;
  const age = (iso: string | undefined) => (iso ? now.getTime() - Date.parse(iso) : undefined);
  const tickAge = age(state?.lastTickAt);
  const cycleAge = age(state?.lastCycle?.at);
  const ages = {
    ...(cycleAge !== undefined ? { lastCycleAgeSeconds: Math.round(cycleAge / 1000) } : {}),
    ...(tickAge !== undefined ? { lastTickAgeSeconds: Math.round(tickAge / 1000) } : {}),
  };
  // A cycle runs only on a tick, so a stale cycle comes first; a stale tick too says the timer stopped.
  const problems: string[] = [];
  if (cycleAge === undefined) problems.push('no probe cycle yet');
  else if (cycleAge > limitMs) problems.push(`last cycle ${agoText(cycleAge)}`);
  if (tickAge === undefined) problems.push('no watchdog tick yet');
  else if (tickAge > limitMs) problems.push(`last watchdog tick ${agoText(tickAge)}`);
  if (problems.length) return { healthy: false, reason: problems.join('; '), ...ages };
  return { healthy: true, ...ages };
}
