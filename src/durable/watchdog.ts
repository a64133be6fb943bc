/**
 * The watchdog: on every timer tick, make sure the plan's monitor orchestration is running and hand it the tick
 * (src/durable/monitor-instance.ts; after starting the monitor it makes sure the first tick is not lost).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { tickMonitor, type TickSettings } from './monitor-instance';
import type { DurableClient } from '../durable/client';
import { DELIVERY_PREFIX } from './contracts';
import { queryAllInstances } from './instance-query';
import type { ReportedMode } from '../core/monitor';
import type { Plan } from '../plan/schema';
import { emitEvent, heartbeatRecord } from '../telemetry/events';
import { metricsOn, recordMonitorState, recordNotificationBacklog } from '../telemetry/metrics';

const HOUR_MS = 3_600_000;
/** Pages of 100 the backlog count reads at most (as the status API's outbox view). */
const BACKLOG_PAGES = 10;

/** How the backlog count finds deliveries that may still be pending. */
export interface BacklogWindow {
  /** DR_NOTIFY_TTL: a delivery older than it (and an hour) is over. */
  notificationTtlMs: () => number;
  /** The clock instances are created on (the local host's virtual one, or the wall clock). */
  now: () => Date;
}

/**
 * The backlog count reads deliveries created within the window, by instance-id prefix, and only while metrics
 * are exported.
 */
export function createWatchdogHandler(
  getPlan: () => Plan,
  now: () => Date = () => new Date(),
  backlog: BacklogWindow = { notificationTtlMs: () => 24 * HOUR_MS, now },
  /** Settings the tick carries to the monitor (DR_DRIFT_CHECK_CYCLES), read at each tick. */
  settings: () => TickSettings = () => ({}),
) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const client = df.getClient(context) as DurableClient;
    const plan = getPlan();
    await tickMonitor(client, plan, now(), {
      log: (m) => context.log(m),
      seen: (status) => {
        const record = heartbeatRecord(plan.id, status, now());
        emitEvent(record, (line) => context.log(line));
        recordMonitorState({
          planId: plan.id,
          ...(typeof record.mode === 'string' ? { mode: record.mode as ReportedMode } : {}),
          consecutiveFailures: Number(record.consecutiveFailures) || 0,
          pendingFences: Number(record.pendingFences) || 0,
        });
      },
      settings: settings(),
    });
    if (metricsOn()) await countBacklog(client, plan, backlog.now(), backlog.notificationTtlMs());
  };
}

/** Deliveries still running (neither delivered nor dropped): the outbox's backlog. Never throws. */
async function countBacklog(client: DurableClient, plan: Plan, at: Date, ttlMs: number): Promise<void> {
  try {
    const { instances } = await queryAllInstances(
      client,
      {
        instanceIdPrefix: DELIVERY_PREFIX(plan.id),
        createdTimeFrom: new Date(at.getTime() - ttlMs - HOUR_MS),
        runtimeStatus: ['Pending', 'Running'],
        showInput: false,
      },
      BACKLOG_PAGES,
    );
    recordNotificationBacklog(plan.id, instances.length);
  } catch {
    // The count is telemetry: a task hub that does not answer it leaves the gauge where it was.
  }
}
