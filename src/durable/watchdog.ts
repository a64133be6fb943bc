/**
 * The watchdog: on every timer tick, make sure the plan's monitor orchestration is running and hand it the tick
 * (src/durable/monitor-instance.ts; after starting the monitor it makes sure the first tick is not lost).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { tickMonitor, type TickSettings } from './monitor-instance';
import type { DurableClient } from '../durable/client';
import type { Plan } from '../plan/schema';
import { emitEvent, heartbeatRecord } from '../telemetry/events';

export function createWatchdogHandler(
  getPlan: () => Plan,
  now: () => Date = () => new Date(),
  settings: () => TickSettings = () => ({}),
) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const client = df.getClient(context) as DurableClient;
    const plan = getPlan();
    await tickMonitor(client, plan, now(), {
      log: (m) => context.log(m),
      seen: (status) => emitEvent(heartbeatRecord(plan.id, status, now()), (line) => context.log(line)),
      settings: settings(),
    });
  };
}
