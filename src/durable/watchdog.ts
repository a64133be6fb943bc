/**
 * The watchdog: on every timer tick, make sure the plan's monitor orchestration is running and hand it the tick
 * (src/durable/monitor-instance.ts).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { ensureMonitor, tickSignal } from './monitor-instance';
import type { DurableClient } from '../durable/client';
import { MONITOR_SIGNAL, monitorInstanceId } from '../durable/contracts';
import type { Plan } from '../plan/schema';

export function createWatchdogHandler(getPlan: () => Plan, now: () => Date = () => new Date()) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const plan = getPlan();
    const client = df.getClient(context) as DurableClient;
    await ensureMonitor(client, plan, (m) => context.log(m));
    await client.raiseEvent(monitorInstanceId(plan.id), MONITOR_SIGNAL, tickSignal(plan, now()));
  };
}
