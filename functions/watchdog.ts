// Timer: keeps the plan's monitor orchestration alive and hands it each tick (schedule: app setting DR_WATCHDOG_SCHEDULE, NCRONTAB with seconds, e.g. every 30 s).
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane } from '../src/composition';
import { createWatchdogHandler } from '../src/durable/watchdog';

app.timer('drWatchdog', {
  schedule: '%DR_WATCHDOG_SCHEDULE%',
  extraInputs: [df.input.durableClient()],
  handler: createWatchdogHandler(
    () => controlPlane().plan,
    () => new Date(),
    () => ({ driftCheckCycles: controlPlane().driftCheckCycles }),
  ),
});
