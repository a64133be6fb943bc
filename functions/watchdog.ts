// Timer: keeps the plan's monitor orchestration alive and hands it each tick (schedule: app setting DR_WATCHDOG_SCHEDULE, NCRONTAB with seconds, e.g. every 30 s).
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane, handlerNow } from '../src/composition';
import { DEFAULT_NOTIFICATION_TTL_MS } from '../src/activities/notify';
import { createWatchdogHandler } from '../src/durable/watchdog';

app.timer('drWatchdog', {
  schedule: '%DR_WATCHDOG_SCHEDULE%',
  extraInputs: [df.input.durableClient()],
  handler: createWatchdogHandler(
    () => controlPlane().plan,
    undefined,
    {
      notificationTtlMs: () => controlPlane().notificationTtlMs ?? DEFAULT_NOTIFICATION_TTL_MS,
      now: handlerNow,
    },
    () => ({ driftCheckCycles: controlPlane().driftCheckCycles }),
  ),
});
